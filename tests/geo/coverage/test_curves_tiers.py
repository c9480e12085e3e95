"""Speed curves (linear interpolation, clamps) and Ofcom tiers / BDUK categories."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.coverage.curves import (
    ADSL2PLUS,
    VDSL2_CONSERVATIVE,
    VDSL2_TYPICAL,
    SpeedCurve,
    interpolate_speed_mbps,
)
from geo.coverage.fixed import adsl2plus_download_mbps, vdsl2_download_mbps
from geo.coverage.tiers import TIERS, TierThresholds, bduk_category, broadband_tier
from geo.errors import InputError


def test_vdsl_typical_curve_points_and_interpolation() -> None:
    lengths = [0.0, 150.0, 200.0, 400.0, 600.0, 900.0, 1200.0, 3000.0, 3600.0]
    # 400 m: halfway between 80 (200 m) and 51 (600 m); 900 m: halfway between 51 and 24.5.
    expected = [80.0, 80.0, 80.0, 65.5, 51.0, 37.75, 24.5, 8.7, 4.1]
    np.testing.assert_allclose(vdsl2_download_mbps(lengths), expected)


def test_vdsl_is_not_offered_beyond_the_last_point_and_nan_means_no_line() -> None:
    assert vdsl2_download_mbps([3600.5, 5000.0, np.nan]).tolist() == [0.0, 0.0, 0.0]


def test_vdsl_conservative_curve() -> None:
    speeds = vdsl2_download_mbps([600.0, 800.0, 1000.0], curve="conservative")
    np.testing.assert_allclose(speeds, [35.0, 29.5, 24.0])
    # Beyond 1 km it is the typical curve scaled to 24 / typical(1 km).
    typical_1km = float(vdsl2_download_mbps(1000.0))
    assert typical_1km == pytest.approx(51.0 - 400.0 / 600.0 * 26.5)
    assert vdsl2_download_mbps(3000.0, curve=VDSL2_CONSERVATIVE) == pytest.approx(
        8.7 * 24.0 / typical_1km, abs=0.01
    )
    assert (vdsl2_download_mbps(np.arange(0, 3600, 50.0), curve="conservative")
            <= vdsl2_download_mbps(np.arange(0, 3600, 50.0)) + 1e-9).all()  # fmt: skip


def test_adsl2plus_curve() -> None:
    speeds = adsl2plus_download_mbps([0.0, 1000.0, 2750.0, 3000.0, 5000.0, 5400.0, 5600.0])
    np.testing.assert_allclose(speeds, [24.0, 23.0, 10.5, 8.0, 2.0, 1.5, 0.0])
    assert ADSL2PLUS.limit_m == 5500.0 and VDSL2_TYPICAL.limit_m == 3600.0


def test_custom_curve_and_its_validation() -> None:
    curve = SpeedCurve("test", (0.0, 1000.0), (100.0, 50.0), max_length_m=1500.0)
    assert interpolate_speed_mbps([500.0, 1200.0, 1600.0], curve).tolist() == [75.0, 50.0, 0.0]
    with pytest.raises(InputError, match="strictly increase"):
        SpeedCurve("bad", (0.0, 0.0), (10.0, 5.0))
    with pytest.raises(InputError, match="must not increase"):
        SpeedCurve("bad", (0.0, 100.0), (10.0, 20.0))
    with pytest.raises(InputError, match="at least two"):
        SpeedCurve("bad", (0.0,), (10.0,))
    with pytest.raises(InputError, match="negative"):
        interpolate_speed_mbps([-1.0], curve)


@pytest.mark.parametrize(
    ("down", "up", "tier"),
    [
        (0.0, 0.0, "below_uso"),
        (9.99, 5.0, "below_uso"),
        (10.0, 1.0, "decent"),
        (50.0, 0.5, "below_uso"),  # fast download, but below the USO upload
        (29.9, 2.0, "decent"),
        (30.0, 1.0, "superfast"),
        (299.0, 20.0, "superfast"),
        (300.0, 20.0, "ultrafast"),
        (999.0, 100.0, "ultrafast"),
        (1000.0, 115.0, "gigabit"),
    ],
)
def test_broadband_tier_hand_table(down, up, tier) -> None:
    result = broadband_tier([down], [up])
    assert list(result) == [tier]
    assert list(result.categories) == list(TIERS) and result.ordered


def test_tier_thresholds_are_configurable_and_checked() -> None:
    bduk_superfast = TierThresholds(superfast_mbps=24.0)
    assert list(broadband_tier([25.0], [2.0], thresholds=bduk_superfast)) == ["superfast"]
    with pytest.raises(InputError, match="increase"):
        TierThresholds(superfast_mbps=500.0)
    with pytest.raises(InputError, match="missing"):
        broadband_tier([np.nan], [1.0])
    with pytest.raises(InputError, match="same length"):
        broadband_tier([1.0, 2.0], [1.0])


def test_bduk_white_grey_black() -> None:
    result = bduk_category(pd.Series([0, 1, 2, 5]))
    assert list(result) == ["white", "grey", "black", "black"]
    with pytest.raises(InputError, match="whole numbers"):
        bduk_category([1.5])
    with pytest.raises(InputError, match="whole numbers"):
        bduk_category([-1])
