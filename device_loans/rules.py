"""Pure rules of device and data loans: state machines, eligibility, need scores, due dates.

Nothing here touches the database or reads the clock; the services in ``services.py`` load
facts, ask these rules, and write the outcome with conditional updates.

The device lifecycle (after Community TechAid's donation -> wipe -> set up -> ready chain)::

    received --wipe--> wiped --> set up --> ready --lend--> on loan --return--> returned
        \\                                    ^                  \\               |
         `-- (purchased new: no wipe) -------'                   `--> lost       `--wipe--> wiped ...

with side branches to ``in repair``, ``retired`` and ``lost``.  A device "needs a wipe" when it
arrives from a donor or recycler and again whenever it comes back from a borrower, a repairer or
being lost; while it needs a wipe it cannot be set up, made ready or lent.  Because every path
from ``returned`` to ``on loan`` passes through ``wiped``, and the flag is checked again in the
``UPDATE`` that lends it, no device goes back on loan until a new wipe is recorded after its last
return.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum

from core.clock import govuk_date
from core.errors import Conflict
from device_loans.config import LoanPolicy, LoanRule


class TransitionRefused(Conflict):
    """A status change the lifecycle does not allow; the message says why and what to do."""


# Devices ----------------------------------------------------------------------------------


class DeviceStatus(StrEnum):
    """Where a device is in its lifecycle."""

    RECEIVED = "received"
    WIPED = "wiped"
    SET_UP = "set_up"
    READY = "ready"
    ON_LOAN = "on_loan"
    RETURNED = "returned"
    IN_REPAIR = "in_repair"
    RETIRED = "retired"
    LOST = "lost"


DEVICE_STATUS_LABELS: Mapping[str, str] = {
    DeviceStatus.RECEIVED: "received",
    DeviceStatus.WIPED: "wiped",
    DeviceStatus.SET_UP: "set up",
    DeviceStatus.READY: "ready to lend",
    DeviceStatus.ON_LOAN: "on loan",
    DeviceStatus.RETURNED: "returned",
    DeviceStatus.IN_REPAIR: "in repair",
    DeviceStatus.RETIRED: "retired",
    DeviceStatus.LOST: "lost",
}

_DEVICE_VERBS: Mapping[str, str] = {
    DeviceStatus.WIPED: "recorded as wiped",
    DeviceStatus.SET_UP: "marked as set up",
    DeviceStatus.READY: "marked ready to lend",
    DeviceStatus.ON_LOAN: "lent",
    DeviceStatus.RETURNED: "returned",
    DeviceStatus.IN_REPAIR: "sent for repair",
    DeviceStatus.RETIRED: "retired",
    DeviceStatus.LOST: "recorded as lost",
    DeviceStatus.RECEIVED: "received",
}

DEVICE_TRANSITIONS: Mapping[str, frozenset[str]] = {
    DeviceStatus.RECEIVED: frozenset(
        {
            DeviceStatus.WIPED,
            DeviceStatus.SET_UP,
            DeviceStatus.READY,
            DeviceStatus.IN_REPAIR,
            DeviceStatus.RETIRED,
            DeviceStatus.LOST,
        }
    ),
    DeviceStatus.WIPED: frozenset(
        {
            DeviceStatus.SET_UP,
            DeviceStatus.READY,
            DeviceStatus.IN_REPAIR,
            DeviceStatus.RETIRED,
            DeviceStatus.LOST,
        }
    ),
    DeviceStatus.SET_UP: frozenset(
        {
            DeviceStatus.READY,
            DeviceStatus.WIPED,
            DeviceStatus.IN_REPAIR,
            DeviceStatus.RETIRED,
            DeviceStatus.LOST,
        }
    ),
    DeviceStatus.READY: frozenset(
        {
            DeviceStatus.ON_LOAN,
            DeviceStatus.WIPED,
            DeviceStatus.SET_UP,
            DeviceStatus.IN_REPAIR,
            DeviceStatus.RETIRED,
            DeviceStatus.LOST,
        }
    ),
    DeviceStatus.ON_LOAN: frozenset({DeviceStatus.RETURNED, DeviceStatus.LOST}),
    DeviceStatus.RETURNED: frozenset(
        {DeviceStatus.WIPED, DeviceStatus.IN_REPAIR, DeviceStatus.RETIRED, DeviceStatus.LOST}
    ),
    DeviceStatus.IN_REPAIR: frozenset(
        {DeviceStatus.WIPED, DeviceStatus.RETIRED, DeviceStatus.LOST}
    ),
    DeviceStatus.RETIRED: frozenset(),
    # A lost device that turns up is booked back in as returned, and so must be wiped again.
    DeviceStatus.LOST: frozenset({DeviceStatus.RETURNED, DeviceStatus.RETIRED}),
}
"""Allowed device status changes: ``current -> {next, ...}``."""

_BLOCKED_BY_WIPE = frozenset({DeviceStatus.SET_UP, DeviceStatus.READY, DeviceStatus.ON_LOAN})
_SETS_NEEDS_WIPE = frozenset({DeviceStatus.RETURNED, DeviceStatus.IN_REPAIR, DeviceStatus.LOST})

CONDITIONS: tuple[str, ...] = ("new", "good", "fair", "poor", "broken")
SOURCES: tuple[str, ...] = ("purchased", "donated", "recycled")

WIPE_METHODS: Mapping[str, str] = {
    "mdm_reset": "Reset and re-enrolled through device management",
    "factory_reset": "Factory reset",
    "certified_erasure": "Certified erasure software (NIST SP 800-88 purge)",
    "sim_reissued": "SIM deactivated or reassigned",
    "no_storage": "Checked: holds no data (for example a charger)",
}


@dataclass(frozen=True)
class DeviceFacts:
    """What the lifecycle rules need to know about one device."""

    asset_tag: str
    status: str
    needs_wipe: bool
    kit_code: str | None = None


def needs_wipe_on_arrival(source: str) -> bool:
    """Return whether a device from ``source`` must be wiped before it is set up or lent."""
    return source != "purchased"


def device_transition_refusal(
    facts: DeviceFacts, to_status: str, *, through_kit: bool = False
) -> str | None:
    """Return why ``facts`` cannot move to ``to_status``, or ``None`` when it can.

    ``through_kit`` is true when the change is part of lending or returning the device's kit;
    a kit's devices are lent and returned only together.
    """
    tag = facts.asset_tag
    current = facts.status
    if current == to_status:
        return f"{tag} is already {DEVICE_STATUS_LABELS.get(current, current)}."
    allowed = DEVICE_TRANSITIONS.get(current, frozenset())
    if to_status not in allowed:
        return _not_allowed(facts, to_status)
    if to_status in _BLOCKED_BY_WIPE and facts.needs_wipe:
        return (
            f"{tag} has not been wiped since it last came in, so it cannot be "
            f"{_DEVICE_VERBS[to_status]}. Record a wipe with its certificate reference first."
        )
    if facts.kit_code is not None and not through_kit:
        if current == DeviceStatus.ON_LOAN:
            return (
                f"{tag} is on loan as part of kit {facts.kit_code}; the kit comes back as one. "
                "Record the kit's return, listing anything missing."
            )
        if to_status == DeviceStatus.ON_LOAN:
            return f"{tag} is part of kit {facts.kit_code}. Lend the kit, or take {tag} out of it first."
        if to_status == DeviceStatus.RETIRED:
            return (
                f"{tag} is part of kit {facts.kit_code}. Take it out of the kit before retiring it."
            )
    return None


def _not_allowed(facts: DeviceFacts, to_status: str) -> str:
    tag = facts.asset_tag
    label = DEVICE_STATUS_LABELS.get(facts.status, facts.status)
    verb = _DEVICE_VERBS.get(to_status, f"moved to {to_status}")
    if facts.status == DeviceStatus.ON_LOAN and to_status != DeviceStatus.ON_LOAN:
        return f"{tag} is on loan, so it cannot be {verb}. Record its return first."
    if facts.status == DeviceStatus.RETIRED:
        return f"{tag} has been retired, so it cannot be {verb}."
    if to_status == DeviceStatus.ON_LOAN and facts.status in (
        DeviceStatus.RETURNED,
        DeviceStatus.RECEIVED,
    ):
        return (
            f"{tag} is {label} and not ready to lend. Wipe it, set it up and mark it ready first."
        )
    if to_status == DeviceStatus.ON_LOAN:
        return f"{tag} is {label}, so it cannot be lent. Only devices that are ready to lend can go out."
    if to_status == DeviceStatus.RETURNED:
        return f"{tag} is not on loan (it is {label}), so there is nothing to return."
    options = sorted(DEVICE_STATUS_LABELS[s] for s in DEVICE_TRANSITIONS.get(facts.status, ()))
    hint = f" From {label} it can be: {', '.join(options)}." if options else ""
    return f"{tag} is {label}, so it cannot be {verb}.{hint}"


def apply_device_transition(
    facts: DeviceFacts, to_status: str, *, through_kit: bool = False
) -> DeviceFacts:
    """Return the device's facts after moving to ``to_status``; refuse a change the rules forbid."""
    refusal = device_transition_refusal(facts, to_status, through_kit=through_kit)
    if refusal is not None:
        raise TransitionRefused(refusal, field="status")
    needs_wipe = facts.needs_wipe
    if to_status == DeviceStatus.WIPED:
        needs_wipe = False
    elif to_status in _SETS_NEEDS_WIPE:
        needs_wipe = True
    return replace(facts, status=to_status, needs_wipe=needs_wipe)


