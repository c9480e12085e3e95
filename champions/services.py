"""Services of the champions domain: the commands and queries the web layer and CLI call.

Each service takes a ``Session`` and ``now`` (an aware datetime from ``core.clock``), applies the
pure rules of ``champions.rules``, adds and flushes, and returns the result or raises a
``DomainError`` subclass (``champions.errors``) whose message can be shown as it is.  Services
never commit: the web request or the CLI command owns the transaction.

The booking lifecycle lives in ``champions.bookings`` and the retention purge in
``champions.retention``; both are re-exported here so callers need one import.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from champions.bookings import (
    DEFAULT_SETTINGS,
    AttendanceResult,
    BookingResult,
    BookingSettings,
    ExpiryReport,
    accept_offer,
    book_place,
    cancel_booking,
    cancel_booking_for_resident,
    cancel_session,
    expire_offers,
    find_booking_for_link,
    get_booking,
    lock_training_session,
    mark_attendance,
    notify_session_changed,
    offer_free_places,
    session_title,
    waiting_position,
)
from champions.commands import (
    ChampionDetails,
    OpeningInterval,
    SeriesDetails,
    SessionDetails,
    SupportLogDetails,
    VenueDetails,
)
from champions.errors import FieldError, InvalidInput, SessionUnavailable
from champions.ics import ics_filename, ics_for_booking
from champions.models import (
    Champion,
    ChampionTraining,
    SessionSeries,
    SupportLog,
    SupportLogTopic,
    TrainingSession,
    Venue,
    VenueClosure,
    VenueOpeningHours,
)
from champions.retention import (
    PurgeReport,
    erase_booking_details,
    erase_support_log_identity,
    purge_personal_data,
)
from champions.rules import (
    Closure,
    Due,
    VenueSchedule,
    champion_problems,
    clean_optional_text,
    dbs_due,
    dbs_renewal_date,
    expand_recurrence,
    grid_distance_m,
    haversine_m,
    series_problems,
    session_problems,
    support_log_problems,
    training_due,
    validate_email,
    validate_full_name,
    validate_uk_phone,
    validate_ward_code,
    venue_problems,
)
from champions.vocabulary import REQUIRED_TRAINING, TRAINING_MODULES
from core.audit import record_event
from core.clock import LONDON, govuk_date, to_london
from core.errors import NotFound
from core.postcodes import normalise_postcode

# ---------------------------------------------------------------------------------------------
# Champions
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChampionDue:
    """An active champion with DBS or training renewals due."""

    champion: Champion
    items: tuple[Due, ...]


def create_champion(
    session: Session,
    details: ChampionDetails,
    *,
    now: datetime,
    actor_id: int | None = None,
    dbs_valid_years: int = 3,
) -> Champion:
    """Add a champion; without a renewal date the DBS check is renewed after ``dbs_valid_years``."""
    champion = Champion(created_at=now)
    _apply_champion(session, champion, details, now=now, dbs_valid_years=dbs_valid_years)
    session.add(champion)
    session.flush()
    _audit(session, now, actor_id, "champion.created", "champion", champion.public_id)
    return champion


def update_champion(
    session: Session,
    champion_id: int,
    details: ChampionDetails,
    *,
    now: datetime,
    actor_id: int | None = None,
    dbs_valid_years: int = 3,
) -> Champion:
    """Replace a champion's details with ``details`` (every field, as an edit form sends them)."""
    champion = session.get(Champion, champion_id)
    if champion is None:
        raise NotFound("We could not find that champion")
    _apply_champion(session, champion, details, now=now, dbs_valid_years=dbs_valid_years)
    session.flush()
    _audit(session, now, actor_id, "champion.updated", "champion", champion.public_id)
    return champion


