"""Validating the resources of one shape whole once: a practice's slots differ in their identity and times only.

A hub's 30,000 slots differ in id, identifier, start and end; everything else (meta, extensions, slot type,
schedule, status) repeats over a few hundred shapes. Validating a slot whole with its STU3 model costs about
95 µs. Here the first resource of each shape is validated whole and kept as the shape's template; a later
resource of that shape is the template with those members replaced, each validated by its own field's
validator (a pydantic TypeAdapter of the model's annotation for it), the one the whole model runs on it; the
same text for the same validator is validated once (start and end times and identifier systems repeat).
The model validators of a FHIR model read only which members are present, which the shape fixes, so the
model is the one whole validation gives; tests/unit/transport/test_shapes.py holds it to that over
generated members. Anything else is validated whole: a resource whose shape has no template yet, a member
that is not plain text (or a list of identifiers of plain text), one its validator refuses (whole
validation then names it, as before).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable, Hashable

from pydantic import TypeAdapter, ValidationError

from harness.memo import RESOURCES_REMEMBERED, ByIdentity, Memo

VARYING = ("id", "start", "end", "identifier")

_TEMPLATES = Memo(RESOURCES_REMEMBERED)
_SHAPES = ByIdentity(RESOURCES_REMEMBERED)


@lru_cache(maxsize=None)
def _adapter(model_class, name: str) -> TypeAdapter | None:
    field = model_class.model_fields.get(name)
    return TypeAdapter(field.annotation) if field is not None else None


def _plain(name: str, value: Any) -> bool:
    if name == "identifier":
        return (isinstance(value, list) and bool(value)
                and all(isinstance(i, dict) and i and all(type(v) is str and v for v in i.values()) for i in value))
    return type(value) is str and bool(value)


def shape_of(resource: dict, json_key: Callable[[Any], Hashable | None]) -> tuple[dict, Hashable] | None:
    """The members of `resource` that vary within a shape (VARYING) with their values, and the key of the rest
    of its JSON, its shape (`json_key`: transport.fhir.json_key); None when it has none of those members or one
    is not plain. Worked out once per object: the model parse and the profile check both ask."""
    return _SHAPES.get(resource, lambda r: _shape_of(r, json_key))


def _shape_of(resource: dict, json_key) -> tuple[dict, Hashable] | None:
    varying = {k: resource[k] for k in VARYING if k in resource}
    if not varying or not all(_plain(k, v) for k, v in varying.items()):
        return None
    shape = json_key({k: v for k, v in resource.items() if k not in varying})
    return None if shape is None else (varying, shape)


def validated(resource: dict, model_class, json_key) -> Any:
    """model_class.model_validate(resource), from its shape's template when there is one (`json_key` as for
    shape_of). ValidationError as whole validation raises it."""
    found = shape_of(resource, json_key)
    key = None
    if found is not None and all(_adapter(model_class, k) is not None for k in found[0]):
        varying, shape = found
        key = (model_class.__name__, tuple(varying), shape)
        template = _TEMPLATES.get(key)
        if template is not None:
            try:
                update = {k: _member(model_class, k, v) for k, v in varying.items()}
            except ValidationError:
                pass  # validated whole below, which names what is wrong as it always has
            else:
                return copied(template, update)
    model = model_class.model_validate(resource)
    if key is not None:
        _TEMPLATES.put(key, model)
    return model


def _member(model_class, name: str, value: Any) -> Any:
    """The value of a member of a resource validated by its field's validator; a list of identifiers of plain
    text item by item from the template of its members (the same argument one level down: Identifier's model
    validators read only which members it has)."""
    adapter = _adapter(model_class, name)
    if type(value) is str:
        return _text(adapter, value)
    if name != "identifier" or not all(set(item) <= IDENTIFIER_TEXT for item in value):
        return adapter.validate_python(value)
    out = []
    for item in value:
        template = _ITEM_TEMPLATES.get((model_class, tuple(item)))
        if template is None:
            made = adapter.validate_python([item])[0]
            _ITEM_TEMPLATES[(model_class, tuple(item))] = made
            out.append(made)
        else:
            item_class = type(template)
            out.append(copied(template, {k: _text(_adapter(item_class, k), v) for k, v in item.items()}))
    return out


_set = object.__setattr__


def copied(template, update: dict) -> Any:
    """template.model_copy(update=update), without its generic steps for a model with extra or private members
    (then it is model_copy): a hub's first sight of 30,000 slots copies some 90,000 templates."""
    if template.__pydantic_extra__ is not None or template.__pydantic_private__ is not None:
        return template.model_copy(update=update)
    cls = type(template)
    model = cls.__new__(cls)
    members = template.__dict__.copy()
    members.update(update)
    _set(model, "__dict__", members)
    _set(model, "__pydantic_extra__", None)
    _set(model, "__pydantic_fields_set__", template.__pydantic_fields_set__ | update.keys())
    _set(model, "__pydantic_private__", None)
    return model


# Text validated by a field's validator, by the validator and the text: a hub's 30,000 slots start and end at some
# 1,900 times and share their identifiers' system. What a validator makes of text (str, or a date-time) is immutable.
_TEXTS = Memo(RESOURCES_REMEMBERED)


def _text(adapter: TypeAdapter, text: str) -> Any:
    key = (id(adapter), text)  # adapters are kept for the run (lru_cache): an id is never another's
    found = _TEXTS.get(key)
    if found is None:
        found = _TEXTS.put(key, adapter.validate_python(text))
    return found


IDENTIFIER_TEXT = frozenset(("system", "value", "use"))
_ITEM_TEMPLATES: dict[tuple, Any] = {}  # by model class and an identifier's members, in order: a handful


def clear() -> None:
    _TEMPLATES.clear()
    _SHAPES.clear()
    _ITEM_TEMPLATES.clear()
    _TEXTS.clear()
