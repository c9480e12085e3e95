"""The demo's synthetic candidate buildings: where a new venue would help most."""

from __future__ import annotations

import numpy as np
import pandas as pd

from app.targeting.demo import demo_candidates


def test_demo_candidates_sit_in_the_busiest_squares_away_from_every_place() -> None:
    # Ward W1: 30 residents in the square at (1000, 1000), 5 at (2000, 1000), 50 right next to
    # a place at (0, 0).  Ward W2: one premises at (5000, 5000).
    premises = pd.DataFrame(
        {
            "x_m": [1000.0, 1010.0, 2000.0, 0.0, 5000.0],
            "y_m": [1000.0, 1010.0, 1000.0, 10.0, 5000.0],
            "residents": [20.0, 10.0, 5.0, 50.0, 2.0],
            "ward_code": ["W1", "W1", "W1", "W1", "W2"],
        }
    )
    places = np.array([[0.0, 0.0]])
    found = demo_candidates(premises, places, {"W1": "North", "W2": "South"})
    assert list(found["name"]) == [
        "North Primary School",
        "North Youth Centre",
        "South Primary School",
    ]
    assert list(found["kind"]) == ["school", "community centre", "school"]
    # Placed on a premises: the one nearest the middle of its square.
    assert (found.loc[0, "x_m"], found.loc[0, "y_m"]) == (1000.0, 1000.0)
    assert (found.loc[1, "x_m"], found.loc[1, "y_m"]) == (2000.0, 1000.0)
    assert found["candidate_id"].is_unique
