"""Real Exchanges for unit tests of checks: a GpConnectClient on httpx.MockTransport answering
with the given status, body and headers."""

from __future__ import annotations

import hashlib
import json
import tempfile
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from harness import clock, locks
from harness.settings import CONFIG_DIR, load_settings
from harness.spec import interactions
from harness.spec.constants import UK
from harness.transport.client import FHIR_JSON, GpConnectClient

ROOT = "https://provider.example/A11111/STU3/1/gpconnect"

# The instant the unit tests' resources were written for: their Slots and Appointments start on 1 December
# 2026 and after. `make test` runs these tests again with the machine's clock moved (tests/conftest.py,
# --clock-at), so a rule that reads the real clock instead of the harness's one shows there.
TEST_NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UK)


@pytest.fixture(autouse=True)
def harness_clock():
    """The harness's clock, standing at TEST_NOW for the test."""
    with clock.set_to(TEST_NOW) as now:
        yield now


@pytest.fixture
def exchange_of():
    """exchange_of(status, body=None, headers=None, interaction=READ_APPOINTMENT, path=...) -> Exchange.

    A dict body is sent as FHIR JSON, a str as it is; headers default to Cache-Control: no-store and
    the FHIR JSON content type."""
    clients = []

    def make(status: int, body=None, headers: dict | None = None, interaction=interactions.READ_APPOINTMENT,
             path: str = "Appointment/52", params=None):
        text = json.dumps(body) if isinstance(body, dict) else (body or "")
        answer = {"Cache-Control": "no-store", "Content-Type": FHIR_JSON} if headers is None else headers

        def handler(request: httpx.Request):
            return httpx.Response(status, content=text.encode(), headers=answer)

        client = GpConnectClient(load_settings({"GPC_ENV": "reference"}), ROOT, transport=httpx.MockTransport(handler))
        clients.append(client)
        return client.send(interaction, path, params=params)

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def practice_store(tmp_path):
    """The reference practice's SQLite store in tmp_path, not yet initialised; every connection closed after."""
    from reference_provider.store import Store

    store = Store(tmp_path / "practice.sqlite")
    yield store
    store.close()


@pytest.fixture
def config_dir():
    """config_dir(exclusive) -> a context holding the clone's config folder: exclusively while a test keeps a
    configuration file of its own there, shared while one reads every file in it. Parallel workers share the
    folder, and a reader must not take a writer's file for a shipped one."""
    name = hashlib.sha1(str(CONFIG_DIR).encode()).hexdigest()[:12]
    path = Path(tempfile.gettempdir()) / f"gpc-assure-config-{name}.lock"

    @contextmanager
    def holding(exclusive: bool):
        with open(path, "a+") as fh, locks.holding(fh, exclusive=exclusive):
            yield CONFIG_DIR

    return holding
