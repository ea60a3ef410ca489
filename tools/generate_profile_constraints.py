"""Generate harness/spec/profiles/gpconnect-1.2.7.json from the GP Connect FHIR profiles.

    python tools/generate_profile_constraints.py [--source DIR] [--out FILE]

Reads the StructureDefinition snapshots, ValueSets and CodeSystems (default: the copy in
../shared/reference/gpconnect-1.2.7/fhir-profiles, taken from nhsconnect/gpconnect-fhir) and writes
the constraints the harness checks: cardinalities, fixed values, extension slices and their
URLs, bindings to value sets that can be expanded from the files, and every invariant (FHIRPath)
of every snapshot (the returned profiles, their extensions, the searchset Bundle and the consumer's
Device) with the elements it is declared on, and whether the harness can evaluate it. A new profile
release is
a new run of this script, not new code.
"""

from __future__ import annotations

import argparse
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

NS = {"f": "http://hl7.org/fhir"}
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from harness.checks.fhirpath import unevaluable  # noqa: E402 - the harness's own evaluator decides

DEFAULT_SOURCE = ROOT.parent / "shared" / "reference" / "gpconnect-1.2.7" / "fhir-profiles"
DEFAULT_OUT = ROOT / "harness" / "spec" / "profiles" / "gpconnect-1.2.7.json"
SOURCE = {
    "repository": "nhsconnect/gpconnect-fhir",
    "branch": "release/1.2.7",
    "commit": "b4406719a7442fe5a39b802b5eddc09e1795c890",
}
# The profiles the appointment interactions return, by resource type.
PROFILES = ("GPConnect-Slot-1", "GPConnect-Schedule-1", "GPConnect-Appointment-1", "GPConnect-OperationOutcome-1",
            "CareConnect-GPC-Practitioner-1", "CareConnect-GPC-Location-1", "CareConnect-GPC-Organization-1",
            "CareConnect-GPC-Patient-1")


def _value(node, tag):
    child = node.find(f"f:{tag}", NS)
    return child.get("value") if child is not None else None


def code_systems(source: Path) -> dict[str, list[str]]:
    out = {}
    for path in sorted((source / "CodeSystems").glob("*.xml")):
        root = ET.parse(path).getroot()
        out[_value(root, "url")] = [c.get("value") for c in root.iterfind(".//f:concept/f:code", NS)]
    return out


def value_sets(source: Path, systems: dict[str, list[str]]) -> dict[str, dict]:
    """ValueSet url -> {system: [codes]}, expanded from compose.include (whole systems or listed concepts)."""
    out = {}
    for path in sorted((source / "ValueSets").glob("*.xml")):
        root = ET.parse(path).getroot()
        expansion: dict[str, list[str]] = {}
        for include in root.iterfind("f:compose/f:include", NS):
            system = _value(include, "system")
            listed = [c.get("value") for c in include.iterfind("f:concept/f:code", NS)]
            codes = listed or systems.get(system, [])
            if codes:
                expansion.setdefault(system, []).extend(codes)
        if expansion:
            out[_value(root, "url")] = expansion
    return out


def _binding(el) -> dict | None:
    binding = el.find("f:binding", NS)
    if binding is None:
        return None
    ref = binding.find("f:valueSetReference/f:reference", NS)
    uri = binding.find("f:valueSetUri", NS)
    url = ref.get("value") if ref is not None else (uri.get("value") if uri is not None else None)
    return {"strength": _value(binding, "strength"), "valueSet": url}


def _fixed(el) -> dict | None:
    for child in el:
        tag = child.tag.split("}")[1]
        if tag.startswith("fixed"):
            return {"type": tag[len("fixed"):], "value": child.get("value")}
    return None


def elements(root) -> list[dict]:
    """Constraints of base elements and of extension slices; other slices are left out (they need
    discriminators to tell which instance they apply to)."""
    found = []
    for el in root.iterfind("f:snapshot/f:element", NS):
        eid, path = el.get("id"), _value(el, "path")
        if "." not in path or "[x]" in path:
            continue
        types = [(_value(t, "code"), _value(t, "profile")) for t in el.iterfind("f:type", NS)]
        entry = {"path": path, "min": int(_value(el, "min") or 0), "max": _value(el, "max") or "*"}
        if ":" in eid:
            parts = eid.split(".")
            sliced = [p for p in parts if ":" in p]
            if (len(sliced) != 1
                    or not parts[-1].startswith("extension:") and not parts[-1].startswith("modifierExtension:")):
                continue
            profile = next((p for code, p in types if code == "Extension" and p), None)
            if not profile:
                continue
            entry["slice"] = parts[-1].split(":", 1)[1]
            entry["extension"] = profile
        fixed, binding = _fixed(el), _binding(el)
        if fixed:
            entry["fixed"] = fixed
        if binding and binding["strength"] in ("required", "extensible") and binding["valueSet"]:
            entry["binding"] = binding
        found.append(entry)
    return found


def invariants(root) -> dict[str, dict]:
    """Every invariant of the snapshot (constraint): by key, its severity, human text and FHIRPath expression,
    the ids of the elements it is declared on in the snapshot's order, and at each of their paths (an id
    without its slice names) the element's types, which type the node the invariant is evaluated on."""
    found: dict[str, dict] = {}
    for el in root.iterfind("f:snapshot/f:element", NS):
        for constraint in el.iterfind("f:constraint", NS):
            key = _value(constraint, "key")
            entry = found.setdefault(key, {"severity": _value(constraint, "severity"),
                                           "human": _value(constraint, "human"),
                                           "expression": _value(constraint, "expression"), "elements": [], "at": {}})
            if el.get("id") not in entry["elements"]:
                entry["elements"].append(el.get("id"))
            types = entry["at"].setdefault(_value(el, "path"), [])
            types += [t for t in (_value(t, "code") for t in el.iterfind("f:type", NS)) if t and t not in types]
    for entry in found.values():
        why = unevaluable(entry["expression"])
        if why:
            entry["not_evaluable"] = why
    return found


def extension_bindings(root) -> dict | None:
    """The value element of an extension and the value set it is bound to."""
    for el in root.iterfind("f:snapshot/f:element", NS):
        eid = el.get("id")
        if eid.startswith("Extension.value") and el.find("f:binding", NS) is not None:
            binding = _binding(el)
            key = eid.split(":")[-1] if ":" in eid else eid.split(".")[-1]
            return {"value": key, **binding}
    return None


def generate(source: Path) -> dict:
    systems = code_systems(source)
    sets = value_sets(source, systems)
    profiles, extensions, others = {}, {}, {}
    for path in sorted((source / "StructureDefinitions").glob("*.xml")):
        root = ET.parse(path).getroot()
        url, name, kind = _value(root, "url"), _value(root, "name"), _value(root, "type")
        if path.stem in PROFILES:
            profiles[url] = {"name": path.stem, "version": _value(root, "version"), "type": kind,
                             "elements": elements(root), "invariants": invariants(root)}
        elif kind == "Extension":
            extensions[url] = {"name": name, "binding": extension_bindings(root), "invariants": invariants(root)}
        else:
            others[url] = {"name": path.stem, "type": kind, "invariants": invariants(root)}
    return {
        "generated_by": "tools/generate_profile_constraints.py",
        "source": {**SOURCE, "path": "StructureDefinitions, ValueSets, CodeSystems"},
        "profiles": profiles,
        "extensions": extensions,
        "other_profiles": others,
        "value_sets": sets,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if not (args.source / "StructureDefinitions").is_dir():
        print(f"generate_profile_constraints: no StructureDefinitions under {args.source}", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(generate(args.source), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
