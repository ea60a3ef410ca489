"""FHIRPath as the profiles' invariants need it: fhirpathpy with the STU3 model, and what it lacks.

- `hasValue()` (ele-1), which fhirpathpy does not define: a single FHIR primitive with a value.
- Typed date-times compared as instants: fhirpathpy compares an element's dateTime text as text, so an
  expression comparing two of a node's children (per-1's `start <= end`) is given them as date-times.
- `trace()` prints: its output is kept off the run's own.

An invariant's outcome on a node depends on the expression, the node's type and its JSON alone (and on
the resource too, for an expression reading %resource), so it is worked out once per distinct one.
"""

from __future__ import annotations

import contextlib
import io
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Hashable

import fhirpathpy
from fhirpathpy.engine.invocations import invocation_registry as FHIRPATH_FUNCTIONS
from fhirpathpy.engine.nodes import FP_DateTime, ResourceNode
from fhirpathpy.models import models

from harness.memo import Memo
from harness.transport import fhir

STU3 = models["stu3"]
DATE_TYPES = {"date", "dateTime", "instant"}


def _has_value(inputs: list) -> list[bool]:
    """hasValue(): a single FHIR primitive with a value (a JSON string, number or boolean; FHIR JSON allows
    no empty string), as opposed to an element with only children or extensions."""
    return [len(inputs) == 1 and inputs[0] is not None and not isinstance(inputs[0], (dict, list))
            and inputs[0] != ""]


