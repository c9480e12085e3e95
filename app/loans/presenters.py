"""Records and figures of device and data loans shaped for pages and CSV downloads.

Lookups by public id (the only ids that appear in URLs), labels and tag colours, the audit trail
of a device, the items-out lists, and the reports with small-number suppression for roles that
only see published figures (``core.suppression``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.places.models import Area
from champions.models import Champion
from core.suppression import (
    CONFIDENTIAL_MARKER,
    SUPPRESSION_NOTE,
    format_count,
    is_small,
    suppression_flags,
)
from device_loans import reports
from device_loans.config import DEVICE_KIND_LABELS, LoanPolicy
from device_loans.models import Device, DeviceEvent, Kit, Loan, LoanRequest
from device_loans.rules import (
    DEVICE_STATUS_LABELS,
    OPEN_LOAN_STATUSES,
    REQUEST_STATUS_LABELS,
    WIPE_METHODS,
    DeviceStatus,
    KitStatus,
    LoanStatus,
    RequestStatus,
)

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

DEVICE_TAG_CLASSES: Mapping[str, str] = {
    DeviceStatus.RECEIVED: "govuk-tag--grey",
    DeviceStatus.WIPED: "govuk-tag--light-blue",
    DeviceStatus.SET_UP: "govuk-tag--turquoise",
    DeviceStatus.READY: "govuk-tag--green",
    DeviceStatus.ON_LOAN: "govuk-tag--blue",
    DeviceStatus.RETURNED: "govuk-tag--yellow",
    DeviceStatus.IN_REPAIR: "govuk-tag--orange",
    DeviceStatus.RETIRED: "govuk-tag--grey",
    DeviceStatus.LOST: "govuk-tag--red",
}
REQUEST_TAG_CLASSES: Mapping[str, str] = {
    RequestStatus.SUBMITTED: "govuk-tag--grey",
    RequestStatus.ELIGIBLE: "govuk-tag--light-blue",
    RequestStatus.INELIGIBLE: "govuk-tag--grey",
    RequestStatus.WAITING: "govuk-tag--yellow",
    RequestStatus.APPROVED: "govuk-tag--green",
    RequestStatus.DECLINED: "govuk-tag--red",
    RequestStatus.WITHDRAWN: "govuk-tag--grey",
    RequestStatus.FULFILLED: "govuk-tag--blue",
}
LOAN_STATUS_LABELS: Mapping[str, str] = {
    LoanStatus.ACTIVE: "on loan",
    LoanStatus.OVERDUE: "overdue",
    LoanStatus.RETURNED: "returned",
    LoanStatus.LOST: "lost",
}
LOAN_TAG_CLASSES: Mapping[str, str] = {
    LoanStatus.ACTIVE: "govuk-tag--blue",
    LoanStatus.OVERDUE: "govuk-tag--red",
    LoanStatus.RETURNED: "govuk-tag--green",
    LoanStatus.LOST: "govuk-tag--grey",
}
KIT_STATUS_LABELS: Mapping[str, str] = {
    KitStatus.AVAILABLE: "available",
    KitStatus.ON_LOAN: "on loan",
    KitStatus.DISSOLVED: "broken up",
}
NEED_LABELS: Mapping[str, str] = {
    "device": "A device",
    "data": "Data",
    "both": "A device and data",
}
CONTACT_METHOD_LABELS: Mapping[str, str] = {
    "email": "Email",
    "sms": "Text message",
    "phone": "Phone call",
}
STATUS_CHOICE_LABELS: Mapping[str, str] = {
    DeviceStatus.SET_UP: "Set up: apps and settings installed",
    DeviceStatus.READY: "Ready to lend: checked, charged and packed",
    DeviceStatus.IN_REPAIR: "Sent for repair",
    DeviceStatus.RETIRED: "Retired: no longer used (recycled or disposed of)",
    DeviceStatus.LOST: "Lost",
    DeviceStatus.RETURNED: "Found: book it back in (it will need a wipe)",
}
# Statuses that have their own page (lending, wiping) or happen only once (receiving).
_DEDICATED = frozenset({DeviceStatus.ON_LOAN, DeviceStatus.WIPED, DeviceStatus.RECEIVED})


def tag(label: str, classes: str) -> dict[str, str]:
    """Parameters of a govukTag."""
    return {"text": label, "classes": classes}


def device_tag(status: str) -> dict[str, str]:
    """The coloured tag of a device status."""
    return tag(
        DEVICE_STATUS_LABELS.get(status, status).capitalize(), DEVICE_TAG_CLASSES.get(status, "")
    )


def request_tag(status: str) -> dict[str, str]:
    """The coloured tag of a request status."""
    return tag(
        REQUEST_STATUS_LABELS.get(status, status).capitalize(), REQUEST_TAG_CLASSES.get(status, "")
    )


def loan_tag(status: str) -> dict[str, str]:
    """The coloured tag of a loan status."""
    return tag(
        LOAN_STATUS_LABELS.get(status, status).capitalize(), LOAN_TAG_CLASSES.get(status, "")
    )


def kind_label(kind: str) -> str:
    """What an item kind is called on pages (``"kit"`` included)."""
    return "Kit" if kind == "kit" else DEVICE_KIND_LABELS.get(kind, kind)


def loan_item_label(loan: Loan) -> str:
    """The item of a loan for people: ``Kit KIT-001 (Tablet, charger and Mi-Fi)`` or a device."""
    if loan.kit is not None:
        return f"Kit {loan.kit.code} ({loan.kit.name})"
    if loan.device is not None:
        return loan.device.label
    return kind_label(loan.item_kind)


# --- lookups by public id -----------------------------------------------------------------------


def find_device(session: Session, public_id: str) -> Device | None:
    """The device with this public id, or ``None``."""
    return session.scalar(select(Device).where(Device.public_id == public_id))


def find_kit(session: Session, public_id: str) -> Kit | None:
    """The kit with this public id, or ``None``."""
    return session.scalar(select(Kit).where(Kit.public_id == public_id))


def find_request(session: Session, public_id: str) -> LoanRequest | None:
    """The request with this public id, or ``None``."""
    return session.scalar(select(LoanRequest).where(LoanRequest.public_id == public_id))


def find_loan(session: Session, public_id: str) -> Loan | None:
    """The loan with this public id, or ``None``."""
    return session.scalar(select(Loan).where(Loan.public_id == public_id))


def find_request_by_key(session: Session, key: str) -> LoanRequest | None:
    """The request sent with this one-time form token, or ``None``."""
    return session.scalar(select(LoanRequest).where(LoanRequest.idempotency_key == key))


def ward_choices(session: Session) -> list[tuple[str, str]]:
    """Stored wards as ``(code, name)``, in name order (one row per code)."""
    rows = session.execute(
        select(Area.code, Area.name).where(Area.kind == "ward").order_by(Area.name, Area.code)
    ).all()
    seen: dict[str, str] = {}
    for code, name in rows:
        seen.setdefault(code, name or code)
    return sorted(seen.items(), key=lambda item: (item[1], item[0]))


def ward_names(session: Session) -> dict[str, str]:
    """Ward code -> ward name for the stored wards."""
    return dict(ward_choices(session))


def user_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """Staff account id -> full name, for the ids given."""
    wanted = {value for value in ids if value is not None}
    if not wanted:
        return {}
    return {
        user_id: name
        for user_id, name in session.execute(
            select(User.id, User.full_name).where(User.id.in_(wanted))
        )
    }


def champion_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """Champion id -> full name, for the ids given."""
    wanted = {value for value in ids if value is not None}
    if not wanted:
        return {}
    return {
        champion_id: name
        for champion_id, name in session.execute(
            select(Champion.id, Champion.full_name).where(Champion.id.in_(wanted))
        )
    }


def active_champions(session: Session) -> list[tuple[int, str]]:
    """Active champions as ``(id, name)`` in name order."""
    return [
        (champion_id, name)
        for champion_id, name in session.execute(
            select(Champion.id, Champion.full_name)
            .where(Champion.active.is_(True))
            .order_by(Champion.full_name, Champion.id)
        )
    ]


# --- devices ------------------------------------------------------------------------------------


def next_statuses(device: Device) -> list[tuple[str, str]]:
    """Status changes the device-status page offers now, as ``(status, label)``."""
    from device_loans.rules import DEVICE_TRANSITIONS

    if device.status == DeviceStatus.ON_LOAN:
        return []  # a loan's devices change through the loan: its return, or its loss
    allowed = DEVICE_TRANSITIONS.get(device.status, frozenset())
    return [
        (status, label)
        for status, label in STATUS_CHOICE_LABELS.items()
        if status in allowed and status not in _DEDICATED
    ]


def can_wipe(device: Device) -> bool:
    """Whether a wipe can be recorded for the device now."""
    from device_loans.rules import DEVICE_TRANSITIONS

    return DeviceStatus.WIPED in DEVICE_TRANSITIONS.get(device.status, frozenset())


@dataclass(frozen=True)
class EventRow:
    """One line of a device's audit trail."""

    at: Any
    change: str
    by: str
    note: str
    wipe: str
    loan_public_id: str | None