def _apply_champion(
    session: Session,
    champion: Champion,
    details: ChampionDetails,
    *,
    now: datetime,
    dbs_valid_years: int,
) -> None:
    errors = champion_problems(details, today=to_london(now).date())
    email = (
        validate_email(details.email, own=False)
        if details.email and details.email.strip() and not _has_field(errors, "email")
        else None
    )
    if email is not None:
        clash = session.scalar(
            select(Champion.id).where(Champion.email == email, Champion.id != champion.id)
        )
        if clash is not None:
            errors.append(FieldError("email", "Another champion already uses this email address"))
    if details.user_id is not None:
        clash = session.scalar(
            select(Champion.id).where(
                Champion.user_id == details.user_id, Champion.id != champion.id
            )
        )
        if clash is not None:
            errors.append(
                FieldError("user_id", "This staff account is already linked to another champion")
            )
    if details.home_venue_id is not None and session.get(Venue, details.home_venue_id) is None:
        errors.append(FieldError("home_venue_id", "Select a venue from the list"))
    if errors:
        raise InvalidInput(errors)
    champion.full_name = validate_full_name(details.full_name, own=False)
    champion.kind = details.kind
    champion.email = email
    champion.phone = (
        validate_uk_phone(details.phone, mobile_only=False, own=False)
        if details.phone and details.phone.strip()
        else None
    )
    champion.languages = list(
        dict.fromkeys(language.strip() for language in details.languages if language.strip())
    )
    champion.skill_areas = sorted(set(details.skill_areas))
    champion.home_venue_id = details.home_venue_id
    champion.ward_code = validate_ward_code(details.ward_code)
    champion.availability = clean_optional_text(
        details.availability, field="availability", label="Availability"
    )
    champion.dbs_checked_on = details.dbs_checked_on
    champion.dbs_expires_on = details.dbs_expires_on
    if details.dbs_checked_on is not None and details.dbs_expires_on is None:
        champion.dbs_expires_on = dbs_renewal_date(
            details.dbs_checked_on, valid_years=dbs_valid_years
        )
    champion.user_id = details.user_id
    # When they stopped: kept while they stay inactive, cleared if they come back.
    champion.left_at = None if details.active else (champion.left_at or now)
    champion.active = details.active
    champion.updated_at = now


def _has_field(errors: Sequence[FieldError], field: str) -> bool:
    return any(error.field == field for error in errors)


def record_training(
    session: Session,
    champion_id: int,
    *,
    module: str,
    completed_on: date,
    now: datetime,
    actor_id: int | None = None,
) -> ChampionTraining:
    """Record that a champion completed a training module (recording it twice is harmless)."""
    champion = session.get(Champion, champion_id)
    if champion is None:
        raise NotFound("We could not find that champion")
    if module not in TRAINING_MODULES:
        raise InvalidInput.single("module", "Select a training module")
    if completed_on > to_london(now).date():
        raise InvalidInput.single("completed_on", "The date must be today or in the past")
    existing = session.scalars(
        select(ChampionTraining).where(
            ChampionTraining.champion_id == champion_id,
            ChampionTraining.module == module,
            ChampionTraining.completed_on == completed_on,
        )
    ).first()
    if existing is not None:
        return existing
    record = ChampionTraining(champion=champion, module=module, completed_on=completed_on)
    session.add(record)
    session.flush()
    _audit(
        session,
        now,
        actor_id,
        "champion.training_recorded",
        "champion",
        champion.public_id,
        {"module": module, "completed_on": completed_on.isoformat()},
    )
    return record


def list_champions_due(
    session: Session,
    *,
    today: date,
    dbs_within_days: int = 60,
    training_within_days: int = 30,
    required_training: dict[str, int | None] | None = None,
) -> list[ChampionDue]:
    """List active champions whose DBS check or required training is missing or due soon."""
    required = REQUIRED_TRAINING if required_training is None else required_training
    champions = session.scalars(
        select(Champion)
        .where(Champion.active.is_(True))
        .options(selectinload(Champion.training_records))
        .order_by(Champion.full_name, Champion.id)
    ).all()
    found: list[ChampionDue] = []
    for champion in champions:
        items: list[Due] = []
        dbs = dbs_due(champion.dbs_expires_on, today=today, within_days=dbs_within_days)
        if dbs is not None:
            items.append(dbs)
        items.extend(
            training_due(
                champion.latest_training(),
                today=today,
                required=required,
                within_days=training_within_days,
            )
        )
        if items:
            found.append(ChampionDue(champion, tuple(items)))
    return found


def get_champion(session: Session, public_id: str) -> Champion:
    """Return the champion with this public id, or raise ``NotFound``."""
    champion = session.scalars(select(Champion).where(Champion.public_id == public_id)).first()
    if champion is None:
        raise NotFound("We could not find that champion")
    return champion


def find_champion_for_user(session: Session, user_id: int) -> Champion | None:
    """Return the champion linked to a staff account, if there is one."""
    return session.scalars(select(Champion).where(Champion.user_id == user_id)).first()


