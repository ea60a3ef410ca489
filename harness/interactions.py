"""The GP Connect interactions the harness calls: Ssp-InteractionID URN and JWT scope."""

from __future__ import annotations

from dataclasses import dataclass

URN_PREFIX = "urn:nhs:names:services:gpconnect:fhir:"


@dataclass(frozen=True)
class Interaction:
    name: str
    method: str
    interaction_id: str
    scope: str


METADATA = Interaction("read metadata", "GET", URN_PREFIX + "rest:read:metadata-1", "organization/*.read")
FIND_PATIENT = Interaction("find patient", "GET", URN_PREFIX + "rest:search:patient-1", "patient/*.read")
SEARCH_SLOTS = Interaction("search for free slots", "GET", URN_PREFIX + "rest:search:slot-1", "organization/*.read")
RETRIEVE_APPOINTMENTS = Interaction(
    "retrieve a patient's appointments", "GET", URN_PREFIX + "rest:search:patient_appointments-1", "patient/*.read"
)
READ_APPOINTMENT = Interaction("read an appointment", "GET", URN_PREFIX + "rest:read:appointment-1", "patient/*.read")
BOOK_APPOINTMENT = Interaction("book an appointment", "POST", URN_PREFIX + "rest:create:appointment-1", "patient/*.write")
AMEND_APPOINTMENT = Interaction("amend an appointment", "PUT", URN_PREFIX + "rest:update:appointment-1", "patient/*.write")
CANCEL_APPOINTMENT = Interaction("cancel an appointment", "PUT", URN_PREFIX + "rest:cancel:appointment-1", "patient/*.write")

ALL = (
    METADATA,
    FIND_PATIENT,
    SEARCH_SLOTS,
    RETRIEVE_APPOINTMENTS,
    READ_APPOINTMENT,
    BOOK_APPOINTMENT,
    AMEND_APPOINTMENT,
    CANCEL_APPOINTMENT,
)
