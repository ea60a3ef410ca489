"""What every returned Appointment holds, whichever interaction returned it (book, read, retrieve,
amend, cancel): its id, `created`, its participants, a start today or later, the contained booking
Organization, and a priority in range. Each check takes one Appointment's raw JSON and returns the
Violations it shows; harness/judge/rules.py applies them to every Appointment of every exchange.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from harness import clock
from harness.checks.violations import Violation, on_appointment, violation
from harness.spec.constants import UK
from harness.transport import fhir

ACTOR_TYPES = ("Patient", "Practitioner", "Location")
# Around midnight the harness's clock and the provider's may disagree about "today" by a little.
CLOCK_TOLERANCE = timedelta(minutes=10)


def id_violations(appointment: dict) -> list[Violation]:
    """The Appointment has its logical id (APPT-ID-01)."""
    if str(appointment.get("id") or "").strip():
        return []
    return [violation("APPT-ID-01", fhir.label(appointment, "Appointment"), "Appointment.id", "a logical id", "none",
                      "an Appointment is returned without its logical id (Appointment.id is empty)")]


def created_violations(appointment: dict) -> list[Violation]:
    """`created` is populated (APPT-CREATED-01)."""
    if str(appointment.get("created") or "").strip():
        return []
    return [on_appointment(appointment, "APPT-CREATED-01", "Appointment.created", "the date-time it was created",
                           "none", "has no created date-time (Appointment.created is empty)")]


def priority_violations(appointment: dict) -> list[Violation]:
    """`priority`, when present, is 0 to 9 (APPT-PRIORITY-01)."""
    priority = appointment.get("priority")
    if priority is None or (isinstance(priority, int) and not isinstance(priority, bool) and 0 <= priority <= 9):
        return []
    return [on_appointment(appointment, "APPT-PRIORITY-01", "Appointment.priority", "0 to 9", priority,
                           f"has priority {priority!r}, outside 0 to 9")]


def participant_violations(appointment: dict) -> list[Violation]:
    """Each participant's actor is a relative Patient/, Practitioner/ or Location/ reference with at most
    one type coding, and there is at least one Patient and one Location participant (APPT-PARTICIPANT-01)."""
    found: list[Violation] = []
    kinds = set()
    for i, participant in enumerate(appointment.get("participant") or []):
        participant = participant if isinstance(participant, dict) else {}
        ref = (participant.get("actor") or {}).get("reference")
        key = fhir.ref_key(ref) if isinstance(ref, str) else None
        if key is None or key[0] not in ACTOR_TYPES or ref != f"{key[0]}/{key[1]}":
            found.append(on_appointment(appointment, "APPT-PARTICIPANT-01",
                                        f"Appointment.participant[{i}].actor.reference",
                                        "Patient/[id], Practitioner/[id] or Location/[id]", ref or "none",
                                        f"participant {i} has actor {ref or 'without a reference'}, not a "
                                        "relative Patient/, Practitioner/ or Location/ reference"))
        else:
            kinds.add(key[0])
        for concept in participant.get("type") or []:
            codings = (concept or {}).get("coding") or [] if isinstance(concept, dict) else []
            if len(codings) > 1:
                found.append(on_appointment(appointment, "APPT-PARTICIPANT-01",
                                            f"Appointment.participant[{i}].type.coding", "at most one coding",
                                            len(codings),
                                            f"participant {i} ({ref}) has a type of {len(codings)} codings, "
                                            "at most one expected"))
    for kind in ("Patient", "Location"):
        if kind not in kinds:
            found.append(on_appointment(appointment, "APPT-PARTICIPANT-01", "Appointment.participant",
                                        f"a {kind} participant", "none", f"has no {kind} participant"))
    return found


def future_violations(appointment: dict, today: date | None = None, now: datetime | None = None) -> list[Violation]:
    """The appointment starts today or later, UK time, allowing the clocks a few minutes (APPT-FUTURE-01).
    A start that is no date-time is left to the profile check."""
    try:
        start = datetime.fromisoformat(appointment["start"])
    except (KeyError, TypeError, ValueError):
        return []
    if start.tzinfo is None:
        return []
    earliest = today or ((now or clock.now()).astimezone(UK) - CLOCK_TOLERANCE).date()
    if start.astimezone(UK).date() >= earliest:
        return []
    return [on_appointment(appointment, "APPT-FUTURE-01", "Appointment.start", f"{earliest} or later",
                           appointment["start"], f"starts {appointment['start']}, before today ({earliest}): "
                           "a past appointment is returned")]


def booking_org_violations(appointment: dict) -> list[Violation]:
    """Every contained Organization (the booking organisation) has an id, a name and a telecom (APPT-ORG-01)."""
    found: list[Violation] = []
    for contained in appointment.get("contained") or []:
        if not isinstance(contained, dict) or contained.get("resourceType") != "Organization":
            continue
        missing = [element for element in ("id", "name", "telecom") if not _present(contained.get(element))]
        if missing:
            which = f"#{contained.get('id')}" if contained.get("id") else "without an id"
            found.append(on_appointment(appointment, "APPT-ORG-01", "Appointment.contained(Organization)",
                                        "id, name and telecom", f"no {', '.join(missing)}",
                                        f"booking organisation ({which}) has no {' and no '.join(missing)}"))
    return found


def _present(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list):
        return any(isinstance(v, dict) and v.get("value") for v in value) or any(isinstance(v, str) for v in value)
    return bool(value)


def no_reason_violations(appointment: dict) -> list[Violation]:
    """No returned Appointment carries reason or specialty (APPT-NOREASON-01)."""
    return [on_appointment(appointment, "APPT-NOREASON-01", f"Appointment.{element}", "absent", "populated",
                           f"carries Appointment.{element}")
            for element in ("reason", "specialty") if appointment.get(element)]
