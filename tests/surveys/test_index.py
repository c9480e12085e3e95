"""The exclusion-risk index: DERI scaling and weights on tiny inputs, then real data."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from core.errors import DomainError
from geo.sources.ons_tables import (
    read_census_age,
    read_deri,
    read_digital_propensity,
    read_imd2019,
    read_lsoa11_ward_lookup,
)
from surveys.index import (
    Component,
    IndexSpec,
    Indicator,
    census_ages_by_lsoa11,
    compare_with_deri,
    default_index_spec,
    exclusion_index,
    index_by_area,
    index_inputs,
    population_in_bands,
)
from tests.shared_data import SHARED_DATA

CODES = pd.Index(["L1", "L2", "L3"], name="LSOA11CD")


def spec(*components: Component) -> IndexSpec:
    return IndexSpec(tuple(components))


def test_min_max_scaling_and_reversal() -> None:
    inputs = pd.DataFrame({"old": [0.0, 0.1, 0.2], "speed_mbps": [10.0, 30.0, 110.0]}, index=CODES)
    result = exclusion_index(
        inputs,
        spec(
            Component("a", "A", 1, (Indicator("old", "Old"),)),
            Component("b", "B", 1, (Indicator("speed_mbps", "Speed", higher_is_worse=False),)),
        ),
    )
    assert result.scores["old_score"].tolist() == pytest.approx([0.0, 5.0, 10.0])
    assert result.scores["speed_mbps_score"].tolist() == pytest.approx([10.0, 8.0, 0.0])
    assert result.index.tolist() == pytest.approx([5.0, 6.5, 5.0])


def test_weights_are_shares_of_their_total() -> None:
    inputs = pd.DataFrame({"x": [0.0, 1.0], "y": [1.0, 0.0], "z": [0.0, 1.0]}, index=["A", "B"])
    result = exclusion_index(
        inputs,
        spec(
            Component("a", "A", 4, (Indicator("x", "X"),)),
            Component("b", "B", 5, (Indicator("y", "Y"),)),
            Component("c", "C", 6, (Indicator("z", "Z"),)),
        ),
    )
    # Area B scores 10 on x and z and 0 on y: (4 x 10 + 6 x 10) / 15.
    assert result.index["B"] == pytest.approx(100 / 15)
    assert result.weights["overall_weight"].tolist() == pytest.approx([4 / 15, 5 / 15, 6 / 15])
    zeroed = exclusion_index(
        inputs,
        result_spec := spec(
            Component("a", "A", 0, (Indicator("x", "X"),)),
            Component("b", "B", 1, (Indicator("y", "Y"),)),
        ),
    )
    assert zeroed.index.tolist() == [10.0, 0.0]
    assert result_spec.with_weights({"a": 3}).components[0].weight == 3


def test_reactive_min_max_over_chosen_areas_clips_outsiders() -> None:
    inputs = pd.DataFrame({"x": [0.0, 10.0, 20.0, 40.0]}, index=["A", "B", "C", "D"])
    result = exclusion_index(
        inputs, spec(Component("a", "A", 1, (Indicator("x", "X"),))), scale_over=["B", "C"]
    )
    assert result.scores["x_score"].tolist() == [0.0, 0.0, 10.0, 10.0]
    assert result.scale.loc["x", "minimum"] == 10.0


def test_constant_and_missing_indicators() -> None:
    inputs = pd.DataFrame({"x": [3.0, 3.0, 3.0], "y": [0.0, np.nan, 1.0]}, index=CODES)
    result = exclusion_index(
        inputs, spec(Component("a", "A", 1, (Indicator("x", "X"), Indicator("y", "Y"))))
    )
    assert any("same in every reference area" in note for note in result.notes)
    # L2 lacks y, so it is scored on x alone (0); L3 on both: (0 + 10) / 2.
    assert result.index.tolist() == [0.0, 0.0, 5.0]
    assert result.scores["indicators_missing"].tolist() == [0, 1, 0]


def test_bad_weights_and_columns_are_refused() -> None:
    inputs = pd.DataFrame({"x": [0.0, 1.0]}, index=["A", "B"])
    with pytest.raises(DomainError, match="whole numbers from 0 to 10"):
        exclusion_index(inputs, spec(Component("a", "A", 11, (Indicator("x", "X"),))))
    with pytest.raises(DomainError, match="no column 'y'"):
        exclusion_index(inputs, spec(Component("a", "A", 1, (Indicator("y", "Y"),))))
    with pytest.raises(DomainError, match="At least one component weight"):
        exclusion_index(inputs, spec(Component("a", "A", 0, (Indicator("x", "X"),))))
    with pytest.raises(DomainError, match="not in the inputs"):
        exclusion_index(
            inputs, spec(Component("a", "A", 1, (Indicator("x", "X"),))), scale_over=["Z"]
        )


def test_default_spec_follows_deri_and_says_what_stands_in() -> None:
    columns = [
        "share_65_plus",
        "health_rank",
        "income_rank",
        "education_rank",
        "employment_rank",
        "imd_rank",
        "dpi_score",
    ]
    default = default_index_spec(columns)
    assert [c.key for c in default.components] == ["demography", "deprivation", "digital_activity"]
    assert all(c.weight == 1 for c in default.components)
    deprivation = {i.column: i.weight for i in default.components[1].indicators}
    assert deprivation == {
        "income_rank": 1,
        "education_rank": 2,
        "employment_rank": 1,
        "imd_rank": 1,
    }
    age = default.components[0].indicators[0]
    assert (age.column, age.weight) == ("share_65_plus", 2)
    assert any("only 65+" in note for note in default.notes)
    assert any("no broadband input" in note for note in default.notes)
    full = default_index_spec(
        [
            *columns,
            "share_65_74",
            "share_75_plus",
            "share_below_30mbps",
            "share_below_uso",
            "mean_download_mbps",
        ]
    )
    assert [i.column for i in full.components[0].indicators][:2] == ["share_65_74", "share_75_plus"]
    broadband = full.components[2]
    assert broadband.key == "broadband" and len(broadband.indicators) == 3
    assert not broadband.indicators[2].higher_is_worse


def test_correlation_matrix_shows_double_counting() -> None:
    inputs = pd.DataFrame(
        {"a": [1.0, 2.0, 3.0, 4.0], "b": [2.0, 4.0, 6.0, 9.0], "c": [4.0, 1.0, 3.0, 2.0]},
        index=list("ABCD"),
    )
    result = exclusion_index(
        inputs,
        spec(*(Component(k, k, 1, (Indicator(k, k),)) for k in "abc")),
    )
    assert result.correlations.loc["a", "b"] == pytest.approx(1.0)
    assert result.correlations.loc["a", "c"] == pytest.approx(-0.4)


def test_compare_with_deri_and_population_views() -> None:
    ours = pd.Series([1.0, 2.0, 3.0, 4.0], index=list("ABCD"), name="index")
    deri = pd.DataFrame({"deri_score_national": [0.5, 0.7, 0.6, 2.0]}, index=list("ABCD"))
    table, rho = compare_with_deri(ours, deri)
    assert rho == pytest.approx(0.8)
    assert table.loc["D", "index_rank"] == 1 and table.loc["B", "rank_difference"] == 1.0
    with pytest.raises(DomainError, match="Fewer than three"):
        compare_with_deri(ours.iloc[:2], deri)
    population = pd.Series([100, 300, 600, 1000], index=list("ABCD"))
    wards = index_by_area(ours, pd.Series({"A": "W1", "B": "W1", "C": "W2", "D": "W2"}), population)
    assert wards.loc["W1", "index"] == pytest.approx((100 * 1 + 300 * 2) / 400)
    assert wards.loc["W2", "lsoas"] == 2
    bands = population_in_bands(pd.Series([1.5, 5.5, 5.0, 10.0], index=list("ABCD")), population)
    assert bands.set_index("band").loc["5-6", "share"] == pytest.approx(0.45)
    assert bands.set_index("band").loc["9-10", "population"] == 1000


def test_census_ages_follow_splits_and_merges() -> None:
    ages21 = pd.DataFrame(
        {
            "age_0_15": [1, 2, 4],
            "age_16_24": [0, 0, 0],
            "age_25_34": [0, 0, 0],
            "age_35_49": [0, 0, 0],
            "age_50_64": [0, 0, 0],
            "age_65_plus": [9, 8, 6],
            "adults": [9, 8, 6],
            "total": [10, 10, 10],
        },
        index=["N1", "N2", "N3"],
    )
    pairs = pd.DataFrame({"LSOA11CD": ["P", "P", "Q", "R"], "LSOA21CD": ["N1", "N2", "N3", "N3"]})
    result = census_ages_by_lsoa11(ages21, pairs)
    assert result.loc["P", "total"] == 20 and result.loc["P", "age_65_plus"] == 17
    assert result.loc["Q", "total"] == 5 and result.loc["R", "age_65_plus"] == 3
    with pytest.raises(DomainError, match="No census counts"):
        census_ages_by_lsoa11(ages21, pd.DataFrame({"LSOA11CD": ["P"], "LSOA21CD": ["N9"]}))


# -- real data ----------------------------------------------------------------------------------


def _hounslow_and_rutland_inputs() -> tuple[pd.DataFrame, pd.DataFrame]:
    imd = pd.concat(
        [
            read_imd2019(SHARED_DATA / "deprivation" / "imd2019_domains_target_lads.csv"),
            read_imd2019(SHARED_DATA / "rutland" / "rutland_imd2019_domains_lsoa11.csv"),
        ]
    )
    imd = imd[imd["LAD19CD"].isin(["E09000018", "E06000017"])]
    dpi = read_digital_propensity(
        SHARED_DATA / "digital_exclusion" / "digital_propensity_index_lsoa11_england_wales.csv.gz"
    )
    ages = pd.concat(
        [
            read_census_age(SHARED_DATA / "census2021" / "census2021_age6_lsoa21_target_lads.csv"),
            read_census_age(SHARED_DATA / "rutland" / "rutland_population_age_lsoa.csv"),
        ]
    )
    # Hounslow's 2021 LSOAs found inside their 2011 parents (the shipped lookup lists a split
    # 2011 LSOA once); Rutland's 2021 layer carries the parent code.
    new = gpd.read_file(SHARED_DATA / "boundaries" / "hounslow_lsoa2021.geojson").to_crs(27700)
    old = gpd.read_file(SHARED_DATA / "boundaries_2011" / "hounslow_lsoa2011.geojson").to_crs(27700)
    points = new[["LSOA21CD"]].set_geometry(new.representative_point())
    hounslow = gpd.sjoin(points, old[["LSOA11CD", "geometry"]], predicate="within")
    rutland = gpd.read_file(SHARED_DATA / "rutland" / "rutland_lsoa2021.geojson")
    pairs = pd.concat(
        [hounslow[["LSOA11CD", "LSOA21CD"]], rutland[["LSOA11CD", "LSOA21CD"]]],
        ignore_index=True,
    )
    ages11 = census_ages_by_lsoa11(ages, pairs)
    return index_inputs(imd=imd, dpi=dpi, ages=ages11), imd


@pytest.mark.realdata
def test_index_on_hounslow_and_rutland_agrees_with_deri() -> None:
    inputs, imd = _hounslow_and_rutland_inputs()
    assert len(inputs) == 142 + 23
    assert inputs["population"].sum() == pytest.approx(288_209 + 41_043)
    result = exclusion_index(inputs)
    assert result.index.between(0, 10).all()
    deri = read_deri(SHARED_DATA / "digital_exclusion" / "deri_v1.6_depahri_england_lsoa11.csv.gz")
    table, rho = compare_with_deri(result.index, deri)
    print(f"\nSpearman rho with DERI v1.6 deri_score_national: {rho:.3f} over {len(table)} LSOAs")
    print(result.correlations.round(2))
    assert len(table) == 165
    assert rho > 0
    # Within each borough too (scaled over that borough only, as DERI's per-LA view).
    for lad in ("E09000018", "E06000017"):
        codes = imd.index[imd["LAD19CD"] == lad]
        _, borough_rho = compare_with_deri(exclusion_index(inputs.loc[codes]).index, deri)
        print(f"{lad}: rho {borough_rho:.3f}")
        assert borough_rho > 0


@pytest.mark.realdata
def test_rutland_ward_index_is_population_weighted() -> None:
    inputs, imd = _hounslow_and_rutland_inputs()
    rutland = inputs.loc[imd.index[imd["LAD19CD"] == "E06000017"]]
    result = exclusion_index(rutland)
    lookup = read_lsoa11_ward_lookup(
        SHARED_DATA / "rutland" / "rutland_lsoa11_to_ward2019_lookup.csv"
    )
    wards = index_by_area(result.index, lookup["WD19CD"], rutland["population"], area_name="WD19CD")
    # Best fit by population-weighted centroid leaves Barleythorpe without an LSOA: 14 of 15.
    assert len(wards) == 14
    assert wards["population"].sum() == pytest.approx(41_043)
    assert wards["index"].between(result.index.min(), result.index.max()).all()
    bands = population_in_bands(result.index, rutland["population"])
    assert bands["share"].sum() == pytest.approx(1.0)
