"""Report figures on a small hand-worked example."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

from champions.commands import SupportLogDetails
from champions.reports import attendance_summary, support_summary, support_totals
from champions.services import cancel_session, log_support, mark_attendance
from tests.champions.factories import (
    NOW,
    SESSION_START,
    book,
    make_champion,
    make_session,
    make_venue,
)

SEPTEMBER = {"date_from": date(2026, 9, 1), "date_to": date(2026, 9, 30)}


@pytest.fixture
def example(session: Session) -> dict[str, str]:
    """Three episodes in September and one in August.

    | champion | date   | place           | people | minutes | topics          | outcome   |
    | Amir     | 1 Sep  | Hounslow Lib.   | 1      | 30      | scams, health   | joins     |
    | Amir     | 10 Sep | phone, E...606  | 1      | 60      | scams           | no further|
    | Beth     | 15 Sep | Hounslow Lib.   | 6      | 120     | foundation      | joins     |
    | Beth     | 20 Aug | phone           | 1      | 45      | transacting     | no further|
    """
    amir = make_champion(session, full_name="Amir Khan")
    beth = make_champion(session, full_name="Beth Jones")
    library = make_venue(session)

    def log(champion_id: int, **values: object) -> None:
        log_support(
            session,
            SupportLogDetails(**values),
            champion_id=champion_id,
            now=NOW,  # type: ignore[arg-type]
        )

    log(
        amir.id,
        occurred_on=date(2026, 9, 1),
        place="venue",
        venue_id=library.id,
        duration_min=30,
        topics=("scams_and_safety", "health_and_nhs_app"),
        outcome="joins_session",
    )
    log(
        amir.id,
        occurred_on=date(2026, 9, 10),
        place="phone",
        ward_code="E05013606",
        duration_min=60,
        topics=("scams_and_safety",),
        outcome="no_further_help",
    )
    log(
        beth.id,
        occurred_on=date(2026, 9, 15),
        place="venue",
        venue_id=library.id,
        kind="group",
        headcount=6,
        duration_min=120,
        topics=("foundation",),
        outcome="joins_session",
    )
    log(
        beth.id,
        occurred_on=date(2026, 8, 20),
        place="phone",
        duration_min=45,
        topics=("transacting",),
        outcome="no_further_help",
    )
    return {"amir": amir.public_id, "beth": beth.public_id, "library": library.public_id}


def test_summary_per_champion(session: Session, example: dict[str, str]) -> None:
    rows = support_summary(session, by="champion", **SEPTEMBER)
    assert [
        (row.key, row.label, row.logs, row.residents_helped, row.duration_min) for row in rows
    ] == [
        (example["amir"], "Amir Khan", 2, 2, 90),
        (example["beth"], "Beth Jones", 1, 6, 120),
    ]
    assert rows[0].topics == {"health_and_nhs_app": 1, "scams_and_safety": 2}
    assert rows[0].outcomes == {"joins_session": 1, "no_further_help": 1}
    assert rows[1].topics == {"foundation": 6}
    assert rows[1].hours == 2.0


def test_summary_per_venue_collects_help_elsewhere(
    session: Session, example: dict[str, str]
) -> None:
    rows = support_summary(session, by="venue", **SEPTEMBER)
    assert [
        (row.key, row.label, row.logs, row.residents_helped, row.duration_min) for row in rows
    ] == [
        (example["library"], "Hounslow Library", 2, 7, 150),
        (None, "Not at a venue", 1, 1, 60),
    ]
    assert rows[0].topics == {"foundation": 6, "health_and_nhs_app": 1, "scams_and_safety": 1}
    assert rows[0].outcomes == {"joins_session": 7}


def test_summary_per_ward(session: Session, example: dict[str, str]) -> None:
    rows = support_summary(session, by="ward", **SEPTEMBER)
    assert [(row.key, row.logs, row.residents_helped) for row in rows] == [
        ("E05013606", 1, 1),
        ("E05013624", 2, 7),
    ]


def test_totals_and_the_date_range_are_inclusive(session: Session, example: dict[str, str]) -> None:
    totals = support_totals(session, **SEPTEMBER)
    assert (totals.logs, totals.residents_helped, totals.duration_min) == (3, 8, 210)
    assert totals.hours == 3.5
    assert totals.topics == {
        "foundation": 6,
        "health_and_nhs_app": 1,
        "scams_and_safety": 2,
    }
    with_august = support_totals(session, date_from=date(2026, 8, 20), date_to=date(2026, 9, 1))
    assert (with_august.logs, with_august.duration_min) == (2, 75)
    with pytest.raises(ValueError, match="date_to"):
        support_totals(session, date_from=date(2026, 9, 2), date_to=date(2026, 9, 1))


def test_attendance_summary_counts_places_shows_and_waiting(session: Session) -> None:
    venue = make_venue(session)
    full = make_session(session, venue, capacity=2)
    other = make_session(
        session, venue, capacity=5, topic="transacting", starts_at=SESSION_START + timedelta(days=1)
    )
    dropped = make_session(session, venue, starts_at=SESSION_START + timedelta(days=2))
    came, missed, _waiting = book(session, full), book(session, full), book(session, full)
    book(session, other)
    book(session, dropped)
    cancel_session(session, dropped.id, reason="Room needed for voting", now=NOW)
    mark_attendance(session, full.id, attended_booking_ids=[came.booking.id], now=full.ends_at)
    assert missed.booking.status == "no_show"

    october = {"date_from": date(2026, 10, 1), "date_to": date(2026, 10, 31)}
    (by_venue,) = attendance_summary(session, by="venue", **october)
    assert (by_venue.label, by_venue.sessions, by_venue.places) == ("Hounslow Library", 2, 7)
    assert (by_venue.booked, by_venue.attended, by_venue.no_shows, by_venue.waiting) == (3, 1, 1, 1)

    by_topic = attendance_summary(session, by="topic", **october)
    assert [(row.key, row.sessions, row.places, row.booked, row.waiting) for row in by_topic] == [
        ("foundation", 1, 2, 2, 1),
        ("transacting", 1, 5, 1, 0),
    ]
