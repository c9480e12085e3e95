"""The only module that reads the wall clock.

Everything is stored in UTC; people see Europe/London in GOV.UK date style ("3 March 2027").
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def now_utc() -> datetime:
    """Return the current time as a timezone-aware UTC datetime."""
    return datetime.now(UTC)


def today_london() -> date:
    """Return today's date in Europe/London (the council's calendar day)."""
    return now_utc().astimezone(LONDON).date()


def to_london(moment: datetime) -> datetime:
    """Convert an aware datetime to Europe/London; naive datetimes are taken to be UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LONDON)


def to_utc(moment: datetime) -> datetime:
    """Convert an aware datetime to UTC; naive datetimes are taken to be Europe/London wall time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LONDON)
    return moment.astimezone(UTC)


def govuk_date(day: date | datetime) -> str:
    """Format a date the GOV.UK way, for example ``3 March 2027`` (London time for datetimes)."""
    if isinstance(day, datetime):
        day = to_london(day).date()
    return f"{day.day} {day:%B %Y}"


def govuk_time(moment: datetime) -> str:
    """Format a time the GOV.UK way in London time: ``9am``, ``2:30pm``, ``midday``."""
    local = to_london(moment)
    if local.hour == 12 and local.minute == 0:
        return "midday"
    if local.hour == 0 and local.minute == 0:
        return "midnight"
    hour = local.hour % 12 or 12
    suffix = "am" if local.hour < 12 else "pm"
    return f"{hour}{suffix}" if local.minute == 0 else f"{hour}:{local.minute:02d}{suffix}"


def govuk_datetime(moment: datetime) -> str:
    """Format a datetime as ``3 March 2027 at 2:30pm`` in London time."""
    return f"{govuk_date(moment)} at {govuk_time(moment)}"
