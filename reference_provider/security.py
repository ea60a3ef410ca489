"""Checks every consumer request must pass: SSP headers, interaction ID, Accept, and the JWT."""

from __future__ import annotations

import base64
import json
import time

from . import faults as fault_registry

(ACCEPT_UNCHECKED, MISSING_TRACE_ID_ACCEPTED, SSP_TO_UNCHECKED, INTERACTION_ID_UNCHECKED, JWT_LIFETIME_UNCHECKED,
 EXPIRED_JWT_ACCEPTED, REASON_UNCHECKED, SCOPE_UNCHECKED) = fault_registry.uses(
    "accept_unchecked", "missing_trace_id_accepted", "ssp_to_unchecked", "interaction_id_unchecked",
    "jwt_lifetime_unchecked", "expired_jwt_accepted", "reason_unchecked", "scope_unchecked")
JWT_ISS_UNCHECKED, FUTURE_IAT_REFUSED = fault_registry.uses("jwt_iss_unchecked", "future_iat_refused")
(SCOPE_KIND_UNCHECKED,) = fault_registry.uses("scope_kind_unchecked")

URN = "urn:nhs:names:services:gpconnect:fhir:"
SCOPES = {
    URN + "rest:read:metadata-1": "organization/*.read",
    URN + "rest:search:patient-1": "patient/*.read",
    URN + "rest:search:slot-1": "organization/*.read",
    URN + "rest:search:patient_appointments-1": "patient/*.read",
    URN + "rest:read:appointment-1": "patient/*.read",
    URN + "rest:create:appointment-1": "patient/*.write",
    URN + "rest:update:appointment-1": "patient/*.write",
    URN + "rest:cancel:appointment-1": "patient/*.write",
    URN + "rest:read:patient-1": "patient/*.read",
    URN + "rest:read:practitioner-1": "organization/*.read",
    URN + "rest:read:location-1": "organization/*.read",
    URN + "rest:read:organization-1": "organization/*.read",
}
REQUIRED_CLAIMS = (
    "iss", "sub", "aud", "exp", "iat", "reason_for_request", "requested_scope",
    "requesting_device", "requesting_organization", "requesting_practitioner",
)
ACCEPTED_TYPES = ("application/fhir+json", "application/json+fhir", "application/json", "*/*", "application/*")
# Consumer clocks run a little fast or slow; NHS's suite expects iat 200 s ahead to be accepted.
CLOCK_SKEW_S = 300


class Refusal(Exception):
    """A request the provider refuses: HTTP status, Spine code and diagnostics."""

    def __init__(self, status: int, spine_code: str, diagnostics: str):
        super().__init__(diagnostics)
        self.status, self.spine_code, self.diagnostics = status, spine_code, diagnostics


def _b64json(part: str, what: str):
    try:
        padded = part + "=" * (-len(part) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError):
        raise Refusal(400, "BAD_REQUEST", f"JWT {what} is not base64url-encoded JSON") from None


def check_accept(accept: str | None, faults: frozenset[str] = frozenset()) -> None:
    if not accept or ACCEPT_UNCHECKED in faults:
        return
    media = [item.split(";")[0].strip().lower() for item in accept.split(",")]
    if not any(m in ACCEPTED_TYPES for m in media):
        raise Refusal(415, "BAD_REQUEST", f"Unsupported media type in Accept: {accept}")


