"""The booking journey, one question per page, for residents and for champions booking for them.

Answers are kept in the Flask session (a signed cookie) under the session being booked, until
the check answers page books the place.  That page carries a random one-time token
(``idempotency_key``) which the booking stores under a unique constraint: sending the page again
(a double click, the back button, a retry after a time-out) shows the booking already made and
never makes a second one.

``mode`` is ``"public"`` (a resident, no account, blueprint ``champions_public``) or
``"assisted"`` (a signed-in champion or coordinator booking for a resident, blueprint
``champions``, recorded as "booked by" the champion).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any, NoReturn

from flask import Response as FlaskResponse
from flask import abort, current_app, make_response, redirect, render_template, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.champions import booking_settings, manage_url
from app.champions.forms import (
    AccessNeedsForm,
    CheckAnswersForm,
    ContactDetailsForm,
    ContactMethodForm,
    NameForm,
    apply_invalid_input,
)
from app.champions.presenters import booking_by_key, booking_by_reference, session_when
from app.database import db_session
from champions import services
from champions.errors import AlreadyBooked, InvalidInput
from champions.ics import MEDIA_TYPE
from champions.models import Booking, Champion, TrainingSession
from champions.references import format_reference
from core.clock import now_utc
from core.errors import DomainError, NotFound

_KEY = re.compile(r"^[A-Za-z0-9_\-]{16,64}$")
# Which question page a problem found when booking belongs on.
FIELD_PAGE = {
    "full_name": "name",
    "contact_method": "contact",
    "email": "contact_details",
    "phone": "contact_details",
    "access_needs": "access_needs",
}


@dataclass(frozen=True)
class Mode:
    """The wording and endpoints of one version of the journey."""

    name: str
    blueprint: str
    own: bool

    def endpoint(self, step: str) -> str:
        return f"{self.blueprint}.book_{step}"

    def url(self, step: str, public_id: str) -> str:
        return url_for(self.endpoint(step), public_id=public_id)


PUBLIC = Mode("public", "champions_public", own=True)
ASSISTED = Mode("assisted", "champions", own=False)


def _answers_key(mode: Mode, public_id: str) -> str:
    return f"champions-booking:{mode.name}:{public_id}"


def _done_key(mode: Mode, public_id: str) -> str:
    return f"champions-booked:{mode.name}:{public_id}"


def _answers(mode: Mode, public_id: str) -> dict[str, Any]:
    stored = session.get(_answers_key(mode, public_id))
    return dict(stored) if isinstance(stored, dict) else {}


def _save(mode: Mode, public_id: str, answers: dict[str, Any]) -> None:
    session[_answers_key(mode, public_id)] = answers


def _training_session(public_id: str) -> TrainingSession:
    try:
        return services.get_training_session(db_session(), public_id)
    except NotFound:
        abort(404)


def _unavailable_reason(training_session: TrainingSession) -> str | None:
    if training_session.status != "scheduled":
        return "This session has been cancelled. Choose another session."
    if training_session.starts_at <= now_utc():
        return "This session has already started. Choose another session."
    if training_session.venue.closed:
        return "This venue is closed. Choose another session."
    return None


def _unavailable(mode: Mode, training_session: TrainingSession, message: str) -> NoReturn:
    """Stop the journey with a page saying why this session cannot be booked."""
    page = render_template(
        "champions/book/unavailable.html",
        mode=mode,
        training_session=training_session,
        message=message,
    )
    abort(make_response(page, 409))


def assisting_champion() -> Champion | None:
    """The champion record of the signed-in member of staff, if they have one."""
    if not current_user.is_authenticated:
        return None
    return services.find_champion_for_user(db_session(), current_user.id)


def _first_missing(answers: dict[str, Any]) -> str | None:
    if not answers.get("full_name"):
        return "name"
    method = answers.get("contact_method")
    if not method:
        return "contact"
    if (method == "email" and not answers.get("email")) or (
        method == "sms" and not answers.get("phone")
    ):
        return "contact_details"
    if not answers.get("access_answered"):
        return "access_needs"
    return None


def _next_step(mode: Mode, public_id: str, answers: dict[str, Any]) -> Response:
    """After an answer: back to check answers if everything is answered, else the next question."""
    missing = _first_missing(answers)
    return redirect(mode.url(missing or "check", public_id))


def _page(
    template: str,
    mode: Mode,
    training_session: TrainingSession,
    **context: Any,
) -> str:
    return render_template(
        template,
        mode=mode,
        training_session=training_session,
        when=session_when(training_session),
        full=training_session.places_left == 0,
        **context,
    )


def _take_error(mode: Mode, public_id: str, answers: dict[str, Any], form: Any) -> None:
    """Show a problem found when booking on this page's form, once."""
    error = answers.pop("error", None)
    if isinstance(error, dict):
        apply_invalid_input(form, DomainError(str(error["message"]), field=str(error["field"])))
        _save(mode, public_id, answers)


# --- the steps --------------------------------------------------------------------------------


