"""``flask --app app gdpr export|erase``: a resident's right of access and right to erasure.

Reference: ../shared/reference/reliability-security-ux.md P-07 (erasure: no trace of the
person's name, email or phone in any text column, counts unchanged, audited by id only) and
P-08 (subject access export of every row linked to the person).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import JSON, String, Text, func, select
from sqlalchemy.orm import Session

from app.gdpr.records import Person
from app.models import metadata
from app.surveys.areas import stored_areas
from champions.commands import SupportLogDetails
from champions.models import Booking, SupportLog, TrainingSession
from champions.services import log_support
from core.audit import AuditEvent
from core.clock import LONDON, now_utc, today_london
from core.outbox import OutboxMessage, queue_message
from device_loans.models import Loan, LoanRequest
from device_loans.services import decline_request, return_loan
from surveys.models import SurveyResponse
from surveys.services import ContactDetails, store_response
from tests.app.surveys.helpers import store_areas
from tests.champions.factories import NOW as CHAMPIONS_NOW
from tests.champions.factories import SESSION_START, book, make_champion, make_session, make_venue
from tests.databases import Database
from tests.device_loans.factories import STAFF, TODAY, add_request, at, lend
from tests.surveys.factories import offline_answers


@dataclass(frozen=True)
class Resident:
    """A made-up resident: how they are written down in different places."""

    name: str
    email: str
    phone: str  # E.164
    phone_spellings: tuple[str, str, str, str]

    @property
    def digits(self) -> str:
        return self.phone.removeprefix("+44")


ADA = Resident(
    "Ada Lovelace",
    "ada.lovelace@example.com",
    "+447700900982",
    ("07700 900982", "0770 090 0982 (mobile)", "0044 7700 900 982", "+44 (0)7700 900982"),
)
GRACE = Resident(
    "Grace Hopper",
    "grace.hopper@example.com",
    "+447700900123",
    ("07700 900123", "07700900123", "+44 7700 900123", "(07700) 900 123"),
)


def gdpr(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(args=["gdpr", *args])


def ok(app: Flask, *args: str) -> str:
    result = gdpr(app, *args)
    assert result.exit_code == 0, result.output
    return result.output


# --- records of a resident in every feature ---------------------------------------------------


def _survey_context(app: Flask, session: Session) -> Any:
    with app.app_context():
        if not stored_areas(session).wards:
            store_areas(session)
        return stored_areas(session).context()


def _respond(app: Flask, session: Session, contact: ContactDetails) -> SurveyResponse:
    return store_response(
        session,
        offline_answers(ward_code="E05900001", consent_follow_up="yes", wants_help="yes"),
        source="online",
        areas=_survey_context(app, session),
        now=now_utc(),
        contact=contact,
    )


def _log(session: Session, champion_id: int, name: str, contact: str) -> SupportLog:
    return log_support(
        session,
        SupportLogDetails(
            occurred_on=date(2026, 9, 1),
            place="phone",
            duration_min=30,
            topics=("transacting",),
            outcome="no_further_help",
            consent_given=True,
            resident_name=name,
            resident_contact=contact,
        ),
        champion_id=champion_id,
        now=CHAMPIONS_NOW,
    )


def add_resident(app: Flask, db: Database, who: Resident) -> None:
    """Give ``who`` ended bookings, support logs, closed loan requests and survey contacts.

    Each kind is found once by the email address and once by the phone number, written
    differently in each place.
    """
    with db.factory() as session:
        venue = make_venue(session)
        champion = make_champion(session)
        # Sessions of October 2026, over by the time these tests run.
        first = make_session(session, venue)
        second = make_session(session, venue, starts_at=SESSION_START + timedelta(days=1))
        book(
            session,
            first,
            full_name=who.name,
            email=who.email.upper(),
            access_needs=f"{who.name} needs a hearing loop",
        )
        book(
            session,
            second,
            full_name=who.name,
            contact_method="sms",
            email=None,
            phone=who.phone_spellings[0],
        )
        _log(session, champion.id, who.name, who.email.title())
        _log(session, champion.id, who.name, f"Phone {who.phone_spellings[1]} after 5")

        declined = add_request(
            session, resident_name=who.name, contact=who.email, reason=f"{who.name}'s tablet broke"
        )
        decline_request(
            session, declined.id, by=STAFF, now=at(TODAY), note=f"{who.name} has a laptop"
        )
        returned = add_request(
            session,
            resident_name=who.name,
            contact=who.phone_spellings[2],
            reason="For job applications",
        )
        loan = lend(session, returned)
        return_loan(
            session,
            loan.id,
            condition="good",
            damaged=False,
            returned_on=TODAY,
            by=STAFF,
            today=TODAY,
            now=at(TODAY, 15),
            note=f"Brought back by {who.name}",
        )
        session.commit()
        _respond(app, session, ContactDetails(name=who.name, email=who.email.upper()))
        _respond(app, session, ContactDetails(name=who.name, phone=who.phone_spellings[3]))
        session.commit()


def future_start() -> datetime:
    """10am London time on a working day about two weeks from now (the venue is open)."""
    day = today_london() + timedelta(days=14)
    if day.weekday() == 6:
        day += timedelta(days=1)
    return datetime.combine(day, time(10, 0), tzinfo=LONDON)


# --- what the database holds -------------------------------------------------------------------


def text_values(db: Database) -> list[tuple[str, str, str]]:
    """Every non-empty value of every text (and JSON) column: (table, column, text)."""
    found = []
    with db.factory() as session:
        for table in metadata.sorted_tables:
            for column in table.columns:
                if not isinstance(column.type, String | Text | JSON):
                    continue
                for value in session.scalars(select(column).where(column.is_not(None))):
                    text = value if isinstance(value, str) else json.dumps(value)
                    found.append((table.name, column.name, text))
    return found


def traces(db: Database, who: Resident) -> list[tuple[str, str, str]]:
    """Cells that still hold ``who``'s name, email address or phone number (any spelling)."""
    surname = who.name.split()[-1].lower()
    return [
        (table, column, text)
        for table, column, text in text_values(db)
        if surname in text.lower()
        or who.email in text.lower()
        or who.digits in re.sub(r"\D", "", text)
    ]


