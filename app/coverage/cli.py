"""``flask --app app geo ...`` commands of the coverage model, and its stage of ``geo model``.

Every command prints what it loaded and what it left out; a refused file stores nothing and the
message names the file, row and column and what to do.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import click
import pandas as pd
from flask import current_app
from sqlalchemy.orm import Session

from app.coverage import services
from app.coverage.readers import read_assets, read_postcode_lookup
from app.coverage.settings import CoverageSettings
from app.database import db_session
from app.places import services as places
from app.places.cli import geo_cli
from core.clock import now_utc
from core.errors import DomainError
from geo.errors import InputError

_PATH = click.Path(exists=True, dir_okay=False, path_type=Path)
_DATE = click.DateTime(formats=["%Y-%m-%d"])


def _fail(error: Exception) -> click.ClickException:
    db_session().rollback()
    message = error.message if isinstance(error, DomainError) else str(error)
    return click.ClickException(f"{message}\nNothing was stored.")


def _day(path: Path, given: datetime | None) -> date:
    if given is not None:
        return given.date()
    return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC).date()


def _rejected(lines: tuple[str, ...] | list[str], *, limit: int = 20) -> None:
    if not lines:
        click.echo("Rejected: none.")
        return
    click.echo(f"Rejected: {len(lines)}.")
    for line in list(lines)[:limit]:
        click.echo(f"  {line}")
    if len(lines) > limit:
        click.echo(f"  ... and {len(lines) - limit} more")


def settings() -> CoverageSettings:
    """The coverage settings of the running app."""
    return CoverageSettings.from_config(current_app.config)


def coverage_stage(session: Session, now: datetime, progress: Callable[[str], None]) -> str:
    """The coverage stage of ``geo model``: fixed broadband, 4G/5G and public Wi-Fi."""
    summary = services.run_coverage_model(session, now=now, settings=settings(), progress=progress)
    for note in summary.notes:
        progress(f"note: {note}")
    wifi = (
        f"{summary.share_within_wifi_reach:.0%} within public Wi-Fi reach"
        if summary.share_within_wifi_reach is not None
        else "Wi-Fi not modelled"
    )
    words = {"ward": "wards", "lsoa": "LSOAs", "oa": "output areas"}
    areas = (
        ", ".join(f"{count} {words.get(kind, kind)}" for kind, count in summary.areas.items())
        or "no areas"
    )
    return (
        f"{summary.premises:,} premises ({areas}): residents {summary.share_below_uso:.1%} below "
        f"the USO, {summary.share_superfast:.0%} superfast or better, "
        f"{summary.share_full_fibre:.0%} full fibre, {summary.share_good_4g_indoor_any:.0%} good "
        f"indoor 4G from at least one operator, {wifi}."
    )


def _import_assets(path: Path, kind: str, source_date: datetime | None, buffer_m: float) -> None:
    session = db_session()
    day = _day(path, source_date)
    try:
        assets = read_assets(path, kind=kind)
        report = services.store_assets(
            session,
            assets,
            kind=kind,
            source=path.name,
            source_date=str(day),
            now=now_utc(),
            buffer_m=buffer_m,
        )
    except (InputError, DomainError) as error:
        raise _fail(error) from None
    session.commit()
    click.echo(
        f"Loaded {report.loaded} {kind}s from {path.name} (dated {day}), replacing any stored "
        f"{kind}s."
    )
    _rejected(report.rejected)


@geo_cli.command("import-exchanges")
@click.argument("path", type=_PATH)
@click.option("--source-date", type=_DATE, default=None, help="Date of the data (YYYY-MM-DD).")
@click.option(
    "--buffer-m", default=5000.0, show_default=True, help="Keep exchanges this far outside."
)
def import_exchanges(path: Path, source_date: datetime | None, buffer_m: float) -> None:
    """Load telephone exchanges (CSV with x/y or lat/lon, or GeoJSON points), for ADSL2+."""
    _import_assets(path, "exchange", source_date, buffer_m)


@geo_cli.command("import-cabinets")
@click.argument("path", type=_PATH)
@click.option("--source-date", type=_DATE, default=None, help="Date of the data (YYYY-MM-DD).")
@click.option(
    "--buffer-m", default=5000.0, show_default=True, help="Keep cabinets this far outside."
)
def import_cabinets(path: Path, source_date: datetime | None, buffer_m: float) -> None:
    """Load street cabinets (CSV with x/y or lat/lon, or GeoJSON points), for FTTC."""
    _import_assets(path, "cabinet", source_date, buffer_m)


@geo_cli.command("import-availability")
@click.argument("path", type=_PATH)
@click.option(
    "--technology", type=click.Choice(["fttp", "cable", "fwa"]), required=True,
    help="The network the layer shows.",
)  # fmt: skip
@click.option("--operator", default=None, help="Operator, for features that do not name one.")
@click.option(
    "--buffer-m", default=0.0, show_default=True,
    help="Premises this close to a street or point are served (needed for lines and points).",
)  # fmt: skip
@click.option("--source-date", type=_DATE, default=None, help="Date of the data (YYYY-MM-DD).")
def import_availability(
    path: Path,
    technology: str,
    operator: str | None,
    buffer_m: float,
    source_date: datetime | None,
) -> None:
    """Load where FTTP, cable or fixed wireless is built: polygons, streets or a premises list."""
    from geo.coverage import read_availability_layer

    session = db_session()
    day = _day(path, source_date)
    try:
        layer = read_availability_layer(
            path, technology=technology, operator=operator, buffer_m=buffer_m
        )
        report = services.store_availability(
            session,
            layer,
            source=path.name,
            source_date=str(day),
            operator=operator,
            now=now_utc(),
        )
    except (InputError, DomainError) as error:
        raise _fail(error) from None
    session.commit()
    click.echo(
        f"Loaded {report.features:,} {report.form} of {technology.upper()} availability from "
        f"{path.name} (dated {day}): it serves {report.premises_served:,} of the "
        f"{report.premises_total:,} stored premises."
    )
    _rejected(
        [
            f"premises {ref}: no stored premises has this reference"
            for ref in report.unmatched_references
        ]
    )


@geo_cli.command("import-ofcom")
@click.argument("path", type=_PATH)
@click.option("--kind", type=click.Choice(["fixed", "mobile"]), required=True)
@click.option(
    "--postcode-lookup", type=_PATH, default=None,
    help="ONS Postcode Directory extract (postcode and LSOA columns) for postcode-level files.",
)  # fmt: skip
@click.option("--source-date", type=_DATE, default=None, help="Date of the data (YYYY-MM-DD).")
def import_ofcom(
    path: Path, kind: str, postcode_lookup: Path | None, source_date: datetime | None
) -> None:
    """Load Ofcom Connected Nations data: fixed coverage per postcode or output area, or mobile
    ratings per address (0 none, 3 limited, 4 likely)."""
    from geo.sources.ofcom import read_fixed_coverage, read_mobile_ratings

    session = db_session()
    day = _day(path, source_date)
    try:
        if kind == "fixed":
            table = read_fixed_coverage(path)
            lookup = None
            if postcode_lookup is not None:
                layer = places.latest_layer(session, "lsoa")
                if layer is None:
                    raise DomainError(
                        "No LSOAs are loaded to place postcodes in: load them with "
                        "`flask --app app geo import-areas PATH` first."
                    )
                lookup = read_postcode_lookup(postcode_lookup, lsoa_vintage=layer.vintage)
            report = services.store_ofcom_fixed(
                session,
                table,
                source=path.name,
                source_date=str(day),
                now=now_utc(),
                postcode_lsoa=lookup,
                lookup_source=postcode_lookup.name if postcode_lookup else None,
            )
        else:
            ratings = read_mobile_ratings(path)
            report = services.store_ofcom_mobile(
                session, ratings, source=path.name, source_date=str(day), now=now_utc()
            )
    except (InputError, DomainError) as error:
        raise _fail(error) from None
    session.commit()
    nouns = {"uprn": "addresses", "postcode": "postcodes", "output_area": "output areas"}
    click.echo(
        f"Loaded Ofcom {kind} coverage for {report.rows_stored:,} "
        f"{nouns.get(report.area_type, 'areas')} from {path.name} (dated {day}); "
        f"{report.rows_in_file:,} rows in the file."
    )
    left_out = report.rows_in_file - report.rows_stored
    if left_out:
        click.echo(
            f"Rejected: {left_out:,} rows outside the loaded borough (not stored), for example "
            + ", ".join(report.left_out[:5])
            + "."
        )
    else:
        click.echo("Rejected: none.")


@geo_cli.command("validate-broadband")
@click.argument("deri_csv", type=_PATH)
@click.option(
    "--lookup", type=_PATH, default=None,
    help="LSOA 2011 to 2021 lookup (LSOA11CD and LSOA21CD columns: CSV, or a 2021 boundary "
    "file carrying LSOA11CD).",
)  # fmt: skip
def validate_broadband(deri_csv: Path, lookup: Path | None) -> None:
    """Compare the modelled share unable to get 30 Mbit/s per LSOA 2011 with DERI v1.6's
    broadband component (Spearman rank correlation). A check, never a calibration target."""
    from geo.coverage.validation import compare_with_deri, read_deri

    session = db_session()
    try:
        table_lookup = _read_lsoa_lookup(lookup) if lookup is not None else None
        shares = services.share_below_30_by_lsoa11(
            session, lookup=table_lookup, lookup_source=lookup.name if lookup else None
        )
        deri = read_deri(deri_csv)
        table, rho = compare_with_deri(shares.shares, deri_csv)
    except (InputError, DomainError) as error:
        session.rollback()
        message = error.message if isinstance(error, DomainError) else str(error)
        raise click.ClickException(message) from None
    session.rollback()  # a report only: nothing to store
    click.echo(
        f"Modelled share of premises unable to get 30 Mbit/s against DERI v1.6 ({deri_csv.name})"
    )
    click.echo(f"LSOA 2011 codes: {shares.method}.")
    not_in_deri = sorted(set(shares.shares.index) - set(deri.index))
    if shares.premises_left_out:
        click.echo(
            f"Left out: {shares.premises_left_out:,} premises in LSOAs with no 2011 code "
            f"({', '.join(shares.codes_left_out[:10])})."
        )
    if not_in_deri:
        click.echo(
            f"Left out: {len(not_in_deri)} LSOA codes not in the DERI file ({', '.join(not_in_deri[:10])})."
        )
    header = f"{'LSOA 2011':<11} {'premises':>8} {'modelled <30':>12} {'rank':>6} {'DERI bb':>8} {'rank':>6}"
    click.echo(header)
    click.echo("-" * len(header))
    for code, row in table.iterrows():
        click.echo(
            f"{code!s:<11} {int(shares.premises.get(code, 0)):>8,} "
            f"{row['modelled_share_below_30']:>12.1%} {row['modelled_rank']:>6.1f} "
            f"{row['broadband_comp_national']:>8.2f} {row['deri_rank']:>6.1f}"
        )
    rho_text = "not defined (one side is constant)" if rho != rho else f"{rho:.3f}"
    click.echo(f"Spearman rank correlation over {len(table)} LSOAs: {rho_text}")
    click.echo(
        "DERI's broadband component comes from Ofcom Connected Nations (May 2022); the model is "
        "not tuned to it."
    )


def _read_lsoa_lookup(path: Path) -> pd.DataFrame:
    """LSOA11CD/LSOA21CD pairs from a lookup CSV or a 2021 boundary file carrying LSOA11CD."""
    from geo.sources.boundaries import read_lookup

    if path.suffix.lower() == ".csv":
        table = read_lookup(path)
    else:
        import pyogrio

        try:
            table = pd.DataFrame(pyogrio.read_dataframe(path, read_geometry=False))
        except Exception as error:  # pyogrio raises many types; report them plainly
            raise InputError(f"cannot be read ({error})", source=path.name) from None
    columns = {str(c).strip().upper(): c for c in table.columns}
    if "LSOA11CD" not in columns or "LSOA21CD" not in columns:
        raise InputError(
            "needs the columns LSOA11CD and LSOA21CD (the ONS LSOA 2011 to 2021 lookup); its "
            f"columns are {', '.join(map(str, table.columns))}",
            source=path.name,
        )
    return (
        table[[columns["LSOA11CD"], columns["LSOA21CD"]]]
        .set_axis(["LSOA11CD", "LSOA21CD"], axis=1)
        .astype(str)
        .drop_duplicates("LSOA21CD")
    )
