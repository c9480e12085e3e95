"""Statistical and electoral areas (ONS wards, LSOAs, MSOAs, OAs, local authorities).

An :class:`AreaLayer` is a checked set of ONS area polygons in British National Grid
(EPSG:27700, metres) that keeps the publisher's column names: the code column's name
(``WD23CD``, ``LSOA21CD``...) carries the geography and its vintage, and layers of different
vintages meet only through an explicit lookup (:func:`apply_lookup`).

Files are read in :mod:`geo.sources.boundaries`; this module checks frames, converts them for
display (:func:`to_rfc7946`) and relates layers to each other (:func:`assign_areas_to_wards`).
Every check refuses bad input with :class:`geo.errors.InputError` naming the file, the column or
the feature and what to do; nothing is repaired silently.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import shapely

from geo.errors import InputError

__all__ = [
    "BNG",
    "CODE_PREFIXES",
    "AreaKind",
    "AreaLayer",
    "AreaSummary",
    "CodeColumn",
    "LookupResult",
    "apply_lookup",
    "area_layer_from_frame",
    "area_summary",
    "assign_areas_to_wards",
    "find_code_columns",
    "require_projected",
    "to_rfc7946",
]

BNG = "EPSG:27700"
"""British National Grid: areas are measured in its metres."""

AreaKind = Literal["oa", "lsoa", "msoa", "ward", "lad"]

CODE_COLUMN_PATTERN = re.compile(r"^(WD|LSOA|MSOA|OA|LAD)(\d\d)CD$", re.IGNORECASE)
"""An ONS code column: geography prefix, two-digit vintage year, ``CD`` (e.g. ``WD23CD``)."""

_KIND_BY_PREFIX: dict[str, AreaKind] = {
    "OA": "oa",
    "LSOA": "lsoa",
    "MSOA": "msoa",
    "WD": "ward",
    "LAD": "lad",
}

CODE_PREFIXES: dict[str, tuple[str, ...]] = {
    "oa": ("E00", "W00"),
    "lsoa": ("E01", "W01"),
    "msoa": ("E02", "W02"),
    "ward": ("E05", "W05"),
    "lad": ("E06", "E07", "E08", "E09", "W06"),
}
"""ONS GSS entity prefixes allowed for each kind of area (England ``E``, Wales ``W``)."""

_KIND_NAMES = {
    "oa": "Output Area",
    "lsoa": "Lower Layer Super Output Area",
    "msoa": "Middle Layer Super Output Area",
    "ward": "electoral ward",
    "lad": "local authority district",
}

# When a file carries several code columns (an LSOA file also lists its MSOA and LAD), the
# finest geography is the one the features are.
_FINEST_FIRST: tuple[AreaKind, ...] = ("oa", "lsoa", "msoa", "ward", "lad")

_GSS_CODE = re.compile(r"^[EW]\d{8}$")
_MAX_LISTED = 5


@dataclass(frozen=True)
class CodeColumn:
    """An ONS code column found in a table: its name, kind of area and vintage (``"WD23"``)."""

    column: str
    kind: AreaKind
    vintage: str

    @property
    def year(self) -> int:
        """The four-digit year of the vintage (``WD23`` -> 2023)."""
        return 2000 + int(self.vintage[-2:])


@dataclass(frozen=True, eq=False)
class AreaLayer:
    """A complete, checked layer of ONS areas in EPSG:27700.

    Attributes
    ----------
    kind:
        ``"oa"``, ``"lsoa"``, ``"msoa"``, ``"ward"`` or ``"lad"``.
    vintage:
        The geography and year from the code column's name, e.g. ``"WD23"`` or ``"LSOA11"``.
    code_column:
        The column holding each area's ONS code, as published (e.g. ``"WD23CD"``).
    name_column:
        The matching name column (e.g. ``"WD23NM"``) or None when the file has none.
    frame:
        One row per area, the publisher's columns unchanged, geometry (Polygon or
        MultiPolygon) in EPSG:27700 metres.  Treat it as read-only.
    source:
        The file name (or table name) the layer came from.
    file_modified:
        When the file was last modified (UTC), None for frames built in memory.
    loaded_at:
        When the caller loaded the layer (UTC), if it said so.
    """

    kind: AreaKind
    vintage: str
    code_column: str
    name_column: str | None
    frame: gpd.GeoDataFrame
    source: str
    file_modified: datetime | None = None
    loaded_at: datetime | None = None

    @property
    def year(self) -> int:
        """The four-digit year of the vintage (``LSOA21`` -> 2021)."""
        return 2000 + int(self.vintage[-2:])

    @property
    def codes(self) -> pd.Index:
        """The area codes, in the frame's order."""
        return pd.Index(self.frame[self.code_column], name=self.code_column)

    def __len__(self) -> int:
        return len(self.frame)

    def __repr__(self) -> str:
        return (
            f"AreaLayer(kind={self.kind!r}, vintage={self.vintage!r}, n={len(self.frame)}, "
            f"source={self.source!r})"
        )


