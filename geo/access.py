"""Walking (or driving) access from premises to venues along the street network.

Every function works on a :class:`geo.network.StreetNetwork` (EPSG:27700, metres) and searches
from the venues with ``scipy.sparse.csgraph.dijkstra`` (one call, or one per block of venues to
bound memory), so the cost does not grow with the number of premises beyond one array lookup
each.  Distances run *from* a node *to* a venue: on a driving network (one-way streets) the
search runs on the reversed graph.

Defaults follow the usual planning convention of 80 metres a minute (4.8 km/h), so 5, 10 and 15
minutes are 400, 800 and 1,200 metres along the streets.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from geo.network import BNG, StreetNetwork

__all__ = [
    "WALK_SPEED_M_PER_MIN",
    "catchment_polygons",
    "k_nearest_facilities",
    "nearest_facility",
    "premises_access",
    "share_within",
    "snap_points",
]

WALK_SPEED_M_PER_MIN = 80.0
"""Default walking speed: 80 metres a minute (4.8 km/h)."""

# Largest dijkstra output (sources x nodes) computed at once, about 160 MB of float64.
_MAX_MATRIX_CELLS = 20_000_000


def snap_points(
    net: StreetNetwork, x_m: npt.ArrayLike, y_m: npt.ArrayLike
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float64]]:
    """Snap points to their nearest network node, all in one vectorised query.

    Parameters
    ----------
    net:
        The network (EPSG:27700).
    x_m, y_m:
        Point eastings and northings, EPSG:27700 metres, same length.

    Returns
    -------
    node_index:
        Index of the nearest node of each point (int).
    snap_distance_m:
        Straight-line distance from each point to that node, metres.

    Raises
    ------
    ValueError
        If the network has no nodes, the arrays differ in length or a coordinate is not finite.
    """
    xs = np.asarray(x_m, dtype=np.float64).ravel()
    ys = np.asarray(y_m, dtype=np.float64).ravel()
    if xs.shape != ys.shape:
        raise ValueError("x_m and y_m must have the same length")
    if not (np.isfinite(xs).all() and np.isfinite(ys).all()):
        raise ValueError("point coordinates must be finite EPSG:27700 metres")
    if net.n_nodes == 0:
        raise ValueError("the network has no nodes to snap to")
    if xs.shape[0] == 0:
        return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.float64)
    tree = cKDTree(np.column_stack([net.x_m, net.y_m]))
    distance_m, node_index = tree.query(np.column_stack([xs, ys]), k=1)
    return np.asarray(node_index, dtype=np.intp), np.asarray(distance_m, dtype=np.float64)


def _towards(net: StreetNetwork) -> sp.csr_matrix:
    """The graph to search from the venues so that distances run node -> venue."""
    return net.reversed_graph if net.directed else net.graph


def _facility_nodes(net: StreetNetwork, facility_nodes: npt.ArrayLike) -> npt.NDArray[np.intp]:
    nodes = np.asarray(facility_nodes).ravel()
    if nodes.shape[0] and not np.issubdtype(nodes.dtype, np.integer):
        raise ValueError("facility nodes must be integer node indices (see snap_points)")
    nodes = nodes.astype(np.intp)
    if nodes.shape[0] and (nodes.min() < 0 or nodes.max() >= net.n_nodes):
        raise ValueError(f"facility nodes must be node indices in 0..{net.n_nodes - 1}")
    return nodes


def _offsets(offset_m: npt.ArrayLike | None, count: int) -> npt.NDArray[np.float64]:
    if offset_m is None:
        return np.zeros(count, dtype=np.float64)
    offsets = np.asarray(offset_m, dtype=np.float64).ravel()
    if offsets.shape != (count,):
        raise ValueError("facility_offset_m needs one distance per facility")
    if not np.isfinite(offsets).all() or (offsets < 0).any():
        raise ValueError("facility_offset_m must be finite distances in metres >= 0")
    return offsets


def _limit(limit_m: float | None) -> float:
    if limit_m is None:
        return np.inf
    if not limit_m >= 0:
        raise ValueError(f"limit_m must be a distance in metres >= 0, not {limit_m!r}")
    return float(limit_m)


def nearest_facility(
    net: StreetNetwork,
    facility_nodes: npt.ArrayLike,
    *,
    limit_m: float | None = None,
    facility_offset_m: npt.ArrayLike | None = None,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Network distance from every node to its nearest facility, in one multi-source search.

    Each facility is a virtual source joined to its node by its offset, so one min-only
    ``dijkstra`` call answers for every node.  On a walking network that search runs on the
    network's :attr:`~geo.network.StreetNetwork.routing_core` (chains of two-neighbour nodes
    contracted, built once per network) and chain nodes are then placed between their chain's
    ends: the same distances, several times faster on unsimplified OSM networks.

    Parameters
    ----------
    net:
        The network (EPSG:27700, metres).
    facility_nodes:
        Node index of each facility (from :func:`snap_points`); repeats are allowed.
    limit_m:
        Stop searching beyond this many metres: farther nodes get ``inf``.  None searches the
        whole network.
    facility_offset_m:
        Extra metres to add for each facility (e.g. the distance from its node to its door), so
        that the nearest facility is the one nearest *including* the offset.

    Returns
    -------
    distance_m:
        Shortest distance in metres from each node to a facility (``inf`` if none is reachable
        within ``limit_m``), shape ``(N,)``.
    facility:
        Position in ``facility_nodes`` of that facility, ``-1`` where unreachable, shape
        ``(N,)``.  Where two facilities are equally near (or one node is listed twice), either
        may be reported: the search settles ties in its own order.
    """
    nodes = _facility_nodes(net, facility_nodes)
    n = net.n_nodes
    count = nodes.shape[0]
    if count == 0:
        return np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
    offsets = _offsets(facility_offset_m, count)
    limit = _limit(limit_m)
    if not net.directed:
        return _nearest_on_core(net, nodes, offsets, limit)
    return _nearest_on_graph(_towards(net), nodes, offsets, limit)


