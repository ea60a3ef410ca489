"""The GP Connect client: headers, JWT, redaction, routing, transport failures (httpx.MockTransport)."""

import json
import uuid

import httpx
import jwt
import pytest

from harness.errors import HarnessError, Nonconformance
from harness.settings import load_settings
from harness.spec import interactions
from harness.transport.client import REDACTED, GpConnectClient

ROOT = "https://provider.example/A11111/STU3/1/gpconnect"


def make_client(handler, **overrides):
    settings = load_settings({"GPC_ENV": "reference", **overrides})
    return GpConnectClient(settings, ROOT, transport=httpx.MockTransport(handler))


def capture():
    seen = []

    def handler(request: httpx.Request):
        seen.append(request)
        return httpx.Response(200, json={"resourceType": "Bundle", "type": "searchset"},
                              headers={"Content-Type": "application/fhir+json;charset=utf-8"})

    return seen, handler


@pytest.mark.parametrize("interaction", interactions.ALL, ids=lambda i: i.name)
def test_every_request_carries_ssp_headers_and_content_types(interaction):
    seen, handler = capture()
    client = make_client(handler)
    client.send(interaction, "Anything", body={"resourceType": "Appointment"} if interaction.method != "GET" else None)
    request = seen[0]
    uuid.UUID(request.headers["Ssp-TraceID"])
    assert request.headers["Ssp-From"] == "200000000359"
    assert request.headers["Ssp-To"] == "918999199001"
    assert request.headers["Ssp-InteractionID"] == interaction.interaction_id
    assert request.headers["Accept"] == "application/fhir+json;charset=utf-8"
    if interaction.method != "GET":
        assert request.headers["Content-Type"] == "application/fhir+json;charset=utf-8"


def test_trace_id_is_new_for_every_request():
    seen, handler = capture()
    client = make_client(handler)
    client.send(interactions.METADATA, "metadata")
    client.send(interactions.METADATA, "metadata")
    assert seen[0].headers["Ssp-TraceID"] != seen[1].headers["Ssp-TraceID"]


