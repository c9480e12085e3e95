"""Council configuration of the device and data loans scheme.

Every council runs its scheme on its own terms: who is eligible, how long each kind of item is
lent to each kind of borrower, how many requests a referrer may have open, when reminders go out
and how long personal data is kept.  ``LoanPolicy`` holds those terms.  It is immutable, checked
when it is built, and passed to the services as an argument (there is no global setting).

The loan-length matrix follows Koha's circulation rules: a rule is looked up for
``(borrower type, item kind)``, then ``(borrower type, "*")``, then ``("*", item kind)``, then
``("*", "*")``.  A kit is lent on the strictest rule of its devices.

A council that keeps its configuration as JSON or TOML builds the policy with
``LoanPolicy.from_mapping``, which names the exact key of every problem it finds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

DEVICE_KINDS: tuple[str, ...] = (
    "tablet",
    "laptop",
    "smartphone",
    "mifi",
    "sim",
    "charger",
    "other",
)
"""Kinds of item in the inventory; SIMs and Mi-Fi units carry a data allowance."""

DEVICE_KIND_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "tablet": "Tablet",
        "laptop": "Laptop",
        "smartphone": "Smartphone",
        "mifi": "Mi-Fi unit",
        "sim": "Data SIM",
        "charger": "Charger",
        "other": "Other device",
    }
)
"""What each kind is called on pages and in messages."""

DATA_KINDS: frozenset[str] = frozenset({"sim", "mifi"})
"""Kinds that lend data (an allowance in GB and an end date)."""

NEEDS: tuple[str, ...] = ("device", "data", "both")
"""What a resident asks for."""

ANY = "*"
"""Wildcard in the loan-length matrix: any borrower type or any item kind."""

DEFAULT_BORROWER_TYPES: Mapping[str, str] = MappingProxyType(
    {
        "resident": "Resident",
        "family": "Family with children",
        "care_leaver": "Care leaver",
        "disabled": "Disabled resident",
        "jobseeker": "Looking for work",
    }
)

# Means-tested benefits, as in the National Databank and Connecting Scotland checks.
DEFAULT_BENEFITS: Mapping[str, str] = MappingProxyType(
    {
        "universal_credit": "Universal Credit",
        "pension_credit": "Pension Credit",
        "income_support": "Income Support",
        "jobseekers_allowance": "income-based Jobseeker's Allowance",
        "employment_support_allowance": "income-related Employment and Support Allowance",
        "housing_benefit": "Housing Benefit",
        "council_tax_reduction": "Council Tax Reduction",
    }
)


class LoanPolicyError(ValueError):
    """The council's loan configuration is not usable; the message lists every problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        listed = "\n".join(f"- {problem}" for problem in self.problems)
        super().__init__(
            f"The device loans configuration has {len(self.problems)} problem(s):\n{listed}"
        )


@dataclass(frozen=True)
class LoanRule:
    """How long one kind of item is lent to one kind of borrower, and how often it renews.

    Parameters
    ----------
    loan_days:
        Length of the first loan period in days (at least 1).
    renewals_allowed:
        How many times the borrower may renew (0 or more).
    renewal_days:
        Days added to the due date by each renewal; ``None`` means the same as ``loan_days``.
    """

    loan_days: int
    renewals_allowed: int = 0
    renewal_days: int | None = None

    def problems(self, where: str) -> list[str]:
        """Return what is wrong with this rule, each message starting with ``where``."""
        found: list[str] = []
        if not _is_int(self.loan_days) or self.loan_days < 1:
            found.append(
                f"{where}.loan_days must be a whole number of days, at least 1 (got {self.loan_days!r})"
            )
        if not _is_int(self.renewals_allowed) or self.renewals_allowed < 0:
            found.append(
                f"{where}.renewals_allowed must be a whole number, 0 or more (got {self.renewals_allowed!r})"
            )
        if self.renewal_days is not None and (
            not _is_int(self.renewal_days) or self.renewal_days < 1
        ):
            found.append(
                f"{where}.renewal_days must be a whole number of days, at least 1, or left out "
                f"(got {self.renewal_days!r})"
            )
        return found

    @property
    def renewal_period_days(self) -> int:
        """Days one renewal adds to the due date."""
        return self.loan_days if self.renewal_days is None else self.renewal_days


