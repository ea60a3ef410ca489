"""The HTML report: Allure 3 single-file output, cleaned so that opening it contacts no one; and the
evidence of each exchange, bounded so that a practice with thousands of slots still gets a report.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess
import threading
from base64 import b64decode, b64encode
from collections import Counter
from pathlib import Path

from isal import igzip

from harness.errors import HarnessError, Nonconformance
from harness.memo import RESOURCES_REMEMBERED, ByIdentity, run_values
from harness.settings import PROJECT_ROOT, work_root
from harness.transport import fhir
from harness.transport.exchange import body_text_digest, pretty_json


def allure_bin() -> Path | None:
    """The Allure 3 report generator: the clone's pinned one (make setup installs it), else the working
    folder's node_modules, else one on PATH."""
    for folder in (PROJECT_ROOT, work_root()):
        for name in ("allure", "allure.cmd"):  # npm's shim on Windows is allure.cmd
            candidate = folder / "node_modules" / ".bin" / name
            if candidate.exists():
                return candidate
    found = shutil.which("allure")
    return Path(found) if found else None
ANALYTICS_PATTERNS = (
    re.compile(r"<script[^>]*\bsrc=[\"']https?://[^\"']*googletagmanager[^>]*>\s*</script>\s*", re.I),
    re.compile(r"<script[^>]*>\s*window\.dataLayer\s*=.*?</script>\s*", re.I | re.S),
)
# Everything the single-file report needs is inline or a data: URL; forbid any other fetch.
CSP = ("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
       "script-src 'unsafe-inline' 'unsafe-eval' data:; style-src 'unsafe-inline' data:; img-src data: blob:; "
       "font-src data:; connect-src data: blob:; media-src data: blob:; frame-src data: blob:\">")
EXTERNAL_REF = re.compile(r"<(?:script|link|img|iframe|source|embed|object)\b[^>]*\b(?:src|href|data)=[\"']"
                          r"((?:https?:)?//[^\"']+)", re.I)


def strip_analytics(html: str) -> str:
    """Remove the analytics loader and its gtag() call, and add a CSP that blocks any fetch."""
    for pattern in ANALYTICS_PATTERNS:
        html = pattern.sub("", html)
    if "Content-Security-Policy" not in html:
        html = re.sub(r"<head([^>]*)>", lambda m: f"<head{m.group(1)}>\n    {CSP}", html, count=1, flags=re.I)
    return html


# Allure's single-file page holds every data file (results, attachments, widgets) as its own base64
# string, `d("data/...","<base64>")`, in one script that then sets `allureReportDataReady`; the app waits
# for that flag and reads `window.allureReportData[name]`. The evidence is text that compresses tenfold,
# so the page instead carries the same name-to-base64 map gzipped once, and unpacks it on opening with
# the browser's own DecompressionStream before raising the flag: the app sees exactly the same data.
DATA_SCRIPT = re.compile(r"<script defer>\s*Promise\.allSettled\(\[(.*?)\]\)\s*\.then\(function\(\)\{\s*"
                         r"window\.allureReportDataReady = true;\s*\}\)\s*</script>", re.S)
DATA_CALL = re.compile(r'd\("([^"\\]*)","([A-Za-z0-9+/=]*)"\),?')
UNPACK = """<script>
      (async function () {
        try {
          const packed = "%s";
          const bytes = Uint8Array.from(atob(packed), function (c) { return c.charCodeAt(0); });
          const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
          Object.assign(window.allureReportData, JSON.parse(await new Response(stream).text()));
          window.allureReportDataReady = true;
        } catch (error) {
          document.body.textContent = "This report needs a browser that can read gzip data "
            + "(DecompressionStream: Chrome or Edge 80+, Firefox 113+, Safari 16.4+): " + error;
        }
      })();
    </script>"""


def pack_data(html: str) -> str:
    """The page with its data files gzipped into one string (see DATA_SCRIPT); unchanged if the page
    does not hold the script in the shape this was written for."""
    match = DATA_SCRIPT.search(html)
    if match is None:
        return html
    calls = match.group(1)
    files = dict(DATA_CALL.findall(calls))
    if len(DATA_CALL.sub("", calls).strip()) or not files:
        return html  # something other than plain d("name","base64") calls: leave the page as built
    packed = b64encode(gzip.compress(json.dumps(files, separators=(",", ":")).encode("ascii"), 9, mtime=0))
    return html[:match.start()] + UNPACK % packed.decode("ascii") + html[match.end():]