HARNESS_FUNCTIONS = {"hasValue": {"fn": _has_value, "arity": {0: []}}}
OPTIONS = {"userInvocationTable": HARNESS_FUNCTIONS}
STRING_LITERAL = re.compile(r"'(?:[^'\\]|\\.)*'")
# A function is called as name( ; an operator (in, and, implies) is followed by a space.
_FUNCTION_CALL = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\(")


def code(expression: str) -> str:
    """The expression with its string literals emptied, for reading its structure."""
    return STRING_LITERAL.sub("''", expression)


def unevaluable(expression: str) -> str | None:
    """Why fhirpathpy (with the harness's hasValue) cannot evaluate `expression`, or None. Every function the
    expression calls must be one fhirpathpy or the harness defines, and the expression must compile."""
    missing = sorted({name for name in _FUNCTION_CALL.findall(code(expression))
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
def _traits(expression: str) -> tuple[bool, bool]:
    """(compares values, traces)."""
    text = code(expression)
    return bool(re.search(r"[<>]", text)), "trace(" in text


def holds(result: list) -> bool:
    """As the HL7 validator reads an invariant's result: a single boolean is its value, any other non-empty
    collection is true. Empty is read as holding: only a definite false is a finding."""
    return not (len(result) == 1 and result[0] is False)


def _typed(node: Any, base: str) -> Any:
    """`node` with its date, dateTime and instant children as FHIRPath date-times."""
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
    compares, traces = _traits(expression)
    if compares:
        node = _typed(node, base)
    run = compiled(expression)
    context = {"resource": resource, "rootResource": resource}
    if not traces:
        return run(ResourceNode.create_node(node, base), context)
    with contextlib.redirect_stdout(io.StringIO()):
        return run(ResourceNode.create_node(node, base), context)


# Outcomes by (expression, type, what of the node and the resource it reads): a large practice's thousands
# of slots share most of their elements (meta, extensions, slot types, schedules, times) and differ in a few.
MAX_OUTCOMES = 200_000
_OUTCOMES = Memo(MAX_OUTCOMES)
_FROM_CONTEXT = re.compile(r"(?<![.\w%$])([A-Za-z_]\w*)(\()?")
_FROM_RESOURCE = re.compile(r"%(?:resource|rootResource)(?:\.([A-Za-z_]\w*)(\()?)?")


# Functions that, applied to a primitive, see only whether it has a value: children() and descendants() of a
# primitive are empty, as is any member of it.
VALUE_BLIND = frozenset({"hasValue", "children", "descendants", "exists", "empty", "count"})


_COUNTED = re.compile(r"(?<![.\w%$])(?:hasValue\(\)|(?:children\(\)|[A-Za-z_]\w*)\.(?:count|exists|empty)\(\))")
_OPERATORS = re.compile(r"\b(?:and|or|xor|implies|div|mod|true|false)\b")


@dataclass(frozen=True)
class Reads:
    """What an expression can read: the node's members (None: all of it, through a function applied to the
    node, $this or %context), the resource's members after %resource (None: all of it; empty: none), and
    whether on a primitive node it sees only that the node has a value (ele-1), not which. A name inside a
    function's argument counts as read too, which only ever widens what is read."""

    node: frozenset[str] | None
    resource: frozenset[str] | None
    value_blind: bool
    # It reads the node only as hasValue(), and the counts of its children and of its members (ele-1): then
    # a node's shape (each member and how many values it has) decides.
    shape_only: bool = False
    # The members every path it starts from the node begins with, outside the argument of any function call,
    # where it calls no function on the node itself and reads %resource only inside the criteria of where(),
    # select(), exists(), all() or repeat(), evaluated once per item: on a node with none of them, every such
    # path is empty, and so the outcome is the same whatever else the node and the resource hold. None where
    # that does not hold.
    anchors: frozenset[str] | None = None


@lru_cache(maxsize=None)
def reads(expression: str) -> Reads:
    text = code(expression)
    names, calls = set(), set()
    for name, call in _FROM_CONTEXT.findall(text):
        (calls if call else names).add(name)
    whole = "$this" in text or "%context" in text
    resource: set[str] | None = set()
    for name, call in _FROM_RESOURCE.findall(text):
        if not name or call:
            resource = None
            break
        resource.add(name)
    counted = _OPERATORS.sub(" ", _COUNTED.sub(" 0 ", text))
    return Reads(None if whole or calls else frozenset(names), None if resource is None else frozenset(resource),
                 not whole and calls <= VALUE_BLIND, not re.search(r"[A-Za-z_$%']", counted),
                 None if whole else _anchors(text))


PER_ITEM = frozenset({"where", "select", "exists", "all", "repeat"})


def _anchors(text: str) -> frozenset[str] | None:
    """The names paths start from outside any function's argument (see Reads.anchors), or None."""
    anchors: set[str] = set()
    calls: list[str | None] = []  # the function each open parenthesis belongs to; None for grouping
    i = 0
    while i < len(text):
        char = text[i]
        if char == "(":
            calls.append(None)
        elif char == ")":
            if calls:
                calls.pop()
        elif char == "%" and text.startswith(("%resource", "%rootResource"), i):
            if not any(call in PER_ITEM for call in calls):
                return None
        elif char.isalpha() or char == "_":
            word = re.match(r"[A-Za-z_]\w*", text[i:]).group(0)
            after = i + len(word)
            follows = text[i - 1] if i else " "
            if after < len(text) and text[after] == "(":
                if follows != "." and not calls:  # (a call inside another call's argument is its own)
                    return None  # a function applied to the node itself
                calls.append(word)
                i = after + 1
                continue
            if follows not in ".%" and not any(call is not None for call in calls):
                anchors.add(word)
            i = after
            continue
        i += 1
    return frozenset(anchors)


@lru_cache(maxsize=100_000)
def is_member(key: str, names: frozenset[str]) -> bool:
    """Whether a JSON member is one of `names`: itself, its primitive extension (_name) or a choice (valueCode)."""
    key = key[1:] if key.startswith("_") else key
    return key in names or any(key.startswith(n) and key[len(n):][:1].isupper() for n in names)


def _resource_key(resource: dict) -> Hashable | None:
    """A resource's digest; None for a Bundle, which is judged once and would cost its whole JSON again."""
    return None if resource.get("resourceType") == "Bundle" else fhir.digest(resource)


def member_shape(value: Any) -> tuple[int, int]:
    """How many values a member has, and how many of them are empty (null, "", {} or [])."""
    items = value if isinstance(value, list) else [value]
    return len(items), sum(1 for item in items if item in (None, "", {}, []))


def _content(node: Any, names: frozenset[str] | None, resource: dict, value_blind: bool = False,
             shape_only: bool = False) -> Hashable | None:
    """What of `node` decides an outcome: its JSON; just the members `names` when only those are read; for a
    primitive seen only as having a value or not, its type and whether it is empty; its shape when only that
    is read."""
    if not isinstance(node, (dict, list)):
        return (type(node).__name__, node == "") if value_blind else (type(node).__name__, node)
    if shape_only and isinstance(node, dict):
        return "shape", tuple((k, member_shape(v)) for k, v in node.items())
    if names is not None and isinstance(node, dict):
        node = {k: v for k, v in node.items() if is_member(k, names)}
    elif node is resource:
        return _resource_key(resource)
    return fhir.json_key(node)


def outcome(expression: str, node: Any, base: str, resource: dict) -> bool | str:
    """True when the invariant holds on `node`, False when it does not, and the error's text when fhirpathpy
    raised evaluating it (then the node is not judged by it)."""
    read = reads(expression)
    if read.anchors is not None and isinstance(node, dict) and not any(is_member(k, read.anchors) for k in node):
        key: tuple | None = (expression, base, ("none of", read.anchors))  # whatever else node and resource hold
    else:
        content = _content(node, read.node, resource, read.value_blind, read.shape_only)
        key = None if content is None else (expression, base, content)
        if key is not None and (read.resource is None or read.resource):
            whole = _content(resource, read.resource, resource)
            key = key + (whole,) if whole is not None else None
    found = _OUTCOMES.get(key) if key is not None else None
    if found is None:
        found = _evaluated(expression, node, base, resource)
        if key is not None:
            _OUTCOMES.put(key, found)
    return found


def _evaluated(expression: str, node: Any, base: str, resource: dict) -> bool | str:
    try:
        return holds(evaluate(expression, node, base, resource))
    except Exception as exc:  # noqa: BLE001 - fhirpathpy's failure is not the provider's
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return re.sub(r"<([\w.]+) object at 0x[0-9a-f]+>", r"<\1>", text)
