"""The notification outbox: queued with the change, sent later with retries, redacted on purge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from core.outbox import (
    MAX_ATTEMPTS,
    OutboxMessage,
    cancel_pending,
    queue_message,
    redact_recipient,
    send_pending,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Recorder:
    """A sender that records what it sends, or fails while ``failing``."""

    def __init__(self, *, failing: bool = False) -> None:
        self.failing = failing
        self.sent: list[str | None] = []

    def send(self, message: OutboxMessage) -> str:
        if self.failing:
            raise ConnectionError("provider down")
        self.sent.append(message.recipient)
        return f"provider-{len(self.sent)}"


def _queue(session: Session, reference: str = "BK1", **options: object) -> OutboxMessage:
    message = queue_message(
        session,
        channel="email",
        recipient="ada@example.org",
        template="booking_confirmed",
        personalisation={"name": "Ada"},
        now=NOW,
        reference=reference,
        **options,  # type: ignore[arg-type]
    )
    session.flush()
    return message


def test_a_due_message_is_sent_once_and_a_later_one_waits(session: Session) -> None:
    now_message = _queue(session)
    later = _queue(session, send_after=NOW + timedelta(hours=24))
    sender = Recorder()
    report = send_pending(session, sender, now=NOW)
    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    assert now_message.status == "sent" and now_message.provider_id == "provider-1"
    assert later.status == "pending"
    assert send_pending(session, sender, now=NOW).sent == 0  # nothing sent twice
    assert send_pending(session, sender, now=NOW + timedelta(hours=24)).sent == 1


def test_a_failing_provider_backs_off_then_gives_up(session: Session) -> None:
    message = _queue(session)
    sender = Recorder(failing=True)
    now = NOW
    for attempt in range(1, MAX_ATTEMPTS):
        report = send_pending(session, sender, now=now)
        assert report.retrying == 1 and message.status == "pending"
        assert message.send_after == now + timedelta(minutes=2**attempt)
        assert message.last_error == "ConnectionError: provider down"
        # Not tried again before its time.
        assert send_pending(session, sender, now=now).retrying == 0
        now = message.send_after
    assert send_pending(session, sender, now=now).failed == 1
    assert message.status == "failed" and message.attempts == MAX_ATTEMPTS


def test_cancel_pending_leaves_sent_messages_alone(session: Session) -> None:
    sent = _queue(session)
    send_pending(session, Recorder(), now=NOW)
    reminder = _queue(session, send_after=NOW + timedelta(days=1))
    other = _queue(session, reference="BK2")
    assert cancel_pending(session, reference="BK1") == 1
    assert (sent.status, reminder.status, other.status) == ("sent", "cancelled", "pending")


def test_redacting_removes_the_recipient_and_cancels_what_was_not_sent(session: Session) -> None:
    sent = _queue(session)
    send_pending(session, Recorder(), now=NOW)
    reminder = _queue(session, send_after=NOW + timedelta(days=1))
    assert redact_recipient(session, reference="BK1") == 2
    for message in (sent, reminder):
        assert message.recipient is None and message.personalisation == {}
    # A message with nobody to go to is never handed to the provider.
    assert (sent.status, reminder.status) == ("sent", "cancelled")
    sender = Recorder()
    assert send_pending(session, sender, now=NOW + timedelta(days=2)).sent == 0
    assert sender.sent == []


def test_an_unknown_channel_is_refused(session: Session) -> None:
    with pytest.raises(ValueError, match="unknown channel 'pigeon'"):
        queue_message(
            session, channel="pigeon", recipient="x", template="t", personalisation={}, now=NOW
        )
