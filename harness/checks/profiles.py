"""Conformance of returned resources to their GP Connect 1.2.7 profiles.

Driven by harness/spec/profiles/gpconnect-1.2.7.json, generated from the StructureDefinitions by
tools/generate_profile_constraints.py: forbidden elements (max 0), required elements (min),
cardinalities, fixed values, extension URLs, codes bound to value sets, and the snapshots' FHIRPath
invariants (harness/checks/invariants.py). Plus two rules the
spec states in prose: UK local date-times with offset, and local relative references only.
Every check returns Violations (FND-PROFILE-01, FND-TIME-01, FND-REF-01, FND-META-01) whose
message names the resource, its id, the element path and the rule.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

from harness.checks import invariants, searchset_invariants
from harness.checks.violations import Violation, violation
from harness.memo import RESOURCES_REMEMBERED, ByIdentity, Memo, joined_by_run
from harness.spec.constants import PROFILE_FOR
from harness.transport import fhir, shapes

DATA = Path(__file__).resolve().parent.parent / "spec" / "profiles" / "gpconnect-1.2.7.json"
PROFILE, UK_TIME, REFERENCES = "profile", "uk time", "references"
ALL_RULES = (PROFILE, UK_TIME, REFERENCES)
REQUIREMENT_OF = {PROFILE: "FND-PROFILE-01", UK_TIME: "FND-TIME-01", REFERENCES: "FND-REF-01"}
META = "FND-META-01"
UK_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+0[01]:00")
UK_TIME_FIELDS = {"Slot": ("start", "end"), "Appointment": ("start", "end", "created"),
                  "Schedule": ("planningHorizon.start", "planningHorizon.end")}


@lru_cache(maxsize=1)
def constraints() -> dict:
    return json.loads(DATA.read_text(encoding="utf-8"))


def _children(node: Any, name: str) -> list:
    if not isinstance(node, dict) or name not in node or node[name] is None:
        return []
    value = node[name]
    return value if isinstance(value, list) else [value]


def _nodes(resource: dict, parts: list[str]) -> list:
    nodes = [resource]
    for part in parts:
        nodes = [child for node in nodes for child in _children(node, part)]
    return nodes


def _codes(value_set: str) -> dict[str, set[str]]:
    return {system: set(codes) for system, codes in constraints()["value_sets"].get(value_set, {}).items()}


def _profile(label: str, element: str, expected: object, got: object, message: str) -> Violation:
    return violation(REQUIREMENT_OF[PROFILE], label, element, expected, got, f"{label}: {message}")


def _binding_violations(label: str, element: str, value: Any, binding: dict) -> list[Violation]:
    codes = _codes(binding["valueSet"])
    if not codes:
        return []  # a base FHIR value set the profiles do not carry: the STU3 model checks these
    rule = f"{binding['strength']} binding to {binding['valueSet']}"
    if isinstance(value, str):
        allowed = set().union(*codes.values())
        return [] if value in allowed else [_profile(label, element, f"a code in {binding['valueSet']}", value,
                                                      f"{element} code '{value}' is not in the {rule}")]
    codings = value.get("coding") or [] if isinstance(value, dict) and "coding" in value else [value]
    found = []
    for coding in codings:
        if not isinstance(coding, dict):
            continue
        system, code = coding.get("system"), coding.get("code")
        if system in codes:
            if code not in codes[system]:
                found.append(_profile(label, element, f"a code in {binding['valueSet']}", code,
                                      f"{element} code '{code}' of {system} is not in the {rule}"))
        elif binding["strength"] == "required":
            found.append(_profile(label, element, f"a system of {binding['valueSet']}", system,
                                  f"{element} coding system '{system}' is not allowed by the {rule}"))
    return found


@lru_cache(maxsize=None)
def _parts(path: str) -> tuple[list[str], str]:
    """An element path's parts below the resource, and its last part: ('Slot.identifier.system' gives
    (['identifier'], 'system'))."""
    parts = path.split(".")[1:]
    return parts[:-1], parts[-1]


def _element_violations(resource: dict, label: str, element: dict) -> list[Violation]:
    above, name = _parts(element["path"])
    found = []
    for parent in _nodes(resource, above) if above else (resource,):
        if not isinstance(parent, dict):
            continue
        values = _children(parent, name)
        if "extension" in element:
            values = [v for v in values if isinstance(v, dict) and v.get("url") == element["extension"]]
        path = element["path"] + (f":{element['slice']}" if "slice" in element else "")
        if len(values) < element["min"]:
            found.append(_profile(label, path, f"at least {element['min']}", len(values),
                                  f"{path} is required (min {element['min']}) but missing"))
        if element["max"] == "0" and values:
            found.append(_profile(label, path, "absent", "populated", f"{path} must not be populated (max 0)"))
        elif element["max"] not in ("*", "0") and len(values) > int(element["max"]):
            found.append(_profile(label, path, f"at most {element['max']}", len(values),
                                  f"{path} has {len(values)} values, at most {element['max']} allowed"))
        fixed = element.get("fixed")
        for value in values if fixed else []:
            if value != fixed["value"]:
                found.append(_profile(label, path, fixed["value"], value,
                                      f"{path} is '{value}', fixed value is '{fixed['value']}'"))
        for value in values if element.get("binding") else []:
            found += _binding_violations(label, path, value, element["binding"])
    return found


@lru_cache(maxsize=None)
def _elements_by_member(url: str) -> tuple[tuple[str, bool, dict], ...]:
    """Each element of the profile with the resource's member its path starts from, and whether the element
    can say anything of a resource without that member (a required member of the resource itself). Every
    element path has a member below the resource (tools/generate_profile_constraints.py)."""
    out = []
    for element in constraints()["profiles"][url]["elements"]:
        parts = element["path"].split(".")[1:]
        out.append((parts[0], len(parts) == 1 and element["min"] > 0, element))
    return tuple(out)


def _elements_reaching(url: str, resource: dict) -> list[dict]:
    """The profile's elements that can find something in this resource: an element under a member the resource
    does not have has no node to judge (_element_violations finds nothing), unless it is that member, required."""
    return [element for member, required, element in _elements_by_member(url) if required or member in resource]


@lru_cache(maxsize=None)
def _compared(url: str, member: str) -> frozenset[str]:
    """The values under a resource's `member` that its profile's elements compare (with a fixed value or a binding):
    the member's own ("") and its items' members, by name. Every other element under it counts values only."""
    return frozenset((element["path"].split(".")[2:] or [""])[0] for first, _, element in _elements_by_member(url)
                     if first == member and (element.get("fixed") or element.get("binding")))


def _member_key(url: str, value: Any, member: str) -> tuple | None:
    """What the elements under a varying member read of its value, plain text or a list of objects of plain text
    as shapes.shape_of found it: the values they compare, and where every other value is; None when they compare
    a list whole. An element two levels down finds no object to judge in a value of plain text."""
    compared = _compared(url, member)
    if isinstance(value, str):
        return (value if "" in compared else None,)
    if "" in compared:
        return None
    return tuple(tuple((k, v if k in compared else None) for k, v in item.items()) for item in value)


# The values of a resource's varying members (by _member_key) under which no element of its profile found anything.
_CLEAN_MEMBERS = Memo(RESOURCES_REMEMBERED)


def _varying_violations(url: str, resource: dict, label: str, only: frozenset[str]) -> list[Violation]:
    """What the elements under the members `only` find, in the profile's order; a member whose value reads as one
    they found nothing under before (_member_key) is not judged again: a hub's slots are 30,000 ids and
    identifiers of one form and a few thousand times."""
    keys = {member: _member_key(url, resource.get(member), member) for member in only}
    skipped = {member for member, key in keys.items() if key is not None and _CLEAN_MEMBERS.get((url, member, key))}
    if len(skipped) == len(only):
        return []  # every member's value reads as one found clean before
    found: list[Violation] = []
    broke = set()
    for member, _, element in _elements_by_member(url):
        if member in only and member not in skipped:
            mine = _element_violations(resource, label, element)
            if mine:
                broke.add(member)
                found += mine
    for member, key in keys.items():
        if key is not None and member not in skipped and member not in broke:
            _CLEAN_MEMBERS.put((url, member, key), True)
    return found


def _extension_violations(resource: dict, label: str, profile: dict) -> list[Violation]:
    """Extensions at the resource's top level: known URL for this profile, and bound values in range."""
    allowed = {e["extension"] for e in profile["elements"]
               if e.get("extension") and e["path"].count(".") == 1}
    found = []
    for ext in _children(resource, "extension"):
        url = ext.get("url") if isinstance(ext, dict) else None
        if not url:
            found.append(_profile(label, "extension.url", "a url", "none", "extension has no url"))
            continue
        if url.startswith("https://fhir.nhs.uk/") and url not in allowed:
            found.append(_profile(label, "extension.url", "a URL its profile defines", url,
                                  f"extension URL '{url}' is not defined by its profile"))
        binding = (constraints()["extensions"].get(url) or {}).get("binding")
        if binding and binding["value"] in ext:
            found += _binding_violations(label, f"extension {url.rsplit('/', 1)[-1]}.{binding['value']}",
                                         ext[binding["value"]], binding)
    return found


