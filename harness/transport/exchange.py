"""One request and its response (or transport failure) as evidence: what the checks read and the report
shows. Safe to show: the client (harness/transport/client.py) redacts the bearer token before it makes one."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import Any, Callable, Hashable
from urllib.parse import unquote

import xxhash
from isal import igzip

from harness.errors import Nonconformance
from harness.transport import json_entries

# An answer kept for reuse is packed from this size (a slot search of a few days of a practice and more).
PACKED_FROM_CHARS = 256 * 1024


@dataclass
class Exchange:
    """One request and its response (or transport failure), safe to show in a report."""

    interaction: str
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str | None
    jwt_claims: dict[str, Any] | None
    base_url: str = ""
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_text: str = ""
    elapsed_s: float | None = None
    error: str | None = None
    sent_at: float = 0.0  # time.time() when the request went out
    reused_from: "Exchange | None" = None  # set on an answer reused from an identical earlier request
    _json: Any = field(default=None, repr=False)
    _json_parsed: bool = field(default=False, repr=False)
    # What is worked out from the answer (its STU3 models, its slots' keys), once per answer: shared with the
    # answers reused from this one, and with a large answer of the same body (`share_derived`).
    _derived: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __repr__(self) -> str:
        # Short on purpose: reports record step arguments with repr(), and a body can be megabytes.
        outcome = f"HTTP {self.status}" if self.error is None else "no response"
        reused = ", reused" if self.reused_from is not None else ""
        return f"<Exchange {self.short_request()} -> {outcome}{reused}>"

    @property
    def reused(self) -> bool:
        return self.reused_from is not None

    def reuse(self) -> "Exchange":
        """A copy of this exchange standing for a request that was not sent again: same answer, marked as
        reused. What is derived from the answer (`derived`, a large body's JSON among it) is shared: nothing
        changes it. A small body gets its own JSON parse."""
        copy = dataclasses.replace(self, reused_from=self, _json=None, _json_parsed=False,
                                   response_text=self._text or "")
        copy._derived = self._derived
        copy._text, copy._packed, copy._chars = self._text, self._packed, self._chars
        copy._raw = None
        return copy

    def share_derived(self) -> None:
        """Share what is derived from a large answer with the last answer received with the same status, Content-Type
        and body, whatever its request: a searchFilter sweep gets the same 17 MB answer to a dozen different
        requests. Everything derived is a function of the body alone (a failure, which names the request, is
        never kept)."""
        if self.error is not None or self._chars < json_entries.SHARED_FROM_CHARS:
            return
        key = (self.status, self.header("Content-Type"), self.body_digest())
        with _SAME_BODY_LOCK:
            earlier = _SAME_BODY.get(key)
            if earlier is not None and earlier is not self:
                self._derived = earlier._derived
            _SAME_BODY[key] = self  # the newest: the one most likely kept for reuse longest

    def received(self, text: str, raw: bytes | None) -> None:
        """Set the body read from the provider: its text, and the bytes it came as when they are its UTF-8 (the
        JSON parse, the digest and the gzip then read them instead of encoding the text again, each)."""
        self.response_text = text
        self._raw = raw

    def forget_bytes(self) -> None:
        """Drop the bytes the body came as, once the answer's JSON, digest and gzip are made or not needed."""
        self._raw = None

    def pack(self) -> None:
        """Keep the body compressed from now on (an answer kept for reuse): a 14-day search of a hub is
        17 MB of text and about 3 % of that packed. What is derived from it stays as it is; the text is
        unpacked each time it is asked for, which only a failure's evidence does for a large answer."""
        if self._text is not None and len(self._text) >= PACKED_FROM_CHARS:
            self._packed = self.gzipped()
            self._text = None
        self._raw = None

    def gzipped(self) -> bytes:
        """The body as gzip (level 1), made once per answer: the evidence store writes it, and a kept answer is
        packed as it. Made with ISA-L (isal): a hub's 17 MB answer in 4-5 ms, where zlib took 30-60 ms."""
        return self.derived("gzip", lambda: igzip.compress(self._utf8(), compresslevel=1))

    def _utf8(self) -> bytes:
        raw = self._raw
        return raw if raw is not None else self.response_text.encode("utf-8", errors="surrogatepass")

    @property
    def packed(self) -> bool:
        return self._text is None

    def body_chars(self) -> int:
        """len(response_text), without unpacking a packed body."""
        return self._chars

    def blank_body(self) -> bool:
        """Whether the body is empty or only whitespace (`not response_text.strip()`, without copying a large
        body to strip it)."""
        text = self.response_text
        return not text or text.isspace()

    def derived(self, key: Hashable, make: Callable[[], Any]) -> Any:
        """`make()`, worked out once per answer: the answers reused from this one, and those of the same body
        (`share_derived`), get the same value. For values of the body alone that no caller changes (parsed models,
        frozen sets); an exception is raised again each time."""
        try:
            return self._derived[key]
        except KeyError:
            value = self._derived[key] = make()
            return value

    def body_digest(self) -> str:
        """body_text_digest of the response body, worked out once per answer."""
        return self.derived("body digest", lambda: body_text_digest(self.response_text) if self._raw is None
                            else _bytes_digest(self._raw))

    @property
    def request_line(self) -> str:
        return f"{self.method} {self.url}"

    def short_request(self) -> str:
        """The request line relative to the service root, decoded and shortened, for failure messages."""
        target = unquote(self.url[len(self.base_url):]) if self.base_url and self.url.startswith(self.base_url) \
            else unquote(self.url)
        line = f"{self.method} ...{target}" if self.base_url else f"{self.method} {target}"
        return line if len(line) <= 200 else line[:197] + "..."

    def header(self, name: str) -> str | None:
        for key, value in self.response_headers.items():
            if key.lower() == name.lower():
                return value
        return None

    def json(self) -> Any:
        """The response body as JSON; raises Nonconformance naming the request when it is not."""
        if not self._json_parsed:
            ctype = (self.header("Content-Type") or "").split(";")[0].strip().lower()
            if ctype != "application/fhir+json":
                snippet = self.response_text[:60].replace("\n", " ")
                raise Nonconformance(f"HTTP {self.status} response is {ctype or 'without a Content-Type'}, not "
                                     f"application/fhir+json; starts {snippet!r} ({self.short_request()})")
            try:
                self._json = self.derived("json", lambda: json_entries.loads(self.response_text, self._raw)) \
                    if self._chars >= json_entries.SHARED_FROM_CHARS else json_entries.loads(self.response_text)
            except ValueError as exc:
                snippet = self.response_text[:80].replace("\n", " ")
                raise Nonconformance(
                    f"response body is not valid JSON ({exc.msg} at char {exc.pos}); starts {snippet!r} "
                    f"({self.short_request()})"
                ) from None
            self._json_parsed = True
        return self._json

    def render(self, response_body: str | None = None) -> str:
        """Human-readable evidence: request line, redacted headers, claims, response; bodies pretty-printed.

        `response_body` replaces the response body's text (a summary of a large body stored elsewhere)."""
        out = []
        if self.reused_from is not None:
            # Headers, claims and response headers are the original's, in its own evidence: not repeated.
            sent = time.strftime("%H:%M:%S", time.localtime(self.sent_at))
            out += [f"Not sent again: the answer to the identical request sent at {sent} in this run is reused "
                    "(no write since); its headers, JWT claims and response headers are in that exchange's "
                    "evidence.", "", self.request_line, "", "-" * 60,
                    f"HTTP {self.status}  (answered in {self.elapsed_s:.3f} s at {sent})", "",
                    _pretty(self.response_text) if response_body is None else response_body]
            return "\n".join(out)
        out.append(f"{self.request_line}")
        out += [f"{k}: {v}" for k, v in self.request_headers.items()]
        if self.request_body:
            out += ["", _pretty(self.request_body)]
        if self.jwt_claims is not None:
            # One claim a line: the same requesting device, organisation and practitioner on every request.
            out += ["", "Decoded JWT claims (bearer token redacted above):", pretty_json(self.jwt_claims, width=400)]
        out += ["", "-" * 60]
        if self.error:
            out.append(f"No response: {self.error}")
        else:
            out.append(f"HTTP {self.status}  ({self.elapsed_s:.3f} s)")
            out += [f"{k}: {v}" for k, v in self.response_headers.items()]
            out += ["", _pretty(self.response_text) if response_body is None else response_body]
        return "\n".join(out)


# The last large answer received with each status, Content-Type and body digest, while anything holds it.
_SAME_BODY: "weakref.WeakValueDictionary[tuple, Exchange]" = weakref.WeakValueDictionary()
_SAME_BODY_LOCK = threading.Lock()


def _get_text(self: Exchange) -> str:
    text = self._text
    return text if text is not None else igzip.decompress(self._packed).decode("utf-8", errors="surrogatepass")


def _set_text(self: Exchange, value: str) -> None:
    self._text, self._packed, self._chars = value, None, len(value)


# The dataclass's `response_text` field is read and written through `_text`, or `_packed`, the body compressed
# once the answer is kept for reuse (`pack`); its __init__ sets it like any field.
Exchange.response_text = property(_get_text, _set_text)  # type: ignore[assignment]
Exchange._text = None  # type: ignore[attr-defined]
Exchange._packed = None  # type: ignore[attr-defined]
Exchange._chars = 0  # type: ignore[attr-defined]
Exchange._raw = None  # type: ignore[attr-defined]


def _pretty(text: str) -> str:
    try:
        return pretty_json(json.loads(text))
    except ValueError:
        return text


def text_digest(text: str) -> str:
    """A short digest of a text (blake2b, 80 bits) that is the same from run to run: the names the run history
    gives providers and requirements."""
    return hashlib.blake2b(text.encode("utf-8", errors="replace"), digest_size=10).hexdigest()


def body_text_digest(text: str) -> str:
    """The digest of a response body from its text: equal digests mean equal bodies. It names the body's
    evidence and tells answers of the same body apart from the rest (Exchange.share_derived, the oracle)."""
    return _bytes_digest(text.encode("utf-8", errors="replace"))


def _bytes_digest(data: bytes) -> str:
    """body_text_digest of the text whose UTF-8 these bytes are: XXH3 of 128 bits, which hashes a hub's 17 MB
    answer in about 1 ms (blake2b took 22 to 29 ms, on every large answer of a run). Chance collisions are out
    of reach at 128 bits; it is no defence against a body made to collide with another, which is not what a
    provider under assurance is."""
    return xxhash.xxh3_128_hexdigest(data)


def pretty_json(value: Any, width: int = 120, indent: str = "") -> str:
    """JSON indented by two spaces, but any object or array that fits in `width` characters on one
    line stays on one line: as readable as full indenting and about half the size for FHIR."""
    flat = json.dumps(value, ensure_ascii=False)
    if len(indent) + len(flat) <= width or not isinstance(value, (dict, list)) or not value:
        return flat
    inner = indent + "  "
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(k, ensure_ascii=False)}: {pretty_json(v, width, inner).lstrip()}"
                 for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{indent}}}"
    items = [f"{inner}{pretty_json(v, width, inner).lstrip()}" for v in value]
    return "[\n" + ",\n".join(items) + f"\n{indent}]"
