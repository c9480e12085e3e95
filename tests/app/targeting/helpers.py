"""A tiny stored borough for the targeting tests, with hand-computable answers.

The ring world (British National Grid, metres from ``X0, Y0``): one ward whose only street is a
500 m square loop (2 km round, a junction every 100 m).  Five groups of residents live at the
loop positions 0, 400, 800, 1200 and 1600 m (10, 20, 30, 25 and 15 residents), and five
community centres A-E stand half-way between them (200, 600, 1000, 1400 and 1800 m).  With a
3-minute walk (240 m at 80 m a minute) each centre reaches its two neighbours:

    A {1, 2} 30   B {2, 3} 50   C {3, 4} 55   D {4, 5} 40   E {1, 5} 25

* two new venues: B + D reach 90 of 100, the unique best pair; greedy takes C (55) then A (30)
  for 85;
* fewest venues for 90%: B + D (2); greedy needs C, A, E (3); for everyone: 3;
* with a venue already open at the 1,200 m group (25 residents), one new venue: B adds 50,
  so 75 are within the walk.

A second ward to the east has no premises, survey responses or coverage ("no data").
"""

from __future__ import annotations

from datetime import datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy.orm import Session

from app.places import services as places
from geo.areas import area_layer_from_frame
from geo.network import StreetNetwork, from_arrays
from geo.sources.ons_tables import ADULT_AGE_COLUMNS

X0, Y0 = 450_000.0, 250_000.0
WARD, EMPTY_WARD = "E05900901", "E05900902"
WARD_NAME, EMPTY_WARD_NAME = "Ringside", "Emptyfield"
LSOA, EMPTY_LSOA = "E01900901", "E01900902"
DEMAND = ((0, 0, 10.0), (400, 0, 20.0), (500, 300, 30.0), (300, 500, 25.0), (0, 400, 15.0))
CANDIDATES = (("A", 200, 0), ("B", 500, 100), ("C", 500, 500), ("D", 100, 500), ("E", 0, 200))
BANDS = (
    "Aged 15 years and under",
    "Aged 16 to 24 years",
    "Aged 25 to 34 years",
    "Aged 35 to 49 years",
    "Aged 50 to 64 years",
    "Aged 65 years and over",
)
POPULATION = (40, 150, 200, 200, 150, 200)


def loop_network() -> StreetNetwork:
    """The 500 m square loop, a junction every 100 m, anticlockwise from the south-west."""
    corners = [(0, 0), (500, 0), (500, 500), (0, 500)]
    points: list[tuple[float, float]] = []
    for (ax, ay), (bx, by) in zip(corners, corners[1:] + corners[:1], strict=True):
        for step in range(5):
            points.append((ax + (bx - ax) * step / 5, ay + (by - ay) * step / 5))
    count = len(points)
    xy = np.asarray(points, dtype=float)
    return from_arrays(
        np.arange(count),
        X0 + xy[:, 0],
        Y0 + xy[:, 1],
        np.arange(count),
        (np.arange(count) + 1) % count,
        np.full(count, 100.0),
        mode="walk",
    )


def _square(x0: float, y0: float, side: float) -> shapely.Polygon:
    return shapely.box(X0 + x0, Y0 + y0, X0 + x0 + side, Y0 + y0 + side)


def store_ring_borough(session: Session, *, now: datetime, source: str = "Ring test") -> None:
    """Store the ring world (wards, LSOAs with population, network, premises, centres)."""
    wards = gpd.GeoDataFrame(
        {"WD23CD": [WARD, EMPTY_WARD], "WD23NM": [WARD_NAME, EMPTY_WARD_NAME]},
        geometry=[_square(-100, -100, 700), _square(600, -100, 700)],
        crs="EPSG:27700",
    )
    lsoas = gpd.GeoDataFrame(
        {"LSOA21CD": [LSOA, EMPTY_LSOA], "LSOA21NM": ["Ring 001A", "Ring 001B"]},
        geometry=[_square(-100, -100, 700), _square(600, -100, 700)],
        crs="EPSG:27700",
    )
    for frame, what in ((wards, "wards"), (lsoas, "LSOAs")):
        layer = area_layer_from_frame(frame, source=f"{source}: {what}", loaded_at=now)
        places.store_area_layer(session, layer, now=now)
    table = pd.DataFrame(
        [
            {
                "lsoa21_code": code,
                "total": sum(POPULATION),
                **dict(zip(BANDS, POPULATION, strict=True)),
            }
            for code in (LSOA, EMPTY_LSOA)
        ]
    )
    places.store_population(
        session,
        table,
        code_column="lsoa21_code",
        total_column="total",
        band_columns=list(BANDS),
        source=f"{source}: population",
    )
    places.store_network(session, loop_network(), source="loop", source_date=None, now=now)
    premises = gpd.GeoDataFrame(
        {
            "premises_id": [f"P{i + 1}" for i in range(len(DEMAND))],
            "residents": [weight for _x, _y, weight in DEMAND],
        },
        geometry=[shapely.Point(X0 + x, Y0 + y) for x, y, _w in DEMAND],
        crs="EPSG:27700",
    )
    places.store_premises(session, premises, source=f"{source}: premises")
    centres = gpd.GeoDataFrame(
        {
            "name": [name for name, _x, _y in CANDIDATES],
            "kind": ["community_centre"] * len(CANDIDATES),
            "public_wifi": [False] * len(CANDIDATES),
        },
        geometry=[shapely.Point(X0 + x, Y0 + y) for _n, x, y in CANDIDATES],
        crs="EPSG:27700",
    )
    places.store_places(session, centres, source=f"{source}: places", source_date=None)
    session.flush()


def add_venue(session: Session, name: str, x: float, y: float, *, now: datetime) -> None:
    """An open help venue of the champions network at ``(X0 + x, Y0 + y)``."""
    from champions.models import Venue

    session.add(
        Venue(
            name=name,
            easting_m=X0 + x,
            northing_m=Y0 + y,
            latitude=52.0,
            longitude=-1.0,
            ward_code=WARD,
            created_at=now,
            updated_at=now,
        )
    )
    session.flush()


def import_survey(session: Session, *, now: datetime, n: int = 100, seed: int = 3) -> int:
    """A synthetic survey of the ring ward's adults, through the real import (SYNTHETIC)."""
    from app.surveys.areas import stored_areas
    from surveys.services import import_responses
    from surveys.synthetic import synthetic_responses

    areas = pd.DataFrame(
        [
            {
                "ward_code": WARD,
                "lsoa21_code": LSOA,
                "imd_decile": 3,
                **dict(zip(ADULT_AGE_COLUMNS, POPULATION[1:], strict=True)),
            }
        ]
    )
    data = synthetic_responses(areas, n=n, seed=seed).to_csv(index=False).encode("utf-8")
    report = import_responses(
        session, data, areas=stored_areas(session).context(), now=now, filename="ring.csv"
    )
    session.flush()
    return int(report.stored)
