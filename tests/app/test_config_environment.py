"""Every setting a council may change comes from an environment variable of the same name."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from app import create_app
from app.config import ConfigError, apply_feature_defaults, setting_from_environment
from tests.conftest import app_config
from tests.databases import Database


@pytest.mark.parametrize(
    ("default", "raw", "expected"),
    [
        (730, "30", 30),
        (2.4, "5", 5.0),
        (True, "off", False),
        (False, "Yes", True),
        ("typical", "conservative", "conservative"),
        (None, "12", "12"),
        (None, "none", None),
        (None, '{"max_items_per_resident": 1}', {"max_items_per_resident": 1}),
        ({"t-mobile": "EE"}, '{"orange": "EE"}', {"orange": "EE"}),
        (("airwave",), '["airwave", "network rail"]', ("airwave", "network rail")),
    ],
)
def test_a_value_is_read_as_the_type_of_its_default(
    monkeypatch: pytest.MonkeyPatch, default: object, raw: str, expected: object
) -> None:
    monkeypatch.setenv("SOME_SETTING", raw)
    assert setting_from_environment("SOME_SETTING", default) == expected


def test_an_unset_variable_gives_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOME_SETTING", raising=False)
    assert setting_from_environment("SOME_SETTING", 24) == 24


@pytest.mark.parametrize(
    ("default", "raw"),
    [(730, "two years"), (True, "maybe"), (2.4, "fast"), ({}, "[1]"), ((), "{}"), ({}, "{")],
)
def test_a_value_that_cannot_be_read_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, default: object, raw: str
) -> None:
    monkeypatch.setenv("CHAMPIONS_RETENTION_DAYS", raw)
    with pytest.raises(ConfigError, match="CHAMPIONS_RETENTION_DAYS"):
        setting_from_environment("CHAMPIONS_RETENTION_DAYS", default)


def test_a_value_set_by_the_caller_wins_over_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LOAN_DUE_SOON_DAYS", "14")
    config: dict[str, object] = {"LOAN_DUE_SOON_DAYS": 3}
    apply_feature_defaults(config, {"LOAN_DUE_SOON_DAYS": 7, "LOAN_RESPONSE_TIME": "soon"})
    assert config == {"LOAN_DUE_SOON_DAYS": 3, "LOAN_RESPONSE_TIME": "soon"}


def test_feature_and_shared_settings_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, db: Database
) -> None:
    monkeypatch.setenv("CHAMPIONS_RETENTION_DAYS", "400")
    monkeypatch.setenv("SURVEY_CONTACT_RETENTION_DAYS", "90")
    monkeypatch.setenv("COVERAGE_VDSL_CURVE", "conservative")
    monkeypatch.setenv("WARDS_CACHE_SECONDS", "60")
    monkeypatch.setenv("SMALL_NUMBER_THRESHOLD", "5")
    monkeypatch.setenv("COUNCIL_NAME", "London Borough of Hounslow")
    app: Flask = create_app(app_config(db))
    assert app.config["CHAMPIONS_RETENTION_DAYS"] == 400
    assert app.config["SURVEY_CONTACT_RETENTION_DAYS"] == 90
    assert app.config["COVERAGE_VDSL_CURVE"] == "conservative"
    assert app.config["WARDS_CACHE_SECONDS"] == 60
    assert app.config["SMALL_NUMBER_THRESHOLD"] == 5
    assert app.config["COUNCIL_NAME"] == "London Borough of Hounslow"


def test_a_loan_policy_file_named_in_the_environment_is_used(
    monkeypatch: pytest.MonkeyPatch, db: Database, tmp_path: Path
) -> None:
    from app.loans.config import policy_from_config

    policy = tmp_path / "loans.toml"
    policy.write_text("retention_days = 100\n")
    monkeypatch.setenv("LOAN_POLICY_FILE", str(policy))
    app = create_app(app_config(db))
    assert policy_from_config(app.config).retention_days == 100
    policy.write_text("retention_days = -1\n")
    with pytest.raises(ConfigError):
        create_app(app_config(db))


def test_a_bad_feature_setting_stops_the_start_up(
    monkeypatch: pytest.MonkeyPatch, db: Database
) -> None:
    monkeypatch.setenv("SURVEY_CONTACT_RETENTION_DAYS", "a year")
    with pytest.raises(ConfigError, match="SURVEY_CONTACT_RETENTION_DAYS='a year'"):
        create_app(app_config(db))
