"""Folium maps of the ward data, with the same numbers as tables, ready for a strict CSP.

Three maps are built from :class:`app.wards.services.WardData`:

* the **borough map**: every registered layer under one layer control (the first choropleth
  switched on, the others off), help venues with walking catchments, public Wi-Fi and masts;
* a **layer map**: one registered layer (with the venues, switched off);
* a **ward map**: the ward outlined, its LSOAs (or all wards) coloured, its venues.

Each comes with :class:`FigureTable` items holding exactly the figures the map draws (the same
suppression, the same wording), so nothing depends on seeing the map.  Element ids are made
deterministic, so the same data always gives the same page, whichever worker builds it.
"""

from __future__ import annotations

import hashlib
import html
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element

from app.wards.figures import CellLayerSpec, LayerSpec, MapLayerSpec, RasterLayerSpec
from app.wards.geography import BNG
from app.wards.presenters import Detail, Shown, shown_layer, value_format
from app.wards.services import WardData
from maps import (
    ONS_OGL_ATTRIBUTION,
    OSM_DATA_ATTRIBUTION,
    Legend,
    LegendEntry,
    MapFragment,
    TooltipColumn,
    add_cells_layer,
    add_choropleth_layer,
    add_layer_control,
    add_mobile_sites,
    add_public_wifi,
    add_signal_raster,
    add_venues,
    add_ward_circles,
    base_map,
    bin_premises,
    fit_to,
    map_fragment,
    map_legends,
)
from maps.legend import LegendControl
from maps.palettes import fixed_breaks
from maps.raster import RSRP_CLASSES
from maps.simplify import simplify_for_web

ATTRIBUTION = (ONS_OGL_ATTRIBUTION, OSM_DATA_ATTRIBUTION)


@dataclass(frozen=True)
class FigureTable:
    """A table of the figures a map draws: caption, header and rows of text."""

    key: str
    caption: str
    head: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...]


@dataclass(frozen=True)
class BuiltMap:
    """A built map: the page fragment (no nonce yet), its legends and its tables."""

    map_id: str
    title: str
    fragment: MapFragment
    legends: tuple[Legend, ...]
    tables: tuple[FigureTable, ...]
    layer_keys: tuple[str, ...]

    def for_request(self, nonce: str) -> MapFragment:
        """The fragment with this request's CSP nonce on its script tags."""
        return replace(self.fragment, nonce=nonce)


@dataclass(frozen=True)
class MapOptions:
    """How a map is drawn: detail level, small-number threshold, tiles and asset URLs."""

    detail: Detail
    threshold: float
    tiles: bool
    asset_urls: dict[str, str]


# --- layers ---------------------------------------------------------------------------------


def _labels(spec: MapLayerSpec | CellLayerSpec) -> tuple[str | None, str | None]:
    if spec.higher_is_better is None:
        return "Higher", "Lower"
    if spec.higher_is_better:
        return "Higher (better)", "Lower (worse)"
    return "Higher (worse)", "Lower (better)"


def _values_column(shown: dict[str, Shown], codes: Sequence[str]) -> list[object]:
    # Hidden figures travel as their words ("fewer than 10"): the map draws them grey and the
    # number never reaches the page.
    column: list[object] = []
    for code in codes:
        item = shown.get(code)
        if item is None or (item.value is None and not item.suppressed):
            column.append(None)
        elif item.suppressed:
            column.append(item.text)
        else:
            column.append(item.value)
    return column


def _area_frame(data: WardData, spec: MapLayerSpec, codes: Sequence[str]) -> gpd.GeoDataFrame:
    source = data.ward_geometry if spec.area_kind == "ward" else data.lsoa_geometry
    frame = source[source["code"].isin(list(codes))]
    order = {code: position for position, code in enumerate(codes)}
    frame = frame.iloc[np.argsort([order[str(code)] for code in frame["code"]], kind="stable")]
    return frame[["code", "name", "geometry"]].assign(
        name=frame["name"].fillna(frame["code"]).astype(str)
    )


