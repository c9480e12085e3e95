"""Pure rules: the device lifecycle, kits, eligibility, need scores, due dates and reminders."""

from __future__ import annotations

from datetime import date

import pytest

from device_loans.config import DEFAULT_POLICY, LoanPolicy, LoanRule
from device_loans.rules import (
    DEVICE_TRANSITIONS,
    DeviceFacts,
    DeviceStatus,
    KitStatus,
    LoanStatus,
    PlannedReminder,
    RequestAnswers,
    TransitionRefused,
    age_band,
    apply_device_transition,
    assess_eligibility,
    device_transition_refusal,
    due_date,
    due_date_refusal,
    kit_change_refusal,
    kit_lend_refusal,
    loan_rule_for_kinds,
    normalise_contact,
    reminder_due,
    renewal_refusal,
    renewed_due_date,
    request_transition_refusal,
    score_need,
    wipe_date_refusal,
)


def facts(status: str, *, needs_wipe: bool = False, kit: str | None = None) -> DeviceFacts:
    return DeviceFacts("DL-1", status, needs_wipe, kit)


def answers(**overrides: object) -> RequestAnswers:
    values: dict[str, object] = {
        "age_years": 40,
        "borrower_type": "resident",
        "need": "device",
        "has_suitable_device": False,
        "has_home_connection": True,
        "low_income": True,
    }
    values.update(overrides)
    return RequestAnswers(**values)  # type: ignore[arg-type]


# Device lifecycle -------------------------------------------------------------------------


def test_every_status_has_a_row_in_the_transition_table() -> None:
    assert set(DEVICE_TRANSITIONS) == set(DeviceStatus)
    assert DEVICE_TRANSITIONS[DeviceStatus.RETIRED] == frozenset()


def test_only_ready_devices_can_be_lent() -> None:
    lendable = {
        status
        for status in DeviceStatus
        if device_transition_refusal(facts(status), DeviceStatus.ON_LOAN) is None
    }
    assert lendable == {DeviceStatus.READY}


def test_a_returned_device_must_be_wiped_before_it_is_ready_again() -> None:
    returned = apply_device_transition(facts(DeviceStatus.ON_LOAN), DeviceStatus.RETURNED)
    assert returned.needs_wipe
    refusal = device_transition_refusal(returned, DeviceStatus.READY)
    assert refusal is not None and "cannot be marked ready" in refusal
    wiped = apply_device_transition(returned, DeviceStatus.WIPED)
    assert not wiped.needs_wipe
    ready = apply_device_transition(wiped, DeviceStatus.READY)
    assert device_transition_refusal(ready, DeviceStatus.ON_LOAN) is None


def test_a_donated_device_cannot_skip_its_first_wipe() -> None:
    donated = facts(DeviceStatus.RECEIVED, needs_wipe=True)
    refusal = device_transition_refusal(donated, DeviceStatus.SET_UP)
    assert refusal == (
        "DL-1 has not been wiped since it last came in, so it cannot be marked as set up. "
        "Record a wipe with its certificate reference first."
    )


def test_a_new_purchased_device_may_go_straight_to_ready() -> None:
    assert device_transition_refusal(facts(DeviceStatus.RECEIVED), DeviceStatus.READY) is None


def test_repair_and_loss_both_require_a_new_wipe() -> None:
    repaired = apply_device_transition(facts(DeviceStatus.READY), DeviceStatus.IN_REPAIR)
    assert repaired.needs_wipe
    assert device_transition_refusal(repaired, DeviceStatus.SET_UP) is not None
    found = apply_device_transition(
        apply_device_transition(facts(DeviceStatus.READY), DeviceStatus.LOST), DeviceStatus.RETURNED
    )
    assert found.needs_wipe


def test_refusals_say_why_in_plain_words() -> None:
    assert device_transition_refusal(facts(DeviceStatus.ON_LOAN), DeviceStatus.ON_LOAN) == (
        "DL-1 is already on loan."
    )
    assert device_transition_refusal(facts(DeviceStatus.IN_REPAIR), DeviceStatus.ON_LOAN) == (
        "DL-1 is in repair, so it cannot be lent. Only devices that are ready to lend can go out."
    )
    assert device_transition_refusal(facts(DeviceStatus.RETIRED), DeviceStatus.ON_LOAN) == (
        "DL-1 has been retired, so it cannot be lent."
    )
    assert device_transition_refusal(facts(DeviceStatus.READY), DeviceStatus.RETURNED) == (
        "DL-1 is not on loan (it is ready to lend), so there is nothing to return."
    )


def test_apply_raises_a_conflict_with_the_reason() -> None:
    with pytest.raises(TransitionRefused, match="has been retired"):
        apply_device_transition(facts(DeviceStatus.RETIRED), DeviceStatus.READY)


