"""``flask retention logs``: old audit rows go, old finished messages lose who they went to."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from core.audit import AuditEvent, record_event
from core.clock import now_utc
from core.outbox import OutboxMessage, queue_message
from tests.databases import Database


def _fill(db: Database) -> None:
    now = now_utc()
    with db.factory() as session:
        for days, action in ((800, "old"), (700, "recent")):
            record_event(
                session,
                at=now - timedelta(days=days),
                actor_id=None,
                action=action,
                object_type="test",
                object_id=action,
            )
        for days, status, recipient in (
            (100, "sent", "old.sent@example.org"),
            (100, "failed", "old.failed@example.org"),
            (100, "pending", "old.pending@example.org"),  # still to go: left alone
            (10, "sent", "recent@example.org"),
        ):
            message = queue_message(
                session,
                channel="email",
                recipient=recipient,
                template="staff_invitation",
                personalisation={"name": "Someone"},
                now=now - timedelta(days=days),
            )
            message.status = status
            message.last_error = "provider said no" if status == "failed" else None
        session.commit()


def _state(db: Database) -> tuple[list[str], list[str | None]]:
    with db.factory() as session:
        actions = sorted(session.scalars(select(AuditEvent.action)))
        recipients = sorted(
            session.scalars(select(OutboxMessage.recipient)), key=lambda value: value or ""
        )
    return actions, recipients


def test_the_logs_job_removes_only_what_is_past_its_period(app: Flask, db: Database) -> None:
    _fill(db)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["retention", "logs", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would remove 1 audit row(s) older than 730 days" in result.output
    assert "the recipients of 2 finished message(s) older than 90 days" in result.output
    assert _state(db)[0] == ["old", "recent"]

    result = runner.invoke(args=["retention", "logs"])
    assert result.exit_code == 0, result.output
    actions, recipients = _state(db)
    assert "old" not in actions and "recent" in actions
    assert recipients == [None, None, "old.pending@example.org", "recent@example.org"]
    with db.factory() as session:
        failed = session.scalars(
            select(OutboxMessage).where(OutboxMessage.status == "failed")
        ).one()
    assert failed.last_error is None and failed.personalisation == {}
    # Idempotent.
    result = runner.invoke(args=["retention", "logs"])
    assert "the recipients of 0 finished message(s)" in result.output


def test_the_nightly_purge_runs_the_logs_job_too(app: Flask, db: Database) -> None:
    _fill(db)
    result = app.test_cli_runner().invoke(args=["retention", "purge"])
    assert result.exit_code == 0, result.output
    assert "audit row(s) older than 730 days" in result.output
    assert "old" not in _state(db)[0]
