"""The job runner: a scenario runs off the request thread, records progress, and never 500s."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from app.targeting import jobs, services
from app.targeting.models import Scenario
from core.clock import now_utc
from core.errors import DomainError
from tests.app.targeting.conftest import client_as
from tests.app.targeting.helpers import WARD
from tests.databases import Database
from tests.pages import parse


def _queued(database: Database, **overrides: Any) -> str:
    values: dict[str, Any] = {
        "name": "Job test",
        "ward_codes": (WARD,),
        "walk_min": 3,
        "k": 2,
        "share": 0.9,
    }
    values.update(overrides)
    with database.factory() as session:
        scenario = services.create_scenario(
            session, services.ScenarioRequest(**values), by_id=None, by_name="Tester", now=now_utc()
        )
        session.commit()
        return scenario.public_id


def _stored(database: Database, public_id: str) -> Scenario:
    with database.factory() as session:
        found = services.find_scenario(session, public_id)
        assert found is not None
        return found


def test_a_job_reports_progress_then_stores_its_results(
    world: Flask, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[dict[str, Any]] = []
    original = jobs._update

    def recording(factory: Any, public_id: str, **values: Any) -> None:
        seen.append(values)
        original(factory, public_id, **values)

    monkeypatch.setattr(jobs, "_update", recording)
    public_id = _queued(database)
    assert _stored(database, public_id).status == "queued"
    jobs.start(world, public_id)
    assert jobs.wait(public_id, timeout_s=120)
    statuses = [values["status"] for values in seen if "status" in values]
    assert statuses == ["running", "done"]
    progress = [values["progress"] for values in seen if "progress" in values]
    assert progress == sorted(progress) and progress[-1] == 100 and len(progress) >= 5
    scenario = _stored(database, public_id)
    assert scenario.status == "done" and scenario.progress == 100 and scenario.error is None
    assert scenario.started_at is not None and scenario.finished_at is not None
    results = scenario.results or {}
    assert results["plan"]["available"]
    assert sorted(results["siting"]["mclp"]["exact"]["sites"]) == ["B", "D"]


def test_a_job_that_meets_a_domain_error_stores_its_message(
    world: Flask, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args: Any, **_kwargs: Any) -> dict[str, Any]:
        raise DomainError("There are no candidate buildings in the chosen wards.", field="k")

    monkeypatch.setattr(jobs, "run_scenario", refuse)
    public_id = _queued(database)
    jobs.start(world, public_id)
    jobs.wait(public_id)
    scenario = _stored(database, public_id)
    assert scenario.status == "failed"
    assert scenario.error == "There are no candidate buildings in the chosen wards."
    assert scenario.results is None
    page = parse(client_as(world, database, "planner").get(f"/targeting/scenarios/{public_id}"))
    assert page.status == 200
    assert "There are no candidate buildings in the chosen wards." in page.text()
    assert "could not be run" in page.text()


def test_an_unexpected_failure_is_recorded_never_a_500(
    world: Flask, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*_args: Any, **_kwargs: Any) -> dict[str, Any]:
        raise RuntimeError("solver exploded")

    monkeypatch.setattr(jobs, "run_scenario", crash)
    public_id = _queued(database)
    jobs.start(world, public_id)
    jobs.wait(public_id)
    scenario = _stored(database, public_id)
    assert scenario.status == "failed" and scenario.error == jobs.FAILED_MESSAGE
    client = client_as(world, database, "planner")
    assert client.get(f"/targeting/scenarios/{public_id}").status_code == 200
    state = client.get(f"/targeting/scenarios/{public_id}/status.json").get_json()
    assert state["status"] == "failed" and state["finished"] is True


def test_a_job_for_a_deleted_scenario_does_nothing(world: Flask, database: Database) -> None:
    jobs.run_job(world, "0" * 32)  # no such scenario: returns quietly
    assert not jobs.wait("f" * 32)
