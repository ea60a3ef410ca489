"""Report step parameters keep short values parsed from the step's text, never whole objects."""

from contextlib import contextmanager
from types import SimpleNamespace

from allure_commons.model2 import Parameter

from steps.common import fixtures


class FakeLifecycle:
    def __init__(self, step_result):
        self.step_result = step_result

    @contextmanager
    def update_step(self, uuid=None):
        yield self.step_result


def test_only_short_text_values_stay_as_step_parameters(monkeypatch):
    step_result = SimpleNamespace(parameters=[Parameter(name=n, value="...") for n in
                                              ("settings", "response", "status", "interaction", "count", "long")])
    listener = SimpleNamespace(lifecycle=FakeLifecycle(step_result))
    config = SimpleNamespace(_gpc_allure_bdd_listener=listener)
    request = SimpleNamespace(config=config)
    args = {"settings": object(), "response": {"body": "x" * 10}, "status": 422, "interaction": "book an appointment",
            "count": 3, "long": "y" * 500}
    fixtures.pytest_bdd_before_step_call(request, None, None, SimpleNamespace(), None, args)
    assert [p.name for p in step_result.parameters] == ["status", "interaction", "count"]


def test_without_the_allure_plugin_nothing_happens():
    config = SimpleNamespace(_gpc_allure_bdd_listener=None)
    assert fixtures.pytest_bdd_before_step_call(SimpleNamespace(config=config), None, None, None, None, {}) is None
