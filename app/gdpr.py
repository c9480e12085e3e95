"""``flask --app app gdpr export|erase``: a resident's right of access and right to erasure.

Residents have no account, so a person is found by the email address or the phone number they
gave.  Their data is in five places:

* champions bookings (name, email, phone, access needs), found by email or phone;
* champions support logs (name and contact, kept only with consent), whose contact is free text;
* device loan requests (name, contact, postcode, age, reason and notes) with their loans;
* survey contacts (name, email, phone as typed), kept apart from the survey answers;
* the notification outbox (recipient and message contents).

``export`` writes every row linked to the person as JSON (UK GDPR Art. 15; reference P-08);
``erase`` removes the personal fields of every row that can be erased now, in one transaction,
and lists what it could not erase and why (Art. 17; reference P-07).  Rows are kept with their
personal fields blanked, so counts and statistics do not change (survey contact details, kept
in a table of their own, are deleted as the survey's retention does).  The audit trail records
ids and counts only, never the email address or phone number.

Emails match whatever their case.  Phone numbers match in any common spelling ("07700 900982",
"+44 7700 900982", "0044 7700900982"): bookings, loan requests and the outbox store them
normalised; support logs and survey contacts keep them as typed and are read with
``phonenumbers``.  Records that hold only a name (a support log without contact details) are
not found: names are not unique.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import click
import phonenumbers
from flask import current_app, url_for
from flask.cli import AppGroup
from sqlalchemy import and_, func, inspect, or_, select
from sqlalchemy.orm import Session

from app.database import db_session
from champions.bookings import session_title
from champions.models import Booking, SupportLog
from champions.retention import erase_booking_details, erase_support_log_identity
from core.audit import AuditEvent, record_event
from core.clock import govuk_date, now_utc
from core.db import new_public_id
from core.errors import Conflict
from core.outbox import OutboxMessage
from device_loans.erasure import erase_request_details, list_requests_for_contact
from device_loans.models import DeviceEvent, Loan, LoanRequest
from device_loans.rules import REQUEST_STATUS_LABELS
from surveys.models import SurveyContact, SurveyResponse
from surveys.retention import remove_contact

gdpr_cli = AppGroup(
    "gdpr", help="A resident's data protection requests: export their data, or erase it."
)

# ---------------------------------------------------------------------------------------------
# Who the request is about
# ---------------------------------------------------------------------------------------------

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


def normalise_email(text: str | None) -> str | None:
    """The email address in lower case, or ``None`` if ``text`` is not one."""
    address = (text or "").strip().lower()
    return address if _EMAIL.match(address) and len(address) <= 320 else None


def normalise_phone(text: str | None) -> str | None:
    """The phone number in E.164 form (``+447700900982``), or ``None`` if ``text`` is not one.

    Numbers without a country code are read as UK numbers.  Ofcom's drama range (07700 900xxx)
    is accepted, as the booking and loan forms accept it.
    """
    try:
        number = phonenumbers.parse((text or "").strip(), "GB")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


@dataclass(frozen=True)
class Person:
    """The resident a request is about: one normalised email address or one E.164 phone number."""

    email: str | None = None
    phone: str | None = None

    def __post_init__(self) -> None:
        if (self.email is None) == (self.phone is None):
            raise ValueError("a person is found by an email address or a phone number, not both")

    @property
    def value(self) -> str:
        """The email address or phone number."""
        return self.email or self.phone or ""

    @property
    def what(self) -> str:
        """``"email address"`` or ``"phone number"``, for messages."""
        return "email address" if self.email is not None else "phone number"

    def mentioned_in(self, text: str | None) -> bool:
        """Whether free text (a contact as typed) holds this email address or phone number."""
        if not text:
            return False
        if self.email is not None:
            # The address on its own, not as the tail of a longer one (bjo@ is not jo@).
            pattern = rf"(?<![\w.+\-]){re.escape(self.email)}(?![\w\-]|\.\w)"
            return re.search(pattern, text, flags=re.IGNORECASE) is not None
        matches = phonenumbers.PhoneNumberMatcher(
            text, "GB", leniency=phonenumbers.Leniency.POSSIBLE
        )
        return any(
            phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
            == self.phone
            for match in matches
        )


# ---------------------------------------------------------------------------------------------
# Finding their records
# ---------------------------------------------------------------------------------------------


@dataclass
class PersonRecords:
    """Every row that holds the person's email address or phone number."""

    bookings: list[Booking] = field(default_factory=list)
    support_logs: list[SupportLog] = field(default_factory=list)
    loan_requests: list[LoanRequest] = field(default_factory=list)
    survey_responses: list[SurveyResponse] = field(default_factory=list)
    outbox_messages: list[OutboxMessage] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """How many rows of each kind."""
        return {
            "bookings": len(self.bookings),
            "support_logs": len(self.support_logs),
            "loan_requests": len(self.loan_requests),
            "survey_responses": len(self.survey_responses),
            "outbox_messages": len(self.outbox_messages),
        }

    @property
    def empty(self) -> bool:
        """Whether nothing holds the email address or phone number."""
        return not any(self.counts().values())