def _may_refer(value: Any) -> bool:
    """Whether a varying member's value (plain text, or a list of objects of plain text: shapes.shape_of) can hold
    a reference: only an object of the list with a member named reference."""
    if isinstance(value, str):
        return False
    if isinstance(value, list) and all(isinstance(i, dict) and all(type(v) is str for v in i.values()) for i in value):
        return any("reference" in i for i in value)
    return True  # not plain: walked whole


def _references(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" and isinstance(value, str):
                yield path, value
            elif key != "contained":
                yield from _references(value, f"{path}.{key}" if path else key)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item, path)


# Each distinct resource is judged once per run: a large practice's searches repeat thousands of
# the same slots, and the verdict depends on the resource's JSON alone.
MAX_JUDGED = RESOURCES_REMEMBERED
_JUDGED = Memo(MAX_JUDGED)


def resource_violations(resource: dict, label: str | None = None,
                        rules: tuple[str, ...] = ALL_RULES) -> list[Violation]:
    """What about this resource breaks its GP Connect profile (PROFILE), the UK local time rule
    (UK_TIME) or the local relative reference rule (REFERENCES)."""
    if label is not None or not isinstance(resource, dict):
        return _resource_violations(resource, label, rules)
    content = fhir.digest(resource)
    if content is None:
        return _resource_violations(resource, None, rules)
    key = (content, tuple(rules))
    found = _JUDGED.get(key)
    if found is None:
        found = _by_shape(resource, tuple(rules))
        if found is None:
            found = tuple(_resource_violations(resource, None, rules))
        _JUDGED.put(key, found)
    return list(found)


