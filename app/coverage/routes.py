"""Coverage pages for planners (and the suppressed ward table for councillors), and downloads."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template
from sqlalchemy import select

from app.access import has_role, roles_allowed
from app.auth.roles import ADMIN, COUNCILLOR, PLANNER, STAFF_DETAIL_ROLES
from app.coverage import presenters, services
from app.database import db_session
from app.places.models import Area
from maps.export import to_csv_bytes, to_geojson_bytes, to_geopackage_bytes

bp = Blueprint("coverage", __name__, url_prefix="/coverage")

DATASETS = {
    "wards": "Broadband and mobile coverage by ward",
    "lsoas": "Broadband and mobile coverage by LSOA",
    "premises": "Broadband and mobile coverage by premises",
}
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "geojson": "application/geo+json",
    "gpkg": "application/geopackage+sqlite3",
}


@bp.route("/")
@roles_allowed(PLANNER, ADMIN, COUNCILLOR)
def index() -> str:
    session = db_session()
    run = presenters.latest_run(session)
    if not has_role(*STAFF_DETAIL_ROLES):
        return render_template(
            "coverage/summary.html",
            run=run,
            rows=presenters.summary_rows(
                session,
                suppress=True,
                threshold=int(current_app.config["SMALL_NUMBER_THRESHOLD"]),
            ),
            threshold=int(current_app.config["SMALL_NUMBER_THRESHOLD"]),
        )
    return render_template(
        "coverage/areas.html",
        run=run,
        rows=presenters.area_rows(session, kind="ward"),
        ward=None,
        tier_labels=presenters.SHORT_TIER_LABELS,
        percent=presenters.percent,
    )


@bp.route("/wards/<ward_code>")
@roles_allowed(PLANNER, ADMIN)
def ward(ward_code: str) -> str:
    session = db_session()
    area = session.scalars(select(Area).where(Area.kind == "ward", Area.code == ward_code)).first()
    if area is None:
        abort(404)
    return render_template(
        "coverage/areas.html",
        run=presenters.latest_run(session),
        rows=presenters.area_rows(session, kind="lsoa", ward_code=ward_code),
        ward=area,
        ward_row=next(
            (row for row in presenters.area_rows(session, kind="ward") if row.code == ward_code),
            None,
        ),
        tier_labels=presenters.SHORT_TIER_LABELS,
        percent=presenters.percent,
    )


@bp.route("/gaps")
@roles_allowed(PLANNER, ADMIN)
def gaps() -> str:
    session = db_session()
    return render_template(
        "coverage/gaps.html",
        run=presenters.latest_run(session),
        wards=presenters.gap_rows(session, kind="ward"),
        lsoas=presenters.gap_rows(session, kind="lsoa"),
        percent=presenters.percent,
    )


@bp.route("/reported")
@roles_allowed(PLANNER, ADMIN)
def reported() -> str:
    session = db_session()
    return render_template(
        "coverage/reported.html",
        run=presenters.latest_run(session),
        comparison=presenters.comparison(session),
        percent=presenters.percent,
    )


@bp.route("/model-run")
@roles_allowed(PLANNER, ADMIN)
def model_run() -> str:
    session = db_session()
    return render_template("coverage/run.html", view=presenters.run_view(session))


@bp.route("/download/<dataset>.<fmt>")
@roles_allowed(PLANNER, ADMIN)
def download(dataset: str, fmt: str) -> Response:
    if dataset not in DATASETS or fmt not in FORMATS or (dataset, fmt) == ("premises", "geojson"):
        abort(404)
    session = db_session()
    run = services.latest_run(session)
    if run is None:
        abort(404)
    title = f"{DATASETS[dataset]}, {current_app.config['COUNCIL_NAME']}"
    metadata = presenters.export_metadata(session, run, title=title)
    if dataset == "premises":
        frame = presenters.premises_export(session)
    else:
        frame = presenters.area_export(session, kind=presenters.AREA_EXPORT_KINDS[dataset])
    if frame.empty:
        abort(404)
    name = f"coverage-{dataset}"
    if fmt == "csv":
        body = to_csv_bytes(frame, metadata_lines=metadata)
    elif fmt == "geojson":
        body = to_geojson_bytes(frame, metadata=metadata)
    else:
        body = to_geopackage_bytes(frame, layer=name.replace("-", "_"), metadata=metadata)
    return Response(
        body,
        mimetype=FORMATS[fmt],
        headers={"Content-Disposition": f"attachment; filename={name}.{fmt}"},
    )
