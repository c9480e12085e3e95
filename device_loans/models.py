"""Tables of device and data loans: inventory, kits, requests, loans and their trails.

Personal data lives only in ``loan_requests`` (name, contact, postcode, age, free text) and in
the free-text notes of loans and device events; ``services.purge_personal_data`` removes it after
the retention period and leaves ward codes, borrower types, dates and outcomes for statistics.
User ids are plain integers, as in ``core.audit``, so this package does not depend on the web
layer's accounts table.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, new_public_id
from core.references import new_reference
from device_loans.config import DEVICE_KIND_LABELS, DEVICE_KINDS, NEEDS
from device_loans.rules import (
    CONDITIONS,
    SOURCES,
    WIPE_METHODS,
    DeviceStatus,
    KitStatus,
    LoanStatus,
    RequestStatus,
)


def _in(column: str, values: Iterable[str]) -> str:
    # The values are the package's own constants, never user input.
    listed = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({listed})"


class Kit(Base):
    """A named set of devices (for example tablet + charger + Mi-Fi) lent and returned as one."""

    __tablename__ = "device_kits"
    __table_args__ = (CheckConstraint(_in("status", [s.value for s in KitStatus]), name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(20), default=KitStatus.AVAILABLE.value, index=True)
    # Bumped by every change of membership: the conditional UPDATE that bumps it is the lock
    # that stops a kit being lent and changed at the same moment.
    lock_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]

    devices: Mapped[list[Device]] = relationship(back_populates="kit", order_by="Device.asset_tag")


class Device(Base):
    """One item in the inventory: a tablet, laptop, phone, Mi-Fi unit, SIM, charger or other."""

    __tablename__ = "devices"
    __table_args__ = (
        CheckConstraint(_in("kind", DEVICE_KINDS), name="kind"),
        CheckConstraint(_in("status", [s.value for s in DeviceStatus]), name="status"),
        CheckConstraint(_in("condition", CONDITIONS), name="condition"),
        CheckConstraint(_in("source", SOURCES), name="source"),
        CheckConstraint(
            "data_allowance_gb IS NULL OR data_allowance_gb >= 0", name="data_allowance_gb"
        ),
        # The database itself refuses to have a device on loan that still needs a wipe.
        CheckConstraint("NOT (status = 'on_loan' AND needs_wipe)", name="on_loan_wiped"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    asset_tag: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    make: Mapped[str] = mapped_column(String(80))
    model: Mapped[str] = mapped_column(String(120))
    serial_number: Mapped[str | None] = mapped_column(String(120))
    condition: Mapped[str] = mapped_column(String(10))
    location: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(20), index=True)
    needs_wipe: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(20))
    donor: Mapped[str | None] = mapped_column(String(200))
    received_on: Mapped[date]
    data_allowance_gb: Mapped[float | None] = mapped_column(Float)
    data_unlimited: Mapped[bool] = mapped_column(Boolean, default=False)
    data_expires_on: Mapped[date | None]
    network: Mapped[str | None] = mapped_column(String(40))
    kit_id: Mapped[int | None] = mapped_column(ForeignKey("device_kits.id"), index=True)
    last_wiped_at: Mapped[datetime | None]
    last_wipe_certificate_ref: Mapped[str | None] = mapped_column(String(120))
    last_returned_on: Mapped[date | None]
    created_at: Mapped[datetime]

    kit: Mapped[Kit | None] = relationship(back_populates="devices")

    @property
    def label(self) -> str:
        """A short description for people: ``"Tablet DL-0042 (Lenovo Tab M10)"``."""
        kind = DEVICE_KIND_LABELS.get(self.kind, self.kind)
        return f"{kind} {self.asset_tag} ({self.make} {self.model})"


class DeviceEvent(Base):
    """One change in a device's life: status from and to, who, when, and any wipe certificate.

    ``note`` is free text written by staff; notes on events of a loan are removed with the
    loan's personal data.
    """

    __tablename__ = "device_events"
    __table_args__ = (
        CheckConstraint(
            "wipe_method IS NULL OR " + _in("wipe_method", list(WIPE_METHODS)), name="wipe_method"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    wipe_certificate_ref: Mapped[str | None] = mapped_column(String(120))
    wipe_method: Mapped[str | None] = mapped_column(String(40))
    loan_id: Mapped[int | None] = mapped_column(ForeignKey("loans.id"), index=True)
    kit_id: Mapped[int | None] = mapped_column(ForeignKey("device_kits.id"))


class LoanRequest(Base):
    """A resident's request to borrow a device, data, or both, and its assessment.

    ``resident_name``, ``contact``, ``postcode``, ``age_years``, ``reason`` and
    ``decision_note`` are personal data and are removed after the retention period;
    ``ward_code``, ``postcode_district``, ``age_band``, ``borrower_type``, the answers, the
    status and the dates stay for anonymous statistics.
    """

    __tablename__ = "loan_requests"
    __table_args__ = (
        CheckConstraint(_in("status", [s.value for s in RequestStatus]), name="status"),
        CheckConstraint(_in("need", NEEDS), name="need"),
        CheckConstraint("contact_method IN ('email', 'sms', 'phone')", name="contact_method"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    # What the resident is given and reads back over the phone (core.references): 8 characters.
    reference: Mapped[str] = mapped_column(String(8), unique=True, default=new_reference)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    resident_name: Mapped[str | None] = mapped_column(String(200))
    contact: Mapped[str | None] = mapped_column(String(320), index=True)
    contact_method: Mapped[str] = mapped_column(String(10))
    postcode: Mapped[str | None] = mapped_column(String(8))
    postcode_district: Mapped[str | None] = mapped_column(String(4))
    ward_code: Mapped[str | None] = mapped_column(String(9), index=True)
    age_years: Mapped[int | None] = mapped_column(Integer)
    age_band: Mapped[str] = mapped_column(String(10))
    borrower_type: Mapped[str] = mapped_column(String(40))
    need: Mapped[str] = mapped_column(String(10))
    has_suitable_device: Mapped[bool] = mapped_column(Boolean)
    has_home_connection: Mapped[bool] = mapped_column(Boolean)
    low_income: Mapped[bool] = mapped_column(Boolean)
    benefit: Mapped[str | None] = mapped_column(String(60))
    reason: Mapped[str | None] = mapped_column(Text)
    # The champion who referred the resident, or None for a self-referral.  Only the table name
    # is shared with the champions package; erasing a champion leaves the request unreferred.
    referred_by_champion_id: Mapped[int | None] = mapped_column(
        ForeignKey("champions.id", ondelete="SET NULL"), index=True
    )
    submitted_by: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), index=True)
    eligibility_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    decision_note: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(index=True)
    assessed_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    purged_at: Mapped[datetime | None]

    loans: Mapped[list[Loan]] = relationship(back_populates="request", order_by="Loan.id")


class Loan(Base):
    """One device, or one kit, lent to the resident of a request, with its agreement and dates."""

    __tablename__ = "loans"
    __table_args__ = (
        CheckConstraint(_in("status", [s.value for s in LoanStatus]), name="status"),
        CheckConstraint("(device_id IS NULL) <> (kit_id IS NULL)", name="one_item"),
        CheckConstraint("due_on > issued_on", name="due_after_issue"),
        CheckConstraint("renewals_used >= 0", name="renewals_used"),
        CheckConstraint("closed_on IS NULL OR closed_on >= issued_on", name="closed_after_issue"),
        # At most one open loan per kit (each device is guarded by ``loan_items``).
        Index(
            "uq_loans_open_kit",
            "kit_id",
            unique=True,
            sqlite_where=text("status IN ('active', 'overdue') AND kit_id IS NOT NULL"),
            postgresql_where=text("status IN ('active', 'overdue') AND kit_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    request_id: Mapped[int] = mapped_column(ForeignKey("loan_requests.id"), index=True)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    kit_id: Mapped[int | None] = mapped_column(ForeignKey("device_kits.id"))
    item_kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), index=True)
    issued_on: Mapped[date] = mapped_column(index=True)
    due_on: Mapped[date] = mapped_column(index=True)
    original_due_on: Mapped[date]
    renewals_used: Mapped[int] = mapped_column(Integer, default=0)
    renewals_allowed: Mapped[int] = mapped_column(Integer)
    agreement_version: Mapped[str] = mapped_column(String(40))
    agreement_accepted_at: Mapped[datetime]
    condition_out: Mapped[str | None] = mapped_column(Text)
    issued_by: Mapped[int | None] = mapped_column(Integer)
    closed_on: Mapped[date | None] = mapped_column(index=True)
    closed_by: Mapped[int | None] = mapped_column(Integer)
    return_condition: Mapped[str | None] = mapped_column(String(10))
    damaged: Mapped[bool | None] = mapped_column(Boolean)
    return_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    purged_at: Mapped[datetime | None]

    request: Mapped[LoanRequest] = relationship(back_populates="loans")
    device: Mapped[Device | None] = relationship(foreign_keys=[device_id])
    kit: Mapped[Kit | None] = relationship(foreign_keys=[kit_id])
    items: Mapped[list[LoanItem]] = relationship(back_populates="loan", order_by="LoanItem.id")

    @property
    def reference(self) -> str:
        """The loan's public reference."""
        return self.public_id

    @property
    def is_open(self) -> bool:
        """Whether the item is still out."""
        return self.status in (LoanStatus.ACTIVE, LoanStatus.OVERDUE)


