"""One database session per request, opened on first use and closed when the request ends."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from core.db import make_engine, make_session_factory


def init_database(app: Flask) -> None:
    """Create the engine and session factory for ``app.config['DATABASE_URL']``."""
    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite:///") and ":memory:" not in url:
        from pathlib import Path

        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    app.extensions["db_engine"] = engine
    app.extensions["db_factory"] = make_session_factory(engine)
    app.teardown_appcontext(_close_session)


def db_session() -> Session:
    """The current request's (or CLI command's) session."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["db_factory"]()
    session: Session = g.db_session
    return session


def _close_session(_error: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()
