"""The notification outbox.

A service that must tell a resident something (a booking confirmation, a reminder, a waiting-list
offer, a loan due date) adds a row here in the same transaction as the change itself.  A sender
run later (``flask notify send-pending``) delivers pending rows with retries, so a failure of the
messaging service never undoes or blocks the change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import JSON, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base

CHANNELS = ("email", "sms")
MAX_ATTEMPTS = 5


class OutboxMessage(Base):
    """One message waiting to be sent, or already sent, to one recipient."""

    __tablename__ = "notification_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))
    recipient: Mapped[str | None] = mapped_column(String(320))
    template: Mapped[str] = mapped_column(String(80), index=True)
    personalisation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reference: Mapped[str | None] = mapped_column(String(80), index=True)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    send_after: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    provider_id: Mapped[str | None] = mapped_column(String(80))
    last_error: Mapped[str | None] = mapped_column(Text)


class Sender(Protocol):
    """Something that can deliver one message; returns the provider's id for it."""

    def send(self, message: OutboxMessage) -> str: ...


@dataclass(frozen=True)
class SendReport:
    """How many messages a run sent, left for retry, and gave up on."""

    sent: int
    retrying: int
    failed: int


def queue_message(
    session: Session,
    *,
    channel: str,
    recipient: str | None,
    template: str,
    personalisation: dict[str, Any],
    now: datetime,
    reference: str | None = None,
    send_after: datetime | None = None,
) -> OutboxMessage:
    """Add a message to the outbox in the caller's transaction (it is sent later)."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    message = OutboxMessage(
        channel=channel,
        recipient=recipient,
        template=template,
        personalisation=dict(personalisation),
        reference=reference,
        status="pending",
        attempts=0,
        created_at=now,
        send_after=send_after or now,
    )
    session.add(message)
    return message


def cancel_pending(session: Session, *, reference: str, template: str | None = None) -> int:
    """Cancel messages not yet sent for ``reference`` (for example reminders of a cancelled booking)."""
    query = select(OutboxMessage).where(
        OutboxMessage.reference == reference, OutboxMessage.status == "pending"
    )
    if template is not None:
        query = query.where(OutboxMessage.template == template)
    messages = list(session.scalars(query))
    for message in messages:
        message.status = "cancelled"
    return len(messages)


def send_pending(
    session: Session, sender: Sender, *, now: datetime, limit: int = 500
) -> SendReport:
    """Try to send every pending message that is due; failures back off and are retried."""
    due = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == "pending", OutboxMessage.send_after <= now)
        .order_by(OutboxMessage.send_after, OutboxMessage.id)
        .limit(limit)
    )
    sent = retrying = failed = 0
    for message in due:
        message.attempts += 1
        try:
            message.provider_id = sender.send(message)
        except Exception as error:
            message.last_error = f"{type(error).__name__}: {error}"[:2000]
            if message.attempts >= MAX_ATTEMPTS:
                message.status = "failed"
                failed += 1
            else:
                message.send_after = now + timedelta(minutes=2**message.attempts)
                retrying += 1
            continue
        message.status = "sent"
        message.sent_at = now
        message.last_error = None
        sent += 1
    return SendReport(sent=sent, retrying=retrying, failed=failed)


def redact_recipient(session: Session, *, reference: str) -> int:
    """Remove the recipient and personalisation of every message for ``reference`` (retention,
    erasure); a message still waiting to be sent is cancelled, as it has nobody to go to."""
    messages = list(
        session.scalars(select(OutboxMessage).where(OutboxMessage.reference == reference))
    )
    for message in messages:
        message.recipient = None
        message.personalisation = {}
        if message.status == "pending":
            message.status = "cancelled"
    return len(messages)


def redact_finished_before(session: Session, cutoff: datetime) -> int:
    """Remove the recipient, personalisation and error text of messages queued before ``cutoff``
    that are no longer waiting (sent, failed or cancelled); how many.  The caller commits.

    The row stays (template, status and dates), so what was sent when can still be counted.
    """
    messages = list(
        session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.created_at < cutoff,
                OutboxMessage.status != "pending",
                # A message without a recipient had its personalisation cleared with it.
                (OutboxMessage.recipient.is_not(None)) | (OutboxMessage.last_error.is_not(None)),
            )
        )
    )
    for message in messages:
        message.recipient = None
        message.personalisation = {}
        message.last_error = None
    return len(messages)


__all__ = [
    "CHANNELS",
    "OutboxMessage",
    "SendReport",
    "Sender",
    "cancel_pending",
    "queue_message",
    "redact_finished_before",
    "redact_recipient",
    "send_pending",
]
