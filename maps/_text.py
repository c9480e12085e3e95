"""Text helpers shared by the map modules: HTML escaping, number formats and dates."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import date

ValueFormat = str | Callable[[float], str]
"""How a number is written: a ``str.format`` pattern (``"{:,.1f}"``, ``"{:.0%}"``) or a function."""

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def escape_text(value: object) -> str:
    """``value`` as text safe inside HTML (Leaflet writes tooltips and names with innerHTML)."""
    return html.escape(str(value), quote=True)


def format_value(value: float, value_format: ValueFormat) -> str:
    """Write one finite number with ``value_format``.

    Raises
    ------
    ValueError
        If the pattern does not format a number (for example ``"{}%"`` with a name in it).
    """
    if callable(value_format):
        return str(value_format(value))
    try:
        return value_format.format(value)
    except (ValueError, IndexError, KeyError) as error:
        raise ValueError(
            f"value_format {value_format!r} cannot format the number {value!r}: use a pattern "
            "such as '{:,.1f}' or '{:.0%}'"
        ) from error


def check_value_format(value_format: ValueFormat) -> None:
    """Refuse a format that cannot write a number, before any map is built."""
    format_value(1.5, value_format)


def gov_date(day: date) -> str:
    """A date in GOV.UK style: ``3 March 2027``."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"
