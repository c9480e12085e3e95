"""Aggregate figures of the champions' work for coordinators and councillors.

These functions only count; they never suppress.  Every published figure must go through the
project's small-number suppression (``core.suppression.suppress_counts``) in the caller, because
a row for one ward or one champion can describe very few people.

Counting rules
--------------
* ``residents_helped`` is the sum of headcounts (a group of 8 is 8 residents), so a person who
  comes back is counted each time: it counts people helped per episode, not distinct people.
* ``duration_min`` adds the length of each episode once, however many people were in it.
* topic and outcome figures are residents (headcount-weighted); an episode covering three topics
  counts towards each of them, so topic figures add up to more than ``residents_helped``.
* Dates are Europe/London calendar days, both ends included.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from champions.models import Booking, Champion, SupportLog, SupportLogTopic, TrainingSession, Venue
from champions.vocabulary import TOPIC_LABELS
from core.clock import LONDON

SupportGrouping = Literal["champion", "venue", "ward"]
AttendanceGrouping = Literal["venue", "topic"]

NOT_AT_A_VENUE = "Not at a venue"
WARD_NOT_RECORDED = "Ward not recorded"


@dataclass(frozen=True)
class SupportSummaryRow:
    """Help given by one champion, at one venue or to residents of one ward.

    ``key`` is the champion's or venue's public id, or the ward code; ``None`` collects support
    not at a venue, or with no ward recorded.
    """

    key: str | None
    label: str
    logs: int
    residents_helped: int
    duration_min: int
    topics: Mapping[str, int] = field(default_factory=dict)
    outcomes: Mapping[str, int] = field(default_factory=dict)

    @property
    def hours(self) -> float:
        """Time spent helping, in hours."""
        return self.duration_min / 60


@dataclass(frozen=True)
class AttendanceRow:
    """Sessions and bookings at one venue or on one topic (cancelled sessions left out).

    ``booked`` counts places taken by bookings that were confirmed, attended or no-show;
    ``waiting`` counts people still on a waiting list, a measure of unmet demand.
    """

    key: str
    label: str
    sessions: int
    places: int
    booked: int
    attended: int
    no_shows: int
    waiting: int


def support_summary(
    session: Session, *, date_from: date, date_to: date, by: SupportGrouping
) -> list[SupportSummaryRow]:
    """Residents helped, time, topics and outcomes per champion, venue or ward, in label order."""
    _check_range(date_from, date_to)
    group = {
        "champion": SupportLog.champion_id,
        "venue": SupportLog.venue_id,
        "ward": SupportLog.ward_code,
    }[by]
    in_range = (SupportLog.occurred_on >= date_from, SupportLog.occurred_on <= date_to)
    totals = session.execute(
        select(
            group,
            func.count(SupportLog.id),
            func.sum(SupportLog.headcount),
            func.sum(SupportLog.duration_min),
        )
        .where(*in_range)
        .group_by(group)
    ).all()
    topics: dict[Any, dict[str, int]] = defaultdict(dict)
    for key, topic, residents in session.execute(
        select(group, SupportLogTopic.topic, func.sum(SupportLog.headcount))
        .join(SupportLogTopic, SupportLogTopic.support_log_id == SupportLog.id)
        .where(*in_range)
        .group_by(group, SupportLogTopic.topic)
    ):
        topics[key][topic] = int(residents)
    outcomes: dict[Any, dict[str, int]] = defaultdict(dict)
    for key, outcome, residents in session.execute(
        select(group, SupportLog.outcome, func.sum(SupportLog.headcount))
        .where(*in_range)
        .group_by(group, SupportLog.outcome)
    ):
        outcomes[key][outcome] = int(residents)
    labels = _labels(session, by, [row[0] for row in totals])
    rows = [
        SupportSummaryRow(
            key=labels[key][0],
            label=labels[key][1],
            logs=int(logs),
            residents_helped=int(residents or 0),
            duration_min=int(minutes or 0),
            topics=dict(sorted(topics[key].items())),
            outcomes=dict(sorted(outcomes[key].items())),
        )
        for key, logs, residents, minutes in totals
    ]
    return sorted(rows, key=lambda row: (row.key is None, row.label.casefold(), row.key or ""))


def support_totals(session: Session, *, date_from: date, date_to: date) -> SupportSummaryRow:
    """The same figures for every champion together (computed from unrounded data)."""
    _check_range(date_from, date_to)
    in_range = (SupportLog.occurred_on >= date_from, SupportLog.occurred_on <= date_to)
    logs, residents, minutes = session.execute(
        select(
            func.count(SupportLog.id),
            func.sum(SupportLog.headcount),
            func.sum(SupportLog.duration_min),
        ).where(*in_range)
    ).one()
    topics = {
        topic: int(count)
        for topic, count in session.execute(
            select(SupportLogTopic.topic, func.sum(SupportLog.headcount))
            .join(SupportLogTopic, SupportLogTopic.support_log_id == SupportLog.id)
            .where(*in_range)
            .group_by(SupportLogTopic.topic)
            .order_by(SupportLogTopic.topic)
        )
    }
    outcomes = {
        outcome: int(count)
        for outcome, count in session.execute(
            select(SupportLog.outcome, func.sum(SupportLog.headcount))
            .where(*in_range)
            .group_by(SupportLog.outcome)
            .order_by(SupportLog.outcome)
        )
    }
    return SupportSummaryRow(
        key=None,
        label="All",
        logs=int(logs),
        residents_helped=int(residents or 0),
        duration_min=int(minutes or 0),
        topics=topics,
        outcomes=outcomes,
    )


def attendance_summary(
    session: Session, *, date_from: date, date_to: date, by: AttendanceGrouping
) -> list[AttendanceRow]:
    """Sessions, places, bookings, attendance and unmet demand per venue or topic."""
    _check_range(date_from, date_to)
    start = datetime.combine(date_from, datetime.min.time(), tzinfo=LONDON)
    end = datetime.combine(date_to + timedelta(days=1), datetime.min.time(), tzinfo=LONDON)
    group = TrainingSession.venue_id if by == "venue" else TrainingSession.topic
    in_range = (
        TrainingSession.status == "scheduled",
        TrainingSession.starts_at >= start,
        TrainingSession.starts_at < end,
    )
    sessions = {
        key: (int(count), int(places or 0))
        for key, count, places in session.execute(
            select(group, func.count(TrainingSession.id), func.sum(TrainingSession.capacity))
            .where(*in_range)
            .group_by(group)
        )
    }

    def count_of(*statuses: str) -> Any:
        return func.sum(case((Booking.status.in_(statuses), 1), else_=0))

    bookings = {
        key: tuple(int(value or 0) for value in values)
        for key, *values in session.execute(
            select(
                group,
                count_of("confirmed", "attended", "no_show"),
                count_of("attended"),
                count_of("no_show"),
                count_of("waiting"),
            )
            .join(Booking, Booking.training_session_id == TrainingSession.id)
            .where(*in_range)
            .group_by(group)
        )
    }
    labels: dict[Any, tuple[str, str]]
    if by == "venue":
        labels = {
            venue_id: (public_id, name)
            for venue_id, public_id, name in session.execute(
                select(Venue.id, Venue.public_id, Venue.name).where(Venue.id.in_(list(sessions)))
            )
        }
    else:
        labels = {key: (str(key), TOPIC_LABELS.get(str(key), str(key))) for key in sessions}
    rows = []
    for key, (count, places) in sessions.items():
        booked, attended, no_shows, waiting = bookings.get(key, (0, 0, 0, 0))
        row_key, label = labels[key]
        rows.append(
            AttendanceRow(row_key, label, count, places, booked, attended, no_shows, waiting)
        )
    return sorted(rows, key=lambda row: (row.label.casefold(), row.key))


def _check_range(date_from: date, date_to: date) -> None:
    if date_to < date_from:
        raise ValueError("date_to must be on or after date_from")


def _labels(
    session: Session, by: SupportGrouping, keys: list[Any]
) -> dict[Any, tuple[str | None, str]]:
    """Map each group key to (public key, label)."""
    known = [key for key in keys if key is not None]
    labels: dict[Any, tuple[str | None, str]] = {}
    if by == "champion":
        for champion_id, public_id, name in session.execute(
            select(Champion.id, Champion.public_id, Champion.full_name).where(
                Champion.id.in_(known)
            )
        ):
            labels[champion_id] = (public_id, name)
    elif by == "venue":
        for venue_id, public_id, name in session.execute(
            select(Venue.id, Venue.public_id, Venue.name).where(Venue.id.in_(known))
        ):
            labels[venue_id] = (public_id, name)
        labels[None] = (None, NOT_AT_A_VENUE)
    else:
        labels.update({code: (code, code) for code in known})
        labels[None] = (None, WARD_NOT_RECORDED)
    return labels


__all__ = [
    "NOT_AT_A_VENUE",
    "WARD_NOT_RECORDED",
    "AttendanceRow",
    "SupportSummaryRow",
    "attendance_summary",
    "support_summary",
    "support_totals",
]
