"""Erasure on request: remove one resident's personal data from their loan requests (UK GDPR Art. 17).

The retention purge (:func:`device_loans.services.purge_personal_data`) clears every request that
ended long ago; this module clears one request when the resident asks, whatever its age.  Both
remove the same things (:func:`clear_request_personal_data`): the name (it becomes
``"[removed]"``), contact details, postcode, age in years, the reason and the decision note of the
request, the condition and return notes of its loans, the notes of its loans' device events, and
the recipient and personalisation of its outbox messages.  Ward code, postcode district, age band,
borrower type, the answers, statuses, dates and outcomes stay, so anonymous statistics do not
change.

A request is erased only once it is over: while a device is still out, or the request is still
being dealt with, the details are needed to get the device back or to reach the resident, so the
erasure is refused with what to do first.  The audit trail records ids and counts only.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit import record_event
from core.errors import Conflict
from device_loans.models import Loan, LoanRequest
from device_loans.rules import (
    OPEN_LOAN_STATUSES,
    OPEN_REQUEST_STATUSES,
    REQUEST_STATUS_LABELS,
    normalise_contact,
)
from device_loans.services import PurgeReport, clear_request_personal_data, get_request


def list_requests_for_contact(session: Session, contact: str) -> list[LoanRequest]:
    """The requests whose contact is ``contact`` (an email in any case, a UK number in any spelling).

    Contacts are stored normalised (``normalise_contact``), so ``"07700 900982"`` finds a request
    made with ``"+44 7700 900982"``.  Requests already purged have no contact and are not found.
    """
    normal = normalise_contact(contact)
    if normal is None:
        return []
    return list(
        session.scalars(
            select(LoanRequest).where(LoanRequest.contact == normal.value).order_by(LoanRequest.id)
        )
    )


def erasure_refusal(request: LoanRequest) -> str | None:
    """Why ``request``'s details cannot be erased yet, and what to do first; ``None`` if they can."""
    for loan in request.loans:
        if loan.status in OPEN_LOAN_STATUSES:
            return (
                f"{_item(loan)} is still out on loan {loan.public_id}. Take the device back "
                "(record its return, or that it was lost) before erasing the resident's details."
            )
    if request.status in OPEN_REQUEST_STATUSES:
        label = REQUEST_STATUS_LABELS.get(request.status, request.status)
        return (
            f"This request is still open ({label}). Decline it, or record that the resident "
            "withdrew it, before erasing their details."
        )
    return None


def erase_request_details(
    session: Session, request_id: int, *, now: datetime, actor_id: int | None
) -> PurgeReport:
    """Erase one resident's personal data from a request that is over, at their request.

    Raises
    ------
    core.errors.NotFound
        There is no such request.
    core.errors.Conflict
        A device is still out on loan, or the request is still open; the message says what to
        do first.  Nothing is changed.
    """
    request = get_request(session, request_id)
    refusal = erasure_refusal(request)
    if refusal is not None:
        raise Conflict(refusal, field="request")
    report = clear_request_personal_data(session, request, now=now)
    record_event(
        session,
        at=now,
        actor_id=actor_id,
        action="loan_request.details_erased",
        object_type="loan_request",
        object_id=request.id,
        details={
            "loans": report.loans,
            "device_event_notes": report.device_event_notes,
            "messages": report.messages,
        },
    )
    session.flush()
    return report


def _item(loan: Loan) -> str:
    if loan.kit is not None:
        return f"Kit {loan.kit.code}"
    if loan.device is not None:
        return loan.device.label
    return "An item"


__all__ = [
    "clear_request_personal_data",
    "erase_request_details",
    "erasure_refusal",
    "list_requests_for_contact",
]
