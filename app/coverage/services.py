"""Store the coverage model's inputs, run the model from what is stored, and keep its results.

Imports replace the layer they load in the caller's transaction; a refused file raises before
anything is written.  ``run_coverage_model`` reads the stored premises, driving network,
cabinets, exchanges, availability layers, mobile sites and public Wi-Fi places, runs the pure
models of :mod:`geo.coverage`, and replaces the per-premises, per-area and gap tables.  Services
flush; the CLI command (or the demo loader) commits.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from app.coverage.models import (
    AreaCoverage,
    AvailabilityFeature,
    AvailabilityLayerRecord,
    CoverageGap,
    FixedAsset,
    OfcomFixedCoverage,
    OfcomImport,
    OfcomMobileRating,
    PremisesCoverage,
)
from app.coverage.settings import UNKNOWN_OPERATOR, UNKNOWN_OPERATOR_WORDS, CoverageSettings
from app.places import services as places
from app.places.models import MobileSite, ModelRun, Place, Premises
from app.places.storage import BNG, WGS84, geometry_geojson, lon_lat, network_from_bytes
from core.errors import DomainError
from geo.coverage import (
    AvailabilityLayer,
    coverage_table,
    fixed_broadband,
    mobile_coverage,
    rank_coverage_gaps,
    sites_from_layer,
    summarise_by_area,
    wifi_coverage,
)
from geo.coverage.config import UK_MOBILE_BANDS_MHZ
from geo.coverage.tiers import TIERS
from geo.errors import InputError

INSERT_CHUNK = 5000
AREA_KINDS = (("ward", "ward_code"), ("lsoa", "lsoa_code"), ("oa", "oa_code"))
"""Geographies the stage aggregates to (output areas only when an OA layer is loaded)."""

Progress = Callable[[str], None]

CABINETS_COMMAND = "flask --app app geo import-cabinets PATH"
EXCHANGES_COMMAND = "flask --app app geo import-exchanges PATH"
AVAILABILITY_COMMAND = "flask --app app geo import-availability PATH --technology fttp"
SITES_COMMAND = "flask --app app geo import-sites PATH"
PLACES_COMMAND = "flask --app app geo import-places PATH"
DRIVE_COMMAND = "flask --app app geo import-osm PATH --mode drive"
PREMISES_COMMAND = "flask --app app geo import-premises PATH"


def _quiet(_message: str) -> None:
    return None


def _none_for_nan(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float | np.floating) and not np.isfinite(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _columns(frame: pd.DataFrame) -> list[list[Any]]:
    """Each column as a list of plain Python values (NaN and NA become None)."""
    values = []
    for column in frame.columns:
        series = frame[column]
        if series.isna().any():
            values.append(series.astype(object).where(series.notna(), None).tolist())
        else:
            values.append(series.tolist())
    return values


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain Python values (NaN and NA become None) for a bulk insert."""
    keys = [str(column) for column in frame.columns]
    return [dict(zip(keys, row, strict=True)) for row in zip(*_columns(frame), strict=True)]


def _insert(session: Session, model: type, rows: list[dict[str, Any]]) -> None:
    # A Core insert of plain dicts: the ORM's per-row bookkeeping doubles the time.
    table = model.__table__  # type: ignore[attr-defined]
    for start in range(0, len(rows), INSERT_CHUNK):
        session.execute(insert(table), rows[start : start + INSERT_CHUNK])


# --- fixed-network assets --------------------------------------------------------------------


@dataclass(frozen=True)
class AssetReport:
    """What an exchange or cabinet import stored and left out."""

    kind: str
    loaded: int
    rejected: tuple[str, ...] = ()


def _borough(session: Session) -> shapely.Geometry | None:
    wards = places.load_areas(session, kind="ward")
    return None if wards.empty else wards.geometry.union_all()


def store_assets(
    session: Session,
    assets: pd.DataFrame,
    *,
    kind: str,
    source: str,
    source_date: str | None,
    now: datetime,
    buffer_m: float = 5000.0,
) -> AssetReport:
    """Replace every stored exchange (or cabinet) with ``assets`` (``readers.read_assets`` layout).

    Rows more than ``buffer_m`` metres outside the loaded wards are left out and reported.
    """
    boundary = _borough(session)
    keep: np.ndarray = np.ones(len(assets), dtype=bool)
    rejected: list[str] = []
    if boundary is not None and len(assets):
        points = shapely.points(assets["x_m"].to_numpy(), assets["y_m"].to_numpy())
        keep = np.asarray(shapely.dwithin(points, boundary, buffer_m), dtype=bool)
        rejected = [
            f"{kind} {reference}: more than {buffer_m / 1000:g} km outside the loaded wards"
            for reference in assets.loc[~keep, "reference"]
        ]
    kept = assets.loc[keep]
    if kept.empty:
        raise DomainError(
            f"None of the {len(assets)} {kind}s in {source} is in or near the loaded wards: "
            "check the file covers this borough.",
            field="file",
        )
    session.execute(delete(FixedAsset).where(FixedAsset.kind == kind))
    lon, lat = lon_lat(kept["x_m"].to_numpy(), kept["y_m"].to_numpy())
    frame = kept.assign(
        kind=kind, lon=lon, lat=lat, source=source, source_date=source_date, loaded_at=now
    )
    _insert(session, FixedAsset, _records(frame))
    session.flush()
    return AssetReport(kind=kind, loaded=len(kept), rejected=tuple(rejected))


def load_assets(session: Session, kind: str) -> pd.DataFrame:
    """Stored exchanges or cabinets: ``reference``, ``name``, ``x_m``, ``y_m`` (EPSG:27700)."""
    query = (
        select(FixedAsset.reference, FixedAsset.name, FixedAsset.x_m, FixedAsset.y_m)
        .where(FixedAsset.kind == kind)
        .order_by(FixedAsset.reference)
    )
    return pd.DataFrame(session.execute(query).all(), columns=["reference", "name", "x_m", "y_m"])


def asset_sources(session: Session) -> list[tuple[str, str, str | None, int]]:
    """(kind, source, source date, count) of every stored group of assets."""
    rows = session.execute(
        select(FixedAsset.kind, FixedAsset.source, FixedAsset.source_date, func.count())
        .group_by(FixedAsset.kind, FixedAsset.source, FixedAsset.source_date)
        .order_by(FixedAsset.kind)
    ).all()
    return [(kind, source, day, int(count)) for kind, source, day, count in rows]


# --- availability layers ---------------------------------------------------------------------


@dataclass(frozen=True)
class AvailabilityReport:
    """What an availability import stored, and how many stored premises it reaches."""

    technology: str
    form: str
    features: int
    premises_served: int
    premises_total: int
    unmatched_references: tuple[str, ...] = ()


