"""Premises: the homes and businesses whose connectivity is modelled.

Where the council has an address list (OS Open UPRN, or AddressBase from its GIS team),
:func:`read_address_points` reads it.  Where it has none, :func:`estimate_premises` places
estimated premises along residential streets inside each small area, in proportion to its
Census population; these are flagged ``is_estimate=True`` everywhere downstream.

Every premises layer is a GeoDataFrame of Points in British National Grid (EPSG:27700, metres)
with the columns in :data:`PREMISES_COLUMNS`.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import shapely

from geo.areas import BNG, find_code_columns, require_projected
from geo.errors import InputError

__all__ = [
    "ADDRESS_COLUMNS",
    "GB_BOUNDS_BNG",
    "PREMISES_COLUMNS",
    "RESIDENTIAL_HIGHWAYS",
    "estimate_premises",
    "read_address_points",
]

ADDRESS_COLUMNS = ("UPRN", "X_COORDINATE", "Y_COORDINATE", "LATITUDE", "LONGITUDE")
"""The columns of an OS Open UPRN CSV (the first three are required)."""

PREMISES_COLUMNS = ("premises_id", "uprn", "x_m", "y_m", "is_estimate")
"""Columns every premises layer has (plus ``geometry``; estimates add the area code)."""

RESIDENTIAL_HIGHWAYS: frozenset[str] = frozenset(
    {"residential", "living_street", "unclassified", "tertiary", "tertiary_link", "service"}
)
"""OSM ``highway`` values along which estimated premises are placed."""

GB_BOUNDS_BNG = (0.0, 0.0, 700_000.0, 1_300_000.0)
"""The extent of British National Grid covering Great Britain (min x, min y, max x, max y)."""

_GB_LONLAT = (-9.0, 49.7, 2.1, 61.0)
# OS Open UPRN latitude/longitude come from the grid coordinates through OSTN15; pyproj without
# its transformation grids uses a Helmert transformation good to a few metres.  A gap beyond
# this means the columns disagree (swapped or shifted), not a datum subtlety.
_LONLAT_TOLERANCE_M = 100.0
_MAX_LISTED = 5


def _rows_text(rows: npt.NDArray[np.intp]) -> str:
    """Data rows (1-based, header excluded) and their line numbers in the file."""
    shown = ", ".join(f"{row + 1} (line {row + 2})" for row in rows[:_MAX_LISTED].tolist())
    more = len(rows) - _MAX_LISTED
    return f"row {shown}" + (f" and {more} more rows" if more > 0 else "")


def _numeric(table: pd.DataFrame, column: str, *, source: str) -> npt.NDArray[np.float64]:
    text = table[column].astype("string").str.strip()
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise InputError(
            f"has a missing or non-numeric value in {_rows_text(bad)} (e.g. "
            f"{text.iloc[int(bad[0])]!r}): every row needs a number here",
            source=source,
            column=column,
            row=int(bad[0]) + 1,
        )
    return values


def _refuse_rows(
    mask: npt.NDArray[np.bool_], problem: str, *, source: str, column: str, advice: str = ""
) -> None:
    """Raise naming the rows where ``mask`` is True: "<problem> in row 3 (line 4): <advice>"."""
    rows = np.flatnonzero(mask)
    if rows.size:
        raise InputError(
            f"{problem} in {_rows_text(rows)}" + (f": {advice}" if advice else ""),
            source=source,
            column=column,
            row=int(rows[0]) + 1,
        )


def read_address_points(path: str | Path) -> gpd.GeoDataFrame:
    """Read address points from a CSV in the OS Open UPRN layout.

    Parameters
    ----------
    path:
        CSV with columns ``UPRN``, ``X_COORDINATE``, ``Y_COORDINATE`` (British National Grid,
        metres) and optionally ``LATITUDE``, ``LONGITUDE`` (WGS84), which are cross-checked.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per UPRN in file order: ``premises_id`` (the UPRN as text), ``uprn`` (Int64),
        ``x_m``, ``y_m``, ``is_estimate`` (False) and Point ``geometry`` in EPSG:27700.

    Raises
    ------
    InputError
        Naming the file, column and rows: missing file or column, non-numeric values, UPRNs
        that are not positive whole numbers, repeated UPRNs, coordinates outside Great Britain,
        or latitude/longitude more than 100 m from the grid coordinates.
    """
    file = Path(path)
    source = file.name
    if not file.is_file():
        raise InputError(f"no such file: check the path (looked for {file})", source=source)
    try:
        table = pd.read_csv(file, dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise InputError(f"cannot be read as CSV ({error})", source=source) from None
    table.columns = [str(column).strip().lstrip("\ufeff").upper() for column in table.columns]
    absent = [column for column in ADDRESS_COLUMNS[:3] if column not in table.columns]
    if absent:
        raise InputError(
            f"lacks the column {', '.join(absent)}: an OS Open UPRN file has the columns "
            f"{', '.join(ADDRESS_COLUMNS)} (its columns are {', '.join(table.columns)})",
            source=source,
            column=absent[0],
        )
    if len(table) == 0:
        raise InputError("has no address rows", source=source)
    uprn = _numeric(table, "UPRN", source=source)
    _refuse_rows(
        (uprn <= 0) | (uprn != np.floor(uprn)) | (uprn >= 1e12),
        "has a UPRN that is not a whole number from 1 to 12 digits",
        source=source,
        column="UPRN",
    )
    uprn_int = uprn.astype(np.int64)
    _refuse_rows(
        pd.Series(uprn_int).duplicated(keep=False).to_numpy(),
        "has the same UPRN more than once",
        advice="each address point must appear once",
        source=source,
        column="UPRN",
    )
    x_m = _numeric(table, "X_COORDINATE", source=source)
    y_m = _numeric(table, "Y_COORDINATE", source=source)
    min_x, min_y, max_x, max_y = GB_BOUNDS_BNG
    for column, values, low, high in (
        ("X_COORDINATE", x_m, min_x, max_x),
        ("Y_COORDINATE", y_m, min_y, max_y),
    ):
        _refuse_rows(
            (values < low) | (values > high),
            f"has a coordinate outside Great Britain (British National Grid {column[0]} runs "
            f"{low:,.0f} to {high:,.0f} m)",
            advice="check the columns are not latitude/longitude",
            source=source,
            column=column,
        )
    if {"LATITUDE", "LONGITUDE"} <= set(table.columns):
        lat = _numeric(table, "LATITUDE", source=source)
        lon = _numeric(table, "LONGITUDE", source=source)
        west, south, east, north = _GB_LONLAT
        _refuse_rows(
            (lat < south) | (lat > north) | (lon < west) | (lon > east),
            "has a latitude/longitude outside Great Britain",
            source=source,
            column="LATITUDE",
        )
        to_bng = pyproj.Transformer.from_crs("EPSG:4326", BNG, always_xy=True)
        east_m, north_m = to_bng.transform(lon, lat)
        _refuse_rows(
            np.hypot(east_m - x_m, north_m - y_m) > _LONLAT_TOLERANCE_M,
            f"has LATITUDE/LONGITUDE more than {_LONLAT_TOLERANCE_M:.0f} m from "
            "X_COORDINATE/Y_COORDINATE",
            advice="check the columns are not swapped",
            source=source,
            column="LATITUDE",
        )
    return gpd.GeoDataFrame(
        {
            "premises_id": pd.Series(uprn_int.astype(str), dtype=object),
            "uprn": pd.array(uprn_int, dtype="Int64"),
            "x_m": x_m,
            "y_m": y_m,
            "is_estimate": np.zeros(len(table), dtype=bool),
        },
        geometry=gpd.GeoSeries(shapely.points(x_m, y_m), crs=BNG),
        crs=BNG,
    )


def _highway_mask(highway: pd.Series, wanted: Collection[str]) -> npt.NDArray[np.bool_]:
    """Edges any of whose ``;``-joined (or listed) highway values is wanted."""
    # A network has tens of distinct highway values and thousands of edges: test each once.
    codes, uniques = pd.factorize(
        highway.map(lambda value: ";".join(map(str, value)) if isinstance(value, list) else value)
    )
    wanted_set = set(wanted)
    hit = np.array(
        [bool(wanted_set & {part.strip() for part in str(value).split(";")}) for value in uniques]
        + [False],
        dtype=bool,
    )
    return np.asarray(hit[codes], dtype=bool)


def _street_pieces(
    lines: npt.NDArray[np.object_], areas: npt.NDArray[np.object_]
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.object_]]:
    """Parts of the lines inside each area: (area position of each piece, LineString pieces)."""
    if lines.size == 0 or areas.size == 0:
        return np.empty(0, dtype=np.intp), np.empty(0, dtype=object)
    tree = shapely.STRtree(lines)
    area_index, line_index = tree.query(areas, predicate="intersects")
    clipped = shapely.intersection(lines[line_index], areas[area_index])
    parts, owner = shapely.get_parts(clipped, return_index=True)
    keep = (shapely.get_type_id(parts) == shapely.GeometryType.LINESTRING) & (
        shapely.length(parts) > 0.0
    )
    return area_index[owner[keep]].astype(np.intp), np.asarray(parts[keep], dtype=object)


def estimate_premises(
    street_edges: gpd.GeoDataFrame,
    small_areas: gpd.GeoDataFrame,
    population: pd.Series,
    *,
    seed: int,
    code_column: str | None = None,
    residents_per_premises: float = 2.4,
    highways: Collection[str] = RESIDENTIAL_HIGHWAYS,
    setback_m: tuple[float, float] = (10.0, 15.0),
) -> gpd.GeoDataFrame:
    """Place estimated premises along residential streets, in proportion to population.

    Each small area gets ``round(population / residents_per_premises)`` premises, spread
    uniformly along the length of its residential streets (the parts inside the area) and set
    back to one side of the street by a random 10-15 m, the depth of a front garden.  A point
    whose setback would leave the area is put on the other side, or on the street itself.  An
    area with no residential street uses any street inside it.

    Parameters
    ----------
    street_edges:
        Street centrelines (LineStrings) in a projected CRS in metres (EPSG:27700), with an
        OSM ``highway`` column (e.g. ``StreetNetwork.edges``).
    small_areas:
        LSOA (or OA) polygons with an ONS code column, in the same or another projected CRS.
    population:
        Usual residents per area, indexed by area code (e.g. the Census 2021 table:
        ``census.set_index("lsoa21_code")["total"]``).  Codes not in ``small_areas`` are
        ignored.
    seed:
        Seed of the random generator: the same inputs and seed give the same premises.
    code_column:
        The areas' code column; by default the ONS code column of the finest geography.
    residents_per_premises:
        Average household size; the England and Wales Census 2021 average is 2.4.
    highways:
        OSM ``highway`` values of the streets premises front onto.
    setback_m:
        Range of the distance from the street centreline, metres.

    Returns
    -------
    geopandas.GeoDataFrame
        Points in the streets' CRS with ``premises_id`` (``"EST-<code>-00001"``...), ``uprn``
        (missing), ``x_m``, ``y_m``, ``is_estimate`` (True) and ``<kind>_code`` (e.g.
        ``lsoa_code``), grouped by area in the order of ``small_areas``.

    Raises
    ------
    InputError
        If a layer is not in a projected CRS, a column is missing, an area has no population
        figure or a negative one, or an area with residents has no street at all.
    """
    require_projected(street_edges, "street edges")
    require_projected(small_areas, "small areas")
    if residents_per_premises <= 0:
        raise ValueError("residents_per_premises must be positive")
    low_m, high_m = setback_m
    if not 0 <= low_m <= high_m:
        raise ValueError("setback_m must be (low, high) with 0 <= low <= high metres")
    if "highway" not in street_edges.columns:
        raise InputError("has no 'highway' column", source="street edges", column="highway")
    if code_column is None:
        found = [item for item in find_code_columns(small_areas.columns) if item.kind != "lad"]
        finest = ("oa", "lsoa", "msoa", "ward")
        found.sort(key=lambda item: finest.index(item.kind))
        if not found:
            raise InputError(
                "has no ONS code column (e.g. LSOA21CD): pass code_column=",
                source="small areas",
            )
        code_column = found[0].column
        kind: str = found[0].kind
    else:
        matches = find_code_columns([code_column])
        kind = matches[0].kind if matches else "area"
    if code_column not in small_areas.columns:
        raise InputError("has no such column", source="small areas", column=code_column)
    areas = small_areas
    if pyproj.CRS.from_user_input(areas.crs) != pyproj.CRS.from_user_input(street_edges.crs):
        areas = areas.to_crs(street_edges.crs)
    codes = areas[code_column].astype(str).to_numpy()
    people = pd.to_numeric(population, errors="coerce")
    people.index = people.index.astype(str)
    people = people[~people.index.duplicated(keep="first")]
    residents = people.reindex(codes).to_numpy(dtype=np.float64, na_value=np.nan)
    lacking = np.flatnonzero(~np.isfinite(residents) | (residents < 0))
    if lacking.size:
        raise InputError(
            f"has no usable population figure for {lacking.size} areas "
            f"({', '.join(codes[lacking[:_MAX_LISTED]])}): give every area its usual residents",
            source="population",
        )
    counts = np.rint(residents / residents_per_premises).astype(np.int64)

    area_geoms = np.asarray(areas.geometry.array, dtype=object)
    edge_geoms = np.asarray(street_edges.geometry.array, dtype=object)
    residential = _highway_mask(street_edges["highway"], highways)
    piece_area, pieces = _street_pieces(edge_geoms[residential], area_geoms)
    has_street = np.bincount(piece_area, minlength=len(codes)) > 0
    fallback = np.flatnonzero(~has_street & (counts > 0))
    if fallback.size:
        extra_area, extra = _street_pieces(edge_geoms, area_geoms[fallback])
        piece_area = np.concatenate([piece_area, fallback[extra_area]])
        pieces = np.concatenate([pieces, extra])
        has_street = np.bincount(piece_area, minlength=len(codes)) > 0
    stranded = np.flatnonzero(~has_street & (counts > 0))
    if stranded.size:
        raise InputError(
            f"{stranded.size} areas with residents have no street inside them "
            f"({', '.join(codes[stranded[:_MAX_LISTED]])}): use a street network that covers "
            "every area, or leave those areas out",
            source="street edges",
        )

    order = np.argsort(piece_area, kind="stable")
    piece_area, pieces = piece_area[order], pieces[order]
    piece_length = shapely.length(pieces)
    cumulative = np.cumsum(piece_length)
    area_length = np.bincount(piece_area, weights=piece_length, minlength=len(codes))
    area_start = np.concatenate([[0.0], np.cumsum(area_length)[:-1]])
    last_piece = np.searchsorted(piece_area, np.arange(len(codes)), side="right") - 1

    rng = np.random.default_rng(seed)
    total = int(counts.sum())
    owner = np.repeat(np.arange(len(codes)), counts)
    position = area_start[owner] + rng.random(total) * area_length[owner]
    piece = np.minimum(np.searchsorted(cumulative, position, side="right"), last_piece[owner])
    along = np.clip(position - (cumulative[piece] - piece_length[piece]), 0.0, piece_length[piece])
    chosen = pieces[piece]
    on_street = shapely.get_coordinates(shapely.line_interpolate_point(chosen, along))
    # The street's direction at each point, from a point a metre further on (or back, at the
    # end of a piece).
    forward = along + 1.0 <= piece_length[piece]
    nearby = shapely.get_coordinates(
        shapely.line_interpolate_point(
            chosen, np.where(forward, along + 1.0, np.maximum(along - 1.0, 0.0))
        )
    )
    direction = (nearby - on_street) * np.where(forward, 1.0, -1.0)[:, None]
    norm = np.hypot(direction[:, 0], direction[:, 1])
    norm[norm == 0.0] = 1.0
    normal = np.column_stack([-direction[:, 1], direction[:, 0]]) / norm[:, None]
    side = np.where(rng.random(total) < 0.5, -1.0, 1.0)
    setback = rng.uniform(low_m, high_m, total)
    offset = normal * (side * setback)[:, None]
    xy = on_street + offset
    polygons = area_geoms[owner]
    inside = shapely.contains_xy(polygons, xy[:, 0], xy[:, 1])
    flipped = on_street - offset
    use_flip = ~inside & shapely.contains_xy(polygons, flipped[:, 0], flipped[:, 1])
    xy[use_flip] = flipped[use_flip]
    stay = ~inside & ~use_flip
    xy[stay] = on_street[stay]

    first_of_area = np.concatenate([[0], np.cumsum(counts)[:-1]])
    serial = np.arange(total) - first_of_area[owner] + 1
    owner_codes = codes[owner].astype(str)
    premises_id = np.strings.add(
        np.strings.add("EST-", owner_codes),
        np.strings.add("-", np.strings.zfill(serial.astype(str), 5)),
    )
    return gpd.GeoDataFrame(
        {
            "premises_id": premises_id.astype(object),
            "uprn": pd.array(np.full(total, pd.NA), dtype="Int64"),
            "x_m": xy[:, 0],
            "y_m": xy[:, 1],
            "is_estimate": np.ones(total, dtype=bool),
            f"{kind}_code": owner_codes.astype(object),
        },
        geometry=gpd.GeoSeries(shapely.points(xy), crs=street_edges.crs),
        crs=street_edges.crs,
    )
