"""Tests for maps.export: GeoJSON (RFC 7946), CSV, GeoPackage and HTML with notes."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from geo.errors import InputError
from maps.choropleth import choropleth_map
from maps.export import (
    OGL_V3,
    ONS_ATTRIBUTION,
    OS_ATTRIBUTION,
    ExportMetadata,
    escape_formula,
    to_csv_bytes,
    to_geojson_bytes,
    to_geopackage_bytes,
    to_html_bytes,
)
from tests.maps.support import X0, Y0, squares

METADATA = ExportMetadata(
    title="Digital exclusion risk by area",
    source="Digital Inclusion Planner, from ONS Census 2021",
    date=date(2026, 5, 1),
    licence=OGL_V3,
    attribution=(ONS_ATTRIBUTION, OS_ATTRIBUTION),
)


def _clockwise_with_hole() -> gpd.GeoDataFrame:
    outer = [(X0, Y0), (X0, Y0 + 900), (X0 + 900, Y0 + 900), (X0 + 900, Y0)]  # clockwise
    hole = [(X0 + 300, Y0 + 300), (X0 + 600, Y0 + 300), (X0 + 600, Y0 + 600), (X0 + 300, Y0 + 600)]
    polygon = shapely.Polygon(outer, [hole])
    assert not polygon.exterior.is_ccw
    return gpd.GeoDataFrame(
        {"code": ["A"], "value": [1.5], "when": [date(2026, 5, 1)]},
        geometry=[polygon],
        crs="EPSG:27700",
    )


def test_geojson_follows_rfc_7946() -> None:
    document = json.loads(to_geojson_bytes(_clockwise_with_hole(), metadata=METADATA))
    assert document["type"] == "FeatureCollection"
    assert "crs" not in document
    (feature,) = document["features"]
    shape = shapely.geometry.shape(feature["geometry"])
    assert shape.exterior.is_ccw
    assert not shape.interiors[0].is_ccw
    lon, lat = feature["geometry"]["coordinates"][0][0]
    assert -0.3 < lon < -0.2 and 51.4 < lat < 51.5
    for value in np.ravel(feature["geometry"]["coordinates"][0]).tolist():
        assert len(repr(value).split(".")[1]) <= 6
    assert feature["properties"] == {"code": "A", "value": 1.5, "when": "2026-05-01"}


def test_geojson_carries_source_date_and_licence() -> None:
    document = json.loads(to_geojson_bytes(squares([1.0]), metadata=METADATA))
    assert document["metadata"] == {
        "title": "Digital exclusion risk by area",
        "source": "Digital Inclusion Planner, from ONS Census 2021",
        "date": "2026-05-01",
        "licence": OGL_V3,
        "attribution": [ONS_ATTRIBUTION, OS_ATTRIBUTION],
    }


def test_geojson_reads_back_with_geopandas() -> None:
    areas = squares([1.0, None, 3.0])
    back = gpd.read_file(io.BytesIO(to_geojson_bytes(areas, metadata=METADATA)))
    assert back["code"].tolist() == ["A0", "A1", "A2"]
    assert back.crs.to_epsg() == 4326
    assert back.to_crs(27700).area.to_numpy() == pytest.approx(areas.area.to_numpy(), rel=1e-4)


def test_geojson_without_a_crs_is_refused() -> None:
    frame = gpd.GeoDataFrame({"code": ["A"]}, geometry=[shapely.box(0, 0, 1, 1)])
    with pytest.raises(InputError, match="coordinate reference system"):
        to_geojson_bytes(frame, metadata=METADATA)


def _read_csv(data: bytes, notes: int) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), skiprows=notes, encoding="utf-8-sig")


def test_csv_starts_with_a_bom_and_the_notes() -> None:
    data = to_csv_bytes(pd.DataFrame({"a": [1]}), metadata_lines=METADATA)
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").split("\r\n")
    assert lines[:6] == [
        "# Title: Digital exclusion risk by area",
        '"# Source: Digital Inclusion Planner, from ONS Census 2021"',
        "# Date: 1 May 2026",
        f"# Licence: {OGL_V3}",
        f"# {ONS_ATTRIBUTION}",
        f"# {OS_ATTRIBUTION}",
    ]
    assert lines[6] == "a"


def test_csv_escapes_formulas_in_text_but_keeps_negative_numbers() -> None:
    table = pd.DataFrame(
        {
            "name": ['=HYPERLINK("http://evil.example","click")', "+44 20", "@SUM(A1)", "Ward"],
            "note": ["-1", "\tTab", "\rReturn", "fine - text"],
            "change": [-1.5, -2.0, 0.0, 3.0],
            "count": [-3, 0, 1, 2],
        }
    )
    data = to_csv_bytes(table, metadata_lines=["Source: test"])
    back = _read_csv(data, 1)
    assert back["name"].tolist() == [
        '\'=HYPERLINK("http://evil.example","click")',
        "'+44 20",
        "'@SUM(A1)",
        "Ward",
    ]
    assert back["note"].tolist() == ["'-1", "'\tTab", "'\rReturn", "fine - text"]
    assert back["change"].tolist() == [-1.5, -2.0, 0.0, 3.0]
    assert back["count"].dtype.kind == "i" and back["count"].tolist() == [-3, 0, 1, 2]
    assert table["name"].iloc[0].startswith("=")  # input untouched


def test_csv_escapes_formula_headers_too() -> None:
    data = to_csv_bytes(pd.DataFrame({"=cmd": [1]}), metadata_lines=[])
    assert _read_csv(data, 0).columns.tolist() == ["'=cmd"]


def test_csv_of_a_point_layer_keeps_longitude_and_latitude() -> None:
    points = gpd.GeoDataFrame(
        {"name": ["Library"]}, geometry=[shapely.Point(X0, Y0)], crs="EPSG:27700"
    )
    back = _read_csv(to_csv_bytes(points, metadata_lines=["x"]), 1)
    assert back.columns.tolist() == ["name", "longitude", "latitude"]
    assert -0.3 < back["longitude"].iloc[0] < -0.2


def test_csv_of_areas_drops_shapes_and_writes_a_named_index() -> None:
    areas = squares([1.0, 2.0]).set_index("code")
    back = _read_csv(to_csv_bytes(areas, metadata_lines=["x"]), 1)
    assert back.columns.tolist() == ["code", "name", "value"]


def test_escape_formula_changes_only_text() -> None:
    assert escape_formula("=1+1") == "'=1+1"
    assert escape_formula(-5) == -5
    assert escape_formula("Brentford") == "Brentford"


def test_geopackage_reads_back_with_the_same_rows_crs_and_notes(tmp_path: Path) -> None:
    areas = squares([1.0, np.nan, 3.0]).assign(count=pd.array([1, None, 3], dtype="Int64"))
    path = tmp_path / "areas.gpkg"
    path.write_bytes(to_geopackage_bytes(areas, layer="risk_by_area", metadata=METADATA))
    back = gpd.read_file(path, layer="risk_by_area")
    assert back["code"].tolist() == ["A0", "A1", "A2"]
    assert back.crs.to_epsg() == 27700
    assert back.geometry.geom_equals(areas.geometry).all()
    assert back["count"].isna().tolist() == [False, True, False]
    info = pyogrio.read_info(path, layer="risk_by_area")
    assert info["layer_metadata"]["licence"] == OGL_V3
    assert info["layer_metadata"]["date"] == "2026-05-01"
    assert "Source: Digital Inclusion Planner" in info["layer_metadata"]["DESCRIPTION"]


def test_geopackage_layer_names_are_checked() -> None:
    with pytest.raises(ValueError, match="letters, digits and underscores"):
        to_geopackage_bytes(squares([1.0]), layer="bad name; drop", metadata=METADATA)


def test_html_export_is_a_standalone_page_with_the_notes() -> None:
    m = choropleth_map(
        squares([1.0, 2.0]),
        "value",
        code_column="code",
        title="Risk",
        legend_title="Risk",
        tiles=False,
    )
    html = to_html_bytes(m, metadata=METADATA).decode("utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "<footer" in html and "Date: 1 May 2026" in html
    assert f"Licence: {OGL_V3}" in html
    assert html.count("<title>") == 1
    assert "<title>Digital exclusion risk by area</title>" in html


def test_metadata_must_be_complete_single_lines() -> None:
    with pytest.raises(ValueError, match="needs a source"):
        ExportMetadata(title="t", source=" ", date=date(2026, 1, 1), licence=OGL_V3)
    with pytest.raises(ValueError, match="one line each"):
        ExportMetadata(title="t\nx", source="s", date=date(2026, 1, 1), licence=OGL_V3)
