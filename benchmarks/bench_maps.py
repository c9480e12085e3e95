"""Choropleth page weight and build time, and premises binning, against naive baselines.

Page weight: each layer is drawn with :func:`maps.choropleth.choropleth_map` (boundaries
simplified at 5 m in EPSG:27700, 5 decimal places, only the tooltip columns embedded) and
rendered to a standalone HTML page; the baseline is what most folium users write: a
``folium.Choropleth`` of the unsimplified, full-precision layer keyed on the area code (the
setup measured in reference section 5).  Goal: each page under 1 MB (under 0.2 MB gzipped).
Time covers building the map and rendering the HTML.

Layers: the real Hounslow LSOA 2021 (150 areas, ONS generalised 20 m) and OA 2011 (714) layers;
700 synthetic dense "output areas" as in reference section 5 (Voronoi cells over 10 × 10 km
with 5 m vertex spacing and a smooth wiggle: raw detail that simplification is for); and the
demo borough's wards and LSOAs when ``geo.sources.demo.build_demo_borough`` exists, and its
premises drawn as 250 m hexagons against one ``CircleMarker`` per premises (measured on 2,000
markers and scaled to the whole borough: drawing all of them is the mistake being measured).

Binning: 200,000 seeded premises over Hounslow into 250 m hexagons with
:func:`maps.grid.bin_premises`, against a geopandas spatial join of the points with the hexagon
polygons (then a group-by count), the usual way; counts are checked to agree first.
"""

from __future__ import annotations

import gzip
import importlib
import importlib.util
import tempfile
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from benchmarks import Row, best_of
from maps.base import base_map, fit_to
from maps.choropleth import choropleth_map
from maps.grid import add_cells_layer, bin_premises, cell_polygons, cell_rows_cols
from maps.render import map_html
from tests.shared_data import SHARED_DATA

SUITE = "maps"
HOUNSLOW_LSOA21 = SHARED_DATA / "boundaries" / "hounslow_lsoa2021.geojson"
HOUNSLOW_OA11 = SHARED_DATA / "boundaries_2011" / "hounslow_oa2011.geojson"
SIZE_GOAL_MB = 1.0
GZIP_GOAL_MB = 0.2
TIME_GOAL_S = 0.5
BIN_SPEED_GOAL = 2.0


