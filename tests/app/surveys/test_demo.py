"""The demo survey: synthetic responses imported through the real import path, once."""

from __future__ import annotations

import pandas as pd
import pytest
from flask import Flask
from sqlalchemy import func, select

import app.surveys as survey_package
from surveys.models import IndexInputRecord, SurveyImport, SurveyResponse
from tests.app.surveys.helpers import imd_series, store_areas
from tests.databases import Database


def _counts(db: Database) -> tuple[int, int, int]:
    with db.factory() as session:
        return (
            session.scalar(select(func.count()).select_from(SurveyResponse)) or 0,
            session.scalar(select(func.count()).select_from(SurveyImport)) or 0,
            session.scalar(select(func.count()).select_from(IndexInputRecord)) or 0,
        )


def test_the_demo_survey_is_imported_once(
    app: Flask, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.factory() as session:
        store_areas(session, source="Demo Borough (synthetic, seed 7)")
    rebuilt: list[int] = []

    def deciles(seed: int) -> pd.Series:
        rebuilt.append(seed)
        return imd_series()

    monkeypatch.setattr(survey_package, "demo_imd_deciles", deciles)
    messages: list[str] = []
    with app.app_context():
        survey_package.load_demo(seed=7, echo=messages.append)
    assert rebuilt == [7]
    assert _counts(db) == (survey_package.DEMO_RESPONSES, 1, 6)
    assert any("2,400 synthetic responses imported" in message for message in messages)
    with db.factory() as session:
        batch = session.scalars(select(SurveyImport)).one()
        assert batch.filename == "demo-survey-seed-7.csv"
        wards = set(session.scalars(select(SurveyResponse.ward_code)))
        assert wards == {"E05900001", "E05900002"}

    messages.clear()
    with app.app_context():
        survey_package.load_demo(seed=7, echo=messages.append)
    assert rebuilt == [7], "the deciles are stored, so the borough is not rebuilt"
    assert _counts(db) == (survey_package.DEMO_RESPONSES, 1, 6)
    assert messages == ["Survey demo: the demo survey is already imported."]


def test_no_demo_survey_for_a_real_borough(
    app: Flask, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.factory() as session:
        store_areas(session, source="hounslow_wards_2023.geojson")
    monkeypatch.setattr(survey_package, "demo_imd_deciles", lambda seed: imd_series())
    messages: list[str] = []
    with app.app_context():
        survey_package.load_demo(seed=7, echo=messages.append)
    assert _counts(db) == (0, 0, 0)
    assert "not the demo borough" in messages[0]