def device_events(session: Session, device: Device) -> list[EventRow]:
    """The device's audit trail, newest first, with who did what."""
    events = list(
        session.scalars(
            select(DeviceEvent)
            .where(DeviceEvent.device_id == device.id)
            .order_by(DeviceEvent.at.desc(), DeviceEvent.id.desc())
        )
    )
    names = user_names(session, (event.actor_id for event in events))
    loan_ids = {event.loan_id for event in events if event.loan_id is not None}
    loans = (
        dict(session.execute(select(Loan.id, Loan.public_id).where(Loan.id.in_(loan_ids))).all())
        if loan_ids
        else {}
    )
    rows = []
    for event in events:
        before = DEVICE_STATUS_LABELS.get(event.from_status or "", event.from_status or "")
        after = DEVICE_STATUS_LABELS.get(event.to_status, event.to_status)
        if event.from_status is None:
            change = f"Added to the inventory ({after})"
        elif event.from_status == event.to_status:
            change = "No change of status"
        else:
            change = f"{before.capitalize()} to {after}"
        wipe = ""
        if event.wipe_certificate_ref:
            method = WIPE_METHODS.get(event.wipe_method or "", event.wipe_method or "")
            wipe = (
                f"{event.wipe_certificate_ref} ({method})" if method else event.wipe_certificate_ref
            )
        rows.append(
            EventRow(
                at=event.at,
                change=change,
                by=names.get(event.actor_id, "Automatic") if event.actor_id else "Not recorded",
                note=event.note or "",
                wipe=wipe,
                loan_public_id=loans.get(event.loan_id) if event.loan_id else None,
            )
        )
    return rows