DEFAULT_LOAN_MATRIX: Mapping[tuple[str, str], LoanRule] = MappingProxyType(
    {
        # Leeds lends tablets for one month, renewable.
        (ANY, ANY): LoanRule(loan_days=28, renewals_allowed=2),
        # A Databank SIM runs for six months and is not renewed.
        (ANY, "sim"): LoanRule(loan_days=182, renewals_allowed=0),
        (ANY, "mifi"): LoanRule(loan_days=91, renewals_allowed=1),
        ("jobseeker", "laptop"): LoanRule(loan_days=56, renewals_allowed=2),
        ("care_leaver", "tablet"): LoanRule(loan_days=56, renewals_allowed=3),
        ("care_leaver", "laptop"): LoanRule(loan_days=56, renewals_allowed=3),
    }
)


@dataclass(frozen=True)
class NeedWeights:
    """Points that place a request on the waiting list; each reason is shown with its points.

    Parameters
    ----------
    no_suitable_device, no_home_connection:
        Points when the resident lacks what they ask for.
    low_income:
        Points for a low income or a listed benefit (counted once).
    aged_65_or_over:
        Points for residents aged 65 or over.
    per_exclusion_point:
        Points per point of the ward's exclusion-risk score (0–10), when one is known.
    borrower_type:
        Extra points per borrower type (types not listed get none).
    """

    no_suitable_device: float = 3.0
    no_home_connection: float = 3.0
    low_income: float = 2.0
    aged_65_or_over: float = 1.0
    per_exclusion_point: float = 0.3
    borrower_type: Mapping[str, float] = field(
        default_factory=lambda: {"care_leaver": 2.0, "family": 1.0, "disabled": 1.0}
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "borrower_type", MappingProxyType(dict(self.borrower_type)))

    def problems(self, borrower_types: Mapping[str, str]) -> list[str]:
        """Return what is wrong with the weights."""
        found: list[str] = []
        for name in (
            "no_suitable_device",
            "no_home_connection",
            "low_income",
            "aged_65_or_over",
            "per_exclusion_point",
        ):
            value = getattr(self, name)
            if not _is_number(value) or value < 0:
                found.append(f"need_weights.{name} must be a number, 0 or more (got {value!r})")
        for code, value in self.borrower_type.items():
            if code not in borrower_types:
                found.append(
                    f"need_weights.borrower_type names {code!r}, which is not a borrower type "
                    f"(borrower types: {', '.join(borrower_types)})"
                )
            if not _is_number(value) or value < 0:
                found.append(
                    f"need_weights.borrower_type[{code!r}] must be a number, 0 or more (got {value!r})"
                )
        return found


