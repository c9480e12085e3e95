"""Device loans in a real browser: a resident asks on a phone; a coordinator approves, lends a
kit, takes it back and records the wipes.  Every page is checked with axe-core on the way.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from core.clock import now_utc, today_london
from device_loans import services
from device_loans.models import Kit
from tests.browser.conftest import LiveServer, assert_accessible, sign_in_as, visit

pytestmark = pytest.mark.browser

KIT_CODE = "KIT-B01"
RESIDENT = "Nadia Okafor"  # not a name the demo data uses


@pytest.fixture(scope="module")
def kit(live_server: LiveServer) -> list[str]:
    """A ready kit of a tablet, a charger and a Mi-Fi unit; returns its asset tags."""
    with live_server.app.extensions["db_factory"]() as session:
        existing = services.find_device_by_tag(session, "BR-TAB-1")
        if existing is None:
            now, today = now_utc(), today_london()
            ids = []
            for tag, kind in (
                ("BR-TAB-1", "tablet"),
                ("BR-CHG-1", "charger"),
                ("BR-MIFI-1", "mifi"),
            ):
                device = services.register_device(
                    session,
                    services.NewDevice(
                        asset_tag=tag,
                        kind=kind,
                        make="Samsung",
                        model="Galaxy Tab A9",
                        condition="good",
                        location="Central Library",
                        source="purchased",
                        received_on=today,
                        data_allowance_gb=40.0 if kind == "mifi" else None,
                    ),
                    by=None,
                    now=now,
                    today=today,
                )
                services.change_device_status(
                    session, device.id, to_status="ready", by=None, now=now
                )
                ids.append(device.id)
            services.create_kit(
                session,
                code=KIT_CODE,
                name="Tablet, charger and Mi-Fi",
                device_ids=ids,
                by=None,
                now=now,
            )
            session.commit()
        kit_row = session.query(Kit).filter_by(code=KIT_CODE).one()
        return [device.asset_tag for device in kit_row.devices]


def _continue(page: Page, label: str = "Continue") -> None:
    """Send the form with the button ``label`` and check the page that comes back."""
    with page.expect_navigation():
        page.get_by_role("button", name=label).click()
    assert_accessible(page)


def _follow(page: Page, name: str, *, role: str = "button") -> None:
    """Follow a link (a GOV.UK button link by default) and check the page it opens."""
    with page.expect_navigation():
        page.get_by_role(role, name=name).first.click()  # type: ignore[arg-type]
    assert_accessible(page)


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, page.url


def _resident_asks_on_a_phone(phone: Page, live_server: LiveServer) -> None:
    visit(phone, live_server.path("/"))
    _follow(phone, "Borrow a device or data")
    _follow(phone, "Start now")
    expect(phone.locator("h1")).to_have_text("What do you need to borrow?")
    _continue(phone)  # nothing chosen: the error summary, accessible too
    assert phone.title().startswith("Error: ")
    phone.get_by_role("link", name="Select what you need to borrow").click()
    assert phone.evaluate("document.activeElement.id") == "need"
    phone.get_by_label("A device, like a tablet, laptop or smartphone").check()
    _continue(phone)
    phone.get_by_label("How old are you?").fill("71")
    _continue(phone)
    phone.get_by_label("No").check()  # no suitable device at home
    _continue(phone)
    phone.get_by_label("Yes").check()  # has an internet connection
    _continue(phone)
    phone.get_by_label("Pension Credit").check()
    _continue(phone)
    phone.get_by_label("None of these").check()
    _continue(phone)
    phone.get_by_label(re.compile("Is there anything else")).fill("To see my doctor online")
    _continue(phone)
    phone.get_by_label("Postcode").fill("tw3 1es")
    phone.get_by_label("Ward").select_option(index=1)
    _continue(phone)
    phone.get_by_label("What is your full name?").fill(RESIDENT)
    _continue(phone)
    phone.get_by_label("Email", exact=True).check()
    _continue(phone)
    phone.get_by_label("What is your email address?").fill("nadia@example.com")
    _continue(phone)
    expect(phone.locator("h1")).to_have_text("Check your answers before sending your request")
    _no_sideways_scroll(phone)
    _continue(phone, "Send request")
    expect(phone.locator(".govuk-panel__title")).to_have_text("Request sent")
    # A short reference to read out over the phone: two groups of four, no look-alikes.
    assert re.search(
        r"\b[2-9A-HJ-NP-Z]{4} [2-9A-HJ-NP-Z]{4}\b", phone.inner_text(".govuk-panel__body")
    )
    _no_sideways_scroll(phone)


def test_a_resident_asks_and_a_coordinator_lends_a_kit_takes_it_back_and_wipes_it(
    phone: Page, page: Page, live_server: LiveServer, kit: list[str]
) -> None:
    _resident_asks_on_a_phone(phone, live_server)
    sign_in_as(page, live_server, "coordinator")
    visit(page, live_server.path("/loans/requests"))
    _follow(page, RESIDENT, role="link")
    expect(page.locator("h1")).to_have_text(f"Request from {RESIDENT}")
    page.get_by_label("Approve: an item can be lent").check()
    _continue(page, "Save decision")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Request approved")

    _follow(page, "Lend an item")
    _continue(page)  # nothing filled in: errors on each field
    assert page.title().startswith("Error: ")
    page.get_by_label("Or the code of the kit").fill(KIT_CODE.lower())
    page.get_by_label("The borrower has read and accepted the loan agreement").check()
    page.get_by_label("Condition when lent (optional)").fill("As new")
    _continue(page)
    expect(page.locator("h1")).to_have_text("Check the loan before lending")
    expect(page.locator("main")).to_contain_text("the longest loan the council’s rules allow")
    _continue(page, "Lend it now")
    expect(page.locator(".govuk-notification-banner")).to_contain_text(f"Lent Kit {KIT_CODE}")

    _follow(page, "Record the return")
    expect(page.locator("h1")).to_have_text("Record a return")
    page.get_by_label(re.compile("Good: works well")).check()
    page.get_by_role("group", name="Did it come back damaged?").get_by_label("No").check()
    _continue(page, "Record return")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Return recorded")
    loan_url = page.url

    for number, tag in enumerate(kit, start=1):
        visit(page, loan_url)
        with page.expect_navigation():
            page.get_by_role("link", name=re.compile(tag)).click()
        assert_accessible(page)
        _follow(page, "Record a wipe")
        page.get_by_label("Wipe certificate reference").fill(f"CERT-{number:03d}")
        page.get_by_label("Reset and re-enrolled through device management").check()
        _continue(page, "Record wipe")
        expect(page.locator(".govuk-notification-banner")).to_contain_text(
            f"Wipe recorded for {tag}"
        )
        expect(page.locator("main")).to_contain_text(f"CERT-{number:03d}")
