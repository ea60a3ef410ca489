"""Run configuration: one frozen, validated Settings object.

Precedence: real environment variables, then ``config/<GPC_ENV>.env`` (python-dotenv, override
off; the working folder's own before the shipped ones), then the defaults below. Every problem is
reported as a ConfigError whose message is one line naming the key and what is wrong with it.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values

PACKAGES_ROOT = Path(__file__).resolve().parent.parent  # holds harness/ and reference_provider/
# Where the suite lives (features/, steps/, spec/, the shipped config/): a clone, or what an installed
# gpc-assure carries in <prefix>/share/gpc-assure (pyproject.toml's data-files).
INSTALLED_SUITE = Path(sys.prefix) / "share" / "gpc-assure"
INSTALLED = not (PACKAGES_ROOT / "features").is_dir() and INSTALLED_SUITE.is_dir()
PROJECT_ROOT = INSTALLED_SUITE if INSTALLED else PACKAGES_ROOT
CONFIG_DIR = PROJECT_ROOT / "config"


def work_root() -> Path:
    """Where a run's own files go and its relative paths start: the clone, or, for an installed
    gpc-assure, the folder it is run in (reports/, config/, .state/)."""
    return Path.cwd() if INSTALLED else PROJECT_ROOT


def config_file(env_name: str) -> Path:
    """config/<env>.env of the working folder, else the shipped one."""
    own = work_root() / "config" / f"{env_name}.env"
    return own if own.is_file() else CONFIG_DIR / f"{env_name}.env"

ORG_TYPES = ("gp-practice", "urgent-care")
SCHEDULE_TYPE_MODES = ("all", "some", "none")
# The shipped environment whose empty GPC_BASE_URL means the bundled reference provider, and the
# value that asks for the bundled provider explicitly anywhere else.
REFERENCE_ENV = "reference"
REFERENCE_TARGET = "reference"

# Every GPC_ key the harness reads: the settings below and the run-control keys read elsewhere
# (GPC_ENV, GPC_REPORTS_DIR, GPC_STATE_DIR). Any other GPC_ key is a typo, reported with the
# nearest known key, so a misspelt key can never silently leave a default (or the bundled
# provider) in place.
# A 50,000-slot 14-day search with every include is about 29 MB as the bundled hub answers it (572 bytes a
# slot): the default admits twice that, and still stops a runaway provider.
DEFAULT_MAX_BODY_MB = 64.0
# The practices the bundled reference provider plays (reference_provider/practice.py's PRACTICES).
REFERENCE_PRACTICES = ("small", "large", "few-days", "hub")
KNOWN_KEYS = frozenset({
    "GPC_ENV", "GPC_REPORTS_DIR", "GPC_STATE_DIR",
    "GPC_BASE_URL", "GPC_SSP_URL", "GPC_PROVIDER_ODS_CODE", "GPC_PROVIDER_ASID", "GPC_CONSUMER_ASID",
    "GPC_CONSUMER_ODS_CODE", "GPC_CONSUMER_ORG_TYPE", "GPC_PATIENT_NHS_NUMBER", "GPC_SEARCH_DAYS",
    "GPC_TIMEOUT_S", "GPC_SCHEDULE_TYPES", "GPC_CLIENT_CERT", "GPC_CLIENT_KEY", "GPC_CA_BUNDLE",
    "GPC_TLS_VERIFY", "GPC_ALLOW_WRITES", "GPC_REFERENCE_FAULTS", "GPC_SCENARIO_TIMEOUT_S",
    "GPC_RUN_TIMEOUT_S", "GPC_MULTISLOT_REFUSAL_STATUS", "GPC_MULTISLOT_REFUSAL_CODE",
    "GPC_REFERENCE_PRACTICE", "GPC_REFERENCE_LATENCY_MS", "GPC_NHS_STRICT",
    "GPC_REFERENCE_VARIETY", "GPC_SECOND_PATIENT_NHS_NUMBER", "GPC_SEARCHFILTER_ORG_TYPES",
    "GPC_SEARCHFILTER_ODS_CODES", "GPC_OTHER_ORG_ODS_CODE", "GPC_RESTRICTED_SLOTS", "GPC_TYPED_SCHEDULES",
    "GPC_PROXY_URL", "GPC_HISTORY_RUNS", "GPC_MAX_BODY_MB",
})


def reports_dir() -> Path:
    """Where a run writes its results and report: GPC_REPORTS_DIR, default reports/."""
    raw = os.environ.get("GPC_REPORTS_DIR", "").strip()
    return Path(raw).resolve() if raw else work_root() / "reports"


class ConfigError(Exception):
    """A configuration value is missing or malformed; str() is the one-line reason."""


def nhs_number_is_valid(value: str) -> bool:
    """Modulus 11 check of a 10-digit NHS number."""
    if not re.fullmatch(r"\d{10}", value):
        return False
    total = sum(int(d) * w for d, w in zip(value[:9], range(10, 1, -1)))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(value[9])


@dataclass(frozen=True)
class Restriction:
    """A declared restriction: the slots of one schedule starting at one local time each day are open only
    to one organisation type or one ODS code. `schedule` names the Schedule by its logical id, one of its
    identifier values or its schedule type text."""

    schedule: str
    time: str  # HH:MM, UK local time
    kind: str  # "type" or "ods"
    code: str

    def open_to(self, org_type: str | None, ods_code: str | None) -> bool:
        return (org_type if self.kind == "type" else ods_code) == self.code

    def describe(self) -> str:
        what = "organisation type" if self.kind == "type" else "ODS code"
        return f"{self.schedule} at {self.time}, {what} {self.code}"


RESTRICTION_FORMAT = "<schedule id, identifier or schedule type>,<HH:MM>,<type|ods>:<code>, entries separated by ;"


def _restrictions(values: dict) -> tuple[Restriction, ...]:
    raw = values.get("GPC_RESTRICTED_SLOTS", "").strip()
    found = []
    for entry in (e.strip() for e in raw.split(";") if e.strip()):
        parts = [p.strip() for p in entry.split(",")]
        kind, _, code = (parts[2].partition(":") if len(parts) == 3 else ("", "", ""))
        if len(parts) != 3 or not parts[0] or not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", parts[1]) \
                or kind.strip() not in ("type", "ods") or not code.strip():
            raise ConfigError(f"GPC_RESTRICTED_SLOTS: {entry!r} is not {RESTRICTION_FORMAT}")
        found.append(Restriction(parts[0], parts[1], kind.strip(), code.strip()))
    return tuple(found)


@dataclass(frozen=True)
class Settings:
    """Validated settings for one run. Secrets are paths, never contents."""

    env_name: str
    base_url: str  # empty: start the bundled reference provider
    ssp_url: str
    provider_ods_code: str
    provider_asid: str
    consumer_asid: str
    consumer_ods_code: str
    consumer_org_type: str  # "" when the consumer sends no organisation type
    patient_nhs_number: str
    search_days: int
    timeout_s: float
    schedule_types: str
    client_cert: str
    client_key: str
    ca_bundle: str
    tls_verify: bool
    allow_writes: bool
    reference_faults: tuple[str, ...] = field(default_factory=tuple)
    # Spine code and status a refused multi-slot booking is expected to carry.
    scenario_timeout_s: float = 300.0
    run_timeout_s: float = 3600.0
    # The largest response body read, in MB: a 50,000-slot 14-day search with every include fits.
    max_body_mb: float = DEFAULT_MAX_BODY_MB
    multislot_refusal_status: int = 422
    multislot_refusal_code: str = "INVALID_RESOURCE"
    # Only for the bundled reference provider: which practice it plays and its fixed response delay.
    reference_practice: str = "small"
    reference_latency_ms: int = 0
    # Only for the bundled reference provider: serve its conformant variety (UUID ids, shuffled
    # entries, codings beside text, more actors, vendor extensions, gzip, another service root).
    reference_variety: bool = False
    # NHS strictness: failures of advisory requirements (SHOULD, SHOULD NOT, MAY, NHS expectation)
    # make the run non-conformant too, as NHS's own provider assurance would.
    nhs_strict: bool = False
    # A second patient of the practice, for explorations that book for two patients ("" when there is none).
    second_patient_nhs_number: str = ""
    # The organisation types and ODS codes a searchFilter sweep searches as, in the order of NHS's
    # urgent-care, gp-practice, oncology and A20047, B81016, M85015, RNR01: the environment's own, to
    # which the practice offers its unrestricted slots.
    searchfilter_org_types: tuple[str, ...] = ("urgent-care", "gp-practice", "oncology")
    searchfilter_ods_codes: tuple[str, ...] = ("A20047", "B81016", "M85015", "RNR01")
    # Another organisation's ODS code, sent as the JWT's requesting_organization to book an appointment
    # the usual consumer then reads (NHS's suite: ORG3).
    other_org_ods_code: str = "X12345"

    # The slots the practice restricts, as only it knows them (GPC_RESTRICTED_SLOTS): each a Restriction.
    restricted_slots: tuple["Restriction", ...] = ()
    # The schedules the practice has given a schedule type, by logical id or identifier value (GPC_TYPED_SCHEDULES).
    typed_schedules: tuple[str, ...] = ()
    # The HTTP proxy to reach the provider through ("": the environment's, harness/transport/proxies.py).
    proxy_url: str = ""
    # How many runs the history keeps per environment and provider (harness/outcome/history.py).
    history_runs: int = 30

    @property
    def uses_reference_provider(self) -> bool:
        return not self.base_url


def _read_sources(env_name: str, environ: dict[str, str]) -> dict[str, str]:
    env_file = config_file(env_name)
    if not env_file.is_file():
        raise ConfigError(f"GPC_ENV: no config file config/{env_name}.env for environment '{env_name}'")
    values = {k: (v or "") for k, v in dotenv_values(env_file).items()}
    where = next((env_file.relative_to(root) for root in (work_root(), PROJECT_ROOT) if env_file.is_relative_to(root)),
                 env_file)
    _refuse_unknown_keys(values, f"in {where}")
    from_environment = {k: v for k, v in environ.items() if k.startswith("GPC_")}
    _refuse_unknown_keys(from_environment, "in the environment")
    values.update(from_environment)
    return values


def _refuse_unknown_keys(values: dict[str, str], where: str) -> None:
    for key in sorted(values):
        if key not in KNOWN_KEYS:
            near = difflib.get_close_matches(key, sorted(KNOWN_KEYS), n=1, cutoff=0.6)
            hint = f"; did you mean {near[0]}?" if near else "; see config/provider.env.example for the known keys"
            raise ConfigError(f"{key}: unknown setting ({where}){hint}")


def _url(values: dict, key: str, required: bool) -> str:
    raw = values.get(key, "").strip()
    if not raw:
        if required:
            raise ConfigError(f"{key}: missing; set it to an http(s) URL")
        return ""
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{key}: '{raw}' is not an http(s) URL with a host")
    if parts.query or parts.fragment:
        raise ConfigError(f"{key}: '{raw}' must not carry a query or fragment")
    return raw.rstrip("/")


def _base_url(values: dict, env_name: str) -> str:
    """The provider's service root; empty for the bundled reference provider, which only the shipped
    reference environment (GPC_BASE_URL empty) or an explicit GPC_BASE_URL=reference selects."""
    raw = values.get("GPC_BASE_URL", "").strip()
    if raw == REFERENCE_TARGET or (not raw and env_name == REFERENCE_ENV):
        return ""
    if not raw:
        raise ConfigError(f"GPC_BASE_URL: missing for environment '{env_name}'; set the provider's service root "
                          f"(or '{REFERENCE_TARGET}' for the bundled reference provider)")
    return _url(values, "GPC_BASE_URL", required=True)


def _match(values: dict, key: str, pattern: str, what: str, default: str | None = None) -> str:
    raw = values.get(key, "").strip()
    if not raw:
        if default is not None:
            return default
        raise ConfigError(f"{key}: missing; expected {what}")
    if not re.fullmatch(pattern, raw):
        raise ConfigError(f"{key}: '{raw}' is not {what}")
    return raw


def _choice(values: dict, key: str, choices: tuple[str, ...], default: str) -> str:
    raw = values.get(key, "").strip() or default
    if raw not in choices:
        raise ConfigError(f"{key}: '{raw}' is not one of {', '.join(c or '(empty)' for c in choices)}")
    return raw


def _bool(values: dict, key: str, default: bool) -> bool:
    raw = values.get(key, "").strip().lower()
    if not raw:
        return default
    if raw in ("true", "yes", "1", "on"):
        return True
    if raw in ("false", "no", "0", "off"):
        return False
    raise ConfigError(f"{key}: '{raw}' is not true or false")


def _number(values: dict, key: str, kind: type, low: float, high: float, default) -> int | float:
    raw = values.get(key, "").strip()
    if not raw:
        return default
    try:
        number = kind(raw)
    except ValueError:
        raise ConfigError(f"{key}: '{raw}' is not a {'whole ' if kind is int else ''}number") from None
    if not low <= number <= high:
        raise ConfigError(f"{key}: {raw} is outside {low:g} to {high:g}")
    return number


def _path(values: dict, key: str) -> str:
    raw = values.get(key, "").strip()
    if not raw:
        return ""
    path = Path(raw)
    if not path.is_absolute():
        path = work_root() / path
    if not path.is_file():
        raise ConfigError(f"{key}: file '{raw}' does not exist")
    return str(path)


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Build Settings from the environment and the chosen config file, or raise ConfigError."""
    environ = dict(os.environ if environ is None else environ)
    env_name = environ.get("GPC_ENV", "").strip() or "reference"
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", env_name):
        raise ConfigError(f"GPC_ENV: '{env_name}' is not a config name (letters, digits, . _ -)")
    v = _read_sources(env_name, environ)

    base_url = _base_url(v, env_name)
    nhs = _match(v, "GPC_PATIENT_NHS_NUMBER", r"\d{10}", "a 10-digit NHS number")
    if not nhs_number_is_valid(nhs):
        raise ConfigError(f"GPC_PATIENT_NHS_NUMBER: '{nhs}' fails the NHS number check digit")
    second = _match(v, "GPC_SECOND_PATIENT_NHS_NUMBER", r"\d{10}", "a 10-digit NHS number", "")
    if second and not nhs_number_is_valid(second):
        raise ConfigError(f"GPC_SECOND_PATIENT_NHS_NUMBER: '{second}' fails the NHS number check digit")
    if second and second == nhs:
        raise ConfigError("GPC_SECOND_PATIENT_NHS_NUMBER: the same as GPC_PATIENT_NHS_NUMBER; name another patient")
    cert, key = _path(v, "GPC_CLIENT_CERT"), _path(v, "GPC_CLIENT_KEY")
    if bool(cert) != bool(key):
        missing = "GPC_CLIENT_KEY" if cert else "GPC_CLIENT_CERT"
        raise ConfigError(f"{missing}: missing; mutual TLS needs both GPC_CLIENT_CERT and GPC_CLIENT_KEY")
    faults_raw = v.get("GPC_REFERENCE_FAULTS", "").strip()
    faults = tuple(f.strip() for f in faults_raw.split(",") if f.strip())
    if faults and base_url:
        raise ConfigError("GPC_REFERENCE_FAULTS: only applies to the bundled reference provider (GPC_BASE_URL is set)")
    for fault in faults:
        if not re.fullmatch(r"[a-z0-9_]+", fault):
            raise ConfigError(f"GPC_REFERENCE_FAULTS: '{fault}' is not a fault name (lower-case letters, digits, _)")
    variety = _bool(v, "GPC_REFERENCE_VARIETY", False)
    if variety and base_url:
        raise ConfigError("GPC_REFERENCE_VARIETY: only applies to the bundled reference provider (GPC_BASE_URL is set)")

    loaded = Settings(
        env_name=env_name,
        base_url=base_url,
        ssp_url=_url(v, "GPC_SSP_URL", required=False),
        provider_ods_code=_match(v, "GPC_PROVIDER_ODS_CODE", r"[A-Z0-9]{3,10}",
                                 "an ODS code (3-10 upper-case letters or digits)"),
        provider_asid=_match(v, "GPC_PROVIDER_ASID", r"\d{1,20}", "an ASID (digits)"),
        consumer_asid=_match(v, "GPC_CONSUMER_ASID", r"\d{1,20}", "an ASID (digits)"),
        consumer_ods_code=_match(v, "GPC_CONSUMER_ODS_CODE", r"[A-Z0-9]{3,10}",
                                 "an ODS code (3-10 upper-case letters or digits)"),
        consumer_org_type=_choice(v, "GPC_CONSUMER_ORG_TYPE", ("",) + ORG_TYPES, ""),
        patient_nhs_number=nhs,
        search_days=int(_number(v, "GPC_SEARCH_DAYS", int, 1, 14, 7)),
        timeout_s=float(_number(v, "GPC_TIMEOUT_S", float, 0.1, 600, 30.0)),
        schedule_types=_choice(v, "GPC_SCHEDULE_TYPES", SCHEDULE_TYPE_MODES, "some"),
        client_cert=cert,
        client_key=key,
        ca_bundle=_path(v, "GPC_CA_BUNDLE"),
        tls_verify=_bool(v, "GPC_TLS_VERIFY", True),
        allow_writes=_bool(v, "GPC_ALLOW_WRITES", False),
        reference_faults=faults,
        scenario_timeout_s=float(_number(v, "GPC_SCENARIO_TIMEOUT_S", float, 1, 3600, 300.0)),
        run_timeout_s=float(_number(v, "GPC_RUN_TIMEOUT_S", float, 10, 86400, 3600.0)),
        max_body_mb=float(_number(v, "GPC_MAX_BODY_MB", float, 1, 2048, DEFAULT_MAX_BODY_MB)),
        multislot_refusal_status=int(_number(v, "GPC_MULTISLOT_REFUSAL_STATUS", int, 400, 499, 422)),
        multislot_refusal_code=_match(v, "GPC_MULTISLOT_REFUSAL_CODE", r"[A-Z_ ]+", "a Spine error code",
                                      "INVALID_RESOURCE"),
        reference_practice=_choice(v, "GPC_REFERENCE_PRACTICE", REFERENCE_PRACTICES, "small"),
        reference_latency_ms=int(_number(v, "GPC_REFERENCE_LATENCY_MS", int, 0, 60000, 0)),
        reference_variety=variety,
        nhs_strict=_bool(v, "GPC_NHS_STRICT", False),
        second_patient_nhs_number=second,
        searchfilter_org_types=_listed(v, "GPC_SEARCHFILTER_ORG_TYPES", Settings.searchfilter_org_types,
                                       r"[a-z0-9-]+", "an organisation type code (lower-case letters, digits, -)"),
        searchfilter_ods_codes=_listed(v, "GPC_SEARCHFILTER_ODS_CODES", Settings.searchfilter_ods_codes,
                                       r"[A-Z0-9]{3,10}", "an ODS code (3-10 upper-case letters or digits)"),
        other_org_ods_code=_match(v, "GPC_OTHER_ORG_ODS_CODE", r"[A-Z0-9]{3,10}",
                                  "an ODS code (3-10 upper-case letters or digits)", "X12345"),
        restricted_slots=_restrictions(v),
        typed_schedules=tuple(dict.fromkeys(n.strip() for n in v.get("GPC_TYPED_SCHEDULES", "").split(",")
                                            if n.strip())),
        proxy_url=_url(v, "GPC_PROXY_URL", required=False),
        history_runs=int(_number(v, "GPC_HISTORY_RUNS", int, 2, 1000, 30)),
    )
    if loaded.typed_schedules and loaded.schedule_types == "none":
        raise ConfigError("GPC_TYPED_SCHEDULES: declares typed schedules, but GPC_SCHEDULE_TYPES=none says there are "
                          "none")
    if loaded.other_org_ods_code == loaded.consumer_ods_code:
        raise ConfigError("GPC_OTHER_ORG_ODS_CODE: the same as GPC_CONSUMER_ODS_CODE; name another organisation")
    return loaded


def _listed(values: dict, key: str, default: tuple[str, ...], pattern: str, what: str) -> tuple[str, ...]:
    """A comma-separated list of exactly as many entries as `default`, each matching `pattern`."""
    raw = values.get(key, "").strip()
    if not raw:
        return default
    items = tuple(i.strip() for i in raw.split(","))
    if len(items) != len(default):
        raise ConfigError(f"{key}: {len(items)} entries; list {len(default)}, "
                          f"in the order of NHS's {','.join(default)}")
    for item in items:
        if not re.fullmatch(pattern, item):
            raise ConfigError(f"{key}: '{item}' is not {what}")
    return items


def check_reference_faults(faults: tuple[str, ...], known: list[str] | tuple[str, ...]) -> None:
    """Raise ConfigError naming the first of `faults` the bundled provider does not know."""
    for fault in faults:
        if fault not in known:
            near = difflib.get_close_matches(fault, sorted(known), n=1, cutoff=0.6)
            hint = f"did you mean {near[0]}? " if near else ""
            raise ConfigError(f"GPC_REFERENCE_FAULTS: unknown fault '{fault}'; {hint}(make faults lists them)")
