"""``flask --app app retention purge``: every feature's retention job in one nightly command.

Each feature that keeps personal data has its own purge command with a ``--dry-run`` flag
(``champions purge``, ``loans purge``, ``surveys purge``) and registers it here with
:func:`retention_job`, so a council schedules one command and cannot forget one added later.
"""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.database import db_session

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
