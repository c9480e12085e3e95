"""Mobile signal (RSRP) grids drawn as a raster image overlay.

A grid of predicted signal strength, one value per cell of a regular EPSG:27700 grid (as
:func:`geo.coverage.mobile.grid` makes), is classed with a colour-blind-safe scale, resampled
onto a grid that is regular in Web Mercator (what Leaflet stretches an image over; the British
National Grid is rotated against it by about a degree, which over a borough would misplace
cells by a hundred metres or more), encoded as a PNG and embedded as a ``data:`` URL in a
``folium.raster_layers.ImageOverlay``.  Cells without a figure are transparent.

The PNG encoder is the standard one (zlib, CRC-32) written with the standard library, so no
imaging package is needed.
"""

from __future__ import annotations

import base64
import math
import struct
import zlib

import folium
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj

from maps._text import escape_text
from maps.base import keep_layer_control_last
from maps.legend import Legend, LegendControl, LegendEntry
from maps.palettes import ClassBreaks, fixed_breaks

__all__ = [
    "RSRP_CLASSES",
    "add_signal_raster",
    "classes_to_rgba",
    "encode_png",
    "grid_to_array",
    "png_data_url",
    "to_web_mercator",
]

RSRP_CLASSES: ClassBreaks = fixed_breaks(
    [-140.0, -115.0, -105.0, -95.0, -85.0, -44.0],
    scheme="viridis",
    labels=(
        "Below −115 dBm: no usable signal",
        "−115 to −105 dBm: weak, below Ofcom's outdoor level",
        "−105 to −95 dBm: covered outdoors (Ofcom level −105 dBm)",
        "−95 to −85 dBm: good",
        "−85 dBm or stronger: very good",
    ),
)
"""Default RSRP classes (dBm).  −105 dBm is Ofcom's outdoor 4G coverage level; −140 and −44 dBm
are the ends of the 3GPP reporting range (values beyond them fall in the end classes)."""

UInt8Array = npt.NDArray[np.uint8]
FloatArray = npt.NDArray[np.float64]

_BNG = pyproj.CRS.from_epsg(27700)
_MERCATOR = pyproj.CRS.from_epsg(3857)
_WGS84 = pyproj.CRS.from_epsg(4326)
_MAX_PIXELS = 16_000_000


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
    )


def encode_png(rgba: npt.ArrayLike) -> bytes:
    """Encode an RGBA image as PNG bytes (8 bits per channel, no filtering).

    Parameters
    ----------
    rgba:
        ``(height, width, 4)`` array of 0–255; row 0 is the top of the image.

    Returns
    -------
    bytes
        A complete PNG file.
    """
    image = np.asarray(rgba)
    if image.ndim != 3 or image.shape[2] != 4 or image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"an RGBA image must have shape (height, width, 4), not {image.shape}")
    if image.dtype != np.uint8:
        if not np.isfinite(image).all() or image.min() < 0 or image.max() > 255:
            raise ValueError("RGBA values must be 0 to 255")
        image = image.astype(np.uint8)
    height, width = image.shape[:2]
    # Each scanline starts with its filter type (0: none).
    raw = np.concatenate(
        [np.zeros((height, 1), dtype=np.uint8), image.reshape(height, width * 4)], axis=1
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(raw.tobytes(), 9)),
            _chunk(b"IEND", b""),
        ]
    )


