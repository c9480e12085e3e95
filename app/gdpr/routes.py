"""Admin pages for residents' data protection requests: find what is held for an email address
or phone number, download it for a subject access request, or erase it on request.

Administrators only.  Who the request is about is sent in POST bodies, never in addresses, and
the pages are not cached (staff pages send ``no-store``).
"""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user
from werkzeug.wrappers import Response

from app.access import roles_allowed
from app.auth.roles import ADMIN
from app.database import db_session
from app.gdpr.erasure import erase_records
from app.gdpr.forms import FindPersonForm, PersonActionForm
from app.gdpr.records import Person, find_records
from app.gdpr.requests import KIND_NAMES, export_json, preview_erasure
from core.clock import now_utc, today_london

bp = Blueprint("gdpr", __name__, url_prefix="/admin/data-requests")


def _action_form(person: Person) -> PersonActionForm:
    form = PersonActionForm()
    form.email.data = person.email or ""
    form.phone.data = person.phone or ""
    return form


def _start_again(message: str) -> str:
    form = FindPersonForm()
    form.email.errors = [message]
    return render_template("gdpr/find.html", form=form)


@bp.route("/", methods=["GET", "POST"])
@roles_allowed(ADMIN)
def find() -> str:
    """Find every record holding a resident's email address or phone number."""
    form = FindPersonForm()
    if not form.validate_on_submit() or form.person is None:
        return render_template("gdpr/find.html", form=form)
    person = form.person
    session = db_session()
    records = find_records(session, person)
    preview = None if records.empty else preview_erasure(session, records)
    counts = [(KIND_NAMES[kind], count) for kind, count in records.counts().items()]
    return render_template(
        "gdpr/found.html",
        person=person,
        counts=counts,
        empty=records.empty,
        preview=preview,
        action=_action_form(person),
    )


@bp.route("/export", methods=["POST"])
@roles_allowed(ADMIN)
def export() -> Response | str:
    """Download the resident's data as JSON (a subject access request)."""
    form = PersonActionForm()
    person = form.person() if form.validate_on_submit() else None
    if person is None:
        return _start_again("Find the resident again: the request could not be read")
    session = db_session()
    records = find_records(session, person)
    text = export_json(session, records, person, actor_id=current_user.id)
    session.commit()  # the audit row of the export
    response = Response(text, mimetype="application/json")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="subject-access-{today_london().isoformat()}.json"'
    )
    return response


@bp.route("/erase", methods=["POST"])
@roles_allowed(ADMIN)
def erase() -> str:
    """Erase the resident's details everywhere they can be erased now, in one transaction."""
    form = PersonActionForm()
    person = form.person() if form.validate_on_submit() else None
    if person is None:
        return _start_again("Find the resident again: the request could not be read")
    session = db_session()
    records = find_records(session, person)
    report = erase_records(session, records, now=now_utc(), actor_id=current_user.id)
    session.commit()
    return render_template("gdpr/erased.html", report=report)
