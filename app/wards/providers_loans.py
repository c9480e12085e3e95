"""Ward figures from the device loans register (``device_loans``), read-only.

Devices on loan now to residents of each ward (a count of people's loans: small numbers are
hidden from councillors and the public).  Skipped when the loans tables are missing.
"""

from __future__ import annotations

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
from core.clock import today_london
from device_loans.models import Loan
from device_loans.reports import devices_out_by_ward

TABLES = ("loans", "loan_items", "loan_requests", "areas", "area_layers")
SOURCE = "Device loans register"
LICENCE = "Council records (Open Government Licence v3.0 when published)"


def _out(session: Session) -> dict[str, float]:
    rows = devices_out_by_ward(session, on=today_london())
    return {str(row.ward_code): float(row.devices_out) for row in rows if row.ward_code}


def loan_figures(session: Session) -> list[WardFigure]:
    """Devices on loan now to residents of each ward (nothing before the first loan)."""
    codes = [ward.code for ward in current_wards(session)]
    if not codes or not session.scalar(select(func.count()).select_from(Loan)):
        return []
    out = _out(session)
    return [
        WardFigure(
            key="devices_on_loan",
            label="Devices on loan to residents of the ward now",
            unit="count",
            values={code: out.get(code, 0.0) for code in codes},
            borough=sum(out.values()),
            is_count=True,
            higher_is_better=None,
            source=SOURCE,
            date=today_london(),
            section="loans",
            licence=LICENCE,
            note="Laptops, tablets, phones and data SIMs lent and not yet returned; a kit counts once per device.",
        )
    ]


def loan_layers(session: Session) -> list[LayerSpec]:
    """Proportional circles of devices on loan per ward."""
    codes = [ward.code for ward in current_wards(session)]
    out = _out(session)
    if not codes or not out:
        return []
    return [
        MapLayerSpec(
            key="devices_on_loan_ward",
            title="Devices on loan now",
            area_kind="ward",
            values={code: out.get(code, 0.0) for code in codes},
            legend_title="Devices on loan to residents of the ward",
            unit="count",
            source=SOURCE,
            licence=LICENCE,
            date=today_london(),
            style="circles",
            is_count=True,
            borough=sum(out.get(code, 0.0) for code in codes),
        )
    ]


def register(app: Flask) -> None:
    """Register the device loans providers."""
    figure_provider(app, "loans", loan_figures, 45, tables=TABLES)
    map_layer_provider(app, "loans", loan_layers, 45, tables=TABLES)
