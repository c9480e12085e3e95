"""Survey import and area estimates at the size of a large council survey.

Import: 10,000 synthetic responses (100 LSOAs in 17 wards) checked, scored, given personas and
stored in SQLite by :func:`surveys.services.import_responses`, against the naive way of storing
an export: one response at a time through the online form's service
(:func:`surveys.services.store_response`), timed on 200 responses and scaled to 10,000.
Goal: the whole file in under 10 seconds.

Estimates: persona and barrier shares with 90% intervals for every ward and every LSOA from the
10,000 stored responses (:func:`surveys.services.estimate_areas`, as the planner page computes
them on each request).  Goal: under 1 second per level.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from benchmarks import Row, best_of
from core.audit import AuditEvent
from core.clock import now_utc
from core.db import Base, make_engine, make_session_factory
from geo.sources.ons_tables import ADULT_AGE_COLUMNS, AGE_COLUMNS
from surveys import models as _models  # noqa: F401 - registers the survey tables
from surveys.services import (
    AreaContext,
    AreaEstimates,
    estimate_areas,
    import_responses,
    store_response,
)
from surveys.synthetic import synthetic_responses

SUITE = "surveys"
N_RESPONSES = 10_000
N_NAIVE = 200
IMPORT_GOAL_S = 10.0
ESTIMATE_GOAL_S = 1.0


def _areas(seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    codes = [f"E0190{i:04d}" for i in range(1, 101)]
    ages = pd.DataFrame(
        rng.integers(100, 450, (len(codes), len(AGE_COLUMNS))),
        columns=list(AGE_COLUMNS),
        index=pd.Index(codes, name="LSOA21CD"),
    ).astype(float)
    ages["adults"] = ages[list(ADULT_AGE_COLUMNS)].sum(axis=1)
    ages["total"] = ages[list(AGE_COLUMNS)].sum(axis=1)
    ages["ward_code"] = [f"E0590{1 + i // 6:04d}" for i in range(len(codes))]
    ages["imd_decile"] = rng.integers(1, 11, len(codes))
    return ages


def run() -> list[Row]:
    areas = _areas()
    frame = areas[list(ADULT_AGE_COLUMNS)].assign(
        ward_code=areas["ward_code"], lsoa21_code=areas.index, imd_decile=areas["imd_decile"]
    )
    survey = synthetic_responses(frame.reset_index(drop=True), n=N_RESPONSES, seed=11)
    data = survey.to_csv(index=False).encode("utf-8")
    context = AreaContext(
        ward_codes=frozenset(areas["ward_code"]), lsoa_codes=frozenset(areas.index)
    )
    tables = [
        table
        for name, table in Base.metadata.tables.items()
        if name.startswith("survey") or name == AuditEvent.__tablename__
    ]
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        Base.metadata.create_all(engine, tables=tables)
        factory = make_session_factory(engine)

        def bulk() -> int:
            with factory() as session:
                report = import_responses(session, data, areas=context, now=now_utc())
                session.rollback()
                return report.stored

        bulk_s, stored = best_of(bulk, repeats=3)
        assert stored == N_RESPONSES

        answers = survey.head(N_NAIVE).astype(object).where(survey.head(N_NAIVE).notna(), None)

        def one_by_one() -> None:
            with factory() as session:
                for row in answers.to_dict("records"):
                    values = {str(key): value for key, value in row.items()}
                    store_response(session, values, source="online", areas=context, now=now_utc())
                session.rollback()

        naive_s, _ = best_of(one_by_one, repeats=1)
        naive_total_s = naive_s * N_RESPONSES / N_NAIVE

        with factory() as session:
            import_responses(session, data, areas=context, now=now_utc())
            session.commit()
        lsoa_ward = areas["ward_code"]
        ages = areas[[*AGE_COLUMNS, "adults", "total"]]
        deciles = areas["imd_decile"]
        rows = [
            Row(
                SUITE,
                f"import {N_RESPONSES:,} responses (check, score, store)",
                bulk_s,
                "s",
                f"one at a time ({N_NAIVE} timed, scaled)",
                naive_total_s,
                f"< {IMPORT_GOAL_S:g} s",
                bulk_s < IMPORT_GOAL_S,
            )
        ]
        levels: tuple[Literal["ward", "lsoa"], ...] = ("ward", "lsoa")
        for level in levels:
            with factory() as session:

                def estimate(
                    session: Session = session, level: Literal["ward", "lsoa"] = level
                ) -> AreaEstimates:
                    return estimate_areas(
                        session, level=level, ages=ages, lsoa_ward=lsoa_ward, imd_decile=deciles
                    )

                seconds, result = best_of(estimate, repeats=3)
            rows.append(
                Row(
                    SUITE,
                    f"{level} estimates from {N_RESPONSES:,} responses "
                    f"({result.table['area_code'].nunique()} areas)",
                    seconds,
                    "s",
                    "-",
                    None,
                    f"< {ESTIMATE_GOAL_S:g} s",
                    seconds < ESTIMATE_GOAL_S,
                )
            )
        engine.dispose()
    return rows
