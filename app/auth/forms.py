"""Forms for signing in, accepting an invitation and managing staff accounts."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovPasswordInput,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import PasswordField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import InputRequired, Length

from app.auth.roles import ROLE_LABELS, ROLES


class SignInForm(FlaskForm):
    """Email address and password."""

    email = StringField(
        "Email address",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter your email address"), Length(max=320)],
    )
    password = PasswordField(
        "Password",
        widget=GovPasswordInput(),
        validators=[InputRequired(message="Enter your password")],
    )
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class TwoStepCodeForm(FlaskForm):
    """The 6-digit code from the staff member's authenticator app."""

    code = StringField(
        "Code from your authenticator app",
        widget=GovTextInput(),
        description="The 6-digit code changes every 30 seconds.",
        validators=[InputRequired(message="Enter the 6-digit code from your authenticator app")],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())

    def validate_code(self, field: StringField) -> None:
        from wtforms.validators import ValidationError

        from app.auth.two_step import normalise_code

        if normalise_code(field.data) is None:
            raise ValidationError("The code must be 6 digits, like 123456")


class SetPasswordForm(FlaskForm):
    """Choose a password when accepting an invitation."""

    password = PasswordField(
        "Create a password",
        widget=GovPasswordInput(),
        description="Use 12 characters or more. Three random words are easy to remember and hard to guess.",
        validators=[InputRequired(message="Enter a password")],
    )
    confirm = PasswordField(
        "Confirm password",
        widget=GovPasswordInput(),
        validators=[InputRequired(message="Confirm your password")],
    )
    submit = SubmitField("Save password and sign in", widget=GovSubmitInput())

    def validate_confirm(self, field: PasswordField) -> None:
        from wtforms.validators import ValidationError

        if field.data != self.password.data:
            raise ValidationError("Passwords do not match: enter the same password twice")


class InviteUserForm(FlaskForm):
    """Who to invite and which roles they get."""

    full_name = StringField(
        "Full name",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter the person's full name"), Length(max=200)],
    )
    email = StringField(
        "Email address",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter their email address"), Length(max=320)],
    )
    roles = SelectMultipleField(
        "Roles",
        widget=GovCheckboxesInput(),
        choices=[(role, ROLE_LABELS[role]) for role in ROLES],
        validators=[InputRequired(message="Select at least one role")],
    )
    submit = SubmitField("Send invitation", widget=GovSubmitInput())


class RolesForm(FlaskForm):
    """Change the roles of one account."""

    roles = SelectMultipleField(
        "Roles",
        widget=GovCheckboxesInput(),
        choices=[(role, ROLE_LABELS[role]) for role in ROLES],
        validators=[InputRequired(message="Select at least one role")],
    )
    submit = SubmitField("Save roles", widget=GovSubmitInput())
