"""``flask --app app loans ...``: the daily overdue run and the retention purge.

Both are safe to run again: a second run on the same day changes nothing.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.database import db_session
from app.loans.config import loan_policy
from app.retention import finish_purge
from core.clock import now_utc, today_london
from device_loans import services

loans_cli = AppGroup("loans", help="Device and data loans: overdue reminders and retention.")


@loans_cli.command("mark-overdue")
def mark_overdue() -> None:
    """Mark loans past their due date overdue and queue due-soon and overdue reminders (daily)."""
    session = db_session()
    report = services.mark_overdue(
        session, policy=loan_policy(), today=today_london(), now=now_utc()
    )
    session.commit()
    click.echo(
        f"Marked {report.marked_overdue} loan(s) overdue. Queued {report.reminders_queued} "
        f"reminder(s) about {report.loans_reminded} loan(s). "
        "Send them with `flask --app app notify send-pending`."
    )


@loans_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Report what would be removed, and remove nothing.")
def purge(dry_run: bool) -> None:
    """Remove residents' personal data from requests and loans past the retention period.

    Ward, age band, borrower type, answers, dates and outcomes stay, so anonymous statistics
    survive.
    """
    session = db_session()
    policy = loan_policy()
    report = services.purge_personal_data(
        session, today=today_london(), retention_days=policy.retention_days, now=now_utc()
    )
    counts = (
        f"{report.requests} request(s), {report.loans} loan(s), "
        f"{report.device_event_notes} device note(s) and {report.messages} message(s)"
    )
    ended = f"{counts} that ended more than {policy.retention_days} days ago"
    finish_purge(
        dry_run=dry_run,
        would=f"would remove personal data from {ended}.",
        did=f"Removed personal data from {ended}. Anonymous statistics are kept.",
    )
