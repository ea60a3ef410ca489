"""Root pytest configuration: shared steps, @req tags, selection, start-up validation, the
preflight, and the verdict each failed scenario records (read back by harness/outcome/outcomes.py)."""

from __future__ import annotations

import signal
from pathlib import Path

import allure
import pytest

from harness import gc_policy, malloc_policy
from harness.errors import BROKEN, NONCONFORMANT, Nonconformance, outcome_of
from harness.outcome.record import Record, now, preflight
from harness.settings import ConfigError, check_reference_faults, load_settings
from harness.spec.requirements import catalogue

pytest_plugins = [
    "steps.common.fixtures",
    "steps.common.refusal_steps",
    "steps.common.appointment_steps",
    "steps.common.judging",
]

WRITES_REFUSED = "not assured: writes are not allowed in this environment (GPC_ALLOW_WRITES=false)"
PREFLIGHT_FAILED = 2  # exit code: environment unreachable (README, Exit codes)
_writes_refused = pytest.StashKey[bool]()


def pytest_addoption(parser):
    group = parser.getgroup("gpc-assure", "GP Connect assurance")
    group.addoption("--req", action="append", default=[], metavar="ID[,ID]",
                    help="run only scenarios tagged with one of these requirement ids (repeatable)")
    # pytest-bdd owns --feature (for --generate-missing); gpc-assure --feature maps to this one.
    group.addoption("--feature-name", action="append", default=[], metavar="NAME[,NAME]",
                    help="run only the scenarios of these feature files, e.g. book_an_appointment (repeatable)")
    group.addoption("--no-preflight", action="store_true", default=False,
                    help="skip the check that the target answers its CapabilityStatement before any scenario")
    group.addoption("--run-record", default="", metavar="PATH",
                    help="write what the run did (service root, times, early stop) to this JSON file")
    group.addoption("--faults-checked", action="store_true", default=False,
                    help="GPC_REFERENCE_FAULTS was already checked against the bundled provider's list "
                         "(gpc-assure does it first); skip asking the provider again")


def _is_worker(config) -> bool:
    return hasattr(config, "workerinput")


def _assurance(item) -> bool:
    return item.nodeid.startswith("steps/")


def pytest_configure(config):
    config.addinivalue_line("markers", "req(id): the spec requirement a scenario verifies")
    config.addinivalue_line("markers", "writes: the scenario books, amends or cancels appointments")
    config._gpc_record = Record(started=now())
    gc_policy.collect_less()
    malloc_policy.keep_large_buffers()
    # A run stopped with SIGTERM (a CI timeout) tears down like Ctrl-C, so its bookings are cancelled.
    signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_bdd_apply_tag(tag, function):
    """@req:SLOT-TYPE-01 becomes pytest.mark.req('SLOT-TYPE-01'); an unknown id stops collection.
    @writes marks a scenario that books, amends or cancels."""
    if tag == "writes":
        pytest.mark.writes(function)
        return True
    if not tag.startswith("req:"):
        return None
    req_id = tag[4:]
    if req_id not in catalogue():
        raise pytest.UsageError(f"@req:{req_id} on {function.__name__} is not in spec/requirements.csv")
    pytest.mark.req(req_id)(function)
    return True


def _scenario_of(item) -> tuple[str, str]:
    """(scenario title, feature file stem) of a pytest-bdd item, from pytest-bdd's own registry."""
    try:
        from pytest_bdd.scenario import scenario_wrapper_template_registry as registry
        template = registry.get(getattr(item, "function", None))
    except ImportError:
        template = None
    if template is None:
        return "", ""
    return template.name, Path(template.feature.filename).stem


def _example_title(item, title: str) -> str:
    """A Scenario Outline's title with its example's values in place of its <placeholders>."""
    example = getattr(getattr(item, "callspec", None), "params", {}).get("_pytest_bdd_example") or {}
    for name, value in example.items():
        title = title.replace(f"<{name}>", str(value))
    return title


