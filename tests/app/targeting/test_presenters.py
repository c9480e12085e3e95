"""Scenario results in words and downloads: suppression, honest status, escaped formulas."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from sqlalchemy.orm import Session

from app.targeting import presenters
from app.targeting.models import Scenario
from core.clock import now_utc


def _result(**overrides: Any) -> dict[str, Any]:
    result: dict[str, Any] = {
        "method": "exact",
        "status": "optimal",
        "optimal": True,
        "gap": 0.0,
        "covered_demand": 90.0,
        "covered_by_existing": 0.0,
        "total_demand": 100.0,
        "share_covered": 0.9,
        "share_before": 0.0,
        "n_sites": 1,
        "sites": ['=HYPERLINK("http://x")'],
        "message": "CBC proved the solution optimal for up to 1 new sites.",
        "feasible": True,
    }
    result.update(overrides)
    return result


def _results() -> dict[str, Any]:
    site = {
        "order": 1,
        "candidate_id": "row 1",
        "name": '=HYPERLINK("http://x")',
        "kind": "school",
        "origin": "uploaded",
        "ward_code": None,
        "ward_name": "",
        "x_m": 450_000.0,
        "y_m": 250_000.0,
        "lon": -1.0,
        "lat": 52.0,
        "new_demand_reached": 4.0,
    }
    return {
        "plan": {"available": False, "message": "No plan.", "inputs": [], "notes": []},
        "siting": {
            "available": True,
            "walk_min": 10.0,
            "radius_m": 800.0,
            "k": 1,
            "share": 0.9,
            "weighting": {"key": "residents", "label": "residents", "description": "Plain."},
            "notes": [],
            "premises": 40,
            "demand_points": 4,
            "cluster_m": 200.0,
            "total_demand": 100.0,
            "existing_venues": [],
            "candidates": 3,
            "mclp": {
                "exact": _result(status="time limit reached, gap 1.20%", optimal=False),
                "greedy": _result(method="greedy", share_covered=0.85),
                "share_difference": 0.05,
            },
            "lscp": {
                "exact": _result(status="infeasible", feasible=False, n_sites=0, sites=[]),
                "greedy": _result(status="infeasible", feasible=False, n_sites=0, sites=[]),
                "site_difference": None,
            },
            "sites": [site],
            "lscp_sites": [],
            "areas": [],
        },
        "wards": [],
    }


def _scenario() -> Scenario:
    now = now_utc()
    return Scenario(
        public_id="a" * 32,
        name="Crafted",
        saved=True,
        created_at=now,
        updated_at=now,
        finished_at=now,
        status="done",
        progress=100,
        progress_text="Finished",
        parameters={"level": "ward", "ward_codes": []},
        results=_results(),
    )


def test_people_are_rounded_and_small_counts_hidden_for_councillors() -> None:
    assert presenters.people(1234.4, detail="full", threshold=10) == "1,234"
    assert presenters.people(4.0, detail="full", threshold=10) == "4"
    assert presenters.people(4.0, detail="suppressed", threshold=10) == "fewer than 10"
    assert presenters.people(4.0, detail="suppressed", threshold=10, csv=True) == "[c]"
    assert presenters.people(0.0, detail="suppressed", threshold=10) == "0"
    assert presenters.people(None, detail="full", threshold=10) == "not available"


def test_siting_status_is_stated_honestly() -> None:
    view = presenters.siting_view(_results(), detail="full", threshold=10)
    rows = {
        row[0]["text"]: row[-1]["text"]
        for row in view.comparison.rows  # type: ignore[union-attr]
    }
    assert rows["Most reached with 1 new venues: exact (CBC)"] == "Time limit reached, gap 1.20%"
    assert rows["Fewest venues for 90%: exact (CBC)"] == "Not possible: the share cannot be reached"
    headline = {row["key"]["text"]: row["value"]["text"] for row in view.headline}
    assert headline["How sure: the exact answer (CBC)"] == "Time limit reached, gap 1.20%"
    assert headline["Fewest new venues to reach 90%"] == "Not possible"


def test_siting_counts_are_suppressed_for_councillors() -> None:
    staff = presenters.siting_view(_results(), detail="full", threshold=10)
    councillor = presenters.siting_view(_results(), detail="suppressed", threshold=10)
    assert staff.sites.rows[0][-1]["text"] == "4"  # type: ignore[union-attr]
    assert councillor.sites.rows[0][-1]["text"] == "fewer than 10"  # type: ignore[union-attr]


def test_a_plan_that_could_not_be_made_says_why() -> None:
    view = presenters.plan_view(_results(), detail="full", threshold=10)
    assert not view.available and view.message == "No plan."


@pytest.mark.parametrize("detail", ["full", "suppressed"])
def test_csv_download_escapes_formulas_and_marks_hidden_counts(
    session: Session, detail: Any
) -> None:
    body = presenters.export_bytes(
        session, _scenario(), "sites", "csv", detail=detail, threshold=10, council="Test Council"
    )
    text = body.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    notes = [row[0] for row in rows if len(row) == 1 and row[0].startswith("# ")]
    assert notes[0].startswith("# Title: New venues chosen: scenario 'Crafted', Test Council")
    header = rows[len(notes)]
    record = dict(zip(header, rows[len(notes) + 1], strict=True))
    assert record["name"] == '\'=HYPERLINK("http://x")'
    assert record["new_demand_reached"] == ("4.0" if detail == "full" else "[c]")
    if detail == "suppressed":
        assert any("[c] = fewer than 10 people" in note for note in notes)


def test_money_edges_are_round_and_cover_the_largest() -> None:
    assert presenters._money_edges(27_780) == [0.0, 7500.0, 15000.0, 22500.0, 30000.0]
    assert presenters._money_edges(0) == [0.0, 1.0]
    assert presenters._money_edges(3) == [0.0, 1.0, 2.0, 3.0, 4.0]
