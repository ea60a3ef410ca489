"""GP Connect 1.2.7 constants the harness shares: identifier and code systems, profile and
extension URLs, and the UK time zone every date-time is judged in.

Interaction ids and JWT scopes live beside each interaction in harness/spec/interactions.py.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")

# Identifier systems
ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
SDS_USER_SYSTEM = "https://fhir.nhs.uk/Id/sds-user-id"
SDS_ROLE_PROFILE_SYSTEM = "https://fhir.nhs.uk/Id/sds-role-profile-id"
ODS_SITE_SYSTEM = "https://fhir.nhs.uk/Id/ods-site-code"
GMP_NUMBER_SYSTEM = "https://fhir.hl7.org.uk/Id/gmp-number"

# Code systems
CODE_SYSTEM = "https://fhir.nhs.uk/STU3/CodeSystem/"
ORG_TYPE_SYSTEM = CODE_SYSTEM + "GPConnect-OrganisationType-1"
SPINE_CODE_SYSTEM = CODE_SYSTEM + "Spine-ErrorOrWarningCode-1"
# An urgent-care disposition code system: the kind of searchFilter a provider must ignore.
UNKNOWN_FILTER_SYSTEM = CODE_SYSTEM + "UEC-Disposition-1"

# StructureDefinitions: profiles and extensions
SD = "https://fhir.nhs.uk/STU3/StructureDefinition/"
PROFILE_FOR = {
    "Slot": SD + "GPConnect-Slot-1",
    "Schedule": SD + "GPConnect-Schedule-1",
    "Appointment": SD + "GPConnect-Appointment-1",
    "OperationOutcome": SD + "GPConnect-OperationOutcome-1",
    "Practitioner": SD + "CareConnect-GPC-Practitioner-1",
    "Location": SD + "CareConnect-GPC-Location-1",
    "Organization": SD + "CareConnect-GPC-Organization-1",
    "Patient": SD + "CareConnect-GPC-Patient-1",
}
BOOKING_ORG_URL = SD + "Extension-GPConnect-BookingOrganisation-1"
CANCELLATION_REASON_URL = SD + "Extension-GPConnect-AppointmentCancellationReason-1"
DELIVERY_CHANNEL_URL = SD + "Extension-GPConnect-DeliveryChannel-2"
PRACTITIONER_ROLE_URL = SD + "Extension-GPConnect-PractitionerRole-1"
