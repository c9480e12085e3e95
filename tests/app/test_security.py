"""CSRF, security headers, rate limits and error pages."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from tests.conftest import app_config
from tests.databases import Database
from tests.factories import make_user, sign_in
from tests.pages import parse


def test_a_form_without_a_csrf_token_gets_the_400_page(db: Database) -> None:
    app = create_app(app_config(db, WTF_CSRF_ENABLED=True))
    client = app.test_client()
    response = client.post("/sign-in", data={"email": "a@example.org", "password": "x"})
    page = parse(response)
    assert response.status_code == 400
    assert page.h1 == "Sorry, there is a problem with your request"


def test_a_form_with_its_csrf_token_is_accepted(db: Database) -> None:
    app = create_app(app_config(db, WTF_CSRF_ENABLED=True))
    client = app.test_client()
    token = parse(client.get("/sign-in")).csrf_token()
    response = client.post(
        "/sign-in", data={"email": "a@example.org", "password": "x", "csrf_token": token}
    )
    assert response.status_code == 200
    assert parse(response).error_summary == ["Enter a correct email address and password"]


def test_every_response_carries_the_security_headers(client: FlaskClient) -> None:
    for path in ("/", "/sign-in", "/no-such-page"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp
        assert "object-src 'none'" in csp
        assert "script-src 'self' 'nonce-" in csp
        assert "unsafe-inline" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert "camera=()" in response.headers["Permissions-Policy"]


def test_the_inline_script_carries_the_nonce_from_the_header(client: FlaskClient) -> None:
    response = client.get("/")
    nonce = response.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in response.get_data(as_text=True)


def test_staff_pages_are_not_cached(client: FlaskClient, db: Database) -> None:
    with db.factory() as session:
        user = make_user(session)
    sign_in(client, user)
    response = client.get("/home")
    assert response.headers["Cache-Control"] == "no-store"
    assert "Cookie" in response.headers["Vary"]


def test_unknown_pages_get_the_404_page(client: FlaskClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert parse(response).h1 == "Page not found"


def test_wrong_method_gets_405_with_allow(client: FlaskClient) -> None:
    response = client.get("/sign-out")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


def test_an_unexpected_error_gets_the_500_page_without_a_traceback(app: Flask) -> None:
    @app.route("/explode")
    def explode() -> str:
        raise RuntimeError("secret internals")

    explode.access_rule = app.view_functions["main.start"].access_rule  # type: ignore[attr-defined]
    response = app.test_client().get("/explode")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Sorry, there is a problem with the service" in body
    assert "secret internals" not in body and "Traceback" not in body


def test_sign_in_is_rate_limited(db: Database) -> None:
    app = create_app(app_config(db, RATELIMIT_ENABLED=True))
    client = app.test_client()
    statuses = [
        client.post("/sign-in", data={"email": "a@example.org", "password": "wrong"}).status_code
        for _ in range(6)
    ]
    assert statuses[:5] == [200] * 5
    assert statuses[5] == 429
    limited = client.post("/sign-in", data={"email": "a@example.org", "password": "wrong"})
    assert "Retry-After" in limited.headers
    assert parse(limited).h1 == "Too many attempts"


def test_a_route_without_an_access_rule_is_refused(app: Flask) -> None:
    @app.route("/forgotten")
    def forgotten() -> str:
        return "should never be shown"

    response = app.test_client().get("/forgotten")
    assert response.status_code == 403


def test_health_check_reports_the_database(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}
