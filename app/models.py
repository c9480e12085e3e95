"""Every table the application stores, imported in one place for Alembic and the tests."""

from __future__ import annotations

import champions.models
import core.audit
import core.outbox
import device_loans.models
from app.auth import models as auth_models
from app.places import models as places_models
from core.db import Base

metadata = Base.metadata

__all__ = ["Base", "auth_models", "champions", "core", "device_loans", "metadata", "places_models"]
