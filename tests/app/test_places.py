"""The place model through the CLI and the planner pages, on real Rutland and Hounslow files."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import Result
from flask import Flask
from sqlalchemy import func, select

from app.places.models import Area, AreaAccess, Place, PlaceCatchment, Premises, PremisesAccess
from tests.databases import Database
from tests.factories import make_user, sign_in
from tests.pages import parse
from tests.shared_data import SHARED_DATA

RUTLAND = SHARED_DATA / "rutland"


def geo(app: Flask, *args: str | Path) -> Result:
    return app.test_cli_runner().invoke(args=["geo", *[str(arg) for arg in args]])


def test_rutland_from_files_to_walking_access(app: Flask, db: Database) -> None:
    assert geo(app, "import-areas", RUTLAND / "rutland_wards_2023.geojson").exit_code == 0
    result = geo(app, "import-areas", RUTLAND / "rutland_lsoa2021.geojson")
    assert "Loaded 26 lsoa areas (LSOA21" in result.output
    result = geo(app, "import-population", RUTLAND / "rutland_population_age_lsoa.csv")
    assert "Population attached to 26 areas (41,043 residents" in result.output
    result = geo(
        app, "import-osm", SHARED_DATA / "osm" / "rutland-2018-02-27.osm.pbf", "--mode", "walk"
    )
    assert result.exit_code == 0, result.output
    assert "Loaded the walking network" in result.output
    result = geo(app, "import-premises", "--estimate")
    assert result.exit_code == 0, result.output
    assert "(flagged as estimates)" in result.output
    result = geo(
        app, "import-places", SHARED_DATA / "osm" / "rutland_community_digital_pois_2018.geojson"
    )
    assert result.exit_code == 0, result.output
    # No street cabinets are published for Rutland, so only the walking-access stage can run.
    result = geo(app, "model", "--only", "access")
    assert result.exit_code == 0, result.output
    assert "0 premises not connected to a venue" in result.output

    with db.factory() as session:
        wards = session.scalar(select(func.count()).select_from(Area).where(Area.kind == "ward"))
        assert wards == 15
        lsoa_wards = session.execute(
            select(Area.code, Area.ward_code).where(Area.kind == "lsoa")
        ).all()
        assert len(lsoa_wards) == 26 and all(ward for _code, ward in lsoa_wards)
        premises = session.scalar(select(func.count()).select_from(Premises))
        # one estimated premises per 2.4 residents, per LSOA
        assert abs(premises - 41_043 / 2.4) < 26
        assert (
            session.scalar(select(func.count()).select_from(Premises).where(~Premises.is_estimate))
            == 0
        )
        assert session.scalar(select(func.count()).select_from(PremisesAccess)) == premises
        assert (
            session.scalar(
                select(func.count()).select_from(AreaAccess).where(AreaAccess.kind == "ward")
            )
            == 45
        )
        places = session.scalar(select(func.count()).select_from(Place))
        assert places >= 5
        assert session.scalar(select(func.count()).select_from(PlaceCatchment)) == places * 3
        oakham = session.scalars(select(Place).where(Place.name.like("%Library%"))).first()
        assert oakham is not None and oakham.ward_code is not None
        geometry = json.loads(
            session.scalars(select(Area.geometry).where(Area.kind == "ward")).first() or "{}"
        )
        assert geometry["type"] in {"Polygon", "MultiPolygon"}

    planner = app.test_client()
    with db.factory() as session:
        sign_in(planner, make_user(session, roles=["planner"]))
    page = parse(planner.get("/places/access"))
    assert page.h1 == "Walking access to help venues by ward"
    assert "Oakham North West" in page.text()
    links = {a.get_text(strip=True): a["href"] for a in page.soup.select("table a.govuk-link")}
    assert links["Oakham North West"].startswith("/places/access/E05")
    assert "(estimated)" in page.text()
    areas = parse(planner.get("/places/areas")).text()
    assert "WD23" in areas and "LSOA21" in areas and "rutland_wards_2023.geojson" in areas
    download = planner.get("/places/access.csv")
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.get_data(as_text=True).count("\nE05") == 15


def test_hounslow_has_22_wards(app: Flask, db: Database) -> None:
    result = geo(app, "import-areas", SHARED_DATA / "hounslow_wards_2023.geojson")
    assert "Loaded 22 ward areas (WD23" in result.output
    with db.factory() as session:
        stored = session.scalars(select(Area.geometry).where(Area.code == "E05013606")).one()
    import shapely

    outer = shapely.from_geojson(stored)
    polygon = outer.geoms[0] if outer.geom_type == "MultiPolygon" else outer
    assert polygon.exterior.is_ccw, "RFC 7946: outer rings counter-clockwise"


def test_a_file_that_is_not_geographic_is_refused_and_nothing_is_stored(
    app: Flask, db: Database, tmp_path: Path
) -> None:
    bad = tmp_path / "wards.geojson"
    bad.write_text("this is not GeoJSON")
    result = geo(app, "import-areas", bad)
    assert result.exit_code != 0
    assert "wards.geojson" in result.output and "Nothing was stored." in result.output
    with db.factory() as session:
        assert session.scalar(select(func.count()).select_from(Area)) == 0


def test_a_file_without_an_ons_code_column_is_refused(app: Flask, tmp_path: Path) -> None:
    bad = tmp_path / "no_codes.geojson"
    bad.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "Somewhere"},
                        "geometry": {
                            "type": "Polygon",
                            "coordinates": [
                                [[-0.7, 52.6], [-0.69, 52.6], [-0.69, 52.61], [-0.7, 52.6]]
                            ],
                        },
                    }
                ],
            }
        )
    )
    result = geo(app, "import-areas", bad)
    assert result.exit_code != 0
    assert "no_codes.geojson" in result.output


def test_the_model_says_which_layer_is_missing_and_how_to_load_it(app: Flask) -> None:
    result = geo(app, "model")
    assert result.exit_code != 0
    assert "There is no walking network" in result.output
    assert "geo import-osm" in result.output


def test_estimating_premises_without_population_says_what_to_load(app: Flask) -> None:
    geo(app, "import-areas", RUTLAND / "rutland_wards_2023.geojson")
    geo(app, "import-osm", SHARED_DATA / "osm" / "oakham_rutland_2018.osm", "--mode", "walk")
    result = geo(app, "import-premises", "--estimate")
    assert result.exit_code != 0
    assert "geo import-population" in result.output