def unpacked_data(html: str) -> dict[str, str]:
    """The name-to-base64 map a packed page carries (for tests and tools)."""
    found = re.search(r'const packed = "([A-Za-z0-9+/=]*)";', html)
    if found is None:
        return {}
    return json.loads(gzip.decompress(b64decode(found.group(1))))


def external_references(html: str) -> list[str]:
    """URLs of resources the page would load from anywhere but itself."""
    found = EXTERNAL_REF.findall(html)
    if "googletagmanager" in html or re.search(r"\bgtag\(", html):
        found.append("analytics (googletagmanager / gtag)")
    return found


def build(results_dir: Path, html_dir: Path, history: Path, name: str) -> Path:
    """Build reports/html/index.html from allure results; raise HarnessError on failure."""
    generator = allure_bin()
    if generator is None:
        (html_dir / "index.html").unlink(missing_ok=True)  # an earlier run's report is not this run's
        raise HarnessError("the HTML report needs Allure 3 (Node): run make setup in a clone, or `npm install "
                           "allure@3` in this folder; junit.xml and html/requirements.html are written without it")
    if html_dir.exists():
        shutil.rmtree(html_dir)
    cmd = [str(generator), "awesome", str(results_dir), "--single-file", "-o", str(html_dir),
           "--report-name", name, "--history-path", str(history), "--group-by", "feature"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=600)
    index = html_dir / "index.html"
    if proc.returncode != 0 or not index.exists():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise HarnessError(f"Allure report generation failed (exit {proc.returncode}): {tail[0]}")
    html = pack_data(strip_analytics(index.read_text(encoding="utf-8")))
    leftovers = external_references(html)
    if leftovers:
        raise HarnessError(f"report still refers off the machine: {leftovers[0]}")
    index.write_text(html, encoding="utf-8")
    return index


# ---------------------------------------------------------------- evidence of an exchange

# A response body up to this size is shown whole in its step; a larger one (a slot search, or a
# patient's appointments once a run has booked dozens) is stored once per run under
# reports/evidence/ and summarised, so the single-file report stays small.
INLINE_BODY_CHARS = 8 * 1024
EVIDENCE_DIR = "evidence"
SAMPLE_TYPES_SHOWN = 8


def pretty(text: str) -> str:
    """JSON indented for reading (small objects kept on one line); other text as it is."""
    try:
        return pretty_json(json.loads(text))
    except ValueError:
        return text


def store_body(text: str, directory: Path, digest: str | None = None, gzipped: bytes | None = None) -> Path:
    """Write the body exactly as received to evidence/<digest>.json.gz, once per distinct body in a run.
    (Byte for byte what the provider sent; `zcat <file> | python -m json.tool` shows it indented.)
    `digest` is the body's body_text_digest and `gzipped` its gzip when already worked out."""
    path = directory / f"{digest or body_text_digest(text)}.json.gz"
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
        partial.write_bytes(gzipped if gzipped is not None else igzip.compress(text.encode("utf-8"), compresslevel=1))
        os.replace(partial, path)  # parallel workers may store the same body; either copy is whole
    return path


def summarise_body(text: str, data, shown_as: str) -> str:
    """A few lines standing for a large body: size, where it is stored, what it holds, one sample of each type."""
    lines = [f"Body of {len(text):,} characters, stored once per run as {shown_as} "
             "(gzip, exactly as received)."]
    if data is None:
        return "\n".join(lines + ["It is not FHIR JSON; it starts:", text[:2000]])
    if isinstance(data, dict) and data.get("resourceType") == "Bundle":
        counts, first = _entry_summary(fhir.bundle_entries(data))
        lines.append(f"Bundle of type '{data.get('type')}', total {data.get('total', '(absent)')}, "
                     f"{len(data.get('entry') or [])} entries: "
                     + ", ".join(f"{n} {t}" for t, n in counts.most_common()))
        for kind, resource in list(first.items())[:SAMPLE_TYPES_SHOWN]:
            lines += ["", f"First {kind}:", pretty_json(resource)]
    elif isinstance(data, dict):
        lines.append(f"{data.get('resourceType', 'JSON object')} with {len(data)} elements")
    return "\n".join(lines)


