"""Route examples of the targeting pages: a saved, finished scenario (with no results to map)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.targeting.models import Scenario
from core.clock import now_utc
from tests.route_examples import example

RESULTS = {
    "plan": {
        "available": False,
        "level": "ward",
        "message": "There is nothing to cost for the chosen areas.",
        "inputs": [],
        "notes": [],
    },
    "siting": {"available": False, "message": "No walking network is stored."},
    "wards": [],
}


def example_scenario(session: Session) -> Scenario:
    """A saved scenario that finished with no plan and no siting answer."""
    now = now_utc()
    scenario = Scenario(
        name="Example scenario",
        saved=True,
        created_at=now,
        updated_at=now,
        started_at=now,
        finished_at=now,
        status="done",
        progress=100,
        progress_text="Finished",
        parameters={
            "ward_codes": [],
            "level": "ward",
            "budget_gbp": 1000.0,
            "walk_min": 10,
            "k": 1,
            "share": 0.9,
        },
        results=RESULTS,
    )
    session.add(scenario)
    session.flush()
    return scenario


@example("targeting.scenario")
def _scenario(session: Session) -> dict[str, str]:
    return {"public_id": example_scenario(session).public_id}


@example("targeting.status")
def _status(session: Session) -> dict[str, str]:
    return {"public_id": example_scenario(session).public_id}


@example("targeting.map_css")
def _map_css(session: Session) -> dict[str, str]:
    return {"public_id": example_scenario(session).public_id}


@example("targeting.save")
def _save(session: Session) -> dict[str, str]:
    return {"public_id": example_scenario(session).public_id}


@example("targeting.delete")
def _delete(session: Session) -> dict[str, str]:
    return {"public_id": example_scenario(session).public_id}


@example("targeting.download")
def _download(session: Session) -> dict[str, str]:
    return {"public_id": example_scenario(session).public_id, "dataset": "sites", "fmt": "csv"}


@example("targeting.intervention")
def _intervention(session: Session) -> dict[str, str]:
    return {"key": "device_loans"}
