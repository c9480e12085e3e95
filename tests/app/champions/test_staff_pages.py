"""Coordinators manage champions, venues and sessions; bad input shows a message per field and
saves nothing."""

from __future__ import annotations

from datetime import date, time, timedelta
from itertools import pairwise

from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from champions.models import (
    Booking,
    Champion,
    ChampionTraining,
    TrainingSession,
    Venue,
    VenueClosure,
)
from core.clock import now_utc, to_london, today_london
from core.outbox import OutboxMessage
from tests.app.champions.support import book, future_start, make_champion, make_session, make_venue
from tests.databases import Database
from tests.factories import make_user, sign_in
from tests.pages import parse


def signed_in(client: FlaskClient, db: Database, role: str = "coordinator") -> None:
    with db.factory() as session:
        sign_in(client, make_user(session, roles=[role]))


def count(db: Database, model: type) -> int:
    with db.factory() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def date_fields(name: str, day: date) -> dict[str, list[str]]:
    return {name: [str(day.day), str(day.month), str(day.year)]}


# --- champions --------------------------------------------------------------------------------


def test_adding_a_champion_checks_every_field(client: FlaskClient, db: Database) -> None:
    signed_in(client, db)
    page = parse(client.post("/champions/people/new", data={}))
    assert page.title.startswith("Error: Add a champion")
    assert page.error_summary == [
        "Enter their full name",
        "Select whether the champion is staff or a volunteer",
        "Enter at least one language the champion speaks",
    ]
    page = parse(
        client.post(
            "/champions/people/new",
            data={
                "full_name": "Amir Khan",
                "kind": "volunteer",
                "email": "amir@",
                "phone": "12",
                "languages": "English",
                "dbs_checked_on": ["31", "2", "2025"],
            },
        )
    )
    assert page.field_error("email") == (
        "Enter an email address in the correct format, like name@example.com"
    )
    assert page.field_error("phone").startswith("Enter a UK phone number, like")
    assert page.field_error("dbs_checked_on") == "The date of the DBS check must be a real date"
    assert count(db, Champion) == 0


def test_a_dbs_renewal_before_the_check_is_refused_by_the_rules(
    client: FlaskClient, db: Database
) -> None:
    signed_in(client, db)
    data = {
        "full_name": "Amir Khan",
        "kind": "volunteer",
        "languages": "English, Urdu",
        **date_fields("dbs_checked_on", date(2025, 3, 1)),
        **date_fields("dbs_expires_on", date(2025, 2, 1)),
    }
    page = parse(client.post("/champions/people/new", data=data))
    assert page.field_error("dbs_expires_on") == (
        "The DBS renewal date must be after the date of the check"
    )
    assert count(db, Champion) == 0


def test_a_coordinator_adds_and_edits_a_champion_and_records_training(
    client: FlaskClient, db: Database
) -> None:
    signed_in(client, db)
    with db.factory() as session:
        venue = make_venue(session, name="Central Library")
        session.commit()
        venue_id = venue.id
    response = client.post(
        "/champions/people/new",
        data={
            "full_name": "Amir Khan",
            "kind": "staff",
            "email": "Amir@Example.com",
            "languages": "English, Urdu",
            "skill_areas": ["scams_and_safety", "health_and_nhs_app"],
            "home_venue_id": str(venue_id),
            **date_fields("dbs_checked_on", date(2025, 3, 1)),
        },
    )
    assert response.status_code in (302, 303)
    with db.factory() as session:
        champion = session.scalars(select(Champion)).one()
        assert champion.email == "amir@example.com"
        assert champion.languages == ["English", "Urdu"]
        assert champion.dbs_expires_on == date(2028, 3, 1)
        public_id = champion.public_id
    page = parse(client.get(f"/champions/people/{public_id}"))
    assert page.h1 == "Amir Khan"
    assert "Scams and safety" in page.text() and "Central Library" in page.text()
    assert "Digital Champion Essentials: not recorded" in page.text()

    page = parse(client.post(f"/champions/people/{public_id}/training", data={}))
    assert page.error_summary == ["Select a training module", "Enter the date they completed it"]
    tomorrow = today_london() + timedelta(days=1)
    page = parse(
        client.post(
            f"/champions/people/{public_id}/training",
            data={"module": "champion_essentials", **date_fields("completed_on", tomorrow)},
        )
    )
    assert page.field_error("completed_on") == "The date must be today or in the past"
    client.post(
        f"/champions/people/{public_id}/training",
        data={"module": "champion_essentials", **date_fields("completed_on", date(2025, 3, 2))},
    )
    assert count(db, ChampionTraining) == 1

    edit = parse(client.get(f"/champions/people/{public_id}/edit"))
    assert edit.soup.find("input", attrs={"name": "languages"})["value"] == "English, Urdu"
    client.post(
        f"/champions/people/{public_id}/edit",
        data={
            "full_name": "Amir Khan",
            "kind": "staff",
            "languages": "English",
            "home_venue_id": "",
            "user_id": "",
            "ward_code": "",
        },
    )
    with db.factory() as session:
        champion = session.scalars(select(Champion)).one()
        assert (champion.active, champion.languages, champion.home_venue_id) == (
            False,
            ["English"],
            None,
        )