def _dense_output_areas(seed: int = 1) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    x0, y0 = 515_000.0, 170_000.0
    envelope = shapely.box(x0, y0, x0 + 10_000.0, y0 + 10_000.0)
    seeds = shapely.multipoints(rng.uniform(0.0, 10_000.0, (700, 2)) + np.array([x0, y0]))
    cells = shapely.intersection(
        shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=envelope)), envelope
    )
    cells = shapely.segmentize(cells, 5.0)

    def wiggle(coords: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        x, y = coords[:, 0], coords[:, 1]
        return np.column_stack(
            [
                x + 6.0 * np.sin(x / 37.0) * np.cos(y / 53.0),
                y + 6.0 * np.cos(x / 41.0) * np.sin(y / 29.0),
            ]
        )

    cells = shapely.transform(cells, wiggle)
    return gpd.GeoDataFrame(
        {"OA_CODE": [f"S{i:05d}" for i in range(len(cells))]}, geometry=cells, crs="EPSG:27700"
    )


def _with_figure(areas: gpd.GeoDataFrame, seed: int = 2) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    return areas.assign(figure=rng.uniform(0.0, 10.0, len(areas)))


def _ours(areas: gpd.GeoDataFrame, code: str) -> str:
    m = choropleth_map(
        areas,
        "figure",
        code_column=code,
        title="Digital exclusion risk",
        legend_title="Digital exclusion risk index (0 to 10)",
        high_label="Higher risk of digital exclusion",
        tiles=True,
    )
    return map_html(m)


def _baseline(areas: gpd.GeoDataFrame, code: str) -> str:
    wgs84 = areas.to_crs("EPSG:4326")
    m = folium.Map(tiles="OpenStreetMap")
    folium.Choropleth(
        geo_data=wgs84,
        data=pd.DataFrame({code: wgs84[code], "figure": wgs84["figure"]}),
        columns=[code, "figure"],
        key_on=f"feature.properties.{code}",
        fill_color="YlGnBu",
    ).add_to(m)
    m.fit_bounds(
        [
            [wgs84.total_bounds[1], wgs84.total_bounds[0]],
            [wgs84.total_bounds[3], wgs84.total_bounds[2]],
        ]
    )
    html = m.get_root().render()
    assert isinstance(html, str)
    return html


def _page_rows(label: str, areas: gpd.GeoDataFrame, code: str, repeats: int) -> list[Row]:
    areas = _with_figure(areas)
    ours_s, ours_html = best_of(lambda: _ours(areas, code), repeats=repeats)
    base_s, base_html = best_of(lambda: _baseline(areas, code), repeats=repeats)
    ours_mb = len(ours_html.encode("utf-8")) / 1e6
    base_mb = len(base_html.encode("utf-8")) / 1e6
    ours_gz = len(gzip.compress(ours_html.encode("utf-8"))) / 1e6
    base_gz = len(gzip.compress(base_html.encode("utf-8"))) / 1e6
    baseline = "folium.Choropleth, raw full precision"
    return [
        Row(
            SUITE,
            f"{label}: page HTML",
            ours_mb,
            "MB",
            baseline,
            base_mb,
            f"< {SIZE_GOAL_MB:g} MB",
            ours_mb < SIZE_GOAL_MB,
        ),
        Row(
            SUITE,
            f"{label}: page gzipped",
            ours_gz,
            "MB",
            baseline,
            base_gz,
            f"< {GZIP_GOAL_MB:g} MB",
            ours_gz < GZIP_GOAL_MB,
        ),
        Row(
            SUITE,
            f"{label}: build + render",
            ours_s,
            "s",
            baseline,
            base_s,
            f"< {TIME_GOAL_S:g} s",
            ours_s < TIME_GOAL_S,
        ),
    ]


def _demo_borough() -> Any | None:
    if importlib.util.find_spec("geo.sources.demo") is None:
        return None
    build = getattr(importlib.import_module("geo.sources.demo"), "build_demo_borough", None)
    if build is None:
        return None
    with tempfile.TemporaryDirectory(prefix="bench-maps-") as folder:
        return build(seed=1, workdir=Path(folder))


def _demo_layers(borough: Any) -> list[tuple[str, gpd.GeoDataFrame, str]]:
    layers = []
    for name, code in (("wards", "WD23CD"), ("lsoas", "LSOA21CD")):
        frame = getattr(borough, name, None)
        if isinstance(frame, gpd.GeoDataFrame) and code in frame.columns:
            layers.append((f"demo borough {name} ({len(frame)})", frame, code))
    return layers


def _premises_page_rows(borough: Any) -> list[Row]:
    """The demo borough's premises as 250 m hexagons, against one marker per premises."""
    table = borough.premises
    premises = (
        table
        if isinstance(table, gpd.GeoDataFrame)
        else gpd.GeoDataFrame(
            table, geometry=gpd.points_from_xy(table["x_m"], table["y_m"]), crs="EPSG:27700"
        )
    )

    def ours() -> str:
        m = base_map(tiles=True)
        cells = bin_premises(premises, cell_size_m=250.0, min_count=10)
        add_cells_layer(
            m,
            cells,
            layer_name="Premises",
            legend_title="Premises",
            value_column="premises_count",
            value_format="{:,.0f}",
        )
        fit_to(m, premises)
        return map_html(m)

    def markers(sample: gpd.GeoDataFrame) -> str:
        m = folium.Map(tiles="OpenStreetMap")
        for lon, lat in shapely.get_coordinates(np.asarray(sample.to_crs(4326).geometry.array)):
            folium.CircleMarker([lat, lon], radius=2).add_to(m)
        html = m.get_root().render()
        assert isinstance(html, str)
        return html

    ours_s, html = best_of(ours, repeats=3)
    sample = premises.iloc[:2000]
    sample_s, sample_html = best_of(lambda: markers(sample), repeats=1)
    scale = len(premises) / len(sample)
    label = f"demo premises ({len(premises):,}) in 250 m hexagons"
    baseline = "one CircleMarker per premises (2,000 measured, scaled)"
    ours_mb = len(html.encode("utf-8")) / 1e6
    return [
        Row(
            SUITE,
            f"{label}: page HTML",
            ours_mb,
            "MB",
            baseline,
            len(sample_html.encode("utf-8")) / 1e6 * scale,
            f"< {SIZE_GOAL_MB:g} MB",
            ours_mb < SIZE_GOAL_MB,
        ),
        Row(
            SUITE,
            f"{label}: build + render",
            ours_s,
            "s",
            baseline,
            sample_s * scale,
            f"< {TIME_GOAL_S:g} s",
            ours_s < TIME_GOAL_S,
        ),
    ]


def _binning_rows() -> list[Row]:
    lsoas = gpd.read_file(HOUNSLOW_LSOA21).to_crs("EPSG:27700")
    min_x, min_y, max_x, max_y = lsoas.total_bounds
    rng = np.random.default_rng(5)
    n = 200_000
    premises = gpd.GeoDataFrame(
        {"slow": rng.random(n) < 0.1},
        geometry=gpd.points_from_xy(rng.uniform(min_x, max_x, n), rng.uniform(min_y, max_y, n)),
        crs="EPSG:27700",
    )
    size_m = 250.0

    def ours() -> gpd.GeoDataFrame:
        return bin_premises(premises, flag_column="slow", cell_size_m=size_m, min_count=1)

    def baseline() -> pd.Series:
        # The usual way: a polygon grid over the extent, then a spatial join and a count.
        r_lo, c_lo = cell_rows_cols([min_x], [min_y], cell_size_m=size_m)
        r_hi, c_hi = cell_rows_cols([max_x], [max_y], cell_size_m=size_m)
        rows, cols = np.meshgrid(
            np.arange(r_lo[0] - 1, r_hi[0] + 2), np.arange(c_lo[0] - 1, c_hi[0] + 2)
        )
        grid = gpd.GeoDataFrame(
            {"row": rows.ravel(), "col": cols.ravel()},
            geometry=cell_polygons(rows.ravel(), cols.ravel(), cell_size_m=size_m),
            crs="EPSG:27700",
        )
        joined = gpd.sjoin(premises, grid, predicate="within")
        return joined.groupby(["row", "col"]).size()

    ours_s, cells = best_of(ours, repeats=3)
    base_s, counts = best_of(baseline, repeats=3)
    ours_counts = cells.set_index(["row", "col"])["premises_count"].astype("int64").sort_index()
    # Points exactly on a shared edge can fall either side in the join; totals must agree.
    assert int(ours_counts.sum()) == n
    assert int(counts.sum()) == n
    return [
        Row(
            SUITE,
            "bin 200k premises into 250 m hexagons",
            ours_s,
            "s",
            "geopandas sjoin with hexagon polygons",
            base_s,
            f"{BIN_SPEED_GOAL:g}x faster",
            base_s / ours_s >= BIN_SPEED_GOAL,
        ),
    ]


def run() -> list[Row]:
    """Page weight and time for each choropleth layer, and binning speed."""
    rows: list[Row] = []
    rows += _page_rows("Hounslow LSOA 2021 (150)", gpd.read_file(HOUNSLOW_LSOA21), "LSOA21CD", 5)
    rows += _page_rows("Hounslow OA 2011 (714)", gpd.read_file(HOUNSLOW_OA11), "OA11CD", 5)
    rows += _page_rows("synthetic dense OAs (700)", _dense_output_areas(), "OA_CODE", 3)
    borough = _demo_borough()
    if borough is not None:
        for label, frame, code in _demo_layers(borough):
            rows += _page_rows(label, frame, code, 3)
        rows += _premises_page_rows(borough)
    rows += _binning_rows()
    return rows
