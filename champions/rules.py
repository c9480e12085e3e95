"""Pure rules of the champions domain: no database, no clock, no I/O.

Every rule takes ``today`` (a Europe/London date) or ``now`` (an aware datetime) as an argument.
Validators either return the cleaned value or raise ``InvalidInput``; ``*_problems`` functions
return every ``FieldError`` they find so a form can show them all at once.  Messages follow the
GOV.UK Design System's error-message wording.
"""

from __future__ import annotations

import calendar
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any, Final, Literal

import phonenumbers

from champions.commands import (
    ChampionDetails,
    OpeningInterval,
    SeriesDetails,
    SessionDetails,
    SupportLogDetails,
    VenueDetails,
)
from champions.errors import FieldError, InvalidInput
from champions.vocabulary import (
    AGE_BANDS,
    CHAMPION_KINDS,
    FREQUENCIES,
    LEVELS,
    OUTCOMES,
    PLACES,
    REQUIRED_TRAINING,
    SUPPORT_KINDS,
    TOPICS,
    TRAINING_MODULE_LABELS,
    WEEKDAY_NAMES,
)
from core.clock import LONDON, govuk_date
from core.postcodes import normalise_postcode

MAX_NAME_LENGTH: Final = 200
MAX_NOTE_LENGTH: Final = 500
MAX_CAPACITY: Final = 200
MAX_SESSION_MIN: Final = 8 * 60
MAX_SUPPORT_MIN: Final = 8 * 60
MAX_GROUP_SIZE: Final = 100
MAX_SERIES_OCCURRENCES: Final = 104
EARTH_RADIUS_M: Final = 6_371_008.8

# ---------------------------------------------------------------------------------------------
# Contact details and short text
# ---------------------------------------------------------------------------------------------

# After GOV.UK Notify's own validation (notifications-utils), so an address accepted here is one
# Notify will send to.
_EMAIL = re.compile(r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~\-]+@([^.@][^@\s]+)$")
_HOSTNAME_PART = re.compile(r"^(xn|[a-z0-9]+)(-?-[a-z0-9]+)*$", re.IGNORECASE)
_TLD = re.compile(r"^([a-z]{2,63}|xn--([a-z0-9]+-)*[a-z0-9]+)$", re.IGNORECASE)
# Ofcom keeps 07700 900000-900999 for drama and training; accepting it lets demos and tests use
# numbers that can never reach a real person.
_DRAMA_MOBILE = re.compile(r"^\+447700900\d{3}$")
_WARD_CODE = re.compile(r"^[EWSN]\d{8}$")
_PERSONA_CODE = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,39}$")


def validate_email(text: str | None, *, field: str = "email", own: bool = True) -> str:
    """Return the email address stripped and in lower case, or raise ``InvalidInput``.

    ``own`` picks the wording: "Enter your email address..." when people enter their own,
    "Enter an email address..." when staff enter someone else's.
    """
    whose = "your" if own else "an"
    address = (text or "").strip()
    if not address:
        return _raise(field, f"Enter {whose} email address")
    wrong = (
        f"Enter {whose} email address in the correct format, like name@example.com"
        if own
        else "Enter an email address in the correct format, like name@example.com"
    )
    match = _EMAIL.match(address)
    if match is None or len(address) > 320 or ".." in address:
        return _raise(field, wrong)
    try:
        hostname = match.group(1).encode("idna").decode("ascii")
    except UnicodeError:
        return _raise(field, wrong)
    parts = hostname.split(".")
    if len(hostname) > 253 or len(parts) < 2:
        return _raise(field, wrong)
    if any(not part or len(part) > 63 or not _HOSTNAME_PART.match(part) for part in parts):
        return _raise(field, wrong)
    if not _TLD.match(parts[-1]):
        return _raise(field, wrong)
    # Lower case so the same person cannot hold two places by changing the case of a letter.
    return address.lower()


