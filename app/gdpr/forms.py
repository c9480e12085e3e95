"""Forms of the data protection request pages: who the request is about, and the two actions."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextInput
from wtforms import HiddenField, StringField, SubmitField
from wtforms.validators import Length

from app.gdpr.records import Person, normalise_email, normalise_phone


class FindPersonForm(FlaskForm):
    """The resident's email address or phone number (one of them)."""

    email = StringField(
        "Email address",
        widget=GovTextInput(),
        description="The address they gave when they booked, asked for a device or answered "
        "the survey.",
        validators=[Length(max=320, message="Email address must be 320 characters or fewer")],
    )
    phone = StringField(
        "Or phone number",
        widget=GovTextInput(),
        description="Any spelling works, for example 07700 900982 or +44 7700 900982.",
        validators=[Length(max=40, message="Phone number must be 40 characters or fewer")],
    )
    submit = SubmitField("Find their records", widget=GovSubmitInput())

    person: Person | None = None

    def validate(self, extra_validators: Any = None) -> bool:
        if not super().validate(extra_validators):
            return False
        email, phone = (self.email.data or "").strip(), (self.phone.data or "").strip()
        if bool(email) == bool(phone):
            message = (
                "Enter their email address or their phone number"
                if not email
                else "Enter an email address or a phone number, not both"
            )
            self.email.errors = [*self.email.errors, message]
            return False
        if email:
            address = normalise_email(email)
            if address is None:
                self.email.errors = [
                    *self.email.errors,
                    "Enter an email address in the correct format, like name@example.com",
                ]
                return False
            self.person = Person(email=address)
            return True
        number = normalise_phone(phone)
        if number is None:
            self.phone.errors = [
                *self.phone.errors,
                "Enter a phone number, like 07700 900982 or +44 7700 900982",
            ]
            return False
        self.person = Person(phone=number)
        return True


class PersonActionForm(FlaskForm):
    """Export or erase for the person found: who they are travels in the POST body, never in
    the address (addresses end up in logs and browser history)."""

    email = HiddenField()
    phone = HiddenField()

    def person(self) -> Person | None:
        """The person the action is about, or ``None`` when the form was tampered with."""
        if self.email.data:
            address = normalise_email(self.email.data)
            return Person(email=address) if address else None
        number = normalise_phone(self.phone.data)
        return Person(phone=number) if number else None
