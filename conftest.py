"""Root pytest configuration: shared steps, @req tags, and start-up validation of settings."""

from __future__ import annotations

import pytest

from harness.settings import ConfigError, load_settings

pytest_plugins = [
    "steps.common.fixtures",
    "steps.common.refusal_steps",
]


def pytest_configure(config):
    config.addinivalue_line("markers", "req(id): the spec requirement a scenario verifies")


def pytest_bdd_apply_tag(tag, function):
    """@req:SLOT-TYPE-01 becomes pytest.mark.req('SLOT-TYPE-01')."""
    if tag.startswith("req:"):
        pytest.mark.req(tag[4:])(function)
        return True
    return None


def pytest_collection_modifyitems(session, config, items):
    """Stop with one line naming the bad key before any assurance scenario runs."""
    if any(item.nodeid.startswith("steps/") for item in items):
        try:
            load_settings()
        except ConfigError as exc:
            raise pytest.UsageError(f"configuration: {exc}") from None
