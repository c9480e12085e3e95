"""The demo borough, loaded once per database backend for the ward page, download and API tests.

Loading the borough and the features' demo data takes several seconds, so it is done once for
this package (``demo``) and emptied when the package is done.  Tests here must not use the
function-scoped ``db``/``app`` fixtures, which would empty the tables after each test.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app import create_app
from app.auth.models import User
from app.auth.roles import ROLES
from app.demo import load_demo_borough, load_feature_demos
from app.places.models import Area
from tests.conftest import app_config
from tests.databases import Database
from tests.factories import make_user, sign_in


@dataclass
class Demo:
    """The app on the demo borough, with a way to sign in as each role."""

    app: Flask
    database: Database
    ward_codes: list[str]
    ward_names: dict[str, str]
    users: dict[str, User]

    def client(self, role: str | None = None) -> FlaskClient:
        """A client signed in with ``role`` (``None``: nobody signed in)."""
        client = self.app.test_client()
        if role is not None:
            sign_in(client, self.users[role])
        return client


@pytest.fixture(scope="package")
def demo(database: Database) -> Iterator[Demo]:
    app = create_app(app_config(database, MAP_TILES_ONLINE=False))
    with app.app_context():
        load_demo_borough(2027, echo=lambda _message: None)
        load_feature_demos(2027, echo=lambda _message: None)
    with database.factory() as session:
        wards = session.execute(
            select(Area.code, Area.name).where(Area.kind == "ward").order_by(Area.code)
        ).all()
        users = {
            role: make_user(session, roles=[role], email=f"wards-{role}@example.org")
            for role in ROLES
        }
    try:
        yield Demo(
            app=app,
            database=database,
            ward_codes=[code for code, _ in wards],
            ward_names={code: name for code, name in wards},
            users=users,
        )
    finally:
        database.empty()
