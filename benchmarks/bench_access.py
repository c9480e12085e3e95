"""Walking access: nearest venue for every node or premises, against networkx.

The baseline is what most osmnx users write: ``networkx.multi_source_dijkstra_path_length`` on the
same graph (here with a virtual source joined to each venue's node by its snap distance, so both
sides answer exactly the same question).  Graph building and snapping are excluded from the
baseline's time; our premises figures include snapping.  Distances are checked to agree before
any figure is reported.

Suites:

* Rutland (real OpenStreetMap, ``rutland-2018-02-27.osm.pbf``): the walking network clipped to
  the 15 wards with a 500 m margin; venues are the OSM libraries and community centres; the
  "premises" are every graph node, then 100,000 seeded random points along the streets.
* The demo borough (``geo.sources.demo.build_demo_borough``), when that module exists.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import tempfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import numpy.typing as npt
import shapely

from benchmarks import Row, best_of
from geo.access import catchment_polygons, nearest_facility, premises_access, snap_points
from geo.network import StreetNetwork, build_routing_core, to_networkx
from geo.sources.osm import read_street_network
from tests.shared_data import SHARED_DATA

SUITE = "access"
RUTLAND_PBF = SHARED_DATA / "osm" / "rutland-2018-02-27.osm.pbf"
RUTLAND_WARDS = SHARED_DATA / "rutland" / "rutland_wards_2023.geojson"
RUTLAND_POIS = SHARED_DATA / "osm" / "rutland_community_digital_pois_2018.geojson"
SPEED_GOAL = 20.0
DEMO_GOAL_S = 0.2


def _networkx_nearest(
    graph: nx.Graph | nx.DiGraph,
    n_nodes: int,
    venue_nodes: npt.NDArray[np.intp],
    venue_offset_m: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """networkx multi-source Dijkstra from a virtual node joined to each venue by its offset."""
    source = "venues"
    graph.add_node(source)
    for node, offset in zip(venue_nodes.tolist(), venue_offset_m.tolist(), strict=True):
        previous = graph.get_edge_data(source, node)
        if previous is None or previous["length"] > offset:
            graph.add_edge(source, node, length=offset)
    try:
        lengths = nx.multi_source_dijkstra_path_length(graph, {source}, weight="length")
    finally:
        graph.remove_node(source)
    distance = np.full(n_nodes, np.inf)
    reached = [node for node in lengths if node != source]
    distance[reached] = [lengths[node] for node in reached]
    return distance


def _towards_venues(net: StreetNetwork) -> nx.Graph | nx.DiGraph:
    graph = to_networkx(net)
    return graph.reverse(copy=True) if net.directed else graph


def _random_points_on_streets(net: StreetNetwork, count: int, *, seed: int) -> npt.NDArray[Any]:
    rng = np.random.default_rng(seed)
    lines = np.asarray(net.edges.geometry.array, dtype=object)
    weights = net.edges["length_m"].to_numpy(dtype=np.float64)
    chosen = rng.choice(lines.shape[0], size=count, p=weights / weights.sum())
    points = shapely.line_interpolate_point(lines[chosen], rng.random(count), normalized=True)
    # Premises stand back from the street by up to 30 m.
    coords = shapely.get_coordinates(points) + rng.uniform(-30.0, 30.0, size=(count, 2))
    return coords


def _rutland_rows() -> list[Row]:
    wards = gpd.read_file(RUTLAND_WARDS).to_crs("EPSG:27700")
    net = read_street_network(RUTLAND_PBF, mode="walk", clip_to=wards.union_all(), margin_m=500.0)
    pois = gpd.read_file(RUTLAND_POIS).to_crs("EPSG:27700")
    venues = pois.loc[pois["amenity"].isin(["library", "community_centre"])]
    venue_node, venue_snap_m = snap_points(net, venues.geometry.x, venues.geometry.y)
    label = f"Rutland walk ({net.n_nodes:,} nodes, {len(venues)} venues)"

    core_s, _ = best_of(lambda: build_routing_core(net), repeats=3)
    _ = net.routing_core  # built once per network, like the graph: excluded below
    ours_s, (distance, _) = best_of(
        lambda: nearest_facility(net, venue_node, facility_offset_m=venue_snap_m), repeats=21
    )
    graph = _towards_venues(net)
    baseline_s, expected = best_of(
        lambda: _networkx_nearest(graph, net.n_nodes, venue_node, venue_snap_m), repeats=5
    )
    if not np.allclose(distance, expected):
        raise AssertionError("Rutland: our nearest-venue distances differ from networkx")
    rows = [
        Row(
            SUITE,
            f"{label}: nearest venue for every node (graph and routing-core build excluded)",
            ours_s,
            "s",
            "networkx multi_source_dijkstra_path_length",
            baseline_s,
            f">= {SPEED_GOAL:g}x faster than networkx",
            baseline_s / ours_s >= SPEED_GOAL,
        )
    ]

    rows.append(
        Row(
            SUITE,
            f"{label}: routing core (chains contracted), built once per network",
            core_s,
            "s",
            "-",
            None,
            "< 0.5 s",
            core_s < 0.5,
        )
    )
    xy = _random_points_on_streets(net, 100_000, seed=20180227)
    access_s, frame = best_of(
        lambda: premises_access(net, xy[:, 0], xy[:, 1], venues.geometry.x, venues.geometry.y, k=3),
        repeats=3,
    )
    node, snap_m = snap_points(net, xy[:, 0], xy[:, 1])
    check = expected[node] + snap_m
    if not np.allclose(frame["distance_m"].to_numpy(), check):
        raise AssertionError("Rutland: premises_access distances differ from networkx")
    rows.append(
        Row(
            SUITE,
            f"{label}: premises_access, 100,000 seeded premises, k=3 (snapping included)",
            access_s,
            "s",
            "-",
            None,
            "< 1 s",
            access_s < 1.0,
        )
    )
    catchment_s, _ = best_of(
        lambda: catchment_polygons(net, venue_node, thresholds_min=(5.0, 10.0, 15.0)), repeats=3
    )
    rows.append(
        Row(
            SUITE,
            f"{label}: 5/10/15-minute catchment polygons of every venue",
            catchment_s,
            "s",
            "-",
            None,
            "< 2 s",
            catchment_s < 2.0,
        )
    )
    return rows


def _demo_rows() -> list[Row]:
    if importlib.util.find_spec("geo.sources.demo") is None:
        print(
            "bench_access: geo.sources.demo does not exist; demo borough skipped", file=sys.stderr
        )
        return []
    demo = importlib.import_module("geo.sources.demo")
    build = getattr(demo, "build_demo_borough", None)
    if build is None:
        print("bench_access: no build_demo_borough in geo.sources.demo; skipped", file=sys.stderr)
        return []
    with tempfile.TemporaryDirectory() as workdir:
        borough = build(workdir=Path(workdir))
    net: StreetNetwork = borough.walk_network
    points = borough.premises.geometry
    venues = borough.venues.geometry
    px, py = points.x.to_numpy(), points.y.to_numpy()
    vx, vy = venues.x.to_numpy(), venues.y.to_numpy()
    label = f"demo borough ({len(px):,} premises, {len(vx)} venues, {net.n_nodes:,} nodes)"

    # Distances only: both sides get the premises' and venues' nodes and snap distances.
    node, snap_m = snap_points(net, px, py)
    venue_node, venue_snap_m = snap_points(net, vx, vy)
    _ = net.routing_core  # built once per network, like the graph: excluded

    def ours() -> npt.NDArray[np.float64]:
        distance, _ = nearest_facility(net, venue_node, facility_offset_m=venue_snap_m)
        return distance[node] + snap_m

    graph = _towards_venues(net)

    def baseline() -> npt.NDArray[np.float64]:
        return _networkx_nearest(graph, net.n_nodes, venue_node, venue_snap_m)[node] + snap_m

    ours_s, distance = best_of(ours, repeats=21)
    baseline_s, expected = best_of(baseline, repeats=7)
    if not np.allclose(distance, expected):
        raise AssertionError("demo borough: our nearest-venue distances differ from networkx")

    # The whole call a page makes: snapping, search and the table.
    access_s, frame = best_of(lambda: premises_access(net, px, py, vx, vy, k=1), repeats=7)
    full_baseline_s, _ = best_of(
        lambda: _networkx_nearest(graph, net.n_nodes, *snap_points(net, vx, vy))[
            snap_points(net, px, py)[0]
        ],
        repeats=7,
    )
    if not np.allclose(frame["distance_m"].to_numpy(), expected):
        raise AssertionError("demo borough: premises_access distances differ from networkx")
    return [
        Row(
            SUITE,
            f"{label}: nearest-venue distance for every premises "
            "(graph build and snapping excluded)",
            ours_s,
            "s",
            "networkx multi_source_dijkstra_path_length",
            baseline_s,
            f">= {SPEED_GOAL:g}x faster than networkx",
            baseline_s / ours_s >= SPEED_GOAL,
        ),
        Row(
            SUITE,
            f"{label}: premises_access for every premises, k=1 (snapping and table included)",
            access_s,
            "s",
            "networkx + the same snapping",
            full_baseline_s,
            f"< {DEMO_GOAL_S:g} s",
            access_s < DEMO_GOAL_S,
        ),
    ]


def run() -> list[Row]:
    """Measure nearest-venue search on Rutland and the demo borough."""
    return _rutland_rows() + _demo_rows()
