"""Route examples of the place model pages."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.places.models import Area
from tests.route_examples import example


@example("places.ward_access")
def _ward_access(session: Session) -> dict[str, str]:
    code = session.scalars(select(Area.code).where(Area.kind == "ward")).first()
    return {"ward_code": code or "E05999999"}
