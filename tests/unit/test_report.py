"""The HTML report is cleaned of analytics and blocks any off-host fetch."""

from harness.report import CSP, external_references, strip_analytics

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
