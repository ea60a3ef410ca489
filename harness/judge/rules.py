"""Rules that hold for every response, each with the requirement it checks (harness/judge/registry.py registers
them and judges an exchange by every rule that applies).

A broken rule fails the step that made the exchange; a rule whose requirement is advisory (SHOULD, MAY, NHS
expectation) fails only the scenarios tagged with that requirement (the oracle leaves it out elsewhere), so one
advisory finding does not fail a whole run. A body that is not FHIR JSON or does not parse is left to the
scenario that made the request: its own step names that failure.
"""

from __future__ import annotations

from datetime import date, datetime

from harness.checks import appointment_content, refusals, search_content
from harness.checks import appointments as appt_checks
from harness.checks import bookings as booking_checks
from harness.checks import retrieved as retrieve_checks
from harness.checks import slot_search as search_checks
from harness.checks.foundations import (
    cache_control_violations,
    content_type_violations,
)
from harness.checks.profiles import (
    bundle_violations,
    meta_violations,
    resource_violations,
    single_profile_violations,
)
from harness.checks.violations import Violation
from harness.consumer import slot_search
from harness.judge.registry import ANY, REFUSAL, RULES, SUCCESS, Answer, Observed, Rule, check, rule
from harness.judge.run_model import request_json
from harness.spec import interactions as ix
from harness.spec.constants import UK
from harness.spec.requirements import SLOT_TYPE, requirements_of_kind, type_requirements, typed_interactions

__all__ = ["ANY", "REFUSAL", "RULES", "SUCCESS", "Answer", "Observed", "Rule", "check", "rule"]

# The interactions returning Appointments: each has its slot-type requirement (spec/requirements.csv).
APPOINTMENT_INTERACTIONS = typed_interactions()
NOT_METADATA = tuple(i.name for i in ix.ALL if i is not ix.METADATA)


# ---------------------------------------------------------------- every response

@rule("no-store on every response", "FND-CACHE-01", when=ANY)
def _(seen: Observed) -> list[Violation]:
    return cache_control_violations(seen.exchange)


@rule("FHIR JSON on every response", "FND-FMT-01", when=ANY)
def _(seen: Observed) -> list[Violation]:
    return content_type_violations(seen.exchange)


@rule("every refusal carries an OperationOutcome", "ERR-OO-01", NOT_METADATA, when=REFUSAL)
def _(seen: Observed) -> list[Violation]:
    return refusals.outcome_present_violations(seen.body, seen.exchange.status)


@rule("every refusal's OperationOutcome meets GPConnect-OperationOutcome-1",
      (refusals.SPINE_CODING, refusals.SEVERITY, refusals.OUTCOME_PROFILE, refusals.DIAGNOSTICS), when=REFUSAL)
def _(seen: Observed) -> list[Violation]:
    body = seen.body
    if not isinstance(body, dict) or body.get("resourceType") != "OperationOutcome":
        return []  # a refusal without one is named by the scenario that asked for it (ERR-OO-01)
    return refusals.outcome_violations(body, seen.exchange.status)


@rule("meta.profile and meta.versionId on every returned resource", "FND-META-01", NOT_METADATA, each=True)
def _(resource: dict) -> list[Violation]:
    return meta_violations(resource)


@rule("meta.profile holds only the resource's GP Connect profile", "FND-META-02", NOT_METADATA, each=True)
def _(resource: dict) -> list[Violation]:
    return single_profile_violations(resource)


@rule("every returned resource meets its GP Connect profile, UK times and local references",
      ("FND-PROFILE-01", "FND-TIME-01", "FND-REF-01"), NOT_METADATA, each=True)
def _(resource: dict) -> list[Violation]:
    return resource_violations(resource)


@rule("every searchset Bundle meets its profile's invariants", "FND-PROFILE-01", NOT_METADATA, reads=())
def _(seen: Answer) -> list[Violation]:
    return bundle_violations(seen.body)


# ---------------------------------------------------------------- search for free slots

SEARCH = (ix.SEARCH_SLOTS.name,)


def _slots(seen: Answer) -> list:
    return seen.index.of_type("Slot") if seen.index else []


def _schedules(seen: Answer) -> list:
    return seen.index.of_type("Schedule") if seen.index else []


@rule("every returned Slot carries its slot type", "SLOT-TYPE-01", SEARCH, reads=())
def _(seen: Answer) -> list[Violation]:
    return search_checks.slots_without_type(_slots(seen))