def list_champions(session: Session, *, include_inactive: bool = False) -> list[Champion]:
    """Return champions in name order (active ones only unless asked)."""
    query = select(Champion).order_by(Champion.full_name, Champion.id)
    if not include_inactive:
        query = query.where(Champion.active.is_(True))
    return list(session.scalars(query))


# ---------------------------------------------------------------------------------------------
# Venues
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClosureResult:
    """A new closure and the scheduled sessions that fall on it (the caller decides on them)."""

    closure: VenueClosure
    affected_sessions: tuple[TrainingSession, ...]


def create_venue(
    session: Session, details: VenueDetails, *, now: datetime, actor_id: int | None = None
) -> Venue:
    """Add a venue with its opening hours."""
    venue = Venue(created_at=now)
    _apply_venue(venue, details, now=now)
    session.add(venue)
    session.flush()
    _audit(session, now, actor_id, "venue.created", "venue", venue.public_id)
    return venue


def update_venue(
    session: Session,
    venue_id: int,
    details: VenueDetails,
    *,
    now: datetime,
    actor_id: int | None = None,
) -> Venue:
    """Replace a venue's details and opening hours (sessions already booked are not moved)."""
    venue = session.get(Venue, venue_id)
    if venue is None:
        raise NotFound("We could not find that venue")
    _apply_venue(venue, details, now=now)
    session.flush()
    _audit(session, now, actor_id, "venue.updated", "venue", venue.public_id)
    return venue


def _apply_venue(venue: Venue, details: VenueDetails, *, now: datetime) -> None:
    errors = venue_problems(details)
    if errors:
        raise InvalidInput(errors)
    venue.name = " ".join(details.name.split())
    venue.address = clean_optional_text(details.address, field="address", label="Address")
    venue.postcode = normalise_postcode(details.postcode) if details.postcode else None
    venue.latitude, venue.longitude = details.latitude, details.longitude
    venue.easting_m, venue.northing_m = details.easting_m, details.northing_m
    venue.ward_code = validate_ward_code(details.ward_code)
    venue.step_free_access = details.step_free_access
    venue.hearing_loop = details.hearing_loop
    venue.accessible_toilet = details.accessible_toilet
    venue.accessibility_notes = clean_optional_text(
        details.accessibility_notes, field="accessibility_notes", label="Accessibility information"
    )
    venue.public_wifi = details.public_wifi
    venue.devices_available = details.devices_available
    venue.devices_notes = clean_optional_text(
        details.devices_notes, field="devices_notes", label="Devices"
    )
    venue.contact_phone = (
        validate_uk_phone(
            details.contact_phone, field="contact_phone", mobile_only=False, own=False
        )
        if details.contact_phone and details.contact_phone.strip()
        else None
    )
    venue.closed = details.closed
    venue.updated_at = now
    venue.opening_hours = [
        VenueOpeningHours(
            weekday=interval.weekday, opens_at=interval.opens, closes_at=interval.closes
        )
        for interval in sorted(
            set(details.opening_hours), key=lambda item: (item.weekday, item.opens)
        )
    ]


