"""Street networks as sparse matrices, ready for scipy.sparse.csgraph.

A :class:`StreetNetwork` holds the nodes of a walking or driving network as arrays (British
National Grid, EPSG:27700, metres), the node-to-node edge lengths as a compressed sparse row
matrix, and the edges themselves as a GeoDataFrame for drawing and for catchment polygons.
Graph distances are then one ``scipy.sparse.csgraph.dijkstra`` call away (see :mod:`geo.access`).

This module does not import osmnx: networks come from :mod:`geo.sources.osm` (OpenStreetMap
files) or from :func:`from_arrays` / :func:`from_networkx`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import geopandas as gpd
import networkx as nx
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components, dijkstra

__all__ = [
    "BNG",
    "Mode",
    "RoutingCore",
    "StreetNetwork",
    "build_routing_core",
    "clip_to_area",
    "from_arrays",
    "from_networkx",
    "is_connected",
    "largest_component",
    "to_networkx",
]

BNG = "EPSG:27700"
"""British National Grid: every coordinate and length in a StreetNetwork is in its metres."""

Mode = Literal["walk", "drive"]
_MODES: tuple[str, ...] = ("walk", "drive")


@dataclass(frozen=True, eq=False)
class StreetNetwork:
    """A street network in British National Grid (EPSG:27700), lengths in metres.

    Nodes are numbered ``0 .. n_nodes - 1`` (their *index*); ``node_id`` holds the OpenStreetMap
    id of each.  Build one with :func:`from_arrays`, :func:`from_networkx` or
    :func:`geo.sources.osm.read_street_network`; never mutate the arrays.

    Attributes
    ----------
    node_id:
        OSM node id of each node (int64, shape ``(N,)``).
    x_m, y_m:
        Easting and northing of each node, EPSG:27700 metres (float64, shape ``(N,)``).
    graph:
        ``N x N`` CSR matrix; entry ``[i, j]`` is the length in metres of the shortest edge from
        node ``i`` to node ``j`` (parallel edges keep the minimum).  Symmetric when ``mode`` is
        ``"walk"``; directed (one-way streets) when ``mode`` is ``"drive"``.  Explicit zeros are
        zero-length edges, which csgraph treats as edges: never call ``eliminate_zeros`` on it.
    edges:
        One row per edge (per direction for driving, per street segment for walking) with columns
        ``u``, ``v`` (node indices; the geometry runs from ``u`` to ``v``), ``length_m``,
        ``highway`` (OSM tag, ``;``-joined when several ways were merged) and ``geometry``
        (LineString, EPSG:27700).
    mode:
        ``"walk"`` or ``"drive"``.
    crs:
        Always ``"EPSG:27700"``.
    """

    node_id: npt.NDArray[np.int64]
    x_m: npt.NDArray[np.float64]
    y_m: npt.NDArray[np.float64]
    graph: sp.csr_matrix
    edges: gpd.GeoDataFrame
    mode: str
    crs: str = BNG

    def __post_init__(self) -> None:
        n = self.node_id.shape[0]
        if self.mode not in _MODES:
            raise ValueError(f"mode must be 'walk' or 'drive', not {self.mode!r}")
        if self.crs != BNG:
            raise ValueError(f"a StreetNetwork is always in {BNG}, not {self.crs!r}")
        if self.x_m.shape != (n,) or self.y_m.shape != (n,):
            raise ValueError("node_id, x_m and y_m must be one-dimensional and the same length")
        if self.graph.shape != (n, n):
            raise ValueError(f"graph must be {n} x {n}, not {self.graph.shape}")

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node_id.shape[0])

    @property
    def n_edges(self) -> int:
        """Number of rows in :attr:`edges`."""
        return len(self.edges)

    @cached_property
    def reversed_graph(self) -> sp.csr_matrix:
        """The graph with every edge reversed (its transpose), computed once.

        A search from the venues on this graph gives distances *from* each node *to* a venue.
        """
        return self.graph.T.tocsr()

    @cached_property
    def routing_core(self) -> RoutingCore:
        """The network with its chains of two-neighbour nodes contracted, computed once.

        Only for walking networks (symmetric graphs); see :class:`RoutingCore`.
        """
        return build_routing_core(self)

    @property
    def directed(self) -> bool:
        """True for a driving network, whose one-way streets make the graph directed."""
        return self.mode == "drive"

    def __repr__(self) -> str:
        return f"StreetNetwork(mode={self.mode!r}, n_nodes={self.n_nodes}, n_edges={self.n_edges})"


@dataclass(frozen=True, eq=False)
class RoutingCore:
    """A walking network with its chains of two-neighbour nodes contracted, for fast searches.

    Most nodes of an unsimplified OSM network (about four in five in Rutland) lie part-way along
    a street with exactly two neighbours.  Searching only the *core* (every other node, joined
    by one edge per chain) and then placing each chain node between its chain's two ends gives
    the same distances several times faster.  Built once per network by
    :attr:`StreetNetwork.routing_core`.

    Attributes
    ----------
    core:
        Node indices of the core nodes, ascending, shape ``(K,)``.
    core_of:
        Position in ``core`` of each node, ``-1`` for chain nodes, shape ``(N,)``.
    graph:
        ``K x K`` symmetric CSR matrix of core-to-core lengths in metres (direct streets and
        whole chains; the shortest where several join the same pair).
    chain:
        Chain number of each node, ``-1`` for core nodes, shape ``(N,)``.
    end0, end1:
        Core positions of the two ends of each chain, never equal, shape ``(C,)``.
    along_m:
        Distance in metres along its chain from ``end0`` to each chain node (0 for core nodes).
    chain_length_m:
        Length of each chain from ``end0`` to ``end1``, metres, shape ``(C,)``.
    members:
        Chain nodes sorted by chain, shape ``(N - K,)``; chain ``c``'s nodes are
        ``members[member_start[c]:member_start[c + 1]]``.
    member_start:
        Offsets into ``members``, shape ``(C + 1,)``.
    """

    core: npt.NDArray[np.intp]
    core_of: npt.NDArray[np.intp]
    graph: sp.csr_matrix
    chain: npt.NDArray[np.intp]
    end0: npt.NDArray[np.intp]
    end1: npt.NDArray[np.intp]
    along_m: npt.NDArray[np.float64]
    chain_length_m: npt.NDArray[np.float64]
    members: npt.NDArray[np.intp]
    member_start: npt.NDArray[np.intp]


def _chains(
    row: npt.NDArray[np.intp],
    col: npt.NDArray[np.intp],
    is_core: npt.NDArray[np.bool_],
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Label chains of non-core nodes; return labels and each boundary edge (chain, core, node)."""
    n = is_core.shape[0]
    inner = ~is_core
    both = inner[row] & inner[col]
    links = sp.csr_matrix(
        (np.ones(int(both.sum())), (row[both], col[both])), shape=(n, n), dtype=np.float64
    )
    _, label = connected_components(links, directed=False)
    out = inner[row] & is_core[col]
    into = is_core[row] & inner[col]
    node = np.concatenate([row[out], col[into]]).astype(np.intp)
    core = np.concatenate([col[out], row[into]]).astype(np.intp)
    return label.astype(np.intp), label[node].astype(np.intp), core, node


