"""``flask --app app surveys ...``: import responses, write the template, load the index inputs
and check the exclusion-risk index against the DERI.

Every command prints what it did.  A refused file stores nothing; the message names the file,
row, column and what to do.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click
import pandas as pd
from flask import current_app
from flask.cli import AppGroup

from app.database import db_session
from app.retention import finish_purge
from app.surveys.areas import broadband_by_lsoa, stored_areas
from core.clock import now_utc
from core.errors import DomainError
from geo.errors import InputError
from surveys.importing import SurveyImportError, write_template
from surveys.retention import purge_contacts
from surveys.services import (
    compare_index_with_deri,
    exclusion_index_view,
    file_sha256,
    import_responses,
    rescore_all,
    store_dpi,
    store_imd,
    store_lsoa_links,
)

surveys_cli = AppGroup(
    "surveys",
    help="Import survey responses, write the import template, load the exclusion-risk index "
    "inputs and compare the index with the DERI.",
)


def _fail(error: Exception) -> click.ClickException:
    db_session().rollback()
    message = error.message if isinstance(error, DomainError) else str(error)
    return click.ClickException(f"{message}\nNothing was stored.")


@surveys_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--sheet", default=None, help="Sheet to read from an Excel file (default: first).")
def import_command(path: Path, sheet: str | None) -> None:
    """Import survey responses from a CSV or Excel (.xlsx) export in the template's columns."""
    session = db_session()
    areas = stored_areas(session, with_population=False)
    try:
        report = import_responses(
            session, path, areas=areas.context(), now=now_utc(), filename=path.name, sheet=sheet
        )
    except SurveyImportError as error:
        session.rollback()
        noun = "problem" if len(error.problems) == 1 else "problems"
        click.echo(f"{path.name}: {len(error.problems)} {noun} found:", err=True)
        for problem in error.problems:
            click.echo(
                f"  row {problem.row}, column {problem.column or '-'}: {problem.reason}", err=True
            )
        raise click.ClickException(
            "Nothing was imported. Fix every problem listed and import the file again."
        ) from None
    except DomainError as error:
        raise _fail(error) from None
    session.commit()
    click.echo(
        f"Stored {report.stored:,} new responses from {path.name} "
        f"({report.already_imported:,} already imported; {report.rows:,} rows in the file)."
    )
    if report.ignored_columns:
        click.echo(f"Ignored columns: {', '.join(report.ignored_columns)}")
    if not areas.wards:
        click.echo("Note: no wards are loaded, so responses are not linked to wards.")


@surveys_cli.command("template")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path), required=False)
def template_command(path: Path | None) -> None:
    """Write the CSV import template (header and one example row) to PATH, or print it."""
    if path is None:
        write_template(sys.stdout)
        return
    write_template(path)
    click.echo(f"Wrote the import template to {path}.")


@surveys_cli.command("load-index-inputs")
@click.option(
    "--imd",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="English Indices of Deprivation 2019, File 2 (CSV, by LSOA 2011).",
)
@click.option(
    "--dpi",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="ONS Census 2021 Digital Propensity Index (CSV, by LSOA 2011).",
)
@click.option(
    "--lookup",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="ONS LSOA (2011) to LSOA (2021) lookup CSV.",
)
@click.option(
    "--lsoa11-boundaries",
    "boundaries",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="LSOA 2011 boundaries (GeoJSON, GeoPackage or Shapefile): pairs each stored 2021 LSOA "
    "with the 2011 LSOA its representative point lies in.",
)
def load_index_inputs(
    imd: Path | None, dpi: Path | None, lookup: Path | None, boundaries: Path | None
) -> None:
    """Load the deprivation and digital-activity inputs of the exclusion-risk index."""
    from geo.sources.ons_tables import (
        read_digital_propensity,
        read_imd2019,
        read_lsoa11_lsoa21_lookup,
    )

    if not any((imd, dpi, lookup, boundaries)):
        raise click.UsageError("Give at least one of --imd, --dpi, --lookup, --lsoa11-boundaries.")
    session = db_session()
    now = now_utc()
    try:
        if imd is not None:
            count = store_imd(
                session, read_imd2019(imd), filename=imd.name, file_hash=file_sha256(imd), now=now
            )
            click.echo(f"IMD 2019: {count:,} LSOAs (2011) from {imd.name}.")
        if dpi is not None:
            count = store_dpi(
                session,
                read_digital_propensity(dpi),
                filename=dpi.name,
                file_hash=file_sha256(dpi),
                now=now,
            )
            click.echo(f"Digital Propensity Index: {count:,} LSOAs (2011) from {dpi.name}.")
        if lookup is not None:
            table = read_lsoa11_lsoa21_lookup(lookup).reset_index()
            count = store_lsoa_links(
                session,
                table,
                method="lookup",
                filename=lookup.name,
                file_hash=file_sha256(lookup),
                now=now,
            )
            click.echo(f"LSOA 2011 to 2021 lookup: {count:,} pairs from {lookup.name}.")
        if boundaries is not None:
            count = _links_from_boundaries(boundaries, now=now)
            click.echo(
                f"LSOA 2011 boundaries: {count:,} stored LSOAs (2021) paired with their 2011 LSOA "
                f"from {boundaries.name}."
            )
    except (InputError, DomainError) as error:
        raise _fail(error) from None
    session.commit()


