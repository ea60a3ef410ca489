"""The HTML report is cleaned of analytics, blocks any off-host fetch and carries its data gzipped."""

import json
import re
import shutil
import subprocess
from base64 import b64encode

import pytest

from harness.report.allure import CSP, external_references, pack_data, strip_analytics, unpacked_data

GENERATED = """<!DOCTYPE html><html><head><meta charset="utf-8">
<script src="data:text/javascript;base64,AAAA"></script>
    <script async src="https://www.googletagmanager.com/gtag/js?id=G-LNDJ3J7WT0"></script>
    <script>
        window.dataLayer = window.dataLayer || [];
        function gtag(){dataLayer.push(arguments);}
        gtag('js', new Date());
        gtag('config', 'G-LNDJ3J7WT0', {"report": "awesome"});
    </script>
    <script async>window.allureReportData = {};</script>
</head><body></body></html>"""


def test_analytics_loader_and_call_are_removed_and_report_data_kept():
    html = strip_analytics(GENERATED)
    assert "googletagmanager" not in html and "gtag(" not in html and "dataLayer" not in html
    assert "window.allureReportData" in html and "data:text/javascript" in html
    assert external_references(html) == []


def test_a_content_security_policy_blocks_fetches():
    html = strip_analytics(GENERATED)
    assert CSP in html and "default-src 'none'" in CSP
    assert strip_analytics(html).count("Content-Security-Policy") == 1


def test_external_references_are_detected():
    assert external_references(GENERATED)
    assert external_references('<img src="https://cdn.example/x.png">') == ["https://cdn.example/x.png"]
    assert external_references('<link href="//fonts.example/a.css">') == ["//fonts.example/a.css"]


# The data script exactly as Allure 3.18's single-file page writes it (two files shown).
DATA = {"widgets/statistic.json": b64encode(b'{"total":2,"passed":2}').decode(),
        "data/attachments/abc.txt": b64encode("GET /Slot -> 200\nSlot type 'Clinic \u00e9'".encode()).decode()}
PAGE = ("<html><head></head><body><div id=\"app\"></div><script async>\n      window.allureReportDataReady = false;\n"
        "      window.allureReportData = window.allureReportData || {};\n    </script>\n    <script defer>\n"
        "      Promise.allSettled([" + ",".join(f'd("{k}","{v}")' for k, v in DATA.items()) + "])\n"
        "        .then(function(){\n          window.allureReportDataReady = true;\n        })\n    </script>"
        "</body></html>")


def test_the_data_files_are_packed_into_one_gzip_string_that_unpacks_to_the_same_map():
    packed = pack_data(PAGE)
    assert "Promise.allSettled" not in packed and "DecompressionStream" in packed
    assert unpacked_data(packed) == DATA
    assert pack_data(packed) == packed, "packing twice changes nothing"


def test_a_page_in_another_shape_is_left_as_built():
    other = PAGE.replace('d("widgets/statistic.json"', 'e("widgets/statistic.json"')
    assert pack_data(other) == other
    assert pack_data("<html></html>") == "<html></html>"


@pytest.mark.skipif(shutil.which("node") is None, reason="node is installed by make setup")
def test_the_page_unpacks_its_data_with_the_browser_gzip_reader(tmp_path):
    """The unpacking script itself, run by node's DecompressionStream, gives the app the same map."""
    script = re.search(r"<script>\s*(\(async function.*?)</script>", pack_data(PAGE), re.S).group(1)
    runner = tmp_path / "run.js"
    runner.write_text("globalThis.window = globalThis; window.allureReportData = {};\n"
                      "globalThis.document = {body: {}};\n" + script +
                      "\nconst wait = setInterval(() => { if (window.allureReportDataReady) { clearInterval(wait);"
                      " console.log(JSON.stringify(window.allureReportData)); } }, 10);\n")
    out = subprocess.run(["node", str(runner)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == DATA
