"""The planner's targeting journey in a real browser, checked with axe-core at every step.

A planner builds a scenario on the demo borough (first with a mistake), watches it run, reads
the costed plan and the new venues as tables and on the map, saves it under a new name and
downloads it as CSV and GeoPackage.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, assert_accessible, sign_in_as, visit

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module", autouse=True)
def demo_survey(live_server: LiveServer) -> Iterator[None]:
    """The demo survey on the live server, so the plan has estimates to cost.

    The browser database is built by the Alembic migrations; until the survey and targeting
    tables have a migration, create them here (``create_all`` only adds missing tables).  The
    survey loader skips a second go.
    """
    from app.models import metadata
    from app.surveys import load_demo

    metadata.create_all(live_server.app.extensions["db_engine"])
    with live_server.app.app_context():
        load_demo(seed=2027, echo=lambda _message: None)
    yield


def test_a_planner_builds_saves_and_exports_a_scenario(
    page: Page, live_server: LiveServer, tmp_path: Path
) -> None:
    sign_in_as(page, live_server, "planner")
    visit(page, live_server.path("/targeting/"))
    page.get_by_role("button", name="Start a new scenario").click()
    page.wait_for_url("**/targeting/new")
    assert_accessible(page, "new scenario")
    expect(page.get_by_label("Abbey")).to_be_checked()

    # A mistake first: no name and a walking time out of range.
    page.get_by_label("Walking time to a venue (minutes)").fill("90")
    page.get_by_role("button", name="Run scenario").click()
    page.wait_for_selector(".govuk-error-summary")
    assert page.title().startswith("Error: ")
    assert_accessible(page, "new scenario with errors")
    page.get_by_role("link", name="Enter a name for the scenario").click()
    assert page.evaluate("document.activeElement.id") == "name"
    expect(page.locator("#walk_min-error")).to_contain_text(
        "Walking time must be between 1 and 60 minutes"
    )

    page.get_by_label("Scenario name").fill("Browser scenario")
    page.get_by_label("Budget (£)").fill("20,000")
    page.get_by_label("Walking time to a venue (minutes)").fill("10")
    page.get_by_label("Number of new venues to choose").fill("2")
    page.get_by_label("Share of excluded residents to reach with the fewest new venues (%)").fill(
        "50"
    )
    page.get_by_role("button", name="Run scenario").click()
    page.wait_for_url("**/targeting/scenarios/*")
    assert_accessible(page, "scenario running or finished")

    # The page polls for progress and reloads itself when the run has finished.
    expect(page.locator("h2#plan")).to_have_text("Costed plan", timeout=90_000)
    expect(page.locator("h1")).to_have_text("Browser scenario")
    expect(page.locator('[data-table="plan_areas"]')).to_contain_text("What the budget buys")
    expect(page.locator('[data-table="sites"]')).to_contain_text("New venues chosen")
    expect(page.locator('[data-table="methods"]')).to_contain_text("exact (CBC)")
    expect(page.locator(".app-map .leaflet-container")).to_be_visible()
    assert page.evaluate("typeof window.L") == "object"
    expect(page.locator('[data-table="map_reach"]')).to_be_visible()
    assert_accessible(page, "scenario results with the map")

    page.get_by_label("Name to save it under").fill("Browser scenario: 2 venues")
    page.get_by_role("button", name="Save scenario").click()
    page.wait_for_selector(".govuk-notification-banner")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Scenario saved")
    expect(page.locator("h1")).to_have_text("Browser scenario: 2 venues")
    assert page.locator("form[action$='/save']").count() == 0
    assert_accessible(page, "saved scenario")

    with page.expect_download() as csv_download:
        page.get_by_role("link", name="CSV of the plan for each area").click()
    csv_path = tmp_path / "areas.csv"
    csv_download.value.save_as(csv_path)
    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][0].startswith("# Title: The plan for each area: scenario 'Browser scenario")
    header = next(row for row in rows if not row[0].startswith("# "))
    assert header[:2] == ["area_code", "area_name"]
    assert rows.index(header) < len(rows) - 1  # at least one area

    with page.expect_download() as gpkg_download:
        page.get_by_role("link", name="GeoPackage of new venues chosen").click()
    gpkg_path = tmp_path / "sites.gpkg"
    gpkg_download.value.save_as(gpkg_path)
    sites = gpd.read_file(gpkg_path)
    assert sites.crs.to_epsg() == 27700 and len(sites) >= 1

    visit(page, live_server.path("/targeting/"))
    expect(page.get_by_role("link", name="Browser scenario: 2 venues")).to_be_visible()
