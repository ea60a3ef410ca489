"""gpc-assure explore, the command: start the provider, run the exploration (harness/explore/exploration.py), and
write what it found: explore.json, a sequence-<n>.json per failure for --replay, junit.xml read like an
assurance run's, and the requirement page with each failure's sequence as evidence.
"""

from __future__ import annotations

import html
import json
import random
import shutil
import signal
import time
from pathlib import Path
from xml.sax.saxutils import quoteattr

from harness.cli import bundled_provider as reference
from harness.cli import common as cli
from harness.errors import (
    BROKEN,
    NONCONFORMANT,
    HarnessError,
    MissingTestData,
    Nonconformance,
)
from harness.explore.exploration import explore, replay
from harness.explore.operations import OPERATIONS, as_violations
from harness.explore.session import DEFAULT_MINUTES, Failure, Session, judged
from harness.outcome import record as run
from harness.outcome import verdicts
from harness.outcome.outcomes import Outcome
from harness.report import requirements_page as requirement_view
from harness.settings import Settings, reports_dir
from harness.spec import interactions as ix
from harness.spec.requirements import catalogue

# ---------------------------------------------------------------------- results

def summary(session: Session, mode: str) -> dict:
    minutes = (time.monotonic() - session.started) / 60
    return {
        "mode": mode, "seed": session.seed, "budget": session.budget, "operations": session.operations,
        "requests": session.requests, "sequences": session.sequences, "minutes": round(minutes, 2),
        "operations_per_minute": round(session.operations / minutes, 1) if minutes else None,
        "first_violation_after_operations": session.first_failure_at, "stopped": session.stopped,
        "broken": session.broken, "writes": session.writes,
        "failures": [{"requirements": list(f.requirements), "found_after_operations": f.found_at,
                      "steps": [s.replayable() for s in f.steps],
                      "readable": [s.line for s in f.steps],
                      "violations": [{"request": w, "requirements": list(v.requirements), "message": v.message}
                                     for w, v in f.violations]} for f in session.failures.values()],
    }


WRITES_OFF = "not assured: writes are not allowed in this environment (GPC_ALLOW_WRITES=false)"


def outcomes(session: Session, writes_allowed: bool = True):
    """The exploration as outcomes the requirement page and the exit code read (harness/outcome/outcomes.py). Without
    write permission, what only booking, amending and cancelling can show is not assured, and says why."""
    found = []
    failed = {r for f in session.failures.values() for r in f.requirements}
    for n, failure in enumerate(session.failures.values(), 1):
        first = failure.violations[0][1].message
        found.append(Outcome(f"explore_sequence_{n}", "failed", f"{first} (sequence of {len(failure.steps)} steps: "
                             f"explore/sequence-{n}.json)", failure.requirements, NONCONFORMANT, failure.requirements,
                             f"Exploration: a sequence of {len(failure.steps)} steps", "explore"))
    if session.broken:
        found.append(Outcome("explore_broken", "error", session.broken, (), BROKEN, (), "Exploration", "explore"))
    for req in sorted(session.exercised - failed):
        found.append(Outcome(f"explore_{req}", "passed", "", (req,), "", (),
                             f"Exploration: {session.operations} operations", "explore"))
    if not writes_allowed:
        writes = set().union(*(judged(i.name) for i in (ix.BOOK_APPOINTMENT, ix.AMEND_APPOINTMENT,
                                                         ix.CANCEL_APPOINTMENT)))
        for req in sorted(writes - session.exercised - failed):
            found.append(Outcome(f"explore_{req}", "skipped", WRITES_OFF, (req,), "", (),
                                 "Exploration: book, amend and cancel", "explore"))
    return found


