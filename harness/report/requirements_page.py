"""The requirement verdicts as a reviewer reads them: the terminal's summary and requirements.html,
the page to sign off.

The page leads with what needs a reviewer's attention, each with its reason and the scenarios that
show it (failed, then not assured), and keeps the rest compact, one line each: requirements not
assured only because writes are off, those left out by the selection, assured requirements, and
those needing manual evidence once, at the end.
It prints on A4: the reference run's page is held to 20 pages (printed in Chromium by `make test`).
"""

from __future__ import annotations

import html
from collections import Counter
from typing import Mapping

from harness.outcome import history
from harness.outcome.outcomes import Outcome
from harness.outcome.verdicts import (
    ADVISORY_VERDICTS,
    ASSURED,
    FAILED,
    NOT_ASSESSED,
    NOT_ASSURED,
    ORDER,
    WRITES_OFF,
    Decision,
    Verdict,
    counts,
    counts_by_level,
    ordered,
)

SCENARIOS_LISTED = 5  # per requirement; the rest are counted


def terminal(items: list[Verdict], identity_text: str = "", decision: Decision | None = None) -> str:
    """Failed, advisory and not assured requirements one per line; the rest as counts (requirements.html has all)."""
    lines = ["", "Requirement verdicts (failures first)", "-" * 37]
    for v in ordered(items):
        if v.verdict in (FAILED, *ADVISORY_VERDICTS, NOT_ASSURED) and not v.needs_manual_evidence:
            lines.append(f"{v.requirement.id:22} {v.requirement.level:15} {v.verdict:23} {v.why[:100]}")
    manual = sum(v.needs_manual_evidence for v in items)
    left_out = [v.requirement.id for v in items if v.verdict == NOT_ASSESSED]
    assured = sum(v.verdict == ASSURED for v in items)
    lines.append(f"{assured} assured; {manual} need manual evidence (not testable here)"
                 + (f"; {len(left_out)} not assessed (left out by the selection)" if left_out else ""))
    header = f"{'':34}{ASSURED:>9} {FAILED:>7} {'advisory':>9} {NOT_ASSURED:>12} {NOT_ASSESSED:>13}"
    lines += ["", header]
    for group, c in {**counts_by_level(items), **counts(items)}.items():
        advisory_count = sum(c[k] for k in ADVISORY_VERDICTS)
        lines.append(f"{group:34}{c[ASSURED]:>9} {c[FAILED]:>7} {advisory_count:>9} {c[NOT_ASSURED]:>12} "
                     f"{c[NOT_ASSESSED]:>13}")
    if identity_text:
        lines += ["", "Run", "---", identity_text]
    if decision is not None:
        lines += ["", f"Overall verdict: {decision.line()}"]
    return "\n".join(lines)


STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5rem auto;max-width:60rem;color:#222;
 line-height:1.35;font-size:15px}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.15rem;margin:1.4rem 0 .4rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5rem 0;width:100%;table-layout:fixed}
td,th{border:1px solid #bbb;padding:.25rem .4rem;text-align:left;vertical-align:top;overflow-wrap:anywhere;
 word-break:break-word}