def wipe_date_refusal(
    wiped_on: date, *, today: date, received_on: date, last_returned_on: date | None
) -> str | None:
    """Return why a wipe on ``wiped_on`` cannot be recorded, or ``None``."""
    if wiped_on > today:
        return "The wipe date cannot be in the future."
    if wiped_on < received_on:
        return f"The wipe date ({govuk_date(wiped_on)}) is before the device was received ({govuk_date(received_on)})."
    if last_returned_on is not None and wiped_on < last_returned_on:
        return (
            f"The wipe date ({govuk_date(wiped_on)}) is before the device last came back "
            f"({govuk_date(last_returned_on)}). Wipe it again and record that wipe."
        )
    return None


# Kits -------------------------------------------------------------------------------------


class KitStatus(StrEnum):
    """A kit is available to lend, out on loan as one, or broken up."""

    AVAILABLE = "available"
    ON_LOAN = "on_loan"
    DISSOLVED = "dissolved"


def kit_change_refusal(kit_code: str, kit_status: str) -> str | None:
    """Return why kit ``kit_code`` cannot change its devices now, or ``None``."""
    if kit_status == KitStatus.ON_LOAN:
        return f"Kit {kit_code} is on loan, so its devices cannot change until it is returned."
    if kit_status == KitStatus.DISSOLVED:
        return f"Kit {kit_code} has been broken up. Make a new kit instead."
    return None


