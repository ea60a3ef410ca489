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

import logging
from dataclasses import dataclass, field
from typing import Any, Hashable, Iterator

from harness.checks.fhirpath import is_member, member_shape, outcome, reads
from harness.checks.violations import Violation, violation
from harness.memo import ByIdentity, Memo
from harness.transport import fhir

REQUIREMENT = "FND-PROFILE-01"
EVALUATED = "error"  # the severity whose invariants are evaluated; a warning one is listed as not assessed
STRUCTURAL = {"BackboneElement", "Element"}
NOT_INTO = ("contained",)  # contained resources are judged as resources of their own


# fhirpathpy raised evaluating an invariant on a node (malformed data it cannot compare, say): that node is
# not judged by it, and this log says so, once per invariant and reason. A log, not a Python warning: a run
# that turns warnings into errors must not stop at the provider's data.
LOG = logging.getLogger("harness.invariants")
_LOGGED: set[tuple[str, str]] = set()


def _not_evaluated(label: str, key: str, where: str, why: str) -> None:
    if (key, why) not in _LOGGED and len(_LOGGED) < 1_000:
        _LOGGED.add((key, why))
        LOG.warning("%s: invariant %s not evaluated at %s: %s", label, key, where, why)


@dataclass
class Element:
    """An element of a definition, the invariants declared on it and the elements under it that carry some."""

    path: str
    types: list[str] = field(default_factory=list)
    keys: list[tuple[str, str, str]] = field(default_factory=list)  # (key, expression, human)
    under: dict[str, "Element"] = field(default_factory=dict)
    # The members of %resource its invariants and those under it read (None: all of it), once settled.
    resource_read: frozenset[str] | None = frozenset()
    needs: "Needs | None" = field(default=None, repr=False, compare=False)  # see _needs

    @property
    def alone(self) -> bool:
        """No invariant on it or under it reads %resource: what it finds is its node's alone."""
        return self.resource_read == frozenset()

    def settle(self) -> "Element":
        read: set[str] | None = set()
        parts = [reads(expression).resource for _, expression, _ in self.keys]
        for part in parts + [sub.settle().resource_read for sub in self.under.values()]:
            read = None if read is None or part is None else read | part
        self.resource_read = None if read is None else frozenset(read)
        return self


_TREES = ByIdentity(1_000)


def definition_tree(invariants: dict) -> Element:
    """The evaluated invariants of a definition as the tree of the elements they are declared on."""
    def make(table: dict) -> Element:
        root: Element | None = None
        for key, invariant in table.items():
            if invariant["severity"] != EVALUATED or invariant.get("not_evaluable"):
                continue
            for path, types in invariant["at"].items():
                parts = path.split(".")
                root = root or Element(parts[0])
                element = root
                for depth in range(1, len(parts)):
                    element = element.under.setdefault(parts[depth], Element(".".join(parts[:depth + 1])))
                element.types += [t for t in types if t not in element.types]
                element.keys.append((key, invariant["expression"], invariant["human"]))
        return (root or Element("")).settle()
    return _TREES.get(invariants, make)


@dataclass(frozen=True)
class Needs:
    """What of a node an element's own invariants read (fhirpath.outcome keys each outcome by it): all of its JSON
    (`whole`), or the shape of its members, the JSON of the members `names`, and of a primitive only whether it
    is empty (`blind`); and whether one reads %resource too."""

    whole: bool
    shape: bool
    names: frozenset[str]
    blind: bool
    resource: bool


def _needs(element: Element) -> Needs:
    if element.needs is None:
        read = [reads(expression) for _, expression, _ in element.keys]
        element.needs = Needs(any(r.node is None and not r.shape_only for r in read), any(r.shape_only for r in read),
                              frozenset().union(*(r.node for r in read if r.node is not None and not r.shape_only)),
                              all(r.value_blind for r in read), any(r.resource != frozenset() for r in read))
    return element.needs


def _decisive(element: Element, node: dict) -> Hashable | None:
    """What of `node` decides what the invariants of `element` and of the elements under it find there: the names
    of its members (an invariant anchored on members it lacks holds, whatever else), what its own invariants read
    of it (_needs), and the same of each member an element under it judges, item by item. The JSON of the node, in
    effect, without what no invariant reads: a hub's thousands of slot identifiers and Bundle entries differ only
    in values no invariant reads. None when an invariant met on the way reads %resource (the node alone does not
    decide then), or the node is no plain JSON."""
    needs = _needs(element)
    if needs.resource:
        return None
    if needs.whole:
        return fhir.json_key(node)
    parts: list = [tuple(node)]
    if needs.shape:
        parts.append(tuple(member_shape(v) for v in node.values()))
    if needs.names:
        parts.append(fhir.json_key({k: v for k, v in node.items() if is_member(k, needs.names)}))
    for part, sub in element.under.items():
        if part.endswith("[x]"):
            prefix = part[:-3]
            members = [k for k in node if k.startswith(prefix) and k[len(prefix):][:1].isupper()]
        else:
            members = [part] if part in node else []
        for name in members:
            value = node[name]
            for item in value if isinstance(value, list) else (value,):
                if isinstance(item, dict):
                    parts.append(_decisive(sub, item))
                elif isinstance(item, list):
                    parts.append(fhir.json_key(item))
                elif _needs(sub).resource:
                    return None
                else:
                    parts.append((type(item).__name__, item == "" if _needs(sub).blind else item))
    return None if None in parts else tuple(parts)