_FORMS = {
    0: "points",
    1: "streets",
    2: "streets",
    3: "areas",
    4: "points",
    5: "streets",
    6: "areas",
}


def _layer_form(layer: AvailabilityLayer) -> str:
    if layer.geometry is None:
        return "premises"
    forms = {_FORMS.get(int(kind), "mixed") for kind in shapely.get_type_id(layer.geometry)}
    return forms.pop() if len(forms) == 1 else "mixed"


def _premises_frame(session: Session) -> pd.DataFrame:
    """Stored premises (as ``places.load_premises``), with ``premises_id`` = the reference."""
    query = select(
        Premises.id,
        Premises.reference,
        Premises.x_m,
        Premises.y_m,
        Premises.is_estimate,
        Premises.residents,
        Premises.lsoa_code,
        Premises.ward_code,
    ).order_by(Premises.id)
    result = session.execute(query)
    # from_records on plain rows is several times faster than DataFrame(Row objects).
    premises = pd.DataFrame.from_records(result.all(), columns=list(result.keys()))
    return premises.assign(
        premises_id=premises["reference"].astype(str),
        is_estimate=premises["is_estimate"].astype(bool),
        residents=premises["residents"].astype(np.float64),
    )


def store_availability(
    session: Session,
    layer: AvailabilityLayer,
    *,
    source: str,
    source_date: str | None,
    operator: str | None,
    now: datetime,
) -> AvailabilityReport:
    """Store ``layer`` (replacing a stored layer of the same technology and name)."""
    premises = _premises_frame(session)
    xy = premises[["x_m", "y_m"]].to_numpy(dtype=np.float64).reshape(-1, 2)
    premises_pos, _ = layer.served_pairs(xy, pd.Index(premises["premises_id"]))
    served = len(np.unique(premises_pos))
    unmatched: tuple[str, ...] = ()
    if layer.premises_ids is not None:
        known = set(premises["premises_id"])
        unmatched = tuple(str(ref) for ref in layer.premises_ids if str(ref) not in known)
        if len(premises) and len(unmatched) == len(layer.premises_ids):
            raise DomainError(
                f"None of the {len(unmatched)} premises listed in {source} matches a stored "
                "premises reference (UPRN): check the id column, or load the address points "
                f"first with `{PREMISES_COMMAND}`.",
                field="file",
            )
    old = session.scalars(
        select(AvailabilityLayerRecord).where(
            AvailabilityLayerRecord.technology == layer.technology,
            AvailabilityLayerRecord.name == layer.name,
        )
    ).first()
    if old is not None:
        session.execute(delete(AvailabilityFeature).where(AvailabilityFeature.layer_id == old.id))
        session.delete(old)
        session.flush()
    form = _layer_form(layer)
    record = AvailabilityLayerRecord(
        technology=layer.technology,
        name=layer.name,
        operator=operator,
        form=form,
        buffer_m=float(layer.buffer_m),
        feature_count=layer.n_features,
        source=source,
        source_date=source_date,
        loaded_at=now,
    )
    session.add(record)
    session.flush()
    n = layer.n_features
    geometry = (
        geometry_geojson(gpd.GeoSeries(layer.geometry, crs=BNG))
        if layer.geometry is not None
        else [None] * n
    )
    references = (
        [str(ref) for ref in layer.premises_ids] if layer.premises_ids is not None else [None] * n
    )
    frame = pd.DataFrame(
        {
            "layer_id": record.id,
            "geometry": geometry,
            "premises_reference": references,
            "operator": layer.operator if layer.operator is not None else [None] * n,
            "download_mbps": layer.download_mbps if layer.download_mbps is not None else np.nan,
            "upload_mbps": layer.upload_mbps if layer.upload_mbps is not None else np.nan,
        }
    )
    _insert(session, AvailabilityFeature, _records(frame))
    session.flush()
    return AvailabilityReport(
        technology=layer.technology,
        form=form,
        features=n,
        premises_served=served,
        premises_total=len(premises),
        unmatched_references=unmatched,
    )


def list_availability_layers(session: Session) -> list[AvailabilityLayerRecord]:
    """Every stored availability layer, by technology and name."""
    return list(
        session.scalars(
            select(AvailabilityLayerRecord).order_by(
                AvailabilityLayerRecord.technology, AvailabilityLayerRecord.name
            )
        )
    )


def load_availability_layers(session: Session) -> list[AvailabilityLayer]:
    """The stored availability layers, rebuilt as :class:`geo.coverage.AvailabilityLayer`."""
    layers = []
    for record in list_availability_layers(session):
        rows = session.execute(
            select(
                AvailabilityFeature.geometry,
                AvailabilityFeature.premises_reference,
                AvailabilityFeature.operator,
                AvailabilityFeature.download_mbps,
                AvailabilityFeature.upload_mbps,
            )
            .where(AvailabilityFeature.layer_id == record.id)
            .order_by(AvailabilityFeature.id)
        ).all()
        frame = pd.DataFrame(
            rows, columns=["geometry", "premises", "operator", "download_mbps", "upload_mbps"]
        )
        down = pd.to_numeric(frame["download_mbps"], errors="coerce").to_numpy(dtype=np.float64)
        up = pd.to_numeric(frame["upload_mbps"], errors="coerce").to_numpy(dtype=np.float64)
        operator = frame["operator"].where(frame["operator"].notna(), record.operator)
        has_operator = operator.notna().any()
        if record.form == "premises":
            layers.append(
                AvailabilityLayer.from_premises(
                    frame["premises"].to_numpy(dtype=object),
                    technology=record.technology,
                    name=record.name,
                    operator=list(operator) if has_operator else None,
                    download_mbps=down,
                    upload_mbps=up,
                )
            )
            continue
        geoms = shapely.from_geojson(frame["geometry"].to_numpy(dtype=object))
        gdf = gpd.GeoDataFrame(
            {"download_mbps": down, "upload_mbps": up},
            geometry=gpd.GeoSeries(geoms, crs=WGS84),
        )
        if has_operator:
            gdf["operator"] = operator.to_numpy(dtype=object)
        layers.append(
            AvailabilityLayer.from_geodataframe(
                gdf,
                technology=record.technology,
                name=record.name,
                buffer_m=record.buffer_m,
            )
        )
    return layers


# --- mobile sites ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SiteReport:
    """How the stored mobile site records were turned into a site table for the model."""

    records: int
    used: int
    skipped: dict[str, int]
    defaults_used: dict[str, int]
    operators: tuple[str, ...]


def _in_uk_band(band_mhz: np.ndarray) -> np.ndarray:
    known = np.zeros(band_mhz.shape, dtype=bool)
    for low, high in UK_MOBILE_BANDS_MHZ.values():
        known |= (band_mhz >= low) & (band_mhz <= high)
    return known


