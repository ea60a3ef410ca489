"""Reading back what a returned Appointment names, as NHS's suite does: each participant's actor with
Read Patient, Read Practitioner or Read Location, answered with that resource, and each Location's
managingOrganization with Read Organisation, answered with an Organization (APPT-READBACK-01).

A reference is read once per run: the client reuses the answer to an identical read for the whole
run (client.RUN_REUSE), so reading back every appointment of a retrieve costs one request per
distinct patient, practitioner, location and organisation.
"""

from __future__ import annotations

from typing import Any

from harness.checks.violations import Violation, violation
from harness.errors import Nonconformance
from harness.spec.interactions import READ_OF_TYPE
from harness.transport import fhir
from harness.transport.client import Exchange, GpConnectClient

RULE = "APPT-READBACK-01"
READ_NAME = {"Patient": "Read Patient", "Practitioner": "Read Practitioner", "Location": "Read Location",
             "Organization": "Read Organisation"}


def appointments_in(body: Any) -> list[dict]:
    """The Appointments of an answer: the resource itself, or a Bundle's Appointment entries."""
    if not isinstance(body, dict):
        return []
    if body.get("resourceType") == "Bundle":
        return [e["resource"] for e in body.get("entry") or []
                if isinstance(e, dict) and isinstance(e.get("resource"), dict)
                and e["resource"].get("resourceType") == "Appointment"]
    return [body] if body.get("resourceType") == "Appointment" else []


def read_back(client: GpConnectClient, appointments: list[dict]) -> list[Violation]:
    """Every participant actor of these Appointments, and every managingOrganization of their Locations,
    read back; what does not read back as its resource type. Actors that are no Patient, Practitioner
    or Location reference are APPT-PARTICIPANT-01's and not read."""
    found: list[Violation] = []
    done: set[tuple[str, str]] = set()
    for appointment in appointments:
        label = f"Appointment {appointment.get('id') or '(no id)'}"
        for participant in appointment.get("participant") or []:
            ref = ((participant or {}).get("actor") or {}).get("reference") if isinstance(participant, dict) else None
            key = fhir.ref_key(ref) if isinstance(ref, str) else None
            if key is None or key[0] not in ("Patient", "Practitioner", "Location") or key in done:
                continue
            done.add(key)
            resource, problems = read_one(client, key, f"{label} participant {key[0]}/{key[1]}")
            found += problems
            if key[0] != "Location" or resource is None:
                continue
            org_ref = (resource.get("managingOrganization") or {}).get("reference")
            org_key = fhir.ref_key(org_ref) if isinstance(org_ref, str) else None
            if org_key is None or org_key[0] != "Organization" or org_key in done:
                continue
            done.add(org_key)
            found += read_one(client, org_key, f"Location/{key[1]} managingOrganization {org_ref}")[1]
    return found


def read_one(client: GpConnectClient, key: tuple[str, str], what: str) -> tuple[dict | None, list[Violation]]:
    """Read `Type/id`; the resource when it reads back as that type with that id, and what is wrong."""
    rtype, rid = key
    ex = client.send(READ_OF_TYPE[rtype], f"{rtype}/{rid}")
    got = _answer(ex, rtype)
    if got is None:
        body = _body(ex)
        return None, [violation(RULE, what, f"{rtype}/{rid}", f"HTTP 200 and {_a(rtype)}", _described(ex, body),
                                f"{what} does not read back: {READ_NAME[rtype]} answered {_described(ex, body)}, "
                                f"not {_a(rtype)} ({ex.short_request()})")]
    if str(got.get("id")) != rid:
        return got, [violation(RULE, what, f"{rtype}.id", rid, got.get("id"),
                               f"{what} reads back as {rtype} {got.get('id')}, not {rtype}/{rid} "
                               f"({ex.short_request()})")]
    return got, []


def _body(ex: Exchange) -> Any:
    try:
        return ex.json()
    except Nonconformance:
        return None


def _answer(ex: Exchange, rtype: str) -> dict | None:
    body = _body(ex) if ex.status == 200 else None
    return body if isinstance(body, dict) and body.get("resourceType") == rtype else None


def _described(ex: Exchange, body: Any) -> str:
    what = body.get("resourceType") if isinstance(body, dict) else None
    return f"HTTP {ex.status} with {_a(what) if what else 'no FHIR resource'}"


def _a(word: str) -> str:
    return f"{'an' if word[:1] in 'AEIOU' else 'a'} {word}"
