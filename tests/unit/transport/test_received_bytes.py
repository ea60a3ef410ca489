"""A large UTF-8 body's bytes serve its JSON, digest and gzip while it is judged (Exchange.received): the same
values its text gives."""

import gzip
import json

from harness.transport.exchange import Exchange, body_text_digest


def _answer(body: str, raw: bytes | None) -> Exchange:
    exchange = Exchange("search for free slots", "GET", "https://p.example/Slot", {}, None, None, status=200,
                        response_headers={"Content-Type": "application/fhir+json;charset=utf-8"})
    exchange.received(body, raw)
    return exchange


def test_the_bytes_a_body_came_as_give_what_its_text_gives():
    body = json.dumps({"resourceType": "Bundle", "type": "searchset", "entry": [
        {"resource": {"resourceType": "Slot", "id": str(i), "comment": "Zoë’s clinic ✓"}} for i in range(2000)]},
        ensure_ascii=False)
    raw = body.encode("utf-8")
    assert len(raw) > 64 * 1024
    with_bytes, text_only = _answer(body, raw), _answer(body, None)
    assert with_bytes.body_digest() == text_only.body_digest() == body_text_digest(body)
    assert with_bytes.json() == text_only.json() == json.loads(body)
    assert gzip.decompress(with_bytes.gzipped()) == raw
    with_bytes.forget_bytes()
    assert with_bytes.response_text == body and with_bytes.json() == json.loads(body)
