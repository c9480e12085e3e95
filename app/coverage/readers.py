"""Read the files planners bring for the coverage model: exchanges, cabinets and postcode lookups.

Positions come back in British National Grid (EPSG:27700, metres).  A file that cannot be used
raises :class:`geo.errors.InputError` naming the file, the row (1-based, header not counted) and
the column, and saying what to do; nothing is read half-way.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.errors
import shapely
from pyproj import Transformer

from geo.errors import InputError

ASSET_COLUMNS = ("reference", "name", "exchange_reference", "x_m", "y_m")
"""Columns of an asset table (exchanges or cabinets)."""

_ID_COLUMNS = {
    "exchange": ("exchange_id", "exchange_code", "exchange_ref", "id", "code", "reference", "ref"),
    "cabinet": ("cabinet_id", "cabinet_ref", "cab_id", "cabinet", "id", "reference", "ref"),
}
_NAME_COLUMNS = ("name", "exchange_name", "cabinet_name", "site_name")
_PARENT_COLUMNS = ("exchange_id", "exchange_code", "exchange_ref", "exchange")
_X_COLUMNS = ("x_m", "x", "easting", "x_coordinate", "bng_x")
_Y_COLUMNS = ("y_m", "y", "northing", "y_coordinate", "bng_y")
_LAT_COLUMNS = ("lat", "latitude")
_LON_COLUMNS = ("lon", "lng", "long", "longitude")
_VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp")

# Great Britain in British National Grid and in WGS84 (with a margin for the islands).
_BNG_X = (0.0, 700_000.0)
_BNG_Y = (0.0, 1_300_000.0)
_LAT = (49.8, 61.0)
_LON = (-8.8, 2.0)

_TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)


def _find(columns: dict[str, str], names: tuple[str, ...]) -> str | None:
    return next((columns[name] for name in names if name in columns), None)


def _numbers(table: pd.DataFrame, column: str, source: str) -> np.ndarray:
    text = table[column].astype("string").str.strip()
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        shown = text.iloc[row]
        raise InputError(
            f"{'is empty' if pd.isna(shown) or shown == '' else f'is not a number: {shown!r}'}; "
            "every row needs a position",
            source=source,
            row=row + 1,
            column=column,
        )
    return values


def _refuse_outside(
    values: np.ndarray, bounds: tuple[float, float], *, source: str, column: str, what: str
) -> None:
    outside = (values < bounds[0]) | (values > bounds[1])
    if outside.any():
        row = int(np.flatnonzero(outside)[0])
        raise InputError(
            f"{values[row]:g} is not {what}", source=source, row=row + 1, column=column
        )


def _table_positions(table: pd.DataFrame, columns: dict[str, str], source: str) -> np.ndarray:
    """(x, y) in EPSG:27700 from x/y (British National Grid) or lat/lon (WGS84) columns."""
    x_column, y_column = _find(columns, _X_COLUMNS), _find(columns, _Y_COLUMNS)
    lat_column, lon_column = _find(columns, _LAT_COLUMNS), _find(columns, _LON_COLUMNS)
    if x_column and y_column:
        x = _numbers(table, x_column, source)
        y = _numbers(table, y_column, source)
        _refuse_outside(
            x, _BNG_X, source=source, column=x_column,
            what="a British National Grid easting (0 to 700000 m): give EPSG:27700 metres",
        )  # fmt: skip
        _refuse_outside(
            y, _BNG_Y, source=source, column=y_column,
            what="a British National Grid northing (0 to 1300000 m): give EPSG:27700 metres",
        )  # fmt: skip
        return np.column_stack([x, y])
    if lat_column and lon_column:
        lat = _numbers(table, lat_column, source)
        lon = _numbers(table, lon_column, source)
        swapped = (lat >= _LON[0]) & (lat <= _LON[1]) & (lon >= _LAT[0]) & (lon <= _LAT[1])
        if swapped.any():
            row = int(np.flatnonzero(swapped)[0])
            raise InputError(
                "latitude and longitude look swapped (latitude is about 50 to 60 in Great "
                "Britain, longitude about -8 to 2)",
                source=source,
                row=row + 1,
                column=lat_column,
            )
        _refuse_outside(
            lat, _LAT, source=source, column=lat_column,
            what="a latitude in Great Britain (49.8 to 61)",
        )  # fmt: skip
        _refuse_outside(
            lon, _LON, source=source, column=lon_column,
            what="a longitude in Great Britain (-8.8 to 2)",
        )  # fmt: skip
        x, y = _TO_BNG.transform(lon, lat)
        return np.column_stack([np.asarray(x), np.asarray(y)])
    raise InputError(
        "has no position columns: give x and y (British National Grid, EPSG:27700 metres) or "
        f"lat and lon (WGS84); its columns are {', '.join(map(str, table.columns))}",
        source=source,
    )


def _text_column(table: pd.DataFrame, column: str | None) -> np.ndarray:
    if column is None:
        return np.full(len(table), None, dtype=object)
    text = table[column].astype("string").str.strip()
    present = (text.notna() & (text != "")).to_numpy(dtype=bool)
    # Object dtype first: a string column would turn None back into <NA>.
    values = text.astype(object).to_numpy(dtype=object, copy=True)
    values[~present] = None
    return values


def _read_vector(file: Path) -> tuple[pd.DataFrame, np.ndarray]:
    try:
        frame = pyogrio.read_dataframe(file)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as error:
        raise InputError(f"cannot be read as a map layer ({error})", source=file.name) from None
    if not isinstance(frame, gpd.GeoDataFrame):
        raise InputError("has no geometry: give points (or a CSV with x/y)", source=file.name)
    if frame.crs is None:
        raise InputError(
            "has no coordinate reference system: export it again with its CRS (EPSG:4326 or "
            "EPSG:27700)",
            source=file.name,
        )
    geoms = np.asarray(frame.to_crs("EPSG:27700").geometry.to_numpy(), dtype=object)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        raise InputError(
            "feature has no geometry", source=file.name, row=int(np.flatnonzero(missing)[0]) + 1
        )
    kinds = shapely.get_type_id(geoms)
    # Points as they are; a building outline (polygon) stands for the point inside it.
    lines = np.isin(kinds, (1, 2, 5))
    if lines.any():
        raise InputError(
            "is a line: give each exchange or cabinet as a point (or a building polygon)",
            source=file.name,
            row=int(np.flatnonzero(lines)[0]) + 1,
        )
    points = np.where(kinds == 0, geoms, shapely.point_on_surface(geoms))
    xy = np.column_stack([shapely.get_x(points), shapely.get_y(points)])
    table = pd.DataFrame(frame.drop(columns=frame.geometry.name)).astype(object)
    return table, xy


def read_assets(path: str | Path, *, kind: str) -> pd.DataFrame:
    """Read telephone exchanges or street cabinets from a CSV or a point layer.

    Parameters
    ----------
    path:
        CSV with an id column (``cabinet_id`` / ``exchange_id``, ``id``, ``reference``...),
        optional ``name`` and (for cabinets) ``exchange_id``, and a position as ``x``/``y``
        (British National Grid, EPSG:27700 metres; also ``easting``/``northing``, ``x_m``/
        ``y_m``) or ``lat``/``lon`` (WGS84).  Or GeoJSON / GeoPackage / Shapefile points (or
        building polygons) with a CRS and the same attribute columns.
    kind:
        ``"exchange"`` or ``"cabinet"``.

    Returns
    -------
    pandas.DataFrame
        :data:`ASSET_COLUMNS`; ``x_m``, ``y_m`` in EPSG:27700 metres, file order.

    Raises
    ------
    geo.errors.InputError
        Missing or unreadable file, no id or position column, an empty or repeated id, a value
        that is not a number, or a position outside Great Britain (naming row and column).
    """
    if kind not in _ID_COLUMNS:
        raise ValueError(f"kind must be 'exchange' or 'cabinet', not {kind!r}")
    file = Path(path)
    source = file.name
    if not file.is_file():
        raise InputError(f"no such file: check the path (looked for {file})", source=source)
    suffix = file.suffix.lower()
    if suffix == ".csv":
        try:
            table = pd.read_csv(file, dtype=str, keep_default_na=False, na_values=[""])
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
            raise InputError(f"cannot be read as CSV ({error})", source=source) from None
        table.columns = [str(column).strip().lstrip("\ufeff") for column in table.columns]
        columns = {str(column).strip().lower(): str(column) for column in table.columns}
        if table.empty:
            raise InputError("has no rows", source=source)
        xy = None
    elif suffix in _VECTOR_SUFFIXES:
        table, xy = _read_vector(file)
        columns = {str(column).strip().lower(): str(column) for column in table.columns}
        if table.empty:
            raise InputError("has no features", source=source)
    else:
        raise InputError(
            "is not a CSV, GeoJSON, GeoPackage or Shapefile: export the "
            f"{kind}s in one of those formats",
            source=source,
        )
    id_names = _ID_COLUMNS[kind]
    id_column = _find(columns, id_names)
    if id_column is None:
        raise InputError(
            f"has no {kind} id column: name one of {', '.join(id_names)}; its columns are "
            f"{', '.join(map(str, table.columns))}",
            source=source,
        )
    references = _text_column(table, id_column)
    empty = np.array([value is None for value in references])
    if empty.any():
        raise InputError(
            f"the {kind} id is empty", source=source, row=int(np.flatnonzero(empty)[0]) + 1,
            column=id_column,
        )  # fmt: skip
    repeated = pd.Series(references).duplicated().to_numpy()
    if repeated.any():
        row = int(np.flatnonzero(repeated)[0])
        raise InputError(
            f"{kind} {references[row]} appears twice: each {kind} needs its own id",
            source=source,
            row=row + 1,
            column=id_column,
        )
    too_long = np.array([len(str(value)) > 60 for value in references])
    if too_long.any():
        raise InputError(
            f"the {kind} id is longer than 60 characters",
            source=source,
            row=int(np.flatnonzero(too_long)[0]) + 1,
            column=id_column,
        )
    if xy is None:
        xy = _table_positions(table, columns, source)
    else:
        _refuse_outside(
            xy[:, 0], _BNG_X, source=source, column="geometry",
            what="inside Great Britain (British National Grid easting)",
        )  # fmt: skip
        _refuse_outside(
            xy[:, 1], _BNG_Y, source=source, column="geometry",
            what="inside Great Britain (British National Grid northing)",
        )  # fmt: skip
    parent = None if kind == "exchange" else _find(columns, _PARENT_COLUMNS)
    if parent == id_column:
        parent = None
    return pd.DataFrame(
        {
            "reference": references,
            "name": _text_column(table, _find(columns, _NAME_COLUMNS)),
            "exchange_reference": _text_column(table, parent),
            "x_m": xy[:, 0],
            "y_m": xy[:, 1],
        }
    )


_POSTCODE_COLUMNS = ("pcds", "pcd", "pcd7", "pcd8", "postcode", "postcode_space")
_LSOA_COLUMNS = {
    "LSOA21": ("lsoa21cd", "lsoa21", "lsoa21_code"),
    "LSOA11": ("lsoa11cd", "lsoa11", "lsoa11_code"),
}


def read_postcode_lookup(path: str | Path, *, lsoa_vintage: str) -> pd.Series:
    """Postcode → LSOA code from an ONS Postcode Directory (or NSPL) extract.

    Parameters
    ----------
    path:
        CSV with a postcode column (``pcds``, ``pcd``, ``pcd7``, ``pcd8`` or ``postcode``) and an
        LSOA column of the vintage of the stored LSOAs (``lsoa21cd`` or ``lsoa11cd``;
        ``lsoa21``/``lsoa11`` as in the ONSPD).
    lsoa_vintage:
        ``"LSOA21"`` or ``"LSOA11"``: which LSOA column to read.

    Returns
    -------
    pandas.Series
        LSOA codes indexed by postcode (upper case, spaces removed), named ``lsoa_code``;
        postcodes without an LSOA are left out.

    Raises
    ------
    geo.errors.InputError
        Missing or unreadable file, or no postcode or LSOA column.
    """
    from geo.sources.boundaries import read_lookup

    table = read_lookup(path)
    file = Path(path)
    columns = {str(column).strip().lower(): str(column) for column in table.columns}
    postcode = _find(columns, _POSTCODE_COLUMNS)
    lsoa_names = _LSOA_COLUMNS.get(lsoa_vintage)
    if lsoa_names is None:
        raise InputError(
            f"the stored LSOAs are {lsoa_vintage}; a postcode lookup needs LSOA 2011 or 2021",
            source=file.name,
        )
    lsoa = _find(columns, lsoa_names)
    if postcode is None or lsoa is None:
        raise InputError(
            f"needs a postcode column ({', '.join(_POSTCODE_COLUMNS)}) and an {lsoa_vintage} "
            f"column ({', '.join(lsoa_names)}), as in the ONS Postcode Directory; its columns "
            f"are {', '.join(map(str, table.columns))}",
            source=file.name,
        )
    codes = table[postcode].astype("string").str.upper().str.replace(r"\s+", "", regex=True)
    frame = pd.DataFrame({"postcode": codes, "lsoa_code": table[lsoa].astype("string")})
    frame = frame.dropna().drop_duplicates("postcode")
    return pd.Series(
        frame["lsoa_code"].to_numpy(dtype=object),
        index=pd.Index(frame["postcode"].to_numpy(dtype=object), name="postcode"),
        name="lsoa_code",
    )
