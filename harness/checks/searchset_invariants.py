"""The invariants of GPConnect-Searchset-Bundle-1 on a returned searchset Bundle: those of its entries, each distinct
entry judged once per run, and the Bundle's own (bdl-1 to bdl-9), each over the entries its expression reads. The
Bundle's resources are judged one by one (checks/profiles.py, checks/invariants.py)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Hashable

from harness.checks.fhirpath import code
from harness.checks.invariants import (
    NOT_INTO,
    Element,
    Found,
    as_violations,
    definition_tree,
    findings,
    with_extensions,
)
from harness.checks.violations import Violation
from harness.memo import RESOURCES_REMEMBERED, ByIdentity, joined_by_run, run_values
from harness.transport import fhir

_ENTRIES = ByIdentity(RESOURCES_REMEMBERED)
_RUNS = ByIdentity(RESOURCES_REMEMBERED // 8)
_ENTRY_CHAIN = re.compile(r"(?<![.\w%])entry((?:\.[A-Za-z]+)*)\.(?:empty|exists)\(\)")
_ENTRY_NAMED = re.compile(r"(?<![.\w%])entry\b")
_ENTRY_FILTER = re.compile(r"^entry\.where\(([A-Za-z]+)\)")
NONE, EXISTENCE, HAVING, ALL = "none", "existence", "having", "all"
_HAVING: dict[str, ByIdentity] = {}  # the entries of each run that have a member, by the member


@lru_cache(maxsize=None)
def _entries_reading(expression: str) -> tuple[str, tuple[str, ...]]:
    """How an expression on the Bundle reads its entries: not at all (NONE); only through existence tests of
    members (EXISTENCE, entry.search.empty()); by first keeping those with a member and nowhere else (HAVING,
    entry.where(fullUrl)...); otherwise ALL. With the members named."""
    text = code(expression)
    if not _ENTRY_NAMED.search(text):
        return NONE, ()
    if not _ENTRY_NAMED.search(_ENTRY_CHAIN.sub("", text)):
        return EXISTENCE, tuple(sorted({chain.split(".")[1] for chain in _ENTRY_CHAIN.findall(text) if chain}))
    kept = _ENTRY_FILTER.match(text)
    if kept and len(_ENTRY_NAMED.findall(text)) == 1:
        return HAVING, (kept.group(1),)
    return ALL, ()


def _entries_read(expression: str, entries: list, shown: dict[Hashable, dict]) -> list:
    """The entries an expression on the Bundle needs, its outcome unchanged: one for NONE; one per distinct
    value of the members for EXISTENCE (`shown`: each distinct projection of the entries on the members the
    Bundle's own invariants test); those with the member, in order, for HAVING; all of them for ALL."""
    kind, members = _entries_reading(expression)
    if kind == NONE:
        return entries[:1]
    if kind == HAVING:  # kept once per run of entries (memo.joined_by_run), which a hub's answers share
        having = _HAVING.get(members[0]) or _HAVING.setdefault(members[0], ByIdentity(RESOURCES_REMEMBERED // 8))
        return joined_by_run(entries, having, lambda run: tuple(
            e for e in run if isinstance(e, dict) and e.get(members[0]) not in (None, "", [], {})))
    if kind == ALL:
        return entries
    distinct: dict[Hashable, dict] = {}
    for projected in shown.values():
        mine = {m: projected[m] for m in members if m in projected}
        distinct.setdefault(fhir.json_key(mine) or repr(mine), mine)
    return list(distinct.values())


def bundle_violations(bundle: dict, label: str, profile: dict, extension_profiles: dict) -> list[Violation]:
    """What invariants of the searchset Bundle profile `bundle` breaks: its entries' (each distinct entry judged
    once per run, unless an invariant under Bundle.entry reads %resource) and its own, each over the entries
    its expression reads."""
    tree = definition_tree(profile.get("invariants", {}))
    entry_element = tree.under.get("entry")
    entries = fhir.bundle_entries(bundle)
    members = sorted({m for _, expression, _ in tree.keys for m in _entries_reading(expression)[1]})

    def summary(entry: Any) -> tuple[Found, Hashable, dict]:
        """What an entry breaks; and its projection on the members the Bundle's own invariants test, with its
        JSON to tell equal projections."""
        if not isinstance(entry, dict):
            return {}, None, {}
        mine: Found = {}
        if entry_element is not None:
            mine = findings(entry_element, entry, bundle, "Bundle.entry", label, "Bundle.entry")
            with_extensions(mine, entry, bundle, extension_profiles, skip=("resource",) + NOT_INTO, label=label)
        projected = {m: entry[m] for m in members if m in entry}
        return mine, (tuple(members), fhir.json_key(projected) or repr(projected)), projected

    alone = entry_element is None or entry_element.alone
    found: Found = {}
    if alone:
        # Each run of entries (memo.run_values: a hub's searches share runs of the same entries) is summed up once:
        # whether an entry of it breaks anything, and its distinct projections (equal signatures, equal projections).
        get = _ENTRIES.get

        def summed_up(run: tuple) -> tuple[bool, dict]:
            mine = [get(e, summary) for e in run]
            return any(found for found, _, _ in mine), {signature: projected for _, signature, projected in mine}

        summed = list(run_values(entries, _RUNS, summed_up))
        broken = any(broke for broke, _ in summed)
        summaries = [get(e, summary) for e in entries] if broken else []
        shown = {signature: projected for _, projections in summed for signature, projected in projections.items()}
    else:
        summaries = [summary(e) for e in entries]
        broken = any(mine for mine, _, _ in summaries)
        shown = {signature: projected for _, signature, projected in summaries}
    for i, (mine, _, _) in enumerate(summaries) if broken else ():
        for (key, where), human in mine.items():
            found[(key, f".entry[{i}]{where}")] = human
    for key, expression, human in tree.keys:
        reduced = {**bundle, "entry": _entries_read(expression, entries, shown)} if entries else bundle
        single = Element(tree.path, tree.types, [(key, expression, human)])
        for (k, where), h in findings(single, reduced, reduced, "Bundle", label, "Bundle").items():
            found.setdefault((k, where), h)
    own = Element(tree.path, tree.types, [], {k: v for k, v in tree.under.items() if k != "entry"})
    for (key, where), human in findings(own, bundle, bundle, "Bundle", label, "Bundle").items():
        found.setdefault((key, where), human)
    return as_violations(found, label, "Bundle")
