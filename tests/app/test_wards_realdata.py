"""Ward pages and the API on real boundaries: Hounslow's 22 wards and Rutland's 15 with LSOAs.

Boundaries go in through the real ``geo import-areas`` command; with nothing modelled yet every
profile section says it is not available, and nothing fails.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import Result
from flask import Flask
from sqlalchemy import func, select

from app.places.models import Area
from tests.app.wards.test_api import assert_rfc7946
from tests.databases import Database
from tests.factories import make_user, sign_in
from tests.pages import parse
from tests.shared_data import SHARED_DATA

RUTLAND = SHARED_DATA / "rutland"


def geo(app: Flask, *args: str | Path) -> Result:
    result = app.test_cli_runner().invoke(args=["geo", *[str(arg) for arg in args]])
    assert result.exit_code == 0, result.output
    return result


def test_hounslow_wards_have_a_map_profiles_and_clean_geojson(app: Flask, db: Database) -> None:
    geo(app, "import-areas", SHARED_DATA / "hounslow_wards_2023.geojson")
    with db.factory() as session:
        councillor = make_user(session, roles=["councillor"])
    client = app.test_client()
    sign_in(client, councillor)

    wards = parse(client.get("/wards/"))
    assert "All 22 wards" in wards.text()
    assert len(wards.soup.select("table tbody tr")) == 22

    borough = client.get("/wards/map")
    assert borough.status_code == 200
    assert 'class="folium-map"' in borough.get_data(as_text=True)

    page = parse(client.get("/wards/E05013606"))
    assert page.h1 == "Bedfont"
    missing = {tag["data-not-available"] for tag in page.soup.select("[data-not-available]")}
    assert {"personas", "coverage", "sessions", "loans", "interventions"} <= missing
    assert "Not available yet: broadband and mobile coverage have not been modelled." in page.text()

    search = parse(client.get("/wards/?q=brent"))
    assert [a.get_text(strip=True) for a in search.soup.select("table a")] == [
        "Brentford East",
        "Brentford West",
        "Syon & Brentford Lock",
    ]

    # The shared file has clockwise rings and a crs member: what is served is RFC 7946.
    collection = json.loads(client.get("/api/v1/areas").get_data(as_text=True))
    assert_rfc7946(collection)
    assert len(collection["features"]) == 22


def test_rutland_profiles_add_up_census_residents_from_the_lsoas(app: Flask, db: Database) -> None:
    geo(app, "import-areas", RUTLAND / "rutland_wards_2023.geojson")
    geo(app, "import-areas", RUTLAND / "rutland_lsoa2021.geojson")
    geo(app, "import-population", RUTLAND / "rutland_population_age_lsoa.csv")
    with db.factory() as session:
        planner = make_user(session, roles=["planner"])
        oakham_south = session.scalar(
            select(Area.code).where(Area.kind == "ward", Area.name == "Oakham South")
        )
        residents = session.scalar(
            select(func.sum(Area.population)).where(
                Area.kind == "lsoa", Area.ward_code == oakham_south
            )
        )
    client = app.test_client()
    sign_in(client, planner)

    aggregates = json.loads(client.get("/api/v1/wards/aggregates").get_data(as_text=True))
    assert len(aggregates["wards"]) == 15
    assert aggregates["borough"]["residents"]["value"] == 41_043

    page = parse(client.get(f"/wards/{oakham_south}"))
    assert page.h1 == "Oakham South"
    key = page.soup.select_one('[data-section-figures="key"]')
    assert key is not None
    cells = [td.get_text(strip=True) for td in key.select("tbody tr")[0].select("td")]
    assert cells[0] == f"{residents:,}"
    assert cells[1] == f"{41_043 / 15:,.0f} (average ward)"

    lsoas = json.loads(client.get("/api/v1/areas?kind=lsoa").get_data(as_text=True))
    assert_rfc7946(lsoas)
    assert len(lsoas["features"]) == 26
    assert client.get("/wards/map").status_code == 200
    assert client.get(f"/wards/downloads/ward-{oakham_south}.html").status_code == 200
