"""Small immutable commands that a form (or the CLI, or the demo) hands to the services.

A route builds one of these from its validated form and passes it to a service, which checks it
with ``champions.rules`` and raises ``champions.errors.InvalidInput`` naming the attribute that is
wrong: ``FieldError.field`` is always an attribute name of the command (``"starts_at"``,
``"capacity"``...), so a form whose fields share those names needs no mapping.

Datetimes are timezone-aware (any zone; they are stored in UTC); dates are Europe/London
calendar days.  Coordinates are WGS84 degrees (``latitude``/``longitude``) and British National
Grid metres (``easting_m``/``northing_m``, EPSG:27700).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time


@dataclass(frozen=True)
class OpeningInterval:
    """One stretch of opening on one weekday (0 = Monday), in Europe/London wall time."""

    weekday: int
    opens: time
    closes: time


@dataclass(frozen=True)
class ChampionDetails:
    """What a coordinator enters about a Digital Champion."""

    full_name: str
    kind: str
    email: str | None = None
    phone: str | None = None
    languages: tuple[str, ...] = ("English",)
    skill_areas: tuple[str, ...] = ()
    home_venue_id: int | None = None
    ward_code: str | None = None
    availability: str | None = None
    dbs_checked_on: date | None = None
    dbs_expires_on: date | None = None
    user_id: int | None = None
    active: bool = True


@dataclass(frozen=True)
class VenueDetails:
    """What a coordinator enters about a place where help and sessions happen."""

    name: str
    address: str | None = None
    postcode: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    easting_m: float | None = None
    northing_m: float | None = None
    ward_code: str | None = None
    opening_hours: tuple[OpeningInterval, ...] = ()
    step_free_access: bool = False
    hearing_loop: bool = False
    accessible_toilet: bool = False
    accessibility_notes: str | None = None
    public_wifi: bool = False
    devices_available: int = 0
    devices_notes: str | None = None
    contact_phone: str | None = None
    closed: bool = False


@dataclass(frozen=True)
class SessionDetails:
    """One training session: what, where, when and how many places."""

    topic: str
    venue_id: int
    starts_at: datetime
    ends_at: datetime
    capacity: int
    level: str = "beginner"
    language: str = "English"
    title: str | None = None
    description: str | None = None
    champion_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class SeriesDetails:
    """A repeating session: the first occurrence, how often, and until when (or how many)."""

    topic: str
    venue_id: int
    first_starts_at: datetime
    duration_min: int
    capacity: int
    frequency: str
    occurrences: int | None = None
    until_on: date | None = None
    level: str = "beginner"
    language: str = "English"
    title: str | None = None
    description: str | None = None
    champion_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class SupportLogDetails:
    """One episode of help given by a champion, after the French CRA activity log.

    ``ward_code`` is the ward where the resident (or most of the group) lives, if known; for help
    at a venue it defaults to the venue's ward.  ``resident_name`` and ``resident_contact`` may
    only be given when ``consent_given`` is true.
    """

    occurred_on: date
    place: str
    duration_min: int
    topics: tuple[str, ...]
    outcome: str
    kind: str = "individual"
    headcount: int = 1
    venue_id: int | None = None
    ward_code: str | None = None
    age_band: str | None = None
    persona_code: str | None = None
    referred_to: str | None = None
    consent_given: bool = False
    resident_name: str | None = None
    resident_contact: str | None = None


__all__ = [
    "ChampionDetails",
    "OpeningInterval",
    "SeriesDetails",
    "SessionDetails",
    "SupportLogDetails",
    "VenueDetails",
]
