"""Staff pages of the survey: imports, responses, estimates, the exclusion-risk index, persona
rules, councillors' ward figures, the follow-up list and the survey with a resident."""

from __future__ import annotations

import csv
import io
import json
from typing import Any, Literal

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.utils import secure_filename
from werkzeug.wrappers import Response

from app.access import has_role, roles_allowed
from app.auth.roles import ADMIN, CHAMPION, COORDINATOR, COUNCILLOR, PLANNER, STAFF_DETAIL_ROLES
from app.database import db_session
from app.forms import ConfirmForm, apply_domain_error
from app.surveys import presenters
from app.surveys.areas import StoredAreas, broadband_by_lsoa, stored_areas
from app.surveys.forms import (
    ImportForm,
    PersonaRulesForm,
    ResetRulesForm,
    weights_form,
    weights_from,
)
from app.surveys.routes_public import Journey, _csv_cell
from core.clock import govuk_date, now_utc
from core.errors import DomainError, NotFound
from surveys.importing import SurveyImportError
from surveys.models import SurveyContact, SurveyResponse
from surveys.personas import default_persona_config
from surveys.questions import QUESTION_SET
from surveys.retention import remove_contact
from surveys.scoring import SCORED_FIELDS
from surveys.services import (
    AreaEstimates,
    IndexView,
    active_persona_config,
    count_responses,
    estimate_areas,
    exclusion_index_view,
    find_import,
    find_response,
    imd_deciles_by_lsoa21,
    import_responses,
    list_imports,
    list_index_sources,
    responses_by_area,
    save_persona_config,
)

bp = Blueprint("surveys", __name__, url_prefix="/surveys")

ANALYSTS = (PLANNER, ADMIN)
WARD_READERS = (COUNCILLOR, PLANNER, ADMIN, COORDINATOR)
PAGE_SIZE = 50
MAX_PROBLEMS_SHOWN = 2000
MIN_RESPONDENTS = 30


def _estimates(level: Literal["ward", "lsoa"], areas: StoredAreas) -> AreaEstimates:
    session = db_session()
    deciles = imd_deciles_by_lsoa21(session, list(areas.ages.index)) if len(areas.ages) else None
    return estimate_areas(
        session,
        level=level,
        ages=areas.ages,
        lsoa_ward=areas.lsoa_ward,
        imd_decile=deciles,
        min_n=MIN_RESPONDENTS,
    )


def _area_names(level: str, areas: StoredAreas) -> dict[str, str]:
    return areas.ward_names if level == "ward" else areas.lsoa_names


def _level() -> Literal["ward", "lsoa"]:
    return "lsoa" if request.args.get("level") == "lsoa" else "ward"


def _download(header: list[str], rows: list[list[Any]], *, filename: str, note: str) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([f"# {note}"])
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
    return Response(
        "\ufeff" + buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={filename}"},
    )


# -- overview and imports -------------------------------------------------------------------------


@bp.route("/")
@roles_allowed(PLANNER, ADMIN, COORDINATOR)
def overview() -> str:
    session = db_session()
    areas = stored_areas(session, with_population=False)
    counts = responses_by_area(session, level="ward")
    ward_rows = [
        [{"text": name}, {"text": f"{int(counts.get(code, 0)):,}", "format": "numeric"}]
        for code, name in areas.wards
    ]
    unknown = sum(int(n) for code, n in counts.items() if code not in areas.ward_names)
    return render_template(
        "surveys/overview.html",
        counts=count_responses(session),
        ward_rows=ward_rows,
        no_ward=unknown,
        imports=list_imports(session, limit=10),
        sources=list_index_sources(session)[:10],
        source_labels=presenters.SOURCE_LABELS,
    )


@bp.route("/import", methods=["GET", "POST"])
@roles_allowed(*ANALYSTS)
def import_file() -> str | Response:
    session = db_session()
    form = ImportForm()
    problems: list[Any] = []
    total_problems = 0
    if form.validate_on_submit():
        upload = form.file.data
        filename = secure_filename(upload.filename or "") or "upload.csv"
        data = upload.read()
        try:
            report = import_responses(
                session,
                data,
                areas=stored_areas(session, with_population=False).context(),
                now=now_utc(),
                filename=filename,
                actor_id=current_user.id,
            )
        except SurveyImportError as error:
            session.rollback()
            total_problems = len(error.problems)
            problems = list(error.problems[:MAX_PROBLEMS_SHOWN])
            form.file.errors = [error.message]
        except DomainError as error:
            session.rollback()
            apply_domain_error(form, error)
        else:
            session.commit()
            current_app.logger.info(
                "survey import %s: %s stored, %s already imported",
                report.batch.public_id,
                report.stored,
                report.already_imported,
            )
            flash(
                f"{report.stored:,} new {'response' if report.stored == 1 else 'responses'} "
                f"stored from {filename}. {report.already_imported:,} already imported."
            )
            return redirect(url_for("surveys.import_result", public_id=report.batch.public_id))
    return render_template(
        "surveys/import.html",
        form=form,
        problems=problems,
        total_problems=total_problems,
        imports=list_imports(session, limit=10),
    )