def _routing_core(graph: sp.csr_matrix) -> RoutingCore:
    """Contract the chains of a symmetric graph; see :class:`RoutingCore`."""
    n = graph.shape[0]
    upper = sp.triu(graph, k=1, format="coo")
    row = upper.row.astype(np.intp)
    col = upper.col.astype(np.intp)
    length = upper.data.astype(np.float64)
    # Two distinct neighbours make a chain node; dead ends, junctions and isolated nodes are core.
    is_core = np.diff(graph.indptr) != 2
    while True:
        label, chain_of_edge, core_end, chain_end = _chains(row, col, is_core)
        inner = ~is_core
        boundary_count = np.bincount(chain_of_edge, minlength=n)
        # A ring with no core node, or a loop leaving and rejoining the same core node, has no
        # two distinct ends: make one of its nodes core and look again.
        ring = inner & (boundary_count[label] == 0)
        order = np.lexsort((core_end, chain_of_edge))
        first = order[::2]
        second = order[1::2]
        loop = core_end[first] == core_end[second]
        promote = np.zeros(n, dtype=bool)
        _, ring_first = np.unique(label[ring], return_index=True)
        promote[np.flatnonzero(ring)[ring_first]] = True
        promote[chain_end[first[loop]]] = True
        if not promote.any():
            break
        is_core |= promote
    inner = ~is_core
    core = np.flatnonzero(is_core).astype(np.intp)
    core_of = np.full(n, -1, dtype=np.intp)
    core_of[core] = np.arange(core.shape[0], dtype=np.intp)
    # Renumber chains 0..C-1 in label order.
    chain_labels, chain = np.unique(label[inner], return_inverse=True)
    chain_number = np.full(n, -1, dtype=np.intp)
    chain_number[inner] = chain.astype(np.intp)
    n_chains = chain_labels.shape[0]
    order = np.lexsort((core_end, chain_of_edge))
    edge_chain = np.searchsorted(chain_labels, chain_of_edge[order])
    first, second = order[::2], order[1::2]
    end0_node, end1_node = core_end[first], core_end[second]
    # Lengths of the boundary edges, in the order _chains returned them.
    out = inner[row] & is_core[col]
    into = is_core[row] & inner[col]
    boundary_length = np.concatenate([length[out], length[into]])
    within = inner[row] & inner[col]
    chain_length = np.bincount(
        chain_number[row[within]], weights=length[within], minlength=n_chains
    ) + np.bincount(edge_chain, weights=boundary_length[order], minlength=n_chains)
    # Distance from end0 along each chain: one search entering every chain only from its end0.
    enter_from = end0_node
    enter_to = chain_end[first]
    walk_u = np.concatenate([row[within], col[within], enter_from])
    walk_v = np.concatenate([col[within], row[within], enter_to])
    walk_length = np.concatenate([length[within], length[within], boundary_length[first]])
    along_graph = _adjacency(walk_u, walk_v, walk_length, n, directed=True)
    along = np.zeros(n, dtype=np.float64)
    if n_chains:
        from_end0 = dijkstra(
            along_graph, directed=True, indices=np.unique(end0_node), min_only=True
        )
        along[inner] = from_end0[inner]
    core_core = is_core[row] & is_core[col]
    core_graph = _adjacency(
        np.concatenate([core_of[row[core_core]], core_of[end0_node]]),
        np.concatenate([core_of[col[core_core]], core_of[end1_node]]),
        np.concatenate([length[core_core], chain_length[edge_chain[::2]]]),
        core.shape[0],
        directed=False,
    )
    members = np.flatnonzero(inner)[np.argsort(chain_number[inner], kind="stable")]
    member_start = np.searchsorted(chain_number[members], np.arange(n_chains + 1)).astype(np.intp)
    return RoutingCore(
        core=core,
        core_of=core_of,
        graph=core_graph,
        chain=chain_number,
        end0=core_of[end0_node],
        end1=core_of[end1_node],
        along_m=along,
        chain_length_m=chain_length.astype(np.float64),
        members=members.astype(np.intp),
        member_start=member_start,
    )


