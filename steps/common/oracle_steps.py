"""The oracle on every scenario: what any exchange of a step shows wrong fails that step's scenario."""

from __future__ import annotations

import pytest

from harness.oracle import Oracle


@pytest.fixture(scope="session")
def oracle(settings, gp_connect):
    judge = Oracle(settings)
    gp_connect.add_listener(judge)
    yield judge
    gp_connect.remove_listener(judge)


def pytest_bdd_before_scenario(request, feature, scenario):
    request.getfixturevalue("oracle")


@pytest.hookimpl(trylast=True)
def pytest_bdd_after_step(request, feature, scenario, step, step_func, step_func_args):
    found = request.getfixturevalue("oracle").take(m.args[0] for m in request.node.iter_markers("req"))
    if found is not None:
        raise found


def pytest_bdd_step_error(request, feature, scenario, step, step_func, step_func_args, exception):
    request.getfixturevalue("oracle").discard()
