"""The HTML report: Allure 3 single-file output, cleaned so that opening it contacts no one."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from .errors import HarnessError
from .settings import PROJECT_ROOT

ALLURE_BIN = PROJECT_ROOT / "node_modules" / ".bin" / "allure"
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


def external_references(html: str) -> list[str]:
    """URLs of resources the page would load from anywhere but itself."""
    found = EXTERNAL_REF.findall(html)
    if "googletagmanager" in html or re.search(r"\bgtag\(", html):
        found.append("analytics (googletagmanager / gtag)")
    return found


def build(results_dir: Path, html_dir: Path, history: Path, name: str) -> Path:
    """Build reports/html/index.html from allure results; raise HarnessError on failure."""
    if not ALLURE_BIN.exists():
        raise HarnessError(f"Allure report generator not installed at {ALLURE_BIN}; run make assure")
    if html_dir.exists():
        shutil.rmtree(html_dir)
    cmd = [str(ALLURE_BIN), "awesome", str(results_dir), "--single-file", "-o", str(html_dir),
           "--report-name", name, "--history-path", str(history), "--group-by", "feature"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=600)
    index = html_dir / "index.html"
    if proc.returncode != 0 or not index.exists():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise HarnessError(f"Allure report generation failed (exit {proc.returncode}): {tail[0]}")
    html = strip_analytics(index.read_text(encoding="utf-8"))
    leftovers = external_references(html)
    if leftovers:
        raise HarnessError(f"report still refers off the machine: {leftovers[0]}")
    index.write_text(html, encoding="utf-8")
    return index
