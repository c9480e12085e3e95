"""Figures shaped for pages, maps, exports and the API, with small numbers suppressed.

Every output of this package goes through :func:`shown_values`: it is the one place where
:mod:`core.suppression` is applied, so a count hidden on a page is hidden in the map tooltip,
the CSV, the GeoJSON and the API too.  Staff who work with the records (``full`` detail: admin,
coordinator, planner) see every figure; councillors and the public (``suppressed`` detail) see
counts of fewer than the threshold (10 by default) as "fewer than 10", enough other counts hidden
that a small one cannot be worked out from the borough total, and no share or average computed
from fewer than the threshold of people.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from app.wards.figures import MapLayerSpec, TableColumn, WardFigure, WardTable
from core.suppression import DEFAULT_THRESHOLD, format_count, is_small, suppress_table

Detail = Literal["full", "suppressed"]

SUPPRESSED_TEXT = "not shown"
"""A figure hidden so that a small number cannot be worked out (secondary suppression)."""

FEW_PEOPLE_TEXT = "not shown: too few people"
"""A share or average hidden because it is computed from fewer people than the threshold."""

MISSING_TEXT = "not available"

STAFF_ONLY_TEXT = "shown to planners only"
"""A ``staff_text`` table cell seen by a councillor or the public."""

_BOROUGH = "__borough__"


def detail_for(roles: Iterable[str], staff_roles: Iterable[str]) -> Detail:
    """``"full"`` for staff who see small numbers, ``"suppressed"`` for everyone else."""
    return "full" if set(roles) & set(staff_roles) else "suppressed"


@dataclass(frozen=True)
class Shown:
    """One figure as it may be shown: the number (``None`` when hidden or missing) and text."""

    value: float | None
    text: str
    suppressed: bool = False

    def as_json(self) -> dict[str, Any]:
        """``{"value", "display", "suppressed"}`` for the API."""
        return {"value": self.value, "display": self.text, "suppressed": self.suppressed}


def value_format(unit: str) -> str:
    """``str.format`` pattern for a unit: pages, tables, tooltips and legends all use it."""
    return {
        "count": "{:,.0f}",
        "share": "{:.0%}",
        "minutes": "{:.1f} minutes",
        "index": "{:.1f}",
        "mbps": "{:,.1f} Mbit/s",
    }[unit]


def value_text(value: float | None, unit: str) -> str:
    """A figure written for a page (``"1,234"``, ``"45%"``, ``"12.3 minutes"``)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return MISSING_TEXT
    return value_format(unit).format(value)


def shown_values(
    values: Mapping[str, float | None],
    *,
    unit: str,
    detail: Detail,
    borough: float | None = None,
    is_count: bool = False,
    base_counts: Mapping[str, float] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    codes: Sequence[str] | None = None,
    suppress_codes: Iterable[str] = (),
) -> tuple[dict[str, Shown], Shown]:
    """The figures of every area (and the borough) as they may be shown at ``detail``.

    Parameters
    ----------
    values:
        Area code -> true figure.
    unit:
        How figures are written (see :func:`value_text`).
    detail:
        ``"full"`` shows everything; ``"suppressed"`` applies :mod:`core.suppression`.
    borough:
        The borough figure (for counts, the total of the areas: secondary suppression then
        makes sure no hidden area can be worked out by subtraction).
    is_count:
        The figures are counts of people.
    base_counts:
        Area code -> people each figure is computed from; small bases hide the figure.
    threshold:
        The small-number threshold.
    codes:
        The areas to return (all of ``values`` by default); areas with no figure are missing.
    suppress_codes:
        Areas to hide as well (the provider's own secondary suppression).

    Returns
    -------
    (dict, Shown)
        Area code -> :class:`Shown`, and the borough's :class:`Shown`.
    """
    order = list(codes) if codes is not None else list(values)
    raw = {code: values.get(code) for code in order}

    def plain(value: float | None) -> Shown:
        return Shown(value, value_text(value, unit))

    if detail == "full":
        return {code: plain(value) for code, value in raw.items()}, plain(borough)

    hidden: dict[str, str] = {}
    borough_hidden: str | None = None
    if is_count:
        labels = [*order, *([_BOROUGH] if borough is not None else [])]
        frame = pd.DataFrame(
            {"n": [raw[code] for code in order] + ([borough] if borough is not None else [])},
            index=pd.Index(labels, dtype=object),
        )
        frame["n"] = frame["n"].astype(object)
        protected = suppress_table(
            frame,
            ["n"],
            threshold=threshold,
            total_row=_BOROUGH if borough is not None and len(order) > 1 else None,
        )
        for label, original, kept in zip(
            labels, frame["n"].tolist(), protected["n"].tolist(), strict=True
        ):
            if original is None or (isinstance(original, float) and math.isnan(original)):
                continue
            if kept is pd.NA or kept is None:
                words = (
                    format_count(original, threshold=threshold)
                    if is_small(float(original), threshold=threshold)
                    else SUPPRESSED_TEXT
                )
                if label == _BOROUGH:
                    borough_hidden = words
                else:
                    hidden[label] = words
    if base_counts is not None:
        for code in order:
            base = float(base_counts.get(code, 0.0) or 0.0)
            if raw[code] is not None and code not in hidden and is_small(base, threshold=threshold):
                hidden[code] = FEW_PEOPLE_TEXT
        total = sum(float(v or 0.0) for v in base_counts.values())
        if borough is not None and borough_hidden is None and is_small(total, threshold=threshold):
            borough_hidden = FEW_PEOPLE_TEXT
    for code in suppress_codes:
        if code in raw and raw[code] is not None and code not in hidden:
            hidden[code] = SUPPRESSED_TEXT

    shown = {
        code: Shown(None, hidden[code], True) if code in hidden else plain(value)
        for code, value in raw.items()
    }
    borough_shown = Shown(None, borough_hidden, True) if borough_hidden else plain(borough)
    return shown, borough_shown


