"""The synthetic survey: deterministic, valid, and plausibly shaped."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from core.errors import DomainError
from geo.sources.ons_tables import read_census_age, read_imd2019
from surveys.estimates import population_cells, poststratification_weights
from surveys.importing import read_responses
from surveys.questions import csv_template_columns
from surveys.scoring import score_responses
from surveys.synthetic import synthetic_responses
from tests.shared_data import SHARED_DATA


def toy_areas() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ward_code": ["E05000001", "E05000002"],
            "lsoa21_code": ["E01000001", "E01000002"],
            "age_16_24": [300, 300],
            "age_25_34": [400, 400],
            "age_35_49": [500, 500],
            "age_50_64": [400, 400],
            "age_65_plus": [400, 400],
            "imd_decile": [1, 10],
        }
    )


def test_same_seed_same_survey() -> None:
    first = synthetic_responses(toy_areas(), n=300, seed=7)
    assert first.equals(synthetic_responses(toy_areas(), n=300, seed=7))
    assert not first.equals(synthetic_responses(toy_areas(), n=300, seed=8))
    assert list(first.columns) == csv_template_columns()
    assert len(first) == 300


def test_synthetic_survey_passes_every_import_check() -> None:
    survey = synthetic_responses(toy_areas(), n=2000, seed=1)
    buffer = io.StringIO()
    survey.to_csv(buffer, index=False)
    imported = read_responses(
        buffer.getvalue().encode("utf-8"),
        known_ward_codes={"E05000001", "E05000002"},
        postcode_to_ward=lambda postcode: None,
        known_lsoa_codes={"E01000001", "E01000002"},
    )
    assert len(imported.responses) == 2000
    assert imported.responses["content_hash"].is_unique


def test_older_and_more_deprived_people_are_more_excluded() -> None:
    survey = synthetic_responses(toy_areas(), n=6000, seed=2)
    scored = score_responses(survey)
    by_age = scored.groupby("age_band", observed=True)["online"].mean()
    assert by_age["75+"] < by_age["65-74"] < by_age["35-49"]
    # The two areas differ only in deprivation (IMD decile 1 against 10).
    by_area = scored.groupby("ward_code")["online"].mean()
    assert by_area["E05000001"] < by_area["E05000002"]
    deprived = scored["ward_code"] == "E05000001"
    assert scored.loc[deprived, "eds_life"].mean() < scored.loc[~deprived, "eds_life"].mean()


@pytest.mark.realdata
def test_rutland_weighted_offline_share_is_plausible() -> None:
    ages = read_census_age(SHARED_DATA / "rutland" / "rutland_population_age_lsoa.csv")
    imd = read_imd2019(SHARED_DATA / "rutland" / "rutland_imd2019_domains_lsoa11.csv")
    # 2021 codes of unsplit LSOAs equal their 2011 codes; split children take the parent decile.
    parent = {
        "E01035102": "E01013801",
        "E01035103": "E01013801",
        "E01035104": "E01013801",
        "E01035105": "E01013808",
        "E01035106": "E01013808",
    }
    lsoa11 = ages.index.to_series().replace(parent)
    areas = ages.assign(
        ward_code=ages.index, lsoa21_code=ages.index, imd_decile=lsoa11.map(imd["imd_decile"])
    )
    survey = synthetic_responses(areas.reset_index(drop=True), n=4000, seed=11)
    scored = score_responses(survey)
    fitted = poststratification_weights(
        scored.assign(age_band=scored["age_band"].astype(object)),
        population_cells(ages, area_name="ward_code"),
        area_column="ward_code",
    )
    used = fitted.weights.notna()
    offline = np.average(~scored.loc[used, "online"], weights=fitted.weights[used])
    assert 0.06 <= offline <= 0.12


def test_bad_areas_are_refused() -> None:
    with pytest.raises(DomainError, match="imd_decile"):
        synthetic_responses(toy_areas().drop(columns="imd_decile"), n=10, seed=1)
    with pytest.raises(DomainError, match="IMD decile from 1 to 10"):
        synthetic_responses(toy_areas().assign(imd_decile=[0, 3]), n=10, seed=1)
