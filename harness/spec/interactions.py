"""The GP Connect interactions the harness calls: Ssp-InteractionID URN, JWT scope, and the
requirement a valid request to it answered without success breaks."""

from __future__ import annotations

from dataclasses import dataclass

URN_PREFIX = "urn:nhs:names:services:gpconnect:fhir:"


@dataclass(frozen=True)
class Interaction:
    name: str
    method: str
    interaction_id: str
    scope: str
    requirement: str  # spec/requirements.csv: a valid request is answered with success


METADATA = Interaction("read metadata", "GET", URN_PREFIX + "rest:read:metadata-1", "organization/*.read", "FND-CAP-01")
FIND_PATIENT = Interaction("find patient", "GET", URN_PREFIX + "rest:search:patient-1", "patient/*.read",
                           "FND-PATIENT-01")
SEARCH_SLOTS = Interaction("search for free slots", "GET", URN_PREFIX + "rest:search:slot-1", "organization/*.read",
                           "SLOT-SEARCH-01")
RETRIEVE_APPOINTMENTS = Interaction("retrieve a patient's appointments", "GET",
                                    URN_PREFIX + "rest:search:patient_appointments-1", "patient/*.read",
                                    "RETR-BOOKED-01")
READ_APPOINTMENT = Interaction("read an appointment", "GET", URN_PREFIX + "rest:read:appointment-1", "patient/*.read",
                               "READ-TYPE-01")
BOOK_APPOINTMENT = Interaction("book an appointment", "POST", URN_PREFIX + "rest:create:appointment-1",
                               "patient/*.write", "BOOK-01")
AMEND_APPOINTMENT = Interaction("amend an appointment", "PUT", URN_PREFIX + "rest:update:appointment-1",
                                "patient/*.write", "AMEND-01")
CANCEL_APPOINTMENT = Interaction("cancel an appointment", "PUT", URN_PREFIX + "rest:cancel:appointment-1",
                                 "patient/*.write", "CANCEL-01")
# Reads of what an appointment's participants name, as NHS's suite reads each one back.
READ_PATIENT = Interaction("read a patient", "GET", URN_PREFIX + "rest:read:patient-1", "patient/*.read",
                           "APPT-READBACK-01")
READ_PRACTITIONER = Interaction("read a practitioner", "GET", URN_PREFIX + "rest:read:practitioner-1",
                                "organization/*.read", "APPT-READBACK-01")
READ_LOCATION = Interaction("read a location", "GET", URN_PREFIX + "rest:read:location-1", "organization/*.read",
                            "APPT-READBACK-01")
READ_ORGANIZATION = Interaction("read an organisation", "GET", URN_PREFIX + "rest:read:organization-1",
                                "organization/*.read", "APPT-READBACK-01")
READ_OF_TYPE = {"Patient": READ_PATIENT, "Practitioner": READ_PRACTITIONER, "Location": READ_LOCATION,
                "Organization": READ_ORGANIZATION}

ALL = (
    METADATA,
    FIND_PATIENT,
    SEARCH_SLOTS,
    RETRIEVE_APPOINTMENTS,
    READ_APPOINTMENT,
    BOOK_APPOINTMENT,
    AMEND_APPOINTMENT,
    CANCEL_APPOINTMENT,
    READ_PATIENT,
    READ_PRACTITIONER,
    READ_LOCATION,
    READ_ORGANIZATION,
)
BY_NAME = {i.name: i for i in ALL}


def requirement_of(name: str) -> str:
    """The requirement of the interaction an Exchange names (Exchange.interaction)."""
    return BY_NAME[name].requirement