def _with_sources(
    graph: sp.csr_matrix, targets: npt.NDArray[np.intp], weights: npt.NDArray[np.float64]
) -> sp.csr_matrix:
    """``graph`` plus one virtual node per (target, weight), with one edge to its target.

    Appending rows to the CSR arrays directly avoids a sparse stack on every call.
    """
    n = graph.shape[0]
    count = targets.shape[0]
    # csgraph works on int32 indices: matching them here saves a conversion on every search.
    index_type = graph.indices.dtype
    return sp.csr_matrix(
        (
            np.concatenate([graph.data, weights]),
            np.concatenate([graph.indices, targets.astype(index_type)]),
            np.concatenate(
                [graph.indptr, graph.indptr[-1] + np.arange(1, count + 1, dtype=graph.indptr.dtype)]
            ),
        ),
        shape=(n + count, n + count),
        copy=False,
    )


def _nearest_on_graph(
    graph: sp.csr_matrix,
    nodes: npt.NDArray[np.intp],
    offsets: npt.NDArray[np.float64],
    limit: float,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """One min-only search from a virtual source per facility, joined by its offset."""
    n = graph.shape[0]
    count = nodes.shape[0]
    distance, _, source = dijkstra(
        _with_sources(graph, nodes, offsets),
        directed=True,
        indices=np.arange(n, n + count),
        limit=limit,
        min_only=True,
        return_predecessors=True,
    )
    facility = np.where(source >= n, source - n, -1).astype(np.int64)[:n]
    return np.asarray(distance[:n], dtype=np.float64), facility


def _nearest_on_core(
    net: StreetNetwork,
    nodes: npt.NDArray[np.intp],
    offsets: npt.NDArray[np.float64],
    limit: float,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """As :func:`_nearest_on_graph` for a walking network, searching only its routing core."""
    core = net.routing_core
    n = net.n_nodes
    k = core.core.shape[0]
    count = nodes.shape[0]
    position = np.arange(count, dtype=np.int64)
    on_core = core.core_of[nodes] >= 0
    chain = core.chain[nodes]
    along = core.along_m[nodes]
    # A facility on the core joins the search at its node; one part-way along a chain joins at
    # both ends of its chain, each by the distance along the chain.
    on_chain = ~on_core
    chain_on = chain[on_chain]
    targets = np.concatenate(
        [core.core_of[nodes[on_core]], core.end0[chain_on], core.end1[chain_on]]
    )
    weights = np.concatenate(
        [
            offsets[on_core],
            offsets[on_chain] + along[on_chain],
            offsets[on_chain] + core.chain_length_m[chain_on] - along[on_chain],
        ]
    )
    owner = np.concatenate([position[on_core], position[on_chain], position[on_chain]])
    core_distance, _, source = dijkstra(
        _with_sources(core.graph, targets, weights),
        directed=True,
        indices=np.arange(k, k + targets.shape[0]),
        limit=limit,
        min_only=True,
        return_predecessors=True,
    )
    core_distance = core_distance[:k]
    core_facility = np.where(source[:k] >= k, owner[np.maximum(source[:k] - k, 0)], -1)
    distance = np.full(n, np.inf)
    facility = np.full(n, -1, dtype=np.int64)
    distance[core.core] = core_distance
    facility[core.core] = core_facility
    # Chain nodes: the better of their chain's two ends.
    inner = np.flatnonzero(core.chain >= 0)
    inner_chain = core.chain[inner]
    via0 = core_distance[core.end0[inner_chain]] + core.along_m[inner]
    via1 = (
        core_distance[core.end1[inner_chain]]
        + core.chain_length_m[inner_chain]
        - core.along_m[inner]
    )
    use1 = via1 < via0
    distance[inner] = np.where(use1, via1, via0)
    facility[inner] = np.where(
        use1, core_facility[core.end1[inner_chain]], core_facility[core.end0[inner_chain]]
    )
    # Chain nodes may also reach a facility on their own chain without leaving it.
    if on_chain.any():
        start = core.member_start[chain_on]
        size = core.member_start[chain_on + 1] - start
        which = np.repeat(np.arange(chain_on.shape[0]), size)
        rank = np.arange(which.shape[0]) - np.repeat(np.cumsum(size) - size, size)
        member = core.members[np.repeat(start, size) + rank]
        direct = offsets[on_chain][which] + np.abs(core.along_m[member] - along[on_chain][which])
        better = direct < distance[member]
        member, direct = member[better], direct[better]
        owner_of = position[on_chain][which[better]]
        # Several facilities on one chain: keep the smallest per node.
        order = np.lexsort((direct, member))
        member, direct, owner_of = member[order], direct[order], owner_of[order]
        first = np.ones(member.shape[0], dtype=bool)
        first[1:] = member[1:] != member[:-1]
        distance[member[first]] = direct[first]
        facility[member[first]] = owner_of[first]
    distance[distance > limit] = np.inf
    facility[~np.isfinite(distance)] = -1
    return distance, facility


def k_nearest_facilities(
    net: StreetNetwork,
    facility_nodes: npt.ArrayLike,
    k: int,
    *,
    limit_m: float | None = None,
    facility_offset_m: npt.ArrayLike | None = None,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """The ``k`` nearest facilities of every node, by network distance.

    Runs dijkstra from the facilities (in blocks that keep memory bounded) and keeps the ``k``
    smallest per node with a vectorised sort.

    Parameters
    ----------
    net:
        The network (EPSG:27700, metres).
    facility_nodes:
        Node index of each facility (from :func:`snap_points`).
    k:
        How many facilities to return per node (>= 1).  Missing ones (fewer facilities, or out
        of reach) are ``inf`` / ``-1``.
    limit_m:
        Ignore facilities farther than this many metres (offset included).
    facility_offset_m:
        Extra metres to add for each facility, as in :func:`nearest_facility`.

    Returns
    -------
    distance_m:
        ``(N, k)`` metres, nearest first in each row.
    facility:
        ``(N, k)`` positions in ``facility_nodes``; ties go to the facility listed first.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k!r}")
    nodes = _facility_nodes(net, facility_nodes)
    n = net.n_nodes
    count = nodes.shape[0]
    offsets = _offsets(facility_offset_m, count)
    limit = _limit(limit_m)
    best_distance = np.full((n, k), np.inf)
    best_facility = np.full((n, k), -1, dtype=np.int64)
    if count == 0 or n == 0:
        return best_distance, best_facility
    graph = _towards(net)
    block = max(1, _MAX_MATRIX_CELLS // n)
    for start in range(0, count, block):
        stop = min(start + block, count)
        distance = dijkstra(graph, directed=True, indices=nodes[start:stop], limit=limit)
        distance = distance + offsets[start:stop, None]
        distance[distance > limit] = np.inf
        positions = np.broadcast_to(np.arange(start, stop, dtype=np.int64)[:, None], distance.shape)
        candidate_distance = np.concatenate([best_distance, distance.T], axis=1)
        candidate_facility = np.concatenate([best_facility, positions.T], axis=1)
        # Unreached candidates rank last whatever their position.
        rank_facility = np.where(
            np.isfinite(candidate_distance), candidate_facility, np.iinfo(np.int64).max
        )
        order = np.lexsort((rank_facility, candidate_distance), axis=-1)[:, :k]
        best_distance = np.take_along_axis(candidate_distance, order, axis=1)
        best_facility = np.take_along_axis(candidate_facility, order, axis=1)
    best_facility[~np.isfinite(best_distance)] = -1
    return best_distance, best_facility


def _as_index(values: npt.ArrayLike) -> pd.Index | None:
    return values.index if isinstance(values, pd.Series) else None


def premises_access(
    net: StreetNetwork,
    premises_x_m: npt.ArrayLike,
    premises_y_m: npt.ArrayLike,
    venue_x_m: npt.ArrayLike,
    venue_y_m: npt.ArrayLike,
    *,
    k: int = 3,
    walk_speed_m_per_min: float = WALK_SPEED_M_PER_MIN,
    limit_m: float | None = None,
) -> pd.DataFrame:
    """Walking distance and time from every premises to its nearest venues.

    Premises and venues are snapped to their nearest network node; a trip's distance is the
    premises' snap distance plus the network distance plus the venue's snap distance (the venue
    with the smallest such total is the nearest).

    Parameters
    ----------
    net:
        The network (EPSG:27700, metres).
    premises_x_m, premises_y_m:
        Premises eastings and northings, EPSG:27700 metres.  If ``premises_x_m`` is a pandas
        Series the result takes its index.
    venue_x_m, venue_y_m:
        Venue eastings and northings, EPSG:27700 metres.
    k:
        How many nearest venues to list per premises (>= 1).
    walk_speed_m_per_min:
        Walking speed in metres a minute (80 = 4.8 km/h).
    limit_m:
        Ignore venues farther than this many metres in total: they count as unreachable.

    Returns
    -------
    pandas.DataFrame
        One row per premises, columns ``nearest_venue`` (position of the venue in the input,
        ``-1`` if none reachable), ``distance_m``, ``time_min``, ``reachable`` (bool),
        ``snap_distance_m`` (premises to its node) and, for ``i`` in ``1..k``, ``venue_k{i}`` and
        ``distance_k{i}_m``.  Unreachable distances and times are ``inf``.
    """
    if not walk_speed_m_per_min > 0:
        raise ValueError(
            f"walk_speed_m_per_min must be a speed above 0, not {walk_speed_m_per_min!r}"
        )
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k!r}")
    limit = _limit(limit_m)
    premises_node, premises_snap_m = snap_points(net, premises_x_m, premises_y_m)
    venue_node, venue_snap_m = snap_points(net, venue_x_m, venue_y_m)
    if k == 1:
        node_distance, node_venue = nearest_facility(
            net, venue_node, limit_m=limit_m, facility_offset_m=venue_snap_m
        )
        node_distance, node_venue = node_distance[:, None], node_venue[:, None]
    else:
        node_distance, node_venue = k_nearest_facilities(
            net, venue_node, k, limit_m=limit_m, facility_offset_m=venue_snap_m
        )
    distance_m = node_distance[premises_node] + premises_snap_m[:, None]
    venue = node_venue[premises_node]
    out_of_reach = ~(distance_m <= limit)
    distance_m[out_of_reach] = np.inf
    venue[out_of_reach] = -1
    columns: dict[str, npt.NDArray[np.generic]] = {
        "nearest_venue": venue[:, 0],
        "distance_m": distance_m[:, 0],
        "time_min": distance_m[:, 0] / walk_speed_m_per_min,
        "reachable": np.isfinite(distance_m[:, 0]),
        "snap_distance_m": premises_snap_m,
    }
    for i in range(k):
        columns[f"venue_k{i + 1}"] = venue[:, i]
        columns[f"distance_k{i + 1}_m"] = distance_m[:, i]
    return pd.DataFrame(columns, index=_as_index(premises_x_m))


def _line_pieces(
    lines: npt.NDArray[np.object_],
    start_fraction: npt.NDArray[np.float64],
    end_fraction: npt.NDArray[np.float64],
) -> npt.NDArray[np.object_]:
    """Part of each line between two fractions of its length (0 = start, 1 = end), vectorised."""
    count = lines.shape[0]
    if count == 0:
        return np.empty(0, dtype=object)
    coords, owner = shapely.get_coordinates(lines, return_index=True)
    step = np.zeros(coords.shape[0])
    same = owner[1:] == owner[:-1]
    step[1:] = np.where(same, np.hypot(*(coords[1:] - coords[:-1]).T), 0.0)
    along = np.cumsum(step)
    first = np.searchsorted(owner, np.arange(count))
    along -= along[first][owner]
    total = np.bincount(owner, weights=step, minlength=count)
    fraction = along / np.where(total > 0, total, 1.0)[owner]
    inside = (fraction > start_fraction[owner]) & (fraction < end_fraction[owner])
    start = shapely.get_coordinates(
        shapely.line_interpolate_point(lines, start_fraction, normalized=True)
    )
    end = shapely.get_coordinates(
        shapely.line_interpolate_point(lines, end_fraction, normalized=True)
    )
    piece = np.concatenate([np.arange(count), owner[inside], np.arange(count)])
    key = np.concatenate([np.full(count, -1.0), fraction[inside], np.full(count, 2.0)])
    points = np.concatenate([start, coords[inside], end])
    order = np.lexsort((key, piece))
    return np.asarray(shapely.linestrings(points[order], indices=piece[order]), dtype=object)


def catchment_polygons(
    net: StreetNetwork,
    venue_nodes: npt.ArrayLike,
    *,
    thresholds_min: Sequence[float] = (5.0, 10.0, 15.0),
    walk_speed_m_per_min: float = WALK_SPEED_M_PER_MIN,
    buffer_m: float = 40.0,
) -> gpd.GeoDataFrame:
    """Walking catchment polygons of venues: the streets within each time, buffered.

    A catchment is the union, buffered by ``buffer_m``, of every street reachable from the
    venue within the time: whole edges whose ends are both close enough, and the reachable part
    of edges at the edge of the catchment (so long streets are cut at the exact distance), plus
    a disc round the venue's node.

    Parameters
    ----------
    net:
        The network (EPSG:27700, metres).
    venue_nodes:
        Node index of each venue (from :func:`snap_points`).
    thresholds_min:
        Walking times in minutes.
    walk_speed_m_per_min:
        Walking speed in metres a minute (80 = 4.8 km/h).
    buffer_m:
        How far either side of a street counts as reached, metres (> 0).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per venue and threshold, venue-major, with columns ``venue`` (position in
        ``venue_nodes``), ``node``, ``threshold_min``, ``distance_m`` (the threshold as a
        distance) and ``geometry`` (Polygon or MultiPolygon, EPSG:27700).
    """
    if not walk_speed_m_per_min > 0:
        raise ValueError(
            f"walk_speed_m_per_min must be a speed above 0, not {walk_speed_m_per_min!r}"
        )
    if not buffer_m > 0:
        raise ValueError(f"buffer_m must be a distance above 0 metres, not {buffer_m!r}")
    times = np.asarray(thresholds_min, dtype=np.float64).ravel()
    if times.shape[0] == 0 or not np.isfinite(times).all() or (times < 0).any():
        raise ValueError("thresholds_min must be one or more times in minutes >= 0")
    nodes = _facility_nodes(net, venue_nodes)
    reach_m = times * walk_speed_m_per_min
    n_venues, n_times = nodes.shape[0], times.shape[0]
    columns = {
        "venue": np.repeat(np.arange(n_venues, dtype=np.int64), n_times),
        "node": np.repeat(nodes.astype(np.int64), n_times),
        "threshold_min": np.tile(times, n_venues),
        "distance_m": np.tile(reach_m, n_venues),
    }
    if n_venues == 0:
        return gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries([], crs=BNG), crs=BNG)
    u = net.edges["u"].to_numpy(dtype=np.intp)
    v = net.edges["v"].to_numpy(dtype=np.intp)
    length_m = net.edges["length_m"].to_numpy(dtype=np.float64)
    lines = np.asarray(net.edges.geometry.array, dtype=object)
    safe_length = np.where(length_m > 0, length_m, 1.0)
    graph = _towards(net)
    # Keep the (venues, thresholds, edges) masks to about _MAX_MATRIX_CELLS / 10 cells a block.
    block = max(1, _MAX_MATRIX_CELLS // (10 * n_times * max(u.shape[0], net.n_nodes, 1)))
    group_geometry: list[npt.NDArray[np.object_]] = []
    group_index: list[npt.NDArray[np.intp]] = []
    for start in range(0, n_venues, block):
        stop = min(start + block, n_venues)
        distance = dijkstra(graph, directed=True, indices=nodes[start:stop], limit=reach_m.max())
        # Reachable share of each edge from its v end (and, walking, from its u end too) for
        # every venue x threshold: shape (venues, thresholds, edges).
        spare_v = reach_m[None, :, None] - distance[:, None, v]
        from_v = np.clip(spare_v / safe_length, 0.0, 1.0)
        from_v[(spare_v >= 0) & (length_m == 0)] = 1.0
        if net.directed:
            from_u = np.zeros_like(from_v)
        else:
            spare_u = reach_m[None, :, None] - distance[:, None, u]
            from_u = np.clip(spare_u / safe_length, 0.0, 1.0)
            from_u[(spare_u >= 0) & (length_m == 0)] = 1.0
        whole = from_u + from_v >= 1.0
        head = ~whole & (from_u > 0)
        tail = ~whole & (from_v > 0)
        group = np.arange(start * n_times, stop * n_times).reshape(stop - start, n_times)
        group_of = np.broadcast_to(group[:, :, None], whole.shape)
        edge_of = np.broadcast_to(np.arange(u.shape[0])[None, None, :], whole.shape)
        group_geometry.append(lines[edge_of[whole]])
        group_index.append(group_of[whole])
        group_geometry.append(
            _line_pieces(lines[edge_of[head]], np.zeros(int(head.sum())), from_u[head])
        )
        group_index.append(group_of[head])
        group_geometry.append(
            _line_pieces(lines[edge_of[tail]], 1.0 - from_v[tail], np.ones(int(tail.sum())))
        )
        group_index.append(group_of[tail])
    # The venue's own node, so that every group has a part and a venue off the streets still
    # gets its disc.
    group_geometry.append(
        np.asarray(shapely.points(net.x_m[columns["node"]], net.y_m[columns["node"]]), dtype=object)
    )
    group_index.append(np.arange(n_venues * n_times))
    parts = np.concatenate(group_geometry)
    index = np.concatenate(group_index)
    order = np.argsort(index, kind="stable")
    # Buffering every piece then a cascaded union per group is about ten times faster in GEOS
    # than buffering each group's collection of lines in one go.
    discs = np.asarray(shapely.buffer(parts[order], buffer_m), dtype=object)
    bounds = np.searchsorted(index[order], np.arange(n_venues * n_times + 1))
    polygons = [
        shapely.union_all(discs[bounds[group] : bounds[group + 1]])
        for group in range(n_venues * n_times)
    ]
    return gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries(polygons, crs=BNG), crs=BNG)


def share_within(
    distance_m_or_time: npt.ArrayLike,
    weights: npt.ArrayLike,
    area_codes: npt.ArrayLike,
    *,
    thresholds: Sequence[float],
) -> pd.DataFrame:
    """Weighted share of each area within each distance or time threshold.

    Parameters
    ----------
    distance_m_or_time:
        Distance (metres) or time (minutes) of each premises to its nearest venue; ``inf`` or
        NaN counts as out of reach.
    weights:
        Weight of each premises (e.g. residents), finite and not negative.
    area_codes:
        Area code of each premises (e.g. ``LSOA21CD``).
    thresholds:
        Thresholds in the same unit as ``distance_m_or_time``; a premises at exactly the
        threshold is within it.

    Returns
    -------
    pandas.DataFrame
        Indexed by area code (sorted, index named ``area_code``), with ``weight_total`` and, for
        each threshold ``t``, ``share_within_{t}`` in 0..1 (NaN where an area's total weight is
        0).  Thresholds are written with ``:g`` (5 -> ``share_within_5``, 0.5 ->
        ``share_within_0.5``).
    """
    values = np.asarray(distance_m_or_time, dtype=np.float64).ravel()
    weight = np.asarray(weights, dtype=np.float64).ravel()
    codes = np.asarray(area_codes).ravel()
    if not (values.shape == weight.shape == codes.shape):
        raise ValueError("distances, weights and area codes must have the same length")
    if not np.isfinite(weight).all() or (weight < 0).any():
        raise ValueError("weights must be finite and not negative")
    limits = np.asarray(thresholds, dtype=np.float64).ravel()
    if limits.shape[0] == 0 or np.isnan(limits).any():
        raise ValueError("thresholds must be one or more numbers")
    if pd.isna(codes).any():
        raise ValueError("every premises needs an area code")
    within = values[:, None] <= limits[None, :]
    frame = pd.DataFrame(
        within * weight[:, None], columns=[f"share_within_{t:g}" for t in limits.tolist()]
    )
    frame.insert(0, "weight_total", weight)
    totals = frame.groupby(codes, sort=True).sum()
    shares = totals.iloc[:, 1:].div(
        totals["weight_total"].where(totals["weight_total"] > 0), axis=0
    )
    result = pd.concat([totals[["weight_total"]], shares], axis=1)
    result.index.name = "area_code"
    return result