# Whether the first resource judged of each shape (shapes.py: its JSON but the members that vary within a
# shape, and which of those it has) broke nothing. A later resource of a clean shape can break only what
# reads those members' values (`only` below): a hub's 30,000 slots are a few hundred shapes.
_CLEAN_SHAPES = Memo(MAX_JUDGED)


def _by_shape(resource: dict, rules: tuple[str, ...]) -> tuple[Violation, ...] | None:
    """The resource's verdict through its shape; None when it must be judged whole."""
    shaped = shapes.shape_of(resource, fhir.json_key)
    if shaped is None:
        return None
    varying, shape = shaped
    key = (rules, tuple(varying), shape)
    clean = _CLEAN_SHAPES.get(key)
    if clean is None:
        found = tuple(_resource_violations(resource, None, rules))
        _CLEAN_SHAPES.put(key, not found)
        return found
    return tuple(_resource_violations(resource, None, rules, frozenset(varying))) if clean else None


def _resource_violations(resource: dict, label: str | None, rules: tuple[str, ...],
                         only: frozenset[str] | None = None) -> list[Violation]:
    """What the resource breaks; with `only`, what can differ from a resource of its shape that broke nothing:
    each check that reads those members (elements under them, their invariants and those that read them,
    UK times and references in them)."""
    rtype = resource.get("resourceType", "")
    label = label or fhir.label(resource)
    url = PROFILE_FOR.get(rtype)
    if not url:
        return []
    profile = constraints()["profiles"][url]
    found = []
    if PROFILE in rules:
        if only is None:
            for element in _elements_reaching(url, resource):
                found += _element_violations(resource, label, element)
            found += _extension_violations(resource, label, profile)
        else:
            found += _varying_violations(url, resource, label, only)
        found += invariants.violations(resource, label, profile, constraints()["extensions"], only)
    for field in UK_TIME_FIELDS.get(rtype, ()) if UK_TIME in rules else ():
        if only is not None and field.split(".")[0] not in only:
            continue
        for value in _nodes(resource, field.split(".")):
            if isinstance(value, str) and not UK_DATETIME.fullmatch(value):
                found.append(violation(REQUIREMENT_OF[UK_TIME], label, f"{rtype}.{field}",
                                       "UK local time with offset +00:00 or +01:00", value,
                                       f"{label}: {rtype}.{field} '{value}' is not UK local time with offset "
                                       "+00:00 or +01:00"))
    walked = resource if only is None else {k: v for k, v in resource.items() if k in only and _may_refer(v)}
    for path, ref in _references(walked) if REFERENCES in rules else ():
        if re.match(r"^[a-z][a-z0-9+.-]*:", ref, re.I):
            found.append(violation(REQUIREMENT_OF[REFERENCES], label, f"{rtype}.{path}.reference",
                                   "a local relative reference", ref,
                                   f"{label}: {rtype}.{path}.reference '{ref}' is not a local relative reference"))
    for contained in _children(resource, "contained") if only is None else ():
        if isinstance(contained, dict):
            found += resource_violations(contained, f"{label} contained {contained.get('resourceType')} "
                                                    f"#{contained.get('id')}", rules)
    return found