def test_the_list_filters_and_the_attention_list_shows_dbs_and_training_due(
    client: FlaskClient, db: Database
) -> None:
    signed_in(client, db)
    with db.factory() as session:
        make_champion(session, full_name="Dana Due", languages=("English", "Polish"))
        make_champion(
            session,
            full_name="Uma Uptodate",
            dbs_checked_on=today_london() - timedelta(days=30),
        )
        session.commit()
    page = parse(client.get("/champions/people?language=polish"))
    assert "Dana Due" in page.text() and "Uma Uptodate" not in page.text()
    page = parse(client.get("/champions/attention"))
    assert page.h1 == "Champions needing attention"
    rows = [row.get_text(" ", strip=True) for row in page.soup.select("tbody tr")]
    assert any(row.startswith("Dana Due DBS check Missing") for row in rows)
    assert any("Uma Uptodate Safeguarding adults Missing" in row for row in rows)
    assert not any(row.startswith("Uma Uptodate DBS check") for row in rows)


# --- venues -------------------------------------------------------------------------------------


def test_venue_form_errors_are_shown_per_field(client: FlaskClient, db: Database) -> None:
    signed_in(client, db)
    page = parse(
        client.post(
            "/champions/venues/new",
            data={
                "name": "",
                "latitude": "north",
                "hours_0": "all day",
                "devices_available": "six",
            },
        )
    )
    assert page.field_error("name") == "Enter the name of the venue"
    assert page.field_error("latitude") == "Latitude must be a number, like 51.4686"
    assert page.field_error("hours_0") == (
        "Enter opening hours like 9am to 5pm, or leave the day blank if closed"
    )
    assert page.field_error("devices_available") == "Number of devices must be a number, like 6"
    page = parse(
        client.post(
            "/champions/venues/new",
            data={"name": "Hub", "latitude": "10", "longitude": "-0.3", "hours_2": "5pm to 9am"},
        )
    )
    assert page.field_error("latitude") == "Enter a latitude in the UK, between 49 and 61"
    assert page.field_error("hours_2") == "Opening time must be before closing time on Wednesdays"
    assert count(db, Venue) == 0


def test_a_coordinator_adds_a_venue_with_hours_and_a_closure(
    client: FlaskClient, db: Database
) -> None:
    signed_in(client, db)
    response = client.post(
        "/champions/venues/new",
        data={
            "name": "Eastfield Hub",
            "postcode": "tw3 1es",
            "latitude": "51.4686",
            "longitude": "-0.3674",
            "hours_0": "9am to 1pm and 2pm to 5pm",
            "hours_5": "10:00-16:00",
            "accessibility": ["step_free_access", "hearing_loop"],
            "public_wifi": "y",
            "devices_available": "6",
        },
    )
    assert response.status_code in (302, 303)
    with db.factory() as session:
        venue = session.scalars(select(Venue)).one()
        hours = [
            (row.weekday, row.opens_at.hour, row.closes_at.hour) for row in venue.opening_hours
        ]
        assert hours == [(0, 9, 13), (0, 14, 17), (5, 10, 16)]
        assert venue.postcode == "TW3 1ES" and venue.hearing_loop and not venue.accessible_toilet
        # BNG metres worked out from the latitude and longitude (EPSG:4326 -> EPSG:27700).
        assert venue.easting_m is not None and abs(venue.easting_m - 513_495) < 100
        public_id = venue.public_id
    page = parse(client.get(f"/champions/venues/{public_id}/edit"))
    assert (
        page.soup.find("input", attrs={"name": "hours_0"})["value"] == "9am to 1pm and 2pm to 5pm"
    )
    page = parse(client.get(f"/champions/venues/{public_id}"))
    assert "Monday 9am to 1pm and 2pm to 5pm" in page.text()
    assert "Tuesday Closed" in page.text()

    start = today_london() + timedelta(days=10)
    page = parse(
        client.post(
            f"/champions/venues/{public_id}/closures/new",
            data={
                **date_fields("starts_on", start),
                **date_fields("ends_on", start - timedelta(days=1)),
            },
        )
    )
    assert page.field_error("ends_on") == "The last day must be the same as or after the first day"
    assert count(db, VenueClosure) == 0
    client.post(
        f"/champions/venues/{public_id}/closures/new",
        data={
            **date_fields("starts_on", start),
            **date_fields("ends_on", start),
            "reason": "Election",
        },
    )
    assert count(db, VenueClosure) == 1