def pytest_collection_modifyitems(session, config, items):
    """Select by requirement and feature, record each scenario's title and requirements, and stop
    with one line on a bad setting."""
    _select(config, items)
    assurance = [item for item in items if _assurance(item)]
    for item in assurance:
        title, feature = _scenario_of(item)
        item.user_properties += [("scenario", title), ("feature", feature)]
        example = _example_title(item, title)
        if example != title:
            item.user_properties.append(("example", example))
        for mark in item.iter_markers("req"):
            item.user_properties.append(("req", mark.args[0]))
    if not assurance:
        return
    try:
        settings = load_settings()
        if settings.reference_faults and not _is_worker(config) and not config.getoption("faults_checked"):
            from harness.cli.fault_matrix import faults

            check_reference_faults(settings.reference_faults, [f.name for f in faults()])
    except ConfigError as exc:
        raise pytest.UsageError(f"configuration: {exc}") from None
    guard = pytest.mark.timeout(settings.scenario_timeout_s, method="signal")
    for item in assurance:
        item.add_marker(guard)
        # Skipped when the scenario starts, not here, so that the report still lists it (see below).
        item.stash[_writes_refused] = not settings.allow_writes and item.get_closest_marker("writes") is not None


def pytest_collection_finish(session):
    session.config._gpc_assured = any(_assurance(item) for item in session.items)
    gc_policy.freeze_what_is_loaded()


def _wanted(config, option: str) -> set[str]:
    return {v.strip() for arg in config.getoption(option) for v in arg.split(",") if v.strip()}


def _select(config, items):
    """--req SLOT-TYPE-01[,BOOK-01] and --feature book_an_appointment: keep only those scenarios."""
    reqs, features = _wanted(config, "req"), {f.removesuffix(".feature") for f in _wanted(config, "feature_name")}
    if not reqs and not features:
        return
    unknown = sorted(reqs - set(catalogue()))
    if unknown:
        raise pytest.UsageError(f"--req {unknown[0]} is not in spec/requirements.csv")
    known_features = {p.stem for p in (Path(config.rootpath) / "features").glob("*.feature")}
    if features - known_features:
        raise pytest.UsageError(f"--feature {sorted(features - known_features)[0]} is not one of "
                                f"{', '.join(sorted(known_features))}")
    keep, drop = [], []
    for item in items:
        tagged = {m.args[0] for m in item.iter_markers("req")}
        feature = _scenario_of(item)[1]
        ok = (not reqs or bool(tagged & reqs)) and (not features or feature in features)
        (keep if ok else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


# --- preflight: one line and exit 2 when the target cannot answer at all ------------------------

@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session):
    """Before any scenario, the configured provider must answer its CapabilityStatement. Runs once,
    in the controlling process (under xdist, before any worker starts a scenario). The bundled
    provider is checked by its own start-up instead."""
    config = session.config
    if _is_worker(config) or config.option.collectonly or config.getoption("no_preflight"):
        return None
    distributed = config.pluginmanager.has_plugin("dsession")
    if not distributed and not any(_assurance(item) for item in session.items):
        return None
    if distributed and not any(str(a).startswith("steps") for a in config.args):
        return None
    try:
        settings = load_settings()
    except ConfigError:
        return None  # reported with one line where the scenarios are collected
    if settings.uses_reference_provider:
        return None
    problem = preflight(settings, settings.base_url, record=config._gpc_record)
    if problem:
        config._gpc_record.stop_code, config._gpc_record.stop_reason = PREFLIGHT_FAILED, problem
        pytest.exit(problem, returncode=PREFLIGHT_FAILED)
    return None


# --- the verdict each failed scenario records -----------------------------------------------------

def classify(excinfo, tags: tuple[str, ...], when: str) -> tuple[str, tuple[str, ...]]:
    """(verdict, violated requirements) of a failure: a Nonconformance or a plain AssertionError
    raised by the scenario is a verdict on the provider (its own requirements, or the scenario's
    tags when it names none); anything else, or any failure outside the scenario's body, is broken."""
    exc = excinfo.value if excinfo is not None else None
    if when == "call" and outcome_of(exc) == NONCONFORMANT:
        named = exc.requirements if isinstance(exc, Nonconformance) else ()
        return NONCONFORMANT, tuple(named) or tags
    return BROKEN, ()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not _assurance(item) or not report.failed:
        return
    if any(name == "verdict" for name, _ in item.user_properties):
        return  # the first failure of a scenario decides its verdict
    tags = tuple(m.args[0] for m in item.iter_markers("req"))
    verdict, violated = classify(call.excinfo, tags, call.when)
    added = [("verdict", verdict)] + [("violated", r) for r in violated]
    item.user_properties.extend(added)
    if call.when == "teardown":
        report.user_properties.extend(added)


