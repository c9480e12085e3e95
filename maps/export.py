"""Downloads of layers, tables and maps: GeoJSON, CSV, GeoPackage and standalone HTML.

Every export carries its title, source, date and licence:

* GeoJSON (RFC 7946): WGS84 longitude/latitude, counter-clockwise exterior rings, no ``crs``
  member, 6 decimal places (about 0.1 m), and a top-level ``"metadata"`` foreign member
  (RFC 7946 section 6.1) holding ``title``, ``source``, ``date`` (ISO 8601), ``licence`` and
  ``attribution``;
* CSV: UTF-8 with a byte-order mark (so Excel reads accents and "£" correctly), CRLF line ends,
  and a **leading block of notes**: one line per note, each a single cell starting with
  ``"# "``, before the header row.  Read it back with
  ``pandas.read_csv(file, skiprows=<number of notes>, encoding="utf-8-sig")``.  Text cells
  that a spreadsheet would run as a formula (starting ``=``, ``+``, ``-``, ``@``, tab or
  carriage return) get a leading apostrophe; numbers, including negative numbers, stay numbers;
* GeoPackage: one layer, in the frame's own CRS (EPSG:27700 opens correctly in QGIS), with
  the notes in the layer description (``gpkg_contents.description``, shown by QGIS) and as
  layer metadata items ``title``, ``source``, ``date``, ``licence``, ``attribution``;
* HTML: the map as one standalone page with the notes in a footer.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geo.areas import to_rfc7946
from geo.errors import InputError
from maps._text import gov_date
from maps.render import map_html

__all__ = [
    "ODBL",
    "OGL_V3",
    "ONS_ATTRIBUTION",
    "OSM_ATTRIBUTION",
    "OS_ATTRIBUTION",
    "ExportMetadata",
    "escape_formula",
    "to_csv_bytes",
    "to_geojson_bytes",
    "to_geopackage_bytes",
    "to_html_bytes",
]

OGL_V3 = (
    "Open Government Licence v3.0 "
    "(https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/)"
)
ODBL = "Open Database Licence v1.0 (https://opendatacommons.org/licenses/odbl/1-0/)"
ONS_ATTRIBUTION = (
    "Source: Office for National Statistics licensed under the Open Government Licence v3.0"
)
OS_ATTRIBUTION = "Contains OS data © Crown copyright and database right"
OSM_ATTRIBUTION = "© OpenStreetMap contributors, available under the Open Database Licence"

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_LAYER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


@dataclass(frozen=True)
class ExportMetadata:
    """Title, source, date and licence written into every export.

    Attributes
    ----------
    title:
        What the file holds (``"Digital exclusion risk by ward, Hounslow"``).
    source:
        Where the figures come from (``"Digital Inclusion Planner, from ONS Census 2021 and
        Ofcom Connected Nations"``).
    date:
        The date the figures refer to (or were produced).
    licence:
        The licence the file is released under (:data:`OGL_V3`, :data:`ODBL`...).
    attribution:
        Attribution lines the sources require (:data:`ONS_ATTRIBUTION`, :data:`OS_ATTRIBUTION`,
        :data:`OSM_ATTRIBUTION`).
    """

    title: str
    source: str
    date: date
    licence: str
    attribution: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("title", "source", "licence"):
            text = getattr(self, name)
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f"export metadata needs a {name}")
        for text in (self.title, self.source, self.licence, *self.attribution):
            if "\n" in text or "\r" in text:
                raise ValueError(f"export metadata lines must be one line each: {text!r}")
        if not isinstance(self.date, date):
            raise ValueError("export metadata date must be a datetime.date")

    def lines(self) -> tuple[str, ...]:
        """The notes as lines of plain text (date in GOV.UK style)."""
        when = self.date.date() if isinstance(self.date, datetime) else self.date
        return (
            f"Title: {self.title}",
            f"Source: {self.source}",
            f"Date: {gov_date(when)}",
            f"Licence: {self.licence}",
            *self.attribution,
        )

    def as_dict(self) -> dict[str, Any]:
        """The notes as JSON-ready data (date in ISO 8601)."""
        when = self.date.date() if isinstance(self.date, datetime) else self.date
        return {
            "title": self.title,
            "source": self.source,
            "date": when.isoformat(),
            "licence": self.licence,
            "attribution": list(self.attribution),
        }


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date | pd.Timestamp):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot write a {type(value).__name__} value to GeoJSON")


def to_geojson_bytes(
    gdf: gpd.GeoDataFrame,
    *,
    metadata: ExportMetadata,
    precision: int = 6,
) -> bytes:
    """A layer as an RFC 7946 GeoJSON file with a ``"metadata"`` member.

    Parameters
    ----------
    gdf:
        Features in any declared CRS (reprojected to EPSG:4326); not modified.
    metadata:
        Title, source, date and licence.
    precision:
        Decimal places of longitude/latitude (6 ≈ 0.1 m).

    Returns
    -------
    bytes
        UTF-8 JSON: ``{"type": "FeatureCollection", "metadata": {...}, "features": [...]}``.

    Raises
    ------
    InputError
        If the frame has no CRS.
    """
    collection = to_rfc7946(gdf, precision=precision)
    document = {
        "type": "FeatureCollection",
        "metadata": metadata.as_dict(),
        "features": collection["features"],
    }
    return json.dumps(
        document, ensure_ascii=False, allow_nan=False, default=_json_default, separators=(",", ":")
    ).encode("utf-8")


def escape_formula(value: Any) -> Any:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe.

    Only text is changed: ``"=HYPERLINK(...)"`` becomes ``"'=HYPERLINK(...)"``, ``"-5"`` (text)
    becomes ``"'-5"``; the number ``-5`` is returned unchanged.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _table(frame: pd.DataFrame) -> pd.DataFrame:
    table = pd.DataFrame(frame)
    if isinstance(frame, gpd.GeoDataFrame):
        geometry = frame.geometry
        table = pd.DataFrame(frame.drop(columns=geometry.name))
        kinds = set(geometry.geom_type.dropna().unique())
        if kinds == {"Point"} and geometry.crs is not None:
            # Point layers keep their position as WGS84 longitude and latitude columns (empty
            # where a point is missing).
            points = np.asarray(geometry.to_crs("EPSG:4326").array, dtype=object)
            table = table.assign(
                longitude=np.round(shapely.get_x(points), 6),
                latitude=np.round(shapely.get_y(points), 6),
            )
    if any(name is not None for name in table.index.names):
        table = table.reset_index()
    return table


def to_csv_bytes(
    frame: pd.DataFrame,
    *,
    metadata_lines: Sequence[str] | ExportMetadata,
) -> bytes:
    """A table as CSV, safe to open in a spreadsheet, with leading notes.

    Parameters
    ----------
    frame:
        The table; a GeoDataFrame loses its geometry (points keep ``longitude`` and
        ``latitude`` in WGS84, 6 decimal places; use GeoJSON or GeoPackage for shapes).  A
        named index is written as a column; an unnamed one is left out.
    metadata_lines:
        Notes (source, date, licence...) written first, one per line, each prefixed ``"# "``;
        an :class:`ExportMetadata` gives its :meth:`ExportMetadata.lines`.

    Returns
    -------
    bytes
        UTF-8 with BOM, CRLF line ends: the notes, then the header row, then the rows.
    """
    lines = (
        metadata_lines.lines()
        if isinstance(metadata_lines, ExportMetadata)
        else tuple(metadata_lines)
    )
    for line in lines:
        if "\n" in line or "\r" in line:
            raise ValueError(f"each metadata line must be one line: {line!r}")
    table = _table(frame)
    table.columns = [escape_formula(str(column)) for column in table.columns]
    for column in table.columns:
        series = table[column]
        textual = (
            pd.api.types.is_object_dtype(series.dtype)
            or pd.api.types.is_string_dtype(series.dtype)
            or isinstance(series.dtype, pd.CategoricalDtype)
        )
        if textual:
            table[column] = series.astype(object).map(escape_formula)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for line in lines:
        writer.writerow([f"# {line}"])
    table.to_csv(buffer, index=False, lineterminator="\r\n")
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_geopackage_bytes(
    gdf: gpd.GeoDataFrame,
    *,
    layer: str,
    metadata: ExportMetadata,
) -> bytes:
    """A layer as a GeoPackage file (opens in QGIS), in the frame's own CRS.

    Parameters
    ----------
    gdf:
        Features with a declared CRS; not modified.
    layer:
        Table name inside the GeoPackage (letters, digits and underscores; up to 63).
    metadata:
        Written as the layer description and as layer metadata items.

    Returns
    -------
    bytes
        The ``.gpkg`` file.

    Raises
    ------
    InputError
        If the frame has no CRS.
    """
    if not _LAYER_NAME.fullmatch(layer):
        raise ValueError(
            f"layer {layer!r} must start with a letter or underscore and hold only letters, "
            "digits and underscores (up to 63)"
        )
    if gdf.crs is None:
        raise InputError(
            "has no coordinate reference system; set it before exporting", source=layer
        )
    items = {
        key: value if isinstance(value, str) else "; ".join(value)
        for key, value in metadata.as_dict().items()
    }
    with tempfile.TemporaryDirectory(prefix="dip-export-") as folder:
        path = Path(folder) / "export.gpkg"
        pyogrio.write_dataframe(
            gdf,
            path,
            layer=layer,
            driver="GPKG",
            layer_metadata=items,
            layer_options={
                "DESCRIPTION": " | ".join(metadata.lines()),
                "IDENTIFIER": metadata.title,
            },
        )
        return path.read_bytes()


def to_html_bytes(m: folium.Map, *, metadata: ExportMetadata) -> bytes:
    """The map as a standalone HTML file with the notes in a footer (Leaflet from its CDN)."""
    return map_html(m, title=metadata.title, notes=metadata.lines()).encode("utf-8")
