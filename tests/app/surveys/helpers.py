"""Tiny stored areas and survey files for the survey page tests."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.places.models import Area, AreaLayerRecord
from core.clock import now_utc
from geo.sources.ons_tables import ADULT_AGE_COLUMNS
from surveys.synthetic import synthetic_responses

WARDS = {"E05900001": "Riverside", "E05900002": "Hilltop"}
LSOA_WARD = {
    "E01900001": "E05900001",
    "E01900002": "E05900001",
    "E01900003": "E05900001",
    "E01900004": "E05900002",
    "E01900005": "E05900002",
    "E01900006": "E05900002",
}
IMD_DECILES = {
    "E01900001": 1,
    "E01900002": 2,
    "E01900003": 4,
    "E01900004": 7,
    "E01900005": 9,
    "E01900006": 10,
}
BANDS = (
    "Aged 15 years and under",
    "Aged 16 to 24 years",
    "Aged 25 to 34 years",
    "Aged 35 to 49 years",
    "Aged 50 to 64 years",
    "Aged 65 years and over",
)
SQUARE = '{"type":"Polygon","coordinates":[[[0,51],[0.01,51],[0.01,51.01],[0,51.01],[0,51]]]}'


def population(code: str) -> dict[str, int]:
    """Census-style people by age band: older in the later LSOAs (so ages differ by area)."""
    number = int(code[-1])
    return dict(zip(BANDS, (300, 180, 260, 330, 300, 150 + 60 * number), strict=True))


def store_areas(session: Session, *, source: str = "Test borough", with_lsoas: bool = True) -> None:
    """Two wards with three LSOAs each (population by age attached), as app.places stores them."""
    now = now_utc()
    wards = AreaLayerRecord(
        kind="ward",
        vintage="WD23",
        code_column="WD23CD",
        source=f"{source}: wards",
        loaded_at=now,
        feature_count=len(WARDS),
        total_area_km2=2.0,
    )
    session.add(wards)
    session.flush()
    for code, name in WARDS.items():
        session.add(_area(wards.id, "ward", "WD23", code, name, None, None))
    if with_lsoas:
        lsoas = AreaLayerRecord(
            kind="lsoa",
            vintage="LSOA21",
            code_column="LSOA21CD",
            source=f"{source}: LSOAs",
            loaded_at=now,
            feature_count=len(LSOA_WARD),
            total_area_km2=2.0,
        )
        session.add(lsoas)
        session.flush()
        for code, ward in LSOA_WARD.items():
            session.add(
                _area(lsoas.id, "lsoa", "LSOA21", code, f"Test {code[-3:]}", ward, population(code))
            )
    session.commit()


def _area(
    layer_id: int,
    kind: str,
    vintage: str,
    code: str,
    name: str,
    ward: str | None,
    by_age: dict[str, int] | None,
) -> Area:
    return Area(
        layer_id=layer_id,
        kind=kind,
        vintage=vintage,
        code=code,
        name=name,
        ward_code=ward,
        ward_vintage="WD23" if ward else None,
        area_km2=1.0,
        centroid_lon=0.005,
        centroid_lat=51.005,
        geometry=SQUARE,
        population=sum(by_age.values()) if by_age else None,
        population_by_age=by_age,
    )


def survey_frame(n: int = 300, *, seed: int = 5) -> pd.DataFrame:
    """A synthetic survey of the test areas, in the import layout."""
    areas = pd.DataFrame(
        [
            {
                "ward_code": ward,
                "lsoa21_code": code,
                "imd_decile": IMD_DECILES[code],
                **dict(zip(ADULT_AGE_COLUMNS, list(population(code).values())[1:], strict=True)),
            }
            for code, ward in LSOA_WARD.items()
        ]
    )
    return synthetic_responses(areas, n=n, seed=seed)


def survey_csv(n: int = 300, *, seed: int = 5) -> bytes:
    """The synthetic survey as CSV bytes."""
    return survey_frame(n, seed=seed).to_csv(index=False).encode("utf-8")


def imd_series() -> pd.Series:
    """The test LSOAs' IMD deciles."""
    return pd.Series(IMD_DECILES, name="imd_decile").astype(np.int64)


# -- driving the one-question-per-page journey --------------------------------------------------

STEP_URL = re.compile(r"/questions/(?P<step>[a-z0-9_]+)")


def step_of(location: str) -> str | None:
    """The step key in a question page URL, or None."""
    match = STEP_URL.search(location)
    return match.group("step") if match else None


def walk(
    client: FlaskClient,
    answers: Mapping[str, Any],
    *,
    prefix: str = "/survey",
    start: str | None = None,
) -> tuple[list[str], str]:
    """Answer every page the journey asks, from ``answers`` (step -> form value).

    Returns the steps visited in order and the URL the journey ended on (the check page).
    """
    visited: list[str] = []
    location = start or f"{prefix}/questions/ward_code"
    for _ in range(80):
        step = step_of(location)
        if step is None:
            return visited, location
        assert step in answers, f"the journey asked {step!r}, which the test did not expect"
        visited.append(step)
        value = answers[step]
        data = value if isinstance(value, dict) else {"answer": value}
        response = client.post(location, data=data)
        assert response.status_code == 302, f"{step}: {response.status_code}"
        location = response.headers["Location"]
    raise AssertionError("the journey did not end")


def offline_person(**overrides: Any) -> dict[str, Any]:
    """Answers (by step) of someone who never goes online and has no device."""
    answers: dict[str, Any] = {
        "ward_code": "E05900001",
        "age_band": "75+",
        "disability": "yes_lot",
        "language": "english",
        "device_smartphone": "none",
        "device_tablet": "none",
        "device_computer": "none",
        "home_connection": "none",
        "online_frequency": "never",
        "ever_online": "no_never",
        "barriers": ["barrier_skills", "barrier_motivation"],
        "wants_help": "maybe",
        "consent_follow_up": "no",
    }
    answers.update(overrides)
    return answers


def daily_person(**overrides: Any) -> dict[str, Any]:
    """Answers (by step) of a confident daily internet user."""
    from surveys.questions import FOUNDATION_COLUMNS, LIFE_COLUMNS, WORK_COLUMNS

    answers: dict[str, Any] = {
        "ward_code": "E05900002",
        "age_band": "35-49",
        "disability": "no",
        "language": "english",
        "device_smartphone": "own",
        "device_tablet": "none",
        "device_computer": "own",
        "home_connection": "fixed",
        "mobile_data": "enough",
        "online_frequency": "daily",
        "main_device": "computer",
        "confidence": "very",
        "wants_help": "no",
        "consent_follow_up": "no",
    }
    for column in FOUNDATION_COLUMNS:
        answers[column] = "alone"
    for columns in LIFE_COLUMNS.values():
        for column in columns:
            answers[column] = "alone"
    for column in WORK_COLUMNS.values():
        answers[column] = "alone"
    answers.update(overrides)
    return answers
