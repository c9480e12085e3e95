"""Tests for surveys.interventions and surveys.targeting: rules, recommendations, budget, savings."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from core.errors import DomainError
from surveys.interventions import (
    DEFAULT_CHANNEL_COSTS,
    DEFAULT_INTERVENTIONS,
    INTERVENTION_KEYS,
    default_intervention_config,
    validate_channel_costs,
    validate_interventions,
)
from surveys.targeting import (
    AREA_COLUMNS,
    area_inputs_from_estimates,
    channel_shift_savings,
    plan_within_budget,
    recommend,
    summarise_areas,
    validate_area_inputs,
)

# ---- the hand-computed five-area example ------------------------------------------------------
#
# Three interventions, everything else switched off, take-up 100%:
#   device loans     £100 a device, 1 resident a device             -> 1 resident per £100
#   skills courses   £400 a course of 8                             -> 8 residents per £400
#   assisted digital £10 a resident, ring-fenced (funded first)
#
#   area  no device  low skills, willing  offline  unwilling
#   A     4          16                   2        0
#   B     2          8                    0        1
#   C     0          12                   1        0
#   D     3          (unknown)            0        0
#   E     0          0                    0        0
#
# Recommended: A 4 devices, 2 courses, 2 assisted; B 2 devices, 1 course, 1 assisted;
# C 2 courses (8 + 4), 1 assisted; D 3 devices (courses skipped: no estimate); E nothing.
#
# Budget £2,000.  Ring-fenced first: A £20, B £10, C £10 -> £1,960 left.  Then by residents
# per pound: full courses (8 per £400 = 0.02) A 2, B 1, C 1 -> £1,600, £360 left.  Then 0.01
# per pound: devices and C's part-used second course (4 per £400), ties by area then
# intervention: A's devices, 3 of 4 fit (£300) -> £60 left; nothing else fits.
# Spent £1,940; 4 + 32 + 3 = 39 residents reached.  No plan does better: with £1,960 the 32
# course places are the best buys, and £360 buys at most 3 more residents.
# Newly online: half of the 35 reached by courses and devices = 17.5; savings
# 17.5 x 4 x (£7.40 - £0.32) = £495.60 a year.

HAND_CONFIG: dict[str, Any] = {
    "version": "test",
    "interventions": {
        "device_loans": {
            "unit_cost_gbp": 100,
            "reach_per_unit": 1,
            "take_up": 1.0,
            "newly_online_share": 0.5,
        },
        "skills_sessions": {
            "unit_cost_gbp": 400,
            "reach_per_unit": 8,
            "take_up": 1.0,
            "newly_online_share": 0.5,
        },
        "assisted_digital": {"unit_cost_gbp": 10, "reach_per_unit": 1, "take_up": 1.0},
        "data_sims": {"enabled": False},
        "social_tariffs": {"enabled": False},
        "connectivity_works": {"enabled": False},
        "gigabit_vouchers": {"enabled": False},
        "public_wifi": {"enabled": False},
    },
}


def hand_inputs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "area_name": ["Alpha", "Bravo", "Charlie", "Delta", "Echo"],
            "adults": [100.0] * 5,
            "residents_no_device": [4.0, 2.0, 0.0, 3.0, 0.0],
            "residents_low_skills_willing": [16.0, 8.0, 12.0, np.nan, 0.0],
            "residents_offline": [2.0, 0.0, 1.0, 0.0, 0.0],
            "residents_unwilling": [0.0, 1.0, 0.0, 0.0, 0.0],
        },
        index=pd.Index(["A", "B", "C", "D", "E"], name="area_code"),
    )


def ward_inputs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "area_name": ["Riverside"],
            "adults": [3000.0],
            "population": [4000.0],
            "residents_no_device": [312.0],
            "residents_cost_barrier": [200.0],
            "residents_mobile_only": [150.0],
            "residents_low_skills_willing": [90.0],
            "residents_offline": [120.0],
            "residents_unwilling": [80.0],
            "premises": [1700.0],
            "premises_below_uso": [40.0],
            "premises_below_superfast": [700.0],
            "premises_bduk_white": [25.0],
            "notspot_share": [0.3],
            "density_per_km2": [6000.0],
        },
        index=pd.Index(["E05000001"], name="area_code"),
    )


def line(lines: pd.DataFrame, area: str, intervention: str) -> pd.Series:
    found = lines[(lines["area_code"] == area) & (lines["intervention"] == intervention)]
    assert len(found) == 1
    return found.iloc[0]


def best_value_by_brute_force(lines: pd.DataFrame, budget: float) -> float:
    """Most residents any whole-unit plan reaches within ``budget`` (dynamic programme on £10)."""
    step = 10.0
    capacity = int(budget // step)
    best = np.full(capacity + 1, -np.inf)
    best[0] = 0.0
    for row in lines.itertuples(index=False):
        options = [
            (
                int(n * row.unit_cost_gbp // step),
                min(n * row.residents_per_unit, row.residents_reached),
            )
            for n in range(int(row.units) + 1)
        ]
        nxt = np.full_like(best, -np.inf)
        for cost, value in options:
            if cost <= capacity:
                shifted = np.full_like(best, -np.inf)
                shifted[cost:] = best[: capacity + 1 - cost] + value
                nxt = np.maximum(nxt, shifted)
        best = nxt
    return float(best.max())


# ---- configuration --------------------------------------------------------------------------


def test_defaults_cover_every_intervention_with_sources() -> None:
    config = validate_interventions()
    assert tuple(rule.key for rule in config.rules) == INTERVENTION_KEYS
    assert config.version == "2026.1"
    for rule in config.rules:
        assert rule.source and rule.unit_cost_gbp > 0 and 0 < rule.take_up <= 1
    assert config.rule("assisted_digital").ring_fenced
    assert config.rule("assisted_digital").newly_online_share == 0.0
    assert not config.rule("device_loans").ring_fenced
    # The USO's £3,400 limit is a published figure; the device cost is marked as an assumption.
    assert config.rule("connectivity_works").unit_cost_gbp == 3400.0
    assert config.rule("device_loans").is_assumption
    assert config.rule("gigabit_vouchers").counts_premises
    assert not config.rule("skills_sessions").counts_premises


def test_overrides_change_only_what_is_given() -> None:
    config = validate_interventions(
        {
            "interventions": {
                "device_loans": {"unit_cost_gbp": 280},
                "public_wifi": {"enabled": False},
            }
        }
    )
    assert config.rule("device_loans").unit_cost_gbp == 280.0
    assert config.rule("device_loans").take_up == 0.5  # default kept
    assert "public_wifi" not in [rule.key for rule in config.enabled]
    assert config.version == "custom"


def test_default_config_is_a_copy() -> None:
    copy = default_intervention_config()
    copy["interventions"]["device_loans"]["unit_cost_gbp"] = 1.0
    assert DEFAULT_INTERVENTIONS["interventions"]["device_loans"]["unit_cost_gbp"] == 350.0


@pytest.mark.parametrize(
    ("config", "field", "pattern"),
    [
        ({"interventions": {"drones": {}}}, "interventions", "Unknown intervention 'drones'"),
        (
            {"interventions": {"device_loans": {"colour": "red"}}},
            "device_loans.colour",
            "unknown setting",
        ),
        (
            {"interventions": {"device_loans": {"take_up": 0}}},
            "device_loans.take_up",
            "take_up .* must be more than 0 and at most 1",
        ),
        (
            {"interventions": {"skills_sessions": {"take_up": 1.5}}},
            "skills_sessions.take_up",
            "at most 1, not 1.5",
        ),
        (
            {"interventions": {"data_sims": {"unit_cost_gbp": -5}}},
            "data_sims.unit_cost_gbp",
            "must be more than 0",
        ),
        (
            {"interventions": {"data_sims": {"unit_cost_gbp": True}}},
            "data_sims.unit_cost_gbp",
            "must be a number",
        ),
        (
            {"interventions": {"public_wifi": {"enabled": "yes"}}},
            "public_wifi.enabled",
            "true or false",
        ),
        (
            {"interventions": {"connectivity_works": {"premises_basis": "below_gigabit"}}},
            "connectivity_works.premises_basis",
            "below_uso, below_superfast",
        ),
        (
            {"interventions": {"public_wifi": {"min_notspot_share": 2}}},
            "public_wifi.min_notspot_share",
            "at most 1",
        ),
        ({"interventions": {"device_loans": {"name": " "}}}, "device_loans.name", "some text"),
        ({"rules": {}}, "interventions", "Unknown setting"),
    ],
)
def test_bad_configuration_names_the_rule_and_field(
    config: dict[str, Any], field: str, pattern: str
) -> None:
    with pytest.raises(DomainError, match=pattern) as caught:
        validate_interventions(config)
    assert caught.value.field == field


def test_channel_costs_defaults_and_validation() -> None:
    assert DEFAULT_CHANNEL_COSTS.online_gbp == 0.32
    assert DEFAULT_CHANNEL_COSTS.face_to_face_gbp == 7.40
    assert DEFAULT_CHANNEL_COSTS.saving_per_transaction_gbp == pytest.approx(7.08)
    assert "ASSUMPTION" in DEFAULT_CHANNEL_COSTS.source
    custom = validate_channel_costs(transactions_per_resident_per_year=6)
    assert custom.transactions_per_resident_per_year == 6.0
    with pytest.raises(DomainError) as caught:
        validate_channel_costs(online_gbp=-1)
    assert caught.value.field == "online_gbp"
    with pytest.raises(DomainError, match="more than online_gbp") as caught:
        validate_channel_costs(online_gbp=8.0)
    assert caught.value.field == "face_to_face_gbp"
    with pytest.raises(DomainError) as caught:
        validate_channel_costs(transactions_per_resident_per_year=400)
    assert caught.value.field == "transactions_per_resident_per_year"


def test_channel_shift_savings() -> None:
    # 10 residents x 4 transactions x £7.08.
    assert channel_shift_savings(10) == pytest.approx(283.2)
    series = pd.Series([1.0, 0.0], index=["x", "y"])
    saved = channel_shift_savings(
        series, costs=validate_channel_costs(online_gbp=0.4, face_to_face_gbp=8.4)
    )
    assert isinstance(saved, pd.Series)
    assert saved.name == "savings_per_year_gbp"
    assert saved.index.tolist() == ["x", "y"]
    assert saved.tolist() == pytest.approx([32.0, 0.0])


# ---- area inputs ------------------------------------------------------------------------------


def test_area_columns_are_documented() -> None:
    for column in ("residents_no_device", "premises_below_superfast", "notspot_share"):
        assert AREA_COLUMNS[column]


@pytest.mark.parametrize(
    ("change", "field", "pattern"),
    [
        ({"residents_no_device": [-1.0, 2.0, 0, 3, 0]}, "residents_no_device", "Area A.*negative"),
        (
            {"residents_offline": [2.0, 0, 101.0, 0, 0]},
            "residents_offline",
            "Area C.*more than adults",
        ),
        (
            {"notspot_share": [0.1, 0.2, 0.3, 25.0, 0.0]},
            "notspot_share",
            "Area D.*share from 0 to 1",
        ),
        ({"adults": [100, 100, "lots", 100, 100]}, "adults", "Area C: adults must be a number"),
    ],
)
def test_bad_area_inputs_name_the_area_and_column(
    change: dict[str, list[Any]], field: str, pattern: str
) -> None:
    inputs = hand_inputs().assign(**change)
    with pytest.raises(DomainError, match=pattern) as caught:
        validate_area_inputs(inputs)
    assert caught.value.field == field


def test_repeated_area_codes_are_refused() -> None:
    inputs = hand_inputs()
    inputs.index = pd.Index(["A", "A", "C", "D", "E"], name="area_code")
    with pytest.raises(DomainError, match="Area A appears more than once"):
        validate_area_inputs(inputs)


def test_area_code_column_is_accepted() -> None:
    clean = validate_area_inputs(hand_inputs().reset_index())
    assert clean.index.tolist() == ["A", "B", "C", "D", "E"]
    assert clean["adults"].dtype == np.float64


def test_area_inputs_from_estimates_pivots_and_maps_outcomes() -> None:
    rows = []
    for area, adults, low in (("W1", 1000.0, False), ("W2", 500.0, True)):
        for outcome, share in (
            ("barrier:access", 0.1),
            ("persona:learning_lin", 0.2),
            ("persona:offline_olive", 0.05),
        ):
            rows.append(
                {
                    "ward_code": area,
                    "outcome": outcome,
                    "residents": share * adults,
                    "adults": adults,
                    "low_sample": low,
                }
            )
    inputs = area_inputs_from_estimates(pd.DataFrame(rows), area_column="ward_code")
    assert inputs.index.tolist() == ["W1", "W2"]
    assert inputs["residents_no_device"].tolist() == [100.0, 50.0]
    assert inputs["residents_low_skills_willing"].tolist() == [200.0, 100.0]
    assert inputs["low_sample"].tolist() == [False, True]
    assert "residents_cost_barrier" not in inputs.columns  # not estimated
    lines = recommend(inputs)
    skipped = line(lines, "W1", "social_tariffs")
    assert skipped["status"] == "skipped"
    assert "residents_cost_barrier" in skipped["reason"]
    assert "small survey sample" in line(lines, "W2", "device_loans")["reason"]
    assert "small survey sample" not in line(lines, "W1", "device_loans")["reason"]


def test_area_inputs_from_estimates_needs_its_columns() -> None:
    with pytest.raises(DomainError, match="residents"):
        area_inputs_from_estimates(
            pd.DataFrame({"ward_code": [], "outcome": []}), area_column="ward_code"
        )


# ---- recommendations --------------------------------------------------------------------------


def test_recommend_hand_example() -> None:
    inputs = hand_inputs()
    lines = recommend(inputs, config=HAND_CONFIG)
    assert len(lines) == 5 * 3  # disabled interventions are left out
    devices = line(lines, "A", "device_loans")
    assert devices["status"] == "recommended"
    assert (devices["units"], devices["cost_gbp"], devices["residents_reached"]) == (4, 400.0, 4.0)
    assert devices["reason"].startswith(
        "4 residents estimated without a suitable device: 4 devices"
    )
    courses = line(lines, "C", "skills_sessions")
    assert (courses["units"], courses["cost_gbp"], courses["residents_reached"]) == (2, 800.0, 12.0)
    assert courses["need_per_1000_gbp"] == pytest.approx(15.0)
    assert "8 residents per course" in courses["reason"]
    skipped = line(lines, "D", "skills_sessions")
    assert skipped["status"] == "skipped" and skipped["units"] == 0
    assert skipped["reason"].startswith("skipped: no residents_low_skills_willing")
    assert line(lines, "E", "device_loans")["status"] == "not needed"
    assisted = line(lines, "B", "assisted_digital")
    assert assisted["ring_fenced"] and assisted["units"] == 1
    assert assisted["fact"].startswith("1 resident who cannot or will not go online")
    pd.testing.assert_frame_equal(inputs, hand_inputs())  # the input is not changed


def test_recommend_reads_like_a_councillor_brief() -> None:
    lines = recommend(ward_inputs())
    assert (lines["status"] == "recommended").all()
    summary = summarise_areas(lines)
    reasons = summary.loc["E05000001", "reasons"]
    assert reasons.startswith("312 residents estimated without a suitable device")
    assert "41% of premises below superfast" in reasons
    assert "30% of premises are 4G not-spots" in reasons
    devices = line(lines, "E05000001", "device_loans")
    # 312 x 50% take-up = 156 residents, 3 a device a year -> 52 devices at £350.
    assert (devices["units"], devices["cost_gbp"]) == (52, 18_200.0)
    assert "Device loans: 52 devices" in summary.loc["E05000001", "mix"]
    assert summary.loc["E05000001", "cost_gbp"] == pytest.approx(lines["cost_gbp"].sum())


def test_connectivity_works_leave_white_premises_to_vouchers() -> None:
    lines = recommend(ward_inputs())
    works = line(lines, "E05000001", "connectivity_works")
    # (40 below the USO - 25 White) x 50% = 7.5 -> 8 premises at £3,400, 2.4 residents each.
    assert works["eligible"] == 15.0
    assert (works["units"], works["cost_gbp"]) == (8, 27_200.0)
    assert works["residents_reached"] == pytest.approx(7.5 * 2.4)
    assert "25 BDUK White premises left to vouchers" in works["reason"]
    vouchers = line(lines, "E05000001", "gigabit_vouchers")
    assert vouchers["eligible"] == 25.0 and vouchers["units"] == 8  # 7.5 rounded up
    superfast = recommend(
        ward_inputs(),
        config={"interventions": {"connectivity_works": {"premises_basis": "below_superfast"}}},
    )
    assert line(superfast, "E05000001", "connectivity_works")["eligible"] == 700.0 - 25.0


def test_public_wifi_needs_dense_not_spots() -> None:
    sparse = ward_inputs().assign(density_per_km2=900.0)
    wifi = line(recommend(sparse), "E05000001", "public_wifi")
    assert wifi["status"] == "not needed"
    assert "900 residents per km² is below the 4,000 threshold" in wifi["reason"]
    covered = ward_inputs().assign(notspot_share=0.05)
    wifi = line(recommend(covered), "E05000001", "public_wifi")
    assert "below the 20% threshold" in wifi["reason"]
    dense = line(recommend(ward_inputs()), "E05000001", "public_wifi")
    # 4,000 x 30% not-spots x 30% take-up = 360 residents, 250 a hotspot -> 2 hotspots.
    assert (dense["units"], dense["residents_reached"]) == (2, pytest.approx(360.0))
    missing = line(
        recommend(ward_inputs().drop(columns="density_per_km2")), "E05000001", "public_wifi"
    )
    assert missing["status"] == "skipped" and "density_per_km2" in missing["reason"]


# ---- budget -----------------------------------------------------------------------------------


def test_budget_plan_matches_the_hand_computed_optimum() -> None:
    lines = recommend(hand_inputs(), config=HAND_CONFIG)
    plan = plan_within_budget(lines, budget_gbp=2000)
    funded = plan.lines[plan.lines["funded_units"] > 0]
    assert list(
        zip(funded["area_code"], funded["intervention"], funded["funded_units"], strict=True)
    ) == [
        ("A", "assisted_digital", 2),
        ("B", "assisted_digital", 1),
        ("C", "assisted_digital", 1),
        ("A", "skills_sessions", 2),
        ("B", "skills_sessions", 1),
        ("C", "skills_sessions", 1),
        ("A", "device_loans", 3),
    ]
    assert funded["rank"].tolist() == [1, 2, 3, 4, 5, 6, 7]
    assert plan.spent_gbp == 1940.0 and plan.left_gbp == 60.0
    assert plan.residents_reached == 39.0
    assert plan.ring_fenced_shortfall_gbp == 0.0
    # Ring-fenced cost comes off first; the brute-force optimum of the rest is 35.
    ranked = lines[(lines["status"] == "recommended") & ~lines["ring_fenced"]]
    assert best_value_by_brute_force(ranked, 2000 - 40) == 35.0
    assert plan.residents_reached - 4 == 35.0
    assert plan.newly_online == pytest.approx(17.5)
    assert plan.savings_per_year_gbp == pytest.approx(17.5 * 4 * 7.08)
    assert plan.by_area.loc["A", "mix"] == (
        "Assisted digital and non-digital routes: 2 residents; Digital skills courses: "
        "2 courses; Device loans: 3 devices"
    )
    assert plan.by_area.loc["D", "funded_cost_gbp"] == 0.0
    assert (plan.lines.loc[plan.lines["funded_units"] == 0, "rank"] == 0).all()


def test_budget_large_enough_funds_everything() -> None:
    lines = recommend(hand_inputs(), config=HAND_CONFIG)
    total = lines["cost_gbp"].sum()
    plan = plan_within_budget(lines, budget_gbp=3000)
    assert total == 2940.0
    assert plan.spent_gbp == total and plan.left_gbp == 60.0
    assert (plan.lines["funded_units"] == plan.lines["units"]).all()
    assert plan.residents_reached == pytest.approx(lines["residents_reached"].sum())


def test_part_used_last_unit_ranks_below_full_units() -> None:
    lines = recommend(hand_inputs(), config=HAND_CONFIG)
    # £2,040 leaves £400 after the ring-fenced and full course units: it goes to 4 devices
    # (A's, tie-broken by area), not to C's half-empty second course.
    plan = plan_within_budget(lines, budget_gbp=2040)
    assert line(plan.lines, "C", "skills_sessions")["funded_units"] == 1
    assert line(plan.lines, "A", "device_loans")["funded_units"] == 4
    assert plan.left_gbp == 0.0


def test_ring_fenced_first_even_when_the_budget_is_tiny() -> None:
    lines = recommend(hand_inputs(), config=HAND_CONFIG)
    plan = plan_within_budget(lines, budget_gbp=25)
    assert plan.lines.loc[plan.lines["funded_units"] > 0, "intervention"].unique().tolist() == [
        "assisted_digital"
    ]
    assert plan.spent_gbp == 20.0  # A's two residents; B's £10 does not fit in the £5 left
    assert plan.ring_fenced_shortfall_gbp == 20.0
    nothing = plan_within_budget(lines, budget_gbp=0)
    assert nothing.spent_gbp == 0.0 and nothing.residents_reached == 0.0
    assert nothing.ring_fenced_shortfall_gbp == 40.0


@pytest.mark.parametrize("budget", [-1.0, math.nan, math.inf, 2e9, True, "1000"])
def test_budget_out_of_range_names_the_field(budget: Any) -> None:
    lines = recommend(hand_inputs(), config=HAND_CONFIG)
    with pytest.raises(DomainError, match="budget") as caught:
        plan_within_budget(lines, budget_gbp=budget)
    assert caught.value.field == "budget_gbp"


def test_budget_needs_recommend_output() -> None:
    with pytest.raises(DomainError, match="recommend") as caught:
        plan_within_budget(pd.DataFrame({"area_code": ["A"]}), budget_gbp=100)
    assert caught.value.field == "lines"


def test_need_weight_changes_the_ranking() -> None:
    config = {
        **HAND_CONFIG,
        "interventions": {
            **HAND_CONFIG["interventions"],
            "device_loans": {**HAND_CONFIG["interventions"]["device_loans"], "need_weight": 5.0},
        },
    }
    lines = recommend(hand_inputs(), config=config)
    plan = plan_within_budget(lines, budget_gbp=940)
    # Devices now count 5 per £100 (0.05 a pound) against 8 per £400 for courses: all 9 devices
    # (A 4, B 2, D 3) come before any course; £900 + £40 ring-fenced.
    devices = plan.lines[plan.lines["intervention"] == "device_loans"]
    assert devices["funded_units"].sum() == 9
    assert (
        plan.lines.loc[plan.lines["intervention"] == "skills_sessions", "funded_units"].sum() == 0
    )
    assert plan.spent_gbp == 940.0
