"""GOV.UK date and time formatting in London time."""

from __future__ import annotations

from datetime import UTC, date, datetime

from core.clock import govuk_date, govuk_datetime, govuk_time, to_london


def test_govuk_date_has_no_leading_zero() -> None:
    assert govuk_date(date(2027, 3, 3)) == "3 March 2027"


def test_summer_time_moves_the_clock_forward() -> None:
    assert to_london(datetime(2027, 7, 1, 13, 30, tzinfo=UTC)).hour == 14
    assert govuk_time(datetime(2027, 7, 1, 13, 30, tzinfo=UTC)) == "2:30pm"


def test_midday_and_whole_hours() -> None:
    assert govuk_time(datetime(2027, 1, 5, 12, 0, tzinfo=UTC)) == "midday"
    assert govuk_time(datetime(2027, 1, 5, 9, 0, tzinfo=UTC)) == "9am"
    assert govuk_datetime(datetime(2027, 1, 5, 9, 0, tzinfo=UTC)) == "5 January 2027 at 9am"


def test_a_late_utc_time_is_the_next_day_in_london_in_summer() -> None:
    assert govuk_date(datetime(2027, 6, 30, 23, 30, tzinfo=UTC)) == "1 July 2027"
