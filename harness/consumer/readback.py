"""Reading back what a returned Appointment names, as NHS's suite does: each participant's actor with
Read Patient, Read Practitioner or Read Location, and each Location's managingOrganization with Read
Organisation. What the answers must be is harness/checks/readback.py's (APPT-READBACK-01).

A reference is read once per run: the client reuses the answer to an identical read for the whole
run (client.RUN_REUSE), so reading back every appointment of a retrieve costs one request per
distinct patient, practitioner, location and organisation.
"""

from __future__ import annotations

from harness.checks import readback as checks
from harness.checks.readback import Read
from harness.checks.search_content import of_type
from harness.spec.interactions import READ_OF_TYPE
from harness.transport.client import GpConnectClient
from harness.transport.fhir import label


def read(client: GpConnectClient, key: tuple[str, str], what: str) -> Read:
    """Read `Type/id` (Read Patient, Practitioner, Location or Organisation)."""
    rtype, rid = key
    return Read(key, what, client.send(READ_OF_TYPE[rtype], f"{rtype}/{rid}"))


def read_back(client: GpConnectClient, appointments: list[dict]) -> list[Read]:
    """Every participant actor of these Appointments read, and the managingOrganization of each Location
    that read back as one."""
    reads, organisations = [], set()
    for key, what in checks.actor_references(appointments):
        reads.append(read(client, key, what))
        org = checks.managing_organization(checks.answer(reads[-1].exchange, "Location")) \
            if key[0] == "Location" else None
        if org is not None and org[0] not in organisations:
            organisations.add(org[0])
            reads.append(read(client, org[0], f"Location/{key[1]} managingOrganization {org[1]}"))
    return reads


def managing_organizations(client: GpConnectClient, resources: list[dict]) -> list[Read]:
    """Each distinct managingOrganization of these Locations read, as NHS's suite reads a search's (SLOT-LOC-03).
    A Location without one, or with another kind of reference, is SLOT-ORG-01's and SLOT-LOC-01's."""
    reads: dict[tuple[str, str], Read] = {}
    for location in of_type(resources, "Location"):
        org = checks.managing_organization(location)
        if org is not None and org[0] not in reads:
            reads[org[0]] = read(client, org[0], f"{label(location)} managingOrganization {org[1]}")
    return list(reads.values())
