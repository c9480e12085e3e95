"""The daily job: overdue marking and reminders, idempotent and one message per resident."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.audit import AuditEvent
from core.outbox import OutboxMessage
from device_loans.config import LoanPolicy
from device_loans.models import LoanReminder
from device_loans.services import mark_overdue, renew_loan, return_loan
from tests.device_loans.factories import POLICY, STAFF, TODAY, add_request, at, lend

DUE = TODAY + timedelta(days=28)


def run(session: Session, day: date, policy: LoanPolicy = POLICY) -> tuple[int, int, int]:
    report = mark_overdue(session, policy=policy, today=day, now=at(day))
    return report.marked_overdue, report.reminders_queued, report.loans_reminded


def reminders(session: Session) -> list[tuple[str, str]]:
    rows = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.template.in_(("loan_due_soon", "loan_overdue")))
        .order_by(OutboxMessage.id)
    )
    return [(row.template, row.status) for row in rows]


def test_a_loan_becomes_overdue_the_day_after_it_is_due(session: Session) -> None:
    loan = lend(session, add_request(session))
    assert run(session, DUE)[0] == 0
    assert loan.status == "active"
    assert run(session, DUE + timedelta(days=1))[0] == 1
    assert loan.status == "overdue"


def test_running_twice_changes_nothing_the_second_time(session: Session) -> None:
    loan = lend(session, add_request(session))
    day = DUE + timedelta(days=1)
    assert run(session, day) == (1, 1, 1)
    audit_rows = session.scalar(select(func.count()).select_from(AuditEvent))
    messages = session.scalar(select(func.count()).select_from(OutboxMessage))
    assert run(session, day) == (0, 0, 0)
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == audit_rows
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == messages
    assert loan.status == "overdue"


def test_reminders_go_before_and_after_the_due_date_once_each(session: Session) -> None:
    lend(session, add_request(session))
    sent_days = []
    for offset in range(-5, 20):
        day = DUE + timedelta(days=offset)
        if run(session, day)[1]:
            sent_days.append(offset)
    assert sent_days == [-3, 1, 7, 14]
    assert reminders(session) == [
        ("loan_due_soon", "pending"),
        ("loan_overdue", "pending"),
        ("loan_overdue", "pending"),
        ("loan_overdue", "pending"),
    ]
    offsets = session.scalars(select(LoanReminder.offset_days).order_by(LoanReminder.id)).all()
    assert offsets == [3, 1, 7, 14]


def test_a_missed_run_sends_only_the_latest_reminder(session: Session) -> None:
    lend(session, add_request(session))
    assert run(session, DUE + timedelta(days=9))[1:] == (1, 1)
    assert session.scalars(select(LoanReminder.offset_days)).all() == [7]


def test_one_message_covers_all_of_a_residents_items(session: Session) -> None:
    request = add_request(session)
    lend(session, request)
    lend(session, request)
    assert run(session, DUE - timedelta(days=3)) == (0, 1, 2)
    message = session.scalars(
        select(OutboxMessage).where(OutboxMessage.template == "loan_due_soon")
    ).one()
    assert message.personalisation["items"].count("due 29 March 2027") == 2
    assert message.personalisation["due_date"] == "29 March 2027"
    assert message.recipient == request.contact


def test_returned_loans_get_no_reminders_and_pending_ones_are_cancelled(session: Session) -> None:
    loan = lend(session, add_request(session))
    run(session, DUE + timedelta(days=1))
    day = DUE + timedelta(days=2)
    return_loan(
        session,
        loan.id,
        condition="good",
        damaged=False,
        returned_on=day,
        by=STAFF,
        today=day,
        now=at(day),
    )
    assert reminders(session) == [("loan_overdue", "cancelled")]
    assert run(session, DUE + timedelta(days=7)) == (0, 0, 0)


def test_a_renewal_brings_reminders_for_the_new_due_date(session: Session) -> None:
    loan = lend(session, add_request(session))
    run(session, DUE - timedelta(days=3))
    renew_loan(
        session, loan.id, policy=POLICY, by=STAFF, today=DUE - timedelta(days=2), now=at(DUE)
    )
    assert run(session, DUE - timedelta(days=1))[1] == 0
    new_due = DUE + timedelta(days=28)
    assert run(session, new_due - timedelta(days=3))[1] == 1
    assert session.scalars(select(LoanReminder.for_due_on).order_by(LoanReminder.id)).all() == [
        DUE,
        new_due,
    ]


def test_residents_with_a_landline_are_not_messaged(session: Session) -> None:
    loan = lend(session, add_request(session, contact="020 8583 2000"))
    assert run(session, DUE + timedelta(days=1)) == (1, 0, 0)
    assert loan.status == "overdue"


def test_reminder_days_come_from_the_council_policy(session: Session) -> None:
    policy = LoanPolicy(reminder_days_before=(7, 1), reminder_days_after=(2,))
    lend(session, add_request(session))
    sent = [
        offset for offset in range(-10, 10) if run(session, DUE + timedelta(days=offset), policy)[1]
    ]
    assert sent == [-7, -1, 2]