def mobile_site_table(
    session: Session, settings: CoverageSettings
) -> tuple[pd.DataFrame, SiteReport]:
    """The stored mobile site records as a validated site table (``geo.coverage`` layout).

    Records of unknown operator, of non-public networks (GSM-R, Airwave), of technologies other
    than 2G/3G/4G/5G, or on bands outside the UK mobile bands are left out and counted; missing
    bands, heights, powers and technologies take the settings' stand-ins (counted too).
    """
    rows = session.execute(
        select(
            MobileSite.id,
            MobileSite.site_ref,
            MobileSite.operator,
            MobileSite.technology,
            MobileSite.x_m,
            MobileSite.y_m,
            MobileSite.antenna_height_m,
            MobileSite.band_mhz,
            MobileSite.power_dbm,
        ).order_by(MobileSite.id)
    ).all()
    columns = ["id", "site_ref", "operator", "technology", "x_m", "y_m", "height", "band", "power"]
    table = pd.DataFrame(rows, columns=columns)
    n = len(table)
    skipped: dict[str, int] = {}
    defaults: dict[str, int] = {}

    def skip(mask: np.ndarray, reason: str) -> np.ndarray:
        count = int(mask.sum())
        if count:
            skipped[reason] = skipped.get(reason, 0) + count
        return mask

    raw_operator = table["operator"].astype("string").str.strip().fillna("")
    lowered = raw_operator.str.lower()
    aliases = dict(settings.operator_aliases)
    operator = lowered.map(aliases).fillna(raw_operator).astype(object).to_numpy(dtype=object)
    unknown = lowered.isin(UNKNOWN_OPERATOR_WORDS).to_numpy()
    drop = np.zeros(n, dtype=bool)
    drop |= skip(lowered.isin(settings.non_public_operators).to_numpy(), "not a public network")
    if settings.unknown_operator_sites == "shared":
        operator = np.where(unknown, UNKNOWN_OPERATOR, operator)
    else:
        drop |= skip(unknown & ~drop, "operator unknown")

    tech = table["technology"].astype("string").str.strip().str.upper()
    no_tech = tech.isna() | (tech == "")
    legacy = tech.isin(["GSM", "UMTS", "2G", "3G"]).to_numpy()
    modern = tech.isin(["LTE", "4G", "NR", "5G"]).to_numpy()
    technology = tech.astype(object).to_numpy(dtype=object)
    technology = np.where(no_tech.to_numpy(), settings.site_technology, technology)
    if settings.legacy_sites_as_4g:
        technology = np.where(legacy, "LTE", technology)
    else:
        drop |= skip(legacy & ~drop, "2G/3G only")
    drop |= skip(~(legacy | modern | no_tech.to_numpy()) & ~drop, "not a mobile technology")
    if (no_tech.to_numpy() & ~drop).any():
        defaults["technology"] = int((no_tech.to_numpy() & ~drop).sum())

    band = pd.to_numeric(table["band"], errors="coerce").to_numpy(dtype=np.float64)
    missing_band = np.isnan(band)
    band = np.where(missing_band, settings.site_band_mhz, band)
    drop |= skip(~_in_uk_band(band) & ~drop, "band outside the UK mobile bands")
    for name, column in (
        ("band", missing_band),
        ("antenna height", table["height"].isna().to_numpy()),
        ("power", table["power"].isna().to_numpy()),
    ):
        count = int((column & ~drop).sum())
        if count:
            defaults[name] = count
    height = pd.to_numeric(table["height"], errors="coerce").fillna(settings.site_height_m)
    power = pd.to_numeric(table["power"], errors="coerce").fillna(settings.site_eirp_dbm)
    keep = ~drop
    layer = pd.DataFrame(
        {
            "site_id": table["id"].astype(str).to_numpy()[keep],
            "operator": operator[keep],
            "technology": technology[keep],
            "band_mhz": band[keep],
            "antenna_height_m": height.to_numpy(dtype=np.float64)[keep],
            "power_dbm": power.to_numpy(dtype=np.float64)[keep],
            "x_m": table["x_m"].to_numpy(dtype=np.float64)[keep],
            "y_m": table["y_m"].to_numpy(dtype=np.float64)[keep],
        }
    )
    if layer.empty:
        sites = layer
    else:
        try:
            sites = sites_from_layer(layer, source="stored mobile sites", legacy_as="drop")
        except InputError as error:
            site_ref = (
                table["site_ref"].to_numpy(dtype=object)[keep][error.row - 1]
                if error.row is not None
                else None
            )
            raise DomainError(
                f"The stored mobile site {site_ref or ''} cannot be modelled: {error.message} "
                f"Correct the file and load it again with `{SITES_COMMAND}`."
            ) from None
    report = SiteReport(
        records=n,
        used=len(sites),
        skipped=skipped,
        defaults_used=defaults,
        operators=tuple(sorted(set(sites["operator"]))) if len(sites) else (),
    )
    return sites, report


def wifi_hotspots(session: Session, settings: CoverageSettings) -> pd.DataFrame:
    """Public Wi-Fi places as hotspots (the settings' band and EIRP), EPSG:27700."""
    rows = session.execute(
        select(Place.public_id, Place.x_m, Place.y_m).where(Place.public_wifi.is_(True))
    ).all()
    frame = pd.DataFrame(rows, columns=["hotspot_id", "x_m", "y_m"])
    return frame.assign(band_ghz=settings.wifi_band_ghz, eirp_dbm=settings.wifi_eirp_dbm)


# --- the model run ---------------------------------------------------------------------------


@dataclass
class CoverageSummary:
    """What one run of the coverage stage found."""

    premises: int
    share_below_uso: float
    share_superfast: float
    share_full_fibre: float
    share_good_4g_indoor_any: float
    share_within_wifi_reach: float | None
    areas: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _input(
    name: str, count: int, sources: Iterable[tuple[str, str | None]], note: str = ""
) -> dict[str, Any]:
    return {
        "layer": name,
        "count": int(count),
        "sources": sorted({f"{src} ({day})" if day else src for src, day in sources}),
        "note": note,
    }


def _oa_codes(session: Session, premises: pd.DataFrame) -> tuple[np.ndarray | None, str | None]:
    layer = places.latest_layer(session, "oa")
    if layer is None:
        return None, None
    areas = places.load_areas(session, vintage=layer.vintage)
    codes = np.full(len(premises), None, dtype=object)
    if len(premises) and not areas.empty:
        points = shapely.points(premises["x_m"].to_numpy(), premises["y_m"].to_numpy())
        tree = shapely.STRtree(areas.geometry.to_numpy())
        point_index, area_index = tree.query(points, predicate="within")
        codes[point_index] = areas["code"].to_numpy()[area_index]
    return codes, layer.vintage