def validate_uk_phone(
    text: str | None, *, field: str = "phone", mobile_only: bool = True, own: bool = True
) -> str:
    """Return a UK phone number in E.164 form (``+447911123456``), or raise ``InvalidInput``.

    Any common way of writing the number is accepted (spaces, brackets, ``+44``, ``0044``).
    With ``mobile_only`` (the default, for text messages) landlines are refused.  Crown
    Dependency mobiles (+44 7781...) count as UK numbers; so does Ofcom's drama range.
    """
    whose = "your" if own else "a"
    kind = "UK mobile phone number" if mobile_only else "UK phone number"
    example = "07700 900 982" if mobile_only else "01632 960 001 or 07700 900 982"
    raw = (text or "").strip()
    if not raw:
        return _raise(field, f"Enter {whose} {kind}")
    wrong = f"Enter a {kind}, like {example}"
    try:
        number = phonenumbers.parse(raw, "GB")
    except phonenumbers.NumberParseException:
        return _raise(field, wrong)
    e164 = str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    if _DRAMA_MOBILE.match(e164):
        return e164
    if number.country_code != 44 or not phonenumbers.is_valid_number(number):
        return _raise(field, wrong)
    number_type = phonenumbers.number_type(number)
    mobile_types = (phonenumbers.PhoneNumberType.MOBILE,)
    if mobile_only and number_type not in mobile_types:
        return _raise(
            field, "Enter a mobile phone number: we cannot send text messages to a landline"
        )
    return e164


def validate_full_name(text: str | None, *, field: str = "full_name", own: bool = True) -> str:
    """Return the name with surrounding and repeated spaces removed, or raise ``InvalidInput``."""
    name = " ".join((text or "").split())
    if not name:
        return _raise(field, "Enter your full name" if own else "Enter their full name")
    if len(name) > MAX_NAME_LENGTH:
        return _raise(field, f"Full name must be {MAX_NAME_LENGTH} characters or less")
    return name


def clean_optional_text(
    text: str | None, *, field: str, label: str, max_length: int = MAX_NOTE_LENGTH
) -> str | None:
    """Return stripped text, ``None`` for blank, or raise if longer than ``max_length``."""
    cleaned = (text or "").strip()
    if not cleaned:
        return None
    if len(cleaned) > max_length:
        return _raise(field, f"{label} must be {max_length} characters or less")
    return cleaned


def validate_ward_code(text: str | None, *, field: str = "ward_code") -> str | None:
    """Return an ONS ward code in upper case (``E05013606``), ``None`` for blank, or raise."""
    code = (text or "").strip().upper()
    if not code:
        return None
    if not _WARD_CODE.match(code):
        return _raise(field, "Enter a ward code in the correct format, like E05013606")
    return code


def _raise(field: str, message: str) -> str:
    raise InvalidInput.single(field, message)


def _try(
    errors: list[FieldError], validator: Callable[..., object], *args: Any, **kwargs: Any
) -> None:
    """Run a raising validator for its checks only, collecting its problems into ``errors``."""
    try:
        validator(*args, **kwargs)
    except InvalidInput as error:
        errors.extend(error.errors)


# ---------------------------------------------------------------------------------------------
# DBS checks and training
# ---------------------------------------------------------------------------------------------

DueStatus = Literal["missing", "overdue", "due_soon"]


@dataclass(frozen=True)
class Due:
    """Something a champion must renew: a DBS check or a training module."""

    item: str
    label: str
    status: DueStatus
    due_on: date | None


