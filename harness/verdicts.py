"""Per-requirement verdicts from a run's JUnit results: the page an assurance reviewer signs off.

assured:      every scenario tagged with the requirement ran and passed
failed:       a tagged scenario failed or could not run
not assured:  no tagged scenario (not tested, with the catalogue's reason), or some were skipped
"""

from __future__ import annotations

import html
from collections import Counter
from dataclasses import dataclass

from .junit import Outcome
from .requirements import Requirement

ASSURED, FAILED, NOT_ASSURED = "assured", "failed", "not assured"


@dataclass(frozen=True)
class Verdict:
    requirement: Requirement
    verdict: str
    why: str
    scenarios: tuple[Outcome, ...]


def verdicts(catalogue: dict[str, Requirement], outcomes: list[Outcome]) -> list[Verdict]:
    result = []
    for req in catalogue.values():
        mine = tuple(o for o in outcomes if req.id in o.requirements)
        bad = [o for o in mine if o.outcome in ("failed", "error")]
        skipped = [o for o in mine if o.outcome == "skipped"]
        if bad:
            result.append(Verdict(req, FAILED, bad[0].message.splitlines()[0] if bad[0].message else bad[0].name, mine))
        elif not mine:
            why = f"not tested: {req.not_tested_reason}" if req.not_tested_reason else "no scenario ran in this run"
            result.append(Verdict(req, NOT_ASSURED, why, mine))
        elif skipped:
            result.append(Verdict(req, NOT_ASSURED, f"{len(skipped)} of {len(mine)} scenarios skipped: "
                                  f"{skipped[0].message}", mine))
        else:
            result.append(Verdict(req, ASSURED, f"{len(mine)} scenario{'s' if len(mine) > 1 else ''} passed", mine))
    return result


def counts(items: list[Verdict]) -> dict[str, Counter]:
    """Counts of each verdict per use case, plus 'all' and the 1.2.7 changes."""
    table: dict[str, Counter] = {}
    for v in items:
        table.setdefault(v.requirement.use_case, Counter())[v.verdict] += 1
    table["1.2.7 changes"] = Counter(v.verdict for v in items if v.requirement.change)
    table["all"] = Counter(v.verdict for v in items)
    return table


def terminal(items: list[Verdict]) -> str:
    lines = ["", "Requirement verdicts", "-" * 20]
    for v in items:
        lines.append(f"{v.requirement.id:22} {v.requirement.level:6} {v.verdict:12} {v.why[:100]}")
    lines += ["", f"{'':34}{ASSURED:>9} {FAILED:>7} {NOT_ASSURED:>12}"]
    for group, c in counts(items).items():
        lines.append(f"{group:34}{c[ASSURED]:>9} {c[FAILED]:>7} {c[NOT_ASSURED]:>12}")
    return "\n".join(lines)


STYLE = """body{font-family:system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;margin:1rem 0}
td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left;vertical-align:top}th{background:#f3f3f3}
.assured{background:#e3f6e5}.failed{background:#fde2e1}.notassured{background:#fff6d9}code{font-size:.9em}"""


def page(items: list[Verdict], title: str) -> str:
    e = html.escape
    rows = []
    for v in items:
        r = v.requirement
        scen = "<br>".join(f"{e(o.outcome)}: {e(o.name.removeprefix('test_'))}" for o in v.scenarios) or "&mdash;"
        rows.append(f"<tr class='{v.verdict.replace(' ', '')}'><td><code>{e(r.id)}</code></td><td>{e(r.use_case)}</td>"
                    f"<td>{e(r.level)}</td><td>{e(r.text)}{' <b>(1.2.7)</b>' if r.change else ''}</td>"
                    f"<td><b>{e(v.verdict)}</b><br>{e(v.why)}</td><td>{scen}</td><td>{e(r.spec_page)}</td></tr>")
    summary = "".join(f"<tr><td>{e(g)}</td><td>{c[ASSURED]}</td><td>{c[FAILED]}</td><td>{c[NOT_ASSURED]}</td></tr>"
                      for g, c in counts(items).items())
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'>"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
            f"<title>{e(title)}</title><style>{STYLE}</style></head><body><h1>{e(title)}</h1>"
            f"<p>Each GP Connect 1.2.7 requirement in <code>spec/requirements.csv</code> with this run's verdict: "
            f"<b>assured</b> (every scenario verifying it passed), <b>failed</b>, or <b>not assured</b> "
            f"(not tested, with the reason, or no data in this environment). The detailed evidence is in the "
            f"Allure report, <a href='index.html'>index.html</a>.</p>"
            f"<h2>Counts</h2><table><tr><th>group</th><th>assured</th><th>failed</th><th>not assured</th></tr>"
            f"{summary}</table><h2>Requirements</h2><table><tr><th>id</th><th>use case</th><th>level</th>"
            f"<th>requirement</th><th>verdict</th><th>scenarios</th><th>spec page</th></tr>{''.join(rows)}</table>"
            f"</body></html>")
