"""Rank comparison of modelled gaps with the real DERI v1.6 broadband component (Rutland)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo.coverage.validation import compare_with_deri, read_deri
from geo.errors import InputError
from tests.shared_data import SHARED_DATA

DERI = SHARED_DATA / "rutland" / "rutland_deri_v1.6_depahri_lsoa11.csv"


def test_reads_the_rutland_deri_file() -> None:
    deri = read_deri(DERI)
    assert len(deri) == 23 and deri.name == "broadband_comp_national"
    assert deri.index[0] == "E01013787" and deri.iloc[0] == pytest.approx(3.7835)
    assert deri.mean() == pytest.approx(3.70, abs=0.005)


def test_spearman_is_one_for_the_same_ranking_and_minus_one_for_the_reverse() -> None:
    deri = read_deri(DERI)
    same = deri / 10.0
    table, rho = compare_with_deri(same, DERI)
    assert rho == pytest.approx(1.0)
    assert len(table) == 23 and table.index.name == "lsoa11_code"
    worst = table["deri_rank"].idxmin()
    assert table.loc[worst, "modelled_rank"] == 1.0
    _, reverse = compare_with_deri(1.0 - same, DERI)
    assert reverse == pytest.approx(-1.0)


def test_only_lsoas_in_both_are_compared_and_constant_shares_give_nan() -> None:
    deri = read_deri(DERI)
    modelled = pd.Series(0.2, index=[*deri.index[:5], "E01999999"])
    table, rho = compare_with_deri(modelled, DERI)
    assert len(table) == 5 and np.isnan(rho)


def test_refusals(tmp_path: Path) -> None:
    deri = read_deri(DERI)
    with pytest.raises(InputError, match="only 2 LSOA code"):
        compare_with_deri(pd.Series(0.5, index=deri.index[:2]), DERI)
    with pytest.raises(InputError, match="from 0 to 1"):
        compare_with_deri(pd.Series(45.0, index=deri.index), DERI)
    broken = tmp_path / "deri.csv"
    broken.write_text("lsoa11_code,score\nE01013787,1\n")
    with pytest.raises(InputError, match="missing column broadband_comp_national"):
        read_deri(broken)
