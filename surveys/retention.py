"""How long survey contact details are kept, and how they are removed.

A resident who agrees to be contacted again leaves a name, an email or a phone number
(:class:`surveys.models.SurveyContact`), kept apart from their answers.  The details go:

* when a coordinator has followed the person up, or the person asks (:func:`remove_contact`);
* at the latest ``retention_days`` after they were given (:func:`purge_contacts`, run nightly).

The answers, scores and persona stay, so area estimates do not change; only the way to reach the
person goes.  Each removal is audited by the response's public id, never by name.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core.audit import record_event
from core.errors import NotFound
from surveys.models import SurveyContact, SurveyResponse


def purge_contacts(session: Session, *, now: datetime, retention_days: int) -> int:
    """Delete contact details given more than ``retention_days`` before ``now`` (UTC).

    Returns how many were deleted.  Idempotent: a second run finds nothing.  The caller commits
    (or rolls back, for a dry run).
    """
    if retention_days < 0:
        raise ValueError("retention_days must not be negative")
    cutoff = now - timedelta(days=retention_days)
    expired = SurveyContact.created_at < cutoff
    count = session.scalar(select(func.count()).select_from(SurveyContact).where(expired)) or 0
    if count:
        session.execute(delete(SurveyContact).where(expired))
        record_event(
            session,
            at=now,
            actor_id=None,
            action="survey_contacts.purged",
            object_type="survey_contact",
            object_id="retention",
            details={"count": count, "retention_days": retention_days},
        )
    return count


def remove_contact(
    session: Session, *, response_public_id: str, now: datetime, actor_id: int | None
) -> None:
    """Delete the contact details left with one response (followed up, or the person asked).

    Raises
    ------
    NotFound
        When there is no such response, or its contact details are already gone.
    """
    response_id = session.scalar(
        select(SurveyResponse.id).where(SurveyResponse.public_id == response_public_id)
    )
    removed = (
        session.execute(delete(SurveyContact).where(SurveyContact.response_id == response_id))
        if response_id is not None
        else None
    )
    if removed is None or not removed.rowcount:  # type: ignore[attr-defined]
        raise NotFound("These contact details have already been removed.")
    record_event(
        session,
        at=now,
        actor_id=actor_id,
        action="survey_contact.removed",
        object_type="survey_response",
        object_id=response_public_id,
    )
