"""The database kernel: UTC datetimes, SQLite hardening, naming convention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from core.audit import AuditEvent, record_event
from core.db import NAMING_CONVENTION, Base, make_engine
from tests.databases import Database


def test_datetimes_come_back_aware_and_in_utc(db: Database) -> None:
    paris_noon = datetime(2027, 3, 3, 12, 0, tzinfo=timezone(timedelta(hours=1)))
    with db.factory() as session:
        record_event(
            session, at=paris_noon, actor_id=None, action="x", object_type="t", object_id=1
        )
        session.commit()
    with db.factory() as session:
        stored = session.scalars(select(AuditEvent)).one()
    assert stored.at.tzinfo is not None
    assert stored.at.utcoffset() == timedelta(0)
    assert stored.at == datetime(2027, 3, 3, 11, 0, tzinfo=UTC)


def test_naive_datetimes_are_refused(db: Database) -> None:
    with db.factory() as session:
        record_event(
            session,
            at=datetime(2027, 1, 1),
            actor_id=None,
            action="x",
            object_type="t",
            object_id=1,
        )
        with pytest.raises(Exception, match="timezone-aware"):
            session.flush()


def test_sqlite_connections_are_hardened(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'hardened.sqlite3'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 30000
    engine.dispose()


def test_foreign_keys_are_enforced(db: Database) -> None:
    from app.auth.models import UserRole

    with db.factory() as session:
        session.add(UserRole(user_id=999_999, role="planner"))
        with pytest.raises(IntegrityError):
            session.flush()


def test_constraints_are_named_by_the_convention() -> None:
    import app.models  # noqa: F401 - registers every table

    assert NAMING_CONVENTION["pk"] == "pk_%(table_name)s"
    for table in Base.metadata.sorted_tables:
        assert table.primary_key.name == f"pk_{table.name}"
