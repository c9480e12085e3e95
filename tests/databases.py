"""Test databases: SQLite always, PostgreSQL too when ``TEST_DATABASE_URL`` names one.

Tables are created once per backend and emptied after every test, which is much faster than
creating them per test and keeps each test independent.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
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


def _schema_url(url: str, schema: str) -> str:
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema},public"


def open_database(backend: str, workdir: Path) -> Iterator[Database]:
    """Create the schema on ``backend`` and yield it; drop it again afterwards.

    On PostgreSQL each run gets a schema of its own (PostGIS stays in ``public``), so runs in
    parallel (several developers, or pytest-xdist workers) never touch each other's tables.
    """
    from app.models import metadata

    if backend == "postgresql":
        base_url = os.environ["TEST_DATABASE_URL"]
        schema = f"test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        admin = make_engine(base_url)
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = _schema_url(base_url, schema)
    else:
        admin = None
        schema = ""
        url = f"sqlite:///{workdir / 'test.sqlite3'}"
    engine = make_engine(url)
    metadata.create_all(engine)
    try:
        yield Database(backend, url, engine, make_session_factory(engine))
    finally:
        engine.dispose()
        if admin is not None:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
