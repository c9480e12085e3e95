"""Coverage of every premises and area: fixed broadband, 4G/5G and public Wi-Fi.

The pure models live in :mod:`geo.coverage`; this package stores their inputs (exchanges,
cabinets, availability layers, Ofcom Connected Nations data) and results, adds the coverage stage
to ``flask --app app geo model``, and shows the figures to planners (and, with small numbers
suppressed, to councillors).

Commands (in the ``geo`` group): ``import-exchanges``, ``import-cabinets``,
``import-availability``, ``import-ofcom`` and ``validate-broadband``.  Settings: see
:mod:`app.coverage.settings`.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

DEMO_ORDER = 5


def register(app: Flask) -> None:
    """Plug the coverage pages, commands, settings and model stage into ``app``."""
    # Importing the CLI module adds its commands to the ``geo`` group.
    from app.config import apply_feature_defaults
    from app.coverage.cli import coverage_stage
    from app.coverage.routes import bp
    from app.coverage.settings import DEFAULTS
    from app.navigation import nav_item
    from app.places.cli import model_stage

    apply_feature_defaults(app.config, DEFAULTS)
    app.register_blueprint(bp)
    model_stage(app, "Coverage: fixed broadband, 4G/5G and public Wi-Fi", coverage_stage, order=20)
    nav_item(app, "Coverage", "coverage.index", order=13)
    # The exclusion-risk index takes its broadband component from the coverage model.
    from app.coverage.services import broadband_by_lsoa21
    from app.surveys.areas import set_broadband_provider

    set_broadband_provider(app, broadband_by_lsoa21)


def load_demo(*, seed: int, echo: Callable[[str], None]) -> bool:
    """Store the demo borough's exchange, cabinets and full-fibre areas, then model coverage.

    Runs after the place model's demo (premises, networks, places and mobile sites).  Returns
    ``False`` and changes nothing when cabinets are already loaded, or when there are no
    premises to model.
    """
    from flask import current_app

    from app.coverage import services
    from app.coverage.settings import CoverageSettings
    from app.database import db_session
    from app.demo import demo_borough
    from app.places import services as places
    from core.clock import now_utc
    from geo.coverage import AvailabilityLayer

    session = db_session()
    if not services.load_assets(session, "cabinet").empty:
        echo("Street cabinets are already loaded: the demo coverage is left as it is.")
        return False
    if places.counts(session)["premises"] == 0:
        echo("No premises are loaded: no demo coverage added.")
        return False
    borough = demo_borough(seed)
    now = now_utc()
    source = f"Demo Borough (synthetic, seed {seed})"
    day = str(borough.source_date)
    for kind, frame, id_column in (
        ("exchange", borough.exchange, "exchange_id"),
        ("cabinet", borough.cabinets, "cabinet_id"),
    ):
        assets = frame.drop(columns="geometry").rename(columns={id_column: "reference"})
        assets = assets.assign(
            name=assets["name"] if "name" in assets.columns else None,
            exchange_reference=assets["exchange_id"] if kind == "cabinet" else None,
        )[["reference", "name", "exchange_reference", "x_m", "y_m"]]
        report = services.store_assets(
            session, assets, kind=kind, source=f"{source}: {kind}s", source_date=day, now=now
        )
        echo(f"  {report.loaded} {kind}{'s' if report.loaded != 1 else ''}")
    fttp = AvailabilityLayer.from_geodataframe(
        borough.full_fibre_areas,
        technology="fttp",
        name=f"{source}: full fibre areas",
        operator="Openreach",
    )
    report_fttp = services.store_availability(
        session, fttp, source=f"{source}: full fibre areas", source_date=day,
        operator="Openreach", now=now,
    )  # fmt: skip
    echo(f"  {report_fttp.features} full fibre areas ({report_fttp.premises_served:,} premises)")
    summary = services.run_coverage_model(
        session, now=now, settings=CoverageSettings.from_config(current_app.config)
    )
    echo(
        f"  coverage modelled: {summary.share_superfast:.0%} of residents superfast or better, "
        f"{summary.share_good_4g_indoor_any:.0%} good indoor 4G"
    )
    session.commit()
    return True
