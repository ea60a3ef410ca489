"""The reference provider as an ASGI app: routing, request checks, FHIR responses."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from . import directory, faults, practice, resources, security, slot_search
from .appointments import AppointmentBook
from .security import Refusal
from .store import Store

FHIR_JSON = "application/fhir+json;charset=utf-8"
log = logging.getLogger("reference_provider")
(FORMAT_PARAM_IGNORED, REPRESENTATION_ANSWERED_EMPTY, PREFER_MINIMAL_IGNORED) = faults.uses(
    "format_param_ignored", "representation_answered_empty", "prefer_minimal_ignored")


@dataclass
class Config:
    ods_code: str
    asid: str
    base_path: str
    store: Store
    faults: frozenset[str] = frozenset()


@dataclass
class Result:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Call:
    """What a handler needs to know about one request."""

    request: Request
    interaction: str
    claims: dict
    body: bytes
    path_params: dict[str, str]

    def query(self) -> list[tuple[str, str]]:
        return list(self.request.query_params.multi_items())


Handler = Callable[[Config, Call], Result]


def fhir_response(result: Result, config: Config, interaction: str | None = None,
                  query: list[tuple[str, str]] | None = None) -> Response:
    """The FHIR JSON response, after the active rewrite faults have had their way with it."""
    answer = faults.apply(faults.Answer(result.status, result.body, {"Cache-Control": "no-store", **result.headers},
                                        interaction, query or []), config.faults)
    content = answer.body if isinstance(answer.body, (str, bytes)) else json.dumps(answer.body)
    return Response(content, status_code=answer.status, headers=answer.headers, media_type=answer.media_type)


def refusal_response(refusal: Refusal, config: Config, interaction: str | None,
                     query: list[tuple[str, str]] | None = None) -> Response:
    body = resources.operation_outcome(refusal.spine_code, refusal.diagnostics)
    return fhir_response(Result(refusal.status, body), config, interaction, query)


# ---------------------------------------------------------------- handlers


def metadata(config: Config, call: Call) -> Result:
    return Result(200, capability_statement())


def find_patient(config: Config, call: Call) -> Result:
    identifiers = [v for k, v in call.query() if k == "identifier"]
    if len(identifiers) != 1:
        raise Refusal(400, "BAD_REQUEST", "Exactly one identifier parameter is required")
    system, _, value = identifiers[0].partition("|")
    if system != resources.NHS_NUMBER_SYSTEM:
        raise Refusal(400, "INVALID_IDENTIFIER_SYSTEM", f"Unsupported identifier system {system}")
    if not re.fullmatch(r"\d{10}", value):
        raise Refusal(400, "INVALID_NHS_NUMBER", f"NHS number {value} is not valid")
    matches = [resources.patient(p, config.ods_code) for p in practice.PATIENTS if p[0] == value]
    return Result(200, resources.bundle(matches))


def search_slots(config: Config, call: Call) -> Result:
    query = slot_search.parse_query(call.query(), config.faults)
    if not config.faults:  # no rewrite can apply: the Bundle as text, each Slot serialised once
        return Result(200, slot_search.search_text(config.store, query, config.ods_code))
    return Result(200, slot_search.search(config.store, query, config.ods_code, config.faults))


def _base_url(config: Config, call: Call) -> str:
    return f"{call.request.url.scheme}://{call.request.url.netloc}{config.base_path}"


def _book(config: Config) -> AppointmentBook:
    return AppointmentBook(config.store, config.ods_code, config.faults)


def book_appointment(config: Config, call: Call) -> Result:
    return Result(*_book(config).book(call.body, _base_url(config, call), call.claims))


def read_appointment(config: Config, call: Call) -> Result:
    return Result(*_book(config).read(call.path_params.get("id", ""), _base_url(config, call)))


def update_appointment(config: Config, call: Call) -> Result:
    book = _book(config)
    return Result(*book.update(call.path_params["id"], call.interaction, call.request.headers.get("If-Match"),
                               call.body, _base_url(config, call)))


def retrieve_appointments(config: Config, call: Call) -> Result:
    return Result(200, _book(config).retrieve(call.path_params["id"], call.query()))


def read_of(resource_type: str) -> Handler:
    """The handler reading the practice's `resource_type` by logical id."""
    def handler(config: Config, call: Call) -> Result:
        resource = directory.read(resource_type, call.path_params["id"], config.ods_code)
        return Result(200, resource, {"ETag": f'W/"{resource["meta"]["versionId"]}"'})
    return handler


