"""Helpers shared by the coverage tests: CLI calls and module-scoped apps on a filled database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from tests.conftest import app_config
from tests.databases import Database
from tests.factories import make_user, sign_in


def geo(app: Flask, *args: str | Path) -> Result:
    """Run ``flask --app app geo ARGS`` against ``app``."""
    return app.test_cli_runner().invoke(args=["geo", *[str(arg) for arg in args]])


def client_as(app: Flask, database: Database, role: str) -> FlaskClient:
    """A test client signed in as a new user holding ``role``."""
    client = app.test_client()
    with database.factory() as session:
        user = make_user(session, roles=[role])
    sign_in(client, user)
    return client


@pytest.fixture(scope="module")
def module_app(database: Database) -> Iterator[Flask]:
    """An app on the test database for the whole module; the tables are emptied at the end."""
    try:
        yield create_app(app_config(database))
    finally:
        database.empty()
