"""The unsigned audit JWT every GP Connect request carries (alg none, empty signature)."""

from __future__ import annotations

import time
from typing import Any

import jwt

from harness.spec.constants import ODS_SYSTEM, SDS_ROLE_PROFILE_SYSTEM, SDS_USER_SYSTEM

LIFETIME_S = 300
USER_ID = "assurance-user-1"
DEVICE_SYSTEM = "https://gpc-assurance.invalid/Id/device"
LOCAL_USER_SYSTEM = "https://gpc-assurance.invalid/Id/user"
ISSUER = "https://gpc-assurance.invalid/"


def claims(*, audience: str, scope: str, consumer_ods_code: str, now: int | None = None) -> dict[str, Any]:
    """All ten claims the spec requires, with exp = iat + 300."""
    iat = int(time.time()) if now is None else now
    return {
        "iss": ISSUER,
        "sub": USER_ID,
        "aud": audience,
        "exp": iat + LIFETIME_S,
        "iat": iat,
        "reason_for_request": "directcare",
        "requested_scope": scope,
        "requesting_device": {
            "resourceType": "Device",
            "identifier": [{"system": DEVICE_SYSTEM, "value": "gpc-assurance-harness"}],
            "model": "GP Connect appointments assurance harness",
            "version": "0.1.0",
        },
        "requesting_organization": {
            "resourceType": "Organization",
            "name": "GP Connect assurance consumer",
            "identifier": [{"system": ODS_SYSTEM, "value": consumer_ods_code}],
        },
        "requesting_practitioner": {
            "resourceType": "Practitioner",
            "id": USER_ID,
            "name": [{"family": "Assurance", "given": ["Harness"], "prefix": ["Mx"]}],
            "identifier": [
                {"system": SDS_USER_SYSTEM, "value": "UNK"},
                {"system": SDS_ROLE_PROFILE_SYSTEM, "value": "UNK"},
                {"system": LOCAL_USER_SYSTEM, "value": USER_ID},
            ],
        },
    }


def encode(payload: dict[str, Any]) -> str:
    """Encode as an unsigned JWT: header {"alg":"none","typ":"JWT"} and a trailing '.'."""
    return jwt.encode(payload, None, algorithm="none", headers={"typ": "JWT"})


def decode(token: str) -> dict[str, Any]:
    """Claims of a token without checking anything (for evidence only)."""
    return jwt.decode(token, options={"verify_signature": False, "verify_exp": False, "verify_aud": False})
