"""Area aggregates: population-weighted shares, USO counts and ranked coverage gaps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.coverage.aggregate import coverage_table, rank_coverage_gaps, summarise_by_area
from geo.errors import InputError


def premises() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "LSOA21CD": ["A", "A", "A", "B", "B", "C"],
            "WD23CD": ["W1", "W1", "W1", "W1", "W1", "W2"],
            "residents": [2, 3, 0, 4, 1, 2],
            "tier": ["below_uso", "superfast", "gigabit", "decent", "below_uso", "superfast"],
            "good_4g_indoor_any": [False, True, False, True, False, False],
            "within_wifi_reach": [True, False, False, False, False, True],
        },
        index=pd.Index([101, 102, 103, 104, 105, 106], name="uprn"),
    )


def test_population_weighted_shares_by_area() -> None:
    summary = summarise_by_area(premises(), "LSOA21CD")
    a, b = summary.loc["A"], summary.loc["B"]
    assert summary.index.name == "LSOA21CD" and summary.index.tolist() == ["A", "B", "C"]
    assert (a["premises"], a["residents"]) == (3, 5)
    assert a["share_below_uso"] == pytest.approx(0.4)
    assert a["share_superfast"] == pytest.approx(0.6)
    assert a["share_gigabit"] == 0.0  # the gigabit premises has no residents
    assert a["premises_share_gigabit"] == pytest.approx(1 / 3)
    assert a["share_below_superfast"] == pytest.approx(0.4)
    assert a["premises_share_below_superfast"] == pytest.approx(1 / 3)
    assert a["share_good_4g_indoor_any"] == pytest.approx(0.6)
    assert a["share_within_wifi_reach"] == pytest.approx(0.4)
    assert b["share_decent"] == pytest.approx(0.8) and b["share_below_superfast"] == pytest.approx(
        1.0
    )
    assert (b["premises_below_uso"], b["residents_below_uso"]) == (1, 1)
    shares = [c for c in summary.columns if c.startswith("share_") and c[6:] in
              ("below_uso", "decent", "superfast", "ultrafast", "gigabit")]  # fmt: skip
    np.testing.assert_allclose(summary[shares].sum(axis=1), 1.0)


def test_area_without_residents_has_no_weighted_share_and_wards_work_too() -> None:
    table = premises()
    table.loc[106, "residents"] = 0
    summary = summarise_by_area(table, "LSOA21CD")
    assert np.isnan(summary.loc["C", "share_superfast"])
    assert summary.loc["C", "premises_share_superfast"] == 1.0
    wards = summarise_by_area(premises(), "WD23CD", indicators=["within_wifi_reach"])
    assert wards.loc["W1", "residents"] == 10
    assert wards.loc["W1", "share_within_wifi_reach"] == pytest.approx(0.2)
    assert "share_good_4g_indoor_any" not in wards.columns


def test_ranked_gaps_by_residents_affected() -> None:
    gaps = rank_coverage_gaps(premises(), "LSOA21CD")
    # A: 101 (both gaps) and 103 (no indoor 4G, 0 residents); C: 106 (2 residents); B: 105.
    assert gaps.index.tolist() == ["A", "C", "B"]
    assert gaps["rank"].tolist() == [1, 2, 3]
    assert gaps.loc["A", ["premises_affected", "residents_affected"]].tolist() == [2, 2]
    assert gaps.loc["C", ["premises_affected", "residents_affected"]].tolist() == [1, 2]
    assert gaps.loc["A", "premises_below_uso"] == 1 and gaps.loc["A", "residents_no_indoor_4g"] == 2
    assert gaps.loc["B", "share_residents_affected"] == pytest.approx(0.2)
    assert rank_coverage_gaps(premises(), "LSOA21CD", top=1).index.tolist() == ["A"]


def test_custom_gap_definition() -> None:
    table = premises()
    no_wifi = ~table["within_wifi_reach"]
    gaps = rank_coverage_gaps(table, "WD23CD", gaps={"no_wifi": no_wifi})
    assert gaps.index.tolist() == ["W1"]
    assert gaps.loc["W1", "residents_no_wifi"] == 8
    with pytest.raises(InputError, match="indexed like the premises"):
        rank_coverage_gaps(table, "WD23CD", gaps={"no_wifi": no_wifi.reset_index(drop=True)})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"residents": -1}, r"premises, row 2, column residents: residents must be 0 or more"),
        ({"residents": None}, r"row 2, column residents"),
        ({"LSOA21CD": None}, r"row 2, column LSOA21CD: premises has no area code"),
        ({"tier": "fast"}, r"row 2, column tier: tier must be one of"),
        ({"good_4g_indoor_any": None}, r"row 2, column good_4g_indoor_any"),
    ],
)
def test_bad_premises_tables_are_refused(change, message) -> None:
    table = premises().astype(object)
    for column, value in change.items():
        table.loc[102, column] = value
    with pytest.raises(InputError, match=message):
        summarise_by_area(table, "LSOA21CD")


def test_coverage_table_joins_outputs_on_the_premises_index() -> None:
    base = premises()[["LSOA21CD", "residents"]]
    fixed = pd.DataFrame({"tier": premises()["tier"], "residents": 99}, index=base.index)
    joined = coverage_table(base, fixed=fixed)
    assert joined.columns.tolist() == ["LSOA21CD", "residents", "tier"]
    assert joined["residents"].tolist() == base["residents"].tolist()
    with pytest.raises(InputError, match="not indexed like the premises"):
        coverage_table(base, wifi=fixed.reset_index(drop=True))
    with pytest.raises(InputError, match="missing area column"):
        summarise_by_area(joined, "WD23CD")
