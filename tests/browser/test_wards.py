"""A councillor signs in, finds their ward, and reads its profile and map (axe-clean, no tiles)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page
from sqlalchemy import select

from app.places.models import Area
from tests.browser.conftest import LiveServer, assert_accessible, sign_in_as, visit

pytestmark = pytest.mark.browser


def _a_ward(server: LiveServer) -> tuple[str, str]:
    with server.app.extensions["db_factory"]() as session:
        code, name = session.execute(
            select(Area.code, Area.name).where(Area.kind == "ward").order_by(Area.code)
        ).first()
    return str(code), str(name)


def _watch_errors(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def test_a_councillor_finds_their_ward_and_reads_its_profile_and_map(
    page: Page, live_server: LiveServer
) -> None:
    errors = _watch_errors(page)
    code, name = _a_ward(live_server)
    sign_in_as(page, live_server, "councillor")
    page.get_by_role("link", name="Ward profiles").first.click()
    page.wait_for_url("**/wards/")
    assert_accessible(page, "ward list")

    page.get_by_label("Find a ward by name").fill(name[:4].lower())
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r".*/wards/\?q=.*"))
    assert_accessible(page, "ward search results")
    page.get_by_role("link", name=name, exact=True).click()
    page.wait_for_url(f"**/wards/{code}")
    assert page.locator("h1").inner_text() == name
    page.wait_for_selector(".folium-map .leaflet-map-pane", state="attached")
    assert page.locator(".folium-map").is_visible()
    assert_accessible(page, "ward profile")

    # The map draws its boundaries, legend and layer list with no tile server at all.
    assert page.locator(".leaflet-tile").count() == 0
    assert page.locator(".folium-map path.leaflet-interactive").count() > 0
    assert page.locator(".dip-map-legends").is_visible()
    assert page.locator(".leaflet-control-layers").is_visible()
    assert page.get_by_text("Map key in words").is_visible()
    # The same numbers as tables; a section with no figures yet says so.
    assert page.locator('[data-section-figures="key"] table').is_visible()
    for key in ("personas", "barriers", "coverage", "venues", "sessions", "loans"):
        either = f'[data-section-figures="{key}"], [data-not-available="{key}"]'
        assert page.locator(either).count() == 1, key
    assert page.get_by_role("button", name="Print this page").is_visible()

    visit(page, live_server.path("/wards/map"))
    page.wait_for_selector(".folium-map .leaflet-map-pane", state="attached")
    assert page.locator(".folium-map").is_visible()
    assert page.locator('[data-figure-table="walk_10_min_ward"] table').is_visible()
    assert_accessible(page, "borough map")
    assert not [error for error in errors if "Content Security Policy" in error]
    assert not [error for error in errors if "Uncaught" in error]
