"""gpc-assure assure --rerun-failures: the scenarios that failed, run once more at the end of the run. One that
passes the second time is flaky: it stays failed in every verdict (never counted as passed) and is named as
flaky in the terminal, changes.json and the run history."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

from harness.outcome import outcomes as junit
from harness.outcome.outcomes import FLAKY, Outcome
from harness.settings import PROJECT_ROOT


def rerun_failed(base: list[str], outcomes: list[Outcome], folder: Path, timeout_s: float) -> list[Outcome]:
    """The outcomes, each failed scenario that passes when run once more marked flaky (still failed)."""
    failed = [o for o in outcomes if o.outcome in ("failed", "error") and o.nodeid]
    if not failed:
        return outcomes
    folder.mkdir(parents=True, exist_ok=True)
    junit_path = folder / "junit.xml"
    cmd = [*base, "--junitxml", str(junit_path), "-o", "junit_family=xunit2", "-q", "--faults-checked",
           *sorted({_node(o) for o in failed})]
    print(f"Running the {len(failed)} failed scenario{'s' if len(failed) > 1 else ''} once more "
          "(--rerun-failures)", flush=True)
    subprocess.run(cmd, timeout=timeout_s, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.STDOUT, cwd=PROJECT_ROOT)
    passed = {o.name for o in (junit.outcomes(junit_path) if junit_path.exists() else []) if o.outcome == "passed"}
    marked = [dataclasses.replace(o, message=f"{FLAKY}. {o.message}") if o in failed and o.name in passed else o
              for o in outcomes]
    flaky = [o.name for o in marked if o.message.startswith(FLAKY)]
    print(f"Rerun: {len(flaky)} of {len(failed)} failed then passed (flaky, still counted as failed)"
          + (f": {', '.join(flaky)}" if flaky else ""))
    return marked


def _node(outcome: Outcome) -> str:
    """The node id pytest selects the scenario by, relative to the suite (steps/...)."""
    return outcome.nodeid[outcome.nodeid.index("steps/"):] if "steps/" in outcome.nodeid else outcome.nodeid
