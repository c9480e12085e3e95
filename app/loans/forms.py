"""Forms of the device and data loans pages, with GOV.UK wording and widgets.

Field names are the ``field`` names the ``device_loans`` services put on their errors, so a
``DomainError`` lands on the right field (``apply_error`` renames the few that differ).  No
validator sets the HTML ``required`` flag: browsers would show their own messages before ours.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, ClassVar

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovDateInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    DateField,
    Field,
    Form,
    HiddenField,
    StringField,
    SubmitField,
)
from wtforms.validators import Length, StopValidation, ValidationError

from app.forms import (
    CheckboxesChoice,
    RadioChoice,
    SelectChoice,
    apply_domain_error,
)
from core.errors import DomainError
from device_loans.config import DEVICE_KIND_LABELS, DEVICE_KINDS
from device_loans.rules import CONDITIONS, SOURCES, WIPE_METHODS

Choices = list[tuple[str, str]]

YES_NO: Choices = [("yes", "Yes"), ("no", "No")]
NEED_CHOICES: Choices = [
    ("device", "A device, like a tablet, laptop or smartphone"),
    ("data", "Data, like a SIM card or a Mi-Fi unit"),
    ("both", "Both a device and data"),
]
CONDITION_LABELS: Mapping[str, str] = {
    "new": "New",
    "good": "Good: works well, light marks at most",
    "fair": "Fair: works, with wear or small faults",
    "poor": "Poor: works, with faults that get in the way",
    "broken": "Broken: does not work",
}
SOURCE_LABELS: Mapping[str, str] = {
    "purchased": "Bought new by the council",
    "donated": "Donated",
    "recycled": "Recycled or refurbished",
}
CONTACT_CHOICES: Choices = [
    ("email", "Email"),
    ("sms", "Text message"),
    ("phone", "Phone call"),
]


# --- validators and fields that speak GOV.UK ---------------------------------------------------


class Required:
    """Refuse an empty answer with ``message`` (without setting the HTML ``required`` flag)."""

    field_flags: ClassVar[dict[str, Any]] = {}

    def __init__(self, message: str) -> None:
        self.message = message

    def __call__(self, form: Form, field: Field) -> None:
        if field.errors:
            raise StopValidation()  # a problem reading the answer is already shown
        data = field.data
        if (
            data is None
            or data is False
            or (isinstance(data, str) and not data.strip())
            or (isinstance(data, list | tuple) and not data)
        ):
            field.errors = []
            raise StopValidation(self.message)


class WholeNumber:
    """Check the answer is a whole number from ``minimum`` to ``maximum`` (blank is allowed)."""

    field_flags: ClassVar[dict[str, Any]] = {}

    def __init__(
        self, noun: str, *, minimum: int, maximum: int, example: int, unit: str = ""
    ) -> None:
        self.noun, self.minimum, self.maximum, self.example = noun, minimum, maximum, example
        self.unit = unit

    def __call__(self, form: Form, field: Field) -> None:
        text = (field.data or "").strip().replace(",", "")
        if not text:
            return
        if not re.fullmatch(r"-?\d+", text):
            raise ValidationError(f"{self.noun} must be a whole number, like {self.example}")
        if not self.minimum <= int(text) <= self.maximum:
            raise ValidationError(
                f"{self.noun} must be between {self.minimum:,} and {self.maximum:,}{self.unit}"
            )


class Decimal:
    """Check the answer is a number from 0 to ``maximum`` (blank is allowed)."""

    field_flags: ClassVar[dict[str, Any]] = {}

    def __init__(self, noun: str, *, maximum: float, example: str) -> None:
        self.noun, self.maximum, self.example = noun, maximum, example

    def __call__(self, form: Form, field: Field) -> None:
        text = (field.data or "").strip().replace(",", "")
        if not text:
            return
        try:
            value = float(text)
        except ValueError:
            raise ValidationError(f"{self.noun} must be a number, like {self.example}") from None
        if not 0 <= value <= self.maximum:
            raise ValidationError(f"{self.noun} must be between 0 and {self.maximum:,.0f}")


def decimal_number(field: Field) -> float | None:
    """The number typed in a field checked by ``Decimal`` (``None`` when blank)."""
    text = (field.data or "").strip().replace(",", "")
    return float(text) if text else None


class GovDateField(DateField):
    """A GOV.UK date input (day, month, year) with the Design System's error messages."""

    def __init__(self, label: str, *, noun: str, **kwargs: Any) -> None:
        kwargs.setdefault("widget", GovDateInput())
        kwargs.setdefault("format", "%d %m %Y")
        super().__init__(label, **kwargs)
        self.noun = noun

    def process_formdata(self, valuelist: Sequence[str]) -> None:
        parts = [str(value).strip() for value in list(valuelist)[:3]]
        parts += [""] * (3 - len(parts))
        # The widget shows what was typed in each of the three boxes, even if some were left out.
        self.raw_data = parts
        self.data = None
        if not any(parts):
            return
        names = ("day", "month", "year")
        missing = [name for name, value in zip(names, parts, strict=True) if not value]
        if missing:
            raise ValueError(f"{self.noun} must include a {' and a '.join(missing)}")
        if not all(part.isdigit() for part in parts):
            raise ValueError(f"{self.noun} must be a real date")
        if len(parts[2]) != 4:
            raise ValueError("Year must include 4 numbers")
        day, month, year = (int(part) for part in parts)
        try:
            self.data = date(year, month, day)
        except ValueError:
            raise ValueError(f"{self.noun} must be a real date") from None


