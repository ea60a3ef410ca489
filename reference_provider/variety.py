"""Variety mode: the same conformant provider, presented the way another supplier's system might be.

`python -m reference_provider --variety` (the harness: `GPC_REFERENCE_VARIETY=true`) puts this one
ASGI layer around the provider. The provider inside is unchanged; the layer translates both ways:

- ids: every resource's logical id is a UUID, stable per row (a name-based UUID of its type and
  internal id); references, the request path and the request body are translated back on the way in.
  An id this provider never gave out stands for no row at all.
- Bundle entries are shuffled (deterministically for a given answer), each marked a match or an include;
  a Bundle has an id, meta.lastUpdated and the total of its matches.
- slot type (Slot.serviceType, Appointment.serviceType) and schedule type (Schedule.serviceCategory,
  Appointment.serviceCategory) carry a coding of the provider's own beside the text; the delivery
  channel stays a code, because its extension's value is a `code` in the profile.
- a slot type's text ends with a space, on every Slot and Appointment alike (the same text throughout, so
  still the same slot type; the space is taken off again on the way in).
- Schedules have further actors (`practice.VARIETY_ACTORS`), listed practitioners first, and the
  included Practitioners to match.
- every resource carries an unknown vendor extension (a URL of the provider's own), `meta.lastUpdated` (when it
  was first shown with that content) and a generated narrative; these and the codings are taken off again when a
  consumer sends them back.
- a booking's Location header is `[base]/Appointment/[id]`, without `_history`; Content-Type is
  `application/fhir+json; charset=UTF-8`, the same media type written otherwise.
- answers are streamed (chunked transfer encoding) and, when the consumer accepts gzip, compressed.
- a cancellation reason is stored cut to its first 20 characters, as the cancel page allows ("may be
  truncated when stored in the provider system due to character limits").

The service root path differs too (`variety_base_path`), chosen where the provider starts.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import random
import re
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from starlette.middleware.gzip import GZipMiddleware

from . import practice, resources

VENDOR = "https://riverside-practice.invalid/fhir/"
EXT_VENDOR = VENDOR + "StructureDefinition/Extension-Riverside-RecordSource-1"
SLOT_TYPE_SYSTEM = VENDOR + "CodeSystem/slot-type"
SCHEDULE_TYPE_SYSTEM = VENDOR + "CodeSystem/schedule-type"
OUR_SYSTEMS = (SLOT_TYPE_SYSTEM, SCHEDULE_TYPE_SYSTEM)
NAMESPACE = uuid.UUID("6f1c2a0e-7d3b-4c55-9a6e-2b8f0c1d4e73")
TYPES = ("Slot", "Schedule", "Appointment", "Practitioner", "Location", "Organization", "Patient")
REFERENCE = re.compile(r"(%s)/([^/]+)" % "|".join(TYPES))
NO_ROW = "0"  # no row of any type has this internal id
CHUNK = 4096
REASON_STORED_CHARS = 20  # a cancellation reason is stored cut to this length
TYPE_PAD = " "  # written after every slot type's text
FHIR_JSON = b"application/fhir+json;charset=utf-8"


def variety_base_path(ods_code: str) -> str:
    return f"/gpc/{ods_code.lower()}/fhir/stu3"


def code_of(text: str) -> str:
    """A provider-local code for a type's text: 'GP Appointment' -> 'gp-appointment'."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class Ids:
    """Internal ids <-> UUIDs. A UUID is known once it has been given out. Also each resource as it was
    first shown: the same content is shown the same way again, its `meta.lastUpdated` included, which is
    so the time this layer first showed it with this content, as a system that records its changes would
    give it (not the time of each answer)."""

    MAX_SHOWN = 50_000

    def __init__(self):
        self._internal: dict[str, tuple[str, str]] = {}
        self._public: dict[tuple[str, str], str] = {}
        self._shown: dict[bytes, dict] = {}

    def shown(self, resource: dict, show) -> dict:
        """`show(resource)`, once for each distinct content (the result is not to be changed)."""
        key = _digest(resource)
        if key is None:
            return show(resource)
        out = self._shown.get(key)
        if out is None:
            if len(self._shown) >= self.MAX_SHOWN:
                self._shown.clear()
            out = self._shown[key] = show(resource)
        return out

    def public(self, rtype: str, internal: str) -> str:
        value = self._public.get((rtype, internal))
        if value is None:
            value = self._public[(rtype, internal)] = str(uuid.uuid5(NAMESPACE, f"{rtype}/{internal}"))
            self._internal[value] = (rtype, internal)
        return value

    def internal(self, rtype: str, public: str) -> str:
        known = self._internal.get(public)
        return known[1] if known and known[0] == rtype else NO_ROW


# ---------------------------------------------------------------- outbound


