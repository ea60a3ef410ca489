"""Mutual TLS against the reference provider served over TLS (certificates made here with trustme),
the one-line errors of a wrong CA or a missing client certificate, no secret in any file the run
writes, and routing through a Spine Secure Proxy style prefix."""

import re
import sys

import pytest
import trustme

from harness.cli import bundled_provider as reference
from harness.settings import load_settings
from tests.resilience.relay import Relay, relaying

SUBSET = "every_free_slot_carries or longer_than_14_days or appointment_this_run_booked_is_returned"


@pytest.fixture
def pki(tmp_path):
    ca = trustme.CA()
    server = ca.issue_cert("127.0.0.1", "localhost")
    client = ca.issue_cert("gpc-assurance-consumer.invalid")
    files = {
        "ca": tmp_path / "ca.pem", "server_cert": tmp_path / "server.pem", "server_key": tmp_path / "server.key",
        "client_cert": tmp_path / "client.pem", "client_key": tmp_path / "client.key",
    }
    ca.cert_pem.write_to_path(str(files["ca"]))
    server.cert_chain_pems[0].write_to_path(str(files["server_cert"]))
    server.private_key_pem.write_to_path(str(files["server_key"]))
    client.cert_chain_pems[0].write_to_path(str(files["client_cert"]))
    client.private_key_pem.write_to_path(str(files["client_key"]))
    return files


@pytest.fixture
def tls_provider(pki, tmp_path):
    running = reference.start(load_settings({"GPC_ENV": "reference"}), tmp_path / "provider.log", tls={
        "certfile": str(pki["server_cert"]), "keyfile": str(pki["server_key"]), "client_ca": str(pki["ca"]),
        "ca": str(pki["ca"]), "client_cert": str(pki["client_cert"]), "client_key": str(pki["client_key"])})
    yield running
    running.stop()


def _assure(run_suite, base_url, tmp_path, **settings):
    return run_suite(command=(sys.executable, "-m", "harness", "assure", "-q", "-p", "no:randomly", "-k", SUBSET),
                     GPC_BASE_URL=base_url, GPC_STATE_DIR=str(tmp_path / "state"), GPC_TIMEOUT_S="10", **settings)


def test_mutual_tls_run_passes_and_leaves_no_secret_in_any_file(tls_provider, pki, run_suite, tmp_path):
    assert tls_provider.base_url.startswith("https://")
    run = _assure(run_suite, tls_provider.base_url, tmp_path, GPC_CA_BUNDLE=str(pki["ca"]),
                  GPC_CLIENT_CERT=str(pki["client_cert"]), GPC_CLIENT_KEY=str(pki["client_key"]),
                  GPC_ALLOW_WRITES="true")
    assert run.returncode == 0, run.explain()
    assert len(run.outcomes) == 3 and not run.by_outcome("skipped")

    secrets = {"private key": pki["client_key"].read_text(), "client certificate": pki["client_cert"].read_text()}
    needles = {name: [line for line in pem.splitlines() if len(line) > 40] for name, pem in secrets.items()}
    token_header = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0"
    written = [p for p in run.reports.rglob("*") if p.is_file()]
    written += [p for p in (tmp_path / "state").rglob("*") if p.is_file()]
    assert any(p.name == "junit.xml" for p in written) and any(p.name == "index.html" for p in written)
    for path in written:
        text = path.read_text(errors="replace")
        assert "PRIVATE KEY" not in text and token_header not in text, path.name
        for name, lines in needles.items():
            assert not any(line in text for line in lines), f"{name} content in {path.name}"


def _tls_failures(run) -> list[str]:
    """The one-line causes a TLS failure left: each scenario's message, or the run's own line when it
    stopped before any scenario. Never empty, so the assertions on them cannot pass vacuously."""
    messages = [o.message.strip() for o in run.outcomes if o.outcome in ("failed", "error")]
    if not run.outcomes:
        messages = [line for line in run.stderr.splitlines() if "TLS:" in line]
    assert messages, "the run left no failure naming its cause: " + run.explain()
    assert len(messages) == len(run.outcomes) or not run.outcomes, "some scenarios passed without TLS"
    assert all("\n" not in m for m in messages), messages
    return messages


def test_a_wrong_ca_is_a_one_line_error(tls_provider, run_suite, tmp_path, pki):
    other = trustme.CA()
    wrong = tmp_path / "other-ca.pem"
    other.cert_pem.write_to_path(str(wrong))
    run = _assure(run_suite, tls_provider.base_url, tmp_path, GPC_CA_BUNDLE=str(wrong),
                  GPC_CLIENT_CERT=str(pki["client_cert"]), GPC_CLIENT_KEY=str(pki["client_key"]))
    assert run.returncode == 2, run.explain()
    for message in _tls_failures(run):
        assert "TLS: the provider's certificate is not trusted (check GPC_CA_BUNDLE)" in message


def test_verification_is_on_by_default(tls_provider, run_suite, tmp_path):
    run = _assure(run_suite, tls_provider.base_url, tmp_path)
    assert run.returncode == 2, run.explain()
    assert all("certificate is not trusted" in message for message in _tls_failures(run))


def test_a_missing_client_certificate_is_a_one_line_error(tls_provider, run_suite, tmp_path, pki):
    run = _assure(run_suite, tls_provider.base_url, tmp_path, GPC_CA_BUNDLE=str(pki["ca"]))
    assert run.returncode == 2, run.explain()
    for message in _tls_failures(run):
        assert re.search(r"TLS: the provider refused the connection for want of an acceptable client certificate"
                         r"|TLS: the provider closed the connection; it may require a client certificate", message), \
            message


class Proxy(Relay):
    """Forwards https://proxy/<service root>/<request> to <service root>/<request>, as the SSP does."""

    def target(self) -> str:
        return self.path[1:]


def test_ssp_prefix_routes_every_request_through_the_proxy(run_suite, tmp_path):
    provider = reference.start(load_settings({"GPC_ENV": "reference"}), tmp_path / "provider.log")
    try:
        with relaying(Proxy) as (handler, url):
            run = _assure(run_suite, provider.base_url, tmp_path, GPC_ALLOW_WRITES="true", GPC_SSP_URL=url)
    finally:
        provider.stop()
    assert run.returncode == 0, run.explain()
    paths = [seen.split(" ", 1)[1] for seen in handler.seen]
    assert paths and all(p.startswith(f"/{provider.base_url}/") for p in paths)
    assert any(p.startswith(f"/{provider.base_url}/Slot?") for p in paths)
    assert any(p.startswith(f"/{provider.base_url}/Appointment") for p in paths)
