"""Staff pages of device and data loans (``/loans/...``).

Coordinators (and administrators) keep the inventory, make kits, work the waiting list, lend,
renew and take back items, and record wipes.  Champions refer residents through the same
questions residents answer.  Coordinators, planners, administrators and councillors read the
reports; councillors see published figures only (small numbers suppressed).

Every change is a POST, then a redirect.  A service's ``DomainError`` is shown on the form field
it names and nothing is saved (the request's transaction is rolled back).
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from app.access import has_role, roles_allowed
from app.auth.roles import ADMIN, CHAMPION, COORDINATOR, COUNCILLOR, PLANNER, STAFF_DETAIL_ROLES
from app.database import db_session
from app.forms import ConfirmForm
from app.loans import journey, presenters
from app.loans.config import agreement_version, loan_policy
from app.loans.forms import (
    DECISION_LABELS,
    ConditionForm,
    DecisionForm,
    DeviceForm,
    InventoryFilterForm,
    IssueConfirmForm,
    IssueForm,
    KitAddForm,
    KitForm,
    KitRemoveForm,
    LostForm,
    ReferenceForm,
    ReportPeriodForm,
    ReturnByTagForm,
    ReturnForm,
    StatusForm,
    WipeForm,
    apply_error,
    decimal_number,
    kind_choices,
    split_tags,
)
from champions import services as champion_services
from core.clock import now_utc, to_utc, today_london
from core.errors import DomainError, NotFound
from core.references import format_reference
from device_loans import services
from device_loans.config import DEVICE_KIND_LABELS
from device_loans.models import Device, Kit, Loan, LoanRequest
from device_loans.rules import (
    CONDITIONS,
    DEVICE_STATUS_LABELS,
    REQUEST_STATUS_LABELS,
    WAITING_LIST_STATUSES,
    DeviceStatus,
    KitStatus,
    RequestStatus,
)

bp = Blueprint("loans", __name__, url_prefix="/loans")

MANAGE = (COORDINATOR, ADMIN)
REFER = (CHAMPION, COORDINATOR, ADMIN)
REPORT = (COORDINATOR, PLANNER, ADMIN, COUNCILLOR)
PAGE_SIZE = 50
MODE = journey.REFERRAL


def _user_id() -> int:
    return int(current_user.id)


def _now_and_today() -> tuple[datetime, date]:
    now = now_utc()
    return now, today_london()


def _moment_on(day: date, now: datetime) -> datetime:
    """A moment on ``day`` for a service that records a time: now if today, else midday."""
    if day == today_london():
        return now
    return to_utc(datetime.combine(day, time(12, 0)))


def _shown_first(**values: Any) -> dict[str, Any] | None:
    """Values a form starts with when first shown; a sent form keeps only what was sent."""
    return values if request.method == "GET" else None


def _device_or_404(public_id: str) -> Device:
    device = presenters.find_device(db_session(), public_id)
    if device is None:
        abort(404)
    return device


def _kit_or_404(public_id: str) -> Kit:
    kit = presenters.find_kit(db_session(), public_id)
    if kit is None:
        abort(404)
    return kit


def _request_or_404(public_id: str) -> LoanRequest:
    loan_request = presenters.find_request(db_session(), public_id)
    if loan_request is None:
        abort(404)
    return loan_request


def _loan_or_404(public_id: str) -> Loan:
    loan = presenters.find_loan(db_session(), public_id)
    if loan is None:
        abort(404)
    return loan


def _fail(form: Any, error: DomainError, renames: dict[str, str] | None = None) -> None:
    db_session().rollback()
    apply_error(form, error, renames=renames)


# --- overview -----------------------------------------------------------------------------------


@bp.route("")
@roles_allowed(*MANAGE)
def index() -> str:
    """What needs doing today: requests waiting, items due and overdue, devices to wipe."""
    database = db_session()
    today = today_london()
    soon = int(current_app.config.get("LOAN_DUE_SOON_DAYS", 7))
    return render_template(
        "loans/index.html",
        counts=presenters.inventory_counts(database),
        loans=presenters.loan_counts(database, today=today, soon_days=soon),
        waiting=len(presenters.requests_in(database, WAITING_LIST_STATUSES)),
        approved=len(presenters.requests_in(database, [RequestStatus.APPROVED])),
        soon_days=soon,
        labels=DEVICE_STATUS_LABELS,
    )


# --- inventory ----------------------------------------------------------------------------------


@bp.route("/devices")
@roles_allowed(*MANAGE)
def devices() -> str:
    """The inventory, filtered by kind, status, condition and where devices are kept."""
    database = db_session()
    filters = InventoryFilterForm(formdata=request.args)
    filters.kind.choices = [("", "Any kind"), *kind_choices()]
    filters.status.choices = [
        ("", "Any status"),
        *((status.value, DEVICE_STATUS_LABELS[status].capitalize()) for status in DeviceStatus),
    ]
    filters.condition.choices = [("", "Any condition"), *((c, c.capitalize()) for c in CONDITIONS)]
    filters.location.choices = [("", "Anywhere"), *((p, p) for p in presenters.locations(database))]
    filters.validate()
    for field in (filters.kind, filters.status, filters.condition, filters.location):
        if field.errors:  # a filter that is not in the list (an old link) is just ignored
            field.errors = []
            field.data = ""
    chosen = {
        name: getattr(filters, name).data or None
        for name in ("kind", "status", "condition", "location")
    }
    found = presenters.filtered_devices(database, **chosen)
    pages = max(1, math.ceil(len(found) / PAGE_SIZE))
    try:
        page = min(max(1, int(request.args.get("page", "1"))), pages)
    except ValueError:
        page = 1
    shown = found[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    query = {key: value for key, value in chosen.items() if value}
    return render_template(
        "loans/devices.html",
        filters=filters,
        devices=shown,
        total=len(found),
        page=page,
        pages=pages,
        page_url=lambda number: url_for("loans.devices", page=number, **query),
        device_tag=presenters.device_tag,
        kind_labels=DEVICE_KIND_LABELS,
        filtered=bool(query),
    )


@bp.route("/devices/new", methods=["GET", "POST"])
@roles_allowed(*MANAGE)
def add_device() -> str | BaseResponse:
    """Add a device: bought new, or taken in as a donation or from a recycler."""
    source = request.args.get("source")
    form = DeviceForm(
        data=_shown_first(
            received_on=today_london(),
            source=source if source in ("donated", "recycled") else None,
        )
    )
    if form.validate_on_submit():
        database = db_session()
        now, today = _now_and_today()
        try:
            device = services.register_device(
                database,
                services.NewDevice(
                    asset_tag=form.asset_tag.data or "",
                    kind=form.kind.data or "",
                    make=form.make.data or "",
                    model=form.model.data or "",
                    condition=form.condition.data or "",
                    location=form.location.data or "",
                    source=form.source.data or "",
                    received_on=form.received_on.data or today,
                    serial_number=form.serial_number.data or None,
                    donor=form.donor.data or None,
                    data_allowance_gb=decimal_number(form.data_allowance_gb),
                    data_unlimited=bool(form.data_unlimited.data),
                    data_expires_on=form.data_expires_on.data,
                    network=form.network.data or None,
                ),
                by=_user_id(),
                now=now,
                today=today,
            )
        except DomainError as error:
            _fail(form, error)
        else:
            database.commit()
            next_step = (
                "It must be wiped before it can be lent."
                if device.needs_wipe
                else "Mark it ready to lend when it is set up."
            )
            flash(f"{device.label} added to the inventory. {next_step}")
            return redirect(url_for("loans.device", public_id=device.public_id))
    return render_template(
        "loans/form_page.html",
        form=form,
        title="Add a device",
        caption="Inventory",
        intro="Use this for devices bought new, donated, or taken in from a recycler.",
        back=url_for("loans.devices"),
        field_params={
            "asset_tag": {"classes": "govuk-input--width-10", "spellcheck": False},
            "serial_number": {"spellcheck": False},
            "data_allowance_gb": {
                "classes": "govuk-input--width-5",
                "attributes": {"inputmode": "decimal"},
                "suffix": {"text": "GB"},
            },
        },
        action=url_for("loans.add_device"),
    )


@bp.route("/devices/<public_id>")
@roles_allowed(*MANAGE)
def device(public_id: str) -> str:
    """One device: its details, what can be done next, and its audit trail."""
    database = db_session()
    item = _device_or_404(public_id)
    open_loan = services.find_open_loan_for_device(database, item.id)
    return render_template(
        "loans/device.html",
        device=item,
        status_tag=presenters.device_tag(item.status),
        events=presenters.device_events(database, item),
        open_loan=open_loan,
        can_wipe=presenters.can_wipe(item),
        next_statuses=presenters.next_statuses(item),
        kind_label=DEVICE_KIND_LABELS.get(item.kind, item.kind),
        source_labels={"purchased": "Bought new", "donated": "Donated", "recycled": "Recycled"},
    )


@bp.route("/devices/<public_id>/wipe", methods=["GET", "POST"])
@roles_allowed(*MANAGE)
def wipe(public_id: str) -> str | BaseResponse:
    """Record a data wipe: certificate reference, method and date."""
    item = _device_or_404(public_id)
    form = WipeForm(data=_shown_first(wiped_at=today_london()))
    if form.validate_on_submit():
        database = db_session()
        now = now_utc()
        try:
            services.record_wipe(
                database,
                item.id,
                certificate_ref=form.certificate_ref.data or "",
                method=form.method.data or "",
                by=_user_id(),
                at=_moment_on(form.wiped_at.data or today_london(), now),
                now=now,
                note=form.note.data or None,
            )
        except DomainError as error:
            _fail(form, error, {"asset_tag": "certificate_ref", "status": "certificate_ref"})
        else:
            database.commit()
            flash(
                f"Wipe recorded for {item.asset_tag}. It can now be set up and made ready to lend."
            )
            return redirect(url_for("loans.device", public_id=public_id))
    return render_template(
        "loans/form_page.html",
        form=form,
        title=f"Record a wipe of {item.asset_tag}",
        caption=item.label,
        intro="Record the wipe only once the device holds no personal data: reset and removed "
        "from device management, any SIM deactivated or reassigned.",
        back=url_for("loans.device", public_id=public_id),
        field_params={"certificate_ref": {"classes": "govuk-input--width-20", "spellcheck": False}},
        action=url_for("loans.wipe", public_id=public_id),
    )


@bp.route("/devices/<public_id>/status", methods=["GET", "POST"])
@roles_allowed(*MANAGE)
def device_status(public_id: str) -> str | BaseResponse:
    """Move a device along its lifecycle: set up, ready, repair, retire, lost, found."""
    item = _device_or_404(public_id)
    form = StatusForm()
    form.status.choices = presenters.next_statuses(item)
    if form.validate_on_submit():
        database = db_session()
        try:
            services.change_device_status(
                database,
                item.id,
                to_status=form.status.data or "",
                by=_user_id(),
                now=now_utc(),
                note=form.note.data or None,
            )
        except DomainError as error:
            _fail(form, error, {"asset_tag": "status"})
        else:
            database.commit()
            label = DEVICE_STATUS_LABELS.get(item.status, item.status)
            flash(f"{item.asset_tag} is now {label}.")
            return redirect(url_for("loans.device", public_id=public_id))
    return render_template(
        "loans/form_page.html",
        form=form,
        title=f"Change the status of {item.asset_tag}",
        caption=item.label,
        intro=f"It is {DEVICE_STATUS_LABELS.get(item.status, item.status)} now."
        + (
            " It is on loan: record the loan’s return, or record the loan as lost."
            if item.status == DeviceStatus.ON_LOAN
            else ""
        ),
        back=url_for("loans.device", public_id=public_id),
        field_params={},
        action=url_for("loans.device_status", public_id=public_id),
        no_choices=not form.status.choices,
    )


@bp.route("/devices/<public_id>/condition", methods=["GET", "POST"])
@roles_allowed(*MANAGE)
def device_condition(public_id: str) -> str | BaseResponse:
    """Record a device's condition and where it is kept."""
    item = _device_or_404(public_id)
    form = ConditionForm(data=_shown_first(condition=item.condition, location=item.location))
    if form.validate_on_submit():
        database = db_session()
        try:
            services.update_device_condition(
                database, item.id, condition=form.condition.data or "", location=form.location.data
            )
        except DomainError as error:
            _fail(form, error)
        else:
            database.commit()
            flash(f"Condition and place saved for {item.asset_tag}.")
            return redirect(url_for("loans.device", public_id=public_id))
    return render_template(
        "loans/form_page.html",
        form=form,
        title=f"Condition of {item.asset_tag}",
        caption=item.label,
        intro=None,
        back=url_for("loans.device", public_id=public_id),
        field_params={},
        action=url_for("loans.device_condition", public_id=public_id),
    )