@rule("every returned Slot's Schedule is in the Bundle", "SLOT-SCHEDREF-01", SEARCH, reads=("_include",))
def _(seen: Answer) -> list[Violation]:
    if seen.index is None or "Slot:schedule" not in seen.values("_include"):
        return []
    return search_checks.missing_schedules(seen.index)


@rule("returned slots are free", "SLOT-FREE-01", SEARCH, reads=())
def _(seen: Answer) -> list[Violation]:
    return search_checks.non_free_slots(_slots(seen))


@rule("returned slots lie wholly inside the window", "SLOT-WINDOW-01", SEARCH, reads=("start", "end"))
def _(seen: Answer) -> list[Violation]:
    window = _window(seen)
    return search_checks.slots_outside(_slots(seen), window) if window else []


def _window(seen: Answer) -> slot_search.Window | None:
    starts, ends = seen.values("start"), seen.values("end")
    if len(starts) != 1 or len(ends) != 1 or not starts[0].startswith("ge") or not ends[0].startswith("le"):
        return None
    try:
        if len(starts[0]) == 12 and len(ends[0]) == 12:
            return slot_search.Window.days(date.fromisoformat(starts[0][2:]), date.fromisoformat(ends[0][2:]))
        start, end = datetime.fromisoformat(starts[0][2:]), datetime.fromisoformat(ends[0][2:])
    except ValueError:
        return None
    if start.tzinfo is None or end.tzinfo is None:
        return None
    return slot_search.Window.times(start.astimezone(UK), end.astimezone(UK))


@rule("no Slot or Schedule carries a specialty", "SLOT-NOSPECIALTY-01", SEARCH, reads=())
def _(seen: Answer) -> list[Violation]:
    return search_checks.forbidden_element_violations(_slots(seen) + _schedules(seen), "specialty")


@rule("schedule types as the practice has them", "SLOT-SCHEDTYPE-01", SEARCH, reads=())
def _(seen: Answer) -> list[Violation]:
    # "some" is judged over the whole practice by its own scenario: one narrow search may see no typed schedule.
    mode = seen.settings.schedule_types
    return (search_checks.schedule_type_violations(_schedules(seen), mode) if mode != "some" else []) + \
        search_checks.declared_type_violations(_schedules(seen), seen.settings.typed_schedules)


@rule("only resources the returned slots lead to", "SLOT-BUNDLE-01", SEARCH, reads=())
def _(seen: Answer) -> list[Violation]:
    return search_checks.unreferenced_resources(seen.index, seen.settings.provider_ods_code) if seen.index else []


@rule("the Organization with any slot, each Location's organisation resolvable", "SLOT-ORG-01", SEARCH, reads=())
def _(seen: Answer) -> list[Violation]:
    return search_checks.organization_violations(seen.index) if seen.index else []


@rule("Practitioners and Locations only where their _include was sent", "SLOT-INCLUDE-02", SEARCH,
      reads=("_include:recurse",))
def _(seen: Answer) -> list[Violation]:
    return search_content.uninvited_actor_violations(seen.resources, set(seen.values("_include:recurse")))


@rule("every Schedule's requested actors are in the Bundle", "SLOT-INCLUDE-03", SEARCH, reads=("_include:recurse",))
def _(seen: Answer) -> list[Violation]:
    return search_content.included_actor_violations(seen.resources, set(seen.values("_include:recurse")))


# Slot search rules on each returned resource alone, each a slot_search check of a list of resources, asked only of
# the resources of the types it reads (None: every type): a hub's 30,000 Slots skip the checks of other types.
for _name, _requirements, _check, _types in (
        ("every returned Schedule references its Location", "SLOT-SCHEDLOC-01",
         search_content.schedule_location_violations, ("Schedule",)),
        ("every resource of a slot search has its id", "SLOT-ID-01", search_content.missing_ids, None),
        ("every returned Slot and Schedule has at most one identifier", "SLOT-IDENT-01",
         search_content.identifier_count_violations, ("Slot", "Schedule")),
        ("every returned Schedule carries one practitioner role", "SLOT-SCHEDROLE-01",
         search_content.schedule_role_violations, ("Schedule",)),
        ("returned Practitioners as Read a practitioner populates them", ("SLOT-PRACT-01", "SLOT-PRACT-02"),
         search_content.practitioner_violations, ("Practitioner",)),
        ("returned Locations as Read a location populates them", ("SLOT-LOC-01", "SLOT-LOC-02"),
         search_content.location_violations, ("Location",)),
        ("returned Organizations as Read an organisation populates them", ("SLOT-ORG-02", "SLOT-ORG-03"),
         search_content.organization_content_violations, ("Organization",))):
    rule(_name, _requirements, SEARCH, each=True)(
        lambda resource, check=_check, types=_types: check([resource]) if types is None or (
            isinstance(resource, dict) and resource.get("resourceType") in types) else [])


