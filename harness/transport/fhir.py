"""Parsing provider responses with the fhir.resources STU3 models, and resolving references.

A parse failure is a Nonconformance naming the resource (type and id) and the field path.

Each distinct resource is validated with its model once per run: a Bundle's entries are validated
one by one, through a cache keyed by a digest of the resource's JSON, and the Bundle itself is then
validated around the models already made. A search repeated after a booking costs a digest per
entry for the thousands of slots it shares with the last one, not a new model parse of each.
"""

from __future__ import annotations

import marshal
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Hashable, Iterator

from fhir.resources.STU3 import get_fhir_model_class
from pydantic import ValidationError

from harness.errors import Nonconformance
from harness.memo import RESOURCES_REMEMBERED, ByIdentity, Memo, grouped_by_run, joined_by_run, shared_runs
from harness.transport import shapes


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
            label = (f"{node.get('resourceType', 'resource')} {node.get('id', '(no id)')} (entry[{loc[1]}])"
                     if isinstance(node, dict) else f"the resource of entry[{loc[1]}]")
            rest = loc[3:]
        except (KeyError, IndexError, TypeError):
            pass
    more = f" (+{len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    return f"{label} does not parse as FHIR STU3: {_path(rest)}: {first['msg']}{more} ({where})"


# Validated models by digest of their resource's JSON. Models are shared between Bundles that
# carry the same resource, so nothing may change a parsed model (no check does).
MAX_CACHED_MODELS = RESOURCES_REMEMBERED
_MODELS = Memo(MAX_CACHED_MODELS)


def json_key(value) -> bytes | None:
    """A key for a JSON value (a resource, an element, a projection of one): equal keys mean equal values;
    None for what is not plain JSON data."""
    # marshal format 2 (no back-references) is a faithful, deterministic encoding of JSON values and
    # three times quicker than json.dumps: equal bytes mean equal resources. The bytes are the key
    # themselves (a few hundred each): hashing them down first cost more than the dictionary's own hash.
    try:
        return marshal.dumps(value, 2)
    except ValueError:
        return None


# The model parse and the profile check of an answer key the same resources: the last ones keyed are
# remembered (JSON read from an answer is never changed in place; what builds a request copies it first).
_DIGESTS = ByIdentity(RESOURCES_REMEMBERED)


def digest(resource: dict) -> bytes | None:
    """A key for a resource's JSON value: equal keys mean equal resources; None for what is not plain
    JSON data, which is never cached."""
    return _DIGESTS.get(resource, json_key)


def _model_class(rtype: str):
    try:
        return get_fhir_model_class(rtype)
    except (KeyError, ValueError):
        return None


def _validated(resource: dict, model_class, key: Hashable | None = None) -> Any:
    """The model of a resource, validated once per distinct JSON (`key`, its digest by default);
    ValidationError as the model raises it."""
    key = key if key is not None else digest(resource)
    model = _MODELS.get(key) if key is not None else None
    if model is None:
        model = model_class.model_validate(resource)
        if key is None:
            return model
        _MODELS.put(key, model)
    return model


def clear_cache() -> None:
    """Forget every validated model (tests and benchmarks that measure a first parse)."""
    _MODELS.clear()
    _ENTRY_MODELS.clear()
    _ENTRY_TEMPLATES.clear()
    shapes.clear()


def _entry_error(exc: ValidationError, resource: dict, index: int, where: str) -> str:
    first = exc.errors()[0]
    loc = tuple(first["loc"])
    loc = loc[1:] if loc[:1] == ("resource",) else ("entry", index) + loc
    more = f" (+{len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    label = f"{resource.get('resourceType', 'resource')} {resource.get('id', '(no id)')} (entry[{index}])"
    return f"{label} does not parse as FHIR STU3: {_path(loc)}: {first['msg']}{more} ({where})"


BUNDLE_ENTRY = get_fhir_model_class("BundleEntry")
ENTRY_OF_RESOURCE = "entry of"  # an entry's key is this and its resource's digest: the digest's hash is kept


# The model of each entry object read from an answer (json_entries shares an entry between the answers carrying
# its text): an entry seen before costs one lookup.
_ENTRY_MODELS = ByIdentity(RESOURCES_REMEMBERED)


def _bundle_around_models(data: dict, where: str) -> dict:
    """The Bundle's JSON with each entry replaced by its validated BundleEntry model."""
    entries = data.get("entry")
    if not isinstance(entries, list):
        return data
    out: list = []
    start = 0
    for run in shared_runs(entries):  # runs of entries other answers carry too: a run of known models is one lookup
        out += _RUN_MODELS.get(run, lambda entries: tuple(_entry_models(entries, start, where)))
        start += len(run)
    return {**data, "entry": out}