def add_venue_closure(
    session: Session,
    venue_id: int,
    *,
    starts_on: date,
    ends_on: date,
    reason: str | None,
    now: datetime,
    actor_id: int | None = None,
) -> ClosureResult:
    """Record days a venue is shut; returns the scheduled sessions on those days."""
    venue = session.get(Venue, venue_id)
    if venue is None:
        raise NotFound("We could not find that venue")
    if ends_on < starts_on:
        raise InvalidInput.single(
            "ends_on", "The last day must be the same as or after the first day"
        )
    cleaned = clean_optional_text(reason, field="reason", label="Reason", max_length=200)
    closure = VenueClosure(venue=venue, starts_on=starts_on, ends_on=ends_on, reason=cleaned)
    session.add(closure)
    venue.updated_at = now
    session.flush()
    window_start = datetime.combine(starts_on, datetime.min.time(), tzinfo=LONDON)
    window_end = datetime.combine(ends_on + timedelta(days=1), datetime.min.time(), tzinfo=LONDON)
    affected = session.scalars(
        select(TrainingSession)
        .where(
            TrainingSession.venue_id == venue_id,
            TrainingSession.status == "scheduled",
            TrainingSession.starts_at >= window_start,
            TrainingSession.starts_at < window_end,
        )
        .order_by(TrainingSession.starts_at)
    ).all()
    _audit(
        session,
        now,
        actor_id,
        "venue.closure_added",
        "venue",
        venue.public_id,
        {"starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat()},
    )
    return ClosureResult(closure, tuple(affected))


def venue_schedule(venue: Venue) -> VenueSchedule:
    """The plain-data view of a venue that the session rules check against."""
    return VenueSchedule(
        name=venue.name,
        closed=venue.closed,
        opening_hours=tuple(
            OpeningInterval(row.weekday, row.opens_at, row.closes_at) for row in venue.opening_hours
        ),
        closures=tuple(Closure(row.starts_on, row.ends_on, row.reason) for row in venue.closures),
    )


def get_venue(session: Session, public_id: str) -> Venue:
    """Return the venue with this public id, or raise ``NotFound``."""
    venue = session.scalars(select(Venue).where(Venue.public_id == public_id)).first()
    if venue is None:
        raise NotFound("We could not find that venue")
    return venue


def list_venues(session: Session, *, include_closed: bool = False) -> list[Venue]:
    """Return venues in name order (open ones only unless asked)."""
    query = select(Venue).order_by(Venue.name, Venue.id)
    if not include_closed:
        query = query.where(Venue.closed.is_(False))
    return list(session.scalars(query))


# ---------------------------------------------------------------------------------------------
# Sessions and series
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SkippedDate:
    """A date of a series with no session, because the venue is closed then."""

    day: date
    reason: str


@dataclass(frozen=True)
class SeriesResult:
    """A new series, the sessions created for it, and the dates left out."""

    series: SessionSeries
    sessions: tuple[TrainingSession, ...]
    skipped: tuple[SkippedDate, ...]


def create_session(
    session: Session,
    details: SessionDetails,
    *,
    now: datetime,
    actor_id: int | None = None,
) -> TrainingSession:
    """Schedule one session after checking the time, the venue's hours and closures."""
    venue = _venue_for(session, details.venue_id)
    errors = session_problems(details, venue=venue_schedule(venue), now=now)
    champions = _champions_for(session, details.champion_ids, errors)
    if errors:
        raise InvalidInput(errors)
    training_session = _new_session(details, champions, now=now)
    session.add(training_session)
    session.flush()
    _audit(
        session,
        now,
        actor_id,
        "session.created",
        "training_session",
        training_session.public_id,
    )
    return training_session


def update_session(
    session: Session,
    training_session_id: int,
    details: SessionDetails,
    *,
    now: datetime,
    actor_id: int | None = None,
    settings: BookingSettings = DEFAULT_SETTINGS,
) -> TrainingSession:
    """Change a future session; people booked are told of a new time or place, and extra places
    go to the waiting list first."""
    training_session = lock_training_session(session, training_session_id)
    if training_session.status != "scheduled":
        raise SessionUnavailable("This session has been cancelled, so it cannot be changed")
    if training_session.starts_at <= now:
        raise SessionUnavailable("This session has already started, so it cannot be changed")
    venue = _venue_for(session, details.venue_id)
    errors = session_problems(
        details,
        venue=venue_schedule(venue),
        now=now,
        booked_count=training_session.booked_count,
    )
    champions = _champions_for(session, details.champion_ids, errors)
    if errors:
        raise InvalidInput(errors)
    moved = (
        details.starts_at != training_session.starts_at
        or details.ends_at != training_session.ends_at
        or details.venue_id != training_session.venue_id
    )
    more_places = details.capacity > training_session.capacity
    training_session.topic = details.topic
    training_session.level = details.level
    training_session.language = details.language.strip()
    training_session.title = (details.title or "").strip() or None
    training_session.description = clean_optional_text(
        details.description, field="description", label="Description", max_length=2000
    )
    training_session.venue_id = details.venue_id
    training_session.venue = venue
    training_session.starts_at = details.starts_at
    training_session.ends_at = details.ends_at
    training_session.capacity = details.capacity
    training_session.champions = champions
    training_session.updated_at = now
    if moved:
        training_session.revision += 1
    session.flush()
    if moved:
        notify_session_changed(session, training_session, now=now, settings=settings)
    if more_places:
        offer_free_places(session, training_session, now=now, settings=settings)
        session.refresh(training_session, ["booked_count"])
    _audit(
        session,
        now,
        actor_id,
        "session.updated",
        "training_session",
        training_session.public_id,
        {"moved": moved},
    )
    return training_session


def create_series(
    session: Session,
    details: SeriesDetails,
    *,
    now: datetime,
    actor_id: int | None = None,
) -> SeriesResult:
    """Create a repeating session and every occurrence of it.

    Occurrences keep the London wall time of the first (so a 10am class stays at 10am across
    the clock change).  Dates when the venue is closed are left out and reported in
    ``skipped``; any other problem (past date, outside opening hours) refuses the whole series.
    """
    venue = _venue_for(session, details.venue_id)
    errors = series_problems(details)
    champions = _champions_for(session, details.champion_ids, errors)
    if errors:
        raise InvalidInput(errors)
    starts = expand_recurrence(
        details.first_starts_at,
        frequency=details.frequency,
        count=details.occurrences,
        until=details.until_on,
    )
    schedule = venue_schedule(venue)
    without_closures = replace(schedule, closures=())
    duration = timedelta(minutes=details.duration_min)
    to_create: list[SessionDetails] = []
    skipped: list[SkippedDate] = []
    for start in starts:
        occurrence = SessionDetails(
            topic=details.topic,
            venue_id=details.venue_id,
            starts_at=start,
            ends_at=start + duration,
            capacity=details.capacity,
            level=details.level,
            language=details.language,
            title=details.title,
            description=details.description,
            champion_ids=details.champion_ids,
        )
        problems = session_problems(occurrence, venue=without_closures, now=now)
        if problems:
            raise InvalidInput([_series_field(problem, start) for problem in problems])
        closure = _closure_on(schedule, to_london(start).date())
        if closure is not None:
            skipped.append(SkippedDate(to_london(start).date(), closure.reason or "Venue closed"))
            continue
        to_create.append(occurrence)
    if not to_create:
        raise InvalidInput.single(
            "first_starts_at",
            f"{venue.name} is closed on every date in this series. Choose other dates",
        )
    series = SessionSeries(
        title=(details.title or "").strip() or None,
        topic=details.topic,
        level=details.level,
        language=details.language.strip(),
        venue_id=details.venue_id,
        capacity=details.capacity,
        first_starts_at=details.first_starts_at,
        duration_min=details.duration_min,
        frequency=details.frequency,
        occurrences=details.occurrences,
        until_on=details.until_on,
        created_at=now,
    )
    session.add(series)
    sessions = []
    for occurrence in to_create:
        training_session = _new_session(occurrence, champions, now=now)
        training_session.series = series
        session.add(training_session)
        sessions.append(training_session)
    session.flush()
    _audit(
        session,
        now,
        actor_id,
        "series.created",
        "session_series",
        series.public_id,
        {"sessions": len(sessions), "skipped": len(skipped)},
    )
    return SeriesResult(series, tuple(sessions), tuple(skipped))


def _series_field(problem: FieldError, start: datetime) -> FieldError:
    field = {"starts_at": "first_starts_at", "ends_at": "duration_min"}.get(
        problem.field, problem.field
    )
    if problem.field in ("starts_at", "ends_at"):
        return FieldError(field, f"{problem.message} (session on {govuk_date(start)})")
    return FieldError(field, problem.message)


def _closure_on(schedule: VenueSchedule, day: date) -> Closure | None:
    return next(
        (closure for closure in schedule.closures if closure.starts_on <= day <= closure.ends_on),
        None,
    )


def _venue_for(session: Session, venue_id: int) -> Venue:
    venue = session.get(Venue, venue_id)
    if venue is None:
        raise InvalidInput.single("venue_id", "Select a venue from the list")
    return venue


def _champions_for(
    session: Session, champion_ids: Sequence[int], errors: list[FieldError]
) -> list[Champion]:
    wanted = list(dict.fromkeys(champion_ids))
    if not wanted:
        return []
    found = session.scalars(
        select(Champion).where(Champion.id.in_(wanted), Champion.active.is_(True))
    ).all()
    if len(found) != len(wanted):
        errors.append(FieldError("champion_ids", "Select active champions from the list"))
    return sorted(found, key=lambda champion: wanted.index(champion.id))


def _new_session(
    details: SessionDetails, champions: list[Champion], *, now: datetime
) -> TrainingSession:
    return TrainingSession(
        title=(details.title or "").strip() or None,
        description=clean_optional_text(
            details.description, field="description", label="Description", max_length=2000
        ),
        topic=details.topic,
        level=details.level,
        language=details.language.strip(),
        venue_id=details.venue_id,
        starts_at=details.starts_at,
        ends_at=details.ends_at,
        capacity=details.capacity,
        booked_count=0,
        status="scheduled",
        revision=0,
        champions=list(champions),
        created_at=now,
        updated_at=now,
    )


def get_training_session(session: Session, public_id: str) -> TrainingSession:
    """Return the session with this public id, or raise ``NotFound``."""
    training_session = session.scalars(
        select(TrainingSession).where(TrainingSession.public_id == public_id)
    ).first()
    if training_session is None:
        raise NotFound("We could not find that session")
    return training_session


# ---------------------------------------------------------------------------------------------
# Finding sessions
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LatLon:
    """A WGS84 point in degrees (for example a geocoded postcode)."""

    latitude: float
    longitude: float


@dataclass(frozen=True)
class GridPoint:
    """A British National Grid (EPSG:27700) point in metres."""

    easting_m: float
    northing_m: float


@dataclass(frozen=True)
class SessionMatch:
    """A session found for a resident, with its distance from them if one was asked for."""

    training_session: TrainingSession
    venue: Venue
    distance_m: float | None
    places_left: int


def find_sessions(
    session: Session,
    *,
    now: datetime,
    topic: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    near: LatLon | GridPoint | None = None,
    distance_m: Callable[[Venue], float | None] | None = None,
    within_m: float | None = None,
    language: str | None = None,
    level: str | None = None,
    venue_id: int | None = None,
    include_full: bool = True,
    limit: int = 100,
) -> list[SessionMatch]:
    """Find bookable sessions, nearest first when a point is given, else soonest first.

    Parameters
    ----------
    session:
        The database session.
    now:
        Sessions that have started are left out.
    topic, language, level, venue_id:
        Optional filters (``language`` ignores case).
    date_from, date_to:
        Inclusive Europe/London calendar days.
    near:
        Where the resident is: ``LatLon`` (WGS84 degrees; haversine distance to the venue's
        latitude/longitude) or ``GridPoint`` (BNG metres; straight-line distance to the venue's
        easting/northing).
    distance_m:
        Instead of ``near``, a function giving the distance in metres to a venue (for example a
        walking distance from a network model), or ``None`` if unknown.
    within_m:
        Leave out venues farther than this many metres (and those of unknown distance).
    include_full:
        Keep full sessions (people can join their waiting lists).
    limit:
        Most matches returned.
    """
    if near is not None and distance_m is not None:
        raise ValueError("give near or distance_m, not both")
    query = (
        select(TrainingSession)
        .join(TrainingSession.venue)
        .where(
            TrainingSession.status == "scheduled",
            TrainingSession.starts_at > now,
            Venue.closed.is_(False),
        )
        .options(selectinload(TrainingSession.venue))
        .order_by(TrainingSession.starts_at, TrainingSession.id)
    )
    if topic is not None:
        query = query.where(TrainingSession.topic == topic)
    if level is not None:
        query = query.where(TrainingSession.level == level)
    if venue_id is not None:
        query = query.where(TrainingSession.venue_id == venue_id)
    if date_from is not None:
        query = query.where(TrainingSession.starts_at >= _london_midnight(date_from))
    if date_to is not None:
        query = query.where(
            TrainingSession.starts_at < _london_midnight(date_to + timedelta(days=1))
        )
    if not include_full:
        query = query.where(TrainingSession.booked_count < TrainingSession.capacity)
    wanted_language = language.strip().casefold() if language else None
    measure = distance_m if distance_m is not None else _distance_function(near)
    matches: list[SessionMatch] = []
    for training_session in session.scalars(query):
        if wanted_language and training_session.language.casefold() != wanted_language:
            continue
        venue = training_session.venue
        distance = measure(venue) if measure is not None else None
        if within_m is not None and (distance is None or distance > within_m):
            continue
        matches.append(
            SessionMatch(training_session, venue, distance, training_session.places_left)
        )
    if measure is not None:
        matches.sort(
            key=lambda match: (
                match.distance_m is None,
                match.distance_m or 0.0,
                match.training_session.starts_at,
            )
        )
    return matches[:limit]


def _london_midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=LONDON)


