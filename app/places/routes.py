"""Planner pages of the place model: areas loaded, help venues, and walking access per ward."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, render_template
from sqlalchemy import select

from app.access import roles_allowed
from app.auth.roles import ADMIN, COORDINATOR, PLANNER
from app.database import db_session
from app.places import presenters, services
from app.places.models import Area, MobileSite, StreetNetworkRecord
from app.places.presenters import AccessRow

bp = Blueprint("places", __name__, url_prefix="/places")

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


@bp.route("/areas")
@roles_allowed(PLANNER, ADMIN)
def areas() -> str:
    session = db_session()
    return render_template(
        "places/areas.html",
        layers=services.list_layers(session),
        networks=session.scalars(
            select(StreetNetworkRecord).order_by(StreetNetworkRecord.mode)
        ).all(),
        counts=services.counts(session),
        sites=session.execute(
            select(MobileSite.source, MobileSite.source_date, MobileSite.operator)
        ).all(),
    )


@bp.route("/venues")
@roles_allowed(PLANNER, COORDINATOR, ADMIN)
def venues() -> str:
    session = db_session()
    return render_template(
        "places/venues.html",
        rows=presenters.venue_rows(session),
        run=presenters.latest_run(session, "access"),
    )


@bp.route("/access")
@roles_allowed(PLANNER, ADMIN)
def access() -> str:
    session = db_session()
    return render_template(
        "places/access.html",
        rows=presenters.access_rows(session, kind="ward"),
        run=presenters.latest_run(session, "access"),
        ward=None,
    )


@bp.route("/access/<ward_code>")
@roles_allowed(PLANNER, ADMIN)
def ward_access(ward_code: str) -> str:
    session = db_session()
    ward = session.scalars(select(Area).where(Area.kind == "ward", Area.code == ward_code)).first()
    if ward is None:
        abort(404)
    return render_template(
        "places/access.html",
        rows=presenters.access_rows(session, kind="lsoa", ward_code=ward_code),
        run=presenters.latest_run(session, "access"),
        ward=ward,
    )


@bp.route("/access.csv")
@roles_allowed(PLANNER, ADMIN)
def access_csv() -> Response:
    rows: list[AccessRow] = presenters.access_rows(db_session(), kind="ward")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            "# Walking access to help venues per ward. Source: OpenStreetMap (ODbL), ONS boundaries (OGL v3)."
        ]
    )
    writer.writerow(
        [
            "ward_code",
            "ward_name",
            "premises",
            "premises_are_estimates",
            "residents",
            "share_within_5_min",
            "share_within_10_min",
            "share_within_15_min",
            "median_walk_min",
        ]
    )
    for row in rows:
        writer.writerow(
            [
                _csv_cell(row.code),
                _csv_cell(row.name),
                row.premises,
                row.estimated,
                round(row.residents),
                *(
                    None if share is None else round(share, 4)
                    for share in (row.share_5, row.share_10, row.share_15)
                ),
                None if row.median_min is None else round(row.median_min, 1),
            ]
        )
    return Response(
        "\ufeff" + buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=walking-access-by-ward.csv"},
    )