def add_months(day: date, months: int) -> date:
    """Return ``day`` moved by ``months`` calendar months, clamped to the month's last day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def dbs_renewal_date(checked_on: date, *, valid_years: int = 3) -> date:
    """Return when a DBS check done on ``checked_on`` should be renewed (3 years by default).

    A DBS certificate has no legal expiry; councils set a renewal period in policy, and three
    years is the common choice for volunteers working with adults at risk.
    """
    return add_months(checked_on, 12 * valid_years)


def dbs_due(expires_on: date | None, *, today: date, within_days: int = 60) -> Due | None:
    """Return the DBS renewal that is missing, overdue or due within ``within_days``, else None."""
    label = "DBS check"
    if expires_on is None:
        return Due("dbs", label, "missing", None)
    if expires_on <= today:
        return Due("dbs", label, "overdue", expires_on)
    if expires_on <= today + timedelta(days=within_days):
        return Due("dbs", label, "due_soon", expires_on)
    return None


def training_due(
    completions: Mapping[str, date],
    *,
    today: date,
    required: Mapping[str, int | None] = REQUIRED_TRAINING,
    within_days: int = 30,
) -> list[Due]:
    """List the required training modules that are missing, overdue or due within the window.

    ``completions`` maps a module code to the date it was last completed; ``required`` maps a
    module code to the months a completion stays current (``None``: once is enough).
    """
    found: list[Due] = []
    for module, months in required.items():
        label = TRAINING_MODULE_LABELS.get(module, module)
        done = completions.get(module)
        if done is None:
            found.append(Due(module, label, "missing", None))
            continue
        if months is None:
            continue
        due_on = add_months(done, months)
        if due_on <= today:
            found.append(Due(module, label, "overdue", due_on))
        elif due_on <= today + timedelta(days=within_days):
            found.append(Due(module, label, "due_soon", due_on))
    return found


def champion_problems(details: ChampionDetails, *, today: date) -> list[FieldError]:
    """Check a champion's details; return every problem found."""
    errors: list[FieldError] = []
    _try(errors, validate_full_name, details.full_name, own=False)
    if details.kind not in CHAMPION_KINDS:
        errors.append(FieldError("kind", "Select whether the champion is staff or a volunteer"))
    if details.email is not None and details.email.strip():
        _try(errors, validate_email, details.email, own=False)
    if details.phone is not None and details.phone.strip():
        _try(errors, validate_uk_phone, details.phone, mobile_only=False, own=False)
    languages = [language.strip() for language in details.languages if language.strip()]
    if not languages:
        errors.append(FieldError("languages", "Enter at least one language the champion speaks"))
    elif any(len(language) > 40 for language in languages):
        errors.append(FieldError("languages", "Each language must be 40 characters or less"))
    if any(topic not in TOPICS for topic in details.skill_areas):
        errors.append(FieldError("skill_areas", "Select skill areas from the list"))
    _try(errors, validate_ward_code, details.ward_code)
    _try(
        errors,
        clean_optional_text,
        details.availability,
        field="availability",
        label="Availability",
    )
    checked, expires = details.dbs_checked_on, details.dbs_expires_on
    if checked is not None and checked > today:
        errors.append(
            FieldError("dbs_checked_on", "The date of the DBS check must be today or in the past")
        )
    if expires is not None and checked is None:
        errors.append(FieldError("dbs_checked_on", "Enter the date of the DBS check"))
    if checked is not None and expires is not None and expires <= checked:
        errors.append(
            FieldError("dbs_expires_on", "The DBS renewal date must be after the date of the check")
        )
    return errors


# ---------------------------------------------------------------------------------------------
# Venues and sessions
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Closure:
    """Days (inclusive, Europe/London) on which a venue is shut, with the reason if given."""

    starts_on: date
    ends_on: date
    reason: str | None = None


@dataclass(frozen=True)
class VenueSchedule:
    """What the session rules need to know about a venue, free of the database."""

    name: str
    closed: bool = False
    opening_hours: tuple[OpeningInterval, ...] = ()
    closures: tuple[Closure, ...] = ()


def clock_text(moment: time) -> str:
    """Format a wall-clock time the GOV.UK way: ``9am``, ``2:30pm``, ``midday``, ``midnight``."""
    if moment == time(12, 0):
        return "midday"
    if moment == time(0, 0):
        return "midnight"
    hour = moment.hour % 12 or 12
    suffix = "am" if moment.hour < 12 else "pm"
    return f"{hour}{suffix}" if moment.minute == 0 else f"{hour}:{moment.minute:02d}{suffix}"


def opening_hours_text(intervals: Sequence[OpeningInterval]) -> str:
    """Describe one day's opening, for example ``"9am to 1pm and 2pm to 5pm"``."""
    ordered = sorted(intervals, key=lambda interval: interval.opens)
    return " and ".join(
        f"{clock_text(interval.opens)} to {clock_text(interval.closes)}" for interval in ordered
    )