def _links_from_boundaries(path: Path, *, now: datetime) -> int:
    from app.places.services import load_areas
    from geo.areas import assign_areas_to_wards
    from geo.sources.boundaries import read_area_layer

    session = db_session()
    layer = read_area_layer(path)
    if layer.kind != "lsoa" or not layer.vintage.startswith("LSOA11"):
        raise DomainError(
            f"{path.name} holds {layer.vintage} areas: give the LSOA 2011 boundaries "
            "(code column LSOA11CD)."
        )
    stored = load_areas(session, kind="lsoa")
    if stored.empty:
        raise DomainError(
            "No LSOAs (2021) are stored yet: load them first with "
            "`flask --app app geo import-areas`."
        )
    parents = assign_areas_to_wards(
        stored, layer.frame, code_column="code", ward_code_column=layer.code_column
    )
    pairs = pd.DataFrame({"LSOA11CD": parents.to_numpy(), "LSOA21CD": stored["code"].to_numpy()})
    pairs = pairs.dropna()
    return store_lsoa_links(
        session,
        pairs,
        method="boundaries",
        filename=path.name,
        file_hash=file_sha256(path),
        now=now,
    )


@surveys_cli.command("compare-deri")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def compare_deri(path: Path) -> None:
    """Compare the index of the loaded areas with DERI v1.6 scores (Spearman rank correlation)."""
    from geo.sources.ons_tables import read_deri

    session = db_session()
    areas = stored_areas(session)
    try:
        deri = read_deri(path)
        view = exclusion_index_view(
            session,
            ages=areas.ages,
            lsoa_ward=areas.lsoa_ward,
            broadband=broadband_by_lsoa(session),
        )
        table, rho = compare_index_with_deri(view, deri)
    except (InputError, DomainError) as error:
        raise _fail(error) from None
    shown = table.rename(
        columns={
            "name": "LSOA 2011",
            "index": "index",
            "deri_score": "DERI v1.6",
            "index_rank": "rank (index)",
            "deri_rank": "rank (DERI)",
            "rank_difference": "difference",
        }
    )
    with pd.option_context("display.max_rows", None, "display.width", 120):
        click.echo(shown.round(2).to_string())
    components = ", ".join(f"{c.label} {c.weight}" for c in view.spec.components)
    click.echo("")
    click.echo(f"Index components (weights): {components}.")
    for note in view.notes:
        click.echo(f"Note: {note}")
    click.echo(
        f"Spearman rank correlation with DERI v1.6 (deri_score_national) over {len(table)} "
        f"LSOAs: {rho:.3f}"
    )


@surveys_cli.command("rescore")
def rescore() -> None:
    """Score every stored response again and give it a persona with the current rules."""
    session = db_session()
    count = rescore_all(session, now=now_utc())
    session.commit()
    click.echo(f"Re-scored {count:,} responses.")


@surveys_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Report what would be deleted, and delete nothing.")
@click.option(
    "--retention-days",
    type=click.IntRange(min=0),
    default=None,
    help="Keep contact details this many days (default: SURVEY_CONTACT_RETENTION_DAYS).",
)
def purge_contacts_command(dry_run: bool, retention_days: int | None) -> None:
    """Delete survey contact details older than the retention period; answers are kept."""
    days = (
        retention_days
        if retention_days is not None
        else int(current_app.config["SURVEY_CONTACT_RETENTION_DAYS"])
    )
    session = db_session()
    count = purge_contacts(session, now=now_utc(), retention_days=days)
    given = f"{count} survey response(s) given more than {days} days ago"
    finish_purge(
        dry_run=dry_run,
        would=f"would delete the contact details of {given}.",
        did=f"Deleted the contact details of {given}. The answers are kept.",
    )
