"""``flask --app app loans ...`` commands, the council's policy settings and the demo loans."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from app import create_app
from app.config import ConfigError
from app.loans import DEMO_ORDER, load_demo
from app.loans.config import loan_policy
from app.loans.demo import load_demo_loans
from core.clock import now_utc, today_london
from core.outbox import OutboxMessage
from device_loans import services
from device_loans.config import DEFAULT_POLICY
from device_loans.models import Device, Loan, LoanRequest
from tests.app.loans.helpers import add_device, add_request, store_wards
from tests.conftest import app_config
from tests.databases import Database


def run(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["loans", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_mark_overdue_marks_once_and_queues_one_reminder(app: Flask, db: Database) -> None:
    today = today_london()
    lent_on = today - timedelta(days=10)
    with db.factory() as session:
        request = add_request(session)
        device = add_device(session)
        services.issue_loan(
            session,
            agreement=services.LoanAgreement(
                version="v1", accepted_at=now_utc() - timedelta(days=10)
            ),
            issued_by=None,
            policy=DEFAULT_POLICY,
            today=lent_on,
            now=now_utc() - timedelta(days=10),
            request_id=request.id,
            device_id=device.id,
            due_on=today - timedelta(days=3),
        )
        session.commit()
        messages_before = int(session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)
    first = run(app, "mark-overdue")
    assert "Marked 1 loan(s) overdue. Queued 1 reminder(s) about 1 loan(s)." in first
    second = run(app, "mark-overdue")
    assert "Marked 0 loan(s) overdue. Queued 0 reminder(s) about 0 loan(s)." in second
    with db.factory() as session:
        assert session.scalars(select(Loan)).one().status == "overdue"
        overdue = session.scalars(
            select(OutboxMessage).where(OutboxMessage.template == "loan_overdue")
        ).all()
        assert len(overdue) == 1
        assert (
            session.scalar(select(func.count()).select_from(OutboxMessage)) == messages_before + 1
        )


def test_purge_removes_personal_data_after_the_retention_period(app: Flask, db: Database) -> None:
    long_ago = now_utc() - timedelta(days=DEFAULT_POLICY.retention_days + 40)
    with db.factory() as session:
        old = services.submit_request(
            session,
            services.NewLoanRequest(
                idempotency_key="old-request-000001",
                resident_name="Isaac Iqbal",
                contact="isaac@example.com",
                age_years=70,
                borrower_type="resident",
                need="device",
                has_suitable_device=False,
                has_home_connection=True,
                low_income=True,
                ward_code="E05013606",
            ),
            policy=DEFAULT_POLICY,
            now=long_ago,
        )
        services.decline_request(session, old.id, by=None, now=long_ago, note="No stock")
        recent = add_request(session, resident_name="Joy Jones")
        session.commit()
    dry = run(app, "purge", "--dry-run")
    assert "Dry run: would remove personal data from 1 request(s)" in dry
    assert "Nothing changed." in dry
    with db.factory() as session:
        assert session.get_one(LoanRequest, old.id).resident_name == "Isaac Iqbal"
    done = run(app, "purge")
    assert "Removed personal data from 1 request(s)" in done
    assert "Anonymous statistics are kept." in done
    with db.factory() as session:
        purged = session.get_one(LoanRequest, old.id)
        assert (purged.resident_name, purged.contact, purged.decision_note) == (
            "[removed]",
            None,
            None,
        )
        assert (purged.ward_code, purged.age_band, purged.status) == (
            "E05013606",
            "65-74",
            "declined",
        )
        assert session.get_one(LoanRequest, recent.id).resident_name == "Joy Jones"
    assert "Removed personal data from 0 request(s)" in run(app, "purge")


def test_the_demo_adds_loans_once_on_the_stored_wards(app: Flask, db: Database) -> None:
    assert DEMO_ORDER == 30
    lines: list[str] = []
    with app.app_context():
        assert load_demo_loans(seed=5, echo=lines.append) is False
        assert lines == ["Device loans: no wards are stored, so no demo loans were added."]
    with db.factory() as session:
        names = store_wards(session)
    lines.clear()
    with app.app_context():
        assert load_demo_loans(seed=5, echo=lines.append, days=40) is True
        assert "a realistic inventory with 40 days of loans in 22 wards" in lines[0]
        load_demo(seed=5, echo=lines.append)
    assert lines[-1] == (
        "Device loans: devices are already stored, so the demo loans are left as they are."
    )
    with db.factory() as session:
        devices = session.scalar(select(func.count()).select_from(Device))
        assert devices == 120
        wards = set(session.scalars(select(LoanRequest.ward_code)))
        assert wards and wards <= set(names), "residents live in the stored wards"


def test_the_councils_policy_comes_from_settings(db: Database, tmp_path: Path) -> None:
    app = create_app(app_config(db, LOAN_POLICY={"minimum_age": 16, "retention_days": 365}))
    with app.app_context():
        assert loan_policy().minimum_age == 16
        assert loan_policy().retention_days == 365
    rules = tmp_path / "loans.toml"
    rules.write_text(
        'max_open_requests_per_referrer = 3\n[loan_matrix."*"."*"]\nloan_days = 14\n',
        encoding="utf-8",
    )
    app = create_app(app_config(db, LOAN_POLICY_FILE=str(rules)))
    with app.app_context():
        policy = loan_policy()
        assert policy.max_open_requests_per_referrer == 3
        assert policy.rule_for("resident", "tablet").loan_days == 14
    with create_app(app_config(db)).app_context():
        assert loan_policy() is DEFAULT_POLICY


BAD_POLICIES: tuple[tuple[dict[str, object], str], ...] = (
    ({"LOAN_POLICY": {"minimum_age": 300}}, "minimum_age must be a whole number of years"),
    ({"LOAN_POLICY": {"max_loans": 2}}, "unknown setting 'max_loans'"),
    ({"LOAN_POLICY": "strict"}, "LOAN_POLICY must be a table of settings"),
    ({"LOAN_POLICY_FILE": "/no/such/loans.json"}, "cannot be read"),
    ({"LOAN_POLICY": {}, "LOAN_POLICY_FILE": "x.json"}, "not both"),
)


def test_a_bad_policy_stops_the_app_at_start_up(db: Database, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    cases = (*BAD_POLICIES, ({"LOAN_POLICY_FILE": str(broken)}, "is not valid"))
    for settings, message in cases:
        with pytest.raises(ConfigError, match=message):
            create_app(app_config(db, **settings))