class LoanItem(Base):
    """One device within a loan (a kit loan has one row per device), with its own outcome."""

    __tablename__ = "loan_items"
    __table_args__ = (
        CheckConstraint("outcome IS NULL OR outcome IN ('returned', 'lost')", name="outcome"),
        CheckConstraint("is_open = (outcome IS NULL)", name="open_has_no_outcome"),
        # The last line of defence against lending one device twice: at most one open row.
        Index(
            "uq_loan_items_open_device",
            "device_id",
            unique=True,
            sqlite_where=text("is_open"),
            postgresql_where=text("is_open"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), index=True)
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    outcome: Mapped[str | None] = mapped_column(String(10))
    closed_on: Mapped[date | None]
    condition_in: Mapped[str | None] = mapped_column(String(10))

    loan: Mapped[Loan] = relationship(back_populates="items")
    device: Mapped[Device] = relationship()


class LoanReminder(Base):
    """A reminder already queued for a loan; the unique key makes the daily job idempotent."""

    __tablename__ = "loan_reminders"
    __table_args__ = (
        UniqueConstraint("loan_id", "kind", "offset_days", "for_due_on"),
        CheckConstraint("kind IN ('due_soon', 'overdue')", name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    offset_days: Mapped[int] = mapped_column(Integer)
    for_due_on: Mapped[date]
    queued_at: Mapped[datetime]
    outbox_message_id: Mapped[int | None] = mapped_column(Integer)


__all__ = ["Device", "DeviceEvent", "Kit", "Loan", "LoanItem", "LoanReminder", "LoanRequest"]