def check_headers(headers, allowed_interactions: tuple[str, ...], provider_asid: str,
                  faults: frozenset[str] = frozenset()) -> str:
    """Validate SSP headers; return the interaction ID. Raises Refusal(400 BAD_REQUEST)."""
    required = ("Ssp-TraceID", "Ssp-From", "Ssp-To", "Ssp-InteractionID", "Authorization")
    for name in required:
        if name == "Ssp-TraceID" and MISSING_TRACE_ID_ACCEPTED in faults:
            continue
        if not headers.get(name, "").strip():
            raise Refusal(400, "BAD_REQUEST", f"Missing or empty header {name}")
    if headers["Ssp-To"].strip() != provider_asid and SSP_TO_UNCHECKED not in faults:
        raise Refusal(400, "BAD_REQUEST", f"Ssp-To {headers['Ssp-To']} is not this provider's ASID")
    interaction = headers["Ssp-InteractionID"].strip()
    if interaction not in allowed_interactions:
        if INTERACTION_ID_UNCHECKED in faults and interaction in SCOPES:
            return allowed_interactions[0]
        raise Refusal(400, "BAD_REQUEST", f"Ssp-InteractionID {interaction} does not match this request")
    return interaction


def check_jwt(authorization: str, interaction: str, now: float | None = None,
              faults: frozenset[str] = frozenset()) -> dict:
    """Validate the bearer token's form and claims for this interaction; return the claims."""
    now = time.time() if now is None else now
    if not authorization.startswith("Bearer "):
        raise Refusal(400, "BAD_REQUEST", "Authorization is not a Bearer token")
    parts = authorization[len("Bearer "):].strip().split(".")
    if len(parts) != 3:
        raise Refusal(400, "BAD_REQUEST", "JWT must have three dot-separated parts")
    header = _b64json(parts[0], "header")
    if not isinstance(header, dict) or header.get("alg") != "none":
        raise Refusal(400, "BAD_REQUEST", "JWT header alg must be none")
    if parts[2]:
        raise Refusal(400, "BAD_REQUEST", "JWT signature must be empty")
    claims = _b64json(parts[1], "payload")
    if not isinstance(claims, dict):
        raise Refusal(400, "BAD_REQUEST", "JWT payload is not a JSON object")
    for name in REQUIRED_CLAIMS:
        if name == "iss" and JWT_ISS_UNCHECKED in faults:
            continue
        if claims.get(name) in (None, "", {}, []):
            raise Refusal(400, "BAD_REQUEST", f"JWT claim {name} is missing or empty")
    iat, exp = claims["iat"], claims["exp"]
    if not isinstance(iat, int) or not isinstance(exp, int):
        raise Refusal(400, "BAD_REQUEST", "JWT iat and exp must be integers")
    if exp - iat != 300 and JWT_LIFETIME_UNCHECKED not in faults:
        raise Refusal(400, "BAD_REQUEST", "JWT exp must be iat + 300")
    if exp < now and EXPIRED_JWT_ACCEPTED not in faults:
        raise Refusal(400, "BAD_REQUEST", "JWT has expired")
    if iat > now + (0 if FUTURE_IAT_REFUSED in faults else CLOCK_SKEW_S):
        raise Refusal(400, "BAD_REQUEST", "JWT iat is in the future")
    if claims["reason_for_request"] != "directcare" and REASON_UNCHECKED not in faults:
        raise Refusal(400, "BAD_REQUEST", "JWT reason_for_request must be directcare")
    if claims["requested_scope"] != SCOPES[interaction] and SCOPE_UNCHECKED not in faults:
        access = str(claims["requested_scope"]).rsplit(".", 1)[-1] == SCOPES[interaction].rsplit(".", 1)[-1]
        if not (SCOPE_KIND_UNCHECKED in faults and access):
            raise Refusal(400, "BAD_REQUEST", f"JWT requested_scope must be {SCOPES[interaction]}")
    expected_types = {
        "requesting_device": "Device",
        "requesting_organization": "Organization",
        "requesting_practitioner": "Practitioner",
    }
    for claim, rtype in expected_types.items():
        if not isinstance(claims[claim], dict) or claims[claim].get("resourceType") != rtype:
            raise Refusal(400, "BAD_REQUEST", f"JWT claim {claim} must be a {rtype}")
    if claims["requesting_practitioner"].get("id") != claims["sub"]:
        raise Refusal(400, "BAD_REQUEST", "JWT sub must equal requesting_practitioner.id")
    return claims
