"""Radio path-loss models for planning-grade 4G/5G coverage (median loss, no shadow fading).

Every function takes array-likes (broadcast together by numpy) and returns the path loss in dB
as a float64 array.  Units follow each model's own convention and are in the parameter names:

* free space and the Hata family: distance in **km**, frequency in **MHz**;
* 3GPP TR 38.901: 2D ground distance in **m**, carrier frequency in **GHz**, heights in m.

Positions and distances come from British National Grid (EPSG:27700) coordinates, so a 2D
distance is simply the Euclidean distance between eastings/northings in metres.

Validity ranges are those published with each model (see :data:`VALIDITY`).  What happens
outside them is explicit: ``out_of_range="raise"`` (the default) refuses with
:class:`geo.errors.InputError`; ``"clip"`` clips the offending parameter into the range;
``"extrapolate"`` evaluates the formula as written.  :func:`within_validity` returns the mask of
inputs inside the range so callers can flag clipped or extrapolated links.

Sources
-------
* Okumura–Hata: Hata (1980), IEEE Trans. Veh. Technol. 29(3); ranges as in the
  ``mbaz/OkumuraHata.jl`` README (d up to 20 km as in Molisch-based implementations).
* COST-231 Hata: COST Action 231 final report (1999), "Digital mobile radio towards future
  generation systems".
* 3GPP TR 38.901 V16/V17 Table 7.4.1-1 (path loss) and Table 7.4.2-1 (LOS probability); the
  numbers are reproduced to 4 decimals against the ns-3 test vectors in
  ``nsnam/ns-3-dev-git:src/propagation/test/three-gpp-propagation-loss-model-test-suite.cc``.
  Note 1 of Table 7.4.1-1 fixes c = 3.0e8 m/s, which ns-3 also uses; using 299 792 458 m/s
  shifts the breakpoint and moves PL2 by about 0.005 dB.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Literal

import numpy as np
import numpy.typing as npt

from geo.coverage._arrays import (
    BoolArray,
    FloatArray,
    OutOfRange,
    apply_range,
    as_float,
    check_policy,
    require_positive,
)
from geo.errors import InputError

__all__ = [
    "SPEED_OF_LIGHT_M_S",
    "VALIDITY",
    "Condition",
    "CostEnvironment",
    "HataEnvironment",
    "Scenario",
    "cost231_hata_path_loss_db",
    "free_space_path_loss_db",
    "hata_path_loss_db",
    "los_probability",
    "rma_los_path_loss_db",
    "rma_nlos_path_loss_db",
    "tr38901_path_loss_db",
    "uma_los_path_loss_db",
    "uma_nlos_optional_path_loss_db",
    "uma_nlos_path_loss_db",
    "umi_los_path_loss_db",
    "umi_nlos_path_loss_db",
    "within_validity",
]

SPEED_OF_LIGHT_M_S = 3.0e8
"""Propagation speed used by TR 38.901 (Table 7.4.1-1, note 1) for the breakpoint distance."""

HataEnvironment = Literal["urban", "large_city", "suburban", "open"]
CostEnvironment = Literal["medium_city", "metropolitan", "suburban", "open"]
Scenario = Literal["uma", "umi", "rma"]
Condition = Literal["los", "nlos", "weighted"]

VALIDITY: Mapping[str, Mapping[str, tuple[float, float, str]]] = {
    "hata": {
        "distance_km": (1.0, 20.0, "km"),
        "frequency_mhz": (150.0, 1500.0, "MHz"),
        "base_height_m": (30.0, 200.0, "m"),
        "mobile_height_m": (1.0, 10.0, "m"),
    },
    "cost231": {
        "distance_km": (1.0, 20.0, "km"),
        "frequency_mhz": (1500.0, 2000.0, "MHz"),
        "base_height_m": (30.0, 200.0, "m"),
        "mobile_height_m": (1.0, 10.0, "m"),
    },
    "uma": {
        "distance_2d_m": (10.0, 5000.0, "m"),
        "frequency_ghz": (0.5, 100.0, "GHz"),
        "ut_height_m": (1.5, 22.5, "m"),
    },
    "umi": {
        "distance_2d_m": (10.0, 5000.0, "m"),
        "frequency_ghz": (0.5, 100.0, "GHz"),
        "ut_height_m": (1.5, 22.5, "m"),
    },
    "rma_los": {
        "distance_2d_m": (10.0, 10000.0, "m"),
        "frequency_ghz": (0.5, 30.0, "GHz"),
        "bs_height_m": (10.0, 150.0, "m"),
        "ut_height_m": (1.0, 10.0, "m"),
        "building_height_m": (5.0, 50.0, "m"),
        "street_width_m": (5.0, 50.0, "m"),
    },
    "rma_nlos": {
        "distance_2d_m": (10.0, 5000.0, "m"),
        "frequency_ghz": (0.5, 30.0, "GHz"),
        "bs_height_m": (10.0, 150.0, "m"),
        "ut_height_m": (1.0, 10.0, "m"),
        "building_height_m": (5.0, 50.0, "m"),
        "street_width_m": (5.0, 50.0, "m"),
    },
}
"""Published validity range ``(low, high, unit)`` of each parameter, per model.