@dataclass(frozen=True)
class AreaSummary:
    """Headline figures of an area layer: how many areas, which vintage, total area in km²."""

    kind: AreaKind
    vintage: str
    count: int
    total_area_km2: float
    source: str


@dataclass(frozen=True, eq=False)
class LookupResult:
    """A table with codes translated through a lookup, and the codes the lookup lacked.

    Attributes
    ----------
    frame:
        A copy of the input with the new code column added (missing where unmatched).
    unmatched:
        The input codes not found in the lookup, sorted, without repeats.
    """

    frame: pd.DataFrame
    unmatched: tuple[str, ...]


def _listing(items: Sequence[object], limit: int = _MAX_LISTED) -> str:
    shown = ", ".join(str(item) for item in items[:limit])
    more = len(items) - limit
    return f"{shown} and {more} more" if more > 0 else shown


def _features(
    positions: npt.NDArray[np.intp],
    codes: Sequence[object] | npt.NDArray[np.object_] | None = None,
) -> str:
    """Human text for 1-based feature numbers, with the area codes where known."""
    items: list[str] = []
    for position in positions[:_MAX_LISTED].tolist():
        code = None if codes is None else codes[position]
        label = f"feature {position + 1}"
        items.append(label if code is None or _is_missing(code) else f"{label} ({code})")
    more = len(positions) - _MAX_LISTED
    return ", ".join(items) + (f" and {more} more" if more > 0 else "")


def _is_missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def find_code_columns(columns: Iterable[object]) -> list[CodeColumn]:
    """Find the ONS code columns in a list of column names.

    Parameters
    ----------
    columns:
        Column names, e.g. ``frame.columns``.

    Returns
    -------
    list of CodeColumn
        One per name matching ``^(WD|LSOA|MSOA|OA|LAD)(\\d\\d)CD$`` (case-insensitive), in the
        order given.  The vintage is upper case (``"LSOA21"``) whatever the column's case.
    """
    found: list[CodeColumn] = []
    for name in columns:
        if not isinstance(name, str):
            continue
        match = CODE_COLUMN_PATTERN.match(name)
        if match is None:
            continue
        prefix, year = match.group(1).upper(), match.group(2)
        found.append(CodeColumn(column=name, kind=_KIND_BY_PREFIX[prefix], vintage=prefix + year))
    return found


