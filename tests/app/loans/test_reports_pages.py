"""Loan reports: full figures for staff, suppressed figures for councillors, safe CSV."""

from __future__ import annotations

import csv
import io
from datetime import date

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.loans.presenters import months_before
from core.clock import now_utc, today_london
from device_loans import services
from device_loans.config import DEFAULT_POLICY
from tests.app.loans.helpers import BEDFONT, add_device, add_request, store_wards
from tests.databases import Database
from tests.factories import make_user, sign_in
from tests.pages import Page, parse

BRENTFORD_EAST = "E05013607"


def client_for(app: Flask, db: Database, role: str) -> FlaskClient:
    client = app.test_client()
    with db.factory() as session:
        user = make_user(session, roles=[role])
    sign_in(client, user)
    return client


def lend_to(session: Session, *, ward: str, count: int) -> None:
    """``count`` residents of ``ward``, each lent one tablet today."""
    for _ in range(count):
        request = add_request(session, ward_code=ward)
        device = add_device(session)
        services.issue_loan(
            session,
            agreement=services.LoanAgreement(version="v1", accepted_at=now_utc()),
            issued_by=None,
            policy=DEFAULT_POLICY,
            today=today_london(),
            now=now_utc(),
            request_id=request.id,
            device_id=device.id,
        )
        session.commit()


def cells(page: Page, caption: str, row: str) -> list[str]:
    """The data cells of the row headed ``row`` in the table captioned ``caption``."""
    found = page.soup.find("caption", string=lambda text: bool(text and text.startswith(caption)))
    assert found is not None, f"no table {caption!r}"
    table = found.find_parent("table")
    assert table is not None
    header = table.find("th", string=row)
    assert header is not None, f"no row {row!r}"
    line = header.find_parent("tr")
    assert line is not None
    return [cell.get_text(strip=True) for cell in line.find_all("td")]


def test_staff_see_exact_devices_out_per_ward(app: Flask, db: Database) -> None:
    with db.factory() as session:
        store_wards(session)
        lend_to(session, ward=BEDFONT, count=3)
    page = parse(client_for(app, db, "coordinator").get("/loans/reports"))
    assert page.h1 == "Device loan reports"
    assert cells(page, "Loans and devices out per ward", "Bedfont") == ["3", "3"]
    assert cells(page, "Loans and devices out per ward", "All wards") == ["3", "3"]
    assert "are not shown" not in page.text()


def test_councillors_see_small_numbers_suppressed_on_the_page_and_in_csv(
    app: Flask, db: Database
) -> None:
    with db.factory() as session:
        store_wards(session)
        lend_to(session, ward=BEDFONT, count=3)
    councillor = client_for(app, db, "councillor")
    page = parse(councillor.get("/loans/reports"))
    small = ["fewer than 10", "fewer than 10"]
    assert cells(page, "Loans and devices out per ward", "Bedfont") == small
    assert cells(page, "Loans and devices out per ward", "All wards") == small
    assert "Counts of people from 1 to 9 are not shown" in page.text()
    response = councillor.get("/loans/reports/devices-out.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    bedfont_row = next(row for row in rows if len(row) > 1 and row[1] == "Bedfont")
    assert bedfont_row == [BEDFONT, "Bedfont", "[c]", "[c]"]
    assert any("[c] = not shown to protect privacy" in row[0] for row in rows if row)


def test_staff_csv_has_exact_counts_and_escapes_formulas(app: Flask, db: Database) -> None:
    with db.factory() as session:
        store_wards(session)
        from app.places.models import Area

        ward = session.query(Area).filter_by(code=BRENTFORD_EAST).one()
        ward.name = "=HYPERLINK(evil)"
        session.commit()
        lend_to(session, ward=BRENTFORD_EAST, count=2)
    response = client_for(app, db, "planner").get("/loans/reports/devices-out.csv")
    text = response.get_data(as_text=True)
    assert "attachment; filename=loans-devices-out-" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    row = next(row for row in rows if row and row[0] == BRENTFORD_EAST)
    assert row == [BRENTFORD_EAST, "'=HYPERLINK(evil)", "2", "2"]


def test_outcomes_and_waiting_times_after_a_return(app: Flask, db: Database) -> None:
    with db.factory() as session:
        store_wards(session)
        lend_to(session, ward=BEDFONT, count=1)
        from device_loans.models import Loan

        loan = session.query(Loan).one()
        services.return_loan(
            session,
            loan.id,
            condition="good",
            damaged=False,
            returned_on=today_london(),
            by=None,
            today=today_london(),
            now=now_utc(),
        )
        session.commit()
    page = parse(client_for(app, db, "admin").get("/loans/reports?months=1"))
    assert cells(page, "How loans ended", "Tablet") == ["1", "0", "0", "1"]
    assert cells(page, "Waiting times", "All requests")[:2] == ["1", "0"]


def test_unknown_reports_periods_and_roles(app: Flask, db: Database) -> None:
    planner = client_for(app, db, "planner")
    assert planner.get("/loans/reports/everything.csv").status_code == 404
    odd = parse(planner.get("/loans/reports?months=7"))
    assert not odd.title.startswith("Error") and "The last 12 months" in odd.text()
    assert client_for(app, db, "champion").get("/loans/reports").status_code == 403


def test_months_before_keeps_the_day_or_the_end_of_a_shorter_month() -> None:
    assert months_before(date(2027, 3, 31), 1) == date(2027, 2, 28)
    assert months_before(date(2027, 3, 15), 12) == date(2026, 3, 15)
    assert months_before(date(2027, 1, 10), 3) == date(2026, 10, 10)
