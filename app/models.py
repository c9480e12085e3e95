"""Every table the application stores, imported in one place for Alembic and the tests.

Domain packages' tables come from their ``models`` modules; the app's feature packages'
tables from ``app.<package>.models`` wherever such a module exists.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil

import app as app_package
import champions.models
import core.audit
import core.outbox
import device_loans.models
from app.auth import models as auth_models
from core.db import Base

DOMAIN_MODEL_MODULES = ("surveys.models",)

for _name in DOMAIN_MODEL_MODULES:
    if importlib.util.find_spec(_name) is not None:
        importlib.import_module(_name)

for _info in pkgutil.iter_modules(app_package.__path__):
    if _info.ispkg and importlib.util.find_spec(f"app.{_info.name}.models") is not None:
        importlib.import_module(f"app.{_info.name}.models")

metadata = Base.metadata

__all__ = ["Base", "auth_models", "champions", "core", "device_loans", "metadata"]