def test_a_kit_device_is_lent_and_returned_only_with_its_kit() -> None:
    member = facts(DeviceStatus.READY, kit="KIT-1")
    refusal = device_transition_refusal(member, DeviceStatus.ON_LOAN)
    assert refusal is not None and "part of kit KIT-1" in refusal
    assert device_transition_refusal(member, DeviceStatus.ON_LOAN, through_kit=True) is None
    lent = facts(DeviceStatus.ON_LOAN, kit="KIT-1")
    assert device_transition_refusal(lent, DeviceStatus.RETURNED) is not None
    assert device_transition_refusal(lent, DeviceStatus.LOST) is not None
    assert device_transition_refusal(lent, DeviceStatus.RETURNED, through_kit=True) is None


def test_a_lent_kit_cannot_change() -> None:
    assert kit_change_refusal("KIT-1", KitStatus.AVAILABLE) is None
    refusal = kit_change_refusal("KIT-1", KitStatus.ON_LOAN)
    assert refusal == "Kit KIT-1 is on loan, so its devices cannot change until it is returned."


def test_a_kit_is_lendable_only_when_every_device_is_ready() -> None:
    ready = DeviceFacts("DL-1", DeviceStatus.READY, False, "KIT-1")
    repair = DeviceFacts("DL-2", DeviceStatus.IN_REPAIR, True, "KIT-1")
    assert kit_lend_refusal("KIT-1", KitStatus.AVAILABLE, [ready]) is None
    refusal = kit_lend_refusal("KIT-1", KitStatus.AVAILABLE, [ready, repair])
    assert refusal is not None and refusal.startswith("Kit KIT-1 cannot be lent: DL-2 is in repair")
    assert kit_lend_refusal("KIT-1", KitStatus.AVAILABLE, []) == "Kit KIT-1 has no devices in it."
    assert kit_lend_refusal("KIT-1", KitStatus.ON_LOAN, [ready]) == "Kit KIT-1 is already on loan."


def test_a_wipe_cannot_predate_the_return() -> None:
    refusal = wipe_date_refusal(
        date(2027, 3, 2),
        today=date(2027, 3, 5),
        received_on=date(2026, 1, 1),
        last_returned_on=date(2027, 3, 3),
    )
    assert refusal is not None and "before the device last came back (3 March 2027)" in refusal
    assert (
        wipe_date_refusal(
            date(2027, 3, 6),
            today=date(2027, 3, 5),
            received_on=date(2026, 1, 1),
            last_returned_on=None,
        )
        == "The wipe date cannot be in the future."
    )


# Requests ---------------------------------------------------------------------------------


def test_a_withdrawn_request_cannot_be_approved() -> None:
    assert request_transition_refusal("withdrawn", "approved") == (
        "This request is withdrawn, so it cannot be approved."
    )
    assert request_transition_refusal("waiting", "approved") is None


def test_an_eligible_resident_gets_the_reasons_they_qualify() -> None:
    result = assess_eligibility(
        answers(benefit="universal_credit", low_income=False), DEFAULT_POLICY
    )
    assert result.eligible
    assert result.reasons == (
        "Aged 18 or over",
        "No suitable device at home",
        "Receives Universal Credit",
    )


def test_every_failed_rule_is_a_reason() -> None:
    result = assess_eligibility(
        answers(age_years=16, has_suitable_device=True, low_income=False), DEFAULT_POLICY
    )
    assert not result.eligible
    assert result.reasons == (
        "Aged under 18: the scheme lends to people aged 18 or over.",
        "Already has a suitable device at home.",
        "Neither on a low income nor receiving one of the listed benefits.",
    )


def test_asking_for_both_needs_only_one_of_them_missing() -> None:
    both = answers(need="both", has_suitable_device=True, has_home_connection=False)
    assert assess_eligibility(both, DEFAULT_POLICY).eligible
    has_both = answers(need="both", has_suitable_device=True, has_home_connection=True)
    assert assess_eligibility(has_both, DEFAULT_POLICY).reasons == (
        "Already has a suitable device and an internet connection at home.",
    )


def test_a_council_can_drop_the_income_test() -> None:
    policy = LoanPolicy(require_low_income_or_benefit=False)
    assert assess_eligibility(answers(low_income=False), policy).eligible


def test_need_score_adds_up_and_shows_each_reason() -> None:
    score = score_need(
        answers(need="both", has_home_connection=False, age_years=70, borrower_type="care_leaver"),
        DEFAULT_POLICY,
        exclusion_score=8.0,
    )
    assert score.reasons == (
        "No device at home (+3)",
        "No internet connection at home (+3)",
        "Low income (+2)",
        "Aged 65 or over (+1)",
        "Care leaver (+2)",
        "Lives in a ward with exclusion risk 8.0 out of 10 (+2.4)",
    )
    assert score.points == pytest.approx(13.4)


