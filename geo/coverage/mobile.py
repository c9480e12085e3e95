"""4G/5G outdoor and indoor signal (RSRP) per receiver, best server per operator.

Receivers are premises or grid cells with coordinates in British National Grid (EPSG:27700,
metres).  Sites are one row per cell (site × band × technology) with their reference-signal
power.  For every receiver the model:

1. classes the receiver urban / suburban / rural from premises density
   (:func:`classify_environment`);
2. evaluates, per (operator, technology, band, cell type) group, every site within
   ``max_site_distance_m`` (groups of up to :data:`DENSE_GROUP_SITES` sites, in cache-sized
   dense blocks) or the k nearest from a cKDTree (larger groups;
   :class:`~geo.coverage.config.MobileConfig`);
3. computes the median path loss with the model for the band (:func:`link_path_loss_db`):
   Okumura–Hata up to 1500 MHz, COST-231 Hata for 1500–2000 MHz, and 3GPP TR 38.901 for 5G NR
   and above 2 GHz (UMa for urban/suburban macro cells, UMi for small cells, RMa for rural);
4. RSRP = reference-signal EIRP per resource element − path loss; indoor RSRP = outdoor RSRP −
   building entry loss for the receiver and band (:mod:`geo.coverage.building_loss`);
5. keeps each operator's best server and sets the coverage flags against the thresholds.

Everything is vectorised over receivers and candidate links, in chunks that bound memory; the
only Python loops are over site groups (a few dozen) and chunks.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.signal import fftconvolve
from scipy.spatial import cKDTree

from geo.coverage._arrays import (
    BoolArray,
    FloatArray,
    IntArray,
    as_float,
    category_codes,
    label_codes,
)
from geo.coverage._links import (
    PathLossModel,
    SiteGroup,
    dense_best,
    dense_rsrp_dbm,
    gathered_rsrp_dbm,
    path_loss_model_for,
)
from geo.coverage.building_loss import BUILDING_LOSS_MODELS, building_entry_loss_db
from geo.coverage.config import (
    UK_MOBILE_BANDS_MHZ,
    EnvironmentThresholds,
    MobileConfig,
)
from geo.coverage.propagation import (
    cost231_hata_path_loss_db,
    free_space_path_loss_db,
    hata_path_loss_db,
    tr38901_path_loss_db,
    within_validity,
)
from geo.errors import InputError

__all__ = [
    "DEFAULT_BANDWIDTH_MHZ",
    "DENSE_GROUP_SITES",
    "ENVIRONMENTS",
    "LTE_RESOURCE_BLOCKS",
    "NR_RESOURCE_BLOCKS_30KHZ",
    "SITE_COLUMNS",
    "MobileCoverage",
    "best_server_dbm",
    "classify_environment",
    "grid",
    "link_path_loss_db",
    "link_within_validity",
    "mobile_coverage",
    "path_loss_model_for",
    "premises_density_per_km2",
    "read_sites_csv",
    "rsrp_matrix_dbm",
    "sites_from_layer",
    "validate_sites",
]

ENVIRONMENTS: tuple[str, ...] = ("urban", "suburban", "rural")
"""Environment classes; codes 0, 1, 2 in that order."""

SITE_COLUMNS: tuple[str, ...] = (
    "site_id",
    "operator",
    "x_m",
    "y_m",
    "antenna_height_m",
    "band_mhz",
    "technology",
)
"""Required site columns.  Power comes from ``rs_power_dbm`` (reference-signal EIRP per resource
element, antenna gain and feeder loss included) or from ``eirp_dbm`` (whole channel) plus
``bandwidth_mhz``.  Optional: ``cell_type`` (``"macro"`` default, or ``"small"`` for street-level
small cells, which use TR 38.901 UMi)."""

LTE_RESOURCE_BLOCKS: Mapping[float, int] = {1.4: 6, 3.0: 15, 5.0: 25, 10.0: 50, 15.0: 75, 20.0: 100}
"""LTE downlink resource blocks per channel bandwidth (3GPP TS 36.101 Table 5.6-1)."""

NR_RESOURCE_BLOCKS_30KHZ: Mapping[float, int] = {
    5.0: 11,
    10.0: 24,
    15.0: 38,
    20.0: 51,
    25.0: 65,
    30.0: 78,
    40.0: 106,
    50.0: 133,
    60.0: 162,
    70.0: 189,
    80.0: 217,
    90.0: 245,
    100.0: 273,
}
"""NR FR1 resource blocks at 30 kHz subcarrier spacing (3GPP TS 38.101-1 Table 5.3.2-1)."""

DENSE_GROUP_SITES = 64
"""Site groups this small are evaluated exhaustively (every receiver-site link)."""

_TECHNOLOGY_ALIASES: Mapping[str, str] = {"4G": "4G", "LTE": "4G", "5G": "5G", "NR": "5G"}
_CELL_TYPES: tuple[str, ...] = ("macro", "small")
_BNG_X = (0.0, 700_000.0)
_BNG_Y = (0.0, 1_300_000.0)


# --------------------------------------------------------------------------------------------
# Sites
# --------------------------------------------------------------------------------------------


def _numeric(table: pd.DataFrame, column: str, source: str) -> FloatArray:
    values = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{column} must be a number; got {table[column].iloc[row]!r}. Fill in every row",
            source=source,
            row=row + 1,
            column=column,
        )
    return values


def _refuse_rows(
    bad: npt.NDArray[np.bool_], table: pd.DataFrame, column: str, source: str, what: str
) -> None:
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{what}; got {table[column].iloc[row]!r}",
            source=source,
            row=row + 1,
            column=column,
        )


def _band_known(band_mhz: FloatArray, bands: Mapping[str, tuple[float, float]]) -> BoolArray:
    known = np.zeros(band_mhz.shape, dtype=bool)
    for low, high in bands.values():
        known |= (band_mhz >= low) & (band_mhz <= high)
    return known


def _per_re_power(
    eirp_dbm: FloatArray,
    bandwidth_mhz: FloatArray,
    technology: npt.NDArray[np.str_],
    table: pd.DataFrame,
    source: str,
) -> FloatArray:
    blocks = np.zeros(eirp_dbm.shape, dtype=np.float64)
    for tech, lookup in (("4G", LTE_RESOURCE_BLOCKS), ("5G", NR_RESOURCE_BLOCKS_30KHZ)):
        rows = technology == tech
        mapped = pd.Series(bandwidth_mhz[rows]).map(lookup).to_numpy(dtype=np.float64)
        if np.isnan(mapped).any():
            row = int(np.flatnonzero(rows)[np.flatnonzero(np.isnan(mapped))[0]])
            raise InputError(
                f"bandwidth_mhz {bandwidth_mhz[row]:g} is not a standard {tech} channel "
                f"({sorted(lookup)} MHz); give rs_power_dbm instead",
                source=source,
                row=row + 1,
                column="bandwidth_mhz",
            )
        blocks[rows] = mapped
    # Total EIRP is shared over 12 subcarriers per resource block.
    return np.asarray(eirp_dbm - 10.0 * np.log10(12.0 * blocks), dtype=np.float64)


def validate_sites(
    sites: pd.DataFrame,
    *,
    source: str = "sites",
    bands_mhz: Mapping[str, tuple[float, float]] = UK_MOBILE_BANDS_MHZ,
) -> pd.DataFrame:
    """Check a mobile site table and return a clean copy with ``rs_power_dbm`` filled in.

    Parameters
    ----------
    sites:
        One row per cell: :data:`SITE_COLUMNS` (coordinates in EPSG:27700 metres, antenna height
        above ground in m, carrier frequency ``band_mhz`` in MHz, ``technology`` "4G"/"5G" (or
        "LTE"/"NR")) and either ``rs_power_dbm`` (reference-signal EIRP per resource element,
        dBm) or ``eirp_dbm`` + ``bandwidth_mhz`` (whole-channel EIRP; per-RE power is derived
        from the 3GPP resource-block tables).  Column names are matched case-insensitively.
    source:
        Name used in error messages (the file name, for example).
    bands_mhz:
        Accepted carrier-frequency ranges; UK mobile bands by default.

    Returns
    -------
    pandas.DataFrame
        Columns ``site_id`` (str), ``operator`` (str), ``x_m``, ``y_m``, ``antenna_height_m``,
        ``band_mhz``, ``technology`` ("4G"/"5G"), ``rs_power_dbm``, ``cell_type``; a fresh
        RangeIndex.

    Raises
    ------
    geo.errors.InputError
        Naming the row (1-based, excluding the header) and column of the first problem:
        missing columns or values, coordinates outside Great Britain, antenna heights outside
        (0, 350] m, an unknown band or technology, implausible powers (rs_power_dbm outside
        −20 to 60 dBm, eirp_dbm outside 0 to 90 dBm), or a repeated cell.
    """
    if not isinstance(sites, pd.DataFrame):
        raise InputError("sites must be a pandas DataFrame", source=source)
    table = sites.rename(columns=lambda name: str(name).strip().lower()).reset_index(drop=True)
    if table.columns.duplicated().any():
        raise InputError("column names repeat (ignoring case and spaces)", source=source)
    missing = [column for column in SITE_COLUMNS if column not in table.columns]
    if missing:
        raise InputError(
            f"missing column(s) {missing}; expected {list(SITE_COLUMNS)}", source=source
        )
    if table.empty:
        raise InputError("the site table has no rows", source=source)
    has_rs = "rs_power_dbm" in table.columns
    has_eirp = "eirp_dbm" in table.columns and "bandwidth_mhz" in table.columns
    if not (has_rs or has_eirp):
        raise InputError(
            "give a power column: rs_power_dbm, or eirp_dbm together with bandwidth_mhz",
            source=source,
        )

    for column in ("site_id", "operator", "technology"):
        text = table[column].astype("string").str.strip()
        _refuse_rows(
            (text.isna() | (text == "")).to_numpy(), table, column, source, f"{column} is empty"
        )
    site_id = table["site_id"].astype("string").str.strip().to_numpy(dtype=object)
    operator = table["operator"].astype("string").str.strip().to_numpy(dtype=object)
    tech_raw = table["technology"].astype("string").str.strip().str.upper()
    technology = tech_raw.map(_TECHNOLOGY_ALIASES)
    _refuse_rows(
        technology.isna().to_numpy(),
        table,
        "technology",
        source,
        "technology must be 4G (LTE) or 5G (NR)",
    )
    tech = technology.to_numpy(dtype=str)

    x = _numeric(table, "x_m", source)
    y = _numeric(table, "y_m", source)
    _refuse_rows(
        (x < _BNG_X[0]) | (x > _BNG_X[1]),
        table,
        "x_m",
        source,
        "x_m is not a British National Grid easting (0–700000 m); reproject to EPSG:27700",
    )
    _refuse_rows(
        (y < _BNG_Y[0]) | (y > _BNG_Y[1]),
        table,
        "y_m",
        source,
        "y_m is not a British National Grid northing (0–1300000 m); reproject to EPSG:27700",
    )
    height = _numeric(table, "antenna_height_m", source)
    _refuse_rows(
        (height <= 0) | (height > 350),
        table,
        "antenna_height_m",
        source,
        "antenna_height_m must be above 0 and at most 350 m",
    )
    band = _numeric(table, "band_mhz", source)
    _refuse_rows(
        ~_band_known(band, bands_mhz),
        table,
        "band_mhz",
        source,
        f"band_mhz is not in a known mobile band ({', '.join(bands_mhz)} MHz)",
    )

    rs_power = np.full(len(table), np.nan)
    if has_rs:
        rs_given = table["rs_power_dbm"].notna().to_numpy()
        rs_values = pd.to_numeric(table["rs_power_dbm"], errors="coerce").to_numpy(dtype=np.float64)
        _refuse_rows(
            rs_given & ~np.isfinite(rs_values),
            table,
            "rs_power_dbm",
            source,
            "rs_power_dbm must be a number",
        )
        _refuse_rows(
            rs_given & ((rs_values < -20) | (rs_values > 60)),
            table,
            "rs_power_dbm",
            source,
            "rs_power_dbm (EIRP per resource element) must be within -20 to 60 dBm",
        )
        rs_power = np.where(rs_given, rs_values, np.nan)
    need = np.isnan(rs_power)
    if need.any():
        if not has_eirp:
            _refuse_rows(
                need,
                table,
                "rs_power_dbm",
                source,
                "rs_power_dbm is missing and there is no eirp_dbm/bandwidth_mhz to derive it",
            )
        sub = table.loc[need]
        eirp = _numeric(sub, "eirp_dbm", source)
        bandwidth = _numeric(sub, "bandwidth_mhz", source)
        rows = np.flatnonzero(need)
        bad = (eirp < 0) | (eirp > 90)
        if bad.any():
            row = int(rows[np.flatnonzero(bad)[0]])
            raise InputError(
                "eirp_dbm must be within 0 to 90 dBm", source=source, row=row + 1, column="eirp_dbm"
            )
        try:
            rs_power[need] = _per_re_power(eirp, bandwidth, tech[need], sub, source)
        except InputError as error:
            row = int(rows[(error.row or 1) - 1])
            raise InputError(
                error.message, source=source, row=row + 1, column=error.column
            ) from None

    if "cell_type" in table.columns:
        cell_type = table["cell_type"].astype("string").str.strip().str.lower().fillna("macro")
        _refuse_rows(
            ~cell_type.isin(_CELL_TYPES).to_numpy(),
            table,
            "cell_type",
            source,
            "cell_type must be 'macro' or 'small'",
        )
        cells = cell_type.to_numpy(dtype=object)
    else:
        cells = np.full(len(table), "macro", dtype=object)

    clean = pd.DataFrame(
        {
            "site_id": site_id,
            "operator": operator,
            "x_m": x,
            "y_m": y,
            "antenna_height_m": height,
            "band_mhz": band,
            "technology": tech.astype(object),
            "rs_power_dbm": rs_power,
            "cell_type": cells,
        }
    )
    repeated = clean.duplicated(["site_id", "operator", "band_mhz", "technology"]).to_numpy()
    _refuse_rows(
        repeated,
        table,
        "site_id",
        source,
        "the same site, operator, band and technology appear twice",
    )
    return clean


def read_sites_csv(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read and validate a site CSV (columns as :func:`validate_sites`).

    Parameters
    ----------
    path:
        CSV file; coordinates in EPSG:27700 metres.

    Returns
    -------
    pandas.DataFrame
        The validated site table.
    """
    file = Path(path)
    try:
        table = pd.read_csv(file)
    except (OSError, ValueError) as error:
        raise InputError(f"cannot read the site CSV: {error}", source=file.name) from None
    return validate_sites(table, source=file.name)


