"""What searchFilter may change in a search's answer (SLOT-FILTER-01 to 03): slots open to every consumer stay
offered when a consumer names its organisation, an unknown filter system changes nothing, and the slot
availability matching table. Pure: sets of offered slot keys (schedule, start, end) in, violations out; the
searches are harness/consumer/slot_search.py's and harness/consumer/filter_sweep.py's."""

from __future__ import annotations

from harness.checks.violations import Violation, violation

SlotKey = tuple[str, str, str]


def _slot_line(key: tuple[str, str, str]) -> str:
    sch, start, end = key
    return f"slot on Schedule {sch} {start} to {end}"


def withheld_open_slots(unfiltered: set, filtered: set) -> list[Violation]:
    """Slots offered to a consumer that sends no searchFilter must be offered when it names its organisation."""
    return [violation("SLOT-FILTER-01", _slot_line(k), "Bundle.entry", "offered with a searchFilter", "not offered",
                      f"{_slot_line(k)} is offered without a searchFilter but not with one")
            for k in sorted(unfiltered - filtered)]


def unknown_filter_differences(expected: set, got: set) -> list[Violation]:
    """A searchFilter of an unknown system changes nothing: the same slots either way."""
    rule = "SLOT-FILTER-02"
    return [violation(rule, _slot_line(k), "Bundle.entry", "offered", "not offered", f"{_slot_line(k)} is not offered "
                      "once the unknown searchFilter is added") for k in sorted(expected - got)] + \
        [violation(rule, _slot_line(k), "Bundle.entry", "not offered", "offered",
                   f"{_slot_line(k)} is offered only with the unknown searchFilter") for k in sorted(got - expected)]


def restriction_violations(org_type: str | None, ods_code: str | None, got: set, open_slots: set,
                           by_type: dict[str, set], by_code: dict[str, set],
                           restrictable_types: tuple[str, ...]) -> list[Violation]:
    """What the slot availability matching table says of a search as `org_type` and `ods_code`, judged
    against searches as each organisation type alone (`by_type`), each ODS code alone (`by_code`) and
    none (`open_slots`), all over the same window:

    - a slot offered to a type alone but not without a searchFilter is restricted to that type (and to no
      ODS code): withheld from a consumer naming an ODS code but no type; likewise a slot offered to an
      ODS code alone is withheld from a consumer naming a type but no ODS code;
    - no slot can be restricted to a type outside GPConnect-OrganisationType-1 (`restrictable_types`):
      such a type alone is offered the open slots only, and with an ODS code what that code alone is;
    - a consumer naming both is offered what either alone is.
    """
    rule, found = "SLOT-FILTER-03", []

    def offered(keys, why: str) -> None:
        found.extend(violation(rule, _slot_line(k), "Bundle.entry", "withheld", "offered", f"{_slot_line(k)} {why}")
                     for k in sorted(keys))

    if org_type and not ods_code:
        for code, seen in by_code.items():
            offered((seen - open_slots) & got, f"is restricted to ODS code {code} (offered to it alone, not without "
                                               f"a searchFilter) but is offered to organisation type {org_type} "
                                               "naming no ODS code")
        if org_type not in restrictable_types:
            offered(got - open_slots, f"is offered to organisation type {org_type}, which no slot can be restricted "
                                      "to (not in GPConnect-OrganisationType-1), but not without a searchFilter")
    elif ods_code and not org_type:
        for type_, seen in by_type.items():
            offered((seen - open_slots) & got, f"is restricted to organisation type {type_} (offered to it alone, "
                                               f"not without a searchFilter) but is offered to ODS code {ods_code} "
                                               "naming no organisation type")
    elif org_type and ods_code:
        alone = by_type.get(org_type, set()) | by_code.get(ods_code, set())
        found += [violation(rule, _slot_line(k), "Bundle.entry", "offered", "withheld",
                            f"{_slot_line(k)} is offered to organisation type {org_type} alone or to ODS code "
                            f"{ods_code} alone, but not to both together") for k in sorted(alone - got)]
        if org_type not in restrictable_types and ods_code in by_code:
            offered(got - by_code[ods_code], f"is offered to organisation type {org_type} with ODS code {ods_code} "
                                             f"but not to {ods_code} alone, though no slot can be restricted to "
                                             f"{org_type} (not in GPConnect-OrganisationType-1)")
    return found


def sweep_violations(offered: dict, org_type: str | None, ods_code: str | None,
                     restrictable_types: tuple[str, ...]) -> list[Violation]:
    """restriction_violations of a sweep's search as `org_type` and `ods_code`, from the slots each of the
    sweep's searches offered (filter_sweep.sweep_searches' keys: "result", "open", ("type", t), ("code", c))."""
    by_type = {k[1]: v for k, v in offered.items() if k[0] == "type"}
    by_code = {k[1]: v for k, v in offered.items() if k[0] == "code"}
    return restriction_violations(org_type, ods_code, offered["result"], offered["open"], by_type, by_code,
                                  restrictable_types)
