"""Downloads on the demo borough: GeoJSON (RFC 7946), CSV (formula-safe) and GeoPackage open in
geopandas, with source, date and licence; councillors get the suppressed figures."""

from __future__ import annotations

import io
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
from sqlalchemy import delete, select

from app.places.models import Place
from tests.app.wards.conftest import Demo
from tests.app.wards.test_api import assert_rfc7946


def _notes(body: bytes) -> int:
    """How many note lines come before the header (a note with a comma is quoted)."""
    lines = body.decode("utf-8-sig").splitlines()
    return next(i for i, line in enumerate(lines) if not line.startswith(("# ", '"# ')))


def test_ward_figures_geojson_is_rfc7946_and_opens_in_geopandas(demo: Demo) -> None:
    response = demo.client("planner").get("/wards/downloads/ward_figures.geojson")
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    assert "attachment" in response.headers["Content-Disposition"]
    document = json.loads(response.get_data())
    assert_rfc7946(document)
    assert document["metadata"]["licence"].startswith("Open Government Licence v3.0")
    assert document["metadata"]["date"]
    frame = gpd.read_file(io.BytesIO(response.get_data()))
    assert sorted(frame["ward_code"]) == demo.ward_codes
    assert frame.crs.to_epsg() == 4326
    aggregates = json.loads(
        demo.client("planner").get("/api/v1/wards/aggregates").get_data(as_text=True)
    )
    expected = {w["code"]: w["figures"]["residents"]["value"] for w in aggregates["wards"]}
    assert dict(zip(frame["ward_code"], frame["residents"], strict=True)) == expected


def test_geopackage_opens_in_british_national_grid_with_its_notes(
    demo: Demo, tmp_path: Path
) -> None:
    response = demo.client("planner").get("/wards/downloads/walk_10_min_lsoa.gpkg")
    assert response.status_code == 200
    path = tmp_path / "layer.gpkg"
    path.write_bytes(response.get_data())
    frame = gpd.read_file(path, layer="walk_10_min_lsoa")
    assert len(frame) == 100 and frame.crs.to_epsg() == 27700
    assert frame["walk_10_min_lsoa"].between(0, 1).all()
    info = pyogrio.read_info(path, layer="walk_10_min_lsoa")
    metadata = info.get("layer_metadata") or {}
    assert "Open Database Licence" in metadata.get("licence", "")
    assert metadata.get("source", "").startswith("Digital Inclusion Planner")


def test_councillors_csv_marks_hidden_counts_and_the_planners_has_numbers(demo: Demo) -> None:
    planner_body = demo.client("planner").get("/wards/downloads/ward_figures.csv").get_data()
    councillor_body = demo.client("councillor").get("/wards/downloads/ward_figures.csv").get_data()
    assert planner_body.decode("utf-8-sig").lstrip('"').startswith("# Title: Ward figures")
    planner = pd.read_csv(
        io.BytesIO(planner_body), skiprows=_notes(planner_body), encoding="utf-8-sig"
    )
    councillor = pd.read_csv(
        io.BytesIO(councillor_body),
        skiprows=_notes(councillor_body),
        encoding="utf-8-sig",
        dtype=str,
    )
    assert "[c] = not shown to protect privacy" in councillor_body.decode("utf-8-sig")
    small = planner[(planner["devices_on_loan"] > 0) & (planner["devices_on_loan"] < 10)]
    assert len(small)
    hidden = councillor.set_index("ward_code").loc[small["ward_code"], "devices_on_loan"]
    assert set(hidden) == {"[c]"}
    assert planner.iloc[-1]["ward_name"] == "Borough"


def test_csv_text_that_a_spreadsheet_would_run_is_escaped(demo: Demo) -> None:
    with demo.database.factory() as session:
        place = session.scalars(select(Place)).first()
        assert place is not None
        session.add(
            Place(
                name='=HYPERLINK("http://evil.example","click")',
                kind="library",
                x_m=place.x_m,
                y_m=place.y_m,
                lon=place.lon,
                lat=place.lat,
                ward_code=place.ward_code,
                source="test",
                details={},
            )
        )
        session.commit()
    try:
        body = demo.client("planner").get("/wards/downloads/venues.csv").get_data()
        frame = pd.read_csv(io.BytesIO(body), skiprows=_notes(body), encoding="utf-8-sig")
        assert '\'=HYPERLINK("http://evil.example","click")' in set(frame["name"])
        assert not frame["name"].str.startswith("=").any()
    finally:
        with demo.database.factory() as session:
            session.execute(delete(Place).where(Place.source == "test"))
            session.commit()


def test_hexagons_download_without_small_cells_for_councillors(demo: Demo) -> None:
    body = demo.client("councillor").get("/wards/downloads/good_4g_indoor_cells.geojson")
    frame = gpd.read_file(io.BytesIO(body.get_data()))
    hidden = frame[frame["suppressed"]]
    assert len(hidden) and hidden["premises_count"].isna().all() and hidden["share"].isna().all()


def test_a_map_downloads_as_one_html_file_with_its_notes(demo: Demo) -> None:
    code = demo.ward_codes[1]
    response = demo.client("councillor").get(f"/wards/downloads/ward-{code}.html")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f"attachment; filename=ward-{code}.html"
    html = response.get_data(as_text=True)
    assert html.startswith("<!DOCTYPE html>") and '<html lang="en">' in html
    assert f"<title>Map of {demo.ward_names[code]}" in html
    assert "Licence: Open Government Licence v3.0" in html
    assert "[c] = not shown to protect privacy" in html


def test_unknown_downloads_are_not_found(demo: Demo) -> None:
    client = demo.client("planner")
    assert client.get("/wards/downloads/nothing.csv").status_code == 404
    assert client.get("/wards/downloads/signal_4g_outdoor.geojson").status_code == 404
    assert client.get("/wards/downloads/ward-XX.html").status_code == 404