DEFAULT_BANDWIDTH_MHZ: Mapping[str, float] = {"4G": 10.0, "5G": 50.0}
"""Channel bandwidth assumed by :func:`sites_from_layer` where a site layer gives only total
EIRP (UNVERIFIED planning defaults: UK 800 MHz LTE carriers are 10 MHz; n78 holdings are
40–140 MHz per operator)."""

_LEGACY = ("GSM", "UMTS", "2G", "3G")


def sites_from_layer(
    layer: pd.DataFrame,
    *,
    source: str = "mobile sites",
    bandwidth_mhz: Mapping[str, float] = DEFAULT_BANDWIDTH_MHZ,
    antenna_gain_db: float = 0.0,
    legacy_as: Literal["drop", "4G"] = "drop",
    default_antenna_height_m: float | None = None,
) -> pd.DataFrame:
    """Turn a mobile-sites layer (``geo.places.SITE_COLUMNS`` layout) into a site table.

    The layer has one row per transmitter with ``site_id``, ``operator``, ``technology``
    (GSM/UMTS/LTE/NR), ``band_mhz``, ``antenna_height_m``, ``power_dbm`` (EIRP of the whole
    channel unless ``antenna_gain_db`` is given), ``x_m``, ``y_m`` (EPSG:27700).  Per-RE power is
    derived from ``bandwidth_mhz`` by technology (:func:`validate_sites`).

    Parameters
    ----------
    layer:
        The sites layer (a GeoDataFrame is fine; geometry is ignored).
    source:
        Name for error messages.
    bandwidth_mhz:
        Channel bandwidth per technology ("4G", "5G"), MHz; must be a standard bandwidth.
    antenna_gain_db:
        Added to ``power_dbm`` (antenna gain minus feeder loss) when it is transmitter power
        rather than EIRP.
    legacy_as:
        ``"drop"`` leaves out GSM/UMTS rows; ``"4G"`` models them as LTE on the same band (2012
        Sitefinder masts mostly carry 4G today).
    default_antenna_height_m:
        Height for rows without one; None refuses such rows.

    Returns
    -------
    pandas.DataFrame
        The validated site table (see :func:`validate_sites`).
    """
    required = ("site_id", "operator", "technology", "band_mhz", "power_dbm", "x_m", "y_m")
    missing = [c for c in required if c not in layer.columns]
    if missing:
        raise InputError(f"missing column(s) {missing}", source=source)
    tech = layer["technology"].astype("string").str.strip().str.upper()
    if legacy_as == "4G":
        tech = tech.where(~tech.isin(_LEGACY), "LTE")
    elif legacy_as != "drop":
        raise InputError("legacy_as must be 'drop' or '4G'")
    keep = tech.isin(list(_TECHNOLOGY_ALIASES)).to_numpy()
    table = layer.loc[keep]
    technology = tech[keep].map(_TECHNOLOGY_ALIASES)
    height = (
        pd.to_numeric(table["antenna_height_m"], errors="coerce")
        if "antenna_height_m" in table.columns
        else pd.Series(np.nan, index=table.index)
    )
    if default_antenna_height_m is not None:
        height = height.fillna(default_antenna_height_m)
    sites = pd.DataFrame(
        {
            "site_id": table["site_id"].to_numpy(),
            "operator": table["operator"].to_numpy(),
            "x_m": table["x_m"].to_numpy(),
            "y_m": table["y_m"].to_numpy(),
            "antenna_height_m": height.to_numpy(),
            "band_mhz": table["band_mhz"].to_numpy(),
            "technology": technology.to_numpy(),
            "eirp_dbm": pd.to_numeric(table["power_dbm"], errors="coerce").to_numpy()
            + antenna_gain_db,
            "bandwidth_mhz": technology.map(dict(bandwidth_mhz)).to_numpy(),
        }
    )
    try:
        return validate_sites(sites, source=source)
    except InputError as error:
        # Report the row of the layer, not of the filtered table.
        row = None if error.row is None else int(np.flatnonzero(keep)[error.row - 1]) + 1
        raise InputError(error.message, source=source, row=row, column=error.column) from None