def row_counts(db: Database) -> dict[str, int]:
    with db.factory() as session:
        return {
            table.name: int(session.scalar(select(func.count()).select_from(table)) or 0)
            for table in metadata.sorted_tables
        }


def snapshot(db: Database) -> dict[str, list[tuple[str, ...]]]:
    with db.factory() as session:
        return {
            table.name: sorted(
                tuple(repr(value) for value in row) for row in session.execute(select(table))
            )
            for table in metadata.sorted_tables
        }


# --- export ------------------------------------------------------------------------------------


def test_export_by_email_finds_every_kind_and_nothing_of_anyone_else(
    app: Flask, db: Database
) -> None:
    add_resident(app, db, ADA)
    add_resident(app, db, GRACE)

    output = ok(app, "export", "--email", " ADA.Lovelace@Example.COM ")
    document = json.loads(output)

    assert document["about"]["privacy_notice"].endswith("/privacy")
    assert set(document["about"]["what_we_hold_and_why"]) >= {
        "bookings",
        "support_logs",
        "loan_requests",
        "survey_responses",
        "outbox_messages",
    }
    (booking,) = document["bookings"]
    assert (booking["full_name"], booking["email"]) == (ADA.name, ADA.email)
    assert booking["access_needs"] == "Ada Lovelace needs a hearing loop"
    assert booking["session"]["date"] == "6 October 2026"
    assert booking["session"]["title"]
    assert "cancel_token_hash" not in booking and "idempotency_key" not in booking
    (log,) = document["support_logs"]
    assert (log["resident_name"], log["resident_contact"]) == (ADA.name, "Ada.Lovelace@Example.Com")
    (request,) = document["loan_requests"]
    assert (request["resident_name"], request["status"]) == (ADA.name, "declined")
    assert request["decision_note"] == "Ada Lovelace has a laptop"
    (response,) = document["survey_responses"]
    assert response["contact"]["email"] == ADA.email.upper()
    assert response["answers"]["wants_help"] == "yes"
    assert document["outbox_messages"]
    assert {message["recipient"] for message in document["outbox_messages"]} == {ADA.email}
    assert {event["object_type"] for event in document["audit_events"]} >= {
        "booking",
        "support_log",
        "loan_request",
    }
    assert "grace" not in output.lower() and "hopper" not in output.lower()
    assert "900123" not in output
    # The export itself is audited, with counts and never the person's details.
    with db.factory() as session:
        (event,) = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "gdpr.exported")
        ).all()
    assert event.details["bookings"] == 1 and "lovelace" not in str(event.details).lower()


