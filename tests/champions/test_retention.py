"""The retention purge erases personal data and keeps every count."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import String, cast, or_, select
from sqlalchemy.orm import Session

from champions.commands import SupportLogDetails
from champions.models import Booking, SupportLog
from champions.reports import attendance_summary, support_totals
from champions.retention import (
    erase_booking_details,
    erase_support_log_identity,
    purge_personal_data,
)
from champions.services import (
    cancel_booking_for_resident,
    find_booking_for_link,
    log_support,
    mark_attendance,
)
from core.errors import Conflict
from core.outbox import OutboxMessage
from tests.champions.factories import NOW, SESSION_START, book, make_champion, make_session


def test_purge_erases_names_and_contacts_and_keeps_the_figures(session: Session) -> None:
    champion = make_champion(session)
    old = make_session(session, capacity=1)
    recent = make_session(session, old.venue, starts_at=SESSION_START + timedelta(days=60))
    came = book(session, old, who="ada.lovelace", access_needs="Wheelchair user")
    book(session, old, who="waiting.person", contact_method="sms", email=None, phone="07911 123456")
    kept = book(session, recent, who="grace.hopper")
    mark_attendance(session, old.id, attended_booking_ids=[came.booking.id], now=old.ends_at)
    old_log = log_support(
        session,
        SupportLogDetails(
            occurred_on=date(2026, 9, 1),
            place="phone",
            duration_min=30,
            topics=("transacting",),
            outcome="no_further_help",
            consent_given=True,
            resident_name="Mary Jones",
            resident_contact="mary@example.com",
        ),
        champion_id=champion.id,
        now=NOW,
    )
    october = {"date_from": date(2026, 10, 1), "date_to": date(2026, 12, 31)}
    before = attendance_summary(session, by="venue", **october)
    logs_before = support_totals(session, date_from=date(2026, 9, 1), date_to=date(2026, 9, 30))

    # 30 days after the old session ended; the recent one (5 December) is still to come.
    now = old.ends_at + timedelta(days=30, seconds=1)
    report = purge_personal_data(session, now=now, retention_days=30)
    assert (report.bookings, report.support_logs) == (2, 1)
    assert report.outbox_messages == 3  # confirmation, reminder, waiting-list message

    session.refresh(came.booking)
    booking = came.booking
    assert (booking.full_name, booking.email, booking.phone, booking.access_needs) == (
        None,
        None,
        None,
        None,
    )
    assert booking.status == "attended"
    assert booking.personal_data_purged_at == now
    assert came.cancel_token
    assert find_booking_for_link(session, reference=came.reference, token=came.cancel_token) is None
    session.refresh(kept.booking)
    assert kept.booking.full_name == "Grace.Hopper"
    session.refresh(old_log)
    assert (old_log.resident_name, old_log.resident_contact) == (None, None)
    assert old_log.consent_recorded_at == NOW  # the fact of consent is not personal data

    # Nothing personal is left anywhere for the purged people.
    for needle in ("ada.lovelace", "Ada.Lovelace", "+447911123456", "Mary Jones", "Wheelchair"):
        assert (
            session.scalar(
                select(Booking.id).where(
                    or_(
                        Booking.full_name.contains(needle),
                        Booking.email.contains(needle),
                        Booking.phone.contains(needle),
                        Booking.access_needs.contains(needle),
                    )
                )
            )
            is None
        )
        assert (
            session.scalar(
                select(OutboxMessage.id).where(
                    or_(
                        OutboxMessage.recipient.contains(needle),
                        cast(OutboxMessage.personalisation, String).contains(needle),
                    )
                )
            )
            is None
        )
        assert (
            session.scalar(
                select(SupportLog.id).where(
                    or_(
                        SupportLog.resident_name.contains(needle),
                        SupportLog.resident_contact.contains(needle),
                    )
                )
            )
            is None
        )

    assert attendance_summary(session, by="venue", **october) == before
    assert support_totals(session, date_from=date(2026, 9, 1), date_to=date(2026, 9, 30)) == (
        logs_before
    )
    again = purge_personal_data(session, now=now, retention_days=30)
    assert (again.bookings, again.support_logs, again.outbox_messages) == (0, 0, 0)


def test_nothing_inside_the_period_is_touched(session: Session) -> None:
    training_session = make_session(session)
    result = book(session, training_session)
    report = purge_personal_data(session, now=training_session.ends_at, retention_days=0)
    assert report.bookings == 0
    session.refresh(result.booking)
    assert result.booking.email is not None


def test_erasure_on_request_needs_the_booking_cancelled_first(session: Session) -> None:
    training_session = make_session(session)
    result = book(session, training_session, who="ada")
    with pytest.raises(Conflict, match="Cancel this booking"):
        erase_booking_details(session, reference=result.reference, now=NOW, actor_id=None)
    cancel_booking_for_resident(session, reference=result.reference, now=NOW, actor_id=None)
    erased = erase_booking_details(session, reference=result.reference, now=NOW, actor_id=None)
    assert (erased.full_name, erased.email, erased.status) == (None, None, "cancelled")
    recipients = session.scalars(
        select(OutboxMessage.recipient).where(OutboxMessage.reference == result.reference)
    ).all()
    assert recipients and set(recipients) == {None}
    assert training_session.booked_count == 0


def test_withdrawn_consent_removes_the_name_from_a_support_log(session: Session) -> None:
    champion = make_champion(session)
    log = log_support(
        session,
        SupportLogDetails(
            occurred_on=date(2026, 9, 30),
            place="phone",
            duration_min=20,
            topics=("communicating",),
            outcome="continues_with_champion",
            consent_given=True,
            resident_name="Mary Jones",
        ),
        champion_id=champion.id,
        now=NOW,
    )
    erase_support_log_identity(session, log.id, now=NOW, actor_id=None)
    assert (log.resident_name, log.consent_recorded_at, log.duration_min) == (None, None, 20)


def test_former_champions_are_erased_a_retention_period_after_they_leave(
    session: Session,
) -> None:
    from champions.commands import ChampionDetails
    from champions.models import Champion
    from champions.retention import FORMER_CHAMPION
    from champions.services import update_champion

    def details(champion: Champion, *, active: bool) -> ChampionDetails:
        return ChampionDetails(
            full_name=champion.full_name,
            kind=champion.kind,
            email=champion.email,
            phone=champion.phone,
            languages=tuple(champion.languages),
            skill_areas=tuple(champion.skill_areas),
            active=active,
        )

    leaver = make_champion(session, full_name="Lena Leaver", phone="07700 900555")
    stayer = make_champion(session, full_name="Sam Stayer")
    returner = make_champion(session, full_name="Rita Returner")
    update_champion(session, leaver.id, details(leaver, active=False), now=NOW)
    assert leaver.left_at == NOW and leaver.phone is not None
    # Editing a former champion keeps the day they left; coming back clears it.
    later = NOW + timedelta(days=30)
    update_champion(session, leaver.id, details(leaver, active=False), now=later)
    assert leaver.left_at == NOW
    update_champion(session, returner.id, details(returner, active=False), now=NOW)
    update_champion(session, returner.id, details(returner, active=True), now=later)
    assert returner.left_at is None

    inside = purge_personal_data(session, now=NOW + timedelta(days=729), retention_days=730)
    assert inside.champions == 0 and leaver.full_name == "Lena Leaver"
    report = purge_personal_data(session, now=NOW + timedelta(days=731), retention_days=730)
    assert report.champions == 1
    assert leaver.full_name == FORMER_CHAMPION
    assert (leaver.email, leaver.phone, leaver.languages) == (None, None, [])
    assert leaver.skill_areas == ["foundation"]  # still counted in reports
    assert stayer.full_name == "Sam Stayer" and returner.full_name == "Rita Returner"
    again = purge_personal_data(session, now=NOW + timedelta(days=732), retention_days=730)
    assert again.champions == 0
