"""Route examples of the coverage pages."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.places.models import Area
from tests.route_examples import example


@example("coverage.ward")
def _ward(session: Session) -> dict[str, str]:
    code = session.scalars(select(Area.code).where(Area.kind == "ward")).first()
    return {"ward_code": code or "E05999999"}


@example("coverage.download")
def _download(session: Session) -> dict[str, str]:
    return {"dataset": "wards", "fmt": "csv"}