def build_routing_core(net: StreetNetwork) -> RoutingCore:
    """Contract the chains of two-neighbour nodes of a walking network (see :class:`RoutingCore`).

    Use :attr:`StreetNetwork.routing_core`, which builds this once per network and keeps it.

    Parameters
    ----------
    net:
        A walking network (symmetric graph, EPSG:27700 metres).

    Returns
    -------
    RoutingCore
        Core nodes, their graph and where every chain node lies between its chain's ends.

    Raises
    ------
    ValueError
        For a driving network, whose one-way streets a symmetric contraction would lose.
    """
    if net.directed:
        raise ValueError("the routing core is only built for walking (symmetric) networks")
    return _routing_core(net.graph)


def _check_mode(mode: str) -> None:
    if mode not in _MODES:
        raise ValueError(f"mode must be 'walk' or 'drive', not {mode!r}")


def _adjacency(
    u: npt.NDArray[np.intp],
    v: npt.NDArray[np.intp],
    length_m: npt.NDArray[np.float64],
    n_nodes: int,
    *,
    directed: bool,
) -> sp.csr_matrix:
    """CSR matrix of the shortest edge between each ordered pair of nodes (self-loops dropped)."""
    if not directed:
        u, v = np.concatenate([u, v]), np.concatenate([v, u])
        length_m = np.concatenate([length_m, length_m])
    keep = u != v
    u, v, length_m = u[keep], v[keep], length_m[keep]
    # Sort by (u, v, length) and keep the first of each pair: the minimum of parallel edges.
    # Building the matrix from unique pairs also keeps zero-length edges as explicit zeros,
    # which coo-to-csr summing would otherwise silently merge.
    order = np.lexsort((length_m, v, u))
    u, v, length_m = u[order], v[order], length_m[order]
    first = np.ones(u.shape[0], dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    return sp.csr_matrix(
        (length_m[first], (u[first], v[first])), shape=(n_nodes, n_nodes), dtype=np.float64
    )


def _straight_lines(
    x_m: npt.NDArray[np.float64],
    y_m: npt.NDArray[np.float64],
    u: npt.NDArray[np.intp],
    v: npt.NDArray[np.intp],
) -> npt.NDArray[np.object_]:
    coords = np.stack(
        [np.column_stack([x_m[u], y_m[u]]), np.column_stack([x_m[v], y_m[v]])], axis=1
    )
    return np.asarray(shapely.linestrings(coords), dtype=object)


def _orient(
    geometry: npt.NDArray[np.object_],
    x_m: npt.NDArray[np.float64],
    y_m: npt.NDArray[np.float64],
    u: npt.NDArray[np.intp],
    v: npt.NDArray[np.intp],
) -> npt.NDArray[np.object_]:
    """Reverse the lines that run from ``v`` to ``u`` so every geometry starts at its ``u``."""
    start = shapely.get_coordinates(shapely.get_point(geometry, 0))
    to_u = np.hypot(start[:, 0] - x_m[u], start[:, 1] - y_m[u])
    to_v = np.hypot(start[:, 0] - x_m[v], start[:, 1] - y_m[v])
    backwards = to_v < to_u
    if not backwards.any():
        return geometry
    oriented = geometry.copy()
    oriented[backwards] = shapely.reverse(geometry[backwards])
    return oriented


def _object_array(values: Sequence[Any] | npt.NDArray[np.object_]) -> npt.NDArray[np.object_]:
    """A new one-dimensional object array of ``values`` (never a nested array of their parts)."""
    items = list(values)
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def from_arrays(
    node_id: npt.ArrayLike,
    x_m: npt.ArrayLike,
    y_m: npt.ArrayLike,
    u: npt.ArrayLike,
    v: npt.ArrayLike,
    length_m: npt.ArrayLike,
    *,
    mode: str,
    highway: Sequence[str | None] | npt.NDArray[np.object_] | None = None,
    geometry: Sequence[Any] | npt.NDArray[np.object_] | None = None,
) -> StreetNetwork:
    """Build a :class:`StreetNetwork` from node and edge arrays.

    Parameters
    ----------
    node_id:
        OSM id (or any unique integer id) of each node, shape ``(N,)``.
    x_m, y_m:
        Node easting and northing, EPSG:27700 metres, shape ``(N,)``.
    u, v:
        Node *indices* (positions in ``node_id``) of each edge's ends, shape ``(E,)``.  For a
        driving network each row is one direction of travel ``u -> v``; for walking every edge is
        two-way and a reversed duplicate row is dropped.
    length_m:
        Length of each edge along the street, metres (finite, not negative).
    mode:
        ``"walk"`` (symmetric graph) or ``"drive"`` (directed graph).
    highway:
        OSM ``highway`` tag of each edge (optional).
    geometry:
        LineString of each edge in EPSG:27700 (optional; a straight line from ``u`` to ``v``
        where missing).  Lines are reversed where needed so they run from ``u`` to ``v``.

    Returns
    -------
    StreetNetwork
        Nodes in the order given; edge lengths in metres.

    Raises
    ------
    ValueError
        If arrays disagree in length, an index is out of range, an id repeats, or a length is
        negative or not finite.
    """
    _check_mode(mode)
    ids = np.asarray(node_id, dtype=np.int64).copy()
    xs = np.asarray(x_m, dtype=np.float64).copy()
    ys = np.asarray(y_m, dtype=np.float64).copy()
    n = ids.shape[0]
    if ids.ndim != 1 or xs.shape != (n,) or ys.shape != (n,):
        raise ValueError("node_id, x_m and y_m must be one-dimensional and the same length")
    if not (np.isfinite(xs).all() and np.isfinite(ys).all()):
        raise ValueError("node coordinates must be finite EPSG:27700 metres")
    if np.unique(ids).shape[0] != n:
        raise ValueError("node_id values must be unique")
    us = np.asarray(u, dtype=np.intp)
    vs = np.asarray(v, dtype=np.intp)
    lengths = np.asarray(length_m, dtype=np.float64)
    e = us.shape[0]
    if us.ndim != 1 or vs.shape != (e,) or lengths.shape != (e,):
        raise ValueError("u, v and length_m must be one-dimensional and the same length")
    if e and (min(us.min(), vs.min()) < 0 or max(us.max(), vs.max()) >= n):
        raise ValueError(f"edge ends must be node indices in 0..{n - 1}")
    if not np.isfinite(lengths).all() or (lengths < 0).any():
        raise ValueError("edge lengths must be finite and not negative (metres)")
    highways = np.full(e, None, dtype=object) if highway is None else _object_array(highway)
    if highways.shape != (e,):
        raise ValueError("highway must have one value per edge")
    if geometry is None:
        lines = _straight_lines(xs, ys, us, vs)
    else:
        lines = _object_array(geometry)
        if lines.shape != (e,):
            raise ValueError("geometry must have one LineString per edge")
        missing = shapely.is_missing(lines) | shapely.is_empty(lines)
        if missing.any():
            lines[missing] = _straight_lines(xs, ys, us[missing], vs[missing])
        if e:
            lines = _orient(lines, xs, ys, us, vs)
    if mode == "walk" and e:
        # A two-way street may arrive as the pair u->v and v->u (osmnx, pyrosm): keep one row,
        # written from the lower index to the higher.
        flip = us > vs
        lines = lines.copy()
        lines[flip] = shapely.reverse(lines[flip])
        lo, hi = np.where(flip, vs, us), np.where(flip, us, vs)
        frame = pd.DataFrame({"a": lo, "b": hi, "mm": np.round(lengths * 1000.0)})
        keep = ~frame.duplicated().to_numpy()
        us, vs, lengths, highways, lines = (
            lo[keep],
            hi[keep],
            lengths[keep],
            highways[keep],
            lines[keep],
        )
    edges = gpd.GeoDataFrame(
        {
            "u": us.astype(np.int64),
            "v": vs.astype(np.int64),
            "length_m": lengths,
            "highway": pd.Series(highways, dtype=object),
        },
        geometry=gpd.GeoSeries(lines, crs=BNG),
        crs=BNG,
    )
    graph = _adjacency(us, vs, lengths, n, directed=mode == "drive")
    return StreetNetwork(node_id=ids, x_m=xs, y_m=ys, graph=graph, edges=edges, mode=mode)


def _highway_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, list | tuple | set):
        return ";".join(str(item) for item in value)
    if isinstance(value, float) and np.isnan(value):
        return None
    return str(value)