def inventory_counts(session: Session) -> dict[str, int]:
    """How many devices are in each status."""
    return {
        status: int(count)
        for status, count in session.execute(
            select(Device.status, func.count()).group_by(Device.status)
        )
    }


def locations(session: Session) -> list[str]:
    """The places devices are kept, in order."""
    return [
        str(place)
        for place in session.scalars(select(Device.location).distinct().order_by(Device.location))
    ]


def filtered_devices(
    session: Session,
    *,
    kind: str | None,
    status: str | None,
    condition: str | None,
    location: str | None,
) -> list[Device]:
    """Devices matching the inventory filters, in asset-tag order."""
    query = select(Device).order_by(Device.asset_tag)
    if kind:
        query = query.where(Device.kind == kind)
    if status:
        query = query.where(Device.status == status)
    if condition:
        query = query.where(Device.condition == condition)
    if location:
        query = query.where(Device.location == location)
    return list(session.scalars(query))


def list_kits(session: Session, *, include_dissolved: bool = False) -> list[Kit]:
    """Kits in code order (broken-up kits left out unless asked)."""
    query = select(Kit).order_by(Kit.code)
    if not include_dissolved:
        query = query.where(Kit.status != KitStatus.DISSOLVED)
    return list(session.scalars(query))


# --- requests and loans -------------------------------------------------------------------------


def requests_in(session: Session, statuses: Iterable[str]) -> list[LoanRequest]:
    """Requests in ``statuses``, oldest first."""
    return list(
        session.scalars(
            select(LoanRequest)
            .where(LoanRequest.status.in_(list(statuses)))
            .order_by(LoanRequest.submitted_at, LoanRequest.id)
        )
    )


def recent_closed_requests(session: Session, *, limit: int = 50) -> list[LoanRequest]:
    """The most recently closed requests (declined, withdrawn, not eligible, fulfilled)."""
    return list(
        session.scalars(
            select(LoanRequest)
            .where(
                LoanRequest.status.in_(
                    [
                        RequestStatus.DECLINED,
                        RequestStatus.WITHDRAWN,
                        RequestStatus.INELIGIBLE,
                        RequestStatus.FULFILLED,
                    ]
                )
            )
            .order_by(LoanRequest.closed_at.desc(), LoanRequest.id.desc())
            .limit(limit)
        )
    )


