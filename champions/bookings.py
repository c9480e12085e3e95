"""Booking places at training sessions: capacity, waiting lists, offers, cancellation, attendance.

How a place is never given twice
--------------------------------
``training_sessions.booked_count`` counts the places held (bookings that are confirmed, offered,
attended or no-show).  A place is only ever taken with one conditional statement::

    UPDATE training_sessions SET booked_count = booked_count + 1
    WHERE id = :id AND status = 'scheduled' AND starts_at > :now AND booked_count < capacity

and a confirmed booking is inserted only if that changed exactly one row, in the same
transaction.  On PostgreSQL (READ COMMITTED) a concurrent writer waits for the row lock and
re-checks the ``WHERE`` clause against the committed row; on SQLite every transaction begins
``IMMEDIATE`` (``core.db``), so writers queue.  A CHECK constraint (``0 <= booked_count <=
capacity``) is the last line of defence.  Places are given back with the matching conditional
decrement in the same transaction as the status change.

Every change to an existing booking locks the session row first, then the booking row
(``SELECT ... FOR UPDATE`` on PostgreSQL), always in that order, so two changes never deadlock
and a double click cannot give back the same place twice.

Idempotency
-----------
Each booking form carries a random ``idempotency_key``, stored under a unique constraint.  A
resubmission returns the booking already made.  When two copies race, the loser's insert fails
inside a SAVEPOINT, which undoes its place as well; it then finds and returns the winner's
booking.

Waiting list
------------
A booking made when the session is full goes on the waiting list (first come, first served).
When a place is given back it is offered to the first person waiting for ``offer_hours`` (48 by
default, as in pretix), never beyond the start of the session.  The offer holds the place; if it
is not accepted in time ``expire_offers`` passes it on to the next person.  Waiting and offered
people get no reminders.

Messages
--------
Messages go to the notification outbox (``core.outbox``) in the same transaction, keyed by the
booking reference so they can be cancelled and redacted.  Link tokens are stored only as hashes;
the link itself appears in the outbox message, which is redacted by the retention purge.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, cast

from sqlalchemy import CursorResult, and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from champions.errors import (
    AlreadyBooked,
    BookingClosed,
    BookingNotFound,
    FieldError,
    IdempotencyMismatch,
    InvalidInput,
    OfferExpired,
    SessionFull,
    SessionUnavailable,
)
from champions.models import Booking, Champion, TrainingSession
from champions.references import (
    format_reference,
    hash_token,
    new_booking_reference,
    new_link_token,
    normalise_reference,
    token_matches,
)
from champions.rules import (
    clean_optional_text,
    offer_expires_at,
    reminder_send_after,
    validate_email,
    validate_full_name,
    validate_uk_phone,
)
from champions.vocabulary import (
    ACTIVE_STATUSES,
    TEMPLATE_BOOKING_CANCELLED,
    TEMPLATE_BOOKING_CONFIRMED,
    TEMPLATE_OFFER_EXPIRED,
    TEMPLATE_SESSION_CANCELLED,
    TEMPLATE_SESSION_CHANGED,
    TEMPLATE_SESSION_REMINDER,
    TEMPLATE_WAITING_LIST_JOINED,
    TEMPLATE_WAITING_LIST_OFFER,
    TOPIC_LABELS,
)
from core.audit import record_event
from core.clock import govuk_date, govuk_datetime, govuk_time
from core.errors import NotFound
from core.outbox import OutboxMessage, cancel_pending, queue_message

_KEY = re.compile(r"^[A-Za-z0-9_\-]{16,64}$")
_REFERENCE_ATTEMPTS: Final = 5


@dataclass(frozen=True)
class BookingSettings:
    """Council choices for bookings; the app builds one from its configuration.

    Attributes
    ----------
    reminder_hours:
        How long before the start the reminder is sent.
    offer_hours:
        How long a waiting-list offer lasts (pretix's default is 48 hours).
    min_offer_minutes:
        No offer is made if less than this would be left before the session starts.
    waiting_list_limit:
        Most people on one session's waiting list, or ``None`` for no limit.
    manage_url:
        Builds the link a resident follows to see, accept or cancel a booking, from the
        reference and the link token; ``None`` leaves links out of messages.
    """

    reminder_hours: float = 24
    offer_hours: float = 48
    min_offer_minutes: float = 30
    waiting_list_limit: int | None = None
    manage_url: Callable[[str, str], str] | None = None


DEFAULT_SETTINGS: Final = BookingSettings()


@dataclass(frozen=True)
class BookingResult:
    """What ``book_place`` did.

    ``created`` is false when the form had already been submitted and the earlier booking is
    returned; then ``cancel_token`` is ``None`` (only its hash is stored; the link is in the
    confirmation message).
    """

    booking: Booking
    created: bool
    cancel_token: str | None
    waiting_position: int | None

    @property
    def reference(self) -> str:
        """The booking reference, as stored (8 characters)."""
        return self.booking.reference

    @property
    def status(self) -> str:
        """``confirmed`` or ``waiting`` for a new booking; anything for a replay."""
        return self.booking.status


@dataclass(frozen=True)
class ExpiryReport:
    """How many offers ran out and how many new offers were made."""

    expired: int
    offered: int


@dataclass(frozen=True)
class AttendanceResult:
    """How many people came and how many did not."""

    attended: int
    no_shows: int


@dataclass(frozen=True)
class _Contact:
    method: str | None
    email: str | None
    phone: str | None


# ---------------------------------------------------------------------------------------------
# Booking
# ---------------------------------------------------------------------------------------------


def book_place(
    session: Session,
    *,
    training_session_id: int,
    full_name: str,
    contact_method: str | None,
    email: str | None = None,
    phone: str | None = None,
    access_needs: str | None = None,
    idempotency_key: str,
    now: datetime,
    booked_by: int | None = None,
    settings: BookingSettings = DEFAULT_SETTINGS,
) -> BookingResult:
    """Book a place at a session, or a place on its waiting list when it is full.

    ``contact_method`` is ``"email"`` or ``"sms"`` (then ``email`` or ``phone`` is required) or
    ``None``, which only a champion booking for a resident (``booked_by``, a champion id) may
    choose.  Queues the confirmation and the reminder, or the waiting-list message.

    Raises
    ------
    InvalidInput
        A field is wrong (fields: ``full_name``, ``contact_method``, ``email``, ``phone``,
        ``access_needs``).
    NotFound
        No such session or champion.
    SessionUnavailable
        The session was cancelled or has started.
    AlreadyBooked
        This email address or phone number already has a live booking for the session.
    SessionFull
        The session and its waiting list are both full.
    IdempotencyMismatch
        The form token was already used to book a different session.
    """
    key = idempotency_key.strip()
    if not _KEY.match(key):
        raise ValueError("idempotency_key must be 16-64 characters of A-Z, a-z, 0-9, _ or -")
    name, contact, needs = _validated_booker(
        full_name, contact_method, email, phone, access_needs, assisted=booked_by is not None
    )
    existing = _booking_by_key(session, key)
    if existing is not None:
        return _replay(session, existing, training_session_id)
    training_session = session.get(TrainingSession, training_session_id)
    if training_session is None:
        raise NotFound("We could not find that session. Choose another session")
    _ensure_bookable(training_session, now)
    if booked_by is not None:
        champion = session.get(Champion, booked_by)
        if champion is None or not champion.active:
            raise NotFound("We could not find an active champion to record as booking this place")
    replay = _replay_or_refuse_duplicate(session, key, training_session_id, contact)
    if replay is not None:
        return replay

    for _attempt in range(_REFERENCE_ATTEMPTS):
        reference, token = new_booking_reference(), new_link_token()
        try:
            with session.begin_nested():
                took_place = _take_place(session, training_session_id, now)
                if not took_place:
                    took_place = _place_or_wait_under_lock(
                        session, training_session_id, contact, now, settings
                    )
                booking = Booking(
                    reference=reference,
                    cancel_token_hash=hash_token(token),
                    idempotency_key=key,
                    training_session_id=training_session_id,
                    status="confirmed" if took_place else "waiting",
                    full_name=name,
                    contact_method=contact.method,
                    email=contact.email,
                    phone=contact.phone,
                    access_needs=needs,
                    booked_by_champion_id=booked_by,
                    created_at=now,
                    confirmed_at=now if took_place else None,
                    waitlisted_at=None if took_place else now,
                )
                session.add(booking)
                session.flush()
        except IntegrityError:
            # The savepoint is gone, and with it this attempt's place.  Work out which
            # uniqueness rule a concurrent request won.
            replay = _replay_or_refuse_duplicate(session, key, training_session_id, contact)
            if replay is not None:
                return replay
            if session.scalar(select(Booking.id).where(Booking.reference == reference)):
                continue
            raise
        break
    else:  # pragma: no cover - 5 collisions in a 2^40 space do not happen
        raise RuntimeError("could not find a free booking reference")

    session.refresh(training_session, ["booked_count"])
    position = None
    if booking.status == "confirmed":
        _queue_confirmation(session, booking, training_session, token, now, settings)
    else:
        position = waiting_position(session, booking)
        _queue(
            session,
            booking,
            TEMPLATE_WAITING_LIST_JOINED,
            now,
            {
                **_details(booking, training_session, token, settings),
                "position": str(position),
            },
        )
    record_event(
        session,
        at=now,
        actor_id=None,
        action="booking.created",
        object_type="booking",
        object_id=booking.reference,
        details={
            "session": training_session.public_id,
            "status": booking.status,
            "booked_by_champion": booked_by,
        },
    )
    return BookingResult(booking, created=True, cancel_token=token, waiting_position=position)


def _validated_booker(
    full_name: str,
    contact_method: str | None,
    email: str | None,
    phone: str | None,
    access_needs: str | None,
    *,
    assisted: bool,
) -> tuple[str, _Contact, str | None]:
    errors: list[FieldError] = []
    name = _collect(errors, lambda: validate_full_name(full_name, own=not assisted))
    contact = _Contact(None, None, None)
    if contact_method == "email":
        address = _collect(errors, lambda: validate_email(email, own=not assisted))
        contact = _Contact("email", address, None)
    elif contact_method == "sms":
        number = _collect(errors, lambda: validate_uk_phone(phone, own=not assisted))
        contact = _Contact("sms", None, number)
    elif contact_method is not None or not assisted:
        errors.append(
            FieldError(
                "contact_method",
                "Select how you want us to contact you"
                if not assisted
                else "Select how we should contact them",
            )
        )
    needs = _collect(
        errors,
        lambda: clean_optional_text(
            access_needs, field="access_needs", label="Access needs", max_length=500
        ),
    )
    if errors:
        raise InvalidInput(errors)
    return cast(str, name), contact, needs


def _collect(errors: list[FieldError], validator: Callable[[], str | None]) -> str | None:
    try:
        return validator()
    except InvalidInput as error:
        errors.extend(error.errors)
        return None


def _booking_by_key(session: Session, key: str) -> Booking | None:
    return session.scalars(select(Booking).where(Booking.idempotency_key == key)).first()


def _replay(session: Session, existing: Booking, training_session_id: int) -> BookingResult:
    if existing.training_session_id != training_session_id:
        raise IdempotencyMismatch(
            "This form has already been used to book a different session. "
            "Go back to the list of sessions and start again"
        )
    position = waiting_position(session, existing) if existing.status == "waiting" else None
    return BookingResult(existing, created=False, cancel_token=None, waiting_position=position)


def _ensure_bookable(training_session: TrainingSession, now: datetime) -> None:
    if training_session.status != "scheduled":
        raise SessionUnavailable("This session has been cancelled. Choose another session")
    if training_session.starts_at <= now:
        raise SessionUnavailable("This session has already started. Choose another session")


def _replay_or_refuse_duplicate(
    session: Session, key: str, training_session_id: int, contact: _Contact
) -> BookingResult | None:
    """Return the replay of this form's booking, refuse a second booking for the same person,
    or return ``None`` when the booking may go ahead."""
    existing = _booking_by_key(session, key)
    if existing is not None:
        return _replay(session, existing, training_session_id)
    live = (*ACTIVE_STATUSES, "attended", "no_show")
    query = select(Booking.id).where(
        Booking.training_session_id == training_session_id, Booking.status.in_(live)
    )
    clash: str | None = None
    if (
        contact.email is not None
        and session.scalar(query.where(Booking.email == contact.email)) is not None
    ):
        clash = "email"
    elif (
        contact.phone is not None
        and session.scalar(query.where(Booking.phone == contact.phone)) is not None
    ):
        clash = "phone"
    if clash is None:
        return None
    # On PostgreSQL another copy of this very form may have committed between the two reads.
    existing = _booking_by_key(session, key)
    if existing is not None:
        return _replay(session, existing, training_session_id)
    if clash == "email":
        raise AlreadyBooked(
            "This email address already has a place at this session, or is on its waiting "
            "list. Check your confirmation email",
            field="email",
        )
    raise AlreadyBooked(
        "This phone number already has a place at this session, or is on its waiting "
        "list. Check your confirmation text message",
        field="phone",
    )


def _take_place(session: Session, training_session_id: int, now: datetime) -> bool:
    """Take one free place with a conditional UPDATE; true if a place was taken."""
    result = session.execute(
        update(TrainingSession)
        .where(
            TrainingSession.id == training_session_id,
            TrainingSession.status == "scheduled",
            TrainingSession.starts_at > now,
            TrainingSession.booked_count < TrainingSession.capacity,
        )
        .values(booked_count=TrainingSession.booked_count + 1)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount == 1


def _release_place(session: Session, training_session_id: int) -> None:
    """Give one place back (never below zero)."""
    session.execute(
        update(TrainingSession)
        .where(TrainingSession.id == training_session_id, TrainingSession.booked_count > 0)
        .values(booked_count=TrainingSession.booked_count - 1)
        .execution_options(synchronize_session=False)
    )


def _place_or_wait_under_lock(
    session: Session,
    training_session_id: int,
    contact: _Contact,
    now: datetime,
    settings: BookingSettings,
) -> bool:
    """After the quick path found no place: lock the row, say why, and decide for certain."""
    training_session = lock_training_session(session, training_session_id)
    _ensure_bookable(training_session, now)
    # A place may have come free between the failed UPDATE and the lock; with the lock held
    # this answer is final.
    if _take_place(session, training_session_id, now):
        return True
    if contact.method is None:
        raise InvalidInput.single(
            "contact_method",
            "This session is full. To join the waiting list, give an email address or mobile "
            "number so we can say when a place comes up",
        )
    limit = settings.waiting_list_limit
    if limit is not None:
        waiting = session.scalar(
            select(func.count(Booking.id)).where(
                Booking.training_session_id == training_session_id, Booking.status == "waiting"
            )
        )
        if (waiting or 0) >= limit:
            raise SessionFull("This session and its waiting list are full. Choose another session")
    return False


def lock_training_session(session: Session, training_session_id: int) -> TrainingSession:
    """Load a session with its row locked for this transaction (PostgreSQL ``FOR UPDATE``).

    SQLite ignores ``FOR UPDATE``; there the whole transaction already holds the write lock.
    """
    training_session = session.scalars(
        select(TrainingSession)
        .where(TrainingSession.id == training_session_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if training_session is None:
        raise NotFound("We could not find that session")
    return training_session


def _lock_booking(session: Session, booking_id: int) -> Booking:
    return session.scalars(
        select(Booking)
        .where(Booking.id == booking_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def waiting_position(session: Session, booking: Booking) -> int | None:
    """Return the booking's place in its waiting list (1 is next), or ``None`` if not waiting."""
    if booking.status != "waiting" or booking.waitlisted_at is None:
        return None
    ahead = session.scalar(
        select(func.count(Booking.id)).where(
            Booking.training_session_id == booking.training_session_id,
            Booking.status == "waiting",
            or_(
                Booking.waitlisted_at < booking.waitlisted_at,
                and_(Booking.waitlisted_at == booking.waitlisted_at, Booking.id < booking.id),
            ),
        )
    )
    return (ahead or 0) + 1


# ---------------------------------------------------------------------------------------------
# Finding a booking from a link
# ---------------------------------------------------------------------------------------------


def find_booking_for_link(session: Session, *, reference: str, token: str) -> Booking | None:
    """Return the booking that ``reference`` and the link ``token`` open, or ``None``.

    The token must be the one sent with this booking (its cancellation link, or the link in a
    waiting-list offer); another booking's token opens nothing.
    """
    normal = normalise_reference(reference)
    if normal is None:
        return None
    booking = session.scalars(select(Booking).where(Booking.reference == normal)).first()
    if booking is None:
        return None
    if token_matches(token, booking.cancel_token_hash) or token_matches(
        token, booking.offer_token_hash
    ):
        return booking
    return None


def get_booking(session: Session, *, reference: str) -> Booking:
    """Return a booking by reference, for staff who have checked who is asking."""
    normal = normalise_reference(reference)
    booking = (
        None
        if normal is None
        else session.scalars(select(Booking).where(Booking.reference == normal)).first()
    )
    if booking is None:
        raise BookingNotFound(
            "There is no booking with that reference. Check it and try again", field="reference"
        )
    return booking


def _booking_from_link(session: Session, reference: str, token: str) -> Booking:
    booking = find_booking_for_link(session, reference=reference, token=token)
    if booking is None:
        raise BookingNotFound(
            "We could not find a booking for this link. Check you used the link in your "
            "latest message, or contact us"
        )
    return booking


# ---------------------------------------------------------------------------------------------
# Cancelling, offers and expiry
# ---------------------------------------------------------------------------------------------


def cancel_booking(
    session: Session,
    *,
    reference: str,
    token: str,
    now: datetime,
    settings: BookingSettings = DEFAULT_SETTINGS,
) -> Booking:
    """Cancel a booking (or leave a waiting list, or decline an offer) from the resident's link.

    Works once: a second use raises ``BookingClosed``.  A freed place is offered to the next
    person waiting.
    """
    booking = _booking_from_link(session, reference, token)
    return _cancel(session, booking, now=now, settings=settings, actor_id=None)


def cancel_booking_for_resident(
    session: Session,
    *,
    reference: str,
    now: datetime,
    actor_id: int | None,
    settings: BookingSettings = DEFAULT_SETTINGS,
) -> Booking:
    """Cancel a booking on a resident's behalf (staff, after checking who is asking)."""
    booking = get_booking(session, reference=reference)
    return _cancel(session, booking, now=now, settings=settings, actor_id=actor_id)


def _cancel(
    session: Session,
    booking: Booking,
    *,
    now: datetime,
    settings: BookingSettings,
    actor_id: int | None,
) -> Booking:
    training_session = lock_training_session(session, booking.training_session_id)
    booking = _lock_booking(session, booking.id)
    if booking.status == "cancelled":
        raise BookingClosed("This booking has already been cancelled")
    if booking.status not in ACTIVE_STATUSES:
        raise BookingClosed("This booking can no longer be cancelled")
    if training_session.starts_at <= now:
        raise BookingClosed("This session has already started, so the booking cannot be cancelled")
    held_place = booking.status in ("confirmed", "offered")
    previous = booking.status
    booking.status = "cancelled"
    booking.cancelled_at = now
    booking.offer_token_hash = None
    cancel_pending(session, reference=booking.reference)
    _queue(
        session,
        booking,
        TEMPLATE_BOOKING_CANCELLED,
        now,
        _details(booking, training_session, None, settings),
    )
    session.flush()
    if held_place:
        _release_place(session, training_session.id)
        offer_free_places(session, training_session, now=now, settings=settings)
    session.refresh(training_session, ["booked_count"])
    record_event(
        session,
        at=now,
        actor_id=actor_id,
        action="booking.cancelled",
        object_type="booking",
        object_id=booking.reference,
        details={"previous_status": previous},
    )
    return booking


def offer_free_places(
    session: Session,
    training_session: TrainingSession,
    *,
    now: datetime,
    settings: BookingSettings = DEFAULT_SETTINGS,
) -> int:
    """Offer every free place to the people waiting, in order; return how many were offered.

    The caller must hold the session's row lock (``lock_training_session``).
    """
    offered = 0
    while training_session.status == "scheduled":
        expires = offer_expires_at(
            now=now,
            starts_at=training_session.starts_at,
            offer_hours=settings.offer_hours,
            min_offer_minutes=settings.min_offer_minutes,
        )
        if expires is None:
            break
        candidate = session.scalars(
            select(Booking)
            .where(Booking.training_session_id == training_session.id, Booking.status == "waiting")
            .order_by(Booking.waitlisted_at, Booking.id)
            .limit(1)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).first()
        if candidate is None or not _take_place(session, training_session.id, now):
            break
        token = new_link_token()
        candidate.status = "offered"
        candidate.offered_at = now
        candidate.offer_expires_at = expires
        candidate.offer_token_hash = hash_token(token)
        session.flush()
        _queue(
            session,
            candidate,
            TEMPLATE_WAITING_LIST_OFFER,
            now,
            {
                **_details(candidate, training_session, token, settings),
                "offer_expires": govuk_datetime(expires),
                # The names the message texts of ``app.notifications`` use.
                "expires": govuk_datetime(expires),
                "accept_link": manage_url_for(candidate, token, settings),
            },
        )
        offered += 1
    return offered


def accept_offer(
    session: Session,
    *,
    reference: str,
    token: str,
    now: datetime,
    settings: BookingSettings = DEFAULT_SETTINGS,
) -> Booking:
    """Take up the place offered from the waiting list (idempotent: a second click is fine).

    Raises
    ------
    OfferExpired
        The offer ran out (the place is passed on by ``expire_offers``).
    BookingClosed
        There is no offer for this booking.
    """
    found = _booking_from_link(session, reference, token)
    training_session = lock_training_session(session, found.training_session_id)
    booking = _lock_booking(session, found.id)
    if booking.status == "confirmed":
        return booking
    if booking.status == "expired":
        raise OfferExpired(
            "This offer has ended and the place was offered to the next person waiting"
        )
    if booking.status == "waiting":
        raise BookingClosed(
            "You are still on the waiting list. We will contact you if a place comes up"
        )
    if booking.status != "offered":
        raise BookingClosed("There is no place on offer for this booking")
    assert booking.offer_expires_at is not None
    if booking.offer_expires_at <= now or training_session.starts_at <= now:
        raise OfferExpired(
            f"This offer ended on {govuk_datetime(booking.offer_expires_at)}. "
            "The place is being offered to the next person waiting"
        )
    booking.status = "confirmed"
    booking.confirmed_at = now
    cancel_pending(session, reference=booking.reference, template=TEMPLATE_WAITING_LIST_OFFER)
    _queue_confirmation(session, booking, training_session, token, now, settings)
    session.flush()
    record_event(
        session,
        at=now,
        actor_id=None,
        action="booking.offer_accepted",
        object_type="booking",
        object_id=booking.reference,
    )
    return booking


def expire_offers(
    session: Session, *, now: datetime, settings: BookingSettings = DEFAULT_SETTINGS
) -> ExpiryReport:
    """End every offer that has run out and offer each place to the next person waiting.

    Run it every few minutes from a scheduled job; it is safe to run twice at
    once, because each offer is re-checked under its lock.
    """
    due = session.execute(
        select(Booking.id, Booking.training_session_id)
        .where(Booking.status == "offered", Booking.offer_expires_at <= now)
        .order_by(Booking.training_session_id, Booking.id)
    ).all()
    expired = offered = 0
    for booking_id, training_session_id in due:
        training_session = lock_training_session(session, training_session_id)
        booking = _lock_booking(session, booking_id)
        if (
            booking.status != "offered"
            or booking.offer_expires_at is None
            or booking.offer_expires_at > now
        ):
            continue
        booking.status = "expired"
        booking.offer_token_hash = None
        cancel_pending(session, reference=booking.reference)
        _queue(
            session,
            booking,
            TEMPLATE_OFFER_EXPIRED,
            now,
            _details(booking, training_session, None, settings),
        )
        session.flush()
        _release_place(session, training_session.id)
        expired += 1
        offered += offer_free_places(session, training_session, now=now, settings=settings)
        session.refresh(training_session, ["booked_count"])
        record_event(
            session,
            at=now,
            actor_id=None,
            action="booking.offer_expired",
            object_type="booking",
            object_id=booking.reference,
        )
    return ExpiryReport(expired=expired, offered=offered)


# ---------------------------------------------------------------------------------------------
# Sessions: cancellation, changes, attendance
# ---------------------------------------------------------------------------------------------


def cancel_session(
    session: Session,
    training_session_id: int,
    *,
    reason: str,
    now: datetime,
    actor_id: int | None = None,
    settings: BookingSettings = DEFAULT_SETTINGS,
) -> int:
    """Cancel a session and every booking and waiting-list place; return how many were told."""
    cleaned = (reason or "").strip()
    if not cleaned:
        raise InvalidInput.single("reason", "Enter why the session is cancelled")
    if len(cleaned) > 500:
        raise InvalidInput.single("reason", "Reason must be 500 characters or less")
    training_session = lock_training_session(session, training_session_id)
    if training_session.status == "cancelled":
        raise SessionUnavailable("This session has already been cancelled")
    if training_session.starts_at <= now:
        raise SessionUnavailable("This session has already started, so it cannot be cancelled")
    bookings = session.scalars(
        select(Booking)
        .where(
            Booking.training_session_id == training_session.id,
            Booking.status.in_(ACTIVE_STATUSES),
        )
        .order_by(Booking.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    training_session.status = "cancelled"
    training_session.cancelled_at = now
    training_session.cancellation_reason = cleaned
    training_session.booked_count = 0
    training_session.updated_at = now
    told = 0
    for booking in bookings:
        booking.status = "cancelled"
        booking.cancelled_at = now
        booking.offer_token_hash = None
        cancel_pending(session, reference=booking.reference)
        message = _queue(
            session,
            booking,
            TEMPLATE_SESSION_CANCELLED,
            now,
            {**_details(booking, training_session, None, settings), "reason": cleaned},
        )
        told += message is not None
    session.flush()
    record_event(
        session,
        at=now,
        actor_id=actor_id,
        action="session.cancelled",
        object_type="training_session",
        object_id=training_session.public_id,
        details={"bookings_cancelled": len(bookings)},
    )
    return told


def notify_session_changed(
    session: Session,
    training_session: TrainingSession,
    *,
    now: datetime,
    settings: BookingSettings = DEFAULT_SETTINGS,
) -> int:
    """Tell everyone holding a place that the time or venue changed, and move their reminders.

    A pending reminder is updated in place, so it keeps the link it was queued with.
    """
    bookings = session.scalars(
        select(Booking).where(
            Booking.training_session_id == training_session.id,
            Booking.status.in_(("confirmed", "offered")),
        )
    ).all()
    told = 0
    for booking in bookings:
        reminder = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.reference == booking.reference,
                OutboxMessage.template == TEMPLATE_SESSION_REMINDER,
                OutboxMessage.status == "pending",
            )
        ).first()
        details = _details(booking, training_session, None, settings)
        manage_url = ""
        if reminder is not None:
            manage_url = str(reminder.personalisation.get("manage_url", ""))
            send_after = reminder_send_after(
                training_session.starts_at, now=now, reminder_hours=settings.reminder_hours
            )
            if send_after is None or booking.status != "confirmed":
                reminder.status = "cancelled"
            else:
                reminder.send_after = send_after
                reminder.personalisation = {**details, "manage_url": manage_url}
        elif booking.status == "confirmed":
            send_after = reminder_send_after(
                training_session.starts_at, now=now, reminder_hours=settings.reminder_hours
            )
            if send_after is not None:
                _queue(
                    session, booking, TEMPLATE_SESSION_REMINDER, now, details, send_after=send_after
                )
        message = _queue(
            session,
            booking,
            TEMPLATE_SESSION_CHANGED,
            now,
            {**details, "manage_url": manage_url},
        )
        told += message is not None
    return told


def mark_attendance(
    session: Session,
    training_session_id: int,
    *,
    attended_booking_ids: Collection[int],
    now: datetime,
    actor_id: int | None = None,
) -> AttendanceResult:
    """Record who came: listed bookings attended, every other booked place is a no-show.

    Can be run again to correct a mistake.
    """
    training_session = lock_training_session(session, training_session_id)
    if training_session.status == "cancelled":
        raise SessionUnavailable("This session was cancelled, so there is no attendance to record")
    if now < training_session.starts_at:
        raise SessionUnavailable("You can record attendance once the session has started")
    bookings = session.scalars(
        select(Booking)
        .where(
            Booking.training_session_id == training_session.id,
            Booking.status.in_(("confirmed", "attended", "no_show")),
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    attended_ids = set(attended_booking_ids)
    if attended_ids - {booking.id for booking in bookings}:
        raise InvalidInput.single("attended", "Select people from the list of bookings")
    for booking in bookings:
        booking.status = "attended" if booking.id in attended_ids else "no_show"
        booking.attendance_marked_at = now
    training_session.attendance_recorded_at = now
    session.flush()
    result = AttendanceResult(
        attended=len(attended_ids), no_shows=len(bookings) - len(attended_ids)
    )
    record_event(
        session,
        at=now,
        actor_id=actor_id,
        action="session.attendance_recorded",
        object_type="training_session",
        object_id=training_session.public_id,
        details={"attended": result.attended, "no_shows": result.no_shows},
    )
    return result


# ---------------------------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------------------------


def session_title(training_session: TrainingSession) -> str:
    """The title people see: the session's own, or its topic's name."""
    return training_session.title or TOPIC_LABELS.get(training_session.topic, "Digital skills")


def _details(
    booking: Booking,
    training_session: TrainingSession,
    token: str | None,
    settings: BookingSettings,
) -> dict[str, str]:
    """Personalisation for a message: no access needs or other sensitive data (GOV.UK Notify)."""
    venue = training_session.venue
    address = ", ".join(part for part in (venue.address, venue.postcode) if part)
    manage_url = manage_url_for(booking, token, settings)
    title = session_title(training_session)
    day = govuk_date(training_session.starts_at)
    start, end = govuk_time(training_session.starts_at), govuk_time(training_session.ends_at)
    return {
        "name": booking.full_name or "",
        "session_title": title,
        "venue_name": venue.name,
        "venue_address": address,
        "date": day,
        "start_time": start,
        "end_time": end,
        "reference": format_reference(booking.reference),
        "manage_url": manage_url,
        # The same facts under the names the message texts of ``app.notifications`` use.
        "session": title,
        "when": f"{day}, {start} to {end}",
        "venue": ", ".join(part for part in (venue.name, address) if part),
        "cancel_link": manage_url,
    }


def manage_url_for(booking: Booking, token: str | None, settings: BookingSettings) -> str:
    """The resident's link to see, accept or cancel ``booking`` ("" without a token or builder)."""
    if token is None or settings.manage_url is None:
        return ""
    return settings.manage_url(booking.reference, token)


def _queue(
    session: Session,
    booking: Booking,
    template: str,
    now: datetime,
    personalisation: dict[str, str],
    *,
    send_after: datetime | None = None,
) -> OutboxMessage | None:
    """Queue one message to the booker by their chosen method; none if they gave no contact."""
    if booking.contact_method == "email" and booking.email:
        channel, recipient = "email", booking.email
    elif booking.contact_method == "sms" and booking.phone:
        channel, recipient = "sms", booking.phone
    else:
        return None
    return queue_message(
        session,
        channel=channel,
        recipient=recipient,
        template=template,
        personalisation=personalisation,
        now=now,
        reference=booking.reference,
        send_after=send_after,
    )


def _queue_confirmation(
    session: Session,
    booking: Booking,
    training_session: TrainingSession,
    token: str | None,
    now: datetime,
    settings: BookingSettings,
) -> None:
    details = _details(booking, training_session, token, settings)
    _queue(session, booking, TEMPLATE_BOOKING_CONFIRMED, now, details)
    send_after = reminder_send_after(
        training_session.starts_at, now=now, reminder_hours=settings.reminder_hours
    )
    if send_after is not None:
        _queue(session, booking, TEMPLATE_SESSION_REMINDER, now, details, send_after=send_after)


__all__ = [
    "DEFAULT_SETTINGS",
    "AttendanceResult",
    "BookingResult",
    "BookingSettings",
    "ExpiryReport",
    "accept_offer",
    "book_place",
    "cancel_booking",
    "cancel_booking_for_resident",
    "cancel_session",
    "expire_offers",
    "find_booking_for_link",
    "get_booking",
    "lock_training_session",
    "mark_attendance",
    "notify_session_changed",
    "offer_free_places",
    "session_title",
    "waiting_position",
]
