"""Services of device and data loans: inventory, kits, requests, loans, reminders and retention.

Every service takes a ``Session`` and ``now``/``today`` (``today`` is the council's calendar day,
``core.clock.today_london()``), applies the pure rules of ``device_loans.rules``, adds and
flushes, and returns the changed object, or raises a ``core.errors.DomainError`` (``NotFound``,
``Conflict``) whose message can be shown as it is and whose ``field`` names the form field.
Services never commit: the web request or the CLI command owns the transaction.

Concurrency.  Every status change is a conditional update (``UPDATE devices SET status = :to
WHERE id = :id AND status = :expected``), so of two coordinators lending the same device at the
same moment exactly one succeeds and the other gets a ``Conflict``.  Limits that count rows (open
requests per referrer, items per resident) take a PostgreSQL transaction-level advisory lock
first; SQLite already runs each write transaction alone (``BEGIN IMMEDIATE`` in ``core.db``).
A partial unique index (one open loan row per device) backs all of this up in the schema.

All or nothing.  Services that write more than one row do so inside a savepoint, so a refusal
half-way (a kit's charger gone missing, a device taken a moment ago) leaves nothing changed, even
if the caller goes on to commit.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Integer, column, func, select, table, text, update
from sqlalchemy.engine import CursorResult, Result
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from core.audit import record_event
from core.clock import govuk_date, to_london
from core.errors import Conflict, DomainError, NotFound
from core.outbox import OutboxMessage, cancel_pending, queue_message, redact_recipient
from core.postcodes import normalise_postcode, postcode_district
from core.references import format_reference, normalise_reference
from device_loans.config import DATA_KINDS, DEVICE_KINDS, NEEDS, LoanPolicy
from device_loans.models import (
    Device,
    DeviceEvent,
    Kit,
    Loan,
    LoanItem,
    LoanReminder,
    LoanRequest,
)
from device_loans.rules import (
    CONDITIONS,
    LENDABLE_REQUEST_STATUSES,
    OPEN_LOAN_STATUSES,
    OPEN_REQUEST_STATUSES,
    SOURCES,
    WAITING_LIST_STATUSES,
    WIPE_METHODS,
    DeviceFacts,
    DeviceStatus,
    KitStatus,
    LoanStatus,
    RequestAnswers,
    RequestStatus,
    TransitionRefused,
    age_band,
    apply_device_transition,
    assess_eligibility,
    device_transition_refusal,
    due_date,
    due_date_refusal,
    is_ward_code,
    kit_candidate_refusal,
    kit_change_refusal,
    kit_lend_refusal,
    loan_rule_for_kinds,
    loan_transition_refusal,
    needs_wipe_on_arrival,
    normalise_contact,
    reminder_due,
    renewal_refusal,
    renewed_due_date,
    request_transition_refusal,
    score_need,
    wipe_date_refusal,
)

REMOVED = "[removed]"
"""What a resident's name becomes once the retention period is over."""

TEMPLATE_REQUEST_RECEIVED = "loan_request_received"
TEMPLATE_LOAN_ISSUED = "loan_issued"
TEMPLATE_LOAN_RENEWED = "loan_renewed"
TEMPLATE_DUE_SOON = "loan_due_soon"
TEMPLATE_OVERDUE = "loan_overdue"

# Only the champions table's name and key are shared with the champions package.
_CHAMPIONS = table("champions", column("id", Integer))

_TAG = re.compile(r"^[A-Z0-9][A-Z0-9\-_/.]{0,39}$")
_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_\-]{8,64}$")


# Inputs and results -----------------------------------------------------------------------


@dataclass(frozen=True)
class NewDevice:
    """The details of a device being added to the inventory."""

    asset_tag: str
    kind: str
    make: str
    model: str
    condition: str
    location: str
    source: str
    received_on: date
    serial_number: str | None = None
    donor: str | None = None
    data_allowance_gb: float | None = None
    data_unlimited: bool = False
    data_expires_on: date | None = None
    network: str | None = None


@dataclass(frozen=True)
class NewLoanRequest:
    """A resident's answers on the request form (online, on paper, or through a champion).

    ``idempotency_key`` is the random token carried by the form, so sending it twice makes one
    request.  ``ward_code`` is looked up from the postcode by the caller.
    """

    idempotency_key: str
    resident_name: str
    contact: str
    age_years: int
    borrower_type: str
    need: str
    has_suitable_device: bool
    has_home_connection: bool
    low_income: bool
    benefit: str | None = None
    postcode: str | None = None
    ward_code: str | None = None
    reason: str | None = None
    referred_by_champion_id: int | None = None


@dataclass(frozen=True)
class LoanAgreement:
    """The loan agreement the borrower accepted at handover."""

    version: str
    accepted_at: datetime
    condition_notes: str | None = None


@dataclass(frozen=True)
class WaitingListEntry:
    """One request on the waiting list, with its need points and the reasons for them."""

    request: LoanRequest
    points: float
    reasons: tuple[str, ...]
    days_waiting: int


@dataclass(frozen=True)
class OverdueReport:
    """What one run of ``mark_overdue`` did."""

    marked_overdue: int
    reminders_queued: int
    loans_reminded: int


@dataclass(frozen=True)
class PurgeReport:
    """How many records ``purge_personal_data`` cleared."""

    requests: int
    loans: int
    device_event_notes: int
    messages: int


# Small helpers ----------------------------------------------------------------------------


def _serialise_on(session: Session, *parts: str) -> None:
    """Hold a transaction-level lock on ``parts`` so counts and inserts cannot interleave."""
    if session.get_bind().dialect.name != "postgresql":
        # SQLite: every write transaction already holds the database lock (BEGIN IMMEDIATE).
        return
    digest = hashlib.blake2b("|".join(("device_loans", *parts)).encode(), digest_size=4).digest()
    key = int.from_bytes(digest, "big", signed=True)
    # Advisory locks are database-wide: the schema's name is the lock's first key, so services
    # in different schemas of one database (parallel test workers, two councils) never wait for
    # each other, or deadlock over locks taken in different orders.
    session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext(current_schema()), :key)"), {"key": key}
    )


def _text(
    value: str | None, *, field: str, label: str, max_length: int, required: bool = True
) -> str | None:
    cleaned = (value or "").strip()
    if not cleaned:
        if required:
            raise DomainError(f"Enter {label}.", field=field)
        return None
    if len(cleaned) > max_length:
        raise DomainError(
            f"{label[0].upper()}{label[1:]} must be {max_length} characters or fewer.", field=field
        )
    return cleaned


def _required(value: str | None, *, field: str, label: str, max_length: int) -> str:
    cleaned = _text(value, field=field, label=label, max_length=max_length)
    assert cleaned is not None  # _text raises for an empty required value
    return cleaned


def _normalise_tag(asset_tag: str) -> str:
    return re.sub(r"\s+", "", asset_tag or "").upper()


def _london_day(moment: datetime) -> date:
    return to_london(moment).date()


