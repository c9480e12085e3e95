"""The demo year of loans: realistic, consistent with the rules, and the same for a seed."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from device_loans.demo import load_demo_loans
from device_loans.models import Device, DeviceEvent, Loan, LoanItem, LoanRequest
from device_loans.reports import loan_outcomes, waiting_times
from tests.databases import Database
from tests.shared_data import SHARED_DATA

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
DAYS = 120


def hounslow_wards() -> list[str]:
    collection = json.loads((SHARED_DATA / "hounslow_wards_2023.geojson").read_text())
    return sorted(feature["properties"]["WD23CD"] for feature in collection["features"])


def fingerprint(session: Session) -> tuple[object, ...]:
    devices = session.execute(
        select(Device.asset_tag, Device.kind, Device.status, Device.source).order_by(
            Device.asset_tag
        )
    ).all()
    requests = session.execute(
        select(
            LoanRequest.idempotency_key,
            LoanRequest.status,
            LoanRequest.ward_code,
            LoanRequest.submitted_at,
        ).order_by(LoanRequest.idempotency_key)
    ).all()
    loans = session.execute(
        select(
            LoanRequest.idempotency_key,
            Loan.item_kind,
            Loan.issued_on,
            Loan.due_on,
            Loan.status,
            Loan.closed_on,
        )
        .join(LoanRequest, LoanRequest.id == Loan.request_id)
        .order_by(LoanRequest.idempotency_key, Loan.issued_on, Loan.item_kind)
    ).all()
    return tuple(map(tuple, devices)), tuple(map(tuple, requests)), tuple(map(tuple, loans))


def test_the_demo_is_a_believable_year_that_keeps_the_rules(db: Database) -> None:
    wards = hounslow_wards()
    assert len(wards) == 22
    with db.factory() as session:
        summary = load_demo_loans(session, ward_codes=wards, now=NOW, seed=7, days=DAYS)
        first = fingerprint(session)

        assert (summary.devices, summary.kits) == (120, 10)
        assert summary.requests > 40
        assert 0 < summary.open_loans < summary.loans
        sims = session.scalars(select(Device).where(Device.kind == "sim")).all()
        assert sims and all(sim.data_allowance_gb == 40.0 and sim.data_expires_on for sim in sims)
        kit_loans = session.scalar(
            select(func.count()).select_from(Loan).where(Loan.item_kind == "kit")
        )
        assert kit_loans and kit_loans > 0
        # The rules held all year.
        for device in session.scalars(select(Device).where(Device.status == "on_loan")):
            assert not device.needs_wipe
            open_items = session.scalar(
                select(func.count())
                .select_from(LoanItem)
                .where(LoanItem.device_id == device.id, LoanItem.is_open)
            )
            assert open_items == 1
        latest_event = session.scalar(select(func.max(DeviceEvent.at)))
        assert latest_event is not None and latest_event <= NOW
        # Residents come from the wards given, and every loan was reported on.
        ward_codes = set(session.scalars(select(LoanRequest.ward_code)))
        assert ward_codes <= set(wards)
        outcomes = loan_outcomes(session, start=date(2026, 1, 1), end=NOW.date())
        assert outcomes[0].total == summary.loans - summary.open_loans
        assert waiting_times(session, start=date(2026, 1, 1), end=NOW.date())[0].requests > 0
        session.rollback()

    with db.factory() as session:
        load_demo_loans(session, ward_codes=wards, now=NOW, seed=7, days=DAYS)
        assert fingerprint(session) == first
        session.rollback()


def test_the_demo_needs_wards_and_an_aware_time(session: Session) -> None:
    with pytest.raises(ValueError, match="at least one ward"):
        load_demo_loans(session, ward_codes=[], now=NOW, seed=1)
    with pytest.raises(ValueError, match="timezone-aware"):
        load_demo_loans(session, ward_codes=["E05013606"], now=datetime(2027, 3, 1), seed=1)
