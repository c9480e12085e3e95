"""Residents' pages (no account): find a session, book a place, cancel it or accept an offer.

Every page is public.  Booking questions are one per page (see ``app.champions.journey``).  The
links in residents' messages carry the booking reference and a secret token; the token opens
that booking only, and cancelling works once.  Form posts are rate limited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from app.access import public
from app.champions import booking_settings, journey
from app.champions.forms import FindSessionsForm
from app.champions.journey import PUBLIC
from app.champions.presenters import (
    WalkFromWard,
    match_places,
    public_venue_choices,
    ward_choices,
    ward_names,
    ward_walks,
)
from app.database import db_session
from app.extensions import limiter
from app.forms import ConfirmForm
from champions import services
from champions.errors import BookingClosed, OfferExpired
from champions.models import Booking, TrainingSession, Venue
from champions.references import format_reference
from champions.vocabulary import BOOKING_STATUS_LABELS, LEVEL_LABELS, TOPIC_LABELS, TOPICS
from core.clock import now_utc, today_london
from core.errors import DomainError, NotFound
from core.postcodes import normalise_postcode, postcode_district

bp = Blueprint("champions_public", __name__)

MAX_RESULTS = 50
BOOKING_ENDPOINTS = frozenset(
    {
        "book_name",
        "book_contact",
        "book_contact_details",
        "book_access_needs",
        "book_check",
        "book_confirmation",
        "book_calendar",
        "manage_booking",
        "cancel_booking",
        "accept_offer",
        "booking_calendar",
    }
)


def _rate_limit() -> str:
    return str(current_app.config["PUBLIC_FORM_RATE_LIMIT"])


@bp.after_request
def _no_store(response: Response) -> Response:
    # Booking pages show a resident's name and contact details: never keep them in a cache.
    if (request.endpoint or "").removeprefix("champions_public.") in BOOKING_ENDPOINTS:
        response.headers["Cache-Control"] = "no-store"
    return response


# --- finding a session ------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    """A session in the resident's search results."""

    training_session: TrainingSession
    venue: Venue
    places_left: int
    walk: WalkFromWard | None
    same_district: bool


@bp.route("/sessions")
@public
def find_sessions() -> str:
    session = db_session()
    form = FindSessionsForm(formdata=request.args if request.args else None)
    form.topic.choices = [("", "Any topic"), *((code, TOPIC_LABELS[code]) for code in TOPICS)]
    form.ward.choices = ward_choices(session, blank="Anywhere")
    form.venue.choices = public_venue_choices(session, blank="Any place")
    searched = bool(request.args)
    valid = form.validate() if searched else True
    postcode = None
    if valid and (form.postcode.data or "").strip():
        postcode = normalise_postcode(form.postcode.data or "")
        if postcode is None:
            form.postcode.errors = [*form.postcode.errors, "Enter a full UK postcode, like TW3 1ES"]
            valid = False
    results: list[Found] = []
    ward_code = (form.ward.data or "") if valid else ""
    ward_name = ward_names(session).get(ward_code) if ward_code else None
    walks_known = False
    if valid:
        today = today_london()
        days = int(form.when.data) if (form.when.data or "").isdigit() else None
        venue_id = None
        if form.venue.data:
            try:
                venue_id = services.get_venue(session, form.venue.data).id
            except NotFound:
                abort(404)
        matches = services.find_sessions(
            session,
            now=now_utc(),
            topic=form.topic.data or None,
            date_from=today,
            date_to=today + timedelta(days=days) if days else None,
            venue_id=venue_id,
            limit=500,
        )
        walks: dict[int, WalkFromWard] = {}
        if ward_code:
            by_place = ward_walks(session, ward_code)
            places = match_places(session, list({m.venue.id: m.venue for m in matches}.values()))
            walks = {
                venue_id_: by_place[place.id]
                for venue_id_, place in places.items()
                if place.id in by_place
            }
            walks_known = bool(by_place)
            if not walks_known:
                # No walking model for this ward: fall back to places in the ward itself.
                matches = [match for match in matches if match.venue.ward_code == ward_code]
        district = postcode_district(postcode) if postcode else None
        results = [
            Found(
                match.training_session,
                match.venue,
                match.places_left,
                walks.get(match.venue.id),
                bool(district) and postcode_district(match.venue.postcode or "") == district,
            )
            for match in matches
        ]
        results.sort(
            key=lambda item: (
                not item.same_district,
                item.walk is None if walks_known else False,
                item.walk.minutes if item.walk and walks_known else 0.0,
                item.training_session.starts_at,
            )
        )
    return render_template(
        "champions/public/find.html",
        form=form,
        searched=searched,
        results=results[:MAX_RESULTS],
        more=max(0, len(results) - MAX_RESULTS),
        ward_name=ward_name,
        walks_known=walks_known,
        postcode=postcode,
        district=postcode_district(postcode) if postcode else None,
        topic_labels=TOPIC_LABELS,
    )


@bp.route("/sessions/<public_id>")
@public
def session_detail(public_id: str) -> str:
    session = db_session()
    try:
        training_session = services.get_training_session(session, public_id)
    except NotFound:
        abort(404)
    venue = training_session.venue
    opening = services.venue_schedule(venue)
    return render_template(
        "champions/public/session.html",
        training_session=training_session,
        venue=venue,
        title=services.session_title(training_session),
        topic=TOPIC_LABELS.get(training_session.topic, training_session.topic),
        level=LEVEL_LABELS.get(training_session.level, training_session.level),
        started=training_session.starts_at <= now_utc(),
        schedule=opening,
    )


