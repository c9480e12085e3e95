"""Check modelled fixed-broadband gaps against an independent published index (DERI v1.6).

The Digital Exclusion Risk Index v1.6 (Greater Manchester Combined Authority, 2022) has a
broadband component per LSOA 2011 (``broadband_comp_national``, 0–10, higher = worse) built from
Ofcom Connected Nations May 2022 output-area data (homes unable to get 10 / 30 Mbit/s and average
download speed).  A sound fixed model should rank LSOAs similarly: :func:`compare_with_deri`
reports the Spearman rank correlation between the modelled share of premises unable to get
30 Mbit/s and that component.  It is a check, never a calibration target: do not tune curves or
factors to raise the correlation.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from geo.errors import InputError

__all__ = ["DERI_BROADBAND_COLUMN", "DERI_CODE_COLUMN", "compare_with_deri", "read_deri"]

DERI_CODE_COLUMN = "lsoa11_code"
DERI_BROADBAND_COLUMN = "broadband_comp_national"


def read_deri(deri_csv_path: str | os.PathLike[str]) -> pd.Series:
    """The DERI v1.6 national broadband component per LSOA 2011 code.

    Parameters
    ----------
    deri_csv_path:
        CSV (optionally gzipped) with ``lsoa11_code`` and ``broadband_comp_national``
        (the DEPAHRI export of DERI v1.6).

    Returns
    -------
    pandas.Series
        Named ``broadband_comp_national``, indexed by ``lsoa11_code``.
    """
    file = Path(deri_csv_path)
    try:
        table = pd.read_csv(file, dtype={DERI_CODE_COLUMN: str})
    except (OSError, ValueError) as error:
        raise InputError(f"cannot read the DERI CSV: {error}", source=file.name) from None
    for column in (DERI_CODE_COLUMN, DERI_BROADBAND_COLUMN):
        if column not in table.columns:
            raise InputError(
                f"missing column {column}; is this the DERI v1.6 LSOA file?", source=file.name
            )
    values = pd.to_numeric(table[DERI_BROADBAND_COLUMN], errors="coerce")
    bad = values.isna().to_numpy() | (values < 0).to_numpy() | (values > 10).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(
            "broadband component must be a number from 0 to 10",
            source=file.name,
            row=row + 1,
            column=DERI_BROADBAND_COLUMN,
        )
    codes = table[DERI_CODE_COLUMN].str.strip()
    if codes.duplicated().any():
        row = int(np.flatnonzero(codes.duplicated().to_numpy())[0])
        raise InputError(
            "LSOA code repeats", source=file.name, row=row + 1, column=DERI_CODE_COLUMN
        )
    return pd.Series(
        values.to_numpy(dtype=np.float64),
        index=pd.Index(codes.to_numpy(dtype=object), name=DERI_CODE_COLUMN),
        name=DERI_BROADBAND_COLUMN,
    )


def compare_with_deri(
    modelled_share_below_30_by_lsoa11: pd.Series,
    deri_csv_path: str | os.PathLike[str],
) -> tuple[pd.DataFrame, float]:
    """Rank-compare the modelled share unable to get 30 Mbit/s with DERI's broadband component.

    Parameters
    ----------
    modelled_share_below_30_by_lsoa11:
        Modelled share (0–1) of premises unable to get 30 Mbit/s, indexed by LSOA 2011 code
        (e.g. ``premises_share_below_superfast`` of
        :func:`geo.coverage.aggregate.summarise_by_area` on ``LSOA11CD``).
    deri_csv_path:
        The DERI v1.6 LSOA CSV (see :func:`read_deri`).

    Returns
    -------
    (pandas.DataFrame, float)
        The table of LSOAs in both inputs, indexed by ``lsoa11_code`` (sorted):
        ``modelled_share_below_30``, ``broadband_comp_national`` and their ranks
        (``modelled_rank``, ``deri_rank``; 1 = worst served, average ranks for ties); and
        Spearman's rho (NaN when either side is constant, so no ranking exists).

    Raises
    ------
    geo.errors.InputError
        Shares outside 0–1, or fewer than 3 LSOAs in common (no meaningful correlation).
    """
    modelled = modelled_share_below_30_by_lsoa11
    if not isinstance(modelled, pd.Series) or not modelled.index.is_unique:
        raise InputError("modelled shares must be a Series indexed by unique LSOA 2011 codes")
    shares = pd.to_numeric(modelled, errors="coerce").astype(np.float64)
    if shares.isna().any() or ((shares < 0) | (shares > 1)).any():
        raise InputError("modelled shares must be numbers from 0 to 1 (not percentages)")
    deri = read_deri(deri_csv_path)
    common = shares.index.intersection(deri.index).sort_values()
    if len(common) < 3:
        raise InputError(
            f"only {len(common)} LSOA code(s) match the DERI file; pass LSOA 2011 codes (E01…)",
            source=Path(deri_csv_path).name,
        )
    table = pd.DataFrame(
        {
            "modelled_share_below_30": shares.loc[common].to_numpy(),
            DERI_BROADBAND_COLUMN: deri.loc[common].to_numpy(),
        },
        index=pd.Index(common, name=DERI_CODE_COLUMN),
    )
    table["modelled_rank"] = table["modelled_share_below_30"].rank(
        ascending=False, method="average"
    )
    table["deri_rank"] = table[DERI_BROADBAND_COLUMN].rank(ascending=False, method="average")
    if table["modelled_share_below_30"].nunique() < 2 or table[DERI_BROADBAND_COLUMN].nunique() < 2:
        return table, float("nan")
    rho = spearmanr(table["modelled_share_below_30"], table[DERI_BROADBAND_COLUMN]).statistic
    return table, float(rho)
