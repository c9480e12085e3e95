"""The administrators' data protection request pages: find, download, erase (P-07, P-08)."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from core.audit import AuditEvent
from tests.app.test_gdpr import ADA, GRACE, add_resident, row_counts, traces
from tests.databases import Database
from tests.factories import make_user, sign_in
from tests.pages import parse


@pytest.fixture
def admin(client: FlaskClient, db: Database) -> FlaskClient:
    with db.factory() as session:
        sign_in(client, make_user(session, roles=["admin"]))
    return client


def test_an_admin_finds_what_is_held_and_sees_what_erasure_would_do(
    admin: FlaskClient, app: Flask, db: Database
) -> None:
    add_resident(app, db, ADA)
    add_resident(app, db, GRACE)
    before = row_counts(db)
    page = parse(admin.get("/admin/data-requests/"))
    assert page.h1 == "Data protection requests"

    found = parse(admin.post("/admin/data-requests/", data={"phone": ADA.phone_spellings[0]}))
    assert found.h1 == "What we hold for this phone number"
    counts = {
        row.select_one("th").get_text(strip=True): row.select_one("td").get_text(strip=True)
        for row in found.soup.select("table tbody tr")
    }
    assert counts["Session bookings"] != "0" and counts["Device loan requests"] != "0"
    text = found.text()
    assert "Erase their details" in text and "Download their information" in text
    # The person travels in the POST body of the actions, never in a link.
    assert ADA.phone not in " ".join(a.get("href", "") for a in found.soup.select("a"))
    # The preview changed nothing.
    assert row_counts(db) == before and traces(db, ADA)


def test_the_download_is_the_subject_access_export_and_is_audited(
    admin: FlaskClient, app: Flask, db: Database
) -> None:
    add_resident(app, db, ADA)
    add_resident(app, db, GRACE)
    response = admin.post("/admin/data-requests/export", data={"email": ADA.email.upper()})
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"].startswith("no-store")
    document = json.loads(response.get_data(as_text=True))
    assert document["bookings"][0]["email"] == ADA.email
    assert "grace" not in response.get_data(as_text=True).lower()
    with db.factory() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "gdpr.exported")
        ).one()
    assert event.actor_id is not None and ADA.email not in str(event.details)


def test_erasing_by_each_contact_leaves_no_trace_and_keeps_the_rows(
    admin: FlaskClient, app: Flask, db: Database
) -> None:
    add_resident(app, db, ADA)
    add_resident(app, db, GRACE)
    before = row_counts(db)
    done = parse(admin.post("/admin/data-requests/erase", data={"email": ADA.email}))
    assert done.h1 == "Details erased"
    assert "find them by those too" in done.text()
    # Ada also gave a phone number in places; erasing by it too leaves nothing of her.
    admin.post("/admin/data-requests/erase", data={"phone": ADA.phone})
    assert traces(db, ADA) == []
    assert traces(db, GRACE)
    after = row_counts(db)
    # Rows stay (survey contact details are deleted, as their retention does); audit grows.
    assert after["bookings"] == before["bookings"]
    assert after["loan_requests"] == before["loan_requests"]
    again = parse(admin.post("/admin/data-requests/", data={"email": ADA.email}))
    assert "No records hold this email address" in again.text()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Enter their email address or their phone number"),
        ({"email": "a@example.org", "phone": "07700 900982"}, "not both"),
        ({"email": "not an email"}, "Enter an email address in the correct format"),
        ({"phone": "12"}, "Enter a phone number, like 07700 900982"),
        ({"phone": "0" * 41}, "Phone number must be 40 characters or fewer"),
    ],
)
def test_bad_input_is_explained_on_the_page(
    admin: FlaskClient, data: dict[str, str], message: str
) -> None:
    page = parse(admin.post("/admin/data-requests/", data=data))
    assert page.title.startswith("Error: ")
    assert any(message in error for error in page.error_summary)


def test_a_tampered_action_is_refused_and_nothing_changes(
    admin: FlaskClient, app: Flask, db: Database
) -> None:
    add_resident(app, db, ADA)
    page = parse(admin.post("/admin/data-requests/erase", data={"email": "<script>"}))
    assert "Find the resident again" in page.text()
    assert traces(db, ADA)


@pytest.mark.parametrize("role", ["coordinator", "champion", "planner", "councillor"])
def test_only_administrators_handle_requests(client: FlaskClient, db: Database, role: str) -> None:
    with db.factory() as session:
        sign_in(client, make_user(session, roles=[role]))
    assert client.get("/admin/data-requests/").status_code == 403
    assert client.post("/admin/data-requests/erase", data={"email": ADA.email}).status_code == 403
