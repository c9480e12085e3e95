"""Alembic migrations build the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from app import migrate
from app.models import metadata
from core.db import make_engine
from tests.databases import backends


@pytest.fixture(params=backends())
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database: a new SQLite file, or a new schema in the PostgreSQL test database."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'migrations.sqlite3'}")
        yield engine
        engine.dispose()
        return
    schema = f"migrations_{uuid.uuid4().hex[:8]}"
    admin = make_engine(os.environ["TEST_DATABASE_URL"])
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = os.environ["TEST_DATABASE_URL"]
    separator = "&" if "?" in url else "?"
    engine = make_engine(f"{url}{separator}options=-csearch_path%3D{schema},public")
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_migrations_create_every_table_and_match_the_models(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine)
    tables = set(inspect(empty_engine).get_table_names())
    assert set(metadata.tables) <= tables
    assert migrate.drift(empty_engine) == []


def test_the_latest_migration_goes_down_and_up_again(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine)
    head = migrate.current(empty_engine)
    migrate.downgrade(empty_engine, "-1")
    assert migrate.current(empty_engine) != head
    migrate.upgrade(empty_engine)
    assert migrate.current(empty_engine) == head
    assert migrate.drift(empty_engine) == []


def test_short_loan_references_are_given_to_stored_requests_and_their_loans_survive(
    empty_engine: Engine,
) -> None:
    """Migration 0008 rebuilds ``loan_requests`` (SQLite batch mode) with loans referring to it:
    every request gets its own 8-character reference and no loan loses its request."""
    from sqlalchemy import func, select

    from core.db import make_session_factory
    from device_loans.models import Loan, LoanRequest
    from tests.device_loans.factories import add_device, add_request, lend

    migrate.upgrade(empty_engine)
    with make_session_factory(empty_engine)() as session:
        requests = [add_request(session) for _ in range(3)]
        lend(session, requests[0], device=add_device(session))
        session.commit()
    migrate.downgrade(empty_engine, "0007")
    assert "reference" not in {
        c["name"] for c in inspect(empty_engine).get_columns("loan_requests")
    }
    migrate.upgrade(empty_engine)
    with make_session_factory(empty_engine)() as session:
        references = session.scalars(select(LoanRequest.reference)).all()
        assert len(references) == len(set(references)) == 3
        assert all(len(reference) == 8 for reference in references)
        loan = session.scalars(select(Loan)).one()
        assert loan.request.public_id == requests[0].public_id
        assert session.scalar(select(func.count()).select_from(Loan)) == 1