def _text(
    label: str, *, required: str | None = None, max_length: int = 200, **kwargs: Any
) -> StringField:
    validators: list[Any] = []
    if required:
        validators.append(Required(required))
    validators.append(
        Length(max=max_length, message=f"{label} must be {max_length} characters or fewer")
    )
    return StringField(label, widget=GovTextInput(), validators=validators, **kwargs)


def _area(
    label: str, *, required: str | None = None, max_length: int = 2000, **kwargs: Any
) -> StringField:
    validators: list[Any] = []
    if required:
        validators.append(Required(required))
    validators.append(
        Length(max=max_length, message=f"{label} must be {max_length:,} characters or fewer")
    )
    return StringField(label, widget=GovTextArea(), validators=validators, **kwargs)


def apply_error(
    form: FlaskForm, error: DomainError, *, renames: Mapping[str, str] | None = None
) -> None:
    """Put a service's error on the form field it names (renamed through ``renames``)."""
    field = (renames or {}).get(error.field or "", error.field)
    apply_domain_error(form, DomainError(error.message, field=field))


def split_tags(text: str | None) -> list[str]:
    """Asset tags typed one per line (or separated by commas or spaces), in order, once each."""
    tags = [part for part in re.split(r"[\s,;]+", text or "") if part]
    return list(dict.fromkeys(tag.upper() for tag in tags))


def yes_no(value: bool | None) -> str | None:
    """A stored yes/no answer as the radio value."""
    return None if value is None else ("yes" if value else "no")


# --- the resident's request (one question per page) ---------------------------------------------


class NeedForm(FlaskForm):
    """What the resident needs to borrow."""

    need = RadioChoice(choices=NEED_CHOICES)
    submit = SubmitField("Continue", widget=GovSubmitInput())


class AgeForm(FlaskForm):
    """The resident's age in years."""

    age = StringField(widget=GovTextInput())
    submit = SubmitField("Continue", widget=GovSubmitInput())


class HasDeviceForm(FlaskForm):
    """Whether the resident has a suitable device at home."""

    has_device = RadioChoice(choices=YES_NO)
    submit = SubmitField("Continue", widget=GovSubmitInput())


class HasConnectionForm(FlaskForm):
    """Whether the resident has an internet connection at home."""

    has_connection = RadioChoice(choices=YES_NO)
    submit = SubmitField("Continue", widget=GovSubmitInput())


class BenefitForm(FlaskForm):
    """Which listed benefit the resident gets, if any."""

    benefit = RadioChoice()
    submit = SubmitField("Continue", widget=GovSubmitInput())


class LowIncomeForm(FlaskForm):
    """Whether the resident's household has a low income."""

    low_income = RadioChoice(choices=YES_NO)
    submit = SubmitField("Continue", widget=GovSubmitInput())


class AboutForm(FlaskForm):
    """Which kind of borrower the resident is (the council's borrower types)."""

    borrower_type = RadioChoice()
    submit = SubmitField("Continue", widget=GovSubmitInput())


