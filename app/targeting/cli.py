"""``flask --app app targeting ...``: candidate buildings, costed plans, siting answers, scenarios.

Examples::

    flask --app app targeting import-candidates rutland-2018-02-27.osm.pbf
    flask --app app targeting site --k 5 --walk-min 10
    flask --app app targeting plan --budget 50000
    flask --app app targeting scenario --name "Oakham, 10 minutes" --k 3 --walk-min 10
    flask --app app targeting export <id> --dataset sites --format gpkg --output sites.gpkg

Every command prints what it did; bad values get a message naming the option, and nothing is
stored half-way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from app.database import db_session
from app.targeting import inputs, presenters, services
from core.clock import now_utc
from core.errors import DomainError
from geo.errors import InputError

targeting_cli = AppGroup(
    "targeting", help="Costed intervention plans and new venue siting (scenarios)."
)

OSM_SUFFIXES = (".osm", ".pbf", ".xml")
OSM_CANDIDATE_TAGS = {
    "amenity": ["school", "library", "community_centre", "social_centre", "townhall"]
}
"""OpenStreetMap features kept as candidate buildings."""

OPTION_NAMES = {
    "budget_gbp": "--budget",
    "walk_min": "--walk-min",
    "k": "--k",
    "share_pct": "--share",
    "wards": "--wards",
    "level": "--level",
    "candidates": "--candidates",
    "name": "--name",
    "online_gbp": "--online-cost",
    "face_to_face_gbp": "--face-to-face-cost",
    "transactions_per_year": "--transactions",
}


def _fail(error: Exception) -> click.ClickException:
    db_session().rollback()
    if isinstance(error, DomainError):
        option = OPTION_NAMES.get(error.field or "")
        message = f"{option}: {error.message}" if option else error.message
    else:
        message = str(error)
    return click.ClickException(f"{message}\nNothing was stored.")


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[int] = ()) -> None:
    widths = [len(text) for text in head]
    for row in rows:
        widths = [max(width, len(text)) for width, text in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            text.rjust(width) if i in numeric else text.ljust(width)
            for i, (text, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    click.echo(line(head))
    click.echo("  ".join("-" * width for width in widths))
    for row in rows:
        click.echo(line(row))


def _read_candidate_file(path: Path) -> Any:
    from geo.siting import read_candidates

    if path.name.lower().endswith(OSM_SUFFIXES):
        from geo.sources.osm import read_osm_pois

        pois = read_osm_pois(path, tags=OSM_CANDIDATE_TAGS)
        if pois.empty:
            raise InputError(
                "has no schools, libraries, community centres or town halls", source=path.name
            )
        return read_candidates(pois)
    return read_candidates(path)


def _uploaded(path: Path | None) -> tuple[tuple[dict[str, Any], ...], str | None]:
    if path is None:
        return (), None
    frame = _read_candidate_file(path)
    rows = tuple(
        {
            "candidate_id": str(row["candidate_id"]),
            "name": str(row["name"]),
            "kind": str(row["kind"]),
            "x_m": float(row["x_m"]),
            "y_m": float(row["y_m"]),
        }
        for row in frame[["candidate_id", "name", "kind", "x_m", "y_m"]].to_dict("records")
    )
    return rows, path.name


def _wards(text: str | None) -> tuple[str, ...]:
    session = db_session()
    if text:
        return tuple(code.strip() for code in text.split(",") if code.strip())
    return tuple(code for code, _name in inputs.list_wards(session))


def _request(
    *,
    name: str,
    wards: str | None,
    level: str,
    budget: float,
    walk_min: int,
    k: int,
    share: float,
    candidates: Path | None,
    time_limit: float,
) -> services.ScenarioRequest:
    uploaded, filename = _uploaded(candidates)
    return services.ScenarioRequest(
        name=name,
        ward_codes=_wards(wards),
        level=level,
        budget_gbp=budget,
        walk_min=walk_min,
        k=k,
        share=share,
        uploaded_candidates=uploaded,
        candidates_filename=filename,
        time_limit_s=time_limit,
    )


def _print_plan(plan: dict[str, Any]) -> None:
    for status in plan.get("inputs", []):
        found = status["detail"] if status["available"] else f"missing. {status['remedy']}"
        click.echo(f"  {status['label']}: {found}")
    if not plan.get("available"):
        click.echo(plan.get("message", "No plan."))
        return
    click.echo(
        f"Budget £{plan['budget_gbp']:,.0f}: spent £{plan['spent_gbp']:,.0f}, left "
        f"£{plan['left_gbp']:,.0f}; residents reached {plan['residents_reached']:,.0f}; newly "
        f"online {plan['newly_online']:,.0f}; channel-shift savings "
        f"£{plan['savings_per_year_gbp']:,.0f} a year."
    )
    if plan.get("ring_fenced_shortfall_gbp"):
        click.echo(
            f"Ring-fenced help the budget cannot cover: £{plan['ring_fenced_shortfall_gbp']:,.0f}."
        )
    _table(
        ("Area", "What the budget buys", "Cost", "Residents"),
        [
            (
                str(area["area_name"]),
                str(area["funded_mix"]) or "nothing",
                f"£{area['funded_cost_gbp']:,.0f}",
                f"{area['funded_residents']:,.0f}",
            )
            for area in plan["areas"]
        ],
        numeric=(2, 3),
    )
    for note in plan.get("notes", []):
        click.echo(f"  note: {note}")


def _print_siting(siting: dict[str, Any]) -> None:
    if not siting.get("available"):
        click.echo(siting.get("message", "No siting answer."))
        return
    exact = siting["mclp"]["exact"]
    greedy = siting["mclp"]["greedy"]
    click.echo(
        f"Demand: {siting['weighting']['label']} ({siting['weighting']['key']} weighting), "
        f"{siting['total_demand']:,.0f} in {siting['demand_points']:,} clusters of "
        f"{siting['premises']:,} premises; {len(siting['existing_venues'])} venues open now, "
        f"{siting['candidates']} candidate buildings; walk {siting['walk_min']:g} minutes "
        f"({siting['radius_m']:,.0f} m)."
    )
    _table(
        ("Order", "Building", "Kind", "Ward", "Newly within the walk"),
        [
            (
                str(site["order"]),
                str(site["name"]),
                str(site["kind"]),
                str(site["ward_name"] or "-"),
                f"{site['new_demand_reached']:,.0f}",
            )
            for site in siting["sites"]
        ],
        numeric=(0, 4),
    )
    _table(
        ("Question and method", "New venues", "Share within the walk", "Status"),
        [
            (
                f"{siting['k']} new venues, exact (CBC)",
                str(exact["n_sites"]),
                f"{exact['share_before']:.1%} -> {exact['share_covered']:.1%}",
                str(exact["status"]),
            ),
            (
                f"{siting['k']} new venues, greedy",
                str(greedy["n_sites"]),
                f"{greedy['share_before']:.1%} -> {greedy['share_covered']:.1%}",
                str(greedy["status"]),
            ),
            *[
                (
                    f"fewest for {siting['share']:.0%}, {label}",
                    str(result["n_sites"]) if result["feasible"] else "not possible",
                    f"{result['share_covered']:.1%}",
                    str(result["status"]),
                )
                for label, result in (
                    ("exact (CBC)", siting["lscp"]["exact"]),
                    ("greedy", siting["lscp"]["greedy"]),
                )
            ],
        ],
        numeric=(1, 2),
    )
    click.echo(exact["message"])
    if not siting["lscp"]["exact"]["feasible"]:
        click.echo(siting["lscp"]["exact"]["message"])
    for note in siting.get("notes", []):
        click.echo(f"  note: {note}")


@targeting_cli.command("import-candidates")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--source-date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Date of the data (default: the file's date).",
)
def import_candidates(path: Path, source_date: datetime | None) -> None:
    """Load candidate buildings for new venues: a CSV, GeoJSON or GeoPackage of buildings with
    name and kind, or an OpenStreetMap file (.osm, .osm.pbf; schools, libraries, community
    centres and town halls are kept)."""
    session = db_session()
    day = (
        source_date.date()
        if source_date
        else datetime.fromtimestamp(path.stat().st_mtime, tz=UTC).date()
    )
    try:
        frame = _read_candidate_file(path)
        report = services.store_candidates(
            session, frame, source=path.name, source_date=str(day), now=now_utc()
        )
    except (InputError, DomainError) as error:
        raise _fail(error) from None
    session.commit()
    kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(report.by_kind.items()))
    click.echo(
        f"Loaded {report.loaded} candidate buildings from {path.name} (dated {day}): "
        f"{kinds or 'none'}. Outside every ward (not kept): {report.outside}."
    )


@targeting_cli.command("plan")
@click.option("--budget", type=float, required=True, help="Budget in pounds.")
@click.option("--level", type=click.Choice(["ward", "lsoa"]), default="ward", show_default=True)
@click.option("--wards", default=None, help="Ward codes, comma separated (default: all).")
def plan_command(budget: float, level: str, wards: str | None) -> None:
    """Print the costed plan for the chosen wards within a budget."""
    session = db_session()
    try:
        request = services.ScenarioRequest(
            name="command line", ward_codes=_wards(wards), level=level, budget_gbp=budget
        )
        _check_plan_request(request)
        plan = services.build_plan(session, request)
    except (InputError, DomainError) as error:
        raise _fail(error) from None
    session.rollback()
    _print_plan(plan)
    if not plan.get("available"):
        raise click.ClickException("There is no costed plan for these wards.")


def _check_plan_request(request: services.ScenarioRequest) -> None:
    known = {code for code, _name in inputs.list_wards(db_session())}
    if not known:
        raise DomainError("No wards are loaded: import ward boundaries first.", field="wards")
    unknown = sorted(set(request.ward_codes) - known)
    if unknown:
        raise DomainError(f"Ward {unknown[0]} is not one of the stored wards", field="wards")
    budget = request.budget_gbp
    if not services.MIN_BUDGET_GBP <= budget <= services.MAX_BUDGET_GBP:
        raise DomainError(
            f"Budget must be between £{services.MIN_BUDGET_GBP:,.0f} and "
            f"£{services.MAX_BUDGET_GBP:,.0f}",
            field="budget_gbp",
        )


@targeting_cli.command("site")
@click.option("--k", "k", type=int, required=True, help="Number of new venues (1-50).")
@click.option("--walk-min", type=int, required=True, help="Walking time in minutes (1-60).")
@click.option("--share", type=float, default=0.9, show_default=True, help="Share to reach (0-1).")
@click.option("--wards", default=None, help="Ward codes, comma separated (default: all).")
@click.option(
    "--candidates",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="More candidate buildings (CSV, GeoJSON, GeoPackage or OSM file).",
)
@click.option(
    "--time-limit", type=float, default=services.MAX_TIME_LIMIT_S, show_default=True,
    help="CBC time limit for each exact solve, seconds (at most 10).",
)  # fmt: skip
def site_command(
    k: int,
    walk_min: int,
    share: float,
    wards: str | None,
    candidates: Path | None,
    time_limit: float,
) -> None:
    """Print the new venues chosen: k most useful, and the fewest for a share."""
    session = db_session()
    try:
        request = _request(
            name="command line",
            wards=wards,
            level="ward",
            budget=50_000.0,
            walk_min=walk_min,
            k=k,
            share=share,
            candidates=candidates,
            time_limit=time_limit,
        )
        services.check_request(session, request)
        siting = services.build_siting(session, request, progress=_progress)
    except (InputError, DomainError) as error:
        raise _fail(error) from None
    session.rollback()
    _print_siting(siting)
    if not siting.get("available"):
        raise click.ClickException("There is no siting answer for these wards.")


def _progress(percent: int, text: str) -> None:
    click.echo(f"  - {percent:3d}% {text}")


@targeting_cli.command("scenario")
@click.option("--name", required=True, help="Name to save the scenario under.")
@click.option("--budget", type=float, default=50_000.0, show_default=True)
@click.option("--k", "k", type=int, default=3, show_default=True)
@click.option("--walk-min", type=int, default=15, show_default=True)
@click.option("--share", type=float, default=0.9, show_default=True)
@click.option("--level", type=click.Choice(["ward", "lsoa"]), default="ward", show_default=True)
@click.option("--wards", default=None, help="Ward codes, comma separated (default: all).")
@click.option(
    "--candidates",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
)
@click.option("--time-limit", type=float, default=services.MAX_TIME_LIMIT_S, show_default=True)
def scenario_command(
    name: str,
    budget: float,
    k: int,
    walk_min: int,
    share: float,
    level: str,
    wards: str | None,
    candidates: Path | None,
    time_limit: float,
) -> None:
    """Run a whole scenario (costed plan and siting) now and save it."""
    session = db_session()
    now = now_utc()
    try:
        request = _request(
            name=name,
            wards=wards,
            level=level,
            budget=budget,
            walk_min=walk_min,
            k=k,
            share=share,
            candidates=candidates,
            time_limit=time_limit,
        )
        scenario = services.create_scenario(
            session, request, by_id=None, by_name="Command line", now=now
        )
        results = services.run_scenario(
            session, services.ScenarioRequest.from_parameters(scenario.parameters),
            progress=_progress,
        )  # fmt: skip
        finished = now_utc()
        scenario.results = results
        scenario.status = "done"
        scenario.progress = 100
        scenario.progress_text = "Finished"
        scenario.started_at = now
        scenario.finished_at = finished
        scenario.updated_at = finished
        services.save_scenario(session, scenario, name=name, now=finished)
    except (InputError, DomainError) as error:
        raise _fail(error) from None
    session.commit()
    _print_plan(results["plan"])
    _print_siting(results["siting"])
    click.echo(f"Saved scenario '{scenario.name}': id {scenario.public_id}.")


@targeting_cli.command("export")
@click.argument("public_id")
@click.option(
    "--dataset", type=click.Choice(list(presenters.DATASETS)), required=True, help="What to export."
)
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "gpkg"]), default="csv", show_default=True
)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def export_command(public_id: str, dataset: str, fmt: str, output: Path) -> None:
    """Write a finished scenario's plan, interventions or new venues to a file."""
    session = db_session()
    scenario = services.find_scenario(session, public_id)
    if scenario is None or scenario.status != "done":
        raise click.ClickException(f"There is no finished scenario with id {public_id}.")
    if fmt == "gpkg" and dataset not in presenters.GEO_DATASETS:
        raise click.ClickException(
            f"--format gpkg is for {' and '.join(presenters.GEO_DATASETS)}; use csv for {dataset}."
        )
    body = presenters.export_bytes(
        session,
        scenario,
        dataset,
        fmt,
        detail="full",
        threshold=float(current_app.config.get("SMALL_NUMBER_THRESHOLD", 10)),
        council=str(current_app.config["COUNCIL_NAME"]),
    )
    output.write_bytes(body)
    click.echo(f"Wrote {presenters.DATASETS[dataset].lower()} to {output} ({len(body):,} bytes).")


@targeting_cli.command("list")
def list_command() -> None:
    """List scenarios, saved first."""
    session = db_session()
    rows = [
        (
            item.public_id,
            item.name,
            "saved" if item.saved else "not saved",
            item.status,
            f"{item.created_at:%Y-%m-%d %H:%M}",
        )
        for saved in (True, False)
        for item in services.list_scenarios(session, saved=saved)
    ]
    if not rows:
        click.echo("No scenarios yet.")
        return
    _table(("Id", "Name", "Kept", "Status", "Created (UTC)"), rows)
