"""Tests for maps.simplify: light, valid, RFC 7946-oriented boundaries for web maps."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.errors import InputError
from maps.simplify import simplify_for_web
from tests.maps.support import X0, Y0


def _wiggly_pair() -> gpd.GeoDataFrame:
    """Two areas sharing a wiggly edge densified to 1 m vertices (a clean coverage)."""
    ys = np.arange(0.0, 1000.0 + 1.0, 1.0)
    wiggle = 0.5 * np.sin(ys / 7.0)  # under 1 m: simplification at 5 m removes it
    edge = np.column_stack([X0 + 500.0 + wiggle, Y0 + ys])
    left = shapely.Polygon([(X0, Y0), *edge.tolist(), (X0, Y0 + 1000.0)])
    right = shapely.Polygon([(X0 + 1000.0, Y0), (X0 + 1000.0, Y0 + 1000.0), *edge[::-1].tolist()])
    return gpd.GeoDataFrame({"code": ["L", "R"]}, geometry=[left, right], crs="EPSG:27700")


def test_output_is_wgs84_with_the_same_index_and_columns() -> None:
    areas = _wiggly_pair().set_index(np.array([10, 20]))
    light = simplify_for_web(areas)
    assert light.crs.to_epsg() == 4326
    assert light.index.tolist() == [10, 20]
    assert light.columns.tolist() == areas.columns.tolist()
    assert areas.crs.to_epsg() == 27700  # input untouched


def test_simplification_drops_vertices_but_keeps_the_shape() -> None:
    areas = _wiggly_pair()
    light = simplify_for_web(areas)
    before = shapely.get_num_coordinates(np.asarray(areas.geometry.array)).sum()
    after = shapely.get_num_coordinates(np.asarray(light.geometry.array)).sum()
    assert after < before / 20
    back = light.to_crs(27700)
    assert back.area.to_numpy() == pytest.approx(areas.area.to_numpy(), rel=0.01)


def test_shared_edges_stay_shared_so_neighbours_neither_gap_nor_overlap() -> None:
    light = simplify_for_web(_wiggly_pair()).to_crs(27700)
    left, right = light.geometry
    assert shapely.intersection(left, right).area < 1.0
    union = shapely.union_all([left, right])
    assert union.area == pytest.approx(left.area + right.area, abs=1.0)


def test_coordinates_have_at_most_the_decimal_places_asked_for() -> None:
    light = simplify_for_web(_wiggly_pair(), precision_dp=5)
    coords = shapely.get_coordinates(np.asarray(light.geometry.array))
    assert np.abs(coords * 1e5 - np.rint(coords * 1e5)).max() < 1e-6
    assert all(len(repr(v).split(".")[1]) <= 5 for v in coords.ravel().tolist())


def test_exterior_rings_run_counter_clockwise_and_polygons_are_valid() -> None:
    clockwise = shapely.Polygon([(X0, Y0), (X0, Y0 + 500), (X0 + 500, Y0 + 500), (X0 + 500, Y0)])
    assert not clockwise.exterior.is_ccw
    areas = gpd.GeoDataFrame({"code": ["C"]}, geometry=[clockwise], crs="EPSG:27700")
    light = simplify_for_web(areas)
    assert light.geometry.iloc[0].exterior.is_ccw
    assert light.is_valid.all()


def test_an_area_smaller_than_the_tolerance_keeps_its_shape() -> None:
    tiny = shapely.box(X0, Y0, X0 + 3.0, Y0 + 3.0)
    big = shapely.box(X0 + 100, Y0, X0 + 1100, Y0 + 1000)
    areas = gpd.GeoDataFrame({"code": ["tiny", "big"]}, geometry=[tiny, big], crs="EPSG:27700")
    light = simplify_for_web(areas, tolerance_m=50.0)
    assert not light.geometry.iloc[0].is_empty
    assert light.geometry.geom_type.tolist() == ["Polygon", "Polygon"]


def test_tolerance_zero_keeps_every_vertex() -> None:
    areas = _wiggly_pair()
    light = simplify_for_web(areas, tolerance_m=0.0, precision_dp=9)
    assert shapely.get_num_coordinates(np.asarray(light.geometry.array)).sum() == (
        shapely.get_num_coordinates(np.asarray(areas.geometry.array)).sum()
    )


def test_bad_layers_are_refused_with_the_feature_named() -> None:
    no_crs = gpd.GeoDataFrame({"code": ["A"]}, geometry=[shapely.box(0, 0, 1, 1)])
    with pytest.raises(InputError, match="coordinate reference system"):
        simplify_for_web(no_crs, source="wards.geojson")
    points = gpd.GeoDataFrame(
        {"code": ["A", "B"]},
        geometry=[shapely.box(X0, Y0, X0 + 1, Y0 + 1), shapely.Point(X0, Y0)],
        crs="EPSG:27700",
    )
    with pytest.raises(InputError, match=r"wards\.geojson, row 2: .*not a Polygon"):
        simplify_for_web(points, source="wards.geojson")
    empty = gpd.GeoDataFrame({"code": ["A"]}, geometry=[None], crs="EPSG:27700")
    with pytest.raises(InputError, match="row 1: has a feature with no geometry"):
        simplify_for_web(empty)


def test_an_area_plain_simplification_would_break_is_simplified_with_topology_kept() -> None:
    # A 15 m spike on the north edge holds a small hole: plain Douglas-Peucker at 20 m
    # straightens the edge and leaves the hole outside its shell.
    shell = [(0, 0), (1000, 0), (1000, 1000), (510, 1000), (500, 1015), (490, 1000), (0, 1000)]
    hole = [(497, 1003), (503, 1003), (503, 1008), (497, 1008)]
    polygon = shapely.Polygon(
        [(X0 + x, Y0 + y) for x, y in shell], [[(X0 + x, Y0 + y) for x, y in hole]]
    )
    assert polygon.is_valid
    plain = shapely.simplify(polygon, 20.0, preserve_topology=False)
    assert not plain.is_valid or len(plain.interiors) == 0
    areas = gpd.GeoDataFrame({"code": ["S"]}, geometry=[polygon], crs="EPSG:27700")
    light = simplify_for_web(areas, tolerance_m=20.0, keep_shared_edges=False)
    assert light.is_valid.all()
    assert len(light.geometry.iloc[0].interiors) == 1
