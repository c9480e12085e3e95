"""Synthetic demo data for the champions network: venues, champions, sessions, bookings, logs.

Everything is made up and generated from a seed, so the same seed, inputs and ``now`` always
give the same rows (identifiers included).  Names are invented, email addresses use the reserved
``example.com`` domain and phone numbers Ofcom's drama range (07700 900xxx), so nothing can
reach a real person; no outbox messages are queued either.  Past sessions and support logs are
written straight to the tables (the services refuse dates in the past, rightly), keeping every
invariant the services keep: ``booked_count`` equals the places held, names in support logs only
with consent, offers and waiting lists only for sessions still to come.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from champions.commands import OpeningInterval
from champions.errors import FieldError, InvalidInput
from champions.models import (
    Booking,
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
from champions.references import REFERENCE_ALPHABET, hash_token
from champions.rules import (
    Closure,
    VenueSchedule,
    add_months,
    dbs_renewal_date,
    expand_recurrence,
    venue_problem,
)
from champions.vocabulary import LEVELS, TOPICS
from core.clock import LONDON, to_london
from core.errors import Conflict

# (name, easting_m, northing_m, latitude, longitude, ward_code): BNG metres and WGS84 degrees.
VenueSeed = tuple[str, float, float, float, float, str]

DEMO_KEY_PREFIX = "demo-"
_WARD_CODE = re.compile(r"^[EWSN]\d{8}$")

_FIRST_NAMES = (
    "Aisha",
    "Amir",
    "Anna",
    "Arjun",
    "Beth",
    "Chen",
    "Chloe",
    "Daniel",
    "Deepa",
    "Emeka",
    "Fatima",
    "Gurpreet",
    "Hannah",
    "Ibrahim",
    "Jas",
    "Joanne",
    "Kamala",
    "Kwame",
    "Leila",
    "Liam",
    "Marek",
    "Maryam",
    "Mohammed",
    "Nadia",
    "Olu",
    "Patrick",
    "Priya",
    "Rachel",
    "Rafael",
    "Sam",
    "Sandeep",
    "Sofia",
    "Tariq",
    "Tom",
    "Una",
    "Yusuf",
    "Zofia",
)
_LAST_NAMES = (
    "Ahmed",
    "Bailey",
    "Brown",
    "Chaudhry",
    "Clarke",
    "Da Silva",
    "Evans",
    "Gill",
    "Hassan",
    "Hughes",
    "Jones",
    "Kaur",
    "Khan",
    "Kowalski",
    "Lewis",
    "Mensah",
    "Nowak",
    "Okafor",
    "Patel",
    "Reid",
    "Sandhu",
    "Shah",
    "Singh",
    "Smith",
    "Taylor",
    "Walker",
    "Wilson",
    "Wong",
)
_EXTRA_LANGUAGES = (
    "Punjabi",
    "Urdu",
    "Polish",
    "Somali",
    "Hindi",
    "Tamil",
    "Gujarati",
    "Arabic",
    "Bengali",
    "Romanian",
    "Portuguese",
)
_AVAILABILITY = (
    "Tuesday and Thursday mornings",
    "Weekday afternoons",
    "Saturday mornings",
    "Monday, Wednesday and Friday",
    "One evening a week",
    "Full time (staff)",
)
_ACCESS_NEEDS = ("Large print handouts", "Hearing loop", "Step-free access", "A quiet seat")
_REFERRED_TO = (
    "Citizens Advice",
    "Age UK",
    "Jobcentre Plus",
    "Adult and Community Education",
    "Council housing team",
)
# Help given most often first; weights are rough shares of episodes.
_TOPIC_WEIGHTS = {
    "foundation": 18,
    "using_a_device": 16,
    "communicating": 12,
    "scams_and_safety": 12,
    "health_and_nhs_app": 10,
    "benefits_and_council_services": 10,
    "transacting": 8,
    "handling_information": 6,
    "problem_solving": 4,
    "being_safe_and_legal": 4,
}
_PLACE_WEIGHTS = {"venue": 60, "phone": 14, "remote": 10, "home_visit": 8, "other_site": 8}
_AGE_WEIGHTS = {
    "under_16": 1,
    "16_24": 4,
    "25_44": 12,
    "45_64": 20,
    "65_74": 30,
    "75_plus": 28,
    "prefer_not_to_say": 5,
}
_OUTCOME_WEIGHTS = {
    "continues_with_champion": 30,
    "joins_session": 20,
    "device_loan_referral": 12,
    "referred_elsewhere": 8,
    "no_further_help": 30,
}


def _hours(pattern: int) -> tuple[OpeningInterval, ...]:
    """Three realistic weekly patterns: a main library, a branch library, a community centre."""
    if pattern == 0:
        late = {1: time(19, 0), 3: time(19, 0)}
        weekdays = tuple(
            OpeningInterval(day, time(9, 0), late.get(day, time(17, 0))) for day in range(5)
        )
        return (*weekdays, OpeningInterval(5, time(10, 0), time(16, 0)))
    if pattern == 1:
        return (
            OpeningInterval(0, time(10, 0), time(18, 0)),
            OpeningInterval(2, time(10, 0), time(18, 0)),
            OpeningInterval(4, time(10, 0), time(18, 0)),
            OpeningInterval(5, time(10, 0), time(13, 0)),
        )
    return tuple(OpeningInterval(day, time(9, 30), time(16, 30)) for day in range(5))


@dataclass(frozen=True)
class DemoSummary:
    """How many rows of each kind the demo added."""

    venues: int
    champions: int
    sessions: int
    bookings: int
    support_logs: int


class _Ids:
    """Deterministic public ids and booking references drawn from the demo's generator."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._references: set[str] = set()

    def public_id(self) -> str:
        return f"{self._rng.getrandbits(128):032x}"

    def reference(self) -> str:
        while True:
            reference = "".join(self._rng.choice(REFERENCE_ALPHABET) for _ in range(8))
            if reference not in self._references:
                self._references.add(reference)
                return reference


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _check_inputs(venues_xy: Sequence[VenueSeed], ward_codes: Sequence[str]) -> None:
    errors: list[FieldError] = []
    if not venues_xy:
        errors.append(FieldError("venues_xy", "Give at least one venue for the demo"))
    for row, (name, x_m, y_m, lat, lon, ward) in enumerate(venues_xy, start=1):
        if not name.strip():
            errors.append(FieldError("venues_xy", f"Venue {row} has no name"))
        if not (0 <= x_m <= 700_000 and 0 <= y_m <= 1_300_000):
            errors.append(FieldError("venues_xy", f"Venue {row} ({name}): x/y are not BNG metres"))
        if not (49 <= lat <= 61 and -9 <= lon <= 2.5):
            errors.append(
                FieldError("venues_xy", f"Venue {row} ({name}): lat/lon are not in the UK")
            )
        if not _WARD_CODE.match(ward):
            errors.append(
                FieldError("venues_xy", f"Venue {row} ({name}): {ward!r} is not an ONS ward code")
            )
    if not ward_codes:
        errors.append(FieldError("ward_codes", "Give at least one ward code for the demo"))
    bad = [code for code in ward_codes if not _WARD_CODE.match(code)]
    if bad:
        errors.append(FieldError("ward_codes", f"{bad[0]!r} is not an ONS ward code"))
    if errors:
        raise InvalidInput(errors)


