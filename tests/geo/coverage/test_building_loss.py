"""Building entry loss: TR 38.901 O2I means and ITU-R P.2109-1 against the reference tables."""

from __future__ import annotations

import numpy as np
import pytest

from geo.coverage.building_loss import (
    BUILDING_LOSS_MODELS,
    building_entry_loss_db,
    material_loss_db,
    mean_indoor_distance_m,
    o2i_penetration_loss_db,
    p2109_building_entry_loss_db,
)
from geo.errors import InputError

FREQUENCIES_GHZ = np.array([0.8, 1.8, 2.6, 3.5, 28.0])


def test_o2i_wall_loss_matches_the_mean_table() -> None:
    low = o2i_penetration_loss_db(FREQUENCIES_GHZ, model="low", indoor_distance_m=0.0)
    high = o2i_penetration_loss_db(FREQUENCIES_GHZ, model="high", indoor_distance_m=0.0)
    np.testing.assert_allclose(low, [10.40, 11.65, 12.26, 12.70, 17.83], atol=0.005)
    np.testing.assert_allclose(high, [18.12, 21.74, 24.36, 26.85, 37.95], atol=0.005)


def test_default_indoor_term_is_the_mean_of_the_uma_draw() -> None:
    # E[min(U(0,25), U(0,25))] = 25/3 m at 0.5 dB/m: 4.17 dB.
    extra = o2i_penetration_loss_db(3.5) - o2i_penetration_loss_db(3.5, indoor_distance_m=0.0)
    assert extra == pytest.approx(25 / 6)
    assert extra == pytest.approx(4.17, abs=0.005)
    assert mean_indoor_distance_m("rma") == pytest.approx(10 / 3)


def test_sub6_option_is_20_db_wall_plus_one_uniform_indoor_draw() -> None:
    assert o2i_penetration_loss_db(1.8, model="sub6") == pytest.approx(20.0 + 0.5 * 12.5)
    assert o2i_penetration_loss_db(0.8, model="sub6", indoor_distance_m=0.0) == pytest.approx(20.0)


def test_material_losses() -> None:
    assert material_loss_db("concrete", 2.0) == pytest.approx(13.0)
    assert material_loss_db("glass", 10.0) == pytest.approx(4.0)
    with pytest.raises(InputError, match="unknown material"):
        material_loss_db("brick", 2.0)


@pytest.mark.parametrize(
    ("frequency_ghz", "trad_median", "trad_p90", "te_median", "te_p90"),
    [
        (0.8, 14.2, 24.9, 31.3, 46.6),
        (1.8, 14.8, 26.8, 30.6, 47.1),
        (2.6, 15.3, 27.9, 30.6, 48.1),
        (3.5, 15.7, 28.7, 30.9, 49.3),
    ],
)
def test_p2109_reproduces_the_pycraf_table(
    frequency_ghz, trad_median, trad_p90, te_median, te_p90
) -> None:
    def loss(p: float, building: str) -> float:
        return float(p2109_building_entry_loss_db(frequency_ghz, p, building=building))  # type: ignore[arg-type]

    assert loss(0.5, "traditional") == pytest.approx(trad_median, abs=0.1)
    assert loss(0.9, "traditional") == pytest.approx(trad_p90, abs=0.1)
    assert loss(0.5, "thermally_efficient") == pytest.approx(te_median, abs=0.1)
    assert loss(0.9, "thermally_efficient") == pytest.approx(te_p90, abs=0.1)


def test_p2109_elevation_adds_loss_and_bad_inputs_are_refused() -> None:
    assert p2109_building_entry_loss_db(
        1.8, 0.5, elevation_deg=30.0
    ) > p2109_building_entry_loss_db(1.8, 0.5)
    with pytest.raises(InputError, match="strictly between 0 and 1"):
        p2109_building_entry_loss_db(1.8, 1.0)
    with pytest.raises(InputError, match=r"0\.08–100 GHz"):
        p2109_building_entry_loss_db(0.05)
    with pytest.raises(InputError, match="building must be"):
        p2109_building_entry_loss_db(1.8, building="glass")  # type: ignore[arg-type]


def test_dispatch_by_model_name() -> None:
    assert building_entry_loss_db("none", [0.8, 3.5]).tolist() == [0.0, 0.0]
    assert building_entry_loss_db("38901_low", 0.8) == pytest.approx(10.40 + 25 / 6, abs=0.005)
    assert building_entry_loss_db("38901_low", 0.8, scenario="rma") == pytest.approx(
        10.40 + 5 / 3, abs=0.005
    )
    assert building_entry_loss_db("p2109_thermally_efficient", 0.8) == pytest.approx(31.3, abs=0.1)
    assert set(BUILDING_LOSS_MODELS) >= {"38901_high", "38901_sub6", "p2109_traditional"}
    with pytest.raises(InputError, match="unknown building entry loss model"):
        building_entry_loss_db("brick", 0.8)
