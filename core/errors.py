"""Errors a domain service raises with a message fit for a person."""

from __future__ import annotations


class DomainError(Exception):
    """A rule was broken; ``message`` says what and what to do, ``field`` names the form field.

    Parameters
    ----------
    message:
        A sentence in plain English that can be shown to the user as it is.
    field:
        The name of the form field the message belongs to, or ``None`` for the whole form.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    """The record asked for does not exist (or the caller may not know it exists)."""


class Conflict(DomainError):
    """The action clashes with the current state, for example a place that was just taken."""
