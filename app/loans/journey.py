"""The request to borrow a device or data: one question per page, for residents and referrers.

Answers are kept in the Flask session (a signed cookie) until the check answers page sends the
request.  That page carries a random one-time token (``idempotency_key``) which the request
stores under a unique constraint, so sending it again (a double click, the back button, a retry
after a time-out) shows the request already made and never makes a second one.

The eligibility questions come first.  As soon as the answers so far rule the resident out,
they are told why, kindly, and where else to get help, before we ask for a name or a way to
contact them: nothing is stored about someone we cannot help.

``mode`` is ``PUBLIC`` (a resident, no account, blueprint ``loans_public``) or ``REFERRAL`` (a
signed-in champion, or a coordinator taking a request by phone, blueprint ``loans``), recorded as
"referred by" the champion.  A champion may have only so many open referrals at a time.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms.validators import Length

from app.access import has_role
from app.auth.roles import ADMIN, COORDINATOR
from app.database import db_session
from app.forms import ConfirmForm
from app.loans import presenters
from app.loans.config import loan_policy
from app.loans.forms import (
    CONTACT_CHOICES,
    NEED_CHOICES,
    YES_NO,
    AboutForm,
    AgeForm,
    BenefitForm,
    ContactDetailsForm,
    ContactForm,
    HasConnectionForm,
    HasDeviceForm,
    LowIncomeForm,
    NameForm,
    NeedForm,
    ReasonForm,
    ReferrerForm,
    Required,
    SendRequestForm,
    WhereForm,
    WholeNumber,
    yes_no,
)
from champions import services as champion_services
from core.clock import now_utc
from core.errors import Conflict, DomainError
from core.postcodes import normalise_postcode
from core.references import format_reference
from device_loans import services
from device_loans.config import LoanPolicy
from device_loans.models import LoanRequest
from device_loans.rules import (
    RequestAnswers,
    RequestStatus,
    assess_eligibility,
    normalise_contact,
)

STEPS: tuple[str, ...] = (
    "referrer",
    "need",
    "age",
    "device",
    "connection",
    "benefit",
    "low_income",
    "about",
    "reason",
    "where",
    "name",
    "contact",
    "contact_details",
)
"""Question pages in order; ``referrer`` and ``low_income`` are asked only when they apply."""

ELIGIBILITY_STEPS = frozenset({"need", "age", "device", "connection", "benefit", "low_income"})

SLUGS: Mapping[str, str] = {
    "referrer": "referred-by",
    "need": "what-you-need",
    "age": "age",
    "device": "device-at-home",
    "connection": "internet-at-home",
    "benefit": "benefits",
    "low_income": "income",
    "about": "about-you",
    "reason": "anything-else",
    "where": "where-you-live",
    "name": "name",
    "contact": "contact",
    "contact_details": "contact-details",
}

# The answer that shows a step has been answered.
ANSWER_KEY: Mapping[str, str] = {
    "referrer": "referrer",
    "need": "need",
    "age": "age",
    "device": "has_device",
    "connection": "has_connection",
    "benefit": "benefit",
    "low_income": "low_income",
    "about": "borrower_type",
    "reason": "reason",
    "where": "ward",
    "name": "name",
    "contact": "contact_method",
    "contact_details": "contact",
}

# Where a problem found when sending the request is shown: (step, form field).
FIELD_STEP: Mapping[str, tuple[str, str]] = {
    "resident_name": ("name", "name"),
    "age_years": ("age", "age"),
    "borrower_type": ("about", "borrower_type"),
    "need": ("need", "need"),
    "has_suitable_device": ("device", "has_device"),
    "has_home_connection": ("connection", "has_connection"),
    "low_income": ("low_income", "low_income"),
    "benefit": ("benefit", "benefit"),
    "postcode": ("where", "postcode"),
    "ward_code": ("where", "ward"),
    "reason": ("reason", "reason"),
    "referred_by_champion_id": ("referrer", "referrer"),
    "contact": ("contact_details", "contact"),
}

NO_REFERRER = 0
UNKNOWN_WARD = "unknown"
NO_BENEFIT = "none"
_KEY = re.compile(r"^[A-Za-z0-9_\-]{16,64}$")


@dataclass(frozen=True)
class Mode:
    """The wording and endpoints of one version of the journey."""

    name: str
    blueprint: str
    own: bool
    caption: str

    def endpoint(self, page: str) -> str:
        """The endpoint of ``page`` (a step, ``check``, ``confirmation``, ``not_eligible``...)."""
        return f"{self.blueprint}.{'ask' if self.own else 'refer'}_{page}"

    def url(self, page: str) -> str:
        """The address of ``page``."""
        return url_for(self.endpoint(page))


PUBLIC = Mode("public", "loans_public", own=True, caption="Borrow a device or data")
REFERRAL = Mode("referral", "loans", own=False, caption="Refer a resident")


@dataclass(frozen=True)
class Setup:
    """Who is referring: a fixed champion (a champion's own record), or chosen on a question page."""

    fixed_champion_id: int | None = None
    ask_referrer: bool = False


# --- wording ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Wording:
    """The question, hint and "nothing chosen" message of a step, for ``you`` or the resident."""

    question: str
    hint: str | None
    empty: str


def wording(step: str, own: bool) -> Wording:
    """The wording of ``step`` for a resident (``own``) or for someone referring a resident."""
    you = "you" if own else "the resident"
    your = "your" if own else "the resident’s"
    do = "do you" if own else "does the resident"
    have = "you have" if own else "the resident has"
    table = {
        "referrer": Wording(
            "Who is referring the resident?",
            "Choose the Digital Champion who asked for the loan. If the resident asked the "
            "council directly, for example by phone, choose ‘Nobody’.",
            "Select who is referring the resident",
        ),
        "need": Wording(
            f"What {do} need to borrow?",
            "A data SIM or a Mi-Fi unit lets a tablet, laptop or phone use mobile data.",
            f"Select what {you} {'need' if own else 'needs'} to borrow",
        ),
        "age": Wording(
            f"How old {'are you' if own else 'is the resident'}?",
            "Your age in years, for example 42." if own else "Their age in years, for example 42.",
            f"Enter {your} age",
        ),
        "device": Wording(
            f"{'Do you' if own else 'Does the resident'} have a suitable device at home?",
            "A tablet, laptop or smartphone that works, and that "
            + ("you" if own else "they")
            + " can use whenever "
            + ("you" if own else "they")
            + " need to.",
            f"Select yes if {have} a suitable device at home",
        ),
        "connection": Wording(
            f"{'Do you' if own else 'Does the resident'} have an internet connection at home?",
            "For example broadband or Wi-Fi, or enough mobile data to use the internet at home.",
            f"Select yes if {have} an internet connection at home",
        ),
        "benefit": Wording(
            f"{'Do you' if own else 'Does the resident'} get any of these benefits?",
            "If more than one applies, choose any of them.",
            f"Select a benefit {you} {'get' if own else 'gets'}, or ‘No, none of these’",
        ),
        "low_income": Wording(
            f"Is {'your' if own else 'the resident’s'} household on a low income?",
            "For example, if paying for food, heating or a phone contract is a struggle.",
            f"Select yes if {'your' if own else 'their'} household is on a low income",
        ),
        "about": Wording(
            f"Which of these describes {you}?",
            "This helps us choose the right device and how long it can be borrowed for.",
            f"Select which describes {you}, or ‘None of these’",
        ),
        "reason": Wording(
            f"Is there anything else {'you want to tell us' if own else 'we should know'}? (optional)",
            "For example, what "
            + ("you want" if own else "they want")
            + " to use it for, or any help "
            + ("you" if own else "they")
            + " would need to use it.",
            "",
        ),
        "where": Wording(
            f"Where {'do you live' if own else 'does the resident live'}?",
            None,
            f"Select {your} ward, or ‘I do not know’",
        ),
        "name": Wording(
            f"What is {your} full name?",
            None,
            f"Enter {your} full name",
        ),
        # Worded for the chosen way of contact by ``contact_wording``.
        "contact_details": Wording("", None, ""),
        "contact": Wording(
            f"How should we contact {you}?",
            f"We will only contact {you} about this request and any loan.",
            f"Select how we should contact {you}",
        ),
    }
    return table[step]


# --- answers in the Flask session ---------------------------------------------------------------


def _answers_key(mode: Mode) -> str:
    return f"loans-request:{mode.name}"


def _done_key(mode: Mode) -> str:
    return f"loans-requested:{mode.name}"


def stored_answers(mode: Mode) -> dict[str, Any]:
    """The answers so far (a copy)."""
    stored = session.get(_answers_key(mode))
    return dict(stored) if isinstance(stored, dict) else {}


def _save(mode: Mode, answers: dict[str, Any]) -> None:
    session[_answers_key(mode)] = answers


def _journey(mode: Mode) -> dict[str, Any]:
    """The answers so far, with a fresh one-time token when the journey starts."""
    answers = stored_answers(mode)
    if not answers.get("key"):
        answers = {"key": secrets.token_urlsafe(24)}
        _save(mode, answers)
    return answers


def clear(mode: Mode) -> None:
    """Forget the answers of the journey in progress."""
    session.pop(_answers_key(mode), None)


# --- who is referring ---------------------------------------------------------------------------


def setup(mode: Mode) -> Setup:
    """Who refers in this journey; a champion's account without a champion record is stopped."""
    if mode.own:
        return Setup()
    if has_role(COORDINATOR, ADMIN):
        return Setup(ask_referrer=True)
    champion = champion_services.find_champion_for_user(db_session(), current_user.id)
    own_id = champion.id if champion is not None and champion.active else None
    if own_id is None:
        page = render_template("loans/ask/no_champion.html", mode=mode)
        abort(make_response(page, 200))
    return Setup(fixed_champion_id=own_id)


def referrer_id(answers: Mapping[str, Any], setup_: Setup) -> int | None:
    """The champion referring the resident, or ``None`` for a request made directly."""
    if setup_.fixed_champion_id is not None:
        return setup_.fixed_champion_id
    chosen = answers.get("referrer")
    return int(chosen) if isinstance(chosen, int) and chosen != NO_REFERRER else None


@dataclass(frozen=True)
class Limit:
    """A referrer's open requests and the most allowed."""

    open_requests: int
    allowed: int

    @property
    def reached(self) -> bool:
        """Whether the referrer cannot refer anyone else now."""
        return self.open_requests >= self.allowed


def referral_limit(champion_id: int, policy: LoanPolicy) -> Limit:
    """How many open requests ``champion_id`` has, against the council's limit."""
    count = services.count_open_requests(db_session(), champion_id=champion_id)
    return Limit(count, policy.max_open_requests_per_referrer)


def limit_message(limit: Limit, *, own: bool, name: str | None = None) -> str:
    """Why no more referrals can be made now."""
    who = "You already have" if own else f"{name or 'This champion'} already has"
    return (
        f"{who} {limit.open_requests} open requests, the most allowed is {limit.allowed}. "
        "Wait until one is dealt with, or ask the coordinator."
    )


def _stop_at_limit(mode: Mode, limit: Limit) -> NoReturn:
    page = render_template(
        "loans/ask/limit.html",
        mode=mode,
        message=limit_message(limit, own=True),
        limit=limit,
    )
    abort(make_response(page, 200))


# --- steps --------------------------------------------------------------------------------------


def applies(step: str, mode: Mode, answers: Mapping[str, Any], setup_: Setup) -> bool:
    """Whether ``step`` is asked in this journey, given the answers so far."""
    if step == "referrer":
        return not mode.own and setup_.ask_referrer
    if step == "low_income":
        return answers.get("benefit") == NO_BENEFIT
    return True


def steps_for(mode: Mode, answers: Mapping[str, Any], setup_: Setup) -> list[str]:
    """The steps asked, in order."""
    return [step for step in STEPS if applies(step, mode, answers, setup_)]


def first_missing(mode: Mode, answers: Mapping[str, Any], setup_: Setup) -> str | None:
    """The first question not answered yet, or ``None`` when everything is answered."""
    for step in steps_for(mode, answers, setup_):
        if ANSWER_KEY[step] not in answers:
            return step
    return None


def previous_url(mode: Mode, step: str, answers: Mapping[str, Any], setup_: Setup) -> str:
    """Where the Back link of ``step`` goes."""
    asked = steps_for(mode, answers, setup_)
    if step in asked and asked.index(step) > 0:
        return mode.url(asked[asked.index(step) - 1])
    return mode.url("start")


def _request_answers(answers: Mapping[str, Any], policy: LoanPolicy) -> RequestAnswers:
    """The answers as the eligibility rules read them; questions not answered yet count in favour."""
    benefit = answers.get("benefit")
    has_benefit = benefit not in (None, NO_BENEFIT)
    return RequestAnswers(
        age_years=int(answers.get("age", policy.minimum_age)),
        borrower_type=str(answers.get("borrower_type") or next(iter(policy.borrower_types))),
        need=str(answers.get("need", "both")),
        has_suitable_device=bool(answers.get("has_device", False)),
        has_home_connection=bool(answers.get("has_connection", False)),
        low_income=False if has_benefit else bool(answers.get("low_income", True)),
        benefit=str(benefit) if has_benefit else None,
    )


def refusal_so_far(answers: Mapping[str, Any], policy: LoanPolicy) -> tuple[str, ...]:
    """Reasons the answers so far rule the resident out (empty when they do not)."""
    outcome = assess_eligibility(_request_answers(answers, policy), policy)
    return () if outcome.eligible else outcome.reasons


def _after_answer(mode: Mode, answers: dict[str, Any], setup_: Setup) -> Response:
    """After an answer: say so if it rules the resident out, else the next question or check."""
    if refusal_so_far(answers, loan_policy()):
        return redirect(mode.url("not_eligible"))
    missing = first_missing(mode, answers, setup_)
    return redirect(mode.url(missing or "check"))


def _take_error(mode: Mode, answers: dict[str, Any], form: Any) -> None:
    """Show a problem found when sending the request on this page's form, once."""
    error = answers.pop("error", None)
    if isinstance(error, dict):
        field = getattr(form, str(error.get("field")), None)
        if field is not None:
            field.errors = [*list(field.errors or []), str(error.get("message"))]
        _save(mode, answers)


def _radios(
    field: Any,
    *,
    legend: str,
    hint: str | None,
    choices: Sequence[tuple[str, str]],
    heading: bool = True,
    inline: bool = False,
    divider_before: str | None = None,
    item_hints: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Parameters of govukRadios for ``field`` with the GOV.UK extras WTForms cannot express.

    No conditionally revealed questions: GOV.UK Frontend marks their radios ``aria-expanded``,
    which axe-core reports as a violation, so a follow-up question gets its own page instead.
    """
    items: list[dict[str, Any]] = []
    for value, label in choices:
        if value == divider_before:
            items.append({"divider": "or"})
        item: dict[str, Any] = {
            "value": value,
            "text": label,
            "checked": field.data is not None and str(field.data) == value,
        }
        if item_hints and value in item_hints:
            item["hint"] = {"text": item_hints[value]}
        items.append(item)
    params: dict[str, Any] = {
        "name": field.name,
        "idPrefix": field.id,
        "fieldset": {
            "legend": {
                "text": legend,
                "isPageHeading": heading,
                "classes": "govuk-fieldset__legend--l" if heading else "govuk-fieldset__legend--m",
            }
        },
        "items": items,
    }
    if hint:
        params["hint"] = {"text": hint}
    if inline:
        params["classes"] = "govuk-radios--inline"
    if field.errors:
        params["errorMessage"] = {"text": field.errors[0]}
    return params


def _heading_label(text: str, hint: str | None, **extra: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "label": {"text": text, "isPageHeading": True, "classes": "govuk-label--l"}
    }
    if hint:
        params["hint"] = {"text": hint}
    params.update(extra)
    return params


def _borrower_choices(policy: LoanPolicy) -> tuple[list[tuple[str, str]], str | None]:
    """Borrower types as radios; the plain "resident" type is "None of these", after a divider."""
    types = dict(policy.borrower_types)
    plain = "resident" if "resident" in types else None
    choices = [(code, label) for code, label in types.items() if code != plain]
    if plain is not None:
        choices.append((plain, "None of these"))
    return choices, plain


def _benefit_choices(policy: LoanPolicy) -> list[tuple[str, str]]:
    benefits = [(code, label[0].upper() + label[1:]) for code, label in policy.benefits.items()]
    return [*benefits, (NO_BENEFIT, "No, none of these")]


def question(mode: Mode, step: str) -> str | Response:
    """Show or answer one question page."""
    setup_ = setup(mode)
    answers = _journey(mode)
    policy = loan_policy()
    if not applies(step, mode, answers, setup_):
        return redirect(mode.url(first_missing(mode, answers, setup_) or "check"))
    if step not in ELIGIBILITY_STEPS and refusal_so_far(answers, policy):
        return redirect(mode.url("not_eligible"))
    missing = first_missing(mode, answers, setup_)
    asked = steps_for(mode, answers, setup_)
    if missing is not None and asked.index(missing) < asked.index(step):
        return redirect(mode.url(missing))  # questions cannot be skipped by URL
    if setup_.fixed_champion_id is not None:
        limit = referral_limit(setup_.fixed_champion_id, policy)
        if limit.reached:
            _stop_at_limit(mode, limit)
    words = wording(step, mode.own)
    handler = _STEP_HANDLERS[step]
    if request.method == "POST":
        form = handler.form()
        _prepare_form(form, policy, mode, answers)
        if form.validate_on_submit() and handler.passes(form, policy):
            handler.store(form, answers)
            _save(mode, answers)
            return _after_answer(mode, answers, setup_)
    else:
        data = handler.load(answers)
        form = handler.form(data=data) if data is not None else handler.form()
        _prepare_form(form, policy, mode, answers)
        _take_error(mode, answers, form)
    context: dict[str, Any] = {
        "mode": mode,
        "form": form,
        "step": step,
        "heading": words.question,
        "back": previous_url(mode, step, answers, setup_),
        "privacy": step == asked[0],
    }
    context.update(handler.params_of(mode, form, words, policy))
    return render_template(handler.template, **context)


@dataclass(frozen=True)
class _Step:
    """How one question page loads its answer, checks and stores it, and lays out its page."""

    template: str
    form: Any
    load: Callable[[Mapping[str, Any]], dict[str, Any] | None]
    store: Callable[[Any, dict[str, Any]], None]
    params_of: Callable[[Mode, Any, Wording, LoanPolicy], dict[str, Any]]
    check: Callable[[Any, LoanPolicy], bool] | None = None

    def passes(self, form: Any, policy: LoanPolicy) -> bool:
        """Checks beyond the form's own (for example a real postcode)."""
        return True if self.check is None else self.check(form, policy)


def _prepare_form(form: Any, policy: LoanPolicy, mode: Mode, answers: Mapping[str, Any]) -> None:
    """Messages, choices and checks that depend on the mode, the policy, the wards and answers."""
    steps_of_fields = {
        "need": "need",
        "age": "age",
        "has_device": "device",
        "has_connection": "connection",
        "benefit": "benefit",
        "low_income": "low_income",
        "borrower_type": "about",
        "name": "name",
        "contact_method": "contact",
        "referrer": "referrer",
        "ward": "where",
    }
    for field_name, step in steps_of_fields.items():
        field = getattr(form, field_name, None)
        if field is None:
            continue
        empty = wording(step, mode.own).empty
        field.validators = [Required(empty)]
        if hasattr(field, "invalid"):
            field.invalid = empty
    if isinstance(form, AgeForm):
        form.age.validators = [
            Required(wording("age", mode.own).empty),
            WholeNumber("Age", minimum=0, maximum=120, example=42),
        ]
    if isinstance(form, NameForm):
        form.name.validators = [
            Required(wording("name", mode.own).empty),
            Length(max=200, message="Full name must be 200 characters or fewer"),
        ]
    if isinstance(form, BenefitForm):
        form.benefit.choices = _benefit_choices(policy)
    if isinstance(form, AboutForm):
        form.borrower_type.choices = _borrower_choices(policy)[0]
    if isinstance(form, WhereForm):
        form.ward.choices = [
            ("", "Choose a ward"),
            *presenters.ward_choices(db_session()),
            (UNKNOWN_WARD, "I do not know"),
        ]
        form.ward.invalid = "Select a ward from the list"
        form.postcode.validators = [
            Required("Enter your postcode" if mode.own else "Enter the resident’s postcode")
        ]
    if isinstance(form, ContactDetailsForm):
        form.method = str(answers.get("contact_method") or "phone")
        form.contact.validators = [
            Required(contact_wording(form.method, mode.own)[2]),
            Length(max=320, message="Enter 320 characters or fewer"),
        ]
    if isinstance(form, ReferrerForm):
        form.referrer.choices = [
            ("", "Choose a champion"),
            *(
                (str(champion_id), name)
                for champion_id, name in presenters.active_champions(db_session())
            ),
            (str(NO_REFERRER), "Nobody: the resident asked the council directly"),
        ]
        form.referrer.invalid = "Select a champion from the list, or ‘Nobody’"


# --- each step: load the stored answer, store the new one, page parameters ----------------------


def _yes_no_step(answer: str, form_type: type) -> _Step:
    def load(answers: Mapping[str, Any]) -> dict[str, Any] | None:
        return {answer: yes_no(answers[answer])} if answer in answers else None

    def store(form: Any, answers: dict[str, Any]) -> None:
        answers[answer] = getattr(form, answer).data == "yes"

    def params(mode: Mode, form: Any, words: Wording, policy: LoanPolicy) -> dict[str, Any]:
        return {
            "radios": _radios(
                getattr(form, answer),
                legend=words.question,
                hint=words.hint,
                choices=YES_NO,
                inline=True,
            )
        }

    return _Step("loans/ask/question.html", form_type, load, store, params)


def _load_need(answers: Mapping[str, Any]) -> dict[str, Any] | None:
    return {"need": answers["need"]} if "need" in answers else None


def _store_need(form: Any, answers: dict[str, Any]) -> None:
    answers["need"] = form.need.data


def _params_need(mode: Mode, form: Any, words: Wording, policy: LoanPolicy) -> dict[str, Any]:
    return {
        "radios": _radios(form.need, legend=words.question, hint=words.hint, choices=NEED_CHOICES)
    }


def _load_age(answers: Mapping[str, Any]) -> dict[str, Any] | None:
    return {"age": str(answers["age"])} if "age" in answers else None


def _store_age(form: Any, answers: dict[str, Any]) -> None:
    answers["age"] = int((form.age.data or "").strip().replace(",", ""))


def _params_age(mode: Mode, form: Any, words: Wording, policy: LoanPolicy) -> dict[str, Any]:
    return {
        "field": form.age,
        "params": _heading_label(
            words.question,
            words.hint,
            classes="govuk-input--width-3",
            suffix={"text": "years"},
            attributes={"inputmode": "numeric", "spellcheck": "false"},
        ),
    }


def _load_benefit(answers: Mapping[str, Any]) -> dict[str, Any] | None:
    return {"benefit": answers["benefit"]} if "benefit" in answers else None


def _store_benefit(form: Any, answers: dict[str, Any]) -> None:
    answers["benefit"] = form.benefit.data
    if form.benefit.data != NO_BENEFIT:
        answers.pop("low_income", None)


def _params_benefit(mode: Mode, form: Any, words: Wording, policy: LoanPolicy) -> dict[str, Any]:
    return {
        "radios": _radios(
            form.benefit,
            legend=words.question,
            hint=words.hint,
            choices=_benefit_choices(policy),
            divider_before=NO_BENEFIT,
        )
    }


def _load_about(answers: Mapping[str, Any]) -> dict[str, Any] | None:
    return {"borrower_type": answers["borrower_type"]} if "borrower_type" in answers else None


def _store_about(form: Any, answers: dict[str, Any]) -> None:
    answers["borrower_type"] = form.borrower_type.data


def _params_about(mode: Mode, form: Any, words: Wording, policy: LoanPolicy) -> dict[str, Any]:
    choices, plain = _borrower_choices(policy)
    return {
        "radios": _radios(
            form.borrower_type,
            legend=words.question,
            hint=words.hint,
            choices=choices,
            divider_before=plain,
        )
    }


def _load_reason(answers: Mapping[str, Any]) -> dict[str, Any] | None:
    return {"reason": answers["reason"]} if "reason" in answers else None


def _store_reason(form: Any, answers: dict[str, Any]) -> None:
    answers["reason"] = (form.reason.data or "").strip()


def _params_reason(mode: Mode, form: Any, words: Wording, policy: LoanPolicy) -> dict[str, Any]:
    return {
        "field": form.reason,
        "params": _heading_label(words.question, words.hint, rows=4),
    }


def _load_where(answers: Mapping[str, Any]) -> dict[str, Any] | None:
    if "ward" not in answers:
        return None
    return {"postcode": answers.get("postcode", ""), "ward": answers["ward"]}


def _store_where(form: Any, answers: dict[str, Any]) -> None:
    answers["postcode"] = normalise_postcode(form.postcode.data or "") or ""
    answers["ward"] = form.ward.data


def _check_where(form: Any, policy: LoanPolicy) -> bool:
    if normalise_postcode(form.postcode.data or "") is None:
        form.postcode.errors = [*form.postcode.errors, "Enter a real postcode, like TW3 1ES"]
        return False
    return True


def _params_where(mode: Mode, form: Any, words: Wording, policy: LoanPolicy) -> dict[str, Any]:
    return {
        "postcode_params": {
            "classes": "govuk-input--width-10",
            "attributes": {
                "autocomplete": "postal-code" if mode.own else "off",
                "spellcheck": "false",
            },
        },
        "ward_params": {
            "hint": {
                "text": "The area of the borough "
                + ("you live in" if mode.own else "they live in")
                + ". If you are not sure, choose ‘I do not know’."
            }
        },
    }


def _load_name(answers: Mapping[str, Any]) -> dict[str, Any] | None:
    return {"name": answers["name"]} if "name" in answers else None


def _store_name(form: Any, answers: dict[str, Any]) -> None:
    answers["name"] = " ".join((form.name.data or "").split())


def _params_name(mode: Mode, form: Any, words: Wording, policy: LoanPolicy) -> dict[str, Any]:
    return {
        "field": form.name,
        "params": _heading_label(
            words.question,
            words.hint,
            attributes={"autocomplete": "name" if mode.own else "off", "spellcheck": "false"},
        ),
    }


def _load_contact(answers: Mapping[str, Any]) -> dict[str, Any] | None:
    return {"contact_method": answers["contact_method"]} if "contact_method" in answers else None


def _store_contact(form: Any, answers: dict[str, Any]) -> None:
    if answers.get("contact_method") != form.contact_method.data:
        answers.pop("contact", None)  # a new way of contact needs its own details
    answers["contact_method"] = form.contact_method.data


def _params_contact(mode: Mode, form: Any, words: Wording, policy: LoanPolicy) -> dict[str, Any]:
    hints = {
        "sms": "To a mobile phone.",
        "phone": "We will call"
        + (" you" if mode.own else " them")
        + " instead of sending messages.",
    }
    return {
        "radios": _radios(
            form.contact_method,
            legend=words.question,
            hint=words.hint,
            choices=CONTACT_CHOICES,
            item_hints=hints,
        )
    }


# Per way of contact: the question, its hint, "left empty" and "not valid" messages.
CONTACT_DETAILS: Mapping[str, tuple[str, str, str, str]] = {
    "email": (
        "What is {your} email address?",
        "We will send a confirmation to this address.",
        "Enter an email address",
        "Enter an email address in the correct format, like name@example.com",
    ),
    "sms": (
        "What is {your} mobile phone number?",
        "For example, 07700 900 982.",
        "Enter a mobile phone number",
        "Enter a UK mobile phone number, like 07700 900 982",
    ),
    "phone": (
        "What phone number should we call?",
        "A landline or a mobile, for example 01632 960 001.",
        "Enter a phone number",
        "Enter a UK phone number, like 01632 960 001 or 07700 900 982",
    ),
}


def contact_wording(method: str, own: bool) -> tuple[str, str, str, str]:
    """The contact details question for ``method``, for the resident or a referrer."""
    question, hint, empty, invalid = CONTACT_DETAILS.get(method, CONTACT_DETAILS["phone"])
    return question.format(your="your" if own else "the resident’s"), hint, empty, invalid


def _load_details(answers: Mapping[str, Any]) -> dict[str, Any] | None:
    return {"contact": answers["contact"]} if "contact" in answers else None


def _check_details(form: Any, policy: LoanPolicy) -> bool:
    method = str(form.method)
    _question, _hint, _empty, invalid = contact_wording(method, True)
    contact = normalise_contact((form.contact.data or "").strip())
    valid = contact is not None and (
        (method == "email" and contact.method == "email")
        or (method == "sms" and contact.method == "sms")
        or (method == "phone" and contact.method in ("sms", "phone"))
    )
    if not valid:
        form.contact.errors = [*form.contact.errors, invalid]
    return valid


def _store_details(form: Any, answers: dict[str, Any]) -> None:
    answers["contact"] = (form.contact.data or "").strip()


def _params_details(mode: Mode, form: Any, words: Wording, policy: LoanPolicy) -> dict[str, Any]:
    method = str(form.method)
    question, hint, _empty, _invalid = contact_wording(method, mode.own)
    autocomplete = ("email" if method == "email" else "tel") if mode.own else "off"
    return {
        "heading": question,
        "field": form.contact,
        "params": _heading_label(
            question,
            hint,
            type="email" if method == "email" else "tel",
            spellcheck=False,
            classes="govuk-!-width-two-thirds" if method == "email" else "govuk-input--width-20",
            attributes={"autocomplete": autocomplete},
        ),
    }


def _load_referrer(answers: Mapping[str, Any]) -> dict[str, Any] | None:
    return {"referrer": str(answers["referrer"])} if "referrer" in answers else None


def _check_referrer(form: Any, policy: LoanPolicy) -> bool:
    chosen = int(form.referrer.data)
    if chosen == NO_REFERRER:
        return True
    limit = referral_limit(chosen, policy)
    if limit.reached:
        name = presenters.champion_names(db_session(), [chosen]).get(chosen)
        form.referrer.errors = [limit_message(limit, own=False, name=name)]
        return False
    return True


def _store_referrer(form: Any, answers: dict[str, Any]) -> None:
    answers["referrer"] = int(form.referrer.data)


def _params_referrer(mode: Mode, form: Any, words: Wording, policy: LoanPolicy) -> dict[str, Any]:
    return {"field": form.referrer, "params": _heading_label(words.question, words.hint)}


_QUESTION = "loans/ask/question.html"
_STEP_HANDLERS: Mapping[str, _Step] = {
    "referrer": _Step(
        _QUESTION, ReferrerForm, _load_referrer, _store_referrer, _params_referrer, _check_referrer
    ),
    "need": _Step(_QUESTION, NeedForm, _load_need, _store_need, _params_need),
    "age": _Step(_QUESTION, AgeForm, _load_age, _store_age, _params_age),
    "device": _yes_no_step("has_device", HasDeviceForm),
    "connection": _yes_no_step("has_connection", HasConnectionForm),
    "benefit": _Step(_QUESTION, BenefitForm, _load_benefit, _store_benefit, _params_benefit),
    "low_income": _yes_no_step("low_income", LowIncomeForm),
    "about": _Step(_QUESTION, AboutForm, _load_about, _store_about, _params_about),
    "reason": _Step(_QUESTION, ReasonForm, _load_reason, _store_reason, _params_reason),
    "where": _Step(
        "loans/ask/where.html", WhereForm, _load_where, _store_where, _params_where, _check_where
    ),
    "name": _Step(_QUESTION, NameForm, _load_name, _store_name, _params_name),
    "contact": _Step(_QUESTION, ContactForm, _load_contact, _store_contact, _params_contact),
    "contact_details": _Step(
        _QUESTION,
        ContactDetailsForm,
        _load_details,
        _store_details,
        _params_details,
        _check_details,
    ),
}


# --- not eligible, check answers, send, confirmation --------------------------------------------


def _answer_text(step: str, answers: Mapping[str, Any], policy: LoanPolicy) -> str:
    key = ANSWER_KEY[step]
    value = answers.get(key)
    if step == "referrer":
        if value == NO_REFERRER or not isinstance(value, int):
            return "Nobody: the resident asked the council directly"
        return presenters.champion_names(db_session(), [value]).get(value, "Not known")
    if step == "need":
        return dict(NEED_CHOICES).get(str(value), str(value))
    if step == "age":
        return f"{value} years"
    if step in ("device", "connection", "low_income"):
        return "Yes" if value else "No"
    if step == "benefit":
        return (
            "None of these" if value == NO_BENEFIT else policy.benefits.get(str(value), str(value))
        )
    if step == "about":
        choices, plain = _borrower_choices(policy)
        return "None of these" if value == plain else dict(choices).get(str(value), str(value))
    if step == "reason":
        return str(value) or "Nothing"
    if step == "where":
        ward = answers.get("ward")
        ward_name = (
            "Ward not known"
            if ward == UNKNOWN_WARD
            else presenters.ward_names(db_session()).get(str(ward), str(ward))
        )
        return f"{answers.get('postcode', '')}, {ward_name}".strip(", ")
    if step == "name":
        return str(value)
    if step == "contact":
        method = str(value)
        return (
            f"{presenters.CONTACT_METHOD_LABELS.get(method, method)}: {answers.get('contact', '')}"
        )
    return str(value)


ROW_LABELS: Mapping[str, str] = {
    "referrer": "Referred by",
    "need": "Needs",
    "age": "Age",
    "device": "Suitable device at home",
    "connection": "Internet connection at home",
    "benefit": "Benefit",
    "low_income": "Household on a low income",
    "about": "Describes them",
    "reason": "Anything else",
    "where": "Where they live",
    "name": "Full name",
    "contact": "Contact by",
    "contact_details": "Phone number",
}
DETAILS_LABELS: Mapping[str, str] = {
    "email": "Email address",
    "sms": "Mobile phone number",
    "phone": "Phone number",
}


def summary_rows(
    mode: Mode,
    answers: Mapping[str, Any],
    setup_: Setup,
    *,
    only: frozenset[str] | None = None,
) -> list[dict[str, Any]]:
    """Rows of the answers summary list, each with a Change link."""
    policy = loan_policy()
    rows = []
    for step in steps_for(mode, answers, setup_):
        if only is not None and step not in only:
            continue
        if ANSWER_KEY[step] not in answers:
            continue
        label = ROW_LABELS[step]
        if mode.own and step == "about":
            label = "Describes you"
        if mode.own and step == "where":
            label = "Where you live"
        if step == "contact_details":
            label = DETAILS_LABELS.get(str(answers.get("contact_method")), label)
        rows.append(
            {
                "key": {"text": label},
                "value": {"text": _answer_text(step, answers, policy)},
                "actions": {
                    "items": [
                        {
                            "href": mode.url(step),
                            "text": "Change",
                            "visuallyHiddenText": label.lower(),
                        }
                    ]
                },
            }
        )
    if setup_.fixed_champion_id is not None:
        name = presenters.champion_names(db_session(), [setup_.fixed_champion_id]).get(
            setup_.fixed_champion_id, "You"
        )
        rows.insert(0, {"key": {"text": "Referred by"}, "value": {"text": f"{name} (you)"}})
    return rows


def not_eligible(mode: Mode) -> str | Response:
    """Why the resident cannot borrow, kindly, with where else to get help."""
    setup_ = setup(mode)
    answers = stored_answers(mode)
    policy = loan_policy()
    reasons = refusal_so_far(answers, policy)
    if not reasons:
        return redirect(mode.url(first_missing(mode, answers, setup_) or "check"))
    return render_template(
        "loans/ask/not_eligible.html",
        mode=mode,
        reasons=presenters.kind_reasons(reasons, policy, own=mode.own),
        rows=summary_rows(mode, answers, setup_, only=ELIGIBILITY_STEPS),
        reference=None,
        sessions_url=_sessions_url(),
    )


def _sessions_url() -> str | None:
    endpoint = "champions_public.find_sessions"
    return url_for(endpoint) if endpoint in current_app.view_functions else None


def check(mode: Mode) -> str | Response:
    """Check answers, then send the request exactly once."""
    setup_ = setup(mode)
    form = SendRequestForm()
    if form.is_submitted():
        return _send(mode, setup_, form)
    answers = stored_answers(mode)
    missing = first_missing(mode, answers, setup_)
    if missing is not None or not answers.get("key"):
        if not answers and session.get(_done_key(mode)):
            return redirect(mode.url("confirmation"))
        return redirect(mode.url(missing or STEPS[1]))
    if refusal_so_far(answers, loan_policy()):
        return redirect(mode.url("not_eligible"))
    form.idempotency_key.data = answers["key"]
    return render_template(
        "loans/ask/check.html",
        mode=mode,
        form=form,
        rows=summary_rows(mode, answers, setup_),
        back=mode.url("contact_details"),
    )


def _send(mode: Mode, setup_: Setup, form: SendRequestForm) -> Response:
    if not form.validate():
        abort(400)
    key = (form.idempotency_key.data or "").strip()
    if not _KEY.match(key):
        abort(400)
    done = session.get(_done_key(mode))
    if isinstance(done, dict) and done.get("key") == key:
        return redirect(mode.url("confirmation"))  # sent already: show that request
    answers = stored_answers(mode)
    missing = first_missing(mode, answers, setup_)
    if missing is not None or answers.get("key") != key:
        return redirect(mode.url(missing or STEPS[1]))
    policy = loan_policy()
    database = db_session()
    referrer = referrer_id(answers, setup_)
    benefit = answers.get("benefit")
    new = services.NewLoanRequest(
        idempotency_key=key,
        resident_name=str(answers.get("name", "")),
        contact=str(answers.get("contact", "")),
        age_years=int(answers["age"]),
        borrower_type=str(answers["borrower_type"]),
        need=str(answers["need"]),
        has_suitable_device=bool(answers["has_device"]),
        has_home_connection=bool(answers["has_connection"]),
        low_income=bool(answers.get("low_income", False)),
        benefit=None if benefit in (None, NO_BENEFIT) else str(benefit),
        postcode=answers.get("postcode") or None,
        ward_code=None if answers.get("ward") in (None, UNKNOWN_WARD) else str(answers["ward"]),
        reason=answers.get("reason") or None,
        referred_by_champion_id=referrer,
    )
    try:
        loan_request = services.submit_request(
            database,
            new,
            policy=policy,
            now=now_utc(),
            submitted_by=None if mode.own else current_user.id,
        )
    except DomainError as error:
        database.rollback()
        return _sent_with_problem(mode, setup_, answers, error)
    database.commit()
    session[_done_key(mode)] = {"reference": loan_request.public_id, "key": key}
    clear(mode)
    current_app.logger.info(
        "loan request %s %s (%s)", loan_request.public_id, loan_request.status, mode.name
    )
    return redirect(mode.url("confirmation"))


def _sent_with_problem(
    mode: Mode, setup_: Setup, answers: dict[str, Any], error: DomainError
) -> Response:
    """Take the resident back to the question the problem is about."""
    field = error.field or ""
    limited = field == "referred_by_champion_id" and isinstance(error, Conflict)
    if limited and setup_.fixed_champion_id is not None:
        _stop_at_limit(mode, referral_limit(setup_.fixed_champion_id, loan_policy()))
    if field == "idempotency_key":
        answers["key"] = secrets.token_urlsafe(24)
        _save(mode, answers)
        flash(error.message, "error")
        return redirect(mode.url("check"))
    step, form_field = FIELD_STEP.get(field, ("need", "need"))
    answers["error"] = {"field": form_field, "message": error.message}
    _save(mode, answers)
    return redirect(mode.url(step))


def sent_request(mode: Mode) -> LoanRequest | None:
    """The request this browser sent last in ``mode``, if any."""
    done = session.get(_done_key(mode))
    if not isinstance(done, dict):
        return None
    return presenters.find_request(db_session(), str(done.get("reference", "")))


def confirmation(mode: Mode) -> str | Response:
    """The confirmation page of the request this browser just sent."""
    setup(mode)
    loan_request = sent_request(mode)
    if loan_request is None:
        return redirect(mode.url("start"))
    policy = loan_policy()
    if loan_request.status == RequestStatus.INELIGIBLE:
        return render_template(
            "loans/ask/not_eligible.html",
            mode=mode,
            reasons=presenters.kind_reasons(loan_request.eligibility_reasons, policy, own=mode.own),
            rows=[],
            reference=format_reference(loan_request.reference),
            sessions_url=_sessions_url(),
        )
    return render_template(
        "loans/ask/confirmation.html",
        mode=mode,
        loan_request=loan_request,
        reference=format_reference(loan_request.reference),
        response_time=current_app.config.get("LOAN_RESPONSE_TIME", "within 10 working days"),
        method_label=presenters.CONTACT_METHOD_LABELS.get(loan_request.contact_method, ""),
    )


def start_referral(mode: Mode) -> str | Response:
    """The start page of a referral; starting clears any referral left half-done."""
    setup_ = setup(mode)
    policy = loan_policy()
    form = ConfirmForm()
    if form.is_submitted():
        if not form.validate():
            abort(400)
        clear(mode)
        answers = _journey(mode)
        return redirect(mode.url(first_missing(mode, answers, setup_) or "check"))
    limit = (
        referral_limit(setup_.fixed_champion_id, policy)
        if setup_.fixed_champion_id is not None
        else None
    )
    in_progress = bool(stored_answers(mode).get("need"))
    form.submit.label.text = "Start a new referral" if in_progress else "Start now"
    return render_template(
        "loans/ask/refer_start.html",
        mode=mode,
        form=form,
        limit=limit,
        limit_text=limit_message(limit, own=True) if limit is not None and limit.reached else None,
        in_progress=in_progress,
        continue_url=mode.url(first_missing(mode, stored_answers(mode), setup_) or "check")
        if in_progress
        else None,
        policy=policy,
    )
