"""Checks on every response whatever its interaction (headers, profiles, meta, fullUrl), on the
CapabilityStatement, and on what a consumer may ask of any request (_format, Prefer). Pure: the answer
in, violations out; the requests are harness/consumer/foundations.py's."""

from __future__ import annotations

from typing import Callable

from harness.checks.profiles import meta_violations, resource_violations, resources_in
from harness.checks.refusals import refusal_violations
from harness.checks.violations import Violation, violation
from harness.errors import Nonconformance
from harness.spec import interactions as ix
from harness.spec.requirements import SUCCESS, requirements_of_kind
from harness.transport.client import FHIR_JSON
from harness.transport.exchange import Exchange


def success_rule(scenario_requirements, exchange: Exchange) -> tuple[str, ...]:
    """The requirements whose rule is "this request is answered with success" (kind `success` in
    spec/requirements.csv) among a scenario's tags; otherwise a valid request failing breaks its interaction's."""
    return tuple(r for r in scenario_requirements if r in requirements_of_kind(SUCCESS)) or \
        (ix.requirement_of(exchange.interaction),)


def each_refused_violations(responses: list[tuple[str, Exchange]], rules, status: int | None = None,
                            code: str | None = None, body_optional: bool = False) -> list[Violation]:
    """Every (way, exchange) is refused as required; each violation names the way the request was sent."""
    return [v.prefixed(way) for way, exchange in responses
            for v in refusal_violations(exchange, rules, status, code, body_optional=body_optional)]


def _header(exchange: Exchange, rule: str, name: str, expected: str) -> Violation:
    return violation(rule, "response", name, expected, exchange.header(name),
                     f"HTTP {exchange.status} to {exchange.short_request()}: {name} is {exchange.header(name)!r}, "
                     f"expected '{expected}'")


def cache_control_violations(exchange: Exchange) -> list[Violation]:
    """Cache-Control: no-store on any response, errors included (FND-CACHE-01)."""
    cache = (exchange.header("Cache-Control") or "").lower()
    ok = "no-store" in [d.strip() for d in cache.split(",")]
    return [] if ok else [_header(exchange, "FND-CACHE-01", "Cache-Control", "no-store")]


def content_type_violations(exchange: Exchange) -> list[Violation]:
    """Content-Type application/fhir+json;charset=utf-8 on any response with a body (FND-FMT-01)."""
    ctype = (exchange.header("Content-Type") or "").lower().replace(" ", "")
    ok = not exchange.response_text or ctype == FHIR_JSON
    return [] if ok else [_header(exchange, "FND-FMT-01", "Content-Type", FHIR_JSON)]


def conformance_violations(exchange: Exchange, rules: tuple[str, ...]) -> list[Violation]:
    """Every resource in the body against the given profile_check rules."""
    return [v for resource in resources_in(exchange.json()) for v in resource_violations(resource, rules=rules)]


def meta_violations_in(exchange: Exchange) -> list[Violation]:
    return [v for resource in resources_in(exchange.json()) for v in meta_violations(resource)]


def full_url_violations(exchange: Exchange) -> list[Violation]:
    body = exchange.json()
    if not isinstance(body, dict) or body.get("resourceType") != "Bundle":
        return []
    return [violation("FND-FULLURL-01", f"Bundle entry {i}", "Bundle.entry.fullUrl", "absent", e["fullUrl"],
                      f"Bundle entry {i} ({(e.get('resource') or {}).get('resourceType')}) carries fullUrl "
                      f"{e['fullUrl']!r}")
            for i, e in enumerate(body.get("entry") or []) if isinstance(e, dict) and e.get("fullUrl")]


# ------------------------------------------------------------------ the CapabilityStatement (FND-CAP-01)

CAPABILITY = "FND-CAP-01"
SLOT_SEARCH_PARAMS = ("start", "end", "status", "searchFilter")
SLOT_SEARCH_INCLUDES = ("Slot:schedule", "Schedule:actor:Practitioner", "Schedule:actor:Location",
                        "Location:managingOrganization")


def capability_version_violations(capability: dict) -> list[Violation]:
    return [violation(CAPABILITY, "CapabilityStatement", f"CapabilityStatement.{k}", v, capability.get(k),
                      f"CapabilityStatement.{k} is {capability.get(k)!r}, expected {v!r}")
            for k, v in (("version", "1.2.7"), ("fhirVersion", "3.0.1")) if capability.get(k) != v]


def _slot_resource(capability: dict) -> dict | None:
    for rest in capability.get("rest") or []:
        for resource in rest.get("resource") or []:
            if resource.get("type") == "Slot":
                return resource
    return None


def _slot_lists(capability: dict, key: str, element: str, wanted: tuple[str, ...],
                values: Callable[[dict], set]) -> list[Violation]:
    slot = _slot_resource(capability)
    if slot is None:
        return [violation(CAPABILITY, "CapabilityStatement", "CapabilityStatement.rest.resource", "a Slot resource",
                          "none", "CapabilityStatement lists no Slot resource")]
    missing = [w for w in wanted if w not in values(slot)]
    if not missing:
        return []
    return [violation(CAPABILITY, "CapabilityStatement", f"CapabilityStatement.rest.resource:Slot.{element}",
                      ", ".join(wanted), ", ".join(sorted(values(slot))),
                      f"Slot {key} lacks {', '.join(sorted(missing))}")]