Heights of UMa/UMi base stations are *nominal* in TR 38.901 (25 m and 10 m): the formulas are
applied at any height above the effective environment height, as ns-3 does, and are not
range-checked.  The Hata family is for macrocells whose antenna is above the surrounding
rooftops; it does not apply to microcells.
"""

_LOG = np.log10


def _ranged(
    model: str, name: str, value: npt.ArrayLike, policy: OutOfRange, *, positive: bool = True
) -> FloatArray:
    array = as_float(name, value)
    if positive:
        require_positive(model, name, array, VALIDITY[model][name][2])
    low, high, unit = VALIDITY[model][name]
    return apply_range(model, name, array, low, high, unit, policy)


def within_validity(model: str, **parameters: npt.ArrayLike) -> BoolArray:
    """Mask of the inputs that lie inside ``model``'s published validity range.

    Parameters
    ----------
    model:
        A key of :data:`VALIDITY` (``"hata"``, ``"cost231"``, ``"uma"``, ``"umi"``,
        ``"rma_los"``, ``"rma_nlos"``).
    **parameters:
        Arrays named as in the model function (for example ``distance_km=...``); parameters the
        model does not range-check are refused, missing ones are not checked.

    Returns
    -------
    numpy.ndarray of bool
        Broadcast shape of the parameters; True where every given parameter is in range.
    """
    if model not in VALIDITY:
        raise InputError(f"unknown model {model!r}; expected one of {sorted(VALIDITY)}")
    ranges = VALIDITY[model]
    arrays: list[FloatArray] = []
    masks: list[BoolArray] = []
    for name, value in parameters.items():
        if name not in ranges:
            raise InputError(f"{model} has no validity range for {name!r}; known: {sorted(ranges)}")
        low, high, _ = ranges[name]
        array = as_float(name, value)
        arrays.append(array)
        masks.append((array >= low) & (array <= high))
    if not masks:
        return np.ones((), dtype=bool)
    result = np.broadcast_arrays(*masks)
    return np.logical_and.reduce(result) if len(result) > 1 else np.asarray(result[0])


# --------------------------------------------------------------------------------------------
# Free space
# --------------------------------------------------------------------------------------------


def free_space_path_loss_db(distance_km: npt.ArrayLike, frequency_mhz: npt.ArrayLike) -> FloatArray:
    """Free-space path loss, FSPL = 32.44 + 20 log10(d_km) + 20 log10(f_MHz).

    Parameters
    ----------
    distance_km:
        Link distance in kilometres (> 0).
    frequency_mhz:
        Frequency in MHz (> 0).

    Returns
    -------
    numpy.ndarray
        Loss in dB.  900 MHz at 1 km gives 91.52 dB.
    """
    d = as_float("distance_km", distance_km)
    f = as_float("frequency_mhz", frequency_mhz)
    require_positive("free space", "distance_km", d, "km")
    require_positive("free space", "frequency_mhz", f, "MHz")
    return np.asarray(32.44 + 20.0 * _LOG(d) + 20.0 * _LOG(f), dtype=np.float64)


# --------------------------------------------------------------------------------------------
# Okumura–Hata and COST-231 Hata
# --------------------------------------------------------------------------------------------


def _a_small_city(log_f: FloatArray, mobile_height_m: FloatArray) -> FloatArray:
    return np.asarray(
        (1.1 * log_f - 0.7) * mobile_height_m - (1.56 * log_f - 0.8), dtype=np.float64
    )


def _a_large_city(frequency_mhz: FloatArray, mobile_height_m: FloatArray) -> FloatArray:
    # Hata defines the large-city correction for f <= 200 MHz and f >= 400 MHz only; like most
    # implementations we use the high-frequency form for everything above 200 MHz.
    low = 8.29 * _LOG(1.54 * mobile_height_m) ** 2 - 1.1
    high = 3.2 * _LOG(11.75 * mobile_height_m) ** 2 - 4.97
    return np.asarray(np.where(frequency_mhz <= 200.0, low, high), dtype=np.float64)


def _suburban_correction_db(log_f28: FloatArray) -> FloatArray:
    return np.asarray(2.0 * log_f28**2 + 5.4, dtype=np.float64)


def _open_correction_db(log_f: FloatArray) -> FloatArray:
    return np.asarray(4.78 * log_f**2 - 18.33 * log_f + 40.94, dtype=np.float64)


def hata_path_loss_db(
    distance_km: npt.ArrayLike,
    frequency_mhz: npt.ArrayLike,
    base_height_m: npt.ArrayLike,
    mobile_height_m: npt.ArrayLike,
    *,
    environment: HataEnvironment = "urban",
    out_of_range: OutOfRange = "raise",
) -> FloatArray:
    """Okumura–Hata median path loss for macrocells, 150–1500 MHz.

    ``L_u = 69.55 + 26.16 log f − 13.82 log h_b − a(h_m) + (44.9 − 6.55 log h_b) log d``

    Parameters
    ----------
    distance_km:
        Ground distance base station to mobile, km (valid 1–20 km).
    frequency_mhz:
        Carrier frequency, MHz (valid 150–1500 MHz).
    base_height_m:
        Base-station antenna height above ground, m (valid 30–200 m; must be above the
        surrounding rooftops).
    mobile_height_m:
        Mobile antenna height, m (valid 1–10 m).
    environment:
        ``"urban"`` (small/medium city a(h_m)), ``"large_city"`` (large-city a(h_m); the
        f ≥ 400 MHz form is used above 200 MHz), ``"suburban"`` (L_u − 2[log(f/28)]² − 5.4) or
        ``"open"`` (L_u − 4.78(log f)² + 18.33 log f − 40.94).  Suburban and open corrections
        apply to the small/medium-city L_u.
    out_of_range:
        ``"raise"``, ``"clip"`` or ``"extrapolate"`` (see :data:`geo.coverage.OutOfRange`).

    Returns
    -------
    numpy.ndarray
        Loss in dB.  900 MHz, h_b 30 m, h_m 1.5 m, 1 km: urban 126.40, large city 126.42,
        suburban 116.46, open 97.90.
    """
    check_policy(out_of_range)
    d = _ranged("hata", "distance_km", distance_km, out_of_range)
    f = _ranged("hata", "frequency_mhz", frequency_mhz, out_of_range)
    hb = _ranged("hata", "base_height_m", base_height_m, out_of_range)
    hm = _ranged("hata", "mobile_height_m", mobile_height_m, out_of_range)
    log_f = np.asarray(_LOG(f), dtype=np.float64)
    log_hb = _LOG(hb)
    if environment == "large_city":
        a = _a_large_city(f, hm)
    elif environment in ("urban", "suburban", "open"):
        a = _a_small_city(log_f, hm)
    else:
        raise InputError(
            f"Hata environment must be urban, large_city, suburban or open, not {environment!r}"
        )
    loss = 69.55 + 26.16 * log_f - 13.82 * log_hb - a + (44.9 - 6.55 * log_hb) * _LOG(d)
    if environment == "suburban":
        loss = loss - _suburban_correction_db(np.asarray(_LOG(f / 28.0), dtype=np.float64))
    elif environment == "open":
        loss = loss - _open_correction_db(log_f)
    return np.asarray(loss, dtype=np.float64)


def cost231_hata_path_loss_db(
    distance_km: npt.ArrayLike,
    frequency_mhz: npt.ArrayLike,
    base_height_m: npt.ArrayLike,
    mobile_height_m: npt.ArrayLike,
    *,
    environment: CostEnvironment = "medium_city",
    out_of_range: OutOfRange = "raise",
) -> FloatArray:
    """COST-231 Hata median path loss for macrocells, 1500–2000 MHz.

    ``L = 46.3 + 33.9 log f − 13.82 log h_b − a(h_m) + (44.9 − 6.55 log h_b) log d + C_m``
    with the small/medium-city a(h_m).

    Parameters
    ----------
    distance_km:
        Ground distance, km (valid 1–20 km; some tools limit it to 10 km).
    frequency_mhz:
        Carrier frequency, MHz (valid 1500–2000 MHz).
    base_height_m:
        Base-station antenna height, m (valid 30–200 m, above adjacent rooftops; the model
        does not apply to microcells).
    mobile_height_m:
        Mobile antenna height, m (valid 1–10 m).
    environment:
        ``"medium_city"`` (C_m = 0 dB: medium cities and suburban centres with medium tree
        density), ``"metropolitan"`` (C_m = 3 dB), ``"suburban"`` (C_m = 0 plus the Hata
        suburban correction −2[log(f/28)]² − 5.4, as many implementations do) or ``"open"``
        (C_m = 0 plus the Hata open-area correction; an extension outside COST-231 itself,
        used here for rural receivers).
    out_of_range:
        ``"raise"``, ``"clip"`` or ``"extrapolate"``.

    Returns
    -------
    numpy.ndarray
        Loss in dB.  1800 MHz, h_b 30 m, h_m 1.5 m, 1 km: 136.20 (C_m 0), 139.20 (C_m 3),
        124.26 with the suburban correction.
    """
    check_policy(out_of_range)
    d = _ranged("cost231", "distance_km", distance_km, out_of_range)
    f = _ranged("cost231", "frequency_mhz", frequency_mhz, out_of_range)
    hb = _ranged("cost231", "base_height_m", base_height_m, out_of_range)
    hm = _ranged("cost231", "mobile_height_m", mobile_height_m, out_of_range)
    if environment not in ("medium_city", "metropolitan", "suburban", "open"):
        raise InputError(
            "COST-231 environment must be medium_city, metropolitan, suburban or open, "
            f"not {environment!r}"
        )
    log_f = np.asarray(_LOG(f), dtype=np.float64)
    log_hb = _LOG(hb)
    c_m = 3.0 if environment == "metropolitan" else 0.0
    loss = (
        46.3
        + 33.9 * log_f
        - 13.82 * log_hb
        - _a_small_city(log_f, hm)
        + (44.9 - 6.55 * log_hb) * _LOG(d)
        + c_m
    )
    if environment == "suburban":
        loss = loss - _suburban_correction_db(np.asarray(_LOG(f / 28.0), dtype=np.float64))
    elif environment == "open":
        loss = loss - _open_correction_db(log_f)
    return np.asarray(loss, dtype=np.float64)


# --------------------------------------------------------------------------------------------
# 3GPP TR 38.901 Table 7.4.1-1
# --------------------------------------------------------------------------------------------


def _urban_inputs(
    model: str,
    distance_2d_m: npt.ArrayLike,
    frequency_ghz: npt.ArrayLike,
    bs_height_m: npt.ArrayLike,
    ut_height_m: npt.ArrayLike,
    policy: OutOfRange,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    check_policy(policy)
    d2 = _ranged(model, "distance_2d_m", distance_2d_m, policy)
    fc = _ranged(model, "frequency_ghz", frequency_ghz, policy)
    hut = _ranged(model, "ut_height_m", ut_height_m, policy)
    hbs = as_float("bs_height_m", bs_height_m)
    require_positive(model, "bs_height_m", hbs, "m")
    return d2, fc, hbs, hut


def _breakpoint_m(
    bs_height_m: FloatArray, ut_height_m: FloatArray, frequency_ghz: FloatArray, h_e_m: float
) -> FloatArray:
    return np.asarray(
        4.0
        * (bs_height_m - h_e_m)
        * (ut_height_m - h_e_m)
        * frequency_ghz
        * 1e9
        / SPEED_OF_LIGHT_M_S,
        dtype=np.float64,
    )


def _dual_slope_los(
    d2: FloatArray,
    log_d3: FloatArray,
    log_fc: FloatArray,
    dh: FloatArray,
    dbp: FloatArray,
    constant: float,
    slope1: float,
    bp_factor: float,
) -> FloatArray:
    pl1 = constant + slope1 * log_d3 + 20.0 * log_fc
    pl2 = constant + 40.0 * log_d3 + 20.0 * log_fc - bp_factor * _LOG(dbp * dbp + dh * dh)
    return np.asarray(np.where(d2 <= dbp, pl1, pl2), dtype=np.float64)


def uma_los_path_loss_db(
    distance_2d_m: npt.ArrayLike,
    frequency_ghz: npt.ArrayLike,
    bs_height_m: npt.ArrayLike = 25.0,
    ut_height_m: npt.ArrayLike = 1.5,
    *,
    effective_environment_height_m: float = 1.0,
    out_of_range: OutOfRange = "raise",
) -> FloatArray:
    """3GPP TR 38.901 Urban Macro (UMa) line-of-sight path loss.

    PL1 = 28.0 + 22 log10(d_3D) + 20 log10(fc) up to the breakpoint d'_BP, then
    PL2 = 28.0 + 40 log10(d_3D) + 20 log10(fc) − 9 log10(d'_BP² + (h_BS − h_UT)²), with
    d'_BP = 4 (h_BS − h_E)(h_UT − h_E) fc / c and d_3D = √(d_2D² + (h_BS − h_UT)²).

    Parameters
    ----------
    distance_2d_m:
        Ground distance, m (valid 10 m – 5 km).
    frequency_ghz:
        Carrier frequency, GHz (valid 0.5–100 GHz).
    bs_height_m:
        Base-station height, m (nominal 25 m in 38.901; not range-checked).
    ut_height_m:
        User-terminal height, m (valid 1.5–22.5 m).
    effective_environment_height_m:
        h_E.  38.901 sets h_E = 1 m with probability 1/(1 + C(d_2D, h_UT)), where C = 0 for
        h_UT < 13 m, so 1 m is exact below 13 m; above it 38.901 draws h_E at random and this
        deterministic function keeps 1 m unless told otherwise.
    out_of_range:
        ``"raise"``, ``"clip"`` or ``"extrapolate"``.

    Returns
    -------
    numpy.ndarray
        Loss in dB (1 km at 5 GHz, h_BS 25 m, h_UT 1.5 m: 109.7252 dB, as ns-3).
    """
    d2, fc, hbs, hut = _urban_inputs(
        "uma", distance_2d_m, frequency_ghz, bs_height_m, ut_height_m, out_of_range
    )
    dh = hbs - hut
    log_d3 = np.asarray(0.5 * _LOG(d2 * d2 + dh * dh), dtype=np.float64)
    dbp = _breakpoint_m(hbs, hut, fc, effective_environment_height_m)
    return _dual_slope_los(d2, log_d3, np.asarray(_LOG(fc)), dh, dbp, 28.0, 22.0, 9.0)


def uma_nlos_path_loss_db(
    distance_2d_m: npt.ArrayLike,
    frequency_ghz: npt.ArrayLike,
    bs_height_m: npt.ArrayLike = 25.0,
    ut_height_m: npt.ArrayLike = 1.5,
    *,
    effective_environment_height_m: float = 1.0,
    out_of_range: OutOfRange = "raise",
) -> FloatArray:
    """3GPP TR 38.901 UMa non-line-of-sight path loss.

    PL = max(PL_UMa-LOS, 13.54 + 39.08 log10(d_3D) + 20 log10(fc) − 0.6 (h_UT − 1.5)).
    Parameters and validity as :func:`uma_los_path_loss_db`.

    Returns
    -------
    numpy.ndarray
        Loss in dB (1 km at 5 GHz: 144.7641 dB, as ns-3).
    """
    d2, fc, hbs, hut = _urban_inputs(
        "uma", distance_2d_m, frequency_ghz, bs_height_m, ut_height_m, out_of_range
    )
    dh = hbs - hut
    log_d3 = np.asarray(0.5 * _LOG(d2 * d2 + dh * dh), dtype=np.float64)
    log_fc = np.asarray(_LOG(fc), dtype=np.float64)
    dbp = _breakpoint_m(hbs, hut, fc, effective_environment_height_m)
    los = _dual_slope_los(d2, log_d3, log_fc, dh, dbp, 28.0, 22.0, 9.0)
    nlos = 13.54 + 39.08 * log_d3 + 20.0 * log_fc - 0.6 * (hut - 1.5)
    return np.asarray(np.maximum(los, nlos), dtype=np.float64)


def uma_nlos_optional_path_loss_db(
    distance_2d_m: npt.ArrayLike,
    frequency_ghz: npt.ArrayLike,
    bs_height_m: npt.ArrayLike = 25.0,
    ut_height_m: npt.ArrayLike = 1.5,
    *,
    out_of_range: OutOfRange = "raise",
) -> FloatArray:
    """3GPP TR 38.901 UMa NLOS *optional* model: 32.4 + 20 log10(fc) + 30 log10(d_3D).

    Used by pysim5g for 3–6 GHz (σ_SF 7.8 dB, not applied here).  Parameters and validity as
    :func:`uma_los_path_loss_db`.

    Returns
    -------
    numpy.ndarray
        Loss in dB (3.5 GHz, d_2D 1000.41 m, h_BS 30 m: 133.29 dB, as pysim5g's test).
    """
    d2, fc, hbs, hut = _urban_inputs(
        "uma", distance_2d_m, frequency_ghz, bs_height_m, ut_height_m, out_of_range
    )
    dh = hbs - hut
    return np.asarray(32.4 + 20.0 * _LOG(fc) + 15.0 * _LOG(d2 * d2 + dh * dh), dtype=np.float64)


def umi_los_path_loss_db(
    distance_2d_m: npt.ArrayLike,
    frequency_ghz: npt.ArrayLike,
    bs_height_m: npt.ArrayLike = 10.0,
    ut_height_m: npt.ArrayLike = 1.5,
    *,
    out_of_range: OutOfRange = "raise",
) -> FloatArray:
    """3GPP TR 38.901 Urban Micro street canyon (UMi) line-of-sight path loss.

    PL1 = 32.4 + 21 log10(d_3D) + 20 log10(fc); beyond d'_BP (h_E = 1 m)
    PL2 = 32.4 + 40 log10(d_3D) + 20 log10(fc) − 9.5 log10(d'_BP² + (h_BS − h_UT)²).

    Parameters
    ----------
    distance_2d_m:
        Ground distance, m (valid 10 m – 5 km).
    frequency_ghz:
        Carrier frequency, GHz (valid 0.5–100 GHz).
    bs_height_m:
        Base-station height, m (nominal 10 m; not range-checked).
    ut_height_m:
        User-terminal height, m (valid 1.5–22.5 m).
    out_of_range:
        ``"raise"``, ``"clip"`` or ``"extrapolate"``.

    Returns
    -------
    numpy.ndarray
        Loss in dB (100 m at 5 GHz, h_BS 10 m: 88.4122 dB, as ns-3).
    """
    d2, fc, hbs, hut = _urban_inputs(
        "umi", distance_2d_m, frequency_ghz, bs_height_m, ut_height_m, out_of_range
    )
    dh = hbs - hut
    log_d3 = np.asarray(0.5 * _LOG(d2 * d2 + dh * dh), dtype=np.float64)
    dbp = _breakpoint_m(hbs, hut, fc, 1.0)
    return _dual_slope_los(d2, log_d3, np.asarray(_LOG(fc)), dh, dbp, 32.4, 21.0, 9.5)


def umi_nlos_path_loss_db(
    distance_2d_m: npt.ArrayLike,
    frequency_ghz: npt.ArrayLike,
    bs_height_m: npt.ArrayLike = 10.0,
    ut_height_m: npt.ArrayLike = 1.5,
    *,
    out_of_range: OutOfRange = "raise",
) -> FloatArray:
    """3GPP TR 38.901 UMi street canyon non-line-of-sight path loss.

    PL = max(PL_UMi-LOS, 22.4 + 35.3 log10(d_3D) + 21.3 log10(fc) − 0.3 (h_UT − 1.5)).
    Parameters and validity as :func:`umi_los_path_loss_db`.

    Returns
    -------
    numpy.ndarray
        Loss in dB (100 m at 5 GHz: 107.9432 dB, as ns-3).
    """
    d2, fc, hbs, hut = _urban_inputs(
        "umi", distance_2d_m, frequency_ghz, bs_height_m, ut_height_m, out_of_range
    )
    dh = hbs - hut
    log_d3 = np.asarray(0.5 * _LOG(d2 * d2 + dh * dh), dtype=np.float64)
    log_fc = np.asarray(_LOG(fc), dtype=np.float64)
    dbp = _breakpoint_m(hbs, hut, fc, 1.0)
    los = _dual_slope_los(d2, log_d3, log_fc, dh, dbp, 32.4, 21.0, 9.5)
    nlos = 22.4 + 35.3 * log_d3 + 21.3 * log_fc - 0.3 * (hut - 1.5)
    return np.asarray(np.maximum(los, nlos), dtype=np.float64)


def _rma_inputs(
    model: str,
    distance_2d_m: npt.ArrayLike,
    frequency_ghz: npt.ArrayLike,
    bs_height_m: npt.ArrayLike,
    ut_height_m: npt.ArrayLike,
    building_height_m: npt.ArrayLike,
    street_width_m: npt.ArrayLike,
    policy: OutOfRange,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    check_policy(policy)
    return (
        _ranged(model, "distance_2d_m", distance_2d_m, policy),
        _ranged(model, "frequency_ghz", frequency_ghz, policy),
        _ranged(model, "bs_height_m", bs_height_m, policy),
        _ranged(model, "ut_height_m", ut_height_m, policy),
        _ranged(model, "building_height_m", building_height_m, policy),
        _ranged(model, "street_width_m", street_width_m, policy),
    )


def _rma_pl1(d3: FloatArray, fc: FloatArray, h: FloatArray) -> FloatArray:
    h172 = h**1.72
    return np.asarray(
        20.0 * _LOG(40.0 * math.pi * d3 * fc / 3.0)
        + np.minimum(0.03 * h172, 10.0) * _LOG(d3)
        - np.minimum(0.044 * h172, 14.77)
        + 0.002 * _LOG(h) * d3,
        dtype=np.float64,
    )


def _rma_los(
    d2: FloatArray, fc: FloatArray, hbs: FloatArray, hut: FloatArray, h: FloatArray
) -> FloatArray:
    d3 = np.sqrt(d2 * d2 + (hbs - hut) ** 2)
    # RMa uses the actual antenna heights (no h_E) in its breakpoint: 2π h_BS h_UT fc / c.
    dbp = 2.0 * math.pi * hbs * hut * fc * 1e9 / SPEED_OF_LIGHT_M_S
    pl1 = _rma_pl1(d3, fc, h)
    pl2 = _rma_pl1(dbp, fc, h) + 40.0 * _LOG(d3 / dbp)
    return np.asarray(np.where(d2 <= dbp, pl1, pl2), dtype=np.float64)


def rma_los_path_loss_db(
    distance_2d_m: npt.ArrayLike,
    frequency_ghz: npt.ArrayLike,
    bs_height_m: npt.ArrayLike = 35.0,
    ut_height_m: npt.ArrayLike = 1.5,
    *,
    building_height_m: npt.ArrayLike = 5.0,
    street_width_m: npt.ArrayLike = 20.0,
    out_of_range: OutOfRange = "raise",
) -> FloatArray:
    """3GPP TR 38.901 Rural Macro (RMa) line-of-sight path loss.

    Written from TR 38.901 Table 7.4.1-1 (RMa rows) and checked against ns-3's RMa test
    vectors (same test-suite file as UMa/UMi):

    PL1(d) = 20 log10(40π d fc/3) + min(0.03 h^1.72, 10) log10(d) − min(0.044 h^1.72, 14.77)
    + 0.002 log10(h) d, for d_2D ≤ d_BP (d = d_3D);
    PL2 = PL1(d_BP) + 40 log10(d_3D / d_BP) beyond, with d_BP = 2π h_BS h_UT fc / c.

    Parameters
    ----------
    distance_2d_m:
        Ground distance, m (valid 10 m – 10 km).
    frequency_ghz:
        Carrier frequency, GHz (valid 0.5–30 GHz).
    bs_height_m:
        Base-station height, m (valid 10–150 m; default 35 m).
    ut_height_m:
        User-terminal height, m (valid 1–10 m).
    building_height_m:
        Average building height h, m (valid 5–50 m; default 5 m).
    street_width_m:
        Average street width W, m (valid 5–50 m; default 20 m; unused in LOS, kept so LOS and
        NLOS share a signature).
    out_of_range:
        ``"raise"``, ``"clip"`` or ``"extrapolate"``.

    Returns
    -------
    numpy.ndarray
        Loss in dB (1 km at 5 GHz, h_BS 35 m: 108.5577 dB, as ns-3).
    """
    d2, fc, hbs, hut, h, _ = _rma_inputs(
        "rma_los",
        distance_2d_m,
        frequency_ghz,
        bs_height_m,
        ut_height_m,
        building_height_m,
        street_width_m,
        out_of_range,
    )
    return _rma_los(d2, fc, hbs, hut, h)


def rma_nlos_path_loss_db(
    distance_2d_m: npt.ArrayLike,
    frequency_ghz: npt.ArrayLike,
    bs_height_m: npt.ArrayLike = 35.0,
    ut_height_m: npt.ArrayLike = 1.5,
    *,
    building_height_m: npt.ArrayLike = 5.0,
    street_width_m: npt.ArrayLike = 20.0,
    out_of_range: OutOfRange = "raise",
) -> FloatArray:
    """3GPP TR 38.901 RMa non-line-of-sight path loss, max(PL_RMa-LOS, PL'_RMa-NLOS).

    PL' = 161.04 − 7.1 log10(W) + 7.5 log10(h) − (24.37 − 3.7 (h/h_BS)²) log10(h_BS)
    + (43.42 − 3.1 log10(h_BS)) (log10(d_3D) − 3) + 20 log10(fc)
    − (3.2 (log10(11.75 h_UT))² − 4.97), written from TR 38.901 Table 7.4.1-1.

    Parameters are as :func:`rma_los_path_loss_db`; the distance is valid 10 m – 5 km.

    Returns
    -------
    numpy.ndarray
        Loss in dB (1 km at 5 GHz, h_BS 35 m: 133.5223 dB, as ns-3).
    """
    d2, fc, hbs, hut, h, w = _rma_inputs(
        "rma_nlos",
        distance_2d_m,
        frequency_ghz,
        bs_height_m,
        ut_height_m,
        building_height_m,
        street_width_m,
        out_of_range,
    )
    d3 = np.sqrt(d2 * d2 + (hbs - hut) ** 2)
    log_hbs = _LOG(hbs)
    nlos = (
        161.04
        - 7.1 * _LOG(w)
        + 7.5 * _LOG(h)
        - (24.37 - 3.7 * (h / hbs) ** 2) * log_hbs
        + (43.42 - 3.1 * log_hbs) * (_LOG(d3) - 3.0)
        + 20.0 * _LOG(fc)
        - (3.2 * _LOG(11.75 * hut) ** 2 - 4.97)
    )
    return np.asarray(np.maximum(_rma_los(d2, fc, hbs, hut, h), nlos), dtype=np.float64)


# --------------------------------------------------------------------------------------------
# LOS probability (TR 38.901 Table 7.4.2-1) and the combined entry point
# --------------------------------------------------------------------------------------------


def los_probability(
    scenario: Scenario, distance_2d_m: npt.ArrayLike, ut_height_m: npt.ArrayLike = 1.5
) -> FloatArray:
    """Probability of line of sight, 3GPP TR 38.901 Table 7.4.2-1 (outdoor users).

    * UMi: 1 for d ≤ 18 m, else 18/d + exp(−d/36)(1 − 18/d).
    * UMa: 1 for d ≤ 18 m, else [18/d + exp(−d/63)(1 − 18/d)]
      · [1 + C'(h_UT) (5/4)(d/100)³ exp(−d/150)], with C' = 0 for h_UT ≤ 13 m and
      ((h_UT − 13)/10)^1.5 for 13 < h_UT ≤ 23 m.
    * RMa: 1 for d ≤ 10 m, else exp(−(d − 10)/1000).

    Parameters
    ----------
    scenario:
        ``"uma"``, ``"umi"`` or ``"rma"``.
    distance_2d_m:
        Ground distance, m (≥ 0).
    ut_height_m:
        User-terminal height, m (only UMa uses it).

    Returns
    -------
    numpy.ndarray
        Probability in [0, 1].
    """
    d = as_float("distance_2d_m", distance_2d_m)
    if d.size and (d < 0).any():
        raise InputError("distance_2d_m must not be negative")
    if scenario == "rma":
        return np.asarray(np.where(d <= 10.0, 1.0, np.exp(-(d - 10.0) / 1000.0)), dtype=np.float64)
    # Evaluate the far branch at d >= 18 m only, so 18/d never divides by zero.
    far = np.maximum(d, 18.0)
    if scenario == "umi":
        p = 18.0 / far + np.exp(-far / 36.0) * (1.0 - 18.0 / far)
    elif scenario == "uma":
        hut = as_float("ut_height_m", ut_height_m)
        c_prime = np.where(hut <= 13.0, 0.0, (np.clip(hut, 13.0, 23.0) - 13.0) / 10.0) ** 1.5
        p = (18.0 / far + np.exp(-far / 63.0) * (1.0 - 18.0 / far)) * (
            1.0 + c_prime * 1.25 * (far / 100.0) ** 3 * np.exp(-far / 150.0)
        )
    else:
        raise InputError(f"scenario must be 'uma', 'umi' or 'rma', not {scenario!r}")
    return np.asarray(np.where(d <= 18.0, 1.0, p), dtype=np.float64)


def tr38901_path_loss_db(
    scenario: Scenario,
    distance_2d_m: npt.ArrayLike,
    frequency_ghz: npt.ArrayLike,
    bs_height_m: npt.ArrayLike,
    ut_height_m: npt.ArrayLike = 1.5,
    *,
    condition: Condition = "nlos",
    out_of_range: OutOfRange = "raise",
) -> FloatArray:
    """TR 38.901 path loss for one scenario and one channel-condition mode.

    Parameters
    ----------
    scenario:
        ``"uma"``, ``"umi"`` or ``"rma"`` (RMa with its default h = 5 m, W = 20 m).
    distance_2d_m, frequency_ghz, bs_height_m, ut_height_m:
        As the scenario's LOS/NLOS functions (m, GHz, m, m).
    condition:
        ``"nlos"`` (the NLOS formula: conservative, the usual planning choice), ``"los"``, or
        ``"weighted"``: the LOS-probability-weighted mean in dB,
        P_LOS·PL_LOS + (1 − P_LOS)·PL_NLOS.  A dB-domain mean, not a power mean; it is an
        expected loss for ranking servers, not a coverage probability.
    out_of_range:
        ``"raise"``, ``"clip"`` or ``"extrapolate"``.

    Returns
    -------
    numpy.ndarray
        Loss in dB.
    """
    los_fn: Callable[..., FloatArray]
    nlos_fn: Callable[..., FloatArray]
    if scenario == "uma":
        los_fn, nlos_fn = uma_los_path_loss_db, uma_nlos_path_loss_db
    elif scenario == "umi":
        los_fn, nlos_fn = umi_los_path_loss_db, umi_nlos_path_loss_db
    elif scenario == "rma":
        los_fn, nlos_fn = rma_los_path_loss_db, rma_nlos_path_loss_db
    else:
        raise InputError(f"scenario must be 'uma', 'umi' or 'rma', not {scenario!r}")
    args = (distance_2d_m, frequency_ghz, bs_height_m, ut_height_m)
    if condition == "nlos":
        return nlos_fn(*args, out_of_range=out_of_range)
    if condition == "los":
        return los_fn(*args, out_of_range=out_of_range)
    if condition == "weighted":
        p = los_probability(scenario, distance_2d_m, ut_height_m)
        los = los_fn(*args, out_of_range=out_of_range)
        nlos = nlos_fn(*args, out_of_range=out_of_range)
        return np.asarray(p * los + (1.0 - p) * nlos, dtype=np.float64)
    raise InputError(f"condition must be 'nlos', 'los' or 'weighted', not {condition!r}")
