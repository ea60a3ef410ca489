"""Faults of Read an appointment."""

from __future__ import annotations

from .registry import READ, Answer, behaviour, rewrite


@rewrite("read_drops_types", "READ-TYPE-01", "a read appointment has no serviceCategory", READ)
def _(a: Answer) -> None:
    a.drop("Appointment", "serviceCategory")


@rewrite("read_stale_etag", "READ-ETAG-01", "the ETag names the previous version, not meta.versionId", READ)
def _(a: Answer) -> None:
    version = a.version()
    if a.status == 200 and version:
        a.headers["ETag"] = f'W/"{int(version) - 1}"'


behaviour("read_unknown_ok", "READ-404-01", "an unknown appointment id gives 200")
behaviour("read_malformed_id_refused", "READ-404-01",
          "an appointment id that is not a number is refused with 400 BAD_REQUEST instead of 404")
behaviour("read_empty_id_searched", "READ-404-02",
          "a read without an id (GET Appointment/) is answered 200 with an empty searchset Bundle")
behaviour("booking_org_from_jwt", "READ-ORG-01",
          "the booking organisation is stored with the ODS code of the JWT's requesting_organization, not the one sent")
