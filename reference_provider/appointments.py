"""Book, retrieve, read, amend and cancel appointments, with the 1.2.7 rules and error codes."""

from __future__ import annotations

import copy
import json
import re
import time
from datetime import date, datetime, timezone
from email.utils import format_datetime

from . import appointment_changes as changes
from . import appointment_rules as rules
from . import faults as fault_registry
from . import practice, resources
from .appointment_changes import CANCEL_WITHOUT_REASON_ALLOWED, COMMENT_TRUNCATED_100
from .security import Refusal
from .store import local_text, utc_text

(BOOK_WRONG_SLOT_TYPE, BOOK_NO_SCHEDULE_TYPE, BOOK_CONSUMER_TYPES_KEPT, BOOK_MULTI_FIRST_SLOT_ONLY, BOOK_HALF_REFUSED,
 BOOK_DUPLICATE_ALLOWED, BOOK_RACE, BOOK_IGNORES_START_END, BOOK_DROPS_BOOKING_ORG, BOOK_TRUNCATES_COMMENT,
 BOOK_REASON_ACCEPTED, RETRIEVE_ACCEPTS_PAST, RETRIEVE_UNKNOWN_PATIENT_EMPTY, READ_UNKNOWN_OK, AMEND_KEEPS_VERSION,
 AMEND_IGNORES_IF_MATCH, AMEND_CANCELLED_ALLOWED, CANCEL_IGNORES_IF_MATCH) = fault_registry.uses(
    "book_wrong_slot_type", "book_no_schedule_type", "book_consumer_types_kept", "book_multi_first_slot_only",
    "book_half_refused", "book_duplicate_allowed", "book_race", "book_ignores_start_end", "book_drops_booking_org",
    "book_truncates_comment", "book_reason_accepted", "retrieve_accepts_past", "retrieve_unknown_patient_empty",
    "read_unknown_ok", "amend_keeps_version", "amend_ignores_if_match", "amend_cancelled_allowed",
    "cancel_ignores_if_match")
(AMEND_STORE_DROPS_SCHEDULE_TYPE, CANCEL_STORE_DROPS_SLOT_TYPE, UNTYPED_SCHEDULE_TYPED, RETRIEVE_IGNORES_DATES) = \
    fault_registry.uses("amend_store_drops_schedule_type", "cancel_store_drops_slot_type", "untyped_schedule_typed",
                        "retrieve_ignores_dates")
(READ_MALFORMED_ID_REFUSED, READ_EMPTY_ID_SEARCHED, BOOKING_ORG_FROM_JWT, BOOK_FREE_CHECK_FIRST_SLOT_ONLY) = \
    fault_registry.uses("read_malformed_id_refused", "read_empty_id_searched", "booking_org_from_jwt",
                        "book_free_check_first_slot_only")
(FREED_SLOT_CHANGES_TYPE, CANCELLED_AMEND_REPEATS_VERSION, RETRIEVE_OTHER_PATIENTS) = fault_registry.uses(
    "freed_slot_changes_type", "cancelled_amend_repeats_version", "retrieve_other_patients")
(BOOK_LOCATION_OPTIONAL, BOOK_REQUIRES_PRACTITIONER, RETRIEVE_SORT_REFUSED, REFUSED_TYPE_CHANGE_STORED) = \
    fault_registry.uses("book_location_optional", "book_requires_practitioner", "retrieve_sort_refused",
                        "refused_type_change_stored")

URN = "urn:nhs:names:services:gpconnect:fhir:rest:"
UPDATE, CANCEL = URN + "update:appointment-1", URN + "cancel:appointment-1"