def kit_candidate_refusal(facts: DeviceFacts, kit_code: str) -> str | None:
    """Return why the device in ``facts`` cannot join kit ``kit_code``, or ``None``."""
    if facts.kit_code == kit_code:
        return f"{facts.asset_tag} is already in kit {kit_code}."
    if facts.kit_code is not None:
        return (
            f"{facts.asset_tag} is already in kit {facts.kit_code}. Take it out of that kit first."
        )
    if facts.status in (DeviceStatus.ON_LOAN, DeviceStatus.RETIRED, DeviceStatus.LOST):
        label = DEVICE_STATUS_LABELS[facts.status]
        return f"{facts.asset_tag} is {label}, so it cannot go into a kit."
    return None


def kit_lend_refusal(kit_code: str, kit_status: str, members: Sequence[DeviceFacts]) -> str | None:
    """Return why kit ``kit_code`` with ``members`` cannot be lent, or ``None``."""
    if kit_status == KitStatus.ON_LOAN:
        return f"Kit {kit_code} is already on loan."
    if kit_status == KitStatus.DISSOLVED:
        return f"Kit {kit_code} has been broken up, so it cannot be lent."
    if not members:
        return f"Kit {kit_code} has no devices in it."
    problems = [
        refusal
        for member in members
        if (refusal := device_transition_refusal(member, DeviceStatus.ON_LOAN, through_kit=True))
        is not None
    ]
    if problems:
        return f"Kit {kit_code} cannot be lent: " + " ".join(problems)
    return None


