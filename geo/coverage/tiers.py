"""Ofcom broadband speed tiers and BDUK White/Grey/Black categories.

Definitions (see the project's reference notes, §2.1):

* **below USO**: download < 10 Mbit/s or upload < 1 Mbit/s (Electronic Communications
  (Universal Service) (Broadband) Order 2018, SI 2018/445; Ofcom calls 10/1 "decent");
* **decent**: ≥ 10 down and ≥ 1 up; **superfast**: ≥ 30 down (Ofcom/EU); **ultrafast**: ≥ 300
  down (Ofcom since 2015); **gigabit**: ≥ 1000 down.
* BDUK-style categories by the number of gigabit-capable networks at the premises: 0 white,
  1 grey, 2 or more black.

A premises sits in exactly one tier: the highest whose test it passes, and "below_uso" when it
fails the USO test even if its download speed is high (for example 50 down / 0.5 up).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.errors import InputError

__all__ = [
    "BDUK_CATEGORIES",
    "TIERS",
    "TierThresholds",
    "bduk_category",
    "broadband_tier",
]

TIERS: tuple[str, ...] = ("below_uso", "decent", "superfast", "ultrafast", "gigabit")
"""Tier names, lowest first (an ordered categorical)."""

BDUK_CATEGORIES: tuple[str, ...] = ("white", "grey", "black")


@dataclass(frozen=True)
class TierThresholds:
    """Speed thresholds in Mbit/s; defaults are the Ofcom definitions."""

    uso_download_mbps: float = 10.0
    uso_upload_mbps: float = 1.0
    superfast_mbps: float = 30.0
    ultrafast_mbps: float = 300.0
    gigabit_mbps: float = 1000.0

    def __post_init__(self) -> None:
        steps = (
            self.uso_download_mbps,
            self.superfast_mbps,
            self.ultrafast_mbps,
            self.gigabit_mbps,
        )
        if self.uso_upload_mbps <= 0 or any(b <= a for a, b in itertools.pairwise(steps)):
            raise InputError(
                "tier thresholds must be positive and increase: USO < superfast < ultrafast < gigabit"
            )


def _speeds(name: str, values: npt.ArrayLike) -> npt.NDArray[np.float64]:
    array = np.asarray(values, dtype=np.float64)
    if np.isnan(array).any() or (array < 0).any():
        raise InputError(f"{name} must be 0 or more Mbit/s with no missing values")
    return array


def broadband_tier(
    download_mbps: npt.ArrayLike,
    upload_mbps: npt.ArrayLike,
    *,
    thresholds: TierThresholds | None = None,
) -> pd.Categorical[str]:
    """Ofcom tier of each premises from its download and upload speeds.

    Parameters
    ----------
    download_mbps, upload_mbps:
        Speeds in Mbit/s (0 for no service), same length.
    thresholds:
        Tier thresholds; the Ofcom definitions by default.

    Returns
    -------
    pandas.Categorical
        Ordered categorical over :data:`TIERS`.
    """
    t = thresholds or TierThresholds()
    down = _speeds("download_mbps", download_mbps)
    up = _speeds("upload_mbps", upload_mbps)
    if down.shape != up.shape:
        raise InputError("download_mbps and upload_mbps must have the same length")
    # Codes index TIERS; np.select takes the first true condition.
    codes = np.select(
        [
            (down < t.uso_download_mbps) | (up < t.uso_upload_mbps),
            down >= t.gigabit_mbps,
            down >= t.ultrafast_mbps,
            down >= t.superfast_mbps,
        ],
        [0, 4, 3, 2],
        default=1,
    )
    return pd.Categorical.from_codes(
        np.atleast_1d(codes).astype(np.int8), categories=pd.Index(TIERS), ordered=True
    )


def bduk_category(gigabit_networks: npt.ArrayLike) -> pd.Categorical[str]:
    """BDUK White/Grey/Black category from the count of gigabit-capable networks.

    Parameters
    ----------
    gigabit_networks:
        Number of distinct gigabit-capable networks (FTTP, DOCSIS 3.1 cable) passing each
        premises; whole numbers ≥ 0.

    Returns
    -------
    pandas.Categorical
        ``"white"`` (0), ``"grey"`` (1) or ``"black"`` (2 or more), ordered.
    """
    counts = np.atleast_1d(np.asarray(gigabit_networks, dtype=np.float64))
    if np.isnan(counts).any() or (counts < 0).any() or (counts != np.floor(counts)).any():
        raise InputError("gigabit_networks must be whole numbers of networks, 0 or more")
    codes = np.minimum(counts, 2).astype(np.int8)
    return pd.Categorical.from_codes(codes, categories=pd.Index(BDUK_CATEGORIES), ordered=True)
