"""The residents' digital lives survey and the exclusion-risk index, on the web and the CLI.

* residents answer online, one question per page, with no account (``routes_public``);
* Digital Champions fill it in with a resident (``routes_staff``, source "champion");
* planners import exports from other survey tools, see personas and barriers per ward and LSOA
  with intervals, edit the persona rules and weigh the exclusion-risk index;
* councillors see ward figures with small numbers suppressed;
* ``flask --app app surveys ...`` imports files, writes the template, loads the index inputs
  and compares the index with the DERI (``cli``).

The domain (question set, checks, scoring, personas, estimates, index) is in ``surveys``.

Settings (``app.config``, or environment variables of the same name; defaults set by
``register``):

``SURVEY_PAGE_RATE_LIMIT``
    How often one address may post a survey page ("120 per minute;1000 per hour").
``SURVEY_CONTACT_RETENTION_DAYS``
    Days that a resident's contact details for a follow-up are kept at most, after which
    ``flask --app app surveys purge`` deletes them (365, a placeholder for the council's records
    manager); coordinators remove them sooner once the person is followed up.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask

if TYPE_CHECKING:
    import pandas as pd

DEMO_ORDER = 10
DEFAULTS: dict[str, object] = {
    "SURVEY_PAGE_RATE_LIMIT": "120 per minute;1000 per hour",
    "SURVEY_CONTACT_RETENTION_DAYS": 365,
}
DEMO_RESPONSES = 2400
"""Respondents in the demo survey: about 130 per demo ward, 24 per LSOA (so LSOA estimates are
flagged as small samples, as they would be in a real council survey of this size)."""


def register(app: Flask) -> None:
    """Plug the survey pages and commands into ``app``."""
    from app.config import apply_feature_defaults
    from app.navigation import nav_item, start_link
    from app.retention import retention_job
    from app.surveys.cli import purge_contacts_command, surveys_cli
    from app.surveys.routes_public import bp as public_bp
    from app.surveys.routes_staff import bp as staff_bp

    apply_feature_defaults(app.config, DEFAULTS)
    app.register_blueprint(public_bp)
    app.register_blueprint(staff_bp)
    app.cli.add_command(surveys_cli)
    retention_job(app, purge_contacts_command)
    nav_item(app, "Survey", "surveys.overview", order=20)
    nav_item(app, "Exclusion index", "surveys.index", order=21)
    nav_item(app, "Ward survey figures", "surveys.wards", order=22)
    nav_item(app, "Survey with a resident", "surveys.resident_start", order=23)
    start_link(app, "Tell us how you use the internet", "survey.start")


def demo_imd_deciles(seed: int) -> pd.Series:
    """The demo borough's synthetic IMD deciles by LSOA code (rebuilt from its seed)."""
    from geo.sources.demo import build_demo_borough

    with tempfile.TemporaryDirectory(prefix="demo-borough-") as workdir:
        return build_demo_borough(seed, workdir=Path(workdir)).imd_decile


def load_demo(*, seed: int, echo: Callable[[str], None]) -> None:
    """Add the demo borough's IMD deciles and a synthetic survey, through the real import path.

    Safe to run twice: deciles already stored and a survey file already imported are left alone.
    Does nothing when the stored areas are not the demo borough of this seed.
    """
    from app.database import db_session
    from app.surveys.areas import stored_areas
    from core.clock import now_utc
    from geo.sources.ons_tables import ADULT_AGE_COLUMNS
    from surveys.services import (
        find_import_by_hash,
        imd_deciles_by_lsoa21,
        import_responses,
        store_demo_imd,
    )
    from surveys.synthetic import synthetic_responses

    session = db_session()
    areas = stored_areas(session)
    expected = f"Demo Borough (synthetic, seed {seed})"
    if areas.ward_layer is None or not areas.ward_layer.source.startswith(expected):
        echo("Survey demo: the stored areas are not the demo borough, so no demo survey is added.")
        return
    now = now_utc()
    deciles = imd_deciles_by_lsoa21(session, list(areas.ages.index))
    if areas.ages.empty:
        echo("Survey demo: the demo borough has no population stored, so no survey is added.")
        return
    if deciles.isna().any():
        echo(f"  rebuilding the demo borough from seed {seed} for its IMD deciles")
        store_demo_imd(
            session, demo_imd_deciles(seed), source=f"{expected}: IMD-style deciles", now=now
        )
        session.flush()
        deciles = imd_deciles_by_lsoa21(session, list(areas.ages.index))
        echo(f"  synthetic IMD deciles for {int(deciles.notna().sum())} LSOAs")
    frame = areas.ages[list(ADULT_AGE_COLUMNS)].copy()
    frame["ward_code"] = areas.lsoa_ward.reindex(frame.index)
    frame["lsoa21_code"] = frame.index
    frame["imd_decile"] = deciles.reindex(frame.index)
    frame = frame.dropna(subset=["ward_code", "imd_decile"]).reset_index(drop=True)
    survey = synthetic_responses(frame, n=DEMO_RESPONSES, seed=seed)
    data = survey.to_csv(index=False, lineterminator="\r\n").encode("utf-8")
    filename = f"demo-survey-seed-{seed}.csv"
    if find_import_by_hash(session, hashlib.sha256(data).hexdigest()) is not None:
        session.commit()
        echo("Survey demo: the demo survey is already imported.")
        return
    report = import_responses(session, data, areas=areas.context(), now=now, filename=filename)
    session.commit()
    echo(
        f"  survey: {report.stored:,} synthetic responses imported ({report.already_imported:,} "
        "already there)"
    )
