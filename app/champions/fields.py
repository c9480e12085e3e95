"""Form fields and validators with GOV.UK wording, shared by the champions forms.

WTForms' own messages ("Not a valid integer value") and its ``required`` HTML attribute do not
meet the GOV.UK Design System, so these replace them: errors are written per field, and no
validator sets the ``required`` flag (browsers would otherwise show their own, inaccessible
messages before ours).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, time
from typing import Any, ClassVar

from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovDateInput, GovRadioInput
from wtforms import DateField, Field, Form
from wtforms.validators import StopValidation, ValidationError

from champions.errors import InvalidInput


class _KeepLegend:
    """Keep the field's label as the fieldset legend when a template passes legend classes.

    govuk-frontend-wtf only sets the legend when the template passes no ``fieldset`` at all, so
    ``params={'fieldset': {'legend': {'classes': ...}}}`` would leave a fieldset without a legend.
    """

    def map_gov_params(self, field: Field, **kwargs: Any) -> dict[str, Any]:
        params: dict[str, Any] = super().map_gov_params(field, **kwargs)  # type: ignore[misc]
        legend = params.setdefault("fieldset", {}).setdefault("legend", {})
        legend.setdefault("text", field.label.text)
        return params


class RadiosWidget(_KeepLegend, GovRadioInput):
    """GOV.UK radios whose legend is always the field's label (unless given)."""


class CheckboxesWidget(_KeepLegend, GovCheckboxesInput):
    """GOV.UK checkboxes whose legend is always the field's label (unless given)."""


class DateWidget(_KeepLegend, GovDateInput):
    """GOV.UK date input whose legend is always the field's label (unless given)."""


class Required:
    """Refuse an empty answer with ``message`` (without the HTML ``required`` attribute)."""

    field_flags: ClassVar[dict[str, Any]] = {}

    def __init__(self, message: str) -> None:
        self.message = message

    def __call__(self, form: Form, field: Field) -> None:
        if field.errors:
            raise StopValidation()  # a problem reading the answer is already shown
        data = field.data
        empty = (
            data is None
            or (isinstance(data, str) and not data.strip())
            or (isinstance(data, list | tuple) and not data)
        )
        if empty:
            field.errors = []
            raise StopValidation(self.message)


class Domain:
    """Run a validator of ``champions.rules`` and show its message on this field."""

    field_flags: ClassVar[dict[str, Any]] = {}

    def __init__(self, check: Callable[[Any], object], *, skip_blank: bool = True) -> None:
        self.check = check
        self.skip_blank = skip_blank

    def __call__(self, form: Form, field: Field) -> None:
        if self.skip_blank and not (field.data or "").strip():
            return
        try:
            self.check(field.data)
        except InvalidInput as error:
            raise ValidationError(error.errors[0].message) from None


class WholeNumber:
    """Check the answer is a whole number between ``minimum`` and ``maximum`` (blank is allowed)."""

    field_flags: ClassVar[dict[str, Any]] = {}

    def __init__(self, noun: str, *, minimum: int, maximum: int, example: int) -> None:
        self.noun, self.minimum, self.maximum, self.example = noun, minimum, maximum, example

    def __call__(self, form: Form, field: Field) -> None:
        text = (field.data or "").strip().replace(",", "")
        if not text:
            return
        if not re.fullmatch(r"-?\d+", text):
            raise ValidationError(f"{self.noun} must be a number, like {self.example}")
        value = int(text)
        if not self.minimum <= value <= self.maximum:
            raise ValidationError(
                f"{self.noun} must be between {self.minimum:,} and {self.maximum:,}"
            )


def whole_number(field: Field) -> int | None:
    """The whole number typed in a field checked by ``WholeNumber`` (``None`` when blank)."""
    text = (field.data or "").strip().replace(",", "")
    return int(text) if text else None


def decimal_number(text: str | None) -> float | None:
    """A decimal number typed by a person, or ``None`` when blank; raises ``ValueError``."""
    cleaned = (text or "").strip()
    return float(cleaned) if cleaned else None


class GovDateField(DateField):
    """A GOV.UK date input (day, month, year) with the Design System's error messages."""

    def __init__(self, label: str, *, noun: str, **kwargs: Any) -> None:
        kwargs.setdefault("widget", DateWidget())
        kwargs.setdefault("format", "%d %m %Y")
        super().__init__(label, **kwargs)
        self.noun = noun

    def process_formdata(self, valuelist: Sequence[str]) -> None:
        if not valuelist:
            # The GOV.UK widget reads three raw values or none at all.
            self.raw_data = None
            return
        parts = [str(value).strip() for value in list(valuelist)[:3]]
        parts += [""] * (3 - len(parts))
        self.raw_data = list(parts)
        self.data = None
        if not any(parts):
            return
        missing = [
            name for name, value in zip(("day", "month", "year"), parts, strict=True) if not value
        ]
        if missing:
            raise ValueError(f"{self.noun} must include a {' and a '.join(missing)}")
        if not all(part.isdigit() for part in parts):
            raise ValueError(f"{self.noun} must be a real date")
        day, month, year = (int(part) for part in parts)
        if len(parts[2]) != 4:
            raise ValueError("Year must include 4 numbers")
        try:
            self.data = date(year, month, day)
        except ValueError:
            raise ValueError(f"{self.noun} must be a real date") from None


_CLOCK = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?$")


def parse_clock(text: str | None) -> time | None:
    """Read a time of day as people write it: ``10am``, ``2:30pm``, ``14:30``, ``midday``.

    Returns ``None`` when the text is not a time.
    """
    cleaned = " ".join((text or "").strip().lower().split())
    if cleaned in {"midday", "noon", "12 noon", "12noon"}:
        return time(12, 0)
    if cleaned == "midnight":
        return time(0, 0)
    match = _CLOCK.match(cleaned)
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    suffix = (match.group(3) or "").replace(".", "")
    if suffix:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return time(hour, minute)


class ClockTime:
    """Check the answer is a time of day (see ``parse_clock``); blank is allowed."""

    field_flags: ClassVar[dict[str, Any]] = {}

    def __init__(self, noun: str) -> None:
        self.noun = noun

    def __call__(self, form: Form, field: Field) -> None:
        if (field.data or "").strip() and parse_clock(field.data) is None:
            raise ValidationError(
                f"Enter the {self.noun} in the correct format, like 10am or 2:30pm"
            )


_RANGE_SPLIT = re.compile(r"\s*(?:,|;|\band\b|&)\s*")
_RANGE = re.compile(r"^(.+?)\s*(?:to|until|till|-|–|—)\s*(.+)$")


def parse_opening_day(text: str | None) -> list[tuple[time, time]]:
    """Read one day's opening hours: ``9am to 5pm``, ``9am to 1pm and 2pm to 5pm``, ``09:00-17:00``.

    Blank text means closed all day.  Raises ``ValueError`` with a message for a person.
    """
    cleaned = (text or "").strip().lower()
    if not cleaned or cleaned in {"closed", "shut", "none"}:
        return []
    intervals = []
    for part in _RANGE_SPLIT.split(cleaned):
        if not part:
            continue
        match = _RANGE.match(part)
        opens = parse_clock(match.group(1)) if match else None
        closes = parse_clock(match.group(2)) if match else None
        if opens is None or closes is None:
            raise ValueError(
                "Enter opening hours like 9am to 5pm, or leave the day blank if closed"
            )
        if closes == time(0, 0):
            closes = time(23, 59)
        intervals.append((opens, closes))
    return intervals
