"""Building entry (outdoor-to-indoor) loss: 3GPP TR 38.901 §7.4.3 and ITU-R P.2109-1.

Indoor signal = outdoor signal at the façade − building entry loss.  All functions return the
*mean* (38.901) or the loss not exceeded with probability ``p`` (P.2109) in dB, as float64
arrays broadcast over their inputs; frequencies are in GHz.

Sources
-------
* 3GPP TR 38.901 §7.4.3.1, Tables 7.4.3-1 (material losses), 7.4.3-2 (low/high-loss O2I) and
  7.4.3-3 (the backward-compatible sub-6 GHz option), as implemented in ns-3
  ``three-gpp-propagation-loss-model.cc``.
* ITU-R P.2109-1 (2019), §3 and Table 1 (building entry loss at horizontal incidence and at
  elevation θ, traditional and thermally-efficient buildings).  Reproduces pycraf's
  ``building_entry_loss`` table (0.8–3.5 GHz, p = 0.5 and 0.9) to 0.05 dB.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy.special import ndtri

from geo.coverage._arrays import FloatArray, as_float, require_positive
from geo.errors import InputError

__all__ = [
    "BUILDING_LOSS_MODELS",
    "BuildingLossModel",
    "BuildingType",
    "O2IModel",
    "building_entry_loss_db",
    "material_loss_db",
    "mean_indoor_distance_m",
    "o2i_penetration_loss_db",
    "p2109_building_entry_loss_db",
]

O2IModel = Literal["low", "high", "sub6"]
BuildingType = Literal["traditional", "thermally_efficient"]
BuildingLossModel = Literal[
    "none",
    "38901_low",
    "38901_high",
    "38901_sub6",
    "p2109_traditional",
    "p2109_thermally_efficient",
]
BUILDING_LOSS_MODELS: tuple[str, ...] = (
    "none",
    "38901_low",
    "38901_high",
    "38901_sub6",
    "p2109_traditional",
    "p2109_thermally_efficient",
)
"""Names accepted by :func:`building_entry_loss_db` (and per premises by the mobile model)."""

_MATERIALS: Mapping[str, tuple[float, float]] = {
    "glass": (2.0, 0.2),
    "irr_glass": (23.0, 0.3),
    "concrete": (5.0, 4.0),
    "wood": (4.85, 0.12),
}


def material_loss_db(material: str, frequency_ghz: npt.ArrayLike) -> FloatArray:
    """Penetration loss of one material, TR 38.901 Table 7.4.3-1 (f in GHz).

    Parameters
    ----------
    material:
        ``"glass"`` (2 + 0.2 f), ``"irr_glass"`` (infrared-reflective glass, 23 + 0.3 f),
        ``"concrete"`` (5 + 4 f) or ``"wood"`` (4.85 + 0.12 f).
    frequency_ghz:
        Frequency in GHz.

    Returns
    -------
    numpy.ndarray
        Loss in dB.
    """
    if material not in _MATERIALS:
        raise InputError(f"unknown material {material!r}; expected one of {sorted(_MATERIALS)}")
    a, b = _MATERIALS[material]
    f = as_float("frequency_ghz", frequency_ghz)
    return np.asarray(a + b * f, dtype=np.float64)


def mean_indoor_distance_m(
    scenario: Literal["uma", "umi", "rma"] = "uma", *, model: O2IModel = "low"
) -> float:
    """Mean indoor 2D distance d_2D-in that TR 38.901 draws for O2I users, in metres.

    For the low/high-loss models d_2D-in is the minimum of two U(0, 25) draws (UMa, UMi) or two
    U(0, 10) draws (RMa), whose mean is a third of the upper bound: 25/3 m and 10/3 m.  For the
    sub-6 GHz option it is a single U(0, 25) draw (mean 12.5 m), as in ns-3.
    """
    if scenario not in ("uma", "umi", "rma"):
        raise InputError(f"scenario must be 'uma', 'umi' or 'rma', not {scenario!r}")
    upper = 10.0 if scenario == "rma" else 25.0
    return upper / 2.0 if model == "sub6" else upper / 3.0


def o2i_penetration_loss_db(
    frequency_ghz: npt.ArrayLike,
    *,
    model: O2IModel = "low",
    indoor_distance_m: npt.ArrayLike | None = None,
) -> FloatArray:
    """Mean outdoor-to-indoor loss PL_tw + PL_in of TR 38.901 §7.4.3.1 (no σ_P draw).

    * low-loss:  PL_tw = 5 − 10 log10(0.3·10^(−L_glass/10) + 0.7·10^(−L_concrete/10)), σ 4.4 dB;
    * high-loss: PL_tw = 5 − 10 log10(0.7·10^(−L_IRRglass/10) + 0.3·10^(−L_concrete/10)), σ 6.5;
    * sub6:      PL_tw = 20 dB (Table 7.4.3-3, the single-frequency option below 6 GHz).

    PL_in = 0.5 dB/m · d_2D-in.

    Parameters
    ----------
    frequency_ghz:
        Carrier frequency in GHz (> 0).
    model:
        ``"low"``, ``"high"`` or ``"sub6"``.
    indoor_distance_m:
        d_2D-in in metres.  Default: the mean of 38.901's UMa/UMi draw,
        :func:`mean_indoor_distance_m` (25/3 m, so PL_in = 4.17 dB; 12.5 m for ``"sub6"``).
        Pass 0 for the wall loss alone.

    Returns
    -------
    numpy.ndarray
        Loss in dB.  Low-loss PL_tw is 10.40 dB at 0.8 GHz and 12.70 dB at 3.5 GHz; high-loss
        18.12 and 26.85 dB.
    """
    f = as_float("frequency_ghz", frequency_ghz)
    require_positive("TR 38.901 O2I", "frequency_ghz", f, "GHz")
    if model == "low":
        wall = 5.0 - 10.0 * np.log10(
            0.3 * 10.0 ** (-material_loss_db("glass", f) / 10.0)
            + 0.7 * 10.0 ** (-material_loss_db("concrete", f) / 10.0)
        )
    elif model == "high":
        wall = 5.0 - 10.0 * np.log10(
            0.7 * 10.0 ** (-material_loss_db("irr_glass", f) / 10.0)
            + 0.3 * 10.0 ** (-material_loss_db("concrete", f) / 10.0)
        )
    elif model == "sub6":
        wall = np.full_like(f, 20.0)
    else:
        raise InputError(f"O2I model must be 'low', 'high' or 'sub6', not {model!r}")
    if indoor_distance_m is None:
        d_in = np.asarray(mean_indoor_distance_m("uma", model=model))
    else:
        d_in = as_float("indoor_distance_m", indoor_distance_m)
        if d_in.size and (d_in < 0).any():
            raise InputError("indoor_distance_m must not be negative")
    return np.asarray(wall + 0.5 * d_in, dtype=np.float64)


_P2109: Mapping[str, tuple[float, ...]] = {
    #                     r      s      t     u     v    w     x     y    z
    "traditional": (12.64, 3.72, 0.96, 9.6, 2.0, 9.1, -3.0, 4.5, -2.0),
    "thermally_efficient": (28.19, -3.00, 8.48, 13.5, 3.8, 27.8, -2.9, 9.4, -2.1),
}


def p2109_building_entry_loss_db(
    frequency_ghz: npt.ArrayLike,
    probability: npt.ArrayLike = 0.5,
    *,
    building: BuildingType = "traditional",
    elevation_deg: npt.ArrayLike = 0.0,
) -> FloatArray:
    """ITU-R P.2109-1 building entry loss not exceeded with probability ``probability``.

    L_BEL(P) = 10 log10(10^(0.1 A(P)) + 10^(0.1 B(P)) + 10^(0.1 C)), with
    A = F⁻¹(P) σ1 + μ1, B = F⁻¹(P) σ2 + μ2, C = −3 dB, μ1 = L_h + L_e,
    L_h = r + s log10 f + t (log10 f)², L_e = 0.212 |θ|, μ2 = w + x log10 f,
    σ1 = u + v log10 f, σ2 = y + z log10 f and F⁻¹ the inverse standard normal CDF.

    Parameters
    ----------
    frequency_ghz:
        Frequency in GHz (valid 0.08–100 GHz; refused outside).
    probability:
        Probability that the loss is not exceeded, strictly between 0 and 1 (0.5 = median).
    building:
        ``"traditional"`` or ``"thermally_efficient"`` (metallised glass, foil-backed
        insulation: about 15 dB more at the median).
    elevation_deg:
        Elevation angle of the path at the façade, degrees (0 = horizontal incidence).

    Returns
    -------
    numpy.ndarray
        Loss in dB.  Traditional median 14.2 dB at 0.8 GHz and 15.7 dB at 3.5 GHz;
        thermally-efficient median 31.3 and 30.9 dB.
    """
    if building not in _P2109:
        raise InputError(
            f"building must be 'traditional' or 'thermally_efficient', not {building!r}"
        )
    f = as_float("frequency_ghz", frequency_ghz)
    if f.size and ((f < 0.08) | (f > 100.0)).any():
        raise InputError("P.2109-1 is valid for 0.08–100 GHz; frequency_ghz is outside that range")
    p = as_float("probability", probability)
    if p.size and ((p <= 0.0) | (p >= 1.0)).any():
        raise InputError("probability must be strictly between 0 and 1")
    theta = as_float("elevation_deg", elevation_deg)
    r, s, t, u, v, w, x, y, z = _P2109[building]
    log_f = np.log10(f)
    mu1 = r + s * log_f + t * log_f**2 + 0.212 * np.abs(theta)
    mu2 = w + x * log_f
    sigma1 = u + v * log_f
    sigma2 = y + z * log_f
    quantile = ndtri(p)
    a = quantile * sigma1 + mu1
    b = quantile * sigma2 + mu2
    return np.asarray(
        10.0 * np.log10(10.0 ** (0.1 * a) + 10.0 ** (0.1 * b) + 10.0 ** (0.1 * -3.0)),
        dtype=np.float64,
    )


def building_entry_loss_db(
    model: str,
    frequency_ghz: npt.ArrayLike,
    *,
    probability: float = 0.5,
    scenario: Literal["uma", "umi", "rma"] = "uma",
) -> FloatArray:
    """Building entry loss by model name, for per-premises model choice.

    Parameters
    ----------
    model:
        One of :data:`BUILDING_LOSS_MODELS`: ``"none"`` (0 dB), ``"38901_low"``,
        ``"38901_high"``, ``"38901_sub6"`` (means including PL_in for ``scenario``),
        ``"p2109_traditional"``, ``"p2109_thermally_efficient"`` (at ``probability``).
    frequency_ghz:
        Frequency in GHz.
    probability:
        P.2109 probability of the loss not being exceeded (0.5 = median).
    scenario:
        38.901 scenario for the mean indoor distance (RMa draws shorter distances).

    Returns
    -------
    numpy.ndarray
        Loss in dB, shaped like ``frequency_ghz``.
    """
    f = as_float("frequency_ghz", frequency_ghz)
    if model == "none":
        return np.zeros_like(f)
    if model in ("38901_low", "38901_high", "38901_sub6"):
        o2i: O2IModel = (
            "low" if model == "38901_low" else "high" if model == "38901_high" else "sub6"
        )
        return o2i_penetration_loss_db(
            f, model=o2i, indoor_distance_m=mean_indoor_distance_m(scenario, model=o2i)
        )
    if model == "p2109_traditional":
        return p2109_building_entry_loss_db(f, probability, building="traditional")
    if model == "p2109_thermally_efficient":
        return p2109_building_entry_loss_db(f, probability, building="thermally_efficient")
    raise InputError(
        f"unknown building entry loss model {model!r}; expected one of {BUILDING_LOSS_MODELS}"
    )
