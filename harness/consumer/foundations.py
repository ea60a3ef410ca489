"""The foundations of every appointment interaction, as a consumer sends them: a valid request for each
interaction, the ways a request can be wrong that a provider must refuse, and what a step's phrase asks
of a request (_format, Prefer). What the answers must be is harness/checks/foundations.py's.

A prepared booking makes a fresh body with its own ledger entry for every send, so that a
provider which wrongly accepts a faulty request still has its booking cleaned up.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from harness.consumer import appointments as appts
from harness.spec import interactions as ix
from harness.transport.client import GpConnectClient
from harness.transport.exchange import Exchange

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


JWT_CLAIMS = ("iss", "sub", "aud", "exp", "iat", "reason_for_request", "requested_scope", "requesting_device",
              "requesting_organization", "requesting_practitioner")


def _without_claim(client: GpConnectClient, interaction: ix.Interaction, name: str) -> dict:
    claims = client.claims_for(interaction)
    claims.pop(name, None)
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
        "with another operation's interaction ID":
            lambda: {"headers": {"Ssp-InteractionID": other_interaction_id(interaction)}},
        "with an empty bearer token": lambda: {"headers": {"Authorization": "Bearer"}},
        "with a bearer token that is not a JWT": lambda: {"headers": {"Authorization": "Bearer not-a-jwt"}},
        "with a JWT that is not base64url JSON": lambda: {"headers": {"Authorization": "Bearer !!!.@@@."}},
        "with an expired JWT":
            lambda: {"claims": _claims(client, interaction, iat=now - STALE_S, exp=now - STALE_S + 300)},
        "with exp at iat + 299": lambda: {"claims": _claims(client, interaction, exp=now + 299, iat=now)},
        "with exp at iat + 301": lambda: {"claims": _claims(client, interaction, exp=now + 301, iat=now)},
        "with the requested_scope of another interaction":
            lambda: {"claims": _claims(client, interaction, requested_scope=WRONG_SCOPE[interaction.scope])},
        "with reason_for_request secondaryuses": lambda: {"claims": _claims(client, interaction,
                                                                             reason_for_request="secondaryuses")},
        "with requested_scope organization/*.write":
            lambda: {"claims": _claims(client, interaction, requested_scope="organization/*.write")},
        "with an unsupported Accept": lambda: {"headers": {"Accept": "text/csv"}},
        "with a JWT issued 200 seconds in the future":
            lambda: {"claims": _claims(client, interaction, iat=now + 200, exp=now + 500)},
        **{f"without the {claim} claim": (lambda c=claim: {"claims": _without_claim(client, interaction, c)})
           for claim in JWT_CLAIMS},
    }
    if name not in table:
        raise KeyError(f"unknown request fault '{name}'")
    return table[name]()


# ------------------------------------------------------------------ what a consumer may ask of any request

_FORMAT_ASKED = re.compile(r"sending _format=(?P<format>\S+) with Accept (?P<accept>\S+)")
_PREFER_ASKED = re.compile(r"sending Prefer: return=(?P<prefer>representation|minimal)")


def asking(phrase: str) -> dict[str, Any]:
    """The client.send additions a step's phrase asks for: "sending _format=<type> with Accept <type>"
    (a query parameter and a header) or "sending Prefer: return=representation" (a header)."""
    found = _FORMAT_ASKED.fullmatch(phrase)
    if found:
        return {"params": [("_format", found["format"])], "headers": {"Accept": found["accept"]}}
    found = _PREFER_ASKED.fullmatch(phrase)
    if found:
        return {"headers": {"Prefer": f"return={found['prefer']}"}}
    raise KeyError(f"unknown request addition '{phrase}'")


def booking_sender(client: GpConnectClient, ledger, settings, slots, patient_id) -> Callable[..., Exchange]:
    """Sends a fresh booking of these slots through the ledger, with send() overrides."""

    def send(**overrides: Any) -> Exchange:
        return appts.book(client, ledger, settings, slots, patient_id, send_overrides=overrides).exchange

    return send
