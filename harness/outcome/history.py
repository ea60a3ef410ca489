"""The run history: one small record a run, kept beside the reports per environment and provider, the last
`keep` of them, and what changed since the last comparable run (that environment and provider).

A record holds the run's identity, its overall verdict, each requirement's verdict (and why, where not
assured) and each scenario's outcome: a passed one by a digest of its name, any other by name with the
requirements its violations name. Two runs ending together
append under one lock; the file is rewritten whole and replaced, so a reader never sees half of it.
"""

from __future__ import annotations

import json
import os
import statistics
from pathlib import Path

from harness.locks import holding
from harness.outcome.outcomes import FLAKY, Outcome
from harness.outcome.verdicts import ASSURED, FAILED, NHS_NOT_MET, NOT_ASSURED, NOT_MET, Verdict
from harness.transport.exchange import text_digest

KEEP = 30
FAILING = (FAILED, NHS_NOT_MET, NOT_MET)
ASSESSED = (*FAILING, ASSURED, NOT_ASSURED)


def history_path(reports: Path, environment: str, provider: str) -> Path:
    """reports/history/<environment>-<digest of the provider>.jsonl: runs against another provider or in
    another environment are never compared with these."""
    digest = text_digest(provider)[:12]
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in environment)
    return reports / "history" / f"{safe}-{digest}.jsonl"


# An interaction is slower when its p95 this run exceeds both SLOWER_FACTOR times and SLOWER_MARGIN_MS more
# than the median p95 of the runs kept before it (at least MIN_RUNS of them): a trend, not one noisy night.
SLOWER_FACTOR, SLOWER_MARGIN_MS, MIN_RUNS = 1.5, 50.0, 3


def run_record(when: str, identity: dict, overall: str, items: list[Verdict], outcomes: list[Outcome],
               latency: dict[str, list[float]] | None = None, provider_software: str = "") -> dict:
    """`latency`: interaction -> [p50 ms, p95 ms] of this run (harness/outcome/stats.py); `provider_software`:
    what the provider runs, as far as the run knows it (the bundled provider's faults and mode)."""
    return {
        "ended": when,
        "provider_software": provider_software,
        # Scenarios that failed, then passed when run again at the end of this run (--rerun-failures).
        "flaky_scenarios": sorted(o.name for o in outcomes if o.message.startswith(FLAKY)),
        "latency": latency or {},
        "identity": identity,
        "overall": overall,
        "requirements": {v.requirement.id: v.verdict for v in items},
        "why": {v.requirement.id: v.why for v in items if v.verdict == NOT_ASSURED},
        # Passed scenarios by a short digest of their name (the history stays small); the others by name, with
        # the requirements their violations name.
        "scenarios": {"passed": sorted(scenario_key(o.name) for o in outcomes if o.outcome == "passed"),
                      "other": {o.name: [o.outcome, sorted({r for r, _ in o.violations})]
                                for o in outcomes if o.outcome != "passed"}},
    }


def scenario_key(name: str) -> str:
    return text_digest(name)[:10]


def runs(path: Path) -> list[dict]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in lines if line.strip()]


