"""Factories with valid defaults for the device-loans tests."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from device_loans.config import LoanPolicy
from device_loans.models import Device, Kit, Loan, LoanRequest
from device_loans.services import (
    LoanAgreement,
    NewDevice,
    NewLoanRequest,
    change_device_status,
    create_kit,
    issue_loan,
    record_wipe,
    register_device,
    submit_request,
)

NOW = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)
TODAY = date(2027, 3, 1)
POLICY = LoanPolicy()
AGREEMENT = LoanAgreement(version="2027-01", accepted_at=NOW, condition_notes="Scratch on the case")
STAFF = 7

_numbers = itertools.count(1)


def at(day: date, hour: int = 10) -> datetime:
    """A UTC moment on ``day`` (10:00 by default, the same day in London all year)."""
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=UTC)


def new_device(**overrides: Any) -> NewDevice:
    kind = overrides.get("kind", "tablet")
    defaults: dict[str, Any] = {
        "asset_tag": f"DL-{next(_numbers):05d}",
        "kind": kind,
        "make": "Lenovo",
        "model": "Tab M10",
        "condition": "good",
        "location": "Central Library",
        "source": "purchased",
        "received_on": TODAY - timedelta(days=60),
    }
    if kind in ("sim", "mifi"):
        defaults.update(data_allowance_gb=40.0, data_expires_on=TODAY + timedelta(days=365))
    defaults.update(overrides)
    return NewDevice(**defaults)


def add_device(
    session: Session, *, ready: bool = True, now: datetime = NOW, **overrides: Any
) -> Device:
    """Register a device and, unless ``ready=False``, wipe it if needed and make it ready."""
    today = now.date()
    device = register_device(session, new_device(**overrides), by=STAFF, now=now, today=today)
    if ready:
        if device.needs_wipe:
            record_wipe(
                session,
                device.id,
                certificate_ref=f"WIPE-{device.asset_tag}",
                method="certified_erasure",
                by=STAFF,
                at=now,
                now=now,
            )
        change_device_status(session, device.id, to_status="ready", by=STAFF, now=now)
    return device


def add_kit(
    session: Session,
    *,
    code: str | None = None,
    kinds: tuple[str, ...] = ("tablet", "charger", "mifi"),
) -> Kit:
    devices = [add_device(session, kind=kind) for kind in kinds]
    return create_kit(
        session,
        code=code or f"KIT-{next(_numbers):04d}",
        name="Tablet, charger and Mi-Fi",
        device_ids=[device.id for device in devices],
        by=STAFF,
        now=NOW,
    )


def new_request(**overrides: Any) -> NewLoanRequest:
    number = next(_numbers)
    defaults: dict[str, Any] = {
        "idempotency_key": uuid.uuid4().hex,
        "resident_name": f"Resident {number}",
        "contact": f"resident{number}@example.com",
        "age_years": 40,
        "borrower_type": "resident",
        "need": "device",
        "has_suitable_device": False,
        "has_home_connection": True,
        "low_income": True,
        "postcode": "TW3 1ES",
        "ward_code": "E05013617",
    }
    defaults.update(overrides)
    return NewLoanRequest(**defaults)


def add_request(
    session: Session, *, policy: LoanPolicy = POLICY, now: datetime = NOW, **overrides: Any
) -> LoanRequest:
    return submit_request(
        session, new_request(**overrides), policy=policy, now=now, submitted_by=STAFF
    )


def lend(
    session: Session,
    request: LoanRequest,
    *,
    device: Device | None = None,
    kit: Kit | None = None,
    today: date = TODAY,
    policy: LoanPolicy = POLICY,
    **options: Any,
) -> Loan:
    item: dict[str, Any] = (
        {"kit_id": kit.id} if kit is not None else {"device_id": device.id if device else None}
    )
    if kit is None and device is None:
        item = {"device_id": add_device(session).id}
    now = at(today)
    return issue_loan(
        session,
        request_id=request.id,
        agreement=replace(AGREEMENT, accepted_at=now),
        issued_by=STAFF,
        policy=policy,
        today=today,
        now=now,
        **item,
        **options,
    )