def find_records(session: Session, person: Person) -> PersonRecords:
    """Find every booking, support log, loan request, survey contact and message of ``person``."""
    return PersonRecords(
        bookings=_bookings(session, person),
        support_logs=_support_logs(session, person),
        loan_requests=list_requests_for_contact(session, person.value),
        survey_responses=_survey_responses(session, person),
        outbox_messages=_outbox_messages(session, person),
    )


def _bookings(session: Session, person: Person) -> list[Booking]:
    # The booking service stores emails in lower case and phones in E.164 form.
    condition = (
        func.lower(Booking.email) == person.email
        if person.email is not None
        else Booking.phone == person.phone
    )
    return list(session.scalars(select(Booking).where(condition).order_by(Booking.id)))


def _support_logs(session: Session, person: Person) -> list[SupportLog]:
    # The contact is free text as the champion typed it: narrow down in SQL, decide in Python.
    query = select(SupportLog).where(SupportLog.resident_contact.is_not(None))
    if person.email is not None:
        query = query.where(func.lower(SupportLog.resident_contact).contains(person.email))
    logs = session.scalars(query.order_by(SupportLog.id))
    return [log for log in logs if person.mentioned_in(log.resident_contact)]


def _survey_responses(session: Session, person: Person) -> list[SurveyResponse]:
    # Survey contacts are kept as the person typed them.
    if person.email is not None:
        query = select(SurveyContact).where(func.lower(SurveyContact.email).contains(person.email))
    else:
        query = select(SurveyContact).where(SurveyContact.phone.is_not(None))
    contacts = session.scalars(query.order_by(SurveyContact.id))
    return [
        contact.response
        for contact in contacts
        if person.mentioned_in(contact.email if person.email is not None else contact.phone)
    ]


def _outbox_messages(session: Session, person: Person) -> list[OutboxMessage]:
    # Recipients come from bookings, loan requests and staff accounts, all stored normalised.
    condition = (
        func.lower(OutboxMessage.recipient) == person.email
        if person.email is not None
        else OutboxMessage.recipient == person.phone
    )
    return list(session.scalars(select(OutboxMessage).where(condition).order_by(OutboxMessage.id)))


# ---------------------------------------------------------------------------------------------
# Export (right of access)
# ---------------------------------------------------------------------------------------------

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


def _json_value(value: object) -> object:
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


# ---------------------------------------------------------------------------------------------
# Erasure (right to erasure)
# ---------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------------

_Command = TypeVar("_Command", bound=Callable[..., Any])


def _person_options(command: _Command) -> _Command:
    command = click.option(
        "--phone", default=None, help="Their phone number, in any spelling (07700 900982)."
    )(command)
    return click.option("--email", default=None, help="Their email address (any case).")(command)


