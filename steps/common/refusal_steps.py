"""Steps shared by every use case's error scenarios, and the scenario's requirement tags they judge by."""

import pytest
from pytest_bdd import parsers, then

from harness.checks.refusals import refusal_rule, refusal_violations
from harness.checks.violations import fail_if_any


@pytest.fixture
def scenario_requirements(request) -> tuple[str, ...]:
    """The requirement ids the scenario is tagged with (@req:...), in tag order."""
    return tuple(m.args[0] for m in request.node.iter_markers("req"))


@then(parsers.re(r"the provider refuses it with (?P<status>\d{3}) (?P<code>[A-Z_]+)"))
def refused_with(response, status, code, scenario_requirements):
    fail_if_any(refusal_violations(response, refusal_rule(scenario_requirements), int(status), code),
                response.short_request())


@then("the provider refuses it with an error")
def refused(response, scenario_requirements):
    fail_if_any(refusal_violations(response, refusal_rule(scenario_requirements)), response.short_request())


@then(parsers.parse("the provider refuses it with HTTP {status:d}"))
def refused_with_status(response, status, scenario_requirements):
    fail_if_any(refusal_violations(response, refusal_rule(scenario_requirements), status), response.short_request())