def from_networkx(graph: nx.MultiDiGraph, *, mode: str) -> StreetNetwork:
    """Convert an osmnx-style graph, already projected to EPSG:27700, to a StreetNetwork.

    Parameters
    ----------
    graph:
        ``networkx.MultiDiGraph`` as osmnx builds it: ``graph.graph["crs"]`` is EPSG:27700, nodes
        carry ``x`` and ``y`` (metres) and edges ``length`` (metres) and optionally ``highway``
        and ``geometry`` (LineString in EPSG:27700).  Node keys are OSM ids.
    mode:
        ``"walk"`` (every edge two-way) or ``"drive"`` (edges are directed as in ``graph``).

    Returns
    -------
    StreetNetwork
        Nodes sorted by OSM id; parallel edges keep the shortest in ``graph``.

    Raises
    ------
    ValueError
        If the graph is not in EPSG:27700, or a node lacks ``x``/``y`` or an edge ``length``.
    """
    _check_mode(mode)
    crs = graph.graph.get("crs")
    if crs is None or pyproj.CRS.from_user_input(crs) != pyproj.CRS.from_user_input(BNG):
        raise ValueError(
            f"the graph must be projected to {BNG} first (its crs is {crs!r}); "
            "use osmnx.project_graph(graph, to_crs='EPSG:27700')"
        )
    node_data = list(graph.nodes(data=True))
    try:
        ids = np.array([node for node, _ in node_data], dtype=np.int64)
        xs = np.array([data["x"] for _, data in node_data], dtype=np.float64)
        ys = np.array([data["y"] for _, data in node_data], dtype=np.float64)
    except KeyError as error:
        raise ValueError(f"every node needs x and y in metres; one lacks {error}") from None
    order = np.argsort(ids, kind="stable")
    ids, xs, ys = ids[order], xs[order], ys[order]
    edge_data = list(graph.edges(data=True))
    position = pd.Index(ids)
    us = position.get_indexer(pd.Index([a for a, _, _ in edge_data], dtype=np.int64))
    vs = position.get_indexer(pd.Index([b for _, b, _ in edge_data], dtype=np.int64))
    try:
        lengths = np.array([data["length"] for _, _, data in edge_data], dtype=np.float64)
    except KeyError:
        raise ValueError("every edge needs a 'length' in metres") from None
    highways = [_highway_text(data.get("highway")) for _, _, data in edge_data]
    geometries = np.array([data.get("geometry") for _, _, data in edge_data], dtype=object)
    return from_arrays(
        ids,
        xs,
        ys,
        us,
        vs,
        lengths,
        mode=mode,
        highway=highways,
        geometry=geometries,
    )


