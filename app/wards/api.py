"""``/api/v1``: read-only JSON (GeoJSON where geographic) of the ward figures and layers.

Described by ``/api/v1/openapi.json`` (:mod:`app.wards.openapi`).  Every route is public and
only reads; what a caller sees depends on their role exactly as on the pages: planners and
administrators (signed in) get full figures, councillors and everyone else get small numbers
suppressed, and nobody gets personal data.  Errors are RFC 9457 problem details in JSON; a
wrong method gets 405 with ``Allow``; no input gives a server error.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request
from werkzeug.exceptions import BadRequest, HTTPException, NotFound

from app.access import public
from app.database import db_session
from app.wards import context
from app.wards.figures import CellLayerSpec, LayerSpec, MapLayerSpec, RasterLayerSpec
from app.wards.geography import catchment_frame, venue_frame
from app.wards.openapi import (
    CODE_PATTERN,
    GEOJSON,
    KEY_PATTERN,
    MAX_LIMIT,
    MAX_OFFSET,
    PROBLEM,
    openapi_document,
)
from app.wards.presenters import Shown, shown_figure, shown_layer
from app.wards.services import WardData, cached
from core.clock import LONDON, now_utc
from geo.areas import to_rfc7946
from maps.grid import bin_premises

bp = Blueprint("api_v1", __name__, url_prefix="/api/v1")

API_PREFIX = "/api/"
_CODE = re.compile(CODE_PATTERN)
_KEY = re.compile(KEY_PATTERN)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WHOLE = re.compile(r"^[0-9]{1,9}$")


# --- responses and errors -------------------------------------------------------------------


def _respond(body: Any, media_type: str = "application/json", status: int = 200) -> Response:
    text = json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    response = Response(text, status=status, mimetype=media_type)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def problem(status: int, title: str, detail: str | None = None) -> Response:
    """An RFC 9457 problem-details response."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    return _respond(body, PROBLEM, status)


def _is_api() -> bool:
    return request.path.startswith(API_PREFIX)


def install_api_errors(app: Flask) -> None:
    """Answer errors under ``/api/`` as JSON problem details; pages keep their HTML errors.

    Routing errors (404, 405) happen before any blueprint is chosen, so blueprint error
    handlers never see them: the app's handlers are wrapped instead, passing every non-API
    request to the handler that was there before.
    """
    handlers = app.error_handler_spec.setdefault(None, {}).setdefault(None, {})
    previous_http = handlers.get(HTTPException)
    previous_any = handlers.get(Exception)

    def http_error(error: HTTPException) -> Any:
        if not _is_api():
            return previous_http(error) if previous_http is not None else error
        status = error.code or 500
        response = problem(status, error.name, error.description)
        for key, value in error.get_headers():
            if key.lower() in {"allow", "retry-after"}:
                response.headers[key] = value
        return response

    def unexpected(error: Exception) -> Any:
        if not _is_api():
            if previous_any is not None:
                return previous_any(error)
            raise error
        current_app.logger.exception("unexpected error in the API")
        return problem(500, "Internal Server Error", "Something went wrong. Try again later.")

    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, unexpected)


def _bad(detail: str) -> BadRequest:
    """A 400 whose detail says what a valid value looks like."""
    return BadRequest(detail)


def _arg(name: str) -> str | None:
    """The first value of query parameter ``name`` (repeats are ignored)."""
    return request.args.get(name)


# --- shaping --------------------------------------------------------------------------------


def _geometries(wards: WardData, kind: str) -> dict[str, dict[str, Any]]:
    frame = wards.ward_geometry if kind == "ward" else wards.lsoa_geometry

    def build() -> dict[str, dict[str, Any]]:
        if frame.empty:
            return {}
        collection = to_rfc7946(frame[["code", "geometry"]], precision=6)
        return {
            str(feature["properties"]["code"]): feature["geometry"]
            for feature in collection["features"]
        }

    return cached(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        ("api-geometry", kind, wards.version_tag),
        build,
    )


