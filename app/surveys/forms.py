"""Forms of the survey pages: one question per page, the contact page, imports and settings."""

from __future__ import annotations

import json
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovFileInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    Field,
    RadioField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import AnyOf, InputRequired, Length, Optional, ValidationError

from app.surveys.journey import DONT_KNOW_WARD, NO_BARRIER, Step, barrier_choices
from core.postcodes import normalise_postcode
from surveys.index import IndexSpec

POSTCODE_MESSAGE = "Enter a full UK postcode, like SW1A 1AA"


class QuestionForm(FlaskForm):
    """One survey question; the ``answer`` field is added per page by :func:`question_form`."""

    answer: Field
    submit = SubmitField("Continue", widget=GovSubmitInput())


def question_form(step: Step, *, wards: tuple[tuple[str, str], ...], **kwargs: Any) -> QuestionForm:
    """The form of one survey page (radios, checkboxes or a postcode box)."""
    message = step.error_message
    field: Field
    if step.kind == "ward":
        codes = [code for code, _name in wards] + [DONT_KNOW_WARD]
        field = RadioField(
            step.heading,
            choices=[*wards, (DONT_KNOW_WARD, "I do not know my ward")],
            validate_choice=False,
            validators=[InputRequired(message=message), AnyOf(codes, message=message)],
        )
    elif step.kind == "postcode":
        field = StringField(
            step.heading,
            validators=[
                InputRequired(message=message),
                Length(max=20, message=POSTCODE_MESSAGE),
                _valid_postcode,
            ],
            filters=[lambda value: value.strip() if isinstance(value, str) else value],
        )
    elif step.kind == "barriers":
        choices = [*barrier_choices(), (NO_BARRIER, "None of these")]
        field = SelectMultipleField(
            step.heading,
            choices=choices,
            validate_choice=False,
            validators=[InputRequired(message=message), _barriers_valid(message)],
        )
    else:
        assert step.question is not None
        field = RadioField(
            step.heading,
            choices=list(zip(step.question.codes, step.question.labels, strict=True)),
            validate_choice=False,
            validators=[
                InputRequired(message=message),
                AnyOf(list(step.question.codes), message=message),
            ],
        )
    form_class = type(f"{step.key.title()}Form", (QuestionForm,), {"answer": field})
    form: QuestionForm = form_class(**kwargs)
    return form


def _valid_postcode(_form: FlaskForm, field: Field) -> None:
    if normalise_postcode(field.data or "") is None:
        raise ValidationError(POSTCODE_MESSAGE)


def _barriers_valid(message: str) -> Any:
    allowed = {column for column, _label in barrier_choices()} | {NO_BARRIER}

    def check(_form: FlaskForm, field: Field) -> None:
        chosen = set(field.data or [])
        if not chosen or chosen - allowed:
            raise ValidationError(message)
        if NO_BARRIER in chosen and len(chosen) > 1:
            raise ValidationError(
                "Select what stops you going online, or select 'None of these', not both"
            )

    return check


class ContactForm(FlaskForm):
    """Name, email and phone of someone who agreed to be contacted again."""

    name = StringField(
        "Your name (optional)",
        widget=GovTextInput(),
        validators=[Optional(), Length(max=200, message="Name must be 200 characters or fewer")],
    )
    email = StringField(
        "Email address",
        widget=GovTextInput(),
        validators=[Optional(), Length(max=320)],
    )
    phone = StringField(
        "Phone number",
        widget=GovTextInput(),
        description="For example, 01632 960 001 or 07700 900 982",
        validators=[Optional(), Length(max=40)],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators=extra_validators)
        if not (self.email.data or "").strip() and not (self.phone.data or "").strip():
            self.email.errors = [*self.email.errors, "Enter an email address or a phone number"]
            return False
        return valid

    def validate_email(self, field: StringField) -> None:
        try:
            validate_email(field.data, check_deliverability=False)
        except EmailNotValidError:
            raise ValidationError(
                "Enter an email address in the correct format, like name@example.com"
            ) from None

    def validate_phone(self, field: StringField) -> None:
        if not field.data:
            return
        try:
            number = phonenumbers.parse(field.data, "GB")
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_possible_number(number):
            raise ValidationError(
                "Enter a phone number, like 01632 960 001, 07700 900 982 or +44 808 157 0192"
            )


class SendForm(FlaskForm):
    """The check-answers page's button."""

    submit = SubmitField("Send your answers", widget=GovSubmitInput())


class StartAgainForm(FlaskForm):
    """Clear the answers in progress (a shared computer, or a Champion's next resident)."""

    submit = SubmitField("Clear my answers and start again", widget=GovSubmitInput())


class ImportForm(FlaskForm):
    """Upload a CSV or Excel export from another survey tool."""

    file = FileField(
        "Upload a file",
        widget=GovFileInput(),
        description="A CSV or Excel (.xlsx) file with one response per row, in the columns of "
        "the template.",
        validators=[
            FileRequired(message="Select a CSV or Excel file"),
            FileAllowed(["csv", "xlsx"], message="The selected file must be a CSV or XLSX"),
        ],
    )
    submit = SubmitField("Check and import", widget=GovSubmitInput())


class PersonaRulesForm(FlaskForm):
    """Edit the persona rules as JSON."""

    config = TextAreaField(
        "Persona rules",
        widget=GovTextArea(),
        description="JSON in the layout shown. The first persona whose rules all hold is given; "
        "the last has no rules and takes everyone left.",
        validators=[InputRequired(message="Enter the persona rules")],
    )
    submit = SubmitField("Save rules and re-score responses", widget=GovSubmitInput())

    def validate_config(self, field: TextAreaField) -> None:
        try:
            parsed = json.loads(field.data or "")
        except json.JSONDecodeError as error:
            raise ValidationError(
                f"The persona rules are not valid JSON: line {error.lineno}, column "
                f"{error.colno}: {error.msg}"
            ) from None
        if not isinstance(parsed, dict):
            raise ValidationError("The persona rules must be a JSON object with a 'personas' list")
        self.parsed: dict[str, Any] = parsed


class ResetRulesForm(FlaskForm):
    """Go back to the default personas."""

    submit = SubmitField("Use the default personas", widget=GovSubmitInput())


class WeightsForm(FlaskForm):
    """Component weights of the exclusion-risk index (a GET form: it changes nothing)."""

    class Meta:
        csrf = False

    submit = SubmitField("Recalculate the index", widget=GovSubmitInput())


def weights_form(spec: IndexSpec, data: Any) -> WeightsForm:
    """A weights form with one whole-number field (0-10) per component of ``spec``."""
    fields: dict[str, Any] = {}
    for component in spec.components:
        fields[component.key] = StringField(
            f"{component.label} weight",
            widget=GovTextInput(),
            default=str(component.weight),
            validators=[
                InputRequired(
                    message=f"Enter a weight for {component.label.lower()}, from 0 to 10"
                ),
                _whole_number_0_to_10(component.label),
            ],
        )
    form_class = type("IndexWeightsForm", (WeightsForm,), fields)
    form: WeightsForm = form_class(formdata=data if data else None)
    return form


def _whole_number_0_to_10(label: str) -> Any:
    def check(_form: FlaskForm, field: Field) -> None:
        text = (field.data or "").strip()
        if not text.isdigit() or not 0 <= int(text) <= 10:
            raise ValidationError(f"{label} weight must be a whole number from 0 to 10")

    return check


def weights_from(form: WeightsForm, spec: IndexSpec) -> dict[str, int]:
    """The weights a valid form holds, by component key."""
    return {
        component.key: int(str(getattr(form, component.key).data).strip())
        for component in spec.components
    }
