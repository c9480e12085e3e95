"""``flask --app app geo ...``: load real inputs into the place model and run the models.

Every command prints what it loaded and what it rejected.  A refused file stores nothing: the
message names the file, column or row and what to do.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy.orm import Session

from app.database import db_session
from app.places import services
from core.clock import now_utc
from core.errors import DomainError
from geo.errors import InputError

geo_cli = AppGroup(
    "geo", help="Load boundaries, OpenStreetMap, premises, places and masts; run the models."
)


def _fail(error: Exception) -> click.ClickException:
    db_session().rollback()
    message = error.message if isinstance(error, DomainError) else str(error)
    return click.ClickException(f"{message}\nNothing was stored.")


def _file_date(path: Path) -> date:
    return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC).date()


def _step(message: str) -> None:
    click.echo(f"  - {message}", err=True)


@geo_cli.command("import-areas")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--layer", default=None, help="Layer name inside a GeoPackage with several layers.")
@click.option("--code-column", default=None, help="The ONS code column, if the file has several.")
def import_areas(path: Path, layer: str | None, code_column: str | None) -> None:
    """Import ONS boundaries (wards, LSOA, MSOA, OA, LAD) from GeoJSON, GeoPackage or Shapefile."""
    from geo.sources.boundaries import read_area_layer

    session = db_session()
    try:
        area_layer = read_area_layer(
            path, layer=layer, code_column=code_column, loaded_at=now_utc()
        )
        record = services.store_area_layer(session, area_layer, now=now_utc())
    except (InputError, DomainError) as error:
        raise _fail(error) from None
    session.commit()
    click.echo(
        f"Loaded {record.feature_count} {record.kind} areas ({record.vintage}, code column "
        f"{record.code_column}) from {path.name}: {record.total_area_km2:.1f} km2. Rejected: none."
    )


@geo_cli.command("import-population")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_population(path: Path) -> None:
    """Attach Census 2021 population by age (one row per LSOA 2021) to the stored LSOAs."""
    import pandas as pd

    session = db_session()
    try:
        table = pd.read_csv(path)
    except (OSError, ValueError) as error:
        raise _fail(
            InputError(f"cannot read the file as CSV ({error})", source=path.name)
        ) from None
    code_column = next(
        (c for c in ("lsoa21_code", "LSOA21CD", "lsoa21cd") if c in table.columns), None
    )
    bands = [column for column in table.columns if str(column).startswith("Aged ")]
    if code_column is None or "total" not in table.columns or not bands:
        raise _fail(
            InputError(
                "needs an LSOA 2021 code column (lsoa21_code), a total column and 'Aged ...' band columns "
                "(the Census 2021 age table layout)",
                source=path.name,
            )
        )
    try:
        report = services.store_population(
            session,
            table,
            code_column=code_column,
            total_column="total",
            band_columns=bands,
            source=f"Census 2021 ({path.name})",
        )
    except DomainError as error:
        raise _fail(error) from None
    session.commit()
    click.echo(
        f"Population attached to {report.matched} areas ({report.total:,} residents in the file)."
    )
    if report.unmatched_codes:
        click.echo(
            f"Not matched (no stored area with that code; other boroughs are normal): {len(report.unmatched_codes)}"
        )


@geo_cli.command("import-osm")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--mode", type=click.Choice(["walk", "drive", "both"]), default="both", show_default=True
)
@click.option(
    "--margin-m",
    default=1000.0,
    show_default=True,
    help="Keep roads this far outside the borough (metres).",
)
def import_osm(path: Path, mode: str, margin_m: float) -> None:
    """Load walking and driving networks from an OpenStreetMap .osm or .osm.pbf file."""
    from geo.sources.osm import read_street_network

    session = db_session()
    wards = services.load_areas(session, kind="ward")
    clip_to = wards.geometry.union_all() if not wards.empty else None
    if clip_to is None:
        click.echo("  (no wards loaded: the network is not clipped to a borough)")
    modes = ["walk", "drive"] if mode == "both" else [mode]
    loaded: list[str] = []
    try:
        with click.progressbar(
            modes,
            label=f"Reading {path.name}",
            item_show_func=lambda each: f"{each} network" if each else None,
            file=sys.stderr,
        ) as bar:
            for each in bar:
                started = time.perf_counter()
                net = read_street_network(path, mode=each, clip_to=clip_to, margin_m=margin_m)
                record = services.store_network(
                    session, net, source=path.name, source_date=str(_file_date(path)), now=now_utc()
                )
                loaded.append(
                    f"Loaded the {'walking' if each == 'walk' else 'driving'} network: "
                    f"{record.node_count:,} nodes, {record.edge_count:,} edges, "
                    f"{record.length_km:,.1f} km ({time.perf_counter() - started:.1f} s)."
                )
    except (InputError, DomainError) as error:
        raise _fail(error) from None
    session.commit()
    for line in loaded:
        click.echo(line)


@geo_cli.command("import-premises")
@click.argument(
    "path", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=False
)
@click.option(
    "--estimate",
    is_flag=True,
    help="Estimate premises along residential streets from Census population.",
)
@click.option("--seed", default=1, show_default=True, help="Seed for estimated premises.")
def import_premises(path: Path | None, estimate: bool, seed: int) -> None:
    """Load address points (OS Open UPRN CSV layout), or estimate premises with --estimate."""
    from geo.premises import estimate_premises, read_address_points

    session = db_session()
    if (path is None) == (not estimate):
        raise click.ClickException(
            "Give either an address CSV (PATH) or --estimate, not both or neither."
        )
    try:
        if path is not None:
            premises = read_address_points(path)
            source = path.name
        else:
            net = services.load_network(session, "walk")
            lsoas = services.load_areas(session, kind="lsoa")
            if lsoas.empty or lsoas["population"].isna().all():
                raise DomainError(
                    "Estimating premises needs LSOAs with population: run `geo import-areas` on an LSOA 2021 "
                    "file and `geo import-population` on the Census 2021 age table first."
                )
            population = lsoas.set_index("code")["population"].dropna()
            premises = estimate_premises(
                net.edges, lsoas[["code", "geometry"]], population, seed=seed, code_column="code"
            )
            source = "estimated from Census 2021 population along residential streets"
        count = services.store_premises(session, premises, source=source)
    except (InputError, DomainError) as error:
        raise _fail(error) from None
    session.commit()
    kind = "estimated premises (flagged as estimates)" if estimate else "address points"
    click.echo(f"Loaded {count:,} {kind}. Rejected: none.")


@geo_cli.command("import-places")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--buildings",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Library building footprints, for a DCMS libraries CSV (which has no coordinates).",
)
@click.option(
    "--authority", default=None, help="With a DCMS CSV: keep only this library authority."
)
@click.option(
    "--source-date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Date of the data (default: the file's date).",
)
def import_places(
    path: Path, buildings: Path | None, authority: str | None, source_date: datetime | None
) -> None:
    """Load places to get help or get online: OSM (.osm, .pbf, GeoJSON of POIs) or the DCMS libraries CSV."""
    from geo.sources.venues import read_dcms_libraries, read_help_places

    session = db_session()
    day = source_date.date() if source_date else _file_date(path)
    try:
        if path.suffix.lower() == ".csv":
            if buildings is None:
                raise DomainError(
                    "A DCMS libraries CSV has no coordinates: give --buildings with the library footprints."
                )
            match = read_dcms_libraries(path, buildings, source_date=day, authority=authority)
            places = match.places
            rejected = (
                [f"not matched to a building: {name}" for name in list(match.unmatched["name"])]
                if len(match.unmatched)
                else []
            )
            rejected += (
                [f"skipped: {name}" for name in list(match.skipped["name"])]
                if len(match.skipped)
                else []
            )
        else:
            places = read_help_places(path, source_date=day)
            rejected = []
        count = services.store_places(session, places, source=path.name, source_date=str(day))
    except (InputError, DomainError) as error:
        raise _fail(error) from None
    session.commit()
    click.echo(
        f"Loaded {count} places from {path.name} (dated {day}). Rejected: {len(rejected) or 'none'}."
    )
    for line in rejected:
        click.echo(f"  {line}")


@geo_cli.command("import-sites")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source-date", type=click.DateTime(formats=["%Y-%m-%d"]), default=None)
@click.option(
    "--buffer-m", default=5000.0, show_default=True, help="Keep sites this far outside the borough."
)
def import_sites(path: Path, source_date: datetime | None, buffer_m: float) -> None:
    """Load mobile sites from a Sitefinder-style CSV, or OSM masts from a POI file."""
    from geo.sources.venues import read_mobile_sites, read_osm_masts

    session = db_session()
    day = source_date.date() if source_date else _file_date(path)
    wards = services.load_areas(session, kind="ward")
    boundary = wards.geometry.union_all() if not wards.empty else None
    try:
        if path.suffix.lower() == ".csv":
            sites = read_mobile_sites(
                path, source_date=day, boundary=boundary, boundary_buffer_m=buffer_m
            )
        else:
            sites = read_osm_masts(path, source_date=day)
        count = services.store_sites(session, sites, source=path.name, source_date=str(day))
    except (InputError, DomainError) as error:
        raise _fail(error) from None
    session.commit()
    click.echo(f"Loaded {count} mobile site records from {path.name}. Rejected: none.")


ModelStage = Callable[[Session, datetime, Callable[[str], None]], str]


def model_stage(app: Flask, name: str, run: ModelStage, *, order: int) -> None:
    """Add a stage to ``geo model``; ``run(session, now, progress)`` returns a one-line summary.

    Stages run in ``order`` in one transaction: a stage that raises ``DomainError`` or
    ``InputError`` (for example a missing layer, naming the command that loads it) stops the
    run and nothing is stored.
    """
    app.extensions.setdefault("model_stages", []).append((order, name, run))


def access_stage(session: Session, now: datetime, progress: Callable[[str], None]) -> str:
    """The walking-access stage of ``geo model``."""
    summary = services.run_access_model(session, now=now, progress=progress)
    shares = ", ".join(
        f"{share:.0%} within {minutes} min" for minutes, share in summary.share_within_min.items()
    )
    return (
        f"{summary.premises:,} premises, {summary.places} venues: median walk "
        f"{summary.median_time_min:.1f} min; residents {shares}; "
        f"{summary.unreachable} premises not connected to a venue."
    )


@geo_cli.command("model")
@click.option("--only", default=None, help="Run only the stage whose name contains this word.")
def run_model(only: str | None) -> None:
    """Run the models on the stored layers and store per-premises and per-area results."""
    session = db_session()
    started = time.perf_counter()
    stages = sorted(current_app.extensions.get("model_stages", []), key=lambda stage: stage[0])
    if only:
        stages = [stage for stage in stages if only.lower() in stage[1].lower()]
        if not stages:
            raise click.ClickException(f"No model stage matches {only!r}.")
    now = now_utc()
    results: list[tuple[str, str]] = []
    with click.progressbar(
        stages,
        label="Running the models",
        item_show_func=lambda stage: stage[1] if stage else None,
        file=sys.stderr,
    ) as bar:
        for _order, name, run in bar:
            try:
                line = run(session, now, _step)
            except (InputError, DomainError) as error:
                raise _fail(error) from None
            results.append((name, line))
    session.commit()
    for name, line in results:
        click.echo(f"{name}:\n  {line}")
    click.echo(f"Done in {time.perf_counter() - started:.1f} s.")