class AppointmentBook:
    """Appointment interactions over the provider's Store."""

    def __init__(self, store, ods_code: str, faults: frozenset[str]):
        self.store, self.ods_code, self.faults = store, ods_code, faults

    # ------------------------------------------------------------ helpers

    def _types_for(self, row_slot, schedule) -> dict:
        out = {"serviceType": [{"text": row_slot["slot_type"]}]}
        if BOOK_WRONG_SLOT_TYPE in self.faults:
            out["serviceType"] = [{"text": row_slot["slot_type"] + " (follow-up)"}]
        if schedule["schedule_type"] and BOOK_NO_SCHEDULE_TYPE not in self.faults:
            out["serviceCategory"] = {"text": schedule["schedule_type"]}
        elif not schedule["schedule_type"] and UNTYPED_SCHEDULE_TYPED in self.faults:
            out["serviceCategory"] = {"text": "General Clinic"}
        return out

    def _response(self, status: int, body: dict, base_url: str, location: bool = False) -> tuple:
        version = body["meta"]["versionId"]
        headers = {"ETag": f'W/"{version}"',
                   "Last-Modified": format_datetime(datetime.now(timezone.utc), usegmt=True)}
        if location:
            headers["Location"] = f"{base_url}/Appointment/{body['id']}/_history/{body['meta']['versionId']}"
        return status, body, headers

    def _load(self, conn, appointment_id: str):
        if not re.fullmatch(r"\d{1,18}", appointment_id):
            return None
        return conn.execute("SELECT * FROM appointment WHERE id = ?", (int(appointment_id),)).fetchone()

    # ------------------------------------------------------------ book

    def book(self, raw: bytes, base_url: str, claims: dict | None = None) -> tuple:
        body = rules.parse_body(raw)
        if BOOKING_ORG_FROM_JWT in self.faults and claims:
            self._booking_org_from(body, claims)
        if (body.get("reason") or body.get("specialty")) and BOOK_REASON_ACCEPTED not in self.faults:
            raise Refusal(422, "INVALID_RESOURCE", "reason and specialty must not be sent")
        if body.get("status") != "booked":
            raise Refusal(422, "INVALID_RESOURCE", "Appointment.status must be booked")
        for element in ("start", "end", "description"):
            if not body.get(element):
                raise Refusal(422, "INVALID_RESOURCE", f"Appointment.{element} is required")
        if len(body["description"]) > 100 or len(body.get("comment") or "") > 500:
            raise Refusal(422, "INVALID_RESOURCE", "description or comment is longer than this provider stores")
        rules.check_booking_organisation(body)
        rules.check_profile(body, self.faults)
        patient_id = rules.patient_id(body)
        actors = [((p or {}).get("actor") or {}).get("reference", "") for p in body.get("participant") or []]
        if not any(a.startswith("Location/") for a in actors) and BOOK_LOCATION_OPTIONAL not in self.faults:
            raise Refusal(422, "INVALID_RESOURCE", "Appointment must have a Location participant")
        if not any(a.startswith("Practitioner/") for a in actors) and BOOK_REQUIRES_PRACTITIONER in self.faults:
            raise Refusal(422, "INVALID_RESOURCE", "Appointment must have a Practitioner participant")
        if patient_id not in {p[1] for p in practice.PATIENTS}:
            raise Refusal(422, "INVALID_RESOURCE", f"Patient/{patient_id} is not a patient of this practice")
        slot_ids = rules.slot_ids(body, self.faults)
        if BOOK_RACE in self.faults:
            return self._book_without_lock(body, slot_ids, patient_id, base_url)
        with self.store.connect(write=True) as conn:
            rows = self._slots(conn, slot_ids)
            try:
                self._validate_slots(body, rows)
            except Refusal:
                if BOOK_HALF_REFUSED in self.faults and len(rows) > 1:
                    conn.execute("UPDATE slot SET status = 'busy' WHERE id = ?", (rows[0]["id"],))
                    conn.execute("COMMIT")
                    conn.execute("BEGIN IMMEDIATE")
                raise
            busy = [r["id"] for r in (rows[:1] if BOOK_FREE_CHECK_FIRST_SLOT_ONLY in self.faults else rows)
                    if r["status"] != "free"]
            if busy and BOOK_DUPLICATE_ALLOWED not in self.faults:
                raise Refusal(409, "DUPLICATE_REJECTED", f"Slot/{busy[0]} is no longer free")
            stored = self._insert(conn, body, rows, patient_id)
        return self._response(201, stored, base_url, location=True)

    @staticmethod
    def _booking_org_from(body: dict, claims: dict) -> None:
        """The 'booking_org_from_jwt' fault: the contained Organization takes the requester's identifiers."""
        identifiers = (claims.get("requesting_organization") or {}).get("identifier")
        for resource in body.get("contained") or []:
            if isinstance(resource, dict) and resource.get("resourceType") == "Organization" and identifiers:
                resource["identifier"] = copy.deepcopy(identifiers)

    def _slots(self, conn, slot_ids: list[int]):
        rows = []
        for sid in slot_ids:
            row = conn.execute("SELECT * FROM slot WHERE id = ?", (sid,)).fetchone()
            if row is None or not row["bookable"]:
                raise Refusal(422, "REFERENCE_NOT_FOUND",
                              f"Reference to Slot/{sid} - no such slot exists at the server")
            rows.append(row)
        return sorted(rows, key=lambda r: r["start_utc"])

    def _validate_slots(self, body: dict, rows) -> None:
        rules.check_multislot(rows, self.faults)
        start, end = rules.instant(body["start"]), rules.instant(body["end"])
        mismatch = utc_text(start) != rows[0]["start_utc"] or utc_text(end) != rows[-1]["end_utc"]
        if mismatch and BOOK_IGNORES_START_END not in self.faults:
            raise Refusal(422, "INVALID_RESOURCE",
                          "The submitted start and end date range does not match that of the requested slot(s)")
        if start <= rules.now():
            raise Refusal(422, "INVALID_RESOURCE", "Appointments can only be booked in the future")

    def _insert(self, conn, body: dict, rows, patient_id: str) -> dict:
        schedule = conn.execute("SELECT * FROM schedule WHERE id = ?", (rows[0]["schedule_id"],)).fetchone()
        stored = self._build(body, rows, schedule)
        conn.executemany("UPDATE slot SET status = 'busy', version = version + 1 WHERE id = ?",
                         [(r["id"],) for r in rows])
        cursor = conn.execute(
            "INSERT INTO appointment (patient_id, version, status, start_utc, body, last_modified) "
            "VALUES (?,?,?,?,?,?)",
            (patient_id, 1, "booked", rows[0]["start_utc"], "{}", utc_text(rules.now())))
        stored["id"] = str(cursor.lastrowid)
        # The practice's own business identifier, beside any the consumer sent.
        stored["identifier"] = [*(stored.get("identifier") or []),
                                {"system": resources.LOCAL_ID_SYSTEM + "appointment", "value": f"APT-{stored['id']}"}]
        conn.execute("UPDATE appointment SET body = ? WHERE id = ?", (json.dumps(stored), cursor.lastrowid))
        conn.executemany("INSERT INTO appointment_slot VALUES (?, ?)", [(cursor.lastrowid, r["id"]) for r in rows])
        return stored

    def _book_without_lock(self, body: dict, slot_ids: list[int], patient_id: str, base_url: str) -> tuple:
        """The 'book_race' fault: check, pause, then write without holding a lock."""
        with self.store.connect() as conn:
            rows = self._slots(conn, slot_ids)
            self._validate_slots(body, rows)
            if any(r["status"] != "free" for r in rows):
                raise Refusal(409, "DUPLICATE_REJECTED", "A requested slot is no longer free")
        time.sleep(0.3)
        with self.store.connect(write=True) as conn:
            stored = self._insert(conn, body, rows, patient_id)
        return self._response(201, stored, base_url, location=True)

    def _build(self, body: dict, rows, schedule) -> dict:
        stored = {k: v for k, v in copy.deepcopy(body).items()
                  if k not in ("serviceType", "serviceCategory", "id", "meta", "text")}
        if BOOK_CONSUMER_TYPES_KEPT in self.faults:
            stored.update({k: body[k] for k in ("serviceType", "serviceCategory") if k in body})
        else:
            stored.update(self._types_for(rows[0], schedule))
        stored["meta"] = resources.meta("Appointment", 1)
        ours = {resources.EXT_DELIVERY_CHANNEL, resources.EXT_PRACTITIONER_ROLE}
        stored["extension"] = [e for e in stored.get("extension", []) if e.get("url") not in ours] + [
            {"url": resources.EXT_DELIVERY_CHANNEL, "valueCode": rows[0]["channel"]},
            resources.role_extension(schedule["role_code"]),
        ]
        actors = {(p.get("actor") or {}).get("reference") for p in stored.get("participant", [])}
        for ref in (f"Location/{schedule['location_id']}",
                    f"Practitioner/{schedule['practitioner_id']}" if schedule["practitioner_id"] else None):
            if ref and ref not in actors:
                stored.setdefault("participant", []).append({"actor": {"reference": ref}, "status": "accepted"})
        stored["slot"] = [{"reference": f"Slot/{r['id']}"} for r in rows]
        if BOOK_MULTI_FIRST_SLOT_ONLY in self.faults:
            stored["slot"] = stored["slot"][:1]
        stored["start"], stored["end"] = rows[0]["start"], rows[-1]["end"]
        stored.setdefault("created", local_text(rules.now()))
        if BOOK_DROPS_BOOKING_ORG in self.faults:
            stored["extension"] = [e for e in stored["extension"] if e.get("url") != resources.EXT_BOOKING_ORG]
            stored.pop("contained", None)
        if BOOK_TRUNCATES_COMMENT in self.faults and stored.get("comment"):
            stored["comment"] = stored["comment"][:50]
        if COMMENT_TRUNCATED_100 in self.faults and stored.get("comment"):
            stored["comment"] = stored["comment"][:100]
        return stored

    # ------------------------------------------------------------ read and retrieve

    def read(self, appointment_id: str, base_url: str) -> tuple:
        if not appointment_id and READ_EMPTY_ID_SEARCHED in self.faults:
            return 200, resources.bundle([]), {}
        if READ_MALFORMED_ID_REFUSED in self.faults and not re.fullmatch(r"\d+", appointment_id):
            raise Refusal(400, "BAD_REQUEST", f"Appointment id {appointment_id!r} is not a number")
        with self.store.connect() as conn:
            row = self._load(conn, appointment_id)
        if row is None:
            if READ_UNKNOWN_OK in self.faults:
                return 200, resources.bundle([]), {}
            raise Refusal(404, "NO_RECORD_FOUND", f"No appointment with id {appointment_id}")
        return self._response(200, json.loads(row["body"]), base_url)

    def retrieve(self, patient_id: str, query: list[tuple[str, str]]) -> dict:
        if patient_id not in {p[1] for p in practice.PATIENTS}:
            if RETRIEVE_UNKNOWN_PATIENT_EMPTY in self.faults:
                return resources.bundle([])
            raise Refusal(404, "PATIENT_NOT_FOUND", f"No patient with id {patient_id}")
        if RETRIEVE_SORT_REFUSED in self.faults and any(k == "_sort" for k, _ in query):
            raise Refusal(422, "INVALID_PARAMETER", "Unknown search parameter _sort")
        first, last = self._retrieve_range([v for k, v in query if k == "start"])
        with self.store.connect() as conn:
            rows = conn.execute("SELECT * FROM appointment WHERE patient_id = ? OR ? ORDER BY start_utc, id",
                                (patient_id, RETRIEVE_OTHER_PATIENTS in self.faults)).fetchall()
        found = []
        for row in rows:
            body = json.loads(row["body"])
            day = rules.instant(body["start"]).astimezone(practice.UK).date()
            if not first <= day <= last and RETRIEVE_IGNORES_DATES not in self.faults:
                continue
            found.append(body)
        return resources.bundle(found)

    def _retrieve_range(self, values: list[str]) -> tuple[date, date]:
        lower = [v[2:] for v in values if v.startswith("ge")]
        upper = [v[2:] for v in values if v.startswith("le")]
        if len(values) != 2 or len(lower) != 1 or len(upper) != 1:
            raise Refusal(422, "INVALID_PARAMETER", "Send exactly two start parameters, one ge and one le")
        try:
            if not all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) for v in lower + upper):
                raise ValueError
            first, last = date.fromisoformat(lower[0]), date.fromisoformat(upper[0])
        except ValueError:
            raise Refusal(422, "INVALID_PARAMETER", "start values must be dates (yyyy-mm-dd) with no time") from None
        today = rules.now().date()
        if first < today and RETRIEVE_ACCEPTS_PAST not in self.faults:
            raise Refusal(422, "INVALID_PARAMETER", "The date range must not start in the past")
        if last < first:
            raise Refusal(422, "INVALID_PARAMETER", "The end of the date range is before its start")
        return first, last

    # ------------------------------------------------------------ amend and cancel

    def update(self, appointment_id: str, interaction: str, if_match: str | None, raw: bytes, base_url: str) -> tuple:
        if interaction == CANCEL and CANCEL_WITHOUT_REASON_ALLOWED not in self.faults:
            rules.check_reason_not_empty(raw)
        body = rules.parse_body(raw)
        with self.store.connect(write=True) as conn:
            row = self._load(conn, appointment_id)
            if row is None:
                raise Refusal(404, "NO_RECORD_FOUND", f"No appointment with id {appointment_id}")
            if body.get("id") != appointment_id:
                raise Refusal(400, "BAD_REQUEST", "Appointment.id does not match the URL")
            stored = json.loads(row["body"])
            ignored = AMEND_IGNORES_IF_MATCH if interaction == UPDATE else CANCEL_IGNORES_IF_MATCH
            self._check_version(if_match, row["version"], ignored in self.faults)
            if row["status"] == "cancelled" and not (AMEND_CANCELLED_ALLOWED in self.faults and interaction == UPDATE):
                if CANCELLED_AMEND_REPEATS_VERSION in self.faults and interaction == UPDATE:
                    self._version_set_back(conn, row)
                raise Refusal(422, "INVALID_RESOURCE", "A cancelled appointment cannot be changed")
            if rules.instant(stored["start"]) <= rules.now():
                raise Refusal(422, "INVALID_RESOURCE", "Only future appointments can be changed")
            try:
                updated = (changes.amended(stored, body, self.faults) if interaction == UPDATE
                           else changes.cancelled(stored, body, self.faults))
            except Refusal:
                if REFUSED_TYPE_CHANGE_STORED in self.faults and interaction == UPDATE:
                    self._types_stored_anyway(conn, row, stored, body)
                raise
            version = row["version"] if AMEND_KEEPS_VERSION in self.faults and interaction == UPDATE \
                else row["version"] + 1
            updated["meta"] = resources.meta("Appointment", version)
            kept = self._as_stored(updated, interaction)
            conn.execute("UPDATE appointment SET body = ?, version = ?, status = ?, last_modified = ? WHERE id = ?",
                         (json.dumps(kept), version, updated["status"], utc_text(rules.now()), row["id"]))
            if interaction == CANCEL:
                conn.execute("UPDATE slot SET status = 'free', version = version + 1 WHERE id IN "
                             "(SELECT slot_id FROM appointment_slot WHERE appointment_id = ?)", (row["id"],))
                if FREED_SLOT_CHANGES_TYPE in self.faults:
                    conn.execute("UPDATE slot SET slot_type = CASE WHEN slot_type LIKE '% (released)' THEN "
                                 "substr(slot_type, 1, length(slot_type) - 11) ELSE slot_type || ' (released)' END "
                                 "WHERE id IN (SELECT slot_id FROM appointment_slot WHERE appointment_id = ?)",
                                 (row["id"],))
        return self._response(200, updated, base_url)

    def _as_stored(self, updated: dict, interaction: str) -> dict:
        """What is written to storage: the answer itself, unless a fault loses part of it on the way."""
        lost = {UPDATE: ("serviceCategory", AMEND_STORE_DROPS_SCHEDULE_TYPE),
                CANCEL: ("serviceType", CANCEL_STORE_DROPS_SLOT_TYPE)}[interaction]
        return {k: v for k, v in updated.items() if k != lost[0]} if lost[1] in self.faults else updated

    @staticmethod
    def _types_stored_anyway(conn, row, stored: dict, body: dict) -> None:
        """The 'refused_type_change_stored' fault: a refused amendment still stores the types it sent."""
        kept = {**stored, **{k: body[k] for k in changes.TYPES if k in body}}
        kept["meta"] = resources.meta("Appointment", row["version"] + 1)
        conn.execute("UPDATE appointment SET body = ?, version = version + 1 WHERE id = ?",
                     (json.dumps(kept), row["id"]))
        conn.execute("COMMIT")
        conn.execute("BEGIN IMMEDIATE")

    @staticmethod
    def _version_set_back(conn, row) -> None:
        """The 'cancelled_amend_repeats_version' fault: the refused request still rewinds the version."""
        body = json.loads(row["body"])
        body["meta"] = resources.meta("Appointment", row["version"] - 1)
        conn.execute("UPDATE appointment SET body = ?, version = version - 1 WHERE id = ?",
                     (json.dumps(body), row["id"]))
        conn.execute("COMMIT")
        conn.execute("BEGIN IMMEDIATE")

    def _check_version(self, if_match: str | None, version: int, ignored: bool) -> None:
        if not if_match:
            raise Refusal(400, "BAD_REQUEST", "If-Match is required")
        if ignored:
            return
        if if_match.strip() not in (f'W/"{version}"', f'"{version}"'):
            raise Refusal(409, "FHIR_CONSTRAINT_VIOLATION", f"If-Match {if_match} does not match the current version")
