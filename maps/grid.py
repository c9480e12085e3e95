"""Premises aggregated to hexagons or squares, so maps never draw one marker per premises.

:func:`bin_premises` puts every premises into a cell of a fixed grid anchored on the British
National Grid origin (so the same cell has the same id in every run and every area) and
counts premises and flagged premises (for example "below 10 Mbit/s" or "good indoor 4G") per
cell.  Cells with fewer than ``min_count`` premises are suppressed: their figures are removed,
not just hidden, so they cannot reach a page or an export.  :func:`add_cells_layer` draws the
result as a choropleth layer.

Binning is vectorised: a hexagonal lattice is two offset rectangular lattices, and the nearest
centre in each is found by rounding, so a million premises take well under a second.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import folium
import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from geo.errors import InputError
from maps._text import ValueFormat
from maps.choropleth import TooltipColumn, add_choropleth_layer
from maps.legend import Legend
from maps.palettes import ClassBreaks, fixed_breaks
from maps.simplify import BNG

__all__ = [
    "MAX_DRAWN_CELLS",
    "CellShape",
    "add_cells_layer",
    "bin_premises",
    "cell_polygons",
    "cell_rows_cols",
]

CellShape = Literal["hex", "square"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

_MAX_CELLS = 100_000
MAX_DRAWN_CELLS = 10_000
"""Most cells :func:`add_cells_layer` draws: about 3.5 MB of page; 250 m hexagons over a
London borough are about a thousand."""
_SQRT3 = math.sqrt(3.0)


def _check_size(cell_size_m: float) -> None:
    if not (math.isfinite(cell_size_m) and cell_size_m > 0):
        raise ValueError(f"cell_size_m must be a width in metres above 0, not {cell_size_m!r}")


def cell_rows_cols(
    x_m: npt.ArrayLike,
    y_m: npt.ArrayLike,
    *,
    cell_size_m: float,
    shape: CellShape = "hex",
) -> tuple[IntArray, IntArray]:
    """Row and column of the grid cell holding each point.

    Hexagons are "pointy-top": ``cell_size_m`` is the distance between neighbouring centres
    (the width across flats); odd rows are shifted half a cell east.  Squares have sides of
    ``cell_size_m``.  Both grids are anchored at the EPSG:27700 origin.

    Parameters
    ----------
    x_m, y_m:
        Eastings and northings in EPSG:27700 metres.
    cell_size_m:
        Cell width in metres.
    shape:
        ``"hex"`` or ``"square"``.

    Returns
    -------
    (rows, cols)
        Integer arrays, same length as the inputs.
    """
    _check_size(cell_size_m)
    x = np.asarray(x_m, dtype=np.float64)
    y = np.asarray(y_m, dtype=np.float64)
    if shape == "square":
        return (
            np.floor(y / cell_size_m).astype(np.int64),
            np.floor(x / cell_size_m).astype(np.int64),
        )
    if shape != "hex":
        raise ValueError(f"shape must be 'hex' or 'square', not {shape!r}")
    width = cell_size_m
    row_step = 1.5 * width / _SQRT3
    # Even rows: centres (q w, r dy); odd rows: ((q + 1/2) w, r dy).  Each is a rectangular
    # lattice with spacing (w, 2 dy) whose nearest point is found by rounding; the hexagon
    # holding a point is whichever of the two candidates is nearer (hexagons are the Voronoi
    # cells of their centres).
    even_j = np.rint(y / (2.0 * row_step))
    even_q = np.rint(x / width)
    odd_j = np.rint((y - row_step) / (2.0 * row_step))
    odd_q = np.rint(x / width - 0.5)
    even_d2 = (x - even_q * width) ** 2 + (y - even_j * 2.0 * row_step) ** 2
    odd_d2 = (x - (odd_q + 0.5) * width) ** 2 + (y - (2.0 * odd_j + 1.0) * row_step) ** 2
    use_odd = odd_d2 < even_d2
    rows = np.where(use_odd, 2.0 * odd_j + 1.0, 2.0 * even_j).astype(np.int64)
    cols = np.where(use_odd, odd_q, even_q).astype(np.int64)
    return rows, cols


def cell_polygons(
    rows: npt.ArrayLike,
    cols: npt.ArrayLike,
    *,
    cell_size_m: float,
    shape: CellShape = "hex",
) -> npt.NDArray[np.object_]:
    """Polygons (EPSG:27700, counter-clockwise) of the cells at ``rows`` and ``cols``.

    Parameters
    ----------
    rows, cols:
        Cell positions as returned by :func:`cell_rows_cols`.
    cell_size_m, shape:
        As :func:`cell_rows_cols`.

    Returns
    -------
    numpy.ndarray
        shapely Polygons.
    """
    _check_size(cell_size_m)
    r = np.asarray(rows, dtype=np.float64)
    q = np.asarray(cols, dtype=np.float64)
    if shape == "square":
        return np.asarray(
            shapely.box(
                q * cell_size_m, r * cell_size_m, (q + 1) * cell_size_m, (r + 1) * cell_size_m
            ),
            dtype=object,
        )
    if shape != "hex":
        raise ValueError(f"shape must be 'hex' or 'square', not {shape!r}")
    width = cell_size_m
    radius = width / _SQRT3
    centre_x = (q + 0.5 * (np.mod(r, 2.0))) * width
    centre_y = r * 1.5 * radius
    angles = np.radians(30.0 + 60.0 * np.arange(7))
    ring_x = centre_x[:, None] + radius * np.cos(angles)[None, :]
    ring_y = centre_y[:, None] + radius * np.sin(angles)[None, :]
    return np.asarray(shapely.polygons(np.stack([ring_x, ring_y], axis=-1)), dtype=object)


def bin_premises(
    premises: gpd.GeoDataFrame,
    *,
    flag_column: str | None = None,
    cell_size_m: float = 250.0,
    shape: CellShape = "hex",
    min_count: int = 10,
    source: str = "premises",
) -> gpd.GeoDataFrame:
    """Count premises (and flagged premises) per grid cell, suppressing small cells.

    Parameters
    ----------
    premises:
        Premises points in any declared CRS (reprojected to EPSG:27700).
    flag_column:
        Optional yes/no column (for example ``below_uso`` or ``good_4g_indoor_any``); the
        share of premises with ``True`` is reported per cell.  Missing values are refused.
    cell_size_m:
        Cell width in metres (hexagon: distance between neighbouring centres).
    shape:
        ``"hex"`` or ``"square"``.
    min_count:
        Cells with fewer premises than this are suppressed.
    source:
        Layer name for error messages.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per cell holding at least one premises, ordered south to north, west to east,
        in EPSG:27700, with columns ``cell_id`` (stable text id), ``row``, ``col``,
        ``premises_count`` and ``flagged_count`` (nullable integers), ``share`` (nullable
        float, 0–1), ``suppressed`` (bool) and ``geometry``.  For suppressed cells the three
        figures are missing.  ``attrs`` records ``cell_size_m``, ``shape`` and ``min_count``.

    Raises
    ------
    InputError
        If the layer has no CRS, a feature is not a point, the flag column is missing or has
        missing values, or the grid would have too many cells.
    """
    if not isinstance(premises, gpd.GeoDataFrame):
        raise InputError("must be a GeoDataFrame of premises points", source=source)
    if premises.crs is None:
        raise InputError(
            "has no coordinate reference system; set it (e.g. EPSG:27700) first", source=source
        )
    _check_size(cell_size_m)
    if min_count < 1:
        raise ValueError(f"min_count must be 1 or more premises, not {min_count!r}")
    geometry = np.asarray(premises.to_crs(BNG).geometry.array, dtype=object)
    not_point = shapely.is_missing(geometry) | (shapely.get_type_id(geometry) != 0)
    if not_point.any():
        raise InputError(
            "has a feature that is not a point; give one point per premises",
            source=source,
            row=int(np.flatnonzero(not_point)[0]) + 1,
        )
    flags: npt.NDArray[np.float64] | None = None
    if flag_column is not None:
        if flag_column not in premises.columns:
            raise InputError(f"has no column {flag_column!r}", source=source)
        column = premises[flag_column]
        if column.isna().any():
            raise InputError(
                "has a missing yes/no value; fill or drop those premises first",
                source=source,
                column=flag_column,
                row=int(np.flatnonzero(column.isna().to_numpy())[0]) + 1,
            )
        flags = column.astype(bool).to_numpy(dtype=np.float64)
    xy = shapely.get_coordinates(geometry)
    rows, cols = cell_rows_cols(xy[:, 0], xy[:, 1], cell_size_m=cell_size_m, shape=shape)
    # One int64 key per cell: row in the high 32 bits, column offset into the low 32 bits.
    keys = rows * (1 << 32) + (cols + (1 << 31))
    unique_keys, inverse = np.unique(keys, return_inverse=True)
    if unique_keys.shape[0] > _MAX_CELLS:
        raise InputError(
            f"{cell_size_m:g} m cells give {unique_keys.shape[0]:,} cells; use larger cells",
            source=source,
        )
    cell_rows, offset = np.divmod(unique_keys, 1 << 32)
    cell_cols = offset - (1 << 31)
    counts = np.bincount(inverse, minlength=unique_keys.shape[0])
    suppressed = counts < min_count
    premises_count = pd.array(counts, dtype="Int64")
    premises_count[suppressed] = pd.NA
    if flags is not None:
        flagged_raw = np.rint(np.bincount(inverse, weights=flags, minlength=unique_keys.shape[0]))
        flagged = pd.array(flagged_raw.astype(np.int64), dtype="Int64")
        share = pd.array(flagged_raw / counts, dtype="Float64")
        flagged[suppressed] = pd.NA
        share[suppressed] = pd.NA
    else:
        flagged = pd.array([pd.NA] * unique_keys.shape[0], dtype="Int64")
        share = pd.array([pd.NA] * unique_keys.shape[0], dtype="Float64")
    prefix = f"{shape}{cell_size_m:g}m"
    cell_id = pd.Series(cell_rows.astype(str), dtype=object)
    cell_id = prefix + ":" + cell_id + ":" + pd.Series(cell_cols.astype(str), dtype=object)
    cells = gpd.GeoDataFrame(
        {
            "cell_id": cell_id.to_numpy(dtype=object),
            "row": cell_rows,
            "col": cell_cols,
            "premises_count": premises_count,
            "flagged_count": flagged,
            "share": share,
            "suppressed": suppressed,
        },
        geometry=cell_polygons(cell_rows, cell_cols, cell_size_m=cell_size_m, shape=shape),
        crs=BNG,
    )
    cells.attrs.update({"cell_size_m": cell_size_m, "shape": shape, "min_count": min_count})
    return cells


def add_cells_layer(
    m: folium.Map,
    cells: gpd.GeoDataFrame,
    *,
    layer_name: str,
    legend_title: str,
    value_column: str = "share",
    value_format: ValueFormat = "{:.0%}",
    classes: ClassBreaks | None = None,
    high_label: str | None = None,
    low_label: str | None = None,
    show: bool = True,
) -> Legend:
    """Draw cells from :func:`bin_premises` as a choropleth layer.

    Parameters
    ----------
    m:
        The map.
    cells:
        Output of :func:`bin_premises`.
    layer_name, legend_title:
        Name in the layer control; what the figure is (``"Share of premises below 10 Mbit/s"``).
    value_column:
        ``"share"`` (default) or ``"premises_count"``.
    value_format:
        How figures are written (``"{:.0%}"`` for shares).
    classes:
        Class edges; for shares by default 0, 10, 25, 50, 75 and 100 % in YlOrRd.

    Returns
    -------
    Legend
        Suppressed cells appear grey as "Fewer than N premises".
    """
    if len(cells) > MAX_DRAWN_CELLS:
        raise InputError(
            f"has {len(cells):,} cells; a page draws at most {MAX_DRAWN_CELLS:,} (about 350 "
            "bytes each).  Bin with larger cells or map a smaller area",
            source="cells",
        )
    if value_column not in {"share", "premises_count"}:
        raise ValueError(f"value_column must be 'share' or 'premises_count', not {value_column!r}")
    min_count = int(cells.attrs.get("min_count", 0))
    words = f"fewer than {min_count} premises" if min_count else "suppressed"
    if classes is None and value_column == "share":
        classes = fixed_breaks(
            [0.0, 0.1, 0.25, 0.5, 0.75, 1.0], scheme="YlOrRd", value_format=value_format
        )
    shown: dict[str, Any] = {
        "cell_id": cells["cell_id"],
        "premises": cells["premises_count"].astype(object).where(~cells["suppressed"], words),
        "value": cells[value_column].astype("Float64").astype(object),
    }
    frame = gpd.GeoDataFrame(shown, geometry=cells.geometry, crs=cells.crs)
    frame["value"] = frame["value"].where(~cells["suppressed"], words)
    return add_choropleth_layer(
        m,
        frame,
        "value",
        code_column="cell_id",
        layer_name=layer_name,
        legend_title=legend_title,
        code_label=None,
        value_format=value_format,
        classes=classes,
        scheme="YlOrRd",
        high_label=high_label,
        low_label=low_label,
        tooltip_columns=[TooltipColumn("premises", "Premises in this cell", "{:,.0f}")],
        show=show,
        line_weight=0.3,
        tolerance_m=0.0,
        source="cells",
    )
