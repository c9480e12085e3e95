"""``flask --app app gdpr export|erase``: the commands, thin over records, export and erasure."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from flask.cli import AppGroup

from app.database import db_session
from app.gdpr.erasure import erase_records
from app.gdpr.records import Person, find_records, normalise_email, normalise_phone
from app.gdpr.requests import export_json, summary
from core.clock import now_utc

gdpr_cli = AppGroup(
    "gdpr", help="A resident's data protection requests: export their data, or erase it."
)

_Command = TypeVar("_Command", bound=Callable[..., Any])


def _person_options(command: _Command) -> _Command:
    command = click.option(
        "--phone", default=None, help="Their phone number, in any spelling (07700 900982)."
    )(command)
    return click.option("--email", default=None, help="Their email address (any case).")(command)


def _person(email: str | None, phone: str | None) -> Person:
    if (email is None) == (phone is None):
        raise click.UsageError(
            "Give either --email or --phone (one of them, not both): the resident is found by "
            "the email address or the phone number they gave."
        )
    if email is not None:
        address = normalise_email(email)
        if address is None:
            raise click.BadParameter(
                "enter an email address in the correct format, like name@example.com",
                param_hint="'--email'",
            )
        return Person(email=address)
    number = normalise_phone(phone)
    if number is None:
        raise click.BadParameter(
            "enter a phone number, like 07700 900982 or +44 7700 900982", param_hint="'--phone'"
        )
    return Person(phone=number)


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner only (it holds personal data)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # also when the file was already there
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)


@gdpr_cli.command("export")
@_person_options
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Write the JSON to this file (default: print it).",
)
def export_command(email: str | None, phone: str | None, out: Path | None) -> None:
    """Export every record holding a resident's email or phone, as JSON.

    Give ``--email`` or ``--phone``; the export goes to ``--out`` (readable by you only) or is
    printed.
    """
    person = _person(email, phone)
    session = db_session()
    records = find_records(session, person)
    if records.empty:
        click.echo(f"No records hold that {person.what}.")
        return
    text = export_json(session, records, person, actor_id=None)
    session.commit()  # the audit row of the export
    if out is None:
        click.echo(text, nl=False)
        return
    _write_private(out, text)
    click.echo(f"Wrote {summary(records)} to {out} (readable by you only).")


@gdpr_cli.command("erase")
@_person_options
@click.option("--dry-run", is_flag=True, help="Report what would be erased, and change nothing.")
def erase_command(email: str | None, phone: str | None, dry_run: bool) -> None:
    """Erase a resident's details; list what cannot be erased yet.

    Give ``--email`` or ``--phone``.  Everything that can be erased is erased in one
    transaction; ``--dry-run`` reports and changes nothing.
    """
    person = _person(email, phone)
    session = db_session()
    records = find_records(session, person)
    if records.empty:
        click.echo(f"No records hold that {person.what}. Nothing changed.")
        return
    # One transaction: it is committed only once every erasure has succeeded.
    report = erase_records(session, records, now=now_utc(), actor_id=None)
    if dry_run:
        session.rollback()
    else:
        session.commit()
    prefix = "Dry run: would erase" if dry_run else "Erased"
    if report.erased:
        click.echo(f"{prefix}:")
        for outcome in report.erased:
            click.echo(f"  {outcome.record}: {outcome.detail}")
    else:
        click.echo(f"{prefix}: nothing.")
    if report.kept:
        click.echo("Could not erase:")
        for outcome in report.kept:
            click.echo(f"  {outcome.record}: {outcome.detail}")
    if dry_run:
        click.echo("Nothing changed.")
    else:
        click.echo(
            "The records are kept with these details removed, so counts and statistics do not "
            "change. Backups age out on their normal rotation."
        )
