"""Public Wi-Fi: ITU-R P.1411 below-rooftop loss, reach radius and premises in reach."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from geo.coverage.config import WifiConfig
from geo.coverage.wifi import (
    P1411_BELOW_ROOFTOP,
    p1411_below_rooftop_loss_db,
    validate_hotspots,
    wifi_coverage,
    wifi_reach_m,
)
from geo.errors import InputError

X0, Y0 = 450_000.0, 250_000.0


def test_p1411_residential_nlos_at_100_m_and_los() -> None:
    assert p1411_below_rooftop_loss_db(100.0, 2.4) == pytest.approx(86.9, abs=0.05)
    los = p1411_below_rooftop_loss_db(100.0, 2.4, environment="los")
    assert los == pytest.approx(21.2 * 2 + 29.2 + 21.1 * math.log10(2.4))
    # NLoS residential loses about 30 dB per decade, LoS about 21.
    assert p1411_below_rooftop_loss_db(160.0, 2.4) - p1411_below_rooftop_loss_db(
        16.0, 2.4, out_of_range="extrapolate"
    ) == pytest.approx(30.1)


def test_p1411_ranges_are_enforced() -> None:
    with pytest.raises(InputError, match=r"distance_3d_m must be within 30–170 m"):
        p1411_below_rooftop_loss_db(200.0, 2.4)
    with pytest.raises(InputError, match=r"frequency_ghz must be within 10–73 GHz"):
        p1411_below_rooftop_loss_db(100.0, 2.4, environment="nlos_urban_low_rise")
    with pytest.raises(InputError, match=r"unknown P\.1411 environment"):
        p1411_below_rooftop_loss_db(100.0, 2.4, environment="indoor")
    assert set(P1411_BELOW_ROOFTOP) == {
        "los",
        "nlos_urban_high_rise",
        "nlos_urban_low_rise",
        "nlos_residential",
    }


def test_reach_is_where_the_signal_meets_the_sensitivity() -> None:
    radius, capped = wifi_reach_m(
        10.0,
        2.4,
        sensitivity_dbm=-75.0,
        hotspot_height_m=1.5,
        receiver_height_m=1.5,
        cap_at_validity=False,
    )
    assert not capped[()] if capped.ndim == 0 else not capped[0]
    # At the reach the loss equals EIRP - sensitivity = 85 dB.
    assert p1411_below_rooftop_loss_db(float(radius), 2.4) == pytest.approx(85.0)
    # Heights: reach on the ground is sqrt(d3^2 - dh^2).
    lifted, _ = wifi_reach_m(
        10.0, 2.4, hotspot_height_m=11.5, receiver_height_m=1.5, cap_at_validity=False
    )
    assert float(lifted) == pytest.approx(math.sqrt(float(radius) ** 2 - 100.0))


def test_reach_is_capped_at_the_model_range_and_flagged() -> None:
    radius, capped = wifi_reach_m(
        [20.0, 20.0, -20.0], [2.4, 5.0, 2.4], hotspot_height_m=1.5, receiver_height_m=1.5
    )
    assert radius[0] == pytest.approx(170.0)
    assert capped.tolist() == [True, False, True]
    assert radius[1] < 170.0
    with pytest.raises(InputError, match="frequency_ghz"):
        wifi_reach_m(20.0, 2.4, environment="nlos_urban_low_rise")


def hotspots(**overrides) -> pd.DataFrame:
    table = pd.DataFrame(
        {
            "hotspot_id": ["h1", "h2"],
            "x_m": [X0, X0 + 1000.0],
            "y_m": [Y0, Y0],
            "band_ghz": [2.4, 5.0],
            "eirp_dbm": [20.0, 23.0],
        }
    )
    for column, value in overrides.items():
        table.loc[1, column] = value
    return table


def test_premises_within_reach() -> None:
    premises = pd.DataFrame(
        {"x_m": X0 + np.array([50.0, 160.0, 500.0, 1090.0]), "y_m": np.full(4, Y0)},
        index=[7, 8, 9, 10],
    )
    config = WifiConfig(hotspot_height_m=1.5, receiver_height_m=1.5)
    per_premises, per_hotspot = wifi_coverage(premises, hotspots(), config=config)
    reach = per_hotspot["reach_m"]
    assert reach["h1"] == pytest.approx(170.0) and per_hotspot["reach_capped"]["h1"]
    assert 90.0 < reach["h2"] < 170.0
    assert per_premises.index.tolist() == [7, 8, 9, 10]
    assert per_premises["within_wifi_reach"].tolist() == [True, True, False, True]
    assert per_premises["nearest_hotspot_id"].tolist() == ["h1", "h1", "h1", "h2"]
    assert per_premises["nearest_hotspot_distance_m"].tolist() == pytest.approx(
        [50.0, 160.0, 500.0, 90.0]
    )
    # An entry loss shrinks the reach: 160 m is then out of reach.
    indoors, _ = wifi_coverage(premises, hotspots(), config=WifiConfig(entry_loss_db=10.0))
    assert indoors["within_wifi_reach"].tolist() == [True, False, False, False]


def test_overlapping_hotspots_are_counted() -> None:
    table = hotspots(x_m=X0 + 100.0)
    per_premises, _ = wifi_coverage(pd.DataFrame({"x_m": [X0 + 50.0], "y_m": [Y0]}), table)
    assert per_premises["hotspots_in_reach"].tolist() == [2]


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("band_ghz", 3.5, r"row 2, column band_ghz"),
        ("eirp_dbm", 40.0, r"row 2, column eirp_dbm: eirp_dbm must be within -10 to 36 dBm"),
        ("x_m", -5.0, r"row 2, column x_m"),
        ("hotspot_id", "h1", r"row 2, column hotspot_id: hotspot_id repeats"),
        ("environment", "indoor", r"row 2, column environment"),
        ("height_m", 80.0, r"row 2, column height_m"),
    ],
)
def test_hotspot_refusals(column, value, message) -> None:
    table = hotspots()
    if column not in table.columns:
        table[column] = None
    table[column] = table[column].astype(object)
    table.loc[1, column] = value
    with pytest.raises(InputError, match=message):
        validate_hotspots(table)
    with pytest.raises(InputError, match=r"missing column\(s\) \['eirp_dbm'\]"):
        validate_hotspots(hotspots().drop(columns="eirp_dbm"))
