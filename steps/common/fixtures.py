"""Session fixtures: settings, the provider under test, and the GP Connect client; evidence of every
exchange in the report, and the run's request and latency figures."""

from __future__ import annotations

import shutil
from pathlib import Path

import allure
import pytest

from harness.cli import bundled_provider as reference
from harness.errors import HarnessError
from harness.outcome import stats as run_stats
from harness.report.allure import EVIDENCE_DIR, evidence
from harness.settings import load_settings, reports_dir
from harness.transport.client import RUN_REUSE, GpConnectClient
from harness.transport.exchange import Exchange

# Every exchange this process (one xdist worker, or the whole serial run) sends or reuses.
RECORDER = run_stats.Recorder()
# Step arguments shown in the report: values parsed from the step's text. Fixtures (settings, the
# client, whole search results and responses) are left out; repr() of those is megabytes.
SHOWN_ARGUMENT_TYPES = (str, int, float, bool)
MAX_SHOWN_ARGUMENT = 200


def _results_dir(config) -> Path | None:
    raw = getattr(config.option, "allure_report_dir", None)
    return Path(raw) if raw else None


# Where a run's evidence goes: beside its Allure results (gpc-assure's staging folder, which it publishes into
# the reports folder only once the run has executed scenarios), else the reports folder itself.
_evidence_base: list[Path] = []


def pytest_sessionstart(session):
    """A run that writes a report starts with no evidence left from an earlier run in its own folder."""
    results = _results_dir(session.config)
    _evidence_base[:] = [results.parent if results else reports_dir()]
    if results and not hasattr(session.config, "workerinput"):
        shutil.rmtree(_evidence_base[0] / EVIDENCE_DIR, ignore_errors=True)


@pytest.fixture(scope="session")
def settings():
    return load_settings()


@pytest.fixture(scope="session")
def provider_base_url(settings, worker_id):
    """The configured service root, or the bundled reference provider started for this run (one per
    parallel worker: a shared one would let one worker's bookings race another's slot comparisons)."""
    if not settings.uses_reference_provider:
        yield settings.base_url
        return
    log = reports_dir() / f"reference-provider-{worker_id}.log"
    try:
        provider = reference.start(settings, Path(log))
    except HarnessError as exc:
        pytest.exit(f"cannot start the reference provider (its log: {log}): {exc}", returncode=3)
    try:
        yield provider.base_url
    finally:
        provider.stop()


def attach_exchange(exchange: Exchange) -> None:
    status = exchange.status if exchange.error is None else "no response"
    path = exchange.url.split("?", 1)[0].rsplit("/", 2)
    reused = " (reused)" if exchange.reused else ""
    name = f"{exchange.method} {'/'.join(path[-2:]) if len(path) > 2 else exchange.url} -> {status}{reused}"
    base = _evidence_base[0] if _evidence_base else reports_dir()
    allure.attach(evidence(exchange, base), name=name, attachment_type=allure.attachment_type.TEXT)


@pytest.fixture(scope="session")
def gp_connect(settings, provider_base_url, request, worker_id):
    """The client; Find patient and slot searches answered earlier in this process are reused (see
    harness.transport.client.RUN_REUSE), a slot search only until the next write."""
    client = GpConnectClient(settings, provider_base_url, reuse=RUN_REUSE)
    if _results_dir(request.config):  # evidence only where a report is written (not in the fault matrix's runs)
        client.add_listener(attach_exchange)
    client.add_counter(RECORDER)
    yield client
    client.close()
    RECORDER.scenario = run_stats.OUTSIDE
    RECORDER.write(_results_dir(request.config) or reports_dir() / "run-stats", worker_id)


@pytest.fixture(autouse=True)
def _requests_of_scenario(request):
    """Count this scenario's exchanges and show the count in its report."""
    if not request.node.nodeid.startswith("steps/"):
        yield
        return
    RECORDER.scenario = request.node.nodeid.removeprefix("steps/")
    before = len(RECORDER.records)
    yield
    mine = RECORDER.records[before:]
    RECORDER.scenario = run_stats.OUTSIDE
    if mine:
        reused = sum(r.reused for r in mine)
        allure.attach(run_stats.scenario_csv(mine),
                      name=f"Requests of this scenario: {len(mine) - reused} sent, {reused} reused",
                      attachment_type=allure.attachment_type.CSV)


@pytest.hookimpl(trylast=True)
def pytest_bdd_before_step_call(request, feature, scenario, step, step_func, step_func_args):
    """Keep only short values parsed from the step's text among the step's report parameters."""
    listener = allure_bdd_listener(request.config)
    if listener is None:
        return
    from allure_pytest_bdd.steps import get_step_uuid

    with listener.lifecycle.update_step(uuid=get_step_uuid(step)) as step_result:
        if step_result is None:
            return
        shown = {name for name, value in step_func_args.items()
                 if isinstance(value, SHOWN_ARGUMENT_TYPES) and len(repr(value)) <= MAX_SHOWN_ARGUMENT}
        step_result.parameters = [p for p in step_result.parameters if p.name in shown]


def allure_bdd_listener(config):
    cached = getattr(config, "_gpc_allure_bdd_listener", False)
    if cached is not False:
        return cached
    found = None
    try:
        from allure_pytest_bdd.pytest_bdd_listener import PytestBDDListener
    except ImportError:
        PytestBDDListener = None
    if PytestBDDListener is not None:
        found = next((p for p in config.pluginmanager.get_plugins() if isinstance(p, PytestBDDListener)), None)
    config._gpc_allure_bdd_listener = found
    return found


def _injected(fixturedef) -> bool:
    return getattr(fixturedef.func, "__qualname__", "").startswith("inject_fixture.")


def drop_injected_fixtures(item, fixturemanager) -> int:
    """Unregister the fixtures pytest-bdd registered for this scenario's `target_fixture` values; how many.

    pytest-bdd registers each value a step returns as a fixture of the scenario's node (`lambda: value`)
    and never unregisters it, so a run would keep every scenario's search results and answers alive to
    its end: over 1 GB against a practice of 6,000 free slots. pytest keeps them by name, then by the
    node (or, for older plugins, the node id) they belong to."""
    dropped = 0
    for by_owner in (getattr(fixturemanager, "_arg2node2fixturedefs", {}),
                     getattr(fixturemanager, "_arg2nodeid2fixturedefs", {})):
        for name in list(by_owner):
            owners = by_owner[name]
            for owner in (item, item.nodeid):
                defs = owners.get(owner)
                if not defs:
                    continue
                kept = [d for d in defs if not _injected(d)]
                dropped += len(defs) - len(kept)
                if kept:
                    owners[owner] = kept
                else:
                    del owners[owner]
            if not owners:
                del by_owner[name]
    return dropped


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    try:
        return (yield)
    finally:
        drop_injected_fixtures(item, item.session._fixturemanager)
