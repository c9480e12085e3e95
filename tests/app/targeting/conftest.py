"""A module-scoped app on the ring borough with a synthetic survey, and signed-in clients."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from core.clock import now_utc
from tests.app.targeting.helpers import import_survey, store_ring_borough
from tests.conftest import app_config
from tests.databases import Database
from tests.factories import make_user, sign_in


@pytest.fixture(scope="module")
def world(database: Database) -> Iterator[Flask]:
    """The app on the ring borough with a SYNTHETIC survey of its ward (so a plan is costed).

    Every table is emptied when the module ends.
    """
    app = create_app(app_config(database, MAP_TILES_ONLINE=False))
    try:
        with database.factory() as session:
            now = now_utc()
            store_ring_borough(session, now=now)
            import_survey(session, now=now)
            session.commit()
        yield app
    finally:
        database.empty()


def client_as(app: Flask, database: Database, role: str) -> FlaskClient:
    """A test client signed in as a new user holding ``role``."""
    client = app.test_client()
    with database.factory() as session:
        user = make_user(session, roles=[role])
    sign_in(client, user)
    return client