# --- kits ---------------------------------------------------------------------------------------


@bp.route("/kits")
@roles_allowed(*MANAGE)
def kits() -> str:
    """Kits (for example tablet, charger and Mi-Fi) that are lent and returned as one."""
    database = db_session()
    show_all = request.args.get("show") == "all"
    return render_template(
        "loans/kits.html",
        kits=presenters.list_kits(database, include_dissolved=show_all),
        show_all=show_all,
        labels=presenters.KIT_STATUS_LABELS,
    )


@bp.route("/kits/new", methods=["GET", "POST"])
@roles_allowed(*MANAGE)
def add_kit() -> str | BaseResponse:
    """Make a kit from devices, by their asset tags."""
    form = KitForm()
    if form.validate_on_submit():
        database = db_session()
        try:
            tags = split_tags(form.asset_tags.data)
            ids = [services.get_device_by_tag(database, tag, field="asset_tags").id for tag in tags]
            kit = services.create_kit(
                database,
                code=form.kit_code.data or "",
                name=form.name.data or "",
                device_ids=ids,
                by=_user_id(),
                now=now_utc(),
            )
        except DomainError as error:
            _fail(form, error, {"device_ids": "asset_tags"})
        else:
            database.commit()
            flash(f"Kit {kit.code} made with {len(ids)} devices.")
            return redirect(url_for("loans.kit", public_id=kit.public_id))
    return render_template(
        "loans/form_page.html",
        form=form,
        title="Make a kit",
        caption="Kits",
        intro="A kit is lent and returned as one, on the rules of the strictest item in it.",
        back=url_for("loans.kits"),
        field_params={
            "kit_code": {"classes": "govuk-input--width-10", "spellcheck": False},
            "asset_tags": {"rows": 4, "spellcheck": False},
        },
        action=url_for("loans.add_kit"),
    )


