"""Foundations checks on every appointment interaction: a valid request for each interaction, and
the ways a request can be wrong that a provider must refuse.

A prepared booking makes a fresh body with its own ledger entry for every send, so that a
provider which wrongly accepts a faulty request still has its booking cleaned up.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from . import appointments as appts
from . import interactions as ix
from .client import FHIR_JSON, Exchange, GpConnectClient
from .profile_check import meta_problems, resource_problems, resources_in

OTHER_ASID = "999999999999"
WRONG_SCOPE = {"organization/*.read": "patient/*.read", "patient/*.read": "patient/*.write",
               "patient/*.write": "patient/*.read"}
STALE_S = 3600


@dataclass
class Prepared:
    """A valid request for one interaction."""

    interaction: ix.Interaction
    path: str
    params: list[tuple[str, str]] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: Callable[[], dict] | None = None  # a fresh body for each send
    book: Callable[..., Exchange] | None = None  # for bookings: sends through the ledger

    def send(self, client: GpConnectClient, **overrides: Any) -> Exchange:
        headers = {**self.headers, **overrides.pop("headers", {})}
        params = list(self.params or []) + overrides.pop("extra_params", [])
        if self.book:
            return self.book(headers=headers, params=params or None, **overrides)
        return client.send(self.interaction, self.path, params=params or None,
                           body=self.body() if self.body else None, headers=headers, **overrides)


def other_interaction_id(interaction: ix.Interaction) -> str:
    """An interaction ID that belongs to another operation."""
    other = ix.SEARCH_SLOTS if interaction != ix.SEARCH_SLOTS else ix.READ_APPOINTMENT
    if interaction in (ix.AMEND_APPOINTMENT, ix.CANCEL_APPOINTMENT):
        other = ix.BOOK_APPOINTMENT
    return other.interaction_id


def _claims(client: GpConnectClient, interaction: ix.Interaction, **changes: Any) -> dict:
    claims = client.claims_for(interaction)
    claims.update(changes)
    return claims


def variant(client: GpConnectClient, interaction: ix.Interaction, name: str) -> dict[str, Any]:
    """The send() overrides that make a request wrong in the named way."""
    now = int(time.time())
    table: dict[str, Callable[[], dict]] = {
        "without Ssp-TraceID": lambda: {"omit_headers": ["Ssp-TraceID"]},
        "without Ssp-From": lambda: {"omit_headers": ["Ssp-From"]},
        "without Ssp-To": lambda: {"omit_headers": ["Ssp-To"]},
        "without Ssp-InteractionID": lambda: {"omit_headers": ["Ssp-InteractionID"]},
        "without Authorization": lambda: {"omit_headers": ["Authorization"]},
        "addressed to another provider's ASID": lambda: {"headers": {"Ssp-To": OTHER_ASID}},
        "with another operation's interaction ID": lambda: {"headers": {"Ssp-InteractionID": other_interaction_id(interaction)}},
        "with an empty bearer token": lambda: {"headers": {"Authorization": "Bearer"}},
        "with a bearer token that is not a JWT": lambda: {"headers": {"Authorization": "Bearer not-a-jwt"}},
        "with a JWT that is not base64url JSON": lambda: {"headers": {"Authorization": "Bearer !!!.@@@."}},
        "with an expired JWT": lambda: {"claims": _claims(client, interaction, iat=now - STALE_S, exp=now - STALE_S + 300)},
        "with exp at iat + 299": lambda: {"claims": _claims(client, interaction, exp=now + 299, iat=now)},
        "with exp at iat + 301": lambda: {"claims": _claims(client, interaction, exp=now + 301, iat=now)},
        "with the requested_scope of another interaction":
            lambda: {"claims": _claims(client, interaction, requested_scope=WRONG_SCOPE[interaction.scope])},
        "with reason_for_request secondaryuses": lambda: {"claims": _claims(client, interaction,
                                                                             reason_for_request="secondaryuses")},
        "with an unsupported Accept": lambda: {"headers": {"Accept": "text/csv"}},
    }
    if name not in table:
        raise KeyError(f"unknown request fault '{name}'")
    return table[name]()


VARIANTS = ("without Ssp-TraceID", "without Ssp-From", "without Ssp-To", "without Ssp-InteractionID",
            "without Authorization", "addressed to another provider's ASID", "with another operation's interaction ID",
            "with an empty bearer token", "with a bearer token that is not a JWT", "with a JWT that is not base64url JSON",
            "with an expired JWT", "with exp at iat + 299", "with exp at iat + 301",
            "with the requested_scope of another interaction", "with reason_for_request secondaryuses",
            "with an unsupported Accept")


# ------------------------------------------------------------------ checks on every response


def header_problems(exchange: Exchange) -> list[str]:
    """Cache-Control: no-store and Content-Type application/fhir+json;charset=utf-8 on any response."""
    what = f"HTTP {exchange.status} to {exchange.short_request()}"
    problems = []
    cache = (exchange.header("Cache-Control") or "").lower()
    if "no-store" not in [d.strip() for d in cache.split(",")]:
        problems.append(f"{what}: Cache-Control is {exchange.header('Cache-Control')!r}, expected 'no-store'")
    ctype = (exchange.header("Content-Type") or "").lower().replace(" ", "")
    if exchange.response_text and ctype != FHIR_JSON:
        problems.append(f"{what}: Content-Type is {exchange.header('Content-Type')!r}, expected '{FHIR_JSON}'")
    return problems


def conformance_problems(exchange: Exchange, rules: tuple[str, ...]) -> list[str]:
    """Every resource in the body against the given profile_check rules."""
    return [p for resource in resources_in(exchange.json()) for p in resource_problems(resource, rules=rules)]


def meta_problems_in(exchange: Exchange) -> list[str]:
    return [p for resource in resources_in(exchange.json()) for p in meta_problems(resource)]


def full_url_problems(exchange: Exchange) -> list[str]:
    body = exchange.json()
    if not isinstance(body, dict) or body.get("resourceType") != "Bundle":
        return []
    return [f"Bundle entry {i} ({(e.get('resource') or {}).get('resourceType')}) carries fullUrl {e['fullUrl']!r}"
            for i, e in enumerate(body.get("entry") or []) if isinstance(e, dict) and e.get("fullUrl")]


def booking_sender(client: GpConnectClient, ledger, settings, slots, patient_id) -> Callable[..., Exchange]:
    """Sends a fresh booking of these slots through the ledger, with send() overrides."""

    def send(**overrides: Any) -> Exchange:
        return appts.book(client, ledger, settings, slots, patient_id, send_overrides=overrides).exchange

    return send
