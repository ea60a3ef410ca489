"""The requirement catalogue, spec/requirements.csv: id -> requirement."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache

from harness.settings import PROJECT_ROOT

CATALOGUE = PROJECT_ROOT / "spec" / "requirements.csv"
SPEC_BASE = "https://github.com/nhsconnect/gpconnect/blob/40f2b1a2eb24faa436d87ce0d0994901f87fdbb2/"


@dataclass(frozen=True)
class Requirement:
    id: str
    use_case: str
    level: str
    text: str
    spec_page: str
    not_tested_reason: str
    change: str = ""

    @property
    def url(self) -> str:
        return SPEC_BASE + self.spec_page


@lru_cache(maxsize=1)
def catalogue() -> dict[str, Requirement]:
    with open(CATALOGUE, newline="", encoding="utf-8") as fh:
        rows = [Requirement(r["id"], r["use_case"], r["level"], r["requirement"], r["spec_page"],
                            r["not_tested_reason"], r.get("change") or "") for r in csv.DictReader(fh)]
    return {r.id: r for r in rows}