def load_demo_champions(
    session: Session,
    *,
    venues_xy: Sequence[VenueSeed],
    ward_codes: Sequence[str],
    now: datetime,
    seed: int,
    persona_codes: Sequence[str] = (),
    champion_count: int = 25,
    support_log_count: int = 2000,
) -> DemoSummary:
    """Fill an empty champions network with a realistic, deterministic demo.

    Parameters
    ----------
    session:
        Database session; rows are added and flushed, never committed.
    venues_xy:
        One ``(name, easting_m, northing_m, latitude, longitude, ward_code)`` per venue: BNG
        (EPSG:27700) metres, WGS84 degrees and the ONS code of the ward it is in.
    ward_codes:
        Wards residents come from (support logs).
    now:
        The demo's present: sessions run from about 3 months before to 2 months after, support
        logs cover the year up to today (Europe/London).
    seed:
        Seed of the generator; the same seed gives the same data.
    persona_codes:
        Persona codes to estimate for residents (the surveys package defines them); none if
        empty.
    champion_count, support_log_count:
        Sizes of the demo (25 champions and 2,000 support logs by default).

    Raises
    ------
    InvalidInput
        The venue or ward inputs are unusable (messages name the row).
    Conflict
        The demo has already been loaded into this database.
    """
    _check_inputs(venues_xy, ward_codes)
    already = session.scalar(
        select(Booking.id).where(Booking.idempotency_key.like(f"{DEMO_KEY_PREFIX}%")).limit(1)
    )
    if already is not None:
        raise Conflict("The demo champions data is already loaded")
    rng = random.Random(seed)
    ids = _Ids(rng)
    today = to_london(now).date()

    venues = _make_venues(session, rng, ids, venues_xy, now=now, today=today)
    champions = _make_champions(
        session, rng, ids, venues, ward_codes, count=champion_count, now=now
    )
    sessions = _make_sessions(session, rng, ids, venues, champions, now=now, today=today)
    bookings = _make_bookings(session, rng, ids, sessions, champions, seed=seed, now=now)
    logs = _make_support_logs(
        session,
        rng,
        ids,
        venues,
        champions,
        ward_codes,
        persona_codes,
        count=support_log_count,
        today=today,
    )
    session.flush()
    return DemoSummary(
        venues=len(venues),
        champions=len(champions),
        sessions=len(sessions),
        bookings=bookings,
        support_logs=logs,
    )


