"""Post-stratified area estimates: hand-computed cases, scheme fallback, intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.errors import DomainError
from surveys.estimates import (
    CENSUS_ADULT_BANDS,
    estimate_personas_and_barriers,
    estimate_shares,
    imd_band,
    population_cells,
    poststratification_weights,
    wilson_interval,
)
from surveys.personas import DEFAULT_PERSONAS, assign_personas, validate_persona_config
from surveys.scoring import score_responses
from tests.surveys.factories import frame, offline_answers, online_answers


def cells(area: str, counts: list[int], imd: str | None = None) -> pd.DataFrame:
    table = pd.DataFrame(
        {"ward_code": area, "age_band": list(CENSUS_ADULT_BANDS), "population": counts}
    )
    if imd is not None:
        table["imd_band"] = imd
    return table


def people(area: str, band: str, count: int, offline: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ward_code": area,
            "age_band": band,
            "offline": [True] * offline + [False] * (count - offline),
        }
    )


def test_hand_computed_post_stratification() -> None:
    population = cells("A", [100, 100, 100, 100, 600])
    respondents = pd.concat(
        [
            people("A", "16-24", 10, 0),
            people("A", "25-34", 10, 0),
            people("A", "35-49", 10, 0),
            people("A", "50-64", 10, 0),
            people("A", "65-74", 5, 5),
            people("A", "75+", 5, 0),
            people("A", "prefer_not", 1, 1),
        ],
        ignore_index=True,
    )
    row = estimate_shares(
        respondents, population, area_column="ward_code", outcomes=["offline"]
    ).iloc[0]
    # 65+ is 60% of adults and half of the 65+ respondents are offline: 0.6 x 0.5 = 0.30,
    # where the unweighted share is 5/50 = 0.10.
    assert row["share"] == pytest.approx(0.30)
    assert row["residents"] == pytest.approx(300.0)
    assert row["adults"] == 1000
    # Weights: 40 people at 10 and 10 people at 60; (1000^2) / (40*100 + 10*3600) = 25.
    assert row["n_effective"] == pytest.approx(25.0)
    assert row["n"] == 50 and row["n_excluded"] == 1 and row["respondents_with"] == 5
    assert row["weighting"] == "age (5 bands)"
    # Post-stratified variance: only the 65+ cell varies, s² = 0.25 x 10/9, share of adults 0.6:
    # v = 0.6² x (0.25 x 10/9) / 10 = 0.01, so the interval's effective n is 0.3 x 0.7 / 0.01 = 21.
    assert row["n_interval"] == pytest.approx(21.0)
    assert row["share_lower"] == pytest.approx(0.1663, abs=1e-4)
    assert row["share_upper"] == pytest.approx(0.4793, abs=1e-4)
    assert row["residents_lower"] == pytest.approx(166.3, abs=0.1)
    assert bool(row["low_sample"]) is False


def test_wilson_interval_known_values() -> None:
    lower, upper = wilson_interval(np.array([0.5, 0.0]), np.array([100.0, 40.0]))
    assert lower[0] == pytest.approx(0.4188, abs=1e-4)
    assert upper[0] == pytest.approx(0.5812, abs=1e-4)
    assert lower[1] == 0.0 and upper[1] == pytest.approx(0.0634, abs=1e-4)
    lower, upper = wilson_interval(np.array([0.5]), np.array([100.0]), confidence=0.95)
    assert lower[0] == pytest.approx(0.4038, abs=1e-4)


def test_schemes_collapse_where_cells_are_thin() -> None:
    population = pd.concat(
        [
            cells("B", [100, 100, 100, 100, 100]),
            cells("C", [100, 100, 100, 100, 100]),
            cells("D", [100, 100, 100, 100, 100]),
        ]
    )
    respondents = pd.concat(
        [
            people("B", "16-24", 12, 0),
            people("B", "25-34", 12, 0),
            people("B", "35-49", 6, 0),
            people("B", "50-64", 6, 0),
            people("B", "75+", 12, 6),
            people("C", "75+", 8, 2),
        ],
        ignore_index=True,
    )
    result = estimate_shares(
        respondents, population, area_column="ward_code", outcomes=["offline"]
    ).set_index("ward_code")
    assert result.loc["B", "weighting"] == "age (3 bands: 16-34, 35-64, 65+)"
    # 16-34 and 35-64 cells have 200 adults each, 65+ has 100: (100 x 0.5) / 500.
    assert result.loc["B", "share"] == pytest.approx(0.10)
    assert result.loc["C", "weighting"] == "none (unweighted)"
    assert result.loc["C", "share"] == pytest.approx(0.25)
    assert result.loc["D", "weighting"] == "no respondents"
    assert np.isnan(result.loc["D", "share"]) and result.loc["D", "n"] == 0
    assert result["low_sample"].tolist() == [False, True, True]


def test_minimum_sample_is_configurable() -> None:
    population = cells("C", [100, 100, 100, 100, 100])
    respondents = people("C", "75+", 8, 2)
    result = estimate_shares(
        respondents, population, area_column="ward_code", outcomes=["offline"], min_n=5
    )
    assert not result["low_sample"].item()


def test_deprivation_cells_are_used_where_each_has_enough_respondents() -> None:
    population = pd.concat(
        [
            cells("E", [0, 0, 0, 0, 100], "deciles 1-3"),
            cells("E", [0, 0, 0, 0, 300], "deciles 8-10"),
        ]
    )
    respondents = pd.concat(
        [
            people("E", "65-74", 10, 1).assign(imd_band="deciles 1-3"),
            people("E", "65-74", 10, 5).assign(imd_band="deciles 8-10"),
        ],
        ignore_index=True,
    )
    row = estimate_shares(respondents, population, area_column="ward_code", outcomes=["offline"])
    assert row["weighting"].item() == "age (5 bands) x IMD band"
    assert row["share"].item() == pytest.approx((100 * 0.1 + 300 * 0.5) / 400)
    # Without the deprivation bands the same people give the age-only answer 6/20.
    age_only = estimate_shares(
        respondents.drop(columns="imd_band"),
        population.groupby(["ward_code", "age_band"], as_index=False)["population"].sum(),
        area_column="ward_code",
        outcomes=["offline"],
    )
    assert age_only["weighting"].item() == "age (5 bands)"
    assert age_only["share"].item() == pytest.approx(0.30)


def test_weights_add_up_to_the_adult_population() -> None:
    population = pd.concat([cells("A", [50, 60, 70, 80, 90]), cells("B", [10, 20, 30, 40, 50])])
    rng = np.random.default_rng(3)
    bands = rng.choice(["16-24", "25-34", "35-49", "50-64", "65-74", "75+"], size=400)
    respondents = pd.DataFrame({"ward_code": rng.choice(["A", "B"], size=400), "age_band": bands})
    fitted = poststratification_weights(respondents, population, area_column="ward_code")
    totals = fitted.weights.groupby(respondents["ward_code"]).sum()
    assert totals.to_dict() == pytest.approx({"A": 350.0, "B": 150.0})


def _coverage(seed: int, per_area: int, share_of_band: list[float], mix: list[float]) -> float:
    """Share of 1,000 simulated areas whose 90% interval holds the true share."""
    rng = np.random.default_rng(seed)
    n_areas = 1000
    shares = np.array(share_of_band)
    population_by_band = np.array([2000, 2000, 2500, 2500, 3000])
    truth = float((population_by_band * shares).sum() / population_by_band.sum())
    band_index = rng.choice(5, size=n_areas * per_area, p=np.array(mix))
    respondents = pd.DataFrame(
        {
            "ward_code": np.repeat(np.arange(n_areas), per_area).astype(str),
            "age_band": np.array(["16-24", "25-34", "35-49", "50-64", "75+"])[band_index],
            "offline": rng.random(band_index.size) < shares[band_index],
        }
    )
    population = pd.DataFrame(
        {
            "ward_code": np.repeat(np.arange(n_areas).astype(str), 5),
            "age_band": np.tile(CENSUS_ADULT_BANDS, n_areas),
            "population": np.tile(population_by_band, n_areas),
        }
    )
    result = estimate_shares(
        respondents, population, area_column="ward_code", outcomes=["offline"], min_cell_n=5
    )
    covered = (result["share_lower"] <= truth) & (truth <= result["share_upper"])
    return float(covered.mean())


def test_intervals_cover_the_truth_about_90_percent_of_the_time() -> None:
    representative = [0.2, 0.2, 0.2, 0.2, 0.2]
    assert 0.87 <= _coverage(1, 80, [0.02, 0.03, 0.05, 0.10, 0.30], representative) <= 0.93
    assert 0.87 <= _coverage(2, 40, [0.1] * 5, [0.08, 0.12, 0.2, 0.25, 0.35]) <= 0.93


def test_intervals_are_conservative_when_age_explains_the_outcome() -> None:
    # Older people are over-sampled and far more often offline: the cap at the sample size
    # keeps the interval at least as wide as a simple random sample's.
    older = [0.08, 0.12, 0.2, 0.25, 0.35]
    assert 0.90 <= _coverage(3, 80, [0.02, 0.03, 0.05, 0.10, 0.30], older) <= 0.98


def test_unknown_areas_and_bands_are_refused() -> None:
    population = cells("A", [1, 1, 1, 1, 1])
    with pytest.raises(DomainError, match="no census population"):
        estimate_shares(
            people("Z", "16-24", 3, 1), population, area_column="ward_code", outcomes=["offline"]
        )
    with pytest.raises(DomainError, match="no outcome column"):
        estimate_shares(
            people("A", "16-24", 3, 1), population, area_column="ward_code", outcomes=["cost"]
        )
    bad = population.assign(age_band="65-74")
    with pytest.raises(DomainError, match="Unknown census age band"):
        estimate_shares(
            people("A", "16-24", 3, 1), bad, area_column="ward_code", outcomes=["offline"]
        )


def test_imd_bands_from_deciles() -> None:
    bands = imd_band(pd.Series([1, 3, 4, 7, 8, 10, None], index=list("abcdefg")))
    assert bands.tolist()[:6] == [
        "deciles 1-3",
        "deciles 1-3",
        "deciles 4-7",
        "deciles 4-7",
        "deciles 8-10",
        "deciles 8-10",
    ]
    assert bands.iloc[6] is None


def test_population_cells_aggregate_lsoas_to_wards() -> None:
    ages = pd.DataFrame(
        {
            "age_16_24": [1, 2, 4],
            "age_25_34": [10, 20, 40],
            "age_35_49": [0, 0, 0],
            "age_50_64": [5, 5, 5],
            "age_65_plus": [7, 0, 1],
        },
        index=pd.Index(["L1", "L2", "L3"], name="LSOA21CD"),
    )
    ward_of = pd.Series({"L1": "W1", "L2": "W1", "L3": "W2"})
    table = population_cells(ages, area_of=ward_of, area_name="ward_code")
    by_cell = table.set_index(["ward_code", "age_band"])["population"]
    assert by_cell[("W1", "25-34")] == 30 and by_cell[("W2", "65+")] == 1
    crossed = population_cells(
        ages, area_of=ward_of, imd_band_of=pd.Series({"L1": "x", "L2": "y", "L3": "x"})
    )
    assert len(crossed) == 15
    with pytest.raises(DomainError, match="No area for LSOA"):
        population_cells(ages, area_of=ward_of.drop("L3"))


def test_personas_and_barriers_end_to_end() -> None:
    rows = [online_answers(ward_code="W1", age_band="35-49") for _ in range(6)]
    rows += [offline_answers(ward_code="W1", age_band="75+", barrier_cost="yes") for _ in range(4)]
    scored = score_responses(frame(rows))
    personas = assign_personas(scored)
    population = cells("W1", [0, 0, 600, 0, 400])
    keys = validate_persona_config(DEFAULT_PERSONAS).keys
    result = estimate_personas_and_barriers(
        scored, personas, population, area_column="ward_code", persona_keys=keys, min_cell_n=1
    ).set_index("outcome")
    assert result.loc["persona:offline_olive", "share"] == pytest.approx(0.4)
    assert result.loc["persona:techy_terry", "residents"] == pytest.approx(600.0)
    assert result.loc["barrier:cost", "residents"] == pytest.approx(400.0)
    assert result.loc["barrier:any", "share"] == pytest.approx(0.4)
    persona_rows = result.loc[[f"persona:{key}" for key in keys], "share"]
    assert persona_rows.sum() == pytest.approx(1.0)