def _base(types: list[str], path: str) -> str:
    """The type a node at `path` is evaluated as: its datatype, or its own path for a backbone element."""
    named = [t for t in types if t not in STRUCTURAL]
    return named[0] if len(named) == 1 else path


def _choice_type(suffix: str, types: list[str]) -> str:
    return next((t for t in types if t.lower() == suffix.lower()), suffix[:1].lower() + suffix[1:])


def _content(element: Element, node: Any) -> Hashable | None:
    """What of a node (not the resource itself) decides what `element`'s invariants and those under it find there:
    an object's decisive content (_decisive), a primitive's type and what its invariants read of it; None where the
    node alone does not decide (a list, %resource read, elements under a primitive)."""
    if isinstance(node, dict):
        return _decisive(element, node)
    if isinstance(node, list) or _needs(element).resource or element.under:
        return None
    return "primitive", type(node).__name__, node == "" if _needs(element).blind else node


Found = dict[tuple[str, str], str]  # (key, where relative to the node judged) -> human text
# What an element's invariants find under a node, by the element, the node's type and its JSON: a large
# practice's slots repeat their meta, extensions, slot types and schedule references thousands of times.
MAX_SUBTREES = 100_000
_SUBTREES = Memo(MAX_SUBTREES)


@dataclass
class _Judging:
    resource: dict
    label: str
    at: str  # where the judged node is, for the log
    found: Found = field(default_factory=dict)

    def node(self, element: Element, node: Any, where: str, base: str) -> None:
        content = _content(element, node) if node is not self.resource else None
        if content is None:
            self.evaluate(element, node, where, base)
            return
        key = (id(element), base, content)
        below = _SUBTREES.get(key)
        if below is None:
            alone = _Judging(self.resource, self.label, self.at + where)
            alone.evaluate(element, node, "", base)
            below = _SUBTREES.put(key, alone.found)
        for (invariant, inner), human in below.items():
            self.found.setdefault((invariant, where + inner), human)

    def evaluate(self, element: Element, node: Any, where: str, base: str) -> None:
        for key, expression, human in element.keys:
            if (key, where) in self.found:
                continue
            held = outcome(expression, node, base, self.resource)
            if isinstance(held, str):
                _not_evaluated(self.label, key, f"{self.at}{where}", held)
            elif not held:
                self.found[(key, where)] = human
        if not isinstance(node, dict):
            return
        for part, sub in element.under.items():
            if part.endswith("[x]"):
                prefix = part[:-3]
                members = [(k, _choice_type(k[len(prefix):], sub.types)) for k in node
                           if k.startswith(prefix) and k[len(prefix):][:1].isupper()]
            else:
                members = [(part, _base(sub.types, sub.path))] if part in node else []
            for name, base in members:
                value = node[name]
                if isinstance(value, list):
                    for i, item in enumerate(value):
                        if item is not None:
                            self.node(sub, item, f"{where}.{name}[{i}]", base)
                elif value is not None:
                    self.node(sub, value, f"{where}.{name}", base)


def findings(tree: Element, root: Any, resource: dict, base: str, label: str = "", at: str = "") -> Found:
    """(key, where relative to `root`) -> human text, for each invariant of `tree` a node under `root` breaks.
    A node fhirpathpy cannot evaluate is logged (`at` is where `root` is, for the log)."""
    judging = _Judging(resource, label, at)
    judging.node(tree, root, "", base)
    return judging.found


def extensions(node: Any, where: str = "", skip: tuple[str, ...] = NOT_INTO) -> Iterator[tuple[str, dict]]:
    """Every extension and modifierExtension in `node`, nested ones included, with where it is; not into
    the members `skip` names."""
    if not isinstance(node, dict):
        return
    for name, value in node.items():
        if name in skip or not isinstance(value, (dict, list)):
            continue
        if isinstance(value, dict):
            yield from extensions(value, f"{where}.{name}", NOT_INTO)
            continue
        for i, item in enumerate(value):
            if isinstance(item, dict):
                at = f"{where}.{name}[{i}]"
                if name in ("extension", "modifierExtension"):
                    yield at, item
                yield from extensions(item, at, NOT_INTO)


