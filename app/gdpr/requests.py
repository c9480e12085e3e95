"""A data protection request from start to end, shared by the commands and the admin pages:
the export as JSON text (audited by counts) and a preview of what an erasure would do."""

from __future__ import annotations

import json

from flask import current_app, url_for
from sqlalchemy.orm import Session

from app.gdpr.erasure import ErasureReport, erase_records
from app.gdpr.export import export_document, json_value
from app.gdpr.records import Person, PersonRecords
from core.audit import record_event
from core.clock import now_utc
from core.db import new_public_id

KIND_NAMES = {
    "bookings": "Session bookings",
    "support_logs": "Support logs",
    "loan_requests": "Device loan requests",
    "survey_responses": "Survey contact details",
    "outbox_messages": "Messages",
}
_COUNT_NOUNS = {
    "bookings": "booking(s)",
    "support_logs": "support log(s)",
    "loan_requests": "loan request(s)",
    "survey_responses": "survey response(s)",
    "outbox_messages": "message(s)",
}


def summary(records: PersonRecords) -> str:
    """``"1 booking(s), 0 support log(s), ..."``: what was found, in a line."""
    return ", ".join(f"{count} {_COUNT_NOUNS[kind]}" for kind, count in records.counts().items())


def privacy_notice_url() -> str:
    """The privacy notice's address (full when the app knows its host name)."""
    if current_app.config.get("SERVER_NAME"):
        return url_for("main.privacy", _external=True)
    return str(current_app.url_map.bind("localhost").build("main.privacy"))


def export_json(
    session: Session, records: PersonRecords, person: Person, *, actor_id: int | None
) -> str:
    """The subject access export as JSON text; the export is audited by counts only.

    The caller commits, so the audit row is kept.
    """
    now = now_utc()
    about = {
        "controller": current_app.config["COUNCIL_NAME"],
        "service": current_app.config["SERVICE_NAME"],
        "privacy_notice": privacy_notice_url(),
        "generated_at": now,
    }
    document = export_document(session, records, person, about=about)
    record_event(
        session,
        at=now,
        actor_id=actor_id,
        action="gdpr.exported",
        object_type="subject_access_request",
        object_id=new_public_id(),
        details=records.counts(),
    )
    return json.dumps(document, indent=2, ensure_ascii=False, default=json_value) + "\n"


def preview_erasure(session: Session, records: PersonRecords) -> ErasureReport:
    """What an erasure would erase and keep, without changing anything (it is rolled back)."""
    with session.begin_nested() as preview:
        report = erase_records(session, records, now=now_utc(), actor_id=None)
        preview.rollback()
    return report
