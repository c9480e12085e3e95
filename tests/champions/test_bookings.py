"""Booking, waiting lists, offers, cancellation links, session changes and attendance."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from champions.errors import (
    AlreadyBooked,
    BookingClosed,
    BookingNotFound,
    IdempotencyMismatch,
    InvalidInput,
    OfferExpired,
    SessionFull,
    SessionUnavailable,
)
from champions.models import Booking, TrainingSession
from champions.services import (
    BookingSettings,
    accept_offer,
    cancel_booking,
    cancel_booking_for_resident,
    cancel_session,
    expire_offers,
    find_booking_for_link,
    mark_attendance,
    update_session,
    waiting_position,
)
from core.outbox import OutboxMessage
from tests.champions.factories import (
    NOW,
    SESSION_START,
    book,
    make_champion,
    make_session,
    new_key,
    session_details,
)

SETTINGS = BookingSettings(
    reminder_hours=24,
    offer_hours=48,
    manage_url=lambda reference, token: f"https://council.example/bookings/{reference}/{token}",
)


def messages_for(session: Session, reference: str) -> list[tuple[str, str]]:
    rows = session.scalars(
        select(OutboxMessage).where(OutboxMessage.reference == reference).order_by(OutboxMessage.id)
    )
    return [(row.template, row.status) for row in rows]


def held_places(session: Session, training_session: TrainingSession) -> int:
    count = session.scalar(
        select(func.count(Booking.id)).where(
            Booking.training_session_id == training_session.id,
            Booking.status.in_(("confirmed", "offered", "attended", "no_show")),
        )
    )
    session.refresh(training_session)
    assert count == training_session.booked_count
    return count


# Booking -------------------------------------------------------------------------------------


def test_booking_confirms_a_place_and_queues_confirmation_and_reminder(session: Session) -> None:
    training_session = make_session(session)
    result = book(session, training_session, who="ada", settings=SETTINGS)
    assert result.created and result.status == "confirmed"
    assert result.waiting_position is None
    assert held_places(session, training_session) == 1
    outbox = session.scalars(
        select(OutboxMessage).where(OutboxMessage.reference == result.reference)
    ).all()
    by_template = {message.template: message for message in outbox}
    assert set(by_template) == {"booking_confirmed", "session_reminder"}
    confirmation = by_template["booking_confirmed"]
    assert confirmation.channel == "email"
    assert confirmation.recipient == "ada@example.com"
    assert confirmation.send_after == NOW
    assert confirmation.personalisation["date"] == "6 October 2026"
    assert confirmation.personalisation["start_time"] == "10am"
    assert confirmation.personalisation["venue_name"] == "Hounslow Library"
    assert confirmation.personalisation["manage_url"].endswith(
        f"/{result.reference}/{result.cancel_token}"
    )
    reminder = by_template["session_reminder"]
    assert reminder.send_after == training_session.starts_at - timedelta(hours=24)


def test_booking_by_text_message_goes_to_the_mobile_in_e164(session: Session) -> None:
    training_session = make_session(session)
    result = book(session, training_session, contact_method="sms", email=None, phone="07911 123456")
    message = session.scalars(
        select(OutboxMessage).where(OutboxMessage.template == "booking_confirmed")
    ).one()
    assert (message.channel, message.recipient) == ("sms", "+447911123456")
    assert result.booking.phone == "+447911123456"


def test_invalid_details_list_every_field(session: Session) -> None:
    training_session = make_session(session)
    with pytest.raises(InvalidInput) as caught:
        book(session, training_session, full_name=" ", email="not-an-email")
    assert [(error.field, error.message) for error in caught.value.errors] == [
        ("full_name", "Enter your full name"),
        ("email", "Enter your email address in the correct format, like name@example.com"),
    ]


def test_a_resident_must_choose_a_contact_method_but_a_champion_need_not(
    session: Session,
) -> None:
    training_session = make_session(session)
    with pytest.raises(InvalidInput, match="Select how you want us to contact you"):
        book(session, training_session, contact_method=None, email=None)
    champion = make_champion(session)
    result = book(session, training_session, contact_method=None, email=None, booked_by=champion.id)
    assert result.status == "confirmed"
    assert result.booking.booked_by_champion_id == champion.id
    assert messages_for(session, result.reference) == []  # nobody to write to


def test_same_email_cannot_hold_two_places_at_one_session(session: Session) -> None:
    training_session = make_session(session)
    book(session, training_session, who="ada")
    with pytest.raises(AlreadyBooked) as caught:
        book(session, training_session, who="ADA")
    assert caught.value.field == "email"
    assert held_places(session, training_session) == 1


def test_the_database_refuses_a_second_live_booking_for_one_email(session: Session) -> None:
    training_session = make_session(session)
    first = book(session, training_session, who="ada").booking
    session.add(
        Booking(
            reference="ZZZZ2222",
            idempotency_key=new_key(),
            training_session_id=training_session.id,
            status="waiting",
            full_name="Ada",
            contact_method="email",
            email=first.email,
            created_at=NOW,
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()


def test_resubmitting_the_form_returns_the_same_booking(session: Session) -> None:
    training_session = make_session(session)
    key = new_key()
    first = book(session, training_session, who="ada", idempotency_key=key)
    again = book(session, training_session, who="ada", idempotency_key=key)
    assert not again.created
    assert again.reference == first.reference
    assert again.cancel_token is None
    assert held_places(session, training_session) == 1
    assert session.scalar(select(func.count(Booking.id))) == 1


def test_reusing_a_form_token_for_another_session_is_refused(session: Session) -> None:
    first = make_session(session)
    second = make_session(session, first.venue, starts_at=SESSION_START + timedelta(days=1))
    key = new_key()
    book(session, first, idempotency_key=key)
    with pytest.raises(IdempotencyMismatch):
        book(session, second, idempotency_key=key)


def test_full_session_puts_people_on_the_waiting_list_in_order(session: Session) -> None:
    training_session = make_session(session, capacity=2)
    results = [book(session, training_session, settings=SETTINGS) for _ in range(4)]
    assert [result.status for result in results] == [
        "confirmed",
        "confirmed",
        "waiting",
        "waiting",
    ]
    assert [result.waiting_position for result in results[2:]] == [1, 2]
    assert held_places(session, training_session) == 2
    waiting_messages = messages_for(session, results[3].reference)
    assert waiting_messages == [("waiting_list_joined", "pending")]  # no reminder while waiting


def test_waiting_list_limit_refuses_once_reached(session: Session) -> None:
    training_session = make_session(session, capacity=1)
    limited = BookingSettings(waiting_list_limit=1)
    book(session, training_session, settings=limited)
    book(session, training_session, settings=limited)
    with pytest.raises(SessionFull, match="waiting list are full"):
        book(session, training_session, settings=limited)


def test_no_contact_means_no_waiting_list(session: Session) -> None:
    training_session = make_session(session, capacity=1)
    champion = make_champion(session)
    book(session, training_session)
    with pytest.raises(InvalidInput) as caught:
        book(session, training_session, contact_method=None, email=None, booked_by=champion.id)
    assert caught.value.field == "contact_method"


def test_cancelled_or_started_sessions_cannot_be_booked(session: Session) -> None:
    training_session = make_session(session)
    with pytest.raises(SessionUnavailable, match="already started"):
        book(session, training_session, now=training_session.starts_at)
    cancel_session(session, training_session.id, reason="Room flooded", now=NOW)
    with pytest.raises(SessionUnavailable, match="cancelled"):
        book(session, training_session)


# Cancellation links --------------------------------------------------------------------------


def test_cancellation_link_works_once_and_only_for_its_booking(session: Session) -> None:
    training_session = make_session(session)
    mine = book(session, training_session, settings=SETTINGS)
    theirs = book(session, training_session, settings=SETTINGS)
    assert mine.cancel_token and theirs.cancel_token
    with pytest.raises(BookingNotFound):
        cancel_booking(session, reference=mine.reference, token=theirs.cancel_token, now=NOW)
    with pytest.raises(BookingNotFound):
        cancel_booking(session, reference=mine.reference, token="guess", now=NOW)

    cancelled = cancel_booking(
        session, reference=mine.reference.lower(), token=mine.cancel_token, now=NOW
    )
    assert cancelled.status == "cancelled"
    assert held_places(session, training_session) == 1
    with pytest.raises(BookingClosed, match="already been cancelled"):
        cancel_booking(session, reference=mine.reference, token=mine.cancel_token, now=NOW)
    assert held_places(session, training_session) == 1
    session.refresh(theirs.booking)
    assert theirs.booking.status == "confirmed"


def test_cancelling_stops_the_reminder_and_sends_a_cancellation(session: Session) -> None:
    training_session = make_session(session)
    result = book(session, training_session)
    assert result.cancel_token
    cancel_booking(session, reference=result.reference, token=result.cancel_token, now=NOW)
    assert messages_for(session, result.reference) == [
        ("booking_confirmed", "cancelled"),
        ("session_reminder", "cancelled"),
        ("booking_cancelled", "pending"),
    ]


def test_a_booking_cannot_be_cancelled_once_the_session_has_started(session: Session) -> None:
    training_session = make_session(session)
    result = book(session, training_session)
    assert result.cancel_token
    with pytest.raises(BookingClosed, match="already started"):
        cancel_booking(
            session,
            reference=result.reference,
            token=result.cancel_token,
            now=training_session.starts_at,
        )


def test_find_booking_for_link_checks_the_token(session: Session) -> None:
    training_session = make_session(session)
    result = book(session, training_session)
    assert result.cancel_token
    found = find_booking_for_link(session, reference=result.reference, token=result.cancel_token)
    assert found is result.booking
    assert find_booking_for_link(session, reference=result.reference, token="x" * 43) is None
    assert find_booking_for_link(session, reference="nonsense", token=result.cancel_token) is None


# Waiting-list offers -------------------------------------------------------------------------


def test_freed_place_is_offered_then_passes_on_when_the_offer_expires(session: Session) -> None:
    training_session = make_session(session, capacity=1)
    first = book(session, training_session, settings=SETTINGS)
    second = book(session, training_session, settings=SETTINGS)
    third = book(session, training_session, settings=SETTINGS)
    assert first.cancel_token

    cancel_booking(
        session, reference=first.reference, token=first.cancel_token, now=NOW, settings=SETTINGS
    )
    session.refresh(second.booking)
    assert second.booking.status == "offered"
    assert second.booking.offer_expires_at == NOW + timedelta(hours=48)
    assert held_places(session, training_session) == 1  # the offer holds the place
    offer = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.reference == second.reference,
            OutboxMessage.template == "waiting_list_offer",
        )
    ).one()
    assert offer.personalisation["offer_expires"] == "3 October 2026 at 10am"
    offer_token = offer.personalisation["manage_url"].rsplit("/", 1)[1]

    # Nothing happens before the offer runs out.
    assert expire_offers(session, now=NOW + timedelta(hours=47), settings=SETTINGS).expired == 0
    report = expire_offers(session, now=NOW + timedelta(hours=48), settings=SETTINGS)
    assert (report.expired, report.offered) == (1, 1)
    session.refresh(second.booking)
    session.refresh(third.booking)
    assert second.booking.status == "expired"
    assert third.booking.status == "offered"
    assert held_places(session, training_session) == 1
    assert ("waiting_list_offer_expired", "pending") in messages_for(session, second.reference)

    with pytest.raises(BookingNotFound):  # the expired offer's link no longer opens anything
        accept_offer(session, reference=second.reference, token=offer_token, now=NOW)


def test_accepting_an_offer_confirms_the_place_and_schedules_a_reminder(session: Session) -> None:
    training_session = make_session(session, capacity=1)
    first = book(session, training_session, settings=SETTINGS)
    second = book(session, training_session, settings=SETTINGS)
    assert first.cancel_token and second.cancel_token
    cancel_booking(
        session, reference=first.reference, token=first.cancel_token, now=NOW, settings=SETTINGS
    )
    accepted = accept_offer(
        session,
        reference=second.reference,
        token=second.cancel_token,
        now=NOW + timedelta(hours=1),
        settings=SETTINGS,
    )
    assert accepted.status == "confirmed"
    again = accept_offer(
        session, reference=second.reference, token=second.cancel_token, now=NOW, settings=SETTINGS
    )
    assert again.status == "confirmed"
    assert held_places(session, training_session) == 1
    templates = Counter(template for template, _ in messages_for(session, second.reference))
    assert templates["booking_confirmed"] == 1
    assert templates["session_reminder"] == 1
    assert expire_offers(session, now=NOW + timedelta(days=3)).expired == 0


def test_an_offer_cannot_be_accepted_after_it_ends(session: Session) -> None:
    training_session = make_session(session, capacity=1)
    first = book(session, training_session)
    second = book(session, training_session)
    assert first.cancel_token and second.cancel_token
    cancel_booking(session, reference=first.reference, token=first.cancel_token, now=NOW)
    with pytest.raises(OfferExpired, match="3 October 2026 at 10am"):
        accept_offer(
            session,
            reference=second.reference,
            token=second.cancel_token,
            now=NOW + timedelta(hours=49),
        )


def test_declining_an_offer_passes_it_on(session: Session) -> None:
    training_session = make_session(session, capacity=1)
    first, second, third = (book(session, training_session) for _ in range(3))
    assert first.cancel_token and second.cancel_token
    cancel_booking(session, reference=first.reference, token=first.cancel_token, now=NOW)
    cancel_booking(session, reference=second.reference, token=second.cancel_token, now=NOW)
    session.refresh(third.booking)
    assert third.booking.status == "offered"
    assert held_places(session, training_session) == 1


def test_leaving_the_waiting_list_frees_no_place(session: Session) -> None:
    training_session = make_session(session, capacity=1)
    book(session, training_session)
    second, third = book(session, training_session), book(session, training_session)
    assert second.cancel_token
    cancel_booking(session, reference=second.reference, token=second.cancel_token, now=NOW)
    assert held_places(session, training_session) == 1
    session.refresh(third.booking)
    assert third.booking.status == "waiting"
    assert waiting_position(session, third.booking) == 1


def test_staff_can_cancel_for_a_resident_by_reference(session: Session) -> None:
    training_session = make_session(session)
    result = book(session, training_session)
    cancelled = cancel_booking_for_resident(
        session, reference=result.reference, now=NOW, actor_id=None
    )
    assert cancelled.status == "cancelled"
    assert held_places(session, training_session) == 0


# Session changes -----------------------------------------------------------------------------


def test_cancelling_a_session_tells_everyone_and_frees_every_place(session: Session) -> None:
    training_session = make_session(session, capacity=1)
    booked, waiting = book(session, training_session), book(session, training_session)
    told = cancel_session(session, training_session.id, reason="Room flooded", now=NOW)
    assert told == 2
    session.refresh(training_session)
    assert training_session.status == "cancelled"
    assert training_session.booked_count == 0
    for result in (booked, waiting):
        session.refresh(result.booking)
        assert result.booking.status == "cancelled"
    assert messages_for(session, booked.reference)[-1] == ("session_cancelled", "pending")
    assert ("session_reminder", "cancelled") in messages_for(session, booked.reference)
    with pytest.raises(SessionUnavailable, match="already been cancelled"):
        cancel_session(session, training_session.id, reason="Again", now=NOW)


def test_more_places_go_to_the_waiting_list_first(session: Session) -> None:
    training_session = make_session(session, capacity=1)
    book(session, training_session)
    waiting = [book(session, training_session) for _ in range(2)]
    update_session(
        session,
        training_session.id,
        session_details(training_session.venue, capacity=3),
        now=NOW,
    )
    for result in waiting:
        session.refresh(result.booking)
        assert result.booking.status == "offered"
    assert held_places(session, training_session) == 3


def test_capacity_cannot_drop_below_places_taken(session: Session) -> None:
    training_session = make_session(session, capacity=3)
    book(session, training_session)
    book(session, training_session)
    with pytest.raises(InvalidInput) as caught:
        update_session(
            session,
            training_session.id,
            session_details(training_session.venue, capacity=1),
            now=NOW,
        )
    assert caught.value.field == "capacity"
    assert caught.value.message == "Capacity must be at least 2, the number of places already taken"


def test_moving_a_session_moves_reminders_and_tells_people(session: Session) -> None:
    training_session = make_session(session)
    result = book(session, training_session, settings=SETTINGS)
    later = SESSION_START + timedelta(days=1)
    update_session(
        session,
        training_session.id,
        session_details(training_session.venue, starts_at=later),
        now=NOW,
        settings=SETTINGS,
    )
    assert training_session.revision == 1
    reminder = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.reference == result.reference,
            OutboxMessage.template == "session_reminder",
        )
    ).one()
    assert reminder.status == "pending"
    assert reminder.send_after == later - timedelta(hours=24)
    assert reminder.personalisation["date"] == "7 October 2026"
    assert reminder.personalisation["manage_url"].endswith(str(result.cancel_token))
    changed = session.scalars(
        select(OutboxMessage).where(OutboxMessage.template == "session_changed")
    ).one()
    assert changed.recipient == result.booking.email


# Attendance ----------------------------------------------------------------------------------


def test_attendance_counts_no_shows_and_can_be_corrected(session: Session) -> None:
    training_session = make_session(session)
    came, missed = book(session, training_session), book(session, training_session)
    waiting_free = book(session, training_session)
    with pytest.raises(SessionUnavailable, match="once the session has started"):
        mark_attendance(session, training_session.id, attended_booking_ids=[], now=NOW)
    after = training_session.ends_at
    result = mark_attendance(
        session, training_session.id, attended_booking_ids=[came.booking.id], now=after
    )
    assert (result.attended, result.no_shows) == (1, 2)
    assert missed.booking.status == "no_show"
    corrected = mark_attendance(
        session,
        training_session.id,
        attended_booking_ids=[came.booking.id, waiting_free.booking.id],
        now=after,
    )
    assert (corrected.attended, corrected.no_shows) == (2, 1)
    assert held_places(session, training_session) == 3
    with pytest.raises(InvalidInput, match="list of bookings"):
        mark_attendance(session, training_session.id, attended_booking_ids=[999_999], now=after)
