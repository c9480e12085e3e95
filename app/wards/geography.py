"""The stored geography the ward pages draw on: wards, LSOAs, venues, catchments and masts.

Everything is read from the place model (``app.places``) read-only and returned in British
National Grid (EPSG:27700), the CRS every map and export starts from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Executable, select
from sqlalchemy.orm import Session

from app.places.models import AreaLayerRecord, MobileSite, Place, PlaceCatchment
from app.places.services import latest_layer, load_areas

BNG = "EPSG:27700"
WGS84 = "EPSG:4326"

KIND_LABELS = {
    "library": "Library",
    "community_centre": "Community centre",
    "social_centre": "Social centre",
    "townhall": "Council building",
    "internet_cafe": "Internet café",
    "public_wifi": "Public Wi-Fi spot",
    "wifi_only": "Public Wi-Fi only",
}
"""Plain words for the place kinds of :data:`geo.places.PLACE_KINDS`."""

NOT_A_VENUE = frozenset({"wifi_only"})
"""Place kinds the walking-access model leaves out (as ``app.places.services`` does)."""


@dataclass(frozen=True)
class WardRow:
    """One current ward: code, name and boundary vintage (``WD23``)."""

    code: str
    name: str
    vintage: str


def ward_layer(session: Session) -> AreaLayerRecord | None:
    """The current ward boundary layer, or ``None`` when no wards are loaded."""
    return latest_layer(session, "ward")


def current_wards(session: Session) -> list[WardRow]:
    """The wards of the current ward layer, by name."""
    frame = load_areas(session, kind="ward")
    if frame.empty:
        return []
    rows = [
        WardRow(str(code), str(name or code), str(vintage))
        for code, name, vintage in zip(frame["code"], frame["name"], frame["vintage"], strict=True)
    ]
    return sorted(rows, key=lambda row: (row.name.casefold(), row.code))


AREA_COLUMNS = ("id", "kind", "vintage", "code", "name", "ward_code", "area_km2", "population")


def _empty_areas() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {column: pd.Series([], dtype=object) for column in AREA_COLUMNS},
        geometry=gpd.GeoSeries([], crs=BNG),
        crs=BNG,
    )


def ward_frame(session: Session) -> gpd.GeoDataFrame:
    """Current wards (``code``, ``name``, ``vintage``, ``geometry``) in EPSG:27700, by name."""
    frame = load_areas(session, kind="ward")
    if frame.empty:
        return _empty_areas()
    frame = frame.assign(name=frame["name"].fillna(frame["code"]).astype(str))
    order = frame["name"].str.casefold().argsort(kind="stable")
    return frame.iloc[order.to_numpy()].reset_index(drop=True)


def lsoa_frame(session: Session) -> gpd.GeoDataFrame:
    """Current LSOAs (``code``, ``name``, ``ward_code``, ``population``...) in EPSG:27700."""
    frame = load_areas(session, kind="lsoa")
    return _empty_areas() if frame.empty else frame


def read_frame(session: Session, query: Executable, columns: Sequence[str]) -> pd.DataFrame:
    """Run a column query and return its rows as a DataFrame, quickly.

    Rows are read through the session's connection (no ORM row processing) and put into
    columns with one ``zip``: building a DataFrame from SQLAlchemy rows one by one costs
    several microseconds a row, a second for the premises of a borough.
    """
    result = session.connection().execute(query)
    # The DBAPI cursor's plain tuples: these columns need no SQLAlchemy type processing.
    cursor = getattr(result, "cursor", None)
    rows = cursor.fetchall() if cursor is not None else result.fetchall()
    result.close()
    if not rows:
        return pd.DataFrame({column: pd.Series([], dtype=object) for column in columns})
    data = dict(zip(columns, (list(values) for values in zip(*rows, strict=True)), strict=True))
    return pd.DataFrame(data)


def _points(x_m: np.ndarray, y_m: np.ndarray) -> gpd.GeoSeries:
    return gpd.GeoSeries(shapely.points(x_m, y_m), crs=BNG)


def venue_frame(session: Session) -> gpd.GeoDataFrame:
    """Every stored place (help venues and public Wi-Fi), points in EPSG:27700.

    Columns: ``place_id``, ``public_id``, ``name``, ``kind``, ``kind_label``, ``public_wifi``,
    ``is_venue`` (used by the walking-access model), ``address``, ``ward_code``, ``source``,
    ``source_date``.
    """
    rows = session.execute(
        select(
            Place.id,
            Place.public_id,
            Place.name,
            Place.kind,
            Place.public_wifi,
            Place.address,
            Place.ward_code,
            Place.source,
            Place.source_date,
            Place.x_m,
            Place.y_m,
        ).order_by(Place.name, Place.id)
    ).all()
    frame = pd.DataFrame(
        rows,
        columns=[
            "place_id",
            "public_id",
            "name",
            "kind",
            "public_wifi",
            "address",
            "ward_code",
            "source",
            "source_date",
            "x_m",
            "y_m",
        ],
    )
    frame["kind_label"] = frame["kind"].map(KIND_LABELS).fillna(frame["kind"]).astype(object)
    frame["is_venue"] = ~frame["kind"].isin(NOT_A_VENUE)
    frame["public_wifi"] = frame["public_wifi"].astype(bool)
    geometry = _points(frame.pop("x_m").to_numpy(float), frame.pop("y_m").to_numpy(float))
    return gpd.GeoDataFrame(frame, geometry=geometry.to_numpy(), crs=BNG)


def catchment_frame(session: Session) -> gpd.GeoDataFrame:
    """Walking catchments of the venues (``place_id``, ``threshold_min``, residents...)."""
    rows = session.execute(
        select(
            PlaceCatchment.place_id,
            PlaceCatchment.minutes,
            PlaceCatchment.premises_within,
            PlaceCatchment.residents_within,
            PlaceCatchment.geometry,
        ).order_by(PlaceCatchment.place_id, PlaceCatchment.minutes)
    ).all()
    frame = pd.DataFrame(
        rows,
        columns=["place_id", "threshold_min", "premises_within", "residents_within", "geometry"],
    )
    texts = frame.pop("geometry").to_numpy(dtype=object)
    geometry = shapely.from_geojson(texts) if len(texts) else np.array([], dtype=object)
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=WGS84).to_crs(BNG)


def site_frame(session: Session) -> gpd.GeoDataFrame:
    """Mobile transmitter rows (``site_ref``, ``operator``, ``technology``...) in EPSG:27700."""
    rows = session.execute(
        select(
            MobileSite.site_ref,
            MobileSite.operator,
            MobileSite.technology,
            MobileSite.band_mhz,
            MobileSite.source,
            MobileSite.source_date,
            MobileSite.x_m,
            MobileSite.y_m,
        ).order_by(MobileSite.site_ref, MobileSite.id)
    ).all()
    frame = pd.DataFrame(
        rows,
        columns=[
            "site_ref",
            "operator",
            "technology",
            "band_mhz",
            "source",
            "source_date",
            "x_m",
            "y_m",
        ],
    )
    geometry = _points(frame.pop("x_m").to_numpy(float), frame.pop("y_m").to_numpy(float))
    return gpd.GeoDataFrame(frame, geometry=geometry.to_numpy(), crs=BNG)


def ward_of_points(points: gpd.GeoDataFrame, wards: gpd.GeoDataFrame) -> pd.Series:
    """The code of the ward each point lies in (``None`` outside every ward), by point index."""
    codes = np.full(len(points), None, dtype=object)
    if len(points) and len(wards):
        tree = shapely.STRtree(np.asarray(wards.geometry.array, dtype=object))
        point_index, ward_index = tree.query(
            np.asarray(points.to_crs(BNG).geometry.array, dtype=object), predicate="within"
        )
        codes[point_index] = wards["code"].to_numpy(dtype=object)[ward_index]
    return pd.Series(codes, index=points.index, name="ward_code", dtype=object)
