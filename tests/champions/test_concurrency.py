"""Concurrent bookings, each in its own session and transaction, started together by a barrier.

These are the tests that prove a session is never overbooked and a form is never booked twice,
on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from champions.models import Booking, TrainingSession
from champions.services import BookingResult, book_place, cancel_booking
from tests.champions.factories import NOW, make_session, new_key
from tests.databases import Database

T = TypeVar("T")


def run_together(db: Database, count: int, work: Callable[[Session, int], T]) -> list[T]:
    """Run ``work`` in ``count`` threads, each committing its own session; re-raise any error."""
    barrier = threading.Barrier(count)
    results: list[T] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        with db.factory() as session:
            try:
                barrier.wait(timeout=30)
                result = work(session, index)
                session.commit()
            except BaseException as error:
                session.rollback()
                with lock:
                    errors.append(error)
                return
        with lock:
            results.append(result)

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    return results


def new_session_id(db: Database, capacity: int) -> int:
    with db.factory() as session:
        training_session = make_session(session, capacity=capacity)
        session.commit()
        return training_session.id


def statuses(db: Database, training_session_id: int) -> tuple[Counter[str], int]:
    with db.factory() as session:
        counts = Counter(
            {
                status: count
                for status, count in session.execute(
                    select(Booking.status, func.count(Booking.id))
                    .where(Booking.training_session_id == training_session_id)
                    .group_by(Booking.status)
                )
            }
        )
        booked_count = session.scalar(
            select(TrainingSession.booked_count).where(TrainingSession.id == training_session_id)
        )
    return counts, int(booked_count or 0)


def test_fifty_people_booking_five_places_at_once_get_five_places(db: Database) -> None:
    training_session_id = new_session_id(db, capacity=5)

    def book(session: Session, index: int) -> BookingResult:
        return book_place(
            session,
            training_session_id=training_session_id,
            full_name=f"Resident {index}",
            contact_method="email",
            email=f"resident{index}@example.com",
            idempotency_key=f"concurrent-form-{index:04d}",
            now=NOW,
        )

    results = run_together(db, 50, book)
    assert Counter(result.status for result in results) == {"confirmed": 5, "waiting": 45}
    counts, booked_count = statuses(db, training_session_id)
    assert counts == {"confirmed": 5, "waiting": 45}
    assert booked_count == 5


def test_the_same_form_sent_ten_times_at_once_books_once(db: Database) -> None:
    training_session_id = new_session_id(db, capacity=5)
    key = new_key()

    def book(session: Session, _index: int) -> BookingResult:
        return book_place(
            session,
            training_session_id=training_session_id,
            full_name="Ada Lovelace",
            contact_method="email",
            email="ada@example.com",
            idempotency_key=key,
            now=NOW,
        )

    results = run_together(db, 10, book)
    assert len({result.reference for result in results}) == 1
    assert sum(result.created for result in results) == 1
    counts, booked_count = statuses(db, training_session_id)
    assert counts == {"confirmed": 1}
    assert booked_count == 1


def test_a_cancellation_link_clicked_five_times_at_once_frees_one_place(db: Database) -> None:
    training_session_id = new_session_id(db, capacity=2)
    with db.factory() as session:
        results = [
            book_place(
                session,
                training_session_id=training_session_id,
                full_name=f"Resident {index}",
                contact_method="email",
                email=f"resident{index}@example.com",
                idempotency_key=new_key(),
                now=NOW,
            )
            for index in range(3)
        ]
        session.commit()
    first = results[0]
    assert first.cancel_token

    outcomes: list[str] = []

    def cancel(session: Session, _index: int) -> str:
        try:
            cancel_booking(
                session, reference=first.reference, token=str(first.cancel_token), now=NOW
            )
        except Exception as error:
            outcomes.append(type(error).__name__)
            return "refused"
        return "cancelled"

    done = run_together(db, 5, cancel)
    assert Counter(done) == {"cancelled": 1, "refused": 4}
    assert set(outcomes) == {"BookingClosed"}
    counts, booked_count = statuses(db, training_session_id)
    assert counts == {"cancelled": 1, "confirmed": 1, "offered": 1}
    assert booked_count == 2
