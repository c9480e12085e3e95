"""Retention: erase residents' names and contact details once they are no longer needed, and
former champions' details once they have been gone for the same period.

Bookings keep their status (so attendance, no-show and waiting-list figures stay right) but lose
the name, email, phone, access needs and link tokens once ``retention_days`` have passed since
the session ended.  Support logs keep every count and code but lose the name and contact of a
consenting resident once ``retention_days`` have passed since the help was given.  Outbox
messages of purged bookings lose their recipient and personalisation.

The purge is idempotent: a row is purged once and then left alone (``personal_data_purged_at``).
The council's records manager sets the period (a placeholder of two years after the session is
suggested in the reference notes, P-06).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from champions.models import Booking, Champion, SupportLog, TrainingSession
from champions.references import normalise_reference
from champions.vocabulary import ACTIVE_STATUSES
from core.audit import record_event
from core.clock import to_london
from core.errors import Conflict, NotFound
from core.outbox import redact_recipient


@dataclass(frozen=True)
class PurgeReport:
    """How many rows lost personal data in one run."""

    bookings: int
    support_logs: int
    outbox_messages: int
    champions: int = 0
    """Former champions whose name, contact details, availability and DBS dates were erased."""


def purge_personal_data(session: Session, *, now: datetime, retention_days: int) -> PurgeReport:
    """Erase personal data older than ``retention_days``, keeping anonymous statistics.

    Bookings count from the end of their session (UTC); support logs from the London date the
    help was given.  Returns what was purged; run it nightly.
    """
    if retention_days < 0:
        raise ValueError("retention_days must not be negative")
    cutoff = now - timedelta(days=retention_days)
    ended = select(TrainingSession.id).where(TrainingSession.ends_at < cutoff)
    booking_filter = (
        Booking.training_session_id.in_(ended),
        Booking.personal_data_purged_at.is_(None),
    )
    references = list(session.scalars(select(Booking.reference).where(*booking_filter)))
    if references:
        session.execute(
            update(Booking)
            .where(*booking_filter)
            .values(
                full_name=None,
                email=None,
                phone=None,
                access_needs=None,
                cancel_token_hash=None,
                offer_token_hash=None,
                personal_data_purged_at=now,
            )
            .execution_options(synchronize_session="fetch")
        )
    outbox_messages = sum(redact_recipient(session, reference=ref) for ref in references)

    oldest_kept = to_london(cutoff).date()
    log_filter = (
        SupportLog.occurred_on < oldest_kept,
        SupportLog.personal_data_purged_at.is_(None),
        or_(SupportLog.resident_name.is_not(None), SupportLog.resident_contact.is_not(None)),
    )
    log_ids = list(session.scalars(select(SupportLog.id).where(*log_filter)))
    if log_ids:
        session.execute(
            update(SupportLog)
            .where(SupportLog.id.in_(log_ids))
            .values(resident_name=None, resident_contact=None, personal_data_purged_at=now)
            .execution_options(synchronize_session="fetch")
        )
    champions = _purge_former_champions(session, now=now, cutoff=cutoff)
    session.flush()
    report = PurgeReport(
        bookings=len(references),
        support_logs=len(log_ids),
        outbox_messages=outbox_messages,
        champions=champions,
    )
    record_event(
        session,
        at=now,
        actor_id=None,
        action="retention.purged",
        object_type="retention",
        object_id="champions",
        details={
            "retention_days": retention_days,
            "bookings": report.bookings,
            "support_logs": report.support_logs,
            "outbox_messages": report.outbox_messages,
            "champions": report.champions,
        },
    )
    return report


FORMER_CHAMPION = "Former champion"
"""The name a former champion's record keeps once their details are erased."""


def _purge_former_champions(session: Session, *, now: datetime, cutoff: datetime) -> int:
    """Erase what identifies champions who left before ``cutoff``; their help stays counted.

    Kind, skill areas, ward, home venue and training modules stay (for reports); the name,
    email, phone, languages, availability, DBS dates and sign-in link go.
    """
    gone = list(
        session.scalars(
            select(Champion).where(
                Champion.active.is_(False),
                Champion.left_at < cutoff,
                Champion.personal_data_purged_at.is_(None),
            )
        )
    )
    for champion in gone:
        champion.full_name = FORMER_CHAMPION
        champion.email = champion.phone = champion.availability = None
        champion.languages = []
        champion.dbs_checked_on = champion.dbs_expires_on = None
        champion.user_id = None
        champion.personal_data_purged_at = now
    return len(gone)


def erase_booking_details(
    session: Session, *, reference: str, now: datetime, actor_id: int | None
) -> Booking:
    """Erase one resident's details from a booking at their request (UK GDPR Art. 17).

    The booking row stays, with its status, so session figures do not change; its messages are
    redacted.  A live booking for a session still to come must be cancelled first, so that no
    place is held by nobody.
    """
    normal = normalise_reference(reference)
    booking = (
        None
        if normal is None
        else session.scalars(select(Booking).where(Booking.reference == normal)).first()
    )
    if booking is None:
        raise NotFound("There is no booking with that reference", field="reference")
    if booking.status in ACTIVE_STATUSES and booking.training_session.ends_at > now:
        raise Conflict("Cancel this booking before erasing the resident’s details")
    booking.full_name = booking.email = booking.phone = booking.access_needs = None
    booking.cancel_token_hash = booking.offer_token_hash = None
    booking.personal_data_purged_at = now
    redact_recipient(session, reference=booking.reference)
    session.flush()
    record_event(
        session,
        at=now,
        actor_id=actor_id,
        action="booking.details_erased",
        object_type="booking",
        object_id=booking.reference,
    )
    return booking


def erase_support_log_identity(
    session: Session, support_log_id: int, *, now: datetime, actor_id: int | None
) -> SupportLog:
    """Remove a resident's name and contact from a support log (consent withdrawn or erasure).

    The counts and codes stay; ``consent_recorded_at`` is cleared too, since the consent no
    longer stands.
    """
    log = session.get(SupportLog, support_log_id)
    if log is None:
        raise NotFound("We could not find that support log entry")
    log.resident_name = None
    log.resident_contact = None
    log.consent_recorded_at = None
    log.personal_data_purged_at = now
    session.flush()
    record_event(
        session,
        at=now,
        actor_id=actor_id,
        action="support_log.identity_erased",
        object_type="support_log",
        object_id=log.public_id,
    )
    return log


__all__ = [
    "PurgeReport",
    "erase_booking_details",
    "erase_support_log_identity",
    "purge_personal_data",
]
