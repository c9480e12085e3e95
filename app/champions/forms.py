"""Forms of the Digital Champions pages: champions, venues, sessions, support logs, bookings.

Field names are the attribute names of the domain's commands (``champions.commands``), so a
``champions.errors.InvalidInput`` from a service lands on the right field with no mapping (see
``apply_invalid_input``).  Checks that the domain also makes are run here with the domain's own
validators, so the wording is the same wherever a problem is found.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    RadioField,
    StringField,
    SubmitField,
)
from wtforms.validators import Length, ValidationError

from app.champions.fields import (
    CheckboxesWidget,
    ClockTime,
    Domain,
    GovDateField,
    RadiosWidget,
    Required,
    WholeNumber,
    parse_opening_day,
)
from app.forms import (
    CheckboxesChoice,
    RadioChoice,
    SelectChoice,
    apply_domain_error,
)
from champions.errors import InvalidInput
from champions.rules import (
    MAX_CAPACITY,
    MAX_GROUP_SIZE,
    MAX_SERIES_OCCURRENCES,
    MAX_SESSION_MIN,
    MAX_SUPPORT_MIN,
    validate_email,
    validate_full_name,
    validate_uk_phone,
)
from champions.vocabulary import (
    AGE_BAND_LABELS,
    CHAMPION_KIND_LABELS,
    FREQUENCY_LABELS,
    LEVEL_LABELS,
    OUTCOME_LABELS,
    PLACE_LABELS,
    SUPPORT_KIND_LABELS,
    TOPIC_LABELS,
    TRAINING_MODULE_LABELS,
    WEEKDAY_NAMES,
)
from core.errors import DomainError

Choices = list[tuple[str, str]]


def _labels(mapping: Mapping[str, str]) -> Choices:
    return list(mapping.items())


def apply_invalid_input(
    form: FlaskForm, error: DomainError, *, fields: Mapping[str, str] | None = None
) -> None:
    """Put every problem of a service's error on its form field (``fields`` renames fields)."""
    renames = dict(fields or {})
    problems = (
        [(item.field, item.message) for item in error.errors]
        if isinstance(error, InvalidInput)
        else [(error.field, error.message)]
    )
    for field_name, message in problems:
        name = renames.get(field_name or "", field_name)
        apply_domain_error(form, DomainError(message, field=name))


# --- fields that speak GOV.UK -----------------------------------------------------------------


GovSelectField = SelectChoice


class GovRadioField(RadioChoice):
    """Radios whose wrong answer gets ``invalid`` as its message; the legend is the label."""

    widget_class = RadiosWidget


class GovCheckboxesField(CheckboxesChoice):
    """Checkboxes whose wrong answer gets ``invalid`` as its message; the legend is the label."""

    widget_class = CheckboxesWidget


def _text(label: str, *validators: Any, description: str | None = None) -> StringField:
    return StringField(
        label, widget=GovTextInput(), validators=list(validators), description=description
    )


# --- residents booking a place ------------------------------------------------------------------


class FindSessionsForm(FlaskForm):
    """Filters on the resident's "find a session" page (sent with GET, so no CSRF token)."""

    class Meta:
        csrf = False

    topic = GovSelectField("What do you want help with?", invalid="Select a topic from the list")
    when = GovSelectField(
        "When",
        invalid="Select when from the list",
        choices=[
            ("", "Any date"),
            ("7", "In the next 7 days"),
            ("14", "In the next 2 weeks"),
            ("31", "In the next month"),
        ],
    )
    ward = GovSelectField("Where do you live?", invalid="Select an area from the list")
    venue = GovSelectField("Place", invalid="Select a place from the list")
    postcode = _text(
        "Postcode (optional)", Length(max=20, message="Enter a full UK postcode, like TW3 1ES")
    )
    submit = SubmitField("Show sessions", widget=GovSubmitInput())