# --- sessions -----------------------------------------------------------------------------------


def session_form(venue_id: int, **overrides: object) -> dict[str, object]:
    day = future_start(days=8).date()
    data: dict[str, object] = {
        "topic": "scams_and_safety",
        "level": "beginner",
        "language": "English",
        "venue_id": str(venue_id),
        "capacity": "8",
        **date_fields("starts_on", day),
        "starts_at": "10am",
        "ends_at": "midday",
    }
    data.update(overrides)
    return data


def test_session_form_errors_and_a_closed_day(client: FlaskClient, db: Database) -> None:
    signed_in(client, db)
    page = parse(client.post("/champions/sessions/new", data={}))
    assert page.error_summary == [
        "Select a topic",
        "Enter the language the session is taught in",
        "Select a venue",
        "Enter the number of places",
        "Enter the date of the session",
        "Enter the start time",
        "Enter the end time",
    ]
    with db.factory() as session:
        venue = make_venue(session, name="Westbrook Library")
        session.commit()
        venue_id = venue.id
    page = parse(
        client.post(
            "/champions/sessions/new",
            data=session_form(venue_id, starts_at="25 o'clock", capacity="lots"),
        )
    )
    assert page.field_error("starts_at") == (
        "Enter the start time in the correct format, like 10am or 2:30pm"
    )
    assert page.field_error("capacity") == "Number of places must be a number, like 12"
    day = future_start(days=8).date()
    with db.factory() as session:
        session.add(VenueClosure(venue_id=venue_id, starts_on=day, ends_on=day, reason="Election"))
        session.commit()
    page = parse(client.post("/champions/sessions/new", data=session_form(venue_id)))
    assert page.field_error("starts_at").startswith("Westbrook Library is closed on")
    assert count(db, TrainingSession) == 0


def test_a_coordinator_schedules_changes_and_cancels_a_session(
    client: FlaskClient, db: Database
) -> None:
    signed_in(client, db)
    with db.factory() as session:
        venue = make_venue(session)
        champion = make_champion(session, full_name="Chidi Champion")
        session.commit()
        venue_id, champion_id = venue.id, champion.id
    response = client.post(
        "/champions/sessions/new",
        data=session_form(venue_id, champion_ids=[str(champion_id)], title="Spotting scams"),
    )
    assert response.status_code in (302, 303)
    with db.factory() as session:
        created = session.scalars(select(TrainingSession)).one()
        assert created.capacity == 8 and [c.id for c in created.champions] == [champion_id]
        public_id = created.public_id
        book(session, created, who="ada")
        book(session, created, who="bea")
        session.commit()
    page = parse(client.get(f"/champions/sessions/{public_id}"))
    assert "Spotting scams" in page.h1
    assert "8 places, 2 taken, 0 waiting" in page.text()
    assert "Chidi Champion" in page.text() and "ada@example.com" in page.text()

    page = parse(
        client.post(
            f"/champions/sessions/{public_id}/edit", data=session_form(venue_id, capacity="1")
        )
    )
    assert page.field_error("capacity") == (
        "Capacity must be at least 2, the number of places already taken"
    )
    client.post(f"/champions/sessions/{public_id}/edit", data=session_form(venue_id, ends_at="1pm"))
    with db.factory() as session:
        changed = session.scalars(select(TrainingSession)).one()
        assert changed.ends_at - changed.starts_at == timedelta(hours=3)

    page = parse(client.post(f"/champions/sessions/{public_id}/cancel", data={"reason": " "}))
    assert page.error_summary == ["Enter why the session is cancelled"]
    client.post(f"/champions/sessions/{public_id}/cancel", data={"reason": "The hall is flooded"})
    with db.factory() as session:
        assert session.scalars(select(TrainingSession.status)).one() == "cancelled"
        told = session.scalars(
            select(OutboxMessage.recipient).where(OutboxMessage.template == "session_cancelled")
        ).all()
        assert sorted(told) == ["ada@example.com", "bea@example.com"]