SEARCHSET_BUNDLE = "https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-Searchset-Bundle-1"


def bundle_violations(body: Any) -> list[Violation]:
    """The invariants of GPConnect-Searchset-Bundle-1 (bdl-1 to bdl-9, and ele-1 on its entries) on a returned
    searchset Bundle; its resources are judged one by one by resource_violations."""
    if not isinstance(body, dict) or body.get("resourceType") != "Bundle" or body.get("type") != "searchset":
        return []
    profile = constraints()["other_profiles"][SEARCHSET_BUNDLE]
    return searchset_invariants.bundle_violations(body, "searchset Bundle", profile, constraints()["extensions"])


def meta_violations(resource: dict) -> list[Violation]:
    """meta.profile names the resource's GP Connect profile, and meta.versionId is present."""
    rtype = resource.get("resourceType", "")
    label = f"{rtype} {resource.get('id', '(no id)')}"
    meta = resource.get("meta") or {}
    found = []
    if rtype in PROFILE_FOR and rtype != "OperationOutcome" and PROFILE_FOR[rtype] not in (meta.get("profile") or []):
        found.append(violation(META, label, f"{rtype}.meta.profile", PROFILE_FOR[rtype], meta.get("profile"),
                               f"{label}: meta.profile does not name {PROFILE_FOR[rtype]}"))
    if rtype not in ("OperationOutcome", "Bundle") and not meta.get("versionId"):
        found.append(violation(META, label, f"{rtype}.meta.versionId", "a version", "none",
                               f"{label}: meta.versionId is missing"))
    return found


def single_profile_violations(resource: dict) -> list[Violation]:
    """meta.profile holds exactly one profile, the resource's GP Connect profile (FND-META-02, NHS's
    CheckForValidMetaDataInResource). A resource without its profile is FND-META-01's."""
    rtype = resource.get("resourceType", "")
    profiles = (resource.get("meta") or {}).get("profile") or []
    if rtype not in PROFILE_FOR or PROFILE_FOR[rtype] not in profiles or len(profiles) == 1:
        return []
    label = f"{rtype} {resource.get('id', '(no id)')}"
    return [violation("FND-META-02", label, f"{rtype}.meta.profile", [PROFILE_FOR[rtype]], profiles,
                      f"{label}: meta.profile holds {len(profiles)} profiles, expected only {PROFILE_FOR[rtype]}")]


def resources_in(body: Any) -> list[dict]:
    """The resource itself, or each entry's of a Bundle: taken once per run of entries (memo.joined_by_run), which a
    hub's answers share."""
    if not isinstance(body, dict):
        return []
    if body.get("resourceType") == "Bundle":
        return joined_by_run(fhir.bundle_entries(body), _RUN_RESOURCES, _resources_of)
    return [body]


_RUN_RESOURCES = ByIdentity(RESOURCES_REMEMBERED // 8)


def _resources_of(entries: tuple) -> tuple[dict, ...]:
    return tuple(e.get("resource") for e in entries if isinstance(e, dict) and e.get("resource"))
