"""What a run is and what it did: its identity, the preflight, the reports-folder lock, and the
run record the pytest process leaves for the command that started it.

The run record (JSON, written by the root conftest at the end of the pytest session when given
``--run-record PATH``) holds what only the pytest process knows: the service root it assured (the
bundled provider's port is chosen at start), when it started and ended, and why it stopped early
(preflight refused, the bundled provider did not start), with the exit code that stop stands for.
"""

from __future__ import annotations

import json
import os
import subprocess
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Iterator

from harness.errors import HarnessError
from harness.locks import holding
from harness.settings import PACKAGES_ROOT, PROJECT_ROOT, Settings

PACKAGE = "gpc-appointments-assurance"
PROFILES = PACKAGES_ROOT / "harness" / "spec" / "profiles" / "gpconnect-1.2.7.json"
BUNDLED = "the bundled reference provider"


def now() -> str:
    """UTC now, to the second, ISO 8601."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# --- preflight ----------------------------------------------------------------------------------

def preflight(settings: Settings, base_url: str, transport=None, record: "Record | None" = None) -> str | None:
    """GET [base]/metadata with the full GP Connect headers through the real client (TLS, SSP
    routing, JWT and ASIDs): None when the target answers with a CapabilityStatement, otherwise
    one line saying why no scenario could reach a verdict. `record` takes the provider's software
    (CapabilityStatement.software name and version) for the run history."""
    from harness.spec.interactions import METADATA
    from harness.transport.client import GpConnectClient

    client = GpConnectClient(settings, base_url, transport)
    try:
        exchange = client.send(METADATA, "metadata")
    except HarnessError as exc:
        return f"preflight: {base_url} did not answer: {exc}"
    finally:
        client.close()
    where = f"({exchange.method} {exchange.url})"
    if exchange.status != 200:
        hint = {401: "check the JWT and the consumer's credentials", 403: "check GPC_PROVIDER_ASID and "
                "GPC_CONSUMER_ASID (Ssp-To, Ssp-From)", 404: "check GPC_BASE_URL and GPC_SSP_URL (routing)"}
        ctype = (exchange.header("Content-Type") or "no Content-Type").split(";")[0]
        advice = f"; {hint[exchange.status]}" if exchange.status in hint else ""
        return (f"preflight: the target answered HTTP {exchange.status} ({ctype}), "
                f"not its CapabilityStatement{advice} {where}")
    try:
        body = json.loads(exchange.response_text)
    except ValueError:
        return f"preflight: the target's answer is not JSON, so not its CapabilityStatement {where}"
    kind = body.get("resourceType") if isinstance(body, dict) else None
    if kind != "CapabilityStatement":
        return (f"preflight: the target answered a {kind or 'body without resourceType'}, "
                f"not its CapabilityStatement {where}")
    if record is not None:
        software = body.get("software") if isinstance(body.get("software"), dict) else {}
        record.provider_software = " ".join(str(software.get(k) or "") for k in ("name", "version")).strip()
    return None


# --- the reports-folder lock --------------------------------------------------------------------

class Busy(Exception):
    """Another run holds the reports folder; str() is the one-line refusal."""


@contextmanager
def lock(folder: Path) -> Iterator[None]:
    """Hold `folder`/.lock for the length of a run; raise Busy at once if another run holds it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / ".lock"
    with open(path, "a+") as handle, ExitStack() as held:
        try:
            held.enter_context(holding(handle, wait=False))
        except BlockingIOError:
            raise Busy(f"another run is using {folder} ({_holder(path)}); wait for it to end, "
                       f"or give this run its own folder with GPC_REPORTS_DIR") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, started {now()}")
        handle.flush()
        yield


def _holder(path: Path) -> str:
    """Who holds a reports folder, as its lock file says (unreadable while held, on Windows)."""
    try:
        return path.read_text().strip() or "another process"
    except OSError:
        return "another process"


# --- the run record -----------------------------------------------------------------------------

@dataclass
class Record:
    """What the pytest process knows about its run (see the module docstring)."""

    started: str = ""
    ended: str = ""
    service_roots: list[str] = field(default_factory=list)
    stop_code: int | None = None
    stop_reason: str = ""
    executed: int = 0  # scenarios that got past collection into setup
    interrupted: bool = False  # stopped by Ctrl-C or SIGTERM
    provider_software: str = ""  # the CapabilityStatement's software name and version, from the preflight

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> "Record":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


