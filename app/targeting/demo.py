"""Demo data of the targeting tool: candidate buildings for the demo borough and one scenario.

The demo borough (:mod:`geo.sources.demo`) is synthetic and has no schools or other buildings
that are not help venues already, so this adds some, labelled as synthetic: in each ward, up to
two buildings in the most populated 400 m squares farther than 400 m from every stored place
(where a new venue would help most), called "<ward> Primary School" and "<ward> Youth Centre".
Then one example scenario is run and saved, so the pages have something to show.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import select

from app.database import db_session
from app.places.models import Place, Premises
from app.targeting import inputs, services
from app.targeting.models import CandidateSite, Scenario
from core.clock import now_utc

EXAMPLE_NAME = "Example: the whole borough, £50,000 and a 15-minute walk"
_SQUARE_M = 400.0
_AWAY_M = 400.0
_KINDS = (("Primary School", "school"), ("Youth Centre", "community centre"))


def demo_candidates(
    premises: pd.DataFrame, places_xy: np.ndarray, ward_names: dict[str, str]
) -> pd.DataFrame:
    """Synthetic candidate buildings: the premises nearest the middle of each ward's two most
    populated 400 m squares that lie over 400 m from every place (EPSG:27700)."""
    x = premises["x_m"].to_numpy(dtype=float)
    y = premises["y_m"].to_numpy(dtype=float)
    away = np.ones(len(x), dtype=bool)
    if len(places_xy):
        tree = shapely.STRtree(np.asarray(shapely.points(places_xy[:, 0], places_xy[:, 1])))
        near = tree.query(shapely.points(x, y), predicate="dwithin", distance=_AWAY_M)
        away[near[0]] = False
    frame = premises.assign(
        away=away,
        cx=np.floor(x / _SQUARE_M).astype(np.int64),
        cy=np.floor(y / _SQUARE_M).astype(np.int64),
    )
    frame = frame[frame["away"] & frame["ward_code"].notna()]
    squares = (
        frame.groupby(["ward_code", "cx", "cy"])
        .agg(x=("x_m", "mean"), y=("y_m", "mean"), people=("residents", "sum"))
        .reset_index()
        .sort_values(["ward_code", "people", "cx", "cy"], ascending=[True, False, True, True])
    )
    rows = []
    for ward_code, group in squares.groupby("ward_code", sort=True):
        members = frame[frame["ward_code"] == ward_code]
        member_x = members["x_m"].to_numpy(dtype=float)
        member_y = members["y_m"].to_numpy(dtype=float)
        top = group.head(len(_KINDS))
        for (label, kind), sx, sy in zip(
            _KINDS, top["x"].to_numpy(dtype=float), top["y"].to_numpy(dtype=float), strict=False
        ):
            nearest = int(np.argmin(np.hypot(member_x - sx, member_y - sy)))
            name = ward_names.get(str(ward_code), str(ward_code))
            rows.append(
                {
                    "candidate_id": f"demo:{ward_code}:{kind.replace(' ', '-')}",
                    "name": f"{name} {label}",
                    "kind": kind,
                    "x_m": float(member_x[nearest]),
                    "y_m": float(member_y[nearest]),
                }
            )
    return pd.DataFrame(rows, columns=["candidate_id", "name", "kind", "x_m", "y_m"])


def load_demo_targeting(*, seed: int, echo: Callable[[str], None]) -> bool:
    """Store the demo candidate buildings and run and save the example scenario."""
    session = db_session()
    wards = inputs.list_wards(session)
    from app.places.services import latest_layer

    layer = latest_layer(session, "ward")
    expected = f"Demo Borough (synthetic, seed {seed})"
    if layer is None or not layer.source.startswith(expected):
        echo("Targeting demo: the stored areas are not the demo borough, so nothing is added.")
        return False
    if session.scalars(select(Scenario.id).where(Scenario.name == EXAMPLE_NAME)).first():
        echo("Targeting demo: the example scenario is already saved.")
        return False
    now = now_utc()
    source = f"{expected}: candidate buildings (synthetic)"
    if not session.scalars(select(CandidateSite.id).where(CandidateSite.source == source)).first():
        premises = pd.DataFrame(
            session.execute(
                select(Premises.x_m, Premises.y_m, Premises.residents, Premises.ward_code)
            ).all(),
            columns=["x_m", "y_m", "residents", "ward_code"],
        )
        places = np.asarray(session.execute(select(Place.x_m, Place.y_m)).all(), dtype=float)
        candidates = demo_candidates(premises, places.reshape(-1, 2), dict(wards))
        report = services.store_candidates(
            session, candidates, source=source, source_date=None, now=now
        )
        echo(f"  {report.loaded} synthetic candidate buildings for new venues")
    request = services.ScenarioRequest(
        name=EXAMPLE_NAME,
        ward_codes=tuple(code for code, _name in wards),
        level="ward",
        budget_gbp=50_000.0,
        walk_min=15,
        k=5,
        share=0.8,
        time_limit_s=5.0,
    )
    scenario = services.create_scenario(session, request, by_id=None, by_name="Demo data", now=now)
    results = services.run_scenario(session, request)
    finished = now_utc()
    scenario.status = "done"
    scenario.progress = 100
    scenario.progress_text = "Finished"
    scenario.results = results
    scenario.started_at = now
    scenario.finished_at = finished
    scenario.updated_at = finished
    services.save_scenario(session, scenario, name=EXAMPLE_NAME, now=finished)
    session.commit()
    siting = results["siting"]
    if siting.get("available"):
        exact = siting["mclp"]["exact"]
        echo(
            f"  example scenario saved: {exact['n_sites']} new venue(s), "
            f"{exact['share_before']:.0%} -> {exact['share_covered']:.0%} of estimated excluded "
            f"residents within a 15-minute walk ({exact['status']})"
        )
    else:
        echo("  example scenario saved (no siting answer: " + str(siting.get("message")) + ")")
    return True