def _figures_by_ward(wards: WardData) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    codes = wards.ward_codes
    per_ward: dict[str, dict[str, Any]] = {code: {} for code in codes}
    borough: dict[str, Any] = {}
    for figure in wards.collected.figures:
        shown, whole = shown_figure(
            figure, detail=context.detail(), threshold=context.threshold(), codes=codes
        )
        for code in codes:
            per_ward[code][figure.key] = shown[code].as_json()
        borough[figure.key] = whole.as_json()
    return per_ward, borough


def _figures_by_lsoa(wards: WardData) -> dict[str, dict[str, Any]]:
    codes = wards.lsoa_codes()
    per_lsoa: dict[str, dict[str, Any]] = {code: {} for code in codes}
    for spec in wards.collected.layers:
        if isinstance(spec, MapLayerSpec) and spec.area_kind == "lsoa":
            shown, _whole = shown_layer(
                spec, detail=context.detail(), threshold=context.threshold(), codes=codes
            )
            for code in codes:
                per_lsoa[code][spec.key] = shown[code].as_json()
    return per_lsoa


def _area_features(wards: WardData, kind: str) -> list[dict[str, Any]]:
    frame = wards.ward_geometry if kind == "ward" else wards.lsoa_geometry
    if frame.empty:
        return []
    geometry = _geometries(wards, kind)
    figures = _figures_by_ward(wards)[0] if kind == "ward" else _figures_by_lsoa(wards)
    features = []
    for record in frame.drop(columns="geometry").to_dict("records"):
        code = str(record["code"])
        features.append(
            {
                "type": "Feature",
                "id": code,
                "geometry": geometry[code],
                "properties": {
                    "code": code,
                    "name": str(record.get("name") or code),
                    "kind": kind,
                    "vintage": str(record.get("vintage") or ""),
                    "ward_code": None if kind == "ward" else (record.get("ward_code") or None),
                    "figures": figures.get(code, {}),
                },
            }
        )
    return features


def _layer_summary(spec: LayerSpec) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "key": spec.key,
        "title": spec.title,
        "kind": spec.kind,
        "area_kind": spec.area_kind,
        "legend_title": spec.legend_title,
        "source": spec.source,
        "licence": spec.licence,
        "date": spec.date.isoformat() if spec.date else None,
        "geojson": not isinstance(spec, RasterLayerSpec),
    }
    if isinstance(spec, MapLayerSpec):
        summary["unit"] = spec.unit
    return summary


def _layer_features(wards: WardData, spec: LayerSpec) -> list[dict[str, Any]]:
    if isinstance(spec, MapLayerSpec):
        kind = spec.area_kind
        frame = wards.ward_geometry if kind == "ward" else wards.lsoa_geometry
        if frame.empty:
            return []
        codes = [str(code) for code in frame["code"]]
        shown, _ = shown_layer(
            spec, detail=context.detail(), threshold=context.threshold(), codes=codes
        )
        geometry = _geometries(wards, kind)
        names = dict(zip(codes, frame["name"].fillna(frame["code"]).astype(str), strict=True))
        return [
            {
                "type": "Feature",
                "id": code,
                "geometry": geometry[code],
                "properties": {"code": code, "name": names[code], "value": shown[code].as_json()},
            }
            for code in codes
        ]
    assert isinstance(spec, CellLayerSpec)
    return _cell_features(spec)


