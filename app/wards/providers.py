"""Registers every provider this package knows: the place model's and the optional features'.

Each ``providers_<feature>.py`` module has ``register(app)``; a feature whose code is not
installed is skipped here, and one whose tables are missing is skipped per request by
:func:`app.wards.figures.collect`.
"""

from __future__ import annotations

import importlib
import logging

from flask import Flask

from app.wards.providers_places import register_place_providers

log = logging.getLogger(__name__)

OPTIONAL_FEATURES = ("champions", "loans", "surveys", "coverage")


def register_providers(app: Flask) -> None:
    """Register the place model's providers and those of every optional feature present."""
    register_place_providers(app)
    for feature in OPTIONAL_FEATURES:
        try:
            module = importlib.import_module(f"app.wards.providers_{feature}")
        except ImportError as error:
            log.info("ward figures from %s are not available: %s", feature, error)
            continue
        module.register(app)