def capability_statement() -> dict[str, Any]:
    search = [{"name": n, "type": t} for n, t in
              (("start", "date"), ("end", "date"), ("status", "token"), ("searchFilter", "token"))]
    return {
        "resourceType": "CapabilityStatement",
        "version": "1.2.7",
        "name": "GP Connect reference provider",
        "status": "active",
        "date": datetime.now(practice.UK).date().isoformat(),
        "kind": "instance",
        "fhirVersion": "3.0.1",
        "acceptUnknown": "both",
        "format": ["application/fhir+json"],
        "software": {"name": "GP Connect reference provider", "version": "1.2.7"},
        "rest": [{
            "mode": "server",
            "resource": [
                {"type": "Patient", "interaction": [{"code": "read"}, {"code": "search-type"}],
                 "searchParam": [{"name": "identifier", "type": "token"}]},
                {"type": "Slot", "interaction": [{"code": "search-type"}], "searchParam": search,
                 "searchInclude": [slot_search.INCLUDE_SCHEDULE, slot_search.INCLUDE_PRACTITIONER,
                                   slot_search.INCLUDE_LOCATION, slot_search.INCLUDE_ORGANIZATION]},
                {"type": "Appointment",
                 "interaction": [{"code": c} for c in ("read", "create", "update", "search-type")]},
                *({"type": t, "interaction": [{"code": "read"}]} for t in ("Practitioner", "Location", "Organization")),
            ],
        }],
    }


# ---------------------------------------------------------------- routing

URN = security.URN
ROUTES: list[tuple[str, dict[str, tuple[tuple[str, ...], Handler]]]] = [
    ("/metadata", {"GET": ((URN + "rest:read:metadata-1",), metadata)}),
    ("/Patient", {"GET": ((URN + "rest:search:patient-1",), find_patient)}),
    ("/Slot", {"GET": ((URN + "rest:search:slot-1",), search_slots)}),
    ("/Appointment", {"POST": ((URN + "rest:create:appointment-1",), book_appointment)}),
    ("/Appointment/{id}", {
        "GET": ((URN + "rest:read:appointment-1",), read_appointment),
        "PUT": ((URN + "rest:update:appointment-1", URN + "rest:cancel:appointment-1"), update_appointment),
    }),
    ("/Appointment/", {"GET": ((URN + "rest:read:appointment-1",), read_appointment)}),
    ("/Patient/{id}/Appointment", {"GET": ((URN + "rest:search:patient_appointments-1",), retrieve_appointments)}),
    ("/Patient/{id}", {"GET": ((URN + "rest:read:patient-1",), read_of("Patient"))}),
    ("/Practitioner/{id}", {"GET": ((URN + "rest:read:practitioner-1",), read_of("Practitioner"))}),
    ("/Location/{id}", {"GET": ((URN + "rest:read:location-1",), read_of("Location"))}),
    ("/Organization/{id}", {"GET": ((URN + "rest:read:organization-1",), read_of("Organization"))}),
]


def _dispatch(config: Config, routes) -> Callable:
    async def endpoint(request: Request) -> Response:
        methods = routes
        interaction = None
        query = list(request.query_params.multi_items())
        try:
            if request.method not in methods:
                raise Refusal(400, "BAD_REQUEST", f"{request.method} is not supported on this resource")
            allowed, handler = methods[request.method]
            active = config.faults
            interaction = security.check_headers(request.headers, allowed, config.asid, active)
            claims = security.check_jwt(request.headers["Authorization"], interaction, faults=active)
            fmt = None if FORMAT_PARAM_IGNORED in active else request.query_params.get("_format")
            security.check_accept(fmt or request.headers.get("Accept"), active)
            body = await request.body()
            call = Call(request, interaction, claims, body, dict(request.path_params))
            result = await run_in_threadpool(handler, config, call)
            if request.method in ("POST", "PUT") and 200 <= result.status < 300:
                prefer = request.headers.get("Prefer", "")
                # return=minimal is honoured (a SHOULD): the headers name the resource, the body is empty
                if ("return=minimal" in prefer and PREFER_MINIMAL_IGNORED not in active) or (
                        "return=representation" in prefer and REPRESENTATION_ANSWERED_EMPTY in active):
                    result.body = ""
        except Refusal as refusal:
            return refusal_response(refusal, config, interaction, query)
        except Exception:  # a provider bug must still answer with an OperationOutcome
            log.exception("unhandled error")
            refusal = Refusal(500, "INTERNAL_SERVER_ERROR", "The provider failed to handle the request")
            return refusal_response(refusal, config, interaction, query)
        return fhir_response(result, config, interaction, query)

    return endpoint


(UNKNOWN_PATH_PLAIN,) = faults.uses("unknown_path_plain")


def _not_found(config: Config) -> Callable:
    async def not_found(request: Request) -> Response:
        if UNKNOWN_PATH_PLAIN in config.faults:
            return Response(f"Not found: {request.url.path}", status_code=404, media_type="text/plain")
        body = resources.operation_outcome("NO_RECORD_FOUND", f"No resource at {request.url.path}")
        return Response(json.dumps(body), status_code=404, media_type=FHIR_JSON, headers={"Cache-Control": "no-store"})
    return not_found


def create_app(config: Config, extra_routes=()) -> Starlette:
    all_routes = ROUTES + list(extra_routes)
    inner = [Route(path, _dispatch(config, methods), methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
             for path, methods in all_routes]
    not_found = _not_found(config)
    inner.append(Route("/{rest:path}", not_found, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]))
    routes = [Mount(config.base_path, routes=inner)] if config.base_path else inner
    routes.append(Route("/{rest:path}", not_found, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]))
    return Starlette(routes=routes)


faults.verify()
