"""Colour scales that stay readable for colour-blind users, and class breaks for choropleths.

Only schemes that ColorBrewer marks as colour-blind safe, and viridis (designed to be
perceptually uniform and readable with the common colour-vision deficiencies and in greyscale),
are offered.  Colours are read from :mod:`branca`, which ships the ColorBrewer tables and
viridis, so no colour is typed in by hand.

A :class:`ClassBreaks` is a set of classes with their colours and plain-word labels.  Classes
include their lower edge: a value ``v`` is in class ``i`` when ``edges[i] <= v < edges[i + 1]``;
the top class also includes its upper edge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from branca import colormap as branca_colormap

from maps._text import ValueFormat, check_value_format, format_value

__all__ = [
    "DIVERGING_SCHEMES",
    "NO_DATA_COLOUR",
    "QUALITATIVE_COLOURS",
    "SEQUENTIAL_SCHEMES",
    "ClassBreaks",
    "fixed_breaks",
    "palette",
    "quantile_breaks",
]

SEQUENTIAL_SCHEMES: tuple[str, ...] = (
    "viridis",
    "YlGnBu",
    "YlOrRd",
    "PuBuGn",
    "BuPu",
    "Blues",
    "Purples",
)
"""Sequential scales (light = low for ColorBrewer; dark purple = low for viridis)."""

DIVERGING_SCHEMES: tuple[str, ...] = ("PuOr", "BrBG", "RdYlBu", "PRGn")
"""Diverging scales, ColorBrewer colour-blind safe, for figures either side of a midpoint."""

NO_DATA_COLOUR = "#d4d4d4"
"""Plain light grey (no hatching) for areas whose figure is suppressed or missing; the legend
and tooltips always say which in words."""

QUALITATIVE_COLOURS: dict[str, str] = {
    "black": "#000000",
    "orange": "#e69f00",
    "sky_blue": "#56b4e9",
    "bluish_green": "#009e73",
    "yellow": "#f0e442",
    "blue": "#0072b2",
    "vermillion": "#d55e00",
    "reddish_purple": "#cc79a7",
}
"""The Okabe–Ito colours (Okabe and Ito, 2008), distinguishable with every common colour-vision
deficiency; used for point layers (venues, Wi-Fi, mobile sites)."""

_MIN_CLASSES = 2
_BREWER_RANGE = {
    **{name: (3, 9) for name in SEQUENTIAL_SCHEMES if name != "viridis"},
    **{name: (3, 11) for name in DIVERGING_SCHEMES},
}
_VIRIDIS_MAX_CLASSES = 12


def _scheme(name: str) -> branca_colormap.LinearColormap:
    # branca sets one attribute per scheme at import time, so they are looked up by name.
    colormap: branca_colormap.LinearColormap = getattr(branca_colormap.linear, name)
    return colormap


def _hex(rgba: Sequence[float]) -> str:
    red, green, blue = (round(float(channel) * 255) for channel in rgba[:3])
    return f"#{red:02x}{green:02x}{blue:02x}"


def palette(scheme: str, n_classes: int, *, reverse: bool = False) -> tuple[str, ...]:
    """The colours of a named colour-blind-safe scheme with ``n_classes`` classes.

    Parameters
    ----------
    scheme:
        One of :data:`SEQUENTIAL_SCHEMES` or :data:`DIVERGING_SCHEMES`.
    n_classes:
        Number of colours: 2–12 for viridis; for ColorBrewer schemes 3–9 (sequential) or
        3–11 (diverging), and 2 (the two ends of the 3-class scheme).
    reverse:
        Run the scale the other way (dark = low).

    Returns
    -------
    tuple of str
        ``#rrggbb`` colours, lowest class first.

    Raises
    ------
    ValueError
        For an unknown scheme or a class count the scheme does not offer.
    """
    if scheme == "viridis":
        if not _MIN_CLASSES <= n_classes <= _VIRIDIS_MAX_CLASSES:
            raise ValueError(f"viridis offers 2 to {_VIRIDIS_MAX_CLASSES} classes, not {n_classes}")
        scale = _scheme(scheme)
        colours = tuple(
            scale.rgb_hex_str(float(position)) for position in np.linspace(0.0, 1.0, n_classes)
        )
    elif scheme in _BREWER_RANGE:
        low, high = _BREWER_RANGE[scheme]
        if n_classes == _MIN_CLASSES:
            three = palette(scheme, 3)
            colours = (three[0], three[2])
        elif low <= n_classes <= high:
            table = _scheme(f"{scheme}_{n_classes:02d}")
            colours = tuple(_hex(rgba) for rgba in table.colors)
        else:
            raise ValueError(f"{scheme} offers 2 to {high} classes, not {n_classes}")
    else:
        offered = ", ".join((*SEQUENTIAL_SCHEMES, *DIVERGING_SCHEMES))
        raise ValueError(
            f"unknown colour scheme {scheme!r}; use a colour-blind-safe one: {offered}"
        )
    return colours[::-1] if reverse else colours


@dataclass(frozen=True)
class ClassBreaks:
    """Classes for a choropleth: edges, one colour and one plain-word label per class.

    Attributes
    ----------
    edges:
        ``k + 1`` increasing numbers; class ``i`` holds ``edges[i] <= v < edges[i + 1]`` and
        the top class also holds ``v == edges[k]``.
    colours:
        ``k`` colours (``#rrggbb``), lowest class first.
    labels:
        ``k`` labels in plain words (``"2.0 to under 4.0"``), lowest class first.
    """

    edges: tuple[float, ...]
    colours: tuple[str, ...]
    labels: tuple[str, ...]

    def __post_init__(self) -> None:
        edges = np.asarray(self.edges, dtype=np.float64)
        if edges.ndim != 1 or edges.shape[0] < 2:
            raise ValueError("class breaks need at least two edges (one class)")
        if not np.isfinite(edges).all() or (np.diff(edges) <= 0).any():
            raise ValueError(f"class edges must be finite and increase, not {self.edges!r}")
        n_classes = edges.shape[0] - 1
        if len(self.colours) != n_classes or len(self.labels) != n_classes:
            raise ValueError(
                f"{n_classes} classes need {n_classes} colours and labels, not "
                f"{len(self.colours)} colours and {len(self.labels)} labels"
            )

    @property
    def n_classes(self) -> int:
        """The number of classes."""
        return len(self.colours)

    def classify(self, values: npt.ArrayLike) -> npt.NDArray[np.intp]:
        """Class index of each value; ``-1`` for NaN.

        Parameters
        ----------
        values:
            Numbers in the units of the edges.

        Raises
        ------
        ValueError
            If a finite value lies outside the edges (names the first such value).
        """
        array = np.asarray(values, dtype=np.float64)
        present = ~np.isnan(array)
        outside = present & ((array < self.edges[0]) | (array > self.edges[-1]))
        if outside.any():
            first = array[np.flatnonzero(outside)[0]]
            raise ValueError(
                f"the value {first:g} lies outside the scale {self.edges[0]:g} to "
                f"{self.edges[-1]:g}; widen the class edges or check the figures"
            )
        inner = np.asarray(self.edges[1:-1], dtype=np.float64)
        classes = np.searchsorted(inner, np.where(present, array, self.edges[0]), side="right")
        return np.where(present, classes, -1).astype(np.intp)


def _range_labels(edges: Sequence[float], value_format: ValueFormat) -> tuple[str, ...]:
    written = [format_value(edge, value_format) for edge in edges]
    last = len(edges) - 2
    return tuple(
        f"{written[i]} to {written[i + 1]}"
        if i == last
        else f"{written[i]} to under {written[i + 1]}"
        for i in range(len(edges) - 1)
    )


def fixed_breaks(
    edges: Sequence[float],
    *,
    scheme: str = "YlGnBu",
    reverse: bool = False,
    value_format: ValueFormat = "{:,.1f}",
    labels: Sequence[str] | None = None,
) -> ClassBreaks:
    """Classes with edges chosen in advance (for example 0–10 for an index, or 0–100 %).

    Parameters
    ----------
    edges:
        Increasing class edges, in the units of the mapped figure.
    scheme, reverse:
        Colour scheme (see :func:`palette`).
    value_format:
        How the edges are written in the labels.
    labels:
        Labels to use instead of the ranges (one per class).

    Returns
    -------
    ClassBreaks
    """
    check_value_format(value_format)
    values = tuple(float(edge) for edge in edges)
    n_classes = len(values) - 1
    colours = palette(scheme, n_classes, reverse=reverse)
    written = tuple(labels) if labels is not None else _range_labels(values, value_format)
    return ClassBreaks(edges=values, colours=colours, labels=written)


def quantile_breaks(
    values: npt.ArrayLike,
    n_classes: int = 5,
    *,
    scheme: str = "YlGnBu",
    reverse: bool = False,
    value_format: ValueFormat = "{:,.1f}",
) -> ClassBreaks:
    """Classes holding about equal numbers of areas (quantiles of the finite values).

    Where many values tie, quantiles coincide and fewer classes are returned (at least one).

    Parameters
    ----------
    values:
        The figures to be mapped; NaN is ignored.
    n_classes:
        Classes wanted (2 or more).
    scheme, reverse, value_format:
        As :func:`fixed_breaks`.

    Raises
    ------
    ValueError
        If there is no finite value.
    """
    check_value_format(value_format)
    if n_classes < _MIN_CLASSES:
        raise ValueError(f"n_classes must be 2 or more, not {n_classes}")
    array = np.asarray(values, dtype=np.float64)
    finite = array[np.isfinite(array)]
    if finite.shape[0] == 0:
        raise ValueError("no figure to classify: every value is missing or suppressed")
    edges = np.unique(np.quantile(finite, np.linspace(0.0, 1.0, n_classes + 1)))
    if edges.shape[0] == 1:
        # Every area has the same figure: one class, written as that figure alone.
        only = float(edges[0])
        return ClassBreaks(
            edges=(only, only + max(abs(only), 1.0) * 1e-9),
            colours=(palette(scheme, 3, reverse=reverse)[1],),
            labels=(format_value(only, value_format),),
        )
    edge_values = tuple(float(edge) for edge in edges)
    count = len(edge_values) - 1
    if count == 1:
        colours: tuple[str, ...] = (palette(scheme, 3, reverse=reverse)[1],)
    else:
        colours = palette(scheme, count, reverse=reverse)
    return ClassBreaks(
        edges=edge_values, colours=colours, labels=_range_labels(edge_values, value_format)
    )