def test_no_exclusion_score_means_no_area_points() -> None:
    score = score_need(answers(), DEFAULT_POLICY)
    assert score.points == 5.0
    assert not any("ward" in reason for reason in score.reasons)


def test_an_exclusion_score_outside_0_to_10_is_a_bug() -> None:
    with pytest.raises(ValueError, match="0 to 10"):
        score_need(answers(), DEFAULT_POLICY, exclusion_score=11)


def test_the_age_band_counts_once_the_age_is_removed() -> None:
    assert answers(age_years=None, age_band="65-74").aged_65_or_over
    assert not answers(age_years=None, age_band="50-64").aged_65_or_over


@pytest.mark.parametrize(
    ("age", "band"),
    [(15, "under 16"), (17, "16-17"), (18, "18-24"), (64, "50-64"), (65, "65-74"), (90, "75+")],
)
def test_age_bands(age: int, band: str) -> None:
    assert age_band(age) == band


# Loans ------------------------------------------------------------------------------------


def test_a_kit_lends_on_its_strictest_rule() -> None:
    rule = loan_rule_for_kinds(DEFAULT_POLICY, "resident", ["tablet", "mifi"])
    assert rule == LoanRule(loan_days=28, renewals_allowed=1, renewal_days=28)


def test_due_date_counts_days_from_the_issue_date() -> None:
    assert due_date(date(2027, 1, 31), LoanRule(28)) == date(2027, 2, 28)


def test_a_due_date_on_or_before_the_issue_date_is_refused() -> None:
    refusal = due_date_refusal(date(2027, 3, 1), date(2027, 2, 27), longest=date(2027, 3, 29))
    assert (
        refusal
        == "The due date (27 February 2027) must be after the day the item is lent (1 March 2027)."
    )
    assert (
        due_date_refusal(date(2027, 3, 1), date(2027, 3, 30), longest=date(2027, 3, 29)) is not None
    )
    assert due_date_refusal(date(2027, 3, 1), date(2027, 3, 15), longest=date(2027, 3, 29)) is None


def test_renewals_stop_at_the_allowance() -> None:
    rule = LoanRule(28, renewals_allowed=2)
    assert renewal_refusal(status="active", renewals_used=1, rule=rule, renew_overdue=False) is None
    assert renewal_refusal(status="active", renewals_used=2, rule=rule, renew_overdue=False) == (
        "This loan has already been renewed 2 times, the most allowed."
    )
    assert renewal_refusal(status="overdue", renewals_used=0, rule=rule, renew_overdue=False) == (
        "This loan is overdue, so it cannot be renewed. Arrange its return first."
    )
    assert renewal_refusal(status="overdue", renewals_used=0, rule=rule, renew_overdue=True) is None
    assert renewal_refusal(
        status=LoanStatus.RETURNED, renewals_used=0, rule=rule, renew_overdue=True
    ) == ("This loan has already been returned.")


def test_a_renewal_adds_to_the_old_due_date() -> None:
    assert renewed_due_date(date(2027, 3, 29), LoanRule(28, 1, 14)) == date(2027, 4, 12)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2027, 3, 20), None),
        (date(2027, 3, 22), PlannedReminder("due_soon", 7)),
        (date(2027, 3, 27), PlannedReminder("due_soon", 2)),
        (date(2027, 3, 29), PlannedReminder("due_soon", 2)),
        (date(2027, 3, 30), PlannedReminder("overdue", 1)),
        (date(2027, 4, 10), PlannedReminder("overdue", 7)),
        (date(2027, 6, 1), PlannedReminder("overdue", 14)),
    ],
)
def test_the_latest_reminder_due_is_chosen(today: date, expected: PlannedReminder | None) -> None:
    assert (
        reminder_due(date(2027, 3, 29), today, days_before=(7, 2), days_after=(1, 7, 14))
        == expected
    )


# Contacts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "method", "value"),
    [
        ("  Ann.Smith@Example.COM ", "email", "ann.smith@example.com"),
        ("07700 900982", "sms", "+447700900982"),
        ("+44 (0)7700-900982", "sms", "+447700900982"),
        ("020 8583 2000", "phone", "+442085832000"),
    ],
)
def test_contacts_are_normalised(text: str, method: str, value: str) -> None:
    contact = normalise_contact(text)
    assert contact is not None
    assert (contact.method, contact.value) == (method, value)


@pytest.mark.parametrize("text", ["", "ann@", "0770090098", "+33 6 12 34 56 78", "not a phone"])
def test_bad_contacts_are_refused(text: str) -> None:
    assert normalise_contact(text) is None
