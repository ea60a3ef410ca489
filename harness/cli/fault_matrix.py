"""How much a green run is worth: run the suite against the clean reference provider and against
each of its named faults, and tabulate which scenarios caught which fault.

Each fault breaks one requirement; it counts as caught only when a scenario tagged with that
requirement fails as non-conformant with a violation of that requirement. A fault's run holds only
the scenarios tagged with its requirement (`--req`),
which is all that can catch it; the clean run holds the scenarios of every requirement the
selected faults break, so that each of them is also shown passing against the clean provider.

With `whole` (`gpc-assure fault-matrix --whole`), every run is the whole suite, and each fault's row
also counts the SHALL requirements it failed and those the clean run assures that it left not
assured: one finding must not hide another, so the second count should be 0.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from harness.cli import warm_pytest
from harness.outcome import outcomes as junit
from harness.outcome import verdicts
from harness.settings import PROJECT_ROOT
from harness.spec.requirements import catalogue

RUN_TIMEOUT_S = 900


@dataclass(frozen=True)
class Fault:
    name: str
    requirement: str
    breaks: str
    shown_by: str = "scenario"  # "explore": only a sequence of operations shows it (gpc-assure explore)


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
        req = self.fault.requirement
        return [o for o in self.outcomes if o.nonconformant and req in o.requirements and req in o.violated]

    @property
    def ok(self) -> bool:
        if self.fault is None:
            return bool(self.outcomes) and not self.failed and not any(o.outcome == "skipped" for o in self.outcomes)
        return bool(self.caught_by) and not any(o.outcome == "error" for o in self.outcomes)

    def explain(self) -> str:
        lines = [f"{o.outcome}: {o.name}: {o.message[:200]}" for o in self.outcomes if o.outcome != "passed"]
        return "\n".join(lines) or self.output[-1500:]


def step_files(requirements) -> list[str]:
    """The step modules whose feature files tag a scenario with any of `requirements` (all of steps/
    when none does): a run collects only those, which is all `--req` would select from anyway."""
    found = []
    for feature in sorted((PROJECT_ROOT / "features").glob("*.feature")):
        text = feature.read_text(encoding="utf-8")
        if any(re.search(rf"@req:{re.escape(req)}(?![\w-])", text) for req in requirements):
            module = Path("steps") / f"test_{feature.stem}.py"
            if (PROJECT_ROOT / module).exists():
                found.append(str(module))
    return found or ["steps"]


def faults() -> list[Fault]:
    """The reference provider's named faults, asked of the provider itself."""
    out = subprocess.run([sys.executable, "-m", "reference_provider", "--list-faults", "--json"], cwd=PROJECT_ROOT,
                         capture_output=True, text=True, check=True, timeout=60).stdout
    return [Fault(name, v["requirement"], v["breaks"], v.get("shown_by", "scenario"))
            for name, v in sorted(json.loads(out).items())]


def run(fault: Fault | None, extra_env: dict[str, str] | None = None, requirements: tuple[str, ...] = (),
        first: bool = False, whole: bool = False) -> Row:
    """The scenarios of the fault's requirement against the bundled provider with the fault switched on;
    with no fault, the clean provider against the scenarios of `requirements` (all when empty).

    With `first` (the matrix in `make test`), the run stops at its first failing scenario (pytest -x)
    and, unless that one caught the fault, runs again whole. One catching scenario proves the fault
    caught at a fraction of the cost (one requirement is tagged on 189 scenarios); the scenarios after
    it are not run, so an error among them shows only in the full matrix (`gpc-assure fault-matrix`)."""
    if first and fault is not None and fault.shown_by != "explore":
        row = _run(fault, extra_env, requirements, ("-x",))
        if row.ok:
            return row
    return _run(fault, extra_env, requirements, (), whole)


def _run(fault: Fault | None, extra_env: dict[str, str] | None, requirements: tuple[str, ...],
         options: tuple[str, ...], whole: bool = False) -> Row:
    with tempfile.TemporaryDirectory(prefix="gpc-fault-") as tmp:
        junit_path = Path(tmp) / "junit.xml"
        env = {k: v for k, v in os.environ.items() if not k.startswith("GPC_") and not k.startswith("PYTEST_")}
        env.update({"GPC_ENV": "reference", "GPC_REPORTS_DIR": tmp, "TMPDIR": tmp,
                    "GPC_REFERENCE_FAULTS": fault.name if fault else ""})
        env.update(extra_env or {})
        selection = [] if whole else [fault.requirement] if fault else list(requirements)
        if fault is not None and fault.shown_by == "explore":
            return _explored(fault, env, Path(tmp))
        # --faults-checked: the fault names were checked once, when the matrix listed them. The
        # scenarios need neither Hypothesis's plugin nor any step module but those of the requirement.
        # --tb=line: one line per failure (where, and the message the verdict is read from) instead of a
        # traceback with source, which costs pytest a fifth of a second for each failing scenario.
        paths = step_files(selection) if selection else ["steps"]
        done = warm_pytest.run([*paths, "-q", "--tb=line", *options, "-p", "no:cacheprovider",
                                "-p", "no:hypothesispytest", "--faults-checked",
                                *(["--req", ",".join(selection)] if selection else []),
                                "--junitxml", str(junit_path), "-o", "junit_family=xunit2"],
                               env, PROJECT_ROOT, RUN_TIMEOUT_S)
        outcomes = junit.outcomes(junit_path) if junit_path.exists() else []
    stopped = f"\nstopped after {RUN_TIMEOUT_S} s" if done.timed_out else ""
    return Row(fault, outcomes, done.returncode, done.stdout + done.stderr + stopped)


