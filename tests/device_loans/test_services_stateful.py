"""Stateful property test of the services on a real database (SQLite, and PostgreSQL when set).

The same random walks as ``test_rules_stateful`` go through the services: registering,
wiping, status changes, kits, lending, returning and losing.  Each walk runs in one
transaction that is rolled back at the end, so walks are independent and fast.  After every
step the database must agree with the test's own log: no device lent while on loan, unwiped
since it last came in, in repair, retired or lost; one open loan row per device out; a lent
kit whole and unchanged.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from core.errors import DomainError
from device_loans.config import LoanPolicy
from device_loans.models import Device, Kit, Loan, LoanItem
from device_loans.rules import DeviceStatus
from device_loans.services import (
    LoanAgreement,
    add_to_kit,
    change_device_status,
    create_kit,
    find_open_loan_for_device,
    issue_loan,
    record_lost,
    record_wipe,
    register_device,
    remove_from_kit,
    return_loan,
    submit_request,
)
from tests.databases import Database
from tests.device_loans.factories import NOW, STAFF, TODAY, new_device, new_request

POLICY = LoanPolicy(max_items_per_resident=50, max_items_by_borrower_type={})
AGREEMENT = LoanAgreement(version="2027-01", accepted_at=NOW)
MOVES = ("set_up", "ready", "in_repair", "retired", "lost", "returned")


@dataclass
class Shadow:
    clean: bool
    out: bool = False
    unavailable: bool = False
    lent_in_kit: int | None = None


@dataclass
class KitLog:
    members_when_lent: frozenset[int] | None = None
    members: set[int] = field(default_factory=set)


def test_no_walk_through_the_services_breaks_the_lending_rules(db: Database) -> None:
    numbers = itertools.count(1)

    class ServiceWalk(RuleBasedStateMachine):
        devices = Bundle("devices")
        kits = Bundle("kits")

        def __init__(self) -> None:
            super().__init__()
            self.session = db.factory()
            self.shadow: dict[int, Shadow] = {}
            self.kit_log: dict[int, KitLog] = {}

        def teardown(self) -> None:
            self.session.rollback()
            self.session.close()

        def _came_in(self, device_id: int, status: str) -> None:
            shadow = self.shadow[device_id]
            if status in ("returned", "in_repair", "lost"):
                shadow.clean = False
            shadow.unavailable = status in ("in_repair", "lost", "retired")
            if status in ("returned", "lost"):
                shadow.out = False
                shadow.lent_in_kit = None

        def _lent(self, device_id: int, kit_id: int | None) -> None:
            shadow = self.shadow[device_id]
            assert shadow.clean, "lent without a wipe since it last came in"
            assert not shadow.out, "lent while already out"
            assert not shadow.unavailable, "lent while in repair, retired or lost"
            shadow.out = True
            shadow.lent_in_kit = kit_id

        def _lend(self, **item: Any) -> Loan | None:
            request = submit_request(self.session, new_request(), policy=POLICY, now=NOW)
            try:
                return issue_loan(
                    self.session,
                    request_id=request.id,
                    agreement=AGREEMENT,
                    issued_by=STAFF,
                    policy=POLICY,
                    today=TODAY,
                    now=NOW,
                    **item,
                )
            except DomainError:
                return None

        @rule(target=devices, source=st.sampled_from(["purchased", "donated"]), ready=st.booleans())
        def receive(self, source: str, ready: bool) -> int:
            device = register_device(
                self.session,
                new_device(asset_tag=f"W-{next(numbers)}", source=source),
                by=STAFF,
                now=NOW,
                today=TODAY,
            )
            self.shadow[device.id] = Shadow(clean=source == "purchased")
            if ready and source == "purchased":
                change_device_status(self.session, device.id, to_status="ready", by=STAFF, now=NOW)
            return device.id

        @rule(device_id=devices)
        def wipe(self, device_id: int) -> None:
            try:
                record_wipe(
                    self.session,
                    device_id,
                    certificate_ref="C",
                    method="mdm_reset",
                    by=STAFF,
                    at=NOW,
                    now=NOW,
                )
            except DomainError:
                return
            self.shadow[device_id].clean = True
            self.shadow[device_id].unavailable = False

        @rule(device_id=devices, status=st.sampled_from(MOVES))
        def move(self, device_id: int, status: str) -> None:
            try:
                change_device_status(self.session, device_id, to_status=status, by=STAFF, now=NOW)
            except DomainError:
                return
            self._came_in(device_id, status)

        @rule(device_id=devices)
        def lend_device(self, device_id: int) -> None:
            if self._lend(device_id=device_id) is not None:
                self._lent(device_id, None)

        @rule(kit_id=kits)
        def lend_kit(self, kit_id: int) -> None:
            loan = self._lend(kit_id=kit_id)
            if loan is None:
                return
            members = frozenset(item.device_id for item in loan.items)
            for device_id in members:
                self._lent(device_id, kit_id)
            self.kit_log[kit_id].members_when_lent = members

        @rule(device_id=devices, lose=st.booleans())
        def comes_back(self, device_id: int, lose: bool) -> None:
            loan = find_open_loan_for_device(self.session, device_id)
            if loan is None:
                return
            ids = [item.device_id for item in loan.items if item.is_open]
            day = TODAY + timedelta(days=1)
            if lose:
                record_lost(
                    self.session,
                    loan.id,
                    reported_on=day,
                    by=STAFF,
                    today=day,
                    now=NOW + timedelta(days=1),
                )
            else:
                return_loan(
                    self.session,
                    loan.id,
                    condition="good",
                    damaged=False,
                    returned_on=day,
                    by=STAFF,
                    today=day,
                    now=NOW + timedelta(days=1),
                )
            for returned_id in ids:
                self._came_in(returned_id, "lost" if lose else "returned")
            if loan.kit_id is not None:
                self.kit_log[loan.kit_id].members_when_lent = None

        @rule(target=kits, first=devices, second=devices)
        def make_kit(self, first: int, second: int) -> int:
            try:
                kit = create_kit(
                    self.session,
                    code=f"K-{next(numbers)}",
                    name="Kit",
                    device_ids=[first, second],
                    by=STAFF,
                    now=NOW,
                )
            except DomainError:
                return -1
            self.kit_log[kit.id] = KitLog()
            return kit.id

        @rule(kit_id=kits, device_id=devices, add=st.booleans())
        def change_kit(self, kit_id: int, device_id: int, add: bool) -> None:
            if kit_id < 0:
                return
            change = add_to_kit if add else remove_from_kit
            try:
                change(self.session, kit_id, device_id, by=STAFF, now=NOW)
            except DomainError:
                return
            assert self.kit_log[kit_id].members_when_lent is None, "a lent kit changed"

        @invariant()
        def the_database_agrees(self) -> None:
            session = self.session
            open_items = {
                device_id: count
                for device_id, count in session.execute(
                    select(LoanItem.device_id, func.count())
                    .where(LoanItem.is_open)
                    .group_by(LoanItem.device_id)
                )
            }
            assert all(count == 1 for count in open_items.values())
            for device in session.scalars(select(Device)):
                on_loan = device.status == DeviceStatus.ON_LOAN
                assert on_loan == (device.id in open_items)
                assert not (on_loan and device.needs_wipe)
                assert on_loan == self.shadow[device.id].out
            for kit in session.scalars(select(Kit).where(Kit.status == "on_loan")):
                members = session.execute(
                    select(Device.id, Device.status).where(Device.kit_id == kit.id)
                ).all()
                assert (
                    frozenset(row.id for row in members) == self.kit_log[kit.id].members_when_lent
                )
                assert {row.status for row in members} == {DeviceStatus.ON_LOAN}

    run_state_machine_as_test(
        ServiceWalk,
        settings=settings(
            # PostgreSQL round trips cost more; SQLite takes the longer walk.
            max_examples=40 if db.backend == "sqlite" else 20,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