def _entry_summary(entries: list) -> tuple[Counter, dict[str, dict]]:
    """How many resources of each type the entries hold, and the first of each type, both in the order the types
    first appear: counted once per run of entries (memo.shared_runs: a hub's answers share runs of entries)."""
    counts: Counter = Counter()
    first: dict[str, dict] = {}
    for of_counts, of_first in run_values(entries, _RUN_SUMMARIES, _run_summary):
        counts.update(of_counts)
        for kind, resource in of_first.items():
            first.setdefault(kind, resource)
    return counts, first


def _run_summary(entries: tuple) -> tuple[Counter, dict[str, dict]]:
    resources = [r for r in (e.get("resource") for e in entries if isinstance(e, dict)) if isinstance(r, dict)]
    first: dict[str, dict] = {}
    for r in resources:
        first.setdefault(str(r.get("resourceType")), r)
    return Counter(str(r.get("resourceType", "(none)")) for r in resources), first


_RUN_SUMMARIES = ByIdentity(RESOURCES_REMEMBERED // 8)


def evidence(exchange, reports: Path) -> str:
    """The exchange as report evidence: bodies pretty-printed, a large response body stored and summarised.
    A reused answer shows the body its original showed, made once per body."""
    if exchange.error is not None:
        return exchange.render()
    source = exchange.reused_from or exchange  # the body's alone: an answer of the same body shows the same
    return exchange.render(response_body=source.derived(("shown body", str(reports)),
                                                        lambda: _shown_body(source, reports)))


def _shown_body(exchange, reports: Path) -> str:
    text = exchange.response_text
    if len(text) <= INLINE_BODY_CHARS:
        return pretty(text)
    try:
        data = exchange.json()  # parsed once: the steps that read it later get this parse
    except Nonconformance:
        data = None
    stored = store_body(text, reports / EVIDENCE_DIR, exchange.body_digest(), exchange.gzipped())
    return summarise_body(text, data, f"{EVIDENCE_DIR}/{stored.name} in the reports folder")


# ---------------------------------------------------------------- evidence of a failure

MAX_OFFENDERS_SHOWN = 5


class FailureEvidence:
    """What a failed step carries for a reviewer: the request that showed the failure, each offending
    resource whole as returned, and the whole answer. A large answer is attached whole once per process
    (the first failing step that showed it); passing exchanges keep their summaries."""

    def __init__(self):
        self._whole_shown: set[str] = set()
        self._lock = threading.Lock()

    def of(self, exchange, violations, reports: Path) -> list[tuple[str, str]]:
        """(attachment name, text) pairs for the violations this exchange showed; a small answer's evidence is
        the one its own step shows (`evidence`, made once)."""
        out = []
        try:
            data = exchange.json() if exchange.error is None else None
        except Nonconformance:
            data = None
        labels = list(dict.fromkeys(v.resource for v in violations))
        for label in labels[:MAX_OFFENDERS_SHOWN]:
            found = fhir.find_labelled(data, label)
            if found is not None:
                out.append((f"{label} as returned", pretty_json(found)))
        source = exchange.reused_from or exchange
        text = source.response_text
        if exchange.error is not None or len(text) <= INLINE_BODY_CHARS:
            out.append((f"Request that showed it: {exchange.short_request()}", evidence(exchange, reports)))
            return out
        digest = source.body_digest()
        with self._lock:
            first = digest not in self._whole_shown
            self._whole_shown.add(digest)
        note = (f"(the whole answer, {len(text):,} characters, is attached below)" if first else
                f"(the whole answer, {len(text):,} characters, is attached to the first failing step that "
                "showed it in this run)")
        out.append((f"Request that showed it: {exchange.short_request()}", exchange.render(response_body=note)))
        if first:
            out.append((f"Whole answer, {len(text):,} characters, as received", text))
        return out
