"""HTTP proxies as corporate networks set them: the bundled provider and loopback never go through the
environment's proxy, a real provider is reached through GPC_PROXY_URL (a small forward proxy here), a dead
proxy is a one-line exit 2 naming it, and a bundled provider that does not start leaves the last report."""

import sys
import time

from harness.cli import bundled_provider as reference
from harness.settings import load_settings
from tests.resilience.relay import Relay, relaying

SUBSET = "every_free_slot_carries or longer_than_14_days or appointment_this_run_booked_is_returned"
DEAD = "http://127.0.0.1:9"  # the discard port: nothing listens on it
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


class ForwardProxy(Relay):
    """An HTTP forward proxy: a request line carrying an absolute URL is sent on to it."""

    def target(self) -> str:
        return self.path


def _assure(run_suite, tmp_path, *args, **settings):
    return run_suite(command=(sys.executable, "-m", "harness", "assure", "-q", "-p", "no:randomly", *args),
                     GPC_STATE_DIR=str(tmp_path / "state"), GPC_TIMEOUT_S="10", **settings)


def test_the_bundled_provider_is_reached_directly_whatever_proxy_the_environment_names(run_suite, tmp_path):
    run = _assure(run_suite, tmp_path, "-k", SUBSET, **{name: DEAD for name in PROXY_VARIABLES})
    assert run.returncode == 0, run.explain()
    assert len(run.outcomes) == 3 and "CONFORMANT" in run.stdout


def test_a_provider_is_reached_through_gpc_proxy_url(run_suite, tmp_path):
    provider = reference.start(load_settings({"GPC_ENV": "reference"}), tmp_path / "provider.log")
    try:
        with relaying(ForwardProxy) as (handler, url):
            run = _assure(run_suite, tmp_path, "-k", SUBSET, GPC_BASE_URL=provider.base_url,
                          GPC_ALLOW_WRITES="true", GPC_PROXY_URL=url)
    finally:
        provider.stop()
    assert run.returncode == 0, run.explain()
    assert any(s.startswith(f"GET {provider.base_url}/metadata") for s in handler.seen)
    assert any(s.startswith(f"GET {provider.base_url}/Slot?") for s in handler.seen)
    assert any(s.startswith(f"POST {provider.base_url}/Appointment") for s in handler.seen)


def test_a_dead_proxy_is_one_line_and_exit_2_in_seconds(run_suite, tmp_path):
    provider = reference.start(load_settings({"GPC_ENV": "reference"}), tmp_path / "provider.log")
    started = time.monotonic()
    try:
        run = _assure(run_suite, tmp_path, "-k", SUBSET, GPC_BASE_URL=provider.base_url, GPC_PROXY_URL=DEAD)
    finally:
        provider.stop()
    took = time.monotonic() - started
    assert run.returncode == 2, run.explain()
    said = [line for line in run.stdout.splitlines() + run.stderr.splitlines() if "through the proxy" in line]
    assert said and f"through the proxy {DEAD}" in said[0] and "Traceback" not in run.stderr
    print(f"dead proxy refused in {took:.1f} s")  # measured, not asserted: a shared machine is noisy


def test_a_bundled_provider_that_does_not_start_leaves_the_last_report(run_suite, tmp_path):
    first = _assure(run_suite, tmp_path, "-k", "every_free_slot_carries")
    assert first.returncode == 0, first.explain()
    index = first.reports / "html" / "index.html"
    evidence = sorted(p.name for p in (first.reports / "evidence").iterdir())
    built = index.stat().st_mtime_ns
    # A provider that never answers in time: each start-up probe times out until the start-up gives up.
    again = _assure(run_suite, tmp_path, "-k", "every_free_slot_carries", GPC_REFERENCE_LATENCY_MS="60000")
    assert again.returncode == 3, again.explain()
    assert "cannot start the reference provider (its log: " in again.stdout + again.stderr
    assert "the last report is left as it was" in again.stdout + again.stderr
    assert index.stat().st_mtime_ns == built
    assert sorted(p.name for p in (first.reports / "evidence").iterdir()) == evidence