def _aware(moment: datetime, *, field: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{field} must be a timezone-aware datetime")


def _facts(device: Device) -> DeviceFacts:
    return DeviceFacts(
        asset_tag=device.asset_tag,
        status=device.status,
        needs_wipe=device.needs_wipe,
        kit_code=device.kit.code if device.kit is not None else None,
    )


def _rowcount(result: Result[Any]) -> int:
    # UPDATE statements return a CursorResult, whose rowcount says how many rows matched.
    return int(cast(CursorResult[Any], result).rowcount)


def _stale(what: str) -> Conflict:
    return Conflict(
        f"{what} was changed by someone else a moment ago. Reload the page and try again."
    )


def _move_device(
    session: Session,
    device: Device,
    to_status: str,
    *,
    by: int | None,
    at: datetime,
    field: str = "status",
    note: str | None = None,
    through_kit: bool = False,
    values: Mapping[str, Any] | None = None,
    wipe_certificate_ref: str | None = None,
    wipe_method: str | None = None,
) -> DeviceEvent:
    """Apply one lifecycle transition as a conditional update and add its event row."""
    facts = _facts(device)
    refusal = device_transition_refusal(facts, to_status, through_kit=through_kit)
    if refusal is not None:
        raise TransitionRefused(refusal, field=field)
    after = apply_device_transition(facts, to_status, through_kit=through_kit)
    conditions = [
        Device.id == device.id,
        Device.status == facts.status,
        Device.needs_wipe == facts.needs_wipe,
    ]
    # The kit membership read above must still hold when the row is written.
    if device.kit_id is None:
        conditions.append(Device.kit_id.is_(None))
    else:
        conditions.append(Device.kit_id == device.kit_id)
    new_values: dict[str, Any] = {"status": after.status, "needs_wipe": after.needs_wipe}
    new_values.update(values or {})
    result = session.execute(
        update(Device)
        .where(*conditions)
        .values(**new_values)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(result) != 1:
        session.expire(device)
        raise _stale(device.asset_tag)
    for key, value in new_values.items():
        set_committed_value(device, key, value)
    event = DeviceEvent(
        device_id=device.id,
        from_status=facts.status,
        to_status=after.status,
        at=at,
        actor_id=by,
        note=note,
        wipe_certificate_ref=wipe_certificate_ref,
        wipe_method=wipe_method,
        kit_id=device.kit_id,
    )
    session.add(event)
    return event


def _lock_kit(
    session: Session,
    kit: Kit,
    *,
    expected: str,
    to_status: str | None = None,
    lending: bool = False,
) -> None:
    """Take the kit's row with a conditional update, so kit changes and lending never interleave."""
    values: dict[str, Any] = {"lock_version": Kit.lock_version + 1}
    if to_status is not None:
        values["status"] = to_status
    result = session.execute(
        update(Kit)
        .where(Kit.id == kit.id, Kit.status == expected)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(result) != 1:
        session.refresh(kit)
        if lending:
            refusal = kit_lend_refusal(kit.code, kit.status, [_facts(d) for d in kit.devices])
        else:
            refusal = kit_change_refusal(kit.code, kit.status)
        raise Conflict(
            refusal or f"Kit {kit.code} was changed by someone else a moment ago. Try again.",
            field="kit_code",
        )
    if to_status is not None:
        set_committed_value(kit, "status", to_status)
    session.expire(kit, ["lock_version"])


def _kit_members(session: Session, kit: Kit) -> list[Device]:
    # populate_existing: after taking the kit's lock, read the members as they are now.
    return list(
        session.scalars(
            select(Device)
            .where(Device.kit_id == kit.id)
            .order_by(Device.asset_tag)
            .execution_options(populate_existing=True)
        )
    )


def _item_label(loan: Loan) -> str:
    if loan.kit is not None:
        return f"Kit {loan.kit.code} ({loan.kit.name})"
    assert loan.device is not None  # a loan is of a device or of a kit
    return loan.device.label


def _channel(request: LoanRequest) -> str | None:
    if request.contact is None or request.contact_method == "phone":
        return None
    return "email" if request.contact_method == "email" else "sms"


def _queue(
    session: Session,
    request: LoanRequest,
    *,
    template: str,
    personalisation: Mapping[str, str],
    now: datetime,
) -> OutboxMessage | None:
    channel = _channel(request)
    if channel is None:
        return None
    return queue_message(
        session,
        channel=channel,
        recipient=request.contact,
        template=template,
        personalisation={
            "name": request.resident_name or "",
            "reference": format_reference(request.reference),
            **personalisation,
        },
        now=now,
        reference=request.public_id,
    )


# Inventory --------------------------------------------------------------------------------


def get_device(session: Session, device_id: int) -> Device:
    """Return the device with ``device_id``, or raise ``NotFound``."""
    device = session.get(Device, device_id)
    if device is None:
        raise NotFound("That device is not in the inventory.", field="asset_tag")
    return device


def find_device_by_tag(session: Session, asset_tag: str) -> Device | None:
    """Return the device labelled ``asset_tag`` (any spacing or case), or ``None``."""
    return session.scalar(select(Device).where(Device.asset_tag == _normalise_tag(asset_tag)))


def get_device_by_tag(session: Session, asset_tag: str, *, field: str = "asset_tag") -> Device:
    """Return the device labelled ``asset_tag``, or raise ``NotFound`` naming the tag."""
    device = find_device_by_tag(session, asset_tag)
    if device is None:
        shown = _normalise_tag(asset_tag) or "(blank)"
        raise NotFound(
            f"No device has the asset tag {shown}. Check the label on the device.", field=field
        )
    return device


def list_devices(
    session: Session, *, status: str | None = None, kind: str | None = None
) -> list[Device]:
    """Return devices, optionally of one status and kind, in asset-tag order."""
    query = select(Device).order_by(Device.asset_tag)
    if status is not None:
        query = query.where(Device.status == status)
    if kind is not None:
        query = query.where(Device.kind == kind)
    return list(session.scalars(query))


def list_available_devices(session: Session, *, kind: str | None = None) -> list[Device]:
    """Return devices that can be lent on their own now: ready, wiped, and not in a kit."""
    query = (
        select(Device)
        .where(
            Device.status == DeviceStatus.READY,
            Device.needs_wipe.is_(False),
            Device.kit_id.is_(None),
        )
        .order_by(Device.asset_tag)
    )
    if kind is not None:
        query = query.where(Device.kind == kind)
    return list(session.scalars(query))


def register_device(
    session: Session, new: NewDevice, *, by: int | None, now: datetime, today: date
) -> Device:
    """Add a device to the inventory as received; donated and recycled ones will need a wipe."""
    _aware(now, field="now")
    tag = _normalise_tag(new.asset_tag)
    if not tag:
        raise DomainError("Enter the asset tag on the device's label.", field="asset_tag")
    if not _TAG.match(tag):
        raise DomainError(
            "An asset tag can only have letters, numbers, hyphens, slashes, dots and underscores, "
            "and be 40 characters or fewer.",
            field="asset_tag",
        )
    if new.kind not in DEVICE_KINDS:
        raise DomainError("Choose what kind of device it is.", field="kind")
    if new.condition not in CONDITIONS:
        raise DomainError("Choose the device's condition.", field="condition")
    if new.source not in SOURCES:
        raise DomainError(
            "Choose whether the device was bought, donated or recycled.", field="source"
        )
    make = _required(new.make, field="make", label="the make", max_length=80)
    model = _required(new.model, field="model", label="the model", max_length=120)
    location = _required(
        new.location, field="location", label="where the device is kept", max_length=120
    )
    serial = _text(
        new.serial_number,
        field="serial_number",
        label="the serial number",
        max_length=120,
        required=False,
    )
    donor = _text(new.donor, field="donor", label="the donor", max_length=200, required=False)
    network = _text(
        new.network, field="network", label="the network", max_length=40, required=False
    )
    if donor is not None and new.source == "purchased":
        raise DomainError("Only donated or recycled devices have a donor.", field="donor")
    if new.received_on > today:
        raise DomainError("The date received cannot be in the future.", field="received_on")
    carries_data = new.kind in DATA_KINDS
    if not carries_data and (
        new.data_allowance_gb is not None or new.data_unlimited or new.data_expires_on is not None
    ):
        raise DomainError(
            "Only SIMs and Mi-Fi units have a data allowance.", field="data_allowance_gb"
        )
    if new.data_allowance_gb is not None:
        allowance = new.data_allowance_gb
        if (
            isinstance(allowance, bool)
            or not isinstance(allowance, int | float)
            or not 0 <= allowance <= 10_000
        ):
            raise DomainError(
                "Enter the data allowance in GB, as a number from 0 to 10,000.",
                field="data_allowance_gb",
            )
        if new.data_unlimited:
            raise DomainError(
                "Enter a data allowance or choose unlimited, not both.", field="data_allowance_gb"
            )
    if new.data_expires_on is not None and new.data_expires_on < new.received_on:
        raise DomainError(
            "The date the data runs out must be on or after the date the SIM was received.",
            field="data_expires_on",
        )
    existing = find_device_by_tag(session, tag)
    if existing is not None:
        raise DomainError(
            f"The asset tag {tag} is already used by {existing.label}. Check the label.",
            field="asset_tag",
        )
    device = Device(
        asset_tag=tag,
        kind=new.kind,
        make=make,
        model=model,
        serial_number=serial,
        condition=new.condition,
        location=location,
        status=DeviceStatus.RECEIVED.value,
        needs_wipe=needs_wipe_on_arrival(new.source),
        source=new.source,
        donor=donor,
        received_on=new.received_on,
        data_allowance_gb=None if new.data_allowance_gb is None else float(new.data_allowance_gb),
        data_unlimited=bool(new.data_unlimited),
        data_expires_on=new.data_expires_on,
        network=network,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(device)
            session.flush()
            session.add(
                DeviceEvent(
                    device_id=device.id,
                    from_status=None,
                    to_status=DeviceStatus.RECEIVED.value,
                    at=now,
                    actor_id=by,
                )
            )
            session.flush()
    except IntegrityError as error:
        # Another coordinator registered the same tag a moment ago.
        raise Conflict(
            f"The asset tag {tag} has just been used. Check the label.", field="asset_tag"
        ) from error
    return device


def record_wipe(
    session: Session,
    device_id: int,
    *,
    certificate_ref: str,
    method: str,
    by: int | None,
    at: datetime,
    now: datetime,
    note: str | None = None,
) -> DeviceEvent:
    """Record a data wipe (with its certificate reference) done at ``at``; the device becomes wiped."""
    _aware(at, field="at")
    _aware(now, field="now")
    device = get_device(session, device_id)
    reference = _required(
        certificate_ref,
        field="certificate_ref",
        label="the wipe certificate reference",
        max_length=120,
    )
    if method not in WIPE_METHODS:
        raise DomainError("Choose how the device was wiped.", field="method")
    if at > now:
        raise DomainError("The wipe date cannot be in the future.", field="wiped_at")
    refusal = wipe_date_refusal(
        _london_day(at),
        today=_london_day(now),
        received_on=device.received_on,
        last_returned_on=device.last_returned_on,
    )
    if refusal is not None:
        raise DomainError(refusal, field="wiped_at")
    cleaned_note = _text(note, field="note", label="the note", max_length=2000, required=False)
    with session.begin_nested():
        event = _move_device(
            session,
            device,
            DeviceStatus.WIPED,
            by=by,
            at=at,
            field="asset_tag",
            note=cleaned_note,
            values={"last_wiped_at": at, "last_wipe_certificate_ref": reference},
            wipe_certificate_ref=reference,
            wipe_method=method,
        )
        session.flush()
    return event


_DEDICATED_SERVICE = {
    DeviceStatus.ON_LOAN: "Lend a device through a loan request.",
    DeviceStatus.WIPED: "Record a wipe with its certificate reference.",
    DeviceStatus.RECEIVED: "A device is received only once, when it is added.",
}


def change_device_status(
    session: Session,
    device_id: int,
    *,
    to_status: str,
    by: int | None,
    now: datetime,
    note: str | None = None,
) -> DeviceEvent:
    """Move a device that is not on loan along its lifecycle: set up, ready, repair, retire, lost, found.

    Lending, wiping and returning have their own services.  ``to_status="returned"`` books in a
    lost device that has turned up; it then needs a wipe like any other return.
    """
    _aware(now, field="now")
    if to_status not in DeviceStatus.__members__.values():
        raise DomainError("Choose what has happened to the device.", field="status")
    if to_status in _DEDICATED_SERVICE:
        raise DomainError(_DEDICATED_SERVICE[DeviceStatus(to_status)], field="status")
    device = get_device(session, device_id)
    if device.status == DeviceStatus.ON_LOAN:
        raise TransitionRefused(
            f"{device.asset_tag} is on loan. Record the loan's return, or record the loan as lost.",
            field="status",
        )
    cleaned_note = _text(note, field="note", label="the note", max_length=2000, required=False)
    values: dict[str, Any] = {}
    if to_status == DeviceStatus.RETURNED:
        values["last_returned_on"] = _london_day(now)
    with session.begin_nested():
        event = _move_device(
            session, device, to_status, by=by, at=now, note=cleaned_note, values=values
        )
        session.flush()
    return event


def update_device_condition(
    session: Session, device_id: int, *, condition: str, location: str | None = None
) -> Device:
    """Record a device's condition (and where it is kept) after a check."""
    if condition not in CONDITIONS:
        raise DomainError("Choose the device's condition.", field="condition")
    device = get_device(session, device_id)
    device.condition = condition
    if location is not None:
        device.location = _required(
            location, field="location", label="where the device is kept", max_length=120
        )
    session.flush()
    return device


# Kits -------------------------------------------------------------------------------------


def get_kit(session: Session, kit_id: int) -> Kit:
    """Return the kit with ``kit_id``, or raise ``NotFound``."""
    kit = session.get(Kit, kit_id)
    if kit is None:
        raise NotFound("That kit does not exist.", field="kit_code")
    return kit


def get_kit_by_code(session: Session, code: str) -> Kit:
    """Return the kit labelled ``code``, or raise ``NotFound`` naming the code."""
    normal = _normalise_tag(code)
    kit = session.scalar(select(Kit).where(Kit.code == normal))
    if kit is None:
        raise NotFound(
            f"No kit has the code {normal or '(blank)'}. Check the label on the kit.",
            field="kit_code",
        )
    return kit


def list_available_kits(session: Session) -> list[Kit]:
    """Return kits that can be lent now: available, and every device in them ready and wiped."""
    kits = session.scalars(select(Kit).where(Kit.status == KitStatus.AVAILABLE).order_by(Kit.code))
    return [
        kit
        for kit in kits
        if kit_lend_refusal(kit.code, kit.status, [_facts(device) for device in kit.devices])
        is None
    ]


def _join_kit(session: Session, kit: Kit, device: Device, *, by: int | None, now: datetime) -> None:
    result = session.execute(
        update(Device)
        .where(
            Device.id == device.id,
            Device.kit_id.is_(None),
            Device.status.notin_([DeviceStatus.ON_LOAN, DeviceStatus.RETIRED, DeviceStatus.LOST]),
        )
        .values(kit_id=kit.id)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(result) != 1:
        session.expire(device)
        raise _stale(device.asset_tag)
    set_committed_value(device, "kit_id", kit.id)
    session.expire(device, ["kit"])
    session.add(
        DeviceEvent(
            device_id=device.id,
            from_status=device.status,
            to_status=device.status,
            at=now,
            actor_id=by,
            note=f"Added to kit {kit.code}",
            kit_id=kit.id,
        )
    )


def _leave_kit(
    session: Session, kit: Kit, device: Device, *, by: int | None, now: datetime, note: str
) -> None:
    result = session.execute(
        update(Device)
        .where(Device.id == device.id, Device.kit_id == kit.id)
        .values(kit_id=None)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(result) != 1:
        session.expire(device)
        raise _stale(device.asset_tag)
    set_committed_value(device, "kit_id", None)
    session.expire(device, ["kit"])
    session.add(
        DeviceEvent(
            device_id=device.id,
            from_status=device.status,
            to_status=device.status,
            at=now,
            actor_id=by,
            note=note,
            kit_id=kit.id,
        )
    )


def create_kit(
    session: Session,
    *,
    code: str,
    name: str,
    device_ids: Sequence[int],
    by: int | None,
    now: datetime,
) -> Kit:
    """Make a kit of two or more devices that are lent and returned together."""
    _aware(now, field="now")
    normal = _normalise_tag(code)
    if not normal or not _TAG.match(normal):
        raise DomainError(
            "Enter a kit code of letters, numbers and hyphens, 40 characters or fewer.",
            field="kit_code",
        )
    kit_name = _required(name, field="name", label="a name for the kit", max_length=120)
    unique_ids = list(dict.fromkeys(device_ids))
    if len(unique_ids) < 2:
        raise DomainError("Choose at least two devices for the kit.", field="device_ids")
    if session.scalar(select(Kit.id).where(Kit.code == normal)) is not None:
        raise DomainError(
            f"The kit code {normal} is already used. Choose another.", field="kit_code"
        )
    devices = [get_device(session, device_id) for device_id in unique_ids]
    for device in devices:
        refusal = kit_candidate_refusal(_facts(device), normal)
        if refusal is not None:
            raise Conflict(refusal, field="device_ids")
    kit = Kit(
        code=normal, name=kit_name, status=KitStatus.AVAILABLE.value, lock_version=0, created_at=now
    )
    try:
        with session.begin_nested():
            session.add(kit)
            session.flush()
            for device in devices:
                _join_kit(session, kit, device, by=by, now=now)
            record_event(
                session,
                at=now,
                actor_id=by,
                action="kit.created",
                object_type="kit",
                object_id=kit.id,
                details={"device_ids": unique_ids},
            )
            session.flush()
    except IntegrityError as error:
        raise Conflict(
            f"The kit code {normal} has just been used. Choose another.", field="kit_code"
        ) from error
    return kit


def add_to_kit(
    session: Session, kit_id: int, device_id: int, *, by: int | None, now: datetime
) -> Kit:
    """Put a device into a kit that is not on loan."""
    kit = get_kit(session, kit_id)
    refusal = kit_change_refusal(kit.code, kit.status)
    if refusal is not None:
        raise Conflict(refusal, field="kit_code")
    device = get_device(session, device_id)
    refusal = kit_candidate_refusal(_facts(device), kit.code)
    if refusal is not None:
        raise Conflict(refusal, field="device_ids")
    with session.begin_nested():
        _lock_kit(session, kit, expected=KitStatus.AVAILABLE)
        _join_kit(session, kit, device, by=by, now=now)
        record_event(
            session,
            at=now,
            actor_id=by,
            action="kit.device_added",
            object_type="kit",
            object_id=kit.id,
            details={"device_id": device.id},
        )
        session.flush()
    session.expire(kit, ["devices"])
    return kit


def remove_from_kit(
    session: Session, kit_id: int, device_id: int, *, by: int | None, now: datetime
) -> Kit:
    """Take a device out of a kit; refused while the kit is on loan (a lent kit is never split)."""
    kit = get_kit(session, kit_id)
    refusal = kit_change_refusal(kit.code, kit.status)
    if refusal is not None:
        raise Conflict(refusal, field="kit_code")
    device = get_device(session, device_id)
    if device.kit_id != kit.id:
        raise DomainError(f"{device.asset_tag} is not in kit {kit.code}.", field="device_ids")
    with session.begin_nested():
        _lock_kit(session, kit, expected=KitStatus.AVAILABLE)
        _leave_kit(session, kit, device, by=by, now=now, note=f"Taken out of kit {kit.code}")
        record_event(
            session,
            at=now,
            actor_id=by,
            action="kit.device_removed",
            object_type="kit",
            object_id=kit.id,
            details={"device_id": device.id},
        )
        session.flush()
    session.expire(kit, ["devices"])
    return kit


def dissolve_kit(session: Session, kit_id: int, *, by: int | None, now: datetime) -> Kit:
    """Break up a kit that is not on loan; its devices become separate items again."""
    kit = get_kit(session, kit_id)
    refusal = kit_change_refusal(kit.code, kit.status)
    if refusal is not None:
        raise Conflict(refusal, field="kit_code")
    with session.begin_nested():
        _lock_kit(session, kit, expected=KitStatus.AVAILABLE, to_status=KitStatus.DISSOLVED)
        for device in _kit_members(session, kit):
            _leave_kit(session, kit, device, by=by, now=now, note=f"Kit {kit.code} broken up")
        record_event(
            session,
            at=now,
            actor_id=by,
            action="kit.dissolved",
            object_type="kit",
            object_id=kit.id,
        )
        session.flush()
    session.expire(kit, ["devices"])
    return kit


# Requests ---------------------------------------------------------------------------------


def get_request(session: Session, request_id: int) -> LoanRequest:
    """Return the request with ``request_id``, or raise ``NotFound``."""
    request = session.get(LoanRequest, request_id)
    if request is None:
        raise NotFound("That request does not exist.", field="request")
    return request


def get_request_by_reference(session: Session, reference: str) -> LoanRequest:
    """Return the request whose reference is ``reference``, or raise ``NotFound``.

    Takes the resident's 8-character reference as a person types it (any case, spaces or
    hyphens), or the request's 32-character public id.
    """
    short = normalise_reference(reference)
    compact = "".join((reference or "").split()).lower()
    request = session.scalar(
        select(LoanRequest).where(
            LoanRequest.reference == short if short else LoanRequest.public_id == compact
        )
    )
    if request is None:
        raise NotFound("No request has that reference. Check it and try again.", field="reference")
    return request


def _answers(request: LoanRequest) -> RequestAnswers:
    return RequestAnswers(
        age_years=request.age_years,
        borrower_type=request.borrower_type,
        need=request.need,
        has_suitable_device=request.has_suitable_device,
        has_home_connection=request.has_home_connection,
        low_income=request.low_income,
        benefit=request.benefit,
        age_band=request.age_band,
    )


def _transition_request(
    session: Session,
    request: LoanRequest,
    to_status: str,
    *,
    by: int | None,
    now: datetime,
    values: Mapping[str, Any] | None = None,
    field: str = "request",
) -> None:
    refusal = request_transition_refusal(request.status, to_status)
    if refusal is not None:
        raise TransitionRefused(refusal, field=field)
    from_status = request.status
    new_values: dict[str, Any] = {"status": to_status}
    new_values.update(values or {})
    result = session.execute(
        update(LoanRequest)
        .where(LoanRequest.id == request.id, LoanRequest.status == from_status)
        .values(**new_values)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(result) != 1:
        session.expire(request)
        raise _stale("This request")
    for key, value in new_values.items():
        set_committed_value(request, key, value)
    record_event(
        session,
        at=now,
        actor_id=by,
        action=f"loan_request.{to_status}",
        object_type="loan_request",
        object_id=request.id,
        details={"from": from_status},
    )


def count_open_requests(session: Session, *, champion_id: int) -> int:
    """Return how many open requests champion ``champion_id`` has referred."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(LoanRequest)
            .where(
                LoanRequest.referred_by_champion_id == champion_id,
                LoanRequest.status.in_(OPEN_REQUEST_STATUSES),
            )
        )
        or 0
    )


@dataclass(frozen=True)
class _CleanRequest:
    key: str
    name: str
    contact: str
    contact_method: str
    postcode: str | None
    ward_code: str | None
    reason: str | None


def _clean_request(new: NewLoanRequest, policy: LoanPolicy) -> _CleanRequest:
    key = (new.idempotency_key or "").strip()
    if not _IDEMPOTENCY_KEY.match(key):
        raise DomainError(
            "The form has expired. Go back and start the request again.", field="idempotency_key"
        )
    name = _required(
        new.resident_name, field="resident_name", label="the resident's full name", max_length=200
    )
    contact = normalise_contact(new.contact)
    if contact is None:
        raise DomainError(
            "Enter an email address or a UK phone number, like name@example.com or 07700 900982.",
            field="contact",
        )
    if (
        isinstance(new.age_years, bool)
        or not isinstance(new.age_years, int)
        or not 0 <= new.age_years <= 120
    ):
        raise DomainError(
            "Enter the resident's age in years, as a number from 0 to 120.", field="age_years"
        )
    if new.borrower_type not in policy.borrower_types:
        raise DomainError("Choose who the device is for from the list.", field="borrower_type")
    if new.need not in NEEDS:
        raise DomainError("Choose whether they need a device, data, or both.", field="need")
    for flag in ("has_suitable_device", "has_home_connection", "low_income"):
        if not isinstance(getattr(new, flag), bool):
            raise DomainError("Answer yes or no.", field=flag)
    if new.benefit is not None and new.benefit not in policy.benefits:
        raise DomainError("Choose a benefit from the list, or none.", field="benefit")
    postcode = None
    if new.postcode is not None and new.postcode.strip():
        postcode = normalise_postcode(new.postcode)
        if postcode is None:
            raise DomainError("Enter a real postcode, like TW3 1ES.", field="postcode")
    ward_code = None
    if new.ward_code is not None and new.ward_code.strip():
        ward_code = new.ward_code.strip().upper()
        if not is_ward_code(ward_code):
            raise DomainError("The ward code must look like E05013617.", field="ward_code")
    reason = _text(new.reason, field="reason", label="the reason", max_length=1000, required=False)
    referrer = new.referred_by_champion_id
    if referrer is not None and (
        isinstance(referrer, bool) or not isinstance(referrer, int) or referrer < 1
    ):
        raise DomainError(
            "Choose the champion who referred the resident.", field="referred_by_champion_id"
        )
    return _CleanRequest(key, name, contact.value, contact.method, postcode, ward_code, reason)


def _same_submission(existing: LoanRequest, clean: _CleanRequest) -> LoanRequest:
    if existing.resident_name == clean.name and existing.contact == clean.contact:
        return existing
    raise Conflict(
        "This form has already been sent with different answers. Start a new request.",
        field="idempotency_key",
    )


def submit_request(
    session: Session,
    new: NewLoanRequest,
    *,
    policy: LoanPolicy,
    now: datetime,
    submitted_by: int | None = None,
) -> LoanRequest:
    """Record a request and assess it at once: it becomes eligible or ineligible, with reasons.

    Sending the same form twice (same ``idempotency_key``) returns the first request.  A
    referring champion may have at most ``policy.max_open_requests_per_referrer`` open requests.
    """
    _aware(now, field="now")
    clean = _clean_request(new, policy)
    existing = session.scalar(select(LoanRequest).where(LoanRequest.idempotency_key == clean.key))
    if existing is not None:
        return _same_submission(existing, clean)
    answers = RequestAnswers(
        age_years=new.age_years,
        borrower_type=new.borrower_type,
        need=new.need,
        has_suitable_device=new.has_suitable_device,
        has_home_connection=new.has_home_connection,
        low_income=new.low_income,
        benefit=new.benefit,
    )
    eligibility = assess_eligibility(answers, policy)
    referrer = new.referred_by_champion_id
    request = LoanRequest(
        idempotency_key=clean.key,
        resident_name=clean.name,
        contact=clean.contact,
        contact_method=clean.contact_method,
        postcode=clean.postcode,
        postcode_district=None if clean.postcode is None else postcode_district(clean.postcode),
        ward_code=clean.ward_code,
        age_years=new.age_years,
        age_band=age_band(new.age_years),
        borrower_type=new.borrower_type,
        need=new.need,
        has_suitable_device=new.has_suitable_device,
        has_home_connection=new.has_home_connection,
        low_income=new.low_income,
        benefit=new.benefit,
        reason=clean.reason,
        referred_by_champion_id=referrer,
        submitted_by=submitted_by,
        status=RequestStatus.SUBMITTED.value,
        eligibility_reasons=[],
        submitted_at=now,
    )
    try:
        with session.begin_nested():
            if referrer is not None:
                if (
                    session.scalar(select(_CHAMPIONS.c.id).where(_CHAMPIONS.c.id == referrer))
                    is None
                ):
                    raise DomainError(
                        "Choose the champion who referred the resident.",
                        field="referred_by_champion_id",
                    )
                _serialise_on(session, "referrer", str(referrer))
                open_count = count_open_requests(session, champion_id=referrer)
                limit = policy.max_open_requests_per_referrer
                if open_count >= limit:
                    raise Conflict(
                        f"This champion already has {open_count} open requests, the most allowed "
                        f"is {limit}. Wait until one is dealt with, or ask the coordinator.",
                        field="referred_by_champion_id",
                    )
            session.add(request)
            session.flush()
            record_event(
                session,
                at=now,
                actor_id=submitted_by,
                action="loan_request.submitted",
                object_type="loan_request",
                object_id=request.id,
            )
            to_status = RequestStatus.ELIGIBLE if eligibility.eligible else RequestStatus.INELIGIBLE
            values: dict[str, Any] = {
                "eligibility_reasons": list(eligibility.reasons),
                "assessed_at": now,
            }
            if not eligibility.eligible:
                values["closed_at"] = now
            _transition_request(
                session, request, to_status, by=submitted_by, now=now, values=values
            )
            _queue(
                session,
                request,
                template=TEMPLATE_REQUEST_RECEIVED,
                personalisation={
                    "eligible": "yes" if eligibility.eligible else "no",
                    "reasons": "; ".join(eligibility.reasons),
                },
                now=now,
            )
            session.flush()
    except IntegrityError:
        # The same form was sent twice at once and the other copy won; show its request.
        existing = session.scalar(
            select(LoanRequest).where(LoanRequest.idempotency_key == clean.key)
        )
        if existing is None:
            raise
        return _same_submission(existing, clean)
    return request


def _decide(
    session: Session,
    request_id: int,
    to_status: str,
    *,
    by: int | None,
    now: datetime,
    note: str | None,
    note_required: bool = False,
) -> LoanRequest:
    _aware(now, field="now")
    request = get_request(session, request_id)
    cleaned = _text(
        note,
        field="note",
        label="the reason for the decision",
        max_length=2000,
        required=note_required,
    )
    values: dict[str, Any] = {}
    if cleaned is not None:
        values["decision_note"] = cleaned
    if to_status in (RequestStatus.APPROVED, RequestStatus.DECLINED):
        values["decided_at"] = now
    if to_status in (RequestStatus.DECLINED, RequestStatus.WITHDRAWN):
        values["closed_at"] = now
    with session.begin_nested():
        _transition_request(session, request, to_status, by=by, now=now, values=values)
        session.flush()
    return request


def approve_request(
    session: Session, request_id: int, *, by: int | None, now: datetime, note: str | None = None
) -> LoanRequest:
    """Approve an eligible or waiting request; an item can then be lent against it."""
    return _decide(session, request_id, RequestStatus.APPROVED, by=by, now=now, note=note)


def place_on_waiting_list(
    session: Session, request_id: int, *, by: int | None, now: datetime, note: str | None = None
) -> LoanRequest:
    """Put an eligible (or approved but not yet served) request on the waiting list."""
    return _decide(session, request_id, RequestStatus.WAITING, by=by, now=now, note=note)


def decline_request(
    session: Session, request_id: int, *, by: int | None, now: datetime, note: str
) -> LoanRequest:
    """Decline an open request; the reason is required and kept until the retention period ends."""
    return _decide(
        session, request_id, RequestStatus.DECLINED, by=by, now=now, note=note, note_required=True
    )


def withdraw_request(
    session: Session, request_id: int, *, by: int | None, now: datetime, note: str | None = None
) -> LoanRequest:
    """Record that the resident no longer wants the loan."""
    return _decide(session, request_id, RequestStatus.WITHDRAWN, by=by, now=now, note=note)


def list_waiting_list(
    session: Session,
    *,
    policy: LoanPolicy,
    today: date,
    exclusion_by_ward: Mapping[str, float] | None = None,
) -> list[WaitingListEntry]:
    """Return eligible and waiting requests, highest need first, each with its reasons.

    ``exclusion_by_ward`` maps ward codes to the area's exclusion-risk score (0–10); a ward
    without a score adds no points.  Ties go to the request that has waited longest.
    """
    scores = exclusion_by_ward or {}
    requests = session.scalars(
        select(LoanRequest).where(LoanRequest.status.in_(WAITING_LIST_STATUSES))
    )
    entries = []
    for request in requests:
        exclusion = scores.get(request.ward_code) if request.ward_code else None
        score = score_need(_answers(request), policy, exclusion_score=exclusion)
        entries.append(
            WaitingListEntry(
                request=request,
                points=score.points,
                reasons=score.reasons,
                days_waiting=max(0, (today - _london_day(request.submitted_at)).days),
            )
        )
    entries.sort(key=lambda entry: (-entry.points, entry.request.submitted_at, entry.request.id))
    return entries


# Loans ------------------------------------------------------------------------------------


def get_loan(session: Session, loan_id: int) -> Loan:
    """Return the loan with ``loan_id``, or raise ``NotFound``."""
    loan = session.get(Loan, loan_id)
    if loan is None:
        raise NotFound("That loan does not exist.", field="loan")
    return loan


def find_open_loan_for_device(session: Session, device_id: int) -> Loan | None:
    """Return the open loan that has ``device_id`` out (alone or in a kit), or ``None``."""
    return session.scalar(
        select(Loan)
        .join(LoanItem, LoanItem.loan_id == Loan.id)
        .where(LoanItem.device_id == device_id, LoanItem.is_open.is_(True))
    )


def list_open_loans(session: Session, *, request_id: int | None = None) -> list[Loan]:
    """Return loans still out (active or overdue), soonest due first."""
    query = select(Loan).where(Loan.status.in_(OPEN_LOAN_STATUSES)).order_by(Loan.due_on, Loan.id)
    if request_id is not None:
        query = query.where(Loan.request_id == request_id)
    return list(session.scalars(query))


def _open_items_for_contact(session: Session, request: LoanRequest) -> int:
    if request.contact is None:
        same_resident = Loan.request_id == request.id
    else:
        same_resident = Loan.request_id.in_(
            select(LoanRequest.id).where(LoanRequest.contact == request.contact)
        )
    return int(
        session.scalar(
            select(func.count())
            .select_from(Loan)
            .where(same_resident, Loan.status.in_(OPEN_LOAN_STATUSES))
        )
        or 0
    )


def _resolve_item(
    session: Session,
    *,
    device_id: int | None,
    asset_tag: str | None,
    kit_id: int | None,
    kit_code: str | None,
) -> Device | Kit:
    given = [value is not None for value in (device_id, asset_tag, kit_id, kit_code)]
    if sum(given) != 1:
        raise DomainError(
            "Enter the asset tag of one device, or the code of one kit.", field="asset_tag"
        )
    if device_id is not None:
        return get_device(session, device_id)
    if asset_tag is not None:
        return get_device_by_tag(session, asset_tag)
    if kit_id is not None:
        return get_kit(session, kit_id)
    assert kit_code is not None
    return get_kit_by_code(session, kit_code)


def _data_refusal(device: Device, today: date) -> str | None:
    if (
        device.kind in DATA_KINDS
        and device.data_expires_on is not None
        and device.data_expires_on <= today
    ):
        return f"The data on {device.asset_tag} ran out on {govuk_date(device.data_expires_on)}. Top it up or use another."
    return None


def issue_loan(
    session: Session,
    *,
    agreement: LoanAgreement,
    issued_by: int | None,
    policy: LoanPolicy,
    today: date,
    now: datetime,
    request_id: int | None = None,
    resident: NewLoanRequest | None = None,
    device_id: int | None = None,
    asset_tag: str | None = None,
    kit_id: int | None = None,
    kit_code: str | None = None,
    due_on: date | None = None,
) -> Loan:
    """Lend one device or one kit to the resident of a request, from today until the due date.

    Give the request (``request_id``) or the resident's answers (``resident``, assessed on the
    spot), and one of ``device_id``, ``asset_tag``, ``kit_id`` or ``kit_code``.  The due date
    comes from the council's loan matrix for the borrower type and item kind (a kit on the
    strictest rule of its devices; data items no later than their data end date); ``due_on`` may
    shorten it.  Refused, with nothing changed, for an ineligible or closed request, a resident
    already holding the most items allowed, or an item that is not ready to lend.
    """
    _aware(now, field="now")
    _aware(agreement.accepted_at, field="agreement.accepted_at")
    version = _required(
        agreement.version,
        field="agreement_version",
        label="the version of the loan agreement",
        max_length=40,
    )
    if agreement.accepted_at > now:
        raise DomainError(
            "The agreement cannot be accepted in the future.", field="agreement_accepted_at"
        )
    condition_notes = _text(
        agreement.condition_notes,
        field="condition_notes",
        label="the condition notes",
        max_length=2000,
        required=False,
    )
    if (request_id is None) == (resident is None):
        raise DomainError("Choose the request the loan is for.", field="request")
    item = _resolve_item(
        session, device_id=device_id, asset_tag=asset_tag, kit_id=kit_id, kit_code=kit_code
    )
    item_field = "kit_code" if isinstance(item, Kit) else "asset_tag"

    with session.begin_nested():
        if resident is not None:
            request = submit_request(
                session, resident, policy=policy, now=now, submitted_by=issued_by
            )
        else:
            assert request_id is not None
            request = get_request(session, request_id)
        # Two coordinators lending to the same resident take turns from here on.
        _serialise_on(session, "resident", request.contact or f"request:{request.id}")
        session.refresh(request)
        if request.status == RequestStatus.INELIGIBLE:
            raise DomainError(
                "This request is not eligible, so nothing can be lent against it: "
                + " ".join(request.eligibility_reasons),
                field="request",
            )
        if request.status not in LENDABLE_REQUEST_STATUSES:
            raise TransitionRefused(
                request_transition_refusal(request.status, RequestStatus.FULFILLED)
                or "This request is closed.",
                field="request",
            )
        limit = policy.max_items_for(request.borrower_type)
        held = _open_items_for_contact(session, request)
        if held >= limit:
            raise Conflict(
                f"This resident already has {held} item{'s' if held != 1 else ''} on loan, the most "
                f"allowed is {limit}. Record a return first.",
                field="request",
            )

        if isinstance(item, Kit):
            kit: Kit | None = item
            refusal = kit_lend_refusal(
                item.code, item.status, [_facts(member) for member in _kit_members(session, item)]
            )
            if refusal is not None:
                raise TransitionRefused(refusal, field=item_field)
            # The kit's row is the lock: from here its devices cannot change until it is back,
            # and a refusal below rolls the savepoint (and the lock) back.
            _lock_kit(
                session,
                item,
                expected=KitStatus.AVAILABLE,
                to_status=KitStatus.ON_LOAN,
                lending=True,
            )
            devices = _kit_members(session, item)
            refusal = kit_lend_refusal(
                item.code, KitStatus.AVAILABLE, [_facts(member) for member in devices]
            )
            if refusal is not None:
                raise TransitionRefused(refusal, field=item_field)
        else:
            kit = None
            refusal = device_transition_refusal(_facts(item), DeviceStatus.ON_LOAN)
            if refusal is not None:
                raise TransitionRefused(refusal, field=item_field)
            devices = [item]
        for device in devices:
            data_refusal = _data_refusal(device, today)
            if data_refusal is not None:
                raise DomainError(data_refusal, field=item_field)

        rule = loan_rule_for_kinds(
            policy, request.borrower_type, [device.kind for device in devices]
        )
        longest = due_date(today, rule)
        for device in devices:
            if device.kind in DATA_KINDS and device.data_expires_on is not None:
                longest = min(longest, device.data_expires_on)
        due = longest if due_on is None else due_on
        refusal = due_date_refusal(today, due, longest=longest)
        if refusal is not None:
            raise DomainError(refusal, field="due_on")

        # The devices go first, so a coordinator who lost a race stops before adding rows.
        events = [
            _move_device(
                session,
                device,
                DeviceStatus.ON_LOAN,
                by=issued_by,
                at=now,
                field=item_field,
                through_kit=kit is not None,
            )
            for device in devices
        ]
        loan = Loan(
            request_id=request.id,
            device_id=None if kit is not None else devices[0].id,
            kit_id=None if kit is None else kit.id,
            item_kind="kit" if kit is not None else devices[0].kind,
            status=LoanStatus.ACTIVE.value,
            issued_on=today,
            due_on=due,
            original_due_on=due,
            renewals_used=0,
            renewals_allowed=rule.renewals_allowed,
            agreement_version=version,
            agreement_accepted_at=agreement.accepted_at,
            condition_out=condition_notes,
            issued_by=issued_by,
            created_at=now,
        )
        session.add(loan)
        try:
            session.flush()
            for device, event in zip(devices, events, strict=True):
                event.loan_id = loan.id
                session.add(LoanItem(loan_id=loan.id, device_id=device.id, is_open=True))
            session.flush()
        except IntegrityError as error:
            raise Conflict(
                "That item was lent to someone else a moment ago. Choose another.", field=item_field
            ) from error
        if request.status != RequestStatus.FULFILLED:
            _transition_request(
                session,
                request,
                RequestStatus.FULFILLED,
                by=issued_by,
                now=now,
                values={"closed_at": now, "decided_at": request.decided_at or now},
            )
        record_event(
            session,
            at=now,
            actor_id=issued_by,
            action="loan.issued",
            object_type="loan",
            object_id=loan.id,
            details={
                "request_id": request.id,
                "device_ids": [device.id for device in devices],
                "kit_id": loan.kit_id,
            },
        )
        _queue(
            session,
            request,
            template=TEMPLATE_LOAN_ISSUED,
            personalisation={"items": _item_label(loan), "due_date": govuk_date(due)},
            now=now,
        )
        session.flush()
    return loan


def renew_loan(
    session: Session,
    loan_id: int,
    *,
    policy: LoanPolicy,
    by: int | None,
    today: date,
    now: datetime,
) -> Loan:
    """Renew an open loan by the matrix's renewal period, if it has renewals left.

    The count allowed is the one recorded when the loan was issued; each renewal adds the
    current rules' renewal period to the due date (or to today, for an overdue loan the council
    lets borrowers renew).  A SIM or Mi-Fi is not renewed past the end of its data.
    """
    _aware(now, field="now")
    loan = get_loan(session, loan_id)
    devices = [item.device for item in loan.items]
    current = loan_rule_for_kinds(
        policy, loan.request.borrower_type, [device.kind for device in devices]
    )
    # The number of renewals is the one the borrower was told at handover; the length of a
    # renewal follows the council's current rules.
    rule = replace(current, renewals_allowed=loan.renewals_allowed)
    refusal = renewal_refusal(
        status=loan.status,
        renewals_used=loan.renewals_used,
        rule=rule,
        renew_overdue=policy.renew_overdue,
    )
    if refusal is not None:
        raise TransitionRefused(refusal, field="loan")
    new_due = renewed_due_date(max(loan.due_on, today), rule)
    for device in devices:
        if (
            device.kind in DATA_KINDS
            and device.data_expires_on is not None
            and new_due > device.data_expires_on
        ):
            raise DomainError(
                f"The data on {device.asset_tag} runs out on {govuk_date(device.data_expires_on)}, "
                "before the new due date. Lend a new SIM instead.",
                field="loan",
            )
    with session.begin_nested():
        result = session.execute(
            update(Loan)
            .where(
                Loan.id == loan.id,
                Loan.status == loan.status,
                Loan.renewals_used == loan.renewals_used,
            )
            .values(
                due_on=new_due, renewals_used=loan.renewals_used + 1, status=LoanStatus.ACTIVE.value
            )
            .execution_options(synchronize_session=False)
        )
        if _rowcount(result) != 1:
            session.expire(loan)
            raise _stale("This loan")
        was_overdue = loan.status == LoanStatus.OVERDUE
        set_committed_value(loan, "due_on", new_due)
        set_committed_value(loan, "renewals_used", loan.renewals_used + 1)
        set_committed_value(loan, "status", LoanStatus.ACTIVE.value)
        record_event(
            session,
            at=now,
            actor_id=by,
            action="loan.renewed",
            object_type="loan",
            object_id=loan.id,
            details={"due_on": new_due.isoformat(), "was_overdue": was_overdue},
        )
        _cancel_stale_reminders(session, loan.request)
        _queue(
            session,
            loan.request,
            template=TEMPLATE_LOAN_RENEWED,
            personalisation={"items": _item_label(loan), "due_date": govuk_date(new_due)},
            now=now,
        )
        session.flush()
    return loan


def _cancel_stale_reminders(session: Session, request: LoanRequest) -> None:
    session.flush()
    statuses = set(
        session.scalars(
            select(Loan.status).where(
                Loan.request_id == request.id, Loan.status.in_(OPEN_LOAN_STATUSES)
            )
        )
    )
    if not statuses:
        cancel_pending(session, reference=request.public_id, template=TEMPLATE_DUE_SOON)
    if LoanStatus.OVERDUE not in statuses:
        cancel_pending(session, reference=request.public_id, template=TEMPLATE_OVERDUE)


def _close_loan(
    session: Session,
    loan: Loan,
    to_status: str,
    *,
    closed_on: date,
    by: int | None,
    values: Mapping[str, Any],
) -> None:
    refusal = loan_transition_refusal(loan.status, to_status)
    if refusal is not None:
        raise TransitionRefused(refusal, field="loan")
    new_values: dict[str, Any] = {"status": to_status, "closed_on": closed_on, "closed_by": by}
    new_values.update(values)
    result = session.execute(
        update(Loan)
        .where(Loan.id == loan.id, Loan.status == loan.status)
        .values(**new_values)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(result) != 1:
        session.expire(loan)
        raise _stale("This loan")
    for key, value in new_values.items():
        set_committed_value(loan, key, value)


def _closing_date(day: date, loan: Loan, today: date, *, field: str, what: str) -> None:
    if day > today:
        raise DomainError(f"The {what} date cannot be in the future.", field=field)
    if day < loan.issued_on:
        raise DomainError(
            f"The {what} date ({govuk_date(day)}) is before the loan started ({govuk_date(loan.issued_on)}).",
            field=field,
        )


def return_loan(
    session: Session,
    loan_id: int,
    *,
    condition: str,
    damaged: bool,
    returned_on: date,
    by: int | None,
    today: date,
    now: datetime,
    note: str | None = None,
    missing_asset_tags: Iterable[str] = (),
) -> Loan:
    """Record the return of a loan; its devices become "returned" and need a wipe before reuse.

    For a kit, list any device that did not come back in ``missing_asset_tags``: it is recorded
    as lost and taken out of the kit, the rest come back together.
    """
    _aware(now, field="now")
    if condition not in CONDITIONS:
        raise DomainError("Choose the condition the item came back in.", field="condition")
    if not isinstance(damaged, bool):
        raise DomainError("Answer whether the item came back damaged.", field="damaged")
    loan = get_loan(session, loan_id)
    refusal = loan_transition_refusal(loan.status, LoanStatus.RETURNED)
    if refusal is not None:
        raise TransitionRefused(refusal, field="loan")
    _closing_date(returned_on, loan, today, field="returned_on", what="return")
    cleaned_note = _text(note, field="note", label="the note", max_length=2000, required=False)
    open_items = [item for item in loan.items if item.is_open]
    by_tag = {item.device.asset_tag: item for item in open_items}
    missing = {_normalise_tag(tag) for tag in missing_asset_tags}
    unknown = sorted(tag for tag in missing if tag not in by_tag)
    if unknown:
        raise DomainError(
            f"{', '.join(unknown)} is not part of this loan.", field="missing_asset_tags"
        )
    if missing and len(missing) == len(open_items):
        raise DomainError(
            "Nothing came back. Record the loan as lost instead.", field="missing_asset_tags"
        )
    kit = loan.kit
    with session.begin_nested():
        _close_loan(
            session,
            loan,
            LoanStatus.RETURNED,
            closed_on=returned_on,
            by=by,
            values={"return_condition": condition, "damaged": damaged, "return_note": cleaned_note},
        )
        if kit is not None:
            _lock_kit(session, kit, expected=KitStatus.ON_LOAN, to_status=KitStatus.AVAILABLE)
        for item in open_items:
            device = item.device
            lost = device.asset_tag in missing
            if lost:
                event = _move_device(
                    session,
                    device,
                    DeviceStatus.LOST,
                    by=by,
                    at=now,
                    field="missing_asset_tags",
                    through_kit=True,
                    note="Missing when the kit came back",
                )
            else:
                event = _move_device(
                    session,
                    device,
                    DeviceStatus.RETURNED,
                    by=by,
                    at=now,
                    field="loan",
                    through_kit=True,
                    values={"last_returned_on": returned_on, "condition": condition},
                )
            event.loan_id = loan.id
            item.is_open = False
            item.outcome = "lost" if lost else "returned"
            item.closed_on = returned_on
            item.condition_in = None if lost else condition
            if lost and kit is not None:
                _leave_kit(session, kit, device, by=by, now=now, note=f"Lost from kit {kit.code}")
        record_event(
            session,
            at=now,
            actor_id=by,
            action="loan.returned",
            object_type="loan",
            object_id=loan.id,
            details={
                "late": returned_on > loan.due_on,
                "damaged": damaged,
                "missing_device_ids": [
                    item.device_id for item in open_items if item.outcome == "lost"
                ],
            },
        )
        _cancel_stale_reminders(session, loan.request)
        session.flush()
    return loan


def return_device(
    session: Session,
    asset_tag: str,
    *,
    condition: str,
    damaged: bool,
    returned_on: date,
    by: int | None,
    today: date,
    now: datetime,
    note: str | None = None,
    missing_asset_tags: Iterable[str] = (),
) -> Loan:
    """Record a return by the asset tag on the device handed in (a kit device returns its kit)."""
    device = get_device_by_tag(session, asset_tag)
    loan = find_open_loan_for_device(session, device.id)
    if loan is None:
        label = device.status.replace("_", " ")
        raise Conflict(
            f"{device.asset_tag} is not on loan (it is {label}), so there is nothing to return.",
            field="asset_tag",
        )
    return return_loan(
        session,
        loan.id,
        condition=condition,
        damaged=damaged,
        returned_on=returned_on,
        by=by,
        today=today,
        now=now,
        note=note,
        missing_asset_tags=missing_asset_tags,
    )


def record_lost(
    session: Session,
    loan_id: int,
    *,
    reported_on: date,
    by: int | None,
    today: date,
    now: datetime,
    note: str | None = None,
) -> Loan:
    """Record that a loan's item (all of a kit) is lost; the loan closes and the devices are lost."""
    _aware(now, field="now")
    loan = get_loan(session, loan_id)
    refusal = loan_transition_refusal(loan.status, LoanStatus.LOST)
    if refusal is not None:
        raise TransitionRefused(refusal, field="loan")
    _closing_date(reported_on, loan, today, field="reported_on", what="report")
    cleaned_note = _text(note, field="note", label="the note", max_length=2000, required=False)
    kit = loan.kit
    open_items = [item for item in loan.items if item.is_open]
    with session.begin_nested():
        _close_loan(
            session,
            loan,
            LoanStatus.LOST,
            closed_on=reported_on,
            by=by,
            values={"return_note": cleaned_note},
        )
        if kit is not None:
            # Nothing is left to lend as this kit.
            _lock_kit(session, kit, expected=KitStatus.ON_LOAN, to_status=KitStatus.DISSOLVED)
        for item in open_items:
            event = _move_device(
                session,
                item.device,
                DeviceStatus.LOST,
                by=by,
                at=now,
                field="loan",
                through_kit=True,
            )
            event.loan_id = loan.id
            item.is_open = False
            item.outcome = "lost"
            item.closed_on = reported_on
            if kit is not None:
                _leave_kit(session, kit, item.device, by=by, now=now, note=f"Kit {kit.code} lost")
        record_event(
            session, at=now, actor_id=by, action="loan.lost", object_type="loan", object_id=loan.id
        )
        _cancel_stale_reminders(session, loan.request)
        session.flush()
    return loan


def mark_overdue(
    session: Session, *, policy: LoanPolicy, today: date, now: datetime
) -> OverdueReport:
    """Mark loans past their due date overdue and queue due-soon and overdue reminders.

    Run daily (``flask loans mark-overdue``).  Running it twice on the same day changes nothing
    the second time: a loan is marked once, and each reminder is recorded in ``loan_reminders``
    under a unique key.  Each resident gets one message per run covering all their items.
    """
    _aware(now, field="now")
    _serialise_on(session, "mark_overdue")
    late_ids = list(
        session.scalars(
            select(Loan.id).where(Loan.status == LoanStatus.ACTIVE, Loan.due_on < today)
        )
    )
    marked = 0
    if late_ids:
        result = session.execute(
            update(Loan)
            .where(Loan.id.in_(late_ids), Loan.status == LoanStatus.ACTIVE)
            .values(status=LoanStatus.OVERDUE.value)
            .execution_options(synchronize_session="fetch")
        )
        marked = _rowcount(result)
        for loan_id in late_ids:
            record_event(
                session,
                at=now,
                actor_id=None,
                action="loan.overdue",
                object_type="loan",
                object_id=loan_id,
            )

    before = max(policy.reminder_days_before, default=0)
    after = max(policy.reminder_days_after, default=0)
    candidates = list(
        session.scalars(
            select(Loan)
            .join(LoanRequest, LoanRequest.id == Loan.request_id)
            .where(
                Loan.status.in_(OPEN_LOAN_STATUSES),
                Loan.due_on <= today + timedelta(days=before),
                Loan.due_on >= today - timedelta(days=after),
                LoanRequest.contact.is_not(None),
                LoanRequest.contact_method.in_(("email", "sms")),
            )
            .order_by(Loan.request_id, Loan.due_on, Loan.id)
        )
    )
    already = (
        {
            (row.loan_id, row.kind, row.offset_days, row.for_due_on)
            for row in session.scalars(
                select(LoanReminder).where(
                    LoanReminder.loan_id.in_([loan.id for loan in candidates])
                )
            )
        }
        if candidates
        else set()
    )
    groups: dict[tuple[int, str], list[tuple[Loan, int]]] = defaultdict(list)
    for loan in candidates:
        planned = reminder_due(
            loan.due_on,
            today,
            days_before=policy.reminder_days_before,
            days_after=policy.reminder_days_after,
        )
        if planned is None:
            continue
        if (loan.id, planned.kind, planned.offset_days, loan.due_on) in already:
            continue
        groups[(loan.request_id, planned.kind)].append((loan, planned.offset_days))
    queued = 0
    reminded = 0
    for (_, kind), loans in groups.items():
        request = loans[0][0].request
        first_due = min(loan.due_on for loan, _ in loans)
        message = _queue(
            session,
            request,
            template=TEMPLATE_DUE_SOON if kind == "due_soon" else TEMPLATE_OVERDUE,
            personalisation={
                "items": "; ".join(
                    f"{_item_label(loan)}, due {govuk_date(loan.due_on)}" for loan, _ in loans
                ),
                "due_date": govuk_date(first_due),
            },
            now=now,
        )
        session.flush()
        queued += 1
        for loan, offset in loans:
            session.add(
                LoanReminder(
                    loan_id=loan.id,
                    kind=kind,
                    offset_days=offset,
                    for_due_on=loan.due_on,
                    queued_at=now,
                    outbox_message_id=None if message is None else message.id,
                )
            )
            reminded += 1
    session.flush()
    return OverdueReport(marked_overdue=marked, reminders_queued=queued, loans_reminded=reminded)


# Retention --------------------------------------------------------------------------------

_CLOSED_REQUEST_STATUSES = (
    RequestStatus.INELIGIBLE,
    RequestStatus.DECLINED,
    RequestStatus.WITHDRAWN,
    RequestStatus.FULFILLED,
)


def clear_request_personal_data(
    session: Session, request: LoanRequest, *, now: datetime
) -> PurgeReport:
    """Remove the personal data of one request, its loans, device-event notes and messages.

    This is what the retention purge removes from each request it clears; it neither checks
    whether the request is over nor audits (the callers do both).
    """
    request.resident_name = REMOVED
    request.contact = None
    request.postcode = None
    request.age_years = None
    request.reason = None
    request.decision_note = None
    request.purged_at = now
    loan_ids = []
    for loan in request.loans:
        loan.condition_out = None
        loan.return_note = None
        loan.purged_at = now
        loan_ids.append(loan.id)
    notes = 0
    if loan_ids:
        noted = list(
            session.scalars(
                select(DeviceEvent.id).where(
                    DeviceEvent.loan_id.in_(loan_ids), DeviceEvent.note.is_not(None)
                )
            )
        )
        if noted:
            session.execute(
                update(DeviceEvent)
                .where(DeviceEvent.id.in_(noted))
                .values(note=None)
                .execution_options(synchronize_session="fetch")
            )
        notes = len(noted)
    messages = redact_recipient(session, reference=request.public_id)
    return PurgeReport(requests=1, loans=len(loan_ids), device_event_notes=notes, messages=messages)


def purge_personal_data(
    session: Session, *, today: date, retention_days: int, now: datetime
) -> PurgeReport:
    """Remove names, contact details, ages and free text of requests and loans that ended long ago.

    A request has ended when it is closed (ineligible, declined, withdrawn or fulfilled) and
    none of its loans is still out; it is purged once ``retention_days`` have passed since the
    later of its closing and its last loan's return.  Ward code, postcode district, age band,
    borrower type, answers, dates and outcomes stay, so anonymous statistics survive.  Outbox
    messages for the request lose their recipient and personalisation.  Running it again purges
    nothing twice.
    """
    _aware(now, field="now")
    if (
        isinstance(retention_days, bool)
        or not isinstance(retention_days, int)
        or retention_days < 1
    ):
        raise ValueError(
            f"retention_days must be a whole number of days, at least 1 (got {retention_days!r})"
        )
    cutoff = today - timedelta(days=retention_days)
    open_loan_requests = select(Loan.request_id).where(Loan.status.in_(OPEN_LOAN_STATUSES))
    last_closed: dict[int, date | None] = {
        request_id: closed_on
        for request_id, closed_on in session.execute(
            select(Loan.request_id, func.max(Loan.closed_on)).group_by(Loan.request_id)
        )
    }
    candidates = session.scalars(
        select(LoanRequest).where(
            LoanRequest.purged_at.is_(None),
            LoanRequest.status.in_(_CLOSED_REQUEST_STATUSES),
            LoanRequest.id.notin_(open_loan_requests),
        )
    )
    requests = loans = notes = messages = 0
    for request in candidates:
        ended = _london_day(request.closed_at or request.submitted_at)
        loan_end = last_closed.get(request.id)
        if loan_end is not None:
            ended = max(ended, loan_end)
        if ended >= cutoff:
            continue
        cleared = clear_request_personal_data(session, request, now=now)
        requests += 1
        loans += cleared.loans
        notes += cleared.device_event_notes
        messages += cleared.messages
        record_event(
            session,
            at=now,
            actor_id=None,
            action="loan_request.purged",
            object_type="loan_request",
            object_id=request.id,
        )
    session.flush()
    return PurgeReport(requests=requests, loans=loans, device_event_notes=notes, messages=messages)


__all__ = [
    "REMOVED",
    "TEMPLATE_DUE_SOON",
    "TEMPLATE_LOAN_ISSUED",
    "TEMPLATE_LOAN_RENEWED",
    "TEMPLATE_OVERDUE",
    "TEMPLATE_REQUEST_RECEIVED",
    "LoanAgreement",
    "NewDevice",
    "NewLoanRequest",
    "OverdueReport",
    "PurgeReport",
    "WaitingListEntry",
    "add_to_kit",
    "approve_request",
    "change_device_status",
    "clear_request_personal_data",
    "count_open_requests",
    "create_kit",
    "decline_request",
    "dissolve_kit",
    "find_device_by_tag",
    "find_open_loan_for_device",
    "get_device",
    "get_device_by_tag",
    "get_kit",
    "get_kit_by_code",
    "get_loan",
    "get_request",
    "get_request_by_reference",
    "issue_loan",
    "list_available_devices",
    "list_available_kits",
    "list_devices",
    "list_open_loans",
    "list_waiting_list",
    "mark_overdue",
    "place_on_waiting_list",
    "purge_personal_data",
    "record_lost",
    "record_wipe",
    "register_device",
    "remove_from_kit",
    "renew_loan",
    "return_device",
    "return_loan",
    "submit_request",
    "update_device_condition",
    "withdraw_request",
]
