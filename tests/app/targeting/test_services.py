"""The targeting services on hand-computed cases: the 5-area costed plan and the 5-point ring."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.targeting import inputs, services
from app.targeting.inputs import InputStatus, PlanInputs
from app.targeting.models import Scenario
from core.clock import now_utc
from core.errors import DomainError
from tests.app.targeting.helpers import (
    EMPTY_WARD,
    WARD,
    add_venue,
    store_ring_borough,
)
from tests.surveys.test_targeting import HAND_CONFIG, hand_inputs


def _request(**overrides: Any) -> services.ScenarioRequest:
    values: dict[str, Any] = {
        "name": "Ring test",
        "ward_codes": (WARD,),
        "walk_min": 3,
        "k": 2,
        "share": 0.9,
        "budget_gbp": 2000.0,
    }
    values.update(overrides)
    return services.ScenarioRequest(**values)


@pytest.fixture
def ring(session: Session) -> Session:
    store_ring_borough(session, now=now_utc())
    session.commit()
    return session


# ---- the costed plan: the hand-computed five-area example --------------------------------------


def test_plan_matches_the_hand_computed_five_area_example(session: Session) -> None:
    found = PlanInputs(
        level="ward",
        frame=hand_inputs(),
        statuses=(InputStatus("survey", "Survey estimates", True, "hand-made"),),
    )
    plan = services.build_plan(
        session, _request(interventions=HAND_CONFIG, budget_gbp=2000.0), found=found
    )
    assert plan["available"]
    assert plan["spent_gbp"] == 1940.0 and plan["left_gbp"] == 60.0
    assert plan["residents_reached"] == 39.0
    assert plan["newly_online"] == pytest.approx(17.5)
    # 17.5 newly online x 4 transactions x (£7.40 - £0.32)
    assert plan["savings_per_year_gbp"] == pytest.approx(495.60)
    assert plan["recommended_cost_gbp"] == 2940.0
    funded = sorted(
        (line for line in plan["lines"] if line["rank"] > 0), key=lambda line: line["rank"]
    )
    assert [(line["area_code"], line["intervention"], line["funded_units"]) for line in funded] == [
        ("A", "assisted_digital", 2),
        ("B", "assisted_digital", 1),
        ("C", "assisted_digital", 1),
        ("A", "skills_sessions", 2),
        ("B", "skills_sessions", 1),
        ("C", "skills_sessions", 1),
        ("A", "device_loans", 3),
    ]
    areas = {area["area_code"]: area for area in plan["areas"]}
    assert areas["A"]["funded_mix"] == (
        "Assisted digital and non-digital routes: 2 residents; Digital skills courses: "
        "2 courses; Device loans: 3 devices"
    )
    assert areas["A"]["funded_cost_gbp"] == 20 + 800 + 300
    assert areas["D"]["funded_cost_gbp"] == 0.0
    assert areas["D"]["recommended_mix"] == "Device loans: 3 devices"
    assert "3 residents estimated without a suitable device" in areas["D"]["reasons"]
    skipped = [
        line
        for line in plan["lines"]
        if line["area_code"] == "D" and line["intervention"] == "skills_sessions"
    ]
    assert skipped[0]["status"] == "skipped"
    assert "no residents_low_skills_willing" in skipped[0]["reason"]
    assert areas["E"]["recommended_mix"] == "" and areas["E"]["funded_cost_gbp"] == 0.0


def test_plan_uses_the_channel_costs_asked_for(session: Session) -> None:
    found = PlanInputs(level="ward", frame=hand_inputs(), statuses=())
    plan = services.build_plan(
        session,
        _request(
            interventions=HAND_CONFIG,
            budget_gbp=2000.0,
            online_gbp=1.0,
            face_to_face_gbp=11.0,
            transactions_per_year=2.0,
        ),
        found=found,
    )
    assert plan["channel_costs"]["saving_per_newly_online_gbp"] == 20.0
    assert plan["savings_per_year_gbp"] == pytest.approx(17.5 * 20.0)


def test_plan_without_any_stored_needs_says_what_is_missing(ring: Session) -> None:
    plan = services.build_plan(ring, _request())
    assert not plan["available"]
    assert "No survey estimates yet" in plan["message"]
    assert "Surveys > Import" in plan["message"]
    missing = {item["key"] for item in plan["inputs"] if not item["available"]}
    assert missing == {"survey", "coverage"}


# ---- siting: the hand-computed ring --------------------------------------------------------------


def test_siting_ring_matches_the_hand_computed_answers(ring: Session) -> None:
    siting = services.build_siting(ring, _request(walk_min=3, k=2, share=0.9))
    assert siting["available"]
    assert siting["radius_m"] == 240.0
    assert siting["weighting"]["key"] == "residents"
    assert siting["demand_points"] == 5 and siting["total_demand"] == 100.0
    exact = siting["mclp"]["exact"]
    assert sorted(exact["sites"]) == ["B", "D"]
    assert exact["covered_demand"] == 90.0 and exact["share_covered"] == pytest.approx(0.9)
    assert exact["optimal"] and exact["status"] == "optimal"
    greedy = siting["mclp"]["greedy"]
    assert greedy["sites"] == ["C", "A"] and greedy["covered_demand"] == 85.0
    assert not greedy["optimal"]
    assert siting["mclp"]["share_difference"] == pytest.approx(0.05)
    assert {site["name"]: site["new_demand_reached"] for site in siting["sites"]} == {
        "B": 50.0,
        "D": 40.0,
    }
    lscp, lscp_greedy = siting["lscp"]["exact"], siting["lscp"]["greedy"]
    assert lscp["n_sites"] == 2 and sorted(lscp["sites"]) == ["B", "D"] and lscp["optimal"]
    assert lscp_greedy["n_sites"] == 3
    assert siting["lscp"]["site_difference"] == 1
    assert siting["areas"] == [
        {"area_code": WARD, "demand": 100.0, "covered_before": 0.0, "covered_after": 90.0}
    ]


def test_siting_everyone_needs_three_venues(ring: Session) -> None:
    siting = services.build_siting(ring, _request(walk_min=3, k=1, share=1.0))
    assert siting["lscp"]["exact"]["n_sites"] == 3
    assert siting["lscp"]["exact"]["share_covered"] == 1.0
    assert siting["mclp"]["exact"]["sites"] == ["C"]  # 55, the best single venue


def test_siting_keeps_open_venues_and_counts_their_reach(ring: Session) -> None:
    add_venue(ring, "Ring Library", 300, 500, now=now_utc())
    ring.commit()
    siting = services.build_siting(ring, _request(walk_min=3, k=1))
    exact = siting["mclp"]["exact"]
    assert exact["covered_by_existing"] == 25.0 and exact["share_before"] == pytest.approx(0.25)
    assert exact["sites"] == ["B"] and exact["covered_demand"] == 75.0
    assert [venue["name"] for venue in siting["existing_venues"]] == ["Ring Library"]


def test_a_place_that_is_a_venue_already_is_not_a_candidate(ring: Session) -> None:
    add_venue(ring, "A (now a venue)", 200, 0, now=now_utc())
    ring.commit()
    sites = inputs.site_inputs(ring, ward_codes=[WARD])
    assert sorted(sites.candidates["name"]) == ["B", "C", "D", "E"]
    assert "already help venues" in sites.notes[0]
    siting = services.build_siting(ring, _request(walk_min=3, k=1))
    # A covers groups 1 and 2 (30); the best addition is C (3 and 4: 55).
    assert siting["mclp"]["exact"]["sites"] == ["C"]
    assert siting["mclp"]["exact"]["covered_demand"] == 85.0


def test_uploaded_candidates_join_the_stored_ones(ring: Session) -> None:
    uploaded = pd.DataFrame(
        {
            "candidate_id": ["F1"],
            "name": ["Far school"],
            "kind": ["school"],
            "x_m": [450_000.0],
            "y_m": [250_000.0],
        }
    )
    sites = inputs.site_inputs(ring, ward_codes=[WARD], uploaded=uploaded)
    assert list(sites.candidates["origin"]) == ["place"] * 5 + ["uploaded"]
    assert sites.candidates["ward_code"].iloc[-1] == WARD


def test_siting_without_a_walking_network_says_how_to_load_one(session: Session) -> None:
    store_ring_borough(session, now=now_utc())
    from app.places.models import StreetNetworkRecord

    session.query(StreetNetworkRecord).delete()
    session.commit()
    siting = services.build_siting(session, _request())
    assert not siting["available"]
    assert "geo import-osm" in siting["message"]


# ---- checking a request ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"name": "  "}, "name", "Enter a name"),
        ({"ward_codes": ()}, "wards", "Select at least one ward"),
        ({"ward_codes": ("E05999999",)}, "wards", "not one of the stored wards"),
        ({"level": "county"}, "level", "wards or neighbourhoods"),
        ({"budget_gbp": 0.5}, "budget_gbp", "between £1 and £1,000,000,000"),
        ({"budget_gbp": 2e9}, "budget_gbp", "between £1"),
        ({"walk_min": 0}, "walk_min", "between 1 and 60 minutes"),
        ({"walk_min": 61}, "walk_min", "between 1 and 60 minutes"),
        ({"k": 0}, "k", "between 1 and 50"),
        ({"k": 51}, "k", "between 1 and 50"),
        ({"k": 6}, "k", "5 or fewer: there are only 5 candidate buildings"),
        ({"share": 0.0}, "share_pct", "between 1% and 100%"),
        ({"share": 1.5}, "share_pct", "between 1% and 100%"),
        ({"online_gbp": 8.0}, "face_to_face_gbp", "more than online_gbp"),
        ({"time_limit_s": 30.0}, "k", "at most 10 seconds"),
        ({"ward_codes": (EMPTY_WARD,)}, "wards", "have no data to plan with"),
    ],
)
def test_bad_requests_are_refused_on_their_field(
    ring: Session, overrides: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(DomainError) as caught:
        services.check_request(ring, _request(**overrides))
    assert caught.value.field == field
    assert words in caught.value.message


def test_a_request_over_wards_with_no_data_stores_nothing(ring: Session) -> None:
    with pytest.raises(DomainError, match="no data to plan with"):
        services.create_scenario(
            ring, _request(ward_codes=(EMPTY_WARD,)), by_id=None, by_name=None, now=now_utc()
        )
    ring.rollback()
    assert ring.scalar(select(func.count()).select_from(Scenario)) == 0


def test_check_request_counts_the_candidates(ring: Session) -> None:
    assert services.check_request(ring, _request()) == 5


def test_create_and_save_a_scenario(ring: Session) -> None:
    now = now_utc()
    scenario = services.create_scenario(ring, _request(), by_id=None, by_name="P", now=now)
    assert scenario.status == "queued" and not scenario.saved
    assert scenario.parameters["ward_codes"] == [WARD]
    with pytest.raises(DomainError, match="Only a finished scenario"):
        services.save_scenario(ring, scenario, name="Kept", now=now)
    scenario.status = "done"
    services.save_scenario(ring, scenario, name="  Kept  ", now=now)
    assert scenario.saved and scenario.name == "Kept"
    with pytest.raises(DomainError, match="Enter a name"):
        services.save_scenario(ring, scenario, name=" ", now=now)


def test_stale_runs_are_marked_failed(ring: Session) -> None:
    now = now_utc()
    scenario = services.create_scenario(ring, _request(), by_id=None, by_name="P", now=now)
    scenario.updated_at = now - services.STALE_AFTER * 2
    ring.flush()
    assert services.mark_stale_runs(ring, now=now) == 1
    assert scenario.status == "failed" and "Start the scenario again" in (scenario.error or "")


def test_request_round_trips_through_stored_parameters() -> None:
    request = _request(uploaded_candidates=({"candidate_id": "x", "name": "X"},))
    assert services.ScenarioRequest.from_parameters(request.as_parameters()) == request


# ---- intervention settings ----------------------------------------------------------------------


def test_intervention_changes_are_checked_kept_and_reset(session: Session) -> None:
    now = now_utc()
    assert services.active_interventions(session).rule("device_loans").unit_cost_gbp == 350.0
    services.change_intervention(
        session, "device_loans", {"unit_cost_gbp": 200.0, "take_up": 0.7}, by=None, now=now
    )
    rule = services.active_interventions(session).rule("device_loans")
    assert (rule.unit_cost_gbp, rule.take_up) == (200.0, 0.7)
    with pytest.raises(DomainError) as caught:
        services.change_intervention(session, "data_sims", {"take_up": 2.0}, by=None, now=now)
    assert caught.value.field == "data_sims.take_up"
    services.reset_interventions(session, by=None, now=now)
    assert services.active_interventions(session).rule("device_loans").unit_cost_gbp == 350.0