def referrals_of(session: Session, champion_id: int) -> list[LoanRequest]:
    """Requests one champion referred, newest first."""
    return list(
        session.scalars(
            select(LoanRequest)
            .where(LoanRequest.referred_by_champion_id == champion_id)
            .order_by(LoanRequest.submitted_at.desc(), LoanRequest.id.desc())
        )
    )


def decisions_for(status: str) -> list[str]:
    """Decisions a coordinator can make on a request in ``status``."""
    from device_loans.rules import REQUEST_TRANSITIONS

    allowed = REQUEST_TRANSITIONS.get(status, frozenset())
    return [
        decision
        for decision in (
            RequestStatus.APPROVED,
            RequestStatus.WAITING,
            RequestStatus.DECLINED,
            RequestStatus.WITHDRAWN,
        )
        if decision in allowed
    ]


def can_lend_against(request: LoanRequest) -> bool:
    """Whether an item may be lent against the request now."""
    from device_loans.rules import LENDABLE_REQUEST_STATUSES

    return request.status in LENDABLE_REQUEST_STATUSES and request.purged_at is None


def items_out(session: Session, *, show: str, today: date, soon_days: int) -> list[Loan]:
    """Open loans: ``overdue`` (past their due date), ``due_soon`` (within ``soon_days``) or ``all``."""
    query = select(Loan).where(Loan.status.in_(OPEN_LOAN_STATUSES)).order_by(Loan.due_on, Loan.id)
    if show == "overdue":
        query = query.where(Loan.due_on < today)
    elif show == "due_soon":
        query = query.where(Loan.due_on >= today, Loan.due_on <= today + timedelta(days=soon_days))
    return list(session.scalars(query))


def loan_counts(session: Session, *, today: date, soon_days: int) -> dict[str, int]:
    """How many items are out, overdue and due soon."""
    open_loans = Loan.status.in_(OPEN_LOAN_STATUSES)

    def count(*conditions: Any) -> int:
        return int(
            session.scalar(select(func.count()).select_from(Loan).where(open_loans, *conditions))
            or 0
        )

    return {
        "out": count(),
        "overdue": count(Loan.due_on < today),
        "due_soon": count(Loan.due_on >= today, Loan.due_on <= today + timedelta(days=soon_days)),
    }


# --- eligibility, as a resident reads it --------------------------------------------------------


def kind_reasons(reasons: Sequence[str], policy: LoanPolicy, *, own: bool) -> list[str]:
    """The domain's refusal reasons reworded for the resident (``own``) or the referrer."""
    you = "you" if own else "the resident"
    your = "your" if own else "their"
    kinder = []
    for reason in reasons:
        if reason.startswith("Aged under"):
            kinder.append(
                f"The scheme lends to people aged {policy.minimum_age} or over, and {you} told us "
                f"{'you are' if own else 'they are'} younger."
            )
        elif reason.startswith("Already has a suitable device and"):
            kinder.append(
                f"{you.capitalize()} already {'have' if own else 'has'} a suitable device and an "
                "internet connection at home. The scheme is for people without them."
            )
        elif reason.startswith("Already has a suitable device"):
            kinder.append(
                f"{you.capitalize()} already {'have' if own else 'has'} a suitable device at home. "
                "The scheme lends devices to people without one."
            )
        elif reason.startswith("Already has an internet connection"):
            kinder.append(
                f"{you.capitalize()} already {'have' if own else 'has'} an internet connection at "
                "home. The scheme lends data to people without one."
            )
        elif reason.startswith("Neither on a low income"):
            kinder.append(
                f"The scheme is for households on a low income or getting one of the listed "
                f"benefits, and {you} told us {your} household is not."
            )
        else:
            kinder.append(reason)
    return kinder


