"""Small array helpers shared by the coverage models (internal).

Every model takes array-likes, broadcasts them with numpy and returns float64 arrays.  Inputs
outside a model's published validity range are handled by one explicit policy,
:data:`OutOfRange`, so no model silently extrapolates unless the caller asked it to.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.errors import InputError

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.intp]

OutOfRange = Literal["raise", "clip", "extrapolate"]
"""What a model does with an input outside its validity range.

``"raise"``
    Refuse with :class:`geo.errors.InputError` naming the model, the parameter, the range and
    the first offending value (the default everywhere).
``"clip"``
    Clip the parameter into the range before evaluating (pessimistic below a minimum distance,
    optimistic beyond a maximum distance).  Use :func:`geo.coverage.propagation.within_validity`
    to flag the links that were clipped.
``"extrapolate"``
    Evaluate the formula as written outside the range.  Again, flag with ``within_validity``.
"""

_POLICIES: tuple[str, ...] = ("raise", "clip", "extrapolate")


def as_float(name: str, value: npt.ArrayLike) -> FloatArray:
    """``value`` as a float64 array, refusing NaN and infinities by name."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise InputError(f"{name} must be numeric ({error})") from None
    if not np.isfinite(array).all():
        raise InputError(f"{name} contains NaN or infinite values; remove or fill them first")
    return array


def category_codes(values: npt.ArrayLike, categories: tuple[str, ...]) -> npt.NDArray[np.intp]:
    """Position of each value in ``categories`` (-1 for missing or unknown values)."""
    labels = pd.Index(np.asarray(values, dtype=object).ravel())
    return np.asarray(pd.Index(categories).get_indexer(labels), dtype=np.intp)


def label_codes(
    values: pd.Series, categories: tuple[str, ...], *, lower: bool = True
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.bool_]]:
    """Codes of text labels in ``categories`` (trimmed, optionally lower-cased), and which were
    given (-1 for unknown labels; blanks are not given).  Normalises the distinct labels only."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    labels = pd.Index(uniques).astype(str).str.strip()
    if lower:
        labels = labels.str.lower()
    mapped = np.asarray(pd.Index(categories).get_indexer(labels), dtype=np.intp)
    given = codes >= 0
    return np.where(given, mapped[np.where(given, codes, 0)] if mapped.size else -1, -1), given


def check_policy(policy: str) -> None:
    """Refuse an unknown out-of-range policy."""
    if policy not in _POLICIES:
        raise InputError(f"out_of_range must be one of {_POLICIES}, not {policy!r}")


def apply_range(
    model: str,
    name: str,
    values: FloatArray,
    low: float,
    high: float,
    unit: str,
    policy: OutOfRange,
) -> FloatArray:
    """Apply ``policy`` to ``values`` against the closed range ``[low, high]``."""
    if policy == "extrapolate":
        return values
    if values.size == 0:
        return values
    if policy == "clip":
        return np.clip(values, low, high)
    outside = (values < low) | (values > high)
    if outside.any():
        first = float(values[outside].flat[0])
        raise InputError(
            f"{model}: {name} must be within {low:g}–{high:g} {unit}; "
            f"{int(outside.sum())} value(s) outside the range (first {first:g}). "
            "Pass out_of_range='clip' or 'extrapolate' to evaluate anyway, and flag those "
            "links with within_validity()"
        )
    return values


def require_positive(model: str, name: str, values: FloatArray, unit: str) -> None:
    """Refuse zero or negative values whatever the policy (the formulas take their logarithm)."""
    if values.size and (values <= 0).any():
        first = float(values[values <= 0].flat[0])
        raise InputError(f"{model}: {name} must be greater than 0 {unit} (got {first:g})")