# ---------------------------------------------------------------- appointments, wherever they are returned


@rule("no returned Appointment carries reason or specialty", "APPT-NOREASON-01", APPOINTMENT_INTERACTIONS, reads=())
def _(seen: Answer) -> list[Violation]:
    return [v for a in seen.appointments() for v in appointment_content.no_reason_violations(a)]


@rule("every returned Appointment has its id", "APPT-ID-01", APPOINTMENT_INTERACTIONS, reads=())
def _(seen: Answer) -> list[Violation]:
    return [v for a in seen.appointments() for v in appointment_content.id_violations(a)]


@rule("every returned Appointment carries created", "APPT-CREATED-01", APPOINTMENT_INTERACTIONS, reads=())
def _(seen: Answer) -> list[Violation]:
    return [v for a in seen.appointments() for v in appointment_content.created_violations(a)]


@rule("every returned Appointment starts today or later", "APPT-FUTURE-01", APPOINTMENT_INTERACTIONS)
def _(seen: Observed) -> list[Violation]:
    return [v for a in seen.appointments() for v in appointment_content.future_violations(a)]


@rule("every returned Appointment's booking organisation has id, name and telecom", "APPT-ORG-01",
      APPOINTMENT_INTERACTIONS, reads=())
def _(seen: Answer) -> list[Violation]:
    return [v for a in seen.appointments() for v in appointment_content.booking_org_violations(a)]


@rule("every returned Appointment has Patient and Location participants, relative actors, one type coding",
      "APPT-PARTICIPANT-01", APPOINTMENT_INTERACTIONS, reads=())
def _(seen: Answer) -> list[Violation]:
    return [v for a in seen.appointments() for v in appointment_content.participant_violations(a)]


@rule("every returned Appointment's priority is 0 to 9", "APPT-PRIORITY-01", APPOINTMENT_INTERACTIONS, reads=())
def _(seen: Answer) -> list[Violation]:
    return [v for a in seen.appointments() for v in appointment_content.priority_violations(a)]


@rule("a booking carrying reason or specialty is refused", "BOOK-NOREASON-01", (ix.BOOK_APPOINTMENT.name,))
def _(seen: Observed) -> list[Violation]:
    return booking_checks.reason_accepted_violations(request_json(seen.exchange.request_body), seen.exchange.status)


@rule("every returned Appointment carries its slot type", tuple(sorted(requirements_of_kind(SLOT_TYPE))),
      APPOINTMENT_INTERACTIONS)
def _(seen: Observed) -> list[Violation]:
    return [v for a in seen.appointments()
            for v in appt_checks.slot_type_violations(a, type_requirements(seen.exchange.interaction).slot)]


@rule("a booking's Location and ETag headers, the Location naming the created appointment", "BOOK-01",
      (ix.BOOK_APPOINTMENT.name,))
def _(seen: Observed) -> list[Violation]:
    return booking_checks.created_violations(seen.exchange) if seen.exchange.status == 201 else []


@rule("a read's ETag names the version it returns", "READ-ETAG-01", (ix.READ_APPOINTMENT.name,))
def _(seen: Observed) -> list[Violation]:
    if not isinstance(seen.body, dict) or seen.body.get("resourceType") != "Appointment":
        return []
    return appt_checks.etag_violations(seen.exchange, seen.body, "READ-ETAG-01")


@rule("retrieved appointments are the patient's and lie within the dates asked", "RETR-DATES-01",
      (ix.RETRIEVE_APPOINTMENTS.name,))
def _(seen: Observed) -> list[Violation]:
    asked = retrieve_checks.retrieve_asked(seen.exchange.url)
    return retrieve_checks.retrieved_dates_violations(seen.appointments(), *asked) if asked else []
