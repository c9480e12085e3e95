"""Records for the champions page tests, dated from the real clock (pages use ``now_utc``)."""

from __future__ import annotations

import itertools
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from app.auth.models import User
from champions.bookings import BookingResult, BookingSettings
from champions.commands import ChampionDetails, SessionDetails, VenueDetails
from champions.models import Champion, TrainingSession, Venue
from champions.services import book_place, create_champion, create_session, create_venue
from core.clock import LONDON, now_utc, today_london

_counter = itertools.count(1)
SETTINGS = BookingSettings(
    manage_url=lambda reference, token: f"http://planner.test/bookings/{reference}/{token}"
)


def future_start(*, days: int = 7, hour: int = 10) -> datetime:
    """``days`` from today at ``hour`` o'clock, London time."""
    return datetime.combine(today_london() + timedelta(days=days), time(hour, 0), tzinfo=LONDON)


def make_venue(session: Session, **overrides: Any) -> Venue:
    """A library with no opening hours recorded (so it can host a session at any time)."""
    values: dict[str, Any] = {
        "name": f"Test Library {next(_counter)}",
        "address": "1 High Street",
        "postcode": "TW3 1ES",
        "latitude": 51.4686,
        "longitude": -0.3674,
        "easting_m": 513_495.0,
        "northing_m": 175_674.0,
        "ward_code": "E05013624",
        "step_free_access": True,
        "public_wifi": True,
        "devices_available": 4,
    }
    values.update(overrides)
    return create_venue(session, VenueDetails(**values), now=now_utc())


def make_session(
    session: Session,
    venue: Venue | None = None,
    *,
    capacity: int = 5,
    days: int = 7,
    **overrides: Any,
) -> TrainingSession:
    """A two-hour beginners' session ``days`` from today at 10am."""
    venue = venue or make_venue(session)
    starts_at = overrides.pop("starts_at", future_start(days=days))
    values: dict[str, Any] = {
        "topic": "foundation",
        "venue_id": venue.id,
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=2),
        "capacity": capacity,
    }
    values.update(overrides)
    return create_session(session, SessionDetails(**values), now=now_utc())


def make_champion(session: Session, *, user: User | None = None, **overrides: Any) -> Champion:
    """An active volunteer champion, linked to ``user`` if given."""
    number = next(_counter)
    values: dict[str, Any] = {
        "full_name": f"Champion {number}",
        "kind": "volunteer",
        "email": f"champion{number}@example.com",
        "languages": ("English",),
        "skill_areas": ("foundation",),
        "user_id": user.id if user else None,
    }
    values.update(overrides)
    return create_champion(session, ChampionDetails(**values), now=now_utc())


def book(
    session: Session, training_session: TrainingSession, *, who: str | None = None, **overrides: Any
) -> BookingResult:
    """Book by email as a made-up resident (messages carry planner.test links)."""
    who = who or f"resident{next(_counter)}"
    values: dict[str, Any] = {
        "training_session_id": training_session.id,
        "full_name": who.title(),
        "contact_method": "email",
        "email": f"{who}@example.com",
        "idempotency_key": f"test-form-token-{next(_counter):08d}",
        "now": now_utc(),
        "settings": SETTINGS,
    }
    values.update(overrides)
    return book_place(session, **values)
