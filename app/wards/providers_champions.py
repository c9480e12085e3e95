"""Ward figures from the Digital Champions network (``champions``), read-only.

Sessions held at venues in each ward and residents who attended them, and residents helped by
champions (support logs), over the last 12 months; the last two are counts of people, so small
numbers are hidden from councillors and the public.  Skipped when the champions tables are
missing.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.wards.figures import (
    LayerSpec,
    MapLayerSpec,
    WardFigure,
    figure_provider,
    map_layer_provider,
)
from app.wards.geography import current_wards
from champions.models import Booking, SupportLog, TrainingSession, Venue
from champions.reports import support_summary
from core.clock import govuk_date, now_utc, today_london

TABLES = ("venues", "training_sessions", "bookings", "support_logs", "areas", "area_layers")
SOURCE = "Digital Champions records"
WINDOW_DAYS = 365


def _window() -> tuple[date, date]:
    today = today_london()
    return today - timedelta(days=WINDOW_DAYS - 1), today


def _activity(session: Session) -> dict[str, dict[str, float]]:
    """Ward code -> sessions held, attendances and residents helped in the last 12 months."""
    first, last = _window()
    now = now_utc()
    start = now - timedelta(days=WINDOW_DAYS)
    held = session.execute(
        select(Venue.ward_code, func.count(TrainingSession.id))
        .join(Venue, Venue.id == TrainingSession.venue_id)
        .where(
            TrainingSession.status == "scheduled",
            TrainingSession.starts_at >= start,
            TrainingSession.starts_at <= now,
        )
        .group_by(Venue.ward_code)
    ).all()
    attended = session.execute(
        select(Venue.ward_code, func.count(Booking.id))
        .join(TrainingSession, TrainingSession.id == Booking.training_session_id)
        .join(Venue, Venue.id == TrainingSession.venue_id)
        .where(
            Booking.status == "attended",
            TrainingSession.starts_at >= start,
            TrainingSession.starts_at <= now,
        )
        .group_by(Venue.ward_code)
    ).all()
    helped = support_summary(session, date_from=first, date_to=last, by="ward")
    return {
        "sessions": {str(code): float(n) for code, n in held if code},
        "attended": {str(code): float(n) for code, n in attended if code},
        "helped": {str(row.key): float(row.residents_helped) for row in helped if row.key},
    }


def _in_use(session: Session) -> bool:
    """Whether the champions network has recorded anything at all (else: not set up yet)."""
    sessions = session.scalar(select(func.count()).select_from(TrainingSession)) or 0
    logs = session.scalar(select(func.count()).select_from(SupportLog)) or 0
    return bool(sessions or logs)


def champion_figures(session: Session) -> list[WardFigure]:
    """Sessions held, attendances and residents helped per ward (last 12 months)."""
    codes = [ward.code for ward in current_wards(session)]
    if not codes or not _in_use(session):
        return []
    activity = _activity(session)
    first, last = _window()
    when = f"{govuk_date(first)} to {govuk_date(last)}"
    figures = []
    for key, label, part, is_count in (
        ("sessions_held", "Digital skills sessions held in the ward", "sessions", False),
        ("session_attendances", "Residents who attended those sessions", "attended", True),
        ("residents_helped", "Residents helped one to one by Digital Champions", "helped", True),
    ):
        values = activity[part]
        figures.append(
            WardFigure(
                key=key,
                label=label,
                unit="count",
                values={code: values.get(code, 0.0) for code in codes},
                borough=sum(values.values()),
                is_count=is_count,
                higher_is_better=True,
                source=SOURCE,
                date=last,
                section="sessions",
                note=f"Over the last 12 months ({when}). A resident helped twice counts twice.",
            )
        )
    return figures


def champion_layers(session: Session) -> list[LayerSpec]:
    """Proportional circles of residents helped and of sessions held, per ward."""
    codes = [ward.code for ward in current_wards(session)]
    if not codes:
        return []
    activity = _activity(session)
    if not any(activity[part] for part in ("helped", "sessions")):
        return []
    _first, last = _window()
    return [
        MapLayerSpec(
            key="residents_helped_ward",
            title="Champions' activity: residents helped in the last 12 months",
            area_kind="ward",
            values={code: activity["helped"].get(code, 0.0) for code in codes},
            legend_title="Residents helped by Digital Champions (last 12 months)",
            unit="count",
            source=SOURCE,
            licence="Council records (Open Government Licence v3.0 when published)",
            date=last,
            style="circles",
            is_count=True,
            higher_is_better=True,
            borough=sum(activity["helped"].get(code, 0.0) for code in codes),
        ),
        MapLayerSpec(
            key="sessions_held_ward",
            title="Digital skills sessions held in the last 12 months",
            area_kind="ward",
            values={code: activity["sessions"].get(code, 0.0) for code in codes},
            legend_title="Sessions held (last 12 months)",
            unit="count",
            source=SOURCE,
            licence="Council records (Open Government Licence v3.0 when published)",
            date=last,
            style="circles",
            higher_is_better=True,
            borough=sum(activity["sessions"].get(code, 0.0) for code in codes),
        ),
    ]


def register(app: Flask) -> None:
    """Register the champions providers."""
    figure_provider(app, "champions", champion_figures, 40, tables=TABLES)
    map_layer_provider(app, "champions", champion_layers, 40, tables=TABLES)