def _kit_page(kit: Kit, add_form: KitAddForm | None = None) -> str:
    database = db_session()
    open_loan = None
    if kit.status == KitStatus.ON_LOAN:
        open_loan = next(
            (loan for loan in services.list_open_loans(database) if loan.kit_id == kit.id), None
        )
    return render_template(
        "loans/kit.html",
        kit=kit,
        devices=list(kit.devices),
        add_form=add_form or KitAddForm(),
        remove_form=KitRemoveForm(),
        confirm_form=ConfirmForm(),
        open_loan=open_loan,
        status_label=presenters.KIT_STATUS_LABELS.get(kit.status, kit.status),
        device_tag=presenters.device_tag,
        form=add_form,
    )


@bp.route("/kits/<public_id>")
@roles_allowed(*MANAGE)
def kit(public_id: str) -> str:
    """One kit and its devices."""
    return _kit_page(_kit_or_404(public_id))


@bp.route("/kits/<public_id>/add", methods=["POST"])
@roles_allowed(*MANAGE)
def kit_add(public_id: str) -> str | BaseResponse:
    """Put a device in the kit by its asset tag."""
    item = _kit_or_404(public_id)
    form = KitAddForm()
    if form.validate_on_submit():
        database = db_session()
        try:
            device = services.get_device_by_tag(database, form.asset_tag.data or "")
            services.add_to_kit(database, item.id, device.id, by=_user_id(), now=now_utc())
        except DomainError as error:
            _fail(form, error, {"device_ids": "asset_tag", "kit_code": "asset_tag"})
        else:
            database.commit()
            flash(f"{device.asset_tag} added to kit {item.code}.")
            return redirect(url_for("loans.kit", public_id=public_id))
    return _kit_page(_kit_or_404(public_id), add_form=form)