# Requests ---------------------------------------------------------------------------------


class RequestStatus(StrEnum):
    """Where a resident's request to borrow is."""

    SUBMITTED = "submitted"
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    WAITING = "waiting"
    APPROVED = "approved"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    FULFILLED = "fulfilled"


REQUEST_STATUS_LABELS: Mapping[str, str] = {
    RequestStatus.SUBMITTED: "submitted",
    RequestStatus.ELIGIBLE: "eligible",
    RequestStatus.INELIGIBLE: "not eligible",
    RequestStatus.WAITING: "on the waiting list",
    RequestStatus.APPROVED: "approved",
    RequestStatus.DECLINED: "declined",
    RequestStatus.WITHDRAWN: "withdrawn",
    RequestStatus.FULFILLED: "fulfilled",
}

REQUEST_TRANSITIONS: Mapping[str, frozenset[str]] = {
    RequestStatus.SUBMITTED: frozenset(
        {RequestStatus.ELIGIBLE, RequestStatus.INELIGIBLE, RequestStatus.WITHDRAWN}
    ),
    RequestStatus.ELIGIBLE: frozenset(
        {
            RequestStatus.WAITING,
            RequestStatus.APPROVED,
            RequestStatus.DECLINED,
            RequestStatus.WITHDRAWN,
            RequestStatus.FULFILLED,
        }
    ),
    RequestStatus.WAITING: frozenset(
        {
            RequestStatus.APPROVED,
            RequestStatus.DECLINED,
            RequestStatus.WITHDRAWN,
            RequestStatus.FULFILLED,
        }
    ),
    RequestStatus.APPROVED: frozenset(
        {
            RequestStatus.FULFILLED,
            RequestStatus.WAITING,
            RequestStatus.DECLINED,
            RequestStatus.WITHDRAWN,
        }
    ),
    RequestStatus.INELIGIBLE: frozenset(),
    RequestStatus.DECLINED: frozenset(),
    RequestStatus.WITHDRAWN: frozenset(),
    RequestStatus.FULFILLED: frozenset(),
}
"""Allowed request status changes."""

OPEN_REQUEST_STATUSES: frozenset[str] = frozenset(
    {RequestStatus.SUBMITTED, RequestStatus.ELIGIBLE, RequestStatus.WAITING, RequestStatus.APPROVED}
)
"""Requests still being dealt with; these count towards a referrer's limit."""

WAITING_LIST_STATUSES: frozenset[str] = frozenset({RequestStatus.ELIGIBLE, RequestStatus.WAITING})
"""Requests shown on the waiting list."""

LENDABLE_REQUEST_STATUSES: frozenset[str] = frozenset(
    {RequestStatus.ELIGIBLE, RequestStatus.WAITING, RequestStatus.APPROVED, RequestStatus.FULFILLED}
)
"""Requests an item may be lent against (a fulfilled request may get a second item)."""

_REQUEST_VERBS: Mapping[str, str] = {
    RequestStatus.ELIGIBLE: "assessed",
    RequestStatus.INELIGIBLE: "assessed",
    RequestStatus.WAITING: "put on the waiting list",
    RequestStatus.APPROVED: "approved",
    RequestStatus.DECLINED: "declined",
    RequestStatus.WITHDRAWN: "withdrawn",
    RequestStatus.FULFILLED: "fulfilled",
}


def request_transition_refusal(current: str, to_status: str) -> str | None:
    """Return why a request in ``current`` cannot move to ``to_status``, or ``None``."""
    if to_status in REQUEST_TRANSITIONS.get(current, frozenset()):
        return None
    label = REQUEST_STATUS_LABELS.get(current, current)
    verb = _REQUEST_VERBS.get(to_status, f"moved to {to_status}")
    if current == to_status:
        return f"This request is already {label}."
    return f"This request is {label}, so it cannot be {verb}."


# Loans ------------------------------------------------------------------------------------


class LoanStatus(StrEnum):
    """A loan is active, overdue (set by the daily job), or closed as returned or lost."""

    ACTIVE = "active"
    OVERDUE = "overdue"
    RETURNED = "returned"
    LOST = "lost"