def _layer_codes(data: WardData, spec: MapLayerSpec, ward_code: str | None = None) -> list[str]:
    if spec.area_kind == "ward":
        return data.ward_codes
    return data.lsoa_codes(ward_code)


def add_area_layer(
    m: folium.Map,
    data: WardData,
    spec: MapLayerSpec,
    options: MapOptions,
    *,
    show: bool,
    ward_code: str | None = None,
) -> FigureTable | None:
    """Draw a ward/LSOA choropleth or ward circles; return the table of what it draws."""
    codes = _layer_codes(data, spec, ward_code)
    if not codes:
        return None
    shown, borough = shown_layer(
        spec, detail=options.detail, threshold=options.threshold, codes=codes
    )
    frame = _area_frame(data, spec, codes)
    if frame.empty:
        return None
    codes = [str(code) for code in frame["code"]]
    frame = frame.assign(
        value=pd.Series(_values_column(shown, codes), index=frame.index, dtype=object)
    )
    fmt = value_format(spec.unit)
    high, low = _labels(spec)
    if spec.style == "circles":
        add_ward_circles(
            m,
            frame,
            "value",
            code_column="code",
            name_column="name",
            layer_name=spec.title,
            legend_title=spec.legend_title,
            value_format=fmt,
            show=show,
            source=spec.key,
        )
    else:
        classes = (
            fixed_breaks(
                list(spec.class_edges), scheme=spec.scheme, reverse=spec.reverse, value_format=fmt
            )
            if spec.class_edges is not None
            else None
        )
        add_choropleth_layer(
            m,
            frame,
            "value",
            code_column="code",
            name_column="name",
            layer_name=spec.title,
            legend_title=spec.legend_title,
            area_label="Ward" if spec.area_kind == "ward" else "Area",
            value_format=fmt,
            classes=classes,
            scheme=spec.scheme,
            reverse=spec.reverse,
            high_label=high,
            low_label=low,
            legend_note=spec.note,
            show=show,
            source=spec.key,
        )
    area = "Ward" if spec.area_kind == "ward" else "Neighbourhood (LSOA)"
    rows = [
        (name, code, shown[code].text)
        for name, code in zip(frame["name"].astype(str), codes, strict=True)
    ]
    if ward_code is None and spec.borough is not None:
        rows.append(("Borough", "", borough.text))
    return FigureTable(
        key=spec.key,
        caption=spec.title,
        head=(area, "Code", spec.legend_title),
        rows=tuple(rows),
        numeric=(False, False, True),
    )


def add_cell_layer(
    m: folium.Map, spec: CellLayerSpec, options: MapOptions, *, show: bool
) -> FigureTable | None:
    """Draw premises flagged share per hexagon; return how many cells fall in each class."""
    if spec.x_m.shape[0] == 0:
        return None
    premises = gpd.GeoDataFrame(
        {"flag": spec.flags},
        geometry=gpd.points_from_xy(spec.x_m, spec.y_m),
        crs=BNG,
    )
    min_count = 1 if options.detail == "full" else max(int(np.ceil(options.threshold)), 1)
    cells = bin_premises(
        premises, flag_column="flag", cell_size_m=spec.cell_size_m, min_count=min_count
    )
    high, low = _labels(spec)
    legend = add_cells_layer(
        m,
        cells,
        layer_name=spec.title,
        legend_title=spec.legend_title,
        high_label=high,
        low_label=low,
        show=show,
    )
    return FigureTable(
        key=spec.key,
        caption=f"{spec.title}: hexagons {spec.cell_size_m:g} metres across",
        head=(spec.legend_title, "Hexagons"),
        rows=tuple(
            (entry.label, f"{entry.count:,}" if entry.count is not None else "")
            for entry in legend.entries
        ),
        numeric=(False, True),
    )