def _subnetwork(net: StreetNetwork, keep: npt.NDArray[np.bool_]) -> StreetNetwork:
    """The network induced by the nodes where ``keep`` is True, renumbered in the same order."""
    new_index = np.full(net.n_nodes, -1, dtype=np.int64)
    new_index[keep] = np.arange(int(keep.sum()), dtype=np.int64)
    u = net.edges["u"].to_numpy()
    v = net.edges["v"].to_numpy()
    edge_keep = keep[u] & keep[v]
    edges = net.edges.loc[edge_keep].copy()
    edges["u"] = new_index[u[edge_keep]]
    edges["v"] = new_index[v[edge_keep]]
    edges = edges.reset_index(drop=True)
    graph = _adjacency(
        edges["u"].to_numpy(dtype=np.intp),
        edges["v"].to_numpy(dtype=np.intp),
        edges["length_m"].to_numpy(dtype=np.float64),
        int(keep.sum()),
        directed=net.directed,
    )
    return StreetNetwork(
        node_id=net.node_id[keep],
        x_m=net.x_m[keep],
        y_m=net.y_m[keep],
        graph=graph,
        edges=edges,
        mode=net.mode,
    )


def _component_labels(net: StreetNetwork, *, strongly: bool) -> tuple[int, npt.NDArray[np.int32]]:
    count, labels = connected_components(
        net.graph, directed=net.directed, connection="strong" if strongly else "weak"
    )
    return int(count), labels