def venue_problems(details: VenueDetails) -> list[FieldError]:
    """Check a venue's details; return every problem found."""
    errors: list[FieldError] = []
    name = " ".join(details.name.split())
    if not name:
        errors.append(FieldError("name", "Enter the name of the venue"))
    elif len(name) > MAX_NAME_LENGTH:
        errors.append(FieldError("name", f"Name must be {MAX_NAME_LENGTH} characters or less"))
    _try(errors, clean_optional_text, details.address, field="address", label="Address")
    if details.postcode and details.postcode.strip() and not normalise_postcode(details.postcode):
        errors.append(FieldError("postcode", "Enter a full UK postcode, like TW3 1ES"))
    if (details.latitude is None) != (details.longitude is None):
        errors.append(FieldError("latitude", "Enter both the latitude and the longitude"))
    elif details.latitude is not None and details.longitude is not None:
        # A swapped pair is the usual mistake; the UK box catches it.
        if not 49.0 <= details.latitude <= 61.0:
            errors.append(FieldError("latitude", "Enter a latitude in the UK, between 49 and 61"))
        if not -9.0 <= details.longitude <= 2.5:
            errors.append(
                FieldError("longitude", "Enter a longitude in the UK, between -9 and 2.5")
            )
    if (details.easting_m is None) != (details.northing_m is None):
        errors.append(FieldError("easting_m", "Enter both the easting and the northing"))
    elif details.easting_m is not None and details.northing_m is not None:
        if not 0 <= details.easting_m <= 700_000:
            errors.append(FieldError("easting_m", "Enter an easting between 0 and 700000 metres"))
        if not 0 <= details.northing_m <= 1_300_000:
            errors.append(FieldError("northing_m", "Enter a northing between 0 and 1300000 metres"))
    _try(errors, validate_ward_code, details.ward_code)
    errors.extend(opening_hours_problems(details.opening_hours))
    _try(
        errors,
        clean_optional_text,
        details.accessibility_notes,
        field="accessibility_notes",
        label="Accessibility information",
    )
    if not 0 <= details.devices_available <= 1000:
        errors.append(
            FieldError("devices_available", "Number of devices must be between 0 and 1000")
        )
    _try(errors, clean_optional_text, details.devices_notes, field="devices_notes", label="Devices")
    if details.contact_phone and details.contact_phone.strip():
        _try(
            errors,
            validate_uk_phone,
            details.contact_phone,
            field="contact_phone",
            mobile_only=False,
            own=False,
        )
    return errors


def opening_hours_problems(intervals: Sequence[OpeningInterval]) -> list[FieldError]:
    """Check a week of opening hours: real weekdays, opening before closing, no overlaps."""
    errors: list[FieldError] = []
    by_day: dict[int, list[OpeningInterval]] = {}
    for interval in intervals:
        if not 0 <= interval.weekday <= 6:
            errors.append(FieldError("opening_hours", "Choose a day from Monday to Sunday"))
            continue
        if interval.opens >= interval.closes:
            day = WEEKDAY_NAMES[interval.weekday]
            errors.append(
                FieldError("opening_hours", f"Opening time must be before closing time on {day}s")
            )
            continue
        by_day.setdefault(interval.weekday, []).append(interval)
    for weekday, day_intervals in sorted(by_day.items()):
        ordered = sorted(day_intervals, key=lambda interval: interval.opens)
        if any(later.opens < earlier.closes for earlier, later in pairwise(ordered)):
            day = WEEKDAY_NAMES[weekday]
            errors.append(FieldError("opening_hours", f"Opening hours on {day}s overlap"))
    return errors


def venue_problem(
    venue: VenueSchedule, starts_at: datetime, ends_at: datetime
) -> FieldError | None:
    """Say why ``venue`` cannot host a session at these times, or return ``None``.

    Times are compared in Europe/London wall time.  A venue with no opening hours recorded at
    all is taken to be available whenever it is not closed (its hours are unknown, not nil).
    """
    if venue.closed:
        return FieldError("venue_id", f"{venue.name} is closed. Choose another venue")
    start_local, end_local = starts_at.astimezone(LONDON), ends_at.astimezone(LONDON)
    day = start_local.date()
    for closure in venue.closures:
        if closure.starts_on <= day <= closure.ends_on:
            why = f" ({closure.reason})" if closure.reason else ""
            return FieldError(
                "starts_at",
                f"{venue.name} is closed on {govuk_date(day)}{why}. Choose another date or venue",
            )
    if not venue.opening_hours:
        return None
    weekday = day.weekday()
    today_hours = [interval for interval in venue.opening_hours if interval.weekday == weekday]
    day_name = WEEKDAY_NAMES[weekday]
    if not today_hours:
        return FieldError("starts_at", f"{venue.name} is closed on {day_name}s. Choose another day")
    start_time, end_time = start_local.time(), end_local.time()
    if end_local.date() != day:
        end_time = time.max
    if any(
        interval.opens <= start_time and end_time <= interval.closes for interval in today_hours
    ):
        return None
    return FieldError(
        "starts_at",
        f"{venue.name} is open {opening_hours_text(today_hours)} on {day_name}s. "
        "Choose a time when it is open",
    )