def _choose_code_column(
    frame: pd.DataFrame, *, source: str, code_column: str | None
) -> tuple[CodeColumn, list[CodeColumn]]:
    found = find_code_columns(frame.columns)
    if code_column is not None:
        if code_column not in frame.columns:
            raise InputError(
                f"there is no column {code_column!r}; the columns are "
                f"{_listing(list(map(str, frame.columns)), 20)}",
                source=source,
                column=code_column,
            )
        chosen = [item for item in found if item.column == code_column]
        if not chosen:
            raise InputError(
                "is not an ONS code column: name it as the ONS does, e.g. WD23CD or LSOA21CD "
                "(geography, two-digit year, CD)",
                source=source,
                column=code_column,
            )
        return chosen[0], found
    if not found:
        raise InputError(
            "has no ONS code column.  Boundary files from the ONS Open Geography Portal name "
            "it after the geography and year, e.g. WD23CD, LSOA21CD, MSOA11CD, OA21CD or "
            f"LAD23CD; the columns here are {_listing(list(map(str, frame.columns)), 20)}",
            source=source,
        )
    for kind in _FINEST_FIRST:
        of_kind = [item for item in found if item.kind == kind]
        if len(of_kind) > 1:
            # A 2021 LSOA file may carry each area's 2011 parent code as an attribute; the
            # parent repeats where an area was split, so only the features' own code column
            # is complete and unique.  Two such columns mean two vintages side by side.
            identifying = [
                item
                for item in of_kind
                if frame[item.column].notna().all() and frame[item.column].is_unique
            ]
            if len(identifying) == 1:
                return identifying[0], found
            names = ", ".join(item.column for item in of_kind)
            raise InputError(
                f"mixes vintages: it has the code columns {names} for the same kind of area "
                f"({_KIND_NAMES[kind]}s).  Use a file of one vintage, or pass code_column= to "
                "say which one the features are, and relate the others through an ONS lookup",
                source=source,
            )
        if of_kind:
            return of_kind[0], found
    raise AssertionError("unreachable: every found column has a kind")  # pragma: no cover


def _check_codes(
    values: pd.Series, spec: CodeColumn, *, source: str, required: bool
) -> npt.NDArray[np.object_]:
    text = values.astype("string").str.strip()
    missing = (text.isna() | (text == "")).to_numpy(dtype=bool)
    if required and missing.any():
        raise InputError(
            f"has no area code in {_features(np.flatnonzero(missing))}: every feature needs "
            "its ONS code",
            source=source,
            column=spec.column,
        )
    prefixes = CODE_PREFIXES[spec.kind]
    good = (text.str.match(_GSS_CODE.pattern) & text.str[:3].isin(prefixes)).fillna(False)
    bad = np.flatnonzero(~missing & ~good.to_numpy(dtype=bool))
    codes = np.asarray(text.astype(object).where(~missing, None).to_numpy(), dtype=object)
    if bad.size:
        raise InputError(
            f"has codes that are not {_KIND_NAMES[spec.kind]} codes in "
            f"{_features(bad, list(codes))}: a {spec.vintage} code is a letter and 8 digits "
            f"starting {' or '.join(prefixes)}.  Check that the column is the right one",
            source=source,
            column=spec.column,
        )
    return codes


def _check_geometry(
    frame: gpd.GeoDataFrame, codes: npt.NDArray[np.object_], *, source: str
) -> None:
    geometry = np.asarray(frame.geometry.array, dtype=object)
    absent = shapely.is_missing(geometry) | shapely.is_empty(geometry)
    if absent.any():
        raise InputError(
            f"has no geometry in {_features(np.flatnonzero(absent), codes)}: every area needs "
            "its boundary polygon",
            source=source,
        )
    type_id = shapely.get_type_id(geometry)
    polygonal = (type_id == shapely.GeometryType.POLYGON) | (
        type_id == shapely.GeometryType.MULTIPOLYGON
    )
    if not polygonal.all():
        bad = np.flatnonzero(~polygonal)
        kinds = sorted({shapely.get_type_id(geometry[i]) for i in bad.tolist()})
        names = ", ".join(shapely.GeometryType(kind).name.title() for kind in kinds)
        raise InputError(
            f"has {names} geometry in {_features(bad, codes)}: area boundaries must be "
            "Polygon or MultiPolygon",
            source=source,
        )
    valid = shapely.is_valid(geometry)
    if not valid.all():
        bad = np.flatnonzero(~valid)
        reason = shapely.is_valid_reason(geometry[bad[0]])
        raise InputError(
            f"has an invalid polygon in {_features(bad, codes)} ({reason}).  Repair it in GIS "
            "software (e.g. QGIS 'Fix geometries') and check the result before importing; "
            "the planner does not repair boundaries silently",
            source=source,
        )


