"""Read ONS area boundaries and lookups as councils receive them.

Boundary files come from the ONS Open Geography Portal (or from a council's GIS team) as
GeoJSON, GeoPackage or Shapefile (also zipped).  :func:`read_area_layer` reads one with pyogrio,
checks it (see :func:`geo.areas.area_layer_from_frame`) and returns a complete
:class:`geo.areas.AreaLayer` in British National Grid (EPSG:27700), or raises
:class:`geo.errors.InputError`: never a partial layer.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pyogrio.errors

from geo.areas import AreaLayer, LookupResult, apply_lookup, area_layer_from_frame
from geo.errors import InputError

__all__ = [
    "BOUNDARY_SUFFIXES",
    "list_layers",
    "lsoa11_to_lsoa21",
    "read_area_layer",
    "read_lookup",
]

BOUNDARY_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".zip")
"""File types read as boundaries: GeoJSON, GeoPackage, Shapefile (or a zipped Shapefile)."""


def _check_file(path: Path, *, suffixes: tuple[str, ...], what: str) -> None:
    if not path.exists():
        raise InputError(
            f"no such file: check the path (looked for {path})", source=path.name or str(path)
        )
    if not path.is_file():
        raise InputError(f"is not a file: give the path of the {what}", source=path.name)
    if path.suffix.lower() not in suffixes:
        raise InputError(
            f"is not a {what} ({path.suffix or 'no extension'}): use one of {', '.join(suffixes)}",
            source=path.name,
        )


def list_layers(path: str | Path) -> list[str]:
    """The layer names in a boundary file (a GeoPackage may hold several).

    Parameters
    ----------
    path:
        A GeoJSON, GeoPackage or Shapefile.

    Returns
    -------
    list of str

    Raises
    ------
    InputError
        If the file is missing or cannot be opened as vector data.
    """
    file = Path(path)
    _check_file(file, suffixes=BOUNDARY_SUFFIXES, what="boundary file")
    try:
        layers = pyogrio.list_layers(file)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as error:
        raise InputError(
            f"cannot be opened as GeoJSON, GeoPackage or Shapefile ({error})", source=file.name
        ) from None
    return [str(name) for name in layers[:, 0]]


def read_area_layer(
    path: str | Path,
    *,
    layer: str | None = None,
    code_column: str | None = None,
    lookup: pd.DataFrame | None = None,
    loaded_at: datetime | None = None,
) -> AreaLayer:
    """Read and check a file of ONS area boundaries.

    The kind of area and its vintage are taken from the ONS code column (``WD23CD`` is 2023
    wards, ``LSOA11CD`` 2011 LSOAs...).  Geographic files (EPSG:4326, CRS84) are reprojected to
    EPSG:27700 for measurement; column names are kept as published.

    Parameters
    ----------
    path:
        A ``.geojson``/``.json``, ``.gpkg``, ``.shp`` or zipped Shapefile ``.zip``.
    layer:
        The layer to read from a file that holds several (a GeoPackage).
    code_column:
        Which code column the features are, when the finest one is not it.
    lookup:
        An ONS lookup between two vintages of the same geography (e.g. from
        :func:`read_lookup`); codes that exist only in the other vintage are refused.
    loaded_at:
        When the caller loaded the file (UTC), kept on the layer.

    Returns
    -------
    AreaLayer
        Complete and checked, in EPSG:27700.

    Raises
    ------
    InputError
        Naming the file, column or feature: missing or unreadable file, several layers and
        none chosen, no geometry, no ONS code column, mixed vintages, bad or repeated codes,
        no CRS, invalid polygons.
    """
    file = Path(path)
    names = list_layers(file)
    if layer is None and len(names) > 1:
        raise InputError(
            f"holds {len(names)} layers ({', '.join(names)}): say which one to read with layer=",
            source=file.name,
        )
    if layer is not None and layer not in names:
        raise InputError(
            f"has no layer {layer!r}; its layers are {', '.join(names)}", source=file.name
        )
    try:
        frame = pyogrio.read_dataframe(file, layer=layer)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as error:
        raise InputError(
            f"cannot be read as GeoJSON, GeoPackage or Shapefile ({error})", source=file.name
        ) from None
    if not isinstance(frame, gpd.GeoDataFrame):
        raise InputError(
            "has no geometry: it is a table, not a boundary file.  Use the GeoJSON, "
            "GeoPackage or Shapefile download of the boundaries",
            source=file.name,
        )
    modified = datetime.fromtimestamp(file.stat().st_mtime, tz=UTC)
    return area_layer_from_frame(
        frame,
        source=file.name,
        code_column=code_column,
        lookup=lookup,
        file_modified=modified,
        loaded_at=loaded_at,
    )


def read_lookup(path: str | Path, *, columns: tuple[str, ...] = ()) -> pd.DataFrame:
    """Read an ONS lookup CSV (e.g. LSOA 2011 to LSOA 2021 to LAD 2022), codes as text.

    Parameters
    ----------
    path:
        The CSV as downloaded from the ONS Open Geography Portal.
    columns:
        Columns that must be present (e.g. ``("LSOA11CD", "LSOA21CD")``).

    Returns
    -------
    pandas.DataFrame
        Every column read as text (codes keep any leading zeros); blank cells are missing.

    Raises
    ------
    InputError
        If the file is missing, not a CSV, or lacks a required column.
    """
    file = Path(path)
    _check_file(file, suffixes=(".csv",), what="lookup CSV")
    try:
        table = pd.read_csv(file, dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise InputError(f"cannot be read as CSV ({error})", source=file.name) from None
    table.columns = [str(column).strip().lstrip("\ufeff") for column in table.columns]
    absent = [column for column in columns if column not in table.columns]
    if absent:
        raise InputError(
            f"lacks the column {', '.join(absent)}; its columns are "
            f"{', '.join(map(str, table.columns))}",
            source=file.name,
            column=absent[0],
        )
    return table


def lsoa11_to_lsoa21(
    frame: pd.DataFrame,
    lookup_csv: str | Path,
    *,
    code_column: str = "LSOA11CD",
) -> LookupResult:
    """Add the best-fit 2021 LSOA code to a table keyed on 2011 LSOA codes.

    Tables such as IMD 2019, DERI and the Digital Propensity Index are keyed on LSOA 2011;
    Census 2021 tables on LSOA 2021.  Most codes are the same; where a 2011 LSOA was split or
    merged the ONS best-fit lookup names one 2021 LSOA.

    Parameters
    ----------
    frame:
        The table (not changed); its ``code_column`` holds LSOA 2011 codes.
    lookup_csv:
        The ONS "LSOA (2011) to LSOA (2021) to LAD (2022)" lookup CSV.
    code_column:
        The frame's LSOA 2011 code column (e.g. ``"lsoa11cd"`` in IMD files).

    Returns
    -------
    LookupResult
        A copy with ``LSOA21CD`` and ``LSOA21NM`` added, and the codes the lookup lacked.
    """
    lookup = read_lookup(lookup_csv, columns=("LSOA11CD", "LSOA21CD"))
    extra = ("LSOA21NM",) if "LSOA21NM" in lookup.columns else ()
    return apply_lookup(
        frame,
        lookup,
        from_column="LSOA11CD",
        to_column="LSOA21CD",
        frame_column=code_column,
        extra_columns=extra,
    )