# --------------------------------------------------------------------------------------------
# Receivers and environment
# --------------------------------------------------------------------------------------------


def grid(bounds: tuple[float, float, float, float], cell_m: float) -> pd.DataFrame:
    """Receivers at the centres of a regular grid.

    Parameters
    ----------
    bounds:
        ``(min_x, min_y, max_x, max_y)`` in EPSG:27700 metres.
    cell_m:
        Cell size in metres (Ofcom processes operator predictions on a 50 m grid).

    Returns
    -------
    pandas.DataFrame
        One row per cell (index ``cell_id``), columns ``x_m``, ``y_m`` (cell centre), ``row``,
        ``col``.  Cells cover the bounds; the last row/column may extend past the maximum.
    """
    min_x, min_y, max_x, max_y = (float(v) for v in bounds)
    if not all(map(math.isfinite, (min_x, min_y, max_x, max_y, float(cell_m)))):
        raise InputError("grid bounds and cell size must be finite numbers")
    if cell_m <= 0 or max_x <= min_x or max_y <= min_y:
        raise InputError(
            "grid needs cell_m > 0 and bounds (min_x, min_y, max_x, max_y) with max > min"
        )
    n_cols = math.ceil((max_x - min_x) / cell_m)
    n_rows = math.ceil((max_y - min_y) / cell_m)
    if n_cols * n_rows > 50_000_000:
        raise InputError(
            f"a {cell_m:g} m grid over these bounds has {n_cols * n_rows:,} cells; "
            "use a coarser cell or split the area"
        )
    row, col = np.divmod(np.arange(n_rows * n_cols), n_cols)
    return pd.DataFrame(
        {
            "x_m": min_x + (col + 0.5) * cell_m,
            "y_m": min_y + (row + 0.5) * cell_m,
            "row": row,
            "col": col,
        },
        index=pd.RangeIndex(n_rows * n_cols, name="cell_id"),
    )


