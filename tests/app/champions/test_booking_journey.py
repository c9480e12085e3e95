"""A resident books a session through the test client: questions, check answers, confirmation,
double submission, the cancellation link, the waiting list and an offer."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from app.notifications import TEMPLATES, render
from champions.models import Booking, TrainingSession
from core.clock import now_utc
from core.outbox import OutboxMessage
from tests.app.champions.support import book, make_session
from tests.databases import Database
from tests.pages import parse


def new_session(db: Database, **overrides: object) -> TrainingSession:
    with db.factory() as session:
        training_session = make_session(session, **overrides)  # type: ignore[arg-type]
        session.commit()
        session.refresh(training_session)
        session.expunge(training_session)
        return training_session


def bookings(db: Database) -> list[Booking]:
    with db.factory() as session:
        return list(session.scalars(select(Booking).order_by(Booking.id)))


def answer_questions(
    client: FlaskClient,
    public_id: str,
    *,
    name: str = "Ada Lovelace",
    email: str = "ada@example.com",
) -> str:
    """Answer every question; return the one-time token on the check answers page."""
    base = f"/sessions/{public_id}/book"
    assert client.get(base).headers["Location"].endswith(f"{base}/name")
    assert (
        client.post(f"{base}/name", data={"full_name": name})
        .headers["Location"]
        .endswith(f"{base}/contact")
    )
    response = client.post(f"{base}/contact", data={"contact_method": "email"})
    assert response.headers["Location"].endswith(f"{base}/contact-details")
    response = client.post(f"{base}/contact-details", data={"email": email})
    assert response.headers["Location"].endswith(f"{base}/access-needs")
    response = client.post(f"{base}/access-needs", data={"access_needs": "Large print"})
    assert response.headers["Location"].endswith(f"{base}/check")
    page = parse(client.get(f"{base}/check"))
    field = page.soup.find("input", attrs={"name": "idempotency_key"})
    assert field is not None
    return str(field["value"])


# --- finding a session ---------------------------------------------------------------------------


def test_residents_find_sessions_by_topic(client: FlaskClient, db: Database) -> None:
    wanted = new_session(db, topic="health_and_nhs_app", title="Using the NHS App")
    other = new_session(db, topic="scams_and_safety", title="Spotting scams")
    page = parse(client.get("/sessions"))
    assert page.h1 == "Find a free digital skills session"
    assert "Using the NHS App" in page.text() and "Spotting scams" in page.text()
    page = parse(client.get("/sessions?topic=health_and_nhs_app"))
    assert "Using the NHS App" in page.text()
    assert "Spotting scams" not in page.text()
    assert f"/sessions/{wanted.public_id}" in str(page.soup)
    assert f"/sessions/{other.public_id}" not in str(page.soup)


def test_a_postcode_is_checked_and_no_distance_is_made_up(
    client: FlaskClient, db: Database
) -> None:
    new_session(db)
    page = parse(client.get("/sessions?postcode=not+a+postcode"))
    assert page.title.startswith("Error: ")
    assert page.error_summary == ["Enter a full UK postcode, like TW3 1ES"]
    page = parse(client.get("/sessions?postcode=tw31es"))
    assert "We cannot work out distances from postcode TW3 1ES" in page.text()
    assert "Places with a postcode in TW3 are listed first" in page.text()
    assert "minutes’ walk" not in page.text()


def test_the_session_page_offers_a_place(client: FlaskClient, db: Database) -> None:
    training_session = new_session(db, title="Getting online")
    page = parse(client.get(f"/sessions/{training_session.public_id}"))
    assert page.h1 == "Getting online"
    assert "5 places left" in page.text()
    assert "Step-free access" in page.text()
    button = page.soup.find("a", href=re.compile(f"/sessions/{training_session.public_id}/book$"))
    assert button is not None and button.get_text(strip=True) == "Book a place"


# --- the questions ---------------------------------------------------------------------------------


def test_each_question_refuses_a_bad_answer_and_saves_nothing(
    client: FlaskClient, db: Database
) -> None:
    training_session = new_session(db)
    base = f"/sessions/{training_session.public_id}/book"
    client.get(base)
    page = parse(client.post(f"{base}/name", data={"full_name": "  "}))
    assert page.title.startswith("Error: What is your full name?")
    assert page.error_summary == ["Enter your full name"]
    assert page.field_error("full_name") == "Enter your full name"
    client.post(f"{base}/name", data={"full_name": "Ada Lovelace"})
    page = parse(client.post(f"{base}/contact", data={}))
    assert page.error_summary == ["Select how you want us to contact you"]
    client.post(f"{base}/contact", data={"contact_method": "email"})
    page = parse(client.post(f"{base}/contact-details", data={"email": ""}))
    assert page.h1 == "What is your email address?"
    assert page.error_summary == ["Enter your email address"]
    page = parse(client.post(f"{base}/contact-details", data={"email": "ada@"}))
    assert page.field_error("email") == (
        "Enter your email address in the correct format, like name@example.com"
    )
    client.post(f"{base}/contact", data={"contact_method": "sms"})
    page = parse(client.post(f"{base}/contact-details", data={"phone": "12"}))
    assert page.h1 == "What is your mobile phone number?"
    assert page.field_error("phone") == "Enter a UK mobile phone number, like 07700 900 982"
    page = parse(client.post(f"{base}/contact-details", data={"phone": "020 7946 0000"}))
    assert page.field_error("phone") == (
        "Enter a mobile phone number: we cannot send text messages to a landline"
    )
    client.post(f"{base}/contact-details", data={"phone": "07700 900 982"})
    page = parse(client.post(f"{base}/access-needs", data={"access_needs": "x" * 501}))
    assert page.error_summary == ["Access needs must be 500 characters or less"]
    assert bookings(db) == []


def test_questions_cannot_be_skipped(client: FlaskClient, db: Database) -> None:
    training_session = new_session(db)
    base = f"/sessions/{training_session.public_id}/book"
    assert client.get(f"{base}/check").headers["Location"].endswith(f"{base}/name")
    assert client.get(f"{base}/contact").headers["Location"].endswith(f"{base}/name")
    client.post(f"{base}/name", data={"full_name": "Ada Lovelace"})
    assert client.get(f"{base}/access-needs").headers["Location"].endswith(f"{base}/contact")


def test_pages_have_no_required_attribute_and_are_not_cached(
    client: FlaskClient, db: Database
) -> None:
    training_session = new_session(db)
    client.get(f"/sessions/{training_session.public_id}/book")
    response = client.get(f"/sessions/{training_session.public_id}/book/name")
    assert not re.search(r"\srequired[\s>=]", response.get_data(as_text=True))
    assert response.headers["Cache-Control"] == "no-store"


# --- booking, confirmation and the message ----------------------------------------------------------


def test_a_resident_books_and_gets_a_confirmation_with_a_cancellation_link(
    client: FlaskClient, db: Database
) -> None:
    training_session = new_session(db, title="Getting online")
    key = answer_questions(client, training_session.public_id)
    base = f"/sessions/{training_session.public_id}/book"
    check = parse(client.get(f"{base}/check"))
    assert check.h1 == "Check your answers before booking"
    assert "Ada Lovelace" in check.text() and "Email address ada@example.com" in check.text()
    assert "Large print" in check.text()
    response = client.post(f"{base}/check", data={"idempotency_key": key})
    assert response.status_code in (302, 303)
    assert response.headers["Location"].endswith(f"{base}/confirmation")
    [booking] = bookings(db)
    assert (booking.status, booking.full_name, booking.email) == (
        "confirmed",
        "Ada Lovelace",
        "ada@example.com",
    )
    assert booking.access_needs == "Large print"
    page = parse(client.get(f"{base}/confirmation"))
    assert "Booking complete" in page.text()
    reference = f"{booking.reference[:4]} {booking.reference[4:]}"
    assert reference in page.text()
    cancel = page.soup.find("a", string=re.compile("cancel or change your booking"))
    assert cancel is not None
    link = str(cancel["href"])
    assert link.startswith(f"http://planner.test/bookings/{booking.reference}/")
    calendar = client.get(f"{base}/calendar.ics")
    assert calendar.content_type.startswith("text/calendar")
    assert "BEGIN:VEVENT" in calendar.get_data(as_text=True)
    with db.factory() as session:
        message = session.scalars(
            select(OutboxMessage).where(OutboxMessage.template == "booking_confirmed")
        ).one()
        text = render(message)
    assert message.recipient == "ada@example.com"
    assert link in text and "Getting online" in text and reference in text


def test_double_submission_makes_one_booking(client: FlaskClient, db: Database) -> None:
    training_session = new_session(db)
    key = answer_questions(client, training_session.public_id)
    base = f"/sessions/{training_session.public_id}/book"
    first = client.post(f"{base}/check", data={"idempotency_key": key})
    second = client.post(f"{base}/check", data={"idempotency_key": key})
    assert first.headers["Location"] == second.headers["Location"]
    assert len(bookings(db)) == 1
    # The back button after booking shows the booking, not an empty form.
    assert client.get(f"{base}/check").headers["Location"].endswith(f"{base}/confirmation")
    page = parse(client.get(f"{base}/confirmation"))
    assert bookings(db)[0].reference[:4] in page.text()


def test_a_second_booking_for_the_same_email_is_refused_on_the_contact_page(
    client: FlaskClient, db: Database
) -> None:
    training_session = new_session(db)
    with db.factory() as session:
        book(session, session.get(TrainingSession, training_session.id), who="ada")
        session.commit()
    key = answer_questions(client, training_session.public_id, email="ada@example.com")
    base = f"/sessions/{training_session.public_id}/book"
    response = client.post(f"{base}/check", data={"idempotency_key": key})
    assert response.headers["Location"].endswith(f"{base}/contact-details")
    page = parse(client.get(f"{base}/contact-details"))
    assert page.field_error("email").startswith("This email address already has a place")
    assert len(bookings(db)) == 1


def test_a_cancelled_session_cannot_be_booked(client: FlaskClient, db: Database) -> None:
    training_session = new_session(db)
    with db.factory() as session:
        session.execute(
            update(TrainingSession)
            .where(TrainingSession.id == training_session.id)
            .values(status="cancelled", cancelled_at=now_utc(), cancellation_reason="Flood")
        )
        session.commit()
    response = client.get(f"/sessions/{training_session.public_id}/book/name")
    assert response.status_code == 409
    assert parse(response).h1 == "You cannot book this session"


# --- the link in the message --------------------------------------------------------------------


def test_the_cancellation_link_works_once_and_only_for_its_booking(
    client: FlaskClient, db: Database
) -> None:
    training_session = new_session(db)
    with db.factory() as session:
        mine = book(session, session.get(TrainingSession, training_session.id))
        theirs = book(session, session.get(TrainingSession, training_session.id))
        session.commit()
    link = f"/bookings/{mine.reference}/{mine.cancel_token}"
    assert client.get(f"/bookings/{mine.reference}/{theirs.cancel_token}").status_code == 404
    assert (
        client.post(f"/bookings/{theirs.reference}/{mine.cancel_token}/cancel").status_code == 404
    )
    page = parse(client.get(f"{link}/cancel"))
    assert page.h1 == "Cancel your booking?"
    response = client.post(f"{link}/cancel")
    assert response.headers["Location"].endswith(link)
    assert "Booking cancelled" in parse(client.get(link)).text()
    again = client.post(f"{link}/cancel")
    assert again.status_code == 409
    assert "This booking has already been cancelled" in parse(again).text()
    statuses = {b.reference: b.status for b in bookings(db)}
    assert statuses == {mine.reference: "cancelled", theirs.reference: "confirmed"}


def test_a_full_session_takes_a_waiting_list_place_which_is_offered_and_accepted(
    client: FlaskClient, db: Database
) -> None:
    training_session = new_session(db, capacity=1)
    with db.factory() as session:
        first = book(session, session.get(TrainingSession, training_session.id), who="first")
        session.commit()
    detail = parse(client.get(f"/sessions/{training_session.public_id}"))
    assert "This session is full" in detail.text()
    key = answer_questions(client, training_session.public_id, email="second@example.com")
    base = f"/sessions/{training_session.public_id}/book"
    check = parse(client.get(f"{base}/check"))
    assert check.h1 == "Check your answers before joining the waiting list"
    assert check.soup.find("button", string=re.compile("Join the waiting list")) is not None
    client.post(f"{base}/check", data={"idempotency_key": key})
    confirmation = parse(client.get(f"{base}/confirmation"))
    assert "You are on the waiting list" in confirmation.text()
    assert "number 1" in confirmation.text()

    # The first resident cancels: the place is offered to the second, by a link in a message.
    client.post(f"/bookings/{first.reference}/{first.cancel_token}/cancel")
    with db.factory() as session:
        offer = session.scalars(
            select(OutboxMessage).where(OutboxMessage.template == "waiting_list_offer")
        ).one()
        assert "[waiting_list_offer: missing" not in render(offer)
    assert offer.recipient == "second@example.com"
    link = str(offer.personalisation["accept_link"]).removeprefix("http://planner.test")
    page = parse(client.get(f"{link}/accept"))
    assert page.h1 == "A place has come up for you"
    response = client.post(f"{link}/accept")
    assert response.headers["Location"].endswith(link)
    assert "Your place is booked" in parse(client.get(link)).text()
    statuses = sorted(b.status for b in bookings(db))
    assert statuses == ["cancelled", "confirmed"]
    assert client.get(f"{link}/calendar.ics").status_code == 200


def test_an_offer_that_ran_out_is_passed_on_by_the_scheduled_job(
    app: Flask, client: FlaskClient, db: Database
) -> None:
    training_session = new_session(db, capacity=1)
    with db.factory() as session:
        held = session.get(TrainingSession, training_session.id)
        first = book(session, held, who="first")
        second = book(session, held, who="second")
        third = book(session, held, who="third")
        session.commit()
    client.post(f"/bookings/{first.reference}/{first.cancel_token}/cancel")
    with db.factory() as session:
        session.execute(
            update(Booking)
            .where(Booking.reference == second.reference)
            .values(offer_expires_at=now_utc() - timedelta(minutes=1))
        )
        session.commit()
    result = app.test_cli_runner().invoke(args=["champions", "expire-offers"])
    assert result.exit_code == 0, result.output
    assert "Offers ended: 1. New offers made: 1." in result.output
    statuses = {b.reference: b.status for b in bookings(db)}
    assert statuses[second.reference] == "expired"
    assert statuses[third.reference] == "offered"
    page = parse(client.get(f"/bookings/{second.reference}/{second.cancel_token}/accept"))
    assert page.h1 == "This offer has ended"


def test_every_message_the_domain_queues_has_a_text(client: FlaskClient, db: Database) -> None:
    from champions.vocabulary import (
        TEMPLATE_BOOKING_CANCELLED,
        TEMPLATE_BOOKING_CONFIRMED,
        TEMPLATE_OFFER_EXPIRED,
        TEMPLATE_SESSION_CANCELLED,
        TEMPLATE_SESSION_CHANGED,
        TEMPLATE_SESSION_REMINDER,
        TEMPLATE_WAITING_LIST_JOINED,
        TEMPLATE_WAITING_LIST_OFFER,
    )

    names = {
        TEMPLATE_BOOKING_CANCELLED,
        TEMPLATE_BOOKING_CONFIRMED,
        TEMPLATE_OFFER_EXPIRED,
        TEMPLATE_SESSION_CANCELLED,
        TEMPLATE_SESSION_CHANGED,
        TEMPLATE_SESSION_REMINDER,
        TEMPLATE_WAITING_LIST_JOINED,
        TEMPLATE_WAITING_LIST_OFFER,
    }
    assert names <= set(TEMPLATES)
    from champions import services
    from champions.commands import SessionDetails

    training_session = new_session(db, capacity=1)
    with db.factory() as session:
        held = session.get(TrainingSession, training_session.id)
        assert held is not None
        first = book(session, held)
        book(session, held)
        book(session, held)
        services.cancel_booking(
            session, reference=first.reference, token=str(first.cancel_token), now=now_utc()
        )
        services.expire_offers(session, now=now_utc() + timedelta(days=3))
        details = SessionDetails(
            topic=held.topic,
            venue_id=held.venue_id,
            starts_at=held.starts_at + timedelta(hours=1),
            ends_at=held.ends_at + timedelta(hours=1),
            capacity=held.capacity,
        )
        services.update_session(session, held.id, details, now=now_utc())
        services.cancel_session(session, held.id, reason="The hall is flooded", now=now_utc())
        session.flush()
        messages = session.scalars(select(OutboxMessage)).all()
        queued = {message.template for message in messages}
        assert queued == names
        for message in messages:
            assert not render(message).startswith("["), render(message)
        session.rollback()
    with db.factory() as session:
        assert session.scalar(select(func.count(Booking.id))) == 0


def test_public_booking_posts_are_rate_limited(db: Database) -> None:
    from app import create_app
    from tests.conftest import app_config

    limited = create_app(
        app_config(db, RATELIMIT_ENABLED=True, PUBLIC_FORM_RATE_LIMIT="2 per minute")
    )
    client = limited.test_client()
    training_session = new_session(db)
    url = f"/sessions/{training_session.public_id}/book/name"
    client.get(f"/sessions/{training_session.public_id}/book")
    statuses = [client.post(url, data={"full_name": ""}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert client.get(url).status_code == 200, "reading the page is not limited"
