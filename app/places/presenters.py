"""Figures of the place model shaped for pages and CSV downloads."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import cast

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.places.models import (
    Area,
    AreaAccess,
    ModelRun,
    Place,
    PlaceCatchment,
    Premises,
    PremisesAccess,
)


@dataclass(frozen=True)
class AccessRow:
    """Walking access figures for one area."""

    code: str
    name: str
    premises: int
    estimated: bool
    residents: float
    share_5: float | None
    share_10: float | None
    share_15: float | None
    median_min: float | None


def latest_run(session: Session, kind: str) -> ModelRun | None:
    """The latest model run of ``kind``."""
    return session.scalars(
        select(ModelRun).where(ModelRun.kind == kind).order_by(ModelRun.id.desc())
    ).first()


def access_rows(session: Session, *, kind: str, ward_code: str | None = None) -> list[AccessRow]:
    """Per-area walking access (shares of residents within 5/10/15 minutes, median time)."""
    access = pd.DataFrame(
        session.execute(
            select(
                AreaAccess.code,
                AreaAccess.minutes,
                AreaAccess.residents_within,
                AreaAccess.residents_total,
                AreaAccess.premises_total,
            ).where(AreaAccess.kind == kind)
        ).all(),
        columns=["code", "minutes", "within", "total", "premises"],
    )
    area_query = select(Area.code, Area.name, Area.ward_code).where(Area.kind == kind)
    if ward_code is not None:
        area_query = area_query.where(Area.ward_code == ward_code)
    areas = pd.DataFrame(session.execute(area_query).all(), columns=["code", "name", "ward_code"])
    column = "lsoa_code" if kind == "lsoa" else "ward_code"
    times = pd.DataFrame(
        session.execute(
            select(getattr(Premises, column), PremisesAccess.time_min, Premises.is_estimate).join(
                PremisesAccess, PremisesAccess.premises_id == Premises.id
            )
        ).all(),
        columns=["code", "time", "estimate"],
    )
    medians = times.groupby("code")["time"].median() if not times.empty else pd.Series(dtype=float)
    estimated = (
        times.groupby("code")["estimate"].any() if not times.empty else pd.Series(dtype=bool)
    )
    shares = access.assign(
        share=access["within"] / access["total"].where(access["total"] > 0)
    ).pivot_table(index="code", columns="minutes", values="share", aggfunc="first")
    totals = access.groupby("code")[["total", "premises"]].first()
    table = (
        areas.set_index("code")
        .join(shares, how="left")
        .join(totals, how="left")
        .join(medians.rename("median"), how="left")
        .join(estimated.rename("estimated"), how="left")
        .sort_index()
    )

    def number(value: object) -> float | None:
        if value is None:
            return None
        result = float(cast(float, value))
        return None if math.isnan(result) else result

    rows = []
    for code, record in table.to_dict("index").items():
        rows.append(
            AccessRow(
                code=str(code),
                name=str(record.get("name") or code),
                premises=int(number(record.get("premises")) or 0),
                estimated=bool(record.get("estimated") is True),
                residents=number(record.get("total")) or 0.0,
                share_5=number(record.get(5)),
                share_10=number(record.get(10)),
                share_15=number(record.get(15)),
                median_min=number(record.get("median")),
            )
        )
    return rows


@dataclass(frozen=True)
class VenueRow:
    """One help venue with its catchment figures."""

    place: Place
    residents_5: float | None
    residents_10: float | None
    residents_15: float | None


def venue_rows(session: Session) -> list[VenueRow]:
    """Every place with the residents living within 5, 10 and 15 minutes' walk."""
    catchments = session.execute(
        select(PlaceCatchment.place_id, PlaceCatchment.minutes, PlaceCatchment.residents_within)
    ).all()
    by_place: dict[int, dict[int, float]] = {}
    for place_id, minutes, residents in catchments:
        by_place.setdefault(place_id, {})[minutes] = residents
    places = session.scalars(select(Place).order_by(Place.name)).all()
    return [
        VenueRow(
            place,
            by_place.get(p.id, {}).get(5),
            by_place.get(p.id, {}).get(10),
            by_place.get(p.id, {}).get(15),
        )
        for p in places
        for place in (p,)
    ]
