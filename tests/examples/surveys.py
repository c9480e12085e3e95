"""Route examples of the survey pages: a real question, import, response and ward."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.places.models import Area
from core.clock import now_utc
from surveys.models import SurveyImport, SurveyResponse
from surveys.services import AreaContext, import_responses
from tests.route_examples import example
from tests.surveys.factories import csv_bytes, offline_answers


def _stored_import(session: Session) -> SurveyImport:
    found = session.scalars(select(SurveyImport).order_by(SurveyImport.id)).first()
    if found is not None:
        return found
    # One response with a postcode only, so it is valid whatever wards are stored.
    data = csv_bytes([offline_answers(ward_code=None, postcode="TW3 1ES")])
    report = import_responses(
        session,
        data,
        areas=AreaContext(ward_codes=frozenset()),
        now=now_utc(),
        filename="example.csv",
    )
    session.flush()
    return report.batch


@example("survey.question")
def _question(_session: Session) -> dict[str, str]:
    return {"step": "age_band"}


@example("surveys.resident_question")
def _resident_question(_session: Session) -> dict[str, str]:
    return {"step": "age_band"}


@example("surveys.import_result")
def _import_result(session: Session) -> dict[str, str]:
    return {"public_id": _stored_import(session).public_id}


@example("surveys.response")
def _response(session: Session) -> dict[str, str]:
    _stored_import(session)
    public_id = session.scalars(
        select(SurveyResponse.public_id).order_by(SurveyResponse.id)
    ).first()
    assert public_id is not None
    return {"public_id": public_id}


@example("surveys.ward")
def _ward(session: Session) -> dict[str, str]:
    code = session.scalars(select(Area.code).where(Area.kind == "ward").order_by(Area.code)).first()
    return {"ward_code": code or "E05999999"}
