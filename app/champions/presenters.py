"""Figures and lists of the champions network shaped for pages and CSV downloads.

Walking times shown to residents come from the place model (``app.places``): the walking-network
distance from every home to its nearest venues, stored by ``flask --app app geo model``.  A
venue of the champions network is matched to a place of that model by name or position; where
there is no match, or no model run, pages say the walking time is not known rather than guess.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app.auth.models import User, UserRole
from app.auth.roles import CHAMPION
from app.places.models import Area, ModelRun, Place, Premises, PremisesAccess
from champions.models import (
    Booking,
    Champion,
    SupportLog,
    TrainingSession,
    Venue,
    training_session_champions,
)
from champions.reports import (
    AttendanceRow,
    SupportSummaryRow,
    attendance_summary,
    support_summary,
    support_totals,
)
from champions.rules import grid_distance_m
from champions.vocabulary import OUTCOME_LABELS, TOPIC_LABELS, WEEKDAY_NAMES
from core.clock import LONDON, govuk_date, govuk_time, to_london
from core.suppression import (
    SUPPRESSION_NOTE,
    format_count,
    is_small,
    suppress_counts,
    suppress_table,
)

# A venue and a place of the place model are the same building when they are this close.
SAME_PLACE_M = 75.0
# Places of the place model that can host sessions (Wi-Fi hotspots and cafés cannot).
VENUE_PLACE_KINDS = ("library", "community_centre", "social_centre", "townhall")
DEFAULT_WALK_SPEED_M_PER_MIN = 80.0

Choices = list[tuple[str, str]]


# --- small lookups ---------------------------------------------------------------------------


def ward_names(session: Session) -> dict[str, str]:
    """Ward code -> ward name, for every stored ward (any vintage)."""
    return {
        code: name or code
        for code, name in session.execute(
            select(Area.code, Area.name).where(Area.kind == "ward").order_by(Area.code)
        )
    }


def ward_choices(session: Session, *, blank: str) -> Choices:
    """Wards by name for a select, after a blank choice labelled ``blank``."""
    names = ward_names(session)
    return [("", blank), *sorted(names.items(), key=lambda item: item[1].casefold())]


def venue_choices(session: Session, *, blank: str, include_closed: bool = False) -> Choices:
    """Venues by name for a select (values are database ids)."""
    query = select(Venue.id, Venue.name, Venue.closed).order_by(Venue.name, Venue.id)
    if not include_closed:
        query = query.where(Venue.closed.is_(False))
    return [("", blank)] + [
        (str(venue_id), f"{name} (closed)" if closed else name)
        for venue_id, name, closed in session.execute(query)
    ]


def public_venue_choices(session: Session, *, blank: str) -> Choices:
    """Open venues for residents (values are public ids, never database ids)."""
    return [("", blank)] + [
        (public_id, name)
        for public_id, name in session.execute(
            select(Venue.public_id, Venue.name)
            .where(Venue.closed.is_(False))
            .order_by(Venue.name, Venue.id)
        )
    ]


def champion_choices(session: Session, *, include: Iterable[int] = ()) -> Choices:
    """Active champions (and any in ``include``, such as those already running a session)."""
    keep = set(include)
    rows = session.execute(
        select(Champion.id, Champion.full_name, Champion.active).order_by(
            Champion.full_name, Champion.id
        )
    )
    return [
        (str(champion_id), name if active else f"{name} (not active)")
        for champion_id, name, active in rows
        if active or champion_id in keep
    ]


def account_choices(session: Session, *, champion_id: int | None) -> Choices:
    """Staff accounts with the champion role not yet linked to another champion."""
    linked = select(Champion.user_id).where(
        Champion.user_id.is_not(None), Champion.id != (champion_id or 0)
    )
    users = session.scalars(
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == CHAMPION, User.is_active.is_(True), User.id.not_in(linked))
        .order_by(User.full_name, User.id)
    ).all()
    return [("", "No account")] + [
        (str(user.id), f"{user.full_name} ({user.email})") for user in users
    ]


def place_choices(session: Session) -> Choices:
    """Places of the place model that could be venues, by name."""
    places = session.execute(
        select(Place.id, Place.name, Place.kind)
        .where(Place.kind.in_(VENUE_PLACE_KINDS))
        .order_by(Place.name, Place.id)
    )
    return [("", "Not on the map")] + [
        (str(place_id), f"{name} ({kind.replace('_', ' ')})") for place_id, name, kind in places
    ]


def weekday_date(moment: datetime | date) -> str:
    """``Tuesday 6 October 2026`` (London time for datetimes), the date residents see."""
    day = to_london(moment).date() if isinstance(moment, datetime) else moment
    return f"{WEEKDAY_NAMES[day.weekday()]} {govuk_date(day)}"


def session_when(training_session: TrainingSession) -> str:
    """``Tuesday 6 October 2026, 10am to midday`` in London time."""
    return (
        f"{weekday_date(training_session.starts_at)}, {govuk_time(training_session.starts_at)} "
        f"to {govuk_time(training_session.ends_at)}"
    )


# --- walking times from the place model -------------------------------------------------------


def match_places(session: Session, venues: Sequence[Venue]) -> dict[int, Place]:
    """Venue id -> the place of the place model that is the same building (by name or position).

    A place with the same name (ignoring case and spaces) wins; otherwise the nearest place
    within ``SAME_PLACE_M`` metres on the British National Grid (EPSG:27700).
    """
    places = session.scalars(select(Place)).all()
    if not places or not venues:
        return {}
    by_name = {" ".join(place.name.casefold().split()): place for place in places}
    found: dict[int, Place] = {}
    for venue in venues:
        named = by_name.get(" ".join(venue.name.casefold().split()))
        if named is not None:
            found[venue.id] = named
            continue
        if venue.easting_m is None or venue.northing_m is None:
            continue
        near = min(
            places,
            key=lambda place: grid_distance_m(
                venue.easting_m or 0.0, venue.northing_m or 0.0, place.x_m, place.y_m
            ),
        )
        if grid_distance_m(venue.easting_m, venue.northing_m, near.x_m, near.y_m) <= SAME_PLACE_M:
            found[venue.id] = near
    return found


@dataclass(frozen=True)
class WalkFromWard:
    """Typical walking distance (metres) and time (minutes) from homes in a ward to a place."""

    distance_m: float
    minutes: float


def ward_walks(session: Session, ward_code: str) -> dict[int, WalkFromWard]:
    """Place id -> the median walk from the homes of ``ward_code`` to that place.

    Uses each home's nearest venues from the latest walking-access model run.  A place counts
    only when it is among the nearest venues of at least half the ward's homes; farther places
    get no figure (their median would describe only the homes on the ward's near edge).
    """
    run = session.scalars(
        select(ModelRun).where(ModelRun.kind == "access").order_by(ModelRun.id.desc())
    ).first()
    if run is None:
        return {}
    speed = float(
        (run.parameters or {}).get("walk_speed_m_per_min") or DEFAULT_WALK_SPEED_M_PER_MIN
    )
    lists = session.scalars(
        select(PremisesAccess.nearest_k)
        .join(Premises, Premises.id == PremisesAccess.premises_id)
        .where(Premises.ward_code == ward_code)
    ).all()
    if not lists:
        return {}
    distances: dict[int, list[float]] = defaultdict(list)
    for nearest in lists:
        for item in nearest or []:
            distances[int(item["place_id"])].append(float(item["distance_m"]))
    homes = len(lists)
    return {
        place_id: WalkFromWard(statistics.median(values), statistics.median(values) / speed)
        for place_id, values in distances.items()
        if len(values) * 2 >= homes
    }


# --- staff lists ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionRow:
    """One session in the coordinator's list, with its waiting list."""

    training_session: TrainingSession
    waiting: int
    offered: int


def session_rows(
    session: Session,
    *,
    now: datetime,
    period: str = "upcoming",
    venue_id: int | None = None,
    topic: str | None = None,
    champion_id: int | None = None,
    limit: int = 200,
) -> list[SessionRow]:
    """Sessions to come (soonest first), past (latest first) or cancelled, with waiting counts."""
    query = select(TrainingSession).options(selectinload(TrainingSession.venue))
    if period == "cancelled":
        query = query.where(TrainingSession.status == "cancelled").order_by(
            TrainingSession.starts_at.desc()
        )
    elif period == "past":
        query = query.where(
            TrainingSession.status == "scheduled", TrainingSession.starts_at <= now
        ).order_by(TrainingSession.starts_at.desc())
    else:
        query = query.where(
            TrainingSession.status == "scheduled", TrainingSession.starts_at > now
        ).order_by(TrainingSession.starts_at)
    if venue_id is not None:
        query = query.where(TrainingSession.venue_id == venue_id)
    if topic:
        query = query.where(TrainingSession.topic == topic)
    if champion_id is not None:
        query = query.where(
            TrainingSession.id.in_(
                select(training_session_champions.c.training_session_id).where(
                    training_session_champions.c.champion_id == champion_id
                )
            )
        )
    sessions = session.scalars(query.limit(limit)).all()
    counts = waiting_counts(session, [item.id for item in sessions])
    return [SessionRow(item, *counts.get(item.id, (0, 0))) for item in sessions]


def waiting_counts(session: Session, session_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """Session id -> (people waiting, people offered a place)."""
    if not session_ids:
        return {}
    found: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for session_id, status, count in session.execute(
        select(Booking.training_session_id, Booking.status, func.count(Booking.id))
        .where(
            Booking.training_session_id.in_(list(session_ids)),
            Booking.status.in_(("waiting", "offered")),
        )
        .group_by(Booking.training_session_id, Booking.status)
    ):
        found[session_id][0 if status == "waiting" else 1] = int(count)
    return {key: (value[0], value[1]) for key, value in found.items()}


def session_bookings(
    session: Session, training_session: TrainingSession
) -> dict[str, list[Booking]]:
    """A session's bookings: ``places`` (held), ``waiting`` (in order) and ``ended``."""
    bookings = session.scalars(
        select(Booking)
        .where(Booking.training_session_id == training_session.id)
        .options(selectinload(Booking.booked_by))
        .order_by(Booking.id)
    ).all()
    places = [b for b in bookings if b.status in ("confirmed", "offered", "attended", "no_show")]
    waiting = sorted(
        (b for b in bookings if b.status == "waiting"),
        key=lambda b: (b.waitlisted_at or b.created_at, b.id),
    )
    ended = [b for b in bookings if b.status in ("cancelled", "expired")]
    return {"places": places, "waiting": waiting, "ended": ended}


def booking_by_key(session: Session, key: str) -> Booking | None:
    """The booking a booking form's one-time token made, if any."""
    return session.scalars(select(Booking).where(Booking.idempotency_key == key)).first()


def booking_by_reference(session: Session, reference: str) -> Booking | None:
    """The booking with this stored reference, if any."""
    return session.scalars(select(Booking).where(Booking.reference == reference)).first()


# --- a champion's activity --------------------------------------------------------------------


@dataclass(frozen=True)
class Activity:
    """What one champion did over the last year."""

    logs: int
    residents_helped: int
    hours: float
    recent: list[SupportLog]
    upcoming_sessions: list[TrainingSession]
    past_sessions: int
    bookings_made: int


def champion_activity(session: Session, champion: Champion, *, now: datetime) -> Activity:
    """Support logs (last 12 months), sessions run and bookings made for residents."""
    since = to_london(now).date() - timedelta(days=365)
    logs, residents, minutes = session.execute(
        select(
            func.count(SupportLog.id),
            func.coalesce(func.sum(SupportLog.headcount), 0),
            func.coalesce(func.sum(SupportLog.duration_min), 0),
        ).where(SupportLog.champion_id == champion.id, SupportLog.occurred_on >= since)
    ).one()
    recent = session.scalars(
        select(SupportLog)
        .where(SupportLog.champion_id == champion.id)
        .options(selectinload(SupportLog.topic_rows), selectinload(SupportLog.venue))
        .order_by(SupportLog.occurred_on.desc(), SupportLog.id.desc())
        .limit(10)
    ).all()
    run_by = select(training_session_champions.c.training_session_id).where(
        training_session_champions.c.champion_id == champion.id
    )
    upcoming = session.scalars(
        select(TrainingSession)
        .where(
            TrainingSession.id.in_(run_by),
            TrainingSession.status == "scheduled",
            TrainingSession.starts_at > now,
        )
        .options(selectinload(TrainingSession.venue))
        .order_by(TrainingSession.starts_at)
        .limit(10)
    ).all()
    past = session.scalar(
        select(func.count(TrainingSession.id)).where(
            TrainingSession.id.in_(run_by),
            TrainingSession.status == "scheduled",
            TrainingSession.starts_at <= now,
        )
    )
    bookings = session.scalar(
        select(func.count(Booking.id)).where(Booking.booked_by_champion_id == champion.id)
    )
    return Activity(
        logs=int(logs),
        residents_helped=int(residents),
        hours=int(minutes) / 60,
        recent=list(recent),
        upcoming_sessions=list(upcoming),
        past_sessions=int(past or 0),
        bookings_made=int(bookings or 0),
    )


def support_logs_for(
    session: Session, *, champion_id: int | None, limit: int = 100
) -> list[SupportLog]:
    """Latest support logs, of one champion or of everyone."""
    query = (
        select(SupportLog)
        .options(
            selectinload(SupportLog.topic_rows),
            selectinload(SupportLog.venue),
            selectinload(SupportLog.champion),
        )
        .order_by(SupportLog.occurred_on.desc(), SupportLog.id.desc())
        .limit(limit)
    )
    if champion_id is not None:
        query = query.where(SupportLog.champion_id == champion_id)
    return list(session.scalars(query))


# --- reports ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportCell:
    """A figure as shown on the page and as written to CSV."""

    page: str
    csv: str | int | float


@dataclass(frozen=True)
class ReportRow:
    """One row of the support report (a champion, venue or ward, or the total)."""

    label: str
    key: str
    logs: ReportCell
    residents: ReportCell
    hours: ReportCell | None
    topics: dict[str, ReportCell]
    outcomes: dict[str, ReportCell]


@dataclass(frozen=True)
class Report:
    """Everything the report page and its CSV show."""

    date_from: date
    date_to: date
    by: str
    rows: list[ReportRow]
    total: ReportRow
    topic_totals: list[tuple[str, ReportCell]]
    outcome_totals: list[tuple[str, ReportCell]]
    attendance: list[dict[str, Any]]
    suppressed: bool
    note: str | None


def _full(value: float | int) -> ReportCell:
    number = int(value) if float(value).is_integer() else value
    return ReportCell(f"{number:,}", number)


def _hours(minutes: int) -> ReportCell:
    hours = round(minutes / 60, 1)
    return ReportCell(f"{hours:,.1f}", hours)


def _suppressed(value: Any, original: Any, *, threshold: float, round_to: int | None) -> ReportCell:
    """A published figure: ``value`` after suppression, ``original`` the true count.

    A small count says "fewer than 10"; a count hidden only so that a small one cannot be
    worked out by subtraction says "not shown" (it may be large).
    """
    shown = original if is_small(float(original), threshold=threshold) else value
    return ReportCell(
        format_count(shown, threshold=threshold, round_to=round_to),
        format_count(value, threshold=threshold, round_to=round_to, csv=True),
    )


def build_report(
    session: Session,
    *,
    date_from: date,
    date_to: date,
    by: str,
    suppress: bool,
    threshold: float,
    round_to: int | None = None,
) -> Report:
    """The support and attendance report; ``suppress`` hides small numbers (councillors).

    Suppressed reports show per-row support episodes and residents helped after primary and
    secondary suppression (a total row is shown, so one hidden cell is never left alone in a
    column), totals computed from unrounded data, and topics and outcomes only as totals.
    """
    rows: list[SupportSummaryRow] = support_summary(
        session,
        date_from=date_from,
        date_to=date_to,
        by=by,  # type: ignore[arg-type]
    )
    total = support_totals(session, date_from=date_from, date_to=date_to)
    names = ward_names(session) if by == "ward" else {}

    def label_of(row: SupportSummaryRow) -> str:
        if by == "ward" and row.key is not None:
            return names.get(row.key, row.key)
        return row.label

    # Wards come back in code order; people read them by name.
    rows = sorted(rows, key=lambda row: (row.key is None, label_of(row).casefold()))

    attendance_rows: list[AttendanceRow] = attendance_summary(
        session, date_from=date_from, date_to=date_to, by="venue"
    )
    if not suppress:
        report_rows = [
            ReportRow(
                label_of(row),
                row.key or "",
                _full(row.logs),
                _full(row.residents_helped),
                _hours(row.duration_min),
                {code: _full(row.topics.get(code, 0)) for code in TOPIC_LABELS},
                {code: _full(row.outcomes.get(code, 0)) for code in OUTCOME_LABELS},
            )
            for row in rows
        ]
        total_row = ReportRow(
            "All",
            "",
            _full(total.logs),
            _full(total.residents_helped),
            _hours(total.duration_min),
            {code: _full(total.topics.get(code, 0)) for code in TOPIC_LABELS},
            {code: _full(total.outcomes.get(code, 0)) for code in OUTCOME_LABELS},
        )
        attendance = [
            {
                "label": row.label,
                "sessions": _full(row.sessions),
                "places": _full(row.places),
                "booked": _full(row.booked),
                "attended": _full(row.attended),
                "no_shows": _full(row.no_shows),
                "waiting": _full(row.waiting),
            }
            for row in attendance_rows
        ]
        return Report(
            date_from,
            date_to,
            by,
            report_rows,
            total_row,
            [(TOPIC_LABELS[code], cell) for code, cell in total_row.topics.items()],
            [(OUTCOME_LABELS[code], cell) for code, cell in total_row.outcomes.items()],
            attendance,
            suppressed=False,
            note=None,
        )

    frame = pd.DataFrame(
        {
            "label": [label_of(row) for row in rows] + ["All"],
            "key": [row.key or "" for row in rows] + [""],
            "logs": [row.logs for row in rows] + [total.logs],
            "residents": [row.residents_helped for row in rows] + [total.residents_helped],
        },
        index=[*range(len(rows)), "total"],
    )
    hidden = suppress_table(
        frame,
        ["logs", "residents"],
        total_row="total",
        threshold=threshold,
        round_to=round_to,
        marker="[c]",
    )

    def cell(index: Any, column: str) -> ReportCell:
        return _suppressed(
            hidden.at[index, column],
            frame.at[index, column],
            threshold=threshold,
            round_to=round_to,
        )

    report_rows = [
        ReportRow(
            str(frame.at[index, "label"]),
            str(frame.at[index, "key"]),
            cell(index, "logs"),
            cell(index, "residents"),
            None,
            {},
            {},
        )
        for index in frame.index[:-1]
    ]
    total_row = ReportRow(
        "All",
        "",
        cell("total", "logs"),
        cell("total", "residents"),
        _hours(total.duration_min),
        {},
        {},
    )
    topic_values = suppress_counts(
        [total.topics.get(code, 0) for code in TOPIC_LABELS],
        threshold=threshold,
        round_to=round_to,
        marker="[c]",
    )
    outcome_frame = pd.DataFrame(
        {
            "count": [total.outcomes.get(code, 0) for code in OUTCOME_LABELS]
            + [total.residents_helped]
        },
        index=[*OUTCOME_LABELS, "total"],
    )
    outcome_values = suppress_table(
        outcome_frame,
        ["count"],
        total_row="total",
        threshold=threshold,
        round_to=round_to,
        marker="[c]",
    )["count"]
    attendance_frame = pd.DataFrame(
        {
            "label": [row.label for row in attendance_rows],
            "sessions": [row.sessions for row in attendance_rows],
            "places": [row.places for row in attendance_rows],
            "booked": [row.booked for row in attendance_rows],
            "attended": [row.attended for row in attendance_rows],
            "no_shows": [row.no_shows for row in attendance_rows],
            "waiting": [row.waiting for row in attendance_rows],
        }
    )
    people = ["booked", "attended", "no_shows", "waiting"]
    attendance_hidden = (
        suppress_table(
            attendance_frame, people, threshold=threshold, round_to=round_to, marker="[c]"
        )
        if len(attendance_frame)
        else attendance_frame
    )
    attendance = [
        {
            "label": str(record["label"]),
            "sessions": _full(int(record["sessions"])),
            "places": _full(int(record["places"])),
            **{
                column: _suppressed(
                    record[column], original[column], threshold=threshold, round_to=round_to
                )
                for column in people
            },
        }
        for record, original in zip(
            attendance_hidden.to_dict("records"), attendance_frame.to_dict("records"), strict=True
        )
    ]
    return Report(
        date_from,
        date_to,
        by,
        report_rows,
        total_row,
        [
            (
                TOPIC_LABELS[code],
                _suppressed(
                    value, total.topics.get(code, 0), threshold=threshold, round_to=round_to
                ),
            )
            for code, value in zip(TOPIC_LABELS, topic_values, strict=True)
        ],
        [
            (
                OUTCOME_LABELS[code],
                _suppressed(
                    outcome_values[code],
                    total.outcomes.get(code, 0),
                    threshold=threshold,
                    round_to=round_to,
                ),
            )
            for code in OUTCOME_LABELS
        ],
        attendance,
        suppressed=True,
        note=SUPPRESSION_NOTE.format(threshold=int(threshold)),
    )


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """Make text safe to open in a spreadsheet (no formulas: OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def report_csv_rows(report: Report) -> list[list[object]]:
    """The report as CSV rows: a title line, the header, one row per group and the total."""
    title = (
        f"# Help given by Digital Champions by {report.by}, {report.date_from.isoformat()} to "
        f"{report.date_to.isoformat()}. Residents helped counts people per episode of help."
    )
    lines: list[list[object]] = [[title]]
    if report.note:
        lines.append([f"# {report.note}"])
    header: list[object] = [report.by, "code", "support_episodes", "residents_helped"]
    if not report.suppressed:
        header += ["hours"]
        header += [f"topic: {label}" for label in TOPIC_LABELS.values()]
        header += [f"outcome: {label}" for label in OUTCOME_LABELS.values()]
    lines.append(header)
    for row in [*report.rows, report.total]:
        line: list[object] = [
            csv_cell(row.label),
            csv_cell(row.key),
            row.logs.csv,
            row.residents.csv,
        ]
        if not report.suppressed:
            line.append(row.hours.csv if row.hours else "")
            line += [row.topics[code].csv for code in TOPIC_LABELS]
            line += [row.outcomes[code].csv for code in OUTCOME_LABELS]
        lines.append(line)
    return lines


def london_midnight(day: date) -> datetime:
    """Midnight at the start of ``day`` in London, as an aware datetime."""
    return datetime.combine(day, datetime.min.time(), tzinfo=LONDON)


def labels_of(codes: Iterable[str], labels: Mapping[str, str]) -> str:
    """Codes as their labels, joined for reading."""
    return ", ".join(labels.get(code, code) for code in codes)
