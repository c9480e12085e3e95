"""Signing in and out, sessions, invitations and the password policy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app import create_app
from app.auth import services
from app.auth.models import User
from app.auth.passwords import hash_password, password_problem, verify_password
from app.config import ConfigError, load_config
from core.clock import now_utc
from core.outbox import OutboxMessage
from tests.conftest import app_config
from tests.databases import Database
from tests.factories import DEFAULT_PASSWORD, make_user, sign_in
from tests.pages import parse


def test_sign_in_with_the_right_password_goes_home(client: FlaskClient, db: Database) -> None:
    with db.factory() as session:
        user = make_user(session, roles=["planner"], full_name="Priya Planner")
    sign_in(client, user)
    page = parse(client.get("/home"))
    assert page.h1 == "Welcome, Priya Planner"


def test_wrong_password_and_unknown_email_get_the_same_answer(
    client: FlaskClient, db: Database
) -> None:
    with db.factory() as session:
        user = make_user(session)
    wrong = client.post("/sign-in", data={"email": user.email, "password": "not the password"})
    unknown = client.post(
        "/sign-in", data={"email": "nobody@example.org", "password": "not the password"}
    )
    assert wrong.status_code == unknown.status_code == 200
    assert (
        parse(wrong).error_summary
        == parse(unknown).error_summary
        == ["Enter a correct email address and password"]
    )
    assert "not the password" not in wrong.get_data(as_text=True)


def test_empty_sign_in_form_names_each_field(client: FlaskClient) -> None:
    page = parse(client.post("/sign-in", data={}))
    assert page.title.startswith("Error: Sign in")
    assert page.error_summary == ["Enter your email address", "Enter your password"]
    assert page.field_error("email") == "Enter your email address"


def test_staff_pages_send_anonymous_visitors_to_sign_in(client: FlaskClient) -> None:
    response = client.get("/home")
    assert response.status_code == 302
    assert "/sign-in?next=/home" in response.headers["Location"]


def test_next_only_accepts_local_paths(client: FlaskClient, db: Database) -> None:
    with db.factory() as session:
        user = make_user(session)
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = client.post(
            "/sign-in",
            query_string={"next": target},
            data={"email": user.email, "password": DEFAULT_PASSWORD},
        )
        assert response.headers["Location"].endswith("/home"), target
        client.post("/sign-out")
    response = client.post(
        "/sign-in",
        query_string={"next": "/admin/users"},
        data={"email": user.email, "password": DEFAULT_PASSWORD},
    )
    assert response.headers["Location"].endswith("/admin/users")


def test_sign_in_starts_a_new_session(client: FlaskClient, db: Database) -> None:
    with db.factory() as session:
        user = make_user(session)
    with client.session_transaction() as planted:
        planted["planted"] = "by an attacker"
    sign_in(client, user)
    with client.session_transaction() as after:
        assert "planted" not in after


def test_sign_out_everywhere_ends_other_sessions(app: Flask, db: Database) -> None:
    with db.factory() as session:
        user = make_user(session)
    phone, laptop = app.test_client(), app.test_client()
    sign_in(phone, user)
    sign_in(laptop, user)
    assert laptop.get("/home").status_code == 200
    assert phone.post("/sign-out-everywhere").status_code == 302
    assert laptop.get("/home").status_code == 302


def test_a_replayed_cookie_does_not_work_after_sign_out_everywhere(
    app: Flask, db: Database
) -> None:
    with db.factory() as session:
        user = make_user(session)
    client = app.test_client()
    sign_in(client, user)
    stolen = client.get_cookie("session", domain="planner.test")
    assert stolen is not None
    client.post("/sign-out-everywhere")
    thief = app.test_client()
    thief.set_cookie("session", stolen.value, domain="planner.test")
    assert thief.get("/home").status_code == 302


def test_idle_sessions_end(client: FlaskClient, db: Database) -> None:
    with db.factory() as session:
        user = make_user(session)
    sign_in(client, user)
    with client.session_transaction() as state:
        state["last_seen"] = (now_utc() - timedelta(minutes=31)).timestamp()
    response = client.get("/home")
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


def test_sessions_end_after_the_absolute_limit_even_when_busy(
    client: FlaskClient, db: Database
) -> None:
    with db.factory() as session:
        user = make_user(session)
    sign_in(client, user)
    with client.session_transaction() as state:
        state["signed_in_at"] = (now_utc() - timedelta(hours=13)).timestamp()
    assert client.get("/home").status_code == 302


def test_deactivated_accounts_are_signed_out_at_once(client: FlaskClient, db: Database) -> None:
    with db.factory() as session:
        user = make_user(session)
        admin = make_user(session, roles=["admin"])
    sign_in(client, user)
    with db.factory() as session:
        target = session.get(User, user.id)
        actor = session.get(User, admin.id)
        assert target is not None and actor is not None
        services.set_active(session, user=target, active=False, now=now_utc(), actor=actor)
        session.commit()
    assert client.get("/home").status_code == 302


def test_passwords_are_hashed_with_argon2id() -> None:
    stored = hash_password("a long enough passphrase")
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4")
    assert verify_password(stored, "a long enough passphrase")
    assert not verify_password(stored, "a long enough passphrasE")
    assert not verify_password(None, "anything")


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("", "Enter a password"),
        ("short1", "Password must be 12 characters or more"),
        ("password1234", "Password is too common"),
        ("digitalchampion1", "must not be based on"),
    ],
)
def test_password_policy(password: str, problem: str) -> None:
    assert problem in (password_problem(password, min_length=12, email="sam@example.org") or "")


def test_a_good_password_passes_the_policy() -> None:
    assert password_problem("orchard lantern river", min_length=12) is None


def test_invitation_link_sets_a_password_and_works_once(client: FlaskClient, db: Database) -> None:
    with db.factory() as session:
        link = services.invite_user(
            session,
            email="new@example.org",
            full_name="New Person",
            roles=["champion"],
            now=now_utc(),
            valid_days=7,
            actor_id=None,
        )
        session.commit()
    data = {"password": "orchard lantern river", "confirm": "orchard lantern river"}
    response = client.post(f"/invitations/{link.token}", data=data)
    assert response.status_code == 302
    assert client.get("/home").status_code == 200
    client.post("/sign-out")
    again = client.post(f"/invitations/{link.token}", data=data)
    assert again.status_code == 404
    assert parse(again).h1 == "This link has expired"


def test_invitation_rejects_a_weak_password_and_keeps_the_link(
    client: FlaskClient, db: Database
) -> None:
    with db.factory() as session:
        link = services.invite_user(
            session,
            email="new@example.org",
            full_name="New Person",
            roles=["champion"],
            now=now_utc(),
            valid_days=7,
            actor_id=None,
        )
        session.commit()
    page = parse(
        client.post(
            f"/invitations/{link.token}",
            data={"password": "password1234", "confirm": "password1234"},
        )
    )
    assert page.status == 200
    assert any("too common" in message for message in page.error_summary)
    assert client.get(f"/invitations/{link.token}").status_code == 200


def test_admin_invites_a_user_through_the_outbox(client: FlaskClient, db: Database) -> None:
    with db.factory() as session:
        admin = make_user(session, roles=["admin"])
    sign_in(client, admin)
    response = client.post(
        "/admin/users/invite",
        data={"full_name": "Kim Coordinator", "email": "Kim@Example.org", "roles": ["coordinator"]},
    )
    assert response.status_code == 302
    with db.factory() as session:
        user = session.scalars(select(User).where(User.email == "kim@example.org")).one()
        assert user.roles == frozenset({"coordinator"})
        assert user.password_hash is None
        message = session.scalars(select(OutboxMessage)).one()
        assert message.template == "staff_invitation"
        assert message.recipient == "kim@example.org"
        assert "/invitations/" in message.personalisation["link"]


def test_invite_form_errors_name_each_field_and_save_nothing(
    client: FlaskClient, db: Database
) -> None:
    with db.factory() as session:
        admin = make_user(session, roles=["admin"])
    sign_in(client, admin)
    page = parse(
        client.post(
            "/admin/users/invite", data={"full_name": "", "email": "not-an-email", "roles": []}
        )
    )
    assert "Enter the person's full name" in page.error_summary
    assert "Select at least one role" in page.error_summary
    with db.factory() as session:
        assert len(services.list_users(session)) == 1


def test_changing_roles_applies_at_once(app: Flask, db: Database) -> None:
    with db.factory() as session:
        admin = make_user(session, roles=["admin"])
        user = make_user(session, roles=["admin", "planner"])
    admin_client, user_client = app.test_client(), app.test_client()
    sign_in(admin_client, admin)
    sign_in(user_client, user)
    assert user_client.get("/admin/users").status_code == 200
    admin_client.post(f"/admin/users/{user.public_id}", data={"roles": ["planner"]})
    user_client.post("/sign-in", data={"email": user.email, "password": DEFAULT_PASSWORD})
    assert user_client.get("/admin/users").status_code == 403


def test_admins_cannot_remove_their_own_admin_role(client: FlaskClient, db: Database) -> None:
    with db.factory() as session:
        admin = make_user(session, roles=["admin"])
    sign_in(client, admin)
    page = parse(client.post(f"/admin/users/{admin.public_id}", data={"roles": ["planner"]}))
    assert page.error_summary == ["You cannot remove your own administrator role"]


def test_production_refuses_a_missing_or_weak_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config()
    monkeypatch.setenv("SECRET_KEY", "short")
    with pytest.raises(ConfigError, match="too weak"):
        load_config()
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    assert load_config()["SESSION_COOKIE_SECURE"] is True


def test_production_cookies_are_secure_and_host_only(
    monkeypatch: pytest.MonkeyPatch, db: Database
) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s" * 64)
    app = create_app(
        app_config(db, SESSION_COOKIE_SECURE=True, SESSION_COOKIE_NAME="__Host-session")
    )
    with db.factory() as session:
        user = make_user(session)
    client = app.test_client()
    response = client.post("/sign-in", data={"email": user.email, "password": DEFAULT_PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Domain" not in cookie
    assert "remember_token" not in response.headers.get("Set-Cookie", "")


def test_the_staff_list_links_to_each_account(client: FlaskClient, db: Database) -> None:
    with db.factory() as session:
        admin = make_user(session, roles=["admin"], full_name="Ada <Admin>")
    sign_in(client, admin)
    page = parse(client.get("/admin/users"))
    link = page.soup.select_one("table a.govuk-link")
    assert link is not None and link.get_text(strip=True) == "Ada <Admin>"
    assert link["href"] == f"/admin/users/{admin.public_id}"