class WhereForm(FlaskForm):
    """The resident's postcode and ward."""

    postcode = StringField("Postcode", widget=GovTextInput())
    ward = SelectChoice("Ward")
    submit = SubmitField("Continue", widget=GovSubmitInput())


class NameForm(FlaskForm):
    """The resident's full name."""

    name = StringField(widget=GovTextInput())
    submit = SubmitField("Continue", widget=GovSubmitInput())


class ContactForm(FlaskForm):
    """How to contact the resident: email, text message or a phone call."""

    contact_method = RadioChoice(choices=CONTACT_CHOICES)
    submit = SubmitField("Continue", widget=GovSubmitInput())


class ContactDetailsForm(FlaskForm):
    """The email address or phone number for the chosen way of contact."""

    method = "phone"
    contact = StringField(widget=GovTextInput())
    submit = SubmitField("Continue", widget=GovSubmitInput())


class ReferrerForm(FlaskForm):
    """Which champion is referring the resident (for coordinators taking a request)."""

    referrer = SelectChoice(
        "Who is referring the resident?",
        invalid="Select a champion from the list, or that nobody referred them",
        validators=[Required("Select who is referring the resident")],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class SendRequestForm(FlaskForm):
    """The check answers page: one-time token and the send button."""

    idempotency_key = HiddenField()
    submit = SubmitField("Send request", widget=GovSubmitInput())


# --- inventory and kits -----------------------------------------------------------------------


def kind_choices() -> Choices:
    """Item kinds with their labels."""
    return [(kind, DEVICE_KIND_LABELS[kind]) for kind in DEVICE_KINDS]


class DeviceForm(FlaskForm):
    """Add a device to the inventory (bought, donated or recycled)."""

    asset_tag = _text(
        "Asset tag",
        required="Enter the asset tag on the device’s label",
        max_length=40,
        description="The code on the council’s label, for example DL-0042.",
    )
    kind = SelectChoice(
        "Kind of device",
        choices=[("", "Choose a kind"), *kind_choices()],
        invalid="Select a kind of device from the list",
        validators=[Required("Select what kind of device it is")],
    )
    make = _text("Make", required="Enter the make, for example Lenovo", max_length=80)
    model = _text("Model", required="Enter the model, for example Tab M10", max_length=120)
    serial_number = _text("Serial number (optional)", max_length=120)
    condition = RadioChoice(
        "Condition",
        choices=[(key, CONDITION_LABELS[key]) for key in CONDITIONS],
        invalid="Select the device’s condition",
        validators=[Required("Select the device’s condition")],
    )
    location = _text(
        "Where it is kept",
        required="Enter where the device is kept, for example Central Library",
        max_length=120,
    )
    source = RadioChoice(
        "Where it came from",
        choices=[(key, SOURCE_LABELS[key]) for key in SOURCES],
        invalid="Select where the device came from",
        validators=[Required("Select whether the device was bought, donated or recycled")],
        description="Donated and recycled devices must be wiped before they can be lent.",
    )
    donor = _text("Donor (optional)", max_length=200, description="Who gave it, if it was donated.")
    received_on = GovDateField(
        "Date received",
        noun="The date received",
        validators=[Required("Enter the date the device was received")],
        description="For example, 27 3 2027",
    )
    data_allowance_gb = StringField(
        "Data allowance in GB (SIMs and Mi-Fi only, optional)",
        widget=GovTextInput(),
        validators=[Decimal("The data allowance", maximum=10_000, example="40")],
    )
    data_unlimited = BooleanField("Unlimited data", widget=GovCheckboxInput())
    data_expires_on = GovDateField(
        "Date the data runs out (SIMs and Mi-Fi only, optional)",
        noun="The date the data runs out",
    )
    network = _text("Mobile network (optional)", max_length=40)
    submit = SubmitField("Add device", widget=GovSubmitInput())


class WipeForm(FlaskForm):
    """Record a data wipe with its certificate reference."""

    certificate_ref = _text(
        "Wipe certificate reference",
        required="Enter the wipe certificate reference",
        max_length=120,
        description="From the erasure software’s report or the device management console.",
    )
    method = RadioChoice(
        "How was it wiped?",
        choices=list(WIPE_METHODS.items()),
        invalid="Select how the device was wiped",
        validators=[Required("Select how the device was wiped")],
    )
    wiped_at = GovDateField(
        "Date of the wipe",
        noun="The date of the wipe",
        validators=[Required("Enter the date of the wipe")],
        description="For example, 27 3 2027",
    )
    note = _area("Notes (optional)")
    submit = SubmitField("Record wipe", widget=GovSubmitInput())


class StatusForm(FlaskForm):
    """Move a device along its lifecycle (set up, ready, repair, retire, lost, found)."""

    status = RadioChoice(
        "What has happened to the device?",
        invalid="Select what has happened to the device",
        validators=[Required("Select what has happened to the device")],
    )
    note = _area("Notes (optional)")
    submit = SubmitField("Save", widget=GovSubmitInput())


class ConditionForm(FlaskForm):
    """Record a device's condition and where it is kept after a check."""

    condition = RadioChoice(
        "Condition",
        choices=[(key, CONDITION_LABELS[key]) for key in CONDITIONS],
        invalid="Select the device’s condition",
        validators=[Required("Select the device’s condition")],
    )
    location = _text(
        "Where it is kept",
        required="Enter where the device is kept, for example Central Library",
        max_length=120,
    )
    submit = SubmitField("Save", widget=GovSubmitInput())


class InventoryFilterForm(FlaskForm):
    """Filters of the inventory (read from the query string)."""

    class Meta:
        csrf = False

    kind = SelectChoice("Kind", invalid="Select a kind from the list")
    status = SelectChoice("Status", invalid="Select a status from the list")
    condition = SelectChoice("Condition", invalid="Select a condition from the list")
    location = SelectChoice("Where it is kept", invalid="Select a place from the list")
    submit = SubmitField("Show devices", widget=GovSubmitInput())


class KitForm(FlaskForm):
    """Make a kit from two or more devices, by their asset tags."""

    kit_code = _text(
        "Kit code",
        required="Enter a code for the kit, for example KIT-011",
        max_length=40,
        description="Put the same code on the kit’s bag or box.",
    )
    name = _text(
        "Name",
        required="Enter a name for the kit, for example Tablet, charger and Mi-Fi",
        max_length=120,
    )
    asset_tags = _area(
        "Asset tags of the devices",
        required="Enter the asset tags of at least two devices",
        description="One per line, for example DL-0042.",
    )
    submit = SubmitField("Make kit", widget=GovSubmitInput())


class KitAddForm(FlaskForm):
    """Put one more device in a kit."""

    asset_tag = _text(
        "Asset tag of the device to add",
        required="Enter the asset tag of the device to add",
        max_length=40,
    )
    submit = SubmitField("Add to kit", widget=GovSubmitInput())


class KitRemoveForm(FlaskForm):
    """Take one device out of a kit (a button per device)."""

    device = HiddenField()
    submit = SubmitField("Take out", widget=GovSubmitInput())


# --- requests and loans -----------------------------------------------------------------------

DECISION_LABELS: Mapping[str, str] = {
    "approved": "Approve: an item can be lent",
    "waiting": "Put on the waiting list",
    "declined": "Decline",
    "withdrawn": "Withdrawn: the resident no longer wants it",
}


class DecisionForm(FlaskForm):
    """Approve, wait-list, decline or withdraw a request."""

    decision = RadioChoice(
        "What is your decision?",
        invalid="Select a decision from the list",
        validators=[Required("Select a decision")],
    )
    note = _area(
        "Reason or note",
        description="Required when you decline. The resident may ask to see it.",
    )
    submit = SubmitField("Save decision", widget=GovSubmitInput())

    def validate_note(self, field: Field) -> None:
        if self.decision.data == "declined" and not (field.data or "").strip():
            raise ValidationError("Enter the reason for declining the request")


class ReferenceForm(FlaskForm):
    """Find a request by the reference the resident was given."""

    class Meta:
        csrf = False

    reference = _text(
        "Find a request by its reference",
        required="Enter the request’s reference",
        max_length=80,
    )
    submit = SubmitField("Find request", widget=GovSubmitInput())


class IssueForm(FlaskForm):
    """Lend a device or a kit: the item, the due date and the loan agreement."""

    asset_tag = _text(
        "Asset tag of the device",
        max_length=40,
        description="On the device’s label, for example DL-0042.",
    )
    kit_code = _text(
        "Or the code of the kit",
        max_length=40,
        description="On the kit’s bag or box, for example KIT-003.",
    )
    due_on = GovDateField(
        "Due date (optional)",
        noun="The due date",
        description="Leave blank to use the longest loan the council’s rules allow. "
        "For example, 27 3 2027",
    )
    agreement_version = _text(
        "Version of the loan agreement",
        required="Enter the version of the loan agreement",
        max_length=40,
    )
    agreement_accepted = BooleanField(
        "The borrower has read and accepted the loan agreement",
        widget=GovCheckboxInput(),
        validators=[Required("Confirm the borrower has accepted the loan agreement")],
    )
    condition_notes = _area(
        "Condition when lent (optional)",
        description="Marks, scratches or missing parts, so they are not blamed on the borrower.",
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())

    def validate_asset_tag(self, field: Field) -> None:
        tag = (field.data or "").strip()
        code = (self.kit_code.data or "").strip()
        if not tag and not code:
            raise ValidationError("Enter the asset tag of a device, or the code of a kit")
        if tag and code:
            raise ValidationError("Enter the asset tag of a device or the code of a kit, not both")

    @property
    def item_type(self) -> str:
        """Whether a kit or a device is being lent."""
        return "kit" if (self.kit_code.data or "").strip() else "device"


class IssueConfirmForm(FlaskForm):
    """The confirm page of lending: one-time token and the button."""

    key = HiddenField()
    submit = SubmitField("Lend it now", widget=GovSubmitInput())


def _condition_in() -> RadioChoice:
    return RadioChoice(
        "Condition it came back in",
        choices=[(key, CONDITION_LABELS[key]) for key in CONDITIONS],
        invalid="Select the condition it came back in",
        validators=[Required("Select the condition it came back in")],
    )


def _damaged() -> RadioChoice:
    return RadioChoice(
        "Did it come back damaged?",
        choices=YES_NO,
        invalid="Select yes if it came back damaged",
        validators=[Required("Select yes if it came back damaged")],
    )


class ReturnForm(FlaskForm):
    """Record the return of one loan."""

    condition = _condition_in()
    damaged = _damaged()
    returned_on = GovDateField(
        "Date it came back",
        noun="The return date",
        validators=[Required("Enter the date it came back")],
        description="For example, 27 3 2027",
    )
    missing_asset_tags = CheckboxesChoice(
        "Anything missing?",
        invalid="Select only items from this kit",
        description="Select any item of the kit that did not come back. It will be recorded as lost.",
    )
    note = _area("Notes (optional)")
    submit = SubmitField("Record return", widget=GovSubmitInput())


class ReturnByTagForm(FlaskForm):
    """Record a return by the asset tag on the device handed in."""

    asset_tag = _text(
        "Asset tag of the device handed in",
        required="Enter the asset tag on the device’s label",
        max_length=40,
        description="For a kit, enter the tag of any device in it.",
    )
    condition = _condition_in()
    damaged = _damaged()
    returned_on = GovDateField(
        "Date it came back",
        noun="The return date",
        validators=[Required("Enter the date it came back")],
        description="For example, 27 3 2027",
    )
    missing_asset_tags = _area(
        "Asset tags of anything missing (optional)",
        max_length=500,
        description="For a kit: items that did not come back, one per line.",
    )
    note = _area("Notes (optional)")
    submit = SubmitField("Record return", widget=GovSubmitInput())


class LostForm(FlaskForm):
    """Record that a loan's item is lost."""

    reported_on = GovDateField(
        "Date it was reported lost",
        noun="The date it was reported lost",
        validators=[Required("Enter the date it was reported lost")],
        description="For example, 27 3 2027",
    )
    note = _area("What happened (optional)")
    submit = SubmitField("Record as lost", widget=GovSubmitInput())


REPORT_PERIODS: Choices = [
    ("1", "The last month"),
    ("3", "The last 3 months"),
    ("6", "The last 6 months"),
    ("12", "The last 12 months"),
]


class ReportPeriodForm(FlaskForm):
    """The period the loans reports cover."""

    class Meta:
        csrf = False

    months = SelectChoice("Period", choices=REPORT_PERIODS, invalid="Select a period from the list")
    submit = SubmitField("Show figures", widget=GovSubmitInput())


class ReasonForm(FlaskForm):
    """Anything else the resident wants to tell us (optional)."""

    reason = StringField(
        widget=GovTextArea(),
        validators=[Length(max=1000, message="Your answer must be 1,000 characters or fewer")],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())
