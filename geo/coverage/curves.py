"""Attainable line speed against copper line length: VDSL2 (FTTC) and ADSL2+ curves.

A :class:`SpeedCurve` is a piecewise-linear table of download sync speed (Mbit/s) against line
length (metres of copper along the road network, not straight-line distance).  Speeds are
interpolated linearly, held at the first point's speed below it and set to 0 beyond
``max_length_m`` (the service is taken as not offered, so the premises falls back to another
technology).

Sources (see the project's reference notes, §2.2 and §2.3)
-----------------------------------------------------------
* VDSL2 "typical": the increasebroadbandspeed.co.uk BT FTTC chart as tabulated by
  broadband.w-eaves.uk: 80 Mbit/s (the 80/20 product cap) up to 200 m, 51 at 600 m, 24.5 at
  1.2 km, 18 at 1.8 km, 13.3 at 2.4 km, 8.7 at 3.0 km, about 4.1 at 3.6 km.
* VDSL2 "conservative" (crosstalk-aware): thinkbroadband news 6340: at least 35 Mbit/s at
  600 m and 24 at 1.0 km.  Beyond 1 km no published points exist, so the curve follows the
  typical curve scaled by 24 / typical(1 km) = 0.72 (a derived assumption, stated here).
* ADSL2+: speedguide.net sync-rate table (24 Mbit/s below 1 km … 2 at 5 km) with the 0.4 mm
  copper column's 1.5 Mbit/s at 5.2 km, and 5.5 km as the usual ADSL line-length limit
  (clark-tele.com).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from geo.coverage._arrays import FloatArray, as_float
from geo.errors import InputError

__all__ = [
    "ADSL2PLUS",
    "VDSL2_CONSERVATIVE",
    "VDSL2_TYPICAL",
    "SpeedCurve",
    "interpolate_speed_mbps",
]


@dataclass(frozen=True)
class SpeedCurve:
    """Download speed (Mbit/s) against copper line length (m), interpolated linearly.

    Attributes
    ----------
    name:
        Label used in outputs and error messages.
    length_m:
        Strictly increasing line lengths, metres, starting at 0 or above.
    download_mbps:
        Speed at each length, Mbit/s (≥ 0), non-increasing with length.
    max_length_m:
        Beyond this length the speed is 0 (service not offered).  Defaults to the last point.
    """

    name: str
    length_m: tuple[float, ...]
    download_mbps: tuple[float, ...]
    max_length_m: float | None = None

    def __post_init__(self) -> None:
        lengths = np.asarray(self.length_m, dtype=np.float64)
        speeds = np.asarray(self.download_mbps, dtype=np.float64)
        where = f"speed curve {self.name!r}"
        if lengths.ndim != 1 or lengths.shape != speeds.shape or lengths.size < 2:
            raise InputError(f"{where}: give at least two (length, speed) points of equal count")
        if not (np.isfinite(lengths).all() and np.isfinite(speeds).all()):
            raise InputError(f"{where}: lengths and speeds must be finite numbers")
        if lengths[0] < 0 or (np.diff(lengths) <= 0).any():
            raise InputError(f"{where}: lengths must start at 0 m or more and strictly increase")
        if (speeds < 0).any():
            raise InputError(f"{where}: speeds must not be negative")
        if (np.diff(speeds) > 0).any():
            raise InputError(f"{where}: speed must not increase with line length")
        if self.max_length_m is not None and self.max_length_m < lengths[-1]:
            raise InputError(f"{where}: max_length_m must be at or beyond the last point")

    @property
    def limit_m(self) -> float:
        """Longest line that still gets service, metres."""
        return float(self.max_length_m if self.max_length_m is not None else self.length_m[-1])


def interpolate_speed_mbps(line_length_m: npt.ArrayLike, curve: SpeedCurve) -> FloatArray:
    """Download speed for each line length by linear interpolation on ``curve``.

    Parameters
    ----------
    line_length_m:
        Copper line length in metres (≥ 0).  NaN (no line, e.g. no cabinet reachable) gives 0.
    curve:
        The curve to read.

    Returns
    -------
    numpy.ndarray
        Download speed in Mbit/s; the first point's speed below the first length, the last
        point's speed up to ``curve.limit_m`` and 0 beyond it.
    """
    length = np.asarray(line_length_m, dtype=np.float64)
    finite = np.isfinite(length)
    if (length[finite] < 0).any():
        raise InputError("line_length_m must not be negative")
    speed = np.interp(np.where(finite, length, 0.0), curve.length_m, curve.download_mbps)
    return np.asarray(np.where(finite & (length <= curve.limit_m), speed, 0.0), dtype=np.float64)


def _scaled_typical_tail(factor: float) -> tuple[tuple[float, ...], tuple[float, ...]]:
    lengths = (1200.0, 1800.0, 2400.0, 3000.0, 3600.0)
    typical = as_float("typical", interpolate_speed_mbps(np.asarray(lengths), VDSL2_TYPICAL))
    return lengths, tuple(float(round(v * factor, 2)) for v in typical)


VDSL2_TYPICAL = SpeedCurve(
    name="vdsl2_typical",
    length_m=(0.0, 200.0, 600.0, 1200.0, 1800.0, 2400.0, 3000.0, 3600.0),
    download_mbps=(80.0, 80.0, 51.0, 24.5, 18.0, 13.3, 8.7, 4.1),
)
"""FTTC/VDSL2 typical attainable download (increasebroadbandspeed chart); 0 beyond 3.6 km."""

_TYPICAL_AT_1KM = float(interpolate_speed_mbps(1000.0, VDSL2_TYPICAL))
_TAIL_LENGTHS, _TAIL_SPEEDS = _scaled_typical_tail(24.0 / _TYPICAL_AT_1KM)

VDSL2_CONSERVATIVE = SpeedCurve(
    name="vdsl2_conservative",
    length_m=(0.0, 200.0, 600.0, 1000.0, *_TAIL_LENGTHS),
    download_mbps=(80.0, 80.0, 35.0, 24.0, *_TAIL_SPEEDS),
)
"""FTTC/VDSL2 crosstalk-aware download (thinkbroadband: 35 at 600 m, 24 at 1 km), then the
typical curve × 0.72 (derived, not published); 0 beyond 3.6 km."""

ADSL2PLUS = SpeedCurve(
    name="adsl2plus",
    length_m=(0.0, 1000.0, 1500.0, 2000.0, 2500.0, 3000.0, 3500.0, 4000.0, 4500.0, 5000.0, 5200.0),
    download_mbps=(24.0, 23.0, 21.0, 18.0, 13.0, 8.0, 6.0, 4.0, 3.0, 2.0, 1.5),
    max_length_m=5500.0,
)
"""ADSL2+ sync download against exchange line length (speedguide.net); 0 beyond 5.5 km."""