def with_extensions(found: dict[tuple[str, str], str], node: Any, resource: dict, extension_profiles: dict,
                     skip: tuple[str, ...] = NOT_INTO, label: str = "") -> None:
    """Each extension in `node` judged by its own definition's invariants; a node already found breaking a key
    (an extension is also an element of its resource) is listed once."""
    for where, ext in extensions(node, "", skip):
        declared = extension_profiles.get(ext.get("url") or "")
        if declared and declared.get("invariants"):
            for (key, inner), human in findings(definition_tree(declared["invariants"]), ext, resource, "Extension",
                                                 label, where).items():
                found.setdefault((key, where + inner), human)


def as_violations(found: dict[tuple[str, str], str], label: str, root_where: str) -> list[Violation]:
    return [violation(REQUIREMENT, label, root_where + where, f"{key} holds", "it does not",
                      f"{label}: {root_where + where} breaks invariant {key}: {human}")
            for (key, where), human in found.items()]


def violations(resource: dict, label: str, profile: dict, extension_profiles: dict,
               only: frozenset[str] | None = None) -> list[Violation]:
    """What invariants of its profile `resource` breaks, and of their own definitions its extensions break,
    each once per node. With `only`, what can differ from a resource equal to it but in those members'
    values, one that broke nothing (checks/profiles.py's shapes): the invariants whose outcome can read them."""
    rtype = resource.get("resourceType") or profile.get("type", "")
    tree = definition_tree(profile.get("invariants", {}))
    if only is not None:
        key = (id(tree), tuple(resource), only)  # the members the resource has decide the cut, not their values
        cut = _CUTS.get(key)
        if cut is None or cut[0] is not tree:
            cut = _CUTS.put(key, (tree, _reading(tree, resource, only)))
        tree = cut[1]
    form = _form(tree, resource) if only is not None else None
    if form is None:
        found = findings(tree, resource, resource, rtype, label, rtype)
    else:  # what the cut finds is its form's: one lookup for a hub's slot of a clean shape, not a walk
        hit = _FORMS.get((id(tree), rtype, form))
        if hit is None or hit[0] is not tree:
            hit = _FORMS.put((id(tree), rtype, form), (tree, findings(tree, resource, resource, rtype, label, rtype)))
        found = dict(hit[1])
    if only is None or not _extensions_alone(extension_profiles):
        with_extensions(found, resource, resource, extension_profiles, label=label)
    return as_violations(found, label, rtype)


# What a cut tree finds on a resource, by the cut (held, so its id is not another's) and the resource's form (_form).
_FORMS = Memo(10_000)


def _form(cut: Element, resource: dict) -> Hashable | None:
    """What of `resource` decides what `cut` finds there, when the cut has no invariant of its own and no choice
    element: each member under it that the resource has, with what decides what that member's element finds on
    each of its values (_content, the key `_Judging.node` keeps it by), item by item; None otherwise, and where a
    value is null or its content is None."""
    if cut.keys or any(part.endswith("[x]") for part in cut.under):
        return None
    form: list = []
    for part, sub in cut.under.items():
        if part not in resource:
            continue
        value = resource[part]
        for item in value if isinstance(value, list) else (value,):
            content = _content(sub, item) if item is not None else None
            if content is None:
                return None
            form.append(content)
        form.append((part, len(value) if isinstance(value, list) else -1))
    return tuple(form)


# The cut of each definition's tree for each set of members a resource has and members that vary: a hub's 30,000
# slots are a few hundred shapes, each of a handful of member sets.
_CUTS = Memo(10_000)


def _reading(tree: Element, resource: dict, only: frozenset[str]) -> Element:
    """The resource's tree cut to the invariants whose outcome on `resource` can read the members `only`: the
    resource's own invariants but those that read none of them (nor %resource's), or whose paths all start
    from members it lacks; the elements of those members; any element whose invariants read them, or all, of
    %resource (on a member of the shape, the rest find what they found on the first resource of the shape,
    nothing); and choice elements, whose members are named by their type."""
    def decided(expression: str) -> bool:
        read = reads(expression)
        if read.anchors is not None and not any(is_member(k, read.anchors) for k in resource):
            return True
        if read.shape_only or read.node is None or any(is_member(k, read.node) for k in only):
            return False
        return read.resource is not None and not any(is_member(k, read.resource) for k in only)

    def varies(sub: Element) -> bool:  # whether what it finds on a node of the shape can differ: what it reads does
        return sub.resource_read is None or any(is_member(k, sub.resource_read) for k in only)

    return Element(tree.path, tree.types, [k for k in tree.keys if not decided(k[1])],
                   {m: sub for m, sub in tree.under.items() if m in only or m.endswith("[x]") or varies(sub)})


_EXTENSIONS_ALONE = ByIdentity(16)


def _extensions_alone(extension_profiles: dict) -> bool:
    """Whether no extension definition has an invariant that reads %resource: then an extension's findings
    are its own node's alone, the same in every resource that carries it."""
    return _EXTENSIONS_ALONE.get(extension_profiles, lambda table: all(
        definition_tree(d["invariants"]).alone for d in table.values() if d.get("invariants")))


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
