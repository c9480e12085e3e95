"""Every page that exists has zero axe-core violations, checked as the least privileged role allowed."""

from __future__ import annotations

import re

import pytest
from flask import url_for
from playwright.sync_api import Page

from app.access import rule_for
from app.auth.roles import ROLES
from tests.browser.conftest import LiveServer, assert_accessible, sign_in_as, visit
from tests.route_examples import url_values

pytestmark = pytest.mark.browser
ANONYMOUS = "anonymous"
# Pages that change state when opened by GET are never listed here: state changes are POST only.
SKIP_ENDPOINTS = frozenset({"static", "main.healthz"})
DOWNLOAD = re.compile(
    r"(\.(csv|json|geojson|gpkg|ics|xlsx|html|png|css|js)|\.<[a-z_:]+>)$|/download"
)


# Each page is checked once, by the least privileged role that may open it: public pages
# anonymously, councillors' pages as a councillor (with small numbers suppressed), and so on.
CHECK_ORDER = (ANONYMOUS, "councillor", "champion", "coordinator", "planner", "admin")


def _checker(public: bool, roles: frozenset[str]) -> str:
    if public:
        return ANONYMOUS
    return next(role for role in CHECK_ORDER if role in roles)


def _pages_for(server: LiveServer, role: str) -> list[str]:
    app = server.app
    urls = []
    with app.extensions["db_factory"]() as session, app.test_request_context():
        for rule in sorted(app.url_map.iter_rules(), key=lambda item: item.endpoint):
            if rule.endpoint in SKIP_ENDPOINTS or "GET" not in (rule.methods or set()):
                continue
            if DOWNLOAD.search(rule.rule) or rule.rule.startswith("/api/"):
                continue  # files and JSON, not pages: checked by their own tests
            access = rule_for(app, rule.endpoint)
            assert access is not None
            if _checker(access.public, access.roles) != role:
                continue
            urls.append(
                url_for(
                    rule.endpoint, **url_values(app, rule.endpoint, set(rule.arguments), session)
                )
            )
        session.commit()
    return urls


@pytest.mark.parametrize("role", [ANONYMOUS, *ROLES])
def test_every_page_a_role_can_open_is_accessible(
    page: Page, live_server: LiveServer, role: str
) -> None:
    if role != ANONYMOUS:
        sign_in_as(page, live_server, role)
    pages = _pages_for(live_server, role)
    assert pages, "each role can open at least one page"
    for path in pages:
        visit(page, live_server.path(path), expect_status=None)


def test_error_pages_are_accessible(page: Page, live_server: LiveServer) -> None:
    visit(page, live_server.path("/no-such-page"), expect_status=404)
    assert page.locator("h1").inner_text() == "Page not found"


def test_sign_in_errors_are_accessible_and_linked(page: Page, live_server: LiveServer) -> None:
    visit(page, live_server.path("/sign-in"))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector(".govuk-error-summary")
    assert page.title().startswith("Error: ")
    assert_accessible(page, "sign-in with errors")
    page.get_by_role("link", name="Enter your email address").click()
    assert page.evaluate("document.activeElement.id") == "email"


def test_admin_invites_a_colleague_in_the_browser(page: Page, live_server: LiveServer) -> None:
    sign_in_as(page, live_server, "admin")
    visit(page, live_server.path("/admin/users/invite"))
    page.get_by_role("button", name="Send invitation").click()
    page.wait_for_selector(".govuk-error-summary")
    assert_accessible(page, "invite with errors")
    page.get_by_label("Full name").fill("Nia Newstarter")
    page.get_by_label("Email address").fill("nia@example.org")
    page.get_by_label("Digital Champion").check()
    page.get_by_role("button", name="Send invitation").click()
    page.wait_for_url("**/admin/users")
    assert "Invitation sent to nia@example.org" in page.inner_text("main")
    assert_accessible(page, "users after invite")


def test_the_start_page_works_on_a_phone(phone: Page, live_server: LiveServer) -> None:
    visit(phone, live_server.path("/"))
    assert phone.locator("h1").inner_text() == "Get help to get online"
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, "no sideways scrolling on a phone"


def test_govuk_frontend_javascript_runs_under_the_csp(page: Page, live_server: LiveServer) -> None:
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    visit(page, live_server.path("/"))
    assert "govuk-frontend-supported" in (page.get_attribute("body", "class") or "")
    assert not [error for error in errors if "Content Security Policy" in error]
