"""``flask --app app champions ...``: scheduled jobs of the champions network.

* ``expire-offers`` ends waiting-list offers that ran out and offers each place to the next
  person waiting.  Run it every few minutes (cron or a systemd timer).
* ``purge`` erases residents' names and contact details past the retention period
  (``CHAMPIONS_RETENTION_DAYS``), keeping the anonymous counts.  Run it nightly; ``--dry-run``
  reports what it would erase and changes nothing.

Reminders need no job of their own: they are outbox messages due at their time, sent by
``flask --app app notify send-pending``.
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from app.champions import booking_settings
from app.database import db_session
from app.retention import finish_purge
from champions import services
from core.clock import now_utc

champions_cli = AppGroup(
    "champions", help="Jobs of the Digital Champions network: waiting-list offers, retention."
)


@champions_cli.command("expire-offers")
def expire_offers() -> None:
    """End waiting-list offers that ran out and offer the places to the next people waiting."""
    session = db_session()
    report = services.expire_offers(session, now=now_utc(), settings=booking_settings())
    session.commit()
    click.echo(
        f"Offers ended: {report.expired}. New offers made: {report.offered}. "
        "Messages are in the outbox: run `flask --app app notify send-pending` to send them."
    )


@champions_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Report what would be erased, and change nothing.")
@click.option(
    "--retention-days",
    type=click.IntRange(min=0),
    default=None,
    help="Keep personal data this many days (default: CHAMPIONS_RETENTION_DAYS).",
)
def purge(dry_run: bool, retention_days: int | None) -> None:
    """Erase residents' names and contact details older than the retention period."""
    days = (
        retention_days
        if retention_days is not None
        else int(current_app.config["CHAMPIONS_RETENTION_DAYS"])
    )
    session = db_session()
    report = services.purge_personal_data(session, now=now_utc(), retention_days=days)
    summary = (
        f"{report.bookings} bookings, {report.support_logs} support logs, "
        f"{report.outbox_messages} messages and {report.champions} former champions "
        f"older than {days} days"
    )
    finish_purge(
        dry_run=dry_run,
        would=f"would erase names and contact details from {summary}.",
        did=f"Erased names and contact details from {summary}. Counts are kept.",
    )
