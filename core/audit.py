"""Append-only audit log of state changes.

Rows hold identifiers, never names or contact details, so erasing a person's data does not
rewrite history.  Nothing updates a row here; rows older than the council's retention period are
deleted by :func:`delete_events_before` (``flask --app app retention logs``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, delete
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base


class AuditEvent(Base):
    """Who did what to which record, and when (UTC)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(80), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(64), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


def record_event(
    session: Session,
    *,
    at: datetime,
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: str | int,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one audit row in the caller's transaction."""
    event = AuditEvent(
        at=at,
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        details=dict(details or {}),
    )
    session.add(event)
    return event


def delete_events_before(session: Session, cutoff: datetime) -> int:
    """Delete audit rows older than ``cutoff`` (UTC); how many went.  The caller commits."""
    result = session.execute(delete(AuditEvent).where(AuditEvent.at < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