def add_raster_layer(m: folium.Map, spec: RasterLayerSpec, *, show: bool) -> FigureTable:
    """Draw a signal grid as an image; return the share of the grid in each class."""
    add_signal_raster(
        m,
        spec.values_dbm,
        origin_m=spec.origin_m,
        cell_m=spec.cell_m,
        layer_name=spec.title,
        legend_title=spec.legend_title,
        legend_note=spec.note,
        show=show,
    )
    values = spec.values_dbm[np.isfinite(spec.values_dbm)]
    clipped = np.clip(values, RSRP_CLASSES.edges[0], RSRP_CLASSES.edges[-1])
    index = RSRP_CLASSES.classify(clipped)
    counts = np.bincount(index[index >= 0], minlength=RSRP_CLASSES.n_classes)
    total = max(int(counts.sum()), 1)
    rows = tuple(
        (label, f"{count / total:.0%}")
        for label, count in zip(RSRP_CLASSES.labels[::-1], counts[::-1].tolist(), strict=True)
    )
    return FigureTable(
        key=spec.key,
        caption=f"{spec.title}: share of the {spec.cell_m:g} metre grid in each class",
        head=(spec.legend_title, "Share of the grid"),
        rows=rows,
        numeric=(False, True),
    )


def add_registered_layer(
    m: folium.Map,
    data: WardData,
    spec: LayerSpec,
    options: MapOptions,
    *,
    show: bool,
    ward_code: str | None = None,
) -> FigureTable | None:
    """Draw any registered layer; return its table."""
    if isinstance(spec, MapLayerSpec):
        return add_area_layer(m, data, spec, options, show=show, ward_code=ward_code)
    if isinstance(spec, CellLayerSpec):
        return add_cell_layer(m, spec, options, show=show)
    return add_raster_layer(m, spec, show=show)


def _venue_layers(
    m: folium.Map,
    venues: gpd.GeoDataFrame,
    catchments: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    *,
    show_venues: bool,
) -> list[FigureTable]:
    tables: list[FigureTable] = []
    help_venues = venues[venues["is_venue"]].assign(
        wifi_text=np.where(venues.loc[venues["is_venue"], "public_wifi"], "Yes", "No")
    )
    if len(help_venues):
        venue_catchments = catchments[catchments["place_id"].isin(list(help_venues["place_id"]))]
        add_venues(
            m,
            help_venues,
            catchments=venue_catchments if len(venue_catchments) else None,
            layer_name="Places to get help",
            catchment_layer_name="Walking time to the nearest place to get help",
            tooltip_columns=[
                TooltipColumn("kind_label", "Kind"),
                TooltipColumn("wifi_text", "Free public Wi-Fi"),
            ],
            show=show_venues,
            source="venues",
        )
        tables.append(
            FigureTable(
                key="venues",
                caption="Places to get help",
                head=("Place", "Kind", "Ward", "Free public Wi-Fi"),
                rows=tuple(
                    (str(name), str(kind), str(ward or ""), str(wifi))
                    for name, kind, ward, wifi in zip(
                        help_venues["name"],
                        help_venues["kind_label"],
                        help_venues["ward_name"],
                        help_venues["wifi_text"],
                        strict=True,
                    )
                ),
                numeric=(False, False, False, False),
            )
        )
    wifi = venues[venues["public_wifi"]]
    if len(wifi):
        add_public_wifi(
            m, venues, layer_name="Free public Wi-Fi", show=False, source="public Wi-Fi"
        )
    if len(sites):
        add_mobile_sites(m, sites, layer_name="Mobile phone masts", show=False)
        grouped = sites.groupby("site_ref", sort=True)
        tables.append(
            FigureTable(
                key="mobile_sites",
                caption="Mobile phone masts",
                head=("Site", "Operators", "Technologies"),
                rows=tuple(
                    (
                        str(site),
                        ", ".join(sorted(set(group["operator"].fillna("not known").astype(str)))),
                        ", ".join(sorted(set(group["technology"].fillna("not known").astype(str)))),
                    )
                    for site, group in grouped
                ),
                numeric=(False, False, False),
            )
        )
    return tables