def write_junit(path: Path, items) -> None:
    cases = []
    for o in items:
        props = [("req", r) for r in o.requirements] + [("scenario", o.scenario), ("feature", o.feature)]
        if o.verdict:
            props.append(("verdict", o.verdict))
        props += [("violated", r) for r in o.violated]
        body = "<properties>" + "".join(f"<property name={quoteattr(k)} value={quoteattr(v)}/>" for k, v in props) \
            + "</properties>"
        if o.outcome in ("failed", "error"):
            tag = "failure" if o.outcome == "failed" else "error"
            body += f"<{tag} message={quoteattr(o.message)}/>"
        cases.append(f"<testcase classname=\"explore\" name={quoteattr(o.name)}>{body}</testcase>")
    path.write_text("<?xml version=\"1.0\" encoding=\"utf-8\"?><testsuites><testsuite name=\"explore\" "
                    f"tests=\"{len(items)}\">{''.join(cases)}</testsuite></testsuites>\n", encoding="utf-8")


def evidence_html(session: Session) -> str:
    """The sequences as evidence, for the requirement page."""
    if not session.failures:
        return ""
    parts = ["<h2>Sequences that showed each failure (shortest found)</h2>"]
    for n, failure in enumerate(session.failures.values(), 1):
        parts.append(f"<h3>Sequence {n}: {html.escape(', '.join(failure.requirements))}</h3>"
                     f"<p class='small'>seed {session.seed}; replay with <code>gpc-assure explore --replay "
                     f"explore/sequence-{n}.json</code></p><pre>{html.escape(failure.readable())}</pre>")
    return "".join(parts)


# ---------------------------------------------------------------------- the command

def command(budget: int, seed: int | None, replay_from: str | None, first: bool = False,
            until: tuple[str, ...] = (), shrink: bool = True, sign_off: bool = False,
            minutes: float = DEFAULT_MINUTES) -> int:
    """gpc-assure explore: exit 0 clean (or no SHALL failed), 1 non-conformant, 2 environment or harness, 3 the
    bundled provider did not start, 4 configuration, 6 with sign_off: not every SHALL it judges was assured,
    130 interrupted (see harness/cli/main.py)."""
    settings = cli.settings_or_none()
    if settings is None:
        return cli.CONFIGURATION
    steps = None
    if replay_from is not None:
        if replay_from.strip().isdigit():
            seed = int(replay_from)
        else:
            try:
                recorded = json.loads(Path(replay_from).read_text(encoding="utf-8"))
                seed, steps = int(recorded["seed"]), list(recorded["steps"])
                unknown = sorted({str(s["rule"]) for s in steps} - set(OPERATIONS))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                cli.say(f"configuration: --replay {replay_from}: not a seed or a recorded sequence ({exc})")
                return cli.CONFIGURATION
            if unknown:
                cli.say(f"configuration: --replay {replay_from}: no operation {', '.join(map(repr, unknown))}; "
                        f"the operations are {', '.join(sorted(OPERATIONS))}")
                return cli.CONFIGURATION
    if budget < 1:
        cli.say("configuration: --budget must be at least 1")
        return cli.CONFIGURATION
    seed = random.SystemRandom().randrange(2 ** 31) if seed is None else seed
    out = reports_dir()
    try:
        with run.lock(out):
            return _command_locked(settings, budget, seed, steps, out, replay_from, first, until, shrink, sign_off,
                                   minutes)
    except run.Busy as exc:
        cli.say(str(exc))
        return cli.BROKEN


