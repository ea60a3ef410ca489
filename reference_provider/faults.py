"""Named faults: each makes the reference provider break one GP Connect requirement.

The harness's own tests start the provider with a fault and check that the scenarios tagged
with that requirement fail. Names are stable; the value is (requirement id, what goes wrong).
"""

FAULTS: dict[str, tuple[str, str]] = {
    # Search for free slots
    "slot_missing_type": ("SLOT-TYPE-01", "one returned Slot has no serviceType"),
    "slot_type_blank": ("SLOT-TYPE-01", "one returned Slot has a serviceType whose text is empty"),
    "schedule_type_dropped": ("SLOT-SCHEDTYPE-01", "no Schedule carries its serviceCategory"),
    "schedule_comment": ("SLOT-NOCOMMENT-01", "every Schedule carries a comment"),
    "slot_specialty": ("SLOT-NOSPECIALTY-01", "every Slot carries a specialty"),
    "schedule_specialty": ("SLOT-NOSPECIALTY-01", "every Schedule carries a specialty"),
    "busy_slot_returned": ("SLOT-FREE-01", "busy slots are returned as well as free ones"),
    "slot_outside_window": ("SLOT-WINDOW-01", "slots that only overlap the window are returned"),
    "stray_schedule": ("SLOT-BUNDLE-01", "a Schedule no returned slot references is included"),
    "stray_location": ("SLOT-BUNDLE-01", "a Location no returned schedule references is included"),
    "organization_missing": ("SLOT-ORG-01", "the Organization is left out of the Bundle"),
    "organization_without_include": ("SLOT-ORG-01", "the Organization is returned only when its _include is sent"),
    "search_window_unlimited": ("SLOT-PARAM-01", "a search window over 14 days is answered with slots"),
    "search_end_before_start": ("SLOT-PARAM-02", "a window that ends before it starts is answered with slots"),
    "search_status_any": ("SLOT-PARAM-03", "a status other than free is accepted"),
    "search_missing_params": ("SLOT-PARAM-04", "a search without start, end or status is answered with slots"),
    "search_error_no_outcome": ("ERR-OO-01", "search errors come back as plain text, not an OperationOutcome"),
    "search_wrong_error_code": ("SLOT-PARAM-01", "an over-long window gives 400 BAD_REQUEST instead of 422"),
    "searchfilter_drops_open_slots": ("SLOT-FILTER-01", "with a searchFilter, open slots of a schedule that also has restricted slots are withheld"),
}


def check(names) -> list[str]:
    """The given names, or raise ValueError naming the first unknown one."""
    for name in names:
        if name not in FAULTS:
            raise ValueError(f"unknown fault '{name}'; known: {', '.join(sorted(FAULTS))}")
    return list(names)
