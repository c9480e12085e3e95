"""Ofcom Connected Nations readers (fixed coverage, per-address mobile ratings) and comparison."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from geo.errors import InputError
from geo.sources.ofcom import (
    compare_modelled_reported,
    mobile_rating_flags,
    read_fixed_coverage,
    read_mobile_ratings,
)

POSTCODE_CSV = (
    "postcode,postcode_space,postcode area,All Premises,SFBB availability (% premises),"
    "Full Fibre availability (% premises),Gigabit availability (% premises),"
    "% of premises unable to receive 10Mbit/s,% of premises unable to receive 30Mbit/s,"
    "% of premises below the USO,Number of premises with SFBB availability\n"
    "LE156QR,LE15 6QR,LE,12,100,25,25,0,0,0,12\n"
    "le157dj,LE15 7DJ,LE,4,50,,0,25,50,25,2\n"
)


def test_reads_published_postcode_headers() -> None:
    table = read_fixed_coverage(
        io.StringIO(POSTCODE_CSV), source="202307_fixed_postcode_coverage_r01.csv"
    )
    assert table.index.tolist() == ["LE156QR", "LE157DJ"]
    assert table.attrs["area_type"] == "postcode"
    assert table.loc["LE157DJ", "sfbb_availability_pct"] == 50.0
    assert np.isnan(table.loc["LE157DJ", "full_fibre_availability_pct"])
    assert table.loc["LE157DJ", "unable_30_mbps_pct"] == 50.0
    assert table.loc["LE156QR", "all_premises"] == 12.0
    assert "Number of premises with SFBB availability" not in table.columns
    assert set(table.columns) == {
        "all_premises", "sfbb_availability_pct", "full_fibre_availability_pct",
        "gigabit_availability_pct", "unable_10_mbps_pct", "unable_30_mbps_pct", "below_uso_pct",
    }  # fmt: skip


def test_header_matching_ignores_case_spacing_and_underscores() -> None:
    text = "OA21CD, sfbb_availability  (% PREMISES) ,UFBB (100Mbit/s) availability (% premises)\nE00000001,80,10\n"
    table = read_fixed_coverage(io.StringIO(text))
    assert table.attrs["area_type"] == "output_area"
    assert table.loc["E00000001"].tolist() == [80.0, 10.0]
    assert table.columns.tolist() == ["sfbb_availability_pct", "ufbb100_availability_pct"]


@pytest.mark.parametrize(
    ("csv", "message"),
    [
        ("name,SFBB availability (% premises)\nx,1\n", "no area column"),
        ("postcode,Mystery\nLE156QR,1\n", "no recognised coverage column"),
        (
            "postcode,SFBB availability (% premises)\nLE156QR,101\n",
            r"row 1, column SFBB.*outside 0–100",
        ),
        ("postcode,SFBB availability (% premises)\nLE156QR,n/a\n", r"row 1, column .*not a number"),
        (
            "postcode,SFBB availability (% premises)\nLE156QR,1\nLE15 6QR,2\n",
            r"row 2.*appears twice",
        ),
        ("postcode,SFBB availability (% premises)\nNOTAPOSTCODE,1\n", r"row 1.*not a UK postcode"),
        ("laua,All Premises\nE06000017,-4\n", "must not be negative"),
    ],
)
def test_fixed_coverage_refusals(csv, message) -> None:
    with pytest.raises(InputError, match=message):
        read_fixed_coverage(io.StringIO(csv), source="cn.csv")


RATINGS_CSV = (
    "UPRN,AddressShortDescription,EEDataIndoor,H3DataIndoor,TFDataIndoor,VODataIndoor,ee_voice_outdoor_no4g\n"
    "100,1 High St,4,3,0,4,4\n"
    "101,2 High St,4,4,4,4,\n"
    "102,3 High St,0,0,3,,0\n"
)


def test_reads_mobile_ratings_as_an_enum() -> None:
    ratings = read_mobile_ratings(io.StringIO(RATINGS_CSV))
    assert ratings.index.tolist() == ["100", "101", "102"]
    assert sorted(ratings.columns) == [
        "EE_data_indoor", "EE_voice_outdoor_no4g", "H3_data_indoor", "TF_data_indoor", "VO_data_indoor",
    ]  # fmt: skip
    assert str(ratings["EE_data_indoor"].dtype) == "Int8"
    assert ratings["VO_data_indoor"].isna().tolist() == [False, False, True]


def test_rating_flags_count_levels_never_averages() -> None:
    ratings = read_mobile_ratings(io.StringIO(RATINGS_CSV))
    likely = mobile_rating_flags(ratings)
    assert likely["EE"].tolist() == [True, True, False]
    assert likely["any_operator"].tolist() == [True, True, False]
    assert likely["all_operators"].tolist() == [False, True, False]
    limited = mobile_rating_flags(ratings, minimum=3)
    assert limited["H3"].tolist() == [True, True, False]
    assert limited["any_operator"].tolist() == [True, True, True]
    voice = mobile_rating_flags(ratings, service="voice", location="outdoor", no4g=True)
    assert voice.columns.tolist() == ["EE", "any_operator", "all_operators"]
    with pytest.raises(InputError, match="no rating columns"):
        mobile_rating_flags(ratings, service="voice", location="indoor")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2", "retired value"),
        ("1", "retired value"),
        ("5", "must be 0, 3 or 4"),
        ("x", "must be 0, 3 or 4"),
    ],
)
def test_retired_and_unknown_ratings_are_refused(value, message) -> None:
    text = f"UPRN,EEDataIndoor,VODataOutdoor\n100,4,4\n101,4,{value}\n"
    with pytest.raises(InputError, match=rf"ratings.csv, row 2, column VODataOutdoor: .*{message}"):
        read_mobile_ratings(io.StringIO(text), source="ratings.csv")


def test_ratings_need_uprn_and_rating_columns() -> None:
    with pytest.raises(InputError, match="no UPRN column"):
        read_mobile_ratings(io.StringIO("EEDataIndoor\n4\n"))
    with pytest.raises(InputError, match="no rating column"):
        read_mobile_ratings(io.StringIO("UPRN,Signal\n1,4\n"))
    with pytest.raises(InputError, match="empty or repeated"):
        read_mobile_ratings(io.StringIO("UPRN,EEDataIndoor\n1,4\n1,3\n"))


def test_compare_modelled_with_reported() -> None:
    modelled = pd.Series({"A": 0.10, "B": 0.50, "C": 0.0}, name="share_below_30")
    reported = pd.Series({"A": 20.0, "B": 50.0, "D": 5.0})
    table = compare_modelled_reported(modelled, reported, reported_scale=0.01)
    assert table.index.tolist() == ["A", "B", "C", "D"]
    assert table.loc["A", "difference"] == pytest.approx(-0.10)
    assert table.loc["B", "abs_difference"] == pytest.approx(0.0)
    assert table["in_both"].tolist() == [True, True, False, False]
    assert np.isnan(table.loc["C", "reported"]) and np.isnan(table.loc["D", "difference"])
    with pytest.raises(InputError, match="repeated area codes"):
        compare_modelled_reported(pd.Series([1.0, 2.0], index=["A", "A"]), reported)
