"""A scenario's target_fixture values do not outlive it (pytest-bdd registers them and never unregisters)."""

from types import SimpleNamespace

from pytest_bdd.compat import inject_fixture

from steps.common.fixtures import drop_injected_fixtures


class Node:
    def __init__(self, nodeid):
        self.nodeid = nodeid


class FixtureManager:
    """The part of pytest's FixtureManager that pytest-bdd registers into (pytest 9.2)."""

    def __init__(self):
        self._arg2node2fixturedefs = {}

    def _register_fixture(self, *, name, func, node=None, nodeid=None):
        owner = node if node is not None else nodeid
        self._arg2node2fixturedefs.setdefault(name, {}).setdefault(owner, []).insert(0, SimpleNamespace(func=func))


def test_the_values_pytest_bdd_injected_for_a_scenario_are_dropped_and_nothing_else():
    manager = FixtureManager()
    scenario = Node("steps/test_x.py::test_one")
    other = Node("steps/test_x.py::test_two")
    request = SimpleNamespace(node=scenario, _fixturemanager=manager,
                              _get_active_fixturedef=lambda arg: SimpleNamespace())
    big = ["a whole search result"] * 1000
    inject_fixture(request, "search_result", big)
    inject_fixture(request, "appointment", {"id": "1"})
    own = SimpleNamespace(func=lambda: "a fixture of the step module")
    manager._arg2node2fixturedefs["search_result"][other] = [own]
    assert manager._arg2node2fixturedefs["search_result"][scenario][0].func() is big

    assert drop_injected_fixtures(scenario, manager) == 2
    assert manager._arg2node2fixturedefs == {"search_result": {other: [own]}}
    assert drop_injected_fixtures(scenario, manager) == 0
