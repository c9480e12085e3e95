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
