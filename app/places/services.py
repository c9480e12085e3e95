"""Store geo layers, load them back, and run the access model from what is stored.

Every import replaces the layer it loads in the caller's transaction: either the whole new layer
is stored or, on any error, nothing changes.  Services flush; the CLI command or route commits.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from app.places.models import (
    Area,
    AreaAccess,
    AreaLayerRecord,
    MobileSite,
    ModelRun,
    Place,
    PlaceCatchment,
    Premises,
    PremisesAccess,
    StreetNetworkRecord,
)
from app.places.storage import (
    BNG,
    geometry_geojson,
    lon_lat,
    network_from_bytes,
    network_to_bytes,
)
from core.errors import DomainError
from geo.access import catchment_polygons, premises_access, snap_points
from geo.areas import AreaLayer, assign_areas_to_wards
from geo.network import StreetNetwork

SMALL_AREA_KINDS = ("lsoa", "msoa", "oa")
ACCESS_THRESHOLDS_MIN = (5, 10, 15)
INSERT_CHUNK = 5000

Progress = Callable[[str], None]


def _quiet(_message: str) -> None:
    return None


# --- areas -----------------------------------------------------------------------------------


def latest_layer(session: Session, kind: str) -> AreaLayerRecord | None:
    """The most recently loaded layer of ``kind`` (for example the current wards)."""
    return session.scalars(
        select(AreaLayerRecord)
        .where(AreaLayerRecord.kind == kind)
        .order_by(AreaLayerRecord.loaded_at.desc())
    ).first()


def list_layers(session: Session) -> list[AreaLayerRecord]:
    """Every stored boundary layer, wards first."""
    order = {"lad": 0, "ward": 1, "msoa": 2, "lsoa": 3, "oa": 4}
    layers = list(session.scalars(select(AreaLayerRecord)))
    return sorted(layers, key=lambda layer: (order.get(layer.kind, 9), layer.vintage))


def load_areas(
    session: Session, *, kind: str | None = None, vintage: str | None = None
) -> gpd.GeoDataFrame:
    """Stored areas as a GeoDataFrame in EPSG:27700 (``code``, ``name``, ``ward_code``, ...)."""
    query = select(
        Area.id,
        Area.kind,
        Area.vintage,
        Area.code,
        Area.name,
        Area.ward_code,
        Area.area_km2,
        Area.population,
        Area.population_by_age,
        Area.geometry,
    )
    if vintage is not None:
        query = query.where(Area.vintage == vintage)
    elif kind is not None:
        layer = latest_layer(session, kind)
        if layer is None:
            return gpd.GeoDataFrame({"code": []}, geometry=gpd.GeoSeries([], crs=BNG), crs=BNG)
        query = query.where(Area.layer_id == layer.id)
    rows = session.execute(query.order_by(Area.code)).all()
    frame = pd.DataFrame(rows, columns=[column.name for column in query.selected_columns])
    geometry: Any = shapely.from_geojson(frame.pop("geometry").to_numpy()) if len(frame) else []
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, crs="EPSG:4326")).to_crs(BNG)


def store_area_layer(session: Session, layer: AreaLayer, *, now: datetime) -> AreaLayerRecord:
    """Store ``layer``, replacing any stored layer of the same vintage, and link small areas to wards."""
    frame = layer.frame
    old = session.scalars(
        select(AreaLayerRecord).where(AreaLayerRecord.vintage == layer.vintage)
    ).first()
    if old is not None:
        session.execute(delete(Area).where(Area.layer_id == old.id))
        session.delete(old)
        session.flush()
    areas_km2 = frame.geometry.area.to_numpy() / 1e6
    record = AreaLayerRecord(
        kind=layer.kind,
        vintage=layer.vintage,
        code_column=layer.code_column,
        source=layer.source,
        source_modified=layer.file_modified,
        loaded_at=now,
        feature_count=len(frame),
        total_area_km2=float(areas_km2.sum()),
    )
    session.add(record)
    session.flush()
    centroids = gpd.GeoSeries(frame.geometry.representative_point(), crs=frame.crs).to_crs(
        "EPSG:4326"
    )
    names = (
        frame[layer.name_column].astype(str).to_numpy()
        if layer.name_column
        else [None] * len(frame)
    )
    rows = [
        {
            "layer_id": record.id,
            "kind": layer.kind,
            "vintage": layer.vintage,
            "code": str(code),
            "name": name,
            "area_km2": float(km2),
            "centroid_lon": float(point.x),
            "centroid_lat": float(point.y),
            "geometry": text,
        }
        for code, name, km2, point, text in zip(
            frame[layer.code_column].to_numpy(),
            names,
            areas_km2,
            centroids,
            geometry_geojson(frame.geometry),
            strict=True,
        )
    ]
    for start in range(0, len(rows), INSERT_CHUNK):
        session.execute(insert(Area), rows[start : start + INSERT_CHUNK])
    session.flush()
    link_small_areas_to_wards(session)
    return record


def link_small_areas_to_wards(session: Session) -> int:
    """Set the ward of every stored small area from the current ward layer (point in polygon)."""
    wards_layer = latest_layer(session, "ward")
    if wards_layer is None:
        return 0
    wards = load_areas(session, vintage=wards_layer.vintage)
    small = load_areas(session).query("kind in @SMALL_AREA_KINDS")
    if small.empty:
        return 0
    small = gpd.GeoDataFrame(small, geometry="geometry", crs=BNG)
    ward_codes = assign_areas_to_wards(small, wards, code_column="code", ward_code_column="code")
    updates = [
        {
            "id": int(area_id),
            "ward_code": code,
            "ward_vintage": wards_layer.vintage if code else None,
        }
        for area_id, code in zip(small["id"].to_numpy(), ward_codes.to_numpy(), strict=True)
    ]
    session.execute(update(Area), updates)  # ORM bulk update by primary key
    return sum(1 for row in updates if row["ward_code"])


@dataclass(frozen=True)
class PopulationReport:
    """What a population import matched."""

    matched: int
    unmatched_codes: tuple[str, ...]
    total: int


def store_population(
    session: Session,
    table: pd.DataFrame,
    *,
    code_column: str,
    total_column: str,
    band_columns: list[str],
    source: str,
) -> PopulationReport:
    """Attach Census population (total and age bands) to stored areas with the same codes."""
    missing = [
        name for name in (code_column, total_column, *band_columns) if name not in table.columns
    ]
    if missing:
        raise DomainError(f"{source}: missing column {', '.join(missing)}", field="file")
    codes = table[code_column].astype(str)
    known = dict(
        session.execute(select(Area.code, Area.id).where(Area.code.in_(codes.tolist()))).all()
    )
    rows = []
    for code, total, bands in zip(
        codes, table[total_column].to_numpy(), table[band_columns].to_dict("records"), strict=True
    ):
        if code in known:
            rows.append(
                {
                    "id": known[code],
                    "population": int(total),
                    "population_by_age": {str(key): int(value) for key, value in bands.items()},
                    "population_source": source,
                }
            )
    if rows:
        session.execute(update(Area), rows)  # ORM bulk update by primary key
    unmatched = tuple(sorted(set(codes) - set(known)))
    return PopulationReport(
        matched=len(rows), unmatched_codes=unmatched, total=int(table[total_column].sum())
    )


# --- networks --------------------------------------------------------------------------------


def store_network(
    session: Session, net: StreetNetwork, *, source: str, source_date: str | None, now: datetime
) -> StreetNetworkRecord:
    """Store a walking or driving network, replacing the stored one of the same mode."""
    session.execute(delete(StreetNetworkRecord).where(StreetNetworkRecord.mode == net.mode))
    record = StreetNetworkRecord(
        mode=net.mode,
        source=source,
        source_date=source_date,
        loaded_at=now,
        node_count=int(net.n_nodes),
        edge_count=int(net.n_edges),
        length_km=float(net.edges["length_m"].sum() / 1000.0),
        data=network_to_bytes(net),
    )
    session.add(record)
    session.flush()
    return record


def find_network(session: Session, mode: str) -> StreetNetworkRecord | None:
    """The stored network of ``mode`` ("walk" or "drive"), or ``None``."""
    return session.scalars(
        select(StreetNetworkRecord).where(StreetNetworkRecord.mode == mode)
    ).first()


def load_network(session: Session, mode: str) -> StreetNetwork:
    """The stored network of ``mode``; raises ``DomainError`` saying how to load one."""
    record = find_network(session, mode)
    if record is None:
        raise DomainError(
            f"There is no {'walking' if mode == 'walk' else 'driving'} network: load one with "
            "`flask --app app geo import-osm PATH` (an .osm or .osm.pbf file)."
        )
    return network_from_bytes(record.data)


# --- premises, places, sites -----------------------------------------------------------------


def _area_codes_for_points(
    session: Session, x_m: np.ndarray, y_m: np.ndarray, kind: str
) -> np.ndarray:
    areas = load_areas(session, kind=kind)
    codes = np.full(len(x_m), None, dtype=object)
    if areas.empty or len(x_m) == 0:
        return codes
    points = np.asarray(shapely.points(x_m, y_m))
    tree = shapely.STRtree(areas.geometry.to_numpy())
    point_index, area_index = tree.query(points, predicate="within")
    codes[point_index] = areas["code"].to_numpy()[area_index]
    return codes


def store_premises(
    session: Session,
    premises: gpd.GeoDataFrame,
    *,
    source: str,
    residents_per_premises: float = 2.4,
) -> int:
    """Replace every stored premises with ``premises`` (EPSG:27700 points), placed in areas."""
    if premises.crs is None or premises.crs.to_epsg() != 27700:
        premises = premises.to_crs(BNG)
    x_m = premises.geometry.x.to_numpy()
    y_m = premises.geometry.y.to_numpy()
    lon, lat = lon_lat(x_m, y_m)
    lsoa = _area_codes_for_points(session, x_m, y_m, "lsoa")
    ward = _area_codes_for_points(session, x_m, y_m, "ward")
    if "premises_id" in premises.columns:
        references = premises["premises_id"].astype(str).to_numpy()
    elif "uprn" in premises.columns:
        references = premises["uprn"].astype(str).to_numpy()
    else:
        references = np.array([f"P{i:07d}" for i in range(len(premises))], dtype=object)
    estimate = (
        premises["is_estimate"].fillna(False).astype(bool).to_numpy()
        if "is_estimate" in premises.columns
        else np.zeros(len(premises), dtype=bool)
    )
    residents = (
        premises["residents"].astype(float).to_numpy()
        if "residents" in premises.columns
        else np.full(len(premises), residents_per_premises)
    )
    session.execute(delete(PremisesAccess))
    session.execute(delete(Premises))
    frame = pd.DataFrame(
        {
            "reference": references,
            "x_m": x_m,
            "y_m": y_m,
            "lon": lon,
            "lat": lat,
            "is_estimate": estimate,
            "residents": residents,
            "lsoa_code": lsoa,
            "ward_code": ward,
            "source": source,
        }
    )
    records = cast(
        list[dict[str, Any]], frame.astype(object).where(frame.notna(), None).to_dict("records")
    )
    for start in range(0, len(records), INSERT_CHUNK):
        session.execute(insert(Premises), records[start : start + INSERT_CHUNK])
    session.flush()
    return len(records)


def load_premises(session: Session) -> pd.DataFrame:
    """Every stored premises with its coordinates (EPSG:27700), residents and area codes."""
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
    rows = session.execute(query).all()
    return pd.DataFrame(rows, columns=[column.name for column in query.selected_columns])


def store_places(
    session: Session, places: gpd.GeoDataFrame, *, source: str, source_date: str | None
) -> int:
    """Replace the places loaded from ``source`` with ``places`` (points, any projected CRS)."""
    if places.crs is None or places.crs.to_epsg() != 27700:
        places = places.to_crs(BNG)
    session.execute(delete(Place).where(Place.source == source))
    x_m = places.geometry.x.to_numpy()
    y_m = places.geometry.y.to_numpy()
    lon, lat = lon_lat(x_m, y_m)
    ward = _area_codes_for_points(session, x_m, y_m, "ward")
    count = 0
    plain = places.drop(columns="geometry").astype(object)
    plain = plain.where(plain.notna(), None)
    for index, data in enumerate(plain.to_dict("records")):
        details = {
            key: value
            for key, value in data.items()
            if key
            not in {"name", "kind", "public_wifi", "address", "source", "source_date", "x_m", "y_m"}
            and value is not None
        }
        session.add(
            Place(
                name=str(data.get("name") or "Unnamed place"),
                kind=str(data.get("kind") or "other"),
                public_wifi=bool(data.get("public_wifi")),
                x_m=float(x_m[index]),
                y_m=float(y_m[index]),
                lon=float(lon[index]),
                lat=float(lat[index]),
                ward_code=ward[index],
                address=data.get("address"),
                source=source,
                source_date=source_date
                or (str(data["source_date"]) if data.get("source_date") else None),
                details=json.loads(json.dumps(details, default=str)),
            )
        )
        count += 1
    session.flush()
    return count


def list_places(session: Session) -> list[Place]:
    """Every stored place to get help or get online, by name."""
    return list(session.scalars(select(Place).order_by(Place.name)))


def store_sites(
    session: Session, sites: pd.DataFrame, *, source: str, source_date: str | None
) -> int:
    """Replace the mobile sites loaded from ``source`` (columns x_m, y_m, operator, ...)."""
    session.execute(delete(MobileSite).where(MobileSite.source == source))
    x_m = sites["x_m"].to_numpy(dtype=float)
    y_m = sites["y_m"].to_numpy(dtype=float)
    lon, lat = lon_lat(x_m, y_m)

    def column(name: str) -> list[Any]:
        if name not in sites.columns:
            return [None] * len(sites)
        values = sites[name].astype(object).where(sites[name].notna(), None)
        return values.tolist()

    rows = [
        {
            "site_ref": str(ref) if ref is not None else f"site-{i + 1}",
            "operator": str(operator) if operator is not None else "Unknown",
            "technology": technology,
            "x_m": float(x),
            "y_m": float(y),
            "lon": float(lo),
            "lat": float(la),
            "antenna_height_m": height,
            "band_mhz": band,
            "power_dbm": power,
            "source": source,
            "source_date": source_date,
        }
        for i, (ref, operator, technology, x, y, lo, la, height, band, power) in enumerate(
            zip(
                column("site_ref"),
                column("operator"),
                column("technology"),
                x_m,
                y_m,
                lon,
                lat,
                column("antenna_height_m"),
                column("band_mhz"),
                column("power_dbm"),
                strict=True,
            )
        )
    ]
    if rows:
        session.execute(insert(MobileSite), rows)
    session.flush()
    return len(rows)


# --- the access model ------------------------------------------------------------------------


@dataclass
class AccessSummary:
    """What one access model run found."""

    premises: int
    places: int
    unreachable: int
    median_time_min: float
    share_within_min: dict[int, float] = field(default_factory=dict)
    seconds: float = 0.0


def run_access_model(
    session: Session,
    *,
    now: datetime,
    k: int = 3,
    walk_speed_m_per_min: float = 80.0,
    thresholds_min: tuple[int, ...] = ACCESS_THRESHOLDS_MIN,
    progress: Progress = _quiet,
) -> AccessSummary:
    """Walking access for every premises and area from the stored network, premises and places."""
    import time

    started = time.perf_counter()
    net = load_network(session, "walk")
    premises = load_premises(session)
    if premises.empty:
        raise DomainError(
            "There are no premises: load an address file with `flask --app app geo import-premises PATH`, "
            "or estimate them with `flask --app app geo import-premises --estimate`."
        )
    places = list_places(session)
    venues = [place for place in places if place.kind != "wifi_only"]
    if not venues:
        raise DomainError(
            "There are no help venues: load some with `flask --app app geo import-places PATH`."
        )
    progress(
        f"walking network: {net.n_nodes:,} nodes; {len(premises):,} premises; {len(venues)} venues"
    )
    venue_x = np.array([place.x_m for place in venues])
    venue_y = np.array([place.y_m for place in venues])
    access = premises_access(
        net,
        premises["x_m"].to_numpy(),
        premises["y_m"].to_numpy(),
        venue_x,
        venue_y,
        k=k,
        walk_speed_m_per_min=walk_speed_m_per_min,
    )
    progress("distances computed")
    venue_ids = np.array([place.id for place in venues])
    nearest = access["nearest_venue"].to_numpy()
    reachable = np.isfinite(access["distance_m"].to_numpy()) & (nearest >= 0)
    k_columns = [
        (f"venue_k{i}", f"distance_k{i}_m")
        for i in range(1, k + 1)
        if f"venue_k{i}" in access.columns
    ]
    k_lists = (
        [
            [
                {"place_id": int(venue_ids[int(v)]), "distance_m": round(float(d), 1)}
                for v, d in pairs
                if v >= 0 and np.isfinite(d)
            ]
            for pairs in zip(
                *[
                    zip(access[vc].to_numpy(), access[dc].to_numpy(), strict=True)
                    for vc, dc in k_columns
                ],
                strict=True,
            )
        ]
        if k_columns
        else [[] for _ in range(len(premises))]
    )
    session.execute(delete(PremisesAccess))
    distance = access["distance_m"].to_numpy()
    time_min = access["time_min"].to_numpy()
    rows = [
        {
            "premises_id": int(pid),
            "nearest_place_id": int(venue_ids[int(v)]) if ok else None,
            "distance_m": round(float(d), 1) if ok else None,
            "time_min": round(float(t), 2) if ok else None,
            "nearest_k": near,
        }
        for pid, v, ok, d, t, near in zip(
            premises["id"].to_numpy(), nearest, reachable, distance, time_min, k_lists, strict=True
        )
    ]
    for start in range(0, len(rows), INSERT_CHUNK):
        session.execute(insert(PremisesAccess), rows[start : start + INSERT_CHUNK])
    progress("per-premises access stored")

    session.execute(delete(AreaAccess))
    weights = premises["residents"].to_numpy()
    times = np.where(reachable, time_min, np.inf)
    area_rows = []
    for kind, column in (("lsoa", "lsoa_code"), ("ward", "ward_code")):
        layer = latest_layer(session, kind)
        if layer is None:
            continue
        codes = premises[column].fillna("").to_numpy()
        frame = pd.DataFrame({"code": codes, "w": weights})
        totals = frame.groupby("code")["w"].agg(["sum", "count"])
        total_residents = {str(k): float(v) for k, v in totals["sum"].items()}
        total_premises = {str(k): int(v) for k, v in totals["count"].items()}
        for minutes in thresholds_min:
            within = times <= minutes
            sums = (
                pd.DataFrame({"code": codes, "w": weights * within, "n": within.astype(int)})
                .groupby("code")[["w", "n"]]
                .sum()
            )
            for code, (w_sum, n_sum) in sums.iterrows():
                if not code:
                    continue
                area_rows.append(
                    {
                        "kind": kind,
                        "vintage": layer.vintage,
                        "code": code,
                        "minutes": int(minutes),
                        "residents_within": float(w_sum),
                        "residents_total": total_residents[str(code)],
                        "premises_within": int(n_sum),
                        "premises_total": total_premises[str(code)],
                    }
                )
    if area_rows:
        session.execute(insert(AreaAccess), area_rows)
    progress("per-area shares stored")

    session.execute(delete(PlaceCatchment))
    nodes, _snap = snap_points(net, venue_x, venue_y)
    catchments = catchment_polygons(
        net,
        nodes,
        thresholds_min=[float(m) for m in thresholds_min],
        walk_speed_m_per_min=walk_speed_m_per_min,
    )
    points = np.asarray(shapely.points(premises["x_m"].to_numpy(), premises["y_m"].to_numpy()))
    tree = shapely.STRtree(points)
    polygons = catchments.geometry.to_numpy()
    point_index = tree.query(polygons, predicate="contains")
    counts = np.bincount(point_index[0], minlength=len(polygons))
    residents_in = np.bincount(
        point_index[0], weights=weights[point_index[1]], minlength=len(polygons)
    )
    texts = geometry_geojson(gpd.GeoSeries(polygons, crs=BNG))
    venue_position = catchments["venue"].to_numpy()
    minutes_column = catchments["threshold_min"].to_numpy()
    catch_rows = [
        {
            "place_id": int(venue_ids[int(v)]),
            "minutes": round(float(m)),
            "geometry": text,
            "premises_within": int(c),
            "residents_within": float(r),
        }
        for v, m, text, c, r in zip(
            venue_position, minutes_column, texts, counts, residents_in, strict=True
        )
    ]
    if catch_rows:
        session.execute(insert(PlaceCatchment), catch_rows)
    progress("catchments stored")

    shares = {
        int(m): float((weights * (times <= m)).sum() / weights.sum()) if weights.sum() else 0.0
        for m in thresholds_min
    }
    summary = AccessSummary(
        premises=len(premises),
        places=len(venues),
        unreachable=int((~reachable).sum()),
        median_time_min=float(np.median(time_min[reachable])) if reachable.any() else float("nan"),
        share_within_min=shares,
        seconds=time.perf_counter() - started,
    )
    session.add(
        ModelRun(
            kind="access",
            started_at=now,
            finished_at=now,
            parameters={
                "k": k,
                "walk_speed_m_per_min": walk_speed_m_per_min,
                "thresholds_min": list(thresholds_min),
            },
            summary={
                "premises": summary.premises,
                "places": summary.places,
                "unreachable": summary.unreachable,
                "median_time_min": round(summary.median_time_min, 2),
                "share_within_min": {str(k_): round(v, 4) for k_, v in shares.items()},
                "seconds": round(summary.seconds, 2),
            },
        )
    )
    session.flush()
    return summary


def counts(session: Session) -> dict[str, int]:
    """How many of each stored thing there are (for pages and CLI output)."""
    return {
        "areas": session.scalar(select(func.count()).select_from(Area)) or 0,
        "premises": session.scalar(select(func.count()).select_from(Premises)) or 0,
        "estimated_premises": session.scalar(
            select(func.count()).select_from(Premises).where(Premises.is_estimate)
        )
        or 0,
        "places": session.scalar(select(func.count()).select_from(Place)) or 0,
        "sites": session.scalar(select(func.count()).select_from(MobileSite)) or 0,
        "networks": session.scalar(select(func.count()).select_from(StreetNetworkRecord)) or 0,
    }
