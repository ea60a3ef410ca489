"""Read Patient, Read Practitioner, Read Location and Read Organisation: the practice's people and
places by logical id, as the foundations capability reads them (an appointment's participants and a
Location's managing organisation are read back this way)."""

from __future__ import annotations

from typing import Any

from . import practice, resources
from .security import Refusal

NOT_FOUND = {"Patient": "PATIENT_NOT_FOUND"}


def read(resource_type: str, resource_id: str, ods_code: str) -> dict[str, Any]:
    """The resource of this type and id; Refusal 404 when the practice has none."""
    found = {
        "Patient": lambda: [resources.patient(p, ods_code) for p in practice.PATIENTS if p[1] == resource_id],
        "Practitioner": lambda: [resources.practitioner(p) for p in practice.PRACTITIONERS if p.id == resource_id],
        "Location": lambda: [resources.location(loc) for loc in practice.LOCATIONS if loc.id == resource_id],
        "Organization": lambda: [resources.organization(ods_code)]
        if resource_id == practice.ORGANIZATION["id"] else [],
    }[resource_type]()
    if not found:
        raise Refusal(404, NOT_FOUND.get(resource_type, "NO_RECORD_FOUND"),
                      f"No {resource_type} with id {resource_id}")
    return found[0]
