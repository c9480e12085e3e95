"""The right of access: every record linked to a person, as a JSON document (UK GDPR Art. 15,
reference P-08)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, inspect, or_, select
from sqlalchemy.orm import Session

from app.gdpr.records import Person, PersonRecords
from champions.bookings import session_title
from champions.models import Booking, SupportLog
from core.audit import AuditEvent
from core.clock import govuk_date
from device_loans.models import DeviceEvent, Loan, LoanRequest
from surveys.models import SurveyResponse

WHAT_WE_HOLD = {
    "bookings": "Your name, how to contact you and any access needs, so we can confirm your "
    "place at a digital-skills session, remind you and make the session work for you.",
    "support_logs": "What a Digital Champion helped you with, and your name and contact "
    "details, recorded only because you agreed, so they can follow up.",
    "loan_requests": "Your name, contact details, postcode, age and answers about your "
    "devices and connection, so we can decide whether you are eligible, lend you a device or "
    "data, and get it back; with the loans made to you.",
    "survey_responses": "Your survey answers, used only as statistics about areas, and the "
    "contact details you gave because you agreed to be contacted again.",
    "outbox_messages": "Emails and text messages we sent you or will send you (confirmations, "
    "reminders, offers), kept so we can show what was sent and when.",
    "audit_events": "A record of the changes made to the records above, which holds ids "
    "only, never names or contact details.",
}

LAWFUL_BASIS = (
    "Public task: helping residents get online is part of the council's digital strategy. "
    "Information about disability or health is used only to make sessions accessible."
)
RETENTION = (
    "Names and contact details are removed a set time after your session or loan ends; we "
    "keep counts that do not identify anyone. You can ask us to erase them sooner."
)
NOT_SEARCHED = (
    "Records that hold only your name (for example a note of help given without contact "
    "details) are not found by an email address or phone number: ask us if you want us to "
    "look for them."
)

_SECRETS = frozenset({"cancel_token_hash", "offer_token_hash", "idempotency_key", "content_hash"})


def _columns(row: object) -> dict[str, Any]:
    """Every column of a mapped row except secrets (link-token hashes, form keys)."""
    mapper = inspect(type(row))
    return {
        column.key: getattr(row, column.key)
        for column in mapper.column_attrs
        if column.key not in _SECRETS
    }


def json_value(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def export_document(
    session: Session, records: PersonRecords, person: Person, *, about: dict[str, Any]
) -> dict[str, Any]:
    """The subject access export: a "what we hold and why" header and every row, by kind."""
    return {
        "about": {
            **about,
            "searched_by": person.what,
            "what_we_hold_and_why": WHAT_WE_HOLD,
            "lawful_basis": LAWFUL_BASIS,
            "how_long_we_keep_it": RETENTION,
            "not_searched": NOT_SEARCHED,
            "records": records.counts(),
        },
        "bookings": [_booking(booking) for booking in records.bookings],
        "support_logs": [_support_log(log) for log in records.support_logs],
        "loan_requests": [_loan_request(session, request) for request in records.loan_requests],
        "survey_responses": [_survey_response(response) for response in records.survey_responses],
        "outbox_messages": [_columns(message) for message in records.outbox_messages],
        "audit_events": [_columns(event) for event in _audit_events(session, records)],
    }


def _booking(booking: Booking) -> dict[str, Any]:
    training_session = booking.training_session
    return {
        **_columns(booking),
        "session": {
            "public_id": training_session.public_id,
            "title": session_title(training_session),
            "date": govuk_date(training_session.starts_at),
            "starts_at": training_session.starts_at,
            "ends_at": training_session.ends_at,
            "venue": training_session.venue.name,
            "status": training_session.status,
        },
    }


def _support_log(log: SupportLog) -> dict[str, Any]:
    return {
        **_columns(log),
        "topics": log.topics,
        "venue": log.venue.name if log.venue is not None else None,
    }


def _loan_request(session: Session, request: LoanRequest) -> dict[str, Any]:
    return {**_columns(request), "loans": [_loan(session, loan) for loan in request.loans]}


def _loan(session: Session, loan: Loan) -> dict[str, Any]:
    events = session.scalars(
        select(DeviceEvent).where(DeviceEvent.loan_id == loan.id).order_by(DeviceEvent.id)
    )
    return {
        **_columns(loan),
        "item": f"Kit {loan.kit.code}" if loan.kit is not None else _device_label(loan),
        "device_events": [
            {"at": e.at, "from_status": e.from_status, "to_status": e.to_status, "note": e.note}
            for e in events
        ],
    }


def _device_label(loan: Loan) -> str | None:
    return loan.device.label if loan.device is not None else None


def _survey_response(response: SurveyResponse) -> dict[str, Any]:
    contact = response.contact
    return {
        **_columns(response),
        "contact": None
        if contact is None
        else {
            "name": contact.name,
            "email": contact.email,
            "phone": contact.phone,
            "created_at": contact.created_at,
        },
    }


def _audit_events(session: Session, records: PersonRecords) -> list[AuditEvent]:
    """Audit rows about the person's records (they hold ids only)."""
    objects: dict[str, set[str]] = {
        "booking": {booking.reference for booking in records.bookings},
        "support_log": {log.public_id for log in records.support_logs},
        "loan_request": {str(request.id) for request in records.loan_requests},
        "loan": {str(loan.id) for request in records.loan_requests for loan in request.loans},
        "survey_response": {response.public_id for response in records.survey_responses},
    }
    conditions = [
        and_(AuditEvent.object_type == kind, AuditEvent.object_id.in_(sorted(ids)))
        for kind, ids in objects.items()
        if ids
    ]
    if not conditions:
        return []
    return list(session.scalars(select(AuditEvent).where(or_(*conditions)).order_by(AuditEvent.id)))