def test_export_by_phone_in_another_spelling_finds_every_kind(
    app: Flask, db: Database, tmp_path: Path
) -> None:
    add_resident(app, db, ADA)
    add_resident(app, db, GRACE)
    out = tmp_path / "ada.json"

    output = ok(app, "export", "--phone", "+44 7700 900 982", "--out", str(out))

    assert f"to {out}" in output
    assert "1 booking(s), 1 support log(s), 1 loan request(s), 1 survey response(s)" in output
    assert out.stat().st_mode & 0o077 == 0  # readable by its owner only
    text = out.read_text(encoding="utf-8")
    document = json.loads(text)
    (booking,) = document["bookings"]
    assert (booking["phone"], booking["contact_method"]) == (ADA.phone, "sms")
    (log,) = document["support_logs"]
    assert log["resident_contact"] == "Phone 0770 090 0982 (mobile) after 5"
    (request,) = document["loan_requests"]
    assert request["contact"] == ADA.phone and request["status"] == "fulfilled"
    (loan,) = request["loans"]
    assert loan["status"] == "returned" and loan["return_note"] == "Brought back by Ada Lovelace"
    assert loan["item"] and loan["device_events"]
    (response,) = document["survey_responses"]
    assert response["contact"]["phone"] == "+44 (0)7700 900982"
    assert {message["recipient"] for message in document["outbox_messages"]} == {ADA.phone}
    assert "Grace" not in text and "900123" not in text


def test_export_says_when_nothing_holds_the_email_or_phone(app: Flask, db: Database) -> None:
    add_resident(app, db, GRACE)
    assert ok(app, "export", "--email", ADA.email) == "No records hold that email address.\n"
    assert ok(app, "export", "--phone", ADA.phone_spellings[0]) == (
        "No records hold that phone number.\n"
    )
    assert "No records hold that email address. Nothing changed." in ok(
        app, "erase", "--email", ADA.email
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "Give either --email or --phone"),
        (("--email", ADA.email, "--phone", ADA.phone), "Give either --email or --phone"),
        (("--email", "ada.lovelace"), "enter an email address in the correct format"),
        (("--phone", "12"), "enter a phone number"),
    ],
)
@pytest.mark.parametrize("command", ["export", "erase"])
def test_bad_options_are_refused_with_a_clear_message(
    app: Flask, db: Database, command: str, args: tuple[str, ...], message: str
) -> None:
    result = gdpr(app, command, *args)
    assert result.exit_code != 0
    assert message in result.output


# --- erase -------------------------------------------------------------------------------------


def test_erase_leaves_no_trace_of_the_person_and_keeps_the_counts(app: Flask, db: Database) -> None:
    add_resident(app, db, ADA)
    add_resident(app, db, GRACE)
    assert traces(db, ADA)
    grace_before = traces(db, GRACE)
    before = row_counts(db)

    by_email = ok(app, "erase", "--email", ADA.email.upper())
    by_phone = ok(app, "erase", "--phone", "07700900982")

    for output in (by_email, by_phone):
        assert output.startswith("Erased:\n")
        assert "Could not erase" not in output
        assert re.search(r"booking \w{8} \(confirmed\) for .* on \d+ October 2026", output)
        assert "support log" in output and "loan request" in output
        assert "survey response" in output and "message(s): recipient and contents" in output
        assert "counts and statistics do not change" in output
    assert traces(db, ADA) == []
    assert traces(db, GRACE) == grace_before
    after = row_counts(db)
    # Rows stay, with their personal fields blanked; survey contact details are deleted as
    # the survey's own retention deletes them (the answers stay), and the audit trail grows.
    assert after["survey_contacts"] == before["survey_contacts"] - 2
    assert after["audit_events"] > before["audit_events"]
    unchanged = {"survey_contacts", "audit_events"}
    assert {k: v for k, v in after.items() if k not in unchanged} == {
        k: v for k, v in before.items() if k not in unchanged
    }
    with db.factory() as session:
        erased = session.scalars(select(LoanRequest).where(LoanRequest.purged_at.is_not(None)))
        assert {request.resident_name for request in erased} == {"[removed]"}
        assert session.scalar(select(func.count()).select_from(SurveyResponse)) == 4
    assert "No records hold that email address" in ok(app, "erase", "--email", ADA.email)


def test_audit_events_of_an_erasure_hold_ids_and_never_the_email_or_phone(
    app: Flask, db: Database
) -> None:
    add_resident(app, db, ADA)
    with db.factory() as session:
        already = session.scalar(select(func.max(AuditEvent.id))) or 0

    ok(app, "erase", "--email", ADA.email)
    ok(app, "erase", "--phone", ADA.phone_spellings[1].split(" (")[0])

    with db.factory() as session:
        events = list(session.scalars(select(AuditEvent).where(AuditEvent.id > already)))
    assert {event.action for event in events} >= {
        "booking.details_erased",
        "support_log.identity_erased",
        "loan_request.details_erased",
        "survey_contact.removed",
        "gdpr.erased",
    }
    for event in events:
        written = f"{event.object_type} {event.object_id} {json.dumps(event.details)}".lower()
        assert ADA.email not in written and "lovelace" not in written
        assert ADA.digits not in re.sub(r"\D", "", event.object_id)
        assert ADA.digits not in re.sub(r"\D", "", json.dumps(event.details))


