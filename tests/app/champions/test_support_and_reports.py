"""Champions log support; coordinators and councillors read the report (councillors suppressed);
the retention job and the demo loader."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.auth.models import User
from app.places.models import Area, AreaLayerRecord, Place
from champions.commands import SupportLogDetails
from champions.models import Booking, Champion, SupportLog, TrainingSession, Venue
from champions.services import log_support
from core.clock import now_utc, today_london
from tests.app.champions.support import book, make_champion, make_session, make_venue
from tests.databases import Database
from tests.factories import make_user, sign_in
from tests.pages import parse


def champion_user(db: Database, client: FlaskClient) -> tuple[User, int]:
    with db.factory() as session:
        user = make_user(session, roles=["champion"])
        champion = make_champion(session, user=user)
        session.commit()
        champion_id = champion.id
    sign_in(client, user)
    return user, champion_id


def day_fields(name: str, day: date) -> dict[str, list[str]]:
    return {name: [str(day.day), str(day.month), str(day.year)]}


def logs(db: Database) -> list[SupportLog]:
    with db.factory() as session:
        return list(session.scalars(select(SupportLog)))


# --- support logs ---------------------------------------------------------------------------------


def test_a_champion_without_a_record_is_told_to_ask_for_one(
    client: FlaskClient, db: Database
) -> None:
    with db.factory() as session:
        sign_in(client, make_user(session, roles=["champion"]))
    page = parse(client.get("/champions/support/new"))
    assert page.h1 == "Your account is not linked to a champion record"


def test_the_support_log_checks_every_field_and_saves_nothing(
    client: FlaskClient, db: Database
) -> None:
    champion_user(db, client)
    page = parse(client.post("/champions/support/new", data={"kind": "individual"}))
    assert page.title.startswith("Error: Log help you gave")
    assert page.error_summary == [
        "Enter the date you gave the help",
        "Select where the help was given",
        "Enter how long you helped, in minutes",
        "Select at least one topic",
        "Select what happens next for the resident",
    ]
    base = {
        **day_fields("occurred_on", today_london()),
        "place": "phone",
        "kind": "group",
        "headcount": "",
        "duration_min": "45",
        "topics": ["scams_and_safety"],
        "outcome": "no_further_help",
        "resident_name": "Rita Resident",
    }
    page = parse(client.post("/champions/support/new", data=base))
    assert page.field_error("headcount") == "Enter a number of people between 2 and 100"
    assert page.field_error("resident_name").startswith(
        "Only record the resident’s name or contact details if they agree"
    )
    page = parse(client.post("/champions/support/new", data={**base, "place": "venue"}))
    assert page.field_error("venue_id") == "Select the venue"
    tomorrow = today_london() + timedelta(days=1)
    page = parse(
        client.post("/champions/support/new", data={**base, **day_fields("occurred_on", tomorrow)})
    )
    assert page.field_error("occurred_on") == "The date must be today or in the past"
    assert logs(db) == []


def test_a_champion_logs_help_on_their_own_record_and_sees_only_their_logs(
    client: FlaskClient, db: Database
) -> None:
    _user, champion_id = champion_user(db, client)
    with db.factory() as session:
        venue = make_venue(session, ward_code="E05013606")
        other = make_champion(session)
        theirs = log_support(
            session,
            SupportLogDetails(
                occurred_on=today_london(),
                place="phone",
                duration_min=20,
                topics=("foundation",),
                outcome="no_further_help",
            ),
            champion_id=other.id,
            now=now_utc(),
        )
        session.commit()
        venue_id, their_log = venue.id, theirs.public_id
    page = parse(client.get("/champions/support/new"))
    assert page.soup.find(attrs={"name": "champion_id"}) is None, "a champion logs their own help"
    response = client.post(
        "/champions/support/new",
        data={
            **day_fields("occurred_on", today_london()),
            "champion_id": str(champion_id + 1000),
            "place": "venue",
            "venue_id": str(venue_id),
            "kind": "group",
            "headcount": "6",
            "duration_min": "90",
            "topics": ["health_and_nhs_app", "scams_and_safety"],
            "outcome": "joins_session",
            "age_band": "mixed",
            "persona_code": "learning_lin",
            "consent_given": "y",
            "resident_name": "",
        },
    )
    assert response.status_code in (302, 303)
    mine = [log for log in logs(db) if log.champion_id == champion_id]
    assert len(mine) == 1
    log = mine[0]
    assert (log.headcount, log.duration_min, log.ward_code, log.persona_code) == (
        6,
        90,
        "E05013606",
        "learning_lin",
    )
    page = parse(client.get("/champions/support"))
    assert page.h1 == "Your support logs"
    assert "Health and the NHS App" in page.text()
    assert client.get(f"/champions/support/{their_log}").status_code == 404


def test_consent_keeps_a_name_until_it_is_removed(client: FlaskClient, db: Database) -> None:
    champion_user(db, client)
    client.post(
        "/champions/support/new",
        data={
            **day_fields("occurred_on", today_london()),
            "place": "home_visit",
            "kind": "individual",
            "duration_min": "30",
            "topics": ["using_a_device"],
            "outcome": "continues_with_champion",
            "consent_given": "y",
            "resident_name": "Rita Resident",
            "resident_contact": "07700 900123",
        },
    )
    [log] = logs(db)
    assert log.resident_name == "Rita Resident" and log.consent_recorded_at is not None
    page = parse(client.get(f"/champions/support/{log.public_id}"))
    assert "Rita Resident" in page.text()
    client.post(f"/champions/support/{log.public_id}/remove-name")
    [log] = logs(db)
    assert (log.resident_name, log.resident_contact, log.consent_recorded_at) == (None, None, None)


# --- reports ------------------------------------------------------------------------------------


def add_logs(db: Database, *, venue_name: str, people: list[int]) -> None:
    with db.factory() as session:
        venue = make_venue(session, name=venue_name, ward_code="E05013606")
        champion = make_champion(session, full_name="=HYPERLINK(1)")
        for headcount in people:
            log_support(
                session,
                SupportLogDetails(
                    occurred_on=today_london() - timedelta(days=3),
                    place="venue",
                    venue_id=venue.id,
                    duration_min=60,
                    topics=("foundation",),
                    outcome="no_further_help",
                    kind="group" if headcount > 1 else "individual",
                    headcount=headcount,
                ),
                champion_id=champion.id,
                now=now_utc(),
            )
        session.commit()


def test_coordinators_see_full_figures_and_councillors_suppressed(app: Flask, db: Database) -> None:
    add_logs(db, venue_name="Big Library", people=[12, 10, 8])
    add_logs(db, venue_name="Small Hall", people=[1, 2])
    coordinator = app.test_client()
    councillor = app.test_client()
    with db.factory() as session:
        sign_in(coordinator, make_user(session, roles=["coordinator"]))
        sign_in(councillor, make_user(session, roles=["councillor"]))
    page = parse(coordinator.get("/champions/report?by=venue"))
    assert page.h1 == "Help given by Digital Champions"
    rows = {
        row.find("th").get_text(strip=True): [td.get_text(strip=True) for td in row.find_all("td")]
        for row in page.soup.select("table")[0].select("tbody tr")
    }
    assert rows["Big Library"] == ["3", "30", "3.0"]
    assert rows["Small Hall"] == ["2", "3", "2.0"]
    assert rows["All"] == ["5", "33", "5.0"]

    page = parse(councillor.get("/champions/report?by=venue"))
    rows = {
        row.find("th").get_text(strip=True): [td.get_text(strip=True) for td in row.find_all("td")]
        for row in page.soup.select("table")[0].select("tbody tr")
    }
    assert rows["Small Hall"] == ["fewer than 10", "fewer than 10"]
    assert rows["Big Library"] == ["fewer than 10", "not shown"]
    # The total would give Small Hall away by subtraction, so more is hidden.
    assert "3" not in [value for values in rows.values() for value in values]
    assert "counts below 10 are not shown" in page.text()
    page = parse(councillor.get("/champions/report?by=champion"))
    assert page.error_summary == ["Select how to group the figures"]

    download = coordinator.get("/champions/report.csv?by=champion")
    assert download.headers["Content-Disposition"].startswith("attachment")
    table = list(csv.reader(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff"))))
    assert [row[0] for row in table if row and "HYPERLINK" in row[0]][:1] == ["'=HYPERLINK(1)"]
    councillor_csv = councillor.get("/champions/report.csv?by=venue").get_data(as_text=True)
    small = next(row for row in csv.reader(io.StringIO(councillor_csv)) if row[0] == "Small Hall")
    assert small[2:] == ["[c]", "[c]"]


def test_report_dates_are_checked(client: FlaskClient, db: Database) -> None:
    with db.factory() as session:
        sign_in(client, make_user(session, roles=["planner"]))
    page = parse(
        client.get(
            "/champions/report?date_from=1&date_from=13&date_from=2026"
            "&date_to=1&date_to=1&date_to=2026"
        )
    )
    assert page.field_error("date_from") == "The start date must be a real date"
    page = parse(
        client.get(
            "/champions/report?date_from=2&date_from=1&date_from=2026"
            "&date_to=1&date_to=1&date_to=2026"
        )
    )
    assert page.field_error("date_to") == "The end date must be the same as or after the start date"


# --- the retention job ------------------------------------------------------------------------------


def test_purge_dry_run_changes_nothing_and_purge_erases_old_details(
    app: Flask, db: Database
) -> None:
    from sqlalchemy import update

    with db.factory() as session:
        training_session = make_session(session)
        book(session, training_session, who="old")
        session.execute(
            update(TrainingSession).values(
                starts_at=now_utc() - timedelta(days=800), ends_at=now_utc() - timedelta(days=799)
            )
        )
        session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["champions", "purge", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Dry run: would erase names and contact details from 1 bookings" in result.output
    with db.factory() as session:
        assert session.scalars(select(Booking.full_name)).one() == "Old"
    result = runner.invoke(args=["champions", "purge"])
    assert "Erased names and contact details from 1 bookings" in result.output
    with db.factory() as session:
        assert session.scalars(select(Booking.full_name)).one() is None
    result = runner.invoke(args=["champions", "purge", "--retention-days", "-1"])
    assert result.exit_code != 0


# --- the demo ---------------------------------------------------------------------------------------


def test_the_demo_adds_a_network_on_the_stored_places_once(app: Flask, db: Database) -> None:
    from app.champions import load_demo

    with db.factory() as session:
        layer = AreaLayerRecord(
            kind="ward",
            vintage="WD23",
            code_column="WD23CD",
            source="test",
            loaded_at=now_utc(),
            feature_count=2,
            total_area_km2=2.0,
        )
        session.add(layer)
        session.flush()
        for code, name in (("E05013606", "Bedfont"), ("E05013607", "Brentford East")):
            session.add(
                Area(
                    layer_id=layer.id,
                    kind="ward",
                    vintage="WD23",
                    code=code,
                    name=name,
                    area_km2=1.0,
                    centroid_lon=-0.4,
                    centroid_lat=51.45,
                    geometry="{}",
                )
            )
        for name, kind in (("Bedfont Library", "library"), ("Brentford Hub", "community_centre")):
            session.add(
                Place(
                    name=name,
                    kind=kind,
                    x_m=510_000.0,
                    y_m=173_000.0,
                    lon=-0.44,
                    lat=51.45,
                    ward_code="E05013606",
                    address="1 High Street",
                    source="test",
                    details={"postcode": "tw14 8nw"},
                )
            )
        make_user(session, roles=["champion"], email="chidi@example.org", full_name="Chidi")
    lines: list[str] = []
    with app.app_context():
        load_demo(seed=7, echo=lines.append)
        load_demo(seed=7, echo=lines.append)
    assert lines[0].startswith("Champions network: 2 venues, 25 champions")
    assert "2,000 support logs over the last year" in lines[0]
    assert "linked 1 champion sign-in" in lines[1]
    assert lines[2].startswith("Champions are already loaded")
    with db.factory() as session:
        assert session.scalar(select(func.count(Champion.id))) == 26
        venue = session.scalars(select(Venue).where(Venue.name == "Bedfont Library")).one()
        assert (venue.address, venue.postcode) == ("1 High Street", "TW14 8NW")
        linked = session.scalars(select(Champion).where(Champion.user_id.is_not(None))).one()
        assert linked.full_name == "Chidi"
        assert (
            session.scalar(
                select(func.count(SupportLog.id)).where(SupportLog.champion_id == linked.id)
            )
            == 12
        )
