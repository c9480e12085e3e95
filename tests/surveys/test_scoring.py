"""EDS levels and the GDS scale from answers with obvious scores."""

from __future__ import annotations

import pytest

from surveys.questions import FOUNDATION_COLUMNS, LIFE_COLUMNS, WORK_COLUMNS
from surveys.scoring import SCORED_FIELDS, eds_scores, gds_scale, score_responses
from tests.surveys.factories import frame, offline_answers, online_answers, with_life_skills_only


def one(answers: dict[str, str | None]) -> dict[str, object]:
    return score_responses(frame([answers])).iloc[0].to_dict()


def without_area(area: str, **overrides: str | None) -> dict[str, str | None]:
    answers = with_life_skills_only(**overrides)
    for column in LIFE_COLUMNS[area]:
        answers[column] = "help"
    return answers


def test_expert_has_eds_work_and_gds_9() -> None:
    scored = one(online_answers())
    assert scored["eds_level"] == "work"
    assert scored["foundation_tasks"] == 8 and scored["life_areas"] == 5
    assert scored["gds_scale"] == 9 and scored["gds_label"] == "Expert"


def test_one_task_per_area_is_enough_for_life() -> None:
    answers = with_life_skills_only()
    for columns in LIFE_COLUMNS.values():
        for column in columns[1:]:
            answers[column] = "cannot"
    scored = one(answers)
    assert scored["eds_life"] and not scored["eds_work"]
    assert scored["eds_level"] == "life"
    assert scored["gds_scale"] == 8  # very confident, daily, Life


def test_life_without_confidence_is_basic_skills() -> None:
    assert one(with_life_skills_only(confidence="not_very"))["gds_scale"] == 7
    assert one(with_life_skills_only(online_frequency="monthly"))["gds_scale"] == 7


def test_missing_one_area_leaves_foundation_only() -> None:
    scored = one(without_area("transacting"))
    assert scored["life_areas"] == 4
    assert scored["eds_level"] == "foundation"
    assert scored["gds_scale"] == 6


def test_help_does_not_count_as_able() -> None:
    answers = online_answers(fnd_wifi="help")
    scored = one(answers)
    assert scored["foundation_tasks"] == 7
    assert not scored["eds_foundation"] and scored["eds_level"] == "none"
    # Life and Work areas do not matter without Foundation.
    assert not scored["eds_life"] and not scored["eds_work"]
    assert scored["gds_scale"] == 5
    assert one(online_answers(fnd_wifi="help", online_frequency="monthly"))["gds_scale"] == 4


def test_work_without_every_life_area_is_on_the_foundation_rung() -> None:
    answers = without_area("problem_solving")
    for column in WORK_COLUMNS.values():
        answers[column] = "alone"
    scored = one(answers)
    assert scored["eds_work"] and not scored["eds_life"]
    assert scored["eds_level"] == "foundation"


def test_work_not_applicable_is_not_work_skills() -> None:
    scored = one(online_answers(work_saf="not_applicable"))
    assert scored["work_areas"] == 4 and scored["eds_level"] == "life"
    assert scored["gds_scale"] == 8


@pytest.mark.parametrize(
    ("overrides", "point"),
    [
        ({}, 1),
        ({"ever_online": "yes_past"}, 2),
        ({"wants_help": "yes"}, 3),
        ({"wants_help": "maybe", "ever_online": "yes_past"}, 3),
    ],
)
def test_offline_points(overrides: dict[str, str], point: int) -> None:
    scored = one(offline_answers(**overrides))
    assert scored["gds_scale"] == point
    assert not scored["online"] and scored["eds_level"] == "none"
    assert scored["confidence_score"] == 0


def test_access_fields() -> None:
    mobile = one(
        online_answers(
            device_computer="none", main_device="smartphone", home_connection="mobile_only"
        )
    )
    assert mobile["smartphone_only"] and mobile["mobile_dependent"]
    assert not mobile["fixed_broadband"] and not mobile["no_device"]
    assert not one(online_answers())["mobile_dependent"]
    offline = one(offline_answers(barrier_cost="yes", barrier_health="yes"))
    assert offline["no_device"] and offline["any_barrier"] and offline["n_barriers"] == 2
    assert not one(online_answers())["any_barrier"]  # daily users are not asked


def test_scores_are_vectorised_and_aligned() -> None:
    table = frame([offline_answers(), online_answers(), with_life_skills_only()])
    table.index = [10, 20, 30]
    scored = score_responses(table)
    assert scored.index.tolist() == [10, 20, 30]
    assert scored["gds_scale"].tolist() == [1, 9, 8]
    assert gds_scale(table).name == "gds_scale"
    assert eds_scores(table)["eds_level"].tolist() == ["none", "work", "life"]
    assert set(SCORED_FIELDS) <= set(scored.columns)


def test_foundation_has_eight_tasks() -> None:
    assert len(FOUNDATION_COLUMNS) == 8
