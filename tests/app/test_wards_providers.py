"""Providers of the optional features, on a few hand-made records with obvious answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import update

from app.wards import providers_champions, providers_loans
from app.wards.presenters import shown_figure
from champions.models import Booking, TrainingSession
from tests.champions.factories import SESSION_START, book, make_session, make_venue
from tests.databases import Database
from tests.shared_data import SHARED_DATA

BATH_ROAD = "E05013624"  # the champions factories' default venue ward (Hounslow Central)
LATER = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _import_hounslow(app: Flask) -> None:
    path: Path = SHARED_DATA / "hounslow_wards_2023.geojson"
    result = app.test_cli_runner().invoke(args=["geo", "import-areas", str(path)])
    assert result.exit_code == 0, result.output


def test_champions_count_sessions_held_and_attendance_in_the_last_year(
    app: Flask, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    _import_hounslow(app)
    monkeypatch.setattr(providers_champions, "now_utc", lambda: LATER)
    monkeypatch.setattr(providers_champions, "today_london", lambda: LATER.date())
    with db.factory() as session:
        venue = make_venue(session)
        held = make_session(session, venue)
        for _ in range(3):
            assert book(session, held).booking is not None
        make_session(session, venue, starts_at=SESSION_START + timedelta(days=1))
        old = make_session(session, venue, starts_at=SESSION_START + timedelta(days=2))
        long_ago = SESSION_START - timedelta(days=400)
        session.execute(
            update(TrainingSession)
            .where(TrainingSession.id == old.id)
            .values(starts_at=long_ago, ends_at=long_ago + timedelta(hours=2))
        )
        session.execute(
            update(Booking).where(Booking.training_session_id == held.id).values(status="attended")
        )
        session.execute(
            update(TrainingSession)
            .where(TrainingSession.starts_at == SESSION_START + timedelta(days=1))
            .values(status="cancelled")
        )
        session.flush()
        figures = {f.key: f for f in providers_champions.champion_figures(session)}
        session.rollback()
    held_figure = figures["sessions_held"]
    assert held_figure.value(BATH_ROAD) == 1.0
    assert held_figure.borough == 1.0
    assert sum(v or 0 for v in held_figure.values.values()) == 1.0
    attended = figures["session_attendances"]
    assert attended.value(BATH_ROAD) == 3.0 and attended.is_count
    codes = list(attended.values)
    shown, _ = shown_figure(attended, detail="suppressed", threshold=10, codes=codes)
    assert shown[BATH_ROAD].text == "fewer than 10"
    assert figures["residents_helped"].borough == 0.0


def test_champions_and_loans_give_nothing_before_anything_is_recorded(
    app: Flask, db: Database
) -> None:
    _import_hounslow(app)
    with db.factory() as session:
        assert providers_champions.champion_figures(session) == []
        assert providers_loans.loan_figures(session) == []
        assert providers_loans.loan_layers(session) == []


def test_the_loans_provider_counts_devices_out_today(
    app: Flask, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.device_loans.factories import TODAY, add_device, add_request, lend

    _import_hounslow(app)
    monkeypatch.setattr(providers_loans, "today_london", lambda: TODAY)
    with db.factory() as session:
        request = add_request(session, ward_code=BATH_ROAD)
        lend(session, request, device=add_device(session))
        session.flush()
        figures = providers_loans.loan_figures(session)
        layers = providers_loans.loan_layers(session)
        session.rollback()
    assert [figure.key for figure in figures] == ["devices_on_loan"]
    assert figures[0].value(BATH_ROAD) == 1.0 and figures[0].borough == 1.0
    assert figures[0].date == TODAY
    assert layers[0].style == "circles" and layers[0].values[BATH_ROAD] == 1.0