@bp.route("/imports/<public_id>")
@roles_allowed(*ANALYSTS)
def import_result(public_id: str) -> str:
    batch = find_import(db_session(), public_id)
    if batch is None:
        abort(404)
    return render_template("surveys/import_result.html", batch=batch)


# -- responses ------------------------------------------------------------------------------------


@bp.route("/responses")
@roles_allowed(*ANALYSTS)
def responses() -> str:
    session = db_session()
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page = 1
    total = session.scalar(select(func.count()).select_from(SurveyResponse)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(page, pages)
    records = session.execute(
        select(
            SurveyResponse.public_id,
            SurveyResponse.submitted_at,
            SurveyResponse.source,
            SurveyResponse.ward_code,
            SurveyResponse.persona_name,
            SurveyResponse.gds_scale,
        )
        .order_by(SurveyResponse.id.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    names = stored_areas(session, with_population=False).ward_names
    return render_template(
        "surveys/responses.html",
        records=records,
        names=names,
        page=page,
        pages=pages,
        total=total,
        source_labels=presenters.SOURCE_LABELS,
    )


@bp.route("/responses/<public_id>")
@roles_allowed(*ANALYSTS)
def response(public_id: str) -> str:
    session = db_session()
    record = find_response(session, public_id)
    if record is None:
        abort(404)
    names = stored_areas(session, with_population=False).ward_names
    return render_template(
        "surveys/response.html",
        record=record,
        ward_name=names.get(record.ward_code or "", record.ward_code),
        answers=presenters.answer_rows(record.answers, names),
        scores=presenters.score_rows(record.scores or {}),
        reasons=[reason for reason in record.persona_reasons.split("; ") if reason],
        source_labels=presenters.SOURCE_LABELS,
    )


# -- estimates ------------------------------------------------------------------------------------


@bp.route("/estimates")
@roles_allowed(*ANALYSTS)
def estimates() -> str:
    level = _level()
    areas = stored_areas(db_session())
    result = _estimates(level, areas)
    personas, barriers = presenters.outcome_labels(result)
    names = _area_names(level, areas)
    return render_template(
        "surveys/estimates.html",
        level=level,
        estimates=result,
        persona_labels=list(personas.values()),
        barrier_labels=list(barriers.values()),
        persona_rows=presenters.estimate_rows(result, list(personas), names),
        barrier_rows=presenters.estimate_rows(result, list(barriers), names),
        min_n=MIN_RESPONDENTS,
    )


@bp.route("/estimates.csv")
@roles_allowed(*ANALYSTS)
def estimates_csv() -> Response:
    level = _level()
    areas = stored_areas(db_session())
    result = _estimates(level, areas)
    header, rows = presenters.estimates_csv_rows(result, _area_names(level, areas))
    return _download(
        header,
        rows,
        filename=f"survey-estimates-by-{level}.csv",
        note="Residents' survey: persona and barrier shares of adults, post-stratified to "
        "Census 2021 ages (ONS, OGL v3), with 90% intervals. low_sample = fewer than "
        f"{MIN_RESPONDENTS} respondents.",
    )


# -- exclusion-risk index -------------------------------------------------------------------------


def _index_view() -> tuple[IndexView | None, Any, str | None, StoredAreas]:
    """The index with the weights asked for, its weights form, and any error message."""
    session = db_session()
    areas = stored_areas(session)
    broadband = broadband_by_lsoa(session)
    try:
        base = exclusion_index_view(
            session, ages=areas.ages, lsoa_ward=areas.lsoa_ward, broadband=broadband
        )
    except DomainError as error:
        return None, None, error.message, areas
    form = weights_form(base.spec, request.args)
    if not request.args:
        return base, form, None, areas
    if not form.validate():
        return base, form, None, areas
    try:
        view = exclusion_index_view(
            session,
            ages=areas.ages,
            lsoa_ward=areas.lsoa_ward,
            broadband=broadband,
            weights=weights_from(form, base.spec),
        )
    except DomainError as error:
        first = getattr(form, base.spec.components[0].key)
        first.errors = [*list(first.errors or []), error.message]
        return base, form, None, areas
    return view, form, None, areas


@bp.route("/index")
@roles_allowed(*ANALYSTS)
def index() -> str:
    view, form, problem, areas = _index_view()
    tables = (
        presenters.index_tables(view, areas.ward_names, areas.lsoa_names)
        if view is not None
        else None
    )
    total_weight = (
        sum(component.weight for component in view.spec.components) if view is not None else 0
    )
    return render_template(
        "surveys/index.html",
        view=view,
        form=form,
        problem=problem,
        tables=tables,
        total_weight=total_weight,
        sources=list_index_sources(db_session()),
        query=request.args.to_dict(),
    )


@bp.route("/index.csv")
@roles_allowed(*ANALYSTS)
def index_csv() -> Response:
    view, form, _problem, areas = _index_view()
    if view is None or (form is not None and form.errors):
        abort(404)
    keys = [component.key for component in view.spec.components]
    header = ["lsoa11_code", "lsoa11_name", "ward_code", "ward_name", "population", *keys]
    header += ["index", "rank", "indicators_missing"]
    rows = []
    for code, record in view.lsoas.iterrows():
        ward = record["ward_code"] if isinstance(record["ward_code"], str) else ""
        rows.append(
            [
                code,
                record["name"]
                if isinstance(record["name"], str)
                else areas.lsoa_names.get(str(code), ""),
                ward,
                areas.ward_names.get(ward, ""),
                round(float(record["population"])),
                *[round(float(record[key]), 3) for key in keys],
                round(float(record["index"]), 3),
                int(record["rank"]),
                int(record["indicators_missing"]),
            ]
        )
    weights = ", ".join(f"{c.label} {c.weight}" for c in view.spec.components)
    return _download(
        header,
        rows,
        filename="exclusion-risk-index-by-lsoa.csv",
        note=f"Exclusion-risk index (DERI method), 0-10, higher = higher risk. Weights: {weights}. "
        "Sources: IMD 2019 (MHCLG, OGL v3), ONS Digital Propensity Index and Census 2021 (OGL v3).",
    )


# -- persona rules --------------------------------------------------------------------------------


@bp.route("/personas", methods=["GET", "POST"])
@roles_allowed(*ANALYSTS)
def personas() -> str | Response:
    session = db_session()
    config, record = active_persona_config(session)
    form = PersonaRulesForm()
    if form.validate_on_submit():
        try:
            _saved, rescored = save_persona_config(
                session, form.parsed, now=now_utc(), actor_id=current_user.id
            )
        except DomainError as error:
            session.rollback()
            apply_domain_error(form, error)
        else:
            session.commit()
            flash(f"Persona rules saved. {rescored:,} responses were given personas again.")
            return redirect(url_for("surveys.personas"))
    elif request.method == "GET":
        form.config.data = json.dumps(
            record.config if record is not None else default_persona_config(), indent=2
        )
    counts = dict(
        session.execute(
            select(SurveyResponse.persona_key, func.count()).group_by(SurveyResponse.persona_key)
        ).all()
    )
    return render_template(
        "surveys/personas.html",
        form=form,
        config=config,
        record=record,
        counts=counts,
        reset_form=ResetRulesForm(),
        fields=list(SCORED_FIELDS.values()),
    )


@bp.route("/personas/reset", methods=["POST"])
@roles_allowed(*ANALYSTS)
def reset_personas() -> Response:
    session = db_session()
    if ResetRulesForm().validate_on_submit():
        _saved, rescored = save_persona_config(
            session, default_persona_config(), now=now_utc(), actor_id=current_user.id
        )
        session.commit()
        flash(
            f"The default personas are back in use. {rescored:,} responses were given personas again."
        )
    return redirect(url_for("surveys.personas"))


# -- councillors' ward figures --------------------------------------------------------------------


def _suppressed() -> bool:
    return not has_role(*STAFF_DETAIL_ROLES)


@bp.route("/wards")
@roles_allowed(*WARD_READERS)
def wards() -> str:
    session = db_session()
    areas = stored_areas(session, with_population=False)
    counts = responses_by_area(session, level="ward")
    threshold = int(current_app.config["SMALL_NUMBER_THRESHOLD"])
    return render_template(
        "surveys/wards.html",
        rows=presenters.ward_list(
            areas.ward_names,
            {str(code): int(n) for code, n in counts.items() if code is not None},
            suppress=_suppressed(),
            threshold=threshold,
            min_n=MIN_RESPONDENTS,
        ),
        suppressed=_suppressed(),
        threshold=threshold,
        min_n=MIN_RESPONDENTS,
    )


@bp.route("/wards/<ward_code>")
@roles_allowed(*WARD_READERS)
def ward(ward_code: str) -> str:
    areas = stored_areas(db_session())
    name = areas.ward_names.get(ward_code)
    if name is None:
        abort(404)
    result = _estimates("ward", areas)
    threshold = int(current_app.config["SMALL_NUMBER_THRESHOLD"])
    suppress = _suppressed()
    persona_rows, barrier_rows, respondents = presenters.ward_figures(
        result, ward_code, suppress=suppress, threshold=threshold
    )
    return render_template(
        "surveys/ward.html",
        code=ward_code,
        name=name,
        persona_rows=persona_rows,
        barrier_rows=barrier_rows,
        respondents=respondents,
        respondents_text=presenters.format_respondents(
            respondents, suppress=suppress, threshold=threshold
        ),
        enough=respondents >= MIN_RESPONDENTS,
        suppressed=suppress,
        threshold=threshold,
        min_n=MIN_RESPONDENTS,
        imd_crossed=result.imd_crossed,
    )


# -- follow-up list -------------------------------------------------------------------------------


@bp.route("/follow-up")
@roles_allowed(COORDINATOR, ADMIN)
def follow_up() -> str:
    session = db_session()
    names = stored_areas(session, with_population=False).ward_names
    records = session.execute(
        select(
            SurveyResponse.public_id,
            SurveyResponse.submitted_at,
            SurveyResponse.ward_code,
            SurveyResponse.postcode_district,
            SurveyResponse.wants_help,
            SurveyResponse.answers,
            SurveyContact.name,
            SurveyContact.email,
            SurveyContact.phone,
        )
        .join(SurveyContact, SurveyContact.response_id == SurveyResponse.id)
        .order_by(SurveyResponse.submitted_at.desc())
        .limit(500)
    ).all()
    language = QUESTION_SET.by_column("language")
    wants = QUESTION_SET.by_column("wants_help")
    people = [
        {
            "public_id": record.public_id,
            "answered": govuk_date(record.submitted_at),
            "area": names.get(record.ward_code or "", record.postcode_district or "Not given"),
            "wants_help": wants.label_for(record.wants_help) if record.wants_help else "",
            "language": (
                language.label_for(code)
                if (code := (record.answers or {}).get("language"))
                else "Not given"
            ),
            "name": record.name or "",
            "email": record.email or "",
            "phone": record.phone or "",
        }
        for record in records
    ]
    return render_template(
        "surveys/follow_up.html",
        people=people,
        retention_days=int(current_app.config["SURVEY_CONTACT_RETENTION_DAYS"]),
    )


@bp.route("/follow-up/<public_id>/remove", methods=["POST"])
@roles_allowed(COORDINATOR, ADMIN)
def remove_follow_up_contact(public_id: str) -> Response:
    """Delete one resident's contact details once they have been followed up (or ask us to)."""
    if ConfirmForm().validate_on_submit():
        session = db_session()
        try:
            remove_contact(
                session, response_public_id=public_id, now=now_utc(), actor_id=current_user.id
            )
        except NotFound as error:
            session.rollback()
            flash(error.message)
        else:
            session.commit()
            flash("Contact details removed. The survey answers are kept without them.")
    return redirect(url_for("surveys.follow_up"))


# -- the survey with a resident (Digital Champions) -----------------------------------------------

WITH_RESIDENT = Journey(
    source="champion",
    session_key="survey_with_resident",
    endpoints={
        "start": "surveys.resident_start",
        "start_again": "surveys.resident_start_again",
        "question": "surveys.resident_question",
        "check": "surveys.resident_check",
        "done": "surveys.resident_done",
    },
    title="Fill in the survey with a resident",
)
HELPERS = (CHAMPION, COORDINATOR, ADMIN)


@bp.route("/with-resident/")
@roles_allowed(*HELPERS)
def resident_start() -> str:
    return WITH_RESIDENT.start()


@bp.route("/with-resident/start-again", methods=["POST"])
@roles_allowed(*HELPERS)
def resident_start_again() -> Response:
    return WITH_RESIDENT.start_again()


@bp.route("/with-resident/questions/<step>", methods=["GET", "POST"])
@roles_allowed(*HELPERS)
def resident_question(step: str) -> str | Response:
    return WITH_RESIDENT.question(step)


@bp.route("/with-resident/check", methods=["GET", "POST"])
@roles_allowed(*HELPERS)
def resident_check() -> str | Response:
    return WITH_RESIDENT.check()


@bp.route("/with-resident/done")
@roles_allowed(*HELPERS)
def resident_done() -> str | Response:
    return WITH_RESIDENT.done()
