"""Run a scenario off the request thread and record its progress.

A scenario's siting needs the walking network, a distance matrix and up to two CBC solves of at
most ``MAX_TIME_LIMIT_S`` seconds each, which is too long to hold a web request.  The request
stores the scenario (status ``queued``), commits, and calls :func:`start`; a worker thread from a
small pool then:

* opens its own database session from ``app.extensions["db_factory"]``;
* marks the scenario ``running`` and, at each step, writes ``progress`` (0-100) and a line of
  text in a short transaction of its own, so the page can show how far it has got;
* stores the results and ``done`` in one transaction at the end, or, when anything goes wrong,
  ``failed`` with a message for the planner (a :class:`core.errors.DomainError` message as it
  is; anything else as "something went wrong", logged in full).  The page never sees a 500.

Reads between two progress updates happen in one short transaction, ended before each update:
SQLite takes its write lock when a transaction begins, so a long-open read would hold up every
writer, the progress updates included.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.targeting.models import Scenario
from app.targeting.services import ScenarioRequest, run_scenario
from core.clock import now_utc
from core.errors import DomainError

logger = logging.getLogger(__name__)

MAX_WORKERS = 2
"""Scenarios solved at the same time (each CBC solve uses one core)."""

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
_futures: dict[str, Future[None]] = {}

FAILED_MESSAGE = (
    "Something went wrong while this scenario was running, so it has no results. Try again; if "
    "it fails again, tell the service team the scenario's name and time."
)


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="targeting")
        return _executor


def start(app: Flask, public_id: str) -> Future[None]:
    """Run the stored scenario ``public_id`` on a worker thread; returns its future."""
    future = _pool().submit(run_job, app, public_id)
    with _lock:
        _futures[public_id] = future
        for key in [key for key, value in _futures.items() if value.done() and key != public_id]:
            del _futures[key]
    return future


def wait(public_id: str, *, timeout_s: float = 120.0) -> bool:
    """Wait for a started run to finish (for tests and the CLI); False if it is not known."""
    with _lock:
        future = _futures.get(public_id)
    if future is None:
        return False
    future.result(timeout=timeout_s)
    return True


def is_running(public_id: str) -> bool:
    """Whether this process is running the scenario now."""
    with _lock:
        future = _futures.get(public_id)
    return future is not None and not future.done()


def _update(factory: sessionmaker[Session], public_id: str, **values: Any) -> None:
    with factory() as session:
        scenario = session.scalars(select(Scenario).where(Scenario.public_id == public_id)).first()
        if scenario is None:
            return
        for name, value in values.items():
            setattr(scenario, name, value)
        scenario.updated_at = now_utc()
        session.commit()


def run_job(app: Flask, public_id: str) -> None:
    """Compute one scenario and store its results or its error (never raises)."""
    factory: sessionmaker[Session] = app.extensions["db_factory"]
    try:
        with app.app_context():
            _run(factory, public_id)
    except Exception:  # the last line of defence: the scenario must not stay "running"
        logger.exception("targeting scenario %s failed", public_id)
        try:
            _update(
                factory,
                public_id,
                status="failed",
                error=FAILED_MESSAGE,
                finished_at=now_utc(),
                progress_text="Stopped by an error",
            )
        except Exception:
            logger.exception("could not record the failure of scenario %s", public_id)


def _run(factory: sessionmaker[Session], public_id: str) -> None:
    with factory() as session:
        scenario = session.scalars(select(Scenario).where(Scenario.public_id == public_id)).first()
        if scenario is None:
            return
        request = ScenarioRequest.from_parameters(scenario.parameters)
        session.rollback()
        _update(
            factory,
            public_id,
            status="running",
            started_at=now_utc(),
            progress=1,
            progress_text="Starting",
        )

        def progress(percent: int, text: str) -> None:
            session.rollback()  # end the read transaction before writing elsewhere
            _update(factory, public_id, progress=int(percent), progress_text=text[:300])

        try:
            results = run_scenario(session, request, progress=progress)
        except DomainError as error:
            session.rollback()
            _update(
                factory,
                public_id,
                status="failed",
                error=error.message,
                finished_at=now_utc(),
                progress_text="Stopped: the scenario cannot be run as it is",
            )
            return
        session.rollback()
    _update(
        factory,
        public_id,
        status="done",
        results=results,
        error=None,
        progress=100,
        progress_text="Finished",
        finished_at=now_utc(),
    )
