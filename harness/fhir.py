"""Parsing provider responses with the fhir.resources STU3 models, and resolving references.

A parse failure is a Nonconformance naming the resource (type and id) and the field path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from fhir.resources.STU3 import get_fhir_model_class
from pydantic import ValidationError

from .errors import Nonconformance

SPINE_CODE_SYSTEM = "https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1"


def _path(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(root)"


def _describe_errors(exc: ValidationError, data: dict, where: str) -> str:
    first = exc.errors()[0]
    loc = tuple(first["loc"])
    # Walk into a Bundle entry so the message names the resource that is wrong.
    node: Any = data
    label = f"{data.get('resourceType', 'resource')} {data.get('id', '(no id)')}"
    rest = loc
    if len(loc) >= 3 and loc[0] == "entry" and isinstance(loc[1], int) and loc[2] == "resource":
        try:
            node = data["entry"][loc[1]]["resource"]
            label = f"{node.get('resourceType', 'resource')} {node.get('id', '(no id)')} (entry[{loc[1]}])"
            rest = loc[3:]
        except (KeyError, IndexError, TypeError):
            pass
    more = f" (+{len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    return f"{label} does not parse as FHIR STU3: {_path(rest)}: {first['msg']}{more} ({where})"


def parse(data: Any, where: str, expected_type: str | None = None):
    """Parse a JSON resource with its STU3 model; `where` names the request for messages."""
    if not isinstance(data, dict) or "resourceType" not in data:
        raise Nonconformance(f"response is not a FHIR resource: no resourceType ({where})")
    rtype = data["resourceType"]
    if expected_type and rtype != expected_type:
        raise Nonconformance(f"expected a {expected_type}, got a {rtype} ({where})")
    try:
        model_class = get_fhir_model_class(rtype)
    except (KeyError, ValueError):
        raise Nonconformance(f"response has unknown resourceType '{rtype}' ({where})") from None
    try:
        return model_class.model_validate(data)
    except ValidationError as exc:
        raise Nonconformance(_describe_errors(exc, data, where)) from None


def ref_key(reference: str | None) -> tuple[str, str] | None:
    """('Slot', '12') for 'Slot/12', '.../Slot/12' or '.../Slot/12/_history/3'; None if unusable."""
    if not reference or reference.startswith("#"):
        return None
    parts = reference.rstrip("/").split("/")
    if len(parts) >= 4 and parts[-2] == "_history":
        parts = parts[:-2]
    if len(parts) < 2:
        return None
    return parts[-2], parts[-1]


def rtype(resource) -> str:
    """The resourceType of a parsed model."""
    return resource.get_resource_type()


def resource_label(resource) -> str:
    return f"{rtype(resource)} {resource.id or '(no id)'}"


@dataclass
class BundleIndex:
    """The resources of a Bundle, by type and id, in Bundle order."""

    bundle: Any

    def __post_init__(self):
        self.entries = [e.resource for e in (self.bundle.entry or []) if e.resource is not None]
        self._by_key = {(rtype(r), r.id): r for r in self.entries if r.id}

    def of_type(self, wanted: str) -> list:
        return [r for r in self.entries if rtype(r) == wanted]

    def resolve(self, reference: str | None):
        key = ref_key(reference)
        return self._by_key.get(key) if key else None

    def __iter__(self) -> Iterator:
        return iter(self.entries)


def text_of(concept) -> str:
    """Trimmed text of a CodeableConcept, '' when absent."""
    return ((concept.text if concept is not None else None) or "").strip()


def texts_of(concepts) -> list[str]:
    return [t for t in (text_of(c) for c in (concepts or [])) if t]
