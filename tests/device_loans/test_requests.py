"""Requests: assessment on submission, idempotency, referrer limits and the waiting list."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit import AuditEvent
from core.errors import Conflict, DomainError
from core.outbox import OutboxMessage
from device_loans.config import LoanPolicy
from device_loans.models import LoanRequest
from device_loans.services import (
    approve_request,
    count_open_requests,
    decline_request,
    get_request_by_reference,
    list_waiting_list,
    place_on_waiting_list,
    submit_request,
    withdraw_request,
)
from tests.champions.factories import make_champion
from tests.device_loans.factories import NOW, POLICY, STAFF, TODAY, add_request, new_request


def test_an_eligible_request_is_stored_with_its_reasons(session: Session) -> None:
    request = add_request(session, benefit="pension_credit", low_income=False, age_years=70)
    assert request.status == "eligible"
    assert request.eligibility_reasons == [
        "Aged 18 or over",
        "No suitable device at home",
        "Receives Pension Credit",
    ]
    assert (request.age_band, request.postcode, request.postcode_district) == (
        "65-74",
        "TW3 1ES",
        "TW3",
    )
    assert request.assessed_at == NOW
    actions = session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.object_id == str(request.id))
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["loan_request.submitted", "loan_request.eligible"]


def test_an_ineligible_request_is_kept_closed_with_the_failed_rules(session: Session) -> None:
    request = add_request(session, age_years=17, has_suitable_device=True)
    assert request.status == "ineligible"
    assert request.closed_at == NOW
    assert request.eligibility_reasons == [
        "Aged under 18: the scheme lends to people aged 18 or over.",
        "Already has a suitable device at home.",
    ]


def test_the_resident_is_sent_their_reference(session: Session) -> None:
    request = add_request(session, contact="Ann@Example.com")
    message = session.scalars(select(OutboxMessage)).one()
    assert (message.channel, message.recipient, message.template) == (
        "email",
        "ann@example.com",
        "loan_request_received",
    )
    assert message.reference == request.public_id
    assert message.personalisation["eligible"] == "yes"


def test_no_message_is_queued_for_a_landline(session: Session) -> None:
    request = add_request(session, contact="020 8583 2000")
    assert request.contact_method == "phone"
    assert session.scalars(select(OutboxMessage)).all() == []


def test_sending_the_form_twice_makes_one_request(session: Session) -> None:
    form = new_request()
    first = submit_request(session, form, policy=POLICY, now=NOW)
    second = submit_request(session, form, policy=POLICY, now=NOW + timedelta(seconds=3))
    assert second.id == first.id
    with pytest.raises(Conflict, match="already been sent with different answers") as caught:
        submit_request(
            session, new_request(idempotency_key=form.idempotency_key), policy=POLICY, now=NOW
        )
    assert caught.value.field == "idempotency_key"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"resident_name": "  "}, "resident_name"),
        ({"contact": "call me"}, "contact"),
        ({"age_years": -3}, "age_years"),
        ({"borrower_type": "pensioner"}, "borrower_type"),
        ({"need": "everything"}, "need"),
        ({"benefit": "lottery"}, "benefit"),
        ({"postcode": "NOT A CODE"}, "postcode"),
        ({"ward_code": "Ward 9"}, "ward_code"),
        ({"reason": "x" * 1001}, "reason"),
        ({"idempotency_key": "short"}, "idempotency_key"),
        ({"low_income": "yes"}, "low_income"),
    ],
)
def test_bad_answers_name_their_field_and_store_nothing(
    session: Session, overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(DomainError) as caught:
        add_request(session, **overrides)
    assert caught.value.field == field
    assert get_count(session) == 0


def get_count(session: Session) -> int:
    return len(session.scalars(select(LoanRequest)).all())


def test_a_referrer_may_have_only_so_many_open_requests(session: Session) -> None:
    policy = LoanPolicy(max_open_requests_per_referrer=2)
    champion, other = make_champion(session).id, make_champion(session).id
    first = add_request(session, policy=policy, referred_by_champion_id=champion)
    add_request(session, policy=policy, referred_by_champion_id=champion)
    with pytest.raises(
        Conflict, match="already has 2 open requests, the most allowed is 2"
    ) as caught:
        add_request(session, policy=policy, referred_by_champion_id=champion)
    assert caught.value.field == "referred_by_champion_id"
    # Another champion's and self-referred requests are not counted against it.
    add_request(session, policy=policy, referred_by_champion_id=other)
    add_request(session, policy=policy)
    assert count_open_requests(session, champion_id=champion) == 2
    withdraw_request(session, first.id, by=STAFF, now=NOW)
    add_request(session, policy=policy, referred_by_champion_id=champion)
    assert count_open_requests(session, champion_id=champion) == 2


def test_ineligible_requests_do_not_use_up_the_referrer_limit(session: Session) -> None:
    policy = LoanPolicy(max_open_requests_per_referrer=1)
    champion = make_champion(session).id
    add_request(session, policy=policy, referred_by_champion_id=champion, age_years=12)
    assert (
        add_request(session, policy=policy, referred_by_champion_id=champion).status == "eligible"
    )


def test_an_unknown_referrer_is_refused(session: Session) -> None:
    with pytest.raises(DomainError, match="Choose the champion who referred") as caught:
        add_request(session, referred_by_champion_id=99_999)
    assert caught.value.field == "referred_by_champion_id"


def test_a_request_outlives_the_champion_who_referred_it(session: Session) -> None:
    champion = make_champion(session)
    request = add_request(session, referred_by_champion_id=champion.id)
    session.delete(champion)
    session.flush()
    session.refresh(request)
    assert (request.referred_by_champion_id, request.status) == (None, "eligible")


def test_the_waiting_list_puts_the_greatest_need_first_and_says_why(session: Session) -> None:
    modest = add_request(session, need="device", low_income=True, ward_code="E05013617")
    urgent = add_request(
        session,
        need="both",
        has_home_connection=False,
        borrower_type="care_leaver",
        ward_code="E05013620",
        now=NOW + timedelta(days=1),
    )
    area_only = add_request(session, ward_code="E05013620", now=NOW + timedelta(days=2))
    add_request(session, age_years=16)  # ineligible: not on the list
    entries = list_waiting_list(
        session,
        policy=POLICY,
        today=TODAY + timedelta(days=10),
        exclusion_by_ward={"E05013620": 10.0},
    )
    assert [entry.request.id for entry in entries] == [urgent.id, area_only.id, modest.id]
    assert entries[0].reasons == (
        "No device at home (+3)",
        "No internet connection at home (+3)",
        "Low income (+2)",
        "Care leaver (+2)",
        "Lives in a ward with exclusion risk 10.0 out of 10 (+3)",
    )
    assert entries[0].points == 13
    assert entries[2].reasons == ("No device at home (+3)", "Low income (+2)")
    assert [entry.days_waiting for entry in entries] == [9, 8, 10]


def test_equal_need_is_served_in_order_of_arrival(session: Session) -> None:
    later = add_request(session, now=NOW + timedelta(hours=2))
    earlier = add_request(session, now=NOW)
    entries = list_waiting_list(session, policy=POLICY, today=TODAY)
    assert [entry.request.id for entry in entries] == [earlier.id, later.id]


def test_decisions_follow_the_request_lifecycle(session: Session) -> None:
    request = add_request(session)
    place_on_waiting_list(session, request.id, by=STAFF, now=NOW)
    assert request.status == "waiting"
    approve_request(session, request.id, by=STAFF, now=NOW, note="Verified by phone")
    assert (request.status, request.decision_note, request.decided_at) == (
        "approved",
        "Verified by phone",
        NOW,
    )
    with pytest.raises(DomainError, match="Enter the reason for the decision") as caught:
        decline_request(session, request.id, by=STAFF, now=NOW, note=" ")
    assert caught.value.field == "note"
    decline_request(session, request.id, by=STAFF, now=NOW, note="Moved out of the borough")
    assert request.status == "declined"
    with pytest.raises(Conflict, match="This request is declined, so it cannot be approved"):
        approve_request(session, request.id, by=STAFF, now=NOW)


def test_an_ineligible_request_cannot_be_approved(session: Session) -> None:
    request = add_request(session, low_income=False)
    with pytest.raises(Conflict, match="This request is not eligible, so it cannot be approved"):
        approve_request(session, request.id, by=STAFF, now=NOW)


def test_a_request_is_found_by_its_reference(session: Session) -> None:
    request = add_request(session)
    other = add_request(session)
    assert len(request.reference) == 8 and request.reference != other.reference
    typed = f" {request.reference[:4].lower()}-{request.reference[4:]} "
    assert get_request_by_reference(session, typed).id == request.id
    assert get_request_by_reference(session, f"  {request.public_id.upper()} ").id == request.id
    with pytest.raises(DomainError, match="No request has that reference"):
        get_request_by_reference(session, "0" * 32)
    with pytest.raises(DomainError, match="No request has that reference"):
        get_request_by_reference(session, "2222 2222")
