"""The map of NHS's own provider suite against ours: read spec/nhs-suite-coverage.csv, count it per NHS
feature, and render the counts as the markdown table docs/nhs-coverage.md shows.

One row per NHS test case (each Scenario, each Examples row of a Scenario Outline) of
nhsconnect/gpconnect-provider-testing, release/1.2.7, its six Appointment Management features.
"""

from __future__ import annotations

import csv
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CSV_PATH = ROOT / "spec" / "nhs-suite-coverage.csv"
FEATURES_DIR = ROOT / "features"
# The page that shows the table `python -m harness.report.nhs_coverage` prints.
DOC_PATH = ROOT / "docs" / "nhs-coverage.md"
HEADER = ("nhs_feature", "nhs_scenario", "nhs_example", "status", "our_feature", "our_scenario", "note")
COVERED, NOT_COVERED, NOT_APPLICABLE = "covered", "not-covered", "not-applicable"
STATUSES = (COVERED, NOT_COVERED, NOT_APPLICABLE)
_SCENARIO_LINE = re.compile(r"^\s*Scenario(?: Outline)?:\s*(.+?)\s*$")


@dataclass(frozen=True)
class FeatureCounts:
    """How many of one NHS feature's cases we cover, do not cover, or hold not applicable."""

    feature: str
    covered: int = 0
    not_covered: int = 0
    not_applicable: int = 0

    @property
    def cases(self) -> int:
        return self.covered + self.not_covered + self.not_applicable

    @property
    def applicable(self) -> int:
        return self.covered + self.not_covered

    def share(self) -> str:
        """Covered share of the applicable cases, as a whole percentage ('-' when none apply)."""
        return f"{round(100 * self.covered / self.applicable)}%" if self.applicable else "-"


def read_rows(path: Path = CSV_PATH) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def read_header(path: Path = CSV_PATH) -> tuple[str, ...]:
    with path.open(encoding="utf-8", newline="") as handle:
        return tuple(next(csv.reader(handle)))


def counts(rows: list[dict[str, str]]) -> list[FeatureCounts]:
    """Counts per NHS feature, in the order the features first appear, then the total."""
    order: list[str] = []
    tally: dict[str, Counter] = {}
    for row in rows:
        feature = row["nhs_feature"]
        if feature not in tally:
            order.append(feature)
            tally[feature] = Counter()
        tally[feature][row["status"]] += 1
    per_feature = [FeatureCounts(f, tally[f][COVERED], tally[f][NOT_COVERED], tally[f][NOT_APPLICABLE])
                   for f in order]
    total = FeatureCounts("all", *(sum(getattr(c, k) for c in per_feature)
                                   for k in ("covered", "not_covered", "not_applicable")))
    return per_feature + [total]


def markdown_table(feature_counts: list[FeatureCounts]) -> str:
    lines = ["| NHS feature | cases | covered | not covered | not applicable | covered of applicable |",
             "|---|---:|---:|---:|---:|---:|"]
    for c in feature_counts:
        name = f"**{c.feature}**" if c.feature == "all" else f"`{c.feature}`"
        lines.append(f"| {name} | {c.cases} | {c.covered} | {c.not_covered} | {c.not_applicable} | {c.share()} |")
    return "\n".join(lines)


def scenario_titles(feature_file: Path) -> set[str]:
    """The titles of a feature file's Scenarios and Scenario Outlines, as written (placeholders kept)."""
    return {m.group(1) for line in feature_file.read_text(encoding="utf-8").splitlines()
            if (m := _SCENARIO_LINE.match(line))}


def main() -> int:
    print(markdown_table(counts(read_rows())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