def _make_venues(
    session: Session,
    rng: random.Random,
    ids: _Ids,
    venues_xy: Sequence[VenueSeed],
    *,
    now: datetime,
    today: date,
) -> list[Venue]:
    created = now - timedelta(days=400)
    venues: list[Venue] = []
    for index, (name, x_m, y_m, lat, lon, ward) in enumerate(venues_xy):
        pattern = 0 if index == 0 else rng.choice((0, 1, 1, 2))
        venue = Venue(
            public_id=ids.public_id(),
            name=name.strip(),
            latitude=lat,
            longitude=lon,
            easting_m=x_m,
            northing_m=y_m,
            ward_code=ward,
            step_free_access=rng.random() < 0.8,
            hearing_loop=rng.random() < 0.5,
            accessible_toilet=rng.random() < 0.7,
            public_wifi=rng.random() < 0.9,
            devices_available=rng.choice((0, 2, 4, 6, 8, 10)),
            closed=False,
            created_at=created,
            updated_at=created,
        )
        venue.opening_hours = [
            VenueOpeningHours(weekday=item.weekday, opens_at=item.opens, closes_at=item.closes)
            for item in _hours(pattern)
        ]
        closures = [
            VenueClosure(
                starts_on=date(year, 12, 25), ends_on=date(year, 12, 26), reason="Christmas"
            )
            for year in (today.year - 1, today.year)
        ]
        if index == len(venues_xy) - 1 and len(venues_xy) > 1:
            start = today + timedelta(days=20)
            closures.append(
                VenueClosure(
                    starts_on=start, ends_on=start + timedelta(days=6), reason="Refurbishment"
                )
            )
        venue.closures = closures
        session.add(venue)
        venues.append(venue)
    session.flush()
    return venues


def _person(rng: random.Random) -> tuple[str, str]:
    return rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)


