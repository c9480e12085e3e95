"""Calendar files parse back with icalendar and give the right London time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Calendar
from sqlalchemy.orm import Session

from champions.ics import ics_filename, ics_for_booking
from champions.services import cancel_booking, update_session
from core.clock import LONDON
from tests.champions.factories import NOW, book, make_session, session_details


def parse(text: str) -> tuple[Calendar, dict[str, object]]:
    calendar = Calendar.from_ical(text)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    event = events[0]
    return calendar, {key: event.decoded(key) for key in event}


def test_calendar_file_has_the_required_properties_and_local_start(session: Session) -> None:
    # Tuesday 27 October 2026 at 10am, two days after the clocks go back (GMT again).
    after_change = datetime(2026, 10, 27, 10, 0, tzinfo=LONDON)
    training_session = make_session(session, starts_at=after_change, title="Using the NHS App")
    result = book(session, training_session)
    text = ics_for_booking(result.booking, now=NOW, uid_domain="council.example")

    assert "\r\n" in text
    calendar, event = parse(text)
    assert calendar["VERSION"] == "2.0"
    assert "Digital Inclusion Planner" in str(calendar["PRODID"])
    assert calendar["METHOD"] == "PUBLISH"
    assert event["UID"] == f"booking-{result.reference.lower()}@council.example"
    start = event["DTSTART"]
    assert isinstance(start, datetime)
    assert start.astimezone(LONDON).replace(tzinfo=None) == datetime(2026, 10, 27, 10, 0)
    assert start == datetime(2026, 10, 27, 10, 0, tzinfo=UTC)
    assert "DTSTART:20261027T100000Z" in text
    assert event["DTEND"] - start == timedelta(hours=2)  # type: ignore[operator]
    assert event["DTSTAMP"] == NOW
    assert event["SUMMARY"] == "Using the NHS App"
    assert "Hounslow Library" in str(event["LOCATION"])
    assert event["STATUS"] == "CONFIRMED"
    assert event["SEQUENCE"] == 0
    assert result.booking.full_name not in text  # no personal data in the file
    assert ics_filename(result.booking) == f"session-{result.reference}.ics"


def test_summer_session_is_an_hour_earlier_in_utc(session: Session) -> None:
    training_session = make_session(session)  # Tuesday 6 October 2026, 10am BST
    result = book(session, training_session)
    _, event = parse(ics_for_booking(result.booking, now=NOW))
    start = event["DTSTART"]
    assert isinstance(start, datetime)
    assert start == datetime(2026, 10, 6, 9, 0, tzinfo=UTC)
    assert start.astimezone(LONDON).hour == 10


def test_moved_and_cancelled_bookings_replace_the_event(session: Session) -> None:
    training_session = make_session(session)
    result = book(session, training_session)
    first_uid = parse(ics_for_booking(result.booking, now=NOW))[1]["UID"]
    update_session(
        session,
        training_session.id,
        session_details(
            training_session.venue, starts_at=training_session.starts_at + timedelta(days=1)
        ),
        now=NOW,
    )
    _, moved = parse(ics_for_booking(result.booking, now=NOW))
    assert moved["UID"] == first_uid
    assert moved["SEQUENCE"] == 1
    assert result.cancel_token
    cancel_booking(session, reference=result.reference, token=result.cancel_token, now=NOW)
    calendar, cancelled = parse(ics_for_booking(result.booking, now=NOW))
    assert calendar["METHOD"] == "CANCEL"
    assert cancelled["STATUS"] == "CANCELLED"
    assert cancelled["SEQUENCE"] == 2
    assert cancelled["UID"] == first_uid
