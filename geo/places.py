"""Places to get help or get online, and mobile sites, as normalised point layers.

Two layers come out of this module, each a GeoDataFrame of Points in British National Grid
(EPSG:27700, metres) that says where every row came from (``source``) and how old it is
(``source_date``):

* **help places** (:data:`PLACE_COLUMNS`): libraries, community and social centres, town
  halls, internet cafés and other public Wi-Fi, from OpenStreetMap tags
  (:func:`help_places_from_osm`) or the DCMS libraries list matched to building footprints
  (:func:`match_libraries`);
* **mobile sites** (:data:`SITE_COLUMNS`): one row per transmitter record, from Ofcom
  Sitefinder-style tables (:func:`normalise_sites`) or OpenStreetMap masts
  (:func:`mobile_sites_from_osm`).

Files are read in :mod:`geo.sources.venues`; the functions here take tables and check them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import shapely

from geo.areas import BNG
from geo.errors import InputError

__all__ = [
    "DAY_COLUMNS",
    "KNOWN_BANDS_MHZ",
    "MAX_ANTENNA_HEIGHT_M",
    "PLACE_COLUMNS",
    "PLACE_KINDS",
    "POWER_RANGE_DBM",
    "SITE_COLUMNS",
    "LibraryMatch",
    "help_places_from_osm",
    "match_libraries",
    "mobile_sites_from_osm",
    "normalise_sites",
    "sites_within",
]

DAY_COLUMNS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
"""Opening hours by day, as published (DCMS: "All Day (continuous)", "AM Only", "Closed"...)."""

PLACE_COLUMNS = (
    "place_id",
    "name",
    "kind",
    "public_wifi",
    "public_computers",
    "opening_hours",
    *DAY_COLUMNS,
    "address",
    "postcode",
    "x_m",
    "y_m",
    "source",
    "source_date",
)
"""Columns of a help-places layer (plus ``geometry``); ``public_wifi`` and
``public_computers`` are nullable booleans (missing = the source does not say)."""

PLACE_KINDS = (
    "library",
    "community_centre",
    "social_centre",
    "townhall",
    "internet_cafe",
    "public_wifi",
)
"""Kinds of help place.  ``public_wifi`` is any other place tagged with public internet access
(a café, a station); a library with Wi-Fi stays a ``library`` with ``public_wifi`` True."""

SITE_COLUMNS = (
    "site_id",
    "site_ref",
    "operator",
    "technology",
    "band_mhz",
    "antenna_height_m",
    "power_dbm",
    "max_power_dbm",
    "antenna_type",
    "x_m",
    "y_m",
    "source",
    "source_date",
)
"""Columns of a mobile-sites layer (plus ``geometry``).  One row per transmitter record:
``site_ref`` is the published site reference (a Sitefinder grid reference), shared by the
transmitters on one mast; ``site_id`` is unique per row.  Powers are as published (Sitefinder
gives transmitter power in dBW, converted here to dBm); missing where not given."""

KNOWN_BANDS_MHZ = frozenset(
    {380, 400, 410, 450, 700, 800, 900, 1400, 1800, 1900, 2100, 2300, 2600}
    | {3400, 3500, 3600, 3700, 3800, 3900, 26000}
)
"""Frequency bands (MHz) used in the UK for public mobile, GSM-R and TETRA (Airwave) sites."""

MAX_ANTENNA_HEIGHT_M = 300.0
"""No UK mobile antenna is above 300 m (the tallest masts are about 330 m including the mast top,
with antennas lower)."""

POWER_RANGE_DBM = (-40.0, 80.0)
"""Plausible published transmitter powers, dBm (1 µW pico cells to 100 kW EIRP)."""

_OSM_HELP_AMENITIES = {
    "library": "library",
    "community_centre": "community_centre",
    "social_centre": "social_centre",
    "townhall": "townhall",
    "internet_cafe": "internet_cafe",
}
_PUBLIC_WIFI_VALUES = frozenset({"wlan", "yes", "wifi", "wi-fi", "public"})
_TECHNOLOGY = {
    "2G": "GSM",
    "GSM": "GSM",
    "GSM-R": "GSM",
    "3G": "UMTS",
    "UMTS": "UMTS",
    "4G": "LTE",
    "LTE": "LTE",
    "5G": "NR",
    "NR": "NR",
    "TETRA": "TETRA",
}
# Column names used by Ofcom Sitefinder extracts and common re-publications, lower case.
_SITE_FIELDS: dict[str, tuple[str, ...]] = {
    "operator": ("operator",),
    "x": ("x", "easting", "x_m", "x_coordinate"),
    "y": ("y", "northing", "y_m", "y_coordinate"),
    "lat": ("sitelat", "lat", "latitude"),
    "lon": ("sitelng", "lon", "lng", "longitude"),
    "height": ("antennaht", "antenna_height_m", "height_m", "height"),
    "band": ("freqband", "band_mhz", "frequency_mhz", "band"),
    "power_dbw": ("powerdbw",),
    "power_dbm": ("power_dbm", "eirp_dbm", "powerdbm"),
    "max_power_dbw": ("maxpwrdbw",),
    "max_power_dbm": ("maxpwrdbm", "max_power_dbm"),
    "technology": ("transtype", "technology"),
    "site_ref": ("sitengr", "site_id", "site_ref", "opref"),
    "antenna_type": ("anttype", "antenna_type"),
}
_GB_BNG = (0.0, 0.0, 700_000.0, 1_300_000.0)
_GB_LONLAT = (-9.0, 49.7, 2.1, 61.0)
_LONLAT_TOLERANCE_M = 100.0
_SAME_PLACE_M = 300.0
_MAX_LISTED = 5


@dataclass(frozen=True, eq=False)
class LibraryMatch:
    """The DCMS libraries placed on building footprints, and the ones that could not be.

    Attributes
    ----------
    places:
        Help places (:data:`PLACE_COLUMNS` plus ``footprint_id``, ``match`` ("exact" or
        "prefix"), ``weekly_hours``), EPSG:27700.
    unmatched:
        Open libraries with no footprint of that name: ``name``, ``authority``, ``postcode``,
        ``reason``.  Geocode these by postcode or UPRN, or add them by hand.
    skipped:
        Rows left out on purpose (closed, or mobile libraries): ``name``, ``authority``,
        ``reason``.
    """

    places: gpd.GeoDataFrame
    unmatched: pd.DataFrame
    skipped: pd.DataFrame


def _rows_text(rows: npt.NDArray[np.intp]) -> str:
    shown = ", ".join(f"{row + 1} (line {row + 2})" for row in rows[:_MAX_LISTED].tolist())
    more = len(rows) - _MAX_LISTED
    return f"row {shown}" + (f" and {more} more rows" if more > 0 else "")


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


def _text_column(frame: pd.DataFrame, column: str) -> pd.Series:
    """A column as stripped text (missing where absent or blank)."""
    if column not in frame.columns:
        return pd.Series(pd.NA, index=frame.index, dtype="string")
    text = frame[column].astype("string").str.strip()
    return text.mask(text == "")


def _objects(values: pd.Series) -> npt.NDArray[np.object_]:
    """Values as an object array with None where missing (for text columns)."""
    return np.asarray(values.astype(object).where(values.notna(), None), dtype=object)


def _points_bng(frame: gpd.GeoDataFrame, *, source: str) -> npt.NDArray[np.float64]:
    """A point inside each feature, as EPSG:27700 x/y (areas reduced to a point on the surface)."""
    if frame.crs is None:
        raise InputError(
            "has no coordinate reference system: set it (OSM data is EPSG:4326)", source=source
        )
    projected = frame.to_crs(BNG) if frame.crs != BNG else frame
    geometry = np.asarray(projected.geometry.array, dtype=object)
    absent = shapely.is_missing(geometry) | shapely.is_empty(geometry)
    if absent.any():
        raise InputError(
            f"has features without geometry (feature {int(np.flatnonzero(absent)[0]) + 1})",
            source=source,
        )
    return shapely.get_coordinates(shapely.point_on_surface(geometry))


def _osm_ids(pois: gpd.GeoDataFrame) -> pd.Series:
    """``"osm:node/123"`` style ids from osm_type/osm_id columns or an osmnx (element, id) index."""
    if {"osm_type", "osm_id"} <= set(pois.columns):
        kind = pois["osm_type"].astype("string")
        number = pois["osm_id"].astype("string")
    elif isinstance(pois.index, pd.MultiIndex) and pois.index.nlevels == 2:
        kind = pd.Series(pois.index.get_level_values(0), index=pois.index).astype("string")
        number = pd.Series(pois.index.get_level_values(1), index=pois.index).astype("string")
    else:
        return pd.Series(
            [f"osm:feature/{position + 1}" for position in range(len(pois))], index=pois.index
        )
    return ("osm:" + kind + "/" + number).astype(object)


def _frame(
    data: Mapping[str, object], xy: npt.NDArray[np.float64], columns: Sequence[str]
) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        {column: data[column] for column in columns},
        geometry=gpd.GeoSeries(shapely.points(xy), crs=BNG),
        crs=BNG,
    )
    return frame.reset_index(drop=True)


def help_places_from_osm(
    pois: gpd.GeoDataFrame,
    *,
    source_date: date,
    source: str = "OpenStreetMap",
) -> gpd.GeoDataFrame:
    """Places to get help or get online, from OpenStreetMap points of interest.

    Kept: ``amenity`` = library, community_centre, social_centre, townhall or internet_cafe,
    and any feature whose ``internet_access`` is wlan, wifi or yes (public Wi-Fi; kind
    ``public_wifi`` unless its amenity is one of the above).  ``internet_access=terminal``
    marks public computers.

    Parameters
    ----------
    pois:
        OSM features with tag columns (``amenity``, ``internet_access``, ``name``,
        ``opening_hours``...; absent columns count as untagged), in any declared CRS: the
        frame from :func:`geo.sources.osm.read_osm_pois` or an OSM GeoJSON export.  Areas are
        reduced to a point on their surface.
    source_date:
        The date of the OSM extract.
    source:
        Text for the ``source`` column.

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`PLACE_COLUMNS` and Point geometry in EPSG:27700, in input order.
    """
    amenity = _text_column(pois, "amenity")
    access = _text_column(pois, "internet_access").str.lower()
    access_values = access.str.split(";")
    wifi = access_values.map(
        lambda values: (
            bool(set(map(str.strip, values)) & _PUBLIC_WIFI_VALUES)
            if isinstance(values, list)
            else False
        )
    ).astype(bool)
    terminal = access_values.map(
        lambda values: "terminal" in map(str.strip, values) if isinstance(values, list) else False
    ).astype(bool)
    help_amenity = amenity.isin(list(_OSM_HELP_AMENITIES)).fillna(False).astype(bool)
    keep = (help_amenity | wifi | terminal).to_numpy(dtype=bool)
    chosen = pois.loc[keep]
    xy = _points_bng(chosen, source=source) if len(chosen) else np.empty((0, 2))
    kind = amenity[keep].map(_OSM_HELP_AMENITIES).fillna("public_wifi").astype(object)
    has_access_tag = access[keep].notna().to_numpy()
    wifi_kept = pd.array(wifi[keep].to_numpy(dtype=bool), dtype="boolean")
    wifi_kept[~has_access_tag] = pd.NA
    terminal_kept = pd.array(terminal[keep].to_numpy(dtype=bool), dtype="boolean")
    terminal_kept[~has_access_tag] = pd.NA
    street = _text_column(chosen, "addr:street")
    number = _text_column(chosen, "addr:housenumber")
    place = _text_column(chosen, "addr:place")
    city = _text_column(chosen, "addr:city")
    address = (
        pd.concat([number, street, place, city], axis=1)
        .apply(lambda row: ", ".join(str(part) for part in row.dropna()) or pd.NA, axis=1)
        .astype("string")
        if len(chosen)
        else pd.Series([], dtype="string")
    )
    data: dict[str, object] = {
        "place_id": _osm_ids(chosen).to_numpy(dtype=object),
        "name": _objects(_text_column(chosen, "name")),
        "kind": kind.to_numpy(dtype=object),
        "public_wifi": wifi_kept,
        "public_computers": terminal_kept,
        "opening_hours": _objects(_text_column(chosen, "opening_hours")),
        "address": _objects(address),
        "postcode": _objects(_text_column(chosen, "addr:postcode")),
        "x_m": xy[:, 0],
        "y_m": xy[:, 1],
        "source": np.full(len(chosen), source, dtype=object),
        "source_date": np.full(len(chosen), source_date, dtype=object),
    }
    for day in DAY_COLUMNS:
        data[day] = np.full(len(chosen), None, dtype=object)
    return _frame(data, xy, PLACE_COLUMNS)


def _number(text: pd.Series) -> pd.Series:
    """Leading number of OSM values such as ``"25"``, ``"25 m"``, ``"25.5m"`` (else missing)."""
    extracted = text.astype("string").str.extract(r"^\s*(-?\d+(?:\.\d+)?)\s*(?:m)?\s*$")[0]
    return pd.to_numeric(extracted, errors="coerce")


def mobile_sites_from_osm(
    pois: gpd.GeoDataFrame,
    *,
    source_date: date,
    source: str = "OpenStreetMap",
) -> gpd.GeoDataFrame:
    """Mobile masts from OpenStreetMap: ``man_made=mast``, or ``man_made=tower`` for
    communication.

    OSM rarely says who operates a mast or what it transmits, so ``operator`` is the
    ``operator`` tag or ``"unknown"``, height comes from the ``height`` tag where it is a
    number, and band, power and technology are missing.

    Parameters
    ----------
    pois:
        OSM features with tag columns (``man_made``, ``tower:type``, ``operator``,
        ``height``...), in any declared CRS.
    source_date:
        The date of the OSM extract.
    source:
        Text for the ``source`` column.

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`SITE_COLUMNS` and Point geometry in EPSG:27700, in input order.
    """
    man_made = _text_column(pois, "man_made").str.lower()
    tower_type = _text_column(pois, "tower:type").str.lower()
    is_mast = (man_made == "mast").fillna(False)
    is_tower = (
        (man_made == "tower") & tower_type.isin(["communication", "communications"])
    ).fillna(False)
    keep = (is_mast | is_tower).to_numpy(dtype=bool)
    chosen = pois.loc[keep]
    xy = _points_bng(chosen, source=source) if len(chosen) else np.empty((0, 2))
    ids = _osm_ids(chosen).to_numpy(dtype=object)
    operator = _text_column(chosen, "operator").fillna("unknown")
    height = _number(_text_column(chosen, "height")).to_numpy(dtype=np.float64, na_value=np.nan)
    height[(height < 0) | (height > MAX_ANTENNA_HEIGHT_M)] = np.nan
    n = len(chosen)
    data: dict[str, object] = {
        "site_id": ids,
        "site_ref": ids,
        "operator": operator.to_numpy(dtype=object),
        "technology": np.full(n, None, dtype=object),
        "band_mhz": np.full(n, np.nan),
        "antenna_height_m": height,
        "power_dbm": np.full(n, np.nan),
        "max_power_dbm": np.full(n, np.nan),
        "antenna_type": _objects(man_made[keep]),
        "x_m": xy[:, 0],
        "y_m": xy[:, 1],
        "source": np.full(n, source, dtype=object),
        "source_date": np.full(n, source_date, dtype=object),
    }
    return _frame(data, xy, SITE_COLUMNS)


def _find(columns: Mapping[str, str], field: str) -> str | None:
    for alias in _SITE_FIELDS[field]:
        if alias in columns:
            return columns[alias]
    return None


def _optional_number(
    table: pd.DataFrame, column: str | None, *, source: str
) -> npt.NDArray[np.float64]:
    """A numeric column where blanks are allowed but text is not."""
    if column is None:
        return np.full(len(table), np.nan)
    text = table[column].astype("string").str.strip()
    text = text.mask(text == "")
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = text.notna().to_numpy(dtype=bool) & ~np.isfinite(values)
    if bad.any():
        example = text.iloc[int(np.flatnonzero(bad)[0])]
        _refuse_rows(
            bad,
            f"has a value that is not a number (e.g. {example!r})",
            source=source,
            column=column,
        )
    return values


def _required_number(table: pd.DataFrame, column: str, *, source: str) -> npt.NDArray[np.float64]:
    values = _optional_number(table, column, source=source)
    _refuse_rows(
        np.isnan(values),
        "has no value",
        source=source,
        column=column,
        advice="every site needs one",
    )
    return values


def _boundary_geometry(
    boundary: gpd.GeoDataFrame | gpd.GeoSeries | shapely.Geometry,
) -> shapely.Geometry:
    if isinstance(boundary, gpd.GeoDataFrame | gpd.GeoSeries):
        if boundary.crs is None:
            raise InputError("has no coordinate reference system", source="boundary")
        in_bng = boundary.to_crs(BNG) if boundary.crs != BNG else boundary
        return shapely.union_all(np.asarray(in_bng.geometry.array, dtype=object))
    return boundary


def normalise_sites(
    table: pd.DataFrame,
    *,
    source: str,
    source_date: date,
    boundary: gpd.GeoDataFrame | gpd.GeoSeries | shapely.Geometry | None = None,
    boundary_buffer_m: float = 0.0,
) -> gpd.GeoDataFrame:
    """Check and normalise a table of mobile sites in the Ofcom Sitefinder layout.

    Recognised columns (any case): ``Operator``; ``X``/``Y`` (British National Grid metres) or
    ``Sitelat``/``Sitelng`` (or ``lat``/``lon``, WGS84); ``Antennaht`` (m); ``Freqband``
    (MHz); ``Powerdbw`` (dBW) or ``power_dbm``/``eirp_dbm``; ``Maxpwrdbw``/``Maxpwrdbm``;
    ``Transtype`` (GSM, UMTS, LTE, NR, TETRA); ``Sitengr`` (site reference); ``Anttype``.
    Only the operator and a position are required.

    Parameters
    ----------
    table:
        One row per transmitter (or per site), as read from the CSV (text is fine).
    source:
        The file name, for messages and the ``source`` column.
    source_date:
        The date of the data (Sitefinder was last updated in 2012).
    boundary:
        The borough outline (polygons in any declared CRS, or a shapely geometry in
        EPSG:27700).  When given, sites outside it (grown by ``boundary_buffer_m``) are
        refused.
    boundary_buffer_m:
        Metres to grow the boundary by: masts just over the border serve the borough too.

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`SITE_COLUMNS` and Point geometry in EPSG:27700, in table order.

    Raises
    ------
    InputError
        Naming the row and field: no operator or position column, a blank operator,
        non-numeric values, a position outside Great Britain (or lat/lon more than 100 m from
        X/Y), an antenna height below 0 or above 300 m, an unknown band, a power outside
        -40..80 dBm, a technology not listed above, or a site outside the boundary.
    """
    columns = {str(column).strip().lower(): column for column in table.columns}
    operator_column = _find(columns, "operator")
    x_column, y_column = _find(columns, "x"), _find(columns, "y")
    lat_column, lon_column = _find(columns, "lat"), _find(columns, "lon")
    if operator_column is None:
        raise InputError(
            "has no Operator column: say who runs each site", source=source, column="Operator"
        )
    has_grid = x_column is not None and y_column is not None
    has_lonlat = lat_column is not None and lon_column is not None
    if not (has_grid or has_lonlat):
        raise InputError(
            "has no position columns: give X and Y (British National Grid, metres) or "
            "latitude and longitude (e.g. Sitelat, Sitelng)",
            source=source,
        )
    if len(table) == 0:
        raise InputError("has no sites", source=source)
    operator = _text_column(table, str(operator_column))
    _refuse_rows(
        operator.isna().to_numpy(dtype=bool),
        "has no operator",
        source=source,
        column=str(operator_column),
    )
    to_bng = pyproj.Transformer.from_crs("EPSG:4326", BNG, always_xy=True)
    if has_lonlat:
        lat = _required_number(table, str(lat_column), source=source)
        lon = _required_number(table, str(lon_column), source=source)
        west, south, east, north = _GB_LONLAT
        _refuse_rows(
            (lat < south) | (lat > north),
            "has a latitude outside Great Britain",
            source=source,
            column=str(lat_column),
        )
        _refuse_rows(
            (lon < west) | (lon > east),
            "has a longitude outside Great Britain",
            source=source,
            column=str(lon_column),
        )
        lon_x, lat_y = to_bng.transform(lon, lat)
    if has_grid:
        x_m = _required_number(table, str(x_column), source=source)
        y_m = _required_number(table, str(y_column), source=source)
        min_x, min_y, max_x, max_y = _GB_BNG
        _refuse_rows(
            (x_m < min_x) | (x_m > max_x),
            "has an easting outside Great Britain (0 to 700,000 m)",
            source=source,
            column=str(x_column),
        )
        _refuse_rows(
            (y_m < min_y) | (y_m > max_y),
            "has a northing outside Great Britain (0 to 1,300,000 m)",
            source=source,
            column=str(y_column),
        )
        if has_lonlat:
            _refuse_rows(
                np.hypot(lon_x - x_m, lat_y - y_m) > _LONLAT_TOLERANCE_M,
                f"has latitude/longitude more than {_LONLAT_TOLERANCE_M:.0f} m from X/Y",
                advice="check which columns hold which coordinate",
                source=source,
                column=str(lat_column),
            )
    else:
        x_m, y_m = np.asarray(lon_x, dtype=np.float64), np.asarray(lat_y, dtype=np.float64)

    height_column = _find(columns, "height")
    height = _optional_number(table, height_column, source=source)
    _refuse_rows(
        (height < 0) | (height > MAX_ANTENNA_HEIGHT_M),
        f"has an impossible antenna height (below 0 or above {MAX_ANTENNA_HEIGHT_M:.0f} m)",
        source=source,
        column=str(height_column),
    )
    band_column = _find(columns, "band")
    band = _optional_number(table, band_column, source=source)
    _refuse_rows(
        ~np.isnan(band) & ~np.isin(band, sorted(KNOWN_BANDS_MHZ)),
        f"has an unknown frequency band (known bands, MHz: "
        f"{', '.join(map(str, sorted(KNOWN_BANDS_MHZ)))})",
        source=source,
        column=str(band_column),
    )
    power_dbm = np.full(len(table), np.nan)
    max_power_dbm = np.full(len(table), np.nan)
    for field, target, offset in (
        ("power_dbw", power_dbm, 30.0),
        ("power_dbm", power_dbm, 0.0),
        ("max_power_dbw", max_power_dbm, 30.0),
        ("max_power_dbm", max_power_dbm, 0.0),
    ):
        column = _find(columns, field)
        if column is None:
            continue
        values = _optional_number(table, column, source=source) + offset
        low, high = POWER_RANGE_DBM
        _refuse_rows(
            (values < low) | (values > high),
            f"has an impossible power (outside {low:.0f} to {high:.0f} dBm"
            + (", i.e. -70 to 50 dBW)" if offset else ")"),
            source=source,
            column=column,
        )
        fill = np.isnan(target) & ~np.isnan(values)
        target[fill] = values[fill]
    technology_column = _find(columns, "technology")
    technology = _text_column(table, str(technology_column)).str.upper()
    normalised = technology.map(_TECHNOLOGY)
    _refuse_rows(
        (technology.notna() & normalised.isna()).to_numpy(dtype=bool),
        f"has an unknown technology (known: {', '.join(sorted(set(_TECHNOLOGY)))})",
        source=source,
        column=str(technology_column),
    )
    reference_column = _find(columns, "site_ref")
    reference = _text_column(table, str(reference_column))
    stem = source.rsplit(".", 1)[0]
    fallback = pd.Series([f"{stem}-{row + 1:05d}" for row in range(len(table))], index=table.index)
    reference = reference.fillna(fallback.astype("string"))
    repeat = reference.groupby(reference).cumcount() + 1
    several = reference.duplicated(keep=False)
    site_id = reference.where(~several, reference + "-" + repeat.astype("string"))

    if boundary is not None:
        outline = _boundary_geometry(boundary)
        if boundary_buffer_m > 0:
            outline = shapely.buffer(outline, boundary_buffer_m)
        shapely.prepare(outline)
        outside = ~shapely.intersects_xy(outline, x_m, y_m)
        _refuse_rows(
            np.asarray(outside, dtype=bool),
            "has a site outside the borough boundary"
            + (f" grown by {boundary_buffer_m:g} m" if boundary_buffer_m > 0 else ""),
            advice="remove it, or pass boundary_buffer_m to keep masts near the border",
            source=source,
            column=str(x_column if has_grid else lat_column),
        )
    antenna_type = _text_column(table, str(_find(columns, "antenna_type")))
    xy = np.column_stack([x_m, y_m])
    data: dict[str, object] = {
        "site_id": site_id.to_numpy(dtype=object),
        "site_ref": reference.to_numpy(dtype=object),
        "operator": operator.to_numpy(dtype=object),
        "technology": _objects(normalised),
        "band_mhz": band,
        "antenna_height_m": height,
        "power_dbm": power_dbm,
        "max_power_dbm": max_power_dbm,
        "antenna_type": _objects(antenna_type),
        "x_m": x_m,
        "y_m": y_m,
        "source": np.full(len(table), source, dtype=object),
        "source_date": np.full(len(table), source_date, dtype=object),
    }
    return _frame(data, xy, SITE_COLUMNS)


def sites_within(
    sites: gpd.GeoDataFrame, boundary: gpd.GeoDataFrame | gpd.GeoSeries | shapely.Geometry
) -> pd.Series:
    """Whether each site lies inside a boundary (on the line counts as inside).

    Parameters
    ----------
    sites:
        Point layer in EPSG:27700 (as :func:`normalise_sites` returns).
    boundary:
        Polygons in any declared CRS, or a shapely geometry in EPSG:27700.

    Returns
    -------
    pandas.Series
        Boolean, named ``"in_boundary"``, aligned to ``sites.index``.
    """
    outline = _boundary_geometry(boundary)
    shapely.prepare(outline)
    in_bng = sites.to_crs(BNG) if sites.crs != BNG else sites
    xy = shapely.get_coordinates(np.asarray(in_bng.geometry.array, dtype=object))
    inside = shapely.intersects_xy(outline, xy[:, 0], xy[:, 1])
    return pd.Series(np.asarray(inside, dtype=bool), index=sites.index, name="in_boundary")


_NAME_NOISE = re.compile(r"\b(?:the|library|libraries)\b")


def _name_key(names: pd.Series) -> pd.Series:
    """Names reduced for matching: lower case, '&' as 'and', no punctuation or 'library'."""
    text = names.astype("string").str.lower().str.replace("&", " and ", regex=False)
    text = text.str.replace(r"[^a-z0-9 ]+", " ", regex=True)
    text = text.str.replace(_NAME_NOISE, " ", regex=True)
    return text.str.replace(r"\s+", " ", regex=True).str.strip()


def _footprint_places(buildings: gpd.GeoDataFrame, name_column: str) -> pd.DataFrame:
    """One candidate per footprint name: the largest footprint's point, and how spread they are."""
    xy = _points_bng(buildings, source="library buildings")
    in_bng = buildings.to_crs(BNG) if buildings.crs != BNG else buildings
    table = pd.DataFrame(
        {
            "key": _objects(_name_key(buildings[name_column])),
            "x_m": xy[:, 0],
            "y_m": xy[:, 1],
            "area_m2": shapely.area(np.asarray(in_bng.geometry.array, dtype=object)),
            "footprint_id": (
                _objects(buildings["id"].astype("string"))
                if "id" in buildings.columns
                else np.arange(len(buildings)).astype(str)
            ),
        }
    )
    table = table[table["key"].notna() & (table["key"] != "")]
    spread = table.groupby("key").agg(
        x_span=("x_m", lambda values: values.max() - values.min()),
        y_span=("y_m", lambda values: values.max() - values.min()),
        footprints=("x_m", "size"),
    )
    largest = table.sort_values(["key", "area_m2"], ascending=[True, False]).drop_duplicates("key")
    result = largest.set_index("key").join(spread)
    result["spread_m"] = np.hypot(result["x_span"], result["y_span"])
    return result