# --- reports ------------------------------------------------------------------------------------


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (the month's last day if it is shorter)."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    return date(year, month, 28)


def csv_cell(value: object) -> object:
    """A CSV cell that a spreadsheet will not run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


@dataclass(frozen=True)
class Table:
    """A report table: headings, rows of cells for the page, and rows of cells for CSV."""

    caption: str
    head: list[str]
    numeric: list[bool]
    rows: list[list[str]]
    csv_rows: list[list[object]]
    note: str | None = None


def _shown_counts(
    rows: Sequence[Sequence[int]],
    *,
    detail: bool,
    threshold: int,
    total_column: int | None = None,
    total_row: int | None = None,
) -> tuple[list[list[str]], list[list[object]]]:
    """Counts as page text and CSV cells; hidden where suppression requires it."""
    if detail or not rows:
        page = [[f"{value:,}" for value in row] for row in rows]
        return page, [list(row) for row in rows]
    hidden = suppression_flags(
        [list(row) for row in rows],
        threshold=threshold,
        total_column=total_column,
        total_row=total_row,
    )
    page_rows: list[list[str]] = []
    csv_rows: list[list[object]] = []
    for row, flags in zip(rows, hidden, strict=True):
        # A small count says "fewer than 10"; a count hidden only to protect another says
        # "not shown", since it may be large.
        page_rows.append(
            [
                "not shown"
                if hide and not is_small(value, threshold=threshold)
                else format_count(value, threshold=threshold)
                for value, hide in zip(row, flags, strict=True)
            ]
        )
        csv_rows.append(
            [
                CONFIDENTIAL_MARKER if hide else format_count(value, threshold=threshold, csv=True)
                for value, hide in zip(row, flags, strict=True)
            ]
        )
    return page_rows, csv_rows


def devices_out_table(session: Session, *, on: date, detail: bool, threshold: int) -> Table:
    """Items out per ward at the end of ``on``, with a total row."""
    names = ward_names(session)
    found = {row.ward_code: row for row in reports.devices_out_by_ward(session, on=on)}
    codes = sorted(names, key=lambda code: names[code])
    extra = sorted(code for code in found if code is not None and code not in names)
    labels: list[tuple[str | None, str]] = [(code, names[code]) for code in codes]
    labels += [(code, code) for code in extra]
    if None in found:
        labels.append((None, "Ward not known"))
    counts = [
        [
            found[code].loans_out if code in found else 0,
            found[code].devices_out if code in found else 0,
        ]
        for code, _label in labels
    ]
    total = [sum(row[0] for row in counts), sum(row[1] for row in counts)]
    page, csv_counts = _shown_counts(
        [*counts, total], detail=detail, threshold=threshold, total_row=len(counts)
    )
    rows = [[label, *cells] for (_code, label), cells in zip(labels, page, strict=False)]
    rows.append(["All wards", *page[-1]])
    csv_rows: list[list[object]] = [
        [csv_cell(code or ""), csv_cell(label), *cells]
        for (code, label), cells in zip(labels, csv_counts, strict=False)
    ]
    csv_rows.append(["", "All wards", *csv_counts[-1]])
    return Table(
        caption="Loans and devices out per ward",
        head=["Ward", "Loans out", "Devices out"],
        numeric=[False, True, True],
        rows=rows,
        csv_rows=csv_rows,
        note="A kit counts as one loan and as one device per item in it.",
    )


def waiting_table(
    session: Session,
    *,
    start: date,
    end: date,
    detail: bool,
    threshold: int,
    borrower_types: Mapping[str, str],
) -> Table:
    """Days from request to first item lent, for the scheme and per borrower type."""
    overall = reports.waiting_times(session, start=start, end=end)
    by_type = reports.waiting_times(session, start=start, end=end, by="borrower_type")
    types = borrower_types
    rows: list[list[str]] = []
    csv_rows: list[list[object]] = []
    for label, row in [("All requests", overall[0] if overall else None)] + [
        (types.get(item.group or "", item.group or "Not known"), item) for item in by_type
    ]:
        if row is None:
            rows.append([label, "0", "", "", "", ""])
            csv_rows.append([label, 0, "", "", "", ""])
            continue
        stats = [row.median_days, row.p75_days, row.p90_days, float(row.max_days)]
        if detail or row.requests >= threshold:
            rows.append([label, f"{row.requests:,}", *(f"{value:,.0f}" for value in stats)])
            csv_rows.append([csv_cell(label), row.requests, *(round(value, 1) for value in stats)])
        else:
            rows.append(
                [label, format_count(row.requests, threshold=threshold), *(["not shown"] * 4)]
            )
            csv_rows.append([csv_cell(label), CONFIDENTIAL_MARKER, *([CONFIDENTIAL_MARKER] * 4)])
    return Table(
        caption="Waiting times, in days, from request to first item lent",
        head=["Group", "Requests served", "Median", "3 in 4 within", "9 in 10 within", "Longest"],
        numeric=[False, True, True, True, True, True],
        rows=rows,
        csv_rows=csv_rows,
        note="Requests whose first item was lent in the period.",
    )


def utilisation_table(session: Session, *, start: date, end: date) -> Table:
    """Share of time in service each kind of device spent on loan."""
    by_kind = reports.utilisation_by_kind(reports.utilisation(session, start=start, end=end))
    rows = []
    csv_rows: list[list[object]] = []
    for row in by_kind:
        share = row.utilisation
        rows.append(
            [
                kind_label(row.kind),
                f"{row.devices:,}",
                f"{row.days_on_loan:,}",
                f"{row.days_in_service:,}",
                "not in service" if share is None else f"{share:.0%}",
            ]
        )
        csv_rows.append(
            [
                kind_label(row.kind),
                row.devices,
                row.days_on_loan,
                row.days_in_service,
                "" if share is None else round(share, 4),
            ]
        )
    return Table(
        caption="Utilisation: share of days in service spent on loan",
        head=["Kind", "Devices", "Days on loan", "Days in service", "Utilisation"],
        numeric=[False, True, True, True, True],
        rows=rows,
        csv_rows=csv_rows,
        note="Devices are in service from the day they arrive until they are retired or lost.",
    )


def outcomes_table(
    session: Session, *, start: date, end: date, detail: bool, threshold: int
) -> Table:
    """How loans that ended in the period ended, per kind of item, with totals."""
    by_kind = reports.loan_outcomes(session, start=start, end=end, by="item_kind")
    labels = [kind_label(row.group or "") for row in by_kind]
    counts = [[row.returned_on_time, row.returned_late, row.lost, row.total] for row in by_kind]
    totals = [sum(row[i] for row in counts) for i in range(4)]
    page, csv_counts = _shown_counts(
        [*counts, totals],
        detail=detail,
        threshold=threshold,
        total_column=3,
        total_row=len(counts),
    )
    rows = [[label, *cells] for label, cells in zip(labels, page, strict=False)]
    rows.append(["All items", *page[-1]])
    csv_rows: list[list[object]] = [
        [csv_cell(label), *cells] for label, cells in zip(labels, csv_counts, strict=False)
    ]
    csv_rows.append(["All items", *csv_counts[-1]])
    return Table(
        caption="How loans ended",
        head=["Item", "Back on time", "Back late", "Lost", "All ended"],
        numeric=[False, True, True, True, True],
        rows=rows,
        csv_rows=csv_rows,
        note="Loans that ended in the period. Late means after the final due date, renewals included.",
    )


REPORTS = ("devices-out", "waiting-times", "utilisation", "outcomes")
"""The reports that can be downloaded as CSV."""


def report_table(
    session: Session,
    name: str,
    *,
    start: date,
    end: date,
    detail: bool,
    threshold: int,
    borrower_types: Mapping[str, str],
) -> Table:
    """One report by its download name."""
    if name == "devices-out":
        return devices_out_table(session, on=end, detail=detail, threshold=threshold)
    if name == "waiting-times":
        return waiting_table(
            session,
            start=start,
            end=end,
            detail=detail,
            threshold=threshold,
            borrower_types=borrower_types,
        )
    if name == "utilisation":
        return utilisation_table(session, start=start, end=end)
    if name == "outcomes":
        return outcomes_table(session, start=start, end=end, detail=detail, threshold=threshold)
    raise KeyError(name)


def table_csv(table: Table, *, title: str, detail: bool, threshold: int) -> str:
    """A report table as CSV text (with a byte order mark, so spreadsheets read it as UTF-8)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([f"# {title}"])
    if table.note:
        writer.writerow([f"# {table.note}"])
    if not detail:
        writer.writerow([f"# {SUPPRESSION_NOTE.format(threshold=threshold)}"])
    head = list(table.head)
    if table.caption.startswith("Loans and devices out"):
        head = ["Ward code", *head]
    writer.writerow(head)
    for row in table.csv_rows:
        writer.writerow([csv_cell(cell) for cell in row])
    return "\ufeff" + buffer.getvalue()
