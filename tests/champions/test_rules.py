"""Pure rules: contact details, DBS and training, venues and sessions, recurrence, distances."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from champions.commands import OpeningInterval, SeriesDetails, SessionDetails, SupportLogDetails
from champions.errors import InvalidInput
from champions.rules import (
    Closure,
    VenueSchedule,
    add_months,
    dbs_due,
    dbs_renewal_date,
    expand_recurrence,
    grid_distance_m,
    haversine_m,
    offer_expires_at,
    opening_hours_problems,
    reminder_send_after,
    series_problems,
    session_problems,
    support_log_problems,
    training_due,
    validate_email,
    validate_full_name,
    validate_uk_phone,
    validate_ward_code,
    venue_problem,
)
from core.clock import LONDON

NOW = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
LIBRARY = VenueSchedule(
    name="Hounslow Library",
    opening_hours=(
        OpeningInterval(1, time(9, 0), time(13, 0)),
        OpeningInterval(1, time(14, 0), time(17, 0)),
        OpeningInterval(5, time(10, 0), time(16, 0)),
    ),
    closures=(Closure(date(2026, 10, 20), date(2026, 10, 21), "staff training"),),
)


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)  # type: ignore[misc]


def details(start: datetime, minutes: int = 90, **overrides: object) -> SessionDetails:
    values: dict[str, object] = {
        "topic": "foundation",
        "venue_id": 1,
        "starts_at": start,
        "ends_at": start + timedelta(minutes=minutes),
        "capacity": 8,
    }
    values.update(overrides)
    return SessionDetails(**values)  # type: ignore[arg-type]


def messages(problems: list) -> dict[str, str]:  # type: ignore[type-arg]
    return {problem.field: problem.message for problem in problems}


# Contact details ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["Name@Example.com", " name@example.com ", "first.last+tag@sub.example.co.uk"]
)
def test_valid_email_addresses_are_kept_in_lower_case(typed: str) -> None:
    assert validate_email(typed) == typed.strip().lower()


@pytest.mark.parametrize(
    "typed",
    [
        "name",
        "name@",
        "@example.com",
        "name@example",
        "name@@example.com",
        "na me@example.com",
        "name@example..com",
        "name@-example.com",
        "name@example.c",
    ],
)
def test_badly_formed_email_gets_the_govuk_message(typed: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_email(typed)
    assert caught.value.field == "email"
    assert caught.value.message == (
        "Enter your email address in the correct format, like name@example.com"
    )


def test_missing_email_asks_for_it() -> None:
    with pytest.raises(InvalidInput, match=r"^Enter your email address$"):
        validate_email("  ")


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("07911 123456", "+447911123456"),
        ("+44 7911 123456", "+447911123456"),
        ("0044 (0)7911-123456", "+447911123456"),
        ("07700 900 982", "+447700900982"),
    ],
)
def test_uk_mobiles_in_any_format_become_e164(typed: str, e164: str) -> None:
    assert validate_uk_phone(typed) == e164


def test_landline_is_refused_for_text_messages_but_allowed_for_calls() -> None:
    with pytest.raises(InvalidInput, match="cannot send text messages to a landline"):
        validate_uk_phone("020 7946 0000")
    assert validate_uk_phone("020 7946 0000", mobile_only=False) == "+442079460000"


@pytest.mark.parametrize("typed", ["12345", "+1 202 555 0143", "07911 12345", "phone me"])
def test_numbers_that_are_not_uk_mobiles_are_refused(typed: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_uk_phone(typed)
    assert caught.value.field == "phone"
    assert "like 07700 900 982" in caught.value.message


def test_full_name_is_tidied_and_required() -> None:
    assert validate_full_name("  Ada   Lovelace ") == "Ada Lovelace"
    with pytest.raises(InvalidInput, match=r"^Enter your full name$"):
        validate_full_name(" ")
    with pytest.raises(InvalidInput, match="200 characters or less"):
        validate_full_name("x" * 201)


def test_ward_codes_follow_the_ons_pattern() -> None:
    assert validate_ward_code(" e05013624 ") == "E05013624"
    assert validate_ward_code("") is None
    with pytest.raises(InvalidInput, match="like E05013606"):
        validate_ward_code("Hounslow Central")


# DBS and training ----------------------------------------------------------------------------


def test_add_months_clamps_to_the_end_of_short_months() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2026, 11, 15), 3) == date(2027, 2, 15)


def test_dbs_renewal_is_three_years_by_default() -> None:
    assert dbs_renewal_date(date(2024, 3, 3)) == date(2027, 3, 3)


@pytest.mark.parametrize(
    ("expires_on", "status"),
    [
        (None, "missing"),
        (date(2026, 10, 1), "overdue"),
        (date(2026, 9, 1), "overdue"),
        (date(2026, 11, 30), "due_soon"),
        (date(2026, 12, 1), None),
    ],
)
def test_dbs_due_within_sixty_days(expires_on: date | None, status: str | None) -> None:
    due = dbs_due(expires_on, today=date(2026, 10, 1), within_days=60)
    assert (due.status if due else None) == status


def test_training_due_lists_missing_overdue_and_soon_due_modules() -> None:
    due = training_due(
        {"champion_essentials": date(2020, 1, 1), "data_protection": date(2025, 10, 20)},
        today=date(2026, 10, 1),
        required={"champion_essentials": None, "data_protection": 12, "safeguarding_adults": 36},
        within_days=30,
    )
    assert [(item.item, item.status, item.due_on) for item in due] == [
        ("data_protection", "due_soon", date(2026, 10, 20)),
        ("safeguarding_adults", "missing", None),
    ]


# Venues and sessions -------------------------------------------------------------------------


def test_session_within_opening_hours_is_accepted() -> None:
    # Tuesday 6 October 2026, 10am-11:30am London.
    assert session_problems(details(london(2026, 10, 6, 10, 0)), venue=LIBRARY, now=NOW) == []


def test_past_start_is_refused() -> None:
    problems = session_problems(details(london(2026, 9, 29, 10, 0)), venue=LIBRARY, now=NOW)
    assert messages(problems) == {"starts_at": "The start time must be in the future"}


def test_session_over_the_lunch_closure_is_refused_with_the_hours() -> None:
    problems = session_problems(details(london(2026, 10, 6, 12, 0)), venue=LIBRARY, now=NOW)
    assert messages(problems) == {
        "starts_at": "Hounslow Library is open 9am to 1pm and 2pm to 5pm on Tuesdays. "
        "Choose a time when it is open"
    }


def test_session_on_a_day_the_venue_does_not_open_is_refused() -> None:
    problems = session_problems(details(london(2026, 10, 7, 10, 0)), venue=LIBRARY, now=NOW)
    assert messages(problems) == {
        "starts_at": "Hounslow Library is closed on Wednesdays. Choose another day"
    }


def test_session_on_a_closure_date_names_the_date_and_reason() -> None:
    problems = session_problems(details(london(2026, 10, 20, 10, 0)), venue=LIBRARY, now=NOW)
    assert messages(problems) == {
        "starts_at": "Hounslow Library is closed on 20 October 2026 (staff training). "
        "Choose another date or venue"
    }


def test_session_at_a_closed_venue_is_refused() -> None:
    closed = VenueSchedule(name="Old Library", closed=True)
    problems = session_problems(details(london(2026, 10, 6, 10, 0)), venue=closed, now=NOW)
    assert messages(problems) == {"venue_id": "Old Library is closed. Choose another venue"}


def test_capacity_below_places_taken_is_refused() -> None:
    problems = session_problems(
        details(london(2026, 10, 6, 10, 0), capacity=3), venue=LIBRARY, now=NOW, booked_count=4
    )
    assert messages(problems) == {
        "capacity": "Capacity must be at least 4, the number of places already taken"
    }


def test_end_before_start_is_refused() -> None:
    problems = session_problems(
        details(london(2026, 10, 6, 10, 0), minutes=-30), venue=LIBRARY, now=NOW
    )
    assert messages(problems) == {"ends_at": "The end time must be after the start time"}


def test_venue_with_no_recorded_hours_is_taken_to_be_open() -> None:
    unknown = VenueSchedule(name="Community Hub")
    assert venue_problem(unknown, london(2026, 10, 4, 20, 0), london(2026, 10, 4, 21, 0)) is None


def test_overlapping_and_inverted_opening_hours_are_refused() -> None:
    problems = opening_hours_problems(
        [
            OpeningInterval(0, time(9, 0), time(13, 0)),
            OpeningInterval(0, time(12, 0), time(17, 0)),
            OpeningInterval(2, time(17, 0), time(9, 0)),
        ]
    )
    assert [problem.message for problem in problems] == [
        "Opening time must be before closing time on Wednesdays",
        "Opening hours on Mondays overlap",
    ]


# Recurrence ----------------------------------------------------------------------------------


def test_weekly_series_keeps_10am_london_across_the_october_clock_change() -> None:
    # The clocks go back on Sunday 25 October 2026.
    starts = expand_recurrence(london(2026, 10, 13, 10, 0), frequency="weekly", count=4)
    assert [start.astimezone(LONDON).strftime("%d %H:%M") for start in starts] == [
        "13 10:00",
        "20 10:00",
        "27 10:00",
        "03 10:00",
    ]
    assert [start.hour for start in starts] == [9, 9, 10, 10]  # UTC moves, wall time does not
    assert all(start.tzinfo == UTC for start in starts)


def test_fortnightly_series_runs_until_the_last_date_inclusive() -> None:
    starts = expand_recurrence(
        london(2027, 3, 16, 14, 0), frequency="fortnightly", until=date(2027, 4, 13)
    )
    assert [start.astimezone(LONDON).date() for start in starts] == [
        date(2027, 3, 16),
        date(2027, 3, 30),
        date(2027, 4, 13),
    ]
    assert {start.astimezone(LONDON).hour for start in starts} == {14}


def test_monthly_series_repeats_on_the_same_weekday_of_the_month() -> None:
    # Second Tuesday of the month.
    starts = expand_recurrence(london(2026, 10, 13, 10, 0), frequency="monthly", count=4)
    assert [start.astimezone(LONDON).date() for start in starts] == [
        date(2026, 10, 13),
        date(2026, 11, 10),
        date(2026, 12, 8),
        date(2027, 1, 12),
    ]


def test_monthly_series_from_a_fifth_week_uses_the_last_weekday() -> None:
    starts = expand_recurrence(london(2026, 10, 29, 10, 0), frequency="monthly", count=3)
    assert [start.astimezone(LONDON).date() for start in starts] == [
        date(2026, 10, 29),
        date(2026, 11, 26),
        date(2026, 12, 31),
    ]


def test_series_needs_a_count_or_an_end_and_has_a_limit() -> None:
    with pytest.raises(InvalidInput, match="how many sessions"):
        expand_recurrence(london(2026, 10, 13, 10, 0), frequency="weekly")
    with pytest.raises(InvalidInput, match="up to 104 sessions"):
        expand_recurrence(london(2026, 10, 13, 10, 0), frequency="weekly", until=date(2029, 1, 1))


def test_series_problems_name_the_fields() -> None:
    problems = series_problems(
        SeriesDetails(
            topic="foundation",
            venue_id=1,
            first_starts_at=london(2026, 10, 13, 10, 0),
            duration_min=0,
            capacity=5,
            frequency="daily",
            until_on=date(2026, 10, 1),
        )
    )
    assert set(messages(problems)) == {"frequency", "until_on", "duration_min"}


# Distances and timings -----------------------------------------------------------------------


def test_haversine_distance_of_one_degree_of_latitude() -> None:
    assert haversine_m(51.0, -0.3, 52.0, -0.3) == pytest.approx(111_195, rel=1e-4)
    assert haversine_m(51.5, -0.3, 51.5, -0.3) == 0.0


def test_grid_distance_is_pythagoras_in_metres() -> None:
    assert grid_distance_m(513_000, 175_000, 516_000, 179_000) == 5_000.0


def test_reminder_is_skipped_when_booking_inside_the_window() -> None:
    start = datetime(2026, 10, 6, 9, 0, tzinfo=UTC)
    assert reminder_send_after(start, now=NOW, reminder_hours=24) == datetime(
        2026, 10, 5, 9, 0, tzinfo=UTC
    )
    assert reminder_send_after(start, now=start - timedelta(hours=3), reminder_hours=24) is None


def test_offer_lasts_its_hours_but_never_past_the_start() -> None:
    start = datetime(2026, 10, 2, 9, 0, tzinfo=UTC)
    assert offer_expires_at(
        now=NOW, starts_at=start + timedelta(days=5), offer_hours=48, min_offer_minutes=30
    ) == NOW + timedelta(hours=48)
    assert offer_expires_at(now=NOW, starts_at=start, offer_hours=48, min_offer_minutes=30) == start
    assert (
        offer_expires_at(
            now=NOW, starts_at=NOW + timedelta(minutes=20), offer_hours=48, min_offer_minutes=30
        )
        is None
    )


# Support logs --------------------------------------------------------------------------------


def log(**overrides: object) -> SupportLogDetails:
    values: dict[str, object] = {
        "occurred_on": date(2026, 9, 30),
        "place": "phone",
        "duration_min": 30,
        "topics": ("scams_and_safety",),
        "outcome": "no_further_help",
    }
    values.update(overrides)
    return SupportLogDetails(**values)  # type: ignore[arg-type]


def test_a_plain_support_log_is_valid() -> None:
    assert support_log_problems(log(), today=date(2026, 10, 1)) == []


def test_names_need_consent() -> None:
    problems = support_log_problems(log(resident_name="Mary Jones"), today=date(2026, 10, 1))
    assert [problem.field for problem in problems] == ["resident_name"]
    assert problems[0].message.startswith("Only record the resident’s name")
    consented = log(resident_name="Mary Jones", consent_given=True)
    assert support_log_problems(consented, today=date(2026, 10, 1)) == []


def test_support_log_checks_date_place_group_and_topics() -> None:
    problems = support_log_problems(
        log(
            occurred_on=date(2026, 10, 2),
            place="venue",
            kind="group",
            headcount=1,
            topics=(),
            age_band="mixed",
        ),
        today=date(2026, 10, 1),
    )
    assert messages(problems) == {
        "occurred_on": "The date must be today or in the past",
        "venue_id": "Select the venue",
        "headcount": "Enter a number of people between 2 and 100",
        "topics": "Select at least one topic",
    }
