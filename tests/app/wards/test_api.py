"""The read-only JSON API on the demo borough: GeoJSON, suppression, errors, and a fuzz run."""

from __future__ import annotations

import json
from typing import Any

import hypothesis
import pytest
import schemathesis
import shapely

from app import create_app
from app.wards.openapi import openapi_document
from tests.app.wards.conftest import Demo
from tests.conftest import app_config

GB_LON = (-8.7, 1.8)
GB_LAT = (49.8, 60.9)


def _json(response: Any) -> Any:
    return json.loads(response.get_data(as_text=True))


def _rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"][0]]
    if geometry["type"] == "MultiPolygon":
        return [polygon[0] for polygon in geometry["coordinates"]]
    return []


def assert_rfc7946(collection: dict[str, Any]) -> None:
    """No ``crs`` member; valid geometries; exterior rings anticlockwise; lon/lat inside GB."""
    assert "crs" not in collection
    assert collection["features"], "the collection has features"
    for feature in collection["features"]:
        shape = shapely.geometry.shape(feature["geometry"])
        assert shape.is_valid, feature["id"]
        for ring in _rings(feature["geometry"]):
            assert shapely.is_ccw(shapely.linearrings(ring)), f"{feature['id']}: clockwise ring"
        west, south, east, north = shape.bounds
        assert GB_LON[0] <= west <= east <= GB_LON[1]
        assert GB_LAT[0] <= south <= north <= GB_LAT[1]


def test_wards_are_rfc7946_geojson_with_their_figures(demo: Demo) -> None:
    response = demo.client().get("/api/v1/areas")
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    collection = _json(response)
    assert_rfc7946(collection)
    codes = [feature["id"] for feature in collection["features"]]
    assert sorted(codes) == demo.ward_codes
    first = collection["features"][0]["properties"]
    assert first["kind"] == "ward" and first["vintage"] == "WD23"
    walk = first["figures"]["walk_share_10_min"]
    assert set(walk) == {"value", "display", "suppressed"}
    assert 0.0 <= walk["value"] <= 1.0


def test_lsoas_carry_their_ward_and_lsoa_layer_figures(demo: Demo) -> None:
    collection = _json(demo.client().get("/api/v1/areas?kind=lsoa"))
    assert_rfc7946(collection)
    assert len(collection["features"]) == 100
    properties = collection["features"][0]["properties"]
    assert properties["ward_code"] in demo.ward_codes
    assert "walk_10_min_lsoa" in properties["figures"]


def test_one_area_is_a_feature(demo: Demo) -> None:
    code = demo.ward_codes[0]
    feature = _json(demo.client().get(f"/api/v1/areas/{code}"))
    assert feature["type"] == "Feature" and feature["id"] == code
    assert feature["properties"]["name"] == demo.ward_names[code]


def _devices(client: Any) -> dict[str, dict[str, Any]]:
    body = _json(client.get("/api/v1/wards/aggregates"))
    return {ward["code"]: ward["figures"]["devices_on_loan"] for ward in body["wards"]}


def test_small_counts_are_suppressed_for_the_public_and_councillors_only(demo: Demo) -> None:
    planner = _devices(demo.client("planner"))
    small = [code for code, item in planner.items() if 0 < item["value"] < 10]
    assert small, "the demo has wards with fewer than 10 devices out"
    for role in (None, "councillor"):
        shown = _devices(demo.client(role))
        for code in small:
            assert shown[code] == {"value": None, "display": "fewer than 10", "suppressed": True}
        for code, item in shown.items():
            if not item["suppressed"]:
                assert item["value"] == planner[code]["value"]
    body = _json(demo.client().get("/api/v1/wards/aggregates"))
    assert body["detail"] == "suppressed"
    # The borough total would give a lone hidden ward away: secondary suppression hides more.
    hidden = [code for code, item in _devices(demo.client()).items() if item["suppressed"]]
    assert len(hidden) != 1


def test_the_api_holds_no_personal_data(demo: Demo) -> None:
    client = demo.client()
    text = " ".join(
        client.get(url).get_data(as_text=True)
        for url in ("/api/v1/sessions", "/api/v1/venues", "/api/v1/wards/aggregates")
    )
    for word in ("email", "phone", "full_name", "resident_name", "contact"):
        assert f'"{word}"' not in text


def test_sessions_list_upcoming_sessions_with_places_left(demo: Demo) -> None:
    body = _json(demo.client().get("/api/v1/sessions?limit=5&offset=1"))
    assert body["limit"] == 5 and body["offset"] == 1
    assert 1 <= len(body["sessions"]) <= 5
    starts = [item["starts_at"] for item in body["sessions"]]
    assert starts == sorted(starts)
    assert all(item["places_left"] >= 0 for item in body["sessions"])


def test_venues_can_be_filtered_by_ward(demo: Demo) -> None:
    everything = _json(demo.client().get("/api/v1/venues"))
    assert everything["features"]
    code = everything["features"][0]["properties"]["ward_code"]
    some = _json(demo.client().get(f"/api/v1/venues?ward={code}"))
    assert some["features"] and {f["properties"]["ward_code"] for f in some["features"]} == {code}


def test_hexagon_layer_hides_small_cells_for_the_public(demo: Demo) -> None:
    public = _json(demo.client().get("/api/v1/layers/good_4g_indoor_cells"))
    planner = _json(demo.client("planner").get("/api/v1/layers/good_4g_indoor_cells"))
    hidden = [f for f in public["features"] if f["properties"]["value"]["suppressed"]]
    assert hidden and all(f["properties"]["premises"]["value"] is None for f in hidden)
    assert not any(f["properties"]["value"]["suppressed"] for f in planner["features"])


def test_errors_are_json_problems(demo: Demo) -> None:
    client = demo.client()
    for url, status in (
        ("/api/v1/areas/E05999999", 404),
        ("/api/v1/areas?kind=msoa", 400),
        ("/api/v1/layers/not_a_layer", 404),
        ("/api/v1/sessions?limit=501", 400),
        ("/api/v1/sessions?from=1st%20March", 400),
        ("/api/v1/no-such-thing", 404),
    ):
        response = client.get(url)
        assert response.status_code == status, url
        assert response.mimetype == "application/problem+json"
        assert _json(response)["status"] == status


def test_wrong_method_gets_405_with_allow_even_with_csrf_on(demo: Demo) -> None:
    app = create_app(app_config(demo.database, WTF_CSRF_ENABLED=True))
    response = app.test_client().post("/api/v1/areas", data={"x": "1"})
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert response.mimetype == "application/problem+json"


def test_pages_keep_their_html_error_pages(demo: Demo) -> None:
    response = demo.client("planner").get("/wards/E05999999")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


# --- fuzzing with schemathesis (SQLite only, bounded, seeded) ------------------------------


schema = schemathesis.openapi.from_dict(openapi_document())


@schema.parametrize()
@hypothesis.settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(hypothesis.HealthCheck),
)
def test_api_matches_its_openapi_description(case: Any, demo: Demo) -> None:
    if demo.database.backend != "sqlite":
        pytest.skip("the API fuzz run is on SQLite only (a bounded run, reference R-19)")
    # The document is the app's own (``openapi_document``); requests go to the demo app.
    case.call_and_validate(app=demo.app)