def session_problems(
    details: SessionDetails,
    *,
    venue: VenueSchedule,
    now: datetime,
    booked_count: int = 0,
) -> list[FieldError]:
    """Check a session against the clock, its venue and the places already taken."""
    errors: list[FieldError] = []
    if details.starts_at.tzinfo is None or details.ends_at.tzinfo is None:
        raise ValueError("session times must be timezone-aware")
    if details.topic not in TOPICS:
        errors.append(FieldError("topic", "Select a topic"))
    if details.level not in LEVELS:
        errors.append(FieldError("level", "Select a level"))
    if not details.language.strip():
        errors.append(FieldError("language", "Enter the language the session is taught in"))
    elif len(details.language.strip()) > 40:
        errors.append(FieldError("language", "Language must be 40 characters or less"))
    if details.title is not None and len(details.title.strip()) > 120:
        errors.append(FieldError("title", "Title must be 120 characters or less"))
    _try(
        errors,
        clean_optional_text,
        details.description,
        field="description",
        label="Description",
        max_length=2000,
    )
    times_ok = True
    if details.starts_at <= now:
        errors.append(FieldError("starts_at", "The start time must be in the future"))
        times_ok = False
    if details.ends_at <= details.starts_at:
        errors.append(FieldError("ends_at", "The end time must be after the start time"))
        times_ok = False
    elif details.ends_at - details.starts_at > timedelta(minutes=MAX_SESSION_MIN):
        errors.append(FieldError("ends_at", "A session must be 8 hours long or less"))
        times_ok = False
    elif details.starts_at.astimezone(LONDON).date() != details.ends_at.astimezone(LONDON).date():
        errors.append(FieldError("ends_at", "A session must start and end on the same day"))
        times_ok = False
    if details.capacity < 1:
        errors.append(FieldError("capacity", "Capacity must be 1 or more"))
    elif details.capacity > MAX_CAPACITY:
        errors.append(FieldError("capacity", f"Capacity must be {MAX_CAPACITY} or fewer"))
    elif details.capacity < booked_count:
        errors.append(
            FieldError(
                "capacity",
                f"Capacity must be at least {booked_count}, the number of places already taken",
            )
        )
    if times_ok:
        problem = venue_problem(venue, details.starts_at, details.ends_at)
        if problem is not None:
            errors.append(problem)
    return errors


def series_problems(details: SeriesDetails) -> list[FieldError]:
    """Check the repeat pattern of a series (each session is then checked on its own)."""
    errors: list[FieldError] = []
    if details.first_starts_at.tzinfo is None:
        raise ValueError("first_starts_at must be timezone-aware")
    if details.frequency not in FREQUENCIES:
        errors.append(FieldError("frequency", "Select how often the session repeats"))
    if details.occurrences is None and details.until_on is None:
        errors.append(
            FieldError("occurrences", "Enter how many sessions there are, or the last date")
        )
    if details.occurrences is not None and details.until_on is not None:
        errors.append(
            FieldError(
                "occurrences", "Enter how many sessions there are, or the last date, not both"
            )
        )
    if details.occurrences is not None and not 1 <= details.occurrences <= MAX_SERIES_OCCURRENCES:
        errors.append(
            FieldError(
                "occurrences",
                f"Number of sessions must be between 1 and {MAX_SERIES_OCCURRENCES}",
            )
        )
    first_day = details.first_starts_at.astimezone(LONDON).date()
    if details.until_on is not None and details.until_on < first_day:
        errors.append(
            FieldError("until_on", "The last date must be the same as or after the first session")
        )
    if not 1 <= details.duration_min <= MAX_SESSION_MIN:
        errors.append(
            FieldError("duration_min", f"Length must be between 1 and {MAX_SESSION_MIN} minutes")
        )
    return errors


# ---------------------------------------------------------------------------------------------
# Recurrence
# ---------------------------------------------------------------------------------------------


