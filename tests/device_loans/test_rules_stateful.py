"""Stateful property test of the pure lifecycle rules.

Hypothesis drives random sequences of receiving, wiping, setting up, lending, returning,
repairing, retiring and losing devices, and of making, lending, returning and changing kits.
Each action is applied only if ``device_loans.rules`` allows it.  The test keeps its own log of
what happened (independent of the rules' ``needs_wipe`` flag) and checks, at every loan and
after every step, that nothing was lent while on loan, unwiped since it last came in, in repair,
retired or lost, and that no kit changed or was split while lent.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, rule

from device_loans.rules import (
    DeviceFacts,
    DeviceStatus,
    KitStatus,
    TransitionRefused,
    apply_device_transition,
    kit_candidate_refusal,
    kit_change_refusal,
    kit_lend_refusal,
    needs_wipe_on_arrival,
)

MOVES = (
    DeviceStatus.WIPED,
    DeviceStatus.SET_UP,
    DeviceStatus.READY,
    DeviceStatus.IN_REPAIR,
    DeviceStatus.RETIRED,
    DeviceStatus.LOST,
    DeviceStatus.RETURNED,
)


@dataclass
class Shadow:
    """The test's own record of one device, kept from the actions alone."""

    clean: bool
    out: bool = False
    retired: bool = False
    lost: bool = False
    in_repair: bool = False
    lent_in_kit: str | None = None


@dataclass
class KitState:
    status: str = KitStatus.AVAILABLE
    members: set[str] = field(default_factory=set)
    members_when_lent: frozenset[str] | None = None