def _check_code_family(
    codes: npt.NDArray[np.object_], spec: CodeColumn, lookup: pd.DataFrame, *, source: str
) -> None:
    """Refuse codes that the lookup shows belong only to another vintage of the same geography."""
    columns = find_code_columns(lookup.columns)
    same = [item for item in columns if item.kind == spec.kind and item.vintage == spec.vintage]
    other = [item for item in columns if item.kind == spec.kind and item.vintage != spec.vintage]
    if not same or not other:
        raise InputError(
            f"cannot check the codes: the lookup needs a {spec.vintage}CD column and another "
            f"vintage of {_KIND_NAMES[spec.kind]} codes (its columns are "
            f"{_listing(list(map(str, lookup.columns)), 20)})",
            source="lookup",
        )
    own = set(lookup[same[0].column].dropna().astype(str))
    for item in other:
        foreign = set(lookup[item.column].dropna().astype(str)) - own
        hits = np.flatnonzero(np.isin(codes.astype(str), list(foreign)))
        if hits.size:
            raise InputError(
                f"mixes vintages: {_features(hits, list(codes))}: the lookup shows "
                f"{'this code exists' if hits.size == 1 else 'these codes exist'} only in "
                f"{item.vintage}, not in {spec.vintage}.  Use one vintage throughout, "
                "translating other codes with the ONS lookup first",
                source=source,
                column=spec.column,
            )


def _to_bng(frame: gpd.GeoDataFrame, *, source: str) -> gpd.GeoDataFrame:
    if frame.crs is None:
        raise InputError(
            "has no coordinate reference system, so its coordinates cannot be placed on a map. "
            "Export it again with its CRS (a Shapefile needs its .prj file), normally "
            "EPSG:27700 (British National Grid) or EPSG:4326",
            source=source,
        )
    if pyproj.CRS.from_user_input(frame.crs) == pyproj.CRS.from_user_input(BNG):
        return frame.set_crs(BNG, allow_override=True)
    projected = frame.to_crs(BNG)
    if not np.isfinite(projected.total_bounds).all():
        raise InputError(
            f"has coordinates that cannot be converted from {frame.crs} to {BNG}: check the "
            "file's CRS matches its coordinates",
            source=source,
        )
    return projected


def _has_geometry(frame: object) -> bool:
    if not isinstance(frame, gpd.GeoDataFrame):
        return False
    try:
        frame.geometry  # noqa: B018 - raises when no active geometry column is set
    except AttributeError:
        return False
    return True


