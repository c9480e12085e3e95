"""The published question set, its routing and the data dictionary."""

from __future__ import annotations

from surveys.questions import (
    BARRIER_COLUMNS,
    FOUNDATION_COLUMNS,
    LIFE_COLUMNS,
    QUESTION_SET,
    QUESTION_SET_VERSION,
    WORK_COLUMNS,
    csv_template_columns,
    data_dictionary,
    data_dictionary_frame,
)
from tests.surveys.factories import offline_answers, online_answers


def test_version_is_2026_1() -> None:
    assert QUESTION_SET_VERSION == "2026.1"
    assert QUESTION_SET.version == "2026.1"


def test_eds_framework_shape() -> None:
    assert len(FOUNDATION_COLUMNS) == 8
    assert list(LIFE_COLUMNS) == [
        "communicating",
        "handling_information",
        "transacting",
        "problem_solving",
        "safe_and_legal",
    ]
    assert all(len(columns) >= 1 for columns in LIFE_COLUMNS.values())
    assert list(WORK_COLUMNS) == list(LIFE_COLUMNS)


def test_age_bands_keep_65_74_and_75_plus_apart() -> None:
    codes = QUESTION_SET.by_column("age_band").codes
    assert codes[:6] == ("16-24", "25-34", "35-49", "50-64", "65-74", "75+")


def test_barriers_cover_the_six_reasons() -> None:
    assert BARRIER_COLUMNS == (
        "barrier_skills",
        "barrier_cost",
        "barrier_access",
        "barrier_motivation",
        "barrier_trust",
        "barrier_health",
    )


def test_skills_questions_are_not_asked_of_people_who_never_go_online() -> None:
    skills = QUESTION_SET.by_column("life_tra_bank")
    assert skills.applies(online_answers())
    assert not skills.applies(offline_answers())
    assert not skills.applies({})


def test_routing_of_follow_on_questions() -> None:
    ever = QUESTION_SET.by_column("ever_online")
    assert ever.applies(offline_answers()) and not ever.applies(online_answers())
    data = QUESTION_SET.by_column("mobile_data")
    assert data.applies(online_answers()) and not data.applies(offline_answers())
    barrier = QUESTION_SET.by_column("barrier_cost")
    assert not barrier.applies(online_answers())
    assert barrier.applies(online_answers(online_frequency="weekly"))
    asked = {q.column for q in QUESTION_SET.applicable(offline_answers())}
    assert "fnd_wifi" not in asked and "barrier_cost" in asked


def test_codes_and_labels_are_both_understood() -> None:
    task = QUESTION_SET.by_column("fnd_wifi")
    assert task.code_for("alone") == "alone"
    assert task.code_for("  yes, I can do THIS on my own ") == "alone"
    assert task.code_for("No, I can\u2019t do this") == "cannot"
    assert task.code_for("maybe") is None
    assert QUESTION_SET.by_column("age_band").code_for("75 or over") == "75+"


def test_data_dictionary_lists_every_template_column_in_order() -> None:
    rows = data_dictionary()
    assert [row.column for row in rows] == csv_template_columns()
    assert len({row.question_id for row in rows}) == len(rows)
    for row in rows:
        assert len(row.allowed_codes) == len(row.labels)
        if row.type == "code":
            assert row.allowed_codes
    skills = next(row for row in rows if row.column == "fnd_turn_on")
    assert skills.required and "never" in skills.routing
    table = data_dictionary_frame()
    assert list(table.columns) == [
        "question_id",
        "column",
        "section",
        "text",
        "hint",
        "type",
        "required",
        "allowed_codes",
        "labels",
        "routing",
    ]
    assert table.loc[table["column"] == "age_band", "allowed_codes"].item().startswith("16-24 |")


def test_template_columns_are_unique_and_start_with_the_tool_id() -> None:
    columns = csv_template_columns()
    assert columns[0] == "source_response_id"
    assert len(columns) == len(set(columns))
