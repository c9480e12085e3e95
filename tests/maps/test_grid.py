"""Tests for maps.grid: premises binned to hexagons or squares with small cells suppressed."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.errors import InputError
from maps.base import base_map
from maps.grid import (
    MAX_DRAWN_CELLS,
    add_cells_layer,
    bin_premises,
    cell_polygons,
    cell_rows_cols,
)
from maps.legend import map_legends
from maps.palettes import NO_DATA_COLOUR
from tests.maps.support import X0, Y0, embedded_properties, feature_styles, render

WIDTH_M = 100.0
ROW_STEP_M = 1.5 * WIDTH_M / math.sqrt(3.0)


def _premises(xy: list[tuple[float, float]], flags: list[bool] | None = None) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy([p[0] for p in xy], [p[1] for p in xy]), crs="EPSG:27700"
    )
    if flags is not None:
        frame["slow"] = flags
    return frame


def test_hexagon_centres_fall_in_their_own_cells() -> None:
    # Row 0 centres at x = q w; row 1 centres shifted half a cell east.
    x = [0.0, 100.0, 50.0, 150.0, -50.0]
    y = [0.0, 0.0, ROW_STEP_M, ROW_STEP_M, -ROW_STEP_M]
    rows, cols = cell_rows_cols(x, y, cell_size_m=WIDTH_M)
    assert list(zip(rows.tolist(), cols.tolist(), strict=True)) == [
        (0, 0),
        (0, 1),
        (1, 0),
        (1, 1),
        (-1, -1),
    ]


def test_a_point_goes_to_the_nearer_of_two_neighbouring_hexagons() -> None:
    # Between centre (0, 0) and centre (50, ROW_STEP_M), just nearer the first.
    midpoint = np.array([25.0, ROW_STEP_M / 2.0])
    towards_first = midpoint - np.array([1.0, 1.0])
    rows, cols = cell_rows_cols([towards_first[0]], [towards_first[1]], cell_size_m=WIDTH_M)
    assert (rows[0], cols[0]) == (0, 0)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(-5_000, 5_000, allow_nan=False), st.floats(-5_000, 5_000, allow_nan=False)
        ),
        min_size=1,
        max_size=40,
    ),
    st.sampled_from(["hex", "square"]),
)
def test_every_point_lies_inside_the_polygon_of_its_cell(points, shape) -> None:
    xy = np.asarray(points) + np.array([X0, Y0])
    rows, cols = cell_rows_cols(xy[:, 0], xy[:, 1], cell_size_m=WIDTH_M, shape=shape)
    polygons = cell_polygons(rows, cols, cell_size_m=WIDTH_M, shape=shape)
    # Within a millimetre: points on a shared edge may go either way.
    distance = shapely.distance(polygons, shapely.points(xy))
    assert (distance < 1e-3).all()


def test_hexagons_have_the_right_size_and_tile_without_overlap() -> None:
    rows, cols = np.meshgrid(np.arange(-2, 3), np.arange(-2, 3))
    polygons = cell_polygons(rows.ravel(), cols.ravel(), cell_size_m=WIDTH_M)
    area = math.sqrt(3.0) / 2.0 * WIDTH_M**2
    assert shapely.area(polygons) == pytest.approx(area)
    assert shapely.union_all(polygons).area == pytest.approx(area * polygons.shape[0])
    assert all(polygon.exterior.is_ccw for polygon in polygons)


def test_counts_and_shares_per_cell() -> None:
    # 12 premises at one hex centre (3 slow), 2 at another: min_count 10 suppresses the second.
    xy = [(X0, Y0)] * 12 + [(X0 + 1000.0, Y0)] * 2
    premises = _premises(xy, flags=[True] * 3 + [False] * 9 + [True, True])
    cells = bin_premises(premises, flag_column="slow", cell_size_m=WIDTH_M, min_count=10)
    assert len(cells) == 2
    kept = cells[~cells["suppressed"]].iloc[0]
    assert (kept["premises_count"], kept["flagged_count"]) == (12, 3)
    assert kept["share"] == pytest.approx(0.25)
    hidden = cells[cells["suppressed"]].iloc[0]
    assert pd.isna(hidden["premises_count"]) and pd.isna(hidden["flagged_count"])
    assert pd.isna(hidden["share"])


def test_shown_counts_add_up_to_all_premises_less_those_in_suppressed_cells() -> None:
    rng = np.random.default_rng(7)
    xy = rng.normal(0.0, 400.0, size=(3000, 2)) + np.array([X0, Y0])
    premises = _premises([tuple(p) for p in xy.tolist()], flags=(rng.random(3000) < 0.3).tolist())
    cells = bin_premises(premises, flag_column="slow", cell_size_m=150.0, min_count=10)
    rows, cols = cell_rows_cols(xy[:, 0], xy[:, 1], cell_size_m=150.0)
    per_cell = (
        pd.Series(1, index=pd.MultiIndex.from_arrays([rows, cols])).groupby(level=[0, 1]).sum()
    )
    in_small_cells = int(per_cell[per_cell < 10].sum())
    assert in_small_cells > 0
    assert int(cells["suppressed"].sum()) == int((per_cell < 10).sum())
    assert int(cells["premises_count"].sum()) == 3000 - in_small_cells


def test_square_cells_are_anchored_on_the_national_grid() -> None:
    premises = _premises([(X0 + 10.0, Y0 + 10.0), (X0 + 90.0, Y0 + 99.0), (X0 + 110.0, Y0)])
    cells = bin_premises(premises, cell_size_m=100.0, shape="square", min_count=1)
    assert cells["premises_count"].tolist() == [2, 1]
    assert cells.geometry.iloc[0].bounds == (X0, Y0, X0 + 100.0, Y0 + 100.0)
    assert cells["cell_id"].tolist() == ["square100m:1750:5200", "square100m:1750:5201"]
    assert cells["share"].isna().all()


def test_premises_in_another_crs_are_reprojected() -> None:
    premises = _premises([(X0 + 10.0, Y0 + 10.0)] * 3).to_crs("EPSG:4326")
    cells = bin_premises(premises, cell_size_m=100.0, shape="square", min_count=1)
    assert cells.crs.to_epsg() == 27700
    assert cells.geometry.iloc[0].contains(shapely.Point(X0 + 10.0, Y0 + 10.0))


def test_bad_premises_are_refused_with_the_row_named() -> None:
    premises = _premises([(X0, Y0), (X0, Y0)], flags=[True, None])
    with pytest.raises(InputError, match="row 2, column slow: has a missing yes/no value"):
        bin_premises(premises, flag_column="slow")
    lines = gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 0), (1, 1)])], crs="EPSG:27700")
    with pytest.raises(InputError, match=r"row 1: .*not a point"):
        bin_premises(lines)
    with pytest.raises(ValueError, match="cell_size_m"):
        bin_premises(premises.drop(columns="slow"), cell_size_m=0)


def test_cells_layer_draws_shares_and_shows_suppressed_cells_in_words() -> None:
    xy = [(X0, Y0)] * 12 + [(X0 + 1000.0, Y0)] * 2
    premises = _premises(xy, flags=[True] * 6 + [False] * 6 + [True, True])
    cells = bin_premises(premises, flag_column="slow", cell_size_m=WIDTH_M, min_count=10)
    m = base_map(tiles=False)
    legend = add_cells_layer(
        m, cells, layer_name="Slow broadband", legend_title="Share of premises below 10 Mbit/s"
    )
    html = render(m)
    properties = embedded_properties(html)
    assert [(p["v"], p["t0"]) for p in properties] == [
        ("50%", "12"),
        ("fewer than 10 premises", "fewer than 10 premises"),
    ]
    styles = feature_styles(html)
    suppressed_id = cells.loc[cells["suppressed"], "cell_id"].iloc[0]
    assert styles[suppressed_id]["fillColor"] == NO_DATA_COLOUR
    assert [e.label for e in legend.entries][-1] == "Fewer than 10 premises"
    assert legend.entries[0].label == "75% to 100%"
    assert map_legends(m) == [legend]


def test_too_many_cells_for_a_page_are_refused() -> None:
    n = MAX_DRAWN_CELLS + 1
    premises = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(X0 + 10.0 * np.arange(n) + 5.0, np.full(n, Y0 + 5.0)),
        crs="EPSG:27700",
    )
    cells = bin_premises(premises, cell_size_m=10.0, shape="square", min_count=1)
    assert len(cells) == n
    with pytest.raises(InputError, match="larger cells"):
        add_cells_layer(base_map(tiles=False), cells, layer_name="x", legend_title="x")