def shown_figure(
    figure: WardFigure, *, detail: Detail, threshold: float, codes: Sequence[str]
) -> tuple[dict[str, Shown], Shown]:
    """:func:`shown_values` for a :class:`WardFigure` over the wards ``codes``."""
    return shown_values(
        figure.values,
        unit=figure.unit,
        detail=detail,
        borough=figure.borough,
        is_count=figure.is_count,
        base_counts=figure.base_counts,
        threshold=threshold,
        codes=codes,
        suppress_codes=figure.suppress_wards,
    )


def shown_layer(
    layer: MapLayerSpec, *, detail: Detail, threshold: float, codes: Sequence[str]
) -> tuple[dict[str, Shown], Shown]:
    """:func:`shown_values` for a :class:`MapLayerSpec` over the areas ``codes``."""
    return shown_values(
        layer.values,
        unit=layer.unit,
        detail=detail,
        borough=layer.borough,
        is_count=layer.is_count or layer.style == "circles",
        base_counts=layer.base_counts,
        threshold=threshold,
        codes=codes,
        suppress_codes=layer.suppress_areas,
    )


# --- comparisons with the borough -----------------------------------------------------------


def comparison(
    ward: Shown,
    reference: Shown,
    *,
    unit: str,
    higher_is_better: bool | None,
    against: str = "the borough",
) -> str:
    """Plain words comparing a ward's figure with ``against`` (empty when either is hidden)."""
    if ward.value is None or reference.value is None:
        return ""
    difference = ward.value - reference.value
    scale = abs(reference.value)
    same = abs(difference) < 0.02 if unit == "share" else abs(difference) <= 0.05 * scale
    if same or difference == 0:
        return f"About the same as {against}"
    higher = difference > 0
    words = f"Higher than {against}" if higher else f"Lower than {against}"
    if higher_is_better is None:
        return words
    better = higher == higher_is_better
    return f"{words} (better)" if better else f"{words} (worse)"


@dataclass(frozen=True)
class FigureRow:
    """One row of a profile section: the ward's figure beside the borough's."""

    key: str
    label: str
    ward: Shown
    borough: Shown
    borough_label: str
    comparison: str
    source: str
    note: str | None


def figure_rows(
    figures: Sequence[WardFigure],
    ward_code: str,
    *,
    detail: Detail,
    threshold: float,
    ward_codes: Sequence[str],
) -> list[FigureRow]:
    """The figures of one ward beside the borough value (or, for counts, the average ward)."""
    rows = []
    for figure in figures:
        shown, borough = shown_figure(figure, detail=detail, threshold=threshold, codes=ward_codes)
        ward = shown.get(ward_code, Shown(None, MISSING_TEXT))
        if figure.unit == "count":
            # A ward count is compared with the average ward, not with the borough total.
            if borough.value is None or not ward_codes:
                reference = borough
            else:
                average = borough.value / len(ward_codes)
                reference = Shown(average, f"{average:,.0f}")
            label = "Average ward"
        else:
            reference, label = borough, "Borough"
        rows.append(
            FigureRow(
                key=figure.key,
                label=figure.label,
                ward=ward,
                borough=reference,
                borough_label=label,
                comparison=comparison(
                    ward,
                    reference,
                    unit=figure.unit,
                    higher_is_better=figure.higher_is_better,
                    against="the average ward" if label == "Average ward" else "the borough",
                ),
                source=figure.source,
                note=figure.note,
            )
        )
    return rows


def table_cell(value: Any, column: TableColumn, *, detail: Detail, threshold: float) -> str:
    """One cell of a :class:`WardTable` as text (counts suppressed at ``suppressed`` detail)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING_TEXT
    if column.kind == "staff_text" and detail == "suppressed":
        return STAFF_ONLY_TEXT
    if column.kind == "yes_no":
        return "Yes" if value else "No"
    if column.kind == "count":
        if detail == "suppressed":
            return format_count(float(value), threshold=threshold)
        return f"{float(value):,.0f}"
    if column.kind == "share":
        return f"{float(value):.0%}"
    if column.kind == "minutes":
        return f"{float(value):.1f} minutes"
    if column.kind == "number":
        number = float(value)
        return f"{number:,.0f}" if number.is_integer() else f"{number:,.1f}"
    return str(value)


def table_rows(
    table: WardTable, ward_code: str, *, detail: Detail, threshold: float
) -> list[list[str]]:
    """The rows of ``table`` for one ward, as text cells in column order."""
    return [
        [
            table_cell(row.get(column.key), column, detail=detail, threshold=threshold)
            for column in table.columns
        ]
        for row in table.rows.get(ward_code, ())
    ]
