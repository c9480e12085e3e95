"""Targeting pages: new scenario, its progress and results, saved scenarios, comparison,
downloads, and the council's intervention rules."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.utils import secure_filename
from werkzeug.wrappers import Response

from app.access import has_role, roles_allowed
from app.auth.roles import ADMIN, COUNCILLOR, PLANNER, STAFF_DETAIL_ROLES
from app.database import db_session
from app.forms import apply_domain_error
from app.security import csp_nonce
from app.targeting import jobs, presenters, services
from app.targeting.forms import (
    CompareForm,
    DeleteForm,
    InterventionForm,
    SaveForm,
    ScenarioForm,
)
from app.targeting.inputs import list_wards
from app.targeting.models import Scenario
from app.targeting.presenters import Detail
from core.clock import now_utc
from core.errors import DomainError
from geo.errors import InputError
from geo.siting import read_candidates
from surveys.interventions import INTERVENTION_KEYS

bp = Blueprint("targeting", __name__, url_prefix="/targeting")

PLANNERS = (PLANNER, ADMIN)
READERS = (PLANNER, ADMIN, COUNCILLOR)
MAX_UPLOAD_BYTES = 1024 * 1024
DEFAULTS = {
    "budget_gbp": "50000",
    "walk_min": "15",
    "k": "3",
    "share_pct": "90",
    "online_gbp": "0.32",
    "face_to_face_gbp": "7.40",
    "transactions_per_year": "4",
    "level": "ward",
}


def _detail() -> Detail:
    return "full" if has_role(*STAFF_DETAIL_ROLES) else "suppressed"


def _threshold() -> float:
    return float(current_app.config.get("SMALL_NUMBER_THRESHOLD", 10))


def _is_planner() -> bool:
    return has_role(*PLANNERS)


def _scenario_or_404(public_id: str) -> Scenario:
    scenario = services.find_scenario(db_session(), public_id)
    if scenario is None or (not _is_planner() and not scenario.saved):
        abort(404)
    return scenario


def _asset_urls() -> dict[str, str]:
    return {
        "leaflet": url_for("static", filename="leaflet/leaflet.js"),
        "leaflet_css": url_for("static", filename="leaflet/leaflet.css"),
    }


def _tiles() -> bool:
    return bool(current_app.config.get("MAP_TILES_ONLINE", True))


# ---- lists ----------------------------------------------------------------------------------


@bp.route("/")
@roles_allowed(*READERS)
def index() -> str:
    session = db_session()
    if services.mark_stale_runs(session, now=now_utc()):
        session.commit()
    saved = services.list_scenarios(session, saved=True)
    drafts = services.list_scenarios(session, saved=False, limit=20) if _is_planner() else []
    return render_template(
        "targeting/index.html",
        saved=saved,
        drafts=drafts,
        status_tag=presenters.status_tag,
        can_plan=_is_planner(),
    )


# ---- a new scenario ---------------------------------------------------------------------------


def _read_upload(form: ScenarioForm) -> tuple[tuple[dict[str, Any], ...], str | None]:
    upload = form.candidates.data
    if upload is None or not getattr(upload, "filename", ""):
        return (), None
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise DomainError("The candidate file must be smaller than 1 MB", field="candidates")
    name = secure_filename(upload.filename or "") or "candidates.csv"
    if not name.lower().endswith(".csv"):
        raise DomainError("The candidate file must be a CSV file", field="candidates")
    with tempfile.TemporaryDirectory(prefix="candidates-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            frame = read_candidates(path)
        except InputError as error:
            raise DomainError(str(error), field="candidates") from None
    if len(frame) > services.MAX_UPLOAD_ROWS:
        raise DomainError(
            f"The candidate file has {len(frame):,} rows: give at most "
            f"{services.MAX_UPLOAD_ROWS:,} buildings",
            field="candidates",
        )
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
    return rows, name


@bp.route("/new", methods=["GET", "POST"])
@roles_allowed(*PLANNERS)
def new() -> str | Response:
    session = db_session()
    wards = list_wards(session)
    form = ScenarioForm()
    form.wards.choices = wards
    if request.method == "GET":
        form.wards.data = [code for code, _name in wards]
        for name, value in DEFAULTS.items():
            getattr(form, name).data = value
    elif form.validate_on_submit():
        values = form.values()
        try:
            uploaded, filename = _read_upload(form)
            scenario = services.create_scenario(
                session,
                services.ScenarioRequest(
                    name=form.name.data or "",
                    ward_codes=tuple(form.wards.data or ()),
                    level=form.level.data or "ward",
                    budget_gbp=float(values["budget_gbp"]),
                    walk_min=int(values["walk_min"]),
                    k=int(values["k"]),
                    share=float(values["share"]),
                    online_gbp=float(values["online_gbp"]),
                    face_to_face_gbp=float(values["face_to_face_gbp"]),
                    transactions_per_year=float(values["transactions_per_year"]),
                    uploaded_candidates=uploaded,
                    candidates_filename=filename,
                ),
                by_id=current_user.id,
                by_name=current_user.full_name,
                now=now_utc(),
            )
        except DomainError as error:
            session.rollback()
            apply_domain_error(form, error)
        else:
            session.commit()
            jobs.start(current_app._get_current_object(), scenario.public_id)  # type: ignore[attr-defined]
            return redirect(url_for("targeting.scenario", public_id=scenario.public_id))
    return render_template(
        "targeting/new.html",
        form=form,
        has_wards=bool(wards),
        candidates_loaded=services.count_candidates(session),
    )


# ---- one scenario -------------------------------------------------------------------------------


def _render_scenario(scenario: Scenario, save_form: SaveForm | None = None) -> str:
    session = db_session()
    detail = _detail()
    threshold = _threshold()
    planner = _is_planner()
    if scenario.status != "done":
        return render_template(
            "targeting/running.html",
            scenario=scenario,
            status_tag=presenters.status_tag(scenario.status),
            parameters=presenters.parameter_rows(scenario),
            can_plan=planner,
            delete_form=DeleteForm() if planner else None,
        )
    results = scenario.results or {}
    built = presenters.cached_map(
        session,
        scenario,
        detail=detail,
        threshold=threshold,
        asset_urls=_asset_urls(),
        tiles=_tiles(),
    )
    map_head = map_body = ""
    if built is not None:
        if _tiles():
            g.allow_map_tiles = True
        fragment = built.for_request(csp_nonce())
        css_url = url_for("targeting.map_css", public_id=scenario.public_id, v=built.map_id)
        map_head = fragment.head_html(css_url=css_url)
        map_body = fragment.body_html()
    if save_form is None and planner and not scenario.saved:
        save_form = SaveForm()
        save_form.name.data = scenario.name
    return render_template(
        "targeting/scenario.html",
        scenario=scenario,
        parameters=presenters.parameter_rows(scenario),
        plan=presenters.plan_view(results, detail=detail, threshold=threshold),
        siting=presenters.siting_view(results, detail=detail, threshold=threshold),
        built=built,
        map_head=map_head,
        map_body=map_body,
        legends=presenters.legend_lines(built.legends) if built else [],
        datasets=presenters.DATASETS,
        geo_datasets=presenters.GEO_DATASETS,
        form=save_form,
        delete_form=DeleteForm() if planner else None,
        can_plan=planner,
        suppressed=detail == "suppressed",
        threshold=int(threshold),
    )


@bp.route("/scenarios/<public_id>")
@roles_allowed(*READERS)
def scenario(public_id: str) -> str:
    session = db_session()
    if services.mark_stale_runs(session, now=now_utc()):
        session.commit()
    return _render_scenario(_scenario_or_404(public_id))


@bp.route("/scenarios/<public_id>/status.json")
@roles_allowed(*READERS)
def status(public_id: str) -> Response:
    session = db_session()
    if services.mark_stale_runs(session, now=now_utc()):
        session.commit()
    found = _scenario_or_404(public_id)
    return jsonify(
        {
            "status": found.status,
            "label": presenters.STATUS_LABELS.get(found.status, found.status),
            "progress": int(found.progress),
            "text": found.progress_text,
            "finished": found.status in ("done", "failed"),
        }
    )


@bp.route("/scenarios/<public_id>/map.css")
@roles_allowed(*READERS)
def map_css(public_id: str) -> Response:
    found = _scenario_or_404(public_id)
    if found.status != "done":
        abort(404)
    built = presenters.cached_map(
        db_session(),
        found,
        detail=_detail(),
        threshold=_threshold(),
        asset_urls=_asset_urls(),
        tiles=_tiles(),
    )
    if built is None:
        abort(404)
    response = Response(built.fragment.css, mimetype="text/css")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.route("/scenarios/<public_id>/save", methods=["POST"])
@roles_allowed(*PLANNERS)
def save(public_id: str) -> str | Response:
    session = db_session()
    found = _scenario_or_404(public_id)
    form = SaveForm()
    if form.validate_on_submit():
        try:
            services.save_scenario(session, found, name=form.name.data or "", now=now_utc())
        except DomainError as error:
            session.rollback()
            apply_domain_error(form, error)
        else:
            session.commit()
            flash(f"Scenario saved as '{found.name}'.")
            return redirect(url_for("targeting.scenario", public_id=found.public_id))
    return _render_scenario(found, save_form=form)


@bp.route("/scenarios/<public_id>/delete", methods=["POST"])
@roles_allowed(*PLANNERS)
def delete(public_id: str) -> Response:
    session = db_session()
    found = _scenario_or_404(public_id)
    if jobs.is_running(found.public_id):
        flash("The scenario is still running: delete it once it has finished.", "error")
        return redirect(url_for("targeting.scenario", public_id=found.public_id))
    name = found.name
    services.delete_scenario(session, found)
    session.commit()
    flash(f"Scenario '{name}' deleted.")
    return redirect(url_for("targeting.index"))


@bp.route("/scenarios/<public_id>/download/<dataset>.csv", defaults={"fmt": "csv"})
@bp.route("/scenarios/<public_id>/download/<dataset>.gpkg", defaults={"fmt": "gpkg"})
@roles_allowed(*READERS)
def download(public_id: str, dataset: str, fmt: str) -> Response:
    found = _scenario_or_404(public_id)
    if (
        found.status != "done"
        or dataset not in presenters.DATASETS
        or fmt not in presenters.MEDIA_TYPES
        or (fmt == "gpkg" and dataset not in presenters.GEO_DATASETS)
    ):
        abort(404)
    session = db_session()
    frame = presenters.export_frame(
        session, found, dataset, detail=_detail(), threshold=_threshold()
    )
    if fmt == "gpkg" and len(frame) == 0:
        abort(404)
    body = presenters.export_bytes(
        session,
        found,
        dataset,
        fmt,
        detail=_detail(),
        threshold=_threshold(),
        council=str(current_app.config["COUNCIL_NAME"]),
    )
    stem = secure_filename(found.name.lower().replace(" ", "-"))[:60] or "scenario"
    return Response(
        body,
        mimetype=presenters.MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f"attachment; filename={stem}-{dataset}.{fmt}"},
    )


# ---- comparing two ------------------------------------------------------------------------------


@bp.route("/compare")
@roles_allowed(*READERS)
def compare() -> str:
    session = db_session()
    choices = [
        scenario
        for scenario in services.list_scenarios(session, saved=True)
        if scenario.status == "done"
    ]
    if _is_planner():
        choices += [
            scenario
            for scenario in services.list_scenarios(session, saved=False, limit=20)
            if scenario.status == "done"
        ]
    form = CompareForm(request.args)
    options = [("", "Select a scenario")] + [
        (item.public_id, item.name + ("" if item.saved else " (not saved)")) for item in choices
    ]
    form.first.choices = options
    form.second.choices = options
    tables: list[presenters.Table] = []
    if request.args and form.validate():
        by_id = {item.public_id: item for item in choices}
        first = by_id.get(form.first.data or "")
        second = by_id.get(form.second.data or "")
        if first is None:
            form.first.errors = [*form.first.errors, "Select the first scenario"]
        if second is None:
            form.second.errors = [*form.second.errors, "Select the second scenario"]
        if first is not None and second is not None:
            tables = presenters.compare_tables(
                first, second, detail=_detail(), threshold=_threshold()
            )
    return render_template(
        "targeting/compare.html", form=form, tables=tables, enough=len(choices) >= 2
    )


# ---- intervention rules ---------------------------------------------------------------------------


@bp.route("/interventions")
@roles_allowed(*PLANNERS)
def interventions() -> str:
    config = services.active_interventions(db_session())
    return render_template("targeting/interventions.html", config=config, reset_form=DeleteForm())


@bp.route("/interventions/<key>", methods=["GET", "POST"])
@roles_allowed(*PLANNERS)
def intervention(key: str) -> str | Response:
    if key not in INTERVENTION_KEYS:
        abort(404)
    session = db_session()
    rule = services.active_interventions(session).rule(key)
    form = InterventionForm()
    if request.method == "GET":
        form.enabled.data = "yes" if rule.enabled else "no"
        form.ring_fenced.data = "yes" if rule.ring_fenced else "no"
        form.unit_cost_gbp.data = f"{rule.unit_cost_gbp:g}"
        form.reach_per_unit.data = f"{rule.reach_per_unit:g}"
        form.take_up_pct.data = f"{rule.take_up * 100:g}"
    elif form.validate_on_submit():
        try:
            services.change_intervention(
                session, key, form.settings(), by=current_user.id, now=now_utc()
            )
        except DomainError as error:
            session.rollback()
            setting = (error.field or "").split(".")[-1]
            field = {"take_up": "take_up_pct"}.get(setting, setting)
            apply_domain_error(form, DomainError(error.message, field=field))
        else:
            session.commit()
            flash(f"{rule.name}: changes saved. New scenarios use them.")
            return redirect(url_for("targeting.interventions"))
    return render_template("targeting/intervention.html", form=form, rule=rule)


@bp.route("/interventions/reset", methods=["POST"])
@roles_allowed(*PLANNERS)
def reset_interventions() -> Response:
    session = db_session()
    services.reset_interventions(session, by=current_user.id, now=now_utc())
    session.commit()
    flash("The intervention rules are back to the defaults.")
    return redirect(url_for("targeting.interventions"))
