"""Overlay layers: venues with walking catchments, public Wi-Fi, mobile sites, ward circles.

Point layers are for tens to a few thousand features (venues, hotspots, masts, one circle per
ward); premises are never drawn one marker each (about 500 bytes a marker: 100,000 premises
would be a 50 MB page) but aggregated with :mod:`maps.grid`.  Each function draws one or two
layers with tooltips and a legend that shows while its layer is on, and returns the legend(s).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import InputError
from maps._text import ValueFormat, check_value_format, escape_text, format_value
from maps.base import keep_layer_control_last
from maps.choropleth import NO_DATA_LABEL, TooltipColumn, display_values
from maps.legend import Legend, LegendControl, LegendEntry
from maps.palettes import NO_DATA_COLOUR, QUALITATIVE_COLOURS, palette
from maps.simplify import BNG, simplify_for_web

__all__ = [
    "MAX_POINTS",
    "add_mobile_sites",
    "add_points",
    "add_public_wifi",
    "add_venues",
    "add_ward_circles",
]

MAX_POINTS = 5_000
"""Most point markers one layer may draw; aggregate anything larger with :mod:`maps.grid`."""

_WGS84 = "EPSG:4326"
_OUTLINE = "#0b0c0c"


def _check_frame(frame: object, source: str) -> gpd.GeoDataFrame:
    if not isinstance(frame, gpd.GeoDataFrame):
        raise InputError("must be a GeoDataFrame", source=source)
    if frame.crs is None:
        raise InputError(
            "has no coordinate reference system; set it (e.g. EPSG:27700) before mapping",
            source=source,
        )
    return frame


def _require(frame: pd.DataFrame, columns: Sequence[str], source: str) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise InputError(
            f"has no column {', '.join(repr(c) for c in missing)}; the columns are "
            f"{', '.join(map(str, frame.columns))}",
            source=source,
        )


def _columns(
    tooltip_columns: Mapping[str, str] | Sequence[TooltipColumn],
) -> list[TooltipColumn]:
    if isinstance(tooltip_columns, Mapping):
        return [TooltipColumn(column, label) for column, label in tooltip_columns.items()]
    return list(tooltip_columns)


def _point_xy(frame: gpd.GeoDataFrame, source: str) -> np.ndarray[Any, np.dtype[np.float64]]:
    geometry = np.asarray(frame.to_crs(_WGS84).geometry.array, dtype=object)
    not_point = shapely.is_missing(geometry) | (shapely.get_type_id(geometry) != 0)
    if not_point.any():
        raise InputError(
            "has a feature that is not a point; give one point per feature",
            source=source,
            row=int(np.flatnonzero(not_point)[0]) + 1,
        )
    return np.round(shapely.get_coordinates(geometry), 6)


def _tooltip_properties(
    frame: pd.DataFrame,
    label_column: str | None,
    label: str,
    extra: Sequence[TooltipColumn],
) -> tuple[dict[str, list[str]], list[str]]:
    properties: dict[str, list[str]] = {}
    aliases: list[str] = []
    if label_column:
        properties["n"] = [escape_text(v) for v in display_values(frame[label_column]).tolist()]
        aliases.append(escape_text(label))
    for position, item in enumerate(extra):
        written = display_values(frame[item.column], value_format=item.value_format)
        properties[f"t{position}"] = [escape_text(v) for v in written.tolist()]
        aliases.append(escape_text(item.label))
    return properties, aliases


def _point_collection(
    xy: np.ndarray[Any, np.dtype[np.float64]], properties: Mapping[str, Sequence[str]]
) -> dict[str, Any]:
    keys = list(properties)
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": str(position),
                "properties": {key: properties[key][position] for key in keys},
                "geometry": {"type": "Point", "coordinates": [float(x), float(y)]},
            }
            for position, (x, y) in enumerate(xy.tolist())
        ],
    }


def add_points(
    m: folium.Map,
    points: gpd.GeoDataFrame,
    *,
    layer_name: str,
    label_column: str | None = "name",
    label: str = "Name",
    tooltip_columns: Mapping[str, str] | Sequence[TooltipColumn] = (),
    colour: str = QUALITATIVE_COLOURS["blue"],
    radius_px: float = 6.0,
    show: bool = True,
    source: str = "points",
) -> Legend:
    """Draw point features as small circles with tooltips, in one layer.

    Parameters
    ----------
    m:
        The map.
    points:
        Point features in any declared CRS (EPSG:27700 normally); at most :data:`MAX_POINTS`.
    layer_name:
        Name in the layer control and the legend.
    label_column, label:
        Column shown first in the tooltip, and its label (``None`` for no label column).
    tooltip_columns:
        More tooltip rows: ``{column: label}`` or :class:`maps.choropleth.TooltipColumn`.
    colour:
        Fill colour (an Okabe–Ito colour from :data:`maps.palettes.QUALITATIVE_COLOURS`).
    radius_px:
        Circle radius in screen pixels.
    show:
        Whether the layer is on when the page opens.

    Returns
    -------
    Legend
        One row: the layer name, its colour and the number of points.

    Raises
    ------
    InputError
        For a missing column, a non-point feature, or too many points.
    """
    frame = _check_frame(points, source)
    if len(frame) > MAX_POINTS:
        raise InputError(
            f"has {len(frame):,} points; a layer draws at most {MAX_POINTS:,} markers. "
            "Aggregate them to a grid with maps.grid.bin_premises",
            source=source,
        )
    extra = _columns(tooltip_columns)
    _require(frame, [*([label_column] if label_column else []), *(c.column for c in extra)], source)
    xy = _point_xy(frame, source)
    properties, aliases = _tooltip_properties(frame, label_column, label, extra)
    data = _point_collection(xy, properties)
    tooltip = (
        folium.GeoJsonTooltip(fields=list(properties), aliases=aliases, sticky=True, localize=False)
        if properties
        else None
    )
    layer = folium.GeoJson(
        data,
        name=escape_text(layer_name),
        marker=folium.CircleMarker(
            radius=radius_px,
            color=_OUTLINE,
            weight=1,
            fill=True,
            fill_color=colour,
            fill_opacity=0.9,
        ),
        tooltip=tooltip,
        show=show,
    )
    layer.add_to(m)
    legend = Legend(
        title=layer_name,
        entries=(LegendEntry(layer_name, colour, count=len(frame), size_px=radius_px),),
        kind="circle",
        fill_opacity=0.9,
    )
    LegendControl(legend, layer=layer).add_to(m)
    keep_layer_control_last(m)
    return legend


def _bands(catchments: gpd.GeoDataFrame, source: str) -> gpd.GeoDataFrame:
    """Disjoint bands "within 5", "5 to 10", "10 to 15" minutes from the union per time."""
    times = catchments["threshold_min"].to_numpy(dtype=np.float64)
    if not np.isfinite(times).all() or (times < 0).any():
        raise InputError(
            "threshold_min must be walking times of 0 or more minutes",
            source=source,
            column="threshold_min",
        )
    geometry = np.asarray(catchments.to_crs(BNG).geometry.array, dtype=object)
    unique_times = np.unique(times)
    # One union per threshold (a handful), not per venue: the bands show reach from any venue.
    unions = [shapely.union_all(geometry[times == t]) for t in unique_times]
    bands = []
    labels = []
    inner: shapely.Geometry | None = None
    previous: float | None = None
    for t, union in zip(unique_times.tolist(), unions, strict=True):
        bands.append(union if inner is None else shapely.difference(union, inner))
        labels.append(
            f"Within {t:g} minutes' walk"
            if previous is None
            else f"{previous:g} to {t:g} minutes' walk"
        )
        inner, previous = union, t
    frame = gpd.GeoDataFrame(
        {"threshold_min": unique_times, "label": labels}, geometry=bands, crs=BNG
    )
    frame = frame[~frame.geometry.is_empty & frame.geometry.notna()]
    polygonal = frame.geometry.geom_type.isin(["Polygon", "MultiPolygon"])
    # A difference can leave stray lines along shared edges; keep the polygon parts only.
    fixed = [
        shape
        if ok
        else shapely.multipolygons(
            [p for p in shapely.get_parts(shape) if p.geom_type == "Polygon"]
        )
        for shape, ok in zip(frame.geometry, polygonal, strict=True)
    ]
    frame = frame.set_geometry(gpd.GeoSeries(fixed, index=frame.index, crs=BNG))
    return frame[~frame.geometry.is_empty].reset_index(drop=True)


def add_venues(
    m: folium.Map,
    venues: gpd.GeoDataFrame,
    *,
    catchments: gpd.GeoDataFrame | None = None,
    layer_name: str = "Help venues",
    catchment_layer_name: str = "Walking time to the nearest help venue",
    label_column: str | None = "name",
    tooltip_columns: Mapping[str, str] | Sequence[TooltipColumn] = (),
    colour: str = QUALITATIVE_COLOURS["vermillion"],
    catchment_note: str | None = "Walking along streets at 4.8 km/h",
    show: bool = True,
    source: str = "venues",
) -> list[Legend]:
    """Draw help venues and, beneath them, their walking catchments as time bands.

    Parameters
    ----------
    m:
        The map.
    venues:
        Venue points in any declared CRS (for example :data:`geo.places.PLACE_COLUMNS`).
    catchments:
        Walking catchment polygons with a ``threshold_min`` column, as returned by
        :func:`geo.access.catchment_polygons` (one row per venue and time).  They are merged
        per time and drawn as disjoint bands ("Within 5 minutes' walk", "5 to 10 minutes'
        walk"...), darkest nearest.
    layer_name, catchment_layer_name:
        Names in the layer control.
    label_column, tooltip_columns:
        Tooltip contents for the venues.
    colour:
        Venue marker colour.
    catchment_note:
        Line under the catchment legend; say the walking speed the catchments were built with
        (:func:`geo.access.catchment_polygons` defaults to 80 m a minute, 4.8 km/h).
    show:
        Whether the layers are on when the page opens.

    Returns
    -------
    list of Legend
        The catchment legend (if catchments were given), then the venues legend.
    """
    legends: list[Legend] = []
    if catchments is not None:
        frame = _check_frame(catchments, f"{source} catchments")
        _require(frame, ["threshold_min"], f"{source} catchments")
        bands = _bands(frame, f"{source} catchments")
        if len(bands):
            colours = (
                palette("YlGnBu", len(bands), reverse=True)
                if 3 <= len(bands) <= 9
                else palette("viridis", max(len(bands), 2))[: len(bands)]
            )
            light = simplify_for_web(bands, keep_shared_edges=False, source=f"{source} catchments")
            style_by_id = {
                str(i): {
                    "fillColor": colour_,
                    "fillOpacity": 0.45,
                    "color": colour_,
                    "weight": 1,
                    "opacity": 0.8,
                }
                for i, colour_ in enumerate(colours)
            }
            data = {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "id": str(i),
                        "properties": {"w": escape_text(label_)},
                        "geometry": shapely.geometry.mapping(shape),
                    }
                    for i, (label_, shape) in enumerate(
                        zip(light["label"].tolist(), light.geometry, strict=True)
                    )
                ],
            }
            band_layer = folium.GeoJson(
                data,
                name=escape_text(catchment_layer_name),
                style_function=lambda feature: style_by_id[feature["id"]],
                tooltip=folium.GeoJsonTooltip(
                    fields=["w"], aliases=["Walking time"], sticky=True, localize=False
                ),
                show=show,
            )
            band_layer.add_to(m)
            legend = Legend(
                title=catchment_layer_name,
                entries=tuple(
                    LegendEntry(label_, colour_)
                    for label_, colour_ in zip(light["label"].tolist(), colours, strict=True)
                ),
                note=catchment_note,
                fill_opacity=0.45,
            )
            LegendControl(legend, layer=band_layer).add_to(m)
            legends.append(legend)
    legends.append(
        add_points(
            m,
            venues,
            layer_name=layer_name,
            label_column=label_column,
            tooltip_columns=tooltip_columns,
            colour=colour,
            radius_px=7.0,
            show=show,
            source=source,
        )
    )
    return legends


def add_public_wifi(
    m: folium.Map,
    places: gpd.GeoDataFrame,
    *,
    layer_name: str = "Public Wi-Fi",
    wifi_column: str = "public_wifi",
    label_column: str | None = "name",
    tooltip_columns: Mapping[str, str] | Sequence[TooltipColumn] = (),
    show: bool = True,
    source: str = "places",
) -> Legend:
    """Draw the places whose ``wifi_column`` is true (missing counts as not known: not drawn).

    Parameters
    ----------
    places:
        Help places (:data:`geo.places.PLACE_COLUMNS`) or any points with a yes/no column.

    Returns
    -------
    Legend
    """
    frame = _check_frame(places, source)
    _require(frame, [wifi_column], source)
    flags = frame[wifi_column].astype("boolean").fillna(False).to_numpy(dtype=bool)
    return add_points(
        m,
        frame[flags],
        layer_name=layer_name,
        label_column=label_column,
        tooltip_columns=tooltip_columns,
        colour=QUALITATIVE_COLOURS["bluish_green"],
        radius_px=5.0,
        show=show,
        source=source,
    )


def add_mobile_sites(
    m: folium.Map,
    sites: gpd.GeoDataFrame,
    *,
    layer_name: str = "Mobile sites",
    site_column: str = "site_ref",
    operator_column: str = "operator",
    technology_column: str = "technology",
    show: bool = True,
    source: str = "mobile sites",
) -> Legend:
    """Draw one marker per mast, listing its operators and technologies in the tooltip.

    Parameters
    ----------
    sites:
        Transmitter rows (:data:`geo.places.SITE_COLUMNS`): several rows share one
        ``site_column`` value when a mast carries several operators or bands.

    Returns
    -------
    Legend
    """
    frame = _check_frame(sites, source)
    _require(frame, [site_column, operator_column, technology_column], source)
    key = frame[site_column].astype("string").fillna("not known").str.strip()
    first = (~key.duplicated()).to_numpy()

    def joined(column: str) -> np.ndarray[Any, np.dtype[np.object_]]:
        values = frame[column].astype("string").fillna("not known").str.strip()
        lists = values.groupby(key.to_numpy(), sort=False).agg(lambda v: ", ".join(sorted(set(v))))
        return lists.reindex(key[first].to_numpy()).to_numpy(dtype=object)

    masts = gpd.GeoDataFrame(
        {
            "site": key[first].to_numpy(dtype=object),
            "operators": joined(operator_column),
            "technologies": joined(technology_column),
        },
        geometry=np.asarray(frame.geometry.array, dtype=object)[first],
        crs=frame.crs,
    )
    return add_points(
        m,
        masts,
        layer_name=layer_name,
        label_column="site",
        label="Site",
        tooltip_columns={"operators": "Operators", "technologies": "Technologies"},
        colour=QUALITATIVE_COLOURS["reddish_purple"],
        radius_px=5.0,
        show=show,
        source=source,
    )


def _round_down(value: float, digits: int) -> float:
    magnitude = 10.0 ** (np.floor(np.log10(value)) - digits + 1)
    return float(np.floor(value / magnitude) * magnitude)


def _reference_values(maximum: float) -> list[float]:
    """Legend figures: the largest rounded down to two significant figures, and about a
    quarter of it rounded down to one, so the circles read as round numbers."""
    top = _round_down(maximum, 2)
    small = _round_down(top / 4.0, 1)
    if top >= 1.0 > small:
        # Counts: a fraction of one would be written as 0 or 1 and mislead.
        return [top]
    return [top, small] if 0 < small < top else [top]


def add_ward_circles(
    m: folium.Map,
    wards: gpd.GeoDataFrame,
    value_column: str,
    *,
    code_column: str,
    layer_name: str,
    legend_title: str,
    name_column: str | None = None,
    value_format: ValueFormat = "{:,.0f}",
    tooltip_columns: Mapping[str, str] | Sequence[TooltipColumn] = (),
    colour: str = QUALITATIVE_COLOURS["orange"],
    max_radius_px: float = 24.0,
    show: bool = True,
    source: str = "wards",
) -> Legend:
    """Proportional circles, one per ward, at a point inside each ward.

    Circle area is proportional to the figure (radius ∝ √value), so a ward with four times the
    activity has a circle twice as wide.  Used for champions' activity and devices on loan.

    Parameters
    ----------
    wards:
        Ward polygons in any declared CRS.
    value_column:
        A count of 0 or more; text (a suppressed count such as ``"fewer than 5"``) or a missing
        value gives a small grey circle labelled in words.
    code_column, name_column:
        Ward code and optional name for the tooltip.
    max_radius_px:
        Radius in screen pixels of the largest ward's circle.

    Returns
    -------
    Legend
        Reference circles for two round figures, and a grey row if any ward has no figure.

    Raises
    ------
    InputError
        For a missing column or a negative figure.
    """
    frame = _check_frame(wards, source)
    extra = _columns(tooltip_columns)
    _require(
        frame,
        [
            code_column,
            value_column,
            *([name_column] if name_column else []),
            *(c.column for c in extra),
        ],
        source,
    )
    check_value_format(value_format)
    values = pd.to_numeric(frame[value_column], errors="coerce").to_numpy(dtype=np.float64)
    if (values < 0).any():
        row = int(np.flatnonzero(values < 0)[0])
        raise InputError(
            f"has a negative count for {frame[code_column].iloc[row]}; counts are 0 or more",
            source=source,
            column=value_column,
            row=row + 1,
        )
    finite = np.isfinite(values)
    maximum = float(values[finite].max()) if finite.any() else 0.0
    radius = np.where(
        finite,
        max_radius_px * np.sqrt(np.where(finite, values, 0.0) / maximum) if maximum > 0 else 0.0,
        4.0,
    )
    radius = np.where(finite & (values > 0), np.maximum(radius, 2.0), radius)
    inside = frame.to_crs(BNG).geometry.representative_point()
    points = gpd.GeoDataFrame(
        frame.drop(columns=frame.geometry.name), geometry=inside.to_numpy(), crs=BNG
    )
    xy = _point_xy(points, source)
    written = display_values(frame[value_column], value_format=value_format)
    properties, aliases = _tooltip_properties(frame, name_column, "Ward", ())
    properties["c"] = [escape_text(v) for v in frame[code_column].astype(str).tolist()]
    aliases.append("Code")
    properties["v"] = [escape_text(v) for v in written.tolist()]
    aliases.append(escape_text(legend_title))
    for position, item in enumerate(extra):
        column_text = display_values(frame[item.column], value_format=item.value_format)
        properties[f"t{position}"] = [escape_text(v) for v in column_text.tolist()]
        aliases.append(escape_text(item.label))
    data = _point_collection(xy, properties)
    style_by_id = {
        str(i): {
            "radius": round(float(r), 1),
            "fillColor": colour if ok else NO_DATA_COLOUR,
            "fillOpacity": 0.75,
            "color": _OUTLINE,
            "weight": 1,
        }
        for i, (r, ok) in enumerate(zip(radius.tolist(), finite.tolist(), strict=True))
    }
    layer = folium.GeoJson(
        data,
        name=escape_text(layer_name),
        marker=folium.CircleMarker(radius=4, fill=True),
        style_function=lambda feature: style_by_id[feature["id"]],
        tooltip=folium.GeoJsonTooltip(
            fields=list(properties), aliases=aliases, sticky=True, localize=False
        ),
        show=show,
    )
    layer.add_to(m)
    entries = [
        LegendEntry(
            format_value(value, value_format),
            colour,
            size_px=float(max_radius_px * np.sqrt(value / maximum)),
        )
        for value in (_reference_values(maximum) if maximum > 0 else [])
    ]
    if (~finite).any():
        reasons = "; ".join(dict.fromkeys(written[~finite].tolist())) or NO_DATA_LABEL
        entries.append(LegendEntry(reasons[:1].upper() + reasons[1:], NO_DATA_COLOUR, size_px=4.0))
    legend = Legend(
        title=legend_title,
        entries=tuple(entries),
        note="Circle area is proportional to the figure",
        kind="circle",
        fill_opacity=0.75,
    )
    LegendControl(legend, layer=layer).add_to(m)
    keep_layer_control_last(m)
    return legend