class LifecycleRules(RuleBasedStateMachine):
    devices = Bundle("devices")
    kits = Bundle("kits")

    def __init__(self) -> None:
        super().__init__()
        self.fleet: dict[str, DeviceFacts] = {}
        self.shadow: dict[str, Shadow] = {}
        self.kit_states: dict[str, KitState] = {}
        self.numbers = itertools.count(1)
        self.loans = 0

    # Helpers ----------------------------------------------------------------------------

    def _record(self, tag: str, status: str) -> None:
        shadow = self.shadow[tag]
        if status == DeviceStatus.WIPED:
            shadow.clean = True
        if status in (DeviceStatus.RETURNED, DeviceStatus.IN_REPAIR, DeviceStatus.LOST):
            shadow.clean = False
        shadow.in_repair = status == DeviceStatus.IN_REPAIR
        shadow.lost = status == DeviceStatus.LOST
        shadow.retired = shadow.retired or status == DeviceStatus.RETIRED
        if status in (DeviceStatus.RETURNED, DeviceStatus.LOST):
            shadow.out = False
            shadow.lent_in_kit = None

    def _lent(self, tag: str, kit: str | None) -> None:
        shadow = self.shadow[tag]
        assert shadow.clean, f"{tag} lent without a wipe since it last came in"
        assert not shadow.out, f"{tag} lent while already out"
        assert not (shadow.retired or shadow.lost or shadow.in_repair), (
            f"{tag} lent while unavailable"
        )
        shadow.out = True
        shadow.lent_in_kit = kit
        self.loans += 1

    # Devices ----------------------------------------------------------------------------

    def _arrive(self, source: str) -> str:
        tag = f"DL-{next(self.numbers)}"
        self.fleet[tag] = DeviceFacts(tag, DeviceStatus.RECEIVED, needs_wipe_on_arrival(source))
        self.shadow[tag] = Shadow(clean=source == "purchased")
        return tag

    @rule(target=devices, source=st.sampled_from(["purchased", "donated", "recycled"]))
    def receive(self, source: str) -> str:
        return self._arrive(source)

    @rule(target=devices)
    def receive_ready(self) -> str:
        """A new device bought for the scheme, checked and put on the shelf."""
        tag = self._arrive("purchased")
        self.fleet[tag] = apply_device_transition(self.fleet[tag], DeviceStatus.READY)
        self._record(tag, DeviceStatus.READY)
        return tag

    @rule(tag=devices, status=st.sampled_from(MOVES))
    def move(self, tag: str, status: str) -> None:
        facts = self.fleet[tag]
        try:
            self.fleet[tag] = apply_device_transition(facts, status)
        except TransitionRefused:
            return
        assert not (facts.status == DeviceStatus.ON_LOAN and facts.kit_code), (
            "kit device moved alone"
        )
        self._record(tag, status)

    @rule(code=kits, data=st.data())
    def lend_kit_device(self, code: str, data: st.DataObject) -> None:
        """Try to lend one device of a kit on its own."""
        state = self.kit_states[code]
        if state.members:
            self.lend_device(data.draw(st.sampled_from(sorted(state.members))))

    @rule(tag=devices)
    def lend_device(self, tag: str) -> None:
        try:
            self.fleet[tag] = apply_device_transition(self.fleet[tag], DeviceStatus.ON_LOAN)
        except TransitionRefused:
            return
        self._lent(tag, None)

    # Kits -------------------------------------------------------------------------------

    @rule(target=kits, first=devices, second=devices)
    def make_kit(self, first: str, second: str) -> str:
        code = f"KIT-{next(self.numbers)}"
        self.kit_states[code] = KitState()
        if first != second:
            for tag in (first, second):
                if kit_candidate_refusal(self.fleet[tag], code) is None:
                    self.fleet[tag] = replace(self.fleet[tag], kit_code=code)
                    self.kit_states[code].members.add(tag)
        return code

    @rule(code=kits, tag=devices)
    def add_to_kit(self, code: str, tag: str) -> None:
        state = self.kit_states[code]
        if kit_change_refusal(code, state.status) or kit_candidate_refusal(self.fleet[tag], code):
            return
        assert state.status != KitStatus.ON_LOAN, "a lent kit gained a device"
        self.fleet[tag] = replace(self.fleet[tag], kit_code=code)
        state.members.add(tag)

    @rule(code=kits, data=st.data())
    def remove_from_kit(self, code: str, data: st.DataObject) -> None:
        state = self.kit_states[code]
        if not state.members:
            return
        tag = data.draw(st.sampled_from(sorted(state.members)))
        if kit_change_refusal(code, state.status) is not None:
            return
        assert state.status != KitStatus.ON_LOAN, "a lent kit was split"
        self.fleet[tag] = replace(self.fleet[tag], kit_code=None)
        state.members.discard(tag)

    @rule(code=kits)
    def lend_kit(self, code: str) -> None:
        state = self.kit_states[code]
        members = [self.fleet[tag] for tag in sorted(state.members)]
        if kit_lend_refusal(code, state.status, members) is not None:
            return
        for facts in members:
            self.fleet[facts.asset_tag] = apply_device_transition(
                facts, DeviceStatus.ON_LOAN, through_kit=True
            )
            self._lent(facts.asset_tag, code)
        state.status = KitStatus.ON_LOAN
        state.members_when_lent = frozenset(state.members)

    @rule(code=kits, lose=st.booleans())
    def kit_comes_back(self, code: str, lose: bool) -> None:
        state = self.kit_states[code]
        if state.status != KitStatus.ON_LOAN:
            return
        status = DeviceStatus.LOST if lose else DeviceStatus.RETURNED
        for tag in sorted(state.members):
            self.fleet[tag] = apply_device_transition(self.fleet[tag], status, through_kit=True)
            self._record(tag, status)
        state.status = KitStatus.AVAILABLE
        state.members_when_lent = None

    @rule(code=consumes(kits))
    def dissolve(self, code: str) -> None:
        state = self.kit_states[code]
        if kit_change_refusal(code, state.status) is not None:
            return
        for tag in state.members:
            self.fleet[tag] = replace(self.fleet[tag], kit_code=None)
        state.members.clear()
        state.status = KitStatus.DISSOLVED

    # Invariants -------------------------------------------------------------------------

    @invariant()
    def nothing_on_loan_needs_a_wipe(self) -> None:
        for facts in self.fleet.values():
            if facts.status == DeviceStatus.ON_LOAN:
                assert not facts.needs_wipe
                assert self.shadow[facts.asset_tag].out

    @invariant()
    def a_lent_kit_is_whole(self) -> None:
        for code, state in self.kit_states.items():
            if state.status == KitStatus.ON_LOAN:
                assert frozenset(state.members) == state.members_when_lent
                for tag in state.members:
                    assert self.fleet[tag].status == DeviceStatus.ON_LOAN
                    assert self.shadow[tag].lent_in_kit == code

    @invariant()
    def kit_devices_go_out_only_with_their_kit(self) -> None:
        for tag, shadow in self.shadow.items():
            kit = self.fleet[tag].kit_code
            if shadow.out and kit is not None:
                assert shadow.lent_in_kit == kit


LifecycleRules.TestCase.settings = settings(
    max_examples=120,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestLifecycleRules = LifecycleRules.TestCase
