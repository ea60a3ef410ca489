"""Whether a reference reads back, as NHS's suite reads the references of a returned Appointment and a
search's Locations: a Read of `Type/id` answered 200 with that resource type and that id. Pure: the reads
are harness/consumer/readback.py's; each comes here with what it was reading and why."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.checks.search_content import reference
from harness.checks.violations import Violation, violation
from harness.errors import Nonconformance
from harness.transport import fhir
from harness.transport.exchange import Exchange

RULE = "APPT-READBACK-01"
READ_NAME = {"Patient": "Read Patient", "Practitioner": "Read Practitioner", "Location": "Read Location",
             "Organization": "Read Organisation"}
ACTOR_TYPES = ("Patient", "Practitioner", "Location")


@dataclass(frozen=True)
class Read:
    """One reference read: its `Type/id` key, what named it (for messages) and the exchange."""

    key: tuple[str, str]
    what: str
    exchange: Exchange


def appointments_in(body: Any) -> list[dict]:
    """The Appointments of an answer: the resource itself, or a Bundle's Appointment entries."""
    if not isinstance(body, dict):
        return []
    if body.get("resourceType") == "Bundle":
        return [e["resource"] for e in body.get("entry") or []
                if isinstance(e, dict) and isinstance(e.get("resource"), dict)
                and e["resource"].get("resourceType") == "Appointment"]
    return [body] if body.get("resourceType") == "Appointment" else []


def actor_references(appointments: list[dict]) -> list[tuple[tuple[str, str], str]]:
    """Each distinct participant actor of these Appointments that is a Patient, Practitioner or Location
    reference, with what names it. Other actors are APPT-PARTICIPANT-01's and not read."""
    found: dict[tuple[str, str], str] = {}
    for appointment in appointments:
        named = fhir.label(appointment, "Appointment")
        for participant in appointment.get("participant") or []:
            ref = ((participant or {}).get("actor") or {}).get("reference") if isinstance(participant, dict) else None
            key = fhir.ref_key(ref) if isinstance(ref, str) else None
            if key is not None and key[0] in ACTOR_TYPES and key not in found:
                found[key] = f"{named} participant {key[0]}/{key[1]}"
    return list(found.items())


def managing_organization(location: dict | None) -> tuple[tuple[str, str], str] | None:
    """A Location's managingOrganization as an Organization key with its reference text, or None."""
    ref = reference((location or {}).get("managingOrganization"))
    key = fhir.ref_key(ref) if ref else None
    return (key, ref) if key is not None and key[0] == "Organization" else None


def answer(exchange: Exchange, rtype: str) -> dict | None:
    """The read's answer when it is a `rtype` resource answered 200, else None."""
    body = _body(exchange) if exchange.status == 200 else None
    return body if isinstance(body, dict) and body.get("resourceType") == rtype else None


def read_back_violations(reads: list[Read], requirement: str = RULE) -> list[Violation]:
    """What does not read back: an answer other than HTTP 200 with the resource type read, or one with
    another id."""
    found = []
    for read in reads:
        (rtype, rid), ex = read.key, read.exchange
        got = answer(ex, rtype)
        if got is None:
            described = _described(ex, _body(ex))
            found.append(violation(requirement, read.what, f"{rtype}/{rid}", f"HTTP 200 and {_a(rtype)}", described,
                                   f"{read.what} does not read back: {READ_NAME[rtype]} answered {described}, "
                                   f"not {_a(rtype)} ({ex.short_request()})"))
        elif str(got.get("id")) != rid:
            found.append(violation(requirement, read.what, f"{rtype}.id", rid, got.get("id"),
                                   f"{read.what} reads back as {rtype} {got.get('id')}, not {rtype}/{rid} "
                                   f"({ex.short_request()})"))
    return found


def _body(ex: Exchange) -> Any:
    try:
        return ex.json()
    except Nonconformance:
        return None


def _described(ex: Exchange, body: Any) -> str:
    what = body.get("resourceType") if isinstance(body, dict) else None
    return f"HTTP {ex.status} with {_a(what) if what else 'no FHIR resource'}"


def _a(word: str) -> str:
    return f"{'an' if word[:1] in 'AEIOU' else 'a'} {word}"
