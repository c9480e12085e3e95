"""Loans: issuing against the rules matrix, limits, renewals, returns and losses."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.errors import Conflict, DomainError
from core.outbox import OutboxMessage
from device_loans.config import LoanPolicy, LoanRule
from device_loans.models import Device, DeviceEvent, Loan, LoanItem, LoanRequest
from device_loans.services import (
    change_device_status,
    issue_loan,
    list_open_loans,
    mark_overdue,
    record_lost,
    record_wipe,
    renew_loan,
    return_device,
    return_loan,
    withdraw_request,
)
from tests.device_loans.factories import (
    AGREEMENT,
    NOW,
    POLICY,
    STAFF,
    TODAY,
    add_device,
    add_kit,
    add_request,
    at,
    lend,
    new_request,
)


def count(session: Session, model: type[object]) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def back(session: Session, loan: Loan, day: date, **options: object) -> Loan:
    values: dict[str, object] = {"condition": "good", "damaged": False}
    values.update(options)
    return return_loan(
        session,
        loan.id,
        returned_on=day,
        by=STAFF,
        today=day,
        now=at(day),
        **values,  # type: ignore[arg-type]
    )


# Issuing ----------------------------------------------------------------------------------


def test_a_loan_is_due_after_the_matrix_period(session: Session) -> None:
    request = add_request(session)
    device = add_device(session)
    loan = lend(session, request, device=device)
    assert (loan.status, loan.issued_on, loan.due_on, loan.renewals_allowed) == (
        "active",
        TODAY,
        TODAY + timedelta(days=28),
        2,
    )
    assert device.status == "on_loan"
    assert request.status == "fulfilled"
    assert (loan.agreement_version, loan.agreement_accepted_at, loan.condition_out) == (
        "2027-01",
        NOW,
        "Scratch on the case",
    )
    item = session.scalars(select(LoanItem)).one()
    assert (item.device_id, item.is_open) == (device.id, True)
    event = session.scalars(select(DeviceEvent).where(DeviceEvent.loan_id == loan.id)).one()
    assert (event.from_status, event.to_status) == ("ready", "on_loan")


def test_the_due_date_depends_on_borrower_type_and_kind(session: Session) -> None:
    policy = LoanPolicy(
        loan_matrix={
            ("*", "*"): LoanRule(28),
            ("jobseeker", "laptop"): LoanRule(56, renewals_allowed=3),
        }
    )
    jobseeker = add_request(session, policy=policy, borrower_type="jobseeker")
    laptop = add_device(session, kind="laptop")
    loan = lend(session, jobseeker, device=laptop, policy=policy)
    assert (loan.due_on, loan.renewals_allowed) == (TODAY + timedelta(days=56), 3)
    tablet_loan = lend(
        session, add_request(session, policy=policy), device=add_device(session), policy=policy
    )
    assert tablet_loan.due_on == TODAY + timedelta(days=28)


def test_a_kit_goes_out_as_one_on_its_strictest_rule(session: Session) -> None:
    kit = add_kit(session)
    loan = lend(session, add_request(session), kit=kit)
    assert (loan.kit_id, loan.device_id, loan.item_kind) == (kit.id, None, "kit")
    assert loan.due_on == TODAY + timedelta(days=28)
    assert loan.renewals_allowed == 1  # the Mi-Fi allows one renewal, the tablet two
    assert kit.status == "on_loan"
    assert {device.status for device in kit.devices} == {"on_loan"}
    assert count(session, LoanItem) == 3


def test_a_sim_is_due_back_by_the_end_of_its_data(session: Session) -> None:
    sim = add_device(session, kind="sim", data_expires_on=TODAY + timedelta(days=40))
    loan = lend(session, add_request(session, need="data", has_home_connection=False), device=sim)
    assert loan.due_on == TODAY + timedelta(days=40)


def test_a_sim_with_no_data_left_is_not_lent(session: Session) -> None:
    sim = add_device(session, kind="sim", data_expires_on=TODAY)
    with pytest.raises(DomainError, match="ran out on 1 March 2027") as caught:
        lend(session, add_request(session), device=sim)
    assert caught.value.field == "asset_tag"
    assert sim.status == "ready"


def test_a_shorter_due_date_may_be_chosen_but_not_a_longer_or_earlier_one(session: Session) -> None:
    request = add_request(session)
    loan = lend(session, request, due_on=TODAY + timedelta(days=7))
    assert loan.due_on == TODAY + timedelta(days=7)
    device = add_device(session)
    with pytest.raises(DomainError, match="must be after the day the item is lent") as caught:
        lend(session, add_request(session), device=device, due_on=TODAY - timedelta(days=1))
    assert caught.value.field == "due_on"
    with pytest.raises(DomainError, match="cannot be later than 29 March 2027"):
        lend(session, add_request(session), device=device, due_on=TODAY + timedelta(days=60))
    assert device.status == "ready"


def test_an_ineligible_request_gets_nothing(session: Session) -> None:
    request = add_request(session, age_years=15)
    device = add_device(session)
    with pytest.raises(
        DomainError, match="not eligible, so nothing can be lent against it: Aged under 18"
    ) as caught:
        lend(session, request, device=device)
    assert caught.value.field == "request"
    assert (device.status, count(session, Loan), request.status) == ("ready", 0, "ineligible")


def test_a_withdrawn_request_gets_nothing(session: Session) -> None:
    request = add_request(session)
    withdraw_request(session, request.id, by=STAFF, now=NOW)
    with pytest.raises(Conflict, match="This request is withdrawn"):
        lend(session, request)


def test_an_unknown_asset_tag_is_refused_by_name(session: Session) -> None:
    request = add_request(session)
    with pytest.raises(DomainError, match="No device has the asset tag NOPE-1") as caught:
        issue_loan(
            session,
            request_id=request.id,
            asset_tag="nope-1",
            agreement=AGREEMENT,
            issued_by=STAFF,
            policy=POLICY,
            today=TODAY,
            now=NOW,
        )
    assert caught.value.field == "asset_tag"


def test_one_item_must_be_named(session: Session) -> None:
    request = add_request(session)
    device = add_device(session)
    with pytest.raises(DomainError, match="one device, or the code of one kit"):
        issue_loan(
            session,
            request_id=request.id,
            device_id=device.id,
            asset_tag=device.asset_tag,
            agreement=AGREEMENT,
            issued_by=STAFF,
            policy=POLICY,
            today=TODAY,
            now=NOW,
        )


def test_an_agreement_accepted_in_the_future_is_refused(session: Session) -> None:
    request = add_request(session)
    device = add_device(session)
    with pytest.raises(DomainError, match="cannot be accepted in the future") as caught:
        issue_loan(
            session,
            request_id=request.id,
            device_id=device.id,
            agreement=replace(AGREEMENT, accepted_at=NOW + timedelta(days=1)),
            issued_by=STAFF,
            policy=POLICY,
            today=TODAY,
            now=NOW,
        )
    assert caught.value.field == "agreement_accepted_at"


@pytest.mark.parametrize("status", ["in_repair", "retired", "lost"])
def test_devices_that_are_not_ready_are_refused(session: Session, status: str) -> None:
    device = add_device(session)
    change_device_status(session, device.id, to_status=status, by=STAFF, now=NOW)
    with pytest.raises(Conflict, match=f"{device.asset_tag} ") as caught:
        lend(session, add_request(session), device=device)
    assert caught.value.field == "asset_tag"
    assert count(session, Loan) == 0


def test_a_device_already_on_loan_is_refused(session: Session) -> None:
    device = add_device(session)
    lend(session, add_request(session), device=device)
    with pytest.raises(Conflict, match="is already on loan"):
        lend(session, add_request(session), device=device)
    assert count(session, Loan) == 1


def test_a_returned_device_is_not_lent_again_until_wiped(session: Session) -> None:
    device = add_device(session)
    loan = lend(session, add_request(session), device=device)
    later = TODAY + timedelta(days=20)
    back(session, loan, later)
    with pytest.raises(Conflict, match=r"not ready to lend\. Wipe it"):
        lend(session, add_request(session), device=device, today=later)
    record_wipe(
        session,
        device.id,
        certificate_ref="MDM-77",
        method="mdm_reset",
        by=STAFF,
        at=at(later),
        now=at(later),
    )
    change_device_status(session, device.id, to_status="ready", by=STAFF, now=at(later))
    second = lend(session, add_request(session), device=device, today=later)
    assert second.status == "active"


def test_a_kit_device_cannot_be_lent_on_its_own(session: Session) -> None:
    kit = add_kit(session)
    with pytest.raises(Conflict, match="is part of kit"):
        lend(session, add_request(session), device=kit.devices[0])


def test_a_kit_with_a_device_in_repair_is_refused_and_nothing_changes(session: Session) -> None:
    kit = add_kit(session)
    change_device_status(session, kit.devices[2].id, to_status="in_repair", by=STAFF, now=NOW)
    request = add_request(session)
    with pytest.raises(Conflict, match=r"cannot be lent: .* is in repair") as caught:
        lend(session, request, kit=kit)
    assert caught.value.field == "kit_code"
    assert kit.status == "available"
    assert [device.status for device in kit.devices] == ["ready", "ready", "in_repair"]
    assert (count(session, Loan), request.status) == (0, "eligible")


def test_a_resident_may_hold_only_the_allowed_number_of_items(session: Session) -> None:
    policy = LoanPolicy(max_items_per_resident=2, max_items_by_borrower_type={})
    first = add_request(session, policy=policy, contact="ann@example.com")
    lend(session, first, policy=policy)
    lend(session, first, policy=policy)  # a second item on the same request
    # The same person asking again, with their email typed differently, is the same resident.
    again = add_request(session, policy=policy, contact=" ANN@example.com")
    device = add_device(session)
    with pytest.raises(
        Conflict, match="already has 2 items on loan, the most allowed is 2"
    ) as caught:
        lend(session, again, device=device, policy=policy)
    assert caught.value.field == "request"
    assert device.status == "ready"


def test_a_kit_counts_as_one_item(session: Session) -> None:
    policy = LoanPolicy(max_items_per_resident=1, max_items_by_borrower_type={})
    request = add_request(session, policy=policy)
    lend(session, request, kit=add_kit(session), policy=policy)
    with pytest.raises(Conflict, match="already has 1 item on loan"):
        lend(session, request, policy=policy)


def test_a_returned_item_frees_a_place(session: Session) -> None:
    policy = LoanPolicy(max_items_per_resident=1, max_items_by_borrower_type={})
    request = add_request(session, policy=policy)
    loan = lend(session, request, policy=policy)
    back(session, loan, TODAY)
    assert lend(session, request, policy=policy).status == "active"


def test_a_walk_in_resident_is_assessed_and_lent_to_at_once(session: Session) -> None:
    device = add_device(session)
    loan = issue_loan(
        session,
        resident=new_request(resident_name="Walk In"),
        device_id=device.id,
        agreement=AGREEMENT,
        issued_by=STAFF,
        policy=POLICY,
        today=TODAY,
        now=NOW,
    )
    assert (loan.request.resident_name, loan.request.status) == ("Walk In", "fulfilled")


def test_an_ineligible_walk_in_leaves_no_request_behind(session: Session) -> None:
    device = add_device(session)
    with pytest.raises(DomainError, match="not eligible"):
        issue_loan(
            session,
            resident=new_request(age_years=12),
            device_id=device.id,
            agreement=AGREEMENT,
            issued_by=STAFF,
            policy=POLICY,
            today=TODAY,
            now=NOW,
        )
    assert (count(session, LoanRequest), count(session, OutboxMessage)) == (0, 0)


def test_the_borrower_is_told_the_due_date(session: Session) -> None:
    request = add_request(session)
    loan = lend(session, request)
    message = session.scalars(
        select(OutboxMessage).where(OutboxMessage.template == "loan_issued")
    ).one()
    assert message.personalisation["due_date"] == "29 March 2027"
    assert message.personalisation["items"].startswith("Tablet DL-")
    assert message.reference == request.public_id
    assert loan.reference


# Renewals ---------------------------------------------------------------------------------


def test_renewals_extend_from_the_due_date_until_the_allowance_is_used(session: Session) -> None:
    loan = lend(session, add_request(session))
    day = TODAY + timedelta(days=20)
    renew_loan(session, loan.id, policy=POLICY, by=STAFF, today=day, now=at(day))
    renew_loan(session, loan.id, policy=POLICY, by=STAFF, today=day, now=at(day))
    assert (loan.due_on, loan.renewals_used) == (TODAY + timedelta(days=84), 2)
    with pytest.raises(Conflict, match="already been renewed 2 times") as caught:
        renew_loan(session, loan.id, policy=POLICY, by=STAFF, today=day, now=at(day))
    assert caught.value.field == "loan"
    assert loan.due_on == TODAY + timedelta(days=84)


def test_the_renewals_promised_at_handover_stand_when_the_rules_change(session: Session) -> None:
    loan = lend(session, add_request(session))
    stricter = LoanPolicy(loan_matrix={("*", "*"): LoanRule(14, renewals_allowed=0)})
    renew_loan(session, loan.id, policy=stricter, by=STAFF, today=TODAY, now=NOW)
    assert (loan.renewals_used, loan.due_on) == (1, TODAY + timedelta(days=28 + 14))


def test_an_overdue_loan_renews_only_if_the_council_allows(session: Session) -> None:
    loan = lend(session, add_request(session))
    late = TODAY + timedelta(days=40)
    mark_overdue(session, policy=POLICY, today=late, now=at(late))
    assert loan.status == "overdue"
    with pytest.raises(Conflict, match="overdue, so it cannot be renewed"):
        renew_loan(session, loan.id, policy=POLICY, by=STAFF, today=late, now=at(late))
    lenient = LoanPolicy(renew_overdue=True)
    renew_loan(session, loan.id, policy=lenient, by=STAFF, today=late, now=at(late))
    assert (loan.status, loan.due_on) == ("active", late + timedelta(days=28))


def test_a_sim_loan_is_not_renewed(session: Session) -> None:
    sim = add_device(session, kind="sim")
    loan = lend(session, add_request(session), device=sim)
    with pytest.raises(Conflict, match="cannot be renewed"):
        renew_loan(session, loan.id, policy=POLICY, by=STAFF, today=TODAY, now=NOW)


# Returns and losses -----------------------------------------------------------------------


def test_a_return_closes_the_loan_and_the_device_waits_for_a_wipe(session: Session) -> None:
    device = add_device(session)
    loan = lend(session, add_request(session), device=device)
    day = TODAY + timedelta(days=30)
    back(session, loan, day, condition="fair", damaged=True, note="Cracked corner")
    assert (loan.status, loan.closed_on, loan.return_condition, loan.damaged) == (
        "returned",
        day,
        "fair",
        True,
    )
    assert (device.status, device.needs_wipe, device.condition, device.last_returned_on) == (
        "returned",
        True,
        "fair",
        day,
    )
    item = session.scalars(select(LoanItem)).one()
    assert (item.is_open, item.outcome, item.closed_on) == (False, "returned", day)


def test_returning_twice_is_refused(session: Session) -> None:
    loan = lend(session, add_request(session))
    back(session, loan, TODAY)
    with pytest.raises(Conflict, match="already been returned") as caught:
        back(session, loan, TODAY)
    assert caught.value.field == "loan"


def test_a_device_that_is_not_on_loan_cannot_be_returned(session: Session) -> None:
    device = add_device(session)
    with pytest.raises(
        Conflict, match=f"{device.asset_tag} is not on loan \\(it is ready\\)"
    ) as caught:
        return_device(
            session,
            device.asset_tag,
            condition="good",
            damaged=False,
            returned_on=TODAY,
            by=STAFF,
            today=TODAY,
            now=NOW,
        )
    assert caught.value.field == "asset_tag"


def test_return_dates_must_fall_within_the_loan(session: Session) -> None:
    loan = lend(session, add_request(session), today=TODAY)
    with pytest.raises(DomainError, match=r"is before the loan started \(1 March 2027\)") as caught:
        return_loan(
            session,
            loan.id,
            condition="good",
            damaged=False,
            returned_on=TODAY - timedelta(days=1),
            by=STAFF,
            today=TODAY,
            now=NOW,
        )
    assert caught.value.field == "returned_on"
    with pytest.raises(DomainError, match="cannot be in the future"):
        return_loan(
            session,
            loan.id,
            condition="good",
            damaged=False,
            returned_on=TODAY + timedelta(days=1),
            by=STAFF,
            today=TODAY,
            now=NOW,
        )
    assert loan.status == "active"


def test_scanning_any_kit_device_returns_the_kit_and_records_what_is_missing(
    session: Session,
) -> None:
    kit = add_kit(session)
    tablet, charger, mifi = kit.devices
    loan = lend(session, add_request(session), kit=kit)
    day = TODAY + timedelta(days=10)
    return_device(
        session,
        mifi.asset_tag,
        condition="good",
        damaged=False,
        returned_on=day,
        by=STAFF,
        today=day,
        now=at(day),
        missing_asset_tags=[charger.asset_tag.lower()],
    )
    assert loan.status == "returned"
    assert (tablet.status, charger.status, mifi.status) == ("returned", "lost", "returned")
    assert kit.status == "available"
    session.expire_all()
    assert [device.asset_tag for device in kit.devices] == [tablet.asset_tag, mifi.asset_tag]
    outcomes = {
        row.device_id: row.outcome
        for row in session.execute(select(LoanItem.device_id, LoanItem.outcome))
    }
    assert outcomes == {tablet.id: "returned", charger.id: "lost", mifi.id: "returned"}


def test_a_missing_device_must_belong_to_the_loan(session: Session) -> None:
    loan = lend(session, add_request(session), kit=add_kit(session))
    with pytest.raises(DomainError, match="OTHER-1 is not part of this loan") as caught:
        back(session, loan, TODAY, missing_asset_tags=["OTHER-1"])
    assert caught.value.field == "missing_asset_tags"
    assert loan.status == "active"


def test_a_lost_loan_closes_and_its_devices_are_lost(session: Session) -> None:
    kit = add_kit(session)
    loan = lend(session, add_request(session), kit=kit)
    day = TODAY + timedelta(days=50)
    record_lost(
        session,
        loan.id,
        reported_on=day,
        by=STAFF,
        today=day,
        now=at(day),
        note="Stolen on the bus",
    )
    assert (loan.status, loan.closed_on) == ("lost", day)
    devices = session.scalars(select(Device).order_by(Device.id)).all()
    assert {device.status for device in devices} == {"lost"}
    assert {device.kit_id for device in devices} == {None}
    assert kit.status == "dissolved"
    with pytest.raises(Conflict, match="recorded as lost"):
        back(session, loan, day)


def test_open_loans_are_listed_soonest_due_first(session: Session) -> None:
    request = add_request(session)
    later = lend(session, request)
    sooner = lend(session, add_request(session), due_on=TODAY + timedelta(days=5))
    back(session, lend(session, add_request(session)), TODAY)
    assert [loan.id for loan in list_open_loans(session)] == [sooner.id, later.id]
    assert [loan.id for loan in list_open_loans(session, request_id=request.id)] == [later.id]