def start(mode: Mode, public_id: str) -> Response:
    """Begin (or carry on with) booking this session; a booking made before is put aside."""
    session.pop(_done_key(mode, public_id), None)
    _journey(mode, public_id)
    return redirect(mode.url("name", public_id))


def _journey(mode: Mode, public_id: str) -> tuple[TrainingSession, dict[str, Any]]:
    """The session being booked and the answers so far (a new one-time token if none)."""
    training_session = _training_session(public_id)
    reason = _unavailable_reason(training_session)
    if reason:
        _unavailable(mode, training_session, reason)
    answers = _answers(mode, public_id)
    if not answers.get("full_name") and session.get(_done_key(mode, public_id)):
        # Back from the confirmation page: show the booking made, not an empty form.
        abort(redirect(mode.url("confirmation", public_id)))
    if not answers.get("key"):
        answers = {"key": secrets.token_urlsafe(24)}
        _save(mode, public_id, answers)
    return training_session, answers


def name(mode: Mode, public_id: str) -> str | Response:
    """Question: the resident's full name."""
    training_session, answers = _journey(mode, public_id)
    form = NameForm(own=mode.own, data={"full_name": answers.get("full_name", "")})
    if not mode.own:
        form.full_name.label.text = "What is the resident’s full name?"
    if form.validate_on_submit():
        answers["full_name"] = " ".join((form.full_name.data or "").split())
        _save(mode, public_id, answers)
        return _next_step(mode, public_id, answers)
    _take_error(mode, public_id, answers, form)
    back = url_for(
        "champions_public.session_detail" if mode.own else "champions.session_detail",
        public_id=public_id,
    )
    return _page("champions/book/name.html", mode, training_session, form=form, back=back)


def contact(mode: Mode, public_id: str) -> str | Response:
    """Question: email or text message (or, for a champion, neither)."""
    training_session, answers = _journey(mode, public_id)
    if not answers.get("full_name"):
        return redirect(mode.url("name", public_id))
    champion = assisting_champion() if not mode.own else None
    form = ContactMethodForm(
        own=mode.own,
        allow_none=champion is not None,
        data={"contact_method": answers.get("contact_method")},
    )
    if form.validate_on_submit():
        method = form.contact_method.data
        if method != answers.get("contact_method"):
            answers["email"] = answers["phone"] = ""
        answers["contact_method"] = method
        _save(mode, public_id, answers)
        if method in ("email", "sms"):
            return redirect(mode.url("contact_details", public_id))
        return _next_step(mode, public_id, answers)
    _take_error(mode, public_id, answers, form)
    return _page(
        "champions/book/contact.html",
        mode,
        training_session,
        form=form,
        back=mode.url("name", public_id),
    )


def contact_details(mode: Mode, public_id: str) -> str | Response:
    """Question: the email address or the mobile number, whichever was chosen."""
    training_session, answers = _journey(mode, public_id)
    missing = _first_missing(answers)
    if missing in ("name", "contact"):
        return redirect(mode.url(missing, public_id))
    method = answers.get("contact_method")
    if method not in ("email", "sms"):
        return _next_step(mode, public_id, answers)
    form = ContactDetailsForm(
        own=mode.own,
        method=str(method),
        data={"email": answers.get("email", ""), "phone": answers.get("phone", "")},
    )
    if form.validate_on_submit():
        if method == "email":
            answers["email"] = (form.email.data or "").strip()
        else:
            answers["phone"] = (form.phone.data or "").strip()
        _save(mode, public_id, answers)
        return _next_step(mode, public_id, answers)
    _take_error(mode, public_id, answers, form)
    return _page(
        "champions/book/contact_details.html",
        mode,
        training_session,
        form=form,
        method=method,
        back=mode.url("contact", public_id),
    )


def access_needs(mode: Mode, public_id: str) -> str | Response:
    """Question: anything that would help the resident take part (optional)."""
    training_session, answers = _journey(mode, public_id)
    missing = _first_missing(answers)
    if missing in ("name", "contact", "contact_details"):
        return redirect(mode.url(missing, public_id))
    form = AccessNeedsForm(data={"access_needs": answers.get("access_needs", "")})
    if not mode.own:
        form.access_needs.label.text = (
            "Is there anything we can do to help them take part? (optional)"
        )
    if form.validate_on_submit():
        answers["access_needs"] = (form.access_needs.data or "").strip()
        answers["access_answered"] = True
        _save(mode, public_id, answers)
        return redirect(mode.url("check", public_id))
    _take_error(mode, public_id, answers, form)
    return _page(
        "champions/book/access_needs.html",
        mode,
        training_session,
        form=form,
        back=mode.url(
            "contact_details" if answers.get("contact_method") in ("email", "sms") else "contact",
            public_id,
        ),
    )