def match_libraries(
    libraries: pd.DataFrame,
    buildings: gpd.GeoDataFrame,
    *,
    source_date: date,
    authority: str | None = None,
    source: str = "DCMS public libraries in England",
    building_name_column: str = "distinctive_name",
) -> LibraryMatch:
    """Place DCMS libraries on OS building footprints by name.

    The DCMS basic dataset has no coordinates.  Each open, static library is matched to the
    footprints whose name, reduced to lower case without punctuation or the word "library",
    is the same ("Alton" = "Alton Library"); failing that, to the one footprint whose reduced
    name starts with it ("Ruislip Manor" -> "Ruislip Manor Library and Community Resource
    Centre").  Where a library has several footprints the largest gives the point; footprints
    of one name more than 300 m apart are ambiguous and not used.

    Parameters
    ----------
    libraries:
        The DCMS table (columns ``name``, ``authority``, ``type``, ``closed``, ``monday`` ..
        ``sunday``, ``hours``, address and ``postcode``), text.
    buildings:
        Library building footprints with a name column, any declared CRS.
    source_date:
        The date of the DCMS dataset.
    authority:
        Keep only this library authority's rows (e.g. ``"Hounslow"``; any case).
    source:
        Text for the ``source`` column.
    building_name_column:
        The footprints' name column (OS Open Map - Local: ``distinctive_name``).

    Returns
    -------
    LibraryMatch
        Matched places, unmatched open libraries and skipped rows.

    Raises
    ------
    InputError
        If a required column is missing, or no row belongs to ``authority``.
    """
    needed = ("name", "authority", *DAY_COLUMNS)
    absent = [column for column in needed if column not in libraries.columns]
    if absent:
        raise InputError(
            f"lacks the column {', '.join(absent)} of the DCMS libraries dataset",
            source="libraries",
            column=absent[0],
        )
    if building_name_column not in buildings.columns:
        raise InputError(
            "has no such column", source="library buildings", column=building_name_column
        )
    rows = libraries
    if authority is not None:
        mine = _text_column(libraries, "authority").str.lower() == authority.strip().lower()
        rows = libraries.loc[mine.fillna(False).to_numpy(dtype=bool)]
        if len(rows) == 0:
            known = sorted(set(_text_column(libraries, "authority").dropna()))
            raise InputError(
                f"has no library of the authority {authority!r}; it lists {', '.join(known)}",
                source="libraries",
                column="authority",
            )
    name = _text_column(rows, "name")
    closed_year = _text_column(rows, "closed")
    days = pd.concat([_text_column(rows, day).str.lower() for day in DAY_COLUMNS], axis=1)
    never_open = days.apply(lambda day: day.str.startswith("n/a closed")).fillna(False).all(axis=1)
    kind = _text_column(rows, "type").str.lower()
    mobile = kind.str.contains("mobile").fillna(False)
    closed = closed_year.notna() | never_open
    closed_text = ("closed in " + closed_year).fillna("closed")
    reason = np.where(
        closed.to_numpy(dtype=bool),
        closed_text.to_numpy(dtype=object),
        np.where(mobile.to_numpy(dtype=bool), "mobile library: no fixed building", ""),
    ).astype(object)
    reason_series = pd.Series(reason, index=rows.index, dtype=object)
    skipped_mask = reason != ""
    skipped = pd.DataFrame(
        {
            "name": name[skipped_mask].to_numpy(dtype=object),
            "authority": _text_column(rows, "authority")[skipped_mask].to_numpy(dtype=object),
            "reason": reason_series[skipped_mask].to_numpy(dtype=object),
        }
    )
    open_rows = rows.loc[~skipped_mask]
    key = _name_key(_text_column(open_rows, "name"))
    candidates = _footprint_places(buildings, building_name_column)
    usable = candidates[candidates["spread_m"] <= _SAME_PLACE_M]
    matched_key = key.where(key.isin(usable.index))
    how = pd.Series("exact", index=key.index, dtype=object).where(matched_key.notna(), None)
    for position in np.flatnonzero(matched_key.isna().to_numpy(dtype=bool)).tolist():
        wanted = key.iloc[position]
        if pd.isna(wanted) or not wanted:
            continue
        starts = [item for item in usable.index if str(item).startswith(f"{wanted} ")]
        if len(starts) == 1:
            matched_key.iloc[position] = starts[0]
            how.iloc[position] = "prefix"
    found = matched_key.notna().to_numpy(dtype=bool)
    ambiguous = key.isin(candidates.index[candidates["spread_m"] > _SAME_PLACE_M]).to_numpy(bool)
    unmatched = pd.DataFrame(
        {
            "name": _text_column(open_rows, "name")[~found].to_numpy(dtype=object),
            "authority": _text_column(open_rows, "authority")[~found].to_numpy(dtype=object),
            "postcode": _objects(_text_column(open_rows, "postcode")[~found]),
            "reason": np.where(
                ambiguous[~found],
                "footprints of that name are far apart",
                "no building footprint of that name",
            ).astype(object),
        }
    )
    placed = open_rows.loc[found]
    spot = usable.loc[matched_key[found].to_numpy(dtype=object)]
    xy = spot[["x_m", "y_m"]].to_numpy(dtype=np.float64)
    address = (
        pd.concat([_text_column(placed, f"address{index}") for index in (1, 2, 3)], axis=1).apply(
            lambda row: ", ".join(str(part) for part in row.dropna()) or pd.NA, axis=1
        )
        if len(placed)
        else pd.Series([], dtype=object)
    )
    uprn = _text_column(placed, "uprn")
    place_id = ("dcms:" + uprn).fillna("dcms:" + _name_key(_text_column(placed, "name")))
    n = len(placed)
    data: dict[str, object] = {
        "place_id": place_id.to_numpy(dtype=object),
        "name": _text_column(placed, "name").to_numpy(dtype=object),
        "kind": np.full(n, "library", dtype=object),
        "public_wifi": pd.array(np.full(n, None), dtype="boolean"),
        "public_computers": pd.array(np.full(n, None), dtype="boolean"),
        "opening_hours": np.full(n, None, dtype=object),
        "address": _objects(pd.Series(address)),
        "postcode": _objects(_text_column(placed, "postcode")),
        "x_m": xy[:, 0],
        "y_m": xy[:, 1],
        "source": np.full(n, source, dtype=object),
        "source_date": np.full(n, source_date, dtype=object),
    }
    for day in DAY_COLUMNS:
        data[day] = _objects(_text_column(placed, day))
    places = _frame(data, xy, PLACE_COLUMNS)
    places["footprint_id"] = spot["footprint_id"].to_numpy(dtype=object)
    places["match"] = how[found].to_numpy(dtype=object)
    places["weekly_hours"] = pd.to_numeric(_text_column(placed, "hours"), errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    return LibraryMatch(places=places, unmatched=unmatched, skipped=skipped)
