"""Ward figures, map layers and venue lists from the place model (``app.places``), read-only.

* key figures: residents (Census 2021, from the LSOAs) and premises per ward;
* places to get help: help venues per ward, the share of residents within a 5, 10 and 15 minute
  walk of one, the median walk, and each ward's venues with the residents in their catchments;
* coverage: places with public Wi-Fi and mobile sites (masts) per ward.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd
from flask import Flask
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.places.models import Area, AreaAccess, ModelRun, Premises, PremisesAccess
from app.places.services import latest_layer
from app.wards.figures import (
    ODBL,
    OGL,
    LayerSpec,
    MapLayerSpec,
    TableColumn,
    WardFigure,
    WardTable,
    figure_provider,
    map_layer_provider,
    memo,
    table_provider,
)
from app.wards.geography import (
    catchment_frame,
    current_wards,
    read_frame,
    site_frame,
    venue_frame,
    ward_frame,
    ward_of_points,
)
from core.clock import to_london

ACCESS_MINUTES = (5, 10, 15)
SHARE_EDGES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
ACCESS_SOURCE = "Walking access model on the OpenStreetMap street network"
PLACES_TABLES = ("areas", "area_layers", "premises", "places", "mobile_sites")
ACCESS_TABLES = ("area_access", "premises_access", "model_runs", "place_catchments")


def _access_run_date(session: Session) -> date | None:
    run = session.scalars(
        select(ModelRun).where(ModelRun.kind == "access").order_by(ModelRun.id.desc())
    ).first()
    return to_london(run.started_at).date() if run is not None else None


def _ward_codes(session: Session) -> list[str]:
    return [ward.code for ward in current_wards(session)]


def _layer_date(session: Session, kind: str) -> date | None:
    layer = latest_layer(session, kind)
    return to_london(layer.loaded_at).date() if layer is not None else None


def key_figures(session: Session) -> list[WardFigure]:
    """Residents (Census 2021 by LSOA, summed per ward) and premises per ward."""
    codes = _ward_codes(session)
    if not codes:
        return []
    figures: list[WardFigure] = []
    lsoa_layer = latest_layer(session, "lsoa")
    if lsoa_layer is not None:
        rows = session.execute(
            select(Area.ward_code, func.sum(Area.population), func.max(Area.population_source))
            .where(Area.layer_id == lsoa_layer.id, Area.population.is_not(None))
            .group_by(Area.ward_code)
        ).all()
        people = {str(code): float(total or 0) for code, total, _ in rows if code}
        if people:
            source = next((str(s) for _, _, s in rows if s), "Census 2021")
            figures.append(
                WardFigure(
                    key="residents",
                    label="Residents",
                    unit="count",
                    values={code: people.get(code, 0.0) for code in codes},
                    borough=sum(people.get(code, 0.0) for code in codes),
                    is_count=True,
                    source=source,
                    date=date(2021, 3, 21),
                    section="key",
                    note="Usual residents on Census day, 21 March 2021, added up from the LSOAs.",
                )
            )
    premises_rows = session.execute(
        select(
            Premises.ward_code,
            func.count(),
            func.sum(case((Premises.is_estimate, 1), else_=0)),
        ).group_by(Premises.ward_code)
    ).all()
    if premises_rows:
        counts = {str(code): float(n) for code, n, _ in premises_rows if code}
        estimated = sum(float(e or 0) for _, _, e in premises_rows)
        source = session.scalar(select(Premises.source).limit(1)) or "Premises"
        figures.append(
            WardFigure(
                key="premises",
                label="Premises (homes and other addresses)",
                unit="count",
                values={code: counts.get(code, 0.0) for code in codes},
                borough=sum(counts.get(code, 0.0) for code in codes),
                source=str(source),
                date=_layer_date(session, "ward"),
                section="key",
                note=(
                    "Premises are estimated from Census population along residential streets."
                    if estimated
                    else None
                ),
            )
        )
    return figures


def access_figures(session: Session) -> list[WardFigure]:
    """Help venues per ward, walking access shares and the median walk to the nearest venue."""
    codes = _ward_codes(session)
    if not codes:
        return []
    when = _access_run_date(session)
    venues = venue_frame(session)
    help_venues = venues[venues["is_venue"]]
    per_ward = help_venues.groupby("ward_code").size()
    source_date = next((str(d) for d in venues["source_date"].dropna()), None)
    figures = [
        WardFigure(
            key="help_venues",
            label="Places to get help (libraries, community centres and others)",
            unit="count",
            values={code: float(per_ward.get(code, 0)) for code in codes},
            borough=float(len(help_venues)),
            higher_is_better=True,
            source=", ".join(sorted(set(venues["source"].astype(str)))) or "Places",
            date=date.fromisoformat(source_date[:10]) if source_date else None,
            section="venues",
            licence=ODBL,
        )
    ]
    if when is None:
        return figures
    access = read_frame(
        session,
        select(
            AreaAccess.code,
            AreaAccess.minutes,
            AreaAccess.residents_within,
            AreaAccess.residents_total,
        ).where(AreaAccess.kind == "ward"),
        ["code", "minutes", "within", "total"],
    )
    for minutes in ACCESS_MINUTES:
        part = access[access["minutes"] == minutes].set_index("code")
        if part.empty:
            continue
        shares = (part["within"] / part["total"].where(part["total"] > 0)).astype(float)
        total = float(part["total"].sum())
        figures.append(
            WardFigure(
                key=f"walk_share_{minutes}_min",
                label=f"Residents within a {minutes} minute walk of a place to get help",
                unit="share",
                values={code: _number(shares.get(code)) for code in codes},
                borough=float(part["within"].sum()) / total if total > 0 else None,
                base_counts={code: float(part["total"].get(code, 0.0)) for code in codes},
                higher_is_better=True,
                source=ACCESS_SOURCE,
                date=when,
                section="venues",
                licence=ODBL,
            )
        )
    times = _walk_times(session)
    if not times.empty:
        medians = times.groupby("code")["minutes"].median()
        figures.append(
            WardFigure(
                key="median_walk_min",
                label="Median walk from home to the nearest place to get help",
                unit="minutes",
                values={code: _number(medians.get(code)) for code in codes},
                borough=float(times["minutes"].median()),
                higher_is_better=False,
                source=ACCESS_SOURCE,
                date=when,
                section="venues",
                licence=ODBL,
                note="Walking along streets at 80 metres a minute (4.8 km/h).",
            )
        )
    return figures


def connectivity_figures(session: Session) -> list[WardFigure]:
    """Places with public Wi-Fi and mobile sites (masts) per ward."""
    wards = ward_frame(session)
    if wards.empty:
        return []
    codes = list(wards["code"])
    figures = []
    venues = venue_frame(session)
    wifi = venues[venues["public_wifi"]]
    if len(venues):
        per_ward = wifi.groupby("ward_code").size()
        figures.append(
            WardFigure(
                key="public_wifi_places",
                label="Places with free public Wi-Fi",
                unit="count",
                values={code: float(per_ward.get(code, 0)) for code in codes},
                borough=float(len(wifi)),
                higher_is_better=True,
                source=", ".join(sorted(set(venues["source"].astype(str)))),
                date=None,
                section="coverage",
                licence=ODBL,
            )
        )
    sites = site_frame(session)
    if len(sites):
        masts = sites.drop_duplicates("site_ref").reset_index(drop=True)
        ward_codes = ward_of_points(masts, wards)
        per_ward = ward_codes.value_counts()
        source_date = next((str(d) for d in sites["source_date"].dropna()), None)
        figures.append(
            WardFigure(
                key="mobile_sites",
                label="Mobile phone masts in the ward",
                unit="count",
                values={code: float(per_ward.get(code, 0)) for code in codes},
                borough=float(ward_codes.notna().sum()),
                higher_is_better=True,
                source=", ".join(sorted(set(sites["source"].astype(str)))),
                date=date.fromisoformat(source_date[:10]) if source_date else None,
                section="coverage",
                licence=OGL,
                note="Masts just outside the borough also serve it and are not counted here.",
            )
        )
    return figures


def access_layers(session: Session) -> list[LayerSpec]:
    """Choropleths of walking access: wards and LSOAs within 10 minutes, median walk by ward."""
    when = _access_run_date(session)
    if when is None:
        return []
    layers: list[LayerSpec] = []
    access = read_frame(
        session,
        select(
            AreaAccess.kind,
            AreaAccess.code,
            AreaAccess.residents_within,
            AreaAccess.residents_total,
        ).where(AreaAccess.minutes == 10),
        ["kind", "code", "within", "total"],
    )
    for kind, words in (("ward", "ward"), ("lsoa", "neighbourhood (LSOA)")):
        part = access[access["kind"] == kind].set_index("code")
        if part.empty:
            continue
        shares = part["within"] / part["total"].where(part["total"] > 0)
        total = float(part["total"].sum())
        layers.append(
            MapLayerSpec(
                key=f"walk_10_min_{kind}",
                title=f"Walking access by {words}: within 10 minutes",
                area_kind="ward" if kind == "ward" else "lsoa",
                values={str(code): _number(value) for code, value in shares.items()},
                legend_title="Residents within a 10 minute walk of a place to get help",
                unit="share",
                source=ACCESS_SOURCE,
                licence=ODBL,
                date=when,
                scheme="YlGnBu",
                higher_is_better=True,
                base_counts={str(code): float(v) for code, v in part["total"].items()},
                class_edges=SHARE_EDGES,
                borough=float(part["within"].sum()) / total if total > 0 else None,
                note="Walking along streets at 4.8 km/h",
            )
        )
    times = _walk_times(session)
    if not times.empty:
        medians = times.groupby("code")["minutes"].median()
        layers.append(
            MapLayerSpec(
                key="median_walk_ward",
                title="Median walk to a place to get help, by ward",
                area_kind="ward",
                values={str(code): float(value) for code, value in medians.items()},
                legend_title="Median walk from home to the nearest place to get help",
                unit="minutes",
                source=ACCESS_SOURCE,
                licence=ODBL,
                date=when,
                scheme="YlOrRd",
                higher_is_better=False,
                borough=float(times["minutes"].median()),
            )
        )
    return layers


def venue_tables(session: Session) -> list[WardTable]:
    """Each ward's places to get help, with the residents living within a 15 minute walk."""
    venues = venue_frame(session)
    if venues.empty:
        return []
    catchments = catchment_frame(session)
    reach = (
        catchments[catchments["threshold_min"] == 15].set_index("place_id")["residents_within"]
        if len(catchments)
        else pd.Series(dtype=float)
    )
    rows: dict[str, list[dict[str, object]]] = {}
    for record in venues.drop(columns="geometry").to_dict("records"):
        code = record.get("ward_code")
        if not code:
            continue
        rows.setdefault(str(code), []).append(
            {
                "name": record["name"],
                "kind": record["kind_label"],
                "public_wifi": bool(record["public_wifi"]),
                "residents_15_min": _number(reach.get(record["place_id"])),
            }
        )
    source_date = next((str(d) for d in venues["source_date"].dropna()), None)
    return [
        WardTable(
            key="venues",
            title="Places to get help or get online in this ward",
            section="venues",
            columns=(
                TableColumn("name", "Place"),
                TableColumn("kind", "Kind"),
                TableColumn("public_wifi", "Free public Wi-Fi", "yes_no"),
                TableColumn("residents_15_min", "Residents within a 15 minute walk", "number"),
            ),
            rows=rows,
            source=", ".join(sorted(set(venues["source"].astype(str)))),
            licence=ODBL,
            date=date.fromisoformat(source_date[:10]) if source_date else None,
            empty_text="There are no recorded places to get help in this ward.",
            note="Residents within a 15 minute walk are modelled from premises, along streets.",
        )
    ]


