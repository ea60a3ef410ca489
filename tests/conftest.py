"""Helpers for the project's own tests: run the assurance suite in a child process; `--clock-at` to run
them with the machine's clock moved (tools/clock_check.py)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from harness.outcome import outcomes as junit
from harness.settings import PROJECT_ROOT

SUITE_TIMEOUT_S = 600


def pytest_addoption(parser):
    parser.addoption("--clock-at", metavar="INSTANT", default=None,
                     help="move this process's clock (and each worker's) to INSTANT, an ISO 8601 date-time with "
                          "offset, and let it run on from there")


def pytest_configure(config):
    at = config.getoption("--clock-at")
    if not at:
        return
    import time_machine

    try:
        instant = datetime.fromisoformat(at)
    except ValueError:
        raise pytest.UsageError(f"--clock-at: {at!r} is not an ISO 8601 date-time") from None
    if instant.tzinfo is None:
        raise pytest.UsageError(f"--clock-at: {at!r} has no offset; write it as 2027-06-30T12:00:00+01:00")
    traveller = time_machine.travel(instant, tick=True)
    traveller.start()
    config.add_cleanup(traveller.stop)


@dataclass
class SuiteRun:
    returncode: int
    stdout: str
    stderr: str
    outcomes: list[junit.Outcome]
    reports: Path

    @property
    def leftovers(self) -> list[str]:
        """Files and folders the run left in its temporary directory."""
        return sorted(p.name for p in (self.reports.parent / "tmp").iterdir())

    def by_outcome(self, outcome: str) -> list[junit.Outcome]:
        return [o for o in self.outcomes if o.outcome == outcome]

    def explain(self) -> str:
        lines = [f"{o.outcome}: {o.name}: {o.message[:300]}" for o in self.outcomes if o.outcome != "passed"]
        return "\n".join(lines) or (self.stdout[-2000:] + self.stderr[-2000:])


def suite_env(reports: Path, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GPC_")}
    env.update({"GPC_ENV": "reference", "GPC_REPORTS_DIR": str(reports)})
    env.update(overrides)
    return env


@pytest.fixture
def run_suite(tmp_path):
    """run_suite(*pytest_args, target=path, **GPC_settings) -> SuiteRun: the assurance suite in a child process."""

    def run(*args: str, target: str = "steps", command: tuple[str, ...] | None = None, **settings: str) -> SuiteRun:
        reports = tmp_path / "reports"
        reports.mkdir(exist_ok=True)
        scratch = tmp_path / "tmp"
        scratch.mkdir(exist_ok=True)
        settings.setdefault("TMPDIR", str(scratch))
        junit_path = reports / "junit.xml"
        if command is None:
            command = (sys.executable, "-m", "pytest", target, "-p", "no:randomly",
                       "--junitxml", str(junit_path), "-o", "junit_family=xunit2", "-q", *args)
        proc = subprocess.run(command, cwd=PROJECT_ROOT, env=suite_env(reports, **settings), capture_output=True,
                              text=True, timeout=SUITE_TIMEOUT_S, stdin=subprocess.DEVNULL)
        outcomes = junit.outcomes(junit_path) if junit_path.exists() else []
        return SuiteRun(proc.returncode, proc.stdout, proc.stderr, outcomes, reports)

    return run


@pytest.fixture
def suite_environment():
    """suite_env(reports, **GPC_settings): the environment a child assurance run gets."""
    return suite_env


def chromium() -> str:
    """The Chromium binary make test installs (or CHROMIUM names); a failure, not a skip, without one."""
    found = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser") \
        or shutil.which("google-chrome")
    if not found:
        pytest.fail("Chromium is needed to print the sign-off page: run make test (it installs Debian's chromium) "
                    "or set CHROMIUM to a Chromium or Chrome binary")
    return found


@pytest.fixture
def a4_pages(tmp_path):
    """a4_pages(html_file) -> how many A4 pages Chromium prints it on (the page's own @page rules apply)."""

    def pages(page: Path) -> int:
        pdf = tmp_path / f"{page.stem}.pdf"
        subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        f"--user-data-dir={tmp_path / 'chromium-profile'}", "--no-pdf-header-footer",
                        f"--print-to-pdf={pdf}", page.resolve().as_uri()],
                       capture_output=True, timeout=120, stdin=subprocess.DEVNULL, check=False)
        assert pdf.exists(), f"Chromium printed no PDF of {page}"
        return len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf.read_bytes()))

    return pages
