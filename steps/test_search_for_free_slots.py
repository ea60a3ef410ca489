"""Steps for features/search_for_free_slots.feature."""

from __future__ import annotations

from datetime import timedelta

from pytest_bdd import parsers, scenarios, then, when

from harness import clock
from harness.checks import readback as readback_checks
from harness.checks import search_content
from harness.checks import search_filters as filters
from harness.checks import slot_search as search_checks
from harness.checks.profiles import resources_in
from harness.checks.violations import fail_if_any, status_violations
from harness.consumer import discovery, readback
from harness.consumer import filter_sweep as sweeps
from harness.consumer import slot_search as ss
from harness.errors import MissingTestData
from harness.judge import restrictions
from harness.judge import search_relations as relations
from harness.settings import ORG_TYPES
from harness.spec.constants import UK, UNKNOWN_FILTER_SYSTEM
from harness.spec.interactions import SEARCH_SLOTS
from steps.common.appointment_steps import choose_free, held_by_other_workers, window_offering

scenarios("search_for_free_slots.feature")

INCLUDE_SETS = {
    "every include": ss.EVERY_INCLUDE,
    "only the schedule include": (ss.INCLUDE_SCHEDULE,),
    "the schedule and practitioner includes": (ss.INCLUDE_SCHEDULE, ss.INCLUDE_PRACTITIONER),
    "the schedule and location includes": (ss.INCLUDE_SCHEDULE, ss.INCLUDE_LOCATION),
}
INCLUDE_NAMES = "|".join(INCLUDE_SETS)


def _with_slots(result: ss.SlotSearch) -> ss.SlotSearch:
    if not result.slots:
        raise MissingTestData(f"no free slots offered {result.window.describe()}")
    return result


@when(parsers.re(rf"the consumer searches for free slots over the search window with (?P<includes>{INCLUDE_NAMES})$"),
      target_fixture="slot_search")
def search_window(gp_connect, settings, includes):
    return ss.search(gp_connect, settings, ss.default_window(settings), INCLUDE_SETS[includes])


@when("the consumer searches for free slots over the search window without a searchFilter",
      target_fixture="unfiltered_search")
def search_unfiltered(gp_connect, settings):
    return ss.search(gp_connect, settings, ss.default_window(settings), filters=False)


@when("the consumer searches for free slots over the search window adding a searchFilter of an unknown system",
      target_fixture="unknown_filter_search")
def search_unknown_filter(gp_connect, settings):
    window = ss.default_window(settings)
    params = ss.search_params(settings, window) + [("searchFilter", f"{UNKNOWN_FILTER_SYSTEM}|Dx0123")]
    return ss.SlotSearch(gp_connect.send(SEARCH_SLOTS, "Slot", params=params), window)


@when("the consumer searches for free slots between times that fall inside sessions", target_fixture="slot_search")
def search_cutting(gp_connect, settings):
    return ss.search(gp_connect, settings, ss.cutting_window(settings))


@when("the consumer searches each day of the search window alone, then the whole window",
      target_fixture="nested_searches")
def search_days_and_window(gp_connect, settings):
    window = ss.default_window(settings)
    days = [window.start.date() + timedelta(days=i) for i in range((window.end.date() - window.start.date()).days + 1)]
    before = [ss.search(gp_connect, settings, ss.Window.days(d, d)) for d in days]
    return ss.search(gp_connect, settings, window, fresh=True), list(zip(days, before))


@when("the consumer searches a day that offers free slots, then between two times in it",
      target_fixture="nested_searches")