@pytest.mark.parametrize("interaction", interactions.ALL, ids=lambda i: i.name)
def test_jwt_is_unsigned_with_all_ten_claims_and_the_interaction_scope(interaction):
    seen, handler = capture()
    make_client(handler).send(interaction, "x")
    token = seen[0].headers["Authorization"].removeprefix("Bearer ")
    assert token.endswith("."), "unsigned JWT keeps its trailing dot"
    assert jwt.get_unverified_header(token) == {"alg": "none", "typ": "JWT"}
    claims = jwt.decode(token, options={"verify_signature": False, "verify_exp": False, "verify_aud": False})
    assert set(claims) == {"iss", "sub", "aud", "exp", "iat", "reason_for_request", "requested_scope",
                           "requesting_device", "requesting_organization", "requesting_practitioner"}
    assert claims["exp"] == claims["iat"] + 300
    assert claims["requested_scope"] == interaction.scope
    assert claims["reason_for_request"] == "directcare"
    assert claims["aud"] == ROOT
    assert claims["sub"] == claims["requesting_practitioner"]["id"]
    assert claims["requesting_organization"]["identifier"][0] == {
        "system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "Y90001"}


def test_each_request_gets_a_fresh_token(monkeypatch):
    seen, handler = capture()
    client = make_client(handler)
    times = iter([1_800_000_000, 1_800_000_007])

    class Clock:
        @staticmethod
        def time():
            return next(times)

    monkeypatch.setattr("harness.transport.jwt.time", Clock)
    client.send(interactions.METADATA, "metadata")
    client.send(interactions.METADATA, "metadata")
    assert seen[0].headers["Authorization"] != seen[1].headers["Authorization"]


def test_evidence_redacts_the_bearer_token_and_shows_decoded_claims():
    seen, handler = capture()
    client = make_client(handler)
    shown = []
    client.add_listener(shown.append)
    exchange = client.send(interactions.SEARCH_SLOTS, "Slot", params=[("status", "free")])
    token = seen[0].headers["Authorization"].removeprefix("Bearer ")
    text = exchange.render()
    assert shown == [exchange]
    assert exchange.request_headers["Authorization"] == REDACTED
    assert token not in text and token.split(".")[1] not in text
    assert '"requested_scope": "organization/*.read"' in text
    assert "HTTP 200" in text
    assert "Bearer" not in repr(client) and token not in repr(client)


def test_search_parameters_are_percent_encoded():
    seen, handler = capture()
    make_client(handler).send(interactions.SEARCH_SLOTS, "Slot", params=[
        ("start", "ge2026-12-01T10:05:00+00:00"), ("searchFilter", "https://fhir.nhs.uk/Id/ods-organization-code|A1")])
    query = seen[0].url.query.decode()
    assert "start=ge2026-12-01T10%3A05%3A00%2B00%3A00" in query
    assert "%7CA1" in query


def test_service_root_with_a_path_is_kept():
    seen, handler = capture()
    make_client(handler).send(interactions.METADATA, "metadata")
    assert str(seen[0].url) == ROOT + "/metadata"


def test_ssp_prefix_routes_to_the_provider_service_root():
    seen, handler = capture()
    make_client(handler, GPC_SSP_URL="https://proxy.example").send(interactions.METADATA, "metadata")
    assert str(seen[0].url) == "https://proxy.example/" + ROOT + "/metadata"


def test_omitted_headers_and_replaced_claims_are_sent_as_asked():
    seen, handler = capture()
    client = make_client(handler)
    claims = client.claims_for(interactions.METADATA)
    claims["exp"] = claims["iat"] + 299
    client.send(interactions.METADATA, "metadata", omit_headers=["Ssp-From"], claims=claims)
    assert "Ssp-From" not in seen[0].headers
    token = seen[0].headers["Authorization"].removeprefix("Bearer ")
    assert jwt.decode(token, options={"verify_signature": False, "verify_exp": False,
                                      "verify_aud": False})["exp"] == claims["iat"] + 299


def test_connection_failure_is_one_line_harness_error_and_still_evidenced():
    def handler(request):
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    client = make_client(handler)
    shown = []
    client.add_listener(shown.append)
    with pytest.raises(HarnessError) as err:
        client.send(interactions.METADATA, "metadata")
    assert str(err.value).startswith("read metadata: cannot connect: [Errno 111] Connection refused")
    assert "\n" not in str(err.value)
    assert shown and shown[0].error


def test_non_json_body_is_a_nonconformance_naming_the_request():
    client = make_client(lambda r: httpx.Response(200, text="<html>oops</html>",
                                                  headers={"Content-Type": "application/fhir+json;charset=utf-8"}))
    exchange = client.send(interactions.METADATA, "metadata")
    with pytest.raises(Nonconformance, match=r"response body is not valid JSON .* starts '<html>oops</html>' "
                                             r"\(GET \.\.\./metadata\)"):
        exchange.json()


def test_a_body_that_is_not_fhir_json_is_a_nonconformance():
    client = make_client(lambda r: httpx.Response(500, text="<html>Server Error</html>",
                                                  headers={"Content-Type": "text/html"}))
    with pytest.raises(Nonconformance, match=r"^HTTP 500 response is text/html, not application/fhir\+json; starts "
                                             r"'<html>Server Error</html>' \(GET \.\.\./metadata\)$"):
        client.send(interactions.METADATA, "metadata").json()


def test_a_body_over_the_cap_is_refused_in_one_line_naming_the_setting():
    client = make_client(lambda r: httpx.Response(200, content=b" " * (3 * 1024 * 1024 + 1)), GPC_MAX_BODY_MB="3")
    with pytest.raises(HarnessError, match=r"^read metadata: response body larger than GPC_MAX_BODY_MB=3 MB; raise "
                                           r"GPC_MAX_BODY_MB to admit it \(GET \.\.\./metadata\)$"):
        client.send(interactions.METADATA, "metadata")


def test_a_body_at_the_cap_is_read_and_the_default_admits_a_hub():
    body = b" " * (3 * 1024 * 1024)
    assert len(make_client(lambda r: httpx.Response(200, content=body), GPC_MAX_BODY_MB="3")
               .send(interactions.METADATA, "metadata").response_text) == len(body)
    assert load_settings({"GPC_ENV": "reference"}).max_body_mb == 64


def test_body_is_sent_as_json():
    seen, handler = capture()
    make_client(handler).send(interactions.BOOK_APPOINTMENT, "Appointment", body={"resourceType": "Appointment"})
    assert json.loads(seen[0].content) == {"resourceType": "Appointment"}


@pytest.mark.parametrize("charset, content, text", [
    ("utf-8", "Zoë ✓".encode() * 20_000, "Zoë ✓" * 20_000),
    ("utf-8", b"\xff" + b" " * 100_000, "\ufffd" + " " * 100_000),  # not UTF-8: replaced, as ever
    ("iso-8859-1", "Zoë".encode("latin-1") * 40_000, "Zoë" * 40_000),
])
def test_a_large_body_reads_as_its_charset_gives_it(charset, content, text):
    client = make_client(lambda r: httpx.Response(200, content=content,
                                                  headers={"Content-Type": f"application/fhir+json;charset={charset}"}))
    exchange = client.send(interactions.METADATA, "metadata")
    assert exchange.response_text == text
    assert exchange._raw is None, "the bytes are dropped once the listeners ran"
