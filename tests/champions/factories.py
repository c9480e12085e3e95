"""Factories with valid defaults for the champions tests.

The fixed clock is Thursday 1 October 2026, 9am UTC (10am in London, summer time).  Opening
hours default to 9am-5pm, Monday to Saturday, so a default session on Tuesday 6 October at
10am London time is valid.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from champions.commands import ChampionDetails, OpeningInterval, SessionDetails, VenueDetails
from champions.models import Champion, TrainingSession, Venue
from champions.services import (
    BookingResult,
    book_place,
    create_champion,
    create_session,
    create_venue,
)
from core.clock import LONDON

NOW = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
# Tuesday 6 October 2026, 10am to midday in London (BST, so 9am-11am UTC).
SESSION_START = datetime(2026, 10, 6, 10, 0, tzinfo=LONDON)
WEEKDAY_HOURS = tuple(OpeningInterval(day, time(9, 0), time(17, 0)) for day in range(6))

_counter = itertools.count(1)


def venue_details(**overrides: Any) -> VenueDetails:
    """Details of a library open 9am-5pm Monday to Saturday."""
    values: dict[str, Any] = {
        "name": "Hounslow Library",
        "address": "Hounslow House, 7 Bath Road, Hounslow",
        "postcode": "TW3 3EB",
        "latitude": 51.468661,
        "longitude": -0.367434,
        "easting_m": 513_495.0,
        "northing_m": 175_674.0,
        "ward_code": "E05013624",
        "opening_hours": WEEKDAY_HOURS,
        "step_free_access": True,
        "public_wifi": True,
        "devices_available": 6,
    }
    values.update(overrides)
    return VenueDetails(**values)


def make_venue(session: Session, **overrides: Any) -> Venue:
    """Add a venue (defaults from ``venue_details``)."""
    return create_venue(session, venue_details(**overrides), now=NOW)


def make_champion(session: Session, **overrides: Any) -> Champion:
    """Add an active volunteer champion."""
    number = next(_counter)
    values: dict[str, Any] = {
        "full_name": f"Champion {number}",
        "kind": "volunteer",
        "email": f"champion{number}@example.com",
        "languages": ("English",),
        "skill_areas": ("foundation",),
    }
    values.update(overrides)
    return create_champion(session, ChampionDetails(**values), now=NOW)


def session_details(venue: Venue, **overrides: Any) -> SessionDetails:
    """A two-hour beginners' session at ``venue`` starting at ``SESSION_START``."""
    starts_at = overrides.pop("starts_at", SESSION_START)
    values: dict[str, Any] = {
        "topic": "foundation",
        "venue_id": venue.id,
        "starts_at": starts_at,
        "ends_at": overrides.pop("ends_at", starts_at + timedelta(hours=2)),
        "capacity": 5,
    }
    values.update(overrides)
    return SessionDetails(**values)


def make_session(session: Session, venue: Venue | None = None, **overrides: Any) -> TrainingSession:
    """Add a session (and a venue if none is given)."""
    venue = venue or make_venue(session)
    return create_session(session, session_details(venue, **overrides), now=NOW)


def new_key() -> str:
    """A fresh idempotency key, as a booking form would carry."""
    return f"form-token-{next(_counter):08d}-abcdef"


def book(
    session: Session,
    training_session: TrainingSession,
    *,
    who: str | None = None,
    now: datetime = NOW,
    **overrides: Any,
) -> BookingResult:
    """Book by email as a made-up resident."""
    who = who or f"resident{next(_counter)}"
    values: dict[str, Any] = {
        "training_session_id": training_session.id,
        "full_name": who.title(),
        "contact_method": "email",
        "email": f"{who}@example.com",
        "idempotency_key": new_key(),
        "now": now,
    }
    values.update(overrides)
    return book_place(session, **values)
