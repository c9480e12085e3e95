"""Example URL values for routes with arguments, used by the role matrix and the browser harness.

A route whose arguments are not listed here is called with placeholder values ("unknown"), which
still proves its access rule (a denied role gets 403 or the sign-in page before any lookup), and
an allowed role gets a 404 page rather than an error.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from sqlalchemy.orm import Session

# endpoint -> function(session) returning URL values for a real record
EXAMPLES: dict[str, Callable[[Session], dict[str, str]]] = {}


def example(
    endpoint: str,
) -> Callable[[Callable[[Session], dict[str, str]]], Callable[[Session], dict[str, str]]]:
    """Register an example-values builder for ``endpoint``."""

    def register(
        builder: Callable[[Session], dict[str, str]],
    ) -> Callable[[Session], dict[str, str]]:
        EXAMPLES[endpoint] = builder
        return builder

    return register


@example("admin.user")
def _admin_user(session: Session) -> dict[str, str]:
    from tests.factories import make_user

    return {"public_id": make_user(session, roles=["planner"]).public_id}


def _load_feature_examples() -> None:
    """Import ``tests/examples/*.py``: each feature adds its own examples there."""
    import importlib
    import pkgutil

    import tests.examples as package

    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"tests.examples.{info.name}")


def url_values(app: Flask, endpoint: str, arguments: set[str], session: Session) -> dict[str, str]:
    """Values for ``endpoint``'s arguments: a real record where registered, else placeholders."""
    if endpoint in EXAMPLES:
        return EXAMPLES[endpoint](session)
    return {name: "unknown" for name in arguments}


_load_feature_examples()