@dataclass(frozen=True)
class LoanPolicy:
    """A council's rules for lending devices and data.

    Parameters
    ----------
    minimum_age:
        Youngest age in years a borrower may be (the National Databank lends to 18+).
    require_digital_need:
        Refuse residents who already have what they ask for (a suitable device, a home
        connection, or both).
    require_low_income_or_benefit:
        Refuse residents who have neither a low income nor one of ``benefits``.
    borrower_types:
        Code -> label of each borrower type the council uses.
    benefits:
        Code -> label of each benefit that counts as low income.
    max_open_requests_per_referrer:
        Open requests one referring champion may have at a time (Community TechAid uses 3).
    max_items_per_resident:
        Loans one resident may hold at once; a kit counts as one item.
    max_items_by_borrower_type:
        Overrides of ``max_items_per_resident`` for some borrower types.
    loan_matrix:
        ``(borrower type, item kind) -> LoanRule``, with ``"*"`` wildcards; every pair must
        resolve to a rule.
    renew_overdue:
        Whether an overdue loan may still be renewed.
    retention_days:
        Days after a request or loan ends before names, contact details and notes are removed.
    reminder_days_before, reminder_days_after:
        Days before the due date to send "loan_due_soon" and after it to send "loan_overdue".
    need_weights:
        Points used to order the waiting list.
    """

    minimum_age: int = 18
    require_digital_need: bool = True
    require_low_income_or_benefit: bool = True
    borrower_types: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_BORROWER_TYPES))
    benefits: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_BENEFITS))
    max_open_requests_per_referrer: int = 5
    max_items_per_resident: int = 2
    max_items_by_borrower_type: Mapping[str, int] = field(default_factory=lambda: {"family": 3})
    loan_matrix: Mapping[tuple[str, str], LoanRule] = field(
        default_factory=lambda: dict(DEFAULT_LOAN_MATRIX)
    )
    renew_overdue: bool = False
    retention_days: int = 730
    reminder_days_before: tuple[int, ...] = (3,)
    reminder_days_after: tuple[int, ...] = (1, 7, 14)
    need_weights: NeedWeights = field(default_factory=NeedWeights)

    def __post_init__(self) -> None:
        shape: list[str] = []
        # Private read-only copies: a caller changing its dict later cannot change the policy.
        for name in ("borrower_types", "benefits", "max_items_by_borrower_type", "loan_matrix"):
            value = getattr(self, name)
            if isinstance(value, Mapping):
                object.__setattr__(self, name, MappingProxyType(dict(value)))
            else:
                shape.append(f"{name} must be a mapping (got {type(value).__name__})")
        for name in ("reminder_days_before", "reminder_days_after"):
            value = getattr(self, name)
            if isinstance(value, Sequence) and not isinstance(value, str | bytes):
                object.__setattr__(self, name, tuple(value))
            else:
                shape.append(f"{name} must be a list of whole numbers of days")
        if shape:
            raise LoanPolicyError(shape)
        problems = self._problems()
        if problems:
            raise LoanPolicyError(problems)

    # Lookups ---------------------------------------------------------------------------

    def rule_for(self, borrower_type: str, kind: str) -> LoanRule:
        """Return the loan rule for ``borrower_type`` and item ``kind`` (Koha lookup order)."""
        for key in ((borrower_type, kind), (borrower_type, ANY), (ANY, kind), (ANY, ANY)):
            rule = self.loan_matrix.get(key)
            if rule is not None:
                return rule
        raise KeyError(f"no loan rule for borrower type {borrower_type!r} and kind {kind!r}")

    def max_items_for(self, borrower_type: str) -> int:
        """Return how many loans a borrower of ``borrower_type`` may hold at once."""
        return self.max_items_by_borrower_type.get(borrower_type, self.max_items_per_resident)

    # Building from plain data ----------------------------------------------------------

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> LoanPolicy:
        """Build a policy from JSON-like data; unknown keys and bad values are refused.

        ``loan_matrix`` is nested: ``{borrower_type: {kind: {"loan_days": 28, ...}}}``, with
        ``"*"`` for any.  ``need_weights`` is a mapping of ``NeedWeights`` fields.
        """
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise LoanPolicyError(
                [
                    f"unknown setting {key!r} (known settings: {', '.join(sorted(known))})"
                    for key in unknown
                ]
            )
        values: dict[str, Any] = dict(data)
        problems: list[str] = []
        if "loan_matrix" in values:
            matrix: dict[tuple[str, str], LoanRule] = {}
            raw = values["loan_matrix"]
            if not isinstance(raw, Mapping):
                problems.append("loan_matrix must map borrower types to {kind: rule} tables")
            else:
                for borrower_type, row in raw.items():
                    if not isinstance(row, Mapping):
                        problems.append(
                            f"loan_matrix[{borrower_type!r}] must map item kinds to rules"
                        )
                        continue
                    for kind, rule in row.items():
                        where = f"loan_matrix[{borrower_type!r}][{kind!r}]"
                        if not isinstance(rule, Mapping):
                            problems.append(f"{where} must be a table with loan_days")
                            continue
                        extra = sorted(
                            set(rule) - {"loan_days", "renewals_allowed", "renewal_days"}
                        )
                        if extra:
                            problems.append(f"{where} has unknown keys {extra}")
                        if "loan_days" not in rule:
                            problems.append(f"{where} needs loan_days")
                            continue
                        matrix[(str(borrower_type), str(kind))] = LoanRule(
                            loan_days=rule["loan_days"],
                            renewals_allowed=rule.get("renewals_allowed", 0),
                            renewal_days=rule.get("renewal_days"),
                        )
            values["loan_matrix"] = matrix
        if "need_weights" in values:
            raw_weights = values["need_weights"]
            if not isinstance(raw_weights, Mapping):
                problems.append("need_weights must be a table of weights")
                values.pop("need_weights")
            else:
                weight_fields = set(NeedWeights.__dataclass_fields__)
                extra = sorted(set(raw_weights) - weight_fields)
                if extra:
                    problems.append(f"need_weights has unknown keys {extra}")
                else:
                    values["need_weights"] = NeedWeights(**raw_weights)
        for name in ("reminder_days_before", "reminder_days_after"):
            if name in values:
                raw_days = values[name]
                if isinstance(raw_days, str | bytes) or not isinstance(raw_days, Sequence):
                    problems.append(f"{name} must be a list of whole numbers of days")
                    values.pop(name)
                else:
                    values[name] = tuple(raw_days)
        if problems:
            raise LoanPolicyError(problems)
        return cls(**values)

    # Validation ------------------------------------------------------------------------

    def _problems(self) -> list[str]:
        found: list[str] = []
        if not _is_int(self.minimum_age) or not 0 <= self.minimum_age <= 120:
            found.append(
                f"minimum_age must be a whole number of years from 0 to 120 (got {self.minimum_age!r})"
            )
        for name in ("require_digital_need", "require_low_income_or_benefit", "renew_overdue"):
            if not isinstance(getattr(self, name), bool):
                found.append(f"{name} must be true or false (got {getattr(self, name)!r})")
        found += _code_table_problems("borrower_types", self.borrower_types)
        found += _code_table_problems("benefits", self.benefits, allow_empty=True)
        for name in ("max_open_requests_per_referrer", "max_items_per_resident"):
            value = getattr(self, name)
            if not _is_int(value) or value < 1:
                found.append(f"{name} must be a whole number, at least 1 (got {value!r})")
        for code, value in self.max_items_by_borrower_type.items():
            if code not in self.borrower_types:
                found.append(
                    f"max_items_by_borrower_type names {code!r}, which is not a borrower type"
                )
            if not _is_int(value) or value < 1:
                found.append(
                    f"max_items_by_borrower_type[{code!r}] must be a whole number, at least 1 (got {value!r})"
                )
        found += self._matrix_problems()
        if not _is_int(self.retention_days) or self.retention_days < 30:
            found.append(
                f"retention_days must be a whole number of days, at least 30 (got {self.retention_days!r}); "
                "loans need time to be returned and queried before their details go"
            )
        for name in ("reminder_days_before", "reminder_days_after"):
            days = getattr(self, name)
            if any(not _is_int(day) or not 1 <= day <= 60 for day in days):
                found.append(
                    f"{name} must hold whole numbers of days from 1 to 60 (got {list(days)!r})"
                )
            elif len(set(days)) != len(days):
                found.append(f"{name} lists the same day twice (got {list(days)!r})")
            elif len(days) > 5:
                found.append(
                    f"{name} may hold at most 5 reminders, so residents are not pestered (got {len(days)})"
                )
        if isinstance(self.need_weights, NeedWeights):
            found += self.need_weights.problems(self.borrower_types)
        else:
            found.append("need_weights must be a NeedWeights")
        return found

    def _matrix_problems(self) -> list[str]:
        found: list[str] = []
        for key, rule in self.loan_matrix.items():
            if not (isinstance(key, tuple) and len(key) == 2):
                found.append(f"loan_matrix key {key!r} must be (borrower type, item kind)")
                continue
            borrower_type, kind = key
            where = f"loan_matrix[{borrower_type!r}][{kind!r}]"
            if borrower_type != ANY and borrower_type not in self.borrower_types:
                found.append(
                    f"{where}: {borrower_type!r} is not a borrower type "
                    f"(use one of {', '.join(self.borrower_types)} or '*')"
                )
            if kind != ANY and kind not in DEVICE_KINDS:
                found.append(
                    f"{where}: {kind!r} is not an item kind (use one of {', '.join(DEVICE_KINDS)} or '*')"
                )
            if not isinstance(rule, LoanRule):
                found.append(f"{where} must be a LoanRule")
                continue
            found += rule.problems(where)
        if found:
            return found
        missing = [
            f"{borrower_type}/{kind}"
            for borrower_type in self.borrower_types
            for kind in DEVICE_KINDS
            if not any(
                key in self.loan_matrix
                for key in ((borrower_type, kind), (borrower_type, ANY), (ANY, kind), (ANY, ANY))
            )
        ]
        if missing:
            found.append(
                "loan_matrix has no rule for "
                + ", ".join(missing)
                + "; add them or a ('*', '*') rule"
            )
        return found


def _code_table_problems(
    name: str, table: Mapping[str, str], *, allow_empty: bool = False
) -> list[str]:
    found: list[str] = []
    if not table and not allow_empty:
        found.append(f"{name} must list at least one code")
    for code, label in table.items():
        if (
            not isinstance(code, str)
            or not code
            or not code.replace("_", "").isalnum()
            or code != code.lower()
        ):
            found.append(f"{name} code {code!r} must be lower-case letters, digits and underscores")
        if not isinstance(label, str) or not label.strip():
            found.append(f"{name}[{code!r}] needs a label to show people")
    return found


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value


DEFAULT_POLICY = LoanPolicy()
"""The defaults above; a council should confirm each value before going live."""

__all__ = [
    "ANY",
    "DATA_KINDS",
    "DEFAULT_BENEFITS",
    "DEFAULT_BORROWER_TYPES",
    "DEFAULT_LOAN_MATRIX",
    "DEFAULT_POLICY",
    "DEVICE_KINDS",
    "DEVICE_KIND_LABELS",
    "NEEDS",
    "LoanPolicy",
    "LoanPolicyError",
    "LoanRule",
    "NeedWeights",
]
