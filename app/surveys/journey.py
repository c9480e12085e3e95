"""The online survey as a journey of pages: one question per page, routed by the question set.

Each page (a :class:`Step`) asks one question of :data:`surveys.questions.QUESTION_SET` and is
shown only when the question's routing rule holds for the answers given so far, so nobody who
never goes online is asked the skills questions.  Three pages differ from a plain question:

* **ward**: residents choose their ward from the stored wards, or say they do not know it;
* **postcode**: asked only of people who do not know their ward (or when no wards are stored).
  There is no postcode lookup, so the postcode gives no ward: only its district (``TW3``) is
  kept;
* **barriers**: the six "what stops you" questions are one "select all that apply" page, as the
  question set's hint describes; each is stored as ``yes`` or ``no``.

A contact-details page follows when the person agrees to be contacted again.  Answers live in the
Flask session until the person sends them from the check-answers page.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, Literal

from surveys.questions import (
    BARRIER_COLUMNS,
    BARRIERS,
    NOT_DAILY,
    QUESTION_SET,
    Question,
)

StepKind = Literal["ward", "postcode", "choice", "barriers", "contact"]

DONT_KNOW_WARD = "unknown"
"""Answer of the ward page meaning "I do not know my ward"."""

NO_BARRIER = "none"
"""The exclusive "None of these" option of the barriers page."""


@dataclass(frozen=True)
class Step:
    """One page of the survey."""

    key: str
    kind: StepKind
    columns: tuple[str, ...]
    section: str
    question: Question | None = None

    @property
    def heading(self) -> str:
        """The question as the page heading."""
        if self.kind == "ward":
            return "Which ward do you live in?"
        if self.kind == "postcode":
            return "What is your postcode?"
        if self.kind == "barriers":
            return "What stops you going online, or going online more?"
        if self.kind == "contact":
            return "How can we contact you?"
        assert self.question is not None
        return self.question.text

    @property
    def short_label(self) -> str:
        """The question as a key on the check-answers page."""
        if self.kind == "ward":
            return "Ward"
        if self.kind == "postcode":
            return "Postcode"
        if self.kind == "barriers":
            return "What stops you going online"
        if self.kind == "contact":
            return "Contact details"
        assert self.question is not None
        return self.question.text

    @property
    def hint(self) -> str:
        """Help shown under the heading, in plain English."""
        if self.kind == "ward":
            return "Your ward is the area you vote in for local councillors."
        if self.kind == "postcode":
            return (
                "We keep only the first part (for example TW3), to see which parts of the "
                "borough answered. It does not identify you."
            )
        if self.kind == "barriers":
            return "Select all that apply."
        if self.kind == "contact":
            return (
                "Give an email address or a phone number, or both. We keep them apart from your "
                "answers and use them only to offer help or a follow-up survey."
            )
        assert self.question is not None
        hint = self.question.hint
        # The Essential Digital Skills labels ("EDS Foundation.") mean nothing to residents.
        if hint.startswith("EDS "):
            hint = hint.split(". ", 1)[1] if ". " in hint else ""
        return hint

    @property
    def error_message(self) -> str:
        """What to say when the question is not answered (GOV.UK style)."""
        return ERROR_MESSAGES.get(self.key) or _task_error(self)


def _task_error(step: Step) -> str:
    if step.key.startswith("work_"):
        return "Select whether you can do this at work, or that it does not apply to you"
    if step.key.startswith(("fnd_", "life_")):
        return "Select whether you can do this on your own, only with help, or not at all"
    return "Select an answer"


ERROR_MESSAGES: dict[str, str] = {
    "ward_code": "Select your ward, or select that you do not know it",
    "postcode": "Enter your postcode",
    "barriers": "Select what stops you going online, or select 'None of these'",
    "age_band": "Select how old you are",
    "disability": "Select whether your day-to-day activities are limited",
    "language": "Select the language you would prefer us to use",
    "device_smartphone": "Select whether you have a smartphone you can use",
    "device_tablet": "Select whether you have a tablet you can use",
    "device_computer": "Select whether you have a laptop or desktop computer you can use",
    "home_connection": "Select how your home is connected to the internet",
    "mobile_data": "Select whether you have mobile data on your phone",
    "online_frequency": "Select how often you use the internet",
    "ever_online": "Select whether you have ever used the internet",
    "main_device": "Select the device you use most to go online",
    "confidence": "Select how confident you feel using the internet",
    "wants_help": "Select whether you would like help to learn to do more online",
    "consent_follow_up": "Select whether we can contact you again",
}


def _build_steps() -> tuple[Step, ...]:
    steps: list[Step] = []
    barriers_added = False
    for question in QUESTION_SET.questions:
        if question.column == "postcode":
            continue  # asked after the ward page, only of people who do not know their ward
        if question.column == "lsoa21_code":
            continue  # residents do not know their LSOA; imports may give it
        if question.column == "ward_code":
            steps.append(Step("ward_code", "ward", ("ward_code",), question.section))
            steps.append(Step("postcode", "postcode", ("postcode",), question.section))
            continue
        if question.column in BARRIER_COLUMNS:
            if not barriers_added:
                steps.append(Step("barriers", "barriers", BARRIER_COLUMNS, question.section))
                barriers_added = True
            continue
        steps.append(
            Step(question.column, "choice", (question.column,), question.section, question)
        )
    steps.append(Step("contact", "contact", (), "Help and follow-up"))
    return tuple(steps)


STEPS: tuple[Step, ...] = _build_steps()
"""Every page of the survey, in order."""

STEPS_BY_KEY: dict[str, Step] = {step.key: step for step in STEPS}


def barrier_choices() -> list[tuple[str, str]]:
    """(column, label) of each barrier, in the question-set order."""
    return [(column, BARRIERS[column]) for column in BARRIER_COLUMNS]


def applies(step: Step, answers: Mapping[str, Any], *, has_wards: bool) -> bool:
    """Whether ``step`` is asked of someone with these answers."""
    if step.kind == "ward":
        return has_wards
    if step.kind == "postcode":
        return not has_wards or answers.get("ward_code") == DONT_KNOW_WARD
    if step.kind == "barriers":
        return NOT_DAILY.holds(answers)
    if step.kind == "contact":
        return answers.get("consent_follow_up") == "yes"
    assert step.question is not None
    return step.question.applies(answers)


def answered(step: Step, answers: Mapping[str, Any], contact: Mapping[str, Any]) -> bool:
    """Whether ``step`` has an answer."""
    if step.kind == "contact":
        return bool(contact.get("email") or contact.get("phone"))
    return all(answers.get(column) not in (None, "") for column in step.columns)


def steps_for(answers: Mapping[str, Any], *, has_wards: bool) -> list[Step]:
    """The pages asked of someone with these answers, in order."""
    return [step for step in STEPS if applies(step, answers, has_wards=has_wards)]


def first_unanswered(
    answers: Mapping[str, Any], contact: Mapping[str, Any], *, has_wards: bool
) -> Step | None:
    """The first page still to answer, or ``None`` when everything asked is answered."""
    for step in steps_for(answers, has_wards=has_wards):
        if not answered(step, answers, contact):
            return step
    return None


def next_step(current: Step, answers: Mapping[str, Any], *, has_wards: bool) -> Step | None:
    """The page after ``current`` for these answers, or ``None`` for check answers."""
    sequence = steps_for(answers, has_wards=has_wards)
    position = STEPS.index(current)
    for step in sequence:
        if STEPS.index(step) > position:
            return step
    return None


def previous_step(current: Step, answers: Mapping[str, Any], *, has_wards: bool) -> Step | None:
    """The page before ``current`` for these answers, or ``None`` for the start page."""
    position = STEPS.index(current)
    earlier = [
        step for step in steps_for(answers, has_wards=has_wards) if STEPS.index(step) < position
    ]
    return earlier[-1] if earlier else None


def record_answer(
    step: Step, answers: MutableMapping[str, Any], values: Mapping[str, str | None]
) -> None:
    """Put a page's answers into ``answers`` (the session's copy)."""
    for column in step.columns:
        answers[column] = values.get(column)
    if step.kind == "ward" and answers.get("ward_code") != DONT_KNOW_WARD:
        # Someone who now knows their ward is not asked for a postcode.
        answers.pop("postcode", None)


def answers_to_send(answers: Mapping[str, Any], *, has_wards: bool) -> dict[str, str | None]:
    """The answers of every page still asked, in question-set columns (codes).

    Answers to pages that no longer apply (for example skills questions given before the person
    changed their answer to "never") are dropped, as the routing rules require.
    """
    result: dict[str, str | None] = {}
    for step in steps_for(answers, has_wards=has_wards):
        if step.kind == "contact":
            continue
        for column in step.columns:
            value = answers.get(column)
            result[column] = None if value in (None, "") else str(value)
    if result.get("ward_code") == DONT_KNOW_WARD:
        result["ward_code"] = None
    return result


def answer_text(step: Step, answers: Mapping[str, Any], ward_names: Mapping[str, str]) -> str:
    """A page's answer in words, for the check-answers page."""
    if step.kind == "ward":
        code = answers.get("ward_code")
        if code == DONT_KNOW_WARD:
            return "I do not know my ward"
        return ward_names.get(str(code), str(code))
    if step.kind == "postcode":
        return str(answers.get("postcode") or "")
    if step.kind == "barriers":
        chosen = [label for column, label in barrier_choices() if answers.get(column) == "yes"]
        return "; ".join(chosen) if chosen else "None of these"
    assert step.question is not None
    code = answers.get(step.question.column)
    try:
        return step.question.label_for(str(code))
    except KeyError:
        return ""