def premises_density_per_km2(
    x_m: npt.ArrayLike,
    y_m: npt.ArrayLike,
    premises_x_m: npt.ArrayLike,
    premises_y_m: npt.ArrayLike,
    *,
    radius_m: float = 500.0,
    method: Literal["grid", "exact"] = "grid",
    grid_cell_m: float = 50.0,
) -> FloatArray:
    """Premises per km² within ``radius_m`` of each point.

    Parameters
    ----------
    x_m, y_m:
        Points to evaluate, EPSG:27700 metres.
    premises_x_m, premises_y_m:
        Premises positions, EPSG:27700 metres.
    radius_m:
        Radius of the counting disc, m.
    method:
        ``"exact"``: cKDTree count within the disc, divided by π r².  ``"grid"``: premises
        binned into ``grid_cell_m`` squares and summed over the cells whose centres lie within
        ``radius_m`` of the point's cell centre (one FFT convolution), divided by the area of
        those cells; the disc edge is resolved to one cell.
    grid_cell_m:
        Cell size for ``"grid"``, m.

    Returns
    -------
    numpy.ndarray
        Density in premises per km², one value per point.
    """
    x = as_float("x_m", x_m)
    y = as_float("y_m", y_m)
    px = as_float("premises_x_m", premises_x_m)
    py = as_float("premises_y_m", premises_y_m)
    if x.shape != y.shape or px.shape != py.shape:
        raise InputError("x and y arrays must have the same length")
    if radius_m <= 0 or grid_cell_m <= 0:
        raise InputError("radius_m and grid_cell_m must be positive")
    if x.size == 0:
        return np.zeros(0)
    if px.size == 0:
        return np.zeros(x.shape)
    if method == "exact":
        counts = cKDTree(np.column_stack([px, py])).query_ball_point(
            np.column_stack([x, y]), r=radius_m, return_length=True
        )
        return np.asarray(counts, dtype=np.float64) / (math.pi * radius_m**2 / 1e6)
    if method != "grid":
        raise InputError(f"method must be 'grid' or 'exact', not {method!r}")
    reach = math.ceil(radius_m / grid_cell_m)
    origin_x = min(float(x.min()), float(px.min())) - grid_cell_m
    origin_y = min(float(y.min()), float(py.min())) - grid_cell_m
    n_cols = int((max(float(x.max()), float(px.max())) - origin_x) // grid_cell_m) + 2
    n_rows = int((max(float(y.max()), float(py.max())) - origin_y) // grid_cell_m) + 2
    if n_cols * n_rows > 50_000_000:
        raise InputError(
            "the points span too large an area for the density grid; classify by area in chunks "
            "or use a larger grid_cell_m"
        )
    p_col = ((px - origin_x) // grid_cell_m).astype(np.intp)
    p_row = ((py - origin_y) // grid_cell_m).astype(np.intp)
    counts_grid = np.bincount(p_row * n_cols + p_col, minlength=n_rows * n_cols).reshape(
        n_rows, n_cols
    )
    offsets = np.arange(-reach, reach + 1) * grid_cell_m
    kernel = (offsets[:, None] ** 2 + offsets[None, :] ** 2 <= radius_m**2).astype(np.float64)
    summed = np.rint(fftconvolve(counts_grid.astype(np.float64), kernel, mode="same"))
    r_col = ((x - origin_x) // grid_cell_m).astype(np.intp)
    r_row = ((y - origin_y) // grid_cell_m).astype(np.intp)
    area_km2 = kernel.sum() * grid_cell_m**2 / 1e6
    return np.asarray(np.maximum(summed[r_row, r_col], 0.0) / area_km2, dtype=np.float64)


def classify_environment(
    x_m: npt.ArrayLike,
    y_m: npt.ArrayLike,
    premises_x_m: npt.ArrayLike,
    premises_y_m: npt.ArrayLike,
    *,
    thresholds: EnvironmentThresholds | None = None,
) -> tuple[pd.Categorical[str], FloatArray]:
    """Class each point urban, suburban or rural from the premises density around it.

    Parameters
    ----------
    x_m, y_m:
        Points (receivers), EPSG:27700 metres.
    premises_x_m, premises_y_m:
        Premises (buildings) positions, EPSG:27700 metres.
    thresholds:
        Radius, density thresholds (premises/km²) and counting method.

    Returns
    -------
    (pandas.Categorical, numpy.ndarray)
        The class of each point over :data:`ENVIRONMENTS`, and the density in premises/km².
    """
    t = thresholds or EnvironmentThresholds()
    density = premises_density_per_km2(
        x_m,
        y_m,
        premises_x_m,
        premises_y_m,
        radius_m=t.radius_m,
        method=t.method,
        grid_cell_m=t.grid_cell_m,
    )
    codes = np.where(
        density >= t.urban_min_per_km2, 0, np.where(density >= t.suburban_min_per_km2, 1, 2)
    ).astype(np.int8)
    return pd.Categorical.from_codes(codes, categories=pd.Index(ENVIRONMENTS)), density


# --------------------------------------------------------------------------------------------
# Path loss per link
# --------------------------------------------------------------------------------------------


_HATA_ENV: Mapping[int, str] = {1: "suburban", 2: "open"}
_COST_ENV: Mapping[int, str] = {1: "suburban", 2: "open"}


def _env_codes(environment: npt.ArrayLike) -> npt.NDArray[np.int8]:
    codes = np.asarray(environment)
    if codes.dtype.kind in "iu":
        if codes.size and ((codes < 0) | (codes > 2)).any():
            raise InputError("environment codes must be 0 (urban), 1 (suburban) or 2 (rural)")
        return codes.astype(np.int8)
    labels = category_codes(codes, ENVIRONMENTS)
    if (labels < 0).any():
        raise InputError(f"environment must be one of {ENVIRONMENTS}")
    return labels.astype(np.int8).reshape(codes.shape)


def link_path_loss_db(
    distance_2d_m: npt.ArrayLike,
    frequency_mhz: float,
    bs_height_m: npt.ArrayLike,
    ut_height_m: npt.ArrayLike,
    environment: npt.ArrayLike,
    *,
    technology: str = "4G",
    cell_type: str = "macro",
    config: MobileConfig | None = None,
) -> FloatArray:
    """Median path loss of receiver-site links for one band, with the model for the band.

    Models (see :func:`path_loss_model_for`): Hata (urban → ``config.hata_urban``, suburban →
    suburban, rural → open), COST-231 (urban → ``config.cost231_urban``, suburban → suburban,
    rural → open) or TR 38.901 (urban and suburban → UMa, or UMi for ``cell_type="small"``;
    rural → RMa; condition ``config.condition``).  A borough model has many links shorter than
    Hata's 1 km and masts below 30 m, so every model is *extrapolated* outside its range
    (flag those links with :func:`link_within_validity`); Hata and COST-231 are floored at
    free-space loss on the 3D distance when ``config.free_space_floor`` is set.

    Parameters
    ----------
    distance_2d_m:
        Ground distance, m; floored at ``config.min_distance_m``.
    frequency_mhz:
        Carrier frequency, MHz (one band per call).
    bs_height_m, ut_height_m:
        Antenna heights above ground, m (broadcast with the distance).
    environment:
        Receiver class per link: codes 0/1/2 or labels urban/suburban/rural.
    technology:
        ``"4G"`` or ``"5G"``.
    cell_type:
        ``"macro"`` or ``"small"``.
    config:
        Model options.

    Returns
    -------
    numpy.ndarray
        Loss in dB, broadcast shape of the array inputs.
    """
    cfg = config or MobileConfig()
    d2 = np.maximum(np.asarray(distance_2d_m, dtype=np.float64), cfg.min_distance_m)
    hbs = np.asarray(bs_height_m, dtype=np.float64)
    hut = np.asarray(ut_height_m, dtype=np.float64)
    env = _env_codes(environment)
    shape = np.broadcast_shapes(d2.shape, hbs.shape, hut.shape, env.shape)
    model = path_loss_model_for(frequency_mhz, technology)
    # bincount, not unique: no sort of the (often broadcast) class array.
    present: list[int] = (
        [int(c) for c in np.flatnonzero(np.bincount(env.ravel(), minlength=3))] if env.size else []
    )
    if len(present) <= 1:
        # One class (the usual case within a chunk): evaluate without masking or copying.
        code = present[0] if present else 0
        value = _class_loss(model, code, d2, hbs, hut, frequency_mhz, cell_type, cfg)
        return np.array(np.broadcast_to(value, shape), dtype=np.float64)
    d2, hbs, hut, env = (np.broadcast_to(a, shape).ravel() for a in (d2, hbs, hut, env))
    loss = np.empty(d2.shape, dtype=np.float64)
    for code in present:
        mask = env == code
        loss[mask] = _class_loss(
            model, code, d2[mask], hbs[mask], hut[mask], frequency_mhz, cell_type, cfg
        )
    return loss.reshape(shape)


def _class_loss(
    model: PathLossModel,
    code: int,
    d: FloatArray,
    hb: FloatArray,
    hu: FloatArray,
    frequency_mhz: float,
    cell_type: str,
    cfg: MobileConfig,
) -> FloatArray:
    """Loss for links of one receiver class (0 urban, 1 suburban, 2 rural) and one band."""
    value: FloatArray
    if model == "tr38901":
        scenario: Literal["uma", "umi", "rma"] = (
            "rma" if code == 2 else "umi" if cell_type == "small" else "uma"
        )
        value = tr38901_path_loss_db(
            scenario,
            d,
            frequency_mhz / 1000.0,
            hb,
            hu,
            condition=cfg.condition,
            out_of_range="extrapolate",
        )
    elif model == "hata":
        value = hata_path_loss_db(
            d / 1000.0,
            frequency_mhz,
            hb,
            hu,
            environment=cfg.hata_urban if code == 0 else _HATA_ENV[code],  # type: ignore[arg-type]
            out_of_range="extrapolate",
        )
    else:
        value = cost231_hata_path_loss_db(
            d / 1000.0,
            frequency_mhz,
            hb,
            hu,
            environment=cfg.cost231_urban if code == 0 else _COST_ENV[code],  # type: ignore[arg-type]
            out_of_range="extrapolate",
        )
    if cfg.free_space_floor and model != "tr38901":
        dh = hb - hu
        floor = free_space_path_loss_db(np.sqrt(d * d + dh * dh) / 1000.0, frequency_mhz)
        value = np.maximum(value, floor)
    return value


def link_within_validity(
    distance_2d_m: npt.ArrayLike,
    frequency_mhz: float,
    bs_height_m: npt.ArrayLike,
    ut_height_m: npt.ArrayLike,
    environment: npt.ArrayLike,
    *,
    technology: str = "4G",
) -> BoolArray:
    """True where a link lies inside the published range of the model :func:`link_path_loss_db`
    used for it (distance, frequency, heights as in :data:`geo.coverage.propagation.VALIDITY`;
    Hata/COST-231 also require the base station at 30–200 m).

    Parameters are as :func:`link_path_loss_db`.

    Returns
    -------
    numpy.ndarray of bool
    """
    d2 = np.asarray(distance_2d_m, dtype=np.float64)
    hbs = np.asarray(bs_height_m, dtype=np.float64)
    hut = np.asarray(ut_height_m, dtype=np.float64)
    env = _env_codes(environment)
    d2, hbs, hut, env = np.broadcast_arrays(d2, hbs, hut, env)
    model = path_loss_model_for(frequency_mhz, technology)
    if model in ("hata", "cost231"):
        return within_validity(
            model,
            distance_km=d2 / 1000.0,
            frequency_mhz=frequency_mhz,
            base_height_m=hbs,
            mobile_height_m=hut,
        )
    fc = frequency_mhz / 1000.0
    urban = within_validity("uma", distance_2d_m=d2, frequency_ghz=fc, ut_height_m=hut)
    rural = within_validity(
        "rma_nlos", distance_2d_m=d2, frequency_ghz=fc, bs_height_m=hbs, ut_height_m=hut
    )
    return np.asarray(np.where(env == 2, rural, urban), dtype=bool)


# --------------------------------------------------------------------------------------------
# Coverage
# --------------------------------------------------------------------------------------------


def rsrp_matrix_dbm(
    x_m: npt.ArrayLike,
    y_m: npt.ArrayLike,
    sites: pd.DataFrame,
    *,
    environment: npt.ArrayLike = "urban",
    ut_height_m: npt.ArrayLike = 1.5,
    config: MobileConfig | None = None,
) -> FloatArray:
    """Outdoor RSRP of every receiver from every site row: a dense link matrix.

    The same kernel as :func:`mobile_coverage` without candidate pruning or distance cut-off:
    for studies of a few thousand receivers, or in receiver chunks (memory is 8 bytes × receivers
    × site rows, plus temporaries).

    Parameters
    ----------
    x_m, y_m:
        Receiver positions, EPSG:27700 metres.
    sites:
        Site table (validated with :func:`validate_sites`; columns follow its row order).
    environment:
        Receiver class per receiver (urban/suburban/rural or 0/1/2), or one for all.
    ut_height_m:
        Receiver height per receiver or one for all, m.
    config:
        Model options.

    Returns
    -------
    numpy.ndarray
        ``(n_receivers, n_sites)`` RSRP in dBm.
    """
    cfg = config or MobileConfig()
    table = validate_sites(sites)
    x, y, env, hut = _receiver_arrays(x_m, y_m, environment, ut_height_m)
    out = np.empty((x.shape[0], len(table)), dtype=np.float64)
    for _, frame in table.groupby(["technology", "band_mhz", "cell_type"], sort=False):
        out[:, frame.index.to_numpy()] = dense_rsrp_dbm(_site_group(frame), x, y, env, hut, cfg)
    return out


def best_server_dbm(
    x_m: npt.ArrayLike,
    y_m: npt.ArrayLike,
    sites: pd.DataFrame,
    *,
    environment: npt.ArrayLike = "urban",
    ut_height_m: npt.ArrayLike = 1.5,
    config: MobileConfig | None = None,
) -> tuple[FloatArray, IntArray]:
    """Best outdoor RSRP over every site row, and which row, for each receiver (exhaustive).

    Streams :func:`rsrp_matrix_dbm`'s links in cache-sized blocks without materialising the
    matrix, so it scales to any number of receivers.

    Parameters
    ----------
    x_m, y_m, sites, environment, ut_height_m, config:
        As :func:`rsrp_matrix_dbm`.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Best RSRP (dBm) per receiver, and the position of its site row in ``sites``.
    """
    cfg = config or MobileConfig()
    table = validate_sites(sites)
    x, y, env, hut = _receiver_arrays(x_m, y_m, environment, ut_height_m)
    best = np.full(x.shape[0], -np.inf)
    which = np.zeros(x.shape[0], dtype=np.intp)
    for _, frame in table.groupby(["technology", "band_mhz", "cell_type"], sort=False):
        positions = frame.index.to_numpy()
        for start, stop, value, j in dense_best(_site_group(frame), x, y, env, hut, cfg):
            better = value > best[start:stop]
            best[start:stop][better] = value[better]
            which[start:stop][better] = positions[j[better]]
    return best, which


def _receiver_arrays(
    x_m: npt.ArrayLike, y_m: npt.ArrayLike, environment: npt.ArrayLike, ut_height_m: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, npt.NDArray[np.int8], FloatArray]:
    x = as_float("x_m", x_m).ravel()
    y = as_float("y_m", y_m).ravel()
    if x.shape != y.shape:
        raise InputError("x_m and y_m must have the same length")
    n = x.shape[0]
    env = np.broadcast_to(_env_codes(environment), (n,)).astype(np.int8)
    hut = np.broadcast_to(as_float("ut_height_m", ut_height_m), (n,)).astype(np.float64)
    if (hut <= 0).any():
        raise InputError("ut_height_m must be positive")
    return x, y, env, hut


@dataclass(frozen=True)
class MobileCoverage:
    """Result of :func:`mobile_coverage`; every frame is indexed like the receivers.

    Attributes
    ----------
    rsrp_4g_outdoor_dbm, rsrp_4g_indoor_dbm, rsrp_5g_outdoor_dbm, rsrp_5g_indoor_dbm:
        Best RSRP per operator (one column per operator), dBm; NaN where the operator has no
        site of that technology in reach.  Indoor = outdoor − building entry loss, best over
        bands (the best indoor band can differ from the best outdoor band).
    best_site_4g, best_site_5g:
        ``site_id`` of each operator's best outdoor server (None where there is none).
    summary:
        ``environment`` (urban/suburban/rural), ``premises_density_per_km2``,
        ``good_4g_outdoor_any``, ``good_4g_outdoor_all``, ``good_4g_indoor_any``,
        ``good_4g_indoor_all``, ``operators_good_4g_indoor`` (count),
        ``good_5g_outdoor_any``, ``good_5g_indoor_any``, ``not_spot`` (no operator gives good
        outdoor 4G or 5G) and ``extrapolated`` (a best-server link lies outside its model's
        published validity range).
    operators:
        Operators judged for the "all operators" flags.
    """

    rsrp_4g_outdoor_dbm: pd.DataFrame
    rsrp_4g_indoor_dbm: pd.DataFrame
    rsrp_5g_outdoor_dbm: pd.DataFrame
    rsrp_5g_indoor_dbm: pd.DataFrame
    best_site_4g: pd.DataFrame
    best_site_5g: pd.DataFrame
    summary: pd.DataFrame
    operators: tuple[str, ...]

    def flat(self) -> pd.DataFrame:
        """One wide frame: the summary plus ``<metric>[<operator>]`` columns, for export."""
        parts = [self.summary]
        for name in (
            "rsrp_4g_outdoor_dbm",
            "rsrp_4g_indoor_dbm",
            "rsrp_5g_outdoor_dbm",
            "rsrp_5g_indoor_dbm",
            "best_site_4g",
            "best_site_5g",
        ):
            frame: pd.DataFrame = getattr(self, name)
            parts.append(frame.rename(columns={op: f"{name}[{op}]" for op in frame.columns}))
        return pd.concat(parts, axis=1)


@dataclass
class _Best:
    """Running best server of one (operator, technology) over its site groups."""

    outdoor: FloatArray
    indoor: FloatArray
    group: npt.NDArray[np.int32]
    site: npt.NDArray[np.intp]

    @classmethod
    def empty(cls, n: int) -> _Best:
        return cls(
            outdoor=np.full(n, -np.inf),
            indoor=np.full(n, -np.inf),
            group=np.full(n, -1, dtype=np.int32),
            site=np.zeros(n, dtype=np.intp),
        )


def _receiver_column(
    receivers: pd.DataFrame, column: str, default: float, low: float, high: float
) -> FloatArray:
    """A numeric receiver column; blanks take ``default`` (which may be NaN: "not given")."""
    if column not in receivers.columns:
        return np.full(len(receivers), default)
    given = receivers[column].notna().to_numpy()
    values = pd.to_numeric(receivers[column], errors="coerce").to_numpy(dtype=np.float64)
    bad = given & ~((values >= low) & (values <= high))
    values = np.where(given, values, default)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{column} must be within {low:g}–{high:g}; got {receivers[column].iloc[row]!r}",
            source="receivers",
            row=row + 1,
            column=column,
        )
    return values


def _building_model_codes(receivers: pd.DataFrame, config: MobileConfig) -> npt.NDArray[np.intp]:
    n = len(receivers)
    default = BUILDING_LOSS_MODELS.index(config.building_loss_model)
    codes = np.full(n, default, dtype=np.intp)
    if "thermally_efficient" in receivers.columns:
        flag = receivers["thermally_efficient"].fillna(False).astype(bool).to_numpy()
        codes[flag] = BUILDING_LOSS_MODELS.index(config.thermally_efficient_building_loss_model)
    if "building_loss_model" in receivers.columns:
        names = receivers["building_loss_model"]
        mapped, given = label_codes(names, BUILDING_LOSS_MODELS, lower=False)
        bad = given & (mapped < 0)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"unknown building loss model {names.iloc[row]!r}; expected one of "
                f"{BUILDING_LOSS_MODELS}",
                source="receivers",
                row=row + 1,
                column="building_loss_model",
            )
        codes[given] = mapped[given]
    return codes


def _entry_loss_table(frequency_mhz: float, config: MobileConfig) -> FloatArray:
    """Entry loss (dB) by [building model code, environment code] for one band."""
    table = np.empty((len(BUILDING_LOSS_MODELS), len(ENVIRONMENTS)))
    for m, model in enumerate(BUILDING_LOSS_MODELS):
        for e, scenario in enumerate(("uma", "uma", "rma")):
            table[m, e] = float(
                building_entry_loss_db(
                    model,
                    frequency_mhz / 1000.0,
                    probability=config.building_loss_probability,
                    scenario=scenario,  # type: ignore[arg-type]
                )
            )
    return table


def _site_group(frame: pd.DataFrame) -> SiteGroup:
    """The kernel's view of sites sharing one band, technology and cell type."""
    first = frame.iloc[0]
    return SiteGroup(
        band_mhz=float(first["band_mhz"]),
        technology=str(first["technology"]),
        cell_type=str(first["cell_type"]),
        x_m=frame["x_m"].to_numpy(dtype=np.float64),
        y_m=frame["y_m"].to_numpy(dtype=np.float64),
        height_m=frame["antenna_height_m"].to_numpy(dtype=np.float64),
        power_dbm=frame["rs_power_dbm"].to_numpy(dtype=np.float64),
    )


def mobile_coverage(
    receivers: pd.DataFrame,
    sites: pd.DataFrame,
    *,
    premises: pd.DataFrame | None = None,
    config: MobileConfig | None = None,
) -> MobileCoverage:
    """Best 4G/5G RSRP outdoors and indoors per operator, and coverage flags, per receiver.

    Parameters
    ----------
    receivers:
        Premises or grid cells: ``x_m``, ``y_m`` (EPSG:27700 metres).  Optional columns:
        ``height_m`` (receiver height, m), ``environment`` (urban/suburban/rural, overriding
        the density classification), ``entry_loss_db`` (building entry loss for this premises,
        dB, any band), ``building_loss_model`` (a name in
        :data:`~geo.coverage.building_loss.BUILDING_LOSS_MODELS`), ``thermally_efficient``
        (bool: use ``config.thermally_efficient_building_loss_model``).
    sites:
        Site table (validated with :func:`validate_sites`).
    premises:
        Premises with ``x_m``, ``y_m`` for the density classification; the receivers
        themselves when omitted (right when the receivers are premises; pass the premises when
        the receivers are grid cells).
    config:
        Model options and thresholds.

    Returns
    -------
    MobileCoverage
        Per-operator RSRP frames, best sites and the summary flags.
    """
    cfg = config or MobileConfig()
    site_table = validate_sites(sites)
    rx = _receiver_xy(receivers)
    n = rx.shape[0]
    index = receivers.index
    heights = _receiver_column(receivers, "height_m", cfg.receiver_height_m, 0.1, 300.0)

    if premises is None:
        px, py = rx[:, 0], rx[:, 1]
    else:
        pxy = _receiver_xy(premises, source="premises")
        px, py = pxy[:, 0], pxy[:, 1]
    environment, density = classify_environment(
        rx[:, 0], rx[:, 1], px, py, thresholds=cfg.environment
    )
    env_codes = np.asarray(environment.codes, dtype=np.int8)
    if "environment" in receivers.columns:
        override, given = label_codes(receivers["environment"], ENVIRONMENTS)
        if given.any():
            bad = given & (override < 0)
            if bad.any():
                row = int(np.flatnonzero(bad)[0])
                raise InputError(
                    f"environment must be one of {ENVIRONMENTS}",
                    source="receivers",
                    row=row + 1,
                    column="environment",
                )
            env_codes = np.where(given, override, env_codes).astype(np.int8)
    model_codes = _building_model_codes(receivers, cfg)
    explicit_loss = _receiver_column(receivers, "entry_loss_db", np.nan, 0.0, 100.0)

    operators = cfg.operators or tuple(sorted(site_table["operator"].unique()))
    unknown = sorted(set(site_table["operator"]) - set(operators))
    if unknown:
        raise InputError(f"sites name operator(s) {unknown} not in config.operators {operators}")
    keys = ["operator", "technology", "band_mhz", "cell_type"]
    groups = [(name, frame) for name, frame in site_table.groupby(keys, sort=True)]
    k_max = max(
        (
            len(frame)
            if cfg.candidates_per_band is None
            else min(cfg.candidates_per_band, len(frame))
        )
        for _, frame in groups
    )
    chunk = max(1, cfg.max_links_per_chunk // k_max)

    results: dict[tuple[str, str], _Best] = {
        (op, tech): _Best.empty(n) for op in operators for tech in ("4G", "5G")
    }
    receivers_state = _Receivers(rx, heights, env_codes, model_codes, explicit_loss)
    for number, (_, frame) in enumerate(groups):
        first = frame.iloc[0]
        best = results[(str(first["operator"]), str(first["technology"]))]
        _evaluate_group(frame, number, receivers_state, best, chunk, cfg)
    sites_of, valid = _best_sites(results, [frame for _, frame in groups], receivers_state, cfg)
    return _assemble(results, sites_of, valid, operators, index, env_codes, density, cfg)


@dataclass(frozen=True)
class _Receivers:
    """Per-receiver arrays the group evaluation needs."""

    xy: FloatArray
    height_m: FloatArray
    env_codes: npt.NDArray[np.int8]
    model_codes: npt.NDArray[np.intp]
    explicit_loss_db: FloatArray


def _evaluate_group(
    frame: pd.DataFrame,
    number: int,
    receivers: _Receivers,
    best: _Best,
    chunk: int,
    cfg: MobileConfig,
) -> None:
    """Fold one (operator, technology, band, cell type) site group into ``best``.

    Groups of up to :data:`DENSE_GROUP_SITES` sites, or no more than ``candidates_per_band``,
    have every link evaluated in dense cache-sized blocks (exact, and faster than a tree query
    at that size); otherwise each receiver's k nearest sites come from a cKDTree, in chunks.
    """
    group = _site_group(frame)
    site_xy = np.column_stack([group.x_m, group.y_m])
    k = cfg.candidates_per_band if cfg.candidates_per_band is not None else len(frame)
    loss_table = _entry_loss_table(group.band_mhz, cfg)
    env_all, h_all, xy = receivers.env_codes, receivers.height_m, receivers.xy

    def fold(start: int, stop: int, value: FloatArray, chosen: IntArray) -> None:
        explicit = receivers.explicit_loss_db[start:stop]
        # Within one band every site sees the same entry loss, so the group's best indoor
        # server is its best outdoor server.
        entry = np.where(
            np.isnan(explicit),
            loss_table[receivers.model_codes[start:stop], env_all[start:stop]],
            explicit,
        )
        np.maximum(best.indoor[start:stop], value - entry, out=best.indoor[start:stop])
        better = value > best.outdoor[start:stop]
        if better.any():
            where = np.flatnonzero(better) + start
            best.outdoor[where] = value[better]
            best.group[where] = number
            best.site[where] = chosen[better]

    if k >= len(frame) or len(frame) <= DENSE_GROUP_SITES:
        for start, stop, value, j in dense_best(
            group, xy[:, 0], xy[:, 1], env_all, h_all, cfg, max_distance_m=cfg.max_site_distance_m
        ):
            fold(start, stop, value, j)
        return
    tree = cKDTree(site_xy)
    k = min(k, len(frame))
    for start in range(0, xy.shape[0], chunk):
        stop = min(xy.shape[0], start + chunk)
        dist, idx = tree.query(
            xy[start:stop], k=list(range(1, k + 1)), distance_upper_bound=cfg.max_site_distance_m
        )
        found = idx < len(frame)
        site_of = np.where(found, idx, 0)
        rsrp = gathered_rsrp_dbm(
            group,
            np.where(found, np.maximum(dist, cfg.min_distance_m), cfg.min_distance_m),
            site_of,
            env_all[start:stop],
            h_all[start:stop],
            cfg,
        )
        rsrp[~found] = -np.inf
        j = np.argmax(rsrp, axis=1)
        rows = np.arange(stop - start)
        fold(start, stop, rsrp[rows, j], site_of[rows, j])


def _best_sites(
    results: Mapping[tuple[str, str], _Best],
    frames: Sequence[pd.DataFrame],
    receivers: _Receivers,
    cfg: MobileConfig,
) -> tuple[dict[tuple[str, str], npt.NDArray[np.object_]], BoolArray]:
    """Site ids of each best server, and whether every best link is inside its model's range."""
    n = receivers.xy.shape[0]
    valid = np.ones(n, dtype=bool)
    sites_of: dict[tuple[str, str], npt.NDArray[np.object_]] = {}
    for key, best in results.items():
        ids = np.full(n, None, dtype=object)
        for number in np.unique(best.group[best.group >= 0]):
            rows = np.flatnonzero(best.group == number)
            frame = frames[int(number)]
            first = frame.iloc[0]
            sites = best.site[rows]
            ids[rows] = frame["site_id"].to_numpy(dtype=object)[sites]
            site_xy = frame[["x_m", "y_m"]].to_numpy(dtype=np.float64)[sites]
            distance = np.hypot(*(receivers.xy[rows] - site_xy).T)
            valid[rows] &= link_within_validity(
                np.maximum(distance, cfg.min_distance_m),
                float(first["band_mhz"]),
                frame["antenna_height_m"].to_numpy(dtype=np.float64)[sites],
                receivers.height_m[rows],
                receivers.env_codes[rows],
                technology=str(first["technology"]),
            )
        sites_of[key] = ids
    return sites_of, valid


def _receiver_xy(table: pd.DataFrame, *, source: str = "receivers") -> FloatArray:
    if not isinstance(table, pd.DataFrame):
        raise InputError(f"{source} must be a pandas DataFrame with x_m and y_m columns")
    for column in ("x_m", "y_m"):
        if column not in table.columns:
            raise InputError(f"missing column {column} (EPSG:27700 metres)", source=source)
    xy = (
        np.column_stack(
            [
                pd.to_numeric(table[c], errors="coerce").to_numpy(dtype=np.float64)
                for c in ("x_m", "y_m")
            ]
        )
        if len(table)
        else np.zeros((0, 2))
    )
    bad = ~np.isfinite(xy).all(axis=1)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError("x_m and y_m must be numbers", source=source, row=row + 1)
    return xy


def _assemble(
    results: Mapping[tuple[str, str], _Best],
    sites_of: Mapping[tuple[str, str], npt.NDArray[np.object_]],
    valid: BoolArray,
    operators: Sequence[str],
    index: pd.Index,
    env_codes: npt.NDArray[np.int8],
    density: FloatArray,
    cfg: MobileConfig,
) -> MobileCoverage:
    def frame(tech: str, attribute: str) -> pd.DataFrame:
        columns = {}
        for op in operators:
            if attribute == "site":
                values = sites_of[(op, tech)]
            else:
                values = getattr(results[(op, tech)], attribute)
                values = np.where(np.isfinite(values), values, np.nan)
            columns[op] = values
        out = pd.DataFrame(columns, index=index)
        out.columns.name = "operator"
        return out

    out4, in4 = frame("4G", "outdoor"), frame("4G", "indoor")
    out5, in5 = frame("5G", "outdoor"), frame("5G", "indoor")
    t = cfg.thresholds
    good_out4 = (out4 >= t.outdoor_4g_dbm).to_numpy()
    good_in4 = (in4 >= t.indoor_4g_dbm).to_numpy()
    good_out5 = (out5 >= t.outdoor_5g_dbm).to_numpy()
    good_in5 = (in5 >= t.indoor_5g_dbm).to_numpy()
    codes = np.asarray(env_codes, dtype=np.int8)
    summary = pd.DataFrame(
        {
            "environment": pd.Categorical.from_codes(codes, categories=pd.Index(ENVIRONMENTS)),
            "premises_density_per_km2": density,
            "good_4g_outdoor_any": good_out4.any(axis=1),
            "good_4g_outdoor_all": good_out4.all(axis=1),
            "good_4g_indoor_any": good_in4.any(axis=1),
            "good_4g_indoor_all": good_in4.all(axis=1),
            "operators_good_4g_indoor": good_in4.sum(axis=1).astype(np.int64),
            "good_5g_outdoor_any": good_out5.any(axis=1),
            "good_5g_indoor_any": good_in5.any(axis=1),
            "not_spot": ~(good_out4.any(axis=1) | good_out5.any(axis=1)),
            "extrapolated": ~valid,
        },
        index=index,
    )
    return MobileCoverage(
        rsrp_4g_outdoor_dbm=out4,
        rsrp_4g_indoor_dbm=in4,
        rsrp_5g_outdoor_dbm=out5,
        rsrp_5g_indoor_dbm=in5,
        best_site_4g=frame("4G", "site"),
        best_site_5g=frame("5G", "site"),
        summary=summary,
        operators=tuple(operators),
    )
