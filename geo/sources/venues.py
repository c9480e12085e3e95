"""Read places to get help or get online, and mobile sites, from the files publishers issue.

* OpenStreetMap points of interest: an OSM extract (``.osm``, ``.osm.pbf``, read through
  :func:`geo.sources.osm.read_osm_pois`) or a GeoJSON export of OSM features with their tags
  as properties (:func:`read_osm_poi_geojson`);
* the DCMS "Public libraries in England" basic dataset (CSV, no coordinates) with library
  building footprints (OS Open Map - Local "Important Buildings", any vector format);
* Ofcom Sitefinder-style mobile site tables (CSV).

Everything comes back in British National Grid (EPSG:27700, metres) with ``source`` and
``source_date`` columns; bad input raises :class:`geo.errors.InputError` naming the file, row
and field.  OSM data is © OpenStreetMap contributors (ODbL 1.0).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pyogrio.errors
import shapely

from geo.errors import InputError
from geo.places import (
    LibraryMatch,
    help_places_from_osm,
    match_libraries,
    mobile_sites_from_osm,
    normalise_sites,
)

__all__ = [
    "HELP_PLACE_TAGS",
    "MAST_TAGS",
    "read_dcms_libraries",
    "read_help_places",
    "read_mobile_sites",
    "read_osm_masts",
    "read_osm_poi_geojson",
]

HELP_PLACE_TAGS: dict[str, bool | list[str]] = {
    "amenity": ["library", "community_centre", "social_centre", "townhall", "internet_cafe"],
    "internet_access": True,
}
"""OSM tags asked of an extract for help places (any ``internet_access`` is then filtered)."""

MAST_TAGS: dict[str, bool | list[str]] = {"man_made": ["mast", "tower"], "tower:type": True}
"""OSM tags asked of an extract for masts (towers are kept only for communication)."""

_OSM_SUFFIXES = (".osm", ".osm.xml", ".osm.pbf")
_VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".zip")


def _read_vector(path: Path, *, what: str) -> gpd.GeoDataFrame:
    if not path.is_file():
        raise InputError(f"no such file: check the path (looked for {path})", source=path.name)
    if path.suffix.lower() not in _VECTOR_SUFFIXES:
        raise InputError(
            f"is not a {what} file: use GeoJSON, GeoPackage or Shapefile", source=path.name
        )
    try:
        frame = pyogrio.read_dataframe(path)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as error:
        raise InputError(f"cannot be read as {what} ({error})", source=path.name) from None
    if not isinstance(frame, gpd.GeoDataFrame):
        raise InputError(f"has no geometry: it is not a {what} file", source=path.name)
    if frame.crs is None:
        raise InputError(
            "has no coordinate reference system: export it again with its CRS (EPSG:4326 or "
            "EPSG:27700)",
            source=path.name,
        )
    return frame


def _read_csv(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise InputError(f"no such file: check the path (looked for {path})", source=path.name)
    if path.suffix.lower() != ".csv":
        raise InputError("is not a CSV file", source=path.name)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise InputError(f"cannot be read as CSV ({error})", source=path.name) from None
    table.columns = [str(column).strip().lstrip("\ufeff") for column in table.columns]
    return table


def read_osm_poi_geojson(path: str | Path) -> gpd.GeoDataFrame:
    """Read a GeoJSON (or other vector file) of OSM features with their tags as columns.

    Parameters
    ----------
    path:
        E.g. an export from the Overpass API or a PBF cut: properties ``osm_type``,
        ``osm_id``, ``name``, ``amenity``, ``man_made``, ``internet_access``...

    Returns
    -------
    geopandas.GeoDataFrame
        The features and tags as read, reprojected to EPSG:27700.

    Raises
    ------
    InputError
        If the file is missing, unreadable, has no geometry or no CRS.
    """
    file = Path(path)
    return _read_vector(file, what="OSM points of interest").to_crs("EPSG:27700")


def _osm_features(
    pois: str | Path | gpd.GeoDataFrame, tags: dict[str, bool | list[str]]
) -> tuple[gpd.GeoDataFrame, str]:
    if isinstance(pois, gpd.GeoDataFrame):
        return pois, "OpenStreetMap"
    file = Path(pois)
    if file.name.lower().endswith(_OSM_SUFFIXES):
        from geo.sources.osm import read_osm_pois

        return read_osm_pois(file, tags=tags), f"OpenStreetMap ({file.name})"
    return read_osm_poi_geojson(file), f"OpenStreetMap ({file.name})"


def read_help_places(pois: str | Path | gpd.GeoDataFrame, *, source_date: date) -> gpd.GeoDataFrame:
    """Places to get help or get online, from OpenStreetMap.

    Parameters
    ----------
    pois:
        An OSM extract (``.osm``/``.osm.pbf``), a GeoJSON of OSM features, or a frame from
        :func:`geo.sources.osm.read_osm_pois`.
    source_date:
        The date of the OSM extract (e.g. a Geofabrik file's timestamp).

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`geo.places.PLACE_COLUMNS`, Points in EPSG:27700.
    """
    frame, source = _osm_features(pois, HELP_PLACE_TAGS)
    return help_places_from_osm(frame, source_date=source_date, source=source)


def read_osm_masts(pois: str | Path | gpd.GeoDataFrame, *, source_date: date) -> gpd.GeoDataFrame:
    """Mobile masts mapped in OpenStreetMap, as a site layer with unknown operators.

    Parameters
    ----------
    pois:
        An OSM extract, a GeoJSON of OSM features, or a frame from ``read_osm_pois``.
    source_date:
        The date of the OSM extract.

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`geo.places.SITE_COLUMNS`, Points in EPSG:27700.
    """
    frame, source = _osm_features(pois, MAST_TAGS)
    return mobile_sites_from_osm(frame, source_date=source_date, source=source)


def read_dcms_libraries(
    libraries_csv: str | Path,
    buildings: str | Path,
    *,
    source_date: date,
    authority: str | None = None,
) -> LibraryMatch:
    """Read the DCMS public libraries dataset and place the open libraries on footprints.

    Parameters
    ----------
    libraries_csv:
        The DCMS "Public libraries in England: basic dataset" CSV (or the rows of it for some
        authorities).
    buildings:
        Library building footprints with a ``distinctive_name`` column (OS Open Map - Local
        Important Buildings), as GeoJSON, GeoPackage or Shapefile.
    source_date:
        The date of the DCMS dataset.
    authority:
        Keep only this library authority (e.g. ``"Hounslow"``).

    Returns
    -------
    LibraryMatch
        ``places`` (EPSG:27700, opening days kept), ``unmatched`` and ``skipped`` rows.

    Raises
    ------
    InputError
        Naming the file: missing or unreadable, or missing columns.
    """
    csv_file = Path(libraries_csv)
    table = _read_csv(csv_file)
    footprints = _read_vector(Path(buildings), what="library buildings")
    try:
        return match_libraries(
            table,
            footprints,
            source_date=source_date,
            authority=authority,
            source=f"DCMS public libraries in England ({csv_file.name})",
        )
    except InputError as error:
        if error.source == "libraries":
            raise InputError(
                error.message, source=csv_file.name, column=error.column, row=error.row
            ) from None
        raise


def read_mobile_sites(
    path: str | Path,
    *,
    source_date: date,
    boundary: gpd.GeoDataFrame | gpd.GeoSeries | shapely.Geometry | None = None,
    boundary_buffer_m: float = 0.0,
) -> gpd.GeoDataFrame:
    """Read mobile sites from an Ofcom Sitefinder-style CSV.

    Parameters
    ----------
    path:
        CSV with an operator and X/Y (British National Grid) or latitude/longitude, and
        optionally antenna height, frequency band, power and technology (see
        :func:`geo.places.normalise_sites`).
    source_date:
        The date of the data (Ofcom last updated Sitefinder in 2012).
    boundary:
        The borough outline; sites outside it (grown by ``boundary_buffer_m``) are refused.
    boundary_buffer_m:
        Metres to grow the boundary by, to keep masts near the border.

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`geo.places.SITE_COLUMNS`, Points in EPSG:27700, one row per CSV row.

    Raises
    ------
    InputError
        Naming the file, row and field (see :func:`geo.places.normalise_sites`).
    """
    file = Path(path)
    return normalise_sites(
        _read_csv(file),
        source=file.name,
        source_date=source_date,
        boundary=boundary,
        boundary_buffer_m=boundary_buffer_m,
    )