def png_data_url(png: bytes) -> str:
    """A ``data:image/png;base64,...`` URL for PNG bytes (needs ``img-src data:`` in a CSP)."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _rgb(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def classes_to_rgba(
    values: npt.ArrayLike,
    classes: ClassBreaks = RSRP_CLASSES,
    *,
    clip: bool = True,
) -> UInt8Array:
    """Colour each value by its class; NaN becomes fully transparent.

    Parameters
    ----------
    values:
        2-D array of figures in the units of ``classes`` (dBm for RSRP).
    classes:
        Class edges and colours.
    clip:
        Put values beyond the end edges into the end classes (model output can run past
        the reporting range) instead of refusing them.

    Returns
    -------
    numpy.ndarray
        ``values.shape + (4,)`` uint8 RGBA.
    """
    array = np.asarray(values, dtype=np.float64)
    if clip:
        array = np.where(
            np.isnan(array), np.nan, np.clip(array, classes.edges[0], classes.edges[-1])
        )
    index = classes.classify(array.ravel()).reshape(array.shape)
    table = np.zeros((classes.n_classes + 1, 4), dtype=np.uint8)
    for position, colour in enumerate(classes.colours):
        table[position, :3] = _rgb(colour)
        table[position, 3] = 255
    # Index -1 (no value) picks the last row: transparent.
    return table[index]


def grid_to_array(
    values: pd.Series | npt.ArrayLike,
    rows: npt.ArrayLike,
    cols: npt.ArrayLike,
    *,
    shape: tuple[int, int] | None = None,
) -> FloatArray:
    """Put per-cell values into a 2-D array (row 0 = the southern row, as the grid numbers them).

    Parameters
    ----------
    values:
        One value per cell (for example a receiver column of
        :class:`geo.coverage.mobile.MobileCoverage` on :func:`geo.coverage.mobile.grid` cells).
    rows, cols:
        The cells' ``row`` and ``col``.
    shape:
        ``(n_rows, n_cols)``; by default one more than the largest row and column.

    Returns
    -------
    numpy.ndarray
        Float array with NaN where no value was given.
    """
    data = np.asarray(values, dtype=np.float64)
    r = np.asarray(rows, dtype=np.int64)
    c = np.asarray(cols, dtype=np.int64)
    if not data.shape == r.shape == c.shape:
        raise ValueError("values, rows and cols must have the same length")
    if r.size and (r.min() < 0 or c.min() < 0):
        raise ValueError("rows and cols must be 0 or more")
    n_rows, n_cols = shape if shape is not None else (int(r.max()) + 1, int(c.max()) + 1)
    out = np.full((n_rows, n_cols), np.nan)
    out[r, c] = data
    return out


def to_web_mercator(
    values: npt.ArrayLike,
    *,
    origin_m: tuple[float, float],
    cell_m: float,
    pixels_per_cell: int = 1,
) -> tuple[FloatArray, tuple[tuple[float, float], tuple[float, float]]]:
    """Resample a British National Grid raster onto a grid regular in Web Mercator.

    Nearest-neighbour: every output pixel takes the value of the BNG cell under its centre, so
    classes are never blended.

    Parameters
    ----------
    values:
        ``(n_rows, n_cols)`` figures; row 0 is the southern row.
    origin_m:
        ``(min_x, min_y)``: the south-west corner of cell (0, 0), EPSG:27700 metres.
    cell_m:
        Cell size in metres.
    pixels_per_cell:
        Output pixels per input cell along each axis (the output is
        ``(n_rows * k, n_cols * k)``; 1 keeps the grid's shape, 2 smooths the staircase that
        the rotation between the grids makes).

    Returns
    -------
    (image, bounds)
        ``image`` with row 0 at the top (north) and NaN outside the grid; ``bounds`` as
        ``((south, west), (north, east))`` in degrees, for Leaflet.
    """
    grid = np.asarray(values, dtype=np.float64)
    if grid.ndim != 2 or grid.shape[0] == 0 or grid.shape[1] == 0:
        raise ValueError(f"values must be a non-empty 2-D grid, not shape {grid.shape}")
    if not (math.isfinite(cell_m) and cell_m > 0):
        raise ValueError(f"cell_m must be a size in metres above 0, not {cell_m!r}")
    if pixels_per_cell < 1:
        raise ValueError("pixels_per_cell must be 1 or more")
    n_rows, n_cols = grid.shape
    height, width = n_rows * pixels_per_cell, n_cols * pixels_per_cell
    if height * width > _MAX_PIXELS:
        raise ValueError(
            f"the image would have {height * width:,} pixels; use larger cells or fewer pixels"
        )
    min_x, min_y = (float(v) for v in origin_m)
    max_x, max_y = min_x + n_cols * cell_m, min_y + n_rows * cell_m
    to_mercator = pyproj.Transformer.from_crs(_BNG, _MERCATOR, always_xy=True)
    west, south, east, north = to_mercator.transform_bounds(
        min_x, min_y, max_x, max_y, densify_pts=51
    )
    xs = west + (np.arange(width) + 0.5) * (east - west) / width
    ys = north - (np.arange(height) + 0.5) * (north - south) / height
    grid_x, grid_y = np.meshgrid(xs, ys)
    to_bng = pyproj.Transformer.from_crs(_MERCATOR, _BNG, always_xy=True)
    bng_x, bng_y = to_bng.transform(grid_x.ravel(), grid_y.ravel())
    col = np.floor((np.asarray(bng_x) - min_x) / cell_m).astype(np.int64)
    row = np.floor((np.asarray(bng_y) - min_y) / cell_m).astype(np.int64)
    inside = (col >= 0) & (col < n_cols) & (row >= 0) & (row < n_rows)
    image = np.full(height * width, np.nan)
    image[inside] = grid[row[inside], col[inside]]
    to_degrees = pyproj.Transformer.from_crs(_MERCATOR, _WGS84, always_xy=True)
    (lon_w, lon_e), (lat_s, lat_n) = to_degrees.transform([west, east], [south, north])
    return image.reshape(height, width), (
        (float(lat_s), float(lon_w)),
        (float(lat_n), float(lon_e)),
    )


def add_signal_raster(
    m: folium.Map,
    values_dbm: npt.ArrayLike,
    *,
    origin_m: tuple[float, float],
    cell_m: float,
    layer_name: str = "Mobile signal (4G, outdoor)",
    legend_title: str = "Predicted 4G signal strength (RSRP)",
    classes: ClassBreaks = RSRP_CLASSES,
    opacity: float = 0.7,
    pixels_per_cell: int = 1,
    legend_note: str | None = "Planning estimate from a propagation model, not a measurement",
    show: bool = True,
) -> Legend:
    """Draw an RSRP grid as a classed, colour-blind-safe image overlay with its legend.

    Parameters
    ----------
    m:
        The map.
    values_dbm:
        ``(n_rows, n_cols)`` RSRP in dBm on an EPSG:27700 grid, row 0 the southern row (use
        :func:`grid_to_array` on per-cell values); NaN where there is no prediction.
    origin_m, cell_m:
        South-west corner of cell (0, 0) and cell size, EPSG:27700 metres.
    layer_name, legend_title, legend_note:
        Words in the layer control and the legend.
    classes:
        Class edges (dBm) and colours; :data:`RSRP_CLASSES` by default.
    opacity:
        Image opacity, 0–1.
    pixels_per_cell:
        See :func:`to_web_mercator`.
    show:
        Whether the layer is on when the page opens.

    Returns
    -------
    Legend
    """
    if not 0.0 <= opacity <= 1.0:
        raise ValueError(f"opacity must be 0 to 1, not {opacity!r}")
    image, bounds = to_web_mercator(
        values_dbm, origin_m=origin_m, cell_m=cell_m, pixels_per_cell=pixels_per_cell
    )
    png = encode_png(classes_to_rgba(image, classes))
    (south, west), (north, east) = bounds
    layer = folium.raster_layers.ImageOverlay(
        png_data_url(png),
        bounds=[[south, west], [north, east]],
        name=escape_text(layer_name),
        opacity=opacity,
        pixelated=True,
        show=show,
        alt=layer_name,
    )
    layer.add_to(m)
    legend = Legend(
        title=legend_title,
        entries=tuple(
            LegendEntry(label, colour)
            for label, colour in zip(classes.labels[::-1], classes.colours[::-1], strict=True)
        ),
        note=legend_note,
        fill_opacity=opacity,
    )
    LegendControl(legend, layer=layer).add_to(m)
    keep_layer_control_last(m)
    return legend
