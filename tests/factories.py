"""Factories with valid defaults for the records tests need."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.auth import services
from app.auth.models import User
from core.clock import now_utc

DEFAULT_PASSWORD = "quiet meadow harbour lamp"
_counter = itertools.count(1)


def make_user(
    session: Session,
    *,
    roles: Iterable[str] = ("planner",),
    email: str | None = None,
    full_name: str = "Test Person",
    password: str | None = DEFAULT_PASSWORD,
    commit: bool = True,
) -> User:
    """A staff account with ``roles`` and a known password (cheapest argon2 profile)."""
    address = email or f"person{next(_counter)}@example.org"
    user = services.create_user(
        session,
        email=address,
        full_name=full_name,
        roles=roles,
        now=now_utc(),
        password=password,
        hash_profile="cheapest",
    )
    if commit:
        session.commit()
    return user


def sign_in(client: FlaskClient, user: User, *, password: str = DEFAULT_PASSWORD) -> None:
    """Sign ``user`` in through the real sign-in page; fails loudly if it does not work."""
    response = client.post("/sign-in", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert response.headers["Location"].endswith("/home")
