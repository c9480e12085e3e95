"""A synthetic year of device and data loans for the demo borough.

``load_demo_loans`` builds an inventory (about 120 items: tablets, laptops, phones, Mi-Fi units,
data SIMs and chargers, some bundled as kits) and plays a year of requests through the real
services: residents ask, coordinators work the waiting list each week, devices go out and come
back, some loans are renewed, some come back late, a few are lost, and every returned device is
wiped before it goes out again.  Everything is made up: names use a small list of invented
names, email addresses use ``example.org`` and phone numbers the Ofcom range kept for drama
(07700 900000 to 900999).  The same seed gives the same inventory, requests, dates and outcomes;
only the random public references differ.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.clock import LONDON, to_london
from core.errors import DomainError
from device_loans.config import DEFAULT_POLICY, LoanPolicy
from device_loans.models import Device, Kit, Loan, LoanRequest
from device_loans.rules import DeviceStatus, LoanStatus, RequestStatus
from device_loans.services import (
    LoanAgreement,
    NewDevice,
    NewLoanRequest,
    approve_request,
    change_device_status,
    create_kit,
    decline_request,
    issue_loan,
    list_available_devices,
    list_available_kits,
    list_waiting_list,
    mark_overdue,
    place_on_waiting_list,
    record_lost,
    record_wipe,
    register_device,
    renew_loan,
    return_loan,
    submit_request,
    withdraw_request,
)

COORDINATOR = None  # demo actions are not tied to a staff account

_MODELS: Mapping[str, tuple[tuple[str, str], ...]] = {
    "tablet": (("Lenovo", "Tab M10"), ("Samsung", "Galaxy Tab A9"), ("Amazon", "Fire HD 10")),
    "laptop": (("Lenovo", "ThinkPad T480"), ("Dell", "Latitude 5490"), ("HP", "EliteBook 840 G5")),
    "smartphone": (("Samsung", "Galaxy A15"), ("Motorola", "moto g24")),
    "mifi": (("Huawei", "E5576"), ("TP-Link", "M7350")),
    "sim": (("Vodafone", "Databank SIM"), ("O2", "Databank SIM"), ("Three", "Databank SIM")),
    "charger": (("Anker", "USB-C 20W"), ("Belkin", "USB-C 25W")),
}
_LOOSE_KINDS = (
    ("tablet", 30),
    ("laptop", 18),
    ("smartphone", 14),
    ("mifi", 10),
    ("sim", 14),
    ("charger", 4),
)
_DONORS = ("Council IT refresh", "Local business donation", "Community TechAid partner")
_LOCATIONS = ("Central Library", "Community Hub", "Civic Centre store")
_FIRST = ("Amira", "Ben", "Chloe", "Dev", "Ewa", "Farah", "George", "Hana", "Isaac", "Joy")
_LAST = (
    "Ahmed",
    "Brown",
    "Clarke",
    "Dias",
    "Evans",
    "Fofana",
    "Green",
    "Hussain",
    "Iqbal",
    "Jones",
)
_BORROWERS = (
    ("resident", 50),
    ("family", 20),
    ("care_leaver", 8),
    ("disabled", 12),
    ("jobseeker", 10),
)
_NEEDS = (("device", 55), ("data", 20), ("both", 25))
_PREFERRED = {
    "resident": ("tablet", "smartphone", "laptop"),
    "family": ("laptop", "tablet", "smartphone"),
    "care_leaver": ("laptop", "smartphone", "tablet"),
    "disabled": ("tablet", "smartphone", "laptop"),
    "jobseeker": ("laptop", "tablet", "smartphone"),
}


@dataclass(frozen=True)
class DemoSummary:
    """What the demo loaded."""

    devices: int
    kits: int
    requests: int
    loans: int
    open_loans: int
    overdue_loans: int
    lost_loans: int
    renewed_loans: int


@dataclass
class _Plan:
    """How one loan will end: back on ``return_day`` after ``renewals``, or lost."""

    return_day: date
    renewals: int
    lost: bool


@dataclass
class _Diary:
    """Things to do on later days of the simulation."""

    returns: dict[date, list[int]] = field(default_factory=lambda: defaultdict(list))
    renewals: dict[date, list[int]] = field(default_factory=lambda: defaultdict(list))
    wipes: dict[date, list[int]] = field(default_factory=lambda: defaultdict(list))
    repairs_done: dict[date, list[int]] = field(default_factory=lambda: defaultdict(list))


def _moment(day: date, now: datetime, hour: int = 10) -> datetime:
    local = datetime.combine(day, time(hour), tzinfo=LONDON).astimezone(UTC)
    return min(local, now)


def _weighted(rng: random.Random, choices: Sequence[tuple[str, int]]) -> str:
    return rng.choices([name for name, _ in choices], weights=[weight for _, weight in choices])[0]


def load_demo_loans(
    session: Session,
    *,
    ward_codes: Sequence[str],
    now: datetime,
    seed: int,
    policy: LoanPolicy = DEFAULT_POLICY,
    days: int = 365,
    requests_per_day: float = 0.6,
    kit_count: int = 10,
    exclusion_by_ward: Mapping[str, float] | None = None,
    champion_ids: Sequence[int] = (),
) -> DemoSummary:
    """Fill the loans tables with a synthetic inventory and ``days`` of activity ending ``now``.

    Parameters
    ----------
    session:
        Where to write; nothing is committed.
    ward_codes:
        Ward codes (for example ``WD23CD`` values of the demo borough) residents live in.
    now:
        Aware datetime the simulated year ends at; nothing is dated later.
    seed:
        Seed of the random choices; the same seed gives the same story.
    policy:
        The council's loan rules.
    days, requests_per_day, kit_count:
        Length of the story, mean requests a day, and kits of tablet + charger + Mi-Fi.
    exclusion_by_ward:
        Optional exclusion-risk scores (0–10) used to order the waiting list.
    champion_ids:
        Ids of existing champions who refer some residents; none means all self-referred.
    """
    if not ward_codes:
        raise ValueError("ward_codes must name at least one ward")
    if now.tzinfo is None:
        raise ValueError("now must be a timezone-aware datetime")
    rng = random.Random(seed)
    today = to_london(now).date()
    start = today - timedelta(days=days)
    diary = _Diary()
    plans: dict[int, _Plan] = {}
    ward_weights = [rng.uniform(0.5, 2.0) for _ in ward_codes]
    tag_numbers = iter(range(1, 100_000))

    def new_tag() -> str:
        return f"DL-{next(tag_numbers):04d}"

    # Inventory, received in the fortnight before the story starts.
    received = start - timedelta(days=14)
    all_devices: list[Device] = []
    for kind, count in _LOOSE_KINDS:
        for _ in range(count):
            all_devices.append(_register(session, rng, kind, new_tag(), received, now, start, days))
    kits: list[Kit] = []
    for number in range(1, kit_count + 1):
        members = [
            _register(session, rng, kind, new_tag(), received, now, start, days)
            for kind in ("tablet", "charger", "mifi")
        ]
        all_devices.extend(members)
        kits.append(
            create_kit(
                session,
                code=f"KIT-{number:03d}",
                name="Tablet, charger and Mi-Fi",
                device_ids=[device.id for device in members],
                by=COORDINATOR,
                now=_moment(received, now),
            )
        )
    for device in all_devices:
        _prepare(session, rng, device, received + timedelta(days=rng.randint(1, 12)), now)

    resident_numbers = iter(range(1, 100_000))
    for offset in range(days + 1):
        day = start + timedelta(days=offset)
        moment = _moment(day, now)
        for device_id in diary.wipes.pop(day, []):
            _prepare(session, rng, session.get_one(Device, device_id), day, now)
        for device_id in diary.repairs_done.pop(day, []):
            _prepare(session, rng, session.get_one(Device, device_id), day, now)
        for loan_id in diary.renewals.pop(day, []):
            plan = plans[loan_id]
            try:
                loan = renew_loan(
                    session, loan_id, policy=policy, by=COORDINATOR, today=day, now=moment
                )
            except DomainError:
                continue  # returned already, or no renewals left: it comes back on the plan's day
            plan.renewals -= 1
            if plan.renewals:
                diary.renewals[loan.due_on - timedelta(days=2)].append(loan_id)
        for loan_id in diary.returns.pop(day, []):
            _end_loan(session, rng, diary, plans[loan_id], loan_id, day, now)
        for _ in range(_poisson(rng, requests_per_day)):
            number = next(resident_numbers)
            _new_request(
                session, rng, policy, ward_codes, ward_weights, champion_ids, number, moment
            )
        if day.weekday() == 0:
            _work_waiting_list(session, rng, policy, diary, plans, day, now, exclusion_by_ward)
            _maybe_break_something(session, rng, diary, day, now)
        mark_overdue(session, policy=policy, today=day, now=moment)
    session.flush()
    return _summary(session)


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method: fine for the small means used here.
    limit, count, product = pow(2.718281828459045, -mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _register(
    session: Session,
    rng: random.Random,
    kind: str,
    tag: str,
    received: date,
    now: datetime,
    start: date,
    days: int,
) -> Device:
    make, model = rng.choice(_MODELS[kind])
    source = rng.choices(("purchased", "donated", "recycled"), weights=(40, 45, 15))[0]
    if kind in ("sim", "mifi"):
        source = "purchased"
    data: dict[str, object] = {}
    if kind == "sim":
        # A year's Databank allowance outlasts the story so SIMs can be lent to the end.
        data = {
            "data_allowance_gb": 40.0,
            "data_expires_on": start + timedelta(days=days + 200),
            "network": make,
        }
    elif kind == "mifi":
        data = {"data_unlimited": True, "data_expires_on": start + timedelta(days=days + 400)}
    new = NewDevice(
        asset_tag=tag,
        kind=kind,
        make=make,
        model=model,
        condition="new" if source == "purchased" else rng.choice(("good", "good", "fair")),
        location=rng.choice(_LOCATIONS),
        source=source,
        received_on=received,
        serial_number=f"SN{rng.randrange(10**9):09d}",
        donor=rng.choice(_DONORS) if source != "purchased" else None,
        **data,  # type: ignore[arg-type]
    )
    return register_device(
        session, new, by=COORDINATOR, now=_moment(received, now), today=to_london(now).date()
    )


def _prepare(
    session: Session, rng: random.Random, device: Device, day: date, now: datetime
) -> None:
    """Wipe a device if it needs it, set it up and put it on the shelf."""
    moment = _moment(day, now)
    if device.needs_wipe:
        method = {"sim": "sim_reissued", "charger": "no_storage"}.get(device.kind, "mdm_reset")
        record_wipe(
            session,
            device.id,
            certificate_ref=f"WIPE-{day:%Y%m%d}-{device.asset_tag}",
            method=method,
            by=COORDINATOR,
            at=moment,
            now=moment,
        )
    if device.kind in ("tablet", "laptop", "smartphone") and device.status != DeviceStatus.SET_UP:
        change_device_status(
            session, device.id, to_status=DeviceStatus.SET_UP, by=COORDINATOR, now=moment
        )
    if device.kit_id is None and rng.random() < 0.01:
        change_device_status(
            session,
            device.id,
            to_status=DeviceStatus.RETIRED,
            by=COORDINATOR,
            now=moment,
            note="Failed quality check",
        )
        return
    change_device_status(
        session, device.id, to_status=DeviceStatus.READY, by=COORDINATOR, now=moment
    )


def _new_request(
    session: Session,
    rng: random.Random,
    policy: LoanPolicy,
    ward_codes: Sequence[str],
    ward_weights: Sequence[float],
    champion_ids: Sequence[int],
    number: int,
    moment: datetime,
) -> None:
    borrower_type = _weighted(rng, _BORROWERS)
    need = _weighted(rng, _NEEDS)
    eligible_shape = rng.random() < 0.85
    age = rng.randint(18, 88) if rng.random() > 0.03 else rng.randint(16, 17)
    if borrower_type == "care_leaver":
        age = rng.randint(18, 25)
    has_device = need == "data" or (not eligible_shape and rng.random() < 0.5)
    has_connection = need == "device" and rng.random() < 0.6
    if need == "both" and not eligible_shape:
        has_device = has_connection = True
    low_income = eligible_shape or rng.random() < 0.3
    benefit = None
    if low_income and rng.random() < 0.6:
        benefit = rng.choice(list(policy.benefits)) if policy.benefits else None
    name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
    contact = (
        f"resident{number}@example.org" if rng.random() < 0.6 else f"07700 900{number % 1000:03d}"
    )
    referrer = rng.choice(champion_ids) if champion_ids and rng.random() < 0.6 else None
    form = NewLoanRequest(
        idempotency_key=f"demo-{number:06d}-{rng.randrange(16**8):08x}",
        resident_name=name,
        contact=contact,
        age_years=age,
        borrower_type=borrower_type
        if borrower_type in policy.borrower_types
        else next(iter(policy.borrower_types)),
        need=need,
        has_suitable_device=has_device,
        has_home_connection=has_connection,
        low_income=low_income,
        benefit=benefit,
        ward_code=rng.choices(list(ward_codes), weights=list(ward_weights))[0],
        reason="Needs to apply for jobs and see the GP online" if rng.random() < 0.3 else None,
        referred_by_champion_id=referrer,
    )
    try:
        submit_request(session, form, policy=policy, now=moment)
    except DomainError:
        # The referrer is at their limit: the resident applies for themselves instead.
        submit_request(
            session, replace(form, referred_by_champion_id=None), policy=policy, now=moment
        )


def _items_for(session: Session, rng: random.Random, request: LoanRequest) -> list[tuple[str, int]]:
    """Choose what to lend: ``[("device", id) | ("kit", id), ...]``, or nothing if out of stock."""
    if request.need in ("device", "both"):
        if request.need == "both":
            kits = list_available_kits(session)
            if kits:
                return [("kit", kits[0].id)]
        kinds = list(_PREFERRED.get(request.borrower_type, ("tablet", "laptop", "smartphone")))
        if rng.random() < 0.3:
            rng.shuffle(kinds)  # coordinators match the device to the person, not only the type
        for kind in kinds:
            devices = list_available_devices(session, kind=kind)
            if devices:
                chosen = [("device", devices[0].id)]
                break
        else:
            return []
        if request.need == "device":
            return chosen
        sims = list_available_devices(session, kind="sim")
        return [*chosen, ("device", sims[0].id)] if sims else []
    for kind in ("sim", "mifi"):
        devices = list_available_devices(session, kind=kind)
        if devices:
            return [("device", devices[0].id)]
    return []


def _work_waiting_list(
    session: Session,
    rng: random.Random,
    policy: LoanPolicy,
    diary: _Diary,
    plans: dict[int, _Plan],
    day: date,
    now: datetime,
    exclusion_by_ward: Mapping[str, float] | None,
) -> None:
    moment = _moment(day, now, hour=11)
    for entry in list_waiting_list(
        session, policy=policy, today=day, exclusion_by_ward=exclusion_by_ward
    ):
        request = entry.request
        roll = rng.random()
        if roll < 0.03:
            withdraw_request(
                session, request.id, by=COORDINATOR, now=moment, note="Found a device elsewhere"
            )
            continue
        if roll < 0.05:
            decline_request(
                session, request.id, by=COORDINATOR, now=moment, note="Lives outside the borough"
            )
            continue
        items = _items_for(session, rng, request)
        if not items:
            if request.status == RequestStatus.ELIGIBLE:
                place_on_waiting_list(session, request.id, by=COORDINATOR, now=moment)
            continue
        if rng.random() < 0.5:
            approve_request(session, request.id, by=COORDINATOR, now=moment)
        agreement = LoanAgreement(
            version="2026-04", accepted_at=moment, condition_notes="Checked at handover"
        )
        for item_type, item_id in items:
            try:
                loan = issue_loan(
                    session,
                    request_id=request.id,
                    agreement=agreement,
                    issued_by=COORDINATOR,
                    policy=policy,
                    today=day,
                    now=moment,
                    device_id=item_id if item_type == "device" else None,
                    kit_id=item_id if item_type == "kit" else None,
                )
            except DomainError:
                break  # for example the resident reached the item limit
            plans[loan.id] = plan = _plan(rng, loan)
            if plan.renewals:
                diary.renewals[loan.due_on - timedelta(days=2)].append(loan.id)
            diary.returns[plan.return_day].append(loan.id)


def _plan(rng: random.Random, loan: Loan) -> _Plan:
    length = (loan.due_on - loan.issued_on).days
    roll = rng.random()
    if roll < 0.02:
        return _Plan(loan.due_on + timedelta(days=rng.randint(10, 40)), 0, lost=True)
    if roll < 0.12:
        return _Plan(loan.due_on + timedelta(days=rng.randint(1, 25)), 0, lost=False)
    if roll < 0.32 and loan.renewals_allowed:
        renewals = rng.randint(1, loan.renewals_allowed)
        return _Plan(
            loan.due_on + timedelta(days=length * renewals - rng.randint(0, 5)),
            renewals,
            lost=False,
        )
    return _Plan(
        loan.issued_on + timedelta(days=rng.randint(max(1, length // 2), length)), 0, lost=False
    )


def _end_loan(
    session: Session,
    rng: random.Random,
    diary: _Diary,
    plan: _Plan,
    loan_id: int,
    day: date,
    now: datetime,
) -> None:
    loan = session.get_one(Loan, loan_id)
    if loan.status not in (LoanStatus.ACTIVE, LoanStatus.OVERDUE):
        return
    moment = _moment(day, now, hour=15)
    if plan.lost:
        record_lost(session, loan.id, reported_on=day, by=COORDINATOR, today=day, now=moment)
        return
    damaged = rng.random() < 0.05
    return_loan(
        session,
        loan.id,
        condition="poor" if damaged else rng.choice(("good", "good", "fair")),
        damaged=damaged,
        returned_on=day,
        by=COORDINATOR,
        today=day,
        now=moment,
    )
    wipe_day = day + timedelta(days=rng.randint(1, 5))
    for item in loan.items:
        if item.outcome == "returned":
            diary.wipes[wipe_day].append(item.device_id)


def _maybe_break_something(
    session: Session, rng: random.Random, diary: _Diary, day: date, now: datetime
) -> None:
    """Now and then a device on the shelf fails a check and goes for repair."""
    if rng.random() >= 0.3:
        return
    shelf = list_available_devices(session)
    if not shelf:
        return
    device = rng.choice(shelf)
    change_device_status(
        session,
        device.id,
        to_status=DeviceStatus.IN_REPAIR,
        by=COORDINATOR,
        now=_moment(day, now, hour=12),
        note="Battery will not hold charge",
    )
    diary.repairs_done[day + timedelta(days=rng.randint(7, 21))].append(device.id)


def _summary(session: Session) -> DemoSummary:
    def count(model: type[object], *conditions: object) -> int:
        query = select(func.count()).select_from(model)
        if conditions:
            query = query.where(*conditions)  # type: ignore[arg-type]
        return int(session.scalar(query) or 0)

    return DemoSummary(
        devices=count(Device),
        kits=count(Kit),
        requests=count(LoanRequest),
        loans=count(Loan),
        open_loans=count(Loan, Loan.status.in_((LoanStatus.ACTIVE, LoanStatus.OVERDUE))),
        overdue_loans=count(Loan, Loan.status == LoanStatus.OVERDUE),
        lost_loans=count(Loan, Loan.status == LoanStatus.LOST),
        renewed_loans=count(Loan, Loan.renewals_used > 0),
    )


__all__ = ["DemoSummary", "load_demo_loans"]