def test_a_weekly_series_creates_each_session(client: FlaskClient, db: Database) -> None:
    signed_in(client, db)
    with db.factory() as session:
        venue = make_venue(session)
        session.commit()
        venue_id = venue.id
    day = future_start(days=3).date()
    data = {
        "topic": "health_and_nhs_app",
        "level": "beginner",
        "language": "English",
        "venue_id": str(venue_id),
        "capacity": "10",
        **date_fields("first_starts_on", day),
        "first_starts_at": "2pm",
        "duration_min": "90",
        "frequency": "weekly",
        "occurrences": "4",
    }
    page = parse(client.post("/champions/sessions/new-series", data={**data, "frequency": ""}))
    assert page.error_summary == ["Select how often the session repeats"]
    response = client.post("/champions/sessions/new-series", data=data)
    assert response.status_code in (302, 303)
    with db.factory() as session:
        starts = session.scalars(
            select(TrainingSession.starts_at).order_by(TrainingSession.starts_at)
        ).all()
    local = [to_london(start) for start in starts]
    assert [moment.time() for moment in local] == [time(14, 0)] * 4
    assert [(b.date() - a.date()).days for a, b in pairwise(local)] == [7, 7, 7]


def test_attendance_counts_no_shows(client: FlaskClient, db: Database) -> None:
    signed_in(client, db, role="champion")
    with db.factory() as session:
        training_session = make_session(session)
        came = book(session, training_session, who="came")
        book(session, training_session, who="missed")
        session.execute(
            update(TrainingSession)
            .where(TrainingSession.id == training_session.id)
            .values(
                starts_at=now_utc() - timedelta(hours=3), ends_at=now_utc() - timedelta(hours=1)
            )
        )
        session.commit()
        public_id, came_id = training_session.public_id, came.booking.id
    page = parse(client.get(f"/champions/sessions/{public_id}/attendance"))
    assert page.h1.startswith("Who came to")
    page = parse(
        client.post(f"/champions/sessions/{public_id}/attendance", data={"attended": ["999999"]})
    )
    assert page.error_summary == ["Select people from the list of bookings"]
    client.post(f"/champions/sessions/{public_id}/attendance", data={"attended": [str(came_id)]})
    with db.factory() as session:
        statuses = dict(session.execute(select(Booking.full_name, Booking.status)).all())
    assert statuses == {"Came": "attended", "Missed": "no_show"}
    page = parse(client.get(f"/champions/sessions/{public_id}"))
    assert "1 came, 1 did not come" in page.text()


def test_staff_cancel_a_booking_and_the_waiting_list_moves_up(
    client: FlaskClient, db: Database
) -> None:
    signed_in(client, db)
    with db.factory() as session:
        training_session = make_session(session, capacity=1)
        first = book(session, training_session, who="first")
        book(session, training_session, who="second")
        session.commit()
        public_id = training_session.public_id
    page = parse(client.get(f"/champions/sessions/{public_id}"))
    assert "Waiting list (1)" in page.text()
    client.post(f"/champions/sessions/{public_id}/bookings/{first.reference}/cancel")
    with db.factory() as session:
        statuses = dict(session.execute(select(Booking.full_name, Booking.status)).all())
    assert statuses == {"First": "cancelled", "Second": "offered"}
    page = parse(client.get(f"/champions/sessions/{public_id}"))
    assert "Offered a place until" in page.text()


def test_a_champion_books_for_a_resident_without_contact_details(
    client: FlaskClient, db: Database
) -> None:
    with db.factory() as session:
        user = make_user(session, roles=["champion"])
        champion = make_champion(session, user=user)
        training_session = make_session(session)
        session.commit()
        public_id, champion_id = training_session.public_id, champion.id
    sign_in(client, user)
    base = f"/champions/sessions/{public_id}/book"
    client.get(base)
    page = parse(client.post(f"{base}/name", data={"full_name": ""}))
    assert page.error_summary == ["Enter their full name"]
    client.post(f"{base}/name", data={"full_name": "Rita Resident"})
    page = parse(client.post(f"{base}/contact", data={}))
    assert page.error_summary == ["Select how we should contact them"]
    client.post(f"{base}/contact", data={"contact_method": "none"})
    client.post(f"{base}/access-needs", data={"access_needs": ""})
    check = parse(client.get(f"{base}/check"))
    assert "No messages: the champion will tell them" in check.text()
    key = check.soup.find("input", attrs={"name": "idempotency_key"})["value"]
    client.post(f"{base}/check", data={"idempotency_key": key})
    with db.factory() as session:
        booking = session.scalars(select(Booking)).one()
        messages = session.scalar(select(func.count(OutboxMessage.id)))
    assert (booking.booked_by_champion_id, booking.contact_method, messages) == (
        champion_id,
        None,
        0,
    )
    page = parse(client.get(f"{base}/confirmation"))
    assert "Give them the booking reference" in page.text()
