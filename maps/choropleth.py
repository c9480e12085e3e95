"""Choropleth maps of area figures (wards, LSOAs, OAs, grid cells) with folium.

The figures arrive already computed; this module only classes, colours and draws them:

* boundaries are simplified in British National Grid and rounded in WGS84
  (:func:`maps.simplify.simplify_for_web`) so a borough's OA map stays well under 1 MB;
* only the columns the tooltip shows are embedded, already written as text, so a suppressed
  figure never reaches the page as a number;
* suppressed or missing figures are drawn in plain grey and named in words in the tooltip and
  the legend;
* the legend is drawn on the map and returned as data (:class:`maps.legend.Legend`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from geo.errors import InputError
from maps._text import ValueFormat, check_value_format, escape_text, format_value
from maps.base import (
    ONS_OGL_ATTRIBUTION,
    add_layer_control,
    base_map,
    fit_to,
    keep_layer_control_last,
)
from maps.legend import Legend, LegendControl, LegendEntry
from maps.palettes import NO_DATA_COLOUR, ClassBreaks, quantile_breaks
from maps.simplify import simplify_for_web

__all__ = [
    "NO_DATA_LABEL",
    "SUPPRESSED_LABEL",
    "TooltipColumn",
    "add_choropleth_layer",
    "choropleth_map",
    "display_values",
]

SUPPRESSED_LABEL = "Not shown: too few to report"
"""Default words for a figure hidden by a suppression mask."""

NO_DATA_LABEL = "No data"
"""Words for a missing figure."""

_OUTLINE = "#3d4347"
_HIGHLIGHT = {"weight": 3, "color": "#0b0c0c", "opacity": 1.0}
_MAX_FEATURES = 50_000


@dataclass(frozen=True)
class TooltipColumn:
    """A column shown in the tooltip.

    Attributes
    ----------
    column:
        Column name in the areas frame.
    label:
        Words shown beside the figure (``"Residents aged 65 and over"``).
    value_format:
        How numbers are written; by default whole numbers with thousands separators and other
        numbers to one decimal place.  Text (``"fewer than 10"``) is shown as it is.
    """

    column: str
    label: str
    value_format: ValueFormat | None = None


def _default_format(series: pd.Series) -> ValueFormat:
    if pd.api.types.is_integer_dtype(series.dtype):
        return "{:,.0f}"
    return "{:,.1f}"


def display_values(
    values: pd.Series,
    *,
    value_format: ValueFormat | None = None,
    missing_label: str = NO_DATA_LABEL,
) -> pd.Series:
    """Figures written as text for a tooltip or table cell.

    Numbers are formatted with ``value_format``; text (a figure already suppressed upstream,
    such as ``"fewer than 10"``) is kept; booleans become ``Yes``/``No``; missing values become
    ``missing_label``.

    Parameters
    ----------
    values:
        One column of figures.
    value_format:
        ``str.format`` pattern or function for numbers; chosen from the dtype when omitted.
    missing_label:
        Words for a missing value.

    Returns
    -------
    pandas.Series
        Strings, same index and name as ``values``.
    """
    fmt = value_format if value_format is not None else _default_format(values)
    check_value_format(fmt)
    numeric = pd.to_numeric(values, errors="coerce") if not _is_bool(values) else None

    def write(position: int, value: Any) -> str:
        if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
            return missing_label
        if isinstance(value, bool | np.bool_):
            return "Yes" if value else "No"
        if numeric is not None:
            number = numeric.iloc[position]
            if pd.notna(number) and np.isfinite(float(number)):
                return format_value(float(number), fmt)
        text = str(value).strip()
        return text or missing_label

    written = [write(i, value) for i, value in enumerate(values.astype(object).tolist())]
    return pd.Series(written, index=values.index, name=values.name, dtype=object)


def _is_bool(values: pd.Series) -> bool:
    return pd.api.types.is_bool_dtype(values.dtype)


def _tooltip_columns(
    tooltip_columns: Mapping[str, str] | Sequence[TooltipColumn],
) -> list[TooltipColumn]:
    if isinstance(tooltip_columns, Mapping):
        return [TooltipColumn(column, label) for column, label in tooltip_columns.items()]
    return list(tooltip_columns)


def _require_columns(frame: pd.DataFrame, columns: Sequence[str], source: str) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise InputError(
            f"has no column {', '.join(repr(c) for c in missing)}; the columns are "
            f"{', '.join(map(str, frame.columns))}",
            source=source,
        )


def _codes(areas: gpd.GeoDataFrame, code_column: str, source: str) -> pd.Series:
    codes = areas[code_column]
    blank = codes.isna() | (codes.astype(str).str.strip() == "")
    if blank.any():
        raise InputError(
            "has a blank area code; every area needs its code",
            source=source,
            column=code_column,
            row=int(np.flatnonzero(blank.to_numpy())[0]) + 1,
        )
    text = codes.astype(str).str.strip()
    repeated = text.duplicated(keep=False)
    if repeated.any():
        raise InputError(
            f"has the code {text[repeated].iloc[0]!r} more than once; codes must be unique",
            source=source,
            column=code_column,
        )
    return text


@dataclass(frozen=True)
class _Classified:
    colours: list[str]
    display: pd.Series
    legend_entries: tuple[LegendEntry, ...]


def _classify(
    areas: gpd.GeoDataFrame,
    value_column: str,
    codes: pd.Series,
    *,
    classes: ClassBreaks | None,
    scheme: str,
    n_classes: int,
    reverse: bool,
    value_format: ValueFormat,
    suppressed_mask: pd.Series | None,
    suppressed_label: str,
    source: str,
) -> _Classified:
    raw = areas[value_column]
    if _is_bool(raw):
        raise InputError(
            "holds yes/no values; map a count or a share instead",
            source=source,
            column=value_column,
        )
    numeric = pd.to_numeric(raw, errors="coerce").astype(np.float64)
    present = raw.notna().to_numpy()
    # Text in a figure column is a figure suppressed upstream ("fewer than 10"): shown as words.
    as_text = present & numeric.isna().to_numpy()
    infinite = np.isinf(numeric.to_numpy())
    if infinite.any():
        row = int(np.flatnonzero(infinite)[0])
        raise InputError(
            f"has an infinite figure for area {codes.iloc[row]}; check the calculation",
            source=source,
            column=value_column,
            row=row + 1,
        )
    if suppressed_mask is not None:
        if not suppressed_mask.index.equals(areas.index):
            raise InputError(
                "suppressed_mask must have the same index as the areas (one flag per area)",
                source=source,
            )
        masked = suppressed_mask.fillna(True).astype(bool).to_numpy()
    else:
        masked = np.zeros(len(areas), dtype=bool)
    hidden = masked | as_text
    values = numeric.to_numpy(copy=True)
    values[hidden] = np.nan
    if classes is None:
        shown = values[np.isfinite(values)]
        if shown.shape[0] == 0:
            classes = None
        else:
            classes = quantile_breaks(
                shown, n_classes, scheme=scheme, reverse=reverse, value_format=value_format
            )
    finite = np.isfinite(values)
    if classes is not None:
        outside = finite & ((values < classes.edges[0]) | (values > classes.edges[-1]))
        if outside.any():
            row = int(np.flatnonzero(outside)[0])
            raise InputError(
                f"area {codes.iloc[row]} has the figure {values[row]:g}, outside the scale "
                f"{classes.edges[0]:g} to {classes.edges[-1]:g}; widen the class edges or "
                "check the figures",
                source=source,
                column=value_column,
                row=row + 1,
            )
        index = classes.classify(values)
    else:
        index = np.full(len(areas), -1, dtype=np.intp)

    grey_words = np.full(len(areas), NO_DATA_LABEL, dtype=object)
    grey_words[as_text] = raw[as_text].astype(str).str.strip().to_numpy()
    grey_words[masked] = suppressed_label
    display = pd.Series(
        [
            format_value(float(value), value_format) if ok else str(words)
            for value, ok, words in zip(
                values.tolist(), finite.tolist(), grey_words.tolist(), strict=True
            )
        ],
        index=areas.index,
        dtype=object,
    )
    colours = [
        classes.colours[i] if classes is not None and i >= 0 else NO_DATA_COLOUR
        for i in index.tolist()
    ]

    entries: list[LegendEntry] = []
    if classes is not None:
        counts = np.bincount(index[index >= 0], minlength=classes.n_classes)
        for i in range(classes.n_classes - 1, -1, -1):
            entries.append(LegendEntry(classes.labels[i], classes.colours[i], count=int(counts[i])))
    grey = grey_words[~finite]
    if grey.shape[0]:
        labels, counts = np.unique(grey.astype(str), return_counts=True)
        for label, count in sorted(
            zip(labels.tolist(), counts.tolist(), strict=True), key=lambda p: -p[1]
        ):
            entries.append(LegendEntry(_sentence(label), NO_DATA_COLOUR, count=int(count)))
    return _Classified(colours=colours, display=display, legend_entries=tuple(entries))


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _feature_collection(
    geometry: npt.NDArray[np.object_],
    ids: Sequence[str],
    properties: Mapping[str, Sequence[str]],
) -> dict[str, Any]:
    keys = list(properties)
    columns = [properties[key] for key in keys]
    features = []
    for position, (feature_id, shape) in enumerate(zip(ids, geometry, strict=True)):
        features.append(
            {
                "type": "Feature",
                "id": feature_id,
                "properties": {
                    key: column[position] for key, column in zip(keys, columns, strict=True)
                },
                "geometry": shapely.geometry.mapping(shape),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def add_choropleth_layer(
    m: folium.Map,
    areas: gpd.GeoDataFrame,
    value_column: str,
    *,
    code_column: str,
    layer_name: str,
    legend_title: str,
    name_column: str | None = None,
    area_label: str = "Area",
    code_label: str | None = "Code",
    value_label: str | None = None,
    value_format: ValueFormat = "{:,.1f}",
    classes: ClassBreaks | None = None,
    scheme: str = "YlGnBu",
    n_classes: int = 5,
    reverse: bool = False,
    high_label: str | None = None,
    low_label: str | None = None,
    legend_note: str | None = None,
    tooltip_columns: Mapping[str, str] | Sequence[TooltipColumn] = (),
    suppressed_mask: pd.Series | None = None,
    suppressed_label: str = SUPPRESSED_LABEL,
    show: bool = True,
    fill_opacity: float = 0.75,
    line_weight: float = 0.8,
    tolerance_m: float = 5.0,
    precision_dp: int = 5,
    source: str = "areas",
) -> Legend:
    """Draw one choropleth layer (with tooltip and legend) on an existing map.

    Parameters
    ----------
    m:
        A map from :func:`maps.base.base_map` (or :func:`choropleth_map`).
    areas:
        Polygon features in any declared CRS (EPSG:27700 normally); not modified.
    value_column:
        The figure to map.  Numbers are classed and coloured; text in this column is a
        figure already suppressed upstream (``"fewer than 10"``) and is drawn grey and shown
        as those words; missing values are grey and shown as ``"No data"``.
    code_column, name_column:
        Area code (unique, shown in the tooltip) and optional area name.
    layer_name:
        Name in the layer control.
    legend_title:
        What the figure is, in plain words (``"Share of premises below 10 Mbit/s"``).
    area_label, code_label, value_label:
        Tooltip labels for the name, the code (``None`` hides the code) and the figure
        (default ``legend_title``).
    value_format:
        How the figure is written in tooltips and class labels.
    classes:
        Class edges, colours and labels (:func:`maps.palettes.fixed_breaks`); by default
        ``n_classes`` quantile classes of the shown figures in ``scheme``.
    high_label, low_label:
        Words for the ends of the scale in the legend (``"Higher risk of digital exclusion"``).
    legend_note:
        One more line under the legend.
    tooltip_columns:
        More columns for the tooltip: ``{column: label}`` or :class:`TooltipColumn` items.
    suppressed_mask:
        Boolean Series on the areas' index; ``True`` hides that area's figure (it is not
        written into the page at all) and shows ``suppressed_label`` instead.  It hides the
        mapped figure only: suppress other tooltip columns upstream.
    show:
        Whether the layer is switched on when the page opens.
    fill_opacity, line_weight:
        Fill opacity (0–1) and boundary width in screen pixels.
    tolerance_m, precision_dp:
        Simplification in metres and decimal places kept (:func:`maps.simplify.simplify_for_web`).
    source:
        Layer name for error messages.

    Returns
    -------
    Legend
        The legend drawn on the map (highest class first, then grey rows), for the page.

    Raises
    ------
    InputError
        For a missing column, blank or repeated codes, a missing or non-polygon geometry, or a
        figure outside fixed class edges (the message names the area).
    """
    if not isinstance(areas, gpd.GeoDataFrame):
        raise InputError("must be a GeoDataFrame of area polygons", source=source)
    if len(areas) == 0:
        raise InputError("has no areas to map", source=source)
    if len(areas) > _MAX_FEATURES:
        raise InputError(
            f"has {len(areas):,} areas; a web page cannot draw more than {_MAX_FEATURES:,}. "
            "Map a coarser geography",
            source=source,
        )
    check_value_format(value_format)
    extra = _tooltip_columns(tooltip_columns)
    needed = [code_column, value_column, *([name_column] if name_column else [])]
    _require_columns(areas, [*needed, *(item.column for item in extra)], source)
    codes = _codes(areas, code_column, source)
    classified = _classify(
        areas,
        value_column,
        codes,
        classes=classes,
        scheme=scheme,
        n_classes=n_classes,
        reverse=reverse,
        value_format=value_format,
        suppressed_mask=suppressed_mask,
        suppressed_label=suppressed_label,
        source=source,
    )
    light = simplify_for_web(
        areas[[areas.geometry.name]],
        tolerance_m=tolerance_m,
        precision_dp=precision_dp,
        source=source,
    )

    # Leaflet writes tooltip cells and labels with innerHTML, so every text is escaped here.
    properties: dict[str, list[str]] = {}
    aliases: list[str] = []
    if name_column:
        properties["n"] = [escape_text(v) for v in display_values(areas[name_column]).tolist()]
        aliases.append(escape_text(area_label))
    if code_label is not None:
        properties["c"] = [escape_text(code) for code in codes.tolist()]
        aliases.append(escape_text(code_label))
    properties["v"] = [escape_text(text) for text in classified.display.tolist()]
    aliases.append(escape_text(value_label or legend_title))
    for position, item in enumerate(extra):
        written = display_values(areas[item.column], value_format=item.value_format)
        properties[f"t{position}"] = [escape_text(text) for text in written.tolist()]
        aliases.append(escape_text(item.label))

    ids = codes.tolist()
    data = _feature_collection(np.asarray(light.geometry.array, dtype=object), ids, properties)
    style_by_id = {
        code: {
            "fillColor": colour,
            "fillOpacity": fill_opacity,
            "color": _OUTLINE,
            "weight": line_weight,
            "opacity": 0.9,
        }
        for code, colour in zip(ids, classified.colours, strict=True)
    }

    def style(feature: dict[str, Any]) -> dict[str, Any]:
        return style_by_id[feature["id"]]

    layer = folium.GeoJson(
        data,
        name=escape_text(layer_name),
        style_function=style,
        highlight_function=lambda _feature: dict(_HIGHLIGHT),
        tooltip=folium.GeoJsonTooltip(
            fields=list(properties), aliases=aliases, labels=True, sticky=True, localize=False
        ),
        show=show,
    )
    layer.add_to(m)
    legend = Legend(
        title=legend_title,
        entries=classified.legend_entries,
        high_label=high_label,
        low_label=low_label,
        note=legend_note,
        kind="fill",
        fill_opacity=fill_opacity,
    )
    LegendControl(legend, layer=layer).add_to(m)
    keep_layer_control_last(m)
    return legend


def choropleth_map(
    areas: gpd.GeoDataFrame,
    value_column: str,
    *,
    code_column: str,
    title: str,
    legend_title: str,
    name_column: str | None = None,
    area_label: str = "Area",
    value_label: str | None = None,
    value_format: ValueFormat = "{:,.1f}",
    classes: ClassBreaks | None = None,
    scheme: str = "YlGnBu",
    n_classes: int = 5,
    reverse: bool = False,
    high_label: str | None = None,
    low_label: str | None = None,
    legend_note: str | None = None,
    tooltip_columns: Mapping[str, str] | Sequence[TooltipColumn] = (),
    suppressed_mask: pd.Series | None = None,
    suppressed_label: str = SUPPRESSED_LABEL,
    tiles: bool = True,
    attribution: Sequence[str] = (ONS_OGL_ATTRIBUTION,),
    tolerance_m: float = 5.0,
    precision_dp: int = 5,
    height: str = "100%",
    source: str = "areas",
) -> folium.Map:
    """A map of one area figure: choropleth, tooltips, legend, layer control, fitted view.

    Parameters
    ----------
    areas:
        Polygon features in any declared CRS (EPSG:27700 normally); not modified.
    value_column, code_column, name_column:
        The figure, the unique area code and the optional area name.
    title:
        Layer name in the layer control, and the page title of a standalone export.
    legend_title:
        What the figure is, in plain words.
    tiles:
        Show OpenStreetMap tiles underneath (``False``: blank background; boundaries, data
        and legend still draw).
    attribution:
        Source and licence lines shown on the map (ONS OGL by default; add
        :data:`maps.base.OSM_DATA_ATTRIBUTION` for data derived from OpenStreetMap).
    height:
        CSS height of the map box.
    **others:
        As :func:`add_choropleth_layer`.

    Returns
    -------
    folium.Map
        Its legend is available as data through :func:`maps.legend.map_legends`.

    Raises
    ------
    InputError
        As :func:`add_choropleth_layer`.

    Examples
    --------
    >>> m = choropleth_map(wards, "risk_index", code_column="WD23CD", name_column="WD23NM",
    ...                    title="Digital exclusion risk by ward",
    ...                    legend_title="Digital exclusion risk index (0 to 10)",
    ...                    classes=fixed_breaks([0, 2, 4, 6, 8, 10], scheme="YlOrRd"),
    ...                    high_label="Higher risk of digital exclusion")  # doctest: +SKIP
    """
    m = base_map(tiles=tiles, attribution=attribution, title=title, height=height)
    add_choropleth_layer(
        m,
        areas,
        value_column,
        code_column=code_column,
        layer_name=title,
        legend_title=legend_title,
        name_column=name_column,
        area_label=area_label,
        value_label=value_label,
        value_format=value_format,
        classes=classes,
        scheme=scheme,
        n_classes=n_classes,
        reverse=reverse,
        high_label=high_label,
        low_label=low_label,
        legend_note=legend_note,
        tooltip_columns=tooltip_columns,
        suppressed_mask=suppressed_mask,
        suppressed_label=suppressed_label,
        tolerance_m=tolerance_m,
        precision_dp=precision_dp,
        source=source,
    )
    add_layer_control(m)
    fit_to(m, areas)
    return m
