"""The demo network, built on Hounslow's real library buildings and 2023 wards."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from pyproj import Transformer
from shapely.geometry import Point, shape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from champions.demo import VenueSeed, load_demo_champions
from champions.errors import InvalidInput
from champions.models import Booking, Champion, SupportLog, TrainingSession
from champions.reports import support_totals
from champions.rules import validate_email, validate_uk_phone
from champions.services import GridPoint, find_sessions, list_champions_due
from champions.vocabulary import TOPICS
from core.clock import to_london
from core.errors import Conflict
from tests.shared_data import SHARED_DATA

NOW = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


def hounslow_inputs() -> tuple[list[VenueSeed], list[str]]:
    """Hounslow's named library buildings (largest footprint of each) and its 22 wards."""
    wards = json.loads((SHARED_DATA / "hounslow_wards_2023.geojson").read_text())["features"]
    buildings = json.loads(
        (SHARED_DATA / "community_assets" / "os_library_buildings_target_lads.geojson").read_text()
    )["features"]
    to_bng = Transformer.from_crs(4326, 27700, always_xy=True)
    largest: dict[str, dict[str, float]] = {}
    for feature in buildings:
        props = feature["properties"]
        name = props["distinctive_name"]
        if props["lad_name"] != "Hounslow" or not name:
            continue
        if name not in largest or props["area_m2"] > largest[name]["area_m2"]:
            largest[name] = props
    venues: list[VenueSeed] = []
    for name, props in sorted(largest.items()):
        point = Point(props["lon"], props["lat"])
        (ward,) = [w["properties"]["WD23CD"] for w in wards if shape(w["geometry"]).contains(point)]
        x_m, y_m = to_bng.transform(props["lon"], props["lat"])
        venues.append((name, x_m, y_m, props["lat"], props["lon"], ward))
    return venues, sorted(w["properties"]["WD23CD"] for w in wards)


def fingerprint(session: Session) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    rows += session.execute(
        select(Champion.public_id, Champion.full_name, Champion.email).order_by(Champion.public_id)
    ).all()
    rows += session.execute(
        select(
            TrainingSession.public_id, TrainingSession.starts_at, TrainingSession.booked_count
        ).order_by(TrainingSession.public_id)
    ).all()
    rows += session.execute(
        select(Booking.reference, Booking.status, Booking.full_name).order_by(Booking.reference)
    ).all()
    rows += session.execute(
        select(SupportLog.public_id, SupportLog.occurred_on, SupportLog.headcount).order_by(
            SupportLog.public_id
        )
    ).all()
    return rows


@pytest.mark.realdata
def test_hounslow_demo_is_realistic_and_consistent(session: Session) -> None:
    venues, wards = hounslow_inputs()
    assert len(venues) == 10  # the 10 named Hounslow library buildings
    assert ("Hounslow Library", "E05013624") in {(v[0], v[5]) for v in venues}

    summary = load_demo_champions(
        session,
        venues_xy=venues,
        ward_codes=wards,
        now=NOW,
        seed=7,
        persona_codes=("techy_terry", "offline_olive"),
    )
    assert (summary.venues, summary.champions, summary.support_logs) == (10, 25, 2000)
    assert summary.sessions > 150 and summary.bookings > 800

    # booked_count is exactly the places held, for every session.
    held = dict(
        session.execute(
            select(Booking.training_session_id, func.count(Booking.id))
            .where(Booking.status.in_(("confirmed", "offered", "attended", "no_show")))
            .group_by(Booking.training_session_id)
        ).all()
    )
    sessions = session.scalars(select(TrainingSession)).all()
    assert all(s.booked_count == held.get(s.id, 0) <= s.capacity for s in sessions)

    past = [s for s in sessions if s.ends_at <= NOW]
    future = [s for s in sessions if s.starts_at > NOW]
    assert min(s.starts_at for s in past) < NOW - timedelta(days=80)
    assert max(s.starts_at for s in future) > NOW + timedelta(days=50)
    statuses = {
        when: set(
            session.scalars(
                select(Booking.status).where(Booking.training_session_id.in_([s.id for s in group]))
            )
        )
        for when, group in (("past", past), ("future", future))
    }
    assert statuses == {"past": {"attended", "no_show"}, "future": {"confirmed", "waiting"}}
    full_with_queue = [
        s
        for s in future
        if s.booked_count == s.capacity and any(b.status == "waiting" for b in s.bookings)
    ]
    assert len(full_with_queue) >= 5
    assert all(to_london(s.starts_at).hour in (10, 14) for s in sessions if s.series_id is not None)

    logs = session.scalars(select(SupportLog)).all()
    today = to_london(NOW).date()
    assert all(today - timedelta(days=364) <= log.occurred_on <= today for log in logs)
    assert {log.ward_code for log in logs} - {None} <= set(wards)
    assert all(log.consent_recorded_at is not None for log in logs if log.resident_name)
    assert 150 < sum(1 for log in logs if log.resident_name) < 450
    totals = support_totals(session, date_from=today - timedelta(days=364), date_to=today)
    assert totals.residents_helped > totals.logs  # groups count every person
    assert len(totals.topics) == len(TOPICS)  # every topic turns up in a year

    # Made-up contact details are well formed and can never reach anyone.
    for email in session.scalars(select(Booking.email).where(Booking.email.is_not(None))):
        assert validate_email(email).endswith("@example.com")
    for phone in session.scalars(select(Booking.phone).where(Booking.phone.is_not(None))):
        assert validate_uk_phone(phone).startswith("+447700900")

    # The services work on the demo: the nearest session to Hounslow Library is there.
    library = next(v for v in venues if v[0] == "Hounslow Library")
    nearest = find_sessions(session, now=NOW, near=GridPoint(library[1], library[2]))
    assert nearest[0].venue.name == "Hounslow Library"
    assert nearest[0].distance_m == pytest.approx(0, abs=1)
    assert list_champions_due(session, today=today)  # some renewals are always due

    with pytest.raises(Conflict, match="already loaded"):
        load_demo_champions(session, venues_xy=venues, ward_codes=wards, now=NOW, seed=7)


def test_the_same_seed_gives_the_same_demo(session: Session) -> None:
    venues, wards = hounslow_inputs()
    small = {"champion_count": 6, "support_log_count": 60}

    def load(seed: int) -> list[tuple[object, ...]]:
        load_demo_champions(
            session, venues_xy=venues[:3], ward_codes=wards, now=NOW, seed=seed, **small
        )
        rows = fingerprint(session)
        session.rollback()
        return rows

    first = load(7)
    assert len(first) > 100
    assert load(7) == first
    assert load(8) != first


def test_unusable_demo_inputs_are_refused_by_row(session: Session) -> None:
    with pytest.raises(InvalidInput) as caught:
        load_demo_champions(
            session,
            venues_xy=[("Hub", 51.47, -0.36, 513_000.0, 175_000.0, "E05013624")],
            ward_codes=["E05013624"],
            now=NOW,
            seed=1,
        )
    assert [error.message for error in caught.value.errors] == [
        "Venue 1 (Hub): x/y are not BNG metres",
        "Venue 1 (Hub): lat/lon are not in the UK",
    ]