# The models of each run of entries (memo.shared_runs): an entry that is no object of a resource stays itself, for
# the Bundle's own validation to name; one that does not validate raises, and its run is kept for nothing.
_RUN_MODELS = ByIdentity(RESOURCES_REMEMBERED // 8)


def _entry_models(entries: tuple, first: int, where: str) -> Iterator:
    """The validated BundleEntry model of each entry (entry[first] onwards), or the entry itself when it is no
    object of a resource with a resourceType, left to the Bundle's own validation, which names what is wrong."""
    entry_class = BUNDLE_ENTRY
    known = _ENTRY_MODELS.known
    for i, entry in enumerate(entries, first):
        model = known(entry)
        if model is not None:
            yield model
            continue
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            yield entry  # left to the Bundle's own validation, which names what is wrong
            continue
        model_class = _model_class(resource["resourceType"])
        if model_class is None:
            raise Nonconformance(f"{resource['resourceType']} {resource.get('id', '(no id)')} (entry[{i}]) has "
                                 f"unknown resourceType '{resource['resourceType']}' ({where})")
        # An entry of nothing but its resource is keyed by the resource's digest, which the profile check shares.
        resource_key = digest(resource) if len(entry) == 1 else None
        try:
            model = _entry_by_shape(resource, model_class, resource_key) if resource_key else None
            if model is None:
                model = _validated(entry, entry_class, (ENTRY_OF_RESOURCE, resource_key) if resource_key else None)
        except ValidationError as exc:
            raise Nonconformance(_entry_error(exc, resource, i, where)) from None
        if resource_key is not None:
            _ENTRY_MODELS.put(entry, model)
        yield model


def _entry_by_shape(resource: dict, model_class, resource_key: bytes):
    """The model of the entry of nothing but `resource`, its resource validated by its shape (shapes.py) and
    the entry around it; None when the resource does not validate, for the entry's validation to name why."""
    key = (ENTRY_OF_RESOURCE, resource_key)
    model = _MODELS.get(key)
    if model is None:
        try:
            model = _entry_around(shapes.validated(resource, model_class, json_key))
        except ValidationError:
            return None
        _MODELS.put(key, model)
    return model


# The first validated entry of nothing but a resource of each model class. BundleEntry's own validators read only
# which members an entry has, and pydantic keeps the model given for its resource as it is: an entry around another
# resource of that class is the first with its resource replaced, the model validation gives (test_shapes.py).
_ENTRY_TEMPLATES: dict[type, Any] = {}


def _entry_around(resource_model) -> Any:
    """BUNDLE_ENTRY.model_validate({"resource": resource_model}), from its class's template after the first."""
    template = _ENTRY_TEMPLATES.get(type(resource_model))
    if template is None:
        template = _ENTRY_TEMPLATES[type(resource_model)] = BUNDLE_ENTRY.model_validate({"resource": resource_model})
        return template
    return shapes.copied(template, {"resource": resource_model})


def _bundle_model(model_class, data: dict, where: str):
    """A Bundle's model: its own elements validated, and its entries each validated once per distinct entry
    (_bundle_around_models), then put in as they are rather than validated again, entry by entry, as part of
    the Bundle (23 ms for a hub's 30,000-entry search)."""
    around = _bundle_around_models(data, where)
    entries = around.get("entry")
    if not entries or not isinstance(entries, list) or not all(isinstance(e, BUNDLE_ENTRY) for e in entries):
        return model_class.model_validate(around)  # no entries, or one left unvalidated: as the Bundle validates it
    shell = model_class.model_validate({k: v for k, v in around.items() if k != "entry"})
    return shell.model_copy(update={"entry": entries})


def parse(data: Any, where: str, expected_type: str | None = None):
    """Parse a JSON resource with its STU3 model; `where` names the request for messages."""
    if not isinstance(data, dict) or "resourceType" not in data:
        raise Nonconformance(f"response is not a FHIR resource: no resourceType ({where})")
    rtype = data["resourceType"]
    if expected_type and rtype != expected_type:
        raise Nonconformance(f"expected a {expected_type}, got a {rtype} ({where})")
    model_class = _model_class(rtype) if isinstance(rtype, str) else None
    if model_class is None:
        raise Nonconformance(f"response has unknown resourceType '{rtype}' ({where})")
    try:
        if rtype == "Bundle":
            return _bundle_model(model_class, data, where)
        return _validated(data, model_class)
    except ValidationError as exc:
        raise Nonconformance(_describe_errors(exc, data, where)) from None


def answer_model(exchange, expected_type: str | None = None):
    """An exchange's response body parsed with its STU3 model (as `parse`), once per answer: an answer
    reused from an identical request shares it (harness.transport.exchange.Exchange.derived)."""
    return exchange.derived(("model", expected_type),
                            lambda: parse(exchange.json(), exchange.short_request(), expected_type))


def answer_index(exchange) -> "BundleIndex":
    """The BundleIndex of an exchange's Bundle, once per answer; Nonconformance as `parse` raises it."""
    return exchange.derived("bundle index", lambda: BundleIndex(answer_model(exchange, "Bundle")))


def ref_key(reference: str | None) -> tuple[str, str] | None:
    """('Slot', '12') for 'Slot/12', '.../Slot/12' or '.../Slot/12/_history/3'; None if unusable."""
    return _ref_key(reference) if type(reference) is str else _parts_key(reference)


@lru_cache(maxsize=1 << 16)  # a search's thousands of slots reference a few dozen Schedules
def _ref_key(reference: str) -> tuple[str, str] | None:
    return _parts_key(reference)


def _parts_key(reference) -> tuple[str, str] | None:
    if not reference or reference.startswith("#"):
        return None
    parts = reference.rstrip("/").split("/")
    if len(parts) >= 4 and parts[-2] == "_history":
        parts = parts[:-2]
    if len(parts) < 2:
        return None
    return parts[-2], parts[-1]


def bundle_entries(bundle: Any) -> list:
    """A Bundle's own list of entries, the very object read (what is worked out from it is kept by it:
    memo.shared_runs); [] when it has none or they are no list."""
    found = bundle.get("entry") if isinstance(bundle, dict) else None
    return found if isinstance(found, list) else []


def rtype(resource) -> str:
    """The resourceType of a parsed model."""
    return resource.get_resource_type()


def label(resource, kind: str = "Resource") -> str:
    """How every message names a resource, a parsed model or its JSON: its type (`kind` when it names none)
    and id ("Slot 336", "Appointment (no id)"). find_labelled reads it back."""
    if isinstance(resource, dict):
        return f"{resource.get('resourceType') or kind} {resource.get('id') or '(no id)'}"
    return f"{rtype(resource)} {resource.id or '(no id)'}"


def find_labelled(data: Any, label: str) -> dict | None:
    """The resource a violation's label names ("Slot 414": its type and id) in an answer's JSON: the answer
    itself or an entry of its Bundle; None when the label names no one resource or none matches."""
    kind, _, rid = label.partition(" ")
    if not kind[:1].isupper() or not rid or " " in rid:
        return None
    candidates = [data] if isinstance(data, dict) else []
    if isinstance(data, dict) and data.get("resourceType") == "Bundle":
        candidates += [e.get("resource") for e in data.get("entry") or [] if isinstance(e, dict)]
    return next((r for r in candidates if isinstance(r, dict) and r.get("resourceType") == kind
                 and str(r.get("id")) == rid), None)


def _resources_of(entries: tuple) -> tuple:
    return tuple(e.resource for e in entries if e.resource is not None)


def _by_class(entries: tuple) -> dict[type, list]:
    by_class: dict[type, list] = {}
    for e in entries:
        if e.resource is not None:
            by_class.setdefault(type(e.resource), []).append(e.resource)
    return by_class


_RUN_RESOURCES = ByIdentity(RESOURCES_REMEMBERED // 8)
_RUN_CLASSES = ByIdentity(RESOURCES_REMEMBERED // 8)


@dataclass
class BundleIndex:
    """The resources of a Bundle, by type and id, in Bundle order."""

    bundle: Any

    def __post_init__(self):
        # Grouped by class (one model class per resource type, named once each), per run of entries: a hub's answers
        # share runs of the same entry models.
        entries = self.bundle.entry or []
        self.entries = joined_by_run(entries, _RUN_RESOURCES, _resources_of)
        by_class = grouped_by_run(entries, _RUN_CLASSES, _by_class)
        self._by_type: dict[str, list] = {cls.get_resource_type(): found for cls, found in by_class.items()}
        # Each type's resources by id, made the first time a reference to that type is resolved: a slot search's
        # references lead to its few dozen Schedules and actors, never to its 30,000 Slots.
        self._ids: dict[str, dict] = {}

    def of_type(self, wanted: str) -> list:
        """The resources of that type, in Bundle order: the index's own list, the same object each time (what is
        worked out from it is kept by it: memo.shared_runs), which nothing may change."""
        return self._by_type.get(wanted) or []

    def other_than(self, unwanted: str) -> list:
        """The resources of every other type, grouped by type in the order each type first appears."""
        return [r for kind, found in self._by_type.items() if kind != unwanted for r in found]

    def resolve(self, reference: str | None):
        key = ref_key(reference)
        if not key:
            return None
        ids = self._ids.get(key[0])
        if ids is None:
            ids = self._ids[key[0]] = {r.id: r for r in self._by_type.get(key[0], ()) if r.id}
        return ids.get(key[1])

    def __iter__(self) -> Iterator:
        return iter(self.entries)


def text_of(concept) -> str:
    """Trimmed text of a CodeableConcept, '' when absent."""
    return ((concept.text if concept is not None else None) or "").strip()


def texts_of(concepts) -> list[str]:
    return [t for t in (text_of(c) for c in (concepts or [])) if t]
