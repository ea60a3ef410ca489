"""gpc-assure: provider assurance for GP Connect 1.2.7 Appointment Management.

  gpc-assure assure [--req ID] [--feature NAME] [pytest options]
                          run the assurance suite against the configured provider (GPC_ENV), then
                          build reports/html/index.html and reports/html/requirements.html
  gpc-assure init         write config/provider.env, the template for a real provider, in this folder
  gpc-assure report       rebuild the HTML report from reports/allure-results
  gpc-assure cleanup      cancel every appointment earlier runs booked and left behind
  gpc-assure fault-matrix [--jobs N] [--only a,b]
                          the suite against the clean reference provider and each named fault;
                          writes reports/fault-matrix.md
  gpc-assure explore [--budget N] [--seed S] [--replay FILE|SEED]
                          a bounded, seeded, stateful exploration: sequences of operations checked
                          against the model of the run; a failure prints its shortest sequence;
                          writes reports/explore/ (junit.xml, requirements.html, sequence-<n>.json)

`gpc-assure --req SLOT-TYPE-01` is short for `gpc-assure assure --req SLOT-TYPE-01`.
`python -m harness ...` is the same command.

Exit codes of assure: 0 conformant, or no SHALL failed though some were not assured (writes off,
test data missing), 1 the provider is non-conformant (a SHALL failed), 2 environment unreachable or
harness error, 3 the report could not be built or the bundled provider did not start, 4
configuration error, 5 no scenario selected, 6 (with --sign-off) no SHALL failed but not every one
was assured, 130 interrupted.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from harness.cli import nightly, rerun
from harness.cli.common import (
    BROKEN,
    CONFIGURATION,
    INTERRUPTED,
    NO_REPORT,
    NONCONFORMANT,
    NOTHING_SELECTED,
    OK,
    PROG,
    say,
    settings_or_none,
)
from harness.errors import HarnessError
from harness.outcome import history, verdicts
from harness.outcome import outcomes as junit
from harness.outcome import record as run
from harness.outcome import stats as run_stats
from harness.report import allure as report
from harness.report import requirements_page as requirement_view
from harness.settings import PROJECT_ROOT, reports_dir
from harness.spec.requirements import catalogue

COMMANDS = ("assure", "init", "report", "cleanup", "fault-matrix", "explore")

# pytest's own exit codes, when the run record names no reason of its own: 2 interrupted (by a
# signal, per the run record, else a collection error: the harness is broken), 3 internal error,
# 4 usage error (a bad setting, --req or @req), 5 nothing collected.
PYTEST_CODES = {2: BROKEN, 3: BROKEN, 4: CONFIGURATION, 5: NOTHING_SELECTED}
COLLECT_ONLY = ("--collect-only", "--co")


def _run_guarded(cmd: list[str], limit_s: float) -> int:
    """Run pytest; past GPC_RUN_TIMEOUT_S stop it with SIGTERM, which still cancels its bookings."""
    proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=os.environ.copy())
    try:
        return proc.wait(timeout=limit_s)
    except subprocess.TimeoutExpired:
        say(f"run exceeded GPC_RUN_TIMEOUT_S={limit_s:g} s; stopping it (its bookings are cancelled)")
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        return 3  # pytest's internal-error code: no verdict, environment or harness
    except KeyboardInterrupt:
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
        return INTERRUPTED


def stop_code(pytest_code: int, record: run.Record) -> int | None:
    """The exit code a run's end decides before its verdicts are read, or None when they decide it
    (pytest ended normally, 0 or 1): 130 interrupted (Ctrl-C, SIGTERM), the run record's own reason
    (2 preflight refused, 3 bundled provider did not start), else pytest's code mapped to the README's."""
    if pytest_code == INTERRUPTED or (pytest_code == 2 and record.interrupted):
        return INTERRUPTED
    return record.stop_code or PYTEST_CODES.get(pytest_code)


def build_report(out: Path, report_name: str) -> int:
    try:
        index = report.build(out / "allure-results", out / "html", out / "history.jsonl", report_name)
    except HarnessError as exc:
        say(str(exc))
        return NO_REPORT
    print(f"HTML report: {index}")
    return OK


def allure_links(results: Path) -> dict[str, str]:
    """pytest node id -> the scenario's page in the single-file Allure report (its id is md5 of the
    result's uuid; the root conftest labels each result with its node id)."""
    links = {}
    for path in results.glob("*-result.json"):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        nodeid = next((lb.get("value") for lb in data.get("labels", []) if lb.get("name") == "pytest_nodeid"), None)
        if nodeid and data.get("uuid"):
            links[nodeid] = f"index.html#/{hashlib.md5(data['uuid'].encode()).hexdigest()}"
    return links


