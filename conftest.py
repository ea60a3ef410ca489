"""Root pytest configuration: shared steps, @req tags, and start-up validation of settings."""

from __future__ import annotations

import signal

import allure
import pytest

from harness.requirements import catalogue
from harness.settings import ConfigError, load_settings

pytest_plugins = [
    "steps.common.fixtures",
    "steps.common.refusal_steps",
    "steps.common.appointment_steps",
]


def pytest_addoption(parser):
    parser.addoption("--req", action="append", default=[], metavar="ID[,ID]",
                     help="run only scenarios tagged with one of these requirement ids (repeatable)")


def pytest_configure(config):
    config.addinivalue_line("markers", "req(id): the spec requirement a scenario verifies")
    config.addinivalue_line("markers", "writes: the scenario books, amends or cancels appointments")
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


def pytest_collection_modifyitems(session, config, items):
    """Record each scenario's requirements, and stop with one line on a bad setting."""
    _select_by_requirement(config, items)
    assurance = [item for item in items if item.nodeid.startswith("steps/")]
    for item in assurance:
        for mark in item.iter_markers("req"):
            item.user_properties.append(("req", mark.args[0]))
    if assurance:
        try:
            settings = load_settings()
        except ConfigError as exc:
            raise pytest.UsageError(f"configuration: {exc}") from None
        guard = pytest.mark.timeout(settings.scenario_timeout_s, method="signal")
        for item in assurance:
            item.add_marker(guard)
        if not settings.allow_writes:
            skip = pytest.mark.skip(reason="not assured: writes are not allowed in this environment (GPC_ALLOW_WRITES=false)")
            for item in assurance:
                if item.get_closest_marker("writes"):
                    item.add_marker(skip)


def _select_by_requirement(config, items):
    """--req SLOT-TYPE-01[,BOOK-01]: keep only scenarios tagged with one of the ids."""
    wanted = {r.strip() for arg in config.getoption("req") for r in arg.split(",") if r.strip()}
    if not wanted:
        return
    unknown = sorted(wanted - set(catalogue()))
    if unknown:
        raise pytest.UsageError(f"--req {unknown[0]} is not in spec/requirements.csv")
    keep, drop = [], []
    for item in items:
        tagged = {m.args[0] for m in item.iter_markers("req")}
        (keep if tagged & wanted else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.hookimpl(trylast=True)
def pytest_bdd_before_scenario(request, feature, scenario):
    """Each @req tag becomes a link to the spec page and a line of the scenario's description."""
    if request.config.pluginmanager.get_plugin("allure_pytest_bdd") is None or not request.config.option.allure_report_dir:
        return
    lines = []
    for mark in request.node.iter_markers("req"):
        req = catalogue()[mark.args[0]]
        allure.dynamic.link(req.url, name=f"{req.id} ({req.level})")
        lines.append(f"{req.id} ({req.level}): {req.text}")
    if lines:
        allure.dynamic.description("Requirements verified:\n\n" + "\n\n".join(lines))
