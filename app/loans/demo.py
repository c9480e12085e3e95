"""Demo data of device and data loans: an inventory and a year of loans in the demo borough."""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import func, select

from app.database import db_session
from app.loans.config import loan_policy
from app.places.models import Area
from champions.models import Champion
from core.clock import now_utc
from device_loans import demo
from device_loans.models import Device


def load_demo_loans(*, seed: int, echo: Callable[[str], None], days: int = 365) -> bool:
    """Play ``days`` of loans through the real services on the stored wards; ``False`` if skipped.

    Skipped, changing nothing, when the inventory already has devices or no wards are stored.
    Champions stored by the champions demo refer some of the residents.
    """
    session = db_session()
    if session.scalar(select(func.count()).select_from(Device)):
        echo("Device loans: devices are already stored, so the demo loans are left as they are.")
        return False
    wards = sorted(set(session.scalars(select(Area.code).where(Area.kind == "ward"))))
    if not wards:
        echo("Device loans: no wards are stored, so no demo loans were added.")
        return False
    champions = list(
        session.scalars(select(Champion.id).where(Champion.active.is_(True)).order_by(Champion.id))
    )
    started = time.perf_counter()
    summary = demo.load_demo_loans(
        session,
        ward_codes=wards,
        now=now_utc(),
        seed=seed,
        policy=loan_policy(),
        champion_ids=champions,
        days=days,
    )
    session.commit()
    echo(
        f"Device loans: a realistic inventory with {'a year' if days == 365 else f'{days} days'} "
        f"of loans in {len(wards)} wards "
        f"({time.perf_counter() - started:.1f} s):"
    )
    echo(f"  {summary.devices} devices, {summary.kits} kits")
    echo(
        f"  {summary.requests} requests"
        + (f", some referred by {len(champions)} champions" if champions else "")
        + f"; {summary.loans} loans, {summary.renewed_loans} renewed, {summary.lost_loans} lost"
    )
    echo(f"  {summary.open_loans} items out now, {summary.overdue_loans} of them overdue")
    return True