def _cell_features(spec: CellLayerSpec) -> list[dict[str, Any]]:
    import geopandas as gpd

    if spec.x_m.shape[0] == 0:
        return []
    premises = gpd.GeoDataFrame(
        {"flag": spec.flags}, geometry=gpd.points_from_xy(spec.x_m, spec.y_m), crs="EPSG:27700"
    )
    full = context.detail() == "full"
    threshold = context.threshold()
    min_count = 1 if full else max(int(threshold), 1)
    cells = bin_premises(
        premises, flag_column="flag", cell_size_m=spec.cell_size_m, min_count=min_count
    )
    collection = to_rfc7946(cells[["cell_id", "geometry"]], precision=6)
    words = f"fewer than {min_count} premises"
    features = []
    for feature, share, count, hidden in zip(
        collection["features"],
        cells["share"].astype(object),
        cells["premises_count"].astype(object),
        cells["suppressed"],
        strict=True,
    ):
        cell_id = str(feature["properties"]["cell_id"])
        value = Shown(None, words, True) if hidden else Shown(float(share), f"{float(share):.0%}")
        premises_shown = (
            Shown(None, words, True) if hidden else Shown(float(count), f"{int(count):,}")
        )
        features.append(
            {
                "type": "Feature",
                "id": cell_id,
                "geometry": feature["geometry"],
                "properties": {
                    "code": cell_id,
                    "name": None,
                    "value": value.as_json(),
                    "premises": premises_shown.as_json(),
                },
            }
        )
    return features


# --- routes ---------------------------------------------------------------------------------


@bp.route("/openapi.json")
@public
def openapi() -> Response:
    if not current_app.config.get("API_DOCS_PUBLIC", True):
        raise NotFound()
    return _respond(openapi_document(server_url=request.script_root + "/api/v1"))


@bp.route("/areas")
@public
def areas() -> Response:
    kind = _arg("kind") or "ward"
    if kind not in {"ward", "lsoa"}:
        raise _bad("kind must be ward or lsoa.")
    wards = context.data()
    return _respond({"type": "FeatureCollection", "features": _area_features(wards, kind)}, GEOJSON)


@bp.route("/areas/<code>")
@public
def area(code: str) -> Response:
    if not _CODE.fullmatch(code):
        raise _bad("An area code is 1 to 12 letters and digits, such as E05013606.")
    wards = context.data()
    kind = "ward" if wards.ward(code) is not None else "lsoa"
    if kind == "lsoa" and code not in set(wards.lsoa_codes()):
        raise NotFound(f"There is no ward or LSOA with the code {code}.")
    feature = next(feature for feature in _area_features(wards, kind) if feature["id"] == code)
    return _respond(feature, GEOJSON)


@bp.route("/figures")
@public
def figures() -> Response:
    wards = context.data()
    _per_ward, borough = _figures_by_ward(wards)
    return _respond(
        {
            "figures": [
                {
                    "key": figure.key,
                    "label": figure.label,
                    "unit": figure.unit,
                    "section": figure.section,
                    "is_count": figure.is_count,
                    "higher_is_better": figure.higher_is_better,
                    "source": figure.source,
                    "licence": figure.licence,
                    "date": figure.date.isoformat() if figure.date else None,
                    "borough": borough[figure.key],
                }
                for figure in wards.collected.figures
            ]
        }
    )


@bp.route("/wards/aggregates")
@public
def ward_aggregates() -> Response:
    wards = context.data()
    per_ward, borough = _figures_by_ward(wards)
    return _respond(
        {
            "detail": context.detail(),
            "threshold": context.threshold(),
            "wards": [
                {
                    "code": ward.code,
                    "name": ward.name,
                    "vintage": ward.vintage,
                    "figures": per_ward[ward.code],
                }
                for ward in wards.wards
            ],
            "borough": borough,
        }
    )


@bp.route("/layers")
@public
def layers() -> Response:
    wards = context.data()
    return _respond({"layers": [_layer_summary(spec) for spec in wards.collected.layers]})


@bp.route("/layers/<key>")
@public
def layer(key: str) -> Response:
    if not _KEY.fullmatch(key):
        raise _bad("A layer key is lower-case letters, digits and underscores.")
    wards = context.data()
    spec = wards.collected.layer(key)
    if spec is None:
        raise NotFound(f"There is no layer {key}.")
    if isinstance(spec, RasterLayerSpec):
        raise NotFound(f"The layer {key} is an image (a signal grid), not available as GeoJSON.")
    return _respond(
        {
            "type": "FeatureCollection",
            "layer": _layer_summary(spec),
            "features": _layer_features(wards, spec),
        },
        GEOJSON,
    )


