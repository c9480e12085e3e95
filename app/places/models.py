"""Tables of the place model.

Geometry is stored in WGS84 (EPSG:4326) as RFC 7946 GeoJSON text, and points also keep their
British National Grid coordinates (EPSG:27700, metres) because every measurement is made there.
ONS codes keep their published vintage (``vintage`` = "WD23", "LSOA21", ...): 2011 and 2021 areas
meet only through an explicit lookup.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, new_public_id


class AreaLayerRecord(Base):
    """One imported boundary layer (for example the 2023 wards of a borough)."""

    __tablename__ = "area_layers"
    __table_args__ = (UniqueConstraint("vintage"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    vintage: Mapped[str] = mapped_column(String(10))
    code_column: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(300))
    source_modified: Mapped[datetime | None]
    loaded_at: Mapped[datetime]
    feature_count: Mapped[int] = mapped_column(Integer)
    total_area_km2: Mapped[float] = mapped_column(Float)
    is_estimate: Mapped[bool] = mapped_column(Boolean, default=False)


class Area(Base):
    """One ward, LSOA, MSOA, output area or local authority."""

    __tablename__ = "areas"
    __table_args__ = (
        UniqueConstraint("vintage", "code"),
        Index("ix_areas_kind_ward", "kind", "ward_code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    layer_id: Mapped[int] = mapped_column(
        ForeignKey("area_layers.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(10))
    vintage: Mapped[str] = mapped_column(String(10))
    code: Mapped[str] = mapped_column(String(12))
    name: Mapped[str | None] = mapped_column(String(200))
    # For small areas: the ward they fall in (representative point in polygon), with its vintage.
    ward_code: Mapped[str | None] = mapped_column(String(12))
    ward_vintage: Mapped[str | None] = mapped_column(String(10))
    area_km2: Mapped[float] = mapped_column(Float)
    centroid_lon: Mapped[float] = mapped_column(Float)
    centroid_lat: Mapped[float] = mapped_column(Float)
    geometry: Mapped[str] = mapped_column(Text)  # RFC 7946 GeoJSON geometry, EPSG:4326
    population: Mapped[int | None] = mapped_column(Integer)
    population_by_age: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    population_source: Mapped[str | None] = mapped_column(String(300))


class StreetNetworkRecord(Base):
    """A walking or driving network read from OpenStreetMap, kept as compact arrays."""

    __tablename__ = "street_networks"
    __table_args__ = (UniqueConstraint("mode"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mode: Mapped[str] = mapped_column(String(5))
    source: Mapped[str] = mapped_column(String(300))
    source_date: Mapped[str | None] = mapped_column(String(40))
    loaded_at: Mapped[datetime]
    node_count: Mapped[int] = mapped_column(Integer)
    edge_count: Mapped[int] = mapped_column(Integer)
    length_km: Mapped[float] = mapped_column(Float)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Premises(Base):
    """An address point (from an address file) or an estimated premises (flagged)."""

    __tablename__ = "premises"
    __table_args__ = (
        Index("ix_premises_ward_code", "ward_code"),
        Index("ix_premises_lsoa_code", "lsoa_code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    x_m: Mapped[float] = mapped_column(Float)
    y_m: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    is_estimate: Mapped[bool] = mapped_column(Boolean)
    residents: Mapped[float] = mapped_column(Float)
    lsoa_code: Mapped[str | None] = mapped_column(String(12))
    ward_code: Mapped[str | None] = mapped_column(String(12))
    source: Mapped[str] = mapped_column(String(300))


class Place(Base):
    """A place to get help or get online: library, community centre, council building, Wi-Fi."""

    __tablename__ = "places"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40), index=True)
    public_wifi: Mapped[bool] = mapped_column(Boolean, default=False)
    x_m: Mapped[float] = mapped_column(Float)
    y_m: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    ward_code: Mapped[str | None] = mapped_column(String(12), index=True)
    address: Mapped[str | None] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(300))
    source_date: Mapped[str | None] = mapped_column(String(40))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class MobileSite(Base):
    """A mobile base station (one row per operator, band and position)."""

    __tablename__ = "mobile_sites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_ref: Mapped[str] = mapped_column(String(60))
    operator: Mapped[str] = mapped_column(String(40), index=True)
    technology: Mapped[str | None] = mapped_column(String(20))
    x_m: Mapped[float] = mapped_column(Float)
    y_m: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    antenna_height_m: Mapped[float | None] = mapped_column(Float)
    band_mhz: Mapped[float | None] = mapped_column(Float)
    power_dbm: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(300))
    source_date: Mapped[str | None] = mapped_column(String(40))


class ModelRun(Base):
    """One run of ``geo model``: when, with which parameters, and what it found."""

    __tablename__ = "model_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class PremisesAccess(Base):
    """Walking access from one premises to its nearest help venues (latest model run)."""

    __tablename__ = "premises_access"

    premises_id: Mapped[int] = mapped_column(
        ForeignKey("premises.id", ondelete="CASCADE"), primary_key=True
    )
    nearest_place_id: Mapped[int | None] = mapped_column(
        ForeignKey("places.id", ondelete="SET NULL")
    )
    distance_m: Mapped[float | None] = mapped_column(Float)
    time_min: Mapped[float | None] = mapped_column(Float)
    nearest_k: Mapped[list[Any]] = mapped_column(JSON, default=list)


class AreaAccess(Base):
    """Share of an area's residents within a walking time of a help venue (latest model run)."""

    __tablename__ = "area_access"
    __table_args__ = (UniqueConstraint("vintage", "code", "minutes"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    vintage: Mapped[str] = mapped_column(String(10))
    code: Mapped[str] = mapped_column(String(12))
    minutes: Mapped[int] = mapped_column(Integer)
    residents_within: Mapped[float] = mapped_column(Float)
    residents_total: Mapped[float] = mapped_column(Float)
    premises_within: Mapped[int] = mapped_column(Integer)
    premises_total: Mapped[int] = mapped_column(Integer)


class PlaceCatchment(Base):
    """The streets within 5, 10 or 15 minutes' walk of a venue, and who lives there."""

    __tablename__ = "place_catchments"
    __table_args__ = (UniqueConstraint("place_id", "minutes"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id", ondelete="CASCADE"))
    minutes: Mapped[int] = mapped_column(Integer)
    geometry: Mapped[str] = mapped_column(Text)  # RFC 7946 GeoJSON geometry, EPSG:4326
    premises_within: Mapped[int] = mapped_column(Integer)
    residents_within: Mapped[float] = mapped_column(Float)
