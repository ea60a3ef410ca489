"""A provider that misbehaves never crashes or hangs the run: each affected scenario fails with a
one-line cause and its evidence, the other scenarios still run, and the run ends in bounded time
with an exit code that tells non-conformance from an unreachable environment."""

import re
import sys
import time

import pytest

SCENARIOS = "every_free_slot_carries or longer_than_14_days"
CASES = [
    # mode, expected exit code, words of the one-line cause
    ("refused", 2, "cannot connect"),
    ("reset", 2, "connection"),
    ("read-timeout", 2, "read timed out"),
    ("slow-drip", 2, r"response not complete within 2 s"),
    ("html-500", 1, r"got (HTTP )?500|HTTP 500 response is text/html, not application/fhir\+json"
                    r"|HTTP 500 to GET \S+: Content-Type is 'text/html'"),
    ("invalid-json", 1, r"response body is not valid JSON|got HTTP 200"),
    ("wrong-content-type", 1, r"HTTP 200 response is text/plain, not application/fhir\+json|got HTTP 200"
                              r"|HTTP 200 to GET \S+: Content-Type is 'text/plain'"),
    ("truncated", 2, "provider broke the HTTP exchange"),
    ("huge", 2, r"response body larger than GPC_MAX_BODY_MB=10 MB; raise GPC_MAX_BODY_MB to admit it"),
    ("redirect", 1, r"got (HTTP )?302"),
]


@pytest.mark.parametrize("mode,code,cause", CASES, ids=[c[0] for c in CASES])
def test_misbehaving_provider(mode, code, cause, misbehaving, run_suite):
    base_url = misbehaving(mode)
    began = time.monotonic()
    run = run_suite(command=(sys.executable, "-m", "harness", "assure", "-q", "-p", "no:randomly", "-k", SCENARIOS,
                             "--no-preflight"),
                    GPC_BASE_URL=base_url, GPC_TIMEOUT_S="2", GPC_SCENARIO_TIMEOUT_S="30", GPC_ALLOW_WRITES="false",
                    GPC_MAX_BODY_MB="10")
    elapsed = time.monotonic() - began
    assert run.returncode == code, run.stdout[-1500:] + run.stderr[-1500:]
    assert elapsed < 120, f"run took {elapsed:.0f} s"
    assert len(run.outcomes) == 2, "both scenarios ran: one misbehaving answer does not stop the run"
    for outcome in run.outcomes:
        assert outcome.outcome == "failed"
        assert re.search(cause, outcome.message), outcome.message
        assert "\n" not in outcome.message.strip() and "Traceback" not in outcome.message
    attachments = list((run.reports / "allure-results").glob("*-attachment.txt"))
    assert attachments and all("GET http://127.0.0.1:" in p.read_text(errors="replace") for p in attachments)
    assert (run.reports / "html" / "index.html").exists()
    if mode == "redirect":
        assert misbehaving.handler.other_server.RequestHandlerClass.seen == [], "the redirect was followed"
