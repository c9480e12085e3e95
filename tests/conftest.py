"""Fixtures shared by the whole suite: databases, sessions and factories."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app import create_app
from tests.databases import Database, backends, open_database


@pytest.fixture(scope="session", params=backends())
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Database]:
    """A database with every table, once per backend (SQLite, and PostgreSQL when configured)."""
    yield from open_database(request.param, tmp_path_factory.mktemp(request.param))


@pytest.fixture
def db(database: Database) -> Iterator[Database]:
    """The backend for one test; every table is emptied when the test ends."""
    try:
        yield database
    finally:
        database.empty()


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    """A session on the test database; the test commits or flushes as the code under test would."""
    with db.factory() as opened:
        yield opened
        opened.rollback()


# --- the web application -------------------------------------------------------------------

TEST_SECRET_KEY = "test-secret-key-that-is-long-enough-to-pass-0123456789"


def app_config(db: Database, **overrides: object) -> dict[str, object]:
    """Settings for a test app on ``db``: cheap password hashing, no rate limits, CSRF off."""
    config: dict[str, object] = {
        "TESTING": True,
        "DATABASE_URL": db.url,
        "SECRET_KEY": TEST_SECRET_KEY,
        "PASSWORD_HASH_PROFILE": "cheapest",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": "planner.test",
    }
    config.update(overrides)
    return config


@pytest.fixture
def app(db: Database) -> Iterator[Flask]:
    """The application on the test database (both backends)."""
    yield create_app(app_config(db))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client with no one signed in."""
    return app.test_client()


# --- parallel runs ---------------------------------------------------------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist, keep each test module on one worker (module fixtures are shared by
    its tests) and every browser test on one worker (one live server, one Chromium)."""
    for item in items:
        if item.get_closest_marker("xdist_group") is not None:
            continue
        module = item.nodeid.split("::", 1)[0]
        group = "browser" if module.startswith("tests/browser/") else module
        item.add_marker(pytest.mark.xdist_group(group))


# --- a closing summary that shows which backends and the browser actually ran ---------------


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print how many tests ran on each database backend and in the browser."""
    counts: dict[str, dict[str, int]] = {}
    for outcome in ("passed", "failed", "error", "skipped"):
        for report in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(report, "nodeid", "")
            if getattr(report, "when", "call") not in ("call", "setup"):
                continue
            if outcome == "passed" and report.when != "call":
                continue
            groups = []
            if "[sqlite" in nodeid or "-sqlite" in nodeid:
                groups.append("database tests on SQLite")
            if "[postgresql" in nodeid or "-postgresql" in nodeid:
                groups.append("database tests on PostgreSQL")
            if nodeid.startswith("tests/browser/"):
                groups.append("browser tests (Chromium + axe-core)")
            for group in groups:
                counts.setdefault(group, {}).setdefault(outcome, 0)
                counts[group][outcome] += 1
    if not counts:
        return
    terminalreporter.section("what ran where")
    for group in sorted(counts):
        parts = ", ".join(
            f"{number} {outcome}" for outcome, number in sorted(counts[group].items())
        )
        terminalreporter.write_line(f"{group}: {parts}")