def _nth_weekday(year: int, month: int, weekday: int, ordinal: int) -> date:
    """The ``ordinal``-th (1-4) or last (-1) ``weekday`` of a month."""
    if ordinal == -1:
        last = date(year, month, calendar.monthrange(year, month)[1])
        return last - timedelta(days=(last.weekday() - weekday) % 7)
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (ordinal - 1))


def expand_recurrence(
    first_starts_at: datetime,
    *,
    frequency: str,
    count: int | None = None,
    until: date | None = None,
    max_occurrences: int = MAX_SERIES_OCCURRENCES,
) -> list[datetime]:
    """Return the start of every occurrence of a series as aware UTC datetimes.

    Occurrences keep the Europe/London wall time of the first one, so a 10am class stays at 10am
    when the clocks change (its UTC time moves by an hour).  ``frequency`` is ``weekly``,
    ``fortnightly`` or ``monthly``; monthly repeats on the same weekday of the month ("second
    Tuesday"), and a first date in the fifth week means "last Tuesday".  The series ends after
    ``count`` occurrences or on the last occurrence on or before ``until`` (a London date).

    A wall time that does not exist on some day (01:00-01:59 on the spring change) is taken as
    the same time before the change, so 01:30 becomes 02:30 BST; nobody schedules classes then.

    Raises
    ------
    InvalidInput
        If neither or both of ``count``/``until`` are given, or the series would have more than
        ``max_occurrences`` sessions.
    """
    if first_starts_at.tzinfo is None:
        raise ValueError("first_starts_at must be timezone-aware")
    if frequency not in FREQUENCIES:
        raise InvalidInput.single("frequency", "Select how often the session repeats")
    if (count is None) == (until is None):
        raise InvalidInput.single(
            "occurrences", "Enter how many sessions there are, or the last date"
        )
    if count is not None and not 1 <= count <= max_occurrences:
        raise InvalidInput.single(
            "occurrences", f"Number of sessions must be between 1 and {max_occurrences}"
        )
    local = first_starts_at.astimezone(LONDON)
    first_day, wall_time = local.date(), local.time().replace(tzinfo=None)
    ordinal = (first_day.day - 1) // 7 + 1
    if ordinal == 5:
        ordinal = -1
    starts: list[datetime] = []
    index = 0
    while count is None or index < count:
        if frequency == "monthly":
            month_index = first_day.year * 12 + first_day.month - 1 + index
            day = _nth_weekday(
                month_index // 12, month_index % 12 + 1, first_day.weekday(), ordinal
            )
            if index == 0:
                day = first_day
        else:
            step_days = 7 if frequency == "weekly" else 14
            day = first_day + timedelta(days=step_days * index)
        if until is not None and day > until:
            break
        if len(starts) >= max_occurrences:
            raise InvalidInput.single(
                "until_on",
                f"A series can have up to {max_occurrences} sessions. Choose an earlier last date",
            )
        starts.append(datetime.combine(day, wall_time, tzinfo=LONDON).astimezone(UTC))
        index += 1
    return starts