def check(mode: Mode, public_id: str) -> str | Response:
    """Check answers, then book (or join the waiting list) exactly once."""
    training_session = _training_session(public_id)
    answers = _answers(mode, public_id)
    form = CheckAnswersForm()
    if form.is_submitted():
        if not form.validate():
            abort(400)
        key = (form.idempotency_key.data or "").strip()
        if not _KEY.match(key):
            abort(400)
        if _first_missing(answers) is not None or answers.get("key") != key:
            # Sent again after the booking was made (answers cleared): show that booking.
            earlier = booking_by_key(db_session(), key)
            if earlier is not None and earlier.training_session_id == training_session.id:
                _remember(mode, public_id, earlier, token=None)
                return redirect(mode.url("confirmation", public_id))
            return redirect(mode.url(_first_missing(answers) or "name", public_id))
        return _book(mode, training_session, answers, key)
    reason = _unavailable_reason(training_session)
    if reason:
        _unavailable(mode, training_session, reason)
    missing = _first_missing(answers)
    if missing is not None and session.get(_done_key(mode, public_id)):
        return redirect(mode.url("confirmation", public_id))
    if missing is not None:
        return redirect(mode.url(missing, public_id))
    form.idempotency_key.data = answers["key"]
    full = training_session.places_left == 0
    form.submit.label.text = "Join the waiting list" if full else "Book place"
    return _page(
        "champions/book/check.html",
        mode,
        training_session,
        form=form,
        answers=answers,
        back=mode.url("access_needs", public_id),
        champion=assisting_champion() if not mode.own else None,
    )


def _book(
    mode: Mode, training_session: TrainingSession, answers: dict[str, Any], key: str
) -> Response:
    database = db_session()
    method = answers.get("contact_method")
    champion = assisting_champion() if not mode.own else None
    try:
        result = services.book_place(
            database,
            training_session_id=training_session.id,
            full_name=str(answers.get("full_name", "")),
            contact_method=None if method == "none" else method,
            email=answers.get("email") or None,
            phone=answers.get("phone") or None,
            access_needs=answers.get("access_needs") or None,
            idempotency_key=key,
            now=now_utc(),
            booked_by=champion.id if champion is not None else None,
            settings=booking_settings(),
        )
    except (InvalidInput, AlreadyBooked) as error:
        database.rollback()
        field = error.errors[0].field if isinstance(error, InvalidInput) else error.field
        answers["error"] = {"field": field or "contact_method", "message": error.message}
        _save(mode, training_session.public_id, answers)
        return redirect(
            mode.url(FIELD_PAGE.get(field or "", "contact"), training_session.public_id)
        )
    except DomainError as error:
        database.rollback()
        _unavailable(mode, training_session, error.message)
    database.commit()
    _remember(mode, training_session.public_id, result.booking, token=result.cancel_token)
    session.pop(_answers_key(mode, training_session.public_id), None)
    current_app.logger.info(
        "booking %s %s for session %s (%s)",
        result.booking.reference,
        "made" if result.created else "shown again",
        training_session.public_id,
        mode.name,
    )
    return redirect(mode.url("confirmation", training_session.public_id))


def _remember(mode: Mode, public_id: str, booking: Booking, *, token: str | None) -> None:
    earlier = session.get(_done_key(mode, public_id))
    if (
        token is None
        and isinstance(earlier, dict)
        and earlier.get("reference") == booking.reference
    ):
        token = earlier.get("token")
    session[_done_key(mode, public_id)] = {"reference": booking.reference, "token": token}


def _done_booking(mode: Mode, public_id: str) -> tuple[Booking, str | None] | None:
    done = session.get(_done_key(mode, public_id))
    if not isinstance(done, dict):
        return None
    booking = booking_by_reference(db_session(), str(done.get("reference", "")))
    if booking is None or booking.training_session.public_id != public_id:
        return None
    token = done.get("token")
    return booking, str(token) if token else None


def confirmation(mode: Mode, public_id: str) -> str | Response:
    """The confirmation page of the booking this browser just made."""
    training_session = _training_session(public_id)
    found = _done_booking(mode, public_id)
    if found is None:
        return redirect(
            url_for(
                "champions_public.session_detail" if mode.own else "champions.session_detail",
                public_id=public_id,
            )
        )
    booking, token = found
    response = _page(
        "champions/book/confirmation.html",
        mode,
        training_session,
        booking=booking,
        reference=format_reference(booking.reference),
        manage_link=manage_url(booking.reference, token) if token else None,
        position=services.waiting_position(db_session(), booking),
    )
    return response


def calendar(mode: Mode, public_id: str) -> Response:
    """The .ics file of the booking this browser just made."""
    _training_session(public_id)
    found = _done_booking(mode, public_id)
    if found is None:
        abort(404)
    booking, _token = found
    return ics_response(booking)


def ics_response(booking: Booking) -> Response:
    """A calendar file download for ``booking``."""
    text = services.ics_for_booking(
        booking,
        now=now_utc(),
        uid_domain=current_app.config.get("SERVER_NAME") or "planner.invalid",
    )
    return FlaskResponse(
        text,
        mimetype="text/calendar",
        content_type=MEDIA_TYPE,
        headers={
            "Content-Disposition": f"attachment; filename={services.ics_filename(booking)}",
            "Cache-Control": "no-store",
        },
    )