# An exploration is random: which sequences a seed draws, and so after how many operations it meets the one
# that shows a fault, changes with any change to what the operations draw or send. A fault shown only by a
# sequence counts as caught when one of these seeds shows it within the default budget.
EXPLORE_SEEDS = (1, 2, 3)


def _explored(fault: Fault, env: dict[str, str], tmp: Path) -> Row:
    """The exploration's own results, read like a run's, for each seed in turn until one shows the fault.
    --no-shrink: a catch needs the violation, not the shortest sequence that shows it."""
    said = []
    for seed in EXPLORE_SEEDS:
        proc = subprocess.run([sys.executable, "-m", "harness", "explore", "--seed", str(seed), "--first",
                               "--no-shrink"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                              timeout=RUN_TIMEOUT_S, stdin=subprocess.DEVNULL)
        said.append(f"seed {seed}:\n{proc.stdout}{proc.stderr}")
        junit_path = tmp / "explore" / "junit.xml"
        row = Row(fault, junit.outcomes(junit_path) if junit_path.exists() else [], proc.returncode, "\n".join(said))
        if row.ok or proc.returncode not in (0, 1):
            return row
    return row


def matrix(selected: list[Fault], jobs: int = 2, every: bool = True, whole: bool = False) -> list[Row]:
    """The clean run first, then one row per fault. With `every` (or `whole`), the clean run is the whole
    suite; otherwise only the scenarios of the requirements the selected faults break. With `whole`, each
    fault's run is the whole suite too."""
    scope = () if every or whole else tuple(sorted({f.requirement for f in selected}))
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        clean = pool.submit(run, None, None, scope)
        rows = list(pool.map(lambda fault: run(fault, whole=whole), selected))
    return [clean.result(), *rows]


def shall_verdicts(row: Row) -> dict[str, str]:
    """Each testable SHALL requirement's verdict in a run."""
    return {v.requirement.id: v.verdict for v in verdicts.verdicts(catalogue(), row.outcomes, {})
            if v.requirement.level in junit.BINDING_LEVELS and not v.needs_manual_evidence}


def hidden(clean: Row, row: Row) -> tuple[list[str], list[str]]:
    """(SHALLs this fault's run failed, SHALLs the clean run assures that it left not assured)."""
    assured = {r for r, v in shall_verdicts(clean).items() if v == verdicts.ASSURED}
    mine = shall_verdicts(row)
    return (sorted(r for r, v in mine.items() if v == verdicts.FAILED),
            sorted(r for r in assured if mine.get(r) not in (verdicts.ASSURED, verdicts.FAILED)))


def markdown(rows: list[Row], whole: bool = False) -> str:
    lines = ["# Fault-detection matrix", "",
             "Each named fault of the reference provider breaks one requirement. A fault is caught when a",
             "scenario tagged with that requirement fails; the clean provider must pass everything.", ""]
    if whole:
        lines += ["Every run is the whole suite. *SHALLs failed*: the SHALL requirements the fault's run failed;",
                  "*hidden*: those the clean run assures that the fault's run left not assured.", "",
                  "| fault | breaks | requirement | scenarios failed | SHALLs failed | hidden | verdict |",
                  "|---|---|---|---|---|---|---|"]
    else:
        lines += ["| fault | breaks | requirement | scenarios that failed | verdict |", "|---|---|---|---|---|"]
    hidden_total = 0
    for row in rows:
        failed = ", ".join(o.name.removeprefix("test_") for o in row.failed) or "none"
        if row.fault is None:
            verdict = "clean: all passed" if row.ok else "CLEAN RUN NOT GREEN"
            lines.append(f"| (none) | nothing | | {len(row.failed) if whole else failed} |"
                         + (" | |" if whole else "") + f" {verdict} |")
            continue
        verdict = "caught" if row.ok else "NOT CAUGHT"
        if whole and row.fault.shown_by != "explore":
            broke, left = hidden(rows[0], row)
            hidden_total += len(left)
            lines.append(f"| {row.fault.name} | {row.fault.breaks} | {row.fault.requirement} | {len(row.failed)} | "
                         f"{', '.join(broke) or 'none'} | {len(left)}{': ' + ', '.join(left) if left else ''} | "
                         f"{verdict} |")
        elif whole:
            lines.append(f"| {row.fault.name} | {row.fault.breaks} | {row.fault.requirement} | (exploration) | | | "
                         f"{verdict} |")
        else:
            lines.append(f"| {row.fault.name} | {row.fault.breaks} | {row.fault.requirement} | {failed} | {verdict} |")
    faulted = [r for r in rows if r.fault]
    caught = sum(r.ok for r in faulted)
    lines += ["", f"{caught} of {len(faulted)} faults caught; clean run {'green' if rows[0].ok else 'NOT green'}."
              + (f" SHALLs hidden by a fault, over every fault's run: {hidden_total}." if whole else "")]
    return "\n".join(lines) + "\n"
