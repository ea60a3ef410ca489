"""The exploration's searches: a window of one or two days (sometimes within hours, over exactly 14 days,
from a date to a date-time, with fewer includes, or ending before it starts), and a day, a window holding
it and the day again (the wider search offers what both searches of the day offer, SLOT-COMPLETE-01)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from harness import clock
from harness.checks import slot_search as search_checks
from harness.checks.violations import violation
from harness.consumer import discovery
from harness.consumer import slot_search as ss
from harness.explore import expectations
from harness.explore.session import Step
from harness.judge import search_relations as relations
from harness.spec import interactions as ix
from harness.spec.constants import UK

if TYPE_CHECKING:
    from harness.explore.operations import Explorer

# The includes a search sends: every one mostly, sometimes one left out or all but the schedule's (which the
# exploration needs to know each slot's schedule).
SEARCH_INCLUDES = {"every include": ss.EVERY_INCLUDE,
                   "the schedule include only": (ss.INCLUDE_SCHEDULE,),
                   "no practitioner include": (ss.INCLUDE_SCHEDULE, ss.INCLUDE_LOCATION, ss.INCLUDE_ORGANIZATION),
                   "no location include": (ss.INCLUDE_SCHEDULE, ss.INCLUDE_PRACTITIONER),
                   "no organisation include": (ss.INCLUDE_SCHEDULE, ss.INCLUDE_PRACTITIONER, ss.INCLUDE_LOCATION)}
INCLUDE_WEIGHTS = ("every include",) * 4 + tuple(k for k in SEARCH_INCLUDES if k != "every include")
# A search covers whole days mostly, sometimes from and to a time inside a session (a slot may only overlap it).
# A search that ends before it starts must be refused (SLOT-PARAM-02).
# Two more a provider must answer: exactly 14 days (the longest window), and a date start with a date-time end
# (each format the spec allows); their slots are judged but not booked, so that sequences keep meeting.
HOURS_WEIGHTS = ("whole days",) * 8 + ("09:05 to 16:55", "12:00 back to 09:00", "exactly 14 days",
                                      "from a date to a date-time")
BACKWARDS = "12:00 back to 09:00"
PROBES = ("exactly 14 days", "from a date to a date-time")


class _MixedWindow(ss.Window):
    """A window whose start is a date and whose end a date-time."""

    def params(self) -> list[tuple[str, str]]:
        return [("start", "ge" + self.start.date().isoformat()), ("end", "le" + self.end.isoformat(timespec="seconds"))]

    def describe(self) -> str:
        return f"{self.start.date().isoformat()} to {self.end.isoformat(timespec='seconds')}"


SEARCH_SPAN = 2  # days a search covers at most: narrow windows make operations meet on the same slots
EXPLORED_DAYS = 3  # searches fall in the first days of the search window, so sequences meet on the same slots


def search(explorer: Explorer, step: Step, first: int, days: int, includes: str = "every include",
            hours: str = "whole days") -> list:
    tomorrow = clock.today() + timedelta(days=1)
    span = max(explorer.settings.search_days, 1)
    start = tomorrow + timedelta(days=first % min(span, EXPLORED_DAYS))
    end = min(start + timedelta(days=(days - 1) % SEARCH_SPAN), tomorrow + timedelta(days=span - 1))
    window = ss.Window.days(start, end)
    if hours == "exactly 14 days":
        window = ss.Window.times(datetime.combine(start, datetime.min.time(), UK),
                                 datetime.combine(start + timedelta(days=14), datetime.min.time(), UK))
    elif hours == "from a date to a date-time":
        window = _MixedWindow.times(datetime.combine(start, datetime.min.time(), UK),
                                    datetime.combine(end, datetime.strptime("17:00", "%H:%M").time(), UK))
    elif hours != "whole days":
        since, until = (datetime.strptime(t, "%H:%M").time() for t in hours.replace(" back", "").split(" to "))
        window = ss.Window.times(datetime.combine(start, since, UK),
                                 datetime.combine(start if hours == BACKWARDS else end, until, UK))
    expected = expectations.Expected(f"searching {window.describe()}", 200, ix.SEARCH_SLOTS.requirement,
                                     ("SLOT-PARAM-02",) if hours == BACKWARDS else ())
    explorer.send(expected, ix.SEARCH_SLOTS)
    ex = ss.search(explorer.client, explorer.settings, window, SEARCH_INCLUDES[includes]).exchange
    found = [(ex.short_request(), v) for v in expected.judge(ex)]
    if ex.status == 200 and expected.valid:
        found += [(ex.short_request(), v) for v in search_checks.searchset_violations(ex)]
    if ex.status is not None and 400 <= ex.status < 500 and len(SEARCH_INCLUDES[includes]) > 1 and expected.valid:
        found.append((ex.short_request(), violation(
            "SLOT-INCLUDE-01", "response", "HTTP status", "200", str(ex.status),
            f"a search with {', '.join(v for _, v in SEARCH_INCLUDES[includes])} must be answered, got HTTP "
            f"{ex.status}")))
    offered = discovery.offered(ex) if ex.status == 200 else ()
    step.line = (f"search {window.describe()}" + ("" if includes == "every include" else f" with {includes}")
                 + f": HTTP {ex.status}, {len(offered)} free slots")
    if not expected.valid:
        step.line = f"search {window.describe()}, which ends before it starts: {expected.describe()}; HTTP {ex.status}"
        return found
    if hours in PROBES:
        return found + [(ex.short_request(), v)
                        for v in expectations.offered_while_held(offered, expectations.held(explorer.model))]
    days_searched = {start + timedelta(days=i) for i in range((end - start).days + 1)}
    explorer.free = {k: s for k, s in explorer.free.items() if s.start.astimezone(UK).date() not in days_searched}
    holding = expectations.held(explorer.model)
    explorer.free.update({s.id: s for s in offered if s.id not in holding and discovery._bookable(s)})
    return found + [(ex.short_request(), v) for v in expectations.offered_while_held(offered, holding)]

def nested_search(explorer: Explorer, step: Step, first: int, days: int, position: int) -> list:
    """A day searched, then a window of `days` days holding it (the day at `position` in it), then the day
    again: the wider search offers every slot both searches of the day offer (SLOT-COMPLETE-01)."""
    tomorrow = clock.today() + timedelta(days=1)
    last = tomorrow + timedelta(days=max(explorer.settings.search_days, 1) - 1)
    start = tomorrow + timedelta(days=first % max(min(explorer.settings.search_days, EXPLORED_DAYS), 1))
    end = min(start + timedelta(days=days - 1), last)
    day = start + timedelta(days=position % ((end - start).days + 1))
    narrow, wide = ss.Window.days(day, day), ss.Window.days(start, end)
    answers = []
    for window in (narrow, wide, narrow):
        expected = expectations.Expected(f"searching {window.describe()}", 200, ix.SEARCH_SLOTS.requirement)
        explorer.send(expected, ix.SEARCH_SLOTS)
        explorer.session.exercised.add(relations.RULE)
        ex = ss.search(explorer.client, explorer.settings, window).exchange
        if ex.status != 200:
            step.line = f"search {day}, then {wide.describe()}: HTTP {ex.status} {window.describe()}"
            return [(ex.short_request(), v) for v in expected.judge(ex)]
        answers.append((ex, discovery.offered(ex)))
    (_, before), (wider, offered), (_, after) = answers
    step.line = (f"search {day} ({len(before)} free slots), then {wide.describe()} ({len(offered)}), "
                 f"then {day} again ({len(after)})")
    return [(wider.short_request(), v)
            for v in relations.missing_from(offered, wide, before, after, f"the search of {day}")]
