"""Errors of the champions domain; every message can be shown to the person as it is.

Each class is a ``core.errors.DomainError``, so a route can put ``error.message`` on the form
field ``error.field`` without knowing which rule was broken.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.errors import Conflict, DomainError, NotFound


@dataclass(frozen=True)
class FieldError:
    """One problem with one form field: the field name and a GOV.UK-style message."""

    field: str
    message: str


class InvalidInput(DomainError):
    """One or more fields are wrong; ``errors`` lists every problem, in form order.

    ``message`` and ``field`` are those of the first problem, so code that handles a plain
    ``DomainError`` still shows something useful; a form shows all of ``errors`` at once.
    """

    def __init__(self, errors: Sequence[FieldError]) -> None:
        if not errors:
            raise ValueError("InvalidInput needs at least one FieldError")
        super().__init__(errors[0].message, field=errors[0].field)
        self.errors: tuple[FieldError, ...] = tuple(errors)

    @classmethod
    def single(cls, field: str, message: str) -> InvalidInput:
        """Build the error for one field."""
        return cls([FieldError(field, message)])


class BookingNotFound(NotFound):
    """No booking matches the reference and link (the message never says which was wrong)."""


class SessionUnavailable(Conflict):
    """The session was cancelled, has started, or cannot take bookings for another reason."""


class AlreadyBooked(Conflict):
    """This email address or phone number already has a live booking for the session."""


class SessionFull(Conflict):
    """No place is free and the waiting list cannot take anyone else."""


class BookingClosed(Conflict):
    """The booking can no longer be changed: already cancelled, ended, or the session has started."""


class OfferExpired(Conflict):
    """The waiting-list offer ran out before it was accepted."""


class IdempotencyMismatch(Conflict):
    """A form token was reused for a different booking."""


__all__ = [
    "AlreadyBooked",
    "BookingClosed",
    "BookingNotFound",
    "Conflict",
    "DomainError",
    "FieldError",
    "IdempotencyMismatch",
    "InvalidInput",
    "NotFound",
    "OfferExpired",
    "SessionFull",
    "SessionUnavailable",
]