def search_day_and_times_in_it(gp_connect, settings):
    def day_of_three(slots, window):
        days: dict = {}
        for slot in slots:
            days.setdefault(slot.start.astimezone(UK).date(), []).append(slot)
        found = next((d for d, mine in sorted(days.items()) if len(mine) >= 3), None)
        return discovery.require(found, "a day with three free slots or more", window)

    chosen = choose_free(gp_connect, settings, "a day of three free slots", day_of_three)
    day = ss.Window.days(chosen, chosen)
    before = ss.search(gp_connect, settings, day)
    slots = sorted(discovery.offered(before.exchange), key=lambda s: (s.start, s.end))
    if len(slots) < 3:
        raise MissingTestData(f"a day with three free slots or more to search between two times in it; "
                              f"{day.describe()} offers {len(slots)}")
    # After the day's first slot starts and before its last ends: a window whose ends fall inside the day.
    start = slots[len(slots) // 3].start - timedelta(minutes=1)
    end = slots[2 * len(slots) // 3].end + timedelta(minutes=1)
    between = ss.Window.times(max(start, slots[0].start + timedelta(minutes=1)), end)
    return ss.search(gp_connect, settings, between, fresh=True), [(day.start.date(), before)]


@then(parsers.re(r"the (?:whole window|search between those times) offers every slot inside it that the search of "
                 r"(?:its|the) day offers before and after it"))
def wider_offers_every_slot(gp_connect, settings, nested_searches):
    wider, days = nested_searches
    offered = discovery.offered(wider.exchange)
    theirs = held_by_other_workers(gp_connect, settings)
    found = []
    for day, before in days:
        earlier = [s for s in discovery.offered(before.exchange) if s.id not in theirs]
        if relations.missing_from(offered, wider.window, earlier, earlier, f"the search of {day}"):
            # A slot missing is confirmed: the day is searched again, fresh, and only slots both answers offer count.
            later = discovery.offered(ss.again(gp_connect, before).exchange)
            found += relations.missing_from(offered, wider.window, earlier, later, f"the search of {day}")
    fail_if_any(found, wider.exchange.short_request())


@when(parsers.parse("the consumer searches for free slots over a window of {days:d} days"), target_fixture="response")
def search_too_long(gp_connect, settings, days):
    first = clock.today() + timedelta(days=1)
    window = ss.Window.days(first, first + timedelta(days=days))
    return gp_connect.send(SEARCH_SLOTS, "Slot", params=ss.search_params(settings, window))


@when(parsers.re(r"the consumer searches for free slots over 3 days from today with start prefix (?P<start>[a-z]{2}) "
                 r"and end prefix (?P<end>[a-z]{2})"), target_fixture="response")
def search_with_prefixes(gp_connect, settings, start, end):
    today = clock.today()
    params = ss.replaced(ss.search_params(settings, ss.Window.days(today, today + timedelta(days=3))),
                         start=f"{start}{today}", end=f"{end}{today + timedelta(days=3)}")
    return gp_connect.send(SEARCH_SLOTS, "Slot", params=params)


@when(parsers.re(r'the consumer searches for free slots over 3 days with (?P<parameter>start|end) '
                 r'set to "(?P<value>[^"]*)"'),
      target_fixture="response")
def search_with_value(gp_connect, settings, parameter, value):
    today = clock.today()
    params = ss.replaced(ss.search_params(settings, ss.Window.days(today, today + timedelta(days=3))),
                         **{parameter: value})
    return gp_connect.send(SEARCH_SLOTS, "Slot", params=params)


@when("the consumer searches for free slots over a window that ends the day before it starts",
      target_fixture="response")
def search_backwards(gp_connect, settings):
    first = clock.today() + timedelta(days=2)
    window = ss.Window.days(first, first - timedelta(days=1))
    return gp_connect.send(SEARCH_SLOTS, "Slot", params=ss.search_params(settings, window))


@when("the consumer searches for free slots between 03:00 and 03:01 tomorrow", target_fixture="response")
def search_empty(gp_connect, settings):
    return gp_connect.send(SEARCH_SLOTS, "Slot", params=ss.search_params(settings, ss.empty_window()))


@then("the provider answers 200 with a searchset Bundle holding no Slot")
def empty_searchset(response):
    fail_if_any(search_checks.empty_search_violations(response), response.short_request())


@when("the consumer searches for busy slots", target_fixture="response")
def search_busy(gp_connect, settings):
    params = ss.search_params(settings, ss.default_window(settings), status="busy")
    return gp_connect.send(SEARCH_SLOTS, "Slot", params=params)


@when(parsers.re(r"the consumer searches for free slots without the (?P<parameter>start and end|start|end|status) "
                 r"parameter"), target_fixture="response")
def search_without(gp_connect, settings, parameter):
    left_out = parameter.split(" and ")
    params = [p for p in ss.search_params(settings, ss.default_window(settings)) if p[0] not in left_out]
    return gp_connect.send(SEARCH_SLOTS, "Slot", params=params)


@when("the consumer searches for free slots without the Slot:schedule include", target_fixture="response")
def search_without_schedule_include(gp_connect, settings):
    includes = [i for i in ss.EVERY_INCLUDE if i != ss.INCLUDE_SCHEDULE]
    return gp_connect.send(SEARCH_SLOTS, "Slot",
                           params=ss.search_params(settings, ss.default_window(settings), includes))


@then("the response is a searchset Bundle")
def searchset_bundle(slot_search):
    slot_search.require_searchset()


@then("every returned Slot has a slot type")
def every_slot_typed(slot_search):
    result = _with_slots(slot_search)
    fail_if_any(search_checks.slots_without_type(result.slots), result.where)


@then("the returned Schedules carry schedule types as this environment declares")
def schedules_typed(slot_search, settings):
    result = _with_slots(slot_search)
    fail_if_any(search_checks.schedule_type_violations(result.schedules, settings.schedule_types), result.where)


@then("every schedule the practice declares typed is returned, each with its schedule type")
def declared_typed(slot_search, settings):
    if not settings.typed_schedules:
        raise MissingTestData("declare the schedules the practice has given a schedule type in GPC_TYPED_SCHEDULES "
                              "(README, \"Pointing it at a real provider\"); without them a schedule type withheld "
                              "from one schedule cannot be told from one never given")
    result = _with_slots(slot_search)
    returned = set().union(*(search_checks.schedule_names(s) for s in result.schedules))
    missing = [n for n in settings.typed_schedules if n not in returned]
    if missing:
        raise MissingTestData(f"no free slot of the declared typed schedule{'s' * (len(missing) > 1)} "
                              f"{', '.join(missing)} is offered {result.window.describe()}")
    fail_if_any(search_checks.declared_type_violations(result.schedules, settings.typed_schedules), result.where)


@then(parsers.re(r"no returned Slot or Schedule has a (?P<element>comment|specialty)"))
def no_element(slot_search, element):
    result = _with_slots(slot_search)
    fail_if_any(search_checks.forbidden_element_violations(result.slots + result.schedules, element), result.where)


@then("every returned Slot is free")
def every_slot_free(slot_search):
    result = _with_slots(slot_search)
    fail_if_any(search_checks.non_free_slots(result.slots), result.where)


@then("every returned Slot lies fully inside the search window")
def every_slot_inside(slot_search):
    result = _with_slots(slot_search)
    fail_if_any(search_checks.slots_outside(result.slots, result.window), result.where)


@then("the Bundle holds only the Schedules, Practitioners, Locations and Organization the returned slots reference")
def only_referenced(slot_search, settings):
    result = _with_slots(slot_search)
    fail_if_any(search_checks.unreferenced_resources(result.index, settings.provider_ods_code), result.where)


@then("the Organization is present because slots were returned")
def organization_present(slot_search):
    result = _with_slots(slot_search)
    fail_if_any(search_checks.organization_violations(result.index), result.where)


# Two searches compared moments apart: a slot anyone books or frees in between (another parallel worker,
# another user of a shared environment) must not be blamed on the provider. The slots the run's other
# workers hold are left out of every comparison. What still looks wrong is confirmed: the first search is
# sent again after the second (ss.again), and only what both of its answers agree on is held against it.
# A provider that looks right costs no extra request.

def _theirs(gp_connect, settings, *searches) -> set:
    """The keys of the slots in these answers that the run's other parallel workers hold."""
    return ss.keys_of_ids(searches, held_by_other_workers(gp_connect, settings))


@then("every slot offered without a searchFilter is offered with one too")
def filter_keeps_open_slots(gp_connect, settings, unfiltered_search, slot_search):
    open_slots = ss.slot_keys(_with_slots(unfiltered_search)) - _theirs(gp_connect, settings, unfiltered_search)
    offered = ss.slot_keys(slot_search)
    if filters.withheld_open_slots(open_slots, offered):
        again = _with_slots(ss.again(gp_connect, unfiltered_search))
        open_slots &= ss.slot_keys(again)
        open_slots -= _theirs(gp_connect, settings, unfiltered_search, slot_search, again)
    fail_if_any(filters.withheld_open_slots(open_slots, offered), slot_search.where)


@then("the same slots are offered with the unknown searchFilter as without it")
def unknown_filter_ignored(gp_connect, settings, slot_search, unknown_filter_search):
    fail_if_any(status_violations(unknown_filter_search.exchange, 200, "SLOT-FILTER-02"), unknown_filter_search.where)
    theirs = _theirs(gp_connect, settings, _with_slots(slot_search), unknown_filter_search)
    before, got = ss.slot_keys(slot_search) - theirs, ss.slot_keys(unknown_filter_search) - theirs
    if not filters.unknown_filter_differences(before, got):
        return
    again = _with_slots(ss.again(gp_connect, slot_search))
    theirs |= _theirs(gp_connect, settings, slot_search, unknown_filter_search, again)
    before, got, after = before - theirs, got - theirs, ss.slot_keys(again) - theirs
    missing = [v for v in filters.unknown_filter_differences(before & after, got) if v.expected == "offered"]
    extra = [v for v in filters.unknown_filter_differences(before | after, got) if v.expected == "not offered"]
    fail_if_any(missing + extra, unknown_filter_search.where)


@then("the provider answers 200 with a searchset Bundle")
def answered_searchset(response):
    fail_if_any(search_checks.searchset_violations(response), response.short_request())


@when(parsers.re(r"the consumer searches for free slots from now for 3 days with start as (?P<start>.+) "
                 r"and end as (?P<end>.+)"), target_fixture="response")
def search_formatted(gp_connect, settings, start, end):
    return gp_connect.send(SEARCH_SLOTS, "Slot", params=ss.formatted_params(settings, start, end))


@then("the Bundle holds at least one Slot, each with its Schedule")
def slots_with_schedules(slot_search):
    result = _with_slots(slot_search)
    fail_if_any(search_checks.missing_schedules(result.index), result.where)


@then("every returned resource is populated as the slot search requires")
def resources_populated(slot_search):
    result = _with_slots(slot_search)
    fail_if_any(search_content.content_violations(result.exchange.json(), result.exchange.url), result.where)


@then("each returned Location's managing organisation reads back as an Organization")
def managing_organizations_read_back(gp_connect, slot_search):
    result = _with_slots(slot_search)
    reads = readback.managing_organizations(gp_connect, resources_in(result.exchange.json()))
    fail_if_any(readback_checks.read_back_violations(reads, "SLOT-LOC-03"), result.where)


@when(parsers.re(r"the consumer searches for free slots over a day offering some, "
                 r"sending Content-Type (?P<content>\S+), "
                 r"Accept (?P<accept>\S+) and _format (?P<fmt>\S+)"), target_fixture="slot_search")
def search_with_formats(gp_connect, settings, content, accept, fmt):
    window = window_offering(gp_connect, settings)  # what is checked is the format, of an answer with slots
    params = ss.search_params(settings, window) + ([("_format", fmt)] if fmt != "none" else [])
    exchange = gp_connect.send(SEARCH_SLOTS, "Slot", params=params, headers={"Content-Type": content, "Accept": accept})
    return ss.SlotSearch(exchange, window)


def _mapped(value: str, nhs_values: tuple[str, ...], configured: tuple[str, ...]) -> str | None:
    """NHS's organisation type or ODS code as this environment maps it; None for 'none'."""
    return None if value == "none" else configured[nhs_values.index(value)]


@when(parsers.re(r"the consumer searches for free slots over 14 days from today as organisation type (?P<org_type>\S+) "
                 r"and ODS code (?P<ods_code>\S+)"), target_fixture="slot_search")
def search_as(gp_connect, settings, org_type, ods_code):
    org_type = _mapped(org_type, sweeps.NHS_FILTER_ORG_TYPES, settings.searchfilter_org_types)
    ods_code = _mapped(ods_code, sweeps.NHS_FILTER_ODS_CODES, settings.searchfilter_ods_codes)
    return sweeps.filter_search(gp_connect, org_type, ods_code)


@then("every slot offered without a searchFilter is offered to this consumer too")
def open_slots_offered(gp_connect, settings, slot_search):
    unfiltered = sweeps.filter_search(gp_connect, None, None)
    open_slots = ss.offered_keys(unfiltered)
    if not open_slots:
        raise MissingTestData(f"no free slot open to every consumer {unfiltered.window.describe()}")
    open_slots = open_slots - _theirs(gp_connect, settings, unfiltered, slot_search)
    offered = ss.offered_keys(slot_search)
    if filters.withheld_open_slots(open_slots, offered):
        again = ss.again(gp_connect, slot_search)
        offered = offered | ss.offered_keys(again)
        open_slots = open_slots - _theirs(gp_connect, settings, unfiltered, slot_search, again)
    fail_if_any(filters.withheld_open_slots(open_slots, offered), slot_search.where)


@when("the consumer searches for free slots over 14 days from today without a searchFilter, then as each "
      "organisation type and each ODS code of the sweep", target_fixture="sweep_searches")
def sweep(gp_connect, settings):
    if not settings.restricted_slots:
        raise MissingTestData("declare the slots the practice restricts in GPC_RESTRICTED_SLOTS (README, "
                              "\"Pointing it at a real provider\"); without them a leak cannot be told from none")
    codes = tuple(dict.fromkeys((*settings.searchfilter_ods_codes, settings.consumer_ods_code)))
    return ([sweeps.filter_search(gp_connect, None, None)]
            + [sweeps.filter_search(gp_connect, t, None) for t in ORG_TYPES]
            + [sweeps.filter_search(gp_connect, None, c) for c in codes])


@then("no slot the practice declares restricted is offered to a consumer it is not open to")
def declared_restrictions_kept(settings, sweep_searches):
    found, seen = restrictions.leaks(sweep_searches, settings.restricted_slots)
    if not seen and not found:
        raise MissingTestData("none of the slots GPC_RESTRICTED_SLOTS declares is offered to any consumer searched as "
                              f"({len(settings.restricted_slots)} declared)")
    fail_if_any(found, sweep_searches[0].where)


@then("slots restricted to organisations this consumer is not are withheld")
def restricted_slots_withheld(gp_connect, settings, slot_search):
    codes = (*settings.searchfilter_ods_codes, settings.consumer_ods_code)
    searches = sweeps.sweep_searches(gp_connect, slot_search, codes)

    def judged(offered):
        return filters.sweep_violations(offered, *slot_search.searched_as, ORG_TYPES)

    fail_if_any(judged(sweeps.stable_offers(gp_connect, searches, judged)), slot_search.where)