CATCHMENT_MARGIN_M = 1000.0


def _around(
    frame: gpd.GeoDataFrame, area: gpd.GeoDataFrame, *, margin_m: float
) -> gpd.GeoDataFrame:
    """The features of ``frame`` that reach within ``margin_m`` of ``area``'s bounding box.

    Whole features are kept (cutting them at the box leaves slivers that later trip the
    simplification's precision snapping).
    """
    if frame.empty:
        return frame
    west, south, east, north = area.to_crs(BNG).total_bounds
    window = shapely.box(west - margin_m, south - margin_m, east + margin_m, north + margin_m)
    local = frame.to_crs(BNG)
    touching = shapely.intersects(np.asarray(local.geometry.array, dtype=object), window)
    return local[touching]


def _outline(m: folium.Map, ward: gpd.GeoDataFrame, name: str) -> None:
    light = simplify_for_web(ward[["geometry"]], keep_shared_edges=False, source="ward")
    layer = folium.GeoJson(
        light.__geo_interface__,
        name="Ward boundary",
        style_function=lambda _feature: {
            "fill": False,
            "color": "#0b0c0c",
            "weight": 4,
            "opacity": 1.0,
        },
        tooltip=folium.Tooltip(html.escape(name)),  # Leaflet writes it as HTML
    )
    layer.add_to(m)
    LegendControl(
        Legend(
            title="Ward boundary",
            entries=(LegendEntry(name, "#0b0c0c"),),
            kind="line",
        ),
        layer=layer,
    ).add_to(m)


# --- whole maps -----------------------------------------------------------------------------


def _stable_ids(m: folium.Map, map_id: str) -> None:
    # folium names every element with a random id; numbering them in tree order makes the
    # same data give the same page (and the same stylesheet) in every worker.
    prefix = hashlib.sha256(map_id.encode()).hexdigest()[:8]
    counter = itertools.count()
    seen: set[int] = set()

    def walk(element: Element) -> None:
        for child in list(element._children.values()):
            if id(child) in seen:
                continue
            seen.add(id(child))
            child._id = f"{prefix}{next(counter):06d}"
            walk(child)

    root = m.get_root()
    m._id = f"{prefix}main00"
    walk(root)