def area_layer_from_frame(
    frame: gpd.GeoDataFrame | pd.DataFrame,
    *,
    source: str,
    code_column: str | None = None,
    lookup: pd.DataFrame | None = None,
    file_modified: datetime | None = None,
    loaded_at: datetime | None = None,
) -> AreaLayer:
    """Check a table of ONS areas and return it as an :class:`AreaLayer` in EPSG:27700.

    The kind of area and its vintage come from the code column's name (``WD23CD`` -> ward,
    2023).  When several code columns are present (an LSOA file listing its MSOA and local
    authority) the finest geography is taken.

    Parameters
    ----------
    frame:
        Area polygons in any CRS that says what it is (EPSG:4326 lon/lat, EPSG:27700...).
    source:
        The file or table name, used in error messages and kept on the layer.
    code_column:
        The code column to use, when the finest one is not the one wanted.
    lookup:
        An ONS lookup between two vintages of the same geography (e.g. the columns
        ``LSOA11CD`` and ``LSOA21CD``).  When given, codes that exist only in the other vintage
        are refused.
    file_modified, loaded_at:
        Dates kept on the layer (UTC).

    Returns
    -------
    AreaLayer
        A new layer; the frame is a reprojected copy with a fresh 0..n-1 index.

    Raises
    ------
    InputError
        If the table has no geometry, no features, no ONS code column, mixed vintages,
        missing, malformed or repeated codes, no CRS, or missing, non-polygonal or invalid
        geometry.  Nothing is repaired.
    """
    if not _has_geometry(frame):
        raise InputError(
            "has no geometry: it is a table, not a boundary file.  Use the GeoJSON, "
            "GeoPackage or Shapefile download of the boundaries",
            source=source,
        )
    if len(frame) == 0:
        raise InputError("has no features: the boundary file is empty", source=source)
    spec, found = _choose_code_column(frame, source=source, code_column=code_column)
    codes = _check_codes(frame[spec.column], spec, source=source, required=True)
    for other in found:
        if other.column != spec.column:
            _check_codes(frame[other.column], other, source=source, required=False)
    repeated = pd.Series(codes).duplicated(keep=False).to_numpy()
    if repeated.any():
        rows = np.flatnonzero(repeated)
        names = sorted(set(codes[rows].tolist()))
        raise InputError(
            f"has the same code more than once ({_listing(names)}; {_features(rows, codes)}): "
            "each area must be one feature.  Dissolve multi-part areas into one MultiPolygon "
            "per code first",
            source=source,
            column=spec.column,
        )
    _check_geometry(frame, codes, source=source)
    if lookup is not None:
        _check_code_family(codes, spec, lookup, source=source)
    projected = _to_bng(frame, source=source).reset_index(drop=True)
    name_guess = spec.column[:-2] + ("NM" if spec.column.endswith("CD") else "nm")
    name_column = name_guess if name_guess in projected.columns else None
    return AreaLayer(
        kind=spec.kind,
        vintage=spec.vintage,
        code_column=spec.column,
        name_column=name_column,
        frame=projected,
        source=source,
        file_modified=file_modified,
        loaded_at=loaded_at,
    )


def require_projected(gdf: gpd.GeoDataFrame | gpd.GeoSeries, source: str) -> None:
    """Refuse a layer whose coordinates are not in a projected CRS measured in metres.

    Call this before any distance, buffer or area computation: a distance in degrees is
    meaningless (a degree of longitude is about 70 km in England, a degree of latitude 111 km).

    Parameters
    ----------
    gdf:
        The layer about to be measured.
    source:
        Its file or table name, for the message.

    Raises
    ------
    InputError
        If the CRS is missing, geographic (lon/lat degrees) or not in metres.
    """
    crs = gdf.crs
    if crs is None:
        raise InputError(
            "has no coordinate reference system: set it (e.g. EPSG:27700) before measuring "
            "distances",
            source=source,
        )
    parsed = pyproj.CRS.from_user_input(crs)
    if parsed.is_geographic:
        raise InputError(
            f"is in a geographic CRS ({parsed.name}, degrees), so distances would be in "
            "degrees.  Reproject it to British National Grid first, e.g. "
            "gdf.to_crs('EPSG:27700')",
            source=source,
        )
    units = {axis.unit_name for axis in parsed.axis_info}
    if not units <= {"metre", "meter"}:
        raise InputError(
            f"is in {parsed.name}, measured in {', '.join(sorted(units))}, not metres. "
            "Reproject it to EPSG:27700 (British National Grid) first",
            source=source,
        )


def _json_value(value: Any) -> Any:
    if _is_missing(value) or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp | datetime):
        return value.isoformat()
    return value


