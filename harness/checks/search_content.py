"""What every resource a slot search returns must hold, judged on the resources' JSON (the rule registry,
harness/judge/rules.py, hands each search's Bundle entries), so a resource the STU3 models would not parse
is still judged: ids and identifiers, each Schedule's actors and practitioner role, the Practitioners,
Locations and Organizations as the Read use cases require them. Pure: resources in, violations out."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

from harness.checks.profiles import resources_in
from harness.checks.violations import Violation, on
from harness.memo import RESOURCES_REMEMBERED, ByIdentity, grouped_by_run
from harness.spec.constants import (
    GMP_NUMBER_SYSTEM,
    ODS_SITE_SYSTEM,
    ODS_SYSTEM,
    PRACTITIONER_ROLE_URL,
    SDS_ROLE_PROFILE_SYSTEM,
    SDS_USER_SYSTEM,
)
from harness.transport import fhir

ACTOR_INCLUDES = {"Location": "Schedule:actor:Location", "Practitioner": "Schedule:actor:Practitioner"}
PRACTITIONER_SYSTEMS = (SDS_USER_SYSTEM, SDS_ROLE_PROFILE_SYSTEM, GMP_NUMBER_SYSTEM)
PRACTITIONER_NOT_POPULATED = ("telecom", "address", "birthDate", "photo", "qualification")
NAME_USES = ("usual", "official", "temp", "nickname", "anonymous", "old", "maiden")  # required binding: NameUse


def of_type(resources: list[dict], rtype_: str) -> list[dict]:
    """The resources of that type, in order."""
    if len(resources) < GROUPED_FROM:
        return [r for r in resources if isinstance(r, dict) and r.get("resourceType") == rtype_]
    return list(by_type(resources).get(rtype_, ()))


GROUPED_FROM = 256


def by_type(resources: list) -> dict[Any, list[dict]]:
    """The resources (objects) of a list by resourceType, each type's in order. A long list's is worked out once per
    list object (a body's resources, which nothing changes), from runs other bodies share (memo.grouped_by_run)."""
    if len(resources) < GROUPED_FROM:
        return _grouped_run(resources)
    return _BY_TYPE.get(resources, _grouped)


def _grouped(resources: list) -> dict[Any, list[dict]]:
    return grouped_by_run(resources, _RUN_TYPES, _grouped_run)


def _grouped_run(resources) -> dict[Any, list[dict]]:
    grouped: dict[Any, list[dict]] = {}
    for r in resources:
        if isinstance(r, dict):
            grouped.setdefault(r.get("resourceType"), []).append(r)
    return grouped


_BY_TYPE = ByIdentity(32)
_RUN_TYPES = ByIdentity(RESOURCES_REMEMBERED // 8)


def as_list(value) -> list:
    return value if isinstance(value, list) else [] if value is None else [value]


def reference(node) -> str | None:
    ref = node.get("reference") if isinstance(node, dict) else None
    return ref if isinstance(ref, str) and ref else None


def identifiers(resource: dict, system: str | None = None) -> list[dict]:
    found = [i for i in as_list(resource.get("identifier")) if isinstance(i, dict)]
    return found if system is None else [i for i in found if i.get("system") == system]


def missing_ids(resources: list[dict]) -> list[Violation]:
    """Every resource of the Bundle has a logical id (SLOT-ID-01, NHS expectation)."""
    return [on(r, "SLOT-ID-01", f"{r.get('resourceType')}.id", "a logical id", "none",
               f"has no logical id ({r.get('resourceType')}.id is empty)")
            for r in resources if isinstance(r, dict) and not str(r.get("id") or "").strip()]


def identifier_count_violations(resources: list[dict]) -> list[Violation]:
    """Every Slot and Schedule has at most one identifier (SLOT-IDENT-01, NHS expectation)."""
    return [on(r, "SLOT-IDENT-01", f"{r['resourceType']}.identifier", "at most 1",
               len(identifiers(r)), f"has {len(identifiers(r))} identifiers, at most one expected")
            for r in of_type(resources, "Slot") + of_type(resources, "Schedule") if len(identifiers(r)) > 1]


def schedule_role_violations(resources: list[dict]) -> list[Violation]:
    """Every Schedule carries exactly one practitioner role extension (SLOT-SCHEDROLE-01, NHS expectation),
    whether or not a Practitioner acts on it."""
    found = []
    for schedule in of_type(resources, "Schedule"):
        roles = [e for e in as_list(schedule.get("extension"))
                 if isinstance(e, dict) and e.get("url") == PRACTITIONER_ROLE_URL]
        if len(roles) != 1:
            found.append(on(schedule, "SLOT-SCHEDROLE-01", "Schedule.extension:practitionerRole",
                            "exactly 1", len(roles), f"carries {len(roles)} practitioner "
                            "role extensions (Extension-GPConnect-PractitionerRole-1), exactly one expected"))
    return found


def _actor_keys(schedule: dict, rtype_: str) -> list[tuple[str, str]]:
    keys = [fhir.ref_key(reference(a)) for a in as_list(schedule.get("actor"))]
    return [k for k in keys if k and k[0] == rtype_]


def schedule_location_violations(resources: list[dict]) -> list[Violation]:
    """Every Schedule references a Location, its mandatory actor (SLOT-SCHEDLOC-01); a Practitioner is optional."""
    return [on(s, "SLOT-SCHEDLOC-01", "Schedule.actor", "a Location reference", "none",
               "references no Location among its actors")
            for s in of_type(resources, "Schedule") if not _actor_keys(s, "Location")]


def uninvited_actor_violations(resources: list[dict], includes) -> list[Violation]:
    """Practitioners and Locations are returned only where their _include:recurse was sent (SLOT-INCLUDE-02)."""
    return [on(r, "SLOT-INCLUDE-02", "Bundle.entry", f"no {rtype_} without {include}", "included",
               f"is returned though _include:recurse={include} was not sent")
            for rtype_, include in ACTOR_INCLUDES.items() if include not in includes
            for r in of_type(resources, rtype_)]


def included_actor_violations(resources: list[dict], includes) -> list[Violation]:
    """With an actor's _include:recurse sent, every such actor of a returned Schedule is in the Bundle
    (SLOT-INCLUDE-03)."""
    present = {(kind, str(r.get("id"))) for kind, found in by_type(resources).items() if kind != "Slot"
               for r in found}  # actors are never Slots
    found = []
    for rtype_, include in ACTOR_INCLUDES.items():
        if include not in includes:
            continue
        for schedule in of_type(resources, "Schedule"):
            for key in _actor_keys(schedule, rtype_):
                if key not in present:
                    found.append(on(schedule, "SLOT-INCLUDE-03", "Schedule.actor",
                                    f"{rtype_} in the Bundle", f"{key[0]}/{key[1]} missing",
                                    f"references {key[0]}/{key[1]}, "
                                    f"which is not in the Bundle though _include:recurse={include} was sent"))
    return found


def _at_most_one(rule: str, resource: dict, system: str, what: str) -> list[Violation]:
    matching = identifiers(resource, system)
    found = []
    if len(matching) > 1:
        found.append(on(resource, rule, f"{resource['resourceType']}.identifier", f"at most one {what}",
                        len(matching), f"has {len(matching)} {what} identifiers ({system}), "
                        "at most one allowed"))
    found += [on(resource, rule, f"{resource['resourceType']}.identifier.value", "a value", "none",
                 f"has a {what} identifier without a value")
              for i in matching if not str(i.get("value") or "").strip()]
    return found


def _relative_reference(rule: str, resource: dict, element: str, target: str, required: bool) -> list[Violation]:
    ref = reference(resource.get(element))
    key = fhir.ref_key(ref)
    path = f"{resource['resourceType']}.{element}.reference"
    if ref is None:
        return [on(resource, rule, path, f"a relative {target} reference", "none",
                   f"has no {element}")] if required else []
    if key is None or not ref.startswith(f"{target}/"):
        return [on(resource, rule, path, f"{target}/[id]", ref,
                   f"{element} '{ref}' is not a relative {target} reference")]
    return []


def practitioner_violations(resources: list[dict]) -> list[Violation]:
    """Practitioners as Read a practitioner populates them (SLOT-PRACT-01) and with only NHS's three
    identifier systems (SLOT-PRACT-02, NHS expectation)."""
    found = []
    for p in of_type(resources, "Practitioner"):
        found += _at_most_one("SLOT-PRACT-01", p, SDS_USER_SYSTEM, "SDS user id")
        found += [on(p, "SLOT-PRACT-01", f"Practitioner.{element}", "absent", "populated",
                     f"carries Practitioner.{element}, which Read a practitioner SHALL NOT populate")
                  for element in PRACTITIONER_NOT_POPULATED if p.get(element) not in (None, [], "")]
        found += [on(p, "SLOT-PRACT-01", "Practitioner.name.use", " or ".join(NAME_USES), n.get("use"),
                     f"has a name of use '{n.get('use')}', "
                     "not a code of the required NameUse value set")
                  for n in as_list(p.get("name")) if isinstance(n, dict) and n.get("use") not in (None, *NAME_USES)]
        found += [on(p, "SLOT-PRACT-02", "Practitioner.identifier.system",
                     " or ".join(PRACTITIONER_SYSTEMS),
                     i.get("system") or "none", f"has an identifier of system "
                     f"{i.get('system') or '(none)'}, not an SDS user id, SDS role profile id or GMP number")
                  for i in identifiers(p) if i.get("system") not in PRACTITIONER_SYSTEMS]
    return found


def location_violations(resources: list[dict]) -> list[Violation]:
    """Locations with name and address, relative managingOrganization and partOf, one ODS site code and
    no endpoint (SLOT-LOC-01); type and physicalType codings with system, code and display (SLOT-LOC-02,
    NHS expectation). Whether managingOrganization is present and in the Bundle is SLOT-ORG-01's."""
    found = []
    for loc in of_type(resources, "Location"):
        found += [on(loc, "SLOT-LOC-01", f"Location.{element}", "populated", "none",
                     f"has no {element}") for element in ("name", "address")
                  if loc.get(element) in (None, "", [], {})]
        if reference(loc.get("managingOrganization")):
            found += _relative_reference("SLOT-LOC-01", loc, "managingOrganization", "Organization", True)
        found += _relative_reference("SLOT-LOC-01", loc, "partOf", "Location", False)
        found += _at_most_one("SLOT-LOC-01", loc, ODS_SITE_SYSTEM, "ODS site code")
        if loc.get("endpoint") not in (None, []):
            found.append(on(loc, "SLOT-LOC-01", "Location.endpoint", "absent", "populated",
                            "carries Location.endpoint, which Read a location "
                            "SHALL NOT populate"))
        for element in ("type", "physicalType"):
            node = loc.get(element)
            for coding in as_list(node.get("coding") if isinstance(node, dict) else None):
                missing = [k for k in ("system", "code", "display") if not (coding or {}).get(k)]
                if missing:
                    found.append(on(loc, "SLOT-LOC-02", f"Location.{element}.coding",
                                    "system, code and display", f"no {', '.join(missing)}",
                                    f"has a {element} coding without {' or '.join(missing)}"))
    return found


def organization_content_violations(resources: list[dict]) -> list[Violation]:
    """Organizations as Read an organisation populates them (SLOT-ORG-02) with every identifier's system
    and value (SLOT-ORG-03, NHS expectation)."""
    found = []
    for org in of_type(resources, "Organization"):
        found += _at_most_one("SLOT-ORG-02", org, ODS_SYSTEM, "ODS organisation code")
        found += _relative_reference("SLOT-ORG-02", org, "partOf", "Organization", False)
        found += [on(org, "SLOT-ORG-02", f"Organization.{element}", "absent", "populated",
                     f"carries Organization.{element}, which Read an organisation SHALL NOT "
                     "populate") for element in ("contact", "endpoint") if org.get(element) not in (None, [])]
        found += [on(org, "SLOT-ORG-03", "Organization.identifier", "a system and a value",
                     f"system {i.get('system') or 'none'}, value {i.get('value') or 'none'}",
                     f"has an identifier without a {'system' if not i.get('system') else 'value'}")
                  for i in identifiers(org) if not i.get("system") or not str(i.get("value") or "").strip()]
    return found


def content_violations(body, url: str) -> list[Violation]:
    """Everything the slot search rules require of each returned resource, for a search sent to `url`."""
    resources = resources_in(body)
    includes = {v for k, v in parse_qsl(urlsplit(url).query) if k == "_include:recurse"}
    return (included_actor_violations(resources, includes) + schedule_location_violations(resources)
            + missing_ids(resources) + identifier_count_violations(resources) + schedule_role_violations(resources)
            + practitioner_violations(resources) + location_violations(resources)
            + organization_content_violations(resources))