OPEN_LOAN_STATUSES: frozenset[str] = frozenset({LoanStatus.ACTIVE, LoanStatus.OVERDUE})

LOAN_TRANSITIONS: Mapping[str, frozenset[str]] = {
    LoanStatus.ACTIVE: frozenset({LoanStatus.OVERDUE, LoanStatus.RETURNED, LoanStatus.LOST}),
    # Renewing an overdue loan (when the council allows it) makes it active again.
    LoanStatus.OVERDUE: frozenset({LoanStatus.ACTIVE, LoanStatus.RETURNED, LoanStatus.LOST}),
    LoanStatus.RETURNED: frozenset(),
    LoanStatus.LOST: frozenset(),
}
"""Allowed loan status changes; ``lost`` is final for the loan (a found device is booked in)."""


def loan_transition_refusal(current: str, to_status: str) -> str | None:
    """Return why a loan in ``current`` cannot move to ``to_status``, or ``None``."""
    if to_status in LOAN_TRANSITIONS.get(current, frozenset()):
        return None
    if current == LoanStatus.RETURNED:
        return "This loan has already been returned."
    if current == LoanStatus.LOST:
        return "This loan was recorded as lost. If the item has turned up, book the device back in."
    return f"This loan is {current}, so it cannot become {to_status}."


def is_overdue(due_on: date, today: date) -> bool:
    """Return whether a loan due on ``due_on`` is overdue on ``today`` (the due day itself is not)."""
    return today > due_on


def loan_rule_for_kinds(policy: LoanPolicy, borrower_type: str, kinds: Sequence[str]) -> LoanRule:
    """Return the rule for lending items of ``kinds`` together: the strictest of their rules."""
    if not kinds:
        raise ValueError("at least one item kind is needed")
    rules = [policy.rule_for(borrower_type, kind) for kind in kinds]
    return LoanRule(
        loan_days=min(rule.loan_days for rule in rules),
        renewals_allowed=min(rule.renewals_allowed for rule in rules),
        renewal_days=min(rule.renewal_period_days for rule in rules),
    )


def due_date(issued_on: date, rule: LoanRule) -> date:
    """Return the due date of a loan issued on ``issued_on`` under ``rule``."""
    return issued_on + timedelta(days=rule.loan_days)


def due_date_refusal(issued_on: date, due_on: date, *, longest: date) -> str | None:
    """Return why ``due_on`` is not a valid due date for a loan issued on ``issued_on``."""
    if due_on <= issued_on:
        return (
            f"The due date ({govuk_date(due_on)}) must be after the day the item is lent "
            f"({govuk_date(issued_on)})."
        )
    if due_on > longest:
        return (
            f"The due date cannot be later than {govuk_date(longest)}, the longest loan the "
            "council's rules allow for this item and borrower."
        )
    return None


def renewal_refusal(
    *, status: str, renewals_used: int, rule: LoanRule, renew_overdue: bool
) -> str | None:
    """Return why a loan cannot be renewed, or ``None`` when it can."""
    if status not in OPEN_LOAN_STATUSES:
        return loan_transition_refusal(status, LoanStatus.ACTIVE) or "This loan is closed."
    if status == LoanStatus.OVERDUE and not renew_overdue:
        return "This loan is overdue, so it cannot be renewed. Arrange its return first."
    if rule.renewals_allowed == 0:
        return "Loans of this kind cannot be renewed."
    if renewals_used >= rule.renewals_allowed:
        times = "once" if rule.renewals_allowed == 1 else f"{rule.renewals_allowed} times"
        return f"This loan has already been renewed {times}, the most allowed."
    return None


def renewed_due_date(due_on: date, rule: LoanRule) -> date:
    """Return the due date after one renewal; days are added to the old due date, none lost."""
    return due_on + timedelta(days=rule.renewal_period_days)


@dataclass(frozen=True)
class PlannedReminder:
    """A reminder to send about one loan: ``kind`` is "due_soon" or "overdue"."""

    kind: str
    offset_days: int


