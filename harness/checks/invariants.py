"""The FHIRPath invariants of the GP Connect 1.2.7 StructureDefinitions, run with fhirpathpy.

The constraint table (harness/spec/profiles/gpconnect-1.2.7.json) carries every invariant of every
snapshot by key: its severity, human text, expression and the elements it is declared on, with each
element's path and types. Here each invariant of severity error is evaluated at every node of a resource
its element path reaches, with the node typed as the snapshot types it, %resource the resource, and
the result read as the HL7 validator reads it. Extensions are judged by their own StructureDefinition's
invariants too, wherever they are. What fhirpathpy cannot evaluate, and any warning invariant, is
listed by `not_assessed()`: the requirement page names each, never a silent skip.
"""

from __future__ import annotations

import contextlib
import io
import re
import warnings
from functools import lru_cache
from typing import Any, Iterator

import fhirpathpy
from fhirpathpy.engine.invocations import invocation_registry as FHIRPATH_FUNCTIONS
from fhirpathpy.engine.nodes import FP_DateTime, ResourceNode
from fhirpathpy.models import models

from harness.checks.violations import Violation, violation

REQUIREMENT = "FND-PROFILE-01"
EVALUATED = "error"  # the severity whose invariants are evaluated; a warning one is listed as not assessed
STU3 = models["stu3"]
DATE_TYPES = {"date", "dateTime", "instant"}
STRUCTURAL = {"BackboneElement", "Element"}


class InvariantNotEvaluated(UserWarning):
    """fhirpathpy raised evaluating an invariant on one node: that node is not judged by it."""


def _has_value(inputs: list) -> list[bool]:
    """hasValue(), which fhirpathpy lacks: a single FHIR primitive with a value (a JSON string, number or
    boolean; FHIR JSON allows no empty string), as opposed to an element with only children or extensions."""
    return [len(inputs) == 1 and inputs[0] is not None and not isinstance(inputs[0], (dict, list))
            and inputs[0] != ""]