# ---------------------------------------------------------------------------------------------
# Distances
# ---------------------------------------------------------------------------------------------


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two WGS84 points given in degrees.

    Uses the mean Earth radius (6,371,008.8 m); within a borough the error against the
    ellipsoid is well under 0.5%.
    """
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, a)))


def grid_distance_m(x1_m: float, y1_m: float, x2_m: float, y2_m: float) -> float:
    """Straight-line distance in metres between two British National Grid (EPSG:27700) points."""
    return math.hypot(x2_m - x1_m, y2_m - y1_m)


# ---------------------------------------------------------------------------------------------
# Booking timings
# ---------------------------------------------------------------------------------------------


def reminder_send_after(
    starts_at: datetime, *, now: datetime, reminder_hours: float
) -> datetime | None:
    """When to send the reminder for a session, or ``None`` if that moment has already passed.

    Someone who books after the reminder time has just had a confirmation, so needs no reminder.
    """
    send_after = starts_at - timedelta(hours=reminder_hours)
    return send_after if send_after > now else None


def offer_expires_at(
    *, now: datetime, starts_at: datetime, offer_hours: float, min_offer_minutes: float
) -> datetime | None:
    """When a waiting-list offer made ``now`` runs out, or ``None`` if it is too late to offer.

    An offer lasts ``offer_hours`` (pretix's default is 48) but never beyond the start of the
    session; if less than ``min_offer_minutes`` would be left, nobody could act on it in time.
    """
    expires = min(now + timedelta(hours=offer_hours), starts_at)
    if expires - now < timedelta(minutes=min_offer_minutes):
        return None
    return expires


# ---------------------------------------------------------------------------------------------
# Support logs
# ---------------------------------------------------------------------------------------------


def support_log_problems(
    details: SupportLogDetails, *, today: date, max_age_days: int = 365
) -> list[FieldError]:
    """Check one support-log entry; return every problem found.

    Names and contact details are refused unless the resident agreed to them being kept.
    """
    errors: list[FieldError] = []
    if details.occurred_on > today:
        errors.append(FieldError("occurred_on", "The date must be today or in the past"))
    elif details.occurred_on < today - timedelta(days=max_age_days):
        errors.append(
            FieldError(
                "occurred_on",
                f"The date must be within the last {max_age_days} days",
            )
        )
    if details.place not in PLACES:
        errors.append(FieldError("place", "Select where the help was given"))
    elif details.place == "venue" and details.venue_id is None:
        errors.append(FieldError("venue_id", "Select the venue"))
    elif details.place != "venue" and details.venue_id is not None:
        errors.append(FieldError("venue_id", "Only choose a venue for help given at a venue"))
    if not 1 <= details.duration_min <= MAX_SUPPORT_MIN:
        errors.append(
            FieldError("duration_min", f"Enter a time between 1 and {MAX_SUPPORT_MIN} minutes")
        )
    if details.kind not in SUPPORT_KINDS:
        errors.append(FieldError("kind", "Select whether you helped one resident or a group"))
    elif details.kind == "individual" and details.headcount != 1:
        errors.append(FieldError("headcount", "Help for one resident has a headcount of 1"))
    elif details.kind == "group" and not 2 <= details.headcount <= MAX_GROUP_SIZE:
        errors.append(
            FieldError("headcount", f"Enter a number of people between 2 and {MAX_GROUP_SIZE}")
        )
    if not details.topics:
        errors.append(FieldError("topics", "Select at least one topic"))
    elif any(topic not in TOPICS for topic in details.topics):
        errors.append(FieldError("topics", "Select topics from the list"))
    if details.outcome not in OUTCOMES:
        errors.append(FieldError("outcome", "Select what happens next for the resident"))
    if details.age_band is not None:
        if details.age_band not in AGE_BANDS:
            errors.append(FieldError("age_band", "Select an age band"))
        elif details.age_band == "mixed" and details.kind != "group":
            errors.append(FieldError("age_band", "Select the resident’s age band"))
    _try(errors, validate_ward_code, details.ward_code)
    if details.persona_code is not None and not _PERSONA_CODE.match(details.persona_code):
        errors.append(FieldError("persona_code", "Select a persona from the list"))
    _try(
        errors,
        clean_optional_text,
        details.referred_to,
        field="referred_to",
        label="Organisation",
        max_length=MAX_NAME_LENGTH,
    )
    has_identity = bool((details.resident_name or "").strip()) or bool(
        (details.resident_contact or "").strip()
    )
    if has_identity and not details.consent_given:
        errors.append(
            FieldError(
                "resident_name",
                "Only record the resident’s name or contact details if they agree. "
                "Remove them, or record that they agreed",
            )
        )
    elif has_identity:
        _try(
            errors,
            clean_optional_text,
            details.resident_name,
            field="resident_name",
            label="Name",
            max_length=MAX_NAME_LENGTH,
        )
        _try(
            errors,
            clean_optional_text,
            details.resident_contact,
            field="resident_contact",
            label="Contact details",
            max_length=MAX_NAME_LENGTH,
        )
    return errors


__all__ = [
    "MAX_CAPACITY",
    "Closure",
    "Due",
    "VenueSchedule",
    "add_months",
    "champion_problems",
    "clean_optional_text",
    "clock_text",
    "dbs_due",
    "dbs_renewal_date",
    "expand_recurrence",
    "grid_distance_m",
    "haversine_m",
    "offer_expires_at",
    "opening_hours_problems",
    "opening_hours_text",
    "reminder_send_after",
    "series_problems",
    "session_problems",
    "support_log_problems",
    "training_due",
    "validate_email",
    "validate_full_name",
    "validate_uk_phone",
    "validate_ward_code",
    "venue_problem",
    "venue_problems",
]
