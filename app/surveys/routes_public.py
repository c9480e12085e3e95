"""The residents' survey online: no account, one question per page, answers kept in the session.

The same journey serves Digital Champions filling the survey in with a resident (see
``routes_staff``); :class:`Journey` holds what differs (endpoints, session key, source).  Also
public: the published question set with its data dictionary, and the CSV import template.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response

from app.access import public
from app.database import db_session
from app.extensions import limiter
from app.surveys import journey as steps
from app.surveys.areas import stored_areas
from app.surveys.forms import (
    ContactForm,
    SendForm,
    StartAgainForm,
    question_form,
)
from core.clock import now_utc
from core.errors import DomainError
from core.postcodes import normalise_postcode
from surveys.importing import SurveyImportError, write_template
from surveys.questions import QUESTION_SET_VERSION, data_dictionary
from surveys.services import ContactDetails, store_response

bp = Blueprint("survey", __name__, url_prefix="/survey")

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _page_limit() -> str:
    return str(current_app.config["SURVEY_PAGE_RATE_LIMIT"])


def _send_limit() -> str:
    return str(current_app.config.get("PUBLIC_FORM_RATE_LIMIT", "20 per minute;200 per hour"))


@dataclass(frozen=True)
class Journey:
    """One way through the survey: residents online, or a Champion with a resident."""

    source: str  # "online" or "champion"
    session_key: str
    endpoints: dict[str, str]
    title: str

    def url(self, page: str, **values: Any) -> str:
        return url_for(self.endpoints[page], **values)

    # -- state in the session ---------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        stored = session.get(self.session_key)
        if not isinstance(stored, dict):
            return {"answers": {}, "contact": {}}
        answers = stored.get("answers")
        contact = stored.get("contact")
        return {
            "answers": dict(answers) if isinstance(answers, dict) else {},
            "contact": dict(contact) if isinstance(contact, dict) else {},
        }

    def save(self, state: dict[str, Any]) -> None:
        session[self.session_key] = state

    def clear(self) -> None:
        session.pop(self.session_key, None)

    # -- pages ------------------------------------------------------------------------------

    def start(self) -> str:
        state = self.state()
        first = self.first_url()
        in_progress = bool(state["answers"])
        return render_template(
            "surveys/start.html",
            journey=self,
            first_url=first,
            in_progress=in_progress,
            continue_url=self.continue_url(state) if in_progress else None,
            form=None,
            start_again=StartAgainForm(),
        )

    def start_again(self) -> Response:
        StartAgainForm().validate_on_submit()
        self.clear()
        return redirect(self.url("start"))

    def first_url(self) -> str:
        areas = stored_areas(db_session(), with_population=False)
        first = steps.steps_for({}, has_wards=bool(areas.wards))[0]
        return self.url("question", step=first.key)

    def continue_url(self, state: dict[str, Any]) -> str:
        areas = stored_areas(db_session(), with_population=False)
        pending = steps.first_unanswered(
            state["answers"], state["contact"], has_wards=bool(areas.wards)
        )
        if pending is None:
            return self.url("check")
        return self.url("question", step=pending.key)

    def question(self, key: str) -> str | Response:
        step = steps.STEPS_BY_KEY.get(key)
        if step is None:
            abort(404)
        areas = stored_areas(db_session(), with_population=False)
        has_wards = bool(areas.wards)
        state = self.state()
        answers = state["answers"]
        if not steps.applies(step, answers, has_wards=has_wards):
            # Not asked of this person (yet): go to the page they should answer next.
            return redirect(self.continue_url(state))
        changing = request.args.get("change") == "1"
        if step.kind == "contact":
            return self._contact(step, state, changing=changing, has_wards=has_wards)
        form = question_form(step, wards=areas.wards)
        if request.method == "GET":
            self._prefill(step, form, answers)
        elif form.validate_on_submit():
            values = self._values(step, form)
            steps.record_answer(step, answers, values)
            state["answers"] = answers
            self.save(state)
            return redirect(self._after(step, state, changing=changing, has_wards=has_wards))
        previous = steps.previous_step(step, answers, has_wards=has_wards)
        return render_template(
            "surveys/question.html",
            journey=self,
            step=step,
            form=form,
            items=self._items(step, form, areas.wards),
            back_url=self.url("check")
            if changing
            else (self.url("question", step=previous.key) if previous else self.url("start")),
            action=self.url("question", step=step.key, change="1" if changing else None),
        )

    def _contact(
        self, step: steps.Step, state: dict[str, Any], *, changing: bool, has_wards: bool
    ) -> str | Response:
        form = ContactForm()
        contact = state["contact"]
        if request.method == "GET":
            form.name.data = contact.get("name")
            form.email.data = contact.get("email")
            form.phone.data = contact.get("phone")
        elif form.validate_on_submit():
            state["contact"] = {
                "name": (form.name.data or "").strip() or None,
                "email": (form.email.data or "").strip() or None,
                "phone": (form.phone.data or "").strip() or None,
            }
            self.save(state)
            return redirect(self._after(step, state, changing=changing, has_wards=has_wards))
        previous = steps.previous_step(step, state["answers"], has_wards=has_wards)
        return render_template(
            "surveys/contact.html",
            journey=self,
            step=step,
            form=form,
            back_url=self.url("check")
            if changing
            else (self.url("question", step=previous.key) if previous else self.url("start")),
            action=self.url("question", step=step.key, change="1" if changing else None),
        )

    def _after(
        self, step: steps.Step, state: dict[str, Any], *, changing: bool, has_wards: bool
    ) -> str:
        if changing:
            # A changed answer may open new questions (for example "never" to "daily").
            return self.continue_url(state)
        following = steps.next_step(step, state["answers"], has_wards=has_wards)
        if following is None:
            return self.continue_url(state)
        return self.url("question", step=following.key)

    @staticmethod
    def _prefill(step: steps.Step, form: Any, answers: dict[str, Any]) -> None:
        if step.kind == "barriers":
            chosen = [column for column in step.columns if answers.get(column) == "yes"]
            if not chosen and all(answers.get(column) == "no" for column in step.columns):
                chosen = [steps.NO_BARRIER]
            form.answer.data = chosen
        elif step.columns[0] in answers:
            form.answer.data = answers.get(step.columns[0])

    @staticmethod
    def _values(step: steps.Step, form: Any) -> dict[str, str | None]:
        if step.kind == "barriers":
            chosen = set(form.answer.data or [])
            return {column: "yes" if column in chosen else "no" for column in step.columns}
        if step.kind == "postcode":
            return {"postcode": normalise_postcode(form.answer.data or "")}
        return {step.columns[0]: form.answer.data}

    @staticmethod
    def _items(
        step: steps.Step, form: Any, wards: tuple[tuple[str, str], ...]
    ) -> list[dict[str, Any]]:
        """Radio or checkbox items for the GOV.UK macros (with dividers where they belong)."""
        data = form.answer.data
        if step.kind == "barriers":
            chosen = set(data or [])
            items: list[dict[str, Any]] = [
                {"value": column, "text": label, "checked": column in chosen}
                for column, label in steps.barrier_choices()
            ]
            items.append({"divider": "or"})
            items.append(
                {
                    "value": steps.NO_BARRIER,
                    "text": "None of these",
                    "checked": steps.NO_BARRIER in chosen,
                    "behaviour": "exclusive",
                }
            )
            return items
        if step.kind == "ward":
            items = [{"value": code, "text": name, "checked": data == code} for code, name in wards]
            items.append({"divider": "or"})
            items.append(
                {
                    "value": steps.DONT_KNOW_WARD,
                    "text": "I do not know my ward",
                    "checked": data == steps.DONT_KNOW_WARD,
                }
            )
            return items
        if step.kind == "choice":
            assert step.question is not None
            return [
                {"value": code, "text": label, "checked": data == code}
                for code, label in zip(step.question.codes, step.question.labels, strict=True)
            ]
        return []

    def check(self) -> str | Response:
        database = db_session()
        areas = stored_areas(database, with_population=False)
        has_wards = bool(areas.wards)
        state = self.state()
        answers = state["answers"]
        if not answers:
            return redirect(self.url("start"))
        pending = steps.first_unanswered(answers, state["contact"], has_wards=has_wards)
        if pending is not None:
            return redirect(self.url("question", step=pending.key))
        form = SendForm()
        if form.validate_on_submit():
            contact = None
            if answers.get("consent_follow_up") == "yes" and state["contact"]:
                contact = ContactDetails(
                    name=state["contact"].get("name"),
                    email=state["contact"].get("email"),
                    phone=state["contact"].get("phone"),
                )
            try:
                response = store_response(
                    database,
                    steps.answers_to_send(answers, has_wards=has_wards),
                    source="champion" if self.source == "champion" else "online",
                    areas=areas.context(),
                    now=now_utc(),
                    entered_by_id=current_user.id if self.source == "champion" else None,
                    contact=contact,
                )
            except SurveyImportError as error:
                database.rollback()
                form.submit.errors = [
                    f"{problem.reason[0].upper()}{problem.reason[1:]} (question: {problem.column})"
                    for problem in error.problems
                ]
            except DomainError as error:
                database.rollback()
                form.submit.errors = [error.message]
            else:
                database.commit()
                current_app.logger.info(
                    "survey response %s stored (%s)", response.public_id, self.source
                )
                self.clear()
                session[self.session_key + "_done"] = {
                    "wants_help": answers.get("wants_help") in ("yes", "maybe"),
                    "contact": contact is not None,
                }
                return redirect(self.url("done"))
        sections: list[dict[str, Any]] = []
        for step in steps.steps_for(answers, has_wards=has_wards):
            if step.kind == "contact":
                contact_text = ", ".join(
                    value
                    for value in (
                        state["contact"].get("name"),
                        state["contact"].get("email"),
                        state["contact"].get("phone"),
                    )
                    if value
                )
                value = contact_text
            else:
                value = steps.answer_text(step, answers, areas.ward_names)
            if not sections or sections[-1]["title"] != step.section:
                sections.append({"title": step.section, "rows": []})
            sections[-1]["rows"].append(
                {
                    "key": {"text": step.short_label},
                    "value": {"text": value},
                    "actions": {
                        "items": [
                            {
                                "href": self.url("question", step=step.key, change="1"),
                                "text": "Change",
                                "visuallyHiddenText": step.short_label.lower(),
                            }
                        ]
                    },
                }
            )
        return render_template("surveys/check.html", journey=self, sections=sections, form=form)

    def done(self) -> str | Response:
        outcome = session.get(self.session_key + "_done")
        if not isinstance(outcome, dict):
            return redirect(self.url("start"))
        return render_template("surveys/done.html", journey=self, outcome=outcome)


ONLINE = Journey(
    source="online",
    session_key="survey",
    endpoints={
        "start": "survey.start",
        "start_again": "survey.start_again",
        "question": "survey.question",
        "check": "survey.check",
        "done": "survey.done",
    },
    title="Tell us how you use the internet",
)


@bp.route("/")
@public
def start() -> str:
    return ONLINE.start()


@bp.route("/start-again", methods=["POST"])
@public
@limiter.limit(_page_limit, methods=["POST"])
def start_again() -> Response:
    return ONLINE.start_again()


@bp.route("/questions/<step>", methods=["GET", "POST"])
@public
@limiter.limit(_page_limit, methods=["POST"])
def question(step: str) -> str | Response:
    return ONLINE.question(step)


@bp.route("/check", methods=["GET", "POST"])
@public
@limiter.limit(_send_limit, methods=["POST"])
def check() -> str | Response:
    return ONLINE.check()


@bp.route("/done")
@public
def done() -> str | Response:
    return ONLINE.done()


# -- the published question set and the import template -----------------------------------------


@bp.route("/question-set")
@public
def question_set() -> str:
    return render_template(
        "surveys/question_set.html", rows=data_dictionary(), version=QUESTION_SET_VERSION
    )


def _csv_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


@bp.route("/question-set.csv")
@public
def question_set_csv() -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(
        [
            "question_id",
            "column",
            "section",
            "text",
            "hint",
            "type",
            "required",
            "allowed_codes",
            "labels",
            "routing",
        ]
    )
    for row in data_dictionary():
        writer.writerow(
            [
                _csv_cell(value)
                for value in (
                    row.question_id,
                    row.column,
                    row.section,
                    row.text,
                    row.hint,
                    row.type,
                    "yes" if row.required else "no",
                    " | ".join(row.allowed_codes),
                    " | ".join(row.labels),
                    row.routing,
                )
            ]
        )
    return Response(
        "\ufeff" + buffer.getvalue(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": "attachment; "
            f"filename=survey-data-dictionary-{QUESTION_SET_VERSION}.csv"
        },
    )


@bp.route("/template.csv")
@public
def template_csv() -> Response:
    buffer = io.StringIO()
    write_template(buffer)
    return Response(
        "\ufeff" + buffer.getvalue(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": "attachment; "
            f"filename=survey-import-template-{QUESTION_SET_VERSION}.csv"
        },
    )
