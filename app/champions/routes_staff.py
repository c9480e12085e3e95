"""Staff pages of the champions network.

* Coordinators (and administrators) manage champions, venues and training sessions.
* Champions, coordinators and administrators log support, mark attendance and book places for
  residents (the same questions residents answer, recorded as "booked by" the champion).
* Coordinators, planners, administrators and councillors read the report; councillors see small
  numbers suppressed (``core.suppression``), the other roles see full figures.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta
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
    url_for,
)
from flask_login import current_user
from pyproj import Transformer
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from app.access import has_role, roles_allowed
from app.auth.roles import ADMIN, CHAMPION, COORDINATOR, COUNCILLOR, PLANNER, STAFF_DETAIL_ROLES
from app.champions import booking_settings, journey
from app.champions.fields import parse_clock, whole_number
from app.champions.forms import (
    AttendanceForm,
    CancelSessionForm,
    ChampionFilterForm,
    ChampionForm,
    ClosureForm,
    ReportForm,
    SeriesForm,
    SessionFilterForm,
    SessionForm,
    SupportLogForm,
    TrainingForm,
    VenueForm,
    apply_invalid_input,
)
from app.champions.journey import ASSISTED
from app.champions.presenters import (
    account_choices,
    build_report,
    champion_activity,
    champion_choices,
    match_places,
    place_choices,
    report_csv_rows,
    session_bookings,
    session_rows,
    support_logs_for,
    venue_choices,
    ward_choices,
    ward_names,
)
from app.database import db_session
from app.forms import ConfirmForm
from app.places.models import Place, PlaceCatchment
from champions import services
from champions.commands import (
    ChampionDetails,
    OpeningInterval,
    SeriesDetails,
    SessionDetails,
    SupportLogDetails,
    VenueDetails,
)
from champions.errors import InvalidInput
from champions.models import Champion, SupportLog, TrainingSession, Venue
from champions.references import format_reference
from champions.rules import opening_hours_text
from champions.vocabulary import (
    AGE_BAND_LABELS,
    BOOKING_STATUS_LABELS,
    CHAMPION_KIND_LABELS,
    CONTACT_METHOD_LABELS,
    LEVEL_LABELS,
    OUTCOME_LABELS,
    PLACE_LABELS,
    SUPPORT_KIND_LABELS,
    TOPIC_LABELS,
    TRAINING_MODULE_LABELS,
    WEEKDAY_NAMES,
)
from core.clock import LONDON, now_utc, to_london, today_london
from core.errors import DomainError, NotFound

bp = Blueprint("champions", __name__, url_prefix="/champions")

MANAGERS = (COORDINATOR, ADMIN)
FIELD_STAFF = (CHAMPION, COORDINATOR, ADMIN)
REPORT_READERS = (COORDINATOR, PLANNER, ADMIN, COUNCILLOR)
_TO_GRID = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)


def _actor() -> int:
    return int(current_user.id)


def _own_champion() -> Champion | None:
    return services.find_champion_for_user(db_session(), current_user.id)


def _or_404(loader: Any, public_id: str) -> Any:
    try:
        return loader(db_session(), public_id)
    except NotFound:
        abort(404)


def _optional_id(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


def _day(value: date | None) -> date:
    """A date from a field that ``Required`` has checked."""
    if value is None:
        raise ValueError("a required date field was empty after validation")
    return value


# =============================================================================================
# Champions
# =============================================================================================


@bp.route("/people")
@roles_allowed(*MANAGERS)
def index() -> str:
    session = db_session()
    form = ChampionFilterForm(formdata=request.args if request.args else None)
    form.venue.choices = venue_choices(session, blank="Any", include_closed=True)
    valid = form.validate() if request.args else True
    status = (form.status.data or "active") if valid else "active"
    champions = services.list_champions(session, include_inactive=status != "active")
    if status == "inactive":
        champions = [c for c in champions if not c.active]
    if valid:
        if form.kind.data:
            champions = [c for c in champions if c.kind == form.kind.data]
        if form.skill.data:
            champions = [c for c in champions if form.skill.data in (c.skill_areas or [])]
        if form.venue.data:
            champions = [c for c in champions if str(c.home_venue_id) == form.venue.data]
        language = (form.language.data or "").strip().casefold()
        if language:
            champions = [
                c for c in champions if any(language in item.casefold() for item in c.languages)
            ]
    due = {
        item.champion.id: item
        for item in services.list_champions_due(session, today=today_london())
    }
    return render_template(
        "champions/staff/champions.html",
        form=form,
        champions=champions,
        due=due,
        kinds=CHAMPION_KIND_LABELS,
    )


@bp.route("/attention")
@roles_allowed(*MANAGERS)
def attention() -> str:
    return render_template(
        "champions/staff/attention.html",
        due=services.list_champions_due(db_session(), today=today_london()),
    )


def _champion_form(form: ChampionForm, champion: Champion | None) -> None:
    session = db_session()
    form.home_venue_id.choices = venue_choices(session, blank="None", include_closed=True)
    form.ward_code.choices = ward_choices(session, blank="None")
    form.user_id.choices = account_choices(session, champion_id=champion.id if champion else None)


def _champion_details(form: ChampionForm, *, new: bool) -> ChampionDetails:
    return ChampionDetails(
        full_name=form.full_name.data or "",
        kind=form.kind.data or "",
        email=form.email.data or None,
        phone=form.phone.data or None,
        languages=form.language_list(),
        skill_areas=tuple(form.skill_areas.data or ()),
        home_venue_id=_optional_id(form.home_venue_id.data),
        ward_code=form.ward_code.data or None,
        availability=form.availability.data or None,
        dbs_checked_on=form.dbs_checked_on.data,
        dbs_expires_on=form.dbs_expires_on.data,
        user_id=_optional_id(form.user_id.data),
        # The add form has no "active" box: a new champion is active.
        active=True if new else bool(form.active.data),
    )


@bp.route("/people/new", methods=["GET", "POST"])
@roles_allowed(*MANAGERS)
def new_champion() -> str | BaseResponse:
    form = ChampionForm()
    _champion_form(form, None)
    if form.validate_on_submit():
        database = db_session()
        try:
            champion = services.create_champion(
                database, _champion_details(form, new=True), now=now_utc(), actor_id=_actor()
            )
        except DomainError as error:
            database.rollback()
            apply_invalid_input(form, error)
        else:
            database.commit()
            flash(f"{champion.full_name} is added. Now record the training they have done.")
            return redirect(url_for(".champion", public_id=champion.public_id))
    return render_template("champions/staff/champion_form.html", form=form, champion=None)


@bp.route("/people/<public_id>")
@roles_allowed(*MANAGERS)
def champion(public_id: str) -> str:
    found: Champion = _or_404(services.get_champion, public_id)
    session = db_session()
    due = [
        item
        for item in services.list_champions_due(session, today=today_london())
        if item.champion.id == found.id
    ]
    account = None
    if found.user_id is not None:
        from app.auth.models import User

        account = session.get(User, found.user_id)
    return render_template(
        "champions/staff/champion.html",
        champion=found,
        due=due[0].items if due else (),
        activity=champion_activity(session, found, now=now_utc()),
        account=account,
        kinds=CHAMPION_KIND_LABELS,
        topics=TOPIC_LABELS,
        modules=TRAINING_MODULE_LABELS,
        places=PLACE_LABELS,
        wards=ward_names(session),
    )


@bp.route("/people/<public_id>/edit", methods=["GET", "POST"])
@roles_allowed(*MANAGERS)
def edit_champion(public_id: str) -> str | BaseResponse:
    found: Champion = _or_404(services.get_champion, public_id)
    form = ChampionForm(
        data={
            "full_name": found.full_name,
            "kind": found.kind,
            "email": found.email or "",
            "phone": found.phone or "",
            "languages": ", ".join(found.languages or []),
            "skill_areas": list(found.skill_areas or []),
            "home_venue_id": str(found.home_venue_id or ""),
            "ward_code": found.ward_code or "",
            "availability": found.availability or "",
            "dbs_checked_on": found.dbs_checked_on,
            "dbs_expires_on": found.dbs_expires_on,
            "user_id": str(found.user_id or ""),
            "active": found.active,
        }
    )
    _champion_form(form, found)
    if form.validate_on_submit():
        database = db_session()
        try:
            services.update_champion(
                database,
                found.id,
                _champion_details(form, new=False),
                now=now_utc(),
                actor_id=_actor(),
            )
        except DomainError as error:
            database.rollback()
            apply_invalid_input(form, error)
        else:
            database.commit()
            flash("Champion details saved.")
            return redirect(url_for(".champion", public_id=public_id))
    return render_template("champions/staff/champion_form.html", form=form, champion=found)


@bp.route("/people/<public_id>/training", methods=["GET", "POST"])
@roles_allowed(*MANAGERS)
def record_training(public_id: str) -> str | BaseResponse:
    found: Champion = _or_404(services.get_champion, public_id)
    form = TrainingForm()
    if form.validate_on_submit():
        database = db_session()
        try:
            services.record_training(
                database,
                found.id,
                module=form.module.data or "",
                completed_on=_day(form.completed_on.data),
                now=now_utc(),
                actor_id=_actor(),
            )
        except DomainError as error:
            database.rollback()
            apply_invalid_input(form, error)
        else:
            database.commit()
            flash(f"Training recorded: {TRAINING_MODULE_LABELS[form.module.data or '']}.")
            return redirect(url_for(".champion", public_id=public_id))
    return render_template("champions/staff/training_form.html", form=form, champion=found)


# =============================================================================================
# Venues
# =============================================================================================


@bp.route("/venues")
@roles_allowed(*MANAGERS)
def venues() -> str:
    session = db_session()
    found = services.list_venues(session, include_closed=True)
    return render_template(
        "champions/staff/venues.html",
        venues=found,
        wards=ward_names(session),
        places=match_places(session, found),
    )


def _venue_form(form: VenueForm) -> None:
    session = db_session()
    form.ward_code.choices = ward_choices(session, blank="Not known")
    form.place_id.choices = place_choices(session)


def _venue_details(form: VenueForm) -> VenueDetails:
    latitude = float(form.latitude.data) if (form.latitude.data or "").strip() else None
    longitude = float(form.longitude.data) if (form.longitude.data or "").strip() else None
    ward = form.ward_code.data or None
    address = form.address.data or None
    easting = northing = None
    place = db_session().get(Place, int(form.place_id.data)) if form.place_id.data else None
    if place is not None:
        if latitude is None and longitude is None:
            latitude, longitude = place.lat, place.lon
            easting, northing = place.x_m, place.y_m
        ward = ward or place.ward_code
        address = address or place.address
    if easting is None and latitude is not None and longitude is not None:
        easting, northing = (float(value) for value in _TO_GRID.transform(longitude, latitude))
    accessibility = set(form.accessibility.data or [])
    return VenueDetails(
        name=form.name.data or "",
        address=address,
        postcode=form.postcode.data or None,
        latitude=latitude,
        longitude=longitude,
        easting_m=round(easting, 1) if easting is not None else None,
        northing_m=round(northing, 1) if northing is not None else None,
        ward_code=ward,
        opening_hours=tuple(
            OpeningInterval(day, opens, closes) for day, opens, closes in form.opening_hours()
        ),
        step_free_access="step_free_access" in accessibility,
        hearing_loop="hearing_loop" in accessibility,
        accessible_toilet="accessible_toilet" in accessibility,
        accessibility_notes=form.accessibility_notes.data or None,
        public_wifi=bool(form.public_wifi.data),
        devices_available=whole_number(form.devices_available) or 0,
        devices_notes=form.devices_notes.data or None,
        contact_phone=form.contact_phone.data or None,
        closed=bool(form.closed.data),
    )


def _venue_error(form: VenueForm, error: DomainError) -> None:
    """Put a venue service error on the form: grid coordinates on the latitude and longitude
    boxes (they are worked out from them), opening hours on the weekday the message names."""
    problems = (
        [(item.field, item.message) for item in error.errors]
        if isinstance(error, InvalidInput)
        else [(error.field, error.message)]
    )
    renames = {"easting_m": "latitude", "northing_m": "longitude"}
    for field, message in problems:
        if field == "opening_hours":
            day = next((i for i, name in enumerate(WEEKDAY_NAMES) if name in message), 0)
            field = f"hours_{day}"
        apply_invalid_input(form, DomainError(message, field=renames.get(field or "", field)))


@bp.route("/venues/new", methods=["GET", "POST"])
@roles_allowed(*MANAGERS)
def new_venue() -> str | BaseResponse:
    form = VenueForm()
    _venue_form(form)
    if form.validate_on_submit():
        database = db_session()
        try:
            venue = services.create_venue(
                database, _venue_details(form), now=now_utc(), actor_id=_actor()
            )
        except DomainError as error:
            database.rollback()
            _venue_error(form, error)
        else:
            database.commit()
            flash(f"{venue.name} is added.")
            return redirect(url_for(".venue", public_id=venue.public_id))
    return render_template("champions/staff/venue_form.html", form=form, venue=None)


@bp.route("/venues/<public_id>")
@roles_allowed(*MANAGERS)
def venue(public_id: str) -> str:
    found: Venue = _or_404(services.get_venue, public_id)
    session = db_session()
    place = match_places(session, [found]).get(found.id)
    catchments = (
        {
            row.minutes: row.residents_within
            for row in session.scalars(
                select(PlaceCatchment).where(PlaceCatchment.place_id == place.id)
            )
        }
        if place is not None
        else {}
    )
    hours = {
        day: opening_hours_text(
            [i for i in services.venue_schedule(found).opening_hours if i.weekday == day]
        )
        for day in range(7)
    }
    return render_template(
        "champions/staff/venue.html",
        venue=found,
        place=place,
        catchments=catchments,
        hours=hours,
        weekdays=WEEKDAY_NAMES,
        wards=ward_names(session),
        upcoming=session_rows(session, now=now_utc(), venue_id=found.id, limit=20),
        today=today_london(),
    )


@bp.route("/venues/<public_id>/edit", methods=["GET", "POST"])
@roles_allowed(*MANAGERS)
def edit_venue(public_id: str) -> str | BaseResponse:
    found: Venue = _or_404(services.get_venue, public_id)
    schedule = services.venue_schedule(found)
    data: dict[str, Any] = {
        "name": found.name,
        "address": found.address or "",
        "postcode": found.postcode or "",
        "latitude": "" if found.latitude is None else f"{found.latitude:.6f}",
        "longitude": "" if found.longitude is None else f"{found.longitude:.6f}",
        "ward_code": found.ward_code or "",
        "accessibility": [
            name
            for name in ("step_free_access", "hearing_loop", "accessible_toilet")
            if getattr(found, name)
        ],
        "accessibility_notes": found.accessibility_notes or "",
        "public_wifi": found.public_wifi,
        "devices_available": str(found.devices_available or 0),
        "devices_notes": found.devices_notes or "",
        "contact_phone": found.contact_phone or "",
        "closed": found.closed,
    }
    for day in range(7):
        data[f"hours_{day}"] = opening_hours_text(
            [interval for interval in schedule.opening_hours if interval.weekday == day]
        )
    form = VenueForm(data=data)
    _venue_form(form)
    if form.validate_on_submit():
        database = db_session()
        try:
            services.update_venue(
                database, found.id, _venue_details(form), now=now_utc(), actor_id=_actor()
            )
        except DomainError as error:
            database.rollback()
            _venue_error(form, error)
        else:
            database.commit()
            flash("Venue details saved. Sessions already booked have not moved.")
            return redirect(url_for(".venue", public_id=public_id))
    return render_template("champions/staff/venue_form.html", form=form, venue=found)


@bp.route("/venues/<public_id>/closures/new", methods=["GET", "POST"])
@roles_allowed(*MANAGERS)
def add_closure(public_id: str) -> str | BaseResponse:
    found: Venue = _or_404(services.get_venue, public_id)
    form = ClosureForm()
    affected: tuple[TrainingSession, ...] = ()
    if form.validate_on_submit():
        database = db_session()
        try:
            result = services.add_venue_closure(
                database,
                found.id,
                starts_on=_day(form.starts_on.data),
                ends_on=_day(form.ends_on.data),
                reason=form.reason.data or None,
                now=now_utc(),
                actor_id=_actor(),
            )
        except DomainError as error:
            database.rollback()
            apply_invalid_input(form, error)
        else:
            database.commit()
            affected = result.affected_sessions
            if not affected:
                flash("Closure added. No sessions were booked on those days.")
                return redirect(url_for(".venue", public_id=public_id))
            flash(
                f"Closure added. {len(affected)} session(s) are booked on those days: "
                "cancel or move each one."
            )
            return render_template(
                "champions/staff/closure_added.html", venue=found, affected=affected
            )
    return render_template("champions/staff/closure_form.html", form=form, venue=found)


# =============================================================================================
# Sessions
# =============================================================================================


@bp.route("/sessions")
@roles_allowed(*FIELD_STAFF)
def sessions() -> str:
    session = db_session()
    form = SessionFilterForm(formdata=request.args if request.args else None)
    form.venue.choices = venue_choices(session, blank="Any", include_closed=True)
    valid = form.validate() if request.args else True
    rows = session_rows(
        session,
        now=now_utc(),
        period=(form.period.data or "upcoming") if valid else "upcoming",
        venue_id=_optional_id(form.venue.data) if valid else None,
        topic=(form.topic.data or None) if valid else None,
    )
    return render_template(
        "champions/staff/sessions.html",
        form=form,
        rows=rows,
        topics=TOPIC_LABELS,
        can_manage=has_role(*MANAGERS),
    )


def _session_form(form: SessionForm | SeriesForm, training_session: TrainingSession | None) -> None:
    session = db_session()
    current = training_session.venue_id if training_session else None
    form.venue_id.choices = [
        choice
        for choice in venue_choices(session, blank="Choose a venue", include_closed=True)
        if not choice[1].endswith("(closed)") or choice[0] == str(current)
    ]
    form.champion_ids.choices = champion_choices(
        session, include=[c.id for c in training_session.champions] if training_session else ()
    )


def _at(day: Any, clock: str | None) -> datetime:
    moment = parse_clock(clock) or time(0, 0)
    return datetime.combine(day, moment, tzinfo=LONDON)


def _session_details(form: SessionForm) -> SessionDetails:
    return SessionDetails(
        topic=form.topic.data or "",
        venue_id=int(form.venue_id.data or 0),
        starts_at=_at(form.starts_on.data, form.starts_at.data),
        ends_at=_at(form.starts_on.data, form.ends_at.data),
        capacity=whole_number(form.capacity) or 0,
        level=form.level.data or "",
        language=form.language.data or "",
        title=form.title.data or None,
        description=form.description.data or None,
        champion_ids=tuple(int(value) for value in form.champion_ids.data or ()),
    )


@bp.route("/sessions/new", methods=["GET", "POST"])
@roles_allowed(*MANAGERS)
def new_session() -> str | BaseResponse:
    form = SessionForm(
        data={"language": "English", "level": "beginner"} if request.method == "GET" else None
    )
    _session_form(form, None)
    if form.validate_on_submit():
        database = db_session()
        try:
            created = services.create_session(
                database, _session_details(form), now=now_utc(), actor_id=_actor()
            )
        except DomainError as error:
            database.rollback()
            apply_invalid_input(form, error)
        else:
            database.commit()
            flash("Session scheduled. Residents can book it now.")
            return redirect(url_for(".session_detail", public_id=created.public_id))
    return render_template("champions/staff/session_form.html", form=form, training_session=None)


@bp.route("/sessions/new-series", methods=["GET", "POST"])
@roles_allowed(*MANAGERS)
def new_series() -> str | BaseResponse:
    form = SeriesForm(
        data={
            "language": "English",
            "level": "beginner",
            "duration_min": "90",
            "frequency": "weekly",
        }
        if request.method == "GET"
        else None
    )
    _session_form(form, None)
    if form.validate_on_submit():
        database = db_session()
        details = SeriesDetails(
            topic=form.topic.data or "",
            venue_id=int(form.venue_id.data or 0),
            first_starts_at=_at(form.first_starts_on.data, form.first_starts_at.data),
            duration_min=whole_number(form.duration_min) or 0,
            capacity=whole_number(form.capacity) or 0,
            frequency=form.frequency.data or "",
            occurrences=whole_number(form.occurrences),
            until_on=form.until_on.data,
            level=form.level.data or "",
            language=form.language.data or "",
            title=form.title.data or None,
            description=form.description.data or None,
            champion_ids=tuple(int(value) for value in form.champion_ids.data or ()),
        )
        try:
            result = services.create_series(database, details, now=now_utc(), actor_id=_actor())
        except DomainError as error:
            database.rollback()
            apply_invalid_input(form, error, fields={"starts_at": "first_starts_at"})
        else:
            database.commit()
            skipped = "; ".join(
                f"{item.day.day} {item.day:%B %Y} ({item.reason})" for item in result.skipped
            )
            flash(
                f"{len(result.sessions)} sessions scheduled."
                + (f" Left out because the venue is closed: {skipped}." if skipped else "")
            )
            return redirect(url_for(".sessions"))
    return render_template("champions/staff/series_form.html", form=form)


@bp.route("/sessions/<public_id>")
@roles_allowed(*FIELD_STAFF)
def session_detail(public_id: str) -> str:
    found: TrainingSession = _or_404(services.get_training_session, public_id)
    session = db_session()
    now = now_utc()
    return render_template(
        "champions/staff/session.html",
        training_session=found,
        title=services.session_title(found),
        bookings=session_bookings(session, found),
        statuses=BOOKING_STATUS_LABELS,
        methods=CONTACT_METHOD_LABELS,
        topics=TOPIC_LABELS,
        levels=LEVEL_LABELS,
        started=found.starts_at <= now,
        can_manage=has_role(*MANAGERS),
        sees_contacts=has_role(*MANAGERS),
        format_reference=format_reference,
    )


@bp.route("/sessions/<public_id>/edit", methods=["GET", "POST"])
@roles_allowed(*MANAGERS)
def edit_session(public_id: str) -> str | BaseResponse:
    found: TrainingSession = _or_404(services.get_training_session, public_id)
    if found.status != "scheduled" or found.starts_at <= now_utc():
        flash("This session has been cancelled or has started, so it cannot be changed.", "error")
        return redirect(url_for(".session_detail", public_id=public_id))
    start, end = to_london(found.starts_at), to_london(found.ends_at)
    form = SessionForm(
        data={
            "title": found.title or "",
            "topic": found.topic,
            "level": found.level,
            "language": found.language,
            "venue_id": str(found.venue_id),
            "capacity": str(found.capacity),
            "description": found.description or "",
            "champion_ids": [str(c.id) for c in found.champions],
            "starts_on": start.date(),
            "starts_at": f"{start:%H:%M}",
            "ends_at": f"{end:%H:%M}",
        }
    )
    _session_form(form, found)
    if form.validate_on_submit():
        database = db_session()
        try:
            services.update_session(
                database,
                found.id,
                _session_details(form),
                now=now_utc(),
                actor_id=_actor(),
                settings=booking_settings(),
            )
        except DomainError as error:
            database.rollback()
            apply_invalid_input(form, error)
        else:
            database.commit()
            flash("Session saved. Anyone booked has been told of any change of time or place.")
            return redirect(url_for(".session_detail", public_id=public_id))
    return render_template("champions/staff/session_form.html", form=form, training_session=found)


@bp.route("/sessions/<public_id>/cancel", methods=["GET", "POST"])
@roles_allowed(*MANAGERS)
def cancel_session(public_id: str) -> str | BaseResponse:
    found: TrainingSession = _or_404(services.get_training_session, public_id)
    form = CancelSessionForm()
    if form.validate_on_submit():
        database = db_session()
        try:
            told = services.cancel_session(
                database,
                found.id,
                reason=form.reason.data or "",
                now=now_utc(),
                actor_id=_actor(),
                settings=booking_settings(),
            )
        except DomainError as error:
            database.rollback()
            apply_invalid_input(form, error)
        else:
            database.commit()
            flash(f"Session cancelled. {told} people will get a message to say so.")
            return redirect(url_for(".session_detail", public_id=public_id))
    held = session_bookings(db_session(), found)
    return render_template(
        "champions/staff/cancel_session.html",
        form=form,
        training_session=found,
        title=services.session_title(found),
        affected=len(held["places"]) + len(held["waiting"]),
    )


@bp.route("/sessions/<public_id>/attendance", methods=["GET", "POST"])
@roles_allowed(*FIELD_STAFF)
def attendance(public_id: str) -> str | BaseResponse:
    found: TrainingSession = _or_404(services.get_training_session, public_id)
    session = db_session()
    held = [
        booking
        for booking in session_bookings(session, found)["places"]
        if booking.status in ("confirmed", "attended", "no_show")
    ]
    form = AttendanceForm(
        data={"attended": [str(b.id) for b in held if b.status == "attended"]}
        if request.method == "GET"
        else None
    )
    form.attended.choices = [(str(b.id), b.full_name or "Name removed") for b in held]
    if form.validate_on_submit():
        try:
            result = services.mark_attendance(
                session,
                found.id,
                attended_booking_ids=[int(value) for value in form.attended.data or ()],
                now=now_utc(),
                actor_id=_actor(),
            )
        except DomainError as error:
            session.rollback()
            apply_invalid_input(form, error)
        else:
            session.commit()
            flash(f"Attendance saved: {result.attended} came, {result.no_shows} did not.")
            return redirect(url_for(".session_detail", public_id=public_id))
    return render_template(
        "champions/staff/attendance.html",
        form=form,
        training_session=found,
        title=services.session_title(found),
        held=held,
        started=found.starts_at <= now_utc(),
    )


@bp.route("/sessions/<public_id>/bookings/<reference>/cancel", methods=["GET", "POST"])
@roles_allowed(*FIELD_STAFF)
def cancel_booking(public_id: str, reference: str) -> str | BaseResponse:
    found: TrainingSession = _or_404(services.get_training_session, public_id)
    database = db_session()
    try:
        booking = services.get_booking(database, reference=reference)
    except NotFound:
        abort(404)
    if booking.training_session_id != found.id:
        abort(404)
    form = ConfirmForm()
    form.submit.label.text = (
        "Take them off the waiting list" if booking.status == "waiting" else "Cancel the booking"
    )
    problem = None
    if form.validate_on_submit():
        try:
            services.cancel_booking_for_resident(
                database,
                reference=booking.reference,
                now=now_utc(),
                actor_id=_actor(),
                settings=booking_settings(),
            )
        except DomainError as error:
            database.rollback()
            problem = error.message
        else:
            database.commit()
            flash(f"Booking {format_reference(booking.reference)} cancelled.")
            return redirect(url_for(".session_detail", public_id=public_id))
    return render_template(
        "champions/staff/cancel_booking.html",
        form=form,
        training_session=found,
        title=services.session_title(found),
        booking=booking,
        reference=format_reference(booking.reference),
        status=BOOKING_STATUS_LABELS.get(booking.status, booking.status),
        problem=problem,
    )


# --- booking for a resident (the residents' questions, "booked by" the champion) ------------


@bp.route("/sessions/<public_id>/book")
@roles_allowed(*FIELD_STAFF)
def book_start(public_id: str) -> BaseResponse:
    return journey.start(ASSISTED, public_id)


@bp.route("/sessions/<public_id>/book/name", methods=["GET", "POST"])
@roles_allowed(*FIELD_STAFF)
def book_name(public_id: str) -> str | BaseResponse:
    return journey.name(ASSISTED, public_id)


@bp.route("/sessions/<public_id>/book/contact", methods=["GET", "POST"])
@roles_allowed(*FIELD_STAFF)
def book_contact(public_id: str) -> str | BaseResponse:
    return journey.contact(ASSISTED, public_id)


@bp.route("/sessions/<public_id>/book/contact-details", methods=["GET", "POST"])
@roles_allowed(*FIELD_STAFF)
def book_contact_details(public_id: str) -> str | BaseResponse:
    return journey.contact_details(ASSISTED, public_id)


@bp.route("/sessions/<public_id>/book/access-needs", methods=["GET", "POST"])
@roles_allowed(*FIELD_STAFF)
def book_access_needs(public_id: str) -> str | BaseResponse:
    return journey.access_needs(ASSISTED, public_id)


@bp.route("/sessions/<public_id>/book/check", methods=["GET", "POST"])
@roles_allowed(*FIELD_STAFF)
def book_check(public_id: str) -> str | BaseResponse:
    return journey.check(ASSISTED, public_id)


@bp.route("/sessions/<public_id>/book/confirmation")
@roles_allowed(*FIELD_STAFF)
def book_confirmation(public_id: str) -> str | BaseResponse:
    return journey.confirmation(ASSISTED, public_id)


@bp.route("/sessions/<public_id>/book/calendar.ics")
@roles_allowed(*FIELD_STAFF)
def book_calendar(public_id: str) -> BaseResponse:
    return journey.calendar(ASSISTED, public_id)


# =============================================================================================
# Support logs
# =============================================================================================


def _may_see_log(log: SupportLog) -> bool:
    if has_role(*MANAGERS):
        return True
    own = _own_champion()
    return own is not None and own.id == log.champion_id


@bp.route("/support")
@roles_allowed(*FIELD_STAFF)
def support_logs() -> str:
    session = db_session()
    own = _own_champion()
    everyone = has_role(*MANAGERS)
    champion_id = None if everyone else (own.id if own else -1)
    chosen = request.args.get("champion", "")
    if everyone and chosen:
        champion_id = _or_404(services.get_champion, chosen).id
    return render_template(
        "champions/staff/support_logs.html",
        logs=support_logs_for(session, champion_id=champion_id),
        own=own,
        everyone=everyone,
        topics=TOPIC_LABELS,
        places=PLACE_LABELS,
        outcomes=OUTCOME_LABELS,
    )


def _persona_choices() -> list[tuple[str, str]]:
    from surveys.personas import DEFAULT_PERSONAS

    return [
        (str(p["key"]), f"{p['name']}: {p['description']}") for p in DEFAULT_PERSONAS["personas"]
    ] + [("", "Not sure")]


@bp.route("/support/new", methods=["GET", "POST"])
@roles_allowed(*FIELD_STAFF)
def log_support() -> str | BaseResponse:
    session = db_session()
    own = _own_champion()
    everyone = has_role(*MANAGERS)
    if own is None and not everyone:
        return render_template("champions/staff/no_champion_record.html")
    today = today_london()
    form = SupportLogForm(
        data={
            "occurred_on": today,
            "kind": "individual",
            "champion_id": str(own.id) if own else "",
            "venue_id": str(own.home_venue_id or "") if own else "",
        }
        if request.method == "GET"
        else None
    )
    if everyone:
        form.champion_id.choices = [("", "Choose a champion"), *champion_choices(session)]
    else:
        del form.champion_id  # a champion logs their own help, whatever is sent
    form.venue_id.choices = venue_choices(session, blank="Choose a venue")
    form.ward_code.choices = ward_choices(session, blank="Not known")
    form.persona_code.choices = _persona_choices()
    if form.validate_on_submit():
        champion_id = _optional_id(form.champion_id.data) if everyone else (own.id if own else None)
        if champion_id is None:
            form.champion_id.errors = ["Select the champion who gave the help"]
        else:
            place = form.place.data or ""
            group = form.kind.data == "group"
            details = SupportLogDetails(
                occurred_on=_day(form.occurred_on.data),
                place=place,
                venue_id=_optional_id(form.venue_id.data) if place == "venue" else None,
                duration_min=whole_number(form.duration_min) or 0,
                topics=tuple(form.topics.data or ()),
                outcome=form.outcome.data or "",
                kind=form.kind.data or "",
                headcount=(whole_number(form.headcount) or 0) if group else 1,
                ward_code=form.ward_code.data or None,
                age_band=form.age_band.data or None,
                persona_code=form.persona_code.data or None,
                referred_to=form.referred_to.data or None,
                consent_given=bool(form.consent_given.data),
                resident_name=form.resident_name.data or None,
                resident_contact=form.resident_contact.data or None,
            )
            try:
                services.log_support(session, details, champion_id=champion_id, now=now_utc())
            except DomainError as error:
                session.rollback()
                apply_invalid_input(form, error)
            else:
                session.commit()
                flash("Thank you. The help you gave is logged.")
                return redirect(url_for(".support_logs"))
    return render_template(
        "champions/staff/support_form.html", form=form, own=own, everyone=everyone
    )


@bp.route("/support/<public_id>")
@roles_allowed(*FIELD_STAFF)
def support_log(public_id: str) -> str:
    log = db_session().scalars(select(SupportLog).where(SupportLog.public_id == public_id)).first()
    if log is None or not _may_see_log(log):
        abort(404)
    return render_template(
        "champions/staff/support_log.html",
        log=log,
        form=ConfirmForm(),
        topics=TOPIC_LABELS,
        places=PLACE_LABELS,
        outcomes=OUTCOME_LABELS,
        kinds=SUPPORT_KIND_LABELS,
        ages=AGE_BAND_LABELS,
        wards=ward_names(db_session()),
    )


@bp.route("/support/<public_id>/remove-name", methods=["POST"])
@roles_allowed(*FIELD_STAFF)
def remove_support_identity(public_id: str) -> BaseResponse:
    database = db_session()
    log = database.scalars(select(SupportLog).where(SupportLog.public_id == public_id)).first()
    if log is None or not _may_see_log(log):
        abort(404)
    form = ConfirmForm()
    if form.validate_on_submit():
        services.erase_support_log_identity(database, log.id, now=now_utc(), actor_id=_actor())
        database.commit()
        flash("The resident’s name and contact details are removed from this log.")
    return redirect(url_for(".support_log", public_id=public_id))


# =============================================================================================
# Reports
# =============================================================================================


def _report_from_request() -> tuple[ReportForm, Any]:
    form = ReportForm(formdata=request.args if request.args else None)
    detail = bool(set(current_user.roles) & STAFF_DETAIL_ROLES)
    if not detail:
        form.by.choices = [("venue", "Venue"), ("ward", "Ward")]
    valid = form.validate() if request.args else True
    if not valid:
        return form, None
    today = today_london()
    date_to = form.date_to.data or today
    date_from = form.date_from.data or (date_to - timedelta(days=364))
    if date_from > date_to:
        form.date_from.errors = ["The start date must be the same as or before the end date"]
        return form, None
    report = build_report(
        db_session(),
        date_from=date_from,
        date_to=date_to,
        by=form.by.data or "ward",
        suppress=not detail,
        threshold=float(current_app.config["SMALL_NUMBER_THRESHOLD"]),
        round_to=current_app.config.get("SMALL_NUMBER_ROUND_TO"),
    )
    return form, report


@bp.route("/report")
@roles_allowed(*REPORT_READERS)
def report() -> str:
    form, built = _report_from_request()
    return render_template(
        "champions/staff/report.html",
        form=form,
        report=built,
        topics=TOPIC_LABELS,
        outcomes=OUTCOME_LABELS,
        csv_url=url_for(".report_csv")
        + (f"?{request.query_string.decode()}" if request.query_string else ""),
    )


@bp.route("/report.csv")
@roles_allowed(*REPORT_READERS)
def report_csv() -> Response:
    _form, built = _report_from_request()
    if built is None:
        abort(400)
    buffer = io.StringIO()
    csv.writer(buffer).writerows(report_csv_rows(built))
    name = f"champions-support-by-{built.by}-{built.date_from.isoformat()}-to-{built.date_to.isoformat()}.csv"
    return Response(
        "\ufeff" + buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )
