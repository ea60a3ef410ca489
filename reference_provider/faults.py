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
    "include_organization_refused": ("SLOT-INCLUDE-01", "_include:recurse=Location:managingOrganization is refused"),
    "unknown_searchfilter_refused": ("SLOT-FILTER-02", "a searchFilter of an unknown system is refused"),
    "searchfilter_drops_open_slots": ("SLOT-FILTER-01", "with a searchFilter, open slots of a schedule that also has restricted slots are withheld"),
    # Book an appointment
    "book_no_location": ("BOOK-01", "a booking is answered without a Location header"),
    "book_wrong_slot_type": ("BOOK-TYPE-01", "the appointment's slot type is not the booked slot's"),
    "book_no_schedule_type": ("BOOK-SCHEDTYPE-01", "the appointment leaves out its schedule's schedule type"),
    "book_consumer_types_kept": ("BOOK-IGNORE-01", "the consumer's serviceType and serviceCategory are stored"),
    "book_multi_first_slot_only": ("BOOK-MULTI-01", "a multi-slot appointment lists only its first slot"),
    "book_accepts_gap": ("BOOK-MULTI-ADJ-01", "slots with a gap between them are booked together"),
    "book_accepts_mixed_schedules": ("BOOK-MULTI-SCHED-01", "adjacent slots of different schedules are booked together"),
    "book_accepts_mixed_channels": ("BOOK-MULTI-CHANNEL-01", "adjacent slots of different delivery channels are booked together"),
    "book_accepts_mixed_types": ("BOOK-MULTI-TYPE-01", "adjacent slots of different slot types are booked together"),
    "book_half_refused": ("BOOK-ATOMIC-01", "a refused multi-slot booking still makes its first slot busy"),
    "book_duplicate_allowed": ("BOOK-DUP-01", "a slot already booked is booked again"),
    "book_race": ("BOOK-RACE-01", "two simultaneous bookings of one slot both succeed"),
    "book_ignores_start_end": ("BOOK-STARTEND-01", "a booking whose start or end differs from its slots is accepted"),
    "book_drops_booking_org": ("BOOK-ORG-01", "the booking organisation is not stored"),
    "book_truncates_comment": ("BOOK-TEXT-01", "the comment is cut to 50 characters"),
    "book_reason_accepted": ("BOOK-NOREASON-01", "a booking carrying reason or specialty is accepted"),
    # Retrieve a patient's appointments
    "retrieve_drops_types": ("RETR-TYPE-01", "retrieved appointments have no serviceType"),
    "retrieve_drops_cancelled": ("RETR-CANCELLED-01", "cancelled appointments are left out"),
    "retrieve_accepts_past": ("RETR-PARAM-01", "a date range starting in the past is accepted"),
    "retrieve_unknown_patient_empty": ("RETR-404-01", "an unknown patient gives an empty Bundle, not 404"),
    # Read an appointment
    "read_drops_types": ("READ-TYPE-01", "a read appointment has no serviceCategory"),
    "read_stale_etag": ("READ-ETAG-01", "the ETag names the previous version, not meta.versionId"),
    "read_unknown_ok": ("READ-404-01", "an unknown appointment id gives 200"),
    # Amend an appointment
    "amend_keeps_version": ("AMEND-01", "an amendment keeps the old versionId"),
    "amend_drops_category": ("AMEND-01", "an amendment drops serviceCategory"),
    "amend_accepts_type_change": ("AMEND-TYPES-01", "an amendment may change slot type or schedule type"),
    "amend_ignores_if_match": ("AMEND-ETAG-01", "an amendment with a stale If-Match is applied"),
    "amend_cancelled_allowed": ("AMEND-CANCELLED-01", "a cancelled appointment can be amended"),
    # Cancel an appointment
    "cancel_drops_reason": ("CANCEL-01", "the cancellation reason is not kept"),
    "cancel_drops_types": ("CANCEL-01", "a cancelled appointment loses its serviceType"),
    "cancel_without_reason_allowed": ("CANCEL-REASON-01", "a cancellation without a reason is accepted"),
    "cancel_accepts_other_changes": ("CANCEL-OTHER-01", "a cancellation may change other fields too"),
    "cancel_ignores_if_match": ("CANCEL-ETAG-01", "a cancellation with a stale If-Match is applied"),
    # Foundations on every interaction
    "missing_trace_id_accepted": ("FND-HDR-01", "a request without Ssp-TraceID is served"),
    "ssp_to_unchecked": ("FND-HDR-02", "a request addressed to another ASID is served"),
    "interaction_id_unchecked": ("FND-HDR-03", "any known interaction ID is accepted on any endpoint"),
    "expired_jwt_accepted": ("FND-JWT-01", "an expired JWT is accepted"),
    "jwt_lifetime_unchecked": ("FND-JWT-02", "a JWT whose exp is not iat + 300 is accepted"),
    "scope_unchecked": ("FND-JWT-03", "a JWT with the wrong requested_scope is accepted"),
    "reason_unchecked": ("FND-JWT-04", "a JWT whose reason_for_request is not directcare is accepted"),
    "accept_unchecked": ("FND-FMT-02", "an unsupported Accept is answered with JSON instead of 415"),
    "format_param_ignored": ("FND-FMT-03", "_format does not override Accept"),
    "content_type_json": ("FND-FMT-01", "responses are labelled application/json"),
    "cache_control_wrong": ("FND-CACHE-01", "responses carry Cache-Control: no-cache instead of no-store"),
    "meta_version_missing": ("FND-META-01", "Locations have no meta.versionId"),
    "slot_service_category": ("FND-PROFILE-01", "Slots carry serviceCategory, which their profile forbids"),
    "bad_delivery_channel_code": ("FND-PROFILE-01", "delivery channel code 'Face-to-face' is outside its value set"),
    "absolute_references": ("FND-REF-01", "Slot.schedule is an absolute URL"),
    "utc_times": ("FND-TIME-01", "Slot start and end are given in UTC with Z"),
    "wrong_oo_system": ("ERR-OO-02", "OperationOutcome codings use the ValueSet URL as their system"),
    "fullurl_populated": ("FND-FULLURL-01", "Bundle entries carry fullUrl"),
    "unknown_param_refused": ("FND-PARAM-01", "an unrecognised search parameter is refused"),
    "capability_old_version": ("FND-CAP-01", "the CapabilityStatement says version 1.2.6"),
}


def check(names) -> list[str]:
    """The given names, or raise ValueError naming the first unknown one."""
    for name in names:
        if name not in FAULTS:
            raise ValueError(f"unknown fault '{name}'; known: {', '.join(sorted(FAULTS))}")
    return list(names)