def largest_component(net: StreetNetwork, *, strongly: bool = False) -> StreetNetwork:
    """Keep only the largest connected component of the network.

    Parameters
    ----------
    net:
        The network (EPSG:27700).
    strongly:
        For a driving network, keep the largest *strongly* connected component (every node can
        reach every other along one-way streets) instead of the largest weakly connected one.
        Ignored for walking networks, whose graph is symmetric.

    Returns
    -------
    StreetNetwork
        A new network; node indices are renumbered, in the same relative order.
    """
    if net.n_nodes == 0:
        return net
    count, labels = _component_labels(net, strongly=strongly)
    if count == 1:
        return net
    largest = int(np.bincount(labels).argmax())
    return _subnetwork(net, labels == largest)


def is_connected(net: StreetNetwork, *, strongly: bool = False) -> bool:
    """Whether the network is one connected component.

    Parameters
    ----------
    net:
        The network.
    strongly:
        For a driving network, require strong connectivity (along one-way streets); otherwise
        weak connectivity is enough.  Walking networks are symmetric, so both agree.

    Returns
    -------
    bool
        True when there is exactly one component (False for an empty network).
    """
    if net.n_nodes == 0:
        return False
    count, _ = _component_labels(net, strongly=strongly)
    return count == 1


def clip_to_area(
    net: StreetNetwork, polygon_bng: shapely.Geometry, *, margin_m: float = 0.0
) -> StreetNetwork:
    """Keep the nodes inside a polygon grown by a margin, and the edges between them.

    Parameters
    ----------
    net:
        The network (EPSG:27700).
    polygon_bng:
        Polygon or MultiPolygon in EPSG:27700 metres, e.g. the union of a borough's wards.
    margin_m:
        Distance in metres to grow the polygon by first, so that routes which leave the area
        briefly (and venues just over the boundary) are kept.  Not negative.

    Returns
    -------
    StreetNetwork
        A new network; node indices are renumbered, in the same relative order.  It may be
        disconnected: follow with :func:`largest_component` if needed.
    """
    if margin_m < 0 or not np.isfinite(margin_m):
        raise ValueError(f"margin_m must be a distance in metres >= 0, not {margin_m!r}")
    if shapely.is_missing(polygon_bng) or shapely.is_empty(polygon_bng):
        raise ValueError("polygon_bng is empty: pass the area's outline in EPSG:27700")
    area = shapely.buffer(polygon_bng, margin_m) if margin_m > 0 else polygon_bng
    shapely.prepare(area)
    keep = np.asarray(shapely.intersects_xy(area, net.x_m, net.y_m), dtype=bool)
    return _subnetwork(net, keep)


def to_networkx(net: StreetNetwork) -> nx.Graph | nx.DiGraph:
    """The network as a networkx graph, for baselines and for tools that need networkx.

    Parameters
    ----------
    net:
        The network.

    Returns
    -------
    networkx.Graph or networkx.DiGraph
        Undirected for walking, directed for driving.  Nodes are the node *indices*
        ``0 .. N-1`` with attributes ``osmid``, ``x`` and ``y`` (EPSG:27700 metres); edges carry
        ``length`` in metres (the shortest of any parallel edges, as in ``net.graph``).
    """
    graph: nx.Graph | nx.DiGraph = nx.DiGraph() if net.directed else nx.Graph()
    graph.graph["crs"] = net.crs
    graph.add_nodes_from(
        (index, {"osmid": osmid, "x": x, "y": y})
        for index, (osmid, x, y) in enumerate(
            zip(net.node_id.tolist(), net.x_m.tolist(), net.y_m.tolist(), strict=True)
        )
    )
    coo = net.graph.tocoo()
    graph.add_weighted_edges_from(
        zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True), weight="length"
    )
    return graph