@bp.route("/venues")
@public
def venues() -> Response:
    ward = _arg("ward")
    if ward is not None and not _CODE.fullmatch(ward):
        raise _bad("ward must be a ward code of 1 to 12 letters and digits.")
    session = db_session()
    frame = venue_frame(session)
    if ward is not None:
        frame = frame[frame["ward_code"] == ward]
    catchments = catchment_frame(session)
    reach = (
        catchments[catchments["threshold_min"] == 15].set_index("place_id")["residents_within"]
        if len(catchments)
        else None
    )
    collection = (
        to_rfc7946(frame[["public_id", "geometry"]], precision=6)
        if len(frame)
        else {"features": []}
    )
    features = []
    for feature, record in zip(
        collection["features"], frame.drop(columns="geometry").to_dict("records"), strict=True
    ):
        within = None if reach is None else reach.get(record["place_id"])
        features.append(
            {
                "type": "Feature",
                "id": str(record["public_id"]),
                "geometry": feature["geometry"],
                "properties": {
                    "name": str(record["name"]),
                    "kind": str(record["kind_label"]),
                    "public_wifi": bool(record["public_wifi"]),
                    "address": record.get("address") or None,
                    "ward_code": record.get("ward_code") or None,
                    "residents_within_15_min": None if within is None else round(float(within)),
                },
            }
        )
    return _respond({"type": "FeatureCollection", "features": features}, GEOJSON)


def _whole_number(name: str, default: int, low: int, high: int) -> int:
    text = _arg(name)
    if text is None:
        return default
    if not _WHOLE.fullmatch(text) or not low <= int(text) <= high:
        raise _bad(f"{name} must be a whole number from {low} to {high}.")
    return int(text)


@bp.route("/sessions")
@public
def sessions() -> Response:
    limit = _whole_number("limit", 100, 1, MAX_LIMIT)
    offset = _whole_number("offset", 0, 0, MAX_OFFSET)
    first = _arg("from")
    day: date | None = None
    if first is not None:
        try:
            if not _DATE.fullmatch(first):
                raise ValueError(first)
            day = date.fromisoformat(first)
        except ValueError:
            raise _bad("from must be a date written YYYY-MM-DD, such as 2027-03-01.") from None
    return _respond(
        {
            "sessions": _session_rows(day, limit=limit, offset=offset),
            "limit": limit,
            "offset": offset,
        }
    )


def _iso(moment: datetime) -> str:
    return moment.astimezone(LONDON).isoformat()


def _session_rows(day: date | None, *, limit: int, offset: int) -> list[dict[str, Any]]:
    """Sessions open for booking from the champions package (none when it is not set up)."""
    try:
        from champions.services import find_sessions
        from champions.vocabulary import LEVEL_LABELS, TOPIC_LABELS
    except ImportError:
        return []
    from sqlalchemy import inspect

    session = db_session()
    if not inspect(session.connection()).has_table("training_sessions"):
        return []
    if offset >= MAX_OFFSET:
        return []
    matches = find_sessions(
        session, now=now_utc(), date_from=day, limit=min(offset + limit, MAX_OFFSET)
    )[offset : offset + limit]
    rows = []
    for match in matches:
        item = match.training_session
        venue = match.venue
        rows.append(
            {
                "id": item.public_id,
                "title": item.title or TOPIC_LABELS.get(item.topic, item.topic),
                "topic": TOPIC_LABELS.get(item.topic, item.topic),
                "level": LEVEL_LABELS.get(item.level, item.level),
                "language": item.language,
                "starts_at": _iso(item.starts_at),
                "ends_at": _iso(item.ends_at),
                "places_left": int(match.places_left),
                "venue": {
                    "name": venue.name,
                    "address": venue.address,
                    "postcode": venue.postcode,
                    "ward_code": venue.ward_code,
                },
            }
        )
    return rows