HARNESS_FUNCTIONS = {"hasValue": {"fn": _has_value, "arity": {0: []}}}
OPTIONS = {"userInvocationTable": HARNESS_FUNCTIONS}
# A function is called as name( ; an operator (in, and, implies) is followed by a space.
_FUNCTION_CALL = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\(")
_STRING = re.compile(r"'(?:[^'\\]|\\.)*'")


def unevaluable(expression: str) -> str | None:
    """Why fhirpathpy (with the harness's hasValue) cannot evaluate `expression`, or None. Every function the
    expression calls must be one fhirpathpy or the harness defines, and the expression must compile."""
    code = _STRING.sub("''", expression)
    missing = sorted({name for name in _FUNCTION_CALL.findall(code)
                      if name not in FHIRPATH_FUNCTIONS and name not in HARNESS_FUNCTIONS})
    if missing:
        return f"fhirpathpy {fhirpathpy.__version__} lacks {', '.join(f'{m}()' for m in missing)}"
    try:
        compiled(expression)
    except Exception as exc:  # noqa: BLE001 - whatever it is, the expression is not evaluated
        return f"fhirpathpy {fhirpathpy.__version__} cannot compile it: {str(exc).splitlines()[0]}"
    return None


@lru_cache(maxsize=None)
def compiled(expression: str):
    return fhirpathpy.compile(expression, model=STU3, options=OPTIONS)


@lru_cache(maxsize=None)
def _compares(expression: str) -> bool:
    return bool(re.search(r"[<>]", _STRING.sub("''", expression)))


def holds(result: list) -> bool:
    """As the HL7 validator reads an invariant's result: a single boolean is its value, any other non-empty
    collection is true. Empty is read as holding: only a definite false is a finding."""
    return not (len(result) == 1 and result[0] is False)


def _typed(node: Any, base: str) -> Any:
    """`node` with its date, dateTime and instant children as FHIRPath date-times: fhirpathpy compares a
    typed element's text as text, so 09:00+01:00 would come after 08:30+00:00."""
    if not isinstance(node, dict):
        return node
    typed = dict(node)
    for name, value in node.items():
        if isinstance(value, str) and STU3["path2Type"].get(f"{base}.{name}") in DATE_TYPES:
            instant = FP_DateTime(value)
            if instant is not None:  # else text that is no date-time: left as it is
                typed[name] = instant
    return typed


def evaluate(expression: str, node: Any, base: str, resource: dict) -> list:
    """The result of `expression` on `node` (typed as `base`), with %resource and %rootResource `resource`."""
    if _compares(expression):
        node = _typed(node, base)
    with contextlib.redirect_stdout(io.StringIO()):  # trace() prints
        return compiled(expression)(ResourceNode.create_node(node, base),
                                    {"resource": resource, "rootResource": resource})


def _base(types: list[str], path: str) -> str:
    """The type a node at `path` is evaluated as: its datatype, or its own path for a backbone element."""
    named = [t for t in types if t not in STRUCTURAL]
    return named[0] if len(named) == 1 else path


def _choice_type(suffix: str, types: list[str]) -> str:
    return next((t for t in types if t.lower() == suffix.lower()), suffix[:1].lower() + suffix[1:])


def located(resource: dict, path: str, types: list[str]) -> Iterator[tuple[str, Any, str]]:
    """Each node `path` (an element path of the resource's type, value[x] for a choice) reaches in the JSON,
    with where it is (Appointment.participant[1]) and the type it is evaluated as."""
    parts = path.split(".")
    nodes: list[tuple[str, Any, str]] = [(parts[0], resource, resource.get("resourceType") or parts[0])]
    for depth, part in enumerate(parts[1:], start=2):
        last = depth == len(parts)
        step = []
        for where, node, _ in nodes:
            if not isinstance(node, dict):
                continue
            if part.endswith("[x]"):
                prefix = part[:-3]
                children = [(k, node[k], _choice_type(k[len(prefix):], types) if last else k)
                            for k in node if k.startswith(prefix) and k[len(prefix):][:1].isupper()]
            else:
                children = [(part, node[part], _base(types, path) if last else part)] if part in node else []
            for name, value, base in children:
                if isinstance(value, list):
                    step += [(f"{where}.{name}[{i}]", item, base) for i, item in enumerate(value) if item is not None]
                elif value is not None:
                    step.append((f"{where}.{name}", value, base))
        nodes = step
    yield from nodes


def extensions(node: Any, where: str) -> Iterator[tuple[str, dict]]:
    """Every extension and modifierExtension in `node`, nested ones included, with where it is; not into
    contained resources, which are judged as resources of their own."""
    if isinstance(node, dict):
        for name, value in node.items():
            if name == "contained":
                continue
            items = value if isinstance(value, list) else [value]
            for i, item in enumerate(items):
                at = f"{where}.{name}[{i}]" if isinstance(value, list) else f"{where}.{name}"
                if name in ("extension", "modifierExtension") and isinstance(item, dict):
                    yield at, item
                yield from extensions(item, at)


def _violations_of(invariants: dict, node_root: Any, where_root: str, resource: dict, label: str,
                   found: dict[tuple[str, str], Violation]) -> None:
    for key, invariant in invariants.items():
        if invariant["severity"] != EVALUATED or invariant.get("not_evaluable"):
            continue
        for path, types in invariant["at"].items():
            for where, node, base in located(node_root, path, types):
                where = where_root + where[len(path.split(".")[0]):]
                if (key, where) in found:
                    continue
                try:
                    result = evaluate(invariant["expression"], node, base, resource)
                except Exception as exc:  # noqa: BLE001 - fhirpathpy's failure is not the provider's
                    warnings.warn(InvariantNotEvaluated(f"{label}: {key} not evaluated at {where}: {exc}"),
                                  stacklevel=2)
                    continue
                if not holds(result):
                    found[(key, where)] = violation(
                        REQUIREMENT, label, where, f"{key} holds", "it does not",
                        f"{label}: {where} breaks invariant {key}: {invariant['human']}")


def violations(resource: dict, label: str, profile: dict, extension_profiles: dict) -> list[Violation]:
    """What invariants of its profile `resource` breaks, and of their own profiles its extensions break, each
    once per node (an extension is reached both as an element of the resource and as an Extension)."""
    found: dict[tuple[str, str], Violation] = {}
    rtype = resource.get("resourceType") or profile.get("type", "")
    _violations_of(profile.get("invariants", {}), resource, rtype, resource, label, found)
    for where, ext in extensions(resource, rtype):
        declared = extension_profiles.get(ext.get("url") or "")
        if declared and declared.get("invariants"):
            _violations_of(declared["invariants"], ext, where, resource, label, found)
    return list(found.values())


def declared(table: dict) -> Iterator[tuple[str, str, dict]]:
    """Every invariant of the table: (StructureDefinition name, key, invariant)."""
    for section in ("profiles", "extensions", "other_profiles"):
        for definition in table.get(section, {}).values():
            for key, invariant in (definition.get("invariants") or {}).items():
                yield definition["name"], key, invariant


def not_assessed(table: dict) -> list[tuple[str, str, str]]:
    """(StructureDefinition, key, why) for each invariant the harness does not evaluate."""
    return [(name, key, invariant.get("not_evaluable") or f"severity {invariant['severity']}: not evaluated")
            for name, key, invariant in declared(table)
            if invariant.get("not_evaluable") or invariant["severity"] != EVALUATED]


def coverage(table: dict) -> str:
    """One line for the run's identity: how many invariants are evaluated, and which are not."""
    every = list(declared(table))
    left = not_assessed(table)
    keys = len({key for _, key, _ in every})
    elements = sum(len(invariant["elements"]) for *_, invariant in every)
    listed = "; ".join(f"{name} {key} ({why})" for name, key, why in left) or "none"
    evaluated = len(every) - len(left)
    return f"{evaluated} of {len(every)} evaluated ({keys} keys, {elements} elements); not assessed: {listed}"
