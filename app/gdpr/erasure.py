"""The right to erasure: blank a person's details everywhere they can be erased now, and say
why the rest cannot be yet (UK GDPR Art. 17, reference P-07)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from app.gdpr.records import PersonRecords
from champions.bookings import session_title
from champions.models import Booking
from champions.retention import erase_booking_details, erase_support_log_identity
from core.audit import record_event
from core.clock import govuk_date
from core.db import new_public_id
from core.errors import Conflict
from core.outbox import OutboxMessage
from device_loans.erasure import erase_request_details
from device_loans.models import LoanRequest
from device_loans.rules import REQUEST_STATUS_LABELS
from surveys.retention import remove_contact


@dataclass(frozen=True)
class Outcome:
    """One record erased, or kept, and what was done or why not."""

    record: str
    detail: str


@dataclass
class ErasureReport:
    """What one erasure removed and what it could not remove (with the reason)."""

    erased: list[Outcome] = field(default_factory=list)
    kept: list[Outcome] = field(default_factory=list)


def erase_records(
    session: Session, records: PersonRecords, *, now: datetime, actor_id: int | None
) -> ErasureReport:
    """Erase the personal fields of every record that can be erased now; report the rest.

    Each record is erased by its own package's erasure, inside a savepoint, so a refusal leaves
    that record as it was.  Rows stay with their personal fields blanked (survey contact
    details are deleted, their answers stay).  The caller commits, or rolls back for a dry run.
    """
    report = ErasureReport()
    kept_references: set[str] = set()

    for booking in records.bookings:
        what = _booking_label(booking)
        try:
            with session.begin_nested():
                erase_booking_details(
                    session, reference=booking.reference, now=now, actor_id=actor_id
                )
        except Conflict as refusal:
            report.kept.append(Outcome(what, _sentence(refusal.message)))
            kept_references.add(booking.reference)
        else:
            report.erased.append(Outcome(what, "name, contact details and access needs"))

    for log in records.support_logs:
        erase_support_log_identity(session, log.id, now=now, actor_id=actor_id)
        report.erased.append(
            Outcome(
                f"support log {log.public_id} of {govuk_date(log.occurred_on)}",
                "name and contact details (the help given is still counted)",
            )
        )

    for request in records.loan_requests:
        what = f"loan request {request.reference} ({_request_status(request)})"
        try:
            with session.begin_nested():
                erased = erase_request_details(session, request.id, now=now, actor_id=actor_id)
        except Conflict as refusal:
            report.kept.append(Outcome(what, _sentence(refusal.message)))
            kept_references.add(request.public_id)
        else:
            loans = f", and the notes of its {erased.loans} loan(s)" if erased.loans else ""
            report.erased.append(
                Outcome(what, f"name, contact details, postcode, age and notes{loans}")
            )

    for response in records.survey_responses:
        remove_contact(session, response_public_id=response.public_id, now=now, actor_id=actor_id)
        report.erased.append(
            Outcome(
                f"survey response {response.public_id} of {govuk_date(response.submitted_at)}",
                "contact details deleted (the answers are kept as statistics)",
            )
        )

    _erase_messages(session, records.outbox_messages, kept_references, report, now, actor_id)
    record_event(
        session,
        at=now,
        actor_id=actor_id,
        action="gdpr.erased",
        object_type="erasure_request",
        object_id=new_public_id(),
        details={
            **records.counts(),
            "erased": len(report.erased),
            "not_erased": len(report.kept),
        },
    )
    session.flush()
    return report


def _erase_messages(
    session: Session,
    messages: Iterable[OutboxMessage],
    kept_references: set[str],
    report: ErasureReport,
    now: datetime,
    actor_id: int | None,
) -> None:
    erased = 0
    kept: dict[str, int] = {}
    for message in messages:
        if message.recipient is None:
            # Redacted with its booking or loan request; with nobody to send to, stop it.
            if message.status == "pending":
                message.status = "cancelled"
            erased += 1
        elif message.reference is not None and message.reference in kept_references:
            reason = "kept with the booking or loan request above, until that can be erased"
            kept[reason] = kept.get(reason, 0) + 1
        elif message.reference is not None and message.reference.startswith("user:"):
            reason = (
                "sent to a staff account: this command erases residents' data only; "
                "deactivate or remove the account instead"
            )
            kept[reason] = kept.get(reason, 0) + 1
        else:
            message.recipient = None
            message.personalisation = {}
            if message.status == "pending":
                message.status = "cancelled"  # nobody to send it to any more
            record_event(
                session,
                at=now,
                actor_id=actor_id,
                action="notification.recipient_erased",
                object_type="outbox_message",
                object_id=message.id,
            )
            erased += 1
    if erased:
        report.erased.append(Outcome(f"{erased} message(s)", "recipient and contents"))
    for reason, count in kept.items():
        report.kept.append(Outcome(f"{count} message(s)", reason))


def _booking_label(booking: Booking) -> str:
    training_session = booking.training_session
    return (
        f"booking {booking.reference} ({booking.status}) for "
        f"“{session_title(training_session)}” on {govuk_date(training_session.starts_at)}"
    )


def _sentence(message: str) -> str:
    return message if message.endswith((".", "!", "?")) else f"{message}."


def _request_status(request: LoanRequest) -> str:
    return REQUEST_STATUS_LABELS.get(request.status, request.status)