def test_a_future_booking_an_open_request_and_a_loan_still_out_are_not_erased(
    app: Flask, db: Database
) -> None:
    with db.factory() as session:
        venue = make_venue(session)
        past = make_session(session, venue)
        coming = make_session(session, venue, starts_at=future_start())
        ended = book(session, past, full_name=ADA.name, email=ADA.email)
        live = book(session, coming, full_name=ADA.name, email=ADA.email, now=now_utc())
        waiting = add_request(session, resident_name=ADA.name, contact=ADA.email)
        lent = add_request(session, resident_name=ADA.name, contact=ADA.phone_spellings[0])
        loan = lend(session, lent)
        session.commit()
        ids = (ended.booking.id, live.booking.id, waiting.id, lent.id, loan.id)

    output = ok(app, "erase", "--email", ADA.email)
    assert f"booking {ended.reference} (confirmed)" in output.split("Could not erase:")[0]
    kept = output.split("Could not erase:\n")[1]
    assert f"booking {live.reference} (confirmed)" in kept
    assert "Cancel this booking before erasing the resident’s details." in kept
    assert "This request is still open (eligible). Decline it" in kept
    assert "message(s): kept with the booking or loan request above" in kept

    output = ok(app, "erase", "--phone", ADA.phone)
    assert output.startswith("Erased: nothing.\nCould not erase:\n")
    assert f"still out on loan {loan.public_id}. Take the device back" in output

    with db.factory() as session:
        ended_booking, live_booking = (session.get_one(Booking, i) for i in ids[:2])
        assert ended_booking.email is None and ended_booking.full_name is None
        assert (live_booking.full_name, live_booking.email) == (ADA.name, ADA.email)
        for request_id in ids[2:4]:
            request = session.get_one(LoanRequest, request_id)
            assert request.resident_name == ADA.name and request.purged_at is None
        assert session.get_one(Loan, ids[4]).status == "active"
        assert session.get_one(TrainingSession, coming.id).booked_count == 1
        recipients = session.scalars(
            select(OutboxMessage.recipient).where(OutboxMessage.reference == live.reference)
        ).all()
        assert recipients and set(recipients) == {ADA.email}


def test_other_messages_lose_their_recipient_but_those_of_a_staff_account_stay(
    app: Flask, db: Database
) -> None:
    with db.factory() as session:
        loose = queue_message(
            session,
            channel="sms",
            recipient=ADA.phone,
            template="anything",
            personalisation={"name": ADA.name},
            now=now_utc(),
        )
        staff = queue_message(
            session,
            channel="sms",
            recipient=ADA.phone,
            template="staff_invitation",
            personalisation={"name": ADA.name},
            now=now_utc(),
            reference="user:0123456789abcdef",
        )
        session.commit()
        ids = (loose.id, staff.id)

    output = ok(app, "erase", "--phone", ADA.phone_spellings[0])

    assert "Erased:\n  1 message(s): recipient and contents\n" in output
    assert "1 message(s): sent to a staff account" in output
    with db.factory() as session:
        loose, staff = (session.get_one(OutboxMessage, i) for i in ids)
        assert (loose.recipient, loose.personalisation, loose.status) == (None, {}, "cancelled")
        assert (staff.recipient, staff.status) == (ADA.phone, "pending")


def test_a_dry_run_reports_and_changes_nothing(app: Flask, db: Database) -> None:
    add_resident(app, db, ADA)
    before = snapshot(db)

    output = ok(app, "erase", "--email", ADA.email, "--dry-run")

    assert output.startswith("Dry run: would erase:\n")
    assert "booking" in output and "survey response" in output
    assert output.endswith("Nothing changed.\n")
    assert snapshot(db) == before
    assert ok(app, "erase", "--phone", ADA.phone, "--dry-run").endswith("Nothing changed.\n")
    assert snapshot(db) == before


# --- matching contacts as people write them ------------------------------------------------------


@pytest.mark.parametrize("text", [*ADA.phone_spellings, "call +447700900982 after 5pm"])
def test_a_phone_number_is_found_in_any_spelling(text: str) -> None:
    assert Person(phone=ADA.phone).mentioned_in(text)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Ada.Lovelace@Example.com", True),
        ("email ada.lovelace@example.com.", True),
        ("sada.lovelace@example.com", False),
        ("ada.lovelace@example.community", False),
        ("07700 900982", False),
        (None, False),
    ],
)
def test_an_email_is_found_only_whole(text: str | None, found: bool) -> None:
    assert Person(email=ADA.email).mentioned_in(text) is found


def test_contact_details_of_someone_else_do_not_match() -> None:
    assert not Person(phone=ADA.phone).mentioned_in(GRACE.phone_spellings[0])
    assert not Person(email=ADA.email).mentioned_in(GRACE.email)
