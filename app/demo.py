"""``flask --app app demo``: load the built-in demo borough and demo staff accounts.

Everything here is synthetic and generated offline from a seed; the same seed gives the same
borough.  It is safe to run twice: what exists already is left alone.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

import click
from flask import current_app
from flask.cli import with_appcontext

from app.auth import services as account_services
from app.auth.roles import ADMIN, CHAMPION, COORDINATOR, COUNCILLOR, PLANNER
from app.database import db_session
from core.clock import now_utc
from geo.sources.demo import DemoBorough

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


@functools.lru_cache(maxsize=2)
def demo_borough(seed: int) -> DemoBorough:
    """The synthetic demo borough for ``seed``, built once per process.

    Feature packages' ``load_demo`` call this to get the same borough the place model stored
    (for example the telephone exchange and street cabinets) without building it again.
    """
    from geo.sources.demo import build_demo_borough

    return build_demo_borough(seed)


def load_demo_borough(seed: int, *, echo: Callable[[str], None]) -> bool:
    """Build the synthetic borough and store it through the same services as real data.

    Returns ``False`` (and changes nothing) when areas are already loaded.
    """
    from app.places import services as places
    from geo.areas import area_layer_from_frame

    session = db_session()
    if places.counts(session)["areas"]:
        echo("Areas are already loaded: the demo borough is left as it is.")
        return False
    started = time.perf_counter()
    borough = demo_borough(seed)
    echo(f"Built the demo borough from seed {seed} in {time.perf_counter() - started:.1f} s.")
    now = now_utc()
    source = f"Demo Borough (synthetic, seed {seed})"
    for frame, what in ((borough.wards, "wards"), (borough.lsoas, "LSOAs")):
        layer = area_layer_from_frame(frame, source=f"{source}: {what}", loaded_at=now)
        record = places.store_area_layer(session, layer, now=now)
        echo(f"  {record.feature_count} {what} ({record.vintage})")
    bands = [column for column in borough.population.columns if str(column).startswith("Aged ")]
    report = places.store_population(
        session,
        borough.population,
        code_column="lsoa21_code",
        total_column="total",
        band_columns=bands,
        source=f"{source}: population by age",
    )
    echo(f"  population {report.total:,} in {report.matched} LSOAs")
    for net in (borough.walk_network, borough.drive_network):
        places.store_network(
            session,
            net,
            source=borough.osm_path.name,
            source_date=str(borough.source_date),
            now=now,
        )
    echo(
        f"  walking network {borough.walk_network.n_nodes:,} junctions; driving {borough.drive_network.n_nodes:,}"
    )
    count = places.store_premises(session, borough.premises, source=f"{source}: address points")
    echo(f"  {count:,} premises")
    places.store_places(
        session, borough.venues, source=source, source_date=str(borough.source_date)
    )
    places.store_sites(
        session, borough.mobile_sites, source=source, source_date=str(borough.source_date)
    )
    echo(f"  {len(borough.venues)} help venues, {len(borough.mobile_sites)} mobile site records")
    summary = places.run_access_model(session, now=now)
    echo(
        f"  walking access modelled: median {summary.median_time_min:.1f} min to the nearest venue"
    )
    session.commit()
    return True


def load_feature_demos(seed: int, *, echo: Callable[[str], None]) -> None:
    """Let each feature package add its demo data (``load_demo(seed=, echo=)``), by ``DEMO_ORDER``."""
    from app import feature_packages

    loaders = [
        package for package in feature_packages() if callable(getattr(package, "load_demo", None))
    ]
    for package in sorted(
        loaders, key=lambda module: (getattr(module, "DEMO_ORDER", 50), module.__name__)
    ):
        package.load_demo(seed=seed, echo=echo)


@click.command("demo")
@click.option("--seed", default=2027, show_default=True, help="Seed of the synthetic demo borough.")
@with_appcontext
def demo_command(seed: int) -> None:
    """Load the demo borough and demo accounts, then print the demo sign-ins."""
    load_demo_borough(seed, echo=click.echo)
    created = load_demo_accounts()
    load_feature_demos(seed, echo=click.echo)
    click.echo(
        f"Demo accounts: {len(created)} created, {len(DEMO_ACCOUNTS) - len(created)} already there."
    )
    click.echo("Demo sign-ins (password for all: '" + DEMO_PASSWORD + "'):")
    for email, name, roles in DEMO_ACCOUNTS:
        click.echo(f"  {', '.join(roles):<12} {email}  ({name})")
