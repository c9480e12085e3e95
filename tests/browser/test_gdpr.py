"""An administrator handles a resident's erasure request in a real browser; every page of the
journey (the search, what is held with the erasure preview, the result) is checked with axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from core.clock import now_utc
from core.outbox import queue_message
from tests.browser.conftest import LiveServer, assert_accessible, sign_in_as

pytestmark = pytest.mark.browser

EMAIL = "erase.me@example.org"


def test_an_admin_finds_and_erases_a_residents_details(page: Page, live_server: LiveServer) -> None:
    with live_server.app.extensions["db_factory"]() as session:
        queue_message(
            session,
            channel="email",
            recipient=EMAIL,
            template="booking_confirmed",
            personalisation={"name": "Erin Example"},
            now=now_utc(),
            reference="BROWSER-GDPR",
        )
        session.commit()
    sign_in_as(page, live_server, "admin")
    page.get_by_role("link", name="Data protection requests").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Data protection requests")
    assert_accessible(page, "data requests")

    page.get_by_role("button", name="Find their records").click()
    assert page.title().startswith("Error: ")
    assert_accessible(page, "data requests with an error")

    page.get_by_label("Email address").fill(EMAIL.upper())
    page.get_by_role("button", name="Find their records").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("What we hold for this email address")
    assert_accessible(page, "what we hold")

    page.get_by_role("button", name="Erase their details").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Details erased")
    assert_accessible(page, "details erased")