# --- the booking journey ------------------------------------------------------------------------


@bp.route("/sessions/<public_id>/book")
@public
def book_start(public_id: str) -> Response:
    return journey.start(PUBLIC, public_id)


@bp.route("/sessions/<public_id>/book/name", methods=["GET", "POST"])
@public
@limiter.limit(_rate_limit, methods=["POST"])
def book_name(public_id: str) -> str | Response:
    return journey.name(PUBLIC, public_id)


@bp.route("/sessions/<public_id>/book/contact", methods=["GET", "POST"])
@public
@limiter.limit(_rate_limit, methods=["POST"])
def book_contact(public_id: str) -> str | Response:
    return journey.contact(PUBLIC, public_id)


@bp.route("/sessions/<public_id>/book/contact-details", methods=["GET", "POST"])
@public
@limiter.limit(_rate_limit, methods=["POST"])
def book_contact_details(public_id: str) -> str | Response:
    return journey.contact_details(PUBLIC, public_id)


@bp.route("/sessions/<public_id>/book/access-needs", methods=["GET", "POST"])
@public
@limiter.limit(_rate_limit, methods=["POST"])
def book_access_needs(public_id: str) -> str | Response:
    return journey.access_needs(PUBLIC, public_id)


@bp.route("/sessions/<public_id>/book/check", methods=["GET", "POST"])
@public
@limiter.limit(_rate_limit, methods=["POST"])
def book_check(public_id: str) -> str | Response:
    return journey.check(PUBLIC, public_id)


@bp.route("/sessions/<public_id>/book/confirmation")
@public
def book_confirmation(public_id: str) -> str | Response:
    return journey.confirmation(PUBLIC, public_id)


@bp.route("/sessions/<public_id>/book/calendar.ics")
@public
def book_calendar(public_id: str) -> Response:
    return journey.calendar(PUBLIC, public_id)


# --- links in residents' messages ---------------------------------------------------------------


def _booking_for_link(reference: str, token: str) -> Booking:
    booking = services.find_booking_for_link(db_session(), reference=reference, token=token)
    if booking is None:
        abort(404)
    return booking


def _link_page(
    template: str, booking: Booking, reference: str, token: str, **context: object
) -> str:
    training_session = booking.training_session
    return render_template(
        template,
        booking=booking,
        training_session=training_session,
        title=services.session_title(training_session),
        reference=format_reference(booking.reference),
        status=BOOKING_STATUS_LABELS.get(booking.status, booking.status),
        link_reference=reference,
        token=token,
        position=services.waiting_position(db_session(), booking),
        started=training_session.starts_at <= now_utc(),
        **context,
    )


@bp.route("/bookings/<reference>/<token>")
@public
def manage_booking(reference: str, token: str) -> str:
    booking = _booking_for_link(reference, token)
    return _link_page("champions/public/manage.html", booking, reference, token)


@bp.route("/bookings/<reference>/<token>/cancel", methods=["GET", "POST"])
@public
@limiter.limit(_rate_limit, methods=["POST"])
def cancel_booking(reference: str, token: str) -> str | Response | tuple[str, int]:
    booking = _booking_for_link(reference, token)
    form = ConfirmForm()
    form.submit.label.text = (
        "Leave the waiting list" if booking.status == "waiting" else "Cancel my booking"
    )
    problem = None
    if form.validate_on_submit():
        database = db_session()
        try:
            services.cancel_booking(
                database,
                reference=reference,
                token=token,
                now=now_utc(),
                settings=booking_settings(),
            )
        except DomainError as error:
            database.rollback()
            problem = error.message
        else:
            database.commit()
            return redirect(url_for(".manage_booking", reference=reference, token=token))
    page = _link_page(
        "champions/public/cancel.html", booking, reference, token, form=form, problem=problem
    )
    return (page, 409) if problem else page


@bp.route("/bookings/<reference>/<token>/accept", methods=["GET", "POST"])
@public
@limiter.limit(_rate_limit, methods=["POST"])
def accept_offer(reference: str, token: str) -> str | Response | tuple[str, int]:
    booking = _booking_for_link(reference, token)
    form = ConfirmForm()
    form.submit.label.text = "Accept the place"
    problem = None
    if form.validate_on_submit():
        database = db_session()
        try:
            services.accept_offer(
                database,
                reference=reference,
                token=token,
                now=now_utc(),
                settings=booking_settings(),
            )
        except (OfferExpired, BookingClosed) as error:
            database.rollback()
            problem = error.message
        else:
            database.commit()
            flash("Your place is booked. We have sent you a confirmation.")
            return redirect(url_for(".manage_booking", reference=reference, token=token))
    page = _link_page(
        "champions/public/accept.html", booking, reference, token, form=form, problem=problem
    )
    return (page, 409) if problem else page


@bp.route("/bookings/<reference>/<token>/calendar.ics")
@public
def booking_calendar(reference: str, token: str) -> Response:
    return journey.ics_response(_booking_for_link(reference, token))
