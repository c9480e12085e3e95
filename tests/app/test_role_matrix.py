"""The role-by-route matrix: every route declares who may use it, and the rule holds.

It walks ``app.url_map``, so a new route is covered the moment it exists; a route without a
declared access rule fails the first test.
"""

from __future__ import annotations

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient

from app.access import rule_for
from app.auth.roles import ROLES
from tests.databases import Database
from tests.factories import make_user, sign_in
from tests.route_examples import url_values

ANONYMOUS = "anonymous"


def test_every_route_declares_an_access_rule(app: Flask) -> None:
    missing = [
        rule.endpoint for rule in app.url_map.iter_rules() if rule_for(app, rule.endpoint) is None
    ]
    assert missing == [], f"routes without an access rule: {missing}"


def _requests(app: Flask, db: Database) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) for every route and method."""
    calls = []
    with db.factory() as session, app.test_request_context():
        for rule in sorted(app.url_map.iter_rules(), key=lambda item: item.endpoint):
            if rule.endpoint == "static":
                continue
            values = url_values(app, rule.endpoint, set(rule.arguments), session)
            url = url_for(rule.endpoint, **values)
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                calls.append((rule.endpoint, method, url))
        session.commit()
    return calls


@pytest.mark.parametrize("role", [ANONYMOUS, *ROLES])
def test_role_matrix(app: Flask, db: Database, role: str) -> None:
    client: FlaskClient = app.test_client()
    if role != ANONYMOUS:
        with db.factory() as session:
            user = make_user(session, roles=[role], email=f"matrix-{role}@example.org")
        sign_in(client, user)
    problems = []
    for endpoint, method, url in _requests(app, db):
        rule = rule_for(app, endpoint)
        assert rule is not None
        allowed = rule.public or role in rule.roles
        response = client.open(url, method=method, data={})
        status = response.status_code
        if status >= 500:
            problems.append(f"{method} {url}: {status} (server error)")
        elif allowed and status in (401, 403):
            problems.append(f"{method} {url}: {status} but {role} is allowed")
        elif (
            not allowed
            and role == ANONYMOUS
            and not (status == 302 and "/sign-in" in response.headers.get("Location", ""))
        ):
            problems.append(f"{method} {url}: {status}, expected a redirect to sign in")
        elif not allowed and role != ANONYMOUS and status != 403:
            problems.append(f"{method} {url}: {status}, expected 403 for {role}")
        if role != ANONYMOUS and endpoint in {"auth.sign_out", "auth.sign_out_everywhere"}:
            sign_in(client, user)  # the matrix goes on signed in
    assert problems == []
