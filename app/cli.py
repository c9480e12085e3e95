"""Command-line interface: ``flask --app app <group> <command>``.

Every command prints what it did; bad input gets a message that names the problem and nothing is
saved half-way.
"""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy.engine import Engine

from app import migrate
from app.auth import services as account_services
from app.auth.roles import ROLES
from app.database import db_session
from core.clock import now_utc
from core.errors import DomainError

db_cli = AppGroup("db", help="Create and migrate the database schema.")
users_cli = AppGroup("users", help="Manage staff accounts.")
notify_cli = AppGroup("notify", help="Send messages waiting in the notification outbox.")


def _engine() -> Engine:
    return current_app.extensions["db_engine"]


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Migrate the database to REVISION (default: the latest)."""
    migrate.upgrade(_engine(), revision)
    click.echo(f"Database is at revision {migrate.current(_engine())}.")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Migrate the database down to REVISION (for example -1)."""
    migrate.downgrade(_engine(), revision)
    click.echo(f"Database is at revision {migrate.current(_engine())}.")


@db_cli.command("current")
def db_current() -> None:
    """Print the revision the database is at."""
    click.echo(migrate.current(_engine()) or "empty (no migrations applied)")


@db_cli.command("check")
def db_check() -> None:
    """Fail if the models and the migrated database differ."""
    differences = migrate.drift(_engine())
    if differences:
        for difference in differences:
            click.echo(f"  {difference}", err=True)
        raise click.ClickException(
            "The models and the migrations differ: write a migration with `db revision`."
        )
    click.echo("The models and the migrations agree.")


@db_cli.command("revision")
@click.option("-m", "--message", required=True, help="What the migration does.")
@click.option("--tables", default="", help="Only these tables (comma-separated).")
@click.option("--rev-id", default=None, help="The revision id (default: random).")
def db_revision(message: str, tables: str, rev_id: str | None) -> None:
    """Write a migration for what the models changed."""
    chosen = {name.strip() for name in tables.split(",") if name.strip()}
    migrate.revision(_engine(), message, tables=chosen or None, rev_id=rev_id)


@users_cli.command("create")
@click.option("--email", required=True, help="The person's email address (their sign-in name).")
@click.option("--name", "full_name", required=True, help="Their full name.")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(ROLES),
    help="A role; repeat for several.",
)
@click.option(
    "--password", default=None, help="Set a password now instead of printing an invitation link."
)
def users_create(email: str, full_name: str, roles: tuple[str, ...], password: str | None) -> None:
    """Create a staff account and print its one-time invitation link (or set a password)."""
    session = db_session()
    now = now_utc()
    try:
        if password is None:
            link = account_services.invite_user(
                session,
                email=email,
                full_name=full_name,
                roles=roles,
                now=now,
                valid_days=current_app.config["INVITATION_DAYS"],
                actor_id=None,
            )
            user = link.user
        else:
            user = account_services.create_user(
                session,
                email=email,
                full_name=full_name,
                roles=roles,
                now=now,
                password=password,
                min_password_length=current_app.config["PASSWORD_MIN_LENGTH"],
                hash_profile=current_app.config["PASSWORD_HASH_PROFILE"],
            )
            link = None
    except DomainError as error:
        session.rollback()
        raise click.ClickException(f"{error.field or 'input'}: {error.message}") from None
    session.commit()
    click.echo(f"Created {user.email} with roles: {', '.join(sorted(user.roles))}.")
    if link is not None:
        click.echo(
            f"Send them this link to set a password (works once, until {link.expires_at:%Y-%m-%d}):"
        )
        click.echo(f"  /invitations/{link.token}")


@users_cli.command("list")
def users_list() -> None:
    """List staff accounts and their roles."""
    for user in account_services.list_users(db_session()):
        state = "active" if user.is_active else "deactivated"
        click.echo(f"{user.email}\t{','.join(sorted(user.roles))}\t{state}")


@notify_cli.command("send-pending")
def notify_send_pending() -> None:
    """Send every due message in the outbox (log sender, or GOV.UK Notify when configured)."""
    from app.notifications import sender_for
    from core.outbox import send_pending

    session = db_session()
    report = send_pending(session, sender_for(current_app), now=now_utc())
    session.commit()
    click.echo(f"Sent {report.sent}, will retry {report.retrying}, gave up on {report.failed}.")


def register_commands(app: Flask) -> None:
    """Add every command group to ``app``."""
    app.cli.add_command(db_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(notify_cli)
    from app.demo import demo_command
    from app.retention import purge_logs, retention_cli, retention_job

    app.cli.add_command(demo_command)
    app.cli.add_command(retention_cli)
    retention_job(app, purge_logs)