def reminder_due(
    due_on: date, today: date, *, days_before: Sequence[int], days_after: Sequence[int]
) -> PlannedReminder | None:
    """Return the most recent reminder whose day has come, or ``None``.

    Only the latest one counts: if the daily job did not run for a while, the borrower gets one
    up-to-date reminder rather than a burst of stale ones.
    """
    if today <= due_on:
        days_left = (due_on - today).days
        reached = [days for days in days_before if days >= days_left]
        return PlannedReminder("due_soon", min(reached)) if reached else None
    days_late = (today - due_on).days
    passed = [days for days in days_after if days <= days_late]
    return PlannedReminder("overdue", max(passed)) if passed else None


# Eligibility and need ---------------------------------------------------------------------


@dataclass(frozen=True)
class RequestAnswers:
    """The answers on a request that the eligibility and need rules read."""

    age_years: int | None
    borrower_type: str
    need: str
    has_suitable_device: bool
    has_home_connection: bool
    low_income: bool
    benefit: str | None = None
    age_band: str | None = None

    @property
    def wants_device(self) -> bool:
        """Whether the resident asks for a device."""
        return self.need in ("device", "both")

    @property
    def wants_data(self) -> bool:
        """Whether the resident asks for data (a SIM or Mi-Fi)."""
        return self.need in ("data", "both")

    @property
    def aged_65_or_over(self) -> bool:
        """Whether the resident is 65 or over (from the age, or its band once the age is gone)."""
        if self.age_years is not None:
            return self.age_years >= 65
        return self.age_band in ("65-74", "75+")


@dataclass(frozen=True)
class Eligibility:
    """The outcome of the eligibility rules, with reasons a person can read."""

    eligible: bool
    reasons: tuple[str, ...]


def assess_eligibility(answers: RequestAnswers, policy: LoanPolicy) -> Eligibility:
    """Apply the council's eligibility rules; reasons say what failed, or what was met."""
    failed: list[str] = []
    met: list[str] = []
    if answers.age_years is None or answers.age_years < policy.minimum_age:
        failed.append(
            f"Aged under {policy.minimum_age}: the scheme lends to people aged {policy.minimum_age} or over."
        )
    else:
        met.append(f"Aged {policy.minimum_age} or over")
    lacks_device = answers.wants_device and not answers.has_suitable_device
    lacks_connection = answers.wants_data and not answers.has_home_connection
    if lacks_device:
        met.append("No suitable device at home")
    if lacks_connection:
        met.append("No internet connection at home")
    if policy.require_digital_need and not (lacks_device or lacks_connection):
        if answers.need == "device":
            failed.append("Already has a suitable device at home.")
        elif answers.need == "data":
            failed.append("Already has an internet connection at home.")
        else:
            failed.append("Already has a suitable device and an internet connection at home.")
    benefit_label = policy.benefits.get(answers.benefit) if answers.benefit else None
    if benefit_label is not None:
        met.append(f"Receives {benefit_label}")
    elif answers.low_income:
        met.append("Low income")
    elif policy.require_low_income_or_benefit:
        failed.append("Neither on a low income nor receiving one of the listed benefits.")
    if failed:
        return Eligibility(False, tuple(failed))
    return Eligibility(True, tuple(met))


@dataclass(frozen=True)
class NeedScore:
    """Points that order the waiting list, and why, for example ``"No device at home (+3)"``."""

    points: float
    reasons: tuple[str, ...]


def _signed(points: float) -> str:
    rounded = round(points, 1)
    return f"+{rounded:g}"


def score_need(
    answers: RequestAnswers, policy: LoanPolicy, *, exclusion_score: float | None = None
) -> NeedScore:
    """Score a request's need from its answers and, when known, its ward's exclusion risk (0–10)."""
    weights = policy.need_weights
    parts: list[tuple[str, float]] = []
    if answers.wants_device and not answers.has_suitable_device:
        parts.append(("No device at home", weights.no_suitable_device))
    if answers.wants_data and not answers.has_home_connection:
        parts.append(("No internet connection at home", weights.no_home_connection))
    benefit_label = policy.benefits.get(answers.benefit) if answers.benefit else None
    if benefit_label is not None:
        parts.append((f"Receives {benefit_label}", weights.low_income))
    elif answers.low_income:
        parts.append(("Low income", weights.low_income))
    if answers.aged_65_or_over:
        parts.append(("Aged 65 or over", weights.aged_65_or_over))
    type_points = weights.borrower_type.get(answers.borrower_type, 0.0)
    if type_points:
        parts.append(
            (policy.borrower_types.get(answers.borrower_type, answers.borrower_type), type_points)
        )
    if exclusion_score is not None:
        if not 0 <= exclusion_score <= 10:
            raise ValueError(f"an exclusion score runs from 0 to 10 (got {exclusion_score!r})")
        parts.append(
            (
                f"Lives in a ward with exclusion risk {exclusion_score:.1f} out of 10",
                exclusion_score * weights.per_exclusion_point,
            )
        )
    counted = [(label, points) for label, points in parts if points > 0]
    total = round(sum(points for _, points in counted), 6)
    return NeedScore(total, tuple(f"{label} ({_signed(points)})" for label, points in counted))


