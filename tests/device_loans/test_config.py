"""The council's loan configuration: defaults, the Koha-style matrix, and clear errors."""

from __future__ import annotations

import pytest

from device_loans.config import DEFAULT_POLICY, LoanPolicy, LoanPolicyError, LoanRule, NeedWeights


def test_the_defaults_are_valid_and_lend_tablets_for_four_weeks() -> None:
    rule = DEFAULT_POLICY.rule_for("resident", "tablet")
    assert (rule.loan_days, rule.renewals_allowed) == (28, 2)
    assert DEFAULT_POLICY.minimum_age == 18
    assert DEFAULT_POLICY.max_open_requests_per_referrer == 5


def test_the_matrix_prefers_borrower_type_rows_then_kind_columns_then_the_default() -> None:
    policy = LoanPolicy(
        loan_matrix={
            ("*", "*"): LoanRule(28),
            ("*", "sim"): LoanRule(182),
            ("care_leaver", "*"): LoanRule(56),
            ("care_leaver", "laptop"): LoanRule(84),
        }
    )
    assert policy.rule_for("care_leaver", "laptop").loan_days == 84
    assert policy.rule_for("care_leaver", "sim").loan_days == 56  # row wildcard beats column
    assert policy.rule_for("resident", "sim").loan_days == 182
    assert policy.rule_for("resident", "tablet").loan_days == 28


def test_renewal_days_default_to_the_loan_length() -> None:
    assert LoanRule(28).renewal_period_days == 28
    assert LoanRule(28, renewals_allowed=1, renewal_days=14).renewal_period_days == 14


def test_max_items_can_differ_by_borrower_type() -> None:
    assert DEFAULT_POLICY.max_items_for("family") == 3
    assert DEFAULT_POLICY.max_items_for("resident") == 2


def test_every_problem_is_listed_at_once() -> None:
    with pytest.raises(LoanPolicyError) as caught:
        LoanPolicy(minimum_age=-1, max_items_per_resident=0, retention_days=7)
    problems = caught.value.problems
    assert len(problems) == 3
    assert any(problem.startswith("minimum_age") for problem in problems)
    assert any(problem.startswith("max_items_per_resident") for problem in problems)
    assert any("retention_days" in problem and "at least 30" in problem for problem in problems)


def test_a_matrix_that_leaves_a_gap_names_the_gap() -> None:
    with pytest.raises(LoanPolicyError, match=r"no rule for .*resident/sim"):
        LoanPolicy(
            borrower_types={"resident": "Resident"},
            max_items_by_borrower_type={},
            need_weights=NeedWeights(borrower_type={}),
            loan_matrix={("resident", kind): LoanRule(28) for kind in ("tablet", "laptop")},
        )


def test_a_matrix_rule_for_an_unknown_kind_or_type_is_refused() -> None:
    with pytest.raises(LoanPolicyError) as caught:
        LoanPolicy(loan_matrix={("*", "*"): LoanRule(28), ("pensioner", "ipad"): LoanRule(0)})
    text = str(caught.value)
    assert "'pensioner' is not a borrower type" in text
    assert "'ipad' is not an item kind" in text
    assert "loan_days must be a whole number of days, at least 1 (got 0)" in text


def test_reminder_days_must_be_distinct_and_in_range() -> None:
    with pytest.raises(LoanPolicyError, match="reminder_days_before lists the same day twice"):
        LoanPolicy(reminder_days_before=(3, 3))
    with pytest.raises(LoanPolicyError, match="reminder_days_after must hold whole numbers"):
        LoanPolicy(reminder_days_after=(0,))


def test_need_weights_name_only_known_borrower_types() -> None:
    with pytest.raises(LoanPolicyError, match="'pensioner', which is not a borrower type"):
        LoanPolicy(need_weights=NeedWeights(borrower_type={"pensioner": 1.0}))


def test_the_policy_keeps_its_own_copy_of_mappings() -> None:
    types = {"resident": "Resident", "family": "Family with children"}
    policy = LoanPolicy(
        borrower_types=types,
        need_weights=NeedWeights(borrower_type={"family": 1.0}),
        loan_matrix={("*", "*"): LoanRule(28)},
    )
    types["intruder"] = "Intruder"
    assert "intruder" not in policy.borrower_types
    with pytest.raises(TypeError):
        policy.borrower_types["x"] = "y"  # type: ignore[index]


def test_from_mapping_builds_a_policy_from_json_like_data() -> None:
    policy = LoanPolicy.from_mapping(
        {
            "minimum_age": 16,
            "max_open_requests_per_referrer": 3,
            "loan_matrix": {
                "*": {"*": {"loan_days": 30, "renewals_allowed": 1}},
                "jobseeker": {
                    "laptop": {"loan_days": 60, "renewals_allowed": 2, "renewal_days": 30}
                },
            },
            "reminder_days_before": [7, 2],
            "need_weights": {"per_exclusion_point": 0.5},
        }
    )
    assert policy.minimum_age == 16
    assert policy.rule_for("jobseeker", "laptop") == LoanRule(60, 2, 30)
    assert policy.rule_for("family", "sim") == LoanRule(30, 1)
    assert policy.reminder_days_before == (7, 2)
    assert policy.need_weights.per_exclusion_point == 0.5


def test_from_mapping_names_unknown_settings_and_keys() -> None:
    with pytest.raises(LoanPolicyError, match="unknown setting 'max_loans'"):
        LoanPolicy.from_mapping({"max_loans": 3})
    with pytest.raises(LoanPolicyError, match=r"loan_matrix\['\*'\]\['tablet'\] needs loan_days"):
        LoanPolicy.from_mapping(
            {"loan_matrix": {"*": {"*": {"loan_days": 9}, "tablet": {"days": 9}}}}
        )


def test_booleans_are_not_numbers() -> None:
    with pytest.raises(LoanPolicyError, match="max_items_per_resident"):
        LoanPolicy(max_items_per_resident=True)
