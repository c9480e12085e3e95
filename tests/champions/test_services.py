"""Champions, venues, sessions, series, finding sessions and support logs."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from champions.commands import ChampionDetails, OpeningInterval, SeriesDetails, SupportLogDetails
from champions.errors import InvalidInput
from champions.models import SupportLog, TrainingSession
from champions.services import (
    GridPoint,
    LatLon,
    add_venue_closure,
    create_series,
    create_session,
    find_sessions,
    list_champions_due,
    log_support,
    record_training,
    update_champion,
    update_venue,
)
from core.audit import AuditEvent
from core.clock import LONDON, to_london
from tests.champions.factories import (
    NOW,
    SESSION_START,
    book,
    make_champion,
    make_session,
    make_venue,
    session_details,
    venue_details,
)

# Champions -----------------------------------------------------------------------------------


def test_new_champion_gets_a_dbs_renewal_date_and_an_audit_row(session: Session) -> None:
    champion = make_champion(
        session,
        email="Priya.Shah@Example.com",
        phone="020 7946 0000",
        dbs_checked_on=date(2024, 5, 1),
        languages=("English", " Punjabi ", "English"),
    )
    assert champion.email == "priya.shah@example.com"
    assert champion.phone == "+442079460000"
    assert champion.dbs_expires_on == date(2027, 5, 1)
    assert champion.languages == ["English", "Punjabi"]
    assert len(champion.public_id) == 32
    audit = session.scalars(select(AuditEvent).where(AuditEvent.action == "champion.created")).one()
    assert audit.object_id == champion.public_id


def test_two_champions_cannot_share_an_email_address(session: Session) -> None:
    make_champion(session, email="sam@example.com")
    with pytest.raises(InvalidInput) as caught:
        make_champion(session, email="SAM@example.com")
    assert caught.value.field == "email"
    assert caught.value.message == "Another champion already uses this email address"


def test_champion_form_errors_are_all_reported(session: Session) -> None:
    with pytest.raises(InvalidInput) as caught:
        make_champion(
            session,
            full_name="",
            kind="contractor",
            languages=(),
            email="x@",
            dbs_checked_on=date(2027, 1, 1),
        )
    assert [error.field for error in caught.value.errors] == [
        "full_name",
        "kind",
        "email",
        "languages",
        "dbs_checked_on",
    ]


def test_updating_a_champion_can_deactivate_them(session: Session) -> None:
    champion = make_champion(session)
    details = ChampionDetails(
        full_name="Sam Green", kind="staff", email=champion.email, active=False
    )
    update_champion(session, champion.id, details, now=NOW)
    assert (champion.full_name, champion.kind, champion.active) == ("Sam Green", "staff", False)


def test_renewals_due_list_dbs_and_training(session: Session) -> None:
    due_soon = make_champion(
        session,
        full_name="Amir Khan",
        dbs_checked_on=date(2023, 11, 1),
        dbs_expires_on=date(2026, 11, 1),
    )
    up_to_date = make_champion(session, full_name="Beth Jones", dbs_checked_on=date(2025, 1, 1))
    for module in ("champion_essentials", "safeguarding_adults", "data_protection"):
        record_training(
            session, up_to_date.id, module=module, completed_on=date(2026, 6, 1), now=NOW
        )
        record_training(
            session, due_soon.id, module=module, completed_on=date(2025, 10, 15), now=NOW
        )
    due = list_champions_due(session, today=date(2026, 10, 1))
    assert [entry.champion.full_name for entry in due] == ["Amir Khan"]
    assert [(item.item, item.status) for item in due[0].items] == [
        ("dbs", "due_soon"),
        ("data_protection", "due_soon"),
    ]


def test_training_in_the_future_is_refused(session: Session) -> None:
    champion = make_champion(session)
    with pytest.raises(InvalidInput, match="today or in the past"):
        record_training(
            session, champion.id, module="data_protection", completed_on=date(2026, 10, 2), now=NOW
        )


# Venues --------------------------------------------------------------------------------------


def test_venue_is_stored_with_normalised_postcode_and_hours(session: Session) -> None:
    venue = make_venue(session, postcode="tw33eb")
    assert venue.postcode == "TW3 3EB"
    assert [(row.weekday, row.opens_at, row.closes_at) for row in venue.opening_hours][:2] == [
        (0, time(9, 0), time(17, 0)),
        (1, time(9, 0), time(17, 0)),
    ]
    update_venue(
        session,
        venue.id,
        venue_details(opening_hours=(OpeningInterval(2, time(10, 0), time(12, 0)),)),
        now=NOW,
    )
    session.flush()
    session.refresh(venue)
    assert [(row.weekday, row.opens_at) for row in venue.opening_hours] == [(2, time(10, 0))]


def test_swapped_coordinates_are_caught(session: Session) -> None:
    with pytest.raises(InvalidInput) as caught:
        make_venue(session, latitude=-0.367434, longitude=51.468661)
    assert [error.field for error in caught.value.errors] == ["latitude", "longitude"]


def test_closure_reports_the_sessions_it_hits(session: Session) -> None:
    training_session = make_session(session)
    other_day = make_session(
        session, training_session.venue, starts_at=SESSION_START + timedelta(days=1)
    )
    result = add_venue_closure(
        session,
        training_session.venue_id,
        starts_on=date(2026, 10, 6),
        ends_on=date(2026, 10, 6),
        reason="Polling station",
        now=NOW,
    )
    assert result.affected_sessions == (training_session,)
    assert other_day not in result.affected_sessions
    with pytest.raises(InvalidInput) as caught:
        make_session(session, training_session.venue, starts_at=SESSION_START + timedelta(hours=3))
    assert caught.value.message == (
        "Hounslow Library is closed on 6 October 2026 (Polling station). "
        "Choose another date or venue"
    )


# Sessions ------------------------------------------------------------------------------------


def test_session_in_the_past_is_refused(session: Session) -> None:
    with pytest.raises(InvalidInput) as caught:
        make_session(session, starts_at=NOW - timedelta(days=1))
    assert (caught.value.field, caught.value.message) == (
        "starts_at",
        "The start time must be in the future",
    )


def test_session_at_a_closed_venue_is_refused(session: Session) -> None:
    venue = make_venue(session, name="Old Library", closed=True)
    with pytest.raises(InvalidInput) as caught:
        make_session(session, venue)
    assert (caught.value.field, caught.value.message) == (
        "venue_id",
        "Old Library is closed. Choose another venue",
    )


def test_session_outside_opening_hours_is_refused(session: Session) -> None:
    venue = make_venue(session)
    evening = SESSION_START.replace(hour=18)
    with pytest.raises(InvalidInput, match="open 9am to 5pm on Tuesdays"):
        make_session(session, venue, starts_at=evening)


def test_the_database_refuses_more_bookings_than_places(session: Session) -> None:
    training_session = make_session(session, capacity=2)
    training_session.booked_count = 3
    with pytest.raises(IntegrityError, match="booked_count_in_range"):
        session.flush()


def test_session_champions_must_be_active(session: Session) -> None:
    champion = make_champion(session)
    inactive = make_champion(session, active=False)
    venue = make_venue(session)
    created = create_session(session, session_details(venue, champion_ids=(champion.id,)), now=NOW)
    assert created.champions == [champion]
    with pytest.raises(InvalidInput, match="active champions"):
        create_session(session, session_details(venue, champion_ids=(inactive.id,)), now=NOW)


# Series --------------------------------------------------------------------------------------


def series_details(venue_id: int, **overrides: object) -> SeriesDetails:
    values: dict[str, object] = {
        "topic": "health_and_nhs_app",
        "venue_id": venue_id,
        "first_starts_at": SESSION_START.replace(day=13),  # Tuesday 13 October, 10am
        "duration_min": 90,
        "capacity": 8,
        "frequency": "weekly",
        "occurrences": 4,
    }
    values.update(overrides)
    return SeriesDetails(**values)  # type: ignore[arg-type]


def test_series_over_the_clock_change_keeps_10am_and_skips_closures(session: Session) -> None:
    venue = make_venue(session)
    add_venue_closure(
        session,
        venue.id,
        starts_on=date(2026, 10, 20),
        ends_on=date(2026, 10, 20),
        reason="Staff training",
        now=NOW,
    )
    result = create_series(session, series_details(venue.id), now=NOW)
    local_starts = [to_london(item.starts_at) for item in result.sessions]
    assert [start.date() for start in local_starts] == [
        date(2026, 10, 13),
        date(2026, 10, 27),
        date(2026, 11, 3),
    ]
    assert {(start.hour, start.minute) for start in local_starts} == {(10, 0)}
    assert [item.ends_at - item.starts_at for item in result.sessions] == [
        timedelta(minutes=90)
    ] * 3
    assert [(skip.day, skip.reason) for skip in result.skipped] == [
        (date(2026, 10, 20), "Staff training")
    ]
    stored = session.scalars(
        select(TrainingSession).where(TrainingSession.series_id == result.series.id)
    ).all()
    assert len(stored) == 3


def test_series_outside_opening_hours_is_refused_with_the_first_field(session: Session) -> None:
    venue = make_venue(session)
    with pytest.raises(InvalidInput) as caught:
        create_series(
            session,
            series_details(venue.id, first_starts_at=SESSION_START.replace(day=13, hour=16)),
            now=NOW,
        )
    assert caught.value.field == "first_starts_at"
    assert "open 9am to 5pm on Tuesdays" in caught.value.message


# Finding sessions ----------------------------------------------------------------------------


def test_find_sessions_nearest_first_with_filters(session: Session) -> None:
    near_venue = make_venue(session)  # Hounslow Library
    far_venue = make_venue(
        session,
        name="Chiswick Library",
        latitude=51.49167,
        longitude=-0.261109,
        easting_m=520_768.0,
        northing_m=178_317.0,
    )
    unplaced = make_venue(
        session,
        name="Mobile hub",
        latitude=None,
        longitude=None,
        easting_m=None,
        northing_m=None,
    )
    far_early = make_session(session, far_venue)
    near_late = make_session(session, near_venue, starts_at=SESSION_START + timedelta(days=2))
    make_session(session, unplaced)
    make_session(session, near_venue, topic="transacting")
    resident = LatLon(51.4700, -0.3700)  # near Hounslow Library

    found = find_sessions(session, now=NOW, topic="foundation", near=resident)
    assert [match.venue.name for match in found] == [
        "Hounslow Library",
        "Chiswick Library",
        "Mobile hub",
    ]
    assert found[0].training_session is near_late
    assert found[0].distance_m == pytest.approx(231, abs=15)
    assert found[2].distance_m is None

    within = find_sessions(session, now=NOW, topic="foundation", near=resident, within_m=2_000)
    assert [match.training_session for match in within] == [near_late]

    by_grid = find_sessions(
        session, now=NOW, topic="foundation", near=GridPoint(520_768.0, 178_317.0), within_m=10
    )
    assert [match.training_session for match in by_grid] == [far_early]

    soonest = find_sessions(session, now=NOW, topic="foundation")
    assert soonest[0].training_session.starts_at <= soonest[-1].training_session.starts_at


def test_find_sessions_by_london_date_range_and_fullness(session: Session) -> None:
    venue = make_venue(session)
    tuesday = make_session(session, venue, capacity=1)
    wednesday = make_session(session, venue, starts_at=SESSION_START + timedelta(days=1))
    book(session, tuesday)
    only_tuesday = find_sessions(
        session, now=NOW, date_from=date(2026, 10, 6), date_to=date(2026, 10, 6)
    )
    assert [match.training_session for match in only_tuesday] == [tuesday]
    assert only_tuesday[0].places_left == 0
    with_places = find_sessions(session, now=NOW, include_full=False)
    assert [match.training_session for match in with_places] == [wednesday]
    custom = find_sessions(session, now=NOW, distance_m=lambda venue: 42.0)
    assert {match.distance_m for match in custom} == {42.0}


# Support logs --------------------------------------------------------------------------------


def support(**overrides: object) -> SupportLogDetails:
    values: dict[str, object] = {
        "occurred_on": date(2026, 9, 30),
        "place": "phone",
        "duration_min": 45,
        "topics": ("scams_and_safety", "health_and_nhs_app"),
        "outcome": "joins_session",
        "age_band": "65_74",
    }
    values.update(overrides)
    return SupportLogDetails(**values)  # type: ignore[arg-type]


def test_support_log_keeps_counts_and_codes_but_no_identity(session: Session) -> None:
    champion = make_champion(session)
    log = log_support(session, support(ward_code="e05013624"), champion_id=champion.id, now=NOW)
    assert log.topics == ["health_and_nhs_app", "scams_and_safety"]
    assert log.ward_code == "E05013624"
    assert (log.resident_name, log.resident_contact, log.consent_recorded_at) == (None, None, None)


def test_support_at_a_venue_takes_the_venue_ward(session: Session) -> None:
    champion = make_champion(session)
    venue = make_venue(session)
    log = log_support(
        session,
        support(place="venue", venue_id=venue.id, kind="group", headcount=6, age_band="mixed"),
        champion_id=champion.id,
        now=NOW,
    )
    assert log.ward_code == "E05013624"
    assert log.headcount == 6


def test_identity_is_kept_only_with_consent_and_its_time(session: Session) -> None:
    champion = make_champion(session)
    with pytest.raises(InvalidInput) as caught:
        log_support(session, support(resident_name="Mary Jones"), champion_id=champion.id, now=NOW)
    assert caught.value.field == "resident_name"
    log = log_support(
        session,
        support(resident_name=" Mary Jones ", resident_contact="07911 123456", consent_given=True),
        champion_id=champion.id,
        now=NOW,
    )
    assert (log.resident_name, log.consent_recorded_at) == ("Mary Jones", NOW)


def test_the_database_refuses_a_name_without_consent(session: Session) -> None:
    champion = make_champion(session)
    log = log_support(session, support(), champion_id=champion.id, now=NOW)
    log.resident_name = "Mary Jones"
    with pytest.raises(IntegrityError, match="identity_needs_consent"):
        session.flush()


def test_inactive_champions_cannot_log_help(session: Session) -> None:
    champion = make_champion(session, active=False)
    with pytest.raises(InvalidInput) as caught:
        log_support(session, support(), champion_id=champion.id, now=NOW)
    assert caught.value.field == "champion_id"


def test_old_or_future_dates_are_refused(session: Session) -> None:
    champion = make_champion(session)
    today = NOW.astimezone(LONDON).date()
    for day in (today + timedelta(days=1), today - timedelta(days=366)):
        with pytest.raises(InvalidInput) as caught:
            log_support(
                session, replace(support(), occurred_on=day), champion_id=champion.id, now=NOW
            )
        assert caught.value.field == "occurred_on"
    assert session.scalars(select(SupportLog)).all() == []