def _recount_all_operators(
    mobile: Any, named: tuple[str, ...], settings: CoverageSettings
) -> pd.DataFrame:
    """Summary flags with "all operators" judged over the named networks only."""
    summary = mobile.summary.copy()
    thresholds = settings.thresholds()
    if not named:
        summary["good_4g_outdoor_all"] = False
        summary["good_4g_indoor_all"] = False
        return summary
    outdoor = (mobile.rsrp_4g_outdoor_dbm[list(named)] >= thresholds.outdoor_4g_dbm).to_numpy()
    indoor = (mobile.rsrp_4g_indoor_dbm[list(named)] >= thresholds.indoor_4g_dbm).to_numpy()
    summary["good_4g_outdoor_all"] = outdoor.all(axis=1)
    summary["good_4g_indoor_all"] = indoor.all(axis=1)
    return summary


RSRP_PARTS = ("4g_outdoor", "4g_indoor", "5g_outdoor", "5g_indoor")
# Every RSRP from -250.0 to +50.0 dBm in tenths, as text: formatting by table look-up is
# far faster than converting each float (values outside the table are formatted one by one).
_RSRP_LOW_TENTHS, _RSRP_HIGH_TENTHS = -2500, 500
_RSRP_TEXT = np.array(
    [f"{tenths / 10:.1f}" for tenths in range(_RSRP_LOW_TENTHS, _RSRP_HIGH_TENTHS + 1)],
    dtype=object,
)


def rsrp_texts(mobile: Any) -> np.ndarray:
    """Per premises, best RSRP per operator as JSON text (see ``PremisesCoverage.rsrp_dbm``).

    Built column by column with numpy string operations: one ``json.dumps`` per premises
    would take longer than the whole radio model.
    """
    frames = {
        "4g_outdoor": mobile.rsrp_4g_outdoor_dbm,
        "4g_indoor": mobile.rsrp_4g_indoor_dbm,
        "5g_outdoor": mobile.rsrp_5g_outdoor_dbm,
        "5g_indoor": mobile.rsrp_5g_indoor_dbm,
    }
    operators = list(mobile.rsrp_4g_outdoor_dbm.columns)
    n = len(mobile.rsrp_4g_outdoor_dbm)
    text = np.full(n, json.dumps({"operators": operators})[:-1], dtype=object)
    for part in RSRP_PARTS:
        values = frames[part][operators].to_numpy(dtype=np.float64)
        tenths = np.round(values * 10.0)
        in_table = (
            np.isfinite(tenths) & (tenths >= _RSRP_LOW_TENTHS) & (tenths <= _RSRP_HIGH_TENTHS)
        )
        index = np.where(in_table, tenths - _RSRP_LOW_TENTHS, 0).astype(np.intp)
        cells = np.where(in_table, _RSRP_TEXT[index], "null").astype(object)
        odd = np.isfinite(values) & ~in_table
        cells[odd] = [f"{value:.1f}" for value in values[odd]]
        joined = cells[:, 0] if operators else np.full(n, "", dtype=object)
        for column in range(1, len(operators)):
            joined = joined + "," + cells[:, column]
        text = text + f', "{part}": [' + joined + "]"
    return np.asarray(text + "}", dtype=object)


def _bulk_insert(session: Session, model: type, frame: pd.DataFrame) -> None:
    """Insert a large frame through the driver's ``executemany`` (plain Python values only).

    SQLAlchemy's per-row parameter processing costs more than the database's work for tens of
    thousands of rows; the values here need no type conversion.
    """
    table = model.__table__  # type: ignore[attr-defined]
    connection = session.connection()
    dialect = connection.dialect
    columns = list(frame.columns)
    marker = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(dialect.paramstyle)
    if marker is None:
        _insert(session, model, _records(frame))
        return
    names = ", ".join(dialect.identifier_preparer.quote(column) for column in columns)
    # Table and column names come from the model (quoted); every value is a bound parameter.
    target = f"{dialect.identifier_preparer.format_table(table)} ({names})"
    sql = f"INSERT INTO {target} VALUES ({', '.join([marker] * len(columns))})"  # noqa: S608
    rows = list(zip(*_columns(frame), strict=True))
    for start in range(0, len(rows), INSERT_CHUNK):
        connection.exec_driver_sql(sql, rows[start : start + INSERT_CHUNK])


