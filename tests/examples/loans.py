"""Route examples of the device and data loans pages: a real device, kit, request and loan."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import now_utc, today_london
from device_loans import services
from device_loans.config import DEFAULT_POLICY
from device_loans.models import Device, Kit, Loan, LoanRequest
from tests.route_examples import example

_DEVICE_PAGES = ("loans.device", "loans.wipe", "loans.device_status", "loans.device_condition")
_KIT_PAGES = ("loans.kit", "loans.kit_add", "loans.kit_remove", "loans.kit_dissolve")
_REQUEST_PAGES = ("loans.loan_request", "loans.decide", "loans.lend", "loans.lend_confirm")
_LOAN_PAGES = ("loans.loan", "loans.renew", "loans.return_loan", "loans.record_lost")


def _device(session: Session, tag: str, kind: str = "tablet") -> Device:
    """A ready device with asset tag ``tag`` (the one stored, or a new one)."""
    found = services.find_device_by_tag(session, tag)
    if found is not None:
        return found
    now, today = now_utc(), today_london()
    device = services.register_device(
        session,
        services.NewDevice(
            asset_tag=tag,
            kind=kind,
            make="Lenovo",
            model="Tab M10",
            condition="good",
            location="Central Library",
            source="purchased",
            received_on=today,
        ),
        by=None,
        now=now,
        today=today,
    )
    services.change_device_status(session, device.id, to_status="ready", by=None, now=now)
    return device


def _request(session: Session, key: str) -> LoanRequest:
    found = session.scalar(select(LoanRequest).where(LoanRequest.idempotency_key == key))
    if found is not None:
        return found
    return services.submit_request(
        session,
        services.NewLoanRequest(
            idempotency_key=key,
            resident_name="Example Resident",
            contact="example.resident@example.com",
            age_years=45,
            borrower_type="resident",
            need="device",
            has_suitable_device=False,
            has_home_connection=True,
            low_income=True,
            postcode="TW3 1ES",
        ),
        policy=DEFAULT_POLICY,
        now=now_utc(),
    )


def _device_values(session: Session) -> dict[str, str]:
    return {"public_id": _device(session, "EX-DEVICE-1").public_id}


def _kit_values(session: Session) -> dict[str, str]:
    kit = session.scalar(select(Kit).where(Kit.code == "EX-KIT-1"))
    if kit is None:
        members = [
            _device(session, f"EX-KIT-{part}", kind)
            for part, kind in (("T", "tablet"), ("C", "charger"))
        ]
        kit = services.create_kit(
            session,
            code="EX-KIT-1",
            name="Tablet and charger",
            device_ids=[device.id for device in members],
            by=None,
            now=now_utc(),
        )
    return {"public_id": kit.public_id}


def _request_values(session: Session) -> dict[str, str]:
    return {"public_id": _request(session, "example-request-0001").public_id}


def _loan_values(session: Session) -> dict[str, str]:
    request = _request(session, "example-request-0002")
    loan = session.scalar(select(Loan).where(Loan.request_id == request.id))
    if loan is None:
        loan = services.issue_loan(
            session,
            agreement=services.LoanAgreement(version="v1", accepted_at=now_utc()),
            issued_by=None,
            policy=DEFAULT_POLICY,
            today=today_london(),
            now=now_utc(),
            request_id=request.id,
            device_id=_device(session, "EX-LENT-1").id,
        )
    return {"public_id": loan.public_id}


for _endpoint in _DEVICE_PAGES:
    example(_endpoint)(_device_values)
for _endpoint in _KIT_PAGES:
    example(_endpoint)(_kit_values)
for _endpoint in _REQUEST_PAGES:
    example(_endpoint)(_request_values)
for _endpoint in _LOAN_PAGES:
    example(_endpoint)(_loan_values)


@example("loans.report_csv")
def _report(session: Session) -> dict[str, str]:
    return {"report": "outcomes"}
