"""GP Connect client on httpx: SSP headers, a fresh JWT per request, evidence for every exchange.

Credentials stay inside this object: its repr names only the target, the bearer token is
redacted in every Exchange, and client certificate and key are held by httpx as paths.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

import httpx

from harness.errors import HarnessError
from harness.settings import Settings
from harness.spec.interactions import (
    FIND_PATIENT,
    READ_OF_TYPE,
    SEARCH_SLOTS,
    Interaction,
)
from harness.transport import json_entries, proxies, tls
from harness.transport import jwt as jwt_token
from harness.transport.exchange import PACKED_FROM_CHARS, Exchange

FHIR_JSON = "application/fhir+json;charset=utf-8"
REDACTED = "Bearer <redacted>"
# A 14-day search of a large practice is a few MB; a bigger answer is refused rather than parsed.
MB = 1024 * 1024


class BodyTooLarge(httpx.DecodingError):
    """A response body over GPC_MAX_BODY_MB: read no further, so a runaway provider cannot exhaust the run."""

# Answers a run may reuse instead of sending an identical request again. A reused answer is only
# ever the answer to the very same request (URL, interaction, default headers and JWT claims):
#   FOR_RUN      the answer cannot change with the appointments a run books (Find patient);
#   UNTIL_WRITE  the answer is reused only while this client has sent no write since (slot search).
FOR_RUN = "for the run"
UNTIL_WRITE = "until the next write"
RUN_REUSE: dict[str, str] = {FIND_PATIENT.interaction_id: FOR_RUN, SEARCH_SLOTS.interaction_id: UNTIL_WRITE,
                             # an appointment's participants (and a Location's organisation) do not change with bookings
                             **{i.interaction_id: FOR_RUN for i in READ_OF_TYPE.values()}}
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_REUSABLE = 64
# Kept answers hold their text and what was worked out from it (their JSON, models, slot keys). The text of
# the ones used last is kept as it is, about 40 MB of it; older large ones are packed (Exchange.pack: gzip, 3 %
# of a hub's text), so that a hub's sweep of 21 searches of 17 MB each is sent once per search, not again
# and again. Packed or not, at most MAX_LARGE_KEPT large answers are kept: their models are what costs.
MAX_REUSABLE_CHARS = 40 * 2**20
MAX_LARGE_KEPT = 24


Listener = Callable[[Exchange], None]


class GpConnectClient:
    """Sends GP Connect requests to one provider and tells listeners about each exchange."""

    def __init__(self, settings: Settings, base_url: str, transport: httpx.BaseTransport | None = None,
                 reuse: Mapping[str, str] | None = None):
        """`reuse` maps interaction IDs to FOR_RUN or UNTIL_WRITE (see RUN_REUSE); by default nothing is reused."""
        self._settings = settings
        self.base_url = base_url.rstrip("/")
        self._listeners: list[Listener] = []
        self._counters: list[Listener] = []
        self._reuse = dict(reuse or {})
        self._answers: dict[tuple, Exchange] = {}
        self._writes = 0
        self._lock = threading.Lock()
        # The proxy is chosen here, once (proxies.py); httpx reads nothing from the environment itself.
        self.proxy = None if settings.uses_reference_provider or transport is not None else \
            proxies.proxy_for(self.url_for(""), settings.proxy_url)
        self._http = httpx.Client(
            timeout=settings.timeout_s,
            verify=tls.ssl_context(verify=settings.tls_verify, ca_bundle=settings.ca_bundle,
                                   client_cert=settings.client_cert, client_key=settings.client_key),
            follow_redirects=False,
            transport=transport,
            proxy=self.proxy,
            trust_env=False,
        )

    def __repr__(self) -> str:
        return f"GpConnectClient({self.base_url})"

    def close(self) -> None:
        self._http.close()

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def add_counter(self, counter: Listener) -> None:
        """Like a listener, but also told about unobserved (clean-up) exchanges: for request counts."""
        self._counters.append(counter)

    @contextmanager
    def unobserved(self) -> Iterator[None]:
        """Send without telling listeners (clean-up traffic that belongs to no scenario)."""
        saved, self._listeners = self._listeners, []
        try:
            yield
        finally:
            self._listeners = saved

    def url_for(self, path: str) -> str:
        """Full URL of a request path, routed through the SSP prefix when one is set."""
        target = f"{self.base_url}/{path.lstrip('/')}"
        if self._settings.ssp_url:
            return f"{self._settings.ssp_url}/{target}"
        return target

    def headers_for(self, interaction: Interaction, claims: Mapping[str, Any] | None) -> dict[str, str]:
        headers = {
            "Ssp-TraceID": str(uuid.uuid4()),
            "Ssp-From": self._settings.consumer_asid,
            "Ssp-To": self._settings.provider_asid,
            "Ssp-InteractionID": interaction.interaction_id,
            "Accept": FHIR_JSON,
        }
        if claims is not None:
            headers["Authorization"] = f"Bearer {jwt_token.encode(dict(claims))}"
        return headers

    def claims_for(self, interaction: Interaction) -> dict[str, Any]:
        return jwt_token.claims(
            audience=self.base_url, scope=interaction.scope, consumer_ods_code=self._settings.consumer_ods_code
        )

    def send(
        self,
        interaction: Interaction,
        path: str,
        *,
        params: Sequence[tuple[str, str]] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        omit_headers: Iterable[str] = (),
        claims: Mapping[str, Any] | None = None,
        fresh: bool = False,
    ) -> Exchange:
        """Send one request. `headers` add to or replace the defaults; `claims` replace the JWT's.

        Transport failures raise HarnessError with a one-line cause after listeners saw the exchange.
        A default GET of an interaction this client may reuse returns the earlier identical answer, unless
        `fresh` asks for the provider's answer now (the answer is then kept for reuse as any other).
        """
        key = None
        if (interaction.method == "GET" and body is None and not headers and not list(omit_headers)
                and claims is None and interaction.interaction_id in self._reuse):
            key = (interaction.interaction_id, path, tuple(params or ()))
            with self._lock:
                earlier = None if fresh else self._answers.pop(key, None)
                if earlier is not None:
                    self._answers[key] = earlier  # the answers used last are the ones kept longest
            if earlier is not None:
                exchange = earlier.reuse()
                self._notify(exchange)
                return exchange
        writes_before = self._writes
        if interaction.method in WRITE_METHODS:
            with self._lock:
                self._writes += 1
                self._answers = {k: v for k, v in self._answers.items() if self._reuse.get(k[0]) == FOR_RUN}
        jwt_claims = dict(claims) if claims is not None else self.claims_for(interaction)
        request_headers = self.headers_for(interaction, jwt_claims)
        content = None
        if body is not None:
            content = body if isinstance(body, (str, bytes)) else json.dumps(body)
            request_headers["Content-Type"] = FHIR_JSON
        request_headers.update(headers or {})
        for name in omit_headers:
            request_headers.pop(name, None)

        request = self._http.build_request(
            interaction.method, self.url_for(path), params=list(params or []), headers=request_headers, content=content
        )
        shown_headers = {k: (REDACTED if k.lower() == "authorization" else v) for k, v in request_headers.items()}
        exchange = Exchange(
            interaction=interaction.name,
            method=request.method,
            url=str(request.url),
            request_headers=shown_headers,
            request_body=content.decode() if isinstance(content, bytes) else content,
            jwt_claims=jwt_claims if "Authorization" in request_headers else None,
            base_url=self.url_for("").rstrip("/"),
        )
        exchange.sent_at = time.time()
        started = time.monotonic()
        try:
            response = self._http.send(request, stream=True)
            try:
                exchange.status = response.status_code
                exchange.response_headers = dict(response.headers)
                exchange.received(*self._read_body(response, started + self._settings.timeout_s))
                exchange.share_derived()
            finally:
                response.close()
            exchange.elapsed_s = time.monotonic() - started
        except httpx.HTTPError as exc:
            exchange.error = _describe_transport_error(exc)
            if self.proxy:
                exchange.error += f" (through the proxy {_shown(self.proxy)})"
            if (isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)) and exchange.url.startswith("https:")
                    and not self._settings.client_cert):
                exchange.error = ("TLS: the provider closed the connection; it may require a client certificate, "
                                  "and GPC_CLIENT_CERT and GPC_CLIENT_KEY are not set: " + exchange.error)
            self._notify(exchange)
            raise HarnessError(f"{interaction.name}: {exchange.error} ({exchange.short_request()})") from None
        if key is not None and exchange.status == 200:
            self._remember(key, exchange, writes_before)
        self._notify(exchange)
        exchange.forget_bytes()  # judged and stored: what is still to come reads the text
        return exchange

    def _remember(self, key: tuple, exchange: Exchange, writes_before: int) -> None:
        with self._lock:
            # A write sent while this request was in flight may have changed the answer: keep it only if none was.
            if self._reuse[key[0]] == UNTIL_WRITE and self._writes != writes_before:
                return
            self._answers.pop(key, None)
            self._answers[key] = exchange
            while len(self._answers) > MAX_REUSABLE:
                self._answers.pop(next(iter(self._answers)))
            large = [k for k, e in self._answers.items() if e.body_chars() >= PACKED_FROM_CHARS]
            for old in large[:-MAX_LARGE_KEPT]:  # the least recently used go first
                del self._answers[old]
            unpacked = sum(e.body_chars() for e in self._answers.values() if not e.packed)
            for old in large[-MAX_LARGE_KEPT:-1]:
                if unpacked <= MAX_REUSABLE_CHARS:
                    break
                if not self._answers[old].packed:
                    unpacked -= self._answers[old].body_chars()
                    self._answers[old].pack()

    def _read_body(self, response: httpx.Response, deadline: float) -> tuple[str, bytes | None]:
        """The body, within the size cap and before the exchange's deadline (GPC_TIMEOUT_S in all), and the bytes
        it came as when they are its UTF-8 and it is large."""
        chunks = []  # joined once: a 17 MB body in 64 KB reads is copied once, not grown and copied again
        size, limit = 0, self._settings.max_body_mb * MB
        for chunk in response.iter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge(f"response body larger than GPC_MAX_BODY_MB={self._settings.max_body_mb:g} MB; "
                                   "raise GPC_MAX_BODY_MB to admit it")
            if time.monotonic() > deadline:
                raise httpx.ReadTimeout(f"response not complete within {self._settings.timeout_s:g} s "
                                        f"({size} bytes received)")
        body = b"".join(chunks)
        encoding = response.encoding or "utf-8"
        if encoding.lower().replace("_", "-") in ("utf-8", "utf8") and len(body) >= json_entries.SHARED_FROM_CHARS:
            try:
                return body.decode("utf-8"), body  # a large body: its bytes serve the JSON parse, digest and gzip
            except UnicodeDecodeError:
                pass
        return body.decode(encoding, errors="replace"), None

    def _notify(self, exchange: Exchange) -> None:
        for counter in list(self._counters):
            counter(exchange)
        for listener in list(self._listeners):
            listener(exchange)


def _describe_transport_error(exc: httpx.HTTPError) -> str:
    text = str(exc)
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return "TLS: the provider's certificate is not trusted (check GPC_CA_BUNDLE): " + text.splitlines()[0]
    if "CERTIFICATE_REQUIRED" in text or "alert certificate" in text.lower() or "alert bad certificate" in text.lower():
        return ("TLS: the provider refused the connection for want of an acceptable client certificate "
                "(check GPC_CLIENT_CERT and GPC_CLIENT_KEY): " + text.splitlines()[0])
    kinds = {
        httpx.ConnectTimeout: "connection timed out",
        httpx.ReadTimeout: "read timed out",
        httpx.WriteTimeout: "write timed out",
        httpx.PoolTimeout: "no connection available in time",
        httpx.ConnectError: "cannot connect",
        httpx.RemoteProtocolError: "provider broke the HTTP exchange",
        httpx.ReadError: "connection failed while reading",
        httpx.DecodingError: "response could not be decoded",
    }
    if isinstance(exc, BodyTooLarge):
        return str(exc)
    for kind, label in kinds.items():
        if isinstance(exc, kind):
            detail = str(exc).splitlines()[0] if str(exc) else ""
            return f"{label}: {detail}" if detail else label
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'transport error'}"


def _shown(proxy_url: str) -> str:
    """A proxy URL as a message may show it: without the user name and password it may carry."""
    parts = httpx.URL(proxy_url)
    return str(parts.copy_with(password=None)) if parts.password else proxy_url
