"""Tables of the coverage model: fixed-network assets, availability layers, results and Ofcom data.

Positions are kept twice, as in the place model: British National Grid (EPSG:27700, metres) for
every measurement and WGS84 longitude/latitude for display.  Geometry is RFC 7946 GeoJSON text in
EPSG:4326.  The per-premises, per-area and gap tables hold the *latest* run of the coverage stage
of ``flask --app app geo model`` only; the run itself (when, parameters, inputs) is a
``model_runs`` row of kind ``"coverage"``.
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
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base

ASSET_KINDS = ("exchange", "cabinet")
TECHNOLOGIES = ("fttp", "cable", "fwa")


class FixedAsset(Base):
    """A telephone exchange or a street cabinet of the copper/FTTC network."""

    __tablename__ = "fixed_assets"
    __table_args__ = (UniqueConstraint("kind", "reference"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    reference: Mapped[str] = mapped_column(String(60))
    name: Mapped[str | None] = mapped_column(String(200))
    # For a cabinet: the exchange it hangs off, when the file says.
    exchange_reference: Mapped[str | None] = mapped_column(String(60))
    x_m: Mapped[float] = mapped_column(Float)
    y_m: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(300))
    source_date: Mapped[str | None] = mapped_column(String(40))
    loaded_at: Mapped[datetime]


class AvailabilityLayerRecord(Base):
    """One imported layer saying where FTTP, cable or fixed wireless is built."""

    __tablename__ = "availability_layers"
    __table_args__ = (UniqueConstraint("technology", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    technology: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(200))
    operator: Mapped[str | None] = mapped_column(String(100))
    # "areas" (polygons), "streets" (lines, with a buffer), "points" (with a buffer),
    # "premises" (a list of served premises) or "mixed".
    form: Mapped[str] = mapped_column(String(10))
    buffer_m: Mapped[float] = mapped_column(Float, default=0.0)
    feature_count: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(300))
    source_date: Mapped[str | None] = mapped_column(String(40))
    loaded_at: Mapped[datetime]


class AvailabilityFeature(Base):
    """One polygon, street, point or listed premises of an availability layer."""

    __tablename__ = "availability_features"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    layer_id: Mapped[int] = mapped_column(
        ForeignKey("availability_layers.id", ondelete="CASCADE"), index=True
    )
    geometry: Mapped[str | None] = mapped_column(Text)  # RFC 7946 GeoJSON geometry, EPSG:4326
    premises_reference: Mapped[str | None] = mapped_column(String(40))
    operator: Mapped[str | None] = mapped_column(String(100))
    download_mbps: Mapped[float | None] = mapped_column(Float)
    upload_mbps: Mapped[float | None] = mapped_column(Float)


class PremisesCoverage(Base):
    """Modelled broadband, mobile and Wi-Fi coverage of one premises (latest run)."""

    __tablename__ = "premises_coverage"

    premises_id: Mapped[int] = mapped_column(
        ForeignKey("premises.id", ondelete="CASCADE"), primary_key=True
    )
    best_technology: Mapped[str] = mapped_column(String(10))
    download_mbps: Mapped[float] = mapped_column(Float)
    upload_mbps: Mapped[float] = mapped_column(Float)
    # False where the upload speed is an assumption (FTTC and ADSL: no sourced upload curve).
    upload_modelled: Mapped[bool] = mapped_column(Boolean)
    tier: Mapped[str] = mapped_column(String(12), index=True)
    full_fibre: Mapped[bool] = mapped_column(Boolean)
    gigabit_capable: Mapped[bool] = mapped_column(Boolean)
    gigabit_networks: Mapped[int] = mapped_column(Integer)
    bduk_category: Mapped[str] = mapped_column(String(6))
    cabinet_reference: Mapped[str | None] = mapped_column(String(60))
    copper_length_m: Mapped[float | None] = mapped_column(Float)
    copper_on_network: Mapped[bool] = mapped_column(Boolean)
    environment: Mapped[str] = mapped_column(String(10))
    good_4g_outdoor_any: Mapped[bool] = mapped_column(Boolean)
    good_4g_indoor_any: Mapped[bool] = mapped_column(Boolean)
    good_4g_indoor_all: Mapped[bool] = mapped_column(Boolean)
    operators_good_4g_indoor: Mapped[int] = mapped_column(Integer)
    good_5g_outdoor_any: Mapped[bool] = mapped_column(Boolean)
    good_5g_indoor_any: Mapped[bool] = mapped_column(Boolean)
    not_spot: Mapped[bool] = mapped_column(Boolean)
    # Best RSRP per operator, dBm, as JSON text: {"operators": ["EE", "O2", ...],
    # "4g_outdoor": [-87.5, null, ...], "4g_indoor": [...], "5g_outdoor": [...],
    # "5g_indoor": [...]}, one value per operator in that order (null: no signal).  Written as
    # text in one pass for the whole borough; read it with ``presenters.rsrp_by_operator``.
    rsrp_dbm: Mapped[str] = mapped_column(Text, default="{}")
    # None when no public Wi-Fi place was loaded (Wi-Fi not modelled).
    within_wifi_reach: Mapped[bool | None] = mapped_column(Boolean)
    nearest_wifi_m: Mapped[float | None] = mapped_column(Float)


class AreaCoverage(Base):
    """Coverage of one ward, LSOA or output area (latest run); shares weighted by residents."""

    __tablename__ = "area_coverage"
    __table_args__ = (UniqueConstraint("kind", "vintage", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    vintage: Mapped[str] = mapped_column(String(10))
    code: Mapped[str] = mapped_column(String(12))
    premises: Mapped[int] = mapped_column(Integer)
    residents: Mapped[float] = mapped_column(Float)
    # {"below_uso": n, "decent": n, "superfast": n, "ultrafast": n, "gigabit": n}
    premises_by_tier: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    residents_by_tier: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    premises_below_uso: Mapped[int] = mapped_column(Integer)
    residents_below_uso: Mapped[float] = mapped_column(Float)
    premises_below_superfast: Mapped[int] = mapped_column(Integer)
    residents_below_superfast: Mapped[float] = mapped_column(Float)
    premises_full_fibre: Mapped[int] = mapped_column(Integer)
    premises_gigabit_capable: Mapped[int] = mapped_column(Integer)
    premises_no_indoor_4g: Mapped[int] = mapped_column(Integer)
    # Shares of residents (0-1); None where the area has no residents (or, for Wi-Fi, when
    # Wi-Fi was not modelled).
    share_superfast: Mapped[float | None] = mapped_column(Float)
    share_ultrafast: Mapped[float | None] = mapped_column(Float)
    share_gigabit: Mapped[float | None] = mapped_column(Float)
    share_full_fibre: Mapped[float | None] = mapped_column(Float)
    share_good_4g_indoor_any: Mapped[float | None] = mapped_column(Float)
    share_good_4g_indoor_all: Mapped[float | None] = mapped_column(Float)
    share_good_4g_outdoor_any: Mapped[float | None] = mapped_column(Float)
    share_good_5g_outdoor_any: Mapped[float | None] = mapped_column(Float)
    share_not_spot: Mapped[float | None] = mapped_column(Float)
    share_within_wifi_reach: Mapped[float | None] = mapped_column(Float)


class CoverageGap(Base):
    """One area in the ranked list of coverage gaps (latest run): below the USO or no indoor 4G."""

    __tablename__ = "coverage_gaps"
    __table_args__ = (UniqueConstraint("kind", "vintage", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    vintage: Mapped[str] = mapped_column(String(10))
    code: Mapped[str] = mapped_column(String(12))
    rank: Mapped[int] = mapped_column(Integer)
    premises: Mapped[int] = mapped_column(Integer)
    residents: Mapped[float] = mapped_column(Float)
    premises_affected: Mapped[int] = mapped_column(Integer)
    residents_affected: Mapped[float] = mapped_column(Float)
    share_residents_affected: Mapped[float | None] = mapped_column(Float)
    premises_below_uso: Mapped[int] = mapped_column(Integer)
    residents_below_uso: Mapped[float] = mapped_column(Float)
    premises_no_indoor_4g: Mapped[int] = mapped_column(Integer)
    residents_no_indoor_4g: Mapped[float] = mapped_column(Float)


class OfcomImport(Base):
    """One imported Ofcom Connected Nations file (fixed coverage by area, or mobile by address)."""

    __tablename__ = "ofcom_imports"
    __table_args__ = (UniqueConstraint("kind", "source"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # "fixed" or "mobile"
    area_type: Mapped[str] = mapped_column(String(20))  # "postcode", "output_area" or "uprn"
    source: Mapped[str] = mapped_column(String(300))
    source_date: Mapped[str | None] = mapped_column(String(40))
    loaded_at: Mapped[datetime]
    rows_in_file: Mapped[int] = mapped_column(Integer)
    rows_stored: Mapped[int] = mapped_column(Integer)
    # The postcode lookup used to place postcodes in LSOAs, if any.
    lookup_source: Mapped[str | None] = mapped_column(String(300))


class OfcomFixedCoverage(Base):
    """Ofcom fixed broadband figures for one postcode or output area (percentages 0-100)."""

    __tablename__ = "ofcom_fixed_coverage"
    __table_args__ = (Index("ix_ofcom_fixed_coverage_area", "area_type", "area_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[int] = mapped_column(
        ForeignKey("ofcom_imports.id", ondelete="CASCADE"), index=True
    )
    area_type: Mapped[str] = mapped_column(String(20))
    area_code: Mapped[str] = mapped_column(String(12))
    # The stored small area the row belongs to: the output area itself, or the LSOA of a
    # postcode (from the postcode lookup).
    area_kind: Mapped[str] = mapped_column(String(10))
    small_area_code: Mapped[str] = mapped_column(String(12), index=True)
    all_premises: Mapped[float | None] = mapped_column(Float)
    sfbb_availability_pct: Mapped[float | None] = mapped_column(Float)
    full_fibre_availability_pct: Mapped[float | None] = mapped_column(Float)
    gigabit_availability_pct: Mapped[float | None] = mapped_column(Float)
    unable_10_mbps_pct: Mapped[float | None] = mapped_column(Float)
    unable_30_mbps_pct: Mapped[float | None] = mapped_column(Float)
    below_uso_pct: Mapped[float | None] = mapped_column(Float)
    measures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class OfcomMobileRating(Base):
    """Ofcom's mobile coverage ratings for one address (UPRN): 0 none, 3 limited, 4 likely."""

    __tablename__ = "ofcom_mobile_ratings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[int] = mapped_column(
        ForeignKey("ofcom_imports.id", ondelete="CASCADE"), index=True
    )
    uprn: Mapped[str] = mapped_column(String(20), index=True)
    # {"EE_data_indoor": 4, "VO_voice_outdoor": 3, ...}; blank ratings are left out.
    ratings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
