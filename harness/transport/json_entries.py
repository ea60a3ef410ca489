"""Reading a response body's JSON, each distinct Bundle entry decoded once per run.

A large practice's slot searches carry the same thousands of entries answer after answer. A large
Bundle's entries are cut out as raw text (msgspec.Raw) and each distinct entry text is decoded once:
an entry seen before is the very object decoded before, and what is keyed by it (harness/transport/fhir.py's
digest, the models and verdicts cached by that key) is found at once. Nothing changes JSON read from
an answer (what builds a request from one copies it first), so sharing it is safe.

The result is what json.loads gives. Whatever msgspec does not read as a JSON object of raw values
(NaN, an array, text that is not JSON) is read by json.loads itself, whose errors the callers report.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

from harness.memo import RESOURCES_REMEMBERED

SHARED_FROM_CHARS = 64 * 1024  # a smaller body is read whole: it has few entries to share
MAX_ENTRIES = RESOURCES_REMEMBERED

_OBJECT = msgspec.json.Decoder(dict[str, msgspec.Raw])
_ARRAY = msgspec.json.Decoder(list[msgspec.Raw])
_VALUE = msgspec.json.Decoder()
_ENTRIES: dict[bytes, Any] = {}


def loads(text: str, utf8: bytes | None = None) -> Any:
    """json.loads(text), a large Bundle's entries shared with earlier answers carrying the same text. `utf8`:
    the text's UTF-8 when already at hand."""
    if len(text) < SHARED_FROM_CHARS:
        return json.loads(text)
    try:
        return _with_shared_entries(utf8 if utf8 is not None else text.encode("utf-8"))
    except (msgspec.DecodeError, UnicodeEncodeError):
        return json.loads(text)


def _with_shared_entries(data: bytes) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, raw in _OBJECT.decode(data).items():
        out[key] = _entries(raw) if key == "entry" else _VALUE.decode(raw)
    return out


def _entries(raw: msgspec.Raw) -> list[Any]:
    entries = []
    for item in _ARRAY.decode(raw):
        text = bytes(item)
        value = _ENTRIES.get(text)
        if value is None:
            value = _VALUE.decode(text)
            if len(_ENTRIES) >= MAX_ENTRIES:
                _ENTRIES.clear()
            _ENTRIES[text] = value
        entries.append(value)
    return entries
