"""Form helpers shared by every blueprint."""

from __future__ import annotations

from flask_wtf import FlaskForm

from core.errors import DomainError


def apply_domain_error(form: FlaskForm, error: DomainError) -> None:
    """Put a service's error message on the form field it names (or the first field)."""
    field = getattr(form, error.field, None) if error.field else None
    if field is None:
        field = next(iter(form))
    field.errors = [*list(field.errors or []), error.message]
