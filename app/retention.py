"""``flask --app app retention purge``: every feature's retention job in one nightly command.

Each feature that keeps personal data has its own purge command with a ``--dry-run`` flag
(``champions purge``, ``loans purge``, ``surveys purge``) and registers it here with
:func:`retention_job`, so a council schedules one command and cannot forget one added later.
``retention logs`` is the job of the shared records: audit rows older than
``AUDIT_RETENTION_DAYS`` are deleted, and finished messages older than
``OUTBOX_RETENTION_DAYS`` lose their recipient and contents.
"""

from __future__ import annotations

from datetime import timedelta

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.database import db_session
from core.audit import delete_events_before
from core.clock import now_utc
from core.outbox import redact_finished_before

_JOBS = "retention_jobs"

retention_cli = AppGroup(
    "retention", help="Remove personal data past its retention period, in every feature."
)


def retention_job(app: Flask, command: click.Command) -> None:
    """Run ``command`` (a purge command taking ``--dry-run``) as part of ``retention purge``."""
    app.extensions.setdefault(_JOBS, []).append(command)


def finish_purge(*, dry_run: bool, would: str, did: str) -> None:
    """Commit a purge and say ``did``, or, on a dry run, roll it back and say ``would``."""
    session = db_session()
    if dry_run:
        session.rollback()
        click.echo(f"Dry run: {would} Nothing changed.")
        return
    session.commit()
    click.echo(did)


def retention_jobs(app: Flask) -> list[click.Command]:
    """The purge commands registered by the features, in registration order."""
    return list(app.extensions.get(_JOBS, []))


@retention_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Report what each job would remove; change nothing.")
@click.pass_context
def purge_everything(context: click.Context, dry_run: bool) -> None:
    """Run every feature's retention purge (nightly); each prints what it removed."""
    for command in retention_jobs(current_app._get_current_object()):  # type: ignore[attr-defined]
        click.echo(f"{command.get_short_help_str(limit=120)}")
        context.invoke(command, dry_run=dry_run)


@retention_cli.command("logs")
@click.option("--dry-run", is_flag=True, help="Report what would be removed; change nothing.")
def purge_logs(dry_run: bool) -> None:
    """Delete old audit rows and clear recipients of old finished messages."""
    config = current_app.config
    audit_days = int(config["AUDIT_RETENTION_DAYS"])
    outbox_days = int(config["OUTBOX_RETENTION_DAYS"])
    now = now_utc()
    session = db_session()
    events = delete_events_before(session, now - timedelta(days=audit_days))
    messages = redact_finished_before(session, now - timedelta(days=outbox_days))
    done = (
        f"{events} audit row(s) older than {audit_days} days and the recipients of "
        f"{messages} finished message(s) older than {outbox_days} days"
    )
    finish_purge(dry_run=dry_run, would=f"would remove {done}.", did=f"Removed {done}.")
