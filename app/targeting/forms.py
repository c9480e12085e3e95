"""Forms of the targeting pages: a new scenario, saving one, comparing two, intervention rules."""

from __future__ import annotations

import re
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovFileInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import Field, RadioField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from app.targeting.services import (
    MAX_K,
    MAX_WALK_MIN,
    MIN_BUDGET_GBP,
    MIN_WALK_MIN,
)
from surveys.targeting import MAX_BUDGET_GBP

_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def parse_number(text: str | None) -> float | None:
    """A number typed by a person: "£50,000", "50000", "7.40" (``None`` if it is not one)."""
    cleaned = re.sub(r"[\s,£]", "", text or "")
    if not _NUMBER.match(cleaned):
        return None
    return float(cleaned)


def _checked_number(
    field: Field,
    *,
    what: str,
    example: str,
    low: float,
    high: float,
    whole: bool = False,
    range_text: str,
) -> float:
    value = parse_number(field.data)
    if value is None:
        raise ValidationError(f"{what} must be a number, like {example}")
    if whole and not float(value).is_integer():
        raise ValidationError(f"{what} must be a whole number, like {example}")
    if not low <= value <= high:
        raise ValidationError(f"{what} must be between {range_text}")
    return value


class ScenarioForm(FlaskForm):
    """Wards, budget, walking time, number of new venues, share to reach, candidate CSV."""

    name = StringField(
        "Scenario name",
        widget=GovTextInput(),
        description="So you can find it again, for example 'North wards, summer 2026'",
        validators=[
            InputRequired(message="Enter a name for the scenario"),
            Length(max=120, message="Scenario name must be 120 characters or fewer"),
        ],
    )
    wards = SelectMultipleField(
        "Which wards should the scenario cover?",
        widget=GovCheckboxesInput(),
        description="Select all that apply",
        validate_choice=False,
    )
    level = RadioField(
        "Plan for each",
        widget=GovRadioInput(),
        choices=[("ward", "Ward"), ("lsoa", "Neighbourhood (LSOA)")],
        default="ward",
        validate_choice=False,
        validators=[InputRequired(message="Select whether to plan for each ward or neighbourhood")],
    )
    budget_gbp = StringField(
        "Budget (£)",
        widget=GovTextInput(),
        description=f"Between £{MIN_BUDGET_GBP:,.0f} and £{MAX_BUDGET_GBP:,.0f}",
        validators=[InputRequired(message="Enter a budget")],
    )
    walk_min = StringField(
        "Walking time to a venue (minutes)",
        widget=GovTextInput(),
        description=f"Whole minutes, from {MIN_WALK_MIN} to {MAX_WALK_MIN}, at about 4.8 km an hour",
        validators=[InputRequired(message="Enter a walking time")],
    )
    k = StringField(
        "Number of new venues to choose",
        widget=GovTextInput(),
        description=f"From 1 to {MAX_K}, and no more than there are candidate buildings",
        validators=[InputRequired(message="Enter the number of new venues")],
    )
    share_pct = StringField(
        "Share of excluded residents to reach with the fewest new venues (%)",
        widget=GovTextInput(),
        description="From 1 to 100, for example 90",
        validators=[InputRequired(message="Enter the share of excluded residents to reach")],
    )
    online_gbp = StringField(
        "Cost of one transaction online (£)",
        widget=GovTextInput(),
        description="Hounslow's digital strategy uses £0.32",
        validators=[InputRequired(message="Enter the cost of one transaction online")],
    )
    face_to_face_gbp = StringField(
        "Cost of one transaction face to face (£)",
        widget=GovTextInput(),
        description="Hounslow's digital strategy uses £7.40",
        validators=[InputRequired(message="Enter the cost of one transaction face to face")],
    )
    transactions_per_year = StringField(
        "Transactions a newly online resident moves online each year",
        widget=GovTextInput(),
        description="An assumption: 4 by default",
        validators=[InputRequired(message="Enter the number of transactions a year")],
    )
    candidates = FileField(
        "Candidate buildings (optional CSV)",
        widget=GovFileInput(),
        description=(
            "Columns: name, kind (library, community centre, school, council building or other) "
            "and x_m, y_m (British National Grid) or lat, lon"
        ),
        validators=[Optional(), FileAllowed(["csv"], "The candidate file must be a CSV file")],
    )
    submit = SubmitField("Run scenario", widget=GovSubmitInput())

    def validate_wards(self, field: Field) -> None:
        if not field.data:
            raise ValidationError("Select at least one ward")

    def validate_level(self, field: Field) -> None:
        if field.data not in ("ward", "lsoa"):
            raise ValidationError("Select whether to plan for each ward or neighbourhood")

    def validate_budget_gbp(self, field: Field) -> None:
        _checked_number(
            field,
            what="Budget",
            example="50000",
            low=MIN_BUDGET_GBP,
            high=MAX_BUDGET_GBP,
            range_text=f"£{MIN_BUDGET_GBP:,.0f} and £{MAX_BUDGET_GBP:,.0f}",
        )

    def validate_walk_min(self, field: Field) -> None:
        _checked_number(
            field,
            what="Walking time",
            example="15",
            low=MIN_WALK_MIN,
            high=MAX_WALK_MIN,
            whole=True,
            range_text=f"{MIN_WALK_MIN} and {MAX_WALK_MIN} minutes",
        )

    def validate_k(self, field: Field) -> None:
        _checked_number(
            field,
            what="Number of new venues",
            example="5",
            low=1,
            high=MAX_K,
            whole=True,
            range_text=f"1 and {MAX_K}",
        )

    def validate_share_pct(self, field: Field) -> None:
        _checked_number(
            field, what="Share to reach", example="90", low=1, high=100, range_text="1% and 100%"
        )

    def validate_online_gbp(self, field: Field) -> None:
        _checked_number(
            field,
            what="Cost of a transaction online",
            example="0.32",
            low=0,
            high=1000,
            range_text="£0 and £1,000",
        )

    def validate_face_to_face_gbp(self, field: Field) -> None:
        _checked_number(
            field,
            what="Cost of a transaction face to face",
            example="7.40",
            low=0,
            high=1000,
            range_text="£0 and £1,000",
        )

    def validate_transactions_per_year(self, field: Field) -> None:
        _checked_number(
            field,
            what="Transactions a year",
            example="4",
            low=0,
            high=365,
            range_text="0 and 365",
        )

    def values(self) -> dict[str, Any]:
        """The checked numbers (call after ``validate``)."""
        return {
            "budget_gbp": parse_number(self.budget_gbp.data),
            "walk_min": int(parse_number(self.walk_min.data) or 0),
            "k": int(parse_number(self.k.data) or 0),
            "share": (parse_number(self.share_pct.data) or 0.0) / 100.0,
            "online_gbp": parse_number(self.online_gbp.data),
            "face_to_face_gbp": parse_number(self.face_to_face_gbp.data),
            "transactions_per_year": parse_number(self.transactions_per_year.data),
        }


