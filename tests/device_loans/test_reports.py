"""Reports: devices out per ward, waiting times, utilisation and outcomes, on tiny inputs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from device_loans.reports import (
    UtilisationRow,
    devices_out_by_ward,
    loan_outcomes,
    percentile,
    utilisation,
    utilisation_by_kind,
    waiting_times,
)
from device_loans.services import change_device_status, record_lost, return_loan
from tests.device_loans.factories import STAFF, TODAY, add_device, add_kit, add_request, at, lend

WARD_A = "E05013617"
WARD_B = "E05013620"


def back(session: Session, loan_id: int, offset_days: int) -> None:
    day = TODAY + timedelta(days=offset_days)
    return_loan(
        session,
        loan_id,
        condition="good",
        damaged=False,
        returned_on=day,
        by=STAFF,
        today=day,
        now=at(day),
    )


def test_percentiles_interpolate_like_numpy() -> None:
    values = [2.0, 4.0, 10.0]
    assert percentile(values, 0.5) == 4.0
    assert percentile(values, 0.25) == 3.0
    assert percentile(values, 0.9) == pytest.approx(8.8)
    assert percentile([5.0], 0.9) == 5.0
    with pytest.raises(ValueError, match="at least one value"):
        percentile([], 0.5)


def test_devices_out_are_counted_per_ward_on_a_day(session: Session) -> None:
    lend(session, add_request(session, ward_code=WARD_A), kit=add_kit(session))
    returned = lend(session, add_request(session, ward_code=WARD_A))
    lend(session, add_request(session, ward_code=WARD_B))
    lend(session, add_request(session, ward_code=None))
    back(session, returned.id, 5)
    on_day_3 = devices_out_by_ward(session, on=TODAY + timedelta(days=3))
    assert [(row.ward_code, row.devices_out, row.loans_out) for row in on_day_3] == [
        (WARD_A, 4, 2),
        (WARD_B, 1, 1),
        (None, 1, 1),
    ]
    on_day_5 = devices_out_by_ward(session, on=TODAY + timedelta(days=5))
    assert (on_day_5[0].devices_out, on_day_5[0].loans_out) == (3, 1)
    assert devices_out_by_ward(session, on=TODAY - timedelta(days=1)) == []


def test_waiting_times_run_from_request_to_first_item(session: Session) -> None:
    for waited, ward in ((2, WARD_A), (4, WARD_A), (10, WARD_B)):
        request = add_request(session, ward_code=ward, now=at(TODAY))
        lend(session, request, today=TODAY + timedelta(days=waited))
        if waited == 10:
            lend(session, request, today=TODAY + timedelta(days=20))  # a second item: not counted
    (everyone,) = waiting_times(session, start=TODAY, end=TODAY + timedelta(days=30))
    assert (everyone.group, everyone.requests, everyone.max_days) == (None, 3, 10)
    assert (everyone.median_days, everyone.p25_days, everyone.p75_days) == (4.0, 3.0, 7.0)
    assert everyone.p90_days == pytest.approx(8.8)
    by_ward = waiting_times(session, start=TODAY, end=TODAY + timedelta(days=30), by="ward_code")
    assert [(row.group, row.requests, row.median_days) for row in by_ward] == [
        (WARD_A, 2, 3.0),
        (WARD_B, 1, 10.0),
    ]
    assert waiting_times(session, start=TODAY, end=TODAY + timedelta(days=3))[0].requests == 1


def test_utilisation_is_days_on_loan_over_days_in_service(session: Session) -> None:
    busy = add_device(session)
    idle = add_device(session)
    retired = add_device(session)
    loan = lend(session, add_request(session), device=busy)
    back(session, loan.id, 4)
    change_device_status(
        session, retired.id, to_status="retired", by=STAFF, now=at(TODAY + timedelta(days=5))
    )
    rows = {
        row.asset_tag: row
        for row in utilisation(session, start=TODAY, end=TODAY + timedelta(days=9))
    }
    assert (rows[busy.asset_tag].days_on_loan, rows[busy.asset_tag].days_in_service) == (4, 10)
    assert rows[busy.asset_tag].utilisation == pytest.approx(0.4)
    assert rows[idle.asset_tag].utilisation == 0.0
    assert rows[retired.asset_tag].days_in_service == 5
    (tablets,) = utilisation_by_kind(rows.values())
    assert (tablets.kind, tablets.devices, tablets.days_on_loan, tablets.days_in_service) == (
        "tablet",
        3,
        4,
        25,
    )


def test_an_open_loan_counts_up_to_the_end_of_the_period(session: Session) -> None:
    device = add_device(session)
    lend(session, add_request(session), device=device, today=TODAY + timedelta(days=2))
    (row,) = [
        r
        for r in utilisation(session, start=TODAY, end=TODAY + timedelta(days=9))
        if r.device_id == device.id
    ]
    assert row.days_on_loan == 8


def test_a_device_received_after_the_period_is_left_out(session: Session) -> None:
    add_device(session)
    assert (
        utilisation(session, start=TODAY - timedelta(days=400), end=TODAY - timedelta(days=300))
        == []
    )


def test_utilisation_by_kind_of_nothing_is_empty() -> None:
    assert utilisation_by_kind([]) == []
    assert UtilisationRow(1, "X", "sim", 0, 0).utilisation is None


def test_outcomes_count_on_time_late_and_lost(session: Session) -> None:
    on_time = lend(session, add_request(session, ward_code=WARD_A))
    late = lend(session, add_request(session, ward_code=WARD_B))
    lost = lend(session, add_request(session, ward_code=WARD_B))
    lend(session, add_request(session, ward_code=WARD_B))  # still out
    back(session, on_time.id, 28)  # the due day itself is on time
    back(session, late.id, 29)
    day = TODAY + timedelta(days=40)
    record_lost(session, lost.id, reported_on=day, by=STAFF, today=day, now=at(day))
    (everyone,) = loan_outcomes(session, start=TODAY, end=day)
    assert (everyone.returned_on_time, everyone.returned_late, everyone.lost, everyone.total) == (
        1,
        1,
        1,
        3,
    )
    by_ward = loan_outcomes(session, start=TODAY, end=day, by="ward_code")
    assert [(row.group, row.returned_on_time, row.returned_late, row.lost) for row in by_ward] == [
        (WARD_A, 1, 0, 0),
        (WARD_B, 0, 1, 1),
    ]
    assert loan_outcomes(session, start=TODAY, end=TODAY + timedelta(days=28))[0].total == 1


def test_an_unknown_grouping_is_a_bug() -> None:
    with pytest.raises(ValueError, match="by must be one of"):
        loan_outcomes(None, start=TODAY, end=TODAY, by="name")  # type: ignore[arg-type]


def test_waiting_times_by_the_kind_of_first_item(session: Session) -> None:
    lend(session, add_request(session), kit=add_kit(session), today=TODAY + timedelta(days=2))
    lend(session, add_request(session), device=add_device(session, kind="laptop"))
    rows = waiting_times(session, start=TODAY, end=TODAY + timedelta(days=5), by="item_kind")
    assert [(row.group, row.requests, row.max_days) for row in rows] == [
        ("kit", 1, 2),
        ("laptop", 1, 0),
    ]