def _walk_times(session: Session) -> pd.DataFrame:
    """Walking minutes from each premises to its nearest venue, with the premises' ward."""
    return memo(session, "places.walk_times", lambda: _read_walk_times(session))


def _read_walk_times(session: Session) -> pd.DataFrame:
    times = read_frame(
        session,
        select(Premises.ward_code, PremisesAccess.time_min).join(
            PremisesAccess, PremisesAccess.premises_id == Premises.id
        ),
        ["code", "minutes"],
    )
    times["minutes"] = pd.to_numeric(times["minutes"], errors="coerce")
    return times.dropna()


def _number(value: object) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if np.isnan(number) else number


def register_place_providers(app: Flask) -> None:
    """Register the place model's providers on ``app``."""
    tables: Sequence[str] = PLACES_TABLES
    figure_provider(app, "places_key", key_figures, 10, tables=tables)
    figure_provider(app, "places_access", access_figures, 11, tables=(*tables, *ACCESS_TABLES))
    figure_provider(app, "places_connectivity", connectivity_figures, 12, tables=tables)
    map_layer_provider(app, "places_access", access_layers, 10, tables=(*tables, *ACCESS_TABLES))
    table_provider(app, "places_venues", venue_tables, 10, tables=(*tables, *ACCESS_TABLES))