def _area_rows(
    table: pd.DataFrame,
    column: str,
    *,
    kind: str,
    vintage: str,
    wifi: bool,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Per-area coverage rows and ranked gap rows for the premises with a code in ``column``."""
    subset = table[table[column].notna()]
    if subset.empty:
        return [], []
    indicators = [
        "good_4g_indoor_any",
        "good_4g_indoor_all",
        "good_4g_outdoor_any",
        "good_5g_outdoor_any",
        "not_spot",
        "full_fibre",
        "gigabit_capable",
    ] + (["within_wifi_reach"] if wifi else [])
    summary = summarise_by_area(subset, column, indicators=indicators)
    groups = subset.groupby([column, "tier"], observed=False)
    premises_by_tier = (
        groups.size().unstack(fill_value=0).reindex(columns=list(TIERS), fill_value=0)
    )
    residents_by_tier = (
        groups["residents"].sum().unstack(fill_value=0).reindex(columns=list(TIERS), fill_value=0.0)
    )
    counts = (
        subset.assign(
            no_indoor_4g=~subset["good_4g_indoor_any"].astype(bool),
        )
        .groupby(column)[["full_fibre", "gigabit_capable", "no_indoor_4g"]]
        .sum()
    )
    summary = (
        summary.join(counts)
        .join(premises_by_tier.add_prefix("n_"))
        .join(residents_by_tier.add_prefix("r_"))
    )
    below = ["below_uso", "decent"]
    frame = pd.DataFrame(
        {
            "kind": kind,
            "vintage": vintage,
            "code": summary.index.astype(str),
            "premises": summary["premises"].astype(np.int64),
            "residents": summary["residents"].astype(np.float64),
            "premises_below_uso": summary["n_below_uso"].astype(np.int64),
            "residents_below_uso": summary["r_below_uso"].astype(np.float64),
            "premises_below_superfast": summary[[f"n_{t}" for t in below]].sum(axis=1),
            "residents_below_superfast": summary[[f"r_{t}" for t in below]].sum(axis=1),
            "premises_full_fibre": summary["full_fibre"].astype(np.int64),
            "premises_gigabit_capable": summary["gigabit_capable"].astype(np.int64),
            "premises_no_indoor_4g": summary["no_indoor_4g"].astype(np.int64),
            "share_superfast": 1.0 - summary["share_below_superfast"],
            "share_ultrafast": summary["share_ultrafast"] + summary["share_gigabit"],
            "share_gigabit": summary["share_gigabit_capable"],
            "share_full_fibre": summary["share_full_fibre"],
            "share_good_4g_indoor_any": summary["share_good_4g_indoor_any"],
            "share_good_4g_indoor_all": summary["share_good_4g_indoor_all"],
            "share_good_4g_outdoor_any": summary["share_good_4g_outdoor_any"],
            "share_good_5g_outdoor_any": summary["share_good_5g_outdoor_any"],
            "share_not_spot": summary["share_not_spot"],
            "share_within_wifi_reach": summary["share_within_wifi_reach"] if wifi else np.nan,
        }
    )
    rows = _records(frame)
    tier_counts = premises_by_tier.astype(np.int64).to_dict("index")
    tier_residents = residents_by_tier.round(2).to_dict("index")
    for row in rows:
        row["premises_by_tier"] = {t: int(v) for t, v in tier_counts[row["code"]].items()}
        row["residents_by_tier"] = {t: float(v) for t, v in tier_residents[row["code"]].items()}
    gaps = rank_coverage_gaps(subset, column).reset_index()
    gap_frame = pd.DataFrame(
        {
            "kind": kind,
            "vintage": vintage,
            "code": gaps[column].astype(str),
            "rank": gaps["rank"].astype(np.int64),
            "premises": gaps["premises"].astype(np.int64),
            "residents": gaps["residents"].astype(np.float64),
            "premises_affected": gaps["premises_affected"].astype(np.int64),
            "residents_affected": gaps["residents_affected"].astype(np.float64),
            "share_residents_affected": gaps["share_residents_affected"],
            "premises_below_uso": gaps["premises_below_uso"].astype(np.int64),
            "residents_below_uso": gaps["residents_below_uso"].astype(np.float64),
            "premises_no_indoor_4g": gaps["premises_no_indoor_4g"].astype(np.int64),
            "residents_no_indoor_4g": gaps["residents_no_indoor_4g"].astype(np.float64),
        }
    )
    return rows, _records(gap_frame)


def run_coverage_model(
    session: Session,
    *,
    now: datetime,
    settings: CoverageSettings | None = None,
    progress: Progress = _quiet,
) -> CoverageSummary:
    """Model fixed broadband, 4G/5G and public Wi-Fi for every stored premises; store the results.

    Needs premises, street cabinets and mobile sites (a ``DomainError`` names the missing layer
    and the command that loads it).  Exchanges, the driving network, availability layers and
    public Wi-Fi places are used when stored; when one is missing the run says so in its notes.
    """
    started = time.perf_counter()
    cfg = settings or CoverageSettings()
    premises = _premises_frame(session)
    if premises.empty:
        raise DomainError(
            "There are no premises, so coverage cannot be modelled: load address points with "
            f"`{PREMISES_COMMAND}` (or estimate them with "
            "`flask --app app geo import-premises --estimate`)."
        )
    cabinets = load_assets(session, "cabinet")
    if cabinets.empty:
        raise DomainError(
            "There are no street cabinets, so fixed broadband by FTTC cannot be modelled: load "
            f"street cabinets with `{CABINETS_COMMAND}`."
        )
    if session.scalar(select(func.count()).select_from(MobileSite)) == 0:
        raise DomainError(
            "There are no mobile sites, so 4G and 5G coverage cannot be modelled: load mobile "
            f"sites with `{SITES_COMMAND}` (a Sitefinder-style CSV or OpenStreetMap masts)."
        )
    sites, site_report = mobile_site_table(session, cfg)
    if sites.empty:
        reasons = ", ".join(f"{count} {why}" for why, count in site_report.skipped.items())
        raise DomainError(
            f"None of the {site_report.records} stored mobile site records can be modelled "
            f"({reasons}), so 4G and 5G coverage cannot be modelled: load sites with a known "
            f"operator with `{SITES_COMMAND}`, or set COVERAGE_UNKNOWN_OPERATOR_SITES = "
            "'shared' to model masts of unknown operator."
        )
    exchanges = load_assets(session, "exchange")
    notes: list[str] = []
    if exchanges.empty:
        notes.append(
            "No telephone exchanges: ADSL2+ is not modelled (premises far from a cabinet get "
            f"no copper service). Load exchanges with `{EXCHANGES_COMMAND}`."
        )
    network_record = places.find_network(session, "drive")
    network = network_from_bytes(network_record.data) if network_record is not None else None
    if network is None:
        notes.append(
            "No driving network: copper line lengths are straight lines × "
            f"{cfg.routing_factor:g}. Load one with `{DRIVE_COMMAND}`."
        )
    layers = load_availability_layers(session)
    if not layers:
        notes.append(
            "No full fibre, cable or fixed wireless availability layer: those networks are "
            f"taken as absent. Load one with `{AVAILABILITY_COMMAND}`."
        )
    hotspots = wifi_hotspots(session, cfg)
    if hotspots.empty:
        notes.append(
            "No public Wi-Fi places: Wi-Fi reach is not modelled. Load places with "
            f"`{PLACES_COMMAND}`."
        )
    if site_report.skipped:
        notes.append(
            "Mobile site records left out: "
            + ", ".join(f"{count} {why}" for why, count in sorted(site_report.skipped.items()))
            + "."
        )
    progress(
        f"{len(premises):,} premises; {len(cabinets)} cabinets, {len(exchanges)} exchanges; "
        f"{len(layers)} availability layers; {site_report.used} of {site_report.records} mobile "
        f"site records; {len(hotspots)} public Wi-Fi places"
    )

    cabinet_table = cabinets.rename(columns={"reference": "cabinet_id"})
    exchange_table = (
        exchanges.rename(columns={"reference": "exchange_id"}) if not exchanges.empty else None
    )
    try:
        fixed = fixed_broadband(
            premises,
            cabinets=cabinet_table,
            exchanges=exchange_table,
            layers=layers,
            network=network,
            config=cfg.fixed_config(),
        )
        progress("fixed broadband modelled")
        named = tuple(op for op in site_report.operators if op != UNKNOWN_OPERATOR)
        mobile = mobile_coverage(
            premises, sites, config=cfg.mobile_config(operators=site_report.operators)
        )
        mobile_summary = (
            _recount_all_operators(mobile, named, cfg)
            if UNKNOWN_OPERATOR in site_report.operators
            else mobile.summary
        )
        progress(f"4G/5G modelled for {', '.join(site_report.operators)}")
        wifi = None
        if not hotspots.empty:
            wifi, _per_hotspot = wifi_coverage(premises, hotspots, config=cfg.wifi_config())
            progress("public Wi-Fi reach modelled")
    except InputError as error:
        raise DomainError(f"The coverage model cannot run: {error}") from None
    table = coverage_table(premises, fixed=fixed, mobile=mobile_summary, wifi=wifi)

    premises_frame = pd.DataFrame(
        {
            "premises_id": premises["id"].astype(np.int64),
            "best_technology": table["best_technology"].astype(str),
            "download_mbps": table["download_mbps"].round(2),
            "upload_mbps": table["upload_mbps"].round(2),
            "upload_modelled": table["upload_modelled"].astype(bool),
            "tier": table["tier"].astype(str),
            "full_fibre": table["full_fibre"].astype(bool),
            "gigabit_capable": table["gigabit_capable"].astype(bool),
            "gigabit_networks": table["gigabit_networks"].astype(np.int64),
            "bduk_category": table["bduk_category"].astype(str),
            "cabinet_reference": table["cabinet_id"],
            "copper_length_m": table["vdsl_line_length_m"].round(1),
            "copper_on_network": table["vdsl_line_on_network"].astype(bool),
            "environment": table["environment"].astype(str),
            "good_4g_outdoor_any": table["good_4g_outdoor_any"].astype(bool),
            "good_4g_indoor_any": table["good_4g_indoor_any"].astype(bool),
            "good_4g_indoor_all": table["good_4g_indoor_all"].astype(bool),
            "operators_good_4g_indoor": table["operators_good_4g_indoor"].astype(np.int64),
            "good_5g_outdoor_any": table["good_5g_outdoor_any"].astype(bool),
            "good_5g_indoor_any": table["good_5g_indoor_any"].astype(bool),
            "not_spot": table["not_spot"].astype(bool),
            "within_wifi_reach": table["within_wifi_reach"] if wifi is not None else None,
            "nearest_wifi_m": (
                table["nearest_hotspot_distance_m"].round(1) if wifi is not None else np.nan
            ),
        }
    )
    premises_frame["rsrp_dbm"] = rsrp_texts(mobile)
    session.execute(delete(PremisesCoverage))
    _bulk_insert(session, PremisesCoverage, premises_frame)
    progress(f"{len(premises_frame):,} premises results stored")

    oa_codes, oa_vintage = _oa_codes(session, premises)
    if oa_codes is not None:
        table = table.assign(oa_code=oa_codes)
    session.execute(delete(AreaCoverage))
    session.execute(delete(CoverageGap))
    area_counts: dict[str, int] = {}
    for kind, column in AREA_KINDS:
        layer = places.latest_layer(session, kind)
        if layer is None or column not in table.columns:
            continue
        vintage = oa_vintage if kind == "oa" else layer.vintage
        rows, gap_rows = _area_rows(
            table, column, kind=kind, vintage=str(vintage), wifi=wifi is not None
        )
        _insert(session, AreaCoverage, rows)
        _insert(session, CoverageGap, gap_rows)
        area_counts[kind] = len(rows)
        outside = int(table[column].isna().sum())
        if outside:
            what = {"ward": "ward", "lsoa": "LSOA", "oa": "output area"}[kind]
            notes.append(
                f"Premises outside every loaded {what}: {outside:,} (left out of the {what} "
                "figures)."
            )
    progress("per-area figures and gaps stored")

    residents = table["residents"].to_numpy(dtype=np.float64)
    total = residents.sum()

    def share(mask: pd.Series) -> float:
        values = mask.to_numpy(dtype=bool)
        return float((residents * values).sum() / total) if total else float(values.mean())

    below_superfast = table["tier"].astype(str).isin(["below_uso", "decent"])
    summary = CoverageSummary(
        premises=len(table),
        share_below_uso=share(table["tier"].astype(str) == "below_uso"),
        share_superfast=share(~below_superfast),
        share_full_fibre=share(table["full_fibre"]),
        share_good_4g_indoor_any=share(table["good_4g_indoor_any"]),
        share_within_wifi_reach=share(table["within_wifi_reach"]) if wifi is not None else None,
        areas=area_counts,
        notes=notes,
        seconds=time.perf_counter() - started,
    )
    inputs = [
        _input(
            "Premises",
            len(premises),
            [(src, None) for src in session.scalars(select(Premises.source).distinct())],
            note=(
                "estimated from Census population along residential streets"
                if premises["is_estimate"].all()
                else ""
            ),
        ),
        _input(
            "Street cabinets",
            len(cabinets),
            [(s, d) for k, s, d, _ in asset_sources(session) if k == "cabinet"],
        ),
        _input(
            "Telephone exchanges",
            len(exchanges),
            [(s, d) for k, s, d, _ in asset_sources(session) if k == "exchange"],
            note="" if len(exchanges) else "none loaded: ADSL2+ not modelled",
        ),
        _input(
            "Driving network",
            network.n_nodes if network is not None else 0,
            [(network_record.source, network_record.source_date)] if network_record else [],
            note="junctions" if network is not None else "none loaded: straight-line copper",
        ),
        *[
            _input(
                f"{record.technology.upper()} availability: {record.name}",
                record.feature_count,
                [(record.source, record.source_date)],
                note=f"{record.form}" + (f", {record.operator}" if record.operator else ""),
            )
            for record in list_availability_layers(session)
        ],
        _input(
            "Mobile site records",
            site_report.used,
            session.execute(select(MobileSite.source, MobileSite.source_date).distinct()).all(),
            note=(
                f"{site_report.used} of {site_report.records} used; operators "
                + ", ".join(site_report.operators)
                + (
                    "; stand-ins used for missing "
                    + ", ".join(
                        f"{name} ({count})" for name, count in site_report.defaults_used.items()
                    )
                    if site_report.defaults_used
                    else ""
                )
            ),
        ),
        _input(
            "Public Wi-Fi places",
            len(hotspots),
            session.execute(
                select(Place.source, Place.source_date)
                .where(Place.public_wifi.is_(True))
                .distinct()
            ).all(),
            note="" if len(hotspots) else "none loaded: Wi-Fi reach not modelled",
        ),
    ]
    session.add(
        ModelRun(
            kind="coverage",
            started_at=now,
            finished_at=now,
            parameters={**cfg.as_parameters(), "inputs": inputs},
            summary={
                "premises": summary.premises,
                "share_below_uso": round(summary.share_below_uso, 4),
                "share_superfast": round(summary.share_superfast, 4),
                "share_full_fibre": round(summary.share_full_fibre, 4),
                "share_good_4g_indoor_any": round(summary.share_good_4g_indoor_any, 4),
                "share_within_wifi_reach": (
                    None
                    if summary.share_within_wifi_reach is None
                    else round(summary.share_within_wifi_reach, 4)
                ),
                "areas": area_counts,
                "notes": notes,
                "operators": list(site_report.operators),
                "sites_skipped": site_report.skipped,
                "seconds": round(summary.seconds, 2),
            },
        )
    )
    session.flush()
    summary.seconds = time.perf_counter() - started
    return summary


def latest_run(session: Session) -> ModelRun | None:
    """The latest run of the coverage stage."""
    return session.scalars(
        select(ModelRun).where(ModelRun.kind == "coverage").order_by(ModelRun.id.desc())
    ).first()


# --- Ofcom Connected Nations -----------------------------------------------------------------


@dataclass(frozen=True)
class OfcomReport:
    """What an Ofcom import stored and left out."""

    kind: str
    area_type: str
    rows_in_file: int
    rows_stored: int
    left_out: tuple[str, ...] = ()


_FIXED_FIELDS = (
    "all_premises",
    "sfbb_availability_pct",
    "full_fibre_availability_pct",
    "gigabit_availability_pct",
    "unable_10_mbps_pct",
    "unable_30_mbps_pct",
    "below_uso_pct",
)


def _replace_import(session: Session, kind: str, source: str) -> None:
    old = session.scalars(
        select(OfcomImport).where(OfcomImport.kind == kind, OfcomImport.source == source)
    ).first()
    if old is not None:
        model = OfcomFixedCoverage if kind == "fixed" else OfcomMobileRating
        session.execute(delete(model).where(model.import_id == old.id))
        session.delete(old)
        session.flush()


def store_ofcom_fixed(
    session: Session,
    table: pd.DataFrame,
    *,
    source: str,
    source_date: str | None,
    now: datetime,
    postcode_lsoa: pd.Series | None = None,
    lookup_source: str | None = None,
) -> OfcomReport:
    """Store Ofcom fixed coverage rows (``geo.sources.ofcom.read_fixed_coverage``) for the borough.

    Output-area rows are kept where the output area is loaded; postcode rows where the postcode
    lookup places them in a loaded LSOA.  Other rows are left out and counted.
    """
    area_type = str(table.attrs.get("area_type", ""))
    codes = pd.Series(table.index.astype(str), index=table.index)
    if area_type == "output_area":
        oa_layer = places.latest_layer(session, "oa")
        if oa_layer is None:
            raise DomainError(
                f"{source} gives figures per output area, but no output areas are loaded: load "
                "the OA boundaries with `flask --app app geo import-areas PATH` first.",
                field="file",
            )
        known = set(places.load_areas(session, vintage=oa_layer.vintage)["code"])
        small = codes.where(codes.isin(known))
        area_kind = "oa"
    elif area_type == "postcode":
        if postcode_lsoa is None:
            raise DomainError(
                f"{source} gives figures per postcode: give --postcode-lookup with an ONS "
                "Postcode Directory extract (postcode and LSOA columns) so each postcode can be "
                "placed in an LSOA.",
                field="file",
            )
        lsoa_layer = places.latest_layer(session, "lsoa")
        known = (
            set(places.load_areas(session, vintage=lsoa_layer.vintage)["code"])
            if lsoa_layer is not None
            else set()
        )
        mapped = codes.map(postcode_lsoa)
        small = mapped.where(mapped.isin(known))
        area_kind = "lsoa"
    else:
        raise DomainError(
            f"{source} gives figures per {area_type.replace('_', ' ') or 'area'}: the comparison "
            "needs Ofcom's postcode or output-area files (for example "
            "'*_fixed_postcode_coverage_r01.csv').",
            field="file",
        )
    keep = small.notna().to_numpy()
    if not keep.any():
        raise DomainError(
            f"None of the {len(table):,} {area_type.replace('_', ' ')}s in {source} is in the "
            "loaded borough: check the file (and the postcode lookup) cover this borough.",
            field="file",
        )
    _replace_import(session, "fixed", source)
    record = OfcomImport(
        kind="fixed",
        area_type=area_type,
        source=source,
        source_date=source_date,
        loaded_at=now,
        rows_in_file=len(table),
        rows_stored=int(keep.sum()),
        lookup_source=lookup_source,
    )
    session.add(record)
    session.flush()
    kept = table.loc[keep]
    measures = _records(kept.reset_index(drop=True))
    frame = pd.DataFrame(
        {
            "import_id": record.id,
            "area_type": area_type,
            "area_code": codes.to_numpy()[keep],
            "area_kind": area_kind,
            "small_area_code": small.to_numpy()[keep],
            **{
                name: kept[name].to_numpy() if name in kept.columns else np.nan
                for name in _FIXED_FIELDS
            },
        }
    )
    rows = _records(frame)
    for row, values in zip(rows, measures, strict=True):
        row["measures"] = values
    _insert(session, OfcomFixedCoverage, rows)
    session.flush()
    left_out = tuple(codes.to_numpy()[~keep][:20])
    return OfcomReport(
        kind="fixed",
        area_type=area_type,
        rows_in_file=len(table),
        rows_stored=int(keep.sum()),
        left_out=left_out,
    )


def store_ofcom_mobile(
    session: Session,
    ratings: pd.DataFrame,
    *,
    source: str,
    source_date: str | None,
    now: datetime,
) -> OfcomReport:
    """Store Ofcom per-address mobile ratings for the UPRNs that match stored premises."""
    references = set(session.scalars(select(Premises.reference)))
    uprns = pd.Series(ratings.index.astype(str), index=ratings.index)
    keep = uprns.isin(references).to_numpy()
    if not keep.any():
        raise DomainError(
            f"None of the {len(ratings):,} addresses (UPRNs) in {source} matches a stored "
            "premises: load the borough's address points (OS Open UPRN) with "
            f"`{PREMISES_COMMAND}` first.",
            field="file",
        )
    _replace_import(session, "mobile", source)
    record = OfcomImport(
        kind="mobile",
        area_type="uprn",
        source=source,
        source_date=source_date,
        loaded_at=now,
        rows_in_file=len(ratings),
        rows_stored=int(keep.sum()),
    )
    session.add(record)
    session.flush()
    kept = ratings.loc[keep]
    values = kept.astype(object).where(kept.notna(), None).to_dict("records")
    rows = [
        {
            "import_id": record.id,
            "uprn": uprn,
            "ratings": {k: int(v) for k, v in value.items() if v is not None},
        }
        for uprn, value in zip(uprns.to_numpy()[keep], values, strict=True)
    ]
    _insert(session, OfcomMobileRating, rows)
    session.flush()
    return OfcomReport(
        kind="mobile",
        area_type="uprn",
        rows_in_file=len(ratings),
        rows_stored=int(keep.sum()),
        left_out=tuple(uprns.to_numpy()[~keep][:20]),
    )


def list_ofcom_imports(session: Session) -> list[OfcomImport]:
    """Every stored Ofcom import, fixed first."""
    return list(session.scalars(select(OfcomImport).order_by(OfcomImport.kind, OfcomImport.source)))


# --- validation against DERI -----------------------------------------------------------------


@dataclass(frozen=True)
class Lsoa11Shares:
    """Modelled share of premises unable to get 30 Mbit/s per LSOA 2011, and how it was mapped."""

    shares: pd.Series
    premises: pd.Series
    method: str
    premises_left_out: int
    codes_left_out: tuple[str, ...]


def premises_results(session: Session) -> pd.DataFrame:
    """Stored premises joined to their latest coverage results (one row per premises)."""
    query = (
        select(
            Premises.id,
            Premises.reference,
            Premises.x_m,
            Premises.y_m,
            Premises.lon,
            Premises.lat,
            Premises.is_estimate,
            Premises.residents,
            Premises.lsoa_code,
            Premises.ward_code,
            PremisesCoverage.best_technology,
            PremisesCoverage.download_mbps,
            PremisesCoverage.upload_mbps,
            PremisesCoverage.upload_modelled,
            PremisesCoverage.tier,
            PremisesCoverage.full_fibre,
            PremisesCoverage.gigabit_capable,
            PremisesCoverage.gigabit_networks,
            PremisesCoverage.bduk_category,
            PremisesCoverage.cabinet_reference,
            PremisesCoverage.copper_length_m,
            PremisesCoverage.environment,
            PremisesCoverage.good_4g_outdoor_any,
            PremisesCoverage.good_4g_indoor_any,
            PremisesCoverage.good_4g_indoor_all,
            PremisesCoverage.operators_good_4g_indoor,
            PremisesCoverage.good_5g_outdoor_any,
            PremisesCoverage.good_5g_indoor_any,
            PremisesCoverage.not_spot,
            PremisesCoverage.within_wifi_reach,
            PremisesCoverage.nearest_wifi_m,
            PremisesCoverage.rsrp_dbm,
        )
        .join(PremisesCoverage, PremisesCoverage.premises_id == Premises.id)
        .order_by(Premises.id)
    )
    result = session.execute(query)
    return pd.DataFrame.from_records(result.all(), columns=list(result.keys()))


def share_below_30_by_lsoa11(
    session: Session, *, lookup: pd.DataFrame | None = None, lookup_source: str | None = None
) -> Lsoa11Shares:
    """Modelled share of premises unable to get 30 Mbit/s, per LSOA 2011 code.

    The premises' stored LSOA codes are of the vintage of the latest LSOA layer.  LSOA 2011 codes
    are used as they are; 2021 codes are translated to 2011 by, in order of preference:

    1. ``lookup`` (a table with ``LSOA21CD`` and ``LSOA11CD``: the ONS LSOA 2011 → 2021 lookup,
       or a 2021 boundary file carrying the parent ``LSOA11CD``), through
       :func:`geo.areas.apply_lookup` (several 2021 LSOAs may share one 2011 parent);
    2. a stored LSOA 2011 boundary layer (each premises placed by point in polygon);
    3. the code itself, kept only where the 2011 code is unchanged in 2021 (the code appears
       in the DERI file): premises in split or merged LSOAs are left out and counted.
    """
    from geo.areas import apply_lookup

    results = premises_results(session)
    if results.empty:
        raise DomainError(
            "There are no coverage results to validate: run `flask --app app geo model` first."
        )
    layer = places.latest_layer(session, "lsoa")
    vintage = layer.vintage if layer is not None else ""
    frame = results[["lsoa_code", "tier", "x_m", "y_m"]].copy()
    method: str
    if vintage == "LSOA11":
        frame["lsoa11"] = frame["lsoa_code"]
        method = "the stored LSOAs are LSOA 2011: codes used as they are"
    elif lookup is not None:
        pairs = lookup.rename(columns=lambda c: str(c).strip().upper())
        translated = apply_lookup(
            frame, pairs, from_column="LSOA21CD", to_column="LSOA11CD", frame_column="lsoa_code"
        )
        frame["lsoa11"] = translated.frame["LSOA11CD"].to_numpy()
        method = f"LSOA 2021 → 2011 through the lookup {lookup_source or ''}".strip()
    elif _has_vintage(session, "LSOA11"):
        areas = places.load_areas(session, vintage="LSOA11")
        points = shapely.points(frame["x_m"].to_numpy(), frame["y_m"].to_numpy())
        tree = shapely.STRtree(areas.geometry.to_numpy())
        point_index, area_index = tree.query(points, predicate="within")
        codes = np.full(len(frame), None, dtype=object)
        codes[point_index] = areas["code"].to_numpy()[area_index]
        frame["lsoa11"] = codes
        method = "premises placed in the stored LSOA 2011 boundaries (point in polygon)"
    else:
        frame["lsoa11"] = frame["lsoa_code"]
        method = (
            "LSOA 2021 codes used as 2011 codes (no lookup given): only codes unchanged since "
            "2011 match"
        )
    placed = frame["lsoa11"].notna()
    below = frame["tier"].isin(["below_uso", "decent"])
    grouped = (
        pd.DataFrame({"code": frame["lsoa11"], "below": below.astype(float)})[placed]
        .groupby("code")["below"]
        .agg(["mean", "size"])
    )
    shares = grouped["mean"].rename("modelled_share_below_30")
    shares.index.name = "lsoa11_code"
    unplaced_codes = tuple(sorted(set(frame.loc[~placed, "lsoa_code"].dropna().astype(str))))
    return Lsoa11Shares(
        shares=shares,
        premises=grouped["size"].rename("premises"),
        method=method,
        premises_left_out=int((~placed).sum()),
        codes_left_out=unplaced_codes,
    )


def _has_vintage(session: Session, vintage: str) -> bool:
    from app.places.models import AreaLayerRecord

    return (
        session.scalar(
            select(func.count())
            .select_from(AreaLayerRecord)
            .where(AreaLayerRecord.vintage == vintage)
        )
        or 0
    ) > 0


def broadband_by_lsoa21(session: Session) -> pd.DataFrame | None:
    """Broadband indicators per stored 2021 LSOA for the exclusion-risk index, or ``None``.

    Shares are population-weighted shares of residents: below 30 Mbit/s (superfast) and below
    the USO (10 down or 1 up), from the latest coverage run.
    """
    rows = session.execute(
        select(
            AreaCoverage.code,
            AreaCoverage.residents,
            AreaCoverage.residents_below_superfast,
            AreaCoverage.residents_below_uso,
        ).where(AreaCoverage.kind == "lsoa")
    ).all()
    if not rows:
        return None
    frame = pd.DataFrame(rows, columns=["code", "residents", "below_30", "below_uso"]).set_index(
        "code"
    )
    residents = frame["residents"].where(frame["residents"] > 0)
    return pd.DataFrame(
        {
            "share_below_30mbps": frame["below_30"] / residents,
            "share_below_uso": frame["below_uso"] / residents,
        }
    ).dropna(how="all")
