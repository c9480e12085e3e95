"""Maps and exports of real ONS boundaries and OpenStreetMap features (../shared/data)."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from bs4 import BeautifulSoup

from geo.sources.venues import read_help_places, read_osm_masts
from maps.base import ONS_OGL_ATTRIBUTION, OSM_DATA_ATTRIBUTION, add_layer_control, base_map, fit_to
from maps.choropleth import choropleth_map
from maps.export import (
    OGL_V3,
    ONS_ATTRIBUTION,
    ExportMetadata,
    to_csv_bytes,
    to_geojson_bytes,
    to_geopackage_bytes,
)
from maps.layers import add_mobile_sites, add_public_wifi, add_venues, add_ward_circles
from maps.legend import map_legends
from maps.palettes import fixed_breaks
from maps.render import render_for_page
from tests.maps.support import embedded_properties, render
from tests.shared_data import SHARED_DATA

pytestmark = pytest.mark.realdata

HOUNSLOW_WARDS = SHARED_DATA / "hounslow_wards_2023.geojson"
HOUNSLOW_LSOA21 = SHARED_DATA / "boundaries" / "hounslow_lsoa2021.geojson"
HOUNSLOW_LSOA11 = SHARED_DATA / "boundaries_2011" / "hounslow_lsoa2011.geojson"
HOUNSLOW_OA11 = SHARED_DATA / "boundaries_2011" / "hounslow_oa2011.geojson"
RUTLAND_WARDS = SHARED_DATA / "rutland" / "rutland_wards_2023.geojson"
RUTLAND_POIS = SHARED_DATA / "osm" / "rutland_community_digital_pois_2018.geojson"
DERI = SHARED_DATA / "digital_exclusion" / "deri_v1.6_depahri_lsoa11_target_lads.csv"
ASSETS = {"leaflet": "/static/leaflet/leaflet.js", "leaflet_css": "/static/leaflet/leaflet.css"}
NONCE = "dGVzdC1ub25jZS0xMjM0"
METADATA = ExportMetadata(
    title="Hounslow LSOAs (2021)",
    source="ONS Open Geography Portal, LSOA December 2021 boundaries",
    date=date(2022, 12, 1),
    licence=OGL_V3,
    attribution=(ONS_ATTRIBUTION,),
)


def _wards(path: Path) -> gpd.GeoDataFrame:
    wards = gpd.read_file(path).to_crs("EPSG:27700")
    return wards.assign(area_km2=wards.area / 1e6)


def _check_page(m) -> None:
    fragment = render_for_page(m, nonce=NONCE, asset_urls=ASSETS)
    page = BeautifulSoup(fragment.head_html() + fragment.body_html(), "html.parser")
    for tag in page.find_all(["script", "link"]):
        url = tag.get("src") or tag.get("href")
        assert url is None or not url.startswith(("http:", "https:", "//"))
    assert all(tag.get("nonce") == NONCE for tag in page.find_all("script"))
    assert page.find("style") is None


@pytest.mark.parametrize(("path", "count"), [(HOUNSLOW_WARDS, 22), (RUTLAND_WARDS, 15)])
def test_ward_choropleth_shows_every_ward_with_its_figure(path: Path, count: int) -> None:
    wards = _wards(path)
    m = choropleth_map(
        wards,
        "area_km2",
        code_column="WD23CD",
        name_column="WD23NM",
        area_label="Ward",
        title="Ward size",
        legend_title="Ward area (square kilometres)",
        high_label="Larger wards",
        tiles=False,
    )
    html = render(m)
    properties = embedded_properties(html)
    assert len(properties) == count
    assert sorted(p["c"] for p in properties) == sorted(wards["WD23CD"])
    first = wards.iloc[0]
    assert properties[0]["v"] == f"{first['area_km2']:,.1f}"
    (legend,) = map_legends(m)
    assert sum(entry.count or 0 for entry in legend.entries) == count
    assert "Larger wards" in html and legend.entries[0].label in html
    _check_page(m)


def test_ward_names_with_ampersands_reach_the_tooltip_escaped() -> None:
    html = render(
        choropleth_map(
            _wards(HOUNSLOW_WARDS),
            "area_km2",
            code_column="WD23CD",
            name_column="WD23NM",
            title="Ward size",
            legend_title="Ward area",
            tiles=False,
        )
    )
    names = {p["c"]: p["n"] for p in embedded_properties(html)}
    assert names["E05013627"] == "Syon &amp; Brentford Lock"


def test_lsoa_exclusion_index_with_suppressed_areas() -> None:
    lsoas = gpd.read_file(HOUNSLOW_LSOA11)
    deri = pd.read_csv(DERI)
    joined = lsoas.merge(deri, left_on="LSOA11CD", right_on="lsoa11_code", how="left")
    assert len(joined) == 142 and joined["deri_score_national"].notna().all()
    hidden = joined["LSOA11CD"].isin(["E01002555", "E01002556"])
    m = choropleth_map(
        joined,
        "deri_score_national",
        code_column="LSOA11CD",
        name_column="LSOA11NM",
        title="Digital exclusion risk",
        legend_title="Digital Exclusion Risk Index (DERI), 0 to 5",
        classes=fixed_breaks([0, 1, 2, 3, 4, 5], scheme="YlOrRd"),
        high_label="Higher risk of digital exclusion",
        suppressed_mask=pd.Series(hidden.to_numpy(), index=joined.index),
        tiles=True,
    )
    html = render(m)
    properties = {p["c"]: p["v"] for p in embedded_properties(html)}
    assert len(properties) == 142
    assert properties["E01002555"] == "Not shown: too few to report"
    hidden_score = joined.loc[joined["LSOA11CD"] == "E01002555", "deri_score_national"].iloc[0]
    # No raw score reaches the page, and a suppressed one not even rounded.
    assert str(hidden_score) not in html
    (legend,) = map_legends(m)
    assert sum(entry.count or 0 for entry in legend.entries) == 142
    _check_page(m)


def test_output_area_page_stays_under_one_megabyte() -> None:
    oas = gpd.read_file(HOUNSLOW_OA11)
    oas = oas.assign(index=range(len(oas)))
    m = choropleth_map(
        oas, "index", code_column="OA11CD", title="OAs", legend_title="Row", tiles=True
    )
    html = render(m)
    assert len({p["c"] for p in embedded_properties(html)}) == 714
    assert len(html.encode("utf-8")) < 1_000_000


def test_rutland_overlays_from_openstreetmap() -> None:
    wards = _wards(RUTLAND_WARDS)
    places = read_help_places(RUTLAND_POIS, source_date=date(2018, 2, 27))
    masts = read_osm_masts(RUTLAND_POIS, source_date=date(2018, 2, 27))
    m = base_map(tiles=False, attribution=(ONS_OGL_ATTRIBUTION, OSM_DATA_ATTRIBUTION))
    legends = add_venues(m, places)
    legends.append(add_public_wifi(m, places))
    legends.append(add_mobile_sites(m, masts))
    wards["sessions"] = range(len(wards))
    legends.append(
        add_ward_circles(
            m,
            wards,
            "sessions",
            code_column="WD23CD",
            name_column="WD23NM",
            layer_name="Champions' help sessions",
            legend_title="Help sessions this month",
        )
    )
    add_layer_control(m)
    fit_to(m, wards)
    assert [legend.entries[0].count for legend in legends[:3]] == [7, 2, 27]
    html = render(m)
    assert "Rutland County Library" in html
    assert "Open Database Licence" in html
    assert map_legends(m) == legends
    _check_page(m)


def test_lsoa_layer_exports_round_trip(tmp_path: Path) -> None:
    lsoas = gpd.read_file(HOUNSLOW_LSOA21).to_crs("EPSG:27700")
    document = json.loads(to_geojson_bytes(lsoas, metadata=METADATA))
    assert "crs" not in document and document["metadata"]["date"] == "2022-12-01"
    assert len(document["features"]) == 150
    for feature in document["features"]:
        shape = shapely.geometry.shape(feature["geometry"])
        for polygon in shapely.get_parts(shape):
            assert polygon.exterior.is_ccw
            assert not any(ring.is_ccw for ring in polygon.interiors)
    path = tmp_path / "lsoa.gpkg"
    path.write_bytes(to_geopackage_bytes(lsoas, layer="hounslow_lsoa21", metadata=METADATA))
    back = gpd.read_file(path)
    assert len(back) == 150 and back.crs.to_epsg() == 27700
    assert back["LSOA21CD"].tolist() == lsoas["LSOA21CD"].tolist()
    table = pd.read_csv(
        io.BytesIO(to_csv_bytes(lsoas, metadata_lines=METADATA)), skiprows=5, encoding="utf-8-sig"
    )
    assert table["LSOA21CD"].tolist() == lsoas["LSOA21CD"].tolist()