def slot_search_param_violations(capability: dict) -> list[Violation]:
    """The Slot resource lists the search parameters start, end, status and searchFilter."""
    return _slot_lists(capability, "searchParam", "searchParam.name", SLOT_SEARCH_PARAMS,
                       lambda slot: {p.get("name") for p in slot.get("searchParam") or []})


def slot_include_violations(capability: dict) -> list[Violation]:
    """The Slot resource lists the four search includes."""
    return _slot_lists(capability, "searchInclude", "searchInclude", SLOT_SEARCH_INCLUDES,
                       lambda slot: set(slot.get("searchInclude") or []))


# ------------------------------------------------------------------ what a consumer may ask of any request

FORMAT_JSON = "application/fhir+json"


def _asked(exchange: Exchange, name: str) -> str:
    return exchange.request_headers.get(name) or next(
        (v for k, v in exchange.request_headers.items() if k.lower() == name.lower()), "")


def format_answer_violations(exchange: Exchange) -> list[Violation]:
    """A request with _format=application/fhir+json is served whatever FHIR Accept came with it, and
    answered with a FHIR JSON resource (FND-FMT-03); the interaction's own checks judge the resource."""
    rule, accept = "FND-FMT-03", _asked(exchange, "Accept")
    asked = f"_format={FORMAT_JSON} with Accept {accept}"
    if exchange.status is None or not 200 <= exchange.status < 300:
        return [violation(rule, "response", "HTTP status", "2xx", exchange.status,
                          f"a request sending {asked} was answered HTTP {exchange.status}: _format must be "
                          "supported and override Accept")]
    ctype = (exchange.header("Content-Type") or "").split(";")[0].strip().lower()
    if ctype != FORMAT_JSON:
        return [violation(rule, "response", "Content-Type", FORMAT_JSON, ctype or "none",
                          f"a request sending {asked} was answered with Content-Type {ctype or 'none'}, "
                          f"expected {FORMAT_JSON}")]
    return _resource_violations(exchange, rule, f"a request sending {asked}")


def _resource_violations(exchange: Exchange, rule: str, what: str) -> list[Violation]:
    if exchange.blank_body():
        return [violation(rule, "response", "body", "a FHIR resource", "an empty body",
                          f"{what} was answered HTTP {exchange.status} with an empty body")]
    try:
        body = exchange.json()
    except Nonconformance as exc:
        return [violation(rule, "response", "body", "a FHIR resource", "not FHIR JSON",
                          f"{what} was answered with a body that is not FHIR JSON: {exc}")]
    if not isinstance(body, dict) or not body.get("resourceType"):
        return [violation(rule, "response", "body", "a FHIR resource", "no resourceType",
                          f"{what} was answered with JSON that is no FHIR resource")]
    return []


def representation_violations(exchange: Exchange) -> list[Violation]:
    """A create or update sending Prefer: return=representation is answered with success and the
    whole Appointment (FND-PREFER-02); the interaction's own checks judge the Appointment."""
    rule, what = "FND-PREFER-02", "a request sending Prefer: return=representation"
    if exchange.status is None or not 200 <= exchange.status < 300:
        return [violation(rule, "response", "HTTP status", "2xx", exchange.status,
                          f"{what} was answered HTTP {exchange.status}")]
    found = _resource_violations(exchange, rule, what)
    if found:
        return found
    got = exchange.json().get("resourceType")
    return [] if got == "Appointment" else [
        violation(rule, "response", "body", "the Appointment", got, f"{what} was answered with a {got}, not the "
                                                                      "Appointment")]


APPOINTMENT_INTERACTIONS = ("read", "create", "update", "search-type")


def appointment_interaction_violations(capability: dict) -> list[Violation]:
    """An Appointment resource with the read, create, update and search-type interactions, as the
    spec's CapabilityStatement template lists them (FND-CAP-02)."""
    rule = "FND-CAP-02"
    appointment = next((r for rest in capability.get("rest") or [] for r in rest.get("resource") or []
                        if r.get("type") == "Appointment"), None)
    if appointment is None:
        return [violation(rule, "CapabilityStatement", "CapabilityStatement.rest.resource", "an Appointment resource",
                          "none", "CapabilityStatement lists no Appointment resource")]
    listed = {i.get("code") for i in appointment.get("interaction") or []}
    missing = [i for i in APPOINTMENT_INTERACTIONS if i not in listed]
    if not missing:
        return []
    return [violation(rule, "CapabilityStatement", "CapabilityStatement.rest.resource:Appointment.interaction.code",
                      ", ".join(APPOINTMENT_INTERACTIONS), ", ".join(sorted(c for c in listed if c)) or "none",
                      f"Appointment interactions lack {', '.join(missing)}")]


def minimal_violations(exchange: Exchange) -> list[Violation]:
    """A create or update sending Prefer: return=minimal is answered with success and no body
    (FND-PREFER-01, a SHOULD); the interaction's own steps read back what it did."""
    rule, what = "FND-PREFER-01", "a request sending Prefer: return=minimal"
    if exchange.status is None or not 200 <= exchange.status < 300:
        return [violation(rule, "response", "HTTP status", "2xx", exchange.status,
                          f"{what} was answered HTTP {exchange.status}")]
    if exchange.blank_body():
        return []
    try:
        got = (exchange.json() or {}).get("resourceType") or "a body"
    except (Nonconformance, AttributeError):
        got = "a body"
    return [violation(rule, "response", "body", "none", got,
                      f"{what} was answered HTTP {exchange.status} with {got}, expected no body")]
