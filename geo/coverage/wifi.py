"""Public Wi-Fi reach: ITU-R P.1411 below-rooftop path loss, reach radius, premises in reach.

Street-level hotspots and pedestrians (or house frontages) are both below the rooftops, which is
the situation of ITU-R P.1411-11 §4.1.1 (site-general model for both terminals below rooftop):

    L = 10 α log10(d_3D) + β + 10 γ log10(f_GHz)   (median, dB; σ not applied)

Coefficients and ranges are P.1411-11's site-general values as ported by I. Stevanovic (Swiss OFCOM)
in ``eeveetza/p1411:matlab/tl_p1411_belowroof.m``.  Residential NLoS at 2.4 GHz and 100 m gives
86.9 dB (free space 80.0 dB).

Reach radius: the horizontal distance at which EIRP − L − entry loss equals the receiver
sensitivity.  Hotspot positions and premises are in British National Grid (EPSG:27700, metres).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.spatial import cKDTree

from geo.coverage._arrays import (
    BoolArray,
    FloatArray,
    OutOfRange,
    apply_range,
    as_float,
    check_policy,
)
from geo.coverage.config import WifiConfig
from geo.errors import InputError

__all__ = [
    "HOTSPOT_COLUMNS",
    "P1411_BELOW_ROOFTOP",
    "P1411Coefficients",
    "p1411_below_rooftop_loss_db",
    "validate_hotspots",
    "wifi_coverage",
    "wifi_reach_m",
]


@dataclass(frozen=True)
class P1411Coefficients:
    """Coefficients and validity of one P.1411 below-rooftop environment."""

    alpha: float
    beta: float
    gamma: float
    sigma_db: float
    frequency_ghz: tuple[float, float]
    distance_m: tuple[float, float]


P1411_BELOW_ROOFTOP: Mapping[str, P1411Coefficients] = {
    "los": P1411Coefficients(2.12, 29.2, 2.11, 5.06, (0.8, 82.0), (5.0, 660.0)),
    "nlos_urban_high_rise": P1411Coefficients(4.00, 10.2, 2.36, 7.6, (0.8, 82.0), (30.0, 715.0)),
    "nlos_urban_low_rise": P1411Coefficients(5.06, -4.68, 2.02, 9.33, (10.0, 73.0), (30.0, 250.0)),
    "nlos_residential": P1411Coefficients(3.01, 18.8, 2.07, 3.07, (0.8, 73.0), (30.0, 170.0)),
}
"""ITU-R P.1411-11 site-general below-rooftop coefficients.  ``los`` covers urban high-rise,
urban low-rise and suburban line of sight; ``nlos_urban_low_rise`` (also suburban) is valid only
from 10 GHz, so it is refused for 2.4/5 GHz Wi-Fi."""

HOTSPOT_COLUMNS: tuple[str, ...] = ("hotspot_id", "x_m", "y_m", "band_ghz", "eirp_dbm")
"""Required hotspot columns; optional ``environment`` (a key of :data:`P1411_BELOW_ROOFTOP`) and
``height_m``."""

# UK licence-exempt Wi-Fi bands (2.4 GHz: 2400–2483.5 MHz; 5 GHz: 5150–5875 MHz; 6 GHz:
# 5925–6425 MHz), with the nominal labels 2.4 and 5 accepted.
_WIFI_BANDS_GHZ: tuple[tuple[float, float], ...] = ((2.4, 2.4835), (5.0, 5.875), (5.925, 6.425))


def _coefficients(environment: str) -> P1411Coefficients:
    if environment not in P1411_BELOW_ROOFTOP:
        raise InputError(
            f"unknown P.1411 environment {environment!r}; expected one of {sorted(P1411_BELOW_ROOFTOP)}"
        )
    return P1411_BELOW_ROOFTOP[environment]


def p1411_below_rooftop_loss_db(
    distance_3d_m: npt.ArrayLike,
    frequency_ghz: npt.ArrayLike,
    *,
    environment: str = "nlos_residential",
    out_of_range: OutOfRange = "raise",
) -> FloatArray:
    """ITU-R P.1411 §4.1.1 median loss between two terminals below rooftop height.

    Parameters
    ----------
    distance_3d_m:
        Direct distance between the antennas, m (validity depends on the environment, e.g.
        30–170 m for residential NLoS, 5–660 m for LoS).
    frequency_ghz:
        Frequency, GHz (0.8–82 or 0.8–73 GHz; 10–73 GHz for urban low-rise NLoS).
    environment:
        A key of :data:`P1411_BELOW_ROOFTOP`.
    out_of_range:
        ``"raise"`` (default), ``"clip"`` or ``"extrapolate"``.

    Returns
    -------
    numpy.ndarray
        Loss in dB.
    """
    check_policy(out_of_range)
    c = _coefficients(environment)
    model = f"P.1411 {environment}"
    d = as_float("distance_3d_m", distance_3d_m)
    f = as_float("frequency_ghz", frequency_ghz)
    if (d.size and (d <= 0).any()) or (f.size and (f <= 0).any()):
        raise InputError(f"{model}: distance and frequency must be positive")
    d = apply_range(model, "distance_3d_m", d, *c.distance_m, "m", out_of_range)
    f = apply_range(model, "frequency_ghz", f, *c.frequency_ghz, "GHz", out_of_range)
    return np.asarray(
        10.0 * c.alpha * np.log10(d) + c.beta + 10.0 * c.gamma * np.log10(f), dtype=np.float64
    )


def wifi_reach_m(
    eirp_dbm: npt.ArrayLike,
    frequency_ghz: npt.ArrayLike,
    *,
    sensitivity_dbm: float = -75.0,
    environment: str = "nlos_residential",
    hotspot_height_m: npt.ArrayLike = 3.0,
    receiver_height_m: float = 1.5,
    entry_loss_db: float = 0.0,
    cap_at_validity: bool = True,
) -> tuple[FloatArray, BoolArray]:
    """Horizontal reach of each hotspot: where received power falls to ``sensitivity_dbm``.

    Solves EIRP − L(d_3D) − entry_loss = sensitivity for d_3D with the P.1411 below-rooftop
    model, then d_2D = √(d_3D² − Δh²).

    Parameters
    ----------
    eirp_dbm:
        Hotspot EIRP, dBm.
    frequency_ghz:
        Carrier frequency, GHz (2.4 or 5 for Wi-Fi).
    sensitivity_dbm:
        Received power needed for usable service, dBm.
    environment:
        A key of :data:`P1411_BELOW_ROOFTOP`; its frequency range is enforced.
    hotspot_height_m, receiver_height_m:
        Antenna heights, m.
    entry_loss_db:
        Extra loss into the premises, dB.
    cap_at_validity:
        Cap the 3D reach at the environment's maximum valid distance instead of extrapolating.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray of bool)
        Reach radius in metres (0 when even the minimum valid distance is out of reach), and
        whether the radius was capped at, or lies below, the model's distance range.
    """
    c = _coefficients(environment)
    eirp = as_float("eirp_dbm", eirp_dbm)
    f = as_float("frequency_ghz", frequency_ghz)
    apply_range(f"P.1411 {environment}", "frequency_ghz", f, *c.frequency_ghz, "GHz", "raise")
    budget = eirp - sensitivity_dbm - entry_loss_db - c.beta - 10.0 * c.gamma * np.log10(f)
    d3 = 10.0 ** (budget / (10.0 * c.alpha))
    low, high = c.distance_m
    outside = (d3 > high) | (d3 < low)
    if cap_at_validity:
        d3 = np.minimum(d3, high)
    dh = np.asarray(hotspot_height_m, dtype=np.float64) - receiver_height_m
    radius = np.sqrt(np.maximum(d3 * d3 - dh * dh, 0.0))
    return np.asarray(radius, dtype=np.float64), np.asarray(outside, dtype=bool)


def validate_hotspots(hotspots: pd.DataFrame, *, source: str = "hotspots") -> pd.DataFrame:
    """Check a Wi-Fi hotspot table and return a clean copy.

    Parameters
    ----------
    hotspots:
        :data:`HOTSPOT_COLUMNS`: ``hotspot_id``, ``x_m``, ``y_m`` (EPSG:27700 metres),
        ``band_ghz`` (2.4, 5 or an actual channel frequency in the 2.4/5/6 GHz bands),
        ``eirp_dbm`` (−10 to 36 dBm); optional ``environment`` and ``height_m`` (0–50 m).

    Returns
    -------
    pandas.DataFrame
        Same columns, typed, with ``environment`` and ``height_m`` filled with None / NaN
        where absent.

    Raises
    ------
    geo.errors.InputError
        Naming the row (1-based) and column of the first problem.
    """
    if not isinstance(hotspots, pd.DataFrame):
        raise InputError("hotspots must be a pandas DataFrame", source=source)
    table = hotspots.rename(columns=lambda name: str(name).strip().lower()).reset_index(drop=True)
    missing = [c for c in HOTSPOT_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(
            f"missing column(s) {missing}; expected {list(HOTSPOT_COLUMNS)}", source=source
        )

    def numeric(column: str, low: float, high: float, what: str) -> FloatArray:
        values = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=np.float64)
        bad = ~((values >= low) & (values <= high))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"{what}; got {table[column].iloc[row]!r}",
                source=source,
                row=row + 1,
                column=column,
            )
        return values

    ids = table["hotspot_id"].astype("string").str.strip()
    empty = (ids.isna() | (ids == "")).to_numpy()
    if empty.any():
        row = int(np.flatnonzero(empty)[0])
        raise InputError("hotspot_id is empty", source=source, row=row + 1, column="hotspot_id")
    x = numeric("x_m", 0.0, 700_000.0, "x_m must be a British National Grid easting")
    y = numeric("y_m", 0.0, 1_300_000.0, "y_m must be a British National Grid northing")
    band = numeric("band_ghz", 2.4, 6.425, "band_ghz must be a Wi-Fi band (2.4, 5 or 6 GHz)")
    in_band = np.zeros(band.shape, dtype=bool)
    for low, high in _WIFI_BANDS_GHZ:
        in_band |= (band >= low) & (band <= high)
    if not in_band.all():
        row = int(np.flatnonzero(~in_band)[0])
        raise InputError(
            f"band_ghz {band[row]:g} is not in the 2.4, 5 or 6 GHz Wi-Fi bands",
            source=source,
            row=row + 1,
            column="band_ghz",
        )
    eirp = numeric("eirp_dbm", -10.0, 36.0, "eirp_dbm must be within -10 to 36 dBm")
    environment = (
        table["environment"].astype("string").str.strip().str.lower()
        if "environment" in table.columns
        else pd.Series(pd.NA, index=table.index, dtype="string")
    )
    unknown = environment.notna() & ~environment.isin(list(P1411_BELOW_ROOFTOP))
    if unknown.any():
        row = int(np.flatnonzero(unknown.to_numpy())[0])
        raise InputError(
            f"environment must be one of {sorted(P1411_BELOW_ROOFTOP)}",
            source=source,
            row=row + 1,
            column="environment",
        )
    height = np.full(len(table), np.nan)
    if "height_m" in table.columns:
        given = table["height_m"].notna().to_numpy()
        values = pd.to_numeric(table["height_m"], errors="coerce").to_numpy(dtype=np.float64)
        bad = given & ~((values > 0) & (values <= 50))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise InputError(
                "height_m must be above 0 and at most 50 m",
                source=source,
                row=row + 1,
                column="height_m",
            )
        height = np.where(given, values, np.nan)
    if ids.duplicated().any():
        row = int(np.flatnonzero(ids.duplicated().to_numpy())[0])
        raise InputError("hotspot_id repeats", source=source, row=row + 1, column="hotspot_id")
    return pd.DataFrame(
        {
            "hotspot_id": ids.to_numpy(dtype=object),
            "x_m": x,
            "y_m": y,
            "band_ghz": band,
            "eirp_dbm": eirp,
            "environment": environment.to_numpy(dtype=object),
            "height_m": height,
        }
    )


def wifi_coverage(
    premises: pd.DataFrame,
    hotspots: pd.DataFrame,
    *,
    config: WifiConfig | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Which premises are within reach of a public Wi-Fi hotspot.

    Parameters
    ----------
    premises:
        ``x_m``, ``y_m`` in EPSG:27700 metres.
    hotspots:
        Hotspot table (see :func:`validate_hotspots`).
    config:
        Sensitivity, default environment and heights.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        Per premises (indexed like ``premises``): ``within_wifi_reach`` (bool),
        ``hotspots_in_reach`` (count), ``nearest_hotspot_id`` and
        ``nearest_hotspot_distance_m`` (straight line, m).  Per hotspot (indexed by
        ``hotspot_id``): ``reach_m`` and ``reach_capped`` (reach capped at, or below, the
        model's valid distance range).
    """
    cfg = config or WifiConfig()
    table = validate_hotspots(hotspots)
    xy = _xy(premises)
    n = xy.shape[0]
    env = table["environment"].where(table["environment"].notna(), cfg.environment).astype(str)
    heights = table["height_m"].fillna(cfg.hotspot_height_m).to_numpy(dtype=np.float64)
    reach = np.zeros(len(table))
    capped = np.zeros(len(table), dtype=bool)
    for name in pd.unique(env):
        rows = (env == name).to_numpy()
        reach[rows], capped[rows] = wifi_reach_m(
            table.loc[rows, "eirp_dbm"].to_numpy(),
            table.loc[rows, "band_ghz"].to_numpy(),
            sensitivity_dbm=cfg.sensitivity_dbm,
            environment=str(name),
            hotspot_height_m=heights[rows],
            receiver_height_m=cfg.receiver_height_m,
            entry_loss_db=cfg.entry_loss_db,
            cap_at_validity=cfg.cap_at_validity,
        )
    per_hotspot = pd.DataFrame(
        {"reach_m": reach, "reach_capped": capped},
        index=pd.Index(table["hotspot_id"], name="hotspot_id"),
    )
    in_reach = np.zeros(n, dtype=np.int64)
    nearest_id = np.full(n, None, dtype=object)
    nearest_d = np.full(n, np.nan)
    if n and len(table):
        hotspot_xy = table[["x_m", "y_m"]].to_numpy(dtype=np.float64)
        premises_tree = cKDTree(xy)
        # One ball query per hotspot radius (vectorised over hotspots), then count per premises.
        hits = premises_tree.query_ball_point(hotspot_xy, r=reach)
        lengths = np.fromiter((len(h) for h in hits), dtype=np.intp, count=len(hits))
        if lengths.sum():
            flat = np.concatenate([np.asarray(h, dtype=np.intp) for h in hits if len(h)])
            in_reach = np.bincount(flat, minlength=n).astype(np.int64)
        dist, idx = cKDTree(hotspot_xy).query(xy, k=1)
        nearest_d = np.asarray(dist, dtype=np.float64)
        nearest_id = table["hotspot_id"].to_numpy(dtype=object)[np.asarray(idx)]
    per_premises = pd.DataFrame(
        {
            "within_wifi_reach": in_reach > 0,
            "hotspots_in_reach": in_reach,
            "nearest_hotspot_id": nearest_id,
            "nearest_hotspot_distance_m": nearest_d,
        },
        index=premises.index,
    )
    return per_premises, per_hotspot


def _xy(table: pd.DataFrame) -> FloatArray:
    if not isinstance(table, pd.DataFrame) or not {"x_m", "y_m"} <= set(table.columns):
        raise InputError("premises must be a DataFrame with x_m and y_m (EPSG:27700 metres)")
    xy = table[["x_m", "y_m"]].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(xy).all(axis=1)
    if bad.any():
        raise InputError(
            "x_m and y_m must be numbers", source="premises", row=int(np.flatnonzero(bad)[0]) + 1
        )
    return xy.reshape(-1, 2)