def _publish(staging: Path, out: Path) -> None:
    """Move a run that executed scenarios from its staging folder into the reports folder."""
    for name in ("allure-results", "junit.xml", "run.json", report.EVIDENCE_DIR):
        target = out / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        if (staging / name).exists():
            shutil.move(str(staging / name), str(target))


def assure(pytest_args: list[str], selection: list[str] | None = None, sign_off: bool = False,
           rerun_failures: bool = False) -> int:
    """Run the suite with these pytest arguments; `selection` is how the run was asked for, as shown
    in its identity (default: the pytest arguments). A sign-off run exits 6 when no SHALL failed but not
    every one was assured."""
    settings = settings_or_none()
    if settings is None:
        return CONFIGURATION
    # pytest's cache beside the run's reports, so that --lf reruns what this folder's last run failed.
    # (Not when the cache is switched off: pytest would call the option unknown.)
    no_cache = any(a.replace(" ", "") in ("no:cacheprovider", "-pno:cacheprovider") for a in pytest_args)
    base = [sys.executable, "-m", "pytest", "steps",
            *([] if no_cache else ["-o", f"cache_dir={reports_dir() / '.pytest_cache'}"])]
    if any(a in COLLECT_ONLY for a in pytest_args):
        # Lists what would run; writes nothing, so the last report stays as it was.
        code = _run_guarded(base + pytest_args, settings.run_timeout_s)
        return PYTEST_CODES.get(code, code)
    out = reports_dir()
    try:
        with run.lock(out):
            return _assure_locked(settings, pytest_args, base, out,
                                  pytest_args if selection is None else selection, sign_off, rerun_failures)
    except run.Busy as exc:
        say(str(exc))
        return BROKEN
    except KeyboardInterrupt:
        return INTERRUPTED


def _assure_locked(settings, pytest_args: list[str], base: list[str], out: Path, selection: list[str],
                   sign_off: bool, rerun_failures: bool = False) -> int:
    target = settings.base_url or run.BUNDLED
    print(f"Assuring {target} (environment '{settings.env_name}')", flush=True)
    staging = out / ".run"
    shutil.rmtree(staging, ignore_errors=True)
    results, junit_path, record_path = staging / "allure-results", staging / "junit.xml", staging / "run.json"
    results.mkdir(parents=True)
    started = run.now()
    cmd = base + ["--alluredir", str(results), "--junitxml", str(junit_path), "-o", "junit_family=xunit2",
                  "--run-record", str(record_path), "--faults-checked", *pytest_args]
    pytest_code = _run_guarded(cmd, settings.run_timeout_s)
    record = run.Record.read(record_path)
    record.started, record.ended = record.started or started, record.ended or run.now()
    outcomes = junit.outcomes(junit_path) if junit_path.exists() else []

    if record.stop_code:
        say(record.stop_reason)
    code = stop_code(pytest_code, record)
    interrupted = code == INTERRUPTED
    if not outcomes or record.stop_code == NO_REPORT:
        # Nothing executed (nothing selected, a bad option, the preflight refused), or the bundled provider
        # did not start (the first scenario that needed it stopped the run): the last report stays as it was.
        shutil.rmtree(staging, ignore_errors=True)
        if code is None:
            code = NOTHING_SELECTED
        if code == NOTHING_SELECTED:
            say("no scenario selected; the last report is left as it was")
        elif record.stop_code == NO_REPORT:
            say("the last report is left as it was")
        return code

    if rerun_failures and not record.stop_code and not interrupted:
        outcomes = rerun.rerun_failed(base, outcomes, staging / "rerun", settings.run_timeout_s)
    items = verdicts.verdicts(catalogue(), outcomes)
    decision = verdicts.decide(outcomes, items, verdicts.levels_of(catalogue()), settings.nhs_strict,
                               stopped=bool(record.stop_code or interrupted), sign_off=sign_off)
    overall = decision.verdict
    ident = run.identity(settings, record, selection, overall)
    (results / "environment.properties").write_text(ident.properties(), encoding="utf-8")
    _publish(staging, out)
    shutil.rmtree(staging, ignore_errors=True)
    figures = run_stats.finish(out / "allure-results")  # requests and latency: terminal, report, run-stats.txt

    change = nightly.record_and_compare(out, settings, ident, overall, items, outcomes, record.provider_software,
                                        figures.rows if figures else [])
    report_code = build_report(out, f"GP Connect 1.2.7 appointments assurance: {settings.env_name}: {overall} "
                                    f"({decision.assured} of {decision.assessable} SHALL requirements assured)")
    page = out / "html" / "requirements.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(requirement_view.page(items, ident.rows(), decision, allure_links(out / "allure-results"),
                                  title=f"Requirement verdicts: {settings.env_name}", changes=change),
                    encoding="utf-8")
    print(requirement_view.terminal(items, ident.terminal(), decision))
    print("\n".join(history.described(change)))
    print(f"Requirement view: {page}")
    print(f"Summary: {junit.summary_line(outcomes, verdicts.levels_of(catalogue()), settings.nhs_strict)}")
    if code is None:
        code = decision.exit_code
    return code or report_code


