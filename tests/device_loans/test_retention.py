"""Retention: personal data goes after the retention period; anonymous statistics survive."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.outbox import OutboxMessage
from device_loans.models import DeviceEvent, LoanRequest
from device_loans.reports import devices_out_by_ward, loan_outcomes, waiting_times
from device_loans.services import (
    REMOVED,
    decline_request,
    mark_overdue,
    purge_personal_data,
    record_lost,
    return_loan,
)
from tests.device_loans.factories import (
    NOW,
    POLICY,
    STAFF,
    TODAY,
    add_request,
    at,
    lend,
)

RETENTION = 365


def finished_loan(
    session: Session, *, name: str, contact: str, returned_after: int = 30
) -> LoanRequest:
    request = add_request(session, resident_name=name, contact=contact, reason="Lost my job in May")
    loan = lend(session, request)
    mark_overdue(
        session, policy=POLICY, today=TODAY + timedelta(days=29), now=at(TODAY + timedelta(days=29))
    )
    day = TODAY + timedelta(days=returned_after)
    return_loan(
        session,
        loan.id,
        condition="poor",
        damaged=True,
        returned_on=day,
        by=STAFF,
        today=day,
        now=at(day),
        note=f"{name} said the screen cracked",
    )
    return request


def purge(session: Session, days_after_start: int) -> tuple[int, int, int, int]:
    today = TODAY + timedelta(days=days_after_start)
    report = purge_personal_data(session, today=today, retention_days=RETENTION, now=at(today))
    return report.requests, report.loans, report.device_event_notes, report.messages


def test_nothing_goes_before_the_retention_period_ends(session: Session) -> None:
    request = finished_loan(session, name="Ann Smith", contact="ann@example.com")
    assert purge(session, 30 + RETENTION) == (0, 0, 0, 0)
    assert request.resident_name == "Ann Smith"


def test_names_contacts_and_free_text_go_after_the_period(session: Session) -> None:
    request = finished_loan(session, name="Ann Smith", contact="ann@example.com")
    loan = request.loans[0]
    requests, loans, notes, messages = purge(session, 31 + RETENTION)
    assert (requests, loans, notes) == (1, 1, 0)
    assert messages == 3  # request received, loan issued, due-soon reminder
    assert (
        request.resident_name,
        request.contact,
        request.postcode,
        request.age_years,
        request.reason,
    ) == (
        REMOVED,
        None,
        None,
        None,
        None,
    )
    assert (loan.condition_out, loan.return_note) == (None, None)
    # What statistics need stays.
    assert (
        request.ward_code,
        request.postcode_district,
        request.age_band,
        request.borrower_type,
    ) == (
        "E05013617",
        "TW3",
        "35-49",
        "resident",
    )
    assert (loan.issued_on, loan.closed_on, loan.status, loan.return_condition, loan.damaged) == (
        TODAY,
        TODAY + timedelta(days=30),
        "returned",
        "poor",
        True,
    )
    for message in session.scalars(select(OutboxMessage)):
        assert (message.recipient, message.personalisation) == (None, {})


def test_no_text_column_still_holds_the_residents_details(session: Session) -> None:
    finished_loan(session, name="Zebedee Quill", contact="zebedee@example.com")
    purge(session, 31 + RETENTION)
    for model in (LoanRequest, DeviceEvent, OutboxMessage):
        for row in session.scalars(select(model)):
            for column in model.__table__.columns:
                value = getattr(row, column.key)
                text = str(value)
                assert "Zebedee" not in text and "zebedee@" not in text, (model, column.key)


def test_device_event_notes_on_the_loan_are_removed(session: Session) -> None:
    request = finished_loan(session, name="Ann Smith", contact="ann@example.com")
    event = session.scalars(
        select(DeviceEvent).where(DeviceEvent.loan_id == request.loans[0].id)
    ).first()
    assert event is not None
    event.note = "Handed back by Ann Smith's son"
    session.flush()
    assert purge(session, 31 + RETENTION)[2] == 1
    assert event.note is None


def test_requests_with_a_loan_still_out_are_kept(session: Session) -> None:
    request = add_request(session, resident_name="Still Borrowing")
    lend(session, request)
    assert purge(session, 3 * RETENTION) == (0, 0, 0, 0)
    assert request.resident_name == "Still Borrowing"


def test_lost_loans_and_declined_requests_are_purged_too(session: Session) -> None:
    lost = add_request(session, resident_name="Lost Item")
    loan = lend(session, lost)
    record_lost(session, loan.id, reported_on=TODAY, by=STAFF, today=TODAY, now=NOW, note="Burgled")
    declined = add_request(session, resident_name="Declined")
    decline_request(session, declined.id, by=STAFF, now=NOW, note="Lives outside the borough")
    ineligible = add_request(session, resident_name="Too Young", age_years=15)
    open_request = add_request(session, resident_name="Still Waiting")
    assert purge(session, RETENTION + 1)[0] == 3
    assert {lost.resident_name, declined.resident_name, ineligible.resident_name} == {REMOVED}
    assert (declined.decision_note, loan.return_note) == (None, None)
    assert open_request.resident_name == "Still Waiting"


def test_purging_twice_purges_nothing_the_second_time(session: Session) -> None:
    finished_loan(session, name="Ann Smith", contact="ann@example.com")
    assert purge(session, 31 + RETENTION)[0] == 1
    assert purge(session, 31 + RETENTION) == (0, 0, 0, 0)


def test_anonymous_statistics_survive_the_purge(session: Session) -> None:
    for index in range(4):
        finished_loan(
            session,
            name=f"Person {index}",
            contact=f"p{index}@example.com",
            returned_after=20 + 5 * index,
        )
    lend(session, add_request(session, ward_code="E05013620"))
    start, end = TODAY - timedelta(days=1), TODAY + timedelta(days=60)

    def statistics() -> tuple[object, ...]:
        return (
            devices_out_by_ward(session, on=TODAY + timedelta(days=25)),
            waiting_times(session, start=start, end=end, by="ward_code"),
            loan_outcomes(session, start=start, end=end, by="borrower_type"),
        )

    before = statistics()
    assert purge(session, 45 + RETENTION)[0] == 4
    session.expire_all()
    assert statistics() == before
