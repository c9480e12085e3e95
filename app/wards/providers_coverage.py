"""Ward figures and map layers from the coverage model (``app.coverage``), read-only.

* figures per ward: residents by broadband gap (below the USO, below superfast), by best tier
  (superfast, gigabit, full fibre), with good indoor 4G, good outdoor 5G, in mobile not-spots
  and within reach of free public Wi-Fi;
* layers: the share of residents whose best broadband is each Ofcom tier, and with good indoor
  4G and outdoor 5G, by ward and LSOA; premises with good indoor 4G per 250 m hexagon (never one
  marker per premises); the predicted outdoor 4G signal at premises as a 200 m raster.

Coverage figures are modelled for premises, not reported by people, so they are not
suppressed (a share is still hidden where an area has fewer residents than the threshold).
Skipped when the coverage tables are missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.places.models import ModelRun, Premises
from app.wards.figures import (
    OGL,
    CellLayerSpec,
    LayerSpec,
    MapLayerSpec,
    RasterLayerSpec,
    WardFigure,
    figure_provider,
    map_layer_provider,
)
from app.wards.geography import current_wards, read_frame, ward_layer
from core.clock import to_london
from maps.grid import cell_rows_cols
from maps.raster import grid_to_array

TABLES = ("area_coverage", "premises_coverage", "premises", "model_runs", "areas", "area_layers")
SOURCE = "Coverage model (fixed broadband, 4G/5G and public Wi-Fi)"
SHARE_EDGES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
RASTER_CELL_M = 200.0
TIER_WORDS = {
    "below_uso": "below 10 Mbit/s (below the Universal Service Obligation)",
    "decent": "10 to 30 Mbit/s",
    "superfast": "30 to 300 Mbit/s (superfast)",
    "ultrafast": "300 to 1,000 Mbit/s (ultrafast)",
    "gigabit": "1,000 Mbit/s or more (gigabit)",
}


@dataclass(frozen=True)
class _Share:
    key: str
    label: str
    column: str
    higher_is_better: bool
    map_title: str | None = None


SHARES = (
    _Share(
        "below_uso",
        "Residents whose best broadband is below 10 Mbit/s (below the Universal Service Obligation)",
        "residents_below_uso",
        False,
    ),
    _Share(
        "below_superfast",
        "Residents whose best broadband is below 30 Mbit/s (not superfast)",
        "residents_below_superfast",
        False,
    ),
    _Share(
        "superfast",
        "Residents who can get superfast broadband (30 Mbit/s or more)",
        "share_superfast",
        True,
    ),
    _Share("gigabit", "Residents who can get gigabit broadband", "share_gigabit", True),
    _Share("full_fibre", "Residents who can get full fibre", "share_full_fibre", True),
    _Share(
        "good_4g_indoor",
        "Residents with good 4G indoors from at least one operator",
        "share_good_4g_indoor_any",
        True,
        "Indoor 4G: good signal from at least one operator",
    ),
    _Share(
        "good_4g_indoor_all",
        "Residents with good 4G indoors from every operator",
        "share_good_4g_indoor_all",
        True,
    ),
    _Share(
        "good_5g_outdoor",
        "Residents with good 5G outdoors from at least one operator",
        "share_good_5g_outdoor_any",
        True,
        "Outdoor 5G: good signal from at least one operator",
    ),
    _Share(
        "not_spot",
        "Residents in a mobile not-spot (no good 4G from any operator)",
        "share_not_spot",
        False,
    ),
    _Share(
        "wifi_reach",
        "Residents within reach of free public Wi-Fi",
        "share_within_wifi_reach",
        True,
    ),
)


def _run_date(session: Session) -> date | None:
    run = session.scalars(
        select(ModelRun).where(ModelRun.kind == "coverage").order_by(ModelRun.id.desc())
    ).first()
    return to_london(run.started_at).date() if run is not None else None


def _area_table(session: Session, kind: str) -> pd.DataFrame:
    from app.coverage.models import AreaCoverage

    rows = session.scalars(select(AreaCoverage).where(AreaCoverage.kind == kind)).all()
    records = []
    for row in rows:
        residents = float(row.residents or 0.0)
        record: dict[str, object] = {
            "code": row.code,
            "vintage": row.vintage,
            "residents": residents,
            "premises": float(row.premises),
            "premises_below_uso": float(row.premises_below_uso),
            "residents_below_uso": row.residents_below_uso / residents if residents else None,
            "residents_below_superfast": (
                row.residents_below_superfast / residents if residents else None
            ),
        }
        for share in SHARES:
            if share.column.startswith("share_"):
                record[share.column] = getattr(row, share.column)
        by_tier = row.residents_by_tier or {}
        for tier in TIER_WORDS:
            value = by_tier.get(tier)
            record[f"tier_{tier}"] = (
                float(value) / residents if residents and value is not None else None
            )
        records.append(record)
    return pd.DataFrame.from_records(records)


def _weighted(frame: pd.DataFrame, column: str) -> float | None:
    present = frame[frame[column].notna()]
    total = float(present["residents"].sum())
    if present.empty or total <= 0:
        return None
    return float((present[column].astype(float) * present["residents"]).sum() / total)


def coverage_figures(session: Session) -> list[WardFigure]:
    """Coverage shares per ward, weighted by residents, and premises below the USO."""
    wards = current_wards(session)
    layer = ward_layer(session)
    when = _run_date(session)
    if not wards or layer is None or when is None:
        return []
    table = _area_table(session, "ward")
    if table.empty:
        return []
    table = table[table["vintage"] == layer.vintage].set_index("code")
    codes = [ward.code for ward in wards]
    base = {code: float(table["residents"].get(code, 0.0)) for code in codes}
    figures = []
    for share in SHARES:
        if share.column not in table.columns or table[share.column].isna().all():
            continue
        figures.append(
            WardFigure(
                key=f"coverage_{share.key}",
                label=share.label,
                unit="share",
                values={code: _value(table[share.column].get(code)) for code in codes},
                borough=_weighted(table.reset_index(), share.column),
                base_counts=base,
                higher_is_better=share.higher_is_better,
                source=SOURCE,
                date=when,
                section="coverage",
                licence=OGL,
            )
        )
    figures.append(
        WardFigure(
            key="coverage_premises_below_uso",
            label="Premises whose best broadband is below 10 Mbit/s",
            unit="count",
            values={code: _value(table["premises_below_uso"].get(code)) for code in codes},
            borough=float(table["premises_below_uso"].reindex(codes).fillna(0).sum()),
            higher_is_better=False,
            source=SOURCE,
            date=when,
            section="coverage",
            licence=OGL,
            note="Coverage is modelled for every premises: a planning estimate, not a measurement.",
        )
    )
    return figures


def _value(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return None if np.isnan(number) else number


def coverage_layers(session: Session) -> list[LayerSpec]:
    """Tier and mobile choropleths by ward and LSOA, indoor 4G hexagons and a signal raster."""
    when = _run_date(session)
    if when is None:
        return []
    layers: list[LayerSpec] = []
    for kind in ("ward", "lsoa"):
        table = _area_table(session, kind)
        if table.empty:
            continue
        table = table.set_index("code")
        base = {str(code): float(v) for code, v in table["residents"].items()}
        where = "by ward" if kind == "ward" else "by neighbourhood (LSOA)"
        for tier, words in TIER_WORDS.items():
            column = f"tier_{tier}"
            if table[column].isna().all():
                continue
            layers.append(
                MapLayerSpec(
                    key=f"tier_{tier}_{kind}",
                    title=f"Broadband {words}, {where}",
                    area_kind=kind,
                    values={str(code): _value(v) for code, v in table[column].items()},
                    legend_title=f"Residents whose best broadband is {words}",
                    unit="share",
                    source=SOURCE,
                    licence=OGL,
                    date=when,
                    scheme="YlOrRd" if tier in ("below_uso", "decent") else "YlGnBu",
                    higher_is_better=tier not in ("below_uso", "decent"),
                    base_counts=base,
                    class_edges=SHARE_EDGES,
                    borough=_weighted(table.reset_index(), column),
                    on_borough_map=kind == "ward",
                    on_ward_maps=tier in ("below_uso", "gigabit"),
                )
            )
        for share in SHARES:
            if share.map_title is None or table[share.column].isna().all():
                continue
            layers.append(
                MapLayerSpec(
                    key=f"{share.key}_{kind}",
                    title=f"{share.map_title}, {where}",
                    area_kind=kind,
                    values={str(code): _value(v) for code, v in table[share.column].items()},
                    legend_title=share.label,
                    unit="share",
                    source=SOURCE,
                    licence=OGL,
                    date=when,
                    scheme="YlGnBu",
                    higher_is_better=share.higher_is_better,
                    base_counts=base,
                    class_edges=SHARE_EDGES,
                    borough=_weighted(table.reset_index(), share.column),
                    on_borough_map=kind == "ward",
                    on_ward_maps=share.key == "good_4g_indoor",
                )
            )
    layers.extend(_premises_layers(session, when))
    return layers


def _premises_layers(session: Session, when: date) -> list[LayerSpec]:
    from app.coverage.models import PremisesCoverage

    frame = read_frame(
        session,
        select(
            Premises.x_m,
            Premises.y_m,
            PremisesCoverage.good_4g_indoor_any,
            PremisesCoverage.rsrp_dbm,
        ).join(PremisesCoverage, PremisesCoverage.premises_id == Premises.id),
        ["x_m", "y_m", "good", "rsrp"],
    )
    if frame.empty:
        return []
    x_m = frame["x_m"].to_numpy(dtype=np.float64)
    y_m = frame["y_m"].to_numpy(dtype=np.float64)
    layers: list[LayerSpec] = [
        CellLayerSpec(
            key="good_4g_indoor_cells",
            title="Indoor 4G at premises, by 250 metre hexagon",
            legend_title="Share of premises with good 4G indoors (any operator)",
            x_m=x_m,
            y_m=y_m,
            flags=frame["good"].astype(bool).to_numpy(),
            source=SOURCE,
            licence=OGL,
            date=when,
            higher_is_better=True,
        )
    ]
    best = _best_outdoor_4g(frame["rsrp"])
    if np.isfinite(best).any():
        layers.append(_signal_raster(x_m, y_m, best, when))
    return layers


_OUTDOOR_4G = re.compile(r'"4g_outdoor":\s*\[([^\]]*)\]')


def _best_outdoor_4g(texts: pd.Series) -> np.ndarray:
    """The strongest predicted outdoor 4G signal at each premises (dBm; NaN: none).

    The stored texts are JSON written by the coverage model; only the outdoor 4G list is
    needed, so it is cut out with a regular expression and all the lists are parsed as one
    array (parsing 50,000 JSON documents takes most of a second).
    """
    lists = [
        found.group(1).strip() if (found := _OUTDOOR_4G.search(text or "")) else ""
        for text in texts.astype(object).tolist()
    ]
    sizes = np.array([item.count(",") + 1 if item else 0 for item in lists], dtype=np.int64)
    best = np.full(len(lists), np.nan)
    if not sizes.any():
        return best
    flat = ",".join(item for item in lists if item).replace("null", "nan")
    values = np.array(flat.split(","), dtype=np.float64)
    starts = np.cumsum(sizes) - sizes
    present = sizes > 0
    # fmax ignores NaN (no signal from that operator), so each premises gets its best signal.
    best[present] = np.fmax.reduceat(values, starts[present])
    return best


def _signal_raster(
    x_m: np.ndarray, y_m: np.ndarray, dbm: np.ndarray, when: date
) -> RasterLayerSpec:
    keep = np.isfinite(dbm)
    rows, cols = cell_rows_cols(x_m[keep], y_m[keep], cell_size_m=RASTER_CELL_M, shape="square")
    row0, col0 = int(rows.min()), int(cols.min())
    cells = pd.DataFrame({"r": rows - row0, "c": cols - col0, "v": dbm[keep]})
    median = cells.groupby(["r", "c"])["v"].median()
    grid = grid_to_array(
        median.to_numpy(),
        median.index.get_level_values("r").to_numpy(),
        median.index.get_level_values("c").to_numpy(),
    )
    return RasterLayerSpec(
        key="signal_4g_outdoor",
        title="Mobile signal: predicted outdoor 4G at premises (200 metre squares)",
        legend_title="Strongest predicted 4G signal outdoors (RSRP)",
        values_dbm=grid,
        origin_m=(col0 * RASTER_CELL_M, row0 * RASTER_CELL_M),
        cell_m=RASTER_CELL_M,
        source=SOURCE,
        licence=OGL,
        date=when,
        note="Median over the premises in each square; a planning estimate, not a measurement",
    )


def register(app: Flask) -> None:
    """Register the coverage providers."""
    figure_provider(app, "coverage", coverage_figures, 30, tables=TABLES)
    map_layer_provider(app, "coverage", coverage_layers, 30, tables=TABLES)