def _distance_function(
    near: LatLon | GridPoint | None,
) -> Callable[[Venue], float | None] | None:
    if near is None:
        return None
    if isinstance(near, LatLon):
        point = near

        def by_degrees(venue: Venue) -> float | None:
            if venue.latitude is None or venue.longitude is None:
                return None
            return haversine_m(point.latitude, point.longitude, venue.latitude, venue.longitude)

        return by_degrees
    grid = near

    def by_grid(venue: Venue) -> float | None:
        if venue.easting_m is None or venue.northing_m is None:
            return None
        return grid_distance_m(grid.easting_m, grid.northing_m, venue.easting_m, venue.northing_m)

    return by_grid


# ---------------------------------------------------------------------------------------------
# Support logs
# ---------------------------------------------------------------------------------------------


def log_support(
    session: Session,
    details: SupportLogDetails,
    *,
    champion_id: int,
    now: datetime,
    max_age_days: int = 365,
) -> SupportLog:
    """Record help a champion gave; names and contacts are kept only with consent."""
    errors = support_log_problems(details, today=to_london(now).date(), max_age_days=max_age_days)
    champion = session.get(Champion, champion_id)
    if champion is None:
        raise NotFound("We could not find that champion")
    if not champion.active:
        errors.insert(
            0,
            FieldError(
                "champion_id", "This champion is not active. Ask a coordinator to reactivate them"
            ),
        )
    venue = None
    if details.venue_id is not None and not _has_field(errors, "venue_id"):
        venue = session.get(Venue, details.venue_id)
        if venue is None:
            errors.append(FieldError("venue_id", "Select a venue from the list"))
    if errors:
        raise InvalidInput(errors)
    ward_code = validate_ward_code(details.ward_code) or (venue.ward_code if venue else None)
    consented = details.consent_given
    log = SupportLog(
        champion_id=champion.id,
        occurred_on=details.occurred_on,
        place=details.place,
        venue_id=details.venue_id,
        ward_code=ward_code,
        duration_min=details.duration_min,
        kind=details.kind,
        headcount=details.headcount,
        age_band=details.age_band,
        persona_code=details.persona_code,
        outcome=details.outcome,
        referred_to=clean_optional_text(
            details.referred_to, field="referred_to", label="Organisation", max_length=200
        ),
        consent_recorded_at=now if consented else None,
        resident_name=((details.resident_name or "").strip() or None) if consented else None,
        resident_contact=((details.resident_contact or "").strip() or None) if consented else None,
        created_at=now,
    )
    log.topic_rows = [SupportLogTopic(topic=topic) for topic in sorted(set(details.topics))]
    session.add(log)
    session.flush()
    _audit(session, now, None, "support_log.created", "support_log", log.public_id)
    return log


