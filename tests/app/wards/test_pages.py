"""Ward pages on the demo borough: list and search, profiles, maps with tables, suppression."""

from __future__ import annotations

import json
import re
from html import unescape
from typing import Any

from bs4 import BeautifulSoup
from sqlalchemy import delete, func, select

from app import create_app
from app.places.models import Area, Place
from app.wards.services import build_cache
from tests.app.wards.conftest import Demo
from tests.conftest import app_config
from tests.pages import parse

SERVICE = "Digital Inclusion Planner - Demo Borough Council"
MAP_DATA = re.compile(r"(geo_json_\w+)_add\((\{.*?\})\);\n", re.DOTALL)


def _map_layers(html: str) -> dict[str, dict[str, Any]]:
    """Each GeoJSON layer drawn by the page's map script, by its layer name."""
    script = html[html.index('<div class="folium-map"') :]
    names = dict(re.findall(r'"([^"\n]*)"\s*:\s*(geo_json_\w+),', script))
    data = {name: json.loads(text) for name, text in MAP_DATA.findall(script)}
    return {label: data[name] for label, name in names.items() if name in data}


def _table(soup: BeautifulSoup, key: str) -> dict[str, list[str]]:
    """Rows of the figure table ``key`` under a map: code (or name) -> cells."""
    holder = soup.select_one(f'[data-figure-table="{key}"]')
    assert holder is not None, f"no table {key}"
    rows = {}
    for row in holder.select("tbody tr"):
        cells = [cell.get_text(" ", strip=True) for cell in row.select("th, td")]
        rows[cells[1] or cells[0]] = cells
    return rows


def test_ward_list_links_every_ward_profile(demo: Demo) -> None:
    page = parse(demo.client("councillor").get("/wards/"))
    assert page.status == 200
    assert page.title == f"Ward profiles - {SERVICE}"
    assert page.h1 == "Ward profiles"
    links = {a["href"] for a in page.soup.select("table a.govuk-link")}
    assert links == {f"/wards/{code}" for code in demo.ward_codes}


def test_search_finds_wards_by_part_of_their_name(demo: Demo) -> None:
    code = demo.ward_codes[3]
    name = demo.ward_names[code]
    part = name.split()[0][1:4].upper()
    page = parse(demo.client("councillor").get(f"/wards/?q={part}"))
    found = [a.get_text(strip=True) for a in page.soup.select("table a.govuk-link")]
    assert name in found
    assert all(part.casefold() in ward.casefold() for ward in found)
    nothing = parse(demo.client("councillor").get("/wards/?q=zzqqxx"))
    assert "No ward's name contains “zzqqxx”" in nothing.text()
    assert not nothing.soup.select("table")


def test_a_search_too_long_shows_the_error_summary(demo: Demo) -> None:
    page = parse(demo.client("councillor").get("/wards/?q=" + "a" * 101))
    assert page.title.startswith("Error: ")
    assert page.error_summary == ["Ward name must be 100 characters or fewer"]


def test_profile_shows_every_section_with_the_ward_against_the_borough(demo: Demo) -> None:
    code = demo.ward_codes[2]
    page = parse(demo.client("planner").get(f"/wards/{code}"))
    assert page.h1 == demo.ward_names[code]
    assert page.title == f"{demo.ward_names[code]}: ward profile - {SERVICE}"
    headings = [h.get_text(strip=True) for h in page.soup.select("h2.govuk-heading-m")]
    for heading in (
        "Key figures",
        f"Map of {demo.ward_names[code]}",
        "Who is likely to be digitally excluded",
        "Barriers to getting online",
        "Broadband and mobile coverage gaps",
        "Places to get help and walking access",
        "Sessions held and help given",
        "Devices lent",
        "Recommended interventions",
    ):
        assert heading in headings
    # Every provider has data in the demo: no section says "not available yet".
    assert not page.soup.select("[data-not-available]")
    with demo.database.factory() as session:
        residents = session.scalar(
            select(func.sum(Area.population)).where(Area.kind == "lsoa", Area.ward_code == code)
        )
    key = page.soup.select_one('[data-section-figures="key"]')
    assert key is not None
    row = next(r for r in key.select("tbody tr") if r.th.get_text(strip=True) == "Residents")
    assert row.select("td")[0].get_text(strip=True) == f"{residents:,}"


def test_councillors_see_small_counts_suppressed_and_planners_see_them(demo: Demo) -> None:
    aggregates = json.loads(
        demo.client("planner").get("/api/v1/wards/aggregates").get_data(as_text=True)
    )
    devices = {
        ward["code"]: ward["figures"]["devices_on_loan"]["value"] for ward in aggregates["wards"]
    }
    small = next(code for code, n in devices.items() if n is not None and 0 < n < 10)

    def loans_cell(role: str) -> str:
        page = parse(demo.client(role).get(f"/wards/{small}"))
        section = page.soup.select_one('[data-section-figures="loans"]')
        assert section is not None
        return section.select("tbody tr td")[0].get_text(strip=True)

    assert loans_cell("planner") == f"{devices[small]:,.0f}"
    assert loans_cell("councillor") == "fewer than 10"