# --- identity -----------------------------------------------------------------------------------

def _git(*args: str) -> str:
    try:
        out = subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def harness_commit() -> str:
    """The harness's git commit, with '+changes' when the working tree differs from it."""
    commit = _git("rev-parse", "HEAD")
    if not commit:
        return "unknown (not a git checkout)"
    dirty = _git("status", "--porcelain", "--untracked-files=no", "--", "harness", "steps", "features", "spec",
                 "conftest.py")
    return commit + (" +changes" if dirty else "")


def harness_version() -> str:
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return "unknown"


def spec_commit() -> str:
    from harness.spec.requirements import SPEC_BASE

    return SPEC_BASE.rstrip("/").rsplit("/", 1)[-1]


def profile_commit() -> str:
    try:
        return json.loads(PROFILES.read_text(encoding="utf-8"))["source"]["commit"]
    except (OSError, ValueError, KeyError):
        return "unknown"


def profile_invariants() -> str:
    """How many of the snapshots' invariants the run evaluates, and each it does not."""
    from harness.checks import invariants, profiles

    return invariants.coverage(profiles.constraints())


@dataclass
class Identity:
    """Which run a report is: shown on both pages, in the terminal and in Allure's Environment tab."""

    service_root: str
    environment: str
    provider_ods_code: str
    provider_asid: str
    consumer_asid: str
    consumer_ods_code: str
    writes_allowed: bool
    selection: str
    harness_version: str
    harness_commit: str
    spec_commit: str
    profile_commit: str
    profile_invariants: str
    started: str
    ended: str
    verdict: str = ""

    def rows(self) -> list[tuple[str, str]]:
        return [
            ("Overall verdict", self.verdict),
            ("Provider service root", self.service_root),
            ("Environment", self.environment),
            ("Provider ODS code", self.provider_ods_code),
            ("Provider ASID", self.provider_asid),
            ("Consumer ASID", self.consumer_asid),
            ("Consumer ODS code", self.consumer_ods_code),
            ("Writes allowed", "yes" if self.writes_allowed else "no (book, amend and cancel not assured)"),
            ("Selection", self.selection),
            ("Started (UTC)", self.started),
            ("Ended (UTC)", self.ended),
            ("Harness", f"{self.harness_version}, commit {self.harness_commit}"),
            ("Spec (nhsconnect/gpconnect)", self.spec_commit),
            ("Profiles (nhsconnect/gpconnect-fhir)", self.profile_commit),
            ("Profile invariants (FHIRPath)", self.profile_invariants),
        ]

    def terminal(self) -> str:
        return "\n".join(f"{name + ':':38} {value}" for name, value in self.rows())

    def properties(self) -> str:
        """Allure's environment.properties: one `key = value` line per row, escaped as .properties wants."""
        def esc(text: str, key: bool = False) -> str:
            text = text.replace("\\", "\\\\").replace("\n", " ")
            for ch in ("=", ":", "#", "!") + ((" ",) if key else ()):
                text = text.replace(ch, "\\" + ch)
            return text

        return "".join(f"{esc(name, key=True)}={esc(value)}\n" for name, value in self.rows())


def identity(settings: Settings, record: Record, selection: list[str], verdict: str = "") -> Identity:
    roots = record.service_roots
    if settings.uses_reference_provider:
        root = f"{BUNDLED} ({', '.join(roots)})" if roots else f"{BUNDLED} (not started)"
        if settings.reference_faults:
            root += f" with faults {', '.join(settings.reference_faults)}"
        if settings.reference_variety:
            root += " in variety mode"
    else:
        root = settings.base_url + (f" via SSP {settings.ssp_url}" if settings.ssp_url else "")
    return Identity(
        service_root=root, environment=settings.env_name, provider_ods_code=settings.provider_ods_code,
        provider_asid=settings.provider_asid, consumer_asid=settings.consumer_asid,
        consumer_ods_code=settings.consumer_ods_code, writes_allowed=settings.allow_writes,
        selection=" ".join(selection) or "the whole suite",
        harness_version=harness_version(), harness_commit=harness_commit(), spec_commit=spec_commit(),
        profile_commit=profile_commit(), profile_invariants=profile_invariants(),
        started=record.started, ended=record.ended, verdict=verdict,
    )
