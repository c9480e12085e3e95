"""The champions journeys in a real browser, checked with axe-core after every step.

* A resident books a session on a phone, from the start page to the confirmation.
* A champion logs the help they gave, on a phone.
* A coordinator sets up a venue and a session, books two residents, and manages its waiting list.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Page

from core.clock import today_london
from tests.browser.conftest import LiveServer, assert_accessible, sign_in_as, visit

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module", autouse=True)
def champions_network(live_server: LiveServer) -> Iterator[None]:
    """The demo champions network on the live server (loaded once; the loader skips a second go).

    The browser database is built by the Alembic migrations; until the champions tables have a
    migration, create them here (``create_all`` only adds missing tables).
    """
    from app.champions import load_demo
    from app.models import metadata

    metadata.create_all(live_server.app.extensions["db_engine"])
    with live_server.app.app_context():
        load_demo(seed=2027, echo=lambda _message: None)
    yield


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"] if page.viewport_size else True


def test_a_resident_books_a_session_on_a_phone(phone: Page, live_server: LiveServer) -> None:
    visit(phone, live_server.path("/"))
    phone.get_by_role("button", name="Find a free digital skills session").click()
    phone.wait_for_url("**/sessions")
    assert_accessible(phone, "find a session")
    phone.get_by_label("What do you want help with?").select_option("")
    phone.get_by_role("button", name="Show sessions").click()
    phone.wait_for_url("**/sessions?**")
    assert_accessible(phone, "search results")
    no_sideways_scroll(phone)
    # The first session with a place left.
    result = phone.locator("ul.govuk-list > li", has=phone.locator(".govuk-tag--green")).first
    result.locator("a").first.click()
    phone.wait_for_url(re.compile(r"/sessions/[0-9a-f]{32}$"))
    assert_accessible(phone, "session page")
    phone.get_by_role("button", name="Book a place").click()
    phone.wait_for_url("**/book/name")
    assert_accessible(phone, "name question")

    phone.get_by_role("button", name="Continue").click()
    phone.wait_for_selector(".govuk-error-summary")
    assert phone.title().startswith("Error: ")
    assert_accessible(phone, "name question with an error")
    phone.get_by_label("What is your full name?").fill("Rosa Resident")
    phone.get_by_role("button", name="Continue").click()
    phone.wait_for_url("**/book/contact")
    assert_accessible(phone, "contact question")

    phone.get_by_label("Email", exact=True).check()
    phone.get_by_role("button", name="Continue").click()
    phone.wait_for_url("**/book/contact-details")
    assert_accessible(phone, "email question")
    phone.get_by_label("What is your email address?").fill("rosa@")
    phone.get_by_role("button", name="Continue").click()
    phone.wait_for_selector(".govuk-error-summary")
    assert "Enter your email address in the correct format" in phone.inner_text(
        ".govuk-error-summary"
    )
    assert_accessible(phone, "email question with an error")
    phone.get_by_label("What is your email address?").fill("rosa@example.com")
    phone.get_by_role("button", name="Continue").click()
    phone.wait_for_url("**/book/access-needs")
    assert_accessible(phone, "access needs question")
    phone.get_by_label(re.compile("Is there anything we can do")).fill("A seat near the front")
    phone.get_by_role("button", name="Continue").click()
    phone.wait_for_url("**/book/check")
    assert_accessible(phone, "check answers")
    assert "rosa@example.com" in phone.inner_text("main")

    phone.get_by_role("button", name="Book place").click()
    phone.wait_for_url("**/book/confirmation")
    assert_accessible(phone, "confirmation")
    assert "Booking complete" in phone.inner_text(".govuk-panel")
    reference = phone.inner_text(".govuk-panel strong")
    assert re.fullmatch(r"[A-Z2-9]{4} [A-Z2-9]{4}", reference)
    no_sideways_scroll(phone)

    # The cancellation link on the confirmation page opens the booking; it works once.
    phone.get_by_role("link", name="cancel or change your booking").click()
    phone.wait_for_url(re.compile(r"/bookings/[A-Z2-9]{8}/[^/]+$"))
    assert_accessible(phone, "manage booking")
    phone.get_by_role("link", name="Cancel your booking").click()
    phone.wait_for_url("**/cancel")
    assert_accessible(phone, "cancel booking")
    phone.get_by_role("button", name="Cancel my booking").click()
    phone.wait_for_selector(".govuk-panel")
    assert "Booking cancelled" in phone.inner_text(".govuk-panel")
    assert_accessible(phone, "booking cancelled")


def test_a_champion_logs_support_on_a_phone(phone: Page, live_server: LiveServer) -> None:
    sign_in_as(phone, live_server, "champion")
    visit(phone, live_server.path("/champions/support"))
    phone.get_by_role("button", name="Log help you gave").click()
    phone.wait_for_url("**/champions/support/new")
    assert_accessible(phone, "support log form")
    no_sideways_scroll(phone)

    phone.get_by_role("button", name="Save").click()
    phone.wait_for_selector(".govuk-error-summary")
    assert_accessible(phone, "support log with errors")
    phone.get_by_role("link", name="Select where the help was given").click()
    assert phone.evaluate("document.activeElement.name") == "place"

    phone.get_by_label("By phone").check()
    phone.get_by_label("A group of residents").check()
    phone.get_by_label("How many people? (for a group)").fill("4")
    phone.get_by_label("How long, in minutes?").fill("45")
    phone.get_by_label("Scams and safety").check()
    phone.get_by_label("Health and the NHS App").check()
    phone.get_by_label("Joins a training session").check()
    phone.get_by_label("Mixed ages (group)").check()
    assert_accessible(phone, "support log filled in")
    phone.get_by_role("button", name="Save").click()
    phone.wait_for_url("**/champions/support")
    assert "The help you gave is logged" in phone.inner_text(".govuk-notification-banner")
    assert_accessible(phone, "support logs after saving")
    first_row = phone.locator("tbody tr").first.inner_text()
    assert "Scams and safety" in first_row and "45" in first_row


def test_a_coordinator_manages_a_session_and_its_waiting_list(
    page: Page, live_server: LiveServer
) -> None:
    sign_in_as(page, live_server, "coordinator")
    visit(page, live_server.path("/champions/venues/new"))
    page.get_by_label("Name of the venue").fill("Browser Test Hub")
    page.get_by_label("Step-free access").check()
    page.get_by_role("button", name="Save venue").click()
    page.wait_for_selector("h1:has-text('Browser Test Hub')")
    assert_accessible(page, "venue page")

    visit(page, live_server.path("/champions/sessions/new"))
    page.get_by_role("button", name="Save session").click()
    page.wait_for_selector(".govuk-error-summary")
    assert_accessible(page, "session form with errors")
    day = today_london() + timedelta(days=9)
    page.get_by_label("Title (optional)").fill("Browser waiting list test")
    page.get_by_label("Topic").select_option("scams_and_safety")
    page.get_by_label("Venue").select_option(label="Browser Test Hub")
    page.get_by_label("Number of places").fill("1")
    page.locator("#starts_on-day").fill(str(day.day))
    page.locator("#starts_on-month").fill(str(day.month))
    page.locator("#starts_on-year").fill(str(day.year))
    page.get_by_label("Start time").fill("10am")
    page.get_by_label("End time").fill("midday")
    page.get_by_role("button", name="Save session").click()
    page.wait_for_selector("h1:has-text('Browser waiting list test')")
    assert_accessible(page, "new session page")
    session_url = page.url

    for name, email in (
        ("Ada First", "ada.first@example.com"),
        ("Bea Second", "bea.second@example.com"),
    ):
        page.get_by_role("button", name="Book a place for a resident").click()
        page.wait_for_url("**/book/name")
        assert_accessible(page, "assisted name question")
        page.get_by_label("What is the resident’s full name?").fill(name)
        page.get_by_role("button", name="Continue").click()
        page.get_by_label("Email", exact=True).check()
        page.get_by_role("button", name="Continue").click()
        page.get_by_label("What is their email address?").fill(email)
        page.get_by_role("button", name="Continue").click()
        page.get_by_role("button", name="Continue").click()
        page.wait_for_url("**/book/check")
        assert_accessible(page, "assisted check answers")
        page.locator("main #submit").click()
        page.wait_for_url("**/book/confirmation")
        assert_accessible(page, "assisted confirmation")
        visit(page, session_url)

    assert "Waiting list (1)" in page.inner_text("main")
    assert "Bea Second" in page.inner_text("main")
    page.get_by_role("link", name=re.compile("Cancel booking")).first.click()
    page.wait_for_url("**/cancel")
    assert_accessible(page, "staff cancel booking")
    page.get_by_role("button", name="Cancel the booking").click()
    page.wait_for_selector(".govuk-notification-banner")
    assert_accessible(page, "session after cancelling")
    text = page.inner_text("main")
    assert "Offered a place until" in text and "Nobody is waiting" in text

    page.get_by_role("button", name="Change session").click()
    page.wait_for_url("**/edit")
    assert_accessible(page, "change session")
    page.get_by_label("Number of places").fill("3")
    page.get_by_role("button", name="Save session").click()
    page.wait_for_selector(".govuk-notification-banner")
    assert "3 places, 1 taken" in page.inner_text("main")
    assert_accessible(page, "session after adding places")