class NameForm(FlaskForm):
    """Question page: the resident's full name."""

    full_name = _text("What is your full name?")
    submit = SubmitField("Continue", widget=GovSubmitInput())

    def __init__(self, *args: Any, own: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.own = own

    def validate_full_name(self, field: StringField) -> None:
        try:
            validate_full_name(field.data, own=self.own)
        except InvalidInput as error:
            raise ValidationError(error.errors[0].message) from None


class ContactMethodForm(FlaskForm):
    """Question page: how to contact the resident (email or text message, their choice)."""

    contact_method = GovRadioField(
        "How should we contact you about your booking?",
        invalid="Select how you want us to contact you",
        choices=[("email", "Email"), ("sms", "Text message")],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())

    def __init__(
        self, *args: Any, own: bool = True, allow_none: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.own = own
        if not own:
            self.contact_method.label.text = "How should we contact them about the booking?"
        if allow_none:
            self.contact_method.choices = [
                *self.contact_method.choices,
                ("none", "Do not contact them: I will tell them myself"),
            ]

    def validate_contact_method(self, field: RadioField) -> None:
        if not field.data:
            raise ValidationError(
                "Select how you want us to contact you"
                if self.own
                else "Select how we should contact them"
            )


class ContactDetailsForm(FlaskForm):
    """Question page: the email address or the mobile phone number (only the one chosen)."""

    email = _text("What is your email address?")
    phone = _text(
        "What is your mobile phone number?",
        description="A UK mobile number, like 07700 900 982. We will send text messages to it.",
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())

    def __init__(self, *args: Any, own: bool = True, method: str = "email", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.own = own
        self.method = method
        if not own:
            self.email.label.text = "What is their email address?"
            self.phone.label.text = "What is their mobile phone number?"
        # Only the question on the page is checked (and shown in the error summary).
        del self[("phone" if method == "email" else "email")]

    def validate_email(self, field: StringField) -> None:
        try:
            validate_email(field.data, own=self.own)
        except InvalidInput as error:
            raise ValidationError(error.errors[0].message) from None

    def validate_phone(self, field: StringField) -> None:
        try:
            validate_uk_phone(field.data, own=self.own)
        except InvalidInput as error:
            raise ValidationError(error.errors[0].message) from None


class AccessNeedsForm(FlaskForm):
    """Question page: anything that would help the resident take part (optional)."""

    access_needs = StringField(
        "Is there anything we can do to help you take part? (optional)",
        widget=GovCharacterCount(),
        validators=[Length(max=500, message="Access needs must be 500 characters or less")],
        description=(
            "For example, step-free access, a hearing loop, large print or a quiet seat. "
            "Only tell us what helps you take part."
        ),
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class CheckAnswersForm(FlaskForm):
    """The check answers page: it carries the one-time token so a resubmission books nothing new."""

    idempotency_key = HiddenField()
    submit = SubmitField("Book place", widget=GovSubmitInput())


# --- champions ---------------------------------------------------------------------------------


class ChampionForm(FlaskForm):
    """Add or edit a Digital Champion."""

    full_name = _text(
        "Full name", Domain(lambda text: validate_full_name(text, own=False), skip_blank=False)
    )
    kind = GovRadioField(
        "Staff or volunteer",
        invalid="Select whether the champion is staff or a volunteer",
        choices=_labels(CHAMPION_KIND_LABELS),
        validators=[Required("Select whether the champion is staff or a volunteer")],
    )
    email = _text(
        "Email address (optional)",
        Domain(lambda text: validate_email(text, own=False)),
    )
    phone = _text(
        "Phone number (optional)",
        Domain(lambda text: validate_uk_phone(text, mobile_only=False, own=False)),
    )
    languages = _text(
        "Languages they speak",
        Required("Enter at least one language the champion speaks"),
        description="Separate languages with commas, for example English, Punjabi.",
    )
    skill_areas = GovCheckboxesField(
        "Skill areas they can teach (optional)",
        invalid="Select skill areas from the list",
        choices=_labels(TOPIC_LABELS),
    )
    home_venue_id = GovSelectField("Home venue (optional)", invalid="Select a venue from the list")
    ward_code = GovSelectField("Ward they cover (optional)", invalid="Select a ward from the list")
    availability = StringField(
        "When they are available (optional)",
        widget=GovTextArea(),
        validators=[Length(max=500, message="Availability must be 500 characters or less")],
        description="For example, Tuesday and Thursday mornings.",
    )
    dbs_checked_on = GovDateField(
        "Date of their DBS check (optional)",
        noun="The date of the DBS check",
        description="For example, 27 3 2025.",
    )
    dbs_expires_on = GovDateField(
        "When the DBS check should be renewed (optional)",
        noun="The DBS renewal date",
        description="Leave blank to renew 3 years after the check.",
    )
    user_id = GovSelectField(
        "Staff account they sign in with (optional)",
        invalid="Select a staff account from the list",
        description="Link an account so the champion can log the help they give.",
    )
    active = BooleanField("This champion is active", widget=GovCheckboxInput(), default=True)
    submit = SubmitField("Save champion", widget=GovSubmitInput())

    def language_list(self) -> tuple[str, ...]:
        """The languages typed, split on commas."""
        return tuple(
            part.strip() for part in (self.languages.data or "").split(",") if part.strip()
        )


class TrainingForm(FlaskForm):
    """Record one training module a champion completed."""

    module = GovRadioField(
        "Training module",
        invalid="Select a training module",
        choices=_labels(TRAINING_MODULE_LABELS),
        validators=[Required("Select a training module")],
    )
    completed_on = GovDateField(
        "Date they completed it",
        noun="The date they completed it",
        description="For example, 27 3 2025.",
        validators=[Required("Enter the date they completed it")],
    )
    submit = SubmitField("Record training", widget=GovSubmitInput())


class ChampionFilterForm(FlaskForm):
    """Filters on the list of champions (GET)."""

    class Meta:
        csrf = False

    kind = GovSelectField(
        "Staff or volunteer",
        invalid="Select from the list",
        choices=[("", "All"), *_labels(CHAMPION_KIND_LABELS)],
    )
    skill = GovSelectField(
        "Skill area", invalid="Select from the list", choices=[("", "Any"), *_labels(TOPIC_LABELS)]
    )
    venue = GovSelectField("Home venue", invalid="Select from the list")
    language = _text("Language", Length(max=40, message="Language must be 40 characters or less"))
    status = GovSelectField(
        "Status",
        invalid="Select from the list",
        choices=[("active", "Active"), ("inactive", "Not active"), ("all", "All")],
    )
    submit = SubmitField("Filter", widget=GovSubmitInput())


# --- venues ------------------------------------------------------------------------------------


class VenueForm(FlaskForm):
    """Add or edit a venue; opening hours are one text box per weekday."""

    name = _text("Name of the venue", Required("Enter the name of the venue"))
    address = StringField(
        "Address (optional)",
        widget=GovTextArea(),
        validators=[Length(max=500, message="Address must be 500 characters or less")],
    )
    postcode = _text("Postcode (optional)")
    place_id = GovSelectField(
        "Same place as on the planners' map (optional)",
        invalid="Select a place from the list",
        description="Choose the place to copy its position and ward, so residents see walking times.",
    )
    latitude = _text("Latitude (optional)", description="WGS84 degrees, for example 51.4686.")
    longitude = _text("Longitude (optional)", description="WGS84 degrees, for example -0.3674.")
    ward_code = GovSelectField("Ward (optional)", invalid="Select a ward from the list")
    accessibility = GovCheckboxesField(
        "Accessibility",
        invalid="Select from the list",
        choices=[
            ("step_free_access", "Step-free access"),
            ("hearing_loop", "Hearing loop"),
            ("accessible_toilet", "Accessible toilet"),
        ],
    )
    accessibility_notes = StringField(
        "Other accessibility information (optional)",
        widget=GovTextArea(),
        validators=[
            Length(max=500, message="Accessibility information must be 500 characters or less")
        ],
    )
    public_wifi = BooleanField("Free public Wi-Fi", widget=GovCheckboxInput())
    devices_available = _text(
        "Devices residents can use (optional)",
        WholeNumber("Number of devices", minimum=0, maximum=1000, example=6),
        description="Laptops, tablets or computers residents can use during a session.",
    )
    devices_notes = _text(
        "About the devices (optional)",
        Length(max=500, message="Devices must be 500 characters or less"),
    )
    contact_phone = _text("Phone number (optional)")
    closed = BooleanField("The venue is closed until further notice", widget=GovCheckboxInput())
    submit = SubmitField("Save venue", widget=GovSubmitInput())

    def validate_latitude(self, field: StringField) -> None:
        _decimal(field, "Latitude")

    def validate_longitude(self, field: StringField) -> None:
        _decimal(field, "Longitude")

    def hours_fields(self) -> list[Field]:
        """The seven opening-hours fields, Monday first."""
        return [getattr(self, f"hours_{day}") for day in range(7)]

    def opening_hours(self) -> list[tuple[int, Any, Any]]:
        """(weekday, opens, closes) for every interval typed (fields already validated)."""
        intervals = []
        for day, field in enumerate(self.hours_fields()):
            for opens, closes in parse_opening_day(field.data):
                intervals.append((day, opens, closes))
        return intervals


def _check_hours(form: FlaskForm, field: Field) -> None:
    try:
        parse_opening_day(field.data)
    except ValueError as error:
        raise ValidationError(str(error)) from None


def _decimal(field: StringField, noun: str) -> None:
    text = (field.data or "").strip()
    if not text:
        return
    try:
        float(text)
    except ValueError:
        raise ValidationError(f"{noun} must be a number, like 51.4686") from None


for _day, _name in enumerate(WEEKDAY_NAMES):
    setattr(
        VenueForm,
        f"hours_{_day}",
        StringField(
            _name,
            widget=GovTextInput(),
            validators=[
                _check_hours,
                Length(max=100, message="Opening hours must be 100 characters or less"),
            ],
        ),
    )


class ClosureForm(FlaskForm):
    """Days a venue is shut."""

    starts_on = GovDateField(
        "First day closed",
        noun="The first day",
        description="For example, 24 12 2026.",
        validators=[Required("Enter the first day the venue is closed")],
    )
    ends_on = GovDateField(
        "Last day closed",
        noun="The last day",
        description="The same as the first day if it is closed for one day.",
        validators=[Required("Enter the last day the venue is closed")],
    )
    reason = _text(
        "Reason (optional)", Length(max=200, message="Reason must be 200 characters or less")
    )
    submit = SubmitField("Add closure", widget=GovSubmitInput())


# --- training sessions ----------------------------------------------------------------------


class _SessionFields(FlaskForm):
    title = _text(
        "Title (optional)",
        Length(max=120, message="Title must be 120 characters or less"),
        description="Leave blank to use the topic, for example “Using the NHS App”.",
    )
    topic = GovSelectField(
        "Topic",
        invalid="Select a topic",
        choices=[("", "Choose a topic"), *_labels(TOPIC_LABELS)],
        validators=[Required("Select a topic")],
    )
    level = GovRadioField(
        "Level",
        invalid="Select a level",
        choices=_labels(LEVEL_LABELS),
        default="beginner",
        validators=[Required("Select a level")],
    )
    language = _text(
        "Language it is taught in",
        Required("Enter the language the session is taught in"),
        Length(max=40, message="Language must be 40 characters or less"),
        description="For example, English.",
    )
    venue_id = GovSelectField(
        "Venue", invalid="Select a venue from the list", validators=[Required("Select a venue")]
    )
    capacity = _text(
        "Number of places",
        Required("Enter the number of places"),
        WholeNumber("Number of places", minimum=1, maximum=MAX_CAPACITY, example=12),
    )
    description = StringField(
        "Description for residents (optional)",
        widget=GovTextArea(),
        validators=[Length(max=2000, message="Description must be 2000 characters or less")],
    )
    champion_ids = GovCheckboxesField(
        "Champions running it (optional)", invalid="Select active champions from the list"
    )


class SessionForm(_SessionFields):
    """Schedule or change one session."""

    starts_on = GovDateField(
        "Date",
        noun="The date",
        description="For example, 6 10 2026.",
        validators=[Required("Enter the date of the session")],
    )
    starts_at = _text(
        "Start time",
        Required("Enter the start time"),
        ClockTime("start time"),
        description="For example, 10am or 2:30pm.",
    )
    ends_at = _text(
        "End time",
        Required("Enter the end time"),
        ClockTime("end time"),
        description="For example, midday or 4pm.",
    )
    submit = SubmitField("Save session", widget=GovSubmitInput())


class SeriesForm(_SessionFields):
    """Schedule a repeating session."""

    first_starts_on = GovDateField(
        "Date of the first session",
        noun="The date of the first session",
        description="For example, 6 10 2026.",
        validators=[Required("Enter the date of the first session")],
    )
    first_starts_at = _text(
        "Start time",
        Required("Enter the start time"),
        ClockTime("start time"),
        description="For example, 10am or 2:30pm.",
    )
    duration_min = _text(
        "Length in minutes",
        Required("Enter how long each session lasts"),
        WholeNumber("Length", minimum=1, maximum=MAX_SESSION_MIN, example=90),
        description="For example, 90 for an hour and a half.",
    )
    frequency = GovRadioField(
        "How often",
        invalid="Select how often the session repeats",
        choices=_labels(FREQUENCY_LABELS),
        validators=[Required("Select how often the session repeats")],
    )
    occurrences = _text(
        "Number of sessions (optional)",
        WholeNumber("Number of sessions", minimum=1, maximum=MAX_SERIES_OCCURRENCES, example=6),
        description="Or give the date of the last session instead.",
    )
    until_on = GovDateField(
        "Date of the last session (optional)", noun="The date of the last session"
    )
    submit = SubmitField("Create series", widget=GovSubmitInput())


class CancelSessionForm(FlaskForm):
    """Cancel a session: everyone booked or waiting is told, with the reason."""

    reason = StringField(
        "Why is the session cancelled?",
        widget=GovTextArea(),
        validators=[
            Required("Enter why the session is cancelled"),
            Length(max=500, message="Reason must be 500 characters or less"),
        ],
        description="Residents are told this in their message, so write it for them.",
    )
    submit = SubmitField("Cancel session and tell everyone", widget=GovSubmitInput())


class AttendanceForm(FlaskForm):
    """Who came: every booked place not ticked is counted as a no-show."""

    attended = GovCheckboxesField("Who came?", invalid="Select people from the list of bookings")
    submit = SubmitField("Save attendance", widget=GovSubmitInput())


class SessionFilterForm(FlaskForm):
    """Filters on the sessions list (GET)."""

    class Meta:
        csrf = False

    period = GovSelectField(
        "Sessions",
        invalid="Select from the list",
        choices=[("upcoming", "Upcoming"), ("past", "Past"), ("cancelled", "Cancelled")],
    )
    venue = GovSelectField("Venue", invalid="Select from the list")
    topic = GovSelectField(
        "Topic", invalid="Select from the list", choices=[("", "Any"), *_labels(TOPIC_LABELS)]
    )
    submit = SubmitField("Filter", widget=GovSubmitInput())


# --- support logs --------------------------------------------------------------------------------


class SupportLogForm(FlaskForm):
    """Log help given to residents, quick to fill in on a phone."""

    champion_id = GovSelectField(
        "Champion who gave the help", invalid="Select a champion from the list"
    )
    occurred_on = GovDateField(
        "Date",
        noun="The date",
        description="For example, 27 3 2026.",
        validators=[Required("Enter the date you gave the help")],
    )
    place = GovRadioField(
        "Where did you help?",
        invalid="Select where the help was given",
        choices=_labels(PLACE_LABELS),
        validators=[Required("Select where the help was given")],
    )
    venue_id = GovSelectField(
        "Venue (if you helped at a venue)", invalid="Select a venue from the list"
    )
    kind = GovRadioField(
        "Who did you help?",
        invalid="Select whether you helped one resident or a group",
        choices=_labels(SUPPORT_KIND_LABELS),
        default="individual",
        validators=[Required("Select whether you helped one resident or a group")],
    )
    headcount = _text(
        "How many people? (for a group)",
        WholeNumber("Number of people", minimum=2, maximum=MAX_GROUP_SIZE, example=6),
    )
    duration_min = _text(
        "How long, in minutes?",
        Required("Enter how long you helped, in minutes"),
        WholeNumber("Time", minimum=1, maximum=MAX_SUPPORT_MIN, example=30),
        description="For example, 30.",
    )
    topics = GovCheckboxesField(
        "What did you help with?",
        invalid="Select topics from the list",
        choices=_labels(TOPIC_LABELS),
        validators=[Required("Select at least one topic")],
    )
    outcome = GovRadioField(
        "What happens next?",
        invalid="Select what happens next for the resident",
        choices=_labels(OUTCOME_LABELS),
        validators=[Required("Select what happens next for the resident")],
    )
    referred_to = _text(
        "Organisation they were referred to (optional)",
        Length(max=200, message="Organisation must be 200 characters or less"),
    )
    age_band = GovRadioField(
        "Age (optional)", invalid="Select an age band", choices=_labels(AGE_BAND_LABELS)
    )
    persona_code = GovRadioField(
        "Which best describes them? (optional)", invalid="Select a persona from the list"
    )
    ward_code = GovSelectField(
        "Ward where they live (optional)",
        invalid="Select a ward from the list",
        description="If you leave this blank for help at a venue, the venue’s ward is used.",
    )
    consent_given = BooleanField(
        "The resident agreed to us keeping their name and contact details",
        widget=GovCheckboxInput(),
    )
    resident_name = _text(
        "Their name (optional)", Length(max=200, message="Name must be 200 characters or less")
    )
    resident_contact = _text(
        "Their phone number or email address (only if they agreed)",
        Length(max=200, message="Contact details must be 200 characters or less"),
    )
    submit = SubmitField("Save", widget=GovSubmitInput())


# --- reports -------------------------------------------------------------------------------------


class ReportForm(FlaskForm):
    """Date range and grouping of the champions report (GET)."""

    class Meta:
        csrf = False

    date_from = GovDateField("From", noun="The start date", description="For example, 1 4 2026.")
    date_to = GovDateField("To", noun="The end date", description="For example, 31 3 2027.")
    by = GovRadioField(
        "Show figures by",
        invalid="Select how to group the figures",
        choices=[("champion", "Champion"), ("venue", "Venue"), ("ward", "Ward")],
        default="ward",
    )
    submit = SubmitField("Show report", widget=GovSubmitInput())

    def validate_date_to(self, field: GovDateField) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The end date must be the same as or after the start date")


__all__ = [
    "AccessNeedsForm",
    "AttendanceForm",
    "CancelSessionForm",
    "ChampionFilterForm",
    "ChampionForm",
    "CheckAnswersForm",
    "ClosureForm",
    "ContactDetailsForm",
    "ContactMethodForm",
    "FindSessionsForm",
    "NameForm",
    "ReportForm",
    "SeriesForm",
    "SessionFilterForm",
    "SessionForm",
    "SupportLogForm",
    "TrainingForm",
    "VenueForm",
    "apply_invalid_input",
]
