"""Calendar files (.ics, RFC 5545) for a resident's booking.

Times are written in UTC (``DTSTART:20271026T090000Z``) rather than with a ``TZID``: every
calendar program shows UTC times in the reader's own zone, and no ``VTIMEZONE`` block is needed
(icalendar's Europe/London one lists every change from 1970 to 2038).  The event ``UID`` is
stable per booking, and ``SEQUENCE`` follows the session's ``revision``, so a file downloaded
after the time changes, or after a cancellation (``METHOD:CANCEL``, ``STATUS:CANCELLED``),
replaces the event already in the calendar.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from icalendar import Calendar, Event

from champions.bookings import session_title
from champions.models import Booking
from champions.references import format_reference

PRODUCT_ID: Final = "-//Digital Inclusion Planner//Champions bookings//EN"
MEDIA_TYPE: Final = "text/calendar; charset=utf-8"


def ics_for_booking(
    booking: Booking, *, now: datetime, uid_domain: str = "digital-inclusion-planner.invalid"
) -> str:
    """Return the text of an .ics file with one event for ``booking``'s session.

    Parameters
    ----------
    booking:
        The booking; its session and venue are read through its relationships.
    now:
        The ``DTSTAMP`` of the file (aware datetime).
    uid_domain:
        The right-hand side of the event ``UID`` (use the service's own domain).

    Returns
    -------
    str
        iCalendar text with CRLF line endings; serve it as ``MEDIA_TYPE``.  Confirmed (or
        attended) bookings give ``STATUS:CONFIRMED``; waiting or offered ones ``TENTATIVE``;
        cancelled or expired bookings, and cancelled sessions, a ``METHOD:CANCEL`` file.
    """
    training_session = booking.training_session
    venue = training_session.venue
    cancelled = booking.status in ("cancelled", "expired") or training_session.status == "cancelled"
    if cancelled:
        status = "CANCELLED"
    elif booking.status in ("waiting", "offered"):
        status = "TENTATIVE"
    else:
        status = "CONFIRMED"

    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")

    event = Event()
    event.add("uid", f"booking-{booking.reference.lower()}@{uid_domain}")
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", training_session.starts_at.astimezone(UTC))
    event.add("dtend", training_session.ends_at.astimezone(UTC))
    event.add("summary", session_title(training_session))
    event.add(
        "location", ", ".join(part for part in (venue.name, venue.address, venue.postcode) if part)
    )
    if venue.latitude is not None and venue.longitude is not None:
        event.add("geo", (venue.latitude, venue.longitude))
    # Reference only: access needs and other personal details stay out of calendars.
    event.add("description", f"Booking reference: {format_reference(booking.reference)}")
    event.add("status", status)
    event.add("sequence", training_session.revision + (1 if cancelled else 0))
    event.add("transp", "OPAQUE")
    calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")


def ics_filename(booking: Booking) -> str:
    """A download name for the booking's calendar file, such as ``session-K7QW3MZA.ics``."""
    return f"session-{booking.reference}.ics"


__all__ = ["MEDIA_TYPE", "PRODUCT_ID", "ics_filename", "ics_for_booking"]
