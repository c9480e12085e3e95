"""Tests for geo.access: snapping, nearest venues, catchments and shares within a time."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

import geo.access
from geo.access import (
    catchment_polygons,
    k_nearest_facilities,
    nearest_facility,
    premises_access,
    share_within,
    snap_points,
)
from geo.network import StreetNetwork, from_arrays, to_networkx
from geo.sources.osm import read_osm_pois, read_street_network
from tests.geo.networks import X0, Y0, grid, line
from tests.shared_data import SHARED_DATA

OAKHAM_XML = SHARED_DATA / "osm" / "oakham_rutland_2018.osm"


# ---- snap_points ----------------------------------------------------------------------------


def test_snap_points_finds_nearest_node_and_distance() -> None:
    node, distance = snap_points(line(), [X0 + 30.0, X0 + 470.0, X0 + 1000.0], [Y0 + 40.0, Y0, Y0])
    assert node.tolist() == [0, 5, 10]
    assert np.allclose(distance, [50.0, 30.0, 0.0])


def test_snap_points_refuses_mismatched_arrays() -> None:
    with pytest.raises(ValueError, match="same length"):
        snap_points(line(), [X0, X0], [Y0])


def test_snap_points_of_nothing_is_empty() -> None:
    node, distance = snap_points(line(), [], [])
    assert node.shape == distance.shape == (0,)


# ---- nearest_facility -------------------------------------------------------------------------


def test_nearest_facility_on_a_line() -> None:
    distance, facility = nearest_facility(line(), [0, 10])
    assert distance.tolist() == [0, 100, 200, 300, 400, 500, 400, 300, 200, 100, 0]
    assert facility[:5].tolist() == [0] * 5
    assert facility[6:].tolist() == [1] * 5
    assert facility[5] in (0, 1)  # equally far from both


def test_nearest_facility_limit_marks_unreachable() -> None:
    distance, facility = nearest_facility(line(), [0], limit_m=250.0)
    assert distance[:3].tolist() == [0.0, 100.0, 200.0]
    assert np.isinf(distance[3:]).all()
    assert (facility[3:] == -1).all()


def test_nearest_facility_repeated_node_reports_one_of_its_positions() -> None:
    distance, facility = nearest_facility(line(), [4, 4, 9])
    assert facility[4] in (0, 1)
    assert facility[0] in (0, 1)
    assert facility[10] == 2
    assert distance[[0, 4, 10]].tolist() == [400.0, 0.0, 100.0]


def test_nearest_facility_offset_changes_the_winner() -> None:
    # Venue 0 stands 250 m off the street at node 0; venue 1 is on the street at node 6.
    distance, facility = nearest_facility(line(), [0, 6], facility_offset_m=[250.0, 0.0])
    assert facility[2] == 1  # 250 + 200 = 450 via venue 0 > 400 via venue 1
    assert distance[2] == 400.0
    assert facility[0] == 0  # 250 + 0 < 600
    assert distance[0] == 250.0


def test_nearest_facility_runs_towards_the_venue_on_one_way_streets() -> None:
    # One-way street 0 -> 1 -> ... -> 10 with the venue at node 5: only nodes 0..5 can drive there.
    distance, facility = nearest_facility(line(mode="drive"), [5])
    assert distance[:6].tolist() == [500.0, 400.0, 300.0, 200.0, 100.0, 0.0]
    assert np.isinf(distance[6:]).all()
    assert facility.tolist() == [0] * 6 + [-1] * 5


def test_nearest_facility_without_facilities_is_unreachable() -> None:
    distance, facility = nearest_facility(line(), [])
    assert np.isinf(distance).all()
    assert (facility == -1).all()


def test_nearest_facility_refuses_bad_nodes() -> None:
    with pytest.raises(ValueError, match="node indices"):
        nearest_facility(line(), [11])
    with pytest.raises(ValueError, match="integer"):
        nearest_facility(line(), [1.5])


# ---- k_nearest_facilities ---------------------------------------------------------------------


def test_k_nearest_on_a_line() -> None:
    distance, facility = k_nearest_facilities(line(), [0, 10, 4], 2)
    assert facility[2].tolist() == [0, 2]  # a tie: the facility listed first comes first
    assert distance[2].tolist() == [200.0, 200.0]
    assert facility[7].tolist() == [1, 2]
    assert distance[7].tolist() == [300.0, 300.0]
    assert facility[0].tolist() == [0, 2]
    assert distance[0].tolist() == [0.0, 400.0]


def test_k_nearest_pads_when_too_few_facilities_or_out_of_reach() -> None:
    distance, facility = k_nearest_facilities(line(), [0, 10], 3, limit_m=450.0)
    assert distance.shape == facility.shape == (11, 3)
    assert np.isinf(distance[:, 2]).all()
    assert (facility[:, 2] == -1).all()
    assert facility[5].tolist() == [-1, -1, -1]
    assert facility[4].tolist() == [0, -1, -1]


def test_k_nearest_on_a_grid() -> None:
    # Venues at the four corners of a 4 x 4 grid; node 5 is at column 1, row 1.
    distance, facility = k_nearest_facilities(grid(), [0, 3, 12, 15], 4)
    assert distance[5].tolist() == [200.0, 300.0, 300.0, 400.0]
    assert facility[5].tolist() == [0, 1, 2, 3]


def test_k_nearest_in_blocks_matches_one_block(monkeypatch: pytest.MonkeyPatch) -> None:
    net = grid(5)
    venues = [0, 7, 7, 13, 24, 20, 4]
    whole = k_nearest_facilities(net, venues, 3, facility_offset_m=[0, 5, 1, 0, 0, 30, 0])
    monkeypatch.setattr(geo.access, "_MAX_MATRIX_CELLS", 2 * net.n_nodes)
    blocked = k_nearest_facilities(net, venues, 3, facility_offset_m=[0, 5, 1, 0, 0, 30, 0])
    assert np.array_equal(whole[0], blocked[0])
    assert np.array_equal(whole[1], blocked[1])


def test_k_nearest_refuses_k_below_one() -> None:
    with pytest.raises(ValueError, match="k must be"):
        k_nearest_facilities(line(), [0], 0)


@st.composite
def random_networks(draw: st.DrawFn) -> tuple[StreetNetwork, list[int], list[float], float | None]:
    """Small networks with many two-neighbour chains, rings, loops, islands and parallel edges."""
    size = draw(st.integers(2, 30))
    shape = draw(st.sampled_from(["streets", "ring", "random"]))
    if shape == "streets":
        # Each node joins one of the few before it (mostly the last): long chains and branches.
        pairs = [(i, i - 1 - draw(st.integers(0, min(2, i - 1)))) for i in range(1, size)]
        pairs = [pair for pair in pairs if draw(st.integers(0, 9)) > 0]  # some islands
    elif shape == "ring":
        pairs = [(i, (i + 1) % size) for i in range(size)]
    else:
        pairs = []
    pairs += draw(
        st.lists(st.tuples(st.integers(0, size - 1), st.integers(0, size - 1)), max_size=6)
    )
    if not pairs:
        pairs = [(0, 1)]
    lengths = draw(
        st.lists(st.integers(0, 500), min_size=len(pairs), max_size=len(pairs)).map(
            lambda values: [float(value) for value in values]
        )
    )
    mode = draw(st.sampled_from(["walk", "walk", "drive"]))
    net = from_arrays(
        np.arange(size),
        np.arange(size) * 10.0,
        np.zeros(size),
        [a for a, _ in pairs],
        [b for _, b in pairs],
        lengths,
        mode=mode,
    )
    venues = draw(st.lists(st.integers(0, size - 1), min_size=1, max_size=5))
    offsets = draw(
        st.lists(st.integers(0, 300), min_size=len(venues), max_size=len(venues)).map(
            lambda values: [float(value) for value in values]
        )
    )
    limit = draw(st.one_of(st.none(), st.integers(0, 2000).map(float)))
    return net, venues, offsets, limit


@settings(max_examples=150, deadline=None)
@given(random_networks())
def test_nearest_and_k_nearest_agree_with_networkx(
    case: tuple[StreetNetwork, list[int], list[float], float | None],
) -> None:
    net, venues, offsets, limit = case
    distance, facility = nearest_facility(net, venues, facility_offset_m=offsets, limit_m=limit)
    k_distance, _ = k_nearest_facilities(net, venues, 2, facility_offset_m=offsets, limit_m=limit)
    assert np.array_equal(distance, k_distance[:, 0])
    # networkx: distance from node to venue plus offset, minimised over venues.
    graph = to_networkx(net)
    towards = graph.reverse() if net.directed else graph
    via = np.full((len(venues), net.n_nodes), np.inf)
    for position, (node, offset) in enumerate(zip(venues, offsets, strict=True)):
        lengths = nx.single_source_dijkstra_path_length(towards, node, weight="length")
        via[position, list(lengths)] = np.array(list(lengths.values())) + offset
    if limit is not None:
        via[via > limit] = np.inf
    assert np.array_equal(distance, via.min(axis=0))
    reached = np.flatnonzero(np.isfinite(distance))
    assert (facility[np.isinf(distance)] == -1).all()
    # The reported facility is one at the reported distance.
    assert np.array_equal(via[facility[reached], reached], distance[reached])


# ---- premises_access --------------------------------------------------------------------------


def test_premises_access_adds_both_snap_distances() -> None:
    # Venue 30 m north of node 0 and venue 40 m south of node 10; premises 20 m north of node 3.
    venue_x = [X0, X0 + 1000.0]
    venue_y = [Y0 + 30.0, Y0 - 40.0]
    frame = premises_access(
        line(), [X0 + 300.0, X0 + 800.0], [Y0 + 20.0, Y0], venue_x, venue_y, k=2
    )
    assert frame["nearest_venue"].tolist() == [0, 1]
    assert frame["distance_m"].tolist() == [20.0 + 300.0 + 30.0, 200.0 + 40.0]
    assert frame["time_min"].tolist() == [350.0 / 80.0, 240.0 / 80.0]
    assert frame["snap_distance_m"].tolist() == [20.0, 0.0]
    assert frame["venue_k2"].tolist() == [1, 0]
    assert frame["distance_k2_m"].tolist() == [20.0 + 700.0 + 40.0, 800.0 + 30.0]
    assert frame["reachable"].all()


def test_premises_access_keeps_series_index_and_uses_speed() -> None:
    x = pd.Series([X0 + 100.0, X0 + 500.0], index=["uprn-1", "uprn-2"])
    y = pd.Series([Y0, Y0], index=x.index)
    frame = premises_access(line(), x, y, [X0], [Y0], k=1, walk_speed_m_per_min=50.0)
    assert frame.index.tolist() == ["uprn-1", "uprn-2"]
    assert frame["time_min"].tolist() == [2.0, 10.0]
    assert list(frame.columns) == [
        "nearest_venue",
        "distance_m",
        "time_min",
        "reachable",
        "snap_distance_m",
        "venue_k1",
        "distance_k1_m",
    ]


def test_premises_access_flags_unreachable() -> None:
    # Two separate streets; the only venue is on the first.
    net = from_arrays(
        [1, 2, 3, 4],
        [X0, X0 + 100.0, X0 + 5000.0, X0 + 5100.0],
        [Y0] * 4,
        [0, 2],
        [1, 3],
        [100.0, 100.0],
        mode="walk",
    )
    frame = premises_access(net, [X0 + 90.0, X0 + 5050.0], [Y0, Y0], [X0], [Y0], k=1)
    assert frame["reachable"].tolist() == [True, False]
    assert np.isinf(frame.loc[1, "distance_m"])
    assert np.isinf(frame.loc[1, "time_min"])
    assert frame.loc[1, "nearest_venue"] == -1


def test_premises_access_limit_counts_snap_distances() -> None:
    frame = premises_access(line(), [X0 + 300.0], [Y0 + 60.0], [X0], [Y0], k=1, limit_m=350.0)
    assert not frame.loc[0, "reachable"]
    frame = premises_access(line(), [X0 + 300.0], [Y0 + 40.0], [X0], [Y0], k=1, limit_m=350.0)
    assert frame.loc[0, "distance_m"] == 340.0


def test_premises_access_refuses_bad_speed() -> None:
    with pytest.raises(ValueError, match="walk_speed_m_per_min"):
        premises_access(line(), [X0], [Y0], [X0], [Y0], walk_speed_m_per_min=0.0)


# ---- catchment_polygons -----------------------------------------------------------------------


def test_catchment_of_a_long_straight_street() -> None:
    # One 3 km edge: the 5-minute (400 m) catchment must cut it at 400 m.
    net = from_arrays([1, 2], [X0, X0 + 3000.0], [Y0, Y0], [0], [1], [3000.0], mode="walk")
    catchments = catchment_polygons(net, [0], thresholds_min=(5.0,), buffer_m=20.0)
    polygon = catchments.geometry.iloc[0]
    assert polygon.contains(shapely.Point(X0 + 100.0, Y0))
    assert polygon.contains(shapely.Point(X0 + 390.0, Y0 + 10.0))
    assert not polygon.contains(shapely.Point(X0 + 450.0, Y0))
    assert not polygon.contains(shapely.Point(X0 + 2000.0, Y0))
    assert not polygon.contains(shapely.Point(X0 + 100.0, Y0 + 30.0))
    assert catchments.geometry.iloc[0].bounds[2] == pytest.approx(X0 + 420.0)


def test_catchment_reaches_into_an_edge_from_both_ends() -> None:
    # Nodes 0 and 1 are 200 m apart by a straight street and by a 1,000 m loop up and back.
    straight = shapely.LineString([(X0, Y0), (X0 + 200.0, Y0)])
    loop = shapely.LineString(
        [(X0, Y0), (X0, Y0 + 400.0), (X0 + 200.0, Y0 + 400.0), (X0 + 200.0, Y0)]
    )
    net = from_arrays(
        [1, 2],
        [X0, X0 + 200.0],
        [Y0, Y0],
        [0, 0],
        [1, 1],
        [200.0, 1000.0],
        mode="walk",
        geometry=[straight, loop],
    )
    polygon = catchment_polygons(net, [0], thresholds_min=(5.0,), buffer_m=10.0).geometry.iloc[0]
    assert polygon.contains(shapely.Point(X0, Y0 + 390.0))  # 390 m up from node 0
    assert polygon.contains(shapely.Point(X0 + 200.0, Y0 + 190.0))  # 200 m + 190 m via node 1
    assert not polygon.contains(shapely.Point(X0 + 200.0, Y0 + 250.0))  # 450 m either way
    assert not polygon.contains(shapely.Point(X0 + 100.0, Y0 + 400.0))  # the far end of the loop


def test_catchment_rows_areas_and_crs() -> None:
    catchments = catchment_polygons(grid(6), [0, 35], thresholds_min=(2.5, 5.0), buffer_m=25.0)
    assert isinstance(catchments, gpd.GeoDataFrame)
    assert catchments.crs == "EPSG:27700"
    assert catchments["venue"].tolist() == [0, 0, 1, 1]
    assert catchments["node"].tolist() == [0, 0, 35, 35]
    assert catchments["distance_m"].tolist() == [200.0, 400.0, 200.0, 400.0]
    areas = catchments.geometry.area.to_numpy()
    assert areas[1] > areas[0]
    assert areas[0] == pytest.approx(areas[2])  # the two corners are mirror images
    assert catchments.geometry.iloc[1].contains(catchments.geometry.iloc[0])
    assert catchments.geometry.is_valid.all()


def test_catchment_of_isolated_venue_is_its_disc() -> None:
    net = from_arrays(
        [1, 2, 3], [X0, X0 + 100.0, X0 + 9000.0], [Y0] * 3, [0], [1], [100.0], mode="walk"
    )
    polygon = catchment_polygons(net, [2], thresholds_min=(5.0,), buffer_m=40.0).geometry.iloc[0]
    assert polygon.area == pytest.approx(np.pi * 40.0**2, rel=0.02)


def test_catchment_follows_one_way_streets_towards_the_venue() -> None:
    net = line(11, mode="drive")
    polygon = catchment_polygons(net, [5], thresholds_min=(5.0,), buffer_m=10.0).geometry.iloc[0]
    assert polygon.contains(shapely.Point(X0 + 150.0, Y0))  # 350 m upstream: can get there
    assert not polygon.contains(shapely.Point(X0 + 650.0, Y0))  # downstream: cannot


def test_catchment_refuses_bad_buffer() -> None:
    with pytest.raises(ValueError, match="buffer_m"):
        catchment_polygons(line(), [0], buffer_m=0.0)


# ---- share_within -----------------------------------------------------------------------------


def test_share_within_weights_by_residents() -> None:
    minutes = [3.0, 12.0, np.inf, 5.0, 20.0]
    residents = [2.0, 1.0, 1.0, 4.0, 0.0]
    codes = ["E01000002", "E01000002", "E01000002", "E01000001", "E01000001"]
    shares = share_within(minutes, residents, codes, thresholds=(5, 15))
    assert shares.index.tolist() == ["E01000001", "E01000002"]
    assert shares.index.name == "area_code"
    assert list(shares.columns) == ["weight_total", "share_within_5", "share_within_15"]
    assert shares.loc["E01000002"].tolist() == [4.0, 0.5, 0.75]
    assert shares.loc["E01000001"].tolist() == [4.0, 1.0, 1.0]


def test_share_within_area_without_weight_is_nan() -> None:
    shares = share_within([1.0], [0.0], ["E01000001"], thresholds=(5,))
    assert np.isnan(shares.loc["E01000001", "share_within_5"])


def test_share_within_refuses_negative_weight() -> None:
    with pytest.raises(ValueError, match="weights"):
        share_within([1.0], [-1.0], ["E01000001"], thresholds=(5,))


# ---- on the real Oakham network --------------------------------------------------------------


@pytest.fixture(scope="module")
def oakham_walk() -> StreetNetwork:
    return read_street_network(OAKHAM_XML, mode="walk")


@pytest.fixture(scope="module")
def oakham_drive() -> StreetNetwork:
    return read_street_network(OAKHAM_XML, mode="drive")


def _networkx_nearest(net: StreetNetwork, venues: np.ndarray) -> np.ndarray:
    graph = to_networkx(net)
    towards = graph.reverse() if net.directed else graph
    lengths = nx.multi_source_dijkstra_path_length(towards, set(venues.tolist()), weight="length")
    expected = np.full(net.n_nodes, np.inf)
    expected[list(lengths)] = list(lengths.values())
    return expected


@pytest.mark.realdata
@pytest.mark.parametrize("mode", ["walk", "drive"])
def test_nearest_facility_equals_networkx_on_oakham(
    mode: str, oakham_walk: StreetNetwork, oakham_drive: StreetNetwork
) -> None:
    net = oakham_walk if mode == "walk" else oakham_drive
    venues = np.random.default_rng(7).choice(net.n_nodes, size=12, replace=False)
    distance, facility = nearest_facility(net, venues)
    expected = _networkx_nearest(net, venues)
    assert np.array_equal(np.isfinite(distance), np.isfinite(expected))
    assert np.allclose(distance[np.isfinite(expected)], expected[np.isfinite(expected)])
    # The reported facility is at the reported distance.
    reached = np.flatnonzero(facility >= 0)
    one = nearest_facility(net, venues[facility[reached[:1]]])[0]
    assert one[reached[0]] == pytest.approx(distance[reached[0]])


@pytest.mark.realdata
def test_library_catchment_on_oakham(oakham_walk: StreetNetwork) -> None:
    library = read_osm_pois(OAKHAM_XML, tags={"amenity": ["library"]})
    point = library.geometry.iloc[0]
    node, _ = snap_points(oakham_walk, [point.x], [point.y])
    catchments = catchment_polygons(oakham_walk, node)
    assert catchments["threshold_min"].tolist() == [5.0, 10.0, 15.0]
    areas = catchments.geometry.area.to_numpy()
    assert np.all(np.diff(areas) > 0)
    assert catchments.geometry.iloc[0].contains(point)
    # A 15-minute walk covers at most a 1.2 km disc (plus the buffer) round the library.
    assert 0.1e6 < areas[2] < np.pi * 1240.0**2
    distance, _ = nearest_facility(oakham_walk, node)
    within = distance <= 800.0
    inside = shapely.contains_xy(
        catchments.geometry.iloc[1], oakham_walk.x_m[within], oakham_walk.y_m[within]
    )
    assert inside.all()
