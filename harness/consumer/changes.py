"""What the scenarios send to see that a provider keeps an appointment as the spec says: the changes
an amendment or cancellation may not make, texts of chosen lengths, the slots an untyped schedule
offers, a booking's optional delivery channel and practitioner role, and the check that a retrieve
leaves out what lies outside its dates.

Every change is made on the appointment's raw JSON as the provider last returned it, so the body
differs from what the provider holds only in the field named.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from itertools import cycle, islice
from typing import Callable

from harness.checks.bookings import booking_organisation
from harness.consumer import discovery
from harness.consumer.discovery import SlotInfo
from harness.spec.constants import (
    BOOKING_ORG_URL,
    CANCELLATION_REASON_URL,
    DELIVERY_CHANNEL_URL,
    PRACTITIONER_ROLE_URL,
    UK,
)


def _shift(key: str, minutes: int) -> Callable[[dict], None]:
    def change(body: dict) -> None:
        body[key] = (datetime.fromisoformat(body[key]) + timedelta(minutes=minutes)).isoformat(timespec="seconds")
    return change


def _patient_only(body: dict) -> None:
    body["participant"] = [p for p in body.get("participant") or []
                           if ((p or {}).get("actor") or {}).get("reference", "").startswith("Patient/")]


def _other_slot(body: dict) -> None:
    last = (body.get("slot") or [{}])[-1].get("reference", "Slot/1")
    number = last.rsplit("/", 1)[-1]
    other = str(int(number) + 1) if number.isdigit() else f"{number}-other"
    body["slot"] = [*(body.get("slot") or []), {"reference": f"Slot/{other}"}]


def _priority(body: dict) -> None:
    body["priority"] = int(body.get("priority") or 0) + 1


def _booking_organisation(body: dict) -> None:
    organisation = booking_organisation(body)
    if organisation is None:
        raise ValueError("the appointment has no booking organisation to change")
    organisation["name"] = f"{organisation.get('name', 'Organisation')} (changed)"


def _created(body: dict) -> None:
    created = datetime.fromisoformat(body["created"]) if body.get("created") else datetime(2020, 1, 1)
    body["created"] = (created - timedelta(days=1)).isoformat(timespec="seconds")


def _text(key: str) -> Callable[[dict], None]:
    def change(body: dict) -> None:
        body[key] = f"{body.get(key) or ''} (changed)".strip()
    return change


def _schedule_type(body: dict) -> None:
    body["serviceCategory"] = {"text": f"{(body.get('serviceCategory') or {}).get('text') or 'Schedule'} (changed)"}


# Requests NHS's suite sends, each expected to be refused 422 INVALID_RESOURCE: its elsewhere-hosted
# references, participants added by it, and the cancellation reason under a URL no one defines.
NHS_ABSOLUTE_BASE = "https://test1.supplier.thirdparty.nhs.uk/A11111/STU3/1/GPConnect/"
MISSPELT_REASON_URL = "http://fhir.nhs.uk/StructuraeDefinition/extension-gpconnect-appointment-cancellation-reason-1-010"


def _added_participants(base: str, location: str = "Location") -> Callable[[dict], None]:
    def change(body: dict) -> None:
        body["participant"] = [*(body.get("participant") or []),
                               *({"actor": {"reference": f"{base}{kind}/2"}, "status": "declined"}
                                 for kind in (location, "Patient", "Practitioner"))]
    return change


def _absolute_booking_organisation(body: dict) -> None:
    body["extension"] = [e for e in body.get("extension") or [] if e.get("url") != BOOKING_ORG_URL]
    body["extension"].append({"url": BOOKING_ORG_URL, "valueReference": {"reference": f"{NHS_ABSOLUTE_BASE}#1"}})


def _reason_under(url: str) -> Callable[[dict], None]:
    def change(body: dict) -> None:
        body["extension"] = [e for e in body.get("extension") or [] if e.get("url") != CANCELLATION_REASON_URL]
        body["extension"].append({"url": url, "valueString": "Too busy"})
    return change


def _empty_appointment(body: dict) -> None:
    body.clear()
    body["resourceType"] = "Appointment"


def _slot_type(body: dict) -> None:
    texts = [c.get("text") for c in body.get("serviceType") or [] if c.get("text")]
    body["serviceType"] = [{"text": f"{texts[0] if texts else 'Slot'} (changed)"}]


# The fields neither an amendment nor a cancellation may change, as the scenarios name them.
FORBIDDEN: dict[str, Callable[[dict], None]] = {
    "start": _shift("start", -5),
    "end": _shift("end", 5),
    "participant": _patient_only,
    "slot": _other_slot,
    "status": lambda body: body.__setitem__("status", "arrived"),
    "priority": _priority,
    "booking organisation": _booking_organisation,
    "created": _created,
    "description": _text("description"),
    "comment": _text("comment"),
    "slot type": _slot_type,
    "schedule type": _schedule_type,
    "status to noshow": lambda body: body.__setitem__("status", "noshow"),
    "cancellation reason": lambda body: body.setdefault("extension", []).append(
        {"url": CANCELLATION_REASON_URL, "valueString": "double booked"}),
    "booking organisation reference to an absolute URL": _absolute_booking_organisation,
    "participants, adding three": _added_participants("", location="location"),
    "participants, adding three by absolute reference": _added_participants(NHS_ABSOLUTE_BASE),
    "appointment type text": lambda body: body.__setitem__("appointmentType", {"text": "RANDOM TYPE TEXT"}),
    "resource type": lambda body: body.__setitem__("resourceType", "InvalidResourceType"),
    "whole body to an empty Appointment": _empty_appointment,
    "cancellation reason URL to an empty one": _reason_under(""),
    "cancellation reason URL to a misspelt one": _reason_under(MISSPELT_REASON_URL),
}


def change(body: dict, field: str) -> None:
    """Change one field of an Appointment body in place, as a consumer that should not would."""
    FORBIDDEN[field](body)


def text_of(length: int, start: str = "") -> str:
    """`start`, then a plain filler, to exactly `length` characters (never ending in a space)."""
    filler = "Assurance text of a chosen length, every character kept. "
    text = start + "".join(islice(cycle(filler), max(0, length - len(start))))
    return text[:length - 1] + "." if text.endswith(" ") else text


def untyped_schedule_slot(slots: list[SlotInfo], window: str) -> SlotInfo:
    """A bookable free slot whose Schedule has no schedule type; MissingTestData when none is offered."""
    found = [run[0] for run in discovery.runs(slots, 1) if run[0].schedule_type is None]
    return discovery.require(found, "free slot on a schedule without a schedule type", window)[0]


def slot_with_channel_and_role(slots: list[SlotInfo], window: str) -> SlotInfo:
    """A bookable free slot with a delivery channel whose Schedule has a practitioner role; MissingTestData
    when none is offered."""
    found = [run[0] for run in discovery.runs(slots, 1) if run[0].channel and _roles(run[0])]
    return discovery.require(found, "free slot with a delivery channel on a schedule with a practitioner role",
                             window)[0]


def _roles(slot: SlotInfo) -> list[dict]:
    return [e for e in (slot.schedule_raw or {}).get("extension") or []
            if isinstance(e, dict) and e.get("url") == PRACTITIONER_ROLE_URL]


def optional_elements(slot: SlotInfo, channel: bool, role: bool) -> Callable[[dict], None]:
    """A booking edit sending the slot's delivery channel and the schedule's practitioner role extensions,
    as a consumer may (NHS's suite books with each combination)."""
    def edit(body: dict) -> None:
        if channel:
            body["extension"].append({"url": DELIVERY_CHANNEL_URL, "valueCode": slot.channel})
        if role:
            body["extension"] += [json.loads(json.dumps(e)) for e in _roles(slot)]
    return edit


def days_after(appointment: dict) -> tuple:
    """A retrieve's dates that lie wholly after the appointment's day: the day after it and six more."""
    day = datetime.fromisoformat(appointment["start"]).astimezone(UK).date()
    return day + timedelta(days=1), day + timedelta(days=7)
