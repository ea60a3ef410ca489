"""The whole assurance run against the bundled provider: small and large practice, no latency and
200 ms, serial and four workers, and the 30,000-slot hub with no latency, measured with /usr/bin/time -v.

    .venv/bin/python benchmarks/bench_whole_run.py [--only small-0-1,large-200-4] [--out FILE]

Each configuration is `python -m harness assure -q` in a fresh reports folder (and TMPDIR), one
after another so that they do not compete for the machine. For each it records wall time, CPU
(user + system, harness, workers, provider and report generator together), the peak RSS of the
largest single process, the HTML report's size, the evidence stored beside it, the requests the
run sent and reused, and the summary line. Prints a Markdown table and writes it to --out.
Measured, never asserted: machines here are shared and noisy.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = [(practice, latency, workers) for practice in ("small", "large") for latency in (0, 200)
           for workers in (1, 4)] + [("hub", 0, 1), ("hub", 0, 4)]


@dataclass
class Figures:
    name: str
    exit_code: int
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    html_mb: float
    evidence_mb: float
    sent: str
    reused: str
    summary: str
    load: str  # the machine's 1-minute load average before and after: others' work skews the figures


def _time_field(text: str, label: str) -> str:
    match = re.search(rf"^\s*{re.escape(label)}: (.+)$", text, re.M)
    return match.group(1).strip() if match else ""


def _wall(value: str) -> float:
    parts = [float(p) for p in value.split(":")] if value else [0.0]
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + part
    return seconds


def _size_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 1e6
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6
    return 0.0


def run(practice: str, latency: int, workers: int) -> Figures:
    name = f"{practice}-{latency}-{workers}"
    reports = Path(tempfile.mkdtemp(prefix=f"gpc-bench-{name}-"))
    tmp = reports / "tmp"
    tmp.mkdir()
    env = {**os.environ, "GPC_REPORTS_DIR": str(reports), "TMPDIR": str(tmp), "GPC_ENV": "reference",
           "GPC_REFERENCE_PRACTICE": practice, "GPC_REFERENCE_LATENCY_MS": str(latency)}
    cmd = ["/usr/bin/time", "-v", sys.executable, "-m", "harness", "assure", "-q", "-p", "no:cacheprovider"]
    if workers > 1:
        cmd += ["-n", str(workers)]
    print(f"{name}: {' '.join(cmd[2:])}", flush=True)
    load_before = os.getloadavg()[0]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    timing = proc.stderr
    stats = (reports / "run-stats.txt").read_text() if (reports / "run-stats.txt").exists() else ""
    counts = re.search(r"Requests: (\d+) sent to the provider, (\d+) answered by reusing", stats)
    summary = next((line.removeprefix("Summary: ") for line in proc.stdout.splitlines()
                    if line.startswith("Summary: ")), "(no summary)")
    counts_of = re.search(r"(\d+) passed, (\d+) failed.*?(\d+) could not reach a verdict.*?(\d+) not assured", summary)
    if counts_of:
        summary = "{} passed, {} failed, {} broken, {} not assured".format(*counts_of.groups())
    figures = Figures(
        name=name,
        exit_code=proc.returncode,
        wall_s=_wall(_time_field(timing, "Elapsed (wall clock) time (h:mm:ss or m:ss)")),
        cpu_s=(float(_time_field(timing, "User time (seconds)") or 0)
               + float(_time_field(timing, "System time (seconds)") or 0)),
        peak_rss_mb=int(_time_field(timing, "Maximum resident set size (kbytes)") or 0) / 1024,
        html_mb=_size_mb(reports / "html" / "index.html"),
        evidence_mb=_size_mb(reports / "evidence"),
        sent=counts.group(1) if counts else "?",
        reused=counts.group(2) if counts else "?",
        summary=summary,
        load=f"{load_before:.1f} / {os.getloadavg()[0]:.1f}",
    )
    print(f"  {row(figures)}", flush=True)
    shutil.rmtree(reports, ignore_errors=True)
    return figures


HEADER = ("| practice-latency ms-workers | exit | wall | CPU | peak RSS | HTML report | evidence (gzip) | "
          "requests sent / reused | verdicts | load before / after |\n|---|---|---|---|---|---|---|---|---|---|")


def row(f: Figures) -> str:
    return (f"| {f.name} | {f.exit_code} | {f.wall_s:.0f} s | {f.cpu_s:.0f} s | {f.peak_rss_mb:.0f} MB | "
            f"{f.html_mb:.1f} MB | {f.evidence_mb:.1f} MB | {f.sent} / {f.reused} | {f.summary} | {f.load} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="", help="comma-separated configurations, e.g. small-0-1,large-200-4")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "bench-whole-run.md")
    args = parser.parse_args()
    wanted = set(filter(None, args.only.split(",")))
    results = [run(*c) for c in CONFIGS if not wanted or f"{c[0]}-{c[1]}-{c[2]}" in wanted]
    table = "\n".join([HEADER] + [row(f) for f in results])
    by_name = {f.name: f for f in results}
    notes = []
    for practice in ("small", "large"):
        serial, parallel = by_name.get(f"{practice}-200-1"), by_name.get(f"{practice}-200-4")
        if serial and parallel and parallel.wall_s:
            notes.append(f"{practice} practice at 200 ms: -n 4 is "
                         f"{serial.wall_s / parallel.wall_s:.1f}x faster than serial")
    small, large = by_name.get("small-0-1"), by_name.get("large-0-1")
    if small and large and small.wall_s:
        notes.append(f"large practice serial run takes {large.wall_s / small.wall_s:.2f}x the small one's wall time")
    text = table + ("\n\n" + "\n".join(f"- {n}" for n in notes) if notes else "") + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print()
    print(text)
    print(f"Written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
