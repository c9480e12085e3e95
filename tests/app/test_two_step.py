"""Staff two-step sign-in: a code from an authenticator app after the password (reference S-23).

Codes are computed here from the secret the set-up page shows, exactly as a phone app would.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app import create_app
from app.auth import two_step as totp
from app.auth.models import User
from core.audit import AuditEvent
from core.clock import now_utc
from tests.conftest import app_config
from tests.databases import Database
from tests.factories import DEFAULT_PASSWORD, make_user, sign_in
from tests.pages import parse


@pytest.fixture
def strict_app(db: Database) -> Flask:
    """The app as in production: every staff member needs an authenticator app."""
    return create_app(app_config(db, MFA_REQUIRED=True))


def _password(client: FlaskClient, user: User) -> str:
    """Give the right email and password; where the sign-in goes next."""
    response = client.post("/sign-in", data={"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    return str(response.headers["Location"])


def _code(secret: str, steps_from_now: int = 0) -> str:
    return totp.code_at(secret, totp.time_step(now_utc()) + steps_from_now)


def _set_up(client: FlaskClient, user: User) -> str:
    """Sign in for the first time, set up the app; the secret the page showed."""
    assert _password(client, user).endswith("/sign-in/set-up-app")
    page = parse(client.get("/sign-in/set-up-app"))
    assert page.h1 == "Set up an authenticator app"
    assert page.soup.select_one("svg title").get_text() == "QR code to scan with your app"
    secret = page.soup.select_one("code.app-secret").get_text().replace(" ", "")
    response = client.post("/sign-in/set-up-app", data={"code": _code(secret)})
    assert response.headers["Location"].endswith("/home")
    return secret


def _sign_out(client: FlaskClient) -> None:
    client.post("/sign-out")


def test_first_sign_in_sets_up_an_app_and_later_ones_ask_for_its_code(
    strict_app: Flask, db: Database
) -> None:
    client = strict_app.test_client()
    with db.factory() as session:
        user = make_user(session, roles=["planner"])
    # The password alone does not sign anyone in.
    assert _password(client, user).endswith("/sign-in/set-up-app")
    assert client.get("/home").status_code == 302
    _sign_out(client)

    secret = _set_up(client, user)
    assert "Your authenticator app is set up" in parse(client.get("/home")).text()
    with db.factory() as session:
        stored = session.get(User, user.id)
        assert stored is not None and stored.totp_secret == secret
        assert stored.totp_enrolled_at is not None
    _sign_out(client)

    assert _password(client, user).endswith("/sign-in/code")
    page = parse(client.get("/sign-in/code"))
    assert page.h1 == "Enter the code from your authenticator app"
    # The next step's code is accepted (a phone's clock a little ahead), spaces and all.
    code = _code(secret, 1)
    response = client.post("/sign-in/code", data={"code": f"{code[:3]} {code[3:]}"})
    assert response.headers["Location"].endswith("/home")
    assert client.get("/home").status_code == 200


def test_a_code_works_once_and_old_or_wrong_codes_are_refused(
    strict_app: Flask, db: Database
) -> None:
    client = strict_app.test_client()
    with db.factory() as session:
        user = make_user(session, roles=["champion"])
    secret = _set_up(client, user)
    _sign_out(client)

    _password(client, user)
    used = client.post("/sign-in/code", data={"code": _code(secret)})  # used to set the app up
    page = parse(used)
    assert used.status_code == 200 and page.title.startswith("Error: ")
    assert page.error_summary == [
        "The code is wrong or has already been used. Enter the code your app shows now"
    ]
    expired = parse(client.post("/sign-in/code", data={"code": _code(secret, -3)}))
    assert expired.error_summary == [
        "The code is wrong or has already been used. Enter the code your app shows now"
    ]
    not_digits = parse(client.post("/sign-in/code", data={"code": "12ab56"}))
    assert not_digits.error_summary == ["The code must be 6 digits, like 123456"]
    empty = parse(client.post("/sign-in/code", data={"code": ""}))
    assert empty.error_summary == ["Enter the 6-digit code from your authenticator app"]
    assert client.get("/home").status_code == 302
    with db.factory() as session:
        refusals = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "user.two_step_refused")
        ).all()
    assert len(refusals) == 2  # the badly typed codes never reach the check


def test_five_wrong_codes_end_the_sign_in(strict_app: Flask, db: Database) -> None:
    client = strict_app.test_client()
    with db.factory() as session:
        user = make_user(session)
    secret = _set_up(client, user)
    _sign_out(client)
    _password(client, user)
    wrong = str((int(_code(secret, 1)) + 1) % 1_000_000).zfill(6)
    for _ in range(4):
        assert client.post("/sign-in/code", data={"code": wrong}).status_code == 200
    fifth = client.post("/sign-in/code", data={"code": wrong})
    assert fifth.headers["Location"].endswith("/sign-in")
    assert "Too many wrong codes" in parse(client.get("/sign-in")).text()
    # Even the right code now needs the password first.
    after = client.post("/sign-in/code", data={"code": _code(secret, 1)})
    assert after.headers["Location"].endswith("/sign-in")
    assert client.get("/home").status_code == 302


def test_code_attempts_are_rate_limited(db: Database) -> None:
    app = create_app(app_config(db, MFA_REQUIRED=True, RATELIMIT_ENABLED=True))
    client = app.test_client()
    with db.factory() as session:
        user = make_user(session)
    _password(client, user)
    statuses = [
        client.post("/sign-in/set-up-app", data={"code": "000000"}).status_code for _ in range(6)
    ]
    # Four refusals, the fifth ends the sign-in, and the sixth try in the minute is refused
    # before anything else happens ("5 per minute" for each sign-in step).
    assert statuses == [200, 200, 200, 200, 302, 429]


def test_a_half_finished_sign_in_expires(strict_app: Flask, db: Database) -> None:
    client = strict_app.test_client()
    with db.factory() as session:
        user = make_user(session)
    secret = _set_up(client, user)
    _sign_out(client)
    _password(client, user)
    with client.session_transaction() as state:
        pending = dict(state["two_step"])
        pending["started"] = (now_utc() - timedelta(minutes=11)).timestamp()
        state["two_step"] = pending
    response = client.post("/sign-in/code", data={"code": _code(secret, 1)})
    assert response.headers["Location"].endswith("/sign-in")
    assert "Sign in again" in parse(client.get("/sign-in")).text()


def test_without_a_half_finished_sign_in_the_code_pages_send_you_to_sign_in(
    strict_app: Flask,
) -> None:
    client = strict_app.test_client()
    for path in ("/sign-in/code", "/sign-in/set-up-app"):
        response = client.get(path)
        assert response.headers["Location"].endswith("/sign-in")


def test_an_admin_resets_a_lost_app_and_the_person_sets_up_a_new_one(
    strict_app: Flask, db: Database
) -> None:
    with db.factory() as session:
        user = make_user(session, roles=["coordinator"])
        admin = make_user(session, roles=["admin"])
    person = strict_app.test_client()
    old_secret = _set_up(person, user)

    administrator = strict_app.test_client()
    admin_secret = _set_up(administrator, admin)
    assert admin_secret != old_secret
    page = parse(administrator.get(f"/admin/users/{user.public_id}"))
    assert "Set up on" in page.text()
    response = administrator.post(f"/admin/users/{user.public_id}/two-step/reset")
    assert response.status_code == 302
    assert (
        "authenticator app has been reset"
        in parse(administrator.get(response.headers["Location"])).text()
    )

    # The person's session ended at once; their next sign-in sets up a new app.
    assert person.get("/home").status_code == 302
    new_secret = _set_up(person, user)
    assert new_secret != old_secret
    with db.factory() as session:
        actions = set(session.scalars(select(AuditEvent.action)))
    assert {"user.two_step_set_up", "user.two_step_reset"} <= actions


def test_only_admins_reset_an_app(client: FlaskClient, db: Database) -> None:
    with db.factory() as session:
        user = make_user(session, roles=["coordinator"])
        other = make_user(session, roles=["coordinator"])
    sign_in(client, user)
    assert client.post(f"/admin/users/{other.public_id}/two-step/reset").status_code == 403


def test_when_not_required_the_password_is_enough_until_an_app_is_set_up(
    client: FlaskClient, db: Database, strict_app: Flask
) -> None:
    with db.factory() as session:
        user = make_user(session)
    sign_in(client, user)  # the development default: no app needed
    # Once someone has set up an app (here while it was required), the code is always asked for.
    _set_up(strict_app.test_client(), user)
    relaxed = client.application.test_client()
    assert _password(relaxed, user).endswith("/sign-in/code")


def test_production_requires_an_app_unless_the_council_turns_it_off(
    monkeypatch: pytest.MonkeyPatch, db: Database
) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    assert create_app(app_config(db)).config["MFA_REQUIRED"] is True
    monkeypatch.setenv("MFA_REQUIRED", "false")
    assert create_app(app_config(db)).config["MFA_REQUIRED"] is False
    monkeypatch.setenv("APP_ENV", "development")
    monkeypatch.delenv("MFA_REQUIRED")
    assert create_app(app_config(db)).config["MFA_REQUIRED"] is False


def test_an_invitation_link_does_not_skip_the_second_step(strict_app: Flask, db: Database) -> None:
    from app.auth import services

    with db.factory() as session:
        link = services.invite_user(
            session,
            email="invited@example.org",
            full_name="Ivy Invited",
            roles=["planner"],
            now=now_utc(),
            valid_days=7,
            actor_id=None,
        )
        session.commit()
    client = strict_app.test_client()
    data = {"password": "orchard lantern river", "confirm": "orchard lantern river"}
    response = client.post(f"/invitations/{link.token}", data=data)
    assert response.headers["Location"].endswith("/sign-in/set-up-app")
    assert client.get("/home").status_code == 302  # not signed in on the password alone
    page = parse(client.get("/sign-in/set-up-app"))
    assert "Your password is set" in page.text()
    secret = page.soup.select_one("code.app-secret").get_text().replace(" ", "")
    done = client.post("/sign-in/set-up-app", data={"code": _code(secret)})
    assert done.headers["Location"].endswith("/home")
    assert client.get("/home").status_code == 200
