"""Reports on the loans scheme: devices out per ward, waiting times, utilisation, outcomes.

Every report reads only what survives the retention purge (ward codes, borrower types, item
kinds, dates and outcomes), so figures for past years do not change when personal data is
removed.  Rows carry exact counts: the caller applies small-number suppression before anything
is shown to councillors or published.

Dates are council calendar days (Europe/London).  A loan's days are counted as nights, from the
day it was lent up to (not including) the day it came back, so a loan lent and returned on the
same day counts 0 days.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.clock import to_london
from device_loans.models import Device, DeviceEvent, Loan, LoanItem, LoanRequest
from device_loans.rules import DeviceStatus, LoanStatus

GROUPINGS = ("ward_code", "borrower_type", "item_kind")
"""Ways ``waiting_times`` and ``loan_outcomes`` can split their rows."""


# Devices out per ward ---------------------------------------------------------------------


@dataclass(frozen=True)
class WardLoansRow:
    """Devices and loans out on one day for residents of one ward (``None``: ward not known)."""

    ward_code: str | None
    devices_out: int
    loans_out: int


def devices_out_by_ward(session: Session, *, on: date) -> list[WardLoansRow]:
    """Return devices and loans out at the end of day ``on`` per ward, in ward-code order.

    A kit counts once in ``loans_out`` and once per device in ``devices_out``.
    """
    out = (LoanItem.closed_on.is_(None)) | (LoanItem.closed_on > on)
    rows = session.execute(
        select(
            LoanRequest.ward_code,
            func.count(LoanItem.id),
            func.count(func.distinct(Loan.id)),
        )
        .select_from(LoanItem)
        .join(Loan, Loan.id == LoanItem.loan_id)
        .join(LoanRequest, LoanRequest.id == Loan.request_id)
        .where(Loan.issued_on <= on, out)
        .group_by(LoanRequest.ward_code)
    )
    result = [WardLoansRow(ward, int(devices), int(loans)) for ward, devices, loans in rows]
    return sorted(result, key=lambda row: (row.ward_code is None, row.ward_code or ""))


# Waiting times ----------------------------------------------------------------------------


@dataclass(frozen=True)
class WaitingTimeRow:
    """Days from request to first item lent, for requests first served within the period.

    ``group`` is the value of the grouping column, or ``None`` for the whole scheme.
    """

    group: str | None
    requests: int
    median_days: float
    p25_days: float
    p75_days: float
    p90_days: float
    max_days: int


def percentile(sorted_values: Sequence[float], share: float) -> float:
    """Return the ``share`` (0–1) percentile of ascending ``sorted_values`` by linear interpolation.

    This is the usual definition (Hyndman and Fan type 7, numpy's default); it needs at least
    one value.
    """
    if not sorted_values:
        raise ValueError("a percentile needs at least one value")
    if not 0 <= share <= 1:
        raise ValueError(f"share must be from 0 to 1 (got {share!r})")
    position = (len(sorted_values) - 1) * share
    lower = math.floor(position)
    upper = min(lower + 1, len(sorted_values) - 1)
    fraction = position - lower
    return float(sorted_values[lower] + (sorted_values[upper] - sorted_values[lower]) * fraction)


def _check_grouping(by: str | None) -> None:
    if by is not None and by not in GROUPINGS:
        raise ValueError(f"by must be one of {', '.join(GROUPINGS)} or None (got {by!r})")


def waiting_times(
    session: Session, *, start: date, end: date, by: str | None = None
) -> list[WaitingTimeRow]:
    """Return waiting-time statistics for requests whose first item went out from ``start`` to ``end``.

    ``by`` splits the rows by ``"ward_code"`` or ``"borrower_type"`` (``"item_kind"`` is the
    kind of the first item lent); ``None`` gives one row for everything.
    """
    _check_grouping(by)
    if end < start:
        raise ValueError("end must be on or after start")
    first_issue = (
        select(
            Loan.request_id.label("request_id"),
            func.min(Loan.issued_on).label("first_issued_on"),
        )
        .group_by(Loan.request_id)
        .subquery()
    )
    rows = session.execute(
        select(
            LoanRequest.id,
            LoanRequest.submitted_at,
            LoanRequest.ward_code,
            LoanRequest.borrower_type,
            first_issue.c.first_issued_on,
        )
        .join(first_issue, first_issue.c.request_id == LoanRequest.id)
        .where(first_issue.c.first_issued_on >= start, first_issue.c.first_issued_on <= end)
    ).all()
    first_kind: dict[int, str] = {}
    if by == "item_kind":
        loans = session.execute(
            select(Loan.request_id, Loan.item_kind).order_by(Loan.issued_on, Loan.id)
        )
        for request_id, kind in loans:
            first_kind.setdefault(request_id, kind)
    groups: dict[str | None, list[int]] = defaultdict(list)
    for request_id, submitted_at, ward_code, borrower_type, issued_on in rows:
        waited = max(0, (issued_on - to_london(submitted_at).date()).days)
        key = {
            None: None,
            "ward_code": ward_code,
            "borrower_type": borrower_type,
            "item_kind": first_kind.get(request_id),
        }[by]
        groups[key].append(waited)
    result = []
    for key, days in groups.items():
        ordered = sorted(days)
        result.append(
            WaitingTimeRow(
                group=key,
                requests=len(ordered),
                median_days=percentile(ordered, 0.5),
                p25_days=percentile(ordered, 0.25),
                p75_days=percentile(ordered, 0.75),
                p90_days=percentile(ordered, 0.9),
                max_days=ordered[-1],
            )
        )
    return sorted(result, key=lambda row: (row.group is None, row.group or ""))


# Utilisation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class UtilisationRow:
    """How much of its time in service one device spent on loan within a period."""

    device_id: int
    asset_tag: str
    kind: str
    days_on_loan: int
    days_in_service: int

    @property
    def utilisation(self) -> float | None:
        """Share of days in service spent on loan (0–1), or ``None`` if never in service."""
        return None if self.days_in_service == 0 else self.days_on_loan / self.days_in_service


@dataclass(frozen=True)
class KindUtilisationRow:
    """Utilisation of all devices of one kind."""

    kind: str
    devices: int
    days_on_loan: int
    days_in_service: int

    @property
    def utilisation(self) -> float | None:
        """Share of device-days in service spent on loan (0–1)."""
        return None if self.days_in_service == 0 else self.days_on_loan / self.days_in_service


def _overlap_days(first: date, stop: date, start: date, end_exclusive: date) -> int:
    return max(0, (min(stop, end_exclusive) - max(first, start)).days)


def utilisation(session: Session, *, start: date, end: date) -> list[UtilisationRow]:
    """Return, per device, days on loan and days in service from ``start`` to ``end`` inclusive.

    A device is in service from the day it was received until the day it was retired, or was
    lost if it is still lost; time in repair counts as in service, since the device is the
    scheme's to use.  Devices never in service in the period are left out.
    """
    if end < start:
        raise ValueError("end must be on or after start")
    end_exclusive = end + timedelta(days=1)
    out_of_service: dict[int, date] = {}
    gone = session.execute(
        select(DeviceEvent.device_id, func.max(DeviceEvent.at))
        .join(Device, Device.id == DeviceEvent.device_id)
        .where(
            Device.status.in_((DeviceStatus.RETIRED, DeviceStatus.LOST)),
            DeviceEvent.to_status == Device.status,
        )
        .group_by(DeviceEvent.device_id)
    )
    for device_id, moment in gone:
        out_of_service[device_id] = to_london(moment).date()
    loan_days: dict[int, int] = defaultdict(int)
    items = session.execute(
        select(LoanItem.device_id, Loan.issued_on, LoanItem.closed_on)
        .join(Loan, Loan.id == LoanItem.loan_id)
        .where(Loan.issued_on < end_exclusive)
    )
    for device_id, issued_on, closed_on in items:
        loan_days[device_id] += _overlap_days(
            issued_on, closed_on or end_exclusive, start, end_exclusive
        )
    rows = []
    devices = session.execute(
        select(Device.id, Device.asset_tag, Device.kind, Device.received_on).order_by(
            Device.asset_tag
        )
    )
    for device_id, asset_tag, kind, received_on in devices:
        in_service = _overlap_days(
            received_on, out_of_service.get(device_id, end_exclusive), start, end_exclusive
        )
        if in_service == 0:
            continue
        rows.append(
            UtilisationRow(
                device_id=device_id,
                asset_tag=asset_tag,
                kind=kind,
                days_on_loan=min(loan_days.get(device_id, 0), in_service),
                days_in_service=in_service,
            )
        )
    return rows


def utilisation_by_kind(rows: Iterable[UtilisationRow]) -> list[KindUtilisationRow]:
    """Add up per-device utilisation rows by device kind, in kind order."""
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in rows:
        total = totals[row.kind]
        total[0] += 1
        total[1] += row.days_on_loan
        total[2] += row.days_in_service
    return [
        KindUtilisationRow(kind, devices, on_loan, in_service)
        for kind, (devices, on_loan, in_service) in sorted(totals.items())
    ]


# Outcomes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutcomeRow:
    """How loans that ended in a period ended: back on time, back late, or lost."""

    group: str | None
    returned_on_time: int
    returned_late: int
    lost: int

    @property
    def total(self) -> int:
        """All loans that ended."""
        return self.returned_on_time + self.returned_late + self.lost


def loan_outcomes(
    session: Session, *, start: date, end: date, by: str | None = None
) -> list[OutcomeRow]:
    """Return outcomes of loans closed from ``start`` to ``end``, optionally split ``by`` a column.

    A return is late when it came back after the final due date (renewals included).
    """
    _check_grouping(by)
    if end < start:
        raise ValueError("end must be on or after start")
    rows = session.execute(
        select(
            Loan.status,
            Loan.closed_on,
            Loan.due_on,
            Loan.item_kind,
            LoanRequest.ward_code,
            LoanRequest.borrower_type,
        )
        .join(LoanRequest, LoanRequest.id == Loan.request_id)
        .where(
            Loan.status.in_((LoanStatus.RETURNED, LoanStatus.LOST)),
            Loan.closed_on >= start,
            Loan.closed_on <= end,
        )
    )
    counts: dict[str | None, list[int]] = defaultdict(lambda: [0, 0, 0])
    for status, closed_on, due_on, item_kind, ward_code, borrower_type in rows:
        key = {
            None: None,
            "ward_code": ward_code,
            "borrower_type": borrower_type,
            "item_kind": item_kind,
        }[by]
        tally = counts[key]
        if status == LoanStatus.LOST:
            tally[2] += 1
        elif closed_on is not None and closed_on > due_on:
            tally[1] += 1
        else:
            tally[0] += 1
    result = [OutcomeRow(key, *tally) for key, tally in counts.items()]
    return sorted(result, key=lambda row: (row.group is None, row.group or ""))


__all__ = [
    "GROUPINGS",
    "KindUtilisationRow",
    "OutcomeRow",
    "UtilisationRow",
    "WaitingTimeRow",
    "WardLoansRow",
    "devices_out_by_ward",
    "loan_outcomes",
    "percentile",
    "utilisation",
    "utilisation_by_kind",
    "waiting_times",
]