def _person(email: str | None, phone: str | None) -> Person:
    if (email is None) == (phone is None):
        raise click.UsageError(
            "Give either --email or --phone (one of them, not both): the resident is found by "
            "the email address or the phone number they gave."
        )
    if email is not None:
        address = normalise_email(email)
        if address is None:
            raise click.BadParameter(
                "enter an email address in the correct format, like name@example.com",
                param_hint="'--email'",
            )
        return Person(email=address)
    number = normalise_phone(phone)
    if number is None:
        raise click.BadParameter(
            "enter a phone number, like 07700 900982 or +44 7700 900982", param_hint="'--phone'"
        )
    return Person(phone=number)


def _privacy_notice() -> str:
    if current_app.config.get("SERVER_NAME"):
        return url_for("main.privacy", _external=True)
    return str(current_app.url_map.bind("localhost").build("main.privacy"))


def _summary(records: PersonRecords) -> str:
    names = {
        "bookings": "booking(s)",
        "support_logs": "support log(s)",
        "loan_requests": "loan request(s)",
        "survey_responses": "survey response(s)",
        "outbox_messages": "message(s)",
    }
    return ", ".join(f"{count} {names[kind]}" for kind, count in records.counts().items())


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner only (it holds personal data)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # also when the file was already there
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)


@gdpr_cli.command("export")
@_person_options
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Write the JSON to this file (default: print it).",
)
def export_command(email: str | None, phone: str | None, out: Path | None) -> None:
    """Export every record holding a resident's email or phone, as JSON.

    Give ``--email`` or ``--phone``; the export goes to ``--out`` (readable by you only) or is
    printed.
    """
    person = _person(email, phone)
    session = db_session()
    records = find_records(session, person)
    if records.empty:
        click.echo(f"No records hold that {person.what}.")
        return
    about = {
        "controller": current_app.config["COUNCIL_NAME"],
        "service": current_app.config["SERVICE_NAME"],
        "privacy_notice": _privacy_notice(),
        "generated_at": now_utc(),
    }
    document = export_document(session, records, person, about=about)
    text = json.dumps(document, indent=2, ensure_ascii=False, default=_json_value) + "\n"
    if out is None:
        click.echo(text, nl=False)
        return
    _write_private(out, text)
    click.echo(f"Wrote {_summary(records)} to {out} (readable by you only).")


@gdpr_cli.command("erase")
@_person_options
@click.option("--dry-run", is_flag=True, help="Report what would be erased, and change nothing.")
def erase_command(email: str | None, phone: str | None, dry_run: bool) -> None:
    """Erase a resident's details; list what cannot be erased yet.

    Give ``--email`` or ``--phone``.  Everything that can be erased is erased in one
    transaction; ``--dry-run`` reports and changes nothing.
    """
    person = _person(email, phone)
    session = db_session()
    records = find_records(session, person)
    if records.empty:
        click.echo(f"No records hold that {person.what}. Nothing changed.")
        return
    # One transaction: it is committed only once every erasure has succeeded.
    report = erase_records(session, records, now=now_utc(), actor_id=None)
    if dry_run:
        session.rollback()
    else:
        session.commit()
    prefix = "Dry run: would erase" if dry_run else "Erased"
    if report.erased:
        click.echo(f"{prefix}:")
        for outcome in report.erased:
            click.echo(f"  {outcome.record}: {outcome.detail}")
    else:
        click.echo(f"{prefix}: nothing.")
    if report.kept:
        click.echo("Could not erase:")
        for outcome in report.kept:
            click.echo(f"  {outcome.record}: {outcome.detail}")
    if dry_run:
        click.echo("Nothing changed.")
    else:
        click.echo(
            "The records are kept with these details removed, so counts and statistics do not "
            "change. Backups age out on their normal rotation."
        )
