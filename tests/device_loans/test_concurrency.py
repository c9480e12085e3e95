"""Coordinators acting at the same moment, on SQLite and PostgreSQL: exactly one wins."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.errors import Conflict, DomainError
from device_loans import services
from device_loans.config import LoanPolicy
from device_loans.models import Device, Kit, Loan, LoanItem, LoanRequest
from device_loans.services import issue_loan, remove_from_kit, submit_request
from tests.champions.factories import make_champion
from tests.databases import Database
from tests.device_loans.factories import (
    AGREEMENT,
    NOW,
    POLICY,
    STAFF,
    TODAY,
    add_device,
    add_kit,
    add_request,
    new_request,
)

THREADS = 6


def race(
    db: Database, work: Callable[[Session, int], object], *, threads: int = THREADS
) -> list[object]:
    """Run ``work`` in ``threads`` threads, each in its own session, starting together."""
    barrier = threading.Barrier(threads)
    outcomes: list[object] = [None] * threads

    def runner(index: int) -> None:
        with db.factory() as session:
            barrier.wait(timeout=30)
            try:
                work(session, index)
                session.commit()
                outcomes[index] = "ok"
            except DomainError as error:
                session.rollback()
                outcomes[index] = error
            except Exception as error:
                session.rollback()
                outcomes[index] = error

    workers = [threading.Thread(target=runner, args=(index,)) for index in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    return outcomes


def lend_to(session: Session, request_id: int, **item: object) -> Loan:
    return issue_loan(
        session,
        request_id=request_id,
        agreement=AGREEMENT,
        issued_by=STAFF,
        policy=POLICY,
        today=TODAY,
        now=NOW,
        **item,  # type: ignore[arg-type]
    )


def test_two_coordinators_lending_one_device_exactly_one_succeeds(db: Database) -> None:
    with db.factory() as session:
        device_id = add_device(session).id
        request_ids = [add_request(session).id for _ in range(THREADS)]
        session.commit()

    outcomes = race(db, lambda session, i: lend_to(session, request_ids[i], device_id=device_id))

    assert outcomes.count("ok") == 1
    losers = [outcome for outcome in outcomes if outcome != "ok"]
    assert all(isinstance(outcome, Conflict) for outcome in losers), losers
    with db.factory() as session:
        assert session.scalar(select(func.count()).select_from(Loan)) == 1
        assert (
            session.scalar(select(func.count()).select_from(LoanItem).where(LoanItem.is_open)) == 1
        )
        assert session.get(Device, device_id).status == "on_loan"  # type: ignore[union-attr]
        fulfilled = session.scalar(
            select(func.count()).select_from(LoanRequest).where(LoanRequest.status == "fulfilled")
        )
        assert fulfilled == 1


def test_lending_one_kit_twice_at_once_lends_it_once(db: Database) -> None:
    with db.factory() as session:
        kit_id = add_kit(session).id
        request_ids = [add_request(session).id for _ in range(THREADS)]
        session.commit()

    outcomes = race(db, lambda session, i: lend_to(session, request_ids[i], kit_id=kit_id))

    assert outcomes.count("ok") == 1
    assert all(isinstance(outcome, Conflict) for outcome in outcomes if outcome != "ok"), outcomes
    with db.factory() as session:
        assert (
            session.scalar(select(func.count()).select_from(LoanItem).where(LoanItem.is_open)) == 3
        )


def test_a_kit_is_never_split_while_it_is_being_lent(db: Database) -> None:
    with db.factory() as session:
        kit = add_kit(session)
        kit_id, charger_id = kit.id, kit.devices[1].id
        request_id = add_request(session).id
        session.commit()

    def work(session: Session, index: int) -> object:
        if index % 2 == 0:
            return lend_to(session, request_id, kit_id=kit_id)
        return remove_from_kit(session, kit_id, charger_id, by=STAFF, now=NOW)

    outcomes = race(db, work, threads=2)

    assert not [
        outcome for outcome in outcomes if outcome != "ok" and not isinstance(outcome, DomainError)
    ]
    with db.factory() as session:
        kit_row = session.get(Kit, kit_id)
        charger = session.get(Device, charger_id)
        assert kit_row is not None and charger is not None
        if kit_row.status == "on_loan":
            lent = set(session.scalars(select(LoanItem.device_id).where(LoanItem.is_open)))
            members = {device.id for device in kit_row.devices}
            assert lent == members  # whatever the kit held when lent went out together
            assert {device.status for device in kit_row.devices} == {"on_loan"}
        if charger.kit_id is None:
            assert charger.status == "ready"


def test_a_resident_cannot_exceed_the_item_limit_through_two_desks(db: Database) -> None:
    policy = LoanPolicy(max_items_per_resident=1, max_items_by_borrower_type={})
    with db.factory() as session:
        request_id = add_request(session, policy=policy).id
        device_ids = [add_device(session).id for _ in range(THREADS)]
        session.commit()

    outcomes = race(
        db,
        lambda session, i: issue_loan(
            session,
            request_id=request_id,
            device_id=device_ids[i],
            agreement=AGREEMENT,
            issued_by=STAFF,
            policy=policy,
            today=TODAY,
            now=NOW,
        ),
    )

    assert outcomes.count("ok") == 1
    assert all(isinstance(outcome, Conflict) for outcome in outcomes if outcome != "ok"), outcomes


def test_a_referrer_cannot_exceed_the_open_request_limit_by_racing(db: Database) -> None:
    policy = LoanPolicy(max_open_requests_per_referrer=2)
    with db.factory() as session:
        champion_id = make_champion(session).id
        session.commit()

    outcomes = race(
        db,
        lambda session, i: submit_request(
            session, new_request(referred_by_champion_id=champion_id), policy=policy, now=NOW
        ),
    )

    assert outcomes.count("ok") == 2
    assert all(isinstance(outcome, Conflict) for outcome in outcomes if outcome != "ok"), outcomes


def test_a_double_submitted_form_makes_one_request(db: Database) -> None:
    form = new_request()

    outcomes = race(db, lambda session, i: submit_request(session, form, policy=POLICY, now=NOW))

    assert outcomes == ["ok"] * THREADS
    with db.factory() as session:
        assert session.scalar(select(func.count()).select_from(LoanRequest)) == 1


def test_a_stale_page_cannot_lend_a_device_someone_else_just_lent(db: Database) -> None:
    with db.factory() as session:
        device_id = add_device(session).id
        first, second = add_request(session).id, add_request(session).id
        session.commit()
    with db.factory() as stale:
        seen = stale.get(Device, device_id)
        assert seen is not None and seen.status == "ready"
        stale.commit()  # objects survive the commit, as they would in a long-lived session
        with db.factory() as other:
            lend_to(other, first, device_id=device_id)
            other.commit()
        try:
            lend_to(stale, second, device_id=device_id)
        except Conflict as error:
            assert "changed by someone else a moment ago" in error.message
            stale.rollback()
        else:  # pragma: no cover - the assertion explains the failure
            raise AssertionError("the stale session lent a device that was already on loan")
    with db.factory() as session:
        assert session.scalar(select(func.count()).select_from(Loan)) == 1


def test_a_kit_loan_that_fails_half_way_changes_nothing(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.factory() as session:
        kit = add_kit(session)
        request = add_request(session)
        session.commit()
        real_move = services._move_device
        calls = []

        def flaky_move(*args: Any, **kwargs: Any) -> Any:
            calls.append(args[1].asset_tag)
            if len(calls) == 2:  # the kit is locked and one device is already out
                raise Conflict("The charger was taken a moment ago.")
            return real_move(*args, **kwargs)

        monkeypatch.setattr(services, "_move_device", flaky_move)
        with pytest.raises(Conflict, match="charger was taken"):
            lend_to(session, request.id, kit_id=kit.id)
        session.commit()  # a careless caller commits anyway
    with db.factory() as session:
        kit_row = session.get(Kit, kit.id)
        assert kit_row is not None and kit_row.status == "available"
        assert [device.status for device in kit_row.devices] == ["ready", "ready", "ready"]
        assert session.scalar(select(func.count()).select_from(Loan)) == 0
        assert session.get(LoanRequest, request.id).status == "eligible"  # type: ignore[union-attr]
