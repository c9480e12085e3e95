"""Who a data protection request is about (an email address or a phone number) and every record
that holds it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import phonenumbers
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from champions.models import Booking, SupportLog
from core.outbox import OutboxMessage
from device_loans.erasure import list_requests_for_contact
from device_loans.models import LoanRequest
from surveys.models import SurveyContact, SurveyResponse

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
