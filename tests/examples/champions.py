"""Route examples of the champions pages: a real venue, session, booking, champion and log."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from champions.commands import SupportLogDetails
from champions.services import log_support
from core.clock import now_utc, today_london
from tests.app.champions.support import book, make_champion, make_session, make_venue
from tests.route_examples import example


def _session(session: Session) -> dict[str, str]:
    return {"public_id": make_session(session).public_id}


for _endpoint in (
    "champions_public.session_detail",
    "champions_public.book_start",
    "champions_public.book_name",
    "champions_public.book_contact",
    "champions_public.book_contact_details",
    "champions_public.book_access_needs",
    "champions_public.book_check",
    "champions_public.book_confirmation",
    "champions_public.book_calendar",
    "champions.session_detail",
    "champions.edit_session",
    "champions.cancel_session",
    "champions.attendance",
    "champions.book_start",
    "champions.book_name",
    "champions.book_contact",
    "champions.book_contact_details",
    "champions.book_access_needs",
    "champions.book_check",
    "champions.book_confirmation",
    "champions.book_calendar",
):
    example(_endpoint)(_session)


def _booking_link(session: Session) -> dict[str, str]:
    result = book(session, make_session(session))
    return {"reference": result.reference, "token": str(result.cancel_token)}


for _endpoint in (
    "champions_public.manage_booking",
    "champions_public.cancel_booking",
    "champions_public.accept_offer",
    "champions_public.booking_calendar",
):
    example(_endpoint)(_booking_link)


@example("champions.cancel_booking")
def _staff_cancel(session: Session) -> dict[str, str]:
    training_session = make_session(session)
    result = book(session, training_session)
    return {"public_id": training_session.public_id, "reference": result.reference}


def _venue(session: Session) -> dict[str, str]:
    return {"public_id": make_venue(session).public_id}


for _endpoint in ("champions.venue", "champions.edit_venue", "champions.add_closure"):
    example(_endpoint)(_venue)


def _champion(session: Session) -> dict[str, str]:
    return {"public_id": make_champion(session).public_id}


for _endpoint in ("champions.champion", "champions.edit_champion", "champions.record_training"):
    example(_endpoint)(_champion)


def _support_log(session: Session) -> dict[str, str]:
    log = log_support(
        session,
        SupportLogDetails(
            occurred_on=today_london() - timedelta(days=1),
            place="phone",
            duration_min=30,
            topics=("scams_and_safety",),
            outcome="no_further_help",
            consent_given=True,
            resident_name="Rita Resident",
            resident_contact="07700 900123",
        ),
        champion_id=make_champion(session).id,
        now=now_utc(),
    )
    return {"public_id": log.public_id}


for _endpoint in ("champions.support_log", "champions.remove_support_identity"):
    example(_endpoint)(_support_log)
