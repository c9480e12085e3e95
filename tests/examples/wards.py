"""Route examples of the ward pages, downloads and API (a real ward, layer and map)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.places.models import Area, AreaAccess
from tests.route_examples import example


def _ward(session: Session) -> str:
    code = session.scalars(select(Area.code).where(Area.kind == "ward").order_by(Area.code)).first()
    return code or "E05999999"


def _layer(session: Session) -> str:
    # The walking-access layer exists wherever the place model has been run.
    ran = session.scalars(select(AreaAccess.id).where(AreaAccess.kind == "ward")).first()
    return "walk_10_min_ward" if ran is not None else "unknown"


@example("wards.profile")
def _profile(session: Session) -> dict[str, str]:
    return {"ward_code": _ward(session)}


@example("wards.layer_map")
def _layer_map(session: Session) -> dict[str, str]:
    return {"layer_key": _layer(session)}


@example("wards.map_css")
def _map_css(session: Session) -> dict[str, str]:
    return {"map_id": "borough"}


@example("wards.download_map")
def _download_map(session: Session) -> dict[str, str]:
    return {"map_id": f"ward-{_ward(session)}"}


@example("wards.download_geojson")
def _download_geojson(session: Session) -> dict[str, str]:
    return {"dataset_key": "ward_figures"}


@example("wards.download_csv")
def _download_csv(session: Session) -> dict[str, str]:
    return {"dataset_key": "ward_figures"}


@example("wards.download_gpkg")
def _download_gpkg(session: Session) -> dict[str, str]:
    return {"dataset_key": "venues"}


@example("api_v1.area")
def _api_area(session: Session) -> dict[str, str]:
    return {"code": _ward(session)}


@example("api_v1.layer")
def _api_layer(session: Session) -> dict[str, str]:
    return {"key": _layer(session)}
