"""The six personas, their reasons, and validation of an edited configuration."""

from __future__ import annotations

import json
from typing import Any

import pytest

from core.errors import DomainError
from surveys.personas import (
    DEFAULT_PERSONAS,
    assign_personas,
    default_persona_config,
    validate_persona_config,
)
from surveys.scoring import score_responses
from tests.surveys.factories import frame, offline_answers, online_answers, with_life_skills_only

PEOPLE = {
    "techy_terry": online_answers(),
    "confident_kate": with_life_skills_only(confidence="fairly"),
    "mobile_only_mo": with_life_skills_only(
        confidence="not_very",
        device_computer="none",
        main_device="smartphone",
        home_connection="mobile_only",
        wants_help="yes",
    ),
    "learning_lin": online_answers(
        fnd_wifi="help", online_frequency="weekly", wants_help="maybe", barrier_skills="yes"
    ),
    "reluctant_reg": online_answers(
        fnd_wifi="cannot", online_frequency="less_than_monthly", barrier_motivation="yes"
    ),
    "offline_olive": offline_answers(),
}


def assigned(config: Any = None) -> dict[str, str]:
    scored = score_responses(frame(PEOPLE.values()))
    result = assign_personas(scored, config)
    return dict(zip(PEOPLE, result["persona_key"], strict=True))


def test_each_prototype_gets_its_persona() -> None:
    assert assigned() == {key: key for key in PEOPLE}


def test_names_and_reasons_are_given_in_words() -> None:
    scored = score_responses(frame(PEOPLE.values()))
    result = assign_personas(scored)
    by_key = result.set_index("persona_key")
    assert by_key.loc["techy_terry", "persona"] == "Techy Terry"
    assert by_key.loc["techy_terry", "reasons"] == "GDS scale is at least 9"
    assert "lacks home broadband or a larger device" in by_key.loc["mobile_only_mo", "reasons"]
    assert "would like help to learn" in by_key.loc["learning_lin", "reasons"]
    assert "does not want help" in by_key.loc["reluctant_reg", "reasons"]
    olive = by_key.loc["offline_olive", "reasons"]
    assert olive.startswith("matched none of the personas above")
    assert "does not go online" in olive and "GDS scale is below 9" in olive


def test_first_match_wins() -> None:
    expert_on_a_phone = online_answers(
        device_computer="none", main_device="smartphone", home_connection="mobile_only"
    )
    scored = score_responses(frame([expert_on_a_phone]))
    assert assign_personas(scored)["persona_key"].item() == "techy_terry"


def test_editing_a_rule_changes_the_assignment() -> None:
    config = default_persona_config()
    config["personas"][1]["rules"] = [{"field": "gds_scale", "op": ">=", "value": 6}]
    result = assigned(config)
    assert result["mobile_only_mo"] == "confident_kate"
    assert DEFAULT_PERSONAS["personas"][1]["rules"][0]["value"] == 8  # the default is untouched


def test_configuration_is_plain_data() -> None:
    assert json.loads(json.dumps(DEFAULT_PERSONAS)) == DEFAULT_PERSONAS
    validated = validate_persona_config(DEFAULT_PERSONAS)
    assert [p.name for p in validated.personas] == [
        "Techy Terry",
        "Confident Kate",
        "Mobile-only Mo",
        "Learning Lin",
        "Reluctant Reg",
        "Offline Olive",
    ]


def test_in_and_ordered_operators() -> None:
    config = default_persona_config()
    config["personas"][2]["rules"] = [
        {"field": "eds_level", "op": "<", "value": "life"},
        {"field": "online_frequency", "op": "in", "value": ["weekly", "daily"]},
    ]
    assert assigned(config)["learning_lin"] == "mobile_only_mo"


def _broken(persona: int, rules: list[dict[str, Any]]) -> dict[str, Any]:
    config = default_persona_config()
    config["personas"][persona]["rules"] = rules
    return config


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            _broken(
                2,
                [
                    {"field": "online", "op": "==", "value": True},
                    {"field": "mobile", "op": "==", "value": True},
                ],
            ),
            r"Persona 3 \(Mobile-only Mo\), rule 2: unknown field 'mobile'",
        ),
        (
            _broken(0, [{"field": "gds_scale", "op": "=>", "value": 9}]),
            r"Persona 1 \(Techy Terry\), rule 1: unknown operator '=>'",
        ),
        (
            _broken(0, [{"field": "gds_scale", "op": ">=", "value": 12}]),
            r"rule 1: gds_scale runs from 1 to 9",
        ),
        (
            _broken(0, [{"field": "online", "op": ">", "value": True}]),
            r"online is yes/no",
        ),
        (
            _broken(0, [{"field": "eds_level", "op": "==", "value": "expert"}]),
            r"'expert' is not a value of eds_level",
        ),
        (
            _broken(0, [{"field": "wants_help", "op": "in", "value": "yes"}]),
            r"'in' needs a list",
        ),
        (_broken(5, [{"field": "online", "op": "==", "value": False}]), r"fallback"),
        (_broken(3, []), r"Persona 4 \(Learning Lin\): only the last persona may have no rules"),
    ],
)
def test_bad_configuration_is_refused_naming_the_rule(config: Any, message: str) -> None:
    with pytest.raises(DomainError, match=message):
        validate_persona_config(config)


def test_repeated_names_and_unknown_settings_are_refused() -> None:
    config = default_persona_config()
    config["personas"][1]["name"] = "Techy Terry"
    config["personas"][1]["key"] = "techy_terry"
    with pytest.raises(DomainError, match="same name"):
        validate_persona_config(config)
    config = default_persona_config()
    config["colour"] = "blue"
    with pytest.raises(DomainError, match="colour"):
        validate_persona_config(config)