class SaveForm(FlaskForm):
    """Keep a scenario under a name."""

    name = StringField(
        "Name to save it under",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter a name for the scenario"),
            Length(max=120, message="Scenario name must be 120 characters or fewer"),
        ],
    )
    submit = SubmitField("Save scenario", widget=GovSubmitInput())


class DeleteForm(FlaskForm):
    """Delete a scenario (a button only)."""

    submit = SubmitField("Delete scenario", widget=GovSubmitInput())


class CompareForm(FlaskForm):
    """Choose two scenarios to compare (a GET form: changes nothing, so no CSRF token)."""

    class Meta:
        csrf = False

    first = SelectField(
        "First scenario",
        widget=GovSelect(),
        validate_choice=False,
        validators=[InputRequired(message="Select the first scenario")],
    )
    second = SelectField(
        "Second scenario",
        widget=GovSelect(),
        validate_choice=False,
        validators=[InputRequired(message="Select the second scenario")],
    )
    submit = SubmitField("Compare", widget=GovSubmitInput())

    def validate_second(self, field: Field) -> None:
        if field.data and field.data == self.first.data:
            raise ValidationError("Select two different scenarios")


class InterventionForm(FlaskForm):
    """One intervention's settings."""

    enabled = RadioField(
        "Include it in plans?",
        widget=GovRadioInput(),
        choices=[("yes", "Yes"), ("no", "No")],
        validate_choice=False,
        validators=[InputRequired(message="Select whether to include it in plans")],
    )
    ring_fenced = RadioField(
        "Fund it before every other intervention?",
        widget=GovRadioInput(),
        description="Ring-fenced help is paid for first, whatever it costs per resident reached",
        choices=[("yes", "Yes"), ("no", "No")],
        validate_choice=False,
        validators=[InputRequired(message="Select whether to fund it first")],
    )
    unit_cost_gbp = StringField(
        "Cost of one unit (£)",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter the cost of one unit")],
    )
    reach_per_unit = StringField(
        "How many residents (or premises) one unit serves",
        widget=GovTextInput(),
        validators=[InputRequired(message="Enter how many one unit serves")],
    )
    take_up_pct = StringField(
        "Take-up (%)",
        widget=GovTextInput(),
        description="The share of those eligible expected to take it up, from 1 to 100",
        validators=[InputRequired(message="Enter the take-up")],
    )
    submit = SubmitField("Save changes", widget=GovSubmitInput())

    def validate_enabled(self, field: Field) -> None:
        if field.data not in ("yes", "no"):
            raise ValidationError("Select whether to include it in plans")

    def validate_ring_fenced(self, field: Field) -> None:
        if field.data not in ("yes", "no"):
            raise ValidationError("Select whether to fund it first")

    def validate_unit_cost_gbp(self, field: Field) -> None:
        _checked_number(
            field,
            what="Cost of one unit",
            example="350",
            low=0.01,
            high=1_000_000,
            range_text="£0.01 and £1,000,000",
        )

    def validate_reach_per_unit(self, field: Field) -> None:
        _checked_number(
            field,
            what="How many one unit serves",
            example="3",
            low=0.01,
            high=100_000,
            range_text="0.01 and 100,000",
        )

    def validate_take_up_pct(self, field: Field) -> None:
        _checked_number(
            field, what="Take-up", example="50", low=1, high=100, range_text="1% and 100%"
        )

    def settings(self) -> dict[str, Any]:
        """The settings as :mod:`surveys.interventions` names them (call after ``validate``)."""
        return {
            "enabled": self.enabled.data == "yes",
            "ring_fenced": self.ring_fenced.data == "yes",
            "unit_cost_gbp": parse_number(self.unit_cost_gbp.data),
            "reach_per_unit": parse_number(self.reach_per_unit.data),
            "take_up": (parse_number(self.take_up_pct.data) or 0.0) / 100.0,
        }