# Residents' details -----------------------------------------------------------------------

AGE_BANDS: tuple[tuple[int, str], ...] = (
    (16, "under 16"),
    (18, "16-17"),
    (25, "18-24"),
    (35, "25-34"),
    (50, "35-49"),
    (65, "50-64"),
    (75, "65-74"),
)


def age_band(age_years: int) -> str:
    """Return the age band kept for statistics once the exact age is removed."""
    for upper, label in AGE_BANDS:
        if age_years < upper:
            return label
    return "75+"


@dataclass(frozen=True)
class Contact:
    """A resident's contact detail, normalised; ``method`` is "email", "sms" or "phone"."""

    method: str
    value: str


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_PHONE_NOISE = re.compile(r"[\s\-().]")


def normalise_contact(text: str) -> Contact | None:
    """Return the email address or UK phone number in ``text`` normalised, or ``None``.

    Emails are lower-cased.  Phone numbers become ``+44`` and ten digits; mobiles (``+447``)
    can receive text messages, other numbers are for calling only.
    """
    cleaned = (text or "").strip()
    if "@" in cleaned:
        return (
            Contact("email", cleaned.lower())
            if _EMAIL.match(cleaned) and len(cleaned) <= 320
            else None
        )
    digits = _PHONE_NOISE.sub("", cleaned)
    if digits.startswith("+44"):
        national = digits[3:]
    elif digits.startswith("0044"):
        national = digits[4:]
    elif digits.startswith("0"):
        national = digits[1:]
    else:
        return None
    if national.startswith("0"):
        national = national[1:]
    if len(national) != 10 or not national.isdigit():
        return None
    return Contact("sms" if national.startswith("7") else "phone", f"+44{national}")


_WARD_CODE = re.compile(r"^[EWSN][0-9]{8}$")


def is_ward_code(text: str) -> bool:
    """Return whether ``text`` looks like an ONS ward code such as ``E05013617``."""
    return bool(_WARD_CODE.match(text))


__all__ = [
    "AGE_BANDS",
    "CONDITIONS",
    "DEVICE_STATUS_LABELS",
    "DEVICE_TRANSITIONS",
    "LENDABLE_REQUEST_STATUSES",
    "LOAN_TRANSITIONS",
    "OPEN_LOAN_STATUSES",
    "OPEN_REQUEST_STATUSES",
    "REQUEST_STATUS_LABELS",
    "REQUEST_TRANSITIONS",
    "SOURCES",
    "WAITING_LIST_STATUSES",
    "WIPE_METHODS",
    "Contact",
    "DeviceFacts",
    "DeviceStatus",
    "Eligibility",
    "KitStatus",
    "LoanStatus",
    "NeedScore",
    "PlannedReminder",
    "RequestAnswers",
    "RequestStatus",
    "TransitionRefused",
    "age_band",
    "apply_device_transition",
    "assess_eligibility",
    "device_transition_refusal",
    "due_date",
    "due_date_refusal",
    "is_overdue",
    "is_ward_code",
    "kit_candidate_refusal",
    "kit_change_refusal",
    "kit_lend_refusal",
    "loan_rule_for_kinds",
    "loan_transition_refusal",
    "needs_wipe_on_arrival",
    "normalise_contact",
    "reminder_due",
    "renewal_refusal",
    "renewed_due_date",
    "request_transition_refusal",
    "score_need",
]