def append(path: Path, record: dict, keep: int = KEEP) -> None:
    """Add a run, keeping the last `keep`, under the history's lock."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a") as lock, holding(lock):
        kept = (runs(path) + [record])[-keep:]
        staged = path.with_suffix(".tmp")
        staged.write_text("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in kept), encoding="utf-8")
        os.replace(staged, path)


def changes(kept: list[dict], now: dict) -> dict:
    """What changed since the last of the `kept` runs: requirements newly failed, fixed (failed, now assured),
    newly not assured (assured or failed before, now not, with why) and newly assessed (judged now, not
    before); flaky requirements and scenarios; slower interactions, and each one's p95 trend. A requirement
    neither run set out to judge is in none; a flaky one is listed as flaky, not as newly failed or fixed."""
    before = kept[-1] if kept else None
    was, new = (before or {}).get("requirements", {}), now["requirements"]
    unsteady = flaky(kept, now)
    shaky = {f["requirement"] for f in unsteady}
    failing = {r for r, v in new.items() if v in FAILING} - shaky
    return {
        "since": (before or {}).get("ended"),
        "overall": {"before": (before or {}).get("overall"), "now": now["overall"]},
        "newly_failed": sorted(r for r in failing if was.get(r) not in FAILING and before is not None),
        "fixed": sorted(r for r, v in new.items() if v == ASSURED and was.get(r) in FAILING and r not in shaky),
        "newly_not_assured": [{"requirement": r, "why": now["why"].get(r, "")} for r, v in sorted(new.items())
                              if v == NOT_ASSURED and was.get(r) in (ASSURED, *FAILING)],
        "newly_assessed": sorted(r for r, v in new.items() if v in ASSESSED and was.get(r) not in ASSESSED
                                 and before is not None),
        "flaky": unsteady,
        "flaky_over_runs": flaky_scenarios(kept, now),
        "flaky_scenarios": now.get("flaky_scenarios", []),
        "slower": slower(kept, now),
        # Each interaction's p95 over the kept runs and this one (None where a run did not call it).
        "trend": {i: [r.get("latency", {}).get(i, [None, None])[1] for r in kept] + [p95]
                  for i, (_, p95) in sorted(now.get("latency", {}).items())},
    }


def same_software(a: dict, b: dict) -> bool:
    """Whether two runs were made by the same harness (version and commit) against the same provider software."""
    keys = ("harness_version", "harness_commit")
    return a.get("provider_software", "") == b.get("provider_software", "") and \
        all(a.get("identity", {}).get(k) == b.get("identity", {}).get(k) for k in keys)


def _comparable(kept: list[dict], now: dict) -> list[dict]:
    """The kept runs of the same harness and provider software as this one, and this one."""
    return [r for r in kept if same_software(r, now)] + [now]


def _unsteady(strip: str) -> bool:
    """Whether an outcome strip (one letter a run) changed more than once."""
    return sum(a != b for a, b in zip(strip, strip[1:])) > 1


def flaky(kept: list[dict], now: dict) -> list[dict]:
    """Requirements whose outcome (failed or assured) changed more than once over the kept runs of the same
    harness and provider software and this one: a flaky provider or moving test data, not a regression.
    Each with its strip, one letter a run, oldest first (F failed, P assured)."""
    runs_ = _comparable(kept, now)
    strips = {requirement: "".join("F" if v in FAILING else "P" for v in (r["requirements"].get(requirement)
                                                                          for r in runs_) if v in (*FAILING, ASSURED))
              for requirement in sorted(now["requirements"])}
    return [{"requirement": r, "strip": strip} for r, strip in strips.items() if _unsteady(strip)]


def flaky_scenarios(kept: list[dict], now: dict) -> list[dict]:
    """Scenarios whose outcome (failed or passed) changed more than once over the kept runs of the same harness
    and provider software and this one, each with its strip (F failed, P passed, oldest first)."""
    runs_ = _comparable(kept, now)

    def letter(run: dict, name: str) -> str:
        other = run["scenarios"].get("other", {})
        if name in other:
            return "F" if other[name][0] in ("failed", "error") else ""
        return "P" if scenario_key(name) in run["scenarios"]["passed"] else ""

    names = sorted({name for r in runs_ for name in r["scenarios"].get("other", {})})
    strips = {name: "".join(letter(r, name) for r in runs_) for name in names}
    return [{"scenario": n, "strip": strip} for n, strip in strips.items() if _unsteady(strip)]


def slower(before: list[dict], now: dict) -> list[dict]:
    """Each interaction whose p95 this run is worse than the median of the kept runs before it beyond the
    threshold (SLOWER_FACTOR and SLOWER_MARGIN_MS), with both figures."""
    found = []
    for interaction, (p50, p95) in sorted(now.get("latency", {}).items()):
        earlier = [r["latency"][interaction][1] for r in before if interaction in r.get("latency", {})]
        if len(earlier) < MIN_RUNS:
            continue
        usual = statistics.median(earlier)
        if p95 > usual * SLOWER_FACTOR and p95 > usual + SLOWER_MARGIN_MS:
            found.append({"interaction": interaction, "p50_ms": p50, "p95_ms": p95, "median_p95_ms": usual,
                          "runs": len(earlier)})
    return found


def sections(change: dict) -> list[tuple[str, str, list[str], list[str]]]:
    """Each kind of change as (key, label, ids, details): the ids for CI (junit.xml), the details for people
    (the terminal and the requirement page), in the order they are told; empty kinds included."""
    said = [
        ("newly_failed", "newly failed", change["newly_failed"], change["newly_failed"]),
        ("fixed", "fixed", change["fixed"], change["fixed"]),
        ("newly_not_assured", "newly not assured", [c["requirement"] for c in change["newly_not_assured"]],
         [f"{c['requirement']} ({c['why']})" for c in change["newly_not_assured"]]),
        ("newly_assessed", "newly assessed", change["newly_assessed"], change["newly_assessed"]),
        ("flaky", "flaky", [f["requirement"] for f in change["flaky"]],
         [f"{f['requirement']} ({f['strip']}, oldest first)" for f in change["flaky"]]),
        ("flaky_over_runs", "flaky scenarios", [f["scenario"] for f in change["flaky_over_runs"]],
         [f"{f['scenario']} ({f['strip']})" for f in change["flaky_over_runs"]]),
        ("flaky_scenarios", "failed, then passed when run again (flaky)", change["flaky_scenarios"],
         change["flaky_scenarios"]),
        ("slower", "slower", [s["interaction"] for s in change["slower"]],
         [f"{s['interaction']} (p95 {s['p95_ms']:.0f} ms, median of the last {s['runs']} runs "
          f"{s['median_p95_ms']:.0f} ms)" for s in change["slower"]]),
    ]
    return said


def heading(change: dict) -> str:
    if change["since"] is None:
        return "Changes: none to show; this is the first run kept for this environment and provider."
    return f"Changes since the run that ended {change['since']}"


def described(change: dict) -> list[str]:
    """The changes as lines for the terminal."""
    said = [f"  {label}: {', '.join(details)}" for _, label, _, details in sections(change) if details]
    if change["since"] is not None and not said:
        return [f"{heading(change)}: no change."]
    return [heading(change) + ("" if change["since"] is None else ":")] + said
