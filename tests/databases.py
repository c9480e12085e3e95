"""Test databases: SQLite always, PostgreSQL too when ``TEST_DATABASE_URL`` names one.

Tables are created once per backend and emptied after every test, which is much faster than
creating them per test and keeps each test independent.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from core.db import make_engine, make_session_factory


def backends() -> list[str]:
    """The database backends the database tests run on."""
    return ["sqlite", "postgresql"] if os.environ.get("TEST_DATABASE_URL") else ["sqlite"]


@dataclass
class Database:
    __test__ = False
    """One backend's engine and session factory, with the URL the app should use."""

    backend: str
    url: str
    engine: Engine
    factory: sessionmaker[Session]

    def empty(self) -> None:
        """Delete every row of every table, children first.

        ``DELETE`` of a few rows is far quicker than ``TRUNCATE`` of every table on PostgreSQL;
        no test depends on identity values.
        """
        from app.models import metadata

        with self.engine.begin() as connection:
            for table in reversed(metadata.sorted_tables):
                connection.execute(table.delete())


def open_database(backend: str, workdir: Path) -> Iterator[Database]:
    """Create the schema on ``backend`` and yield it; drop it again afterwards."""
    from app.models import metadata

    if backend == "postgresql":
        url = os.environ["TEST_DATABASE_URL"]
    else:
        url = f"sqlite:///{workdir / 'test.sqlite3'}"
    engine = make_engine(url)
    metadata.drop_all(engine)
    metadata.create_all(engine)
    try:
        yield Database(backend, url, engine, make_session_factory(engine))
    finally:
        metadata.drop_all(engine)
        engine.dispose()
