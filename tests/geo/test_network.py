"""Tests for geo.network: building, clipping and converting street networks."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import shapely
from scipy.sparse.csgraph import dijkstra

from geo.network import (
    StreetNetwork,
    clip_to_area,
    from_arrays,
    from_networkx,
    is_connected,
    largest_component,
    to_networkx,
)


def line_network(count: int = 5, spacing_m: float = 100.0, *, mode: str = "walk") -> StreetNetwork:
    """Nodes along the x axis every ``spacing_m`` metres, each joined to the next."""
    x = 480_000.0 + spacing_m * np.arange(count)
    return from_arrays(
        np.arange(100, 100 + count),
        x,
        np.full(count, 300_000.0),
        np.arange(count - 1),
        np.arange(1, count),
        np.full(count - 1, spacing_m),
        mode=mode,
        highway=["residential"] * (count - 1),
    )


def test_walk_graph_is_symmetric_with_lengths_in_metres() -> None:
    net = line_network()
    dense = net.graph.toarray()
    assert np.array_equal(dense, dense.T)
    assert dense[0, 1] == 100.0
    assert dense[3, 4] == 100.0
    assert net.graph.nnz == 8
    assert net.crs == "EPSG:27700"


def test_drive_graph_keeps_direction() -> None:
    net = line_network(mode="drive")
    dense = net.graph.toarray()
    assert dense[0, 1] == 100.0
    assert dense[1, 0] == 0.0
    assert net.directed


def test_parallel_edges_keep_the_shortest() -> None:
    net = from_arrays(
        [1, 2], [0.0, 100.0], [0.0, 0.0], [0, 0, 1], [1, 1, 0], [150.0, 120.0, 130.0], mode="drive"
    )
    assert net.graph[0, 1] == 120.0
    assert net.graph[1, 0] == 130.0
    assert net.n_edges == 3


def test_walk_drops_reversed_duplicate_but_keeps_distinct_parallel_street() -> None:
    net = from_arrays(
        [1, 2], [0.0, 100.0], [0.0, 0.0], [0, 1, 0], [1, 0, 1], [100.0, 100.0, 180.0], mode="walk"
    )
    assert net.n_edges == 2
    assert sorted(net.edges["length_m"].tolist()) == [100.0, 180.0]
    assert net.graph[1, 0] == 100.0


def test_zero_length_edge_is_still_an_edge() -> None:
    net = from_arrays(
        [1, 2, 3], [0.0, 0.0, 50.0], [0.0, 0.0, 0.0], [0, 1], [1, 2], [0.0, 50.0], mode="walk"
    )
    distance = dijkstra(net.graph, indices=0)
    assert distance.tolist() == [0.0, 0.0, 50.0]


def test_geometry_is_oriented_from_u_to_v() -> None:
    backwards = shapely.LineString([(100.0, 0.0), (50.0, 10.0), (0.0, 0.0)])
    net = from_arrays(
        [1, 2], [0.0, 100.0], [0.0, 0.0], [0], [1], [105.0], mode="drive", geometry=[backwards]
    )
    assert shapely.get_coordinates(net.edges.geometry.iloc[0])[0].tolist() == [0.0, 0.0]
    # The caller's geometry is not changed.
    assert shapely.get_coordinates(backwards)[0].tolist() == [100.0, 0.0]


def test_missing_geometry_becomes_a_straight_line() -> None:
    net = line_network(3)
    assert net.edges.geometry.iloc[1].equals(
        shapely.LineString([(480_100.0, 300_000.0), (480_200.0, 300_000.0)])
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"length_m": [-1.0]}, "not negative"),
        ({"length_m": [np.nan]}, "finite"),
        ({"v": [5]}, "node indices"),
        ({"node_id": [1, 1]}, "unique"),
        ({"mode": "cycle"}, "mode"),
    ],
)
def test_from_arrays_refuses_bad_input(kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {
        "node_id": [1, 2],
        "x_m": [0.0, 1.0],
        "y_m": [0.0, 0.0],
        "u": [0],
        "v": [1],
        "length_m": [1.0],
        "mode": "walk",
    }
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=message):
        from_arrays(**arguments)  # type: ignore[arg-type]


def test_from_arrays_does_not_mutate_inputs() -> None:
    u = np.array([1, 0])
    v = np.array([0, 1])
    length = np.array([10.0, 10.0])
    from_arrays([7, 8], [0.0, 10.0], [0.0, 0.0], u, v, length, mode="walk")
    assert u.tolist() == [1, 0]
    assert v.tolist() == [0, 1]


def osmnx_style_graph(crs: str = "EPSG:27700") -> nx.MultiDiGraph:
    graph = nx.MultiDiGraph(crs=crs)
    graph.add_node(30, x=200.0, y=0.0)
    graph.add_node(10, x=0.0, y=0.0)
    graph.add_node(20, x=100.0, y=0.0)
    graph.add_edge(10, 20, length=100.0, highway="residential")
    graph.add_edge(20, 10, length=100.0, highway="residential")
    graph.add_edge(
        20,
        30,
        length=120.0,
        highway=["footway", "service"],
        geometry=shapely.LineString([(100, 0), (150, 30), (200, 0)]),
    )
    graph.add_edge(20, 30, length=110.0, highway="footway")
    return graph


def test_from_networkx_sorts_nodes_and_converts_edges() -> None:
    net = from_networkx(osmnx_style_graph(), mode="drive")
    assert net.node_id.tolist() == [10, 20, 30]
    assert net.x_m.tolist() == [0.0, 100.0, 200.0]
    assert net.graph[1, 2] == 110.0  # the shorter of the parallel pair
    assert net.graph[2, 1] == 0.0
    assert net.graph[0, 1] == net.graph[1, 0] == 100.0
    assert "footway;service" in set(net.edges["highway"])
    curved = net.edges.loc[net.edges["length_m"] == 120.0, "geometry"].iloc[0]
    assert len(shapely.get_coordinates(curved)) == 3


def test_from_networkx_walk_is_undirected() -> None:
    net = from_networkx(osmnx_style_graph(), mode="walk")
    assert net.graph[2, 1] == 110.0
    assert net.n_edges == 3  # 10-20 once, the two distinct 20-30 streets


def test_from_networkx_refuses_unprojected_graph() -> None:
    with pytest.raises(ValueError, match="EPSG:27700"):
        from_networkx(osmnx_style_graph("epsg:4326"), mode="walk")


def two_islands() -> StreetNetwork:
    # 0-1-2 is one street, 3-4 another far away, 5 alone.
    return from_arrays(
        [1, 2, 3, 4, 5, 6],
        [0.0, 100.0, 200.0, 5000.0, 5100.0, 9000.0],
        [0.0] * 6,
        [0, 1, 3],
        [1, 2, 4],
        [100.0, 100.0, 100.0],
        mode="walk",
    )


def test_largest_component_keeps_biggest_island() -> None:
    net = two_islands()
    assert not is_connected(net)
    largest = largest_component(net)
    assert largest.node_id.tolist() == [1, 2, 3]
    assert is_connected(largest)
    assert largest.n_edges == 2
    assert net.n_nodes == 6  # the input is untouched


def test_largest_strong_component_of_one_way_loop_with_spur() -> None:
    # A one-way triangle 0->1->2->0 and a one-way spur 2->3: weakly one piece, strongly not.
    net = from_arrays(
        [1, 2, 3, 4],
        [0.0, 100.0, 50.0, 50.0],
        [0.0, 0.0, 80.0, 200.0],
        [0, 1, 2, 2],
        [1, 2, 0, 3],
        [100.0, 100.0, 100.0, 120.0],
        mode="drive",
    )
    assert is_connected(net)
    assert not is_connected(net, strongly=True)
    strong = largest_component(net, strongly=True)
    assert strong.node_id.tolist() == [1, 2, 3]
    assert is_connected(strong, strongly=True)


def test_clip_to_area_uses_the_margin() -> None:
    net = line_network(5)  # x = 480000 .. 480400
    box = shapely.box(479_950.0, 299_950.0, 480_150.0, 300_050.0)
    assert clip_to_area(net, box).node_id.tolist() == [100, 101]
    clipped = clip_to_area(net, box, margin_m=60.0)
    assert clipped.node_id.tolist() == [100, 101, 102]
    assert clipped.n_edges == 2
    assert clipped.graph[1, 2] == 100.0


def test_clip_to_area_refuses_negative_margin() -> None:
    with pytest.raises(ValueError, match="margin_m"):
        clip_to_area(line_network(), shapely.box(0, 0, 1, 1), margin_m=-5.0)


def test_to_networkx_matches_graph() -> None:
    net = from_networkx(osmnx_style_graph(), mode="drive")
    graph = to_networkx(net)
    assert isinstance(graph, nx.DiGraph)
    assert graph.number_of_nodes() == 3
    assert graph[1][2]["length"] == 110.0
    assert not graph.has_edge(2, 1)
    assert graph.nodes[0]["osmid"] == 10
    walk = to_networkx(line_network())
    assert not walk.is_directed()
    assert nx.shortest_path_length(walk, 0, 4, weight="length") == 400.0


def test_routing_core_contracts_a_street_to_its_ends() -> None:
    core = line_network(5).routing_core
    assert core.core.tolist() == [0, 4]
    assert core.chain.tolist() == [-1, 0, 0, 0, -1]
    assert core.along_m[1:4].tolist() in ([100.0, 200.0, 300.0], [300.0, 200.0, 100.0])
    assert core.chain_length_m.tolist() == [400.0]
    assert core.graph.toarray().tolist() == [[0.0, 400.0], [400.0, 0.0]]
    assert sorted(core.members.tolist()) == [1, 2, 3]


def test_routing_core_breaks_rings_and_loops() -> None:
    # A ring of six 100 m streets, every node with two neighbours.
    ring = from_arrays(
        np.arange(6),
        np.arange(6) * 10.0,
        np.zeros(6),
        np.arange(6),
        (np.arange(6) + 1) % 6,
        np.full(6, 100.0),
        mode="walk",
    )
    core = ring.routing_core
    # Node 0 is made core to break the ring, then node 1 to break the loop from 0 back to 0.
    assert core.core.tolist() == [0, 1]
    assert (core.end0 != core.end1).all()
    assert core.chain_length_m.tolist() == [500.0]  # 1-2-3-4-5-0
    assert core.graph[0, 1] == 100.0  # the direct street beats the 500 m chain
    along = core.along_m[[2, 3, 4, 5]].tolist()
    assert along in ([100.0, 200.0, 300.0, 400.0], [400.0, 300.0, 200.0, 100.0])


def test_routing_core_is_only_for_walking() -> None:
    with pytest.raises(ValueError, match="walking"):
        _ = line_network(mode="drive").routing_core