def _references(node: Any, rewrite) -> Any:
    """Every `reference` of the form Type/id in a JSON tree, rewritten."""
    if isinstance(node, list):
        return [_references(n, rewrite) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "reference" and isinstance(value, str) and (m := REFERENCE.fullmatch(value)):
            out[key] = f"{m.group(1)}/{rewrite(m.group(1), m.group(2))}"
        else:
            out[key] = _references(value, rewrite)
    return out


def _with_coding(concept: Any, system: str) -> Any:
    if not isinstance(concept, dict) or not concept.get("text"):
        return concept
    coding = [c for c in concept.get("coding") or [] if c.get("system") != system]
    coding.append({"system": system, "code": code_of(concept["text"]), "display": concept["text"]})
    return {"coding": coding, **{k: v for k, v in concept.items() if k != "coding"}}


def _padded(concept: Any) -> Any:
    """A slot type as this provider writes it: its text with a trailing space."""
    if not isinstance(concept, dict) or not isinstance(concept.get("text"), str) or not concept["text"].strip():
        return concept
    return {**concept, "text": concept["text"] + TYPE_PAD}


def _unpadded(concepts: Any) -> Any:
    """Slot types sent back with this provider's trailing space, without it."""
    if not isinstance(concepts, list):
        return concepts
    return [{**c, "text": c["text"][:-len(TYPE_PAD)]} if isinstance(c, dict) and isinstance(c.get("text"), str)
            and c["text"].endswith(TYPE_PAD) and c["text"].strip() else c for c in concepts]


def _digest(resource: dict) -> bytes | None:
    try:
        return hashlib.blake2b(marshal.dumps(resource, 2), digest_size=16).digest()
    except ValueError:
        return None


def present(resource: dict, ids: Ids, now: str) -> dict:
    """One resource as the variety provider shows it."""
    return ids.shown(resource, lambda r: _present(r, ids, now))


def _present(resource: dict, ids: Ids, now: str) -> dict:
    rtype = resource.get("resourceType")
    out = _references(resource, ids.public)
    if rtype in TYPES and out.get("id"):
        out["id"] = ids.public(rtype, out["id"])
    if rtype in ("Slot", "Appointment") and isinstance(out.get("serviceType"), list):
        out["serviceType"] = [_padded(_with_coding(c, SLOT_TYPE_SYSTEM)) for c in out["serviceType"]]
    if rtype in ("Schedule", "Appointment") and "serviceCategory" in out:
        out["serviceCategory"] = _with_coding(out["serviceCategory"], SCHEDULE_TYPE_SYSTEM)
    if rtype == "Schedule":
        out["actor"] = _actors(resource, ids)
    if rtype != "OperationOutcome":
        out["extension"] = [*(out.get("extension") or []), {"url": EXT_VENDOR, "valueString": "riverside-pas"}]
    if isinstance(out.get("meta"), dict):
        out["meta"] = {**out["meta"], "lastUpdated": now}
    if rtype in TYPES and "text" not in out:
        out["text"] = {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{rtype}</div>'}
    return out


def _actors(schedule: dict, ids: Ids) -> list[dict]:
    """The schedule's actors with its further practitioners, practitioners first."""
    refs = [a.get("reference", "") for a in schedule.get("actor") or []]
    refs += [f"Practitioner/{p}" for p in practice.VARIETY_ACTORS.get(schedule.get("id"), ())
             if f"Practitioner/{p}" not in refs]
    refs.sort(key=lambda r: not r.startswith("Practitioner/"))
    return _references([{"reference": r} for r in refs], ids.public)


def _more_practitioners(body: dict, query: list[tuple[str, str]]) -> None:
    """Included Practitioners for the further actors, when the search asked for practitioners."""
    if "Schedule:actor:Practitioner" not in {v for k, v in query if k in ("_include", "_include:recurse")}:
        return
    entries = body.get("entry") or []
    have = {(e["resource"]["resourceType"], e["resource"].get("id")) for e in entries}
    wanted = [p for e in entries if e["resource"]["resourceType"] == "Schedule"
              for p in practice.VARIETY_ACTORS.get(e["resource"].get("id"), ())]
    for p in practice.PRACTITIONERS:
        if p.id in wanted and ("Practitioner", p.id) not in have:
            entries.append({"resource": resources.practitioner(p)})
            have.add(("Practitioner", p.id))


def present_body(body: Any, ids: Ids, query: list[tuple[str, str]], now: str, matched: str | None = None) -> Any:
    """A response body as the variety provider shows it: a resource, or a Bundle shuffled, each entry
    marked a match (of the `matched` type searched for) or an include, and the matches counted."""
    if not isinstance(body, dict):
        return body
    if body.get("resourceType") != "Bundle":
        return present(body, ids, now)
    body = dict(body)
    _more_practitioners(body, query)
    entries = [{**e, "resource": present(e["resource"], ids, now),
                "search": {"mode": "match" if e["resource"].get("resourceType") == matched else "include"}}
               for e in body.get("entry") or []]
    if matched:
        body["total"] = sum(e["search"]["mode"] == "match" for e in entries)
    seed = hashlib.sha256(marshal.dumps(entries, 2)).digest()  # deterministic for a given answer
    random.Random(seed).shuffle(entries)
    if entries:
        body["entry"] = entries
    body["id"] = str(uuid.UUID(bytes=seed[:16], version=4))
    body["meta"] = {**(body.get("meta") or {}), "lastUpdated": now}
    return body


def present_location(value: str, ids: Ids) -> str:
    """`.../Appointment/<id>/_history/<vid>` -> `.../Appointment/<uuid>`."""
    m = re.fullmatch(r"(.*/Appointment)/([^/]+)(/_history/[^/]+)?", value)
    return f"{m.group(1)}/{ids.public('Appointment', m.group(2))}" if m else value


# ---------------------------------------------------------------- inbound


def _without_ours(node: Any) -> Any:
    """A consumer's resource with this layer's additions taken off again."""
    if isinstance(node, list):
        return [_without_ours(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "extension" and isinstance(value, list):
            value = [e for e in value if not (isinstance(e, dict) and e.get("url") == EXT_VENDOR)]
            if not value:
                continue
        if key == "coding" and isinstance(value, list):
            value = [c for c in value if not (isinstance(c, dict) and c.get("system") in OUR_SYSTEMS)]
            if not value:
                continue
        if key == "meta" and isinstance(value, dict):
            value = {k: v for k, v in value.items() if k != "lastUpdated"}
        if key == "text" and isinstance(value, dict) and value.get("status") == "generated":
            continue  # the narrative this layer generated
        if key == "serviceType":
            value = _unpadded(value)
        out[key] = _without_ours(value)
    return out


def receive_body(raw: bytes, ids: Ids) -> bytes:
    """A request body in the provider's own ids and shape; anything not JSON is passed on as sent."""
    try:
        body = json.loads(raw)
    except ValueError:
        return raw
    if not isinstance(body, dict):
        return raw
    body = _references(_without_ours(body), ids.internal)
    if body.get("resourceType") in TYPES and isinstance(body.get("id"), str):
        body["id"] = ids.internal(body["resourceType"], body["id"])
    if body.get("resourceType") == "Appointment":
        for ext in body.get("extension") or []:
            if isinstance(ext, dict) and ext.get("url") == resources.EXT_CANCELLATION_REASON \
                    and isinstance(ext.get("valueString"), str):
                ext["valueString"] = ext["valueString"][:REASON_STORED_CHARS]
    return json.dumps(body).encode()


def receive_path(path: str, base_path: str, ids: Ids) -> str:
    """/.../<Type>/<uuid> (a read) and /.../Patient/<uuid>/Appointment in the provider's own ids."""
    if not path.startswith(base_path + "/"):
        return path
    rest = path[len(base_path):]
    m = re.fullmatch(r"/(Appointment|Patient|Practitioner|Location|Organization)/([^/]+)(/Appointment)?", rest)
    if not m or (m.group(1) != "Patient" and m.group(3)):
        return path
    return f"{base_path}/{m.group(1)}/{ids.internal(m.group(1), m.group(2))}{m.group(3) or ''}"


# ---------------------------------------------------------------- the ASGI layer


class Variety:
    """ASGI middleware presenting the provider inside it with variety (see the module docstring)."""

    def __init__(self, app, base_path: str, ids: Ids | None = None):
        self.app, self.base_path, self.ids = app, base_path, ids or Ids()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = b""
        while True:
            message = await receive()
            raw += message.get("body", b"")
            if not message.get("more_body"):
                break
        body = receive_body(raw, self.ids) if raw else raw
        path = receive_path(scope["path"], self.base_path, self.ids)
        inner = {**scope, "path": path, "raw_path": path.encode()}
        sent = False

        async def replay():
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        start: dict = {}
        chunks: list[bytes] = []

        async def capture(message):
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(inner, replay, capture)
        query = parse_qsl(scope.get("query_string", b"").decode(), keep_blank_values=True)
        await self._answer(start, b"".join(chunks), scope["path"], query, send)

    async def _answer(self, start: dict, content: bytes, path: str, query: list[tuple[str, str]], send) -> None:
        headers = []
        for name, value in start.get("headers", []):
            if name.lower() == b"content-length":
                continue  # streamed: chunked transfer encoding
            if name.lower() == b"location":
                value = present_location(value.decode(), self.ids).encode()
            if name.lower() == b"content-type" and value.lower().replace(b" ", b"") == FHIR_JSON:
                value = b"application/fhir+json; charset=UTF-8"  # the same media type, written otherwise
            headers.append((name, value))
        try:
            data = json.loads(content)
        except ValueError:
            data = None
        if data is not None:
            now = datetime.now(practice.UK).isoformat(timespec="seconds")
            searched = path.rstrip("/").rsplit("/", 1)[-1]
            content = json.dumps(present_body(data, self.ids, query, now, searched if searched in TYPES else None))
            content = content.encode()
        await send({"type": "http.response.start", "status": start.get("status", 500), "headers": headers})
        for i in range(0, len(content), CHUNK):
            await send({"type": "http.response.body", "body": content[i:i + CHUNK], "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def with_variety(app, base_path: str):
    """The app presented with variety, its answers gzip-compressed for consumers that accept it."""
    return GZipMiddleware(Variety(app, base_path), minimum_size=200)
