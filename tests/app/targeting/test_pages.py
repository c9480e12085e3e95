"""Targeting pages: build a scenario, see its progress and results, save, compare, export."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.targeting import jobs, services
from app.targeting.models import Scenario
from core.clock import now_utc
from tests.app.targeting.conftest import client_as
from tests.app.targeting.helpers import CANDIDATES, EMPTY_WARD, WARD, X0, Y0
from tests.databases import Database
from tests.pages import parse

GOOD: dict[str, Any] = {
    "name": "Ring, 3 minutes",
    "wards": [WARD],
    "level": "ward",
    "budget_gbp": "£20,000",
    "walk_min": "3",
    "k": "2",
    "share_pct": "90",
    "online_gbp": "0.32",
    "face_to_face_gbp": "7.40",
    "transactions_per_year": "4",
}


def _count(database: Database) -> int:
    with database.factory() as session:
        return int(session.scalar(select(func.count()).select_from(Scenario)) or 0)


def _run(client: FlaskClient, **changes: Any) -> str:
    """Post a good scenario (with changes), wait for its run; return its public id."""
    response = client.post("/targeting/new", data={**GOOD, **changes})
    assert response.status_code == 302, parse(response).error_summary
    location = response.headers["Location"]
    public_id = location.rstrip("/").split("/")[-1]
    assert jobs.wait(public_id, timeout_s=120)
    return public_id


@pytest.fixture(scope="module")
def planner(world: Flask, database: Database) -> FlaskClient:
    return client_as(world, database, "planner")


@pytest.fixture(scope="module")
def finished(planner: FlaskClient) -> str:
    """One scenario run through the pages (not saved yet)."""
    return _run(planner)


# ---- the new scenario form ----------------------------------------------------------------------


def test_new_scenario_form_offers_every_ward_ticked_and_sensible_defaults(
    planner: FlaskClient,
) -> None:
    page = parse(planner.get("/targeting/new"))
    assert page.status == 200
    assert page.title.startswith("New scenario - ")
    assert page.h1 == "New scenario"
    ticked = {box["value"] for box in page.soup.select("input[name=wards][checked]")}
    assert ticked == {WARD, EMPTY_WARD}
    assert page.soup.select_one("#walk_min")["value"] == "15"
    assert page.soup.select_one('form[action="/targeting/new"]')["enctype"] == "multipart/form-data"
    assert page.soup.select_one('form[action="/targeting/new"]').has_attr("novalidate")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "Enter a name for the scenario"),
        ("budget_gbp", "", "Enter a budget"),
        ("budget_gbp", "lots", "Budget must be a number, like 50000"),
        ("budget_gbp", "0", "Budget must be between £1 and £1,000,000,000"),
        ("budget_gbp", "2000000000", "Budget must be between £1 and £1,000,000,000"),
        ("walk_min", "0", "Walking time must be between 1 and 60 minutes"),
        ("walk_min", "61", "Walking time must be between 1 and 60 minutes"),
        ("walk_min", "7.5", "Walking time must be a whole number, like 15"),
        ("k", "0", "Number of new venues must be between 1 and 50"),
        ("k", "51", "Number of new venues must be between 1 and 50"),
        ("k", "6", "Number of new venues must be 5 or fewer"),
        ("share_pct", "0", "Share to reach must be between 1% and 100%"),
        ("share_pct", "101", "Share to reach must be between 1% and 100%"),
        ("online_gbp", "-1", "Cost of a transaction online must be between £0 and £1,000"),
        ("face_to_face_gbp", "0.10", "face_to_face_gbp must be more than online_gbp"),
        ("transactions_per_year", "400", "Transactions a year must be between 0 and 365"),
        ("level", "county", "Select whether to plan for each ward or neighbourhood"),
    ],
)
def test_bad_values_get_a_message_on_their_field_and_nothing_is_saved(
    planner: FlaskClient, database: Database, field: str, value: str, message: str
) -> None:
    before = _count(database)
    page = parse(planner.post("/targeting/new", data={**GOOD, field: value}))
    assert page.status == 200
    assert page.title.startswith("Error: ")
    assert any(message in item for item in page.error_summary), page.error_summary
    assert message in page.field_error(field)
    assert _count(database) == before


def test_no_ward_chosen(planner: FlaskClient) -> None:
    data = {key: value for key, value in GOOD.items() if key != "wards"}
    page = parse(planner.post("/targeting/new", data=data))
    assert page.error_summary == ["Select at least one ward"]
    assert page.field_error("wards") == "Select at least one ward"


def test_wards_with_no_data_get_a_clear_message_and_nothing_is_saved(
    planner: FlaskClient, database: Database
) -> None:
    before = _count(database)
    page = parse(planner.post("/targeting/new", data={**GOOD, "wards": [EMPTY_WARD]}))
    assert page.title.startswith("Error: ")
    assert "The wards you chose have no data to plan with" in page.field_error("wards")
    assert "Surveys > Import" in page.field_error("wards")
    assert _count(database) == before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("kind,x_m,y_m\nschool,450000,250000\n", "no 'name' column"),
        ("name,x_m,y_m\nHall,450000,250000\n", "no 'kind' column"),
        ("name,kind\nHall,school\n", "no coordinate columns: add x_m and y_m"),
        ("name,kind,x_m,y_m\nHall,castle,450000,250000\n", "the kind is not recognised"),
    ],
)
def test_a_candidate_file_with_missing_columns_is_refused_naming_them(
    planner: FlaskClient, database: Database, text: str, message: str
) -> None:
    before = _count(database)
    upload = (io.BytesIO(text.encode()), "candidates.csv")
    page = parse(
        planner.post(
            "/targeting/new",
            data={**GOOD, "candidates": upload},
            content_type="multipart/form-data",
        )
    )
    assert page.title.startswith("Error: ")
    assert message in page.field_error("candidates")
    assert "candidates.csv" in page.field_error("candidates")
    assert _count(database) == before


def test_a_candidate_file_that_is_not_csv_is_refused(planner: FlaskClient) -> None:
    upload = (io.BytesIO(b"{}"), "candidates.json")
    page = parse(
        planner.post(
            "/targeting/new",
            data={**GOOD, "candidates": upload},
            content_type="multipart/form-data",
        )
    )
    assert page.field_error("candidates") == "The candidate file must be a CSV file"


# ---- running and the results ---------------------------------------------------------------------


def test_a_queued_scenario_shows_its_progress_without_blocking(
    world: Flask, database: Database, planner: FlaskClient
) -> None:
    with database.factory() as session:
        scenario = services.create_scenario(
            session,
            services.ScenarioRequest(name="Waiting", ward_codes=(WARD,), walk_min=3, k=1),
            by_id=None,
            by_name="Tester",
            now=now_utc(),
        )
        session.commit()
        public_id = scenario.public_id
    page = parse(planner.get(f"/targeting/scenarios/{public_id}"))
    assert page.h1 == "Waiting"
    box = page.soup.select_one("[data-targeting-status]")
    assert box is not None and box["data-targeting-status"].endswith("/status.json")
    assert page.soup.select_one("[role=status]").get_text(strip=True).startswith("0% done")
    refresh = page.soup.find("a", string="Refresh this page")
    assert refresh is not None and refresh["href"] == f"/targeting/scenarios/{public_id}"
    assert page.soup.select_one('script[src$="js/targeting.js"]') is not None
    # The progress script is a module from /static; the only inline script is the template's.
    assert all(script.has_attr("nonce") for script in page.soup.select("script:not([src])"))
    state = planner.get(f"/targeting/scenarios/{public_id}/status.json").get_json()
    assert state == {
        "status": "queued",
        "label": "Waiting to start",
        "progress": 0,
        "text": "Waiting to start",
        "finished": False,
    }


def test_the_result_page_shows_the_plan_the_venues_and_a_map(
    planner: FlaskClient, finished: str
) -> None:
    page = parse(planner.get(f"/targeting/scenarios/{finished}"))
    assert page.status == 200
    assert page.h1 == GOOD["name"]
    text = page.text()
    assert "Costed plan" in text and "Budget £20,000" in text
    assert "Estimated adults who are 'Offline Olive'" in text  # the survey weighting, said
    sites = page.soup.select_one('[data-table="sites"]').get_text(" ", strip=True)
    assert "B" in sites and "D" in sites
    methods = page.soup.select_one('[data-table="methods"]').get_text(" ", strip=True)
    assert "Optimal (proven)" in methods and "Not proven optimal, gap" in methods
    assert page.soup.select_one(".app-map .folium-map") is not None
    css = [
        link["href"]
        for link in page.soup.select("link[rel=stylesheet]")
        if "/map.css" in link["href"]
    ]
    assert len(css) == 1
    response = planner.get(css[0])
    assert response.status_code == 200 and response.mimetype == "text/css"
    assert "#map_" in response.get_data(as_text=True)
    # The same numbers as tables under the map.
    assert page.soup.select_one('[data-table="map_plan"]') is not None
    reach = page.soup.select_one('[data-table="map_reach"]').get_text(" ", strip=True)
    assert "Ringside" in reach and "90%" in reach
    # Not saved yet: the save form is offered.
    assert page.soup.select_one("form[action$='/save'] input[name=name]")["value"] == GOOD["name"]


def test_a_plan_per_lsoa(planner: FlaskClient, database: Database) -> None:
    public_id = _run(planner, level="lsoa", name="Per LSOA")
    with database.factory() as session:
        scenario = services.find_scenario(session, public_id)
        assert scenario is not None and scenario.results is not None
        plan = scenario.results["plan"]
    assert plan["level"] == "lsoa"
    assert [area["area_code"] for area in plan["areas"]] == ["E01900901"]
    page = parse(planner.get(f"/targeting/scenarios/{public_id}"))
    assert "Neighbourhood (LSOA)" in page.soup.select_one('[data-table="plan_areas"]').get_text()


def test_save_needs_a_name_then_keeps_the_scenario(
    planner: FlaskClient, database: Database
) -> None:
    public_id = _run(planner, name="To keep")
    page = parse(planner.post(f"/targeting/scenarios/{public_id}/save", data={"name": ""}))
    assert page.title.startswith("Error: ")
    assert page.field_error("name") == "Enter a name for the scenario"
    response = planner.post(f"/targeting/scenarios/{public_id}/save", data={"name": "Kept: ring"})
    assert response.status_code == 302
    with database.factory() as session:
        scenario = services.find_scenario(session, public_id)
        assert scenario is not None and scenario.saved and scenario.name == "Kept: ring"
    listing = parse(planner.get("/targeting/"))
    saved = listing.soup.find("caption", string=re.compile("Saved scenarios")).find_parent("table")
    assert "Kept: ring" in saved.get_text()


def test_councillors_read_saved_scenarios_only_with_small_numbers_hidden(
    world: Flask, database: Database, planner: FlaskClient
) -> None:
    draft = _run(planner, name="Draft only")
    kept = _run(planner, name="Shared")
    planner.post(f"/targeting/scenarios/{kept}/save", data={"name": "Shared"})
    councillor = client_as(world, database, "councillor")
    assert councillor.get(f"/targeting/scenarios/{draft}").status_code == 404
    assert councillor.get("/targeting/new").status_code == 403
    page = parse(councillor.get(f"/targeting/scenarios/{kept}"))
    assert page.status == 200
    assert "are not shown, to protect privacy" in page.text()
    assert page.soup.select_one("form[action$='/save']") is None
    assert page.soup.select_one("form[action$='/delete']") is None
    buys = page.soup.select_one('[data-table="plan_areas"]').get_text(" ", strip=True)
    units = re.compile(r"\d[\d,]* (courses?|devices?|SIMs?|switch(es)?|vouchers?|residents;)")
    assert units.search(buys) is None  # what is bought is named, not counted
    staff = parse(planner.get(f"/targeting/scenarios/{kept}"))
    assert units.search(staff.soup.select_one('[data-table="plan_areas"]').get_text(" "))
    listing = parse(councillor.get("/targeting/"))
    assert "Shared" in listing.text() and "Draft only" not in listing.text()


def test_compare_two_scenarios_side_by_side(planner: FlaskClient) -> None:
    first = _run(planner, name="Compare one", k="1")
    second = _run(planner, name="Compare two", k="2")
    page = parse(planner.get(f"/targeting/compare?first={first}&second={second}"))
    assert page.status == 200 and page.h1 == "Compare two scenarios"
    table = page.soup.select_one('[data-table="compare"]')
    head = [cell.get_text(strip=True) for cell in table.select("thead th")]
    assert head[1:] == ["Compare one", "Compare two"]
    rows = {
        row.select_one("th").get_text(strip=True): [
            td.get_text(strip=True) for td in row.select("td")
        ]
        for row in table.select("tbody tr")
    }
    assert rows["New venues asked for"] == ["1", "2"]
    assert rows["New venues chosen"][0] == "C"
    same = parse(planner.get(f"/targeting/compare?first={first}&second={first}"))
    assert same.field_error("second") == "Select two different scenarios"


def _read_gpkg(data: bytes, folder: Path) -> gpd.GeoDataFrame:
    path = folder / f"download-{len(list(folder.iterdir()))}.gpkg"
    path.write_bytes(data)
    return gpd.read_file(path)


def test_downloads_read_back(planner: FlaskClient, finished: str, tmp_path: Path) -> None:
    base = f"/targeting/scenarios/{finished}/download"
    response = planner.get(f"{base}/areas.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    notes = [row[0] for row in rows if len(row) == 1 and row[0].startswith("# ")]
    assert any(line.startswith("# Licence: Open Government Licence v3.0") for line in notes)
    assert any("exact answer optimal" in line for line in notes)
    areas = pd.read_csv(io.StringIO(text.lstrip("\ufeff")), skiprows=len(notes))
    assert list(areas["area_code"]) == [WARD]
    assert areas.loc[0, "share_within_walk_with_new_venues"] == pytest.approx(0.9)
    gpkg = planner.get(f"{base}/sites.gpkg")
    assert gpkg.status_code == 200
    sites = _read_gpkg(gpkg.data, tmp_path)
    assert sites.crs.to_epsg() == 27700
    chosen = sites[sites["answer"] == "most reached with k new venues"]
    assert sorted(chosen["name"]) == ["B", "D"]
    where = {name: (x, y) for name, x, y in CANDIDATES}
    for name, point in zip(chosen["name"], chosen.geometry, strict=True):
        assert (point.x - X0, point.y - Y0) == pytest.approx(where[name])
    polygons = _read_gpkg(planner.get(f"{base}/areas.gpkg").data, tmp_path)
    assert list(polygons["area_code"]) == [WARD]
    assert polygons.geometry.iloc[0].area == pytest.approx(700.0 * 700.0, rel=1e-3)
    assert planner.get(f"{base}/lines.gpkg").status_code == 404
    assert planner.get(f"{base}/other.csv").status_code == 404


def test_an_uploaded_candidate_is_considered(planner: FlaskClient, database: Database) -> None:
    # A school on the 1,200 m group reaches that group alone (25 residents): it is a candidate
    # like the centres, but C (55) is the best single venue.
    csv_text = f"name,kind,x_m,y_m\nRing School,school,{X0 + 300},{Y0 + 500}\n"
    upload = (io.BytesIO(csv_text.encode()), "extra.csv")
    response = planner.post(
        "/targeting/new",
        data={**GOOD, "name": "With upload", "k": "1", "candidates": upload},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    public_id = response.headers["Location"].rstrip("/").split("/")[-1]
    jobs.wait(public_id)
    page = parse(planner.get(f"/targeting/scenarios/{public_id}"))
    assert "extra.csv (1 buildings)" in page.text()
    assert "Candidate buildings considered 6" in page.text()
    with database.factory() as session:
        scenario = services.find_scenario(session, public_id)
        assert scenario is not None and scenario.results is not None
        siting = scenario.results["siting"]
    assert siting["candidate_origins"] == {"place": 5, "uploaded": 1}
    assert siting["mclp"]["exact"]["sites"] == ["C"]


def test_delete_a_scenario(planner: FlaskClient, database: Database) -> None:
    public_id = _run(planner, name="To delete")
    response = planner.post(f"/targeting/scenarios/{public_id}/delete")
    assert response.status_code == 302
    with database.factory() as session:
        assert services.find_scenario(session, public_id) is None
    assert planner.get(f"/targeting/scenarios/{public_id}").status_code == 404


# ---- intervention rules ----------------------------------------------------------------------------


def test_change_an_intervention_and_new_scenarios_use_it(
    planner: FlaskClient, database: Database
) -> None:
    page = parse(planner.get("/targeting/interventions/device_loans"))
    assert page.h1 == "Change Device loans"
    assert page.soup.select_one("#unit_cost_gbp")["value"] == "350"
    bad = parse(
        planner.post(
            "/targeting/interventions/device_loans",
            data={
                "enabled": "yes",
                "ring_fenced": "no",
                "unit_cost_gbp": "free",
                "reach_per_unit": "3",
                "take_up_pct": "50",
            },
        )
    )
    assert bad.field_error("unit_cost_gbp") == "Cost of one unit must be a number, like 350"
    response = planner.post(
        "/targeting/interventions/device_loans",
        data={
            "enabled": "yes",
            "ring_fenced": "no",
            "unit_cost_gbp": "210",
            "reach_per_unit": "3",
            "take_up_pct": "60",
        },
    )
    assert response.status_code == 302
    listing = parse(planner.get("/targeting/interventions"))
    assert "£210.00" in listing.text()
    public_id = _run(planner, name="After the change")
    with database.factory() as session:
        scenario = services.find_scenario(session, public_id)
        assert scenario is not None and scenario.results is not None
        rules = {rule["key"]: rule for rule in scenario.results["plan"]["rules"]}
        assert (
            scenario.parameters["interventions"]["interventions"]["device_loans"]["unit_cost_gbp"]
            == 210.0
        )
    assert rules["device_loans"]["unit_cost_gbp"] == 210.0
    assert rules["device_loans"]["take_up"] == pytest.approx(0.6)
    assert planner.post("/targeting/interventions/reset").status_code == 302
    assert "£350.00" in parse(planner.get("/targeting/interventions")).text()
    assert planner.get("/targeting/interventions/no_such_thing").status_code == 404
