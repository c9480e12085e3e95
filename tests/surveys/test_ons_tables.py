"""Readers of the ONS/MHCLG tables: facts from the shared data README, and bad input."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from geo.errors import InputError
from geo.sources.ons_tables import (
    AGE_COLUMNS,
    read_census_age,
    read_deri,
    read_digital_propensity,
    read_imd2019,
    read_lsoa11_lsoa21_lookup,
    read_lsoa11_ward_lookup,
    read_lsoa21_lad23_lookup,
    read_rural_urban,
)
from tests.shared_data import SHARED_DATA

CENSUS = SHARED_DATA / "census2021"
RUTLAND = SHARED_DATA / "rutland"
EXCLUSION = SHARED_DATA / "digital_exclusion"


@pytest.mark.realdata
def test_rutland_census_ages() -> None:
    ages = read_census_age(RUTLAND / "rutland_population_age_lsoa.csv")
    assert ages.index.name == "LSOA21CD" and len(ages) == 26
    assert ages["total"].sum() == 41_043
    assert ages[list(AGE_COLUMNS)].sum().tolist() == [6_748, 4_011, 4_323, 7_008, 8_568, 10_385]
    assert ages["adults"].sum() == 41_043 - 6_748


@pytest.mark.realdata
def test_long_and_wide_census_files_agree() -> None:
    long = read_census_age(CENSUS / "census2021_age6_lsoa21_target_lads.csv")
    wide = read_census_age(CENSUS / "census2021_age6_lsoa21_target_lads_wide.csv")
    pd.testing.assert_frame_equal(long, wide, check_like=True)
    totals = wide.groupby("LAD23CD")["total"].sum()
    assert totals.to_dict() == {
        "E07000085": 125_724,
        "E07000090": 124_214,
        "E09000017": 305_899,
        "E09000018": 288_209,
    }


@pytest.mark.realdata
def test_imd_2019_file_2_and_extracts() -> None:
    national = read_imd2019(
        SHARED_DATA / "deprivation" / "File_2_-_IoD2019_Domains_of_Deprivation.csv.gz"
    )
    assert len(national) == 32_844
    assert national["imd_rank"].min() == 1 and national["imd_rank"].max() == 32_844
    assert national.index.is_unique
    rutland = read_imd2019(RUTLAND / "rutland_imd2019_domains_lsoa11.csv")
    assert len(rutland) == 23
    assert rutland["imd_decile"].value_counts().to_dict() == {5: 1, 6: 2, 7: 3, 8: 5, 9: 3, 10: 9}
    pd.testing.assert_frame_equal(rutland, national.loc[rutland.index])
    target = read_imd2019(SHARED_DATA / "deprivation" / "imd2019_domains_target_lads.csv")
    assert target.groupby("LAD19CD").size().to_dict() == {
        "E07000085": 72,
        "E07000090": 78,
        "E09000017": 161,
        "E09000018": 142,
    }
    assert "population_2015" in target.columns and "population_2015" not in rutland.columns
    common = [c for c in rutland.columns if c.endswith(("_rank", "_decile"))]
    pd.testing.assert_frame_equal(target[common], national.loc[target.index, common])


@pytest.mark.realdata
def test_deri_scores() -> None:
    national = read_deri(EXCLUSION / "deri_v1.6_depahri_england_lsoa11.csv.gz")
    assert len(national) == 32_844
    rutland = read_deri(RUTLAND / "rutland_deri_v1.6_depahri_lsoa11.csv")
    assert len(rutland) == 23
    assert round(rutland["deri_broadband"].mean(), 2) == 3.70
    assert round(rutland["deri_score"].mean(), 2) == 2.79
    target = read_deri(EXCLUSION / "deri_v1.6_depahri_lsoa11_target_lads.csv")
    means = target.groupby("LAD19NM")["deri_broadband"].mean().round(2).to_dict()
    assert means == {"East Hampshire": 3.69, "Havant": 3.36, "Hillingdon": 3.44, "Hounslow": 3.41}


@pytest.mark.realdata
def test_digital_propensity_index() -> None:
    national = read_digital_propensity(
        EXCLUSION / "digital_propensity_index_lsoa11_england_wales.csv.gz"
    )
    assert len(national) == 34_753
    assert national["dpi_score"].min() == 74.8 and national["dpi_score"].max() == 100.0
    assert national.index.str.startswith("W01").any()
    rutland = read_digital_propensity(RUTLAND / "rutland_digital_propensity_index_lsoa11.csv")
    assert len(rutland) == 23
    assert round(rutland["dpi_score"].mean(), 1) == 94.0
    assert (rutland["dpi_score"].min(), rutland["dpi_score"].max()) == (91.8, 96.2)
    target = read_digital_propensity(EXCLUSION / "digital_propensity_index_lsoa11_target_lads.csv")
    assert round(target.groupby("lad_name")["dpi_score"].mean(), 1).to_dict() == {
        "East Hampshire": 94.6,
        "Havant": 93.4,
        "Hillingdon": 95.4,
        "Hounslow": 96.5,
    }


@pytest.mark.realdata
def test_lookups() -> None:
    lookups = SHARED_DATA / "lookups"
    lsoa = read_lsoa11_lsoa21_lookup(lookups / "lsoa11_to_lsoa21_to_lad22_target_lads.csv")
    assert len(lsoa) == 453 and lsoa.index.name == "LSOA11CD"
    assert (lsoa["LAD22CD"] == "E09000018").sum() == 142
    lad = read_lsoa21_lad23_lookup(lookups / "lsoa21_to_lad23_target_lads.csv")
    assert len(lad) == 473 and lad.index.is_unique
    ruc = read_rural_urban(lookups / "rural_urban_class2011_lsoa11_target_lads.csv")
    assert len(ruc) == 453 and set(ruc["RUC11CD"]) <= {
        "A1",
        "B1",
        "C1",
        "C2",
        "D1",
        "D2",
        "E1",
        "E2",
    }
    wards = read_lsoa11_ward_lookup(RUTLAND / "rutland_lsoa11_to_ward2019_lookup.csv")
    assert len(wards) == 23 and wards["WD19CD"].nunique() == 14
    assert list(wards.columns) == ["LSOA11NM", "WD19CD", "WD19NM", "LAD19CD", "LAD19NM"]


# -- bad input ----------------------------------------------------------------------------------


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_column_names_file_and_column(tmp_path: Path) -> None:
    path = _write(tmp_path / "dpi.csv", "LSOAcode,Region\nE01000001,London\n")
    with pytest.raises(InputError) as caught:
        read_digital_propensity(path)
    assert caught.value.source == "dpi.csv" and caught.value.column == "Score"
    assert str(caught.value).startswith("dpi.csv, column Score: lacks the column 'Score'")


def test_bad_number_names_the_row(tmp_path: Path) -> None:
    path = _write(tmp_path / "dpi.csv", "LSOAcode,Score\nE01000001,95.1\nE01000002,high\n")
    with pytest.raises(InputError) as caught:
        read_digital_propensity(path)
    assert (caught.value.row, caught.value.column) == (3, "Score")
    assert "'high' is not a number" in caught.value.message


def test_out_of_range_and_bad_codes_are_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "dpi.csv", "LSOAcode,Score\nE01000001,101\n")
    with pytest.raises(InputError, match="outside"):
        read_digital_propensity(path)
    path = _write(tmp_path / "dpi.csv", "LSOAcode,Score\nE02000001,90\n")
    with pytest.raises(InputError, match="not an ONS LSOA code"):
        read_digital_propensity(path)
    path = _write(tmp_path / "dpi.csv", "LSOAcode,Score\nE01000001,90\nE01000001,91\n")
    with pytest.raises(InputError, match="appears more than once") as caught:
        read_digital_propensity(path)
    assert caught.value.row == 3


def test_census_total_must_match_bands(tmp_path: Path) -> None:
    header = (
        "lsoa21_code,Aged 15 years and under,Aged 16 to 24 years,Aged 25 to 34 years,"
        "Aged 35 to 49 years,Aged 50 to 64 years,Aged 65 years and over,total\n"
    )
    path = _write(tmp_path / "ages.csv", header + "E01000001,1,1,1,1,1,1,7\n")
    with pytest.raises(InputError, match="not the sum of the age bands") as caught:
        read_census_age(path)
    assert (caught.value.row, caught.value.column) == (2, "total")


def test_long_census_file_needs_every_band(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "long.csv",
        "lsoa21_code,age_group,usual_residents\nE01000001,Aged 16 to 24 years,5\n",
    )
    with pytest.raises(InputError, match="lacks one or more of the six age groups"):
        read_census_age(path)
    path = _write(
        tmp_path / "long.csv", "lsoa21_code,age_group,usual_residents\nE01000001,Adults,5\n"
    )
    with pytest.raises(InputError, match="unknown age group 'Adults'") as caught:
        read_census_age(path)
    assert caught.value.row == 2


def test_gzip_and_bom_are_read(tmp_path: Path) -> None:
    text = "\ufeffLSOAcode,Score\nE01000001,95.5\n"
    path = tmp_path / "dpi.csv.gz"
    path.write_bytes(gzip.compress(text.encode("utf-8")))
    assert read_digital_propensity(path)["dpi_score"].item() == 95.5


def test_missing_file_and_wrong_type(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_deri(tmp_path / "absent.csv")
    path = _write(tmp_path / "scores.txt", "x\n")
    with pytest.raises(InputError, match="not a CSV file"):
        read_deri(path)
