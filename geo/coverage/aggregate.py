"""Area aggregates of premises-level coverage: shares, counts below the USO, ranked gaps.

Input is one premises table carrying an area code column per geography (e.g. ``LSOA21CD``,
``WD23CD``), a ``residents`` weight (usual residents of the premises; 0 for non-residential),
the broadband ``tier`` (:func:`geo.coverage.fixed.fixed_broadband`) and boolean indicators
from the mobile and Wi-Fi models.  :func:`coverage_table` joins those outputs onto the premises.

Shares are **population-weighted**: Σ residents × indicator / Σ residents over the area's
premises (NaN for an area with no residents).  Premises-weighted shares (each premises counts
once, as Ofcom's Connected Nations percentages do) are reported for the tiers too, as
``premises_share_*``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from geo.coverage._arrays import category_codes
from geo.coverage.mobile import MobileCoverage
from geo.coverage.tiers import TIERS
from geo.errors import InputError

__all__ = [
    "DEFAULT_GAPS",
    "DEFAULT_INDICATORS",
    "coverage_table",
    "rank_coverage_gaps",
    "summarise_by_area",
]

DEFAULT_INDICATORS: tuple[str, ...] = (
    "good_4g_indoor_any",
    "good_4g_indoor_all",
    "good_4g_outdoor_any",
    "good_5g_outdoor_any",
    "within_wifi_reach",
    "full_fibre",
    "gigabit_capable",
)
"""Boolean columns summarised by :func:`summarise_by_area` when present in the table."""

DEFAULT_GAPS: tuple[str, ...] = ("below_uso", "no_indoor_4g")
"""Gap kinds of :func:`rank_coverage_gaps`: ``below_uso`` (tier below the USO) and
``no_indoor_4g`` (no operator gives good indoor 4G)."""


def coverage_table(
    premises: pd.DataFrame,
    *,
    fixed: pd.DataFrame | None = None,
    mobile: MobileCoverage | pd.DataFrame | None = None,
    wifi: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Join the per-premises model outputs onto the premises table.

    Parameters
    ----------
    premises:
        Premises with area code columns and ``residents``.
    fixed:
        Output of :func:`geo.coverage.fixed.fixed_broadband` for these premises.
    mobile:
        :class:`~geo.coverage.mobile.MobileCoverage` (its ``summary`` is joined) or a frame.
    wifi:
        The per-premises frame of :func:`geo.coverage.wifi.wifi_coverage`.

    Returns
    -------
    pandas.DataFrame
        The premises columns followed by the model columns, indexed like ``premises``.
        Columns already on the premises are not duplicated.
    """
    parts = [premises]
    for name, frame in (
        ("fixed", fixed),
        ("mobile", mobile.summary if isinstance(mobile, MobileCoverage) else mobile),
        ("wifi", wifi),
    ):
        if frame is None:
            continue
        if len(frame) != len(premises) or not frame.index.equals(premises.index):
            raise InputError(
                f"the {name} output is not indexed like the premises; compute it on "
                "the same premises table"
            )
        seen = set().union(*(set(p.columns) for p in parts))
        parts.append(frame[[c for c in frame.columns if c not in seen]])
    return pd.concat(parts, axis=1)


def _residents(table: pd.DataFrame, column: str) -> np.ndarray:
    if column not in table.columns:
        raise InputError(
            f"missing column {column} (residents per premises; 0 if none)", source="premises"
        )
    values = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"residents must be 0 or more; got {table[column].iloc[row]!r}",
            source="premises",
            row=row + 1,
            column=column,
        )
    return values


def _areas(table: pd.DataFrame, column: str) -> pd.Series:
    if column not in table.columns:
        raise InputError(f"missing area column {column}", source="premises")
    codes = table[column]
    missing = (
        codes.isna().to_numpy() | (codes.astype("string").str.strip() == "").fillna(True).to_numpy()
    )
    if missing.any():
        row = int(np.flatnonzero(missing)[0])
        raise InputError(
            "premises has no area code; assign every premises to an area first",
            source="premises",
            row=row + 1,
            column=column,
        )
    return codes


def _indicator(table: pd.DataFrame, column: str) -> np.ndarray:
    series = table[column]
    if series.isna().any():
        row = int(np.flatnonzero(series.isna().to_numpy())[0])
        raise InputError(
            "indicator has a missing value", source="premises", row=row + 1, column=column
        )
    if series.dtype != bool and not set(pd.unique(series)) <= {0, 1}:
        raise InputError("indicator must be true/false", source="premises", column=column)
    return series.to_numpy(dtype=bool)