# ---------------------------------------------------------------------------------------------


def _audit(
    session: Session,
    now: datetime,
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: str,
    details: dict[str, object] | None = None,
) -> None:
    record_event(
        session,
        at=now,
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        details=dict(details or {}),
    )


__all__ = [
    "DEFAULT_SETTINGS",
    "AttendanceResult",
    "BookingResult",
    "BookingSettings",
    "ChampionDue",
    "ClosureResult",
    "ExpiryReport",
    "GridPoint",
    "LatLon",
    "PurgeReport",
    "SeriesResult",
    "SessionMatch",
    "SkippedDate",
    "accept_offer",
    "add_venue_closure",
    "book_place",
    "cancel_booking",
    "cancel_booking_for_resident",
    "cancel_session",
    "create_champion",
    "create_series",
    "create_session",
    "create_venue",
    "erase_booking_details",
    "erase_support_log_identity",
    "expire_offers",
    "find_booking_for_link",
    "find_champion_for_user",
    "find_sessions",
    "get_booking",
    "get_champion",
    "get_training_session",
    "get_venue",
    "ics_filename",
    "ics_for_booking",
    "list_champions",
    "list_champions_due",
    "list_venues",
    "log_support",
    "mark_attendance",
    "purge_personal_data",
    "record_training",
    "session_title",
    "update_champion",
    "update_session",
    "update_venue",
    "venue_schedule",
    "waiting_position",
]
