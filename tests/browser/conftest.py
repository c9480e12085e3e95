"""The browser harness: a live server on loopback, Debian's Chromium through Playwright, axe-core.

Every page a browser test visits through ``visit`` is checked with axe-core against WCAG 2.2 AA
tags and must have zero violations.  The server runs the real app on a SQLite database built by
the Alembic migrations, with CSRF on, exactly as a resident or member of staff would meet it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, Page, Playwright, sync_playwright
from werkzeug.serving import BaseWSGIServer, make_server

from app import create_app, migrate
from app.auth.roles import ROLES
from app.demo import load_demo_borough, load_feature_demos
from tests.conftest import TEST_SECRET_KEY
from tests.factories import DEFAULT_PASSWORD, make_user

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class LiveServer:
    """The app served on loopback on the demo borough, with one account per role."""

    app: Flask
    url: str
    accounts: dict[str, str]  # role -> email

    def path(self, path: str) -> str:
        return self.url + path


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    database = tmp_path_factory.mktemp("browser") / "browser.sqlite3"
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{database}",
            "SECRET_KEY": TEST_SECRET_KEY,
            "PASSWORD_HASH_PROFILE": "cheapest",
            "RATELIMIT_ENABLED": False,
            "MAP_TILES_ONLINE": False,
        }
    )
    migrate.upgrade(app.extensions["db_engine"])
    # Accounts first, so feature demos can link them (the champion account gets a champion record).
    accounts = {}
    with app.extensions["db_factory"]() as session:
        for role in ROLES:
            user = make_user(
                session,
                roles=[role],
                email=f"{role}@example.org",
                full_name=f"Browser {role.title()}",
            )
            accounts[role] = user.email
    with app.app_context():
        # The demo borough gives every page real content to check (tables, maps, figures).
        load_demo_borough(2027, echo=lambda _message: None)
        load_feature_demos(2027, echo=lambda _message: None)
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(app=app, url=f"http://127.0.0.1:{server.server_port}", accounts=accounts)
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: install Debian's chromium package")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    launched = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield launched
    launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh desktop browser tab (no cookies)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """A fresh phone-sized tab (375 x 667, touch), for residents and champions in the field."""
    context = browser.new_context(
        viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True
    )
    tab = context.new_page()
    yield tab
    context.close()


_axe = Axe()


def assert_accessible(page: Page, label: str = "") -> None:
    """Run axe-core on the page as it is now; fail with a readable list of any violations."""
    results = _axe.run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    violations = results.response.get("violations", [])
    if violations:
        lines = [f"{label or page.url}: {len(violations)} accessibility violation(s)"]
        for violation in violations:
            targets = [", ".join(node.get("target", [])) for node in violation.get("nodes", [])][:5]
            lines.append(
                f"  {violation['id']} ({violation['impact']}): {violation['help']} -> {targets}"
            )
        pytest.fail("\n".join(lines))


def visit(page: Page, url: str, *, expect_status: int | None = 200) -> None:
    """Open ``url``, check the status and run the accessibility check."""
    response = page.goto(url)
    assert response is not None
    if expect_status is not None:
        assert response.status == expect_status, f"{url}: {response.status}"
    assert_accessible(page, url)


def sign_in_as(page: Page, server: LiveServer, role: str) -> None:
    """Sign in through the real form as the account holding ``role``."""
    visit(page, server.path("/sign-in"))
    page.get_by_label("Email address").fill(server.accounts[role])
    page.get_by_label("Password", exact=True).fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/home")
    assert_accessible(page, "home after sign-in")