def to_rfc7946(gdf: gpd.GeoDataFrame, *, precision: int = 6) -> dict[str, Any]:
    """A GeoJSON FeatureCollection following RFC 7946, for web maps and exports.

    RFC 7946 requires WGS84 longitude/latitude (EPSG:4326) and no ``crs`` member, and says
    polygon exterior rings run counter-clockwise and holes clockwise (the right-hand rule).

    Parameters
    ----------
    gdf:
        Features in any declared CRS (EPSG:27700 normally).
    precision:
        Decimal places kept in coordinates (6 places is about 0.1 m).

    Returns
    -------
    dict
        ``{"type": "FeatureCollection", "features": [...]}`` with JSON-ready properties
        (missing values become ``null``), coordinates rounded, rings oriented.

    Raises
    ------
    InputError
        If the frame has no CRS.
    """
    if gdf.crs is None:
        raise InputError(
            "has no coordinate reference system; set it before exporting GeoJSON",
            source="layer",
        )
    wgs84 = gdf.to_crs("EPSG:4326")
    geometry = np.asarray(wgs84.geometry.array, dtype=object)
    present = ~shapely.is_missing(geometry)
    rounded = geometry.copy()
    rounded[present] = shapely.transform(
        geometry[present], lambda coords: np.round(coords, precision)
    )
    # Round first: orientation is decided on the coordinates actually written.
    rounded[present] = shapely.orient_polygons(rounded[present], exterior_cw=False)
    columns = [column for column in wgs84.columns if column != wgs84.geometry.name]
    values = wgs84[columns].astype(object).to_numpy()
    features = []
    for row, shape in zip(values, rounded, strict=True):
        features.append(
            {
                "type": "Feature",
                "properties": {
                    str(column): _json_value(value)
                    for column, value in zip(columns, row, strict=True)
                },
                "geometry": None if shape is None else shapely.geometry.mapping(shape),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def assign_areas_to_wards(
    small_areas: gpd.GeoDataFrame,
    wards: gpd.GeoDataFrame,
    *,
    code_column: str,
    ward_code_column: str,
) -> pd.Series:
    """The ward each small area falls in, by its representative point.

    A representative point (always inside its polygon, unlike a centroid) is tested against
    the ward polygons with one spatial join.  This is the geometric equivalent of an ONS
    best-fit lookup; the ONS's own best-fit uses population-weighted centroids, so a few areas
    that straddle a ward boundary can differ.

    Parameters
    ----------
    small_areas:
        OAs, LSOAs or MSOAs with their code column; any CRS (the wards are brought to it).
    wards:
        Ward polygons with their code column.
    code_column:
        The small areas' code column (e.g. ``"LSOA21CD"``), used in messages.
    ward_code_column:
        The wards' code column (e.g. ``"WD23CD"``).

    Returns
    -------
    pandas.Series
        Named ``ward_code_column``, aligned to ``small_areas.index``; missing (``None``) where
        the point lies in no ward.

    Raises
    ------
    InputError
        If a column is missing, a layer has no CRS, or a point lies in more than one ward
        (overlapping wards).
    """
    for frame, column, label in (
        (small_areas, code_column, "small areas"),
        (wards, ward_code_column, "wards"),
    ):
        if column not in frame.columns:
            raise InputError(f"has no column {column!r}", source=label, column=column)
        if frame.crs is None:
            raise InputError("has no coordinate reference system", source=label)
    ward_frame = wards[[ward_code_column, wards.geometry.name]]
    if pyproj.CRS.from_user_input(wards.crs) != pyproj.CRS.from_user_input(small_areas.crs):
        ward_frame = ward_frame.to_crs(small_areas.crs)
    points = gpd.GeoDataFrame(
        {"_position": np.arange(len(small_areas))},
        geometry=small_areas.geometry.representative_point().to_numpy(),
        crs=small_areas.crs,
    )
    joined = gpd.sjoin(points, ward_frame, how="inner", predicate="within")
    counts = joined["_position"].value_counts()
    doubled = counts[counts > 1].index.to_numpy()
    if doubled.size:
        position = int(doubled[0])
        hits = joined.loc[joined["_position"] == position, ward_code_column].tolist()
        code = small_areas[code_column].iloc[position]
        raise InputError(
            f"overlap: the small area {code} lies in more than one ward ({', '.join(hits)}). "
            "Wards must not overlap; check the ward file is one vintage of one council",
            source="wards",
        )
    result = np.full(len(small_areas), None, dtype=object)
    result[joined["_position"].to_numpy()] = joined[ward_code_column].to_numpy(dtype=object)
    return pd.Series(result, index=small_areas.index, name=ward_code_column, dtype=object)


def apply_lookup(
    frame: pd.DataFrame,
    lookup: pd.DataFrame,
    *,
    from_column: str,
    to_column: str,
    frame_column: str | None = None,
    extra_columns: Sequence[str] = (),
) -> LookupResult:
    """Translate codes through an ONS lookup (e.g. LSOA 2011 -> LSOA 2021, best fit).

    Parameters
    ----------
    frame:
        The table whose codes are translated; not changed.
    lookup:
        The lookup table, one row per ``from_column`` code (a best-fit lookup).
    from_column, to_column:
        The lookup's source and target code columns, e.g. ``"LSOA11CD"``, ``"LSOA21CD"``.
    frame_column:
        The frame's code column, when not named ``from_column``.
    extra_columns:
        Other lookup columns to bring across (e.g. ``("LSOA21NM",)``).

    Returns
    -------
    LookupResult
        A copy of ``frame`` with ``to_column`` (and ``extra_columns``) added, missing where the
        code is not in the lookup, and the unmatched codes.

    Raises
    ------
    InputError
        If a column is missing, or the lookup sends one code to two different codes (it is
        not a best-fit lookup).
    """
    source_column = frame_column or from_column
    if source_column not in frame.columns:
        raise InputError(f"has no column {source_column!r}", source="table", column=source_column)
    for column in (from_column, to_column, *extra_columns):
        if column not in lookup.columns:
            raise InputError(
                f"has no column {column!r}; its columns are "
                f"{_listing(list(map(str, lookup.columns)), 20)}",
                source="lookup",
                column=column,
            )
    if to_column in frame.columns and to_column != source_column:
        raise InputError(
            f"already has a column {to_column!r}: drop it first or translate another column",
            source="table",
            column=to_column,
        )
    pairs = lookup[[from_column, to_column, *extra_columns]].dropna(subset=[from_column])
    pairs = pairs.astype({from_column: str}).drop_duplicates()
    split = pairs[from_column].duplicated(keep=False)
    if split.any():
        code = pairs.loc[split, from_column].iloc[0]
        targets = pairs.loc[pairs[from_column] == code, to_column].astype(str).tolist()
        raise InputError(
            f"sends {code} to more than one code ({', '.join(targets)}): use the ONS best-fit "
            "lookup, which has one row per code",
            source="lookup",
            column=from_column,
        )
    table = pairs.set_index(from_column)
    keys = (
        frame[source_column]
        .astype(object)
        .map(lambda value: None if _is_missing(value) else str(value))
    )
    result = frame.copy()
    for column in (to_column, *extra_columns):
        result[column] = keys.map(table[column]).to_numpy()
    present = keys.notna().to_numpy()
    matched = keys.isin(table.index).to_numpy()
    unmatched = tuple(sorted(set(keys[present & ~matched].tolist())))
    return LookupResult(frame=result, unmatched=unmatched)


def area_summary(layer: AreaLayer) -> AreaSummary:
    """Count, vintage and total area (km², from EPSG:27700 polygons) of an area layer.

    Parameters
    ----------
    layer:
        A checked layer (its frame is in EPSG:27700).

    Returns
    -------
    AreaSummary
    """
    require_projected(layer.frame, layer.source)
    total_m2 = float(shapely.area(np.asarray(layer.frame.geometry.array, dtype=object)).sum())
    return AreaSummary(
        kind=layer.kind,
        vintage=layer.vintage,
        count=len(layer.frame),
        total_area_km2=total_m2 / 1e6,
        source=layer.source,
    )
