"""Judge and go on: the oracle on every exchange, and every failed check recorded against its step.

- What a step's exchanges show wrong (harness/judge/oracle.py) is that step's failure in the report, with the
  offending resources and the request attached, and the scenario goes on.
- A Then step whose check fails is the failed step; the scenario goes on to its next check.
- A Given or When step that fails stops the scenario: the answer later steps need is unusable.
- At its end (or where it stopped) the scenario fails once, listing every failed check with its step
  (harness/outcome/findings.py); the JUnit XML carries each violation, and whether every step ran.

pytest-bdd runs each step through `pytest_bdd.scenario._execute_step_function`; this plugin wraps it
(pytest-bdd is pinned, and tests/unit/steps/test_judging.py holds the wrapper in place), because a hook
cannot let a scenario go on past a step that raised.
"""

from __future__ import annotations

import importlib

import allure
import pytest

from harness.errors import BROKEN, NONCONFORMANT, SKIPPED, HarnessError, MissingTestData, Nonconformance, outcome_of
from harness.judge.oracle import Oracle
from harness.outcome.findings import FAILED_STEP, Findings
from harness.report.allure import FailureEvidence
from harness.settings import reports_dir
from steps.common.fixtures import allure_bdd_listener

# The module, not the `scenario` function pytest_bdd exports under the same name.
bdd_scenario = importlib.import_module("pytest_bdd.scenario")
FINDINGS = pytest.StashKey[Findings]()
EVIDENCE = FailureEvidence()
THEN = "then"
# The exchanges of the scenario running in this process (one at a time: xdist workers are processes),
# where a Then step's failure finds the answer it judged.
_exchanges: list = []


@pytest.fixture(scope="session")
def oracle(settings, gp_connect):
    judge = Oracle(settings)
    gp_connect.add_listener(judge)
    gp_connect.add_listener(_exchanges.append)
    yield judge
    gp_connect.remove_listener(_exchanges.append)
    gp_connect.remove_listener(judge)


def step_text(step) -> str:
    return f"{step.keyword} {step.name}"


def pytest_bdd_before_scenario(request, feature, scenario):
    _exchanges.clear()
    request.getfixturevalue("oracle")
    request.node.stash[FINDINGS] = Findings(tags=tuple(m.args[0] for m in request.node.iter_markers("req")))


def _take(request) -> Nonconformance | None:
    return request.getfixturevalue("oracle").take(m.args[0] for m in request.node.iter_markers("req"))


@pytest.hookimpl(tryfirst=True)
def pytest_bdd_after_step(request, feature, scenario, step, step_func, step_func_args):
    """What this step's exchanges showed wrong makes it the failed step, and the scenario goes on."""
    found = _take(request)
    if found is None:
        return
    request.node.stash[FINDINGS].add(step_text(step), found)
    _attach(found)
    listener = allure_bdd_listener(request.config)
    if listener is not None:
        listener.pytest_bdd_step_error(request=request, feature=feature, scenario=scenario, step=step,
                                       step_func=step_func, step_func_args=step_func_args, exception=found)


@pytest.hookimpl(tryfirst=True)
def pytest_bdd_step_error(request, feature, scenario, step, step_func, step_func_args, exception):
    """A step that raised: what its exchanges showed wrong first, then its own failure (recorded by the
    step's runner), each with its evidence; a non-conformance carries no harness traceback."""
    findings = request.node.stash.get(FINDINGS, None)
    found = _take(request)
    if found is not None and findings is not None:
        findings.add(step_text(step), found)
        _attach(found)
    if outcome_of(exception) == NONCONFORMANT:
        if isinstance(exception, Nonconformance):
            _attach(exception)
        exception.__traceback__ = None


def _attach(found: Nonconformance) -> None:
    sources = found.sources or _sources_of(found)
    for exchange, violations in sources:
        for name, text in EVIDENCE.of(exchange, violations, reports_dir()):
            kind = allure.attachment_type.JSON if name.endswith("as returned") else allure.attachment_type.TEXT
            allure.attach(text, name=name, attachment_type=kind)


def _sources_of(found: Nonconformance) -> list:
    """The exchange of this scenario that a step's own failure names (its request line), latest first."""
    if not found.where or not found.violations:
        return []
    exchange = next((x for x in reversed(_exchanges) if x.short_request() == found.where), None)
    return [(exchange, list(found.violations))] if exchange is not None else []


def _why(exc: BaseException) -> tuple[str, str]:
    """How a stop is counted (its exception's outcome), and why, in one line."""
    if isinstance(exc, MissingTestData):
        return SKIPPED, f"test data missing: {exc}"
    if outcome_of(exc) == SKIPPED:
        return SKIPPED, str(getattr(exc, "msg", exc))
    kind = "" if isinstance(exc, HarnessError) else f"{type(exc).__name__}: "
    return BROKEN, f"could not reach a verdict: {kind}{exc}"


_run_step = bdd_scenario._execute_step_function


def _judged_step(request, scenario, step, context):
    findings = request.node.stash.get(FINDINGS, None)
    if findings is None:
        return _run_step(request, scenario, step, context)
    try:
        _run_step(request, scenario, step, context)
    except AssertionError as exc:  # a Nonconformance, or a plain assert standing for the scenario's tags
        findings.add(step_text(step), exc if isinstance(exc, Nonconformance) else Nonconformance(str(exc)))
        if step.type != THEN:
            findings.stop(step_text(step), FAILED_STEP, "the answer the later steps need broke a rule")
            raise findings.failure() from None
    except (Exception, pytest.skip.Exception, pytest.fail.Exception) as exc:
        if not findings.found:
            raise
        findings.stop(step_text(step), *_why(exc))
        raise findings.failure() from exc
    if step is scenario.steps[-1]:
        findings.completed = True
        found = findings.failure()
        if found is not None:
            raise found from None


bdd_scenario._execute_step_function = _judged_step


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Each violation, and whether every step ran, as the scenario's JUnit properties."""
    yield
    findings = item.stash.get(FINDINGS, None)
    if call.when == "call" and findings is not None and findings.found:
        item.user_properties.extend(findings.properties())