def _command_locked(settings: Settings, budget: int, seed: int, steps: list | None, out: Path,
                    replay_from: str | None, first: bool = False, until: tuple[str, ...] = (),
                    shrink: bool = True, sign_off: bool = False, minutes: float = DEFAULT_MINUTES) -> int:
    started = run.now()
    provider = None
    target = settings.base_url or run.BUNDLED
    mode = f"replay of {replay_from}" if steps is not None else f"exploration, seed {seed}, budget {budget} operations"
    print(f"Exploring {target} (environment '{settings.env_name}'): {mode}; writes "
          f"{'allowed' if settings.allow_writes else 'not allowed (search and retrieve only)'}", flush=True)
    if settings.uses_reference_provider:
        try:
            provider = reference.start(settings, out / "reference-provider-explore.log")
        except HarnessError as exc:
            cli.say(f"cannot start the reference provider: {exc}")
            return cli.NO_REPORT
        base_url = provider.base_url
    else:
        base_url = settings.base_url
        refused = run.preflight(settings, base_url)
        if refused:
            cli.say(refused)
            return cli.BROKEN
    limit_s = min(settings.run_timeout_s, minutes * 60)
    reason = (f"time limit reached (--minutes {minutes:g}); what was found so far is reported"
              + (", as found, not shrunk further" if shrink else "")) if limit_s < settings.run_timeout_s else ""
    session = Session(settings, base_url, budget, time.monotonic() + limit_s, seed, reason)
    session.first_only = first
    session.shrink = shrink
    session.until = frozenset(until)
    interrupted = False
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        try:
            if settings.allow_writes:
                session.clean()  # what an earlier, killed run left
            session.find_patients()
            if steps is not None:
                replay(session, steps)
            else:
                explore(session)
        except KeyboardInterrupt:
            interrupted = True
            session.stopped = "interrupted"
        except Nonconformance as exc:
            # The provider broke a rule before any sequence, as the test patients were looked up: a failure the
            # lookup shows again (no step needed), not a broken run.
            failure = Failure([], [("the test patients' lookup", v) for v in as_violations(exc)], session.explored)
            session.failures[failure.requirements] = failure
            session.stopped = "the provider broke a rule as the test patients were looked up"
        except (HarnessError, MissingTestData) as exc:
            session.broken = str(exc)
        finally:
            print(session.clean(), flush=True)
    finally:
        signal.signal(signal.SIGTERM, previous)
        session.client.close()
        if provider is not None:
            provider.stop()

    items = outcomes(session, settings.allow_writes)
    results = summary(session, mode)
    folder = out / "explore"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "explore.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    for n, failure in enumerate(session.failures.values(), 1):
        (folder / f"sequence-{n}.json").write_text(json.dumps(
            {"seed": seed, "requirements": list(failure.requirements), "steps": [s.replayable() for s in failure.steps],
             "readable": [s.line for s in failure.steps]}, indent=2), encoding="utf-8")
    write_junit(folder / "junit.xml", items)

    requirement_verdicts = verdicts.verdicts(catalogue(), items, suite={})
    decision = verdicts.decide(items, requirement_verdicts, verdicts.levels_of(catalogue()), settings.nhs_strict,
                               stopped=bool(interrupted or session.broken), sign_off=sign_off)
    overall = decision.verdict
    record = run.Record(started=started, ended=run.now(), service_roots=[base_url])
    ident = run.identity(settings, record, [f"explore: {mode}"], overall)
    page = requirement_view.page(requirement_verdicts, ident.rows(), decision, {},
                                 title=f"Exploration verdicts: {settings.env_name}")
    (folder / "requirements.html").write_text(page.replace("</body>", evidence_html(session) + "</body>"),
                                              encoding="utf-8")

    print(f"{session.operations} operations ({session.requests} requests) in {results['minutes']} min, "
          f"{results['operations_per_minute']} operations per minute, {session.sequences} sequences"
          + (f"; stopped: {session.stopped}" if session.stopped else ""))
    for n, failure in enumerate(session.failures.values(), 1):
        print(f"\nViolation of {', '.join(failure.requirements)} (first shown after {failure.found_at} "
              f"operations); {'the shortest sequence found' if shrink else 'the sequence that showed it'}, "
              f"{len(failure.steps)} steps, seed {seed}:")
        print(failure.readable())
        print(f"Replay: gpc-assure explore --replay {folder / f'sequence-{n}.json'}   (the whole exploration: "
              f"--replay {seed})")
    if session.broken:
        cli.say(f"explore: could not finish: {session.broken}")
    print(f"\nOverall verdict: {decision.line()}")
    print(f"Requirement view: {folder / 'requirements.html'}")
    if interrupted:
        return cli.INTERRUPTED
    return decision.exit_code


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")