def test_interventions_show_their_reasons_to_planners_only(demo: Demo) -> None:
    code = demo.ward_codes[0]
    planner = parse(demo.client("planner").get(f"/wards/{code}"))
    councillor = parse(demo.client("councillor").get(f"/wards/{code}"))
    table = planner.soup.select_one('[data-section-table="interventions"]')
    assert table is not None and "residents" in table.get_text()
    hidden = councillor.soup.select_one('[data-section-table="interventions"]')
    assert hidden is not None and "shown to planners only" in hidden.get_text()


def test_borough_map_table_holds_the_numbers_the_map_draws(demo: Demo) -> None:
    response = demo.client("councillor").get("/wards/map")
    html = response.get_data(as_text=True)
    page = parse(response)
    assert page.h1 == "Ward maps of the borough"
    layers = _map_layers(html)
    drawn = layers["Walking access by ward: within 10 minutes"]
    table = _table(page.soup, "walk_10_min_ward")
    assert len(drawn["features"]) == len(demo.ward_codes)
    for feature in drawn["features"]:
        assert table[feature["id"]][2] == unescape(feature["properties"]["v"])
    circles = layers["Devices on loan now"]
    loans = _table(page.soup, "devices_on_loan_ward")
    names = {v: k for k, v in demo.ward_names.items()}
    for feature in circles["features"]:
        code = names[unescape(feature["properties"]["n"])]
        assert loans[code][2] == unescape(feature["properties"]["v"])
    assert any(row[2] == "fewer than 10" for row in loans.values())


def test_every_layer_page_is_under_a_megabyte_and_has_its_table(demo: Demo) -> None:
    client = demo.client("planner")
    layers = json.loads(client.get("/api/v1/layers").get_data(as_text=True))["layers"]
    assert {"choropleth", "circles", "cells", "raster"} <= {layer["kind"] for layer in layers}
    for layer in layers:
        response = client.get(f"/wards/maps/{layer['key']}")
        assert response.status_code == 200, layer["key"]
        assert len(response.get_data()) < 1_000_000, layer["key"]
        page = parse(response)
        assert page.h1 == layer["title"]
        assert page.soup.select_one(f'[data-figure-table="{layer["key"]}"]') is not None
    assert len(client.get("/wards/map").get_data()) < 1_000_000


def test_maps_work_without_tiles_and_load_only_local_scripts(demo: Demo) -> None:
    response = demo.client("councillor").get("/wards/map")
    html = response.get_data(as_text=True)
    assert "tile.openstreetmap.org" not in html
    assert "tile.openstreetmap.org" not in response.headers["Content-Security-Policy"]
    soup = BeautifulSoup(html, "html.parser")
    sources = [tag["src"] for tag in soup.select("script[src]")]
    assert "/static/leaflet/leaflet.js" in sources
    assert all(src.startswith("/static/") for src in sources)
    assert soup.select_one(".app-map .folium-map") is not None
    assert "dip-map-legends" in html and "Map key in words" in html
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])
    assert nonce is not None
    inline = [tag for tag in soup.select("script:not([src])") if tag.get_text().strip()]
    assert inline and all(tag.get("nonce") == nonce.group(1) for tag in inline)
    assert not soup.select("[style]") and not soup.select("style")


def test_maps_ask_for_tiles_when_online(demo: Demo) -> None:
    app = create_app(app_config(demo.database, MAP_TILES_ONLINE=True))
    client = app.test_client()
    sign_in_client = demo.users["councillor"]
    from tests.factories import sign_in

    sign_in(client, sign_in_client)
    response = client.get("/wards/map")
    assert "https://tile.openstreetmap.org" in response.headers["Content-Security-Policy"]
    assert "tile.openstreetmap.org" in response.get_data(as_text=True)


def test_map_styles_are_served_from_the_app(demo: Demo) -> None:
    client = demo.client("councillor")
    html = client.get("/wards/map").get_data(as_text=True)
    link = re.search(r'href="(/wards/map-styles/borough\.css\?v=\w+)"', html)
    assert link is not None
    styles = client.get(link.group(1))
    assert styles.status_code == 200 and styles.mimetype == "text/css"
    map_id = re.search(r'class="folium-map" id="(map_\w+)"', html)
    assert map_id is not None and f"#{map_id.group(1)}" in styles.get_data(as_text=True)
    assert client.get("/wards/map-styles/ward-E05999999.css").status_code == 404


def test_maps_are_cached_and_rebuilt_when_the_data_changes(demo: Demo) -> None:
    client = demo.client("planner")
    cache = build_cache(demo.app)
    client.get("/wards/map")
    hits = cache.hits
    client.get("/wards/map")
    assert cache.hits > hits
    with demo.database.factory() as session:
        source = session.scalars(select(Place)).first()
        assert source is not None
        session.add(
            Place(
                name="Brand New Hub",
                kind="community_centre",
                public_wifi=True,
                x_m=source.x_m + 5,
                y_m=source.y_m + 5,
                lon=source.lon,
                lat=source.lat,
                ward_code=source.ward_code,
                source="test",
                details={},
            )
        )
        session.commit()
    try:
        assert "Brand New Hub" in client.get("/wards/map").get_data(as_text=True)
    finally:
        with demo.database.factory() as session:
            session.execute(delete(Place).where(Place.name == "Brand New Hub"))
            session.commit()
    assert "Brand New Hub" not in client.get("/wards/map").get_data(as_text=True)
