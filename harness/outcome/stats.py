"""What a run asked of the provider: requests per run and per scenario, reused answers, latency.

Each pytest process (one per xdist worker) records every exchange its client sends or reuses and
writes them to `run-stats-<worker>.json` in the results folder at the end of its session. After
the run, `finish` merges them, prints the figures and adds them to the report as a global
attachment, so a nightly run shows at a glance when a provider got slower.
"""

from __future__ import annotations

import csv
import io
import json
import math
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable

FILE_PREFIX = "run-stats-"
SLOWEST_SHOWN = 5
BUSIEST_SHOWN = 5
OUTSIDE = "(outside scenarios: start-up and clean-up)"


@dataclass(frozen=True)
class Record:
    """One exchange: sent to the provider, or answered by reusing an identical earlier request."""

    interaction: str
    request: str  # short request line, relative to the service root
    status: int | None
    elapsed_s: float | None
    reused: bool
    scenario: str


@dataclass
class Recorder:
    """A client counter (GpConnectClient.add_counter) that keeps a Record of every exchange."""

    scenario: str = OUTSIDE
    records: list[Record] = field(default_factory=list)

    def __call__(self, exchange) -> None:
        self.records.append(Record(exchange.interaction, exchange.short_request(), exchange.status,
                                   None if exchange.reused else exchange.elapsed_s, exchange.reused, self.scenario))

    def write(self, directory: Path, worker: str) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{FILE_PREFIX}{worker}.json"
        path.write_text(json.dumps([asdict(r) for r in self.records]), encoding="utf-8")
        return path


def load(directory: Path) -> list[Record]:
    records: list[Record] = []
    for path in sorted(directory.glob(f"{FILE_PREFIX}*.json")):
        records += [Record(**r) for r in json.loads(path.read_text(encoding="utf-8"))]
    return records


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


@dataclass(frozen=True)
class LatencyRow:
    interaction: str
    sent: int
    reused: int
    p50: float | None
    p95: float | None
    max: float | None


@dataclass(frozen=True)
class RunStats:
    sent: int
    reused: int
    scenarios: int
    rows: list[LatencyRow]
    slowest: list[Record]
    per_scenario: dict[str, tuple[int, int]]  # scenario: (sent, reused)


def summarise(records: Iterable[Record]) -> RunStats:
    records = list(records)
    rows = []
    for name in sorted({r.interaction for r in records}):
        mine = [r for r in records if r.interaction == name]
        times = [r.elapsed_s for r in mine if not r.reused and r.elapsed_s is not None]
        rows.append(LatencyRow(name, sum(not r.reused for r in mine), sum(r.reused for r in mine),
                               percentile(times, 50) if times else None, percentile(times, 95) if times else None,
                               max(times) if times else None))
    timed = [r for r in records if not r.reused and r.elapsed_s is not None]
    slowest = sorted(timed, key=lambda r: r.elapsed_s, reverse=True)[:SLOWEST_SHOWN]
    per_scenario: dict[str, tuple[int, int]] = {}
    for r in records:
        sent, reused = per_scenario.get(r.scenario, (0, 0))
        per_scenario[r.scenario] = (sent + (not r.reused), reused + r.reused)
    return RunStats(sum(not r.reused for r in records), sum(r.reused for r in records),
                    len([s for s in per_scenario if s != OUTSIDE]), rows, slowest, per_scenario)


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.0f}"


