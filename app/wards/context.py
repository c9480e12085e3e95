"""Per-request helpers shared by the pages, downloads and the API: who sees what, built maps."""

from __future__ import annotations

import re
from dataclasses import dataclass

import folium
from flask import current_app, url_for

from app.access import user_roles
from app.auth.roles import STAFF_DETAIL_ROLES
from app.database import db_session
from app.wards import mapping
from app.wards.geography import catchment_frame, site_frame, venue_frame
from app.wards.mapping import BuiltMap, FigureTable, MapOptions
from app.wards.presenters import Detail, detail_for
from app.wards.services import WardData, cached, ward_data

MAP_ID = re.compile(r"(borough|layer-[a-z][a-z0-9_]{0,62}|ward-[A-Za-z0-9]{1,12})")


def detail() -> Detail:
    """The signed-in user's detail level (``suppressed`` for councillors and the public)."""
    return detail_for(user_roles(), STAFF_DETAIL_ROLES)


def threshold() -> float:
    """The small-number threshold (``SMALL_NUMBER_THRESHOLD``, 10 by default)."""
    return float(current_app.config.get("SMALL_NUMBER_THRESHOLD", 10))


def tiles_online() -> bool:
    """Whether pages load OpenStreetMap tiles (``MAP_TILES_ONLINE``)."""
    return bool(current_app.config.get("MAP_TILES_ONLINE", True))


def data() -> WardData:
    """The ward data for this request's data version."""
    return ward_data(current_app._get_current_object(), db_session())  # type: ignore[attr-defined]


def map_options(*, tiles: bool | None = None) -> MapOptions:
    """Detail, threshold, tiles and the local Leaflet URLs for this request."""
    return MapOptions(
        detail=detail(),
        threshold=threshold(),
        tiles=tiles_online() if tiles is None else tiles,
        asset_urls={
            "leaflet": url_for("static", filename="leaflet/leaflet.js"),
            "leaflet_css": url_for("static", filename="leaflet/leaflet.css"),
        },
    )


@dataclass(frozen=True)
class MapRequest:
    """Which map a map id names, once checked against the data."""

    map_id: str
    title: str
    layer_key: str | None = None
    ward_code: str | None = None


def resolve(map_id: str, wards: WardData) -> MapRequest | None:
    """The map named by ``map_id`` (``borough``, ``layer-<key>``, ``ward-<code>``), or ``None``."""
    if not MAP_ID.fullmatch(map_id):
        return None
    if map_id == "borough":
        return MapRequest(map_id, "Ward map of the borough")
    kind, _, rest = map_id.partition("-")
    if kind == "layer":
        spec = wards.collected.layer(rest)
        return None if spec is None else MapRequest(map_id, spec.title, layer_key=rest)
    ward = wards.ward(rest)
    return None if ward is None else MapRequest(map_id, f"Map of {ward.name}", ward_code=rest)


def folium_map(
    wards: WardData, request: MapRequest, options: MapOptions
) -> tuple[folium.Map, list[FigureTable], list[str]]:
    """Build the folium map a :class:`MapRequest` names (reads places from the database)."""
    session = db_session()
    venues = venue_frame(session)
    if request.layer_key is not None:
        spec = wards.collected.layer(request.layer_key)
        assert spec is not None
        return mapping.layer_map(wards, spec, venues, options, title=request.title)
    catchments = catchment_frame(session)
    if request.ward_code is not None:
        return mapping.ward_map(
            wards, request.ward_code, venues, catchments, options, title=request.title
        )
    return mapping.borough_map(
        wards, venues, catchments, site_frame(session), options, title=request.title
    )


def built_map(map_id: str) -> BuiltMap | None:
    """The page-ready map ``map_id`` for this request's detail level (cached), or ``None``."""
    wards = data()
    request = resolve(map_id, wards)
    if request is None:
        return None
    options = map_options()
    key = ("map", map_id, options.detail, options.tiles, wards.version_tag)

    def build() -> BuiltMap:
        m, tables, keys = folium_map(wards, request, options)
        return mapping.build(
            m, map_id=map_id, title=request.title, tables=tables, keys=keys, options=options
        )

    return cached(current_app._get_current_object(), key, build)  # type: ignore[attr-defined]