def run_fault_matrix(jobs: int, only: str, whole: bool = False) -> int:
    from harness.cli import fault_matrix

    every = fault_matrix.faults()
    wanted = [f for f in every if not only or f.name in only.split(",")]
    unknown = set(filter(None, only.split(","))) - {f.name for f in every}
    if unknown:
        say(f"fault-matrix: unknown fault {sorted(unknown)[0]}; see make faults")
        return CONFIGURATION
    # With --only, the clean provider runs the scenarios of the selected faults' requirements, not the whole suite.
    print(f"Running the clean provider and {len(wanted)} faults, {jobs} at a time...", flush=True)
    rows = fault_matrix.matrix(wanted, jobs, every=not only, whole=whole)
    text = fault_matrix.markdown(rows, whole)
    out = reports_dir() / "fault-matrix.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(text)
    print(f"Fault matrix: {out}")
    return OK if all(r.ok for r in rows) else NONCONFORMANT


def _positive_minutes(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"--minutes must be a number of minutes above 0, got {text!r}")
    return value


class _Parser(argparse.ArgumentParser):
    """A usage error is a configuration error (exit 4), not argparse's 2, which means 'environment'."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        say(message)
        sys.exit(CONFIGURATION)


def parser() -> argparse.ArgumentParser:
    top = _Parser(prog=PROG, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = top.add_subparsers(dest="command", metavar="command", parser_class=_Parser)
    a = sub.add_parser("assure", help="run the assurance suite and build the reports",
                       description="Run the assurance suite against the configured provider (GPC_ENV, default "
                       "reference), then build reports/html/index.html and reports/html/requirements.html. "
                       "Options not listed here go to pytest (e.g. -k, -x, -q, -n 4, --collect-only).",
                       epilog="Exit codes: 0 conformant, or no SHALL failed (NO SHALL FAILED: some not assured), "
                       "1 non-conformant (a SHALL failed), 2 environment unreachable or harness error, 3 report not "
                       "built or bundled provider did not start, 4 configuration error, 5 no scenario selected, "
                       "6 with --sign-off: no SHALL failed but not every one was assured, 130 interrupted.")
    a.add_argument("--req", action="append", default=[], metavar="ID[,ID]",
                   help="only scenarios tagged with these requirement ids, e.g. SLOT-TYPE-01 (repeatable)")
    a.add_argument("--feature", action="append", default=[], metavar="NAME[,NAME]",
                   help="only the scenarios of these feature files, e.g. book_an_appointment (repeatable)")
    a.add_argument("--no-preflight", action="store_true",
                   help="do not check that the provider answers its CapabilityStatement before any scenario")
    a.add_argument("--rerun-failures", action="store_true",
                   help="run the failed scenarios once more at the end; one that passes then is reported flaky, "
                   "and still counted as failed")
    a.add_argument("--sign-off", action="store_true",
                   help=f"a sign-off run: exit {verdicts.EXIT_NOT_ALL_ASSURED} when no SHALL failed but not every "
                   "SHALL requirement the run set out to judge was assured (default: exit 0, for nightly gating)")
    sub.add_parser("init", help="write config/provider.env, the template for a real provider, in this folder",
                   description="Write config/provider.env (every setting, explained) in the working folder, unless "
                   "it is there already; fill it in and run GPC_ENV=provider gpc-assure.")
    sub.add_parser("report", help="rebuild the HTML report from reports/allure-results",
                   description="Rebuild reports/html/index.html from reports/allure-results.")
    sub.add_parser("cleanup", help="cancel the appointments earlier runs left behind",
                   description="Cancel every appointment this harness booked on the configured provider and "
                   "did not cancel (a killed run). Only appointments carrying one of the ledger's markers "
                   "are touched.")
    f = sub.add_parser("fault-matrix", help="prove each named fault of the reference provider is caught",
                       description="Run the suite against the clean reference provider and against each of its "
                       "named faults; write reports/fault-matrix.md. Exit 1 when a fault is not caught.")
    f.add_argument("--jobs", type=int, default=2, help="runs at once (default 2)")
    f.add_argument("--only", default="", help="comma-separated fault names (default: all); the clean run then "
                   "holds only their requirements' scenarios")
    f.add_argument("--whole", action="store_true",
                   help="run the whole suite against each fault, and count the SHALL requirements each fault's run "
                   "failed and those it left not assured that the clean run assures (slower: minutes per fault)")
    from harness.explore.session import DEFAULT_BUDGET, DEFAULT_MINUTES

    x = sub.add_parser("explore", help="explore the provider with stateful sequences of operations",
                       description="Explore the configured provider with sequences of operations chosen by "
                       "Hypothesis (search, book 1 to 3 slots keeping or breaking each multi-slot rule, book for a "
                       "second patient, read, retrieve, amend or cancel with a fresh or stale ETag), each answer "
                       "checked against the model of the run. A failure is shrunk to its shortest sequence, printed "
                       "and written to reports/explore/sequence-<n>.json. Every booking is cancelled.",
                       epilog="Exit codes: 0 no violation (or no SHALL failed, some not assured: writes off), "
                       "1 non-conformant (a SHALL failed), 2 environment unreachable or harness error, 3 bundled "
                       "provider did not start, 4 configuration error, 6 with --sign-off: not every SHALL it judges "
                       "was assured, 130 interrupted.")
    x.add_argument("--budget", type=int, default=DEFAULT_BUDGET,
                   help=f"operations at most (default {DEFAULT_BUDGET}, a few minutes against the bundled provider)")
    x.add_argument("--seed", type=int, default=None, help="Hypothesis's seed (default: a random one, printed)")
    x.add_argument("--replay", default=None, metavar="FILE|SEED",
                   help="run a recorded sequence (explore/sequence-<n>.json) again, or the exploration of a seed")
    x.add_argument("--first", action="store_true",
                   help="stop at the first failure, once it is shrunk (default: explore on until the budget is spent)")
    x.add_argument("--no-shrink", action="store_true",
                   help="report each failure with the sequence that first showed it, unshortened (quicker; "
                   "the fault matrix)")
    x.add_argument("--minutes", type=_positive_minutes, default=DEFAULT_MINUTES,
                   help=f"wall time for exploring and shrinking alike (default {DEFAULT_MINUTES:g}); a run that "
                   "reaches it reports what it found so far, unshrunk, and stops")
    x.add_argument("--sign-off", action="store_true",
                   help=f"exit {verdicts.EXIT_NOT_ALL_ASSURED} when no SHALL failed but not every one the exploration "
                   "judges was assured (writes off)")
    x.add_argument("--until", default="", metavar="REQ[,REQ]",
                   help="stop once a failure showing one of these requirements is shrunk, exploring on past "
                   "failures of others, kept as found but not shrunk (the fault sweep, "
                   "benchmarks/bench_explore_sweep.py)")
    return top


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help")):
        argv.insert(0, "assure")
    args, rest = parser().parse_known_args(argv)
    if args.command == "assure":
        forwarded = [f"--req={r}" for r in args.req] + [f"--feature-name={f}" for f in args.feature]
        forwarded += ["--no-preflight"] if args.no_preflight else []
        return assure(forwarded + rest, argv[1:], sign_off=args.sign_off, rerun_failures=args.rerun_failures)
    if rest:
        parser().parse_args(argv)  # unknown options of the other commands: argparse's usage error
    if args.command == "init":
        from harness.cli.housekeeping import init

        return init()
    if args.command == "fault-matrix":
        return run_fault_matrix(args.jobs, args.only, args.whole)
    if args.command == "cleanup":
        from harness.cli.housekeeping import cleanup

        return cleanup()
    if args.command == "explore":
        from harness.cli.explore import command

        return command(args.budget, args.seed, args.replay, args.first,
                       tuple(r.strip() for r in args.until.split(",") if r.strip()), shrink=not args.no_shrink,
                       sign_off=args.sign_off, minutes=args.minutes)
    return build_report(reports_dir(), "GP Connect 1.2.7 appointments assurance")


def entry_point() -> None:
    """The console script."""
    sys.exit(main())