def summarise_by_area(
    table: pd.DataFrame,
    area_column: str,
    *,
    residents_column: str = "residents",
    tier_column: str | None = "tier",
    indicators: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Population-weighted coverage shares and counts per area.

    Parameters
    ----------
    table:
        Premises-level table (see :func:`coverage_table`).
    area_column:
        Column with the area code (e.g. ``"LSOA21CD"`` or ``"WD23CD"``).
    residents_column:
        Residents per premises (weights, ≥ 0).
    tier_column:
        Broadband tier column (categories of :data:`geo.coverage.tiers.TIERS`); None to skip.
    indicators:
        Boolean columns to summarise; default: those of :data:`DEFAULT_INDICATORS` present.
        Named columns must exist.

    Returns
    -------
    pandas.DataFrame
        One row per area (index named ``area_column``, sorted): ``premises``, ``residents``,
        ``share_<tier>`` (population-weighted) and ``premises_share_<tier>`` for every tier,
        ``share_below_superfast`` / ``premises_share_below_superfast`` (unable to get 30
        Mbit/s), ``premises_below_uso``, ``residents_below_uso``, and ``share_<indicator>``.
    """
    areas = _areas(table, area_column)
    residents = _residents(table, residents_column)
    data: dict[str, np.ndarray] = {"premises": np.ones(len(table)), "residents": residents}
    columns_for_share: list[str] = []
    if tier_column is not None:
        if tier_column not in table.columns:
            raise InputError(f"missing tier column {tier_column}", source="premises")
        codes = category_codes(table[tier_column].astype(object).to_numpy(), TIERS)
        unknown = codes < 0
        if unknown.any():
            row = int(np.flatnonzero(unknown)[0])
            raise InputError(
                f"tier must be one of {TIERS}", source="premises", row=row + 1, column=tier_column
            )
        for code, tier in enumerate(TIERS):
            data[f"is_{tier}"] = (codes == code).astype(np.float64)
            columns_for_share.append(tier)
        data["is_below_superfast"] = (codes < TIERS.index("superfast")).astype(np.float64)
        columns_for_share.append("below_superfast")
    if indicators is None:
        chosen = [c for c in DEFAULT_INDICATORS if c in table.columns]
    else:
        chosen = list(indicators)
        absent = [c for c in chosen if c not in table.columns]
        if absent:
            raise InputError(f"missing indicator column(s) {absent}", source="premises")
    for column in chosen:
        data[f"is_{column}"] = _indicator(table, column).astype(np.float64)
    frame = pd.DataFrame(data, index=table.index)
    weighted = frame.filter(regex=r"^is_").mul(residents, axis=0).add_prefix("w_")
    grouped = pd.concat([frame, weighted], axis=1).groupby(areas.to_numpy(), sort=True).sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        result = pd.DataFrame(index=grouped.index)
        result["premises"] = grouped["premises"].astype(np.int64)
        result["residents"] = grouped["residents"]
        for name in [*columns_for_share, *chosen]:
            result[f"share_{name}"] = np.where(
                grouped["residents"] > 0, grouped[f"w_is_{name}"] / grouped["residents"], np.nan
            )
        for name in columns_for_share:
            result[f"premises_share_{name}"] = grouped[f"is_{name}"] / grouped["premises"]
        if tier_column is not None:
            result["premises_below_uso"] = grouped["is_below_uso"].astype(np.int64)
            result["residents_below_uso"] = grouped["w_is_below_uso"]
    result.index.name = area_column
    return result


def _gap_masks(table: pd.DataFrame, gaps: Mapping[str, pd.Series] | None) -> dict[str, np.ndarray]:
    if gaps is not None:
        masks: dict[str, np.ndarray] = {}
        for name, series in gaps.items():
            if not isinstance(series, pd.Series) or not series.index.equals(table.index):
                raise InputError(f"gap {name!r} must be a boolean Series indexed like the premises")
            masks[name] = series.fillna(False).to_numpy(dtype=bool)
        return masks
    masks = {}
    if "tier" in table.columns:
        masks["below_uso"] = (
            (table["tier"].astype("string") == "below_uso").fillna(False).to_numpy()
        )
    if "good_4g_indoor_any" in table.columns:
        masks["no_indoor_4g"] = ~_indicator(table, "good_4g_indoor_any")
    if not masks:
        raise InputError("no gap columns: need 'tier' and/or 'good_4g_indoor_any', or pass gaps")
    return masks


def rank_coverage_gaps(
    table: pd.DataFrame,
    area_column: str,
    *,
    residents_column: str = "residents",
    gaps: Mapping[str, pd.Series] | None = None,
    top: int | None = None,
) -> pd.DataFrame:
    """Areas ranked by the residents living in premises with a coverage gap.

    Parameters
    ----------
    table:
        Premises-level table (see :func:`coverage_table`).
    area_column:
        Area code column.
    residents_column:
        Residents per premises.
    gaps:
        Named boolean Series (indexed like ``table``), True where the premises has that gap.
        Default: :data:`DEFAULT_GAPS` from the ``tier`` and ``good_4g_indoor_any`` columns.
    top:
        Keep only the first ``top`` areas.

    Returns
    -------
    pandas.DataFrame
        Areas with at least one affected premises, most residents affected first (ties: more
        premises affected, then area code), with ``rank`` (1 = worst), ``premises``,
        ``residents``, ``premises_affected`` and ``residents_affected`` (premises with any
        gap), ``share_residents_affected`` and ``premises_<gap>`` / ``residents_<gap>`` for
        each gap kind.
    """
    areas = _areas(table, area_column)
    residents = _residents(table, residents_column)
    masks = _gap_masks(table, gaps)
    any_gap = np.logical_or.reduce(list(masks.values()))
    data: dict[str, np.ndarray] = {
        "premises": np.ones(len(table), dtype=np.int64),
        "residents": residents,
        "premises_affected": any_gap.astype(np.int64),
        "residents_affected": residents * any_gap,
    }
    for name, mask in masks.items():
        data[f"premises_{name}"] = mask.astype(np.int64)
        data[f"residents_{name}"] = residents * mask
    grouped = pd.DataFrame(data, index=table.index).groupby(areas.to_numpy(), sort=True).sum()
    grouped.index.name = area_column
    grouped = grouped[grouped["premises_affected"] > 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        grouped.insert(
            4,
            "share_residents_affected",
            np.where(
                grouped["residents"] > 0,
                grouped["residents_affected"] / grouped["residents"],
                np.nan,
            ),
        )
    ordered = (
        grouped.reset_index()
        .sort_values(
            ["residents_affected", "premises_affected", area_column],
            ascending=[False, False, True],
            kind="mergesort",
        )
        .set_index(area_column)
    )
    ordered.insert(0, "rank", np.arange(1, len(ordered) + 1))
    return ordered if top is None else ordered.head(top)