def _make_champions(
    session: Session,
    rng: random.Random,
    ids: _Ids,
    venues: list[Venue],
    ward_codes: Sequence[str],
    *,
    count: int,
    now: datetime,
) -> list[Champion]:
    today = to_london(now).date()
    champions: list[Champion] = []
    for index in range(count):
        first, last = _person(rng)
        languages = ["English"]
        if rng.random() < 0.45:
            languages.append(rng.choice(_EXTRA_LANGUAGES))
        checked = today - timedelta(days=rng.randint(30, 1150))
        home = rng.choice(venues)
        champion = Champion(
            public_id=ids.public_id(),
            kind="staff" if index < max(1, count // 4) else "volunteer",
            full_name=f"{first} {last}",
            email=f"{first}.{last}.{index + 1}@example.com".lower().replace(" ", ""),
            phone=f"+447700900{rng.randrange(1000):03d}",
            languages=languages,
            skill_areas=sorted(rng.sample(TOPICS, rng.randint(3, 6))),
            home_venue_id=home.id,
            ward_code=rng.choice(list(ward_codes)),
            availability=rng.choice(_AVAILABILITY),
            dbs_checked_on=checked,
            dbs_expires_on=dbs_renewal_date(checked),
            # A couple have stepped back; their history stays.
            active=index < count - 2,
            created_at=now - timedelta(days=rng.randint(200, 900)),
            updated_at=now - timedelta(days=rng.randint(0, 199)),
        )
        records = [ChampionTraining(module="champion_essentials", completed_on=checked)]
        if rng.random() < 0.9:
            records.append(
                ChampionTraining(
                    module="safeguarding_adults",
                    completed_on=today - timedelta(days=rng.randint(10, 1200)),
                )
            )
        if rng.random() < 0.8:
            records.append(
                ChampionTraining(
                    module="data_protection",
                    completed_on=add_months(today, -rng.randint(1, 15)),
                )
            )
        for module in rng.sample(("scams_awareness", "nhs_app", "accessibility_tools"), 1):
            records.append(
                ChampionTraining(
                    module=module, completed_on=today - timedelta(days=rng.randint(30, 600))
                )
            )
        champion.training_records = records
        session.add(champion)
        champions.append(champion)
    session.flush()
    return champions


def _schedule(venue: Venue) -> VenueSchedule:
    return VenueSchedule(
        name=venue.name,
        closed=venue.closed,
        opening_hours=tuple(
            OpeningInterval(row.weekday, row.opens_at, row.closes_at) for row in venue.opening_hours
        ),
        closures=tuple(Closure(row.starts_on, row.ends_on, row.reason) for row in venue.closures),
    )


def _make_sessions(
    session: Session,
    rng: random.Random,
    ids: _Ids,
    venues: list[Venue],
    champions: list[Champion],
    *,
    now: datetime,
    today: date,
) -> list[TrainingSession]:
    active = [champion for champion in champions if champion.active]
    first_day, last_day = today - timedelta(days=91), today + timedelta(days=61)
    sessions: list[TrainingSession] = []
    duration = timedelta(minutes=90)
    for venue in venues[:8]:
        schedule = _schedule(venue)
        weekdays = sorted({row.weekday for row in venue.opening_hours if row.weekday < 5})
        weekday = rng.choice(weekdays)
        start_time = rng.choice((time(10, 0), time(14, 0)))
        offset = (weekday - first_day.weekday()) % 7
        first_start = datetime.combine(first_day + timedelta(days=offset), start_time, LONDON)
        topic = rng.choice(TOPICS)
        capacity = rng.randint(6, 12)
        local_champions = [c for c in active if c.home_venue_id == venue.id] or active
        series = SessionSeries(
            public_id=ids.public_id(),
            topic=topic,
            level=rng.choice(LEVELS),
            language="English",
            venue_id=venue.id,
            capacity=capacity,
            first_starts_at=first_start.astimezone(UTC),
            duration_min=90,
            frequency="weekly",
            until_on=last_day,
            created_at=first_start - timedelta(days=21),
        )
        session.add(series)
        run_by = rng.sample(local_champions, min(2, len(local_champions)))
        for start in expand_recurrence(first_start, frequency="weekly", until=last_day):
            if venue_problem(schedule, start, start + duration) is not None:
                continue  # a closure date
            training_session = _session_row(
                ids, venue, series.topic, series.level, capacity, start, duration, now=now
            )
            training_session.series = series
            training_session.champions = list(run_by)
            sessions.append(training_session)
    # A few one-off sessions in the weeks ahead, some in another language.
    for _ in range(6):
        venue = rng.choice(venues)
        schedule = _schedule(venue)
        day = today + timedelta(days=rng.randint(3, 55))
        start = datetime.combine(day, rng.choice((time(10, 0), time(14, 30))), LONDON)
        if venue_problem(schedule, start, start + duration) is not None:
            continue
        training_session = _session_row(
            ids, venue, rng.choice(TOPICS), "beginner", rng.randint(5, 10), start, duration, now=now
        )
        training_session.language = rng.choice(("English", "Punjabi", "Polish", "Somali"))
        training_session.champions = rng.sample(active, 1)
        sessions.append(training_session)
    session.add_all(sessions)
    session.flush()
    return sessions


def _session_row(
    ids: _Ids,
    venue: Venue,
    topic: str,
    level: str,
    capacity: int,
    start: datetime,
    duration: timedelta,
    *,
    now: datetime,
) -> TrainingSession:
    created = min(start - timedelta(days=21), now - timedelta(days=1))
    return TrainingSession(
        public_id=ids.public_id(),
        topic=topic,
        level=level,
        language="English",
        venue_id=venue.id,
        starts_at=start.astimezone(UTC),
        ends_at=(start + duration).astimezone(UTC),
        capacity=capacity,
        booked_count=0,
        status="scheduled",
        revision=0,
        created_at=created,
        updated_at=created,
    )


def _make_bookings(
    session: Session,
    rng: random.Random,
    ids: _Ids,
    sessions: list[TrainingSession],
    champions: list[Champion],
    *,
    seed: int,
    now: datetime,
) -> int:
    active = [champion for champion in champions if champion.active]
    bookings: list[dict[str, Any]] = []
    serial = 0
    for training_session in sessions:
        capacity = training_session.capacity
        started = training_session.starts_at <= now
        finished = training_session.ends_at <= now
        if started:
            # Waiting lists of past sessions are gone: only people who had a place remain.
            demand = rng.randint(capacity // 2, capacity)
        elif rng.random() < 0.25:
            demand = capacity + rng.randint(1, 4)  # full, with a waiting list
        else:
            demand = rng.randint(0, capacity)
        booked_from = min(training_session.starts_at, now)
        earliest = max(training_session.created_at, booked_from - timedelta(days=28))
        span_s = max(0.0, (booked_from - timedelta(minutes=1) - earliest).total_seconds())
        moments = sorted(
            earliest + timedelta(seconds=rng.uniform(0, span_s)) for _ in range(demand)
        )
        for position, created in enumerate(moments):
            serial += 1
            first, last = _person(rng)
            has_place = position < capacity
            method = _weighted(rng, {"email": 70, "sms": 20, "none": 10})
            if method == "none" and not has_place:
                method = "email"  # the waiting list needs a way to reach people
            if not has_place:
                status = "waiting"
            elif finished:
                status = "attended" if rng.random() < 0.8 else "no_show"
            else:
                status = "confirmed"
            booking = dict(
                reference=ids.reference(),
                cancel_token_hash=hash_token(f"{rng.getrandbits(128):032x}"),
                idempotency_key=f"{DEMO_KEY_PREFIX}{seed}-{serial:06d}",
                training_session_id=training_session.id,
                status=status,
                full_name=f"{first} {last}",
                contact_method=None if method == "none" else method,
                email=(
                    f"{first}.{last}.{serial}@example.com".lower().replace(" ", "")
                    if method == "email"
                    else None
                ),
                phone=f"+447700900{serial % 1000:03d}" if method == "sms" else None,
                access_needs=rng.choice(_ACCESS_NEEDS) if rng.random() < 0.1 else None,
                booked_by_champion_id=rng.choice(active).id if method == "none" else None,
                created_at=created,
                confirmed_at=created if has_place else None,
                waitlisted_at=None if has_place else created,
                attendance_marked_at=(
                    training_session.ends_at + timedelta(hours=1) if finished else None
                ),
            )
            bookings.append(booking)
        training_session.booked_count = min(demand, capacity)
        if finished:
            training_session.attendance_recorded_at = training_session.ends_at + timedelta(hours=1)
    session.flush()
    if bookings:
        session.execute(insert(Booking), bookings)
    return len(bookings)


def _make_support_logs(
    session: Session,
    rng: random.Random,
    ids: _Ids,
    venues: list[Venue],
    champions: list[Champion],
    ward_codes: Sequence[str],
    persona_codes: Sequence[str],
    *,
    count: int,
    today: date,
) -> int:
    weights = [rng.uniform(0.3, 2.0) for _ in champions]
    wards = list(ward_codes)
    logs: list[dict[str, Any]] = []
    log_topics: list[list[str]] = []
    for _ in range(count):
        champion = rng.choices(champions, weights=weights)[0]
        # Champions who stepped back only have older entries.
        oldest, newest = (364, 181) if not champion.active else (364, 0)
        occurred_on = today - timedelta(days=rng.randint(newest, oldest))
        place = _weighted(rng, _PLACE_WEIGHTS)
        venue = None
        if place == "venue":
            home = next((v for v in venues if v.id == champion.home_venue_id), None)
            venue = home if home is not None and rng.random() < 0.7 else rng.choice(venues)
        group = place in ("venue", "other_site") and rng.random() < 0.12
        headcount = rng.randint(3, 12) if group else 1
        if venue is not None and rng.random() < 0.6:
            ward: str | None = venue.ward_code
        else:
            ward = rng.choice(wards) if rng.random() < 0.95 else None
        outcome = _weighted(rng, _OUTCOME_WEIGHTS)
        topics = set()
        for _topic in range(rng.choice((1, 1, 2, 2, 3))):
            topics.add(_weighted(rng, _TOPIC_WEIGHTS))
        consent = not group and rng.random() < 0.15
        first, last = _person(rng)
        noon = datetime.combine(occurred_on, time(12, 0), LONDON).astimezone(UTC)
        log = dict(
            public_id=ids.public_id(),
            champion_id=champion.id,
            occurred_on=occurred_on,
            place=place,
            venue_id=venue.id if venue is not None else None,
            ward_code=ward,
            duration_min=rng.choice((60, 90, 120) if group else (15, 20, 30, 30, 45, 45, 60, 90)),
            kind="group" if group else "individual",
            headcount=headcount,
            age_band=("mixed" if group and rng.random() < 0.7 else _weighted(rng, _AGE_WEIGHTS)),
            persona_code=(
                rng.choice(list(persona_codes)) if persona_codes and rng.random() < 0.8 else None
            ),
            outcome=outcome,
            referred_to=rng.choice(_REFERRED_TO) if outcome == "referred_elsewhere" else None,
            consent_recorded_at=noon if consent else None,
            resident_name=f"{first} {last}" if consent else None,
            resident_contact=(f"+447700900{rng.randrange(1000):03d}" if consent else None),
            created_at=noon,
        )
        logs.append(log)
        log_topics.append(sorted(topics))
    # Plain executemany inserts: thousands of rows through the unit of work (or with RETURNING,
    # which SQLite can only do one row at a time) would take seconds.
    session.execute(insert(SupportLog), logs)
    log_ids = dict(
        session.execute(
            select(SupportLog.public_id, SupportLog.id).where(
                SupportLog.champion_id.in_([champion.id for champion in champions])
            )
        ).all()
    )
    session.execute(
        insert(SupportLogTopic),
        [
            {"support_log_id": log_ids[log["public_id"]], "topic": topic}
            for log, topics_of_log in zip(logs, log_topics, strict=True)
            for topic in topics_of_log
        ],
    )
    return len(logs)


__all__ = ["DEMO_KEY_PREFIX", "DemoSummary", "VenueSeed", "load_demo_champions"]