def terminal(stats: RunStats, every_scenario: bool = False) -> str:
    """The latency table, the request count and the slowest exchanges; with every_scenario, each
    scenario's requests (else the busiest few)."""
    width = max([len("interaction")] + [len(r.interaction) for r in stats.rows])
    out = [f"Requests: {stats.sent} sent to the provider, {stats.reused} answered by reusing an identical "
           f"earlier request, over {stats.scenarios} scenarios",
           "",
           f"{'interaction':{width}}  {'sent':>5}  {'reused':>6}  {'p50 ms':>7}  {'p95 ms':>7}  {'max ms':>7}"]
    for r in stats.rows:
        out.append(f"{r.interaction:{width}}  {r.sent:5d}  {r.reused:6d}  {_ms(r.p50):>7}  {_ms(r.p95):>7}  "
                   f"{_ms(r.max):>7}")
    if stats.slowest:
        out += ["", "Slowest exchanges:"]
        out += [f"  {_ms(r.elapsed_s):>6} ms  {r.request}  (HTTP {r.status}; {r.scenario})" for r in stats.slowest]
    ranked = sorted(stats.per_scenario.items(), key=lambda kv: (-kv[1][0], kv[0]))
    if not every_scenario:
        ranked = ranked[:BUSIEST_SHOWN]
    if ranked:
        out += ["", "Requests per scenario (sent, reused):" if every_scenario else
                "Scenarios sending the most requests (sent, reused):"]
        out += [f"  {sent:4d} {reused:4d}  {scenario}" for scenario, (sent, reused) in ranked]
    return "\n".join(out)


def _csv(header: list[str], rows: list[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def tables(stats: RunStats) -> list[tuple[str, str]]:
    """The figures as CSV tables (name, text) for the report."""
    latency = _csv(["interaction", "sent", "reused", "p50 ms", "p95 ms", "max ms"],
                   [[r.interaction, r.sent, r.reused, _ms(r.p50), _ms(r.p95), _ms(r.max)] for r in stats.rows]
                   + [["all", stats.sent, stats.reused, "", "", ""]])
    slowest = _csv(["ms", "request", "status", "scenario"],
                   [[_ms(r.elapsed_s), r.request, r.status, r.scenario] for r in stats.slowest])
    scenarios = _csv(["scenario", "sent", "reused"],
                     [[name, sent, reused] for name, (sent, reused) in
                      sorted(stats.per_scenario.items(), key=lambda kv: (-kv[1][0], kv[0]))])
    return [("Requests and latency per interaction", latency), ("Slowest exchanges", slowest),
            ("Requests per scenario", scenarios)]


def scenario_csv(records: list[Record]) -> str:
    """One scenario's requests per interaction, as CSV: sent, reused and the slowest answer (each
    exchange itself is the scenario's evidence)."""
    rows: dict[str, list] = {}
    for r in records:
        row = rows.setdefault(r.interaction, [r.interaction, 0, 0, None])
        row[2 if r.reused else 1] += 1
        if not r.reused and r.elapsed_s is not None:
            row[3] = max(row[3] or 0.0, r.elapsed_s)
    return _csv(["interaction", "sent", "reused", "slowest ms"],
                [[name, sent, reused, _ms(slowest)] for name, sent, reused, slowest in rows.values()])


def add_to_results(results_dir: Path, attachments: list[tuple[str, str]]) -> None:
    """Add CSV tables to the Allure results as global attachments (shown on the report's front page)."""
    entries = []
    for name, text in attachments:
        source = f"{uuid.uuid4()}-attachment.csv"
        (results_dir / source).write_text(text, encoding="utf-8")
        entries.append({"name": name, "source": source, "type": "text/csv", "timestamp": int(time.time() * 1000)})
    (results_dir / f"{uuid.uuid4()}-globals.json").write_text(json.dumps({"attachments": entries}), encoding="utf-8")


def finish(results_dir: Path) -> RunStats | None:
    """Merge the workers' records, print the figures, add them to the report and to
    run-stats.txt beside the results; the figures, for the run history. None when no worker wrote any
    (no scenario ran)."""
    records = load(results_dir)
    if not records:
        return None
    stats = summarise(records)
    print(terminal(stats))
    add_to_results(results_dir, tables(stats))
    (results_dir.parent / "run-stats.txt").write_text(terminal(stats, every_scenario=True) + "\n", encoding="utf-8")
    return stats
