"""How well the exploration finds the reference provider's lifecycle faults: one exploration per fault.

    nice -n 10 .venv/bin/python benchmarks/bench_explore_sweep.py [--seed 1] [--budget 1500] [--jobs 2]
        [--limit-s 420] [--only a,b] [--out reports/explore-sweep.md]

For each lifecycle fault of the reference provider (reference_provider/faults/), the bundled provider
is started with that fault switched on and `gpc-assure explore --seed S --until <its requirement>` runs
with the default budget: it explores on past failures of other requirements and stops once a failure
showing the fault's own requirement is shrunk. Each run has its own reports folder and a wall limit
(GPC_RUN_TIMEOUT_S, so the exploration stops itself and cancels its bookings).

Which faults, derived from the fault registry:
- lifecycle: a rewrite of the answers of book, read, retrieve, amend or cancel, and a switched-off rule or
  behaviour whose requirement belongs to one of those use cases (spec/requirements.csv); a rewrite of every
  answer whose requirement the exploration judges on every answer (rules of no one interaction);
- slot search: a search fault whose requirement the exploration judges on its searches (the rule registry's
  rules for a search, and what the model and the expectations hold of one: harness/explore/exploration.py `judged`);
- out of reach, listed with why: faults of requests no exploration step varies (headers, JWT, Accept,
  _format, search parameters, searchFilter) and of interactions it never calls (metadata, Read Location).

A fault counts as found when its own requirement is among the requirements of the failures the run
reports, even when another requirement showed first (a fault that breaks both). Prints a Markdown table:
fault, its requirement, found, the requirements first shown, operations to the first violation of its
own requirement (exploring operations, not counting the shrinking of earlier failures), steps of the
shrunk sequence, wall time; then the totals. Measured, never asserted: machines here are shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import reference_provider.app  # noqa: E402,F401  (claims the rule-off and behaviour faults)
from harness.explore import session as explore  # noqa: E402
from harness.spec import interactions as ix  # noqa: E402
from harness.spec.requirements import catalogue  # noqa: E402
from reference_provider import faults as registry  # noqa: E402

LIFECYCLE_USE_CASES = ("book_an_appointment", "read_an_appointment", "retrieve_a_patients_appointments",
                       "amend_an_appointment", "cancel_an_appointment")
LIFECYCLE = {registry.BOOK, registry.READ, registry.RETRIEVE, registry.AMEND, registry.CANCEL}


@dataclass
class Target:
    fault: registry.Fault
    why: str  # why the sweep runs it, or why it is out of the exploration's reach
    in_reach: bool


@dataclass
class Result:
    target: Target
    found: bool = False
    first: str = ""
    operations: int | None = None
    steps: int | None = None
    wall_s: float = 0.0
    explored: int = 0
    minutes: float = 0.0
    note: str = ""
    failures: list = field(default_factory=list)


def use_case(requirement: str) -> str:
    row = catalogue().get(requirement)
    return getattr(row, "use_case", "") if row else ""


def targets() -> list[Target]:
    """Every fault of the registry, each with whether the sweep runs it and why."""
    on_search = explore.judged(ix.SEARCH_SLOTS.name)
    on_any = set().union(*(explore.judged(i.name) for i in (ix.SEARCH_SLOTS, ix.BOOK_APPOINTMENT, ix.READ_APPOINTMENT,
                                                           ix.RETRIEVE_APPOINTMENTS, ix.AMEND_APPOINTMENT,
                                                           ix.CANCEL_APPOINTMENT)))
    found = []
    for fault in registry.FAULTS.values():
        uc = use_case(fault.requirement)
        if fault.kind == registry.REWRITE:
            touched = set(fault.interactions)
            if not touched:
                found.append(Target(fault, "rewrites every answer; its requirement is judged on every answer"
                                    if fault.requirement in on_any
                                    else "rewrites every answer, but only of requests no "
                                    "step sends (its requirement is judged by scenarios only)",
                                    fault.requirement in on_any))
            elif touched & LIFECYCLE:
                found.append(Target(fault, "rewrites answers of " + ", ".join(
                    sorted(i.split(":rest:")[-1] for i in touched & LIFECYCLE)), True))
            elif registry.SEARCH in touched:
                found.append(Target(fault, "rewrites slot-search answers; its requirement is judged on every search"
                                    if fault.requirement in on_search else "rewrites slot-search answers, but no "
                                    "search check of the exploration judges its requirement",
                                    fault.requirement in on_search))
            else:
                found.append(Target(fault, "rewrites answers of interactions the exploration never calls ("
                                    + ", ".join(sorted(i.split(":rest:")[-1] for i in touched)) + ")", False))
        elif uc in LIFECYCLE_USE_CASES:
            found.append(Target(fault, f"{fault.kind} of a {uc.replace('_', ' ')} requirement", True))
        elif uc == "search_for_free_slots":
            found.append(Target(fault, f"{fault.kind}; its requirement is judged on every search"
                                if fault.requirement in on_search else
                                f"{fault.kind} of a search parameter, filter or include no search step varies",
                                fault.requirement in on_search))
        else:
            found.append(Target(fault, f"{fault.kind} of a {uc or 'uncatalogued'} requirement: headers, JWT or "
                                "content negotiation no exploration step varies", False))
    return found


def run(target: Target, seed: int, budget: int, limit_s: float) -> Result:
    fault = target.fault
    result = Result(target)
    with tempfile.TemporaryDirectory(prefix="gpc-sweep-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GPC_") and not k.startswith("PYTEST_")}
        env.update({"GPC_ENV": "reference", "GPC_REPORTS_DIR": tmp, "TMPDIR": tmp,
                    "GPC_REFERENCE_FAULTS": fault.name, "GPC_RUN_TIMEOUT_S": str(int(limit_s))})
        started = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "harness", "explore", "--seed", str(seed), "--budget",
                                 str(budget), "--until", fault.requirement], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)
        try:
            out, _ = proc.communicate(timeout=limit_s + 120)
        except subprocess.TimeoutExpired:
            proc.terminate()  # the exploration cancels its bookings and stops its provider on SIGTERM
            try:
                out, _ = proc.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                out, _ = proc.communicate()
            result.note = "killed at the wall limit"
        result.wall_s = time.monotonic() - started
        path = Path(tmp) / "explore" / "explore.json"
        if not path.exists():
            result.note = result.note or f"no results (exit {proc.returncode}): {(out or '').strip()[-300:]}"
            return result
        data = json.loads(path.read_text(encoding="utf-8"))
    result.failures = data["failures"]
    result.explored, result.minutes = data["operations"], data["minutes"]
    if data["failures"]:
        result.first = ", ".join(data["failures"][0]["requirements"])
    own = [f for f in data["failures"] if fault.requirement in f["requirements"]]
    if own:
        result.found = True
        result.operations = own[0].get("found_after_operations")
        result.steps = len(own[0]["steps"])
    if data.get("broken"):
        result.note = f"broken: {data['broken']}"[:200]
    elif not own:
        result.note = data.get("stopped", "")
    return result


def table(results: list[Result], outside: list[Target], seed: int, budget: int, commit: str) -> str:
    lines = [f"# Exploration sweep: seed {seed}, budget {budget} operations, commit {commit}", "",
             "| fault | requirement | found | first shown | operations to it | shrunk steps | wall s | note |",
             "|---|---|---|---|---|---|---|---|"]
    for r in results:
        f = r.target.fault
        lines.append(f"| {f.name} | {f.requirement} | {'yes' if r.found else 'no'} | {r.first or '-'} | "
                     f"{r.operations if r.operations is not None else '-'} | "
                     f"{r.steps if r.steps is not None else '-'} | "
                     f"{r.wall_s:.0f} | {r.note} |")
    found = [r for r in results if r.found]
    own_first = [r for r in found if r.first.split(", ")[0:1] and r.target.fault.requirement in r.first.split(", ")]
    ops = [r.operations for r in found if r.operations is not None]
    steps = [r.steps for r in found if r.steps is not None]
    minutes = sum(r.minutes for r in results)
    explored = sum(r.explored for r in results)
    lines += ["",
              f"Found: {len(found)} of {len(results)} faults ({len(own_first)} first under their own requirement); "
              f"median operations to the fault's first violation: {statistics.median(ops) if ops else '-'} "
              f"(max {max(ops) if ops else '-'}); median shrunk steps: {statistics.median(steps) if steps else '-'} "
              f"(max {max(steps) if steps else '-'}); "
              f"{explored / minutes:.0f} operations per minute ({explored} operations in {minutes:.1f} min of "
              f"exploration); wall {sum(r.wall_s for r in results) / 60:.1f} min of runs."
              if minutes else f"Found: {len(found)} of {len(results)} faults."]
    if outside:
        lines += ["", "Out of the exploration's reach (not run):", ""]
        lines += [f"- {t.fault.name} ({t.fault.requirement}): {t.why}" for t in outside]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--budget", type=int, default=explore.DEFAULT_BUDGET)
    parser.add_argument("--jobs", type=int, default=2, help="explorations at once (default 2)")
    parser.add_argument("--limit-s", type=float, default=420, help="wall limit of one exploration (default 420 s)")
    parser.add_argument("--only", default="", help="comma-separated fault names (default: every one in reach)")
    parser.add_argument("--out", default="", help="also write the table to this file")
    args = parser.parse_args()
    every = targets()
    chosen = [t for t in every if t.in_reach]
    if args.only:
        names = {n.strip() for n in args.only.split(",") if n.strip()}
        unknown = names - {t.fault.name for t in every}
        if unknown:
            parser.error(f"unknown fault(s): {', '.join(sorted(unknown))}")
        chosen = [t for t in every if t.fault.name in names]
    outside = [t for t in every if not t.in_reach] if not args.only else []
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip() or "unknown"
    print(f"{len(chosen)} faults to explore ({len(outside)} out of reach), {args.jobs} at a time", file=sys.stderr)
    done = 0

    def one(t: Target) -> Result:
        nonlocal done
        r = run(t, args.seed, args.budget, args.limit_s)
        done += 1
        print(f"[{done}/{len(chosen)}] {t.fault.name}: {'found' if r.found else 'NOT found'} "
              f"(first {r.first or '-'}; {r.operations} operations, {r.steps} steps, {r.wall_s:.0f} s) {r.note}",
              file=sys.stderr, flush=True)
        return r

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(one, chosen))
    text = table(results, outside, args.seed, args.budget, commit)
    print(text)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