# --- the run record ------------------------------------------------------------------------------

@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef, request):
    result = yield
    if fixturedef.argname == "provider_base_url" and result.exception is None:
        root = result.get_result()
        record = request.config._gpc_record
        if isinstance(root, str) and root not in record.service_roots:
            record.service_roots.append(root)


def pytest_runtest_setup(item):
    if _assurance(item):
        item.config._gpc_record.executed += 1


def pytest_keyboard_interrupt(excinfo):
    """pytest.exit() (the bundled provider did not start, the preflight refused) arrives here too;
    the session's record takes its code and reason in pytest_sessionfinish."""
    exc = excinfo.value
    if isinstance(exc, pytest.exit.Exception):
        if exc.returncode not in (None, 0):
            _stops.append((exc.returncode, exc.msg))
    else:
        _interrupted.append(True)


_stops: list[tuple[int, str]] = []
_interrupted: list[bool] = []


def pytest_testnodedown(node, error):
    """Under xdist: the service roots and scenario counts of each worker."""
    out = getattr(node, "workeroutput", {}) or {}
    record = node.config._gpc_record
    for root in out.get("gpc_service_roots", []):
        if root not in record.service_roots:
            record.service_roots.append(root)
    record.executed += int(out.get("gpc_executed", 0))
    record.interrupted = record.interrupted or bool(out.get("gpc_interrupted"))
    if out.get("gpc_stop_code") and record.stop_code is None:
        record.stop_code, record.stop_reason = out["gpc_stop_code"], out.get("gpc_stop_reason", "")


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    config = session.config
    record = config._gpc_record
    if _stops and record.stop_code is None:
        record.stop_code, record.stop_reason = _stops[0]
    record.interrupted = record.interrupted or bool(_interrupted)
    if _is_worker(config):
        config.workeroutput.update(gpc_service_roots=record.service_roots, gpc_executed=record.executed,
                                   gpc_stop_code=record.stop_code, gpc_stop_reason=record.stop_reason,
                                   gpc_interrupted=record.interrupted)
        return
    path = config.getoption("run_record")
    if path:
        record.ended = now()
        record.write(Path(path))


@pytest.hookimpl(tryfirst=True)
def pytest_unconfigure(config):
    # Before pytest's unraisable-exception plugin collects at exit: an assurance run's remembered models and
    # answers are not walked again.
    if getattr(config, "_gpc_assured", False):
        gc_policy.freeze_what_is_left()


# --- reporting: requirement links, and write scenarios kept in the report ------------------------

@pytest.hookimpl(trylast=True)
def pytest_bdd_before_scenario(request, feature, scenario):
    """Each @req tag becomes a link to the spec page and a line of the scenario's description.

    A write scenario in an environment without write permission is skipped here, when it starts,
    rather than by a marker at collection: allure-pytest-bdd creates a scenario's result in its own
    before-scenario hook, so a scenario skipped before it starts would vanish from the report."""
    if request.config.pluginmanager.get_plugin("allure_pytest_bdd") is not None and \
            request.config.option.allure_report_dir:
        lines = []
        for mark in request.node.iter_markers("req"):
            req = catalogue()[mark.args[0]]
            allure.dynamic.link(req.url, name=f"{req.id} ({req.level})")
            lines.append(f"{req.id} ({req.level}): {req.text}")
        allure.dynamic.label("pytest_nodeid", request.node.nodeid)
        if lines:
            allure.dynamic.description("Requirements verified:\n\n" + "\n\n".join(lines))
    if request.node.stash.get(_writes_refused, False):
        pytest.skip(WRITES_REFUSED)