th{background:#f0f0f0}thead{display:table-header-group}tr{page-break-inside:avoid;break-inside:avoid}
code{font-size:.9em;overflow-wrap:anywhere}
.failed{background:#fde2e1}.notassured{background:#fff6d9}.notassessed{background:#eef1f6}.assured{background:#e3f6e5}
.NHSexpectationnotmet,.advisorynotmet{background:#fdeedd}
.verdict{font-size:1.2rem;padding:.5rem .8rem;border:2px solid #444;margin:.8rem 0;display:inline-block}
.verdict.NON-CONFORMANT{border-color:#b00;background:#fde2e1}.verdict.CONFORMANT{border-color:#070;background:#e3f6e5}
.verdict.INCOMPLETE,.verdict.NO-VERDICT,.verdict.NO-SHALL-FAILED{border-color:#a70;background:#fff6d9}
.identity th{width:32%}.counts td,.counts th{text-align:right}\
.counts td:first-child,.counts th:first-child{text-align:left}
.req col.id{width:17%}.req col.level{width:8%}.req col.text{width:30%}\
.req col.verdict{width:25%}.req col.scen{width:20%}
.compact td,.compact th{padding:.1rem .35rem;font-size:.85em}
.compact col.id{width:19%}.compact col.level{width:10%}.compact col.held{width:22%}
ul.scen{margin:0;padding-left:1rem}.small{font-size:.85em;color:#444}
@page{size:A4;margin:12mm}
@media print{body{font-size:9pt;margin:0;max-width:none}a{color:inherit;text-decoration:none}
 .verdict{font-size:12pt}h2{page-break-after:avoid;break-after:avoid}}
"""

LEGEND = (
    "Each GP Connect 1.2.7 requirement of <code>spec/requirements.csv</code> with this run's verdict, judged by "
    "its own checks: <b>failed</b> (a check of that requirement found a violation), <b>not assured</b> (some of "
    "its scenarios did not run their checks: skipped, stopped early or could not reach a verdict), <b>not "
    "assessed</b> (the selection left some of its scenarios out), <b>assured</b> (every one of its scenarios ran "
    "every step and none of its checks found a violation, even where a scenario failed on another requirement); "
    "a failure of an advisory requirement (SHOULD, SHOULD NOT, MAY) is <b>advisory: not met</b>, and of a status "
    "or code NHS's own suite expects where the spec names none, <b>NHS expectation not met</b>. Only SHALL "
    "failures make the run non-conformant, unless the run asks for NHS strictness (GPC_NHS_STRICT=true). The "
    "evidence is in the Allure report, <a href='index.html'>index.html</a>: each failed step carries its "
    "offending resources and the request that showed them.")


def _css_class(verdict: str) -> str:
    return verdict.replace(" ", "").replace(":", "")


def _shown(v: Verdict) -> list[Outcome]:
    """The scenarios that explain a verdict, most telling first: those that broke it, then those that did not
    run its checks, then the rest."""
    rid = v.requirement.id
    broke = [o for o in v.scenarios if o.nonconformant and rid in (o.violated or o.requirements)]
    not_run = [o for o in v.scenarios if o not in broke and not o.ran_every_step]
    return broke + not_run + [o for o in v.scenarios if o not in broke and o not in not_run]


def page(items: list[Verdict], identity_rows: list[tuple[str, str]] | None = None,
         decision: Decision | None = None, links: Mapping[str, str] | None = None,
         title: str = "Requirement verdicts", changes: dict | None = None) -> str:
    """The printable requirement view. `links` maps an outcome's nodeid to its place in the Allure report;
    `changes` is what changed since the last comparable run (harness/outcome/history.py)."""
    e = html.escape
    links = links or {}

    def scenario_list(v: Verdict) -> str:
        shown = _shown(v)
        if not shown:
            return "&mdash;"
        entries = []
        for o in shown[:SCENARIOS_LISTED]:
            name = e(o.title)
            href = links.get(o.nodeid)
            name = f"<a href='{e(href)}'>{name}</a>" if href else name
            entries.append(f"<li>{name} <span class='small'>({e(o.outcome)})</span></li>")
        more = len(shown) - SCENARIOS_LISTED
        if more > 0:
            tally = Counter(o.outcome for o in shown[SCENARIOS_LISTED:])
            entries.append(f"<li class='small'>and {more} more ("
                           + ", ".join(f"{n} {k}" for k, n in tally.most_common()) + ")</li>")
        return f"<ul class='scen'>{''.join(entries)}</ul>"

    def rows(selection: list[Verdict]) -> str:
        return "".join(
            f"<tr class='{_css_class(v.verdict)}'><td><code>{e(v.requirement.id)}</code><br>"
            f"<span class='small'>{e(v.requirement.use_case)}</span></td><td>{e(v.requirement.level)}</td>"
            f"<td>{e(v.requirement.text)}{' <b>(1.2.7)</b>' if v.requirement.change else ''}</td>"
            f"<td><b>{e(v.verdict)}</b><br>{e(v.why)}</td><td>{scenario_list(v)}</td></tr>" for v in selection)

    def full_table(heading: str, selection: list[Verdict], empty: str = "None.") -> str:
        if not selection:
            return f"<h2>{heading}</h2><p>{empty}</p>"
        return (f"<h2>{heading}</h2><table class='req'><colgroup><col class='id'><col class='level'><col class='text'>"
                "<col class='verdict'><col class='scen'></colgroup><thead><tr><th>requirement</th><th>level</th>"
                f"<th>rule</th><th>verdict and why</th><th>scenarios</th></tr></thead><tbody>{rows(selection)}"
                "</tbody></table>")

    def compact_table(heading: str, selection: list[Verdict], last: str, cell) -> str:
        if not selection:
            return ""
        body = "".join(f"<tr class='{_css_class(v.verdict)}'><td><code>{e(v.requirement.id)}</code></td>"
                       f"<td>{e(v.requirement.level)}</td><td>{e(v.requirement.text)}"
                       f"{' <b>(1.2.7)</b>' if v.requirement.change else ''}</td><td>{e(cell(v))}</td></tr>"
                       for v in selection)
        return (f"<h2>{heading}</h2><table class='compact'><colgroup><col class='id'><col class='level'><col>"
                f"<col class='held'></colgroup><thead><tr><th>requirement</th><th>level</th><th>rule</th>"
                f"<th>{e(last)}</th></tr></thead><tbody>{body}</tbody></table>")

    def count_table(table: dict[str, Counter], first: str) -> str:
        body = "".join(f"<tr><td>{e(g)}</td>" + "".join(f"<td>{c[k]}</td>" for k in ORDER) + "</tr>"
                       for g, c in table.items())
        return (f"<table class='counts'><thead><tr><th>{e(first)}</th>" + "".join(f"<th>{k}</th>" for k in ORDER)
                + f"</tr></thead><tbody>{body}</tbody></table>")

    ident = ""
    if identity_rows:
        ident = "<h2>Run</h2><table class='identity'>" + "".join(
            f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in identity_rows) + "</table>"
    verdict = decision.verdict if decision is not None else ""
    verdict_box = (f"<div class='verdict {e(verdict.replace(' ', '-'))}'><b>{e(verdict)}</b>: "
                   f"{e(decision.line().split(': ', 1)[1])}</div>") if decision is not None else ""
    tested = [v for v in ordered(items) if not v.needs_manual_evidence]
    failed = [v for v in tested if v.verdict in (FAILED, *ADVISORY_VERDICTS)]
    advisory = [v for v in failed if v.verdict in ADVISORY_VERDICTS]
    not_assured = [v for v in tested if v.verdict == NOT_ASSURED and v.causes != (WRITES_OFF,)]
    writes_off = [v for v in tested if v.verdict == NOT_ASSURED and v.causes == (WRITES_OFF,)]
    left_out = [v for v in tested if v.verdict == NOT_ASSESSED]
    assured = [v for v in tested if v.verdict == ASSURED]
    manual = [v for v in items if v.needs_manual_evidence]
    manual_list = "".join(f"<tr><td><code>{e(v.requirement.id)}</code></td><td>{e(v.requirement.level)}</td>"
                          f"<td>{e(v.requirement.text)}</td><td>{e(v.requirement.not_tested_reason)}</td></tr>"
                          for v in manual)
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>{e(title)}{' - ' + e(verdict) if verdict else ''}</title><style>{STYLE}</style></head><body>"
        f"<h1>{e(title)}</h1>{verdict_box}{_changes_box(changes)}<p class='small'>{LEGEND}</p>"
        f"{ident}<h2>Counts by level</h2>{count_table(counts_by_level(items), 'level')}"
        f"<h2>Counts by use case</h2>{count_table(counts(items), 'use case')}"
        + full_table(f"Failed requirements ({len(failed)}, of which {len(advisory)} advisory)"
                     if failed else "Failed requirements", failed)
        + full_table(f"Not assured ({len(not_assured)})", not_assured,
                     "None: every requirement this run set out to judge had its checks run"
                     + (", but for those below that need writes." if writes_off else "."))
        + compact_table(f"Not assured: writes off ({len(writes_off)}), GPC_ALLOW_WRITES=false", writes_off,
                        "held in", lambda v: v.why)
        + compact_table(f"Not assessed ({len(left_out)}): the selection left some of their scenarios out", left_out,
                        "why", lambda v: v.why)
        + compact_table(f"Assured ({len(assured)})", assured, "held in", lambda v: v.why)
        + f"<h2>Needs manual evidence ({len(manual)})</h2><p class='small'>Requirements no scenario can observe "
        "from outside the provider; assure them by inspection or the supplier's evidence.</p>"
        "<table><thead><tr><th style='width:17%'>requirement</th><th style='width:8%'>level</th><th>rule</th>"
        f"<th>why not tested here</th></tr></thead><tbody>{manual_list}</tbody></table>"
        "</body></html>"
    )


def _changes_box(changes: dict | None) -> str:
    """What changed since the last comparable run, at the top of the page (history.sections)."""
    if not changes:
        return ""
    e = html.escape
    rows = [(label[:1].upper() + label[1:], "; ".join(details))
            for _, label, _, details in history.sections(changes) if details]
    body = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in rows)
    table = f"<table class='identity'>{body}</table>" if rows else \
        ("<p>No change.</p>" if changes["since"] is not None else "")
    return (f"<h2>{e(history.heading(changes))}</h2>{table}"
            + trend_chart(changes.get("trend", {}), {s["interaction"] for s in changes.get("slower", [])}))


def trend_chart(trend: dict[str, list], slower: set[str]) -> str:
    """Each interaction's p95 over the kept runs and this one, as an inline SVG line (no network); this run's
    point last, in red where the interaction is slower."""
    if not trend:
        return ""
    width, height = 240, 36
    rows = []
    for interaction, values in trend.items():
        points = [(i, v) for i, v in enumerate(values) if v is not None]
        top = max(v for _, v in points) or 1.0
        step = width / max(1, len(values) - 1)
        xy = [(round(i * step, 1), round(height - 2 - (v / top) * (height - 6), 1)) for i, v in points]
        line = " ".join(f"{x},{y}" for x, y in xy)
        last_x, last_y = xy[-1]
        colour = "#b00020" if interaction in slower else "#1a5e20"
        svg = (f"<svg class='trend' width='{width}' height='{height}' viewBox='-4 0 {width + 8} {height}' "
               f"role='img' aria-label='p95 of {html.escape(interaction)} over {len(values)} runs'>"
               f"<polyline fill='none' stroke='#555' stroke-width='1.5' points='{line}'/>"
               f"<circle cx='{last_x}' cy='{last_y}' r='3' fill='{colour}'/></svg>")
        rows.append(f"<tr><th>{html.escape(interaction)}</th><td>{svg}</td><td>{values[-1]:.0f} ms</td></tr>")
    return ("<h3>p95 latency per interaction, the kept runs and this one</h3><table class='trend'>"
            + "".join(rows) + "</table>")
