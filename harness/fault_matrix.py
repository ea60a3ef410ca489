"""How much a green run is worth: run the suite against the clean reference provider and against
each of its named faults, and tabulate which scenarios caught which fault.

Each fault breaks one requirement; it counts as caught only when a scenario tagged with that
requirement fails. Only the faulted use case's scenarios run, which keeps the matrix fast.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from . import junit
from .requirements import catalogue
from .settings import PROJECT_ROOT

RUN_TIMEOUT_S = 900


@dataclass(frozen=True)
class Fault:
    name: str
    requirement: str
    breaks: str


@dataclass
class Row:
    fault: Fault | None  # None: the clean provider
    outcomes: list[junit.Outcome]
    returncode: int
    output: str

    @property
    def failed(self) -> list[junit.Outcome]:
        return [o for o in self.outcomes if o.outcome in ("failed", "error")]

    @property
    def caught_by(self) -> list[junit.Outcome]:
        if self.fault is None:
            return []
        return [o for o in self.outcomes if o.outcome == "failed" and self.fault.requirement in o.requirements]

    @property
    def ok(self) -> bool:
        if self.fault is None:
            return bool(self.outcomes) and not self.failed and not any(o.outcome == "skipped" for o in self.outcomes)
        return bool(self.caught_by) and not any(o.outcome == "error" for o in self.outcomes)

    def explain(self) -> str:
        lines = [f"{o.outcome}: {o.name}: {o.message[:200]}" for o in self.outcomes if o.outcome != "passed"]
        return "\n".join(lines) or self.output[-1500:]


def faults() -> list[Fault]:
    """The reference provider's named faults, asked of the provider itself."""
    out = subprocess.run([sys.executable, "-m", "reference_provider", "--list-faults", "--json"], cwd=PROJECT_ROOT,
                         capture_output=True, text=True, check=True, timeout=60).stdout
    return [Fault(name, v["requirement"], v["breaks"]) for name, v in sorted(json.loads(out).items())]


def steps_for(requirement_id: str) -> str:
    """The step module of the requirement's use case, or all steps for cross-cutting requirements."""
    module = PROJECT_ROOT / "steps" / f"test_{catalogue()[requirement_id].use_case}.py"
    return str(module.relative_to(PROJECT_ROOT)) if module.exists() else "steps"


def run(fault: Fault | None, extra_env: dict[str, str] | None = None) -> Row:
    """The suite (or the fault's use case) against the bundled provider with this fault switched on."""
    with tempfile.TemporaryDirectory(prefix="gpc-fault-") as tmp:
        junit_path = Path(tmp) / "junit.xml"
        env = {k: v for k, v in os.environ.items() if not k.startswith("GPC_") and not k.startswith("PYTEST_")}
        env.update({"GPC_ENV": "reference", "GPC_REPORTS_DIR": tmp, "TMPDIR": tmp,
                    "GPC_REFERENCE_FAULTS": fault.name if fault else ""})
        env.update(extra_env or {})
        target = steps_for(fault.requirement) if fault else "steps"
        proc = subprocess.run([sys.executable, "-m", "pytest", target, "-q", "-p", "no:cacheprovider",
                               "--junitxml", str(junit_path), "-o", "junit_family=xunit2"],
                              cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
                              stdin=subprocess.DEVNULL)
        outcomes = junit.outcomes(junit_path) if junit_path.exists() else []
    return Row(fault, outcomes, proc.returncode, proc.stdout + proc.stderr)


def matrix(selected: list[Fault], jobs: int = 2) -> list[Row]:
    """The clean run first, then one row per fault."""
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(run, [None, *selected]))


def markdown(rows: list[Row]) -> str:
    lines = ["# Fault-detection matrix", "",
             "Each named fault of the reference provider breaks one requirement. A fault is caught when a",
             "scenario tagged with that requirement fails; the clean provider must pass everything.", "",
             "| fault | breaks | requirement | scenarios that failed | verdict |", "|---|---|---|---|---|"]
    for row in rows:
        failed = ", ".join(o.name.removeprefix("test_") for o in row.failed) or "none"
        if row.fault is None:
            verdict = "clean: all passed" if row.ok else "CLEAN RUN NOT GREEN"
            lines.append(f"| (none) | nothing | | {failed} | {verdict} |")
        else:
            verdict = "caught" if row.ok else "NOT CAUGHT"
            lines.append(f"| {row.fault.name} | {row.fault.breaks} | {row.fault.requirement} | {failed} | {verdict} |")
    faulted = [r for r in rows if r.fault]
    caught = sum(r.ok for r in faulted)
    lines += ["", f"{caught} of {len(faulted)} faults caught; clean run {'green' if rows[0].ok else 'NOT green'}."]
    return "\n".join(lines) + "\n"