def _place_frames(data: WardData, venues: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    names = dict(zip(data.ward_geometry["code"], data.ward_geometry["name"], strict=True))
    return venues.assign(ward_name=venues["ward_code"].map(names).fillna("Outside the wards"))


def borough_map(
    data: WardData,
    venues: gpd.GeoDataFrame,
    catchments: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    options: MapOptions,
    *,
    title: str,
) -> tuple[folium.Map, list[FigureTable], list[str]]:
    """The borough map's folium map, its tables and the keys of the layers drawn."""
    m = base_map(tiles=options.tiles, attribution=ATTRIBUTION, title=title)
    tables: list[FigureTable] = []
    keys: list[str] = []
    first = True
    for spec in data.collected.layers:
        if not spec.on_borough_map:
            continue
        show = first and isinstance(spec, MapLayerSpec) and spec.style == "choropleth"
        table = add_registered_layer(m, data, spec, options, show=show)
        if table is not None:
            tables.append(table)
            keys.append(spec.key)
            first = first and not show
    tables.extend(
        _venue_layers(m, _place_frames(data, venues), catchments, sites, show_venues=first)
    )
    if not data.ward_geometry.empty:
        if not keys:
            _outline(m, data.ward_geometry.dissolve(), "Borough")
        fit_to(m, data.ward_geometry)
    return m, tables, keys


def layer_map(
    data: WardData,
    spec: LayerSpec,
    venues: gpd.GeoDataFrame,
    options: MapOptions,
    *,
    title: str,
) -> tuple[folium.Map, list[FigureTable], list[str]]:
    """One registered layer on its own (with the places to get help, switched off)."""
    m = base_map(tiles=options.tiles, attribution=ATTRIBUTION, title=title)
    tables: list[FigureTable] = []
    table = add_registered_layer(m, data, spec, options, show=True)
    if table is not None:
        tables.append(table)
    empty = gpd.GeoDataFrame({"place_id": []}, geometry=gpd.GeoSeries([], crs=BNG), crs=BNG)
    _venue_layers(
        m, _place_frames(data, venues), empty, empty.assign(site_ref=[]), show_venues=False
    )
    if not data.ward_geometry.empty:
        fit_to(m, data.ward_geometry)
    return m, tables, [spec.key]


def ward_map(
    data: WardData,
    ward_code: str,
    venues: gpd.GeoDataFrame,
    catchments: gpd.GeoDataFrame,
    options: MapOptions,
    *,
    title: str,
) -> tuple[folium.Map, list[FigureTable], list[str]]:
    """A ward's map: its LSOAs coloured by each LSOA layer (or all wards by each ward layer),
    the ward outlined, and the places to get help with their walking catchments."""
    m = base_map(tiles=options.tiles, attribution=ATTRIBUTION, title=title)
    ward = data.ward_geometry[data.ward_geometry["code"] == ward_code]
    area_layers = [spec for spec in data.collected.layers if isinstance(spec, MapLayerSpec)]
    lsoa_layers = [spec for spec in area_layers if spec.area_kind == "lsoa" and spec.on_ward_maps]
    chosen = lsoa_layers or [
        spec for spec in area_layers if spec.area_kind == "ward" and spec.style == "choropleth"
    ]
    tables: list[FigureTable] = []
    keys: list[str] = []
    for position, spec in enumerate(chosen):
        table = add_area_layer(
            m,
            data,
            spec,
            options,
            show=position == 0,
            ward_code=ward_code if spec.area_kind == "lsoa" else None,
        )
        if table is not None:
            tables.append(table)
            keys.append(spec.key)
    empty_sites = gpd.GeoDataFrame({"site_ref": []}, geometry=gpd.GeoSeries([], crs=BNG), crs=BNG)
    # The ward's venues are listed in the profile; the map shows every venue, so catchments
    # reaching in from next door are seen too, cut to the ward's surroundings (merging the
    # whole borough's catchments for every ward map would take a second or more).
    near = _around(catchments, ward, margin_m=CATCHMENT_MARGIN_M) if not ward.empty else catchments
    _venue_layers(m, _place_frames(data, venues), near, empty_sites, show_venues=True)
    if not ward.empty:
        name = str(ward["name"].iloc[0])
        _outline(m, ward, name)
        fit_to(m, ward)
    return m, tables, keys


def build(
    m: folium.Map,
    *,
    map_id: str,
    title: str,
    tables: list[FigureTable],
    keys: list[str],
    options: MapOptions,
) -> BuiltMap:
    """Render a map for a page: layer control, deterministic ids, local assets, styles apart.

    The fragment carries no nonce: :meth:`BuiltMap.for_request` adds the request's.
    """
    add_layer_control(m)
    _stable_ids(m, map_id)
    fragment = map_fragment(m, asset_urls=options.asset_urls, nonce=None)
    return BuiltMap(
        map_id=map_id,
        title=title,
        fragment=fragment,
        legends=tuple(map_legends(m)),
        tables=tuple(tables),
        layer_keys=tuple(keys),
    )


def legend_rows(legends: Sequence[Legend]) -> list[dict[str, Any]]:
    """Legends as data for a page: title and lines of text."""
    return [{"title": legend.title, "lines": legend.text_lines()[1:]} for legend in legends]
