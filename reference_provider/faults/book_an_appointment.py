"""Faults of Book an appointment."""

from __future__ import annotations

from .registry import BOOK, Answer, as_bad_request, behaviour, rewrite, rule_off


@rewrite("book_no_location", "BOOK-01", "a booking is answered without a Location header", BOOK)
def _(a: Answer) -> None:
    a.headers.pop("Location", None)


behaviour("book_wrong_slot_type", "BOOK-TYPE-01", "the appointment's slot type is not the booked slot's")
behaviour("book_no_schedule_type", "BOOK-SCHEDTYPE-01", "the appointment leaves out its schedule's schedule type")
behaviour("book_consumer_types_kept", "BOOK-IGNORE-01", "the consumer's serviceType and serviceCategory are stored")
behaviour("book_multi_first_slot_only", "BOOK-MULTI-01", "a multi-slot appointment lists only its first slot")
rule_off("book_accepts_gap", "BOOK-MULTI-ADJ-01", "slots with a gap between them are booked together")
rule_off("book_accepts_mixed_schedules", "BOOK-MULTI-SCHED-01",
         "adjacent slots of different schedules are booked together")
rule_off("book_accepts_mixed_channels", "BOOK-MULTI-CHANNEL-01",
         "adjacent slots of different delivery channels are booked together")
rule_off("book_accepts_mixed_types", "BOOK-MULTI-TYPE-01", "adjacent slots of different slot types are booked together")
behaviour("book_half_refused", "BOOK-ATOMIC-01", "a refused multi-slot booking still makes its first slot busy")
rule_off("book_duplicate_allowed", "BOOK-DUP-01", "a slot already booked is booked again")
behaviour("book_free_check_first_slot_only", "BOOK-DUP-01",
          "only a booking's first slot is checked for being free: a busy second or third slot is booked again")
behaviour("book_multi_rules_first_pair_only", "BOOK-MULTI-ADJ-01",
          "the multi-slot rules are checked only between the first two slots: a third after a gap, or of another "
          "schedule, channel or slot type, is booked with them")
behaviour("book_race", "BOOK-RACE-01", "two simultaneous bookings of one slot both succeed")
rule_off("book_ignores_start_end", "BOOK-STARTEND-01",
         "a booking whose start or end differs from its slots is accepted")
behaviour("book_drops_booking_org", "BOOK-ORG-01", "the booking organisation is not stored")
behaviour("book_truncates_comment", "BOOK-TEXT-01", "the comment is cut to 50 characters")
rule_off("book_reason_accepted", "BOOK-NOREASON-01", "a booking carrying reason or specialty is accepted")
rule_off("book_identifier_unchecked", "BOOK-VALID-01",
         "a booking with an identifier without a value is accepted, the identifier dropped")
behaviour("book_bad_slot_reference_500", "BOOK-SLOTREF-01",
          "a slot reference that is no local Slot reference gives 500")
rule_off("book_location_optional", "BOOK-LOCATION-01", "a booking without the Location participant is accepted")
behaviour("book_requires_practitioner", "BOOK-OPTIONAL-01",
          "a booking without a practitioner participant is refused with 422 INVALID_RESOURCE")
behaviour("unknown_path_plain", "BOOK-URL-01", "a request to a path that is no endpoint gets a plain-text 404")


@rewrite("book_default_comment", "BOOK-TEXT-01", "a booking sent without a comment is answered with one", BOOK)
def _(a: Answer) -> None:
    for appointment in a.of_type("Appointment"):
        appointment.setdefault("comment", "No comment given")


@rewrite("book_invalid_wrong_code", "BOOK-VALID-01-CODE",
         "a booking without a required element gives 400 BAD_REQUEST instead of 422 INVALID_RESOURCE", BOOK)
def _(a: Answer) -> None:
    as_bad_request(a, " is required")


@rewrite("book_reason_wrong_code", "BOOK-NOREASON-01-CODE",
         "a booking carrying reason or specialty gives 400 BAD_REQUEST instead of 422 INVALID_RESOURCE", BOOK)
def _(a: Answer) -> None:
    as_bad_request(a, "reason and specialty must not be sent")
