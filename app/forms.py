"""Form helpers shared by every blueprint: domain errors on fields, choice fields with plain
messages, and a one-button confirmation form."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
)
from wtforms import RadioField, SelectField, SelectMultipleField, SubmitField
from wtforms.validators import ValidationError

from core.errors import DomainError


def apply_domain_error(form: FlaskForm, error: DomainError) -> None:
    """Put a service's error message on the form field it names (or the first field)."""
    field = getattr(form, error.field, None) if error.field else None
    if field is None:
        field = next(iter(form))
    field.errors = [*list(field.errors or []), error.message]


class _ChoiceWithMessage:
    """A choice field that refuses a value outside its choices with its own ``invalid`` message.

    WTForms' own message ("Not a valid choice") names no field and says nothing of what to do,
    so each field says it in the GOV.UK style instead ("Select a topic from the list").  An empty
    answer passes here: a ``Required`` validator decides whether one is needed.
    """

    widget_class: type = GovSelect
    default_invalid = "Select an option"
    choices: Any
    data: Any

    def __init__(self, label: str = "", *, invalid: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("widget", self.widget_class())
        kwargs.setdefault("choices", [])
        super().__init__(label, **kwargs)  # type: ignore[call-arg]
        self.invalid = invalid or self.default_invalid

    def pre_validate(self, form: FlaskForm) -> None:
        answers = self.data if isinstance(self.data, list | tuple) else [self.data]
        allowed = {str(choice[0]) for choice in self.choices or []}
        if any(answer not in (None, "") and str(answer) not in allowed for answer in answers):
            raise ValidationError(self.invalid)


class SelectChoice(_ChoiceWithMessage, SelectField):
    """A GOV.UK select whose wrong answer gets ``invalid`` as its message."""


class RadioChoice(_ChoiceWithMessage, RadioField):
    """GOV.UK radios whose wrong answer gets ``invalid`` as its message."""

    widget_class = GovRadioInput


class CheckboxesChoice(_ChoiceWithMessage, SelectMultipleField):
    """GOV.UK checkboxes whose wrong answers get ``invalid`` as their message."""

    widget_class = GovCheckboxesInput
    default_invalid = "Select from the list"


class ConfirmForm(FlaskForm):
    """A single button that confirms an action (CSRF-protected POST)."""

    submit = SubmitField("Confirm", widget=GovSubmitInput())
