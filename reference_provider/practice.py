"""The reference practice: its organisation, sites, staff, schedules and slot pattern.

Slots are generated for today and the next 14 days in UK local time. The pattern is built so
that every kind of test data a consumer may need exists: runs of adjacent compatible slots,
adjacent pairs that differ only in schedule, only in delivery channel or only in slot type,
pairs with a gap, slots already booked, slots not bookable by GP Connect, and slots restricted
by organisation code or organisation type.

Four practices are declared: ``small`` (the default, about 1,000 free slots in 14 days),
``large`` (about 6,000: the small practice plus an extended-access hub, two more branch sites and
more clinicians, with the same variety of slot types, channels, an untyped schedule and
restrictions) and ``few-days`` (the small practice's sessions on three days only, tomorrow and the
two after it, so that parallel consumers share days) and ``hub`` (about 30,000: the small practice beside an
extended-access hub of 17 five-minute schedules, with the same variety). ``use(name)`` chooses one once, at start-up,
before the store is filled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")
DAYS_AHEAD = 14

# The consumer ODS code config/reference.env uses; slots restricted to it are bookable by the harness.
REFERENCE_CONSUMER_ODS = "Y90001"


@dataclass(frozen=True)
class Practitioner:
    id: str
    family: str
    given: str
    prefix: str
    gender: str
    sds_user_id: str


@dataclass(frozen=True)
class Location:
    id: str
    name: str
    site_code: str
    lines: tuple[str, ...]
    city: str
    postcode: str
    phone: str


@dataclass(frozen=True)
class Block:
    """A run of equal-length slots in a schedule, with per-slot overrides by start time."""

    start: str
    end: str
    minutes: int
    slot_type: str
    channel: str
    types: dict[str, str] = field(default_factory=dict)
    channels: dict[str, str] = field(default_factory=dict)
    gaps: tuple[str, ...] = ()
    busy: tuple[str, ...] = ()
    not_bookable: tuple[str, ...] = ()
    org_codes: dict[str, str] = field(default_factory=dict)
    org_types: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ScheduleDef:
    id: str
    location_id: str
    practitioner_id: str | None
    role_code: str
    schedule_type: str | None
    blocks: tuple[Block, ...]


ORGANIZATION = {
    "id": "1",
    "name": "Riverside Medical Practice",
    "phone": "01632 960001",
    "lines": ("1 Riverside Way",),
    "city": "Leeds",
    "postcode": "LS1 4AP",
    "type": "gp-practice",
}

LOCATIONS = (
    Location("10", "Riverside Main Surgery", "Z91001", ("1 Riverside Way",), "Leeds", "LS1 4AP", "01632 960001"),
    Location("11", "Meadow Lane Branch Surgery", "Z91002", ("22 Meadow Lane",), "Leeds", "LS11 5BJ", "01632 960002"),
)

PRACTITIONERS = (
    Practitioner("20", "Okafor", "Sarah", "Dr", "female", "G9100011"),
    Practitioner("21", "Rahman", "Aisha", "Dr", "female", "G9100012"),
    Practitioner("22", "Patel", "James", "Mr", "male", "N9100021"),
    Practitioner("23", "Nwosu", "Chidi", "Mr", "male", "P9100031"),
)

ROLE_DISPLAY = {
    "R0260": "General Medical Practitioner",
    "R0270": "Salaried General Practitioner",
    "R0600": "Specialist Nurse Practitioner",
    "R1290": "Pharmacist",
    "R1590": "Phlebotomist",
}

SCHEDULES = (
    ScheduleDef(
        "30", "10", "20", "R0260", "Morning GP Surgery",
        (Block(
            "08:30", "12:00", 10, "GP Appointment", "In-person",
            types={"10:00": "NHS Health Check", "10:10": "NHS Health Check", "10:20": "NHS Health Check"},
            channels={"11:00": "Telephone", "11:10": "Telephone", "11:20": "Telephone"},
            busy=("09:00",), not_bookable=("08:30", "08:40"),
        ),),
    ),
    ScheduleDef(
        "31", "10", "21", "R0270", "Afternoon GP Surgery",
        (Block(
            "12:00", "16:00", 10, "GP Appointment", "In-person",
            gaps=("13:00", "13:10", "13:20"),
            channels={f"15:{m:02d}": "Video" for m in range(0, 60, 10)},
        ),),
    ),
    ScheduleDef(
        "32", "11", "22", "R0600", "Nurse Clinic",
        (Block(
            "09:00", "12:00", 15, "Nurse Appointment", "In-person",
            org_codes={"11:00": REFERENCE_CONSUMER_ODS, "11:15": "Z99999"},
            org_types={"11:30": "urgent-care", "11:45": "gp-practice"},
        ),),
    ),
    # A clinic with no practitioner and no schedule type: both are optional in GP Connect.
    ScheduleDef(
        "33", "11", None, "R1590", None,
        (Block("13:00", "15:00", 10, "Blood Test", "In-person"),),
    ),
    ScheduleDef(
        "34", "10", "23", "R1290", "Pharmacy Clinic",
        (Block("10:00", "12:00", 15, "Medication Review", "Telephone"),),
    ),
)

# ---------------------------------------------------------------- the large practice
# Added to the small practice's sites, staff and schedules.

LARGE_LOCATIONS = (
    Location("12", "Riverside Extended Access Hub", "Z91003", ("5 Station Road",), "Leeds", "LS1 5DL", "01632 960003"),
    Location("13", "Northside Branch Surgery", "Z91004", ("80 North Street",), "Leeds", "LS7 1AB", "01632 960004"),
    Location("14", "Eastgate Health Centre", "Z91005", ("3 Eastgate",), "Leeds", "LS2 7JL", "01632 960005"),
)

LARGE_PRACTITIONERS = (
    Practitioner("24", "Kowalski", "Anna", "Dr", "female", "G9100013"),
    Practitioner("25", "Osei", "Kwame", "Dr", "male", "G9100014"),
    Practitioner("26", "Lindqvist", "Erik", "Dr", "male", "G9100015"),
    Practitioner("27", "Chen", "Mei", "Dr", "female", "G9100016"),
    Practitioner("28", "Murphy", "Siobhan", "Mrs", "female", "N9100022"),
    Practitioner("29", "Adeyemi", "Tunde", "Mr", "male", "N9100023"),
    Practitioner("30", "Hughes", "Gareth", "Dr", "male", "G9100017"),
    Practitioner("31", "Begum", "Nasreen", "Mrs", "female", "N9100024"),
    Practitioner("32", "Novak", "Petra", "Ms", "female", "P9100032"),
    Practitioner("33", "Singh", "Harpreet", "Dr", "male", "G9100018"),
    Practitioner("34", "Evans", "Rhiannon", "Dr", "female", "G9100019"),
)


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _each(first: str, last: str, minutes: int) -> list[str]:
    """Start times from first to last inclusive, every `minutes`."""
    at, stop = datetime.combine(date(2000, 1, 1), _clock(first)), datetime.combine(date(2000, 1, 1), _clock(last))
    out = []
    while at <= stop:
        out.append(at.strftime("%H:%M"))
        at += timedelta(minutes=minutes)
    return out


LARGE_SCHEDULES = (
    ScheduleDef(
        "35", "13", "24", "R0260", "Morning GP Surgery",
        (Block(
            "08:00", "13:00", 10, "GP Appointment", "In-person",
            types=dict.fromkeys(_each("11:00", "11:20", 10), "NHS Health Check"),
            channels=dict.fromkeys(_each("12:00", "12:20", 10), "Telephone"),
            busy=("09:00", "09:10"), not_bookable=("08:00",),
        ),),
    ),
    ScheduleDef(
        "36", "13", "25", "R0270", "Afternoon GP Surgery",
        (Block(
            "13:00", "18:00", 10, "GP Appointment", "In-person",
            gaps=("15:00", "15:10"), channels=dict.fromkeys(_each("16:00", "16:50", 10), "Video"),
        ),),
    ),
    ScheduleDef(
        "37", "14", "26", "R0260", "Morning GP Surgery",
        (Block("08:00", "13:00", 10, "GP Appointment", "In-person", busy=("10:30",)),),
    ),
    ScheduleDef(
        "38", "14", "27", "R0270", "Afternoon GP Surgery",
        (Block("13:00", "18:00", 10, "GP Appointment", "In-person",
               channels=dict.fromkeys(_each("13:00", "13:50", 10), "Telephone")),),
    ),
    ScheduleDef(
        "39", "14", "28", "R0600", "Nurse Clinic",
        (Block(
            "08:00", "17:00", 15, "Nurse Appointment", "In-person",
            org_codes={"16:00": REFERENCE_CONSUMER_ODS, "16:15": "Z99999"},
            org_types={"16:30": "urgent-care", "16:45": "gp-practice"},
        ),),
    ),
    ScheduleDef(
        "40", "13", "29", "R0600", "Long-term Conditions Clinic",
        (Block("09:00", "17:00", 20, "Long-term Condition Review", "In-person",
               channels=dict.fromkeys(_each("15:00", "16:40", 20), "Telephone")),),
    ),
    ScheduleDef(
        "41", "12", "30", "R0260", "Extended Access GP",
        (Block("18:00", "20:00", 10, "GP Appointment", "In-person",
               channels=dict.fromkeys(_each("19:30", "19:50", 10), "Video")),),
    ),
    ScheduleDef(
        "42", "12", "31", "R0600", "Extended Access Nurse",
        (Block("18:00", "20:00", 15, "Nurse Appointment", "In-person"),),
    ),
    # A second clinic with no practitioner and no schedule type.
    ScheduleDef(
        "43", "13", None, "R1590", None,
        (Block("08:00", "12:00", 5, "Blood Test", "In-person", gaps=("10:00", "10:05")),),
    ),
    ScheduleDef(
        "44", "14", "32", "R1290", "Pharmacy Clinic",
        (Block("09:00", "17:00", 15, "Medication Review", "Telephone"),),
    ),
    ScheduleDef(
        "45", "12", "33", "R0260", "Telephone Triage",
        (Block("08:00", "12:00", 5, "Telephone Triage", "Telephone"),),
    ),
    ScheduleDef(
        "46", "13", "34", "R0270", "Minor Illness Clinic",
        (Block("13:00", "17:00", 10, "Minor Illness", "Video",
               channels=dict.fromkeys(_each("13:00", "13:50", 10), "In-person")),),
    ),
)

# ---------------------------------------------------------------- the hub
# An extended-access hub beside the small practice: 17 schedules of 5-minute slots, 08:00 to 18:00 every day,
# about 29,000 free slots in 14 days, with the same variety: typed and untyped schedules, schedules with no
# practitioner, every channel, restrictions by organisation, busy and not bookable slots, and gaps.

HUB_LOCATIONS = (
    Location("15", "Citywide Extended Access Hub", "Z91006", ("1 Infirmary Street",), "Leeds", "LS1 2TW",
             "01632 960006"),
    Location("16", "Southside Hub Clinic", "Z91007", ("22 Dewsbury Road",), "Leeds", "LS11 5PF", "01632 960007"),
)
HUB_PRACTITIONERS = tuple(
    Practitioner(str(35 + i), family, given, prefix, gender, f"G92000{i:02d}")
    for i, (family, given, prefix, gender) in enumerate((
        ("Okafor", "Chidi", "Dr", "male"), ("Walsh", "Aoife", "Dr", "female"), ("Patel", "Ravi", "Dr", "male"),
        ("Nowak", "Zofia", "Dr", "female"), ("Ibrahim", "Yusuf", "Mr", "male"), ("Reid", "Morag", "Mrs", "female"),
        ("Tanaka", "Hiro", "Dr", "male"), ("Costa", "Ines", "Ms", "female"))))
_HUB_SERVICES = (  # slot type, channel, schedule type (None: untyped), role
    ("GP Appointment", "In-person", "Extended Access GP", "R0260"),
    ("GP Appointment", "Telephone", "Telephone Triage", "R0260"),
    ("Nurse Appointment", "In-person", "Extended Access Nurse", "R0600"),
    ("Minor Illness", "Video", "Minor Illness Clinic", "R0270"),
    ("Blood Test", "In-person", None, "R1590"),
    ("Medication Review", "Telephone", "Pharmacy Clinic", "R1290"),
    ("Vaccination", "In-person", None, "R0600"),
    ("Mental Health Review", "Video", "Wellbeing Clinic", "R0270"),
)


def _hub_schedule(n: int) -> ScheduleDef:
    slot_type, channel, schedule_type, role = _HUB_SERVICES[n % len(_HUB_SERVICES)]
    other = "Telephone" if channel != "Telephone" else "In-person"
    return ScheduleDef(
        str(47 + n), HUB_LOCATIONS[n % 2].id, HUB_PRACTITIONERS[n % 8].id if n % 4 != 3 else None, role,
        schedule_type,
        (Block("08:00", "18:00", 5, slot_type, channel,
               types=dict.fromkeys(_each("11:00", "11:10", 5), "NHS Health Check") if n % 5 == 0 else {},
               channels=dict.fromkeys(_each("14:00", "14:25", 5), other),
               gaps=("12:30", "12:35", "12:40"), busy=("09:00", "15:05"), not_bookable=("08:00",),
               org_codes={"17:00": REFERENCE_CONSUMER_ODS, "17:05": "Z99999"} if n % 3 == 0 else {},
               org_types={"17:30": "urgent-care", "17:35": "gp-practice"} if n % 3 == 1 else {}),),
    )


HUB_SCHEDULES = tuple(_hub_schedule(n) for n in range(17))

# Variety mode (--variety): further practitioners acting on a schedule beside its own, by schedule id.
# Schedules 33 and 43 keep a Location as their only actor.
VARIETY_ACTORS = {
    "30": ("23",),
    "35": ("26",),
}


@dataclass(frozen=True)
class Practice:
    locations: tuple[Location, ...]
    practitioners: tuple[Practitioner, ...]
    schedules: tuple[ScheduleDef, ...]
    # The days, counted from today, on which the sessions run.
    days: tuple[int, ...] = tuple(range(DAYS_AHEAD + 1))


SMALL = Practice(LOCATIONS, PRACTITIONERS, SCHEDULES)
PRACTICES = {
    "small": SMALL,
    "large": Practice(LOCATIONS + LARGE_LOCATIONS, PRACTITIONERS + LARGE_PRACTITIONERS, SCHEDULES + LARGE_SCHEDULES),
    "few-days": Practice(LOCATIONS, PRACTITIONERS, SCHEDULES, days=(1, 2, 3)),
    "hub": Practice(LOCATIONS + HUB_LOCATIONS, PRACTITIONERS + HUB_PRACTITIONERS, SCHEDULES + HUB_SCHEDULES),
}
DAYS = SMALL.days


def use(name: str) -> None:
    """Serve the named practice: called once at start-up, before the store is filled."""
    global LOCATIONS, PRACTITIONERS, SCHEDULES, DAYS
    chosen = PRACTICES[name]
    LOCATIONS, PRACTITIONERS, SCHEDULES, DAYS = chosen.locations, chosen.practitioners, chosen.schedules, chosen.days


PATIENTS = (
    # NHS number, id, family, given, prefix, gender, birth date
    ("9000000009", "40", "SMITH", "Jane", "Mrs", "female", "1968-03-14"),
    ("9000000017", "41", "JONES", "Robert", "Mr", "male", "1975-11-02"),
    ("9658218873", "42", "MEAKIN", "Mike", "Mr", "male", "1938-11-11"),
)


@dataclass(frozen=True)
class SlotRow:
    schedule_id: str
    start: datetime
    end: datetime
    status: str
    slot_type: str
    channel: str
    bookable: bool
    org_codes: str
    org_types: str


def slots_for_day(day: date) -> list[SlotRow]:
    rows: list[SlotRow] = []
    for schedule in SCHEDULES:
        for block in schedule.blocks:
            at = datetime.combine(day, _clock(block.start), UK)
            stop = datetime.combine(day, _clock(block.end), UK)
            while at < stop:
                end = at + timedelta(minutes=block.minutes)
                hhmm = f"{at.hour:02d}:{at.minute:02d}"
                if hhmm not in block.gaps:
                    rows.append(SlotRow(
                        schedule_id=schedule.id,
                        start=at,
                        end=end,
                        status="busy" if hhmm in block.busy else "free",
                        slot_type=block.types.get(hhmm, block.slot_type),
                        channel=block.channels.get(hhmm, block.channel),
                        bookable=hhmm not in block.not_bookable,
                        org_codes=block.org_codes.get(hhmm, ""),
                        org_types=block.org_types.get(hhmm, ""),
                    ))
                at = end
    return rows


def generate_slots(today: date) -> list[SlotRow]:
    """All slots of the practice's days from today to DAYS_AHEAD days on, in start order."""
    rows = [row for offset in DAYS for row in slots_for_day(today + timedelta(days=offset))]
    return sorted(rows, key=lambda r: (r.start, r.schedule_id))
