"""The harness's commands.

  python -m harness assure [pytest args]   run the assurance suite, then build the HTML report
  python -m harness report                 rebuild the HTML report from reports/allure-results
  python -m harness cleanup                cancel every appointment earlier runs booked and left behind
  python -m harness fault-matrix [--jobs N] [--only a,b]
                                           the suite against the clean reference provider and each named
                                           fault; writes reports/fault-matrix.md
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys

from . import fault_matrix, junit, report, verdicts
from .requirements import catalogue
from .errors import HarnessError
from .settings import PROJECT_ROOT, ConfigError, load_settings, reports_dir


# Exit codes of `assure` (also in the README):
#   0 every scenario passed (skips, "not assured", allowed)   1 the provider is non-conformant
#   2 no verdict against the provider, but the environment was unreachable or the harness failed
#   3 the report could not be built, or the bundled provider did not start
#   4 configuration error    5 no scenario selected    130 interrupted
PYTEST_CODES = {2: 130, 3: 2, 4: 4, 5: 5}


def _say(message: str) -> None:
    print(f"gpc-assure: {message}", file=sys.stderr)


def _run_guarded(cmd: list[str], limit_s: float) -> int:
    """Run pytest; past GPC_RUN_TIMEOUT_S stop it with SIGTERM, which still cancels its bookings."""
    proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=os.environ.copy())
    try:
        return proc.wait(timeout=limit_s)
    except subprocess.TimeoutExpired:
        _say(f"run exceeded GPC_RUN_TIMEOUT_S={limit_s:g} s; stopping it (its bookings are cancelled)")
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        return 2
    except KeyboardInterrupt:
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
        return 130


def build_report(report_name: str) -> int:
    out = reports_dir()
    try:
        index = report.build(out / "allure-results", out / "html", out / "history.jsonl", report_name)
    except HarnessError as exc:
        _say(str(exc))
        return 3
    print(f"HTML report: {index}")
    return 0


def assure(pytest_args: list[str]) -> int:
    try:
        settings = load_settings()
    except ConfigError as exc:
        _say(f"configuration: {exc}")
        return 4
    target = settings.base_url or "the bundled reference provider"
    print(f"Assuring {target} (environment '{settings.env_name}')", flush=True)
    out = reports_dir()
    results, junit_path = out / "allure-results", out / "junit.xml"
    shutil.rmtree(results, ignore_errors=True)
    results.mkdir(parents=True, exist_ok=True)
    junit_path.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "pytest", "steps", "--alluredir", str(results), "--junitxml", str(junit_path),
           "-o", "junit_family=xunit2", *pytest_args]
    code = _run_guarded(cmd, settings.run_timeout_s)
    report_code = build_report(f"GP Connect 1.2.7 appointments assurance: {settings.env_name}")
    code = PYTEST_CODES.get(code, code)
    if junit_path.exists():
        outcomes = junit.outcomes(junit_path)
        if code in (0, 1):
            code = junit.exit_code(outcomes)
        items = verdicts.verdicts(catalogue(), outcomes)
        page = out / "html" / "requirements.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(verdicts.page(items, f"Requirement verdicts: {target}"), encoding="utf-8")
        print(verdicts.terminal(items))
        print(f"Requirement view: {page}")
        print(f"Summary: {junit.summary_line(outcomes)}")
    return code or report_code


def cleanup() -> int:
    from .cleanup import clean_up
    from .client import GpConnectClient
    from .ledger import Ledger, ledger_path

    try:
        settings = load_settings()
    except ConfigError as exc:
        _say(f"configuration: {exc}")
        return 4
    if settings.uses_reference_provider:
        print("clean-up: nothing to do; the bundled reference provider's bookings end with its run")
        return 0
    path = ledger_path(settings.base_url)
    if not path.exists():
        print(f"clean-up: no ledger for {settings.base_url}; this harness has booked nothing there")
        return 0
    client = GpConnectClient(settings, settings.base_url)
    try:
        report = clean_up(client, Ledger(path, settings.base_url))
    except HarnessError as exc:
        _say(f"clean-up: {exc}")
        return 3
    finally:
        client.close()
    print(report.line())
    return 1 if report.problems else 0


def run_fault_matrix(args: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness fault-matrix")
    parser.add_argument("--jobs", type=int, default=2, help="runs at once (default 2)")
    parser.add_argument("--only", default="", help="comma-separated fault names (default: all)")
    opts = parser.parse_args(args)
    every = fault_matrix.faults()
    wanted = [f for f in every if not opts.only or f.name in opts.only.split(",")]
    unknown = set(filter(None, opts.only.split(","))) - {f.name for f in every}
    if unknown:
        _say(f"fault-matrix: unknown fault {sorted(unknown)[0]}; see make faults")
        return 4
    print(f"Running the clean provider and {len(wanted)} faults, {opts.jobs} at a time...", flush=True)
    rows = fault_matrix.matrix(wanted, opts.jobs, every=not opts.only)
    text = fault_matrix.markdown(rows)
    out = reports_dir() / "fault-matrix.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(text)
    print(f"Fault matrix: {out}")
    return 0 if all(r.ok for r in rows) else 1


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m harness", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("assure", "report", "cleanup", "fault-matrix"))
    args, rest = parser.parse_known_args(argv)
    if args.command == "fault-matrix":
        return run_fault_matrix(rest)
    if args.command == "assure":
        return assure(rest)
    if args.command == "cleanup":
        return cleanup()
    return build_report("GP Connect 1.2.7 appointments assurance")
