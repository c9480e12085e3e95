"""Two-step sign-in in a real browser on a phone: set up an authenticator app, then sign in with
its code; each page checked with axe-core, the QR code and the typed key included."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from app.auth import two_step as totp
from core.clock import now_utc
from tests.browser.conftest import LiveServer, assert_accessible, visit
from tests.factories import DEFAULT_PASSWORD, make_user

pytestmark = pytest.mark.browser

EMAIL = "two-step@example.org"


@pytest.fixture
def required(live_server: LiveServer) -> Iterator[str]:
    """Two-step sign-in required (as in production) for this test only; a fresh account."""
    with live_server.app.extensions["db_factory"]() as session:
        from sqlalchemy import select

        from app.auth.models import User

        if session.scalars(select(User).where(User.email == EMAIL)).first() is None:
            make_user(session, roles=["planner"], email=EMAIL, full_name="Browser Two Step")
    live_server.app.config["MFA_REQUIRED"] = True
    try:
        yield EMAIL
    finally:
        live_server.app.config["MFA_REQUIRED"] = False


def _password(phone: Page, server: LiveServer, email: str) -> None:
    visit(phone, server.path("/sign-in"))
    phone.get_by_label("Email address").fill(email)
    phone.get_by_label("Password", exact=True).fill(DEFAULT_PASSWORD)
    phone.get_by_role("button", name="Sign in").click()


def _code(secret: str, steps_from_now: int = 0) -> str:
    return totp.code_at(secret, totp.time_step(now_utc()) + steps_from_now)


def test_a_planner_sets_up_an_app_and_signs_in_with_its_code(
    phone: Page, live_server: LiveServer, required: str
) -> None:
    _password(phone, live_server, required)
    phone.wait_for_url("**/sign-in/set-up-app")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Set up an authenticator app")
    expect(phone.get_by_role("img", name="QR code to scan with your app")).to_be_visible()
    phone.get_by_text("I cannot scan the QR code").click()
    assert_accessible(phone, "set-up page with the key shown")
    secret = phone.locator("code.app-secret").inner_text().replace(" ", "")

    phone.get_by_label("Code from your authenticator app").fill("12345")
    phone.get_by_role("button", name="Continue").click()
    expect(phone.get_by_role("alert")).to_contain_text("The code must be 6 digits")
    assert phone.title().startswith("Error: ")
    assert_accessible(phone, "set-up page with an error")

    phone.get_by_label("Code from your authenticator app").fill(_code(secret))
    phone.get_by_role("button", name="Continue").click()
    phone.wait_for_url("**/home")
    expect(phone.get_by_text("Your authenticator app is set up")).to_be_visible()
    assert_accessible(phone, "home after setting up the app")

    phone.get_by_role("button", name="Sign out").first.click()
    _password(phone, live_server, required)
    phone.wait_for_url("**/sign-in/code")
    assert_accessible(phone, "code page")
    phone.get_by_label("Code from your authenticator app").fill(_code(secret, 1))
    phone.get_by_role("button", name="Continue").click()
    phone.wait_for_url("**/home")
