"""Session fixtures: settings, the provider under test, and the GP Connect client."""

from __future__ import annotations

from pathlib import Path

import allure
import pytest

from harness import reference
from harness.client import Exchange, GpConnectClient
from harness.errors import HarnessError
from harness.settings import load_settings, reports_dir


@pytest.fixture(scope="session")
def settings():
    return load_settings()


@pytest.fixture(scope="session")
def provider_base_url(settings, worker_id):
    """The configured service root, or the bundled reference provider started for this run."""
    if not settings.uses_reference_provider:
        yield settings.base_url
        return
    log = reports_dir() / f"reference-provider-{worker_id}.log"
    try:
        provider = reference.start(settings, Path(log))
    except HarnessError as exc:
        pytest.exit(f"cannot start the reference provider: {exc}", returncode=3)
    try:
        yield provider.base_url
    finally:
        provider.stop()


def attach_exchange(exchange: Exchange) -> None:
    status = exchange.status if exchange.error is None else "no response"
    path = exchange.url.split("?", 1)[0].rsplit("/", 2)
    name = f"{exchange.method} {'/'.join(path[-2:]) if len(path) > 2 else exchange.url} -> {status}"
    allure.attach(exchange.render(), name=name, attachment_type=allure.attachment_type.TEXT)


@pytest.fixture(scope="session")
def gp_connect(settings, provider_base_url):
    client = GpConnectClient(settings, provider_base_url)
    client.add_listener(attach_exchange)
    yield client
    client.close()

