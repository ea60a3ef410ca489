"""The searchFilter sweeps: NHS's suite searches 14 days from today with only the schedule include, as
each of its organisation types and ODS codes, alone and in pairs. A real environment maps them to its own
(GPC_SEARCHFILTER_ORG_TYPES, GPC_SEARCHFILTER_ODS_CODES, in the same order). What the answers must be is
harness/checks/search_filters.py's."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Callable

from harness import clock
from harness.consumer.slot_search import INCLUDE_SCHEDULE, SlotSearch, Window, again, offered_keys
from harness.settings import ORG_TYPES
from harness.spec.constants import ODS_SYSTEM, ORG_TYPE_SYSTEM
from harness.spec.interactions import SEARCH_SLOTS
from harness.transport.client import GpConnectClient

NHS_FILTER_ORG_TYPES = ("urgent-care", "gp-practice", "oncology")
NHS_FILTER_ODS_CODES = ("A20047", "B81016", "M85015", "RNR01")
SWEEP_DAYS = 14


def sweep_window(today: date | None = None) -> Window:
    first = today or clock.today()
    return Window.days(first, first + timedelta(days=SWEEP_DAYS))


def filter_search(client: GpConnectClient, org_type: str | None, ods_code: str | None,
                  today: date | None = None) -> SlotSearch:
    """14 days from today with only the schedule include, as this organisation type and ODS code (either may
    be None: no searchFilter of that system). Identical requests are answered once (client reuse)."""
    window = sweep_window(today)
    params = window.params() + [("status", "free"), INCLUDE_SCHEDULE]
    if org_type:
        params.append(("searchFilter", f"{ORG_TYPE_SYSTEM}|{org_type}"))
    if ods_code:
        params.append(("searchFilter", f"{ODS_SYSTEM}|{ods_code}"))
    return SlotSearch(client.send(SEARCH_SLOTS, "Slot", params=params), window, (INCLUDE_SCHEDULE,),
                      (org_type, ods_code))




def sweep_searches(client: GpConnectClient, result: SlotSearch, codes: tuple[str, ...]) -> dict:
    """The searches a sweep's search is judged against (checks/search_filters.sweep_violations): as no
    searchFilter ("open"), as each organisation type a slot can be restricted to and as each of `codes` (the
    sweep's and the consumer's own ODS codes), ("type", t) and ("code", c); with both named, as each alone.
    Sent once each, then reused."""
    org_type, ods_code = result.searched_as
    types = (org_type,) if org_type and ods_code else ORG_TYPES
    codes = (ods_code,) if org_type and ods_code else tuple(dict.fromkeys(codes))
    searches = {"result": result, "open": filter_search(client, None, None)}
    if ods_code:
        searches.update({("type", t): filter_search(client, t, None) for t in types})
    if org_type:
        searches.update({("code", c): filter_search(client, None, c) for c in codes})
    return searches


def stable_offers(client: GpConnectClient, searches: dict, suspect: Callable[[dict], object]) -> dict:
    """The slot keys each search offered. When `suspect` finds something wrong in them, the suspicion is
    confirmed first: each search is sent again, fresh, and a slot two answers of one search disagree on (booked
    or freed by someone in between: another parallel worker, another user of the environment) is left out of
    every search's."""
    before = {k: offered_keys(s) for k, s in searches.items()}
    if not suspect(before):
        return before
    after = {k: offered_keys(again(client, s)) for k, s in searches.items()}
    unstable = set().union(*(before[k] ^ after[k] for k in searches))
    return {k: before[k] - unstable for k in searches}
