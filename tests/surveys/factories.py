"""Builders of survey answers with obvious scores, for the survey tests."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping

import pandas as pd

from surveys.questions import (
    BARRIER_COLUMNS,
    FOUNDATION_COLUMNS,
    LIFE_COLUMNS,
    WORK_COLUMNS,
    csv_template_columns,
)

WARD = "E05013610"
OTHER_WARD = "E05013611"


def online_answers(**overrides: str | None) -> dict[str, str | None]:
    """An expert: every task on their own, very confident, daily, home broadband and a laptop."""
    answers: dict[str, str | None] = dict.fromkeys(csv_template_columns(), None)
    answers.update(
        {
            "ward_code": WARD,
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
    )
    for column in FOUNDATION_COLUMNS:
        answers[column] = "alone"
    for columns in LIFE_COLUMNS.values():
        for column in columns:
            answers[column] = "alone"
    for column in WORK_COLUMNS.values():
        answers[column] = "alone"
    answers.update(overrides)
    return answers


def offline_answers(**overrides: str | None) -> dict[str, str | None]:
    """Someone who has never been online, has no device and does not want help."""
    answers: dict[str, str | None] = dict.fromkeys(csv_template_columns(), None)
    answers.update(
        {
            "ward_code": WARD,
            "age_band": "75+",
            "disability": "yes_lot",
            "device_smartphone": "none",
            "device_tablet": "none",
            "device_computer": "none",
            "home_connection": "none",
            "online_frequency": "never",
            "ever_online": "no_never",
            "wants_help": "no",
            "consent_follow_up": "yes",
        }
    )
    for column in BARRIER_COLUMNS:
        answers[column] = "no"
    answers.update(overrides)
    return answers


def with_life_skills_only(**overrides: str | None) -> dict[str, str | None]:
    """EDS for Life but no Work tasks (``cannot``)."""
    answers = online_answers(**overrides)
    for column in WORK_COLUMNS.values():
        if column not in overrides:
            answers[column] = "cannot"
    return answers


def frame(rows: Iterable[Mapping[str, str | None]]) -> pd.DataFrame:
    """A responses table (answer codes) from answer dicts."""
    return pd.DataFrame(list(rows), columns=csv_template_columns(), dtype=object)


def csv_bytes(
    rows: Iterable[Mapping[str, str | None]], *, columns: list[str] | None = None
) -> bytes:
    """The rows written as a CSV file, as a survey tool would export them."""
    names = columns or csv_template_columns()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow(["" if row.get(name) is None else row.get(name) for name in names])
    return buffer.getvalue().encode("utf-8")
