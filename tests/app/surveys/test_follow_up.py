"""Survey contact details: coordinators remove them once used, and a nightly purge removes the rest.

Reference: ../shared/reference/reliability-security-ux.md P-06 (retention as configuration, with
a dry run, idempotent) and P-07 (erasure keeps aggregate counts right, audited by id only).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.surveys.areas import stored_areas
from core.audit import AuditEvent
from core.clock import now_utc
from surveys.models import SurveyContact, SurveyResponse
from surveys.services import ContactDetails, store_response
from tests.app.surveys.helpers import store_areas
from tests.databases import Database
from tests.factories import make_user, sign_in
from tests.pages import parse
from tests.surveys.factories import offline_answers


def _respond(app: Flask, db: Database, *, name: str, when: datetime) -> str:
    """Store one response whose person left contact details at ``when``; its public id."""
    with db.factory() as session:
        if not session.scalar(select(func.count()).select_from(SurveyResponse)):
            store_areas(session)
        with app.app_context():
            context = stored_areas(session).context()
        response = store_response(
            session,
            offline_answers(ward_code="E05900001", consent_follow_up="yes", wants_help="yes"),
            source="online",
            areas=context,
            now=when,
            contact=ContactDetails(name=name, email=f"{name.lower()}@example.org"),
        )
        session.commit()
        return response.public_id


def _contacts(db: Database) -> list[str | None]:
    with db.factory() as session:
        return sorted(name or "" for name in session.scalars(select(SurveyContact.name)))


def _responses(db: Database) -> int:
    with db.factory() as session:
        return session.scalar(select(func.count()).select_from(SurveyResponse)) or 0


def test_a_coordinator_removes_details_once_the_person_is_followed_up(
    client: FlaskClient, app: Flask, db: Database
) -> None:
    olive = _respond(app, db, name="Olive", when=now_utc())
    _respond(app, db, name="Kate", when=now_utc())
    with db.factory() as session:
        sign_in(client, make_user(session, roles=["coordinator"]))
    page = parse(client.get("/surveys/follow-up"))
    assert "deleted 365 days after they were given" in page.text()
    buttons = [button.get_text(" ", strip=True) for button in page.soup.select("form button")]
    assert any(text.startswith("Remove details of Olive") for text in buttons), buttons

    response = client.post(f"/surveys/follow-up/{olive}/remove")
    assert response.status_code == 302
    page = parse(client.get(response.headers["Location"]))
    assert "Contact details removed" in page.text()
    assert "Olive" not in page.text() and "Kate" in page.text()
    assert _contacts(db) == ["Kate"]
    assert _responses(db) == 2  # the answers stay, so the estimates do not change
    with db.factory() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "survey_contact.removed")
        ).one()
    assert event.object_id == olive and "Olive" not in str(event.details)

    again = parse(client.post(f"/surveys/follow-up/{olive}/remove", follow_redirects=True))
    assert "already been removed" in again.text()
    missing = parse(client.post("/surveys/follow-up/no-such-id/remove", follow_redirects=True))
    assert "already been removed" in missing.text()
    assert _contacts(db) == ["Kate"]


def test_only_coordinators_and_admins_remove_details(
    client: FlaskClient, app: Flask, db: Database
) -> None:
    olive = _respond(app, db, name="Olive", when=now_utc())
    for role in ("champion", "planner", "councillor"):
        visitor = app.test_client()
        with db.factory() as session:
            sign_in(visitor, make_user(session, roles=[role]))
        assert visitor.post(f"/surveys/follow-up/{olive}/remove").status_code == 403
    assert client.post(f"/surveys/follow-up/{olive}/remove").status_code in (302, 401)
    assert _contacts(db) == ["Olive"]


def test_the_purge_deletes_details_past_the_retention_period_only(app: Flask, db: Database) -> None:
    _respond(app, db, name="Old", when=now_utc() - timedelta(days=366))
    _respond(app, db, name="Recent", when=now_utc() - timedelta(days=364))
    runner = app.test_cli_runner()

    result = runner.invoke(args=["surveys", "purge", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would delete the contact details of 1 survey response(s)" in result.output
    assert _contacts(db) == ["Old", "Recent"]

    result = runner.invoke(args=["surveys", "purge"])
    assert result.exit_code == 0, result.output
    assert "Deleted the contact details of 1 survey response(s)" in result.output
    assert _contacts(db) == ["Recent"]
    assert _responses(db) == 2

    result = runner.invoke(args=["surveys", "purge"])  # idempotent
    assert "of 0 survey response(s)" in result.output
    result = runner.invoke(args=["surveys", "purge", "--retention-days", "0"])
    assert "of 1 survey response(s)" in result.output
    assert _contacts(db) == []


def test_one_nightly_command_runs_every_features_purge(app: Flask, db: Database) -> None:
    _respond(app, db, name="Old", when=now_utc() - timedelta(days=400))
    result = app.test_cli_runner().invoke(args=["retention", "purge", "--dry-run"])
    assert result.exit_code == 0, result.output
    # Champions' bookings and support logs, device loans and survey contacts: each reports.
    assert "Dry run: would erase names and contact details from 0 bookings" in result.output
    assert "Dry run: would remove personal data from 0 request(s)" in result.output
    assert "would delete the contact details of 1 survey response(s)" in result.output
    assert _contacts(db) == ["Old"]
    result = app.test_cli_runner().invoke(args=["retention", "purge"])
    assert result.exit_code == 0, result.output
    assert _contacts(db) == []