@bp.route("/kits/<public_id>/remove", methods=["POST"])
@roles_allowed(*MANAGE)
def kit_remove(public_id: str) -> BaseResponse:
    """Take a device out of the kit."""
    item = _kit_or_404(public_id)
    form = KitRemoveForm()
    database = db_session()
    device = (
        presenters.find_device(database, form.device.data or "")
        if form.validate_on_submit()
        else None
    )
    if device is None:
        flash("Choose a device of this kit to take out.", "error")
        return redirect(url_for("loans.kit", public_id=public_id))
    try:
        services.remove_from_kit(database, item.id, device.id, by=_user_id(), now=now_utc())
    except DomainError as error:
        database.rollback()
        flash(error.message, "error")
    else:
        database.commit()
        flash(f"{device.asset_tag} taken out of kit {item.code}.")
    return redirect(url_for("loans.kit", public_id=public_id))


@bp.route("/kits/<public_id>/dissolve", methods=["POST"])
@roles_allowed(*MANAGE)
def kit_dissolve(public_id: str) -> BaseResponse:
    """Break up the kit: its devices become separate items again."""
    item = _kit_or_404(public_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    database = db_session()
    try:
        services.dissolve_kit(database, item.id, by=_user_id(), now=now_utc())
    except DomainError as error:
        database.rollback()
        flash(error.message, "error")
    else:
        database.commit()
        flash(f"Kit {item.code} broken up. Its devices can be lent on their own.")
    return redirect(url_for("loans.kit", public_id=public_id))


# --- requests -----------------------------------------------------------------------------------


@bp.route("/requests")
@roles_allowed(*MANAGE)
def requests() -> str | BaseResponse:
    """The waiting list, highest need first with the reasons, and approved requests to serve."""
    database = db_session()
    search = ReferenceForm(formdata=request.args if "reference" in request.args else None)
    if "reference" in request.args and search.validate():
        try:
            found = services.get_request_by_reference(database, search.reference.data or "")
        except NotFound as error:
            apply_error(search, error)
        else:
            return redirect(url_for("loans.loan_request", public_id=found.public_id))
    policy = loan_policy()
    waiting = services.list_waiting_list(
        database, policy=policy, today=today_london(), exclusion_by_ward=None
    )
    approved = presenters.requests_in(database, [RequestStatus.APPROVED])
    closed = presenters.recent_closed_requests(database, limit=20)
    return render_template(
        "loans/requests.html",
        form=search if search.errors else None,
        search=search,
        waiting=waiting,
        approved=approved,
        closed=closed,
        wards=presenters.ward_names(database),
        champions=presenters.champion_names(
            database,
            [r.request.referred_by_champion_id for r in waiting]
            + [r.referred_by_champion_id for r in approved],
        ),
        need_labels=presenters.NEED_LABELS,
        request_tag=presenters.request_tag,
        policy=policy,
    )


def _request_page(loan_request: LoanRequest, form: DecisionForm | None = None) -> str:
    database = db_session()
    policy = loan_policy()
    decisions = presenters.decisions_for(loan_request.status)
    decision_form = form or DecisionForm()
    decision_form.decision.choices = [(d, DECISION_LABELS[d]) for d in decisions]
    entry = next(
        (
            item
            for item in services.list_waiting_list(
                database, policy=policy, today=today_london(), exclusion_by_ward=None
            )
            if item.request.id == loan_request.id
        ),
        None,
    )
    referrer = loan_request.referred_by_champion_id
    return render_template(
        "loans/request.html",
        loan_request=loan_request,
        status_tag=presenters.request_tag(loan_request.status),
        entry=entry,
        form=form,
        decision_form=decision_form,
        decisions=decisions,
        can_lend=presenters.can_lend_against(loan_request),
        loans=list(loan_request.loans),
        loan_tag=presenters.loan_tag,
        item_label=presenters.loan_item_label,
        ward_name=presenters.ward_names(database).get(loan_request.ward_code or "", None),
        referrer_name=presenters.champion_names(database, [referrer]).get(referrer or 0)
        if referrer
        else None,
        submitted_by=presenters.user_names(database, [loan_request.submitted_by]).get(
            loan_request.submitted_by or 0
        ),
        policy=policy,
        need_labels=presenters.NEED_LABELS,
        contact_labels=presenters.CONTACT_METHOD_LABELS,
        reference=format_reference(loan_request.reference),
        status_labels=REQUEST_STATUS_LABELS,
    )


@bp.route("/requests/<public_id>")
@roles_allowed(*MANAGE)
def loan_request(public_id: str) -> str:
    """One request: the resident's answers, the assessment, decisions and loans."""
    return _request_page(_request_or_404(public_id))


@bp.route("/requests/<public_id>/decision", methods=["POST"])
@roles_allowed(*MANAGE)
def decide(public_id: str) -> str | BaseResponse:
    """Approve, wait-list, decline or withdraw the request."""
    item = _request_or_404(public_id)
    form = DecisionForm()
    form.decision.choices = [(d, DECISION_LABELS[d]) for d in presenters.decisions_for(item.status)]
    if form.validate_on_submit():
        database = db_session()
        actions: dict[str, Callable[..., LoanRequest]] = {
            RequestStatus.APPROVED: services.approve_request,
            RequestStatus.WAITING: services.place_on_waiting_list,
            RequestStatus.DECLINED: services.decline_request,
            RequestStatus.WITHDRAWN: services.withdraw_request,
        }
        decision = form.decision.data or ""
        try:
            actions[decision](
                database, item.id, by=_user_id(), now=now_utc(), note=form.note.data or None
            )
        except DomainError as error:
            _fail(form, error, {"request": "decision"})
        else:
            database.commit()
            flash(f"Request {REQUEST_STATUS_LABELS.get(decision, decision)}.")
            return redirect(url_for("loans.loan_request", public_id=public_id))
    return _request_page(_request_or_404(public_id), form=form)


# --- lending ------------------------------------------------------------------------------------

_ISSUE_RENAMES = {
    "request": "asset_tag",
    "agreement_accepted_at": "agreement_accepted",
}


def _pending_key(loan_request: LoanRequest) -> str:
    return f"loans-issue:{loan_request.public_id}"


@dataclass(frozen=True)
class Preview:
    """What lending would do: the item, its due date and renewals, worked out by the service."""

    item: str
    devices: list[str]
    due_on: date
    renewals_allowed: int


class _DryRun(Exception):
    """Raised inside the savepoint of a preview so that nothing it wrote is kept."""


def _issue_arguments(loan_request: LoanRequest, values: dict[str, Any]) -> dict[str, Any]:
    now, today = _now_and_today()
    item = (
        {"asset_tag": values.get("asset_tag") or ""}
        if values.get("item_type") == "device"
        else {"kit_code": values.get("kit_code") or ""}
    )
    due = values.get("due_on")
    return {
        "agreement": services.LoanAgreement(
            version=str(values.get("agreement_version") or ""),
            accepted_at=now,
            condition_notes=values.get("condition_notes") or None,
        ),
        "issued_by": _user_id(),
        "policy": loan_policy(),
        "today": today,
        "now": now,
        "request_id": loan_request.id,
        "due_on": date.fromisoformat(due) if due else None,
        **item,
    }


def _preview(loan_request: LoanRequest, values: dict[str, Any]) -> Preview:
    """Run the loan through the service in a savepoint and throw it away, to show its due date.

    Raises the service's ``DomainError`` when it would be refused, so every check the real
    lending makes is made before the coordinator confirms.
    """
    database = db_session()
    arguments = _issue_arguments(loan_request, values)
    found: Preview | None = None
    try:
        with database.begin_nested():
            loan = services.issue_loan(database, **arguments)
            found = Preview(
                item=presenters.loan_item_label(loan),
                devices=[item.device.label for item in loan.items],
                due_on=loan.due_on,
                renewals_allowed=loan.renewals_allowed,
            )
            raise _DryRun
    except _DryRun:
        pass
    finally:
        database.rollback()
    assert found is not None
    return found


def _available(database: Session, loan_request: LoanRequest) -> dict[str, list[Any]]:
    wanted = {"device": ("tablet", "laptop", "smartphone"), "data": ("sim", "mifi")}
    kinds: tuple[str, ...] = ()
    if loan_request.need in ("device", "both"):
        kinds += wanted["device"]
    if loan_request.need in ("data", "both"):
        kinds += wanted["data"]
    devices = [d for d in services.list_available_devices(database) if d.kind in kinds]
    return {"kits": services.list_available_kits(database)[:10], "devices": devices[:15]}


@bp.route("/requests/<public_id>/lend", methods=["GET", "POST"])
@roles_allowed(*MANAGE)
def lend(public_id: str) -> str | BaseResponse:
    """Lend a device or kit against the request: item, due date and the signed agreement."""
    item = _request_or_404(public_id)
    pending = session.get(_pending_key(item))
    pending = dict(pending) if isinstance(pending, dict) else {}
    if request.method == "POST":
        form = IssueForm()
    else:
        data = {
            "agreement_version": pending.get("agreement_version") or agreement_version(),
            "asset_tag": pending.get("asset_tag"),
            "kit_code": pending.get("kit_code"),
            "condition_notes": pending.get("condition_notes"),
            "due_on": date.fromisoformat(pending["due_on"]) if pending.get("due_on") else None,
        }
        form = IssueForm(data=data)
        error = pending.pop("error", None)
        if isinstance(error, dict):
            apply_error(form, DomainError(str(error["message"]), field=str(error["field"])))
            session[_pending_key(item)] = pending
    if form.validate_on_submit():
        values = {
            "item_type": form.item_type,
            "asset_tag": (form.asset_tag.data or "").strip(),
            "kit_code": (form.kit_code.data or "").strip(),
            "due_on": form.due_on.data.isoformat() if form.due_on.data else None,
            "agreement_version": (form.agreement_version.data or "").strip(),
            "condition_notes": (form.condition_notes.data or "").strip(),
            "key": secrets.token_urlsafe(16),
        }
        try:
            _preview(item, values)
        except DomainError as error:
            apply_error(form, error, renames=_ISSUE_RENAMES)
        else:
            session[_pending_key(item)] = values
            return redirect(url_for("loans.lend_confirm", public_id=public_id))
    item = _request_or_404(public_id)
    database = db_session()
    return render_template(
        "loans/lend.html",
        form=form,
        loan_request=item,
        available=_available(database, item),
        can_lend=presenters.can_lend_against(item),
        status_label=REQUEST_STATUS_LABELS.get(item.status, item.status),
        reasons=item.eligibility_reasons,
        policy=loan_policy(),
        need_labels=presenters.NEED_LABELS,
    )


def _just_lent(loan_request: LoanRequest, values: dict[str, Any]) -> Loan | None:
    """The loan this coordinator has just made for these answers, if the page was sent twice."""
    for loan in services.list_open_loans(db_session(), request_id=loan_request.id):
        same_item = (
            loan.kit is not None and loan.kit.code == str(values.get("kit_code") or "").upper()
        ) or (
            loan.device is not None
            and loan.device.asset_tag == "".join(str(values.get("asset_tag") or "").split()).upper()
        )
        if same_item and loan.issued_by == _user_id() and loan.issued_on == today_london():
            return loan
    return None


@bp.route("/requests/<public_id>/lend/confirm", methods=["GET", "POST"])
@roles_allowed(*MANAGE)
def lend_confirm(public_id: str) -> str | BaseResponse:
    """Check the item and the due date worked out from the council's rules, then lend it."""
    item = _request_or_404(public_id)
    pending = session.get(_pending_key(item))
    form = IssueConfirmForm()
    if not isinstance(pending, dict) or "key" not in pending:
        done = session.get("loans-lent")
        if form.is_submitted() and isinstance(done, dict) and done.get("key") == form.key.data:
            return redirect(url_for("loans.loan", public_id=done["loan"]))
        return redirect(url_for("loans.lend", public_id=public_id))
    if form.is_submitted():
        if not form.validate() or form.key.data != pending["key"]:
            return redirect(url_for("loans.lend", public_id=public_id))
        database = db_session()
        try:
            loan = services.issue_loan(database, **_issue_arguments(item, pending))
        except DomainError as error:
            database.rollback()
            earlier = _just_lent(_request_or_404(public_id), pending)
            if earlier is not None:
                return redirect(url_for("loans.loan", public_id=earlier.public_id))
            field = _ISSUE_RENAMES.get(error.field or "", error.field or "asset_tag")
            pending["error"] = {"field": field, "message": error.message}
            session[_pending_key(item)] = pending
            return redirect(url_for("loans.lend", public_id=public_id))
        database.commit()
        session.pop(_pending_key(item), None)
        session["loans-lent"] = {"key": pending["key"], "loan": loan.public_id}
        flash(
            f"Lent {presenters.loan_item_label(loan)}. "
            f"Due back on {loan.due_on.day} {loan.due_on:%B %Y}."
        )
        return redirect(url_for("loans.loan", public_id=loan.public_id))
    try:
        preview = _preview(item, pending)
    except DomainError as error:
        field = _ISSUE_RENAMES.get(error.field or "", error.field or "asset_tag")
        pending["error"] = {"field": field, "message": error.message}
        session[_pending_key(item)] = pending
        return redirect(url_for("loans.lend", public_id=public_id))
    form.key.data = pending["key"]
    item = _request_or_404(public_id)
    return render_template(
        "loans/lend_confirm.html",
        form=form,
        loan_request=item,
        preview=preview,
        pending=pending,
        chosen_due=bool(pending.get("due_on")),
        today=today_london(),
    )


# --- loans --------------------------------------------------------------------------------------


@bp.route("/out")
@roles_allowed(*MANAGE)
def items_out() -> str:
    """Items out: overdue, due soon, or all."""
    database = db_session()
    show = request.args.get("show", "overdue")
    if show not in ("overdue", "due_soon", "all"):
        show = "overdue"
    soon = int(current_app.config.get("LOAN_DUE_SOON_DAYS", 7))
    today = today_london()
    return render_template(
        "loans/out.html",
        show=show,
        loans=presenters.items_out(database, show=show, today=today, soon_days=soon),
        counts=presenters.loan_counts(database, today=today, soon_days=soon),
        soon_days=soon,
        today=today,
        loan_tag=presenters.loan_tag,
        item_label=presenters.loan_item_label,
        contact_labels=presenters.CONTACT_METHOD_LABELS,
    )


@dataclass(frozen=True)
class Renewal:
    """Whether the loan can be renewed now, and until when (or why not)."""

    due_on: date | None
    refusal: str | None


def _renewal(loan: Loan) -> Renewal:
    """Try the renewal in a savepoint and throw it away, to show its new due date or why not."""
    if not loan.is_open:
        return Renewal(None, None)
    database = db_session()
    now, today = _now_and_today()
    found: Renewal | None = None
    try:
        with database.begin_nested():
            renewed = services.renew_loan(
                database, loan.id, policy=loan_policy(), by=_user_id(), today=today, now=now
            )
            found = Renewal(renewed.due_on, None)
            raise _DryRun
    except _DryRun:
        pass
    except DomainError as error:
        found = Renewal(None, error.message)
    finally:
        database.rollback()
    assert found is not None
    return found


def _loan_page(loan: Loan) -> str:
    database = db_session()
    renewal = _renewal(loan)
    loan = _loan_or_404(loan.public_id)
    return render_template(
        "loans/loan.html",
        loan=loan,
        loan_request=loan.request,
        status_tag=presenters.loan_tag(loan.status),
        item_label=presenters.loan_item_label(loan),
        renewal=renewal,
        confirm_form=ConfirmForm(),
        issued_by=presenters.user_names(database, [loan.issued_by]).get(loan.issued_by or 0),
        closed_by=presenters.user_names(database, [loan.closed_by]).get(loan.closed_by or 0),
        today=today_london(),
        contact_labels=presenters.CONTACT_METHOD_LABELS,
        device_tag=presenters.device_tag,
    )


@bp.route("/loan/<public_id>")
@roles_allowed(*MANAGE)
def loan(public_id: str) -> str:
    """One loan: the borrower, the item, dates, renewals and the agreement."""
    return _loan_page(_loan_or_404(public_id))


@bp.route("/loan/<public_id>/renew", methods=["POST"])
@roles_allowed(*MANAGE)
def renew(public_id: str) -> BaseResponse:
    """Renew the loan by the rules' renewal period."""
    item = _loan_or_404(public_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    database = db_session()
    now, today = _now_and_today()
    try:
        renewed = services.renew_loan(
            database, item.id, policy=loan_policy(), by=_user_id(), today=today, now=now
        )
    except DomainError as error:
        database.rollback()
        flash(error.message, "error")
    else:
        database.commit()
        flash(f"Loan renewed. It is now due back on {renewed.due_on.day} {renewed.due_on:%B %Y}.")
    return redirect(url_for("loans.loan", public_id=public_id))


def _missing_choices(loan: Loan) -> list[tuple[str, str]]:
    if loan.kit is None:
        return []
    return [(entry.device.asset_tag, entry.device.label) for entry in loan.items if entry.is_open]


@bp.route("/loan/<public_id>/return", methods=["GET", "POST"])
@roles_allowed(*MANAGE)
def return_loan(public_id: str) -> str | BaseResponse:
    """Record that the item came back: condition, damage, anything missing."""
    item = _loan_or_404(public_id)
    form = ReturnForm(data=_shown_first(returned_on=today_london()))
    form.missing_asset_tags.choices = _missing_choices(item)
    if form.validate_on_submit():
        database = db_session()
        now, today = _now_and_today()
        try:
            services.return_loan(
                database,
                item.id,
                condition=form.condition.data or "",
                damaged=form.damaged.data == "yes",
                returned_on=form.returned_on.data or today,
                by=_user_id(),
                today=today,
                now=now,
                note=form.note.data or None,
                missing_asset_tags=form.missing_asset_tags.data or [],
            )
        except DomainError as error:
            _fail(form, error, {"loan": "condition"})
        else:
            database.commit()
            flash(
                f"Return recorded for {presenters.loan_item_label(item)}. "
                "Wipe each device before it is lent again."
            )
            return redirect(url_for("loans.loan", public_id=public_id))
    item = _loan_or_404(public_id)
    return render_template(
        "loans/form_page.html",
        form=form,
        title="Record a return",
        caption=presenters.loan_item_label(item),
        intro=f"Lent on {item.issued_on.day} {item.issued_on:%B %Y}, due back on "
        f"{item.due_on.day} {item.due_on:%B %Y}.",
        back=url_for("loans.loan", public_id=public_id),
        field_params={"damaged": {"classes": "govuk-radios--inline"}},
        action=url_for("loans.return_loan", public_id=public_id),
        hide_fields=() if item.kit is not None else ("missing_asset_tags",),
    )


@bp.route("/return", methods=["GET", "POST"])
@roles_allowed(*MANAGE)
def return_by_tag() -> str | BaseResponse:
    """Record a return by the asset tag on the device handed in."""
    form = ReturnByTagForm(data=_shown_first(returned_on=today_london()))
    if form.validate_on_submit():
        database = db_session()
        now, today = _now_and_today()
        try:
            loan = services.return_device(
                database,
                form.asset_tag.data or "",
                condition=form.condition.data or "",
                damaged=form.damaged.data == "yes",
                returned_on=form.returned_on.data or today,
                by=_user_id(),
                today=today,
                now=now,
                note=form.note.data or None,
                missing_asset_tags=split_tags(form.missing_asset_tags.data),
            )
        except DomainError as error:
            _fail(form, error, {"loan": "asset_tag"})
        else:
            database.commit()
            flash(
                f"Return recorded for {presenters.loan_item_label(loan)}. "
                "Wipe each device before it is lent again."
            )
            return redirect(url_for("loans.loan", public_id=loan.public_id))
    return render_template(
        "loans/form_page.html",
        form=form,
        title="Record a return by asset tag",
        caption="Items out",
        intro="For when a resident hands an item in. The tag finds the loan.",
        back=url_for("loans.items_out"),
        field_params={
            "asset_tag": {"classes": "govuk-input--width-10", "spellcheck": False},
            "damaged": {"classes": "govuk-radios--inline"},
            "missing_asset_tags": {"rows": 2, "spellcheck": False},
        },
        action=url_for("loans.return_by_tag"),
    )


@bp.route("/loan/<public_id>/lost", methods=["GET", "POST"])
@roles_allowed(*MANAGE)
def record_lost(public_id: str) -> str | BaseResponse:
    """Record that the loan's item is lost (all of a kit)."""
    item = _loan_or_404(public_id)
    form = LostForm(data=_shown_first(reported_on=today_london()))
    if form.validate_on_submit():
        database = db_session()
        now, today = _now_and_today()
        try:
            services.record_lost(
                database,
                item.id,
                reported_on=form.reported_on.data or today,
                by=_user_id(),
                today=today,
                now=now,
                note=form.note.data or None,
            )
        except DomainError as error:
            _fail(form, error, {"loan": "reported_on"})
        else:
            database.commit()
            flash(
                f"{presenters.loan_item_label(item)} recorded as lost. "
                "If it has device management, lock it remotely."
            )
            return redirect(url_for("loans.loan", public_id=public_id))
    item = _loan_or_404(public_id)
    return render_template(
        "loans/form_page.html",
        form=form,
        title="Record an item as lost",
        caption=presenters.loan_item_label(item),
        intro="The loan closes and every device in it is recorded as lost. If it turns up, "
        "book it back in from the device’s page.",
        back=url_for("loans.loan", public_id=public_id),
        field_params={},
        action=url_for("loans.record_lost", public_id=public_id),
        warning="This cannot be undone for the loan.",
    )


# --- reports ------------------------------------------------------------------------------------


def _period() -> tuple[ReportPeriodForm, int, date, date]:
    form = ReportPeriodForm(formdata=request.args if request.args else None, data={"months": "12"})
    if not form.validate() or not form.months.data:
        form.months.errors = []  # a period not in the list (an old link) shows the default
        form.months.data = "12"
    months = str(form.months.data)
    end = today_london()
    start = presenters.months_before(end, int(months))
    return form, int(months), start, end


@bp.route("/reports")
@roles_allowed(*REPORT)
def reports() -> str:
    """Devices out per ward, waiting times, utilisation and outcomes."""
    database = db_session()
    period, months, start, end = _period()
    detail = has_role(*STAFF_DETAIL_ROLES)
    threshold = int(current_app.config.get("SMALL_NUMBER_THRESHOLD", 10))
    types = loan_policy().borrower_types
    tables = {
        name: presenters.report_table(
            database,
            name,
            start=start,
            end=end,
            detail=detail,
            threshold=threshold,
            borrower_types=types,
        )
        for name in presenters.REPORTS
    }
    return render_template(
        "loans/reports.html",
        period=period,
        months=months,
        start=start,
        end=end,
        tables=tables,
        detail=detail,
        threshold=threshold,
    )


@bp.route("/reports/<report>.csv")
@roles_allowed(*REPORT)
def report_csv(report: str) -> Response:
    """One report as CSV (formulas escaped; small numbers suppressed for councillors)."""
    if report not in presenters.REPORTS:
        abort(404)
    _form, _months, start, end = _period()
    detail = has_role(*STAFF_DETAIL_ROLES)
    threshold = int(current_app.config.get("SMALL_NUMBER_THRESHOLD", 10))
    table = presenters.report_table(
        db_session(),
        report,
        start=start,
        end=end,
        detail=detail,
        threshold=threshold,
        borrower_types=loan_policy().borrower_types,
    )
    period = f"{start.isoformat()} to {end.isoformat()}"
    title = f"{table.caption}, {period}. {current_app.config['COUNCIL_NAME']} device loans."
    return Response(
        presenters.table_csv(table, title=title, detail=detail, threshold=threshold),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f"attachment; filename=loans-{report}-{end.isoformat()}.csv",
            "Cache-Control": "no-store",
        },
    )


# --- referrals by champions ---------------------------------------------------------------------


@bp.route("/refer", methods=["GET", "POST"])
@roles_allowed(*REFER)
def refer_start() -> str | BaseResponse:
    """Start a referral (a champion) or take a request for a resident (a coordinator)."""
    return journey.start_referral(MODE)


def _refer_step_view(step: str) -> Callable[[], str | BaseResponse]:
    def view() -> str | BaseResponse:
        return journey.question(MODE, step)

    view.__name__ = view.__qualname__ = f"refer_{step}"
    view.__doc__ = f"Referral question: {step.replace('_', ' ')}."
    return view


for _step in journey.STEPS:
    bp.add_url_rule(
        f"/refer/{journey.SLUGS[_step]}",
        endpoint=f"refer_{_step}",
        view_func=roles_allowed(*REFER)(_refer_step_view(_step)),
        methods=["GET", "POST"],
    )


@bp.route("/refer/cannot-borrow")
@roles_allowed(*REFER)
def refer_not_eligible() -> str | BaseResponse:
    """Why the resident cannot borrow, and where else they can get help."""
    return journey.not_eligible(MODE)


@bp.route("/refer/check-answers", methods=["GET", "POST"])
@roles_allowed(*REFER)
def refer_check() -> str | BaseResponse:
    """Check the answers and send the referral (once)."""
    return journey.check(MODE)


@bp.route("/refer/sent")
@roles_allowed(*REFER)
def refer_confirmation() -> str | BaseResponse:
    """The confirmation of the referral just sent."""
    return journey.confirmation(MODE)


@bp.route("/referrals")
@roles_allowed(*REFER)
def referrals() -> str:
    """The requests the signed-in champion has referred, and how many are still open."""
    database = db_session()
    champion = champion_services.find_champion_for_user(database, _user_id())
    policy = loan_policy()
    found = presenters.referrals_of(database, champion.id) if champion is not None else []
    limit = journey.referral_limit(champion.id, policy) if champion is not None else None
    return render_template(
        "loans/referrals.html",
        champion=champion,
        referrals=found,
        limit=limit,
        request_tag=presenters.request_tag,
        need_labels=presenters.NEED_LABELS,
        can_open=has_role(*MANAGE),
    )
