"""Where to put new help venues: facility location on the walking network.

The planner's question is "which k of these candidate buildings should become digital-help
venues so that as many excluded residents as possible live within a 15-minute walk of one?"
(the **maximal covering location problem**, MCLP), or "what is the fewest new venues that puts
95% of them within a 15-minute walk?" (the **location set covering problem**, LSCP, here in its
partial form).  Existing venues stay open: demand they already reach counts as covered.

Method
------
1. **Demand** is aggregated first (:func:`aggregate_demand`), to Output Areas or LSOAs (group by
   code) or to a grid of cells (e.g. 250 m), with the weight summed (for example estimated
   excluded residents) and placed at the weighted centroid.  Exact solves are fast at about
   700-1,000 demand points and slow at 5,000 (408 s measured with CBC), so aggregate first.
2. **Costs** are walking distances along the street network (:func:`network_cost_matrix`): one
   ``scipy.sparse.csgraph.dijkstra`` search from the candidate nodes, cut off at the service
   radius, plus the straight-line snap distances from each building to its nearest street node.
   Only pairs within the radius are stored (a sparse demand x candidate matrix).  Walking time
   is distance / speed, 80 m a minute by default (4.8 km/h), so 15 minutes is 1,200 m.
3. **Coverage**: demand point *i* is covered by site *j* when the walk is at most the service
   radius, ``a_ij = 1 if cost_ij <= radius`` (as in spopt).
4. **Exact solve**: a mixed-integer programme solved by CBC (bundled with PuLP), with a time
   limit.  MCLP: maximise ``sum_i w_i z_i`` subject to ``z_i <= sum_{j in N_i} x_j``,
   ``sum_j x_j <= k``, ``x`` binary, ``0 <= z_i <= 1`` (``z`` may be continuous: with integral
   ``x`` the optimum puts ``z_i = min(1, sum x)``).  LSCP: minimise ``sum_j x_j`` subject to
   the same linking rows and ``sum_i w_i z_i >= share x total`` (with share 1, every reachable
   demand point must be covered: ``sum_{j in N_i} x_j >= 1``).  Before the solve the problem is
   reduced: demand already covered by an existing venue, demand no candidate reaches and
   zero-weight demand are dropped, and demand points reached by exactly the same candidates
   are merged (weights summed); candidates that reach nothing new are dropped.
5. **Honest status**: PuLP reports "Optimal" even when CBC stops at its time limit, so the
   status here comes from CBC's own solution status (proved optimal or not) and from a bound
   computed independently: the linear-programming relaxation (solved with HiGHS through
   ``scipy.optimize.linprog``), tightened by CBC's final bound when its log states one.  The
   reported gap is ``(bound - found) / bound`` on the demand the *new* sites add (existing
   coverage cannot flatter it); "optimal" is claimed only when CBC proved it or the gap is at
   most 1e-6.
6. **Greedy** (:func:`greedy_mclp`, :func:`greedy_lscp`): add the candidate that reaches the most
   uncovered demand, one at a time (all candidates scored at once with one sparse product per
   step).  For MCLP it is within a factor 1 - 1/e of the optimum in the worst case and usually
   within a couple of percentage points.  Optionally (``swaps=True``) the choice is then
   improved by one-for-one swaps while any swap gains (vertex interchange).  The exact solve
   starts from the swap-improved greedy choice (CBC warm start).

Sites are returned without those that add nothing: a plan may open fewer than ``k`` sites when
every other candidate only reaches demand that is already covered.  MCLP has no capacities: check
venue capacity after solving.

All coordinates are British National Grid (EPSG:27700) metres.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, Protocol

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pulp
import pyproj
import scipy.sparse as sp
import shapely
from scipy.optimize import linprog
from scipy.sparse.csgraph import dijkstra

from geo.access import WALK_SPEED_M_PER_MIN, snap_points
from geo.errors import InputError
from geo.network import StreetNetwork

__all__ = [
    "CANDIDATE_KINDS",
    "DEFAULT_TIME_LIMIT_S",
    "MAX_WALK_MIN",
    "MIN_WALK_MIN",
    "OPTIMAL_GAP",
    "WALK_SPEED_M_PER_MIN",
    "SitingComparison",
    "SitingResult",
    "VenuePlan",
    "aggregate_demand",
    "compare_exact_greedy",
    "coverage_matrix",
    "greedy_lscp",
    "greedy_mclp",
    "network_cost_matrix",
    "read_candidates",
    "site_venues",
    "solve_lscp",
    "solve_mclp",
    "walking_radius_m",
]

MIN_WALK_MIN = 1.0
"""Shortest walking time accepted as a service radius, minutes."""

MAX_WALK_MIN = 60.0
"""Longest walking time accepted as a service radius, minutes."""

DEFAULT_TIME_LIMIT_S = 10.0
"""Default time limit for CBC, seconds."""

MAX_TIME_LIMIT_S = 3600.0
"""Longest time limit accepted, seconds."""

OPTIMAL_GAP = 1e-6
"""A relative gap at or below this counts as proven optimal."""

CANDIDATE_KINDS: tuple[str, ...] = (
    "library",
    "community centre",
    "school",
    "council building",
    "other",
)
"""Kinds of candidate building accepted by :func:`read_candidates`."""

_KIND_SYNONYMS: dict[str, str] = {
    "libraries": "library",
    "community center": "community centre",
    "community hall": "community centre",
    "social centre": "community centre",
    "schools": "school",
    "council": "council building",
    "council office": "council building",
    "council offices": "council building",
    "town hall": "council building",
    "townhall": "council building",
    "civic centre": "council building",
}

_OSM_AMENITY_KIND: dict[str, str] = {
    "library": "library",
    "community_centre": "community centre",
    "social_centre": "community centre",
    "school": "school",
    "townhall": "council building",
}
"""OpenStreetMap ``amenity`` values kept as candidates, and their kind."""

# British National Grid extent (with a margin) and the WGS84 box around Great Britain, for
# catching swapped or mistyped coordinates.
_BNG_X = (0.0, 700_000.0)
_BNG_Y = (0.0, 1_300_000.0)
_LAT = (49.0, 61.5)
_LON = (-9.0, 2.5)
_MAX_LISTED = 5
_MAX_MATRIX_CELLS = 20_000_000
# Relative tolerance on required coverage: keeps float rounding from making a feasible target
# look unreachable.
_SHARE_TOL = 1e-9
_BNG = "EPSG:27700"


class _Network(Protocol):
    """What this module needs of a :class:`geo.network.StreetNetwork`."""

    @property
    def x_m(self) -> npt.NDArray[np.float64]: ...

    @property
    def y_m(self) -> npt.NDArray[np.float64]: ...

    @property
    def graph(self) -> sp.csr_matrix: ...

    @property
    def mode(self) -> str: ...


# ---- results -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SitingResult:
    """The outcome of a siting run (exact or greedy, MCLP or LSCP).

    Attributes
    ----------
    problem:
        ``"mclp"`` (most demand within reach of k new sites) or ``"lscp"`` (fewest new sites
        reaching a share of demand).
    method:
        ``"exact"`` (CBC) or ``"greedy"``.
    chosen:
        Candidate columns (positions in the cost matrix) of the new sites, in the order greedy
        picked them or ascending for the exact solve.  Existing (fixed) sites are not listed.
    covered:
        Whether each demand point is within the service radius of an open site (existing or
        new), shape ``(n_demand,)``.
    covered_demand:
        Weight of the covered demand (existing and new sites together).
    covered_by_existing:
        Weight of the demand already covered by existing sites.
    total_demand:
        Weight of all demand.
    share_covered:
        ``covered_demand / total_demand`` (0-1).
    objective:
        MCLP: demand the new sites add beyond existing coverage (maximised).  LSCP: number of
        new sites (minimised).
    bound:
        MCLP: proven upper bound on ``objective``.  LSCP: proven lower bound on the number of
        sites.  Equal to ``objective`` when proven optimal; NaN when infeasible.
    gap:
        Relative optimality gap: MCLP ``(bound - objective) / bound``, LSCP
        ``(objective - bound) / objective`` (0 when both are 0).
    status:
        ``"optimal"``, ``"time limit reached, gap 0.42%"``, ``"not proven optimal, gap ..."``
        (greedy) or ``"infeasible"``.
    optimal:
        True when optimality is proven (by CBC, or by the gap being at most 1e-6).
    message:
        What happened, in plain English, for the planner.
    unreachable:
        Demand points with positive weight that no site (existing or candidate) reaches within
        the radius.
    service_radius_m:
        The service radius used, metres.
    build_s, solve_s:
        Seconds spent preparing the model and solving it (solve includes the bound).
    """

    problem: Literal["mclp", "lscp"]
    method: Literal["exact", "greedy"]
    chosen: npt.NDArray[np.intp]
    covered: npt.NDArray[np.bool_]
    covered_demand: float
    covered_by_existing: float
    total_demand: float
    share_covered: float
    objective: float
    bound: float
    gap: float
    status: str
    optimal: bool
    message: str
    unreachable: npt.NDArray[np.intp]
    service_radius_m: float
    build_s: float
    solve_s: float

    @property
    def n_sites(self) -> int:
        """Number of new sites chosen."""
        return int(self.chosen.shape[0])

    @property
    def feasible(self) -> bool:
        """False only for an LSCP whose target share cannot be reached."""
        return self.status != "infeasible"


@dataclass(frozen=True)
class SitingComparison:
    """Exact against greedy on the same instance.

    Attributes
    ----------
    exact, greedy:
        The two results.
    share_difference:
        ``exact.share_covered - greedy.share_covered`` (0-1; MCLP) — how much coverage greedy
        gives up.  For LSCP, the difference in the number of sites (greedy minus exact).
    """

    exact: SitingResult
    greedy: SitingResult
    share_difference: float


@dataclass(frozen=True)
class VenuePlan:
    """New venues chosen on a street network, with the demand they reach.

    Attributes
    ----------
    result:
        The solver's result (positions refer to ``candidates`` rows).
    chosen:
        The chosen rows of ``candidates`` (a copy, in ``result.chosen`` order) with
        ``new_demand_reached``: demand within the radius of the site and not reached by an
        existing venue (overlapping reach between new sites is counted for each).
    demand:
        A copy of the demand table with ``covered`` (bool), ``covered_by`` ("existing venue",
        "new venue" or "not covered") and ``walk_m`` (walk to the nearest open venue in
        metres, NaN beyond the radius).
    service_radius_m:
        The walking distance used, metres.
    walk_min:
        The walking time used, minutes.
    """

    result: SitingResult
    chosen: pd.DataFrame
    demand: pd.DataFrame
    service_radius_m: float
    walk_min: float


# ---- validation helpers ----------------------------------------------------------------


def _rows_text(rows: npt.NDArray[np.intp]) -> str:
    shown = ", ".join(str(row + 1) for row in rows[:_MAX_LISTED].tolist())
    more = rows.shape[0] - _MAX_LISTED
    plural = "rows" if rows.shape[0] > 1 else "row"
    return f"{plural} {shown}" + (f" and {more} more" if more > 0 else "")


def _refuse_rows(
    mask: npt.NDArray[np.bool_], problem: str, *, source: str, column: str, advice: str
) -> None:
    """Raise naming the (1-based) rows where ``mask`` is True."""
    rows = np.flatnonzero(mask)
    if rows.size:
        raise InputError(
            f"{problem} in {_rows_text(rows)}: {advice}",
            source=source,
            column=column,
            row=int(rows[0]) + 1,
        )


def _float_array(values: npt.ArrayLike, name: str) -> npt.NDArray[np.float64]:
    try:
        array = np.asarray(values, dtype=np.float64).ravel()
    except (TypeError, ValueError) as error:
        raise InputError(f"{name} must be numbers ({error})") from None
    return array


def _check_weight(weight: npt.ArrayLike, n_demand: int) -> npt.NDArray[np.float64]:
    w = _float_array(weight, "weight")
    if w.shape != (n_demand,):
        raise InputError(
            f"weight needs one value per demand point ({n_demand}), not {w.shape[0]}: "
            "pass the demand weights in the same order as the cost matrix rows"
        )
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        raise InputError(
            f"weight must be a finite number >= 0 at every demand point; demand point(s) "
            f"{_rows_text(np.flatnonzero(bad))} are not: fill in or drop them"
        )
    if n_demand == 0 or w.sum() <= 0:
        raise InputError(
            "all demand weights are zero, so there is nothing to cover: check the weight "
            "column (for example estimated excluded residents) before siting"
        )
    return w


def _check_radius(service_radius_m: float) -> float:
    if not (isinstance(service_radius_m, int | float) and math.isfinite(service_radius_m)):
        raise InputError(f"service_radius_m must be a distance in metres, not {service_radius_m!r}")
    if service_radius_m <= 0:
        raise InputError(
            f"service_radius_m must be more than 0 metres, not {service_radius_m!r}: "
            "give the walking distance a venue should be within"
        )
    return float(service_radius_m)


def _check_time_limit(time_limit_s: float) -> float:
    if not (isinstance(time_limit_s, int | float) and math.isfinite(time_limit_s)):
        raise InputError(f"time_limit_s must be a number of seconds, not {time_limit_s!r}")
    if not 0 < time_limit_s <= MAX_TIME_LIMIT_S:
        raise InputError(
            f"time_limit_s must be more than 0 and at most {MAX_TIME_LIMIT_S:.0f} seconds, "
            f"not {time_limit_s!r}"
        )
    return float(time_limit_s)


def walking_radius_m(walk_min: float, *, speed_m_per_min: float = WALK_SPEED_M_PER_MIN) -> float:
    """Convert a walking time into a service radius along the streets.

    Parameters
    ----------
    walk_min:
        Walking time in minutes, from 1 to 60.
    speed_m_per_min:
        Walking speed in metres a minute (default 80, i.e. 4.8 km/h; use about 60 for older or
        disabled residents).  Must be between 20 and 150.

    Returns
    -------
    float
        The radius in metres (``walk_min * speed_m_per_min``).

    Raises
    ------
    InputError
        If the time or the speed is out of range.
    """
    if not (isinstance(walk_min, int | float) and math.isfinite(walk_min)):
        raise InputError(f"walk_min must be a number of minutes, not {walk_min!r}")
    if not MIN_WALK_MIN <= walk_min <= MAX_WALK_MIN:
        raise InputError(
            f"walk_min must be between {MIN_WALK_MIN:.0f} and {MAX_WALK_MIN:.0f} minutes, "
            f"not {walk_min!r}: choose a walking time such as 10 or 15 minutes"
        )
    if not (isinstance(speed_m_per_min, int | float) and 20 <= speed_m_per_min <= 150):
        raise InputError(
            f"speed_m_per_min must be between 20 and 150 metres a minute, not "
            f"{speed_m_per_min!r} (80 is a usual walking speed)"
        )
    return float(walk_min) * float(speed_m_per_min)


# ---- demand --------------------------------------------------------------------------------


def aggregate_demand(
    x_m: npt.ArrayLike,
    y_m: npt.ArrayLike,
    weight: npt.ArrayLike,
    *,
    cell_m: float | None = None,
    zone_codes: npt.ArrayLike | Sequence[str | None] | None = None,
) -> pd.DataFrame:
    """Aggregate demand points (premises, residents) to zones or grid cells.

    Exact siting is quick at about 700-1,000 demand points and slow beyond a few thousand, so
    premises are grouped first: by the code of the area each lies in (Output Area, LSOA), or by
    square grid cells of side ``cell_m``.  Each group is placed at the weighted centroid of its
    points (the plain centroid where its weights are all zero).

    Parameters
    ----------
    x_m, y_m:
        Point eastings and northings, EPSG:27700 metres.
    weight:
        Demand at each point (for example estimated excluded residents), finite and >= 0.
    cell_m:
        Side of the grid cells in metres (10 to 10,000).  Cells are aligned to multiples of
        ``cell_m`` on the British National Grid.
    zone_codes:
        Code of the zone of each point (for example ``OA21CD``).  Give exactly one of
        ``cell_m`` and ``zone_codes``.

    Returns
    -------
    pandas.DataFrame
        One row per zone or non-empty cell, sorted by its id, indexed by ``demand_id`` (the
        zone code, or ``E<easting>N<northing>`` of the cell's south-west corner), with
        ``x_m``, ``y_m`` (weighted centroid, EPSG:27700 metres), ``weight`` (sum) and
        ``n_points``.

    Raises
    ------
    InputError
        If the arrays differ in length, a coordinate or weight is not finite, a weight is
        negative, a zone code is missing, or not exactly one of ``cell_m``/``zone_codes`` is
        given.
    """
    xs = _float_array(x_m, "x_m")
    ys = _float_array(y_m, "y_m")
    w = _float_array(weight, "weight")
    if not xs.shape == ys.shape == w.shape:
        raise InputError("x_m, y_m and weight must have one value per point (the same length)")
    if (cell_m is None) == (zone_codes is None):
        raise InputError(
            "give exactly one of cell_m (grid cells in metres) or zone_codes (an area code "
            "per point) to aggregate demand"
        )
    _refuse_rows(
        ~(np.isfinite(xs) & np.isfinite(ys)),
        "a coordinate is missing or not a number",
        source="demand",
        column="x_m/y_m",
        advice="give EPSG:27700 eastings and northings in metres",
    )
    _refuse_rows(
        ~np.isfinite(w) | (w < 0),
        "the weight is missing, negative or not a number",
        source="demand",
        column="weight",
        advice="give a number >= 0 (for example estimated residents)",
    )
    if zone_codes is not None:
        codes = pd.Series(np.asarray(zone_codes, dtype=object).ravel())
        if codes.shape[0] != xs.shape[0]:
            raise InputError("zone_codes must have one code per point (the same length as x_m)")
        text = codes.astype("string").str.strip()
        _refuse_rows(
            (text.isna() | (text == "")).to_numpy(dtype=bool),
            "the zone code is missing",
            source="demand",
            column="zone_codes",
            advice="give each point the code of its area",
        )
        labels, inverse = np.unique(text.to_numpy(dtype=object).astype(str), return_inverse=True)
        ids = labels.astype(object)
    else:
        assert cell_m is not None
        if not (isinstance(cell_m, int | float) and 10 <= cell_m <= 10_000):
            raise InputError(f"cell_m must be between 10 and 10,000 metres, not {cell_m!r}")
        column = np.floor(xs / cell_m).astype(np.int64)
        row = np.floor(ys / cell_m).astype(np.int64)
        # One integer key per cell (row-major), so a 1-D unique does the grouping.
        first_column, first_row = (column.min(), row.min()) if xs.shape[0] else (0, 0)
        width = int(column.max() - first_column + 1) if xs.shape[0] else 1
        keys, inverse = np.unique(
            (row - first_row) * width + (column - first_column), return_inverse=True
        )
        east = (
            pd.Series((keys % width + first_column) * cell_m).round().astype(np.int64).astype(str)
        )
        north = pd.Series((keys // width + first_row) * cell_m).round().astype(np.int64).astype(str)
        ids = ("E" + east + "N" + north).to_numpy(dtype=object)
    inverse = np.asarray(inverse).ravel()
    groups = ids.shape[0]
    n_points = np.bincount(inverse, minlength=groups)
    total = np.bincount(inverse, weights=w, minlength=groups)
    mean_x = np.bincount(inverse, weights=xs, minlength=groups) / np.maximum(n_points, 1)
    mean_y = np.bincount(inverse, weights=ys, minlength=groups) / np.maximum(n_points, 1)
    safe = np.where(total > 0, total, 1.0)
    wx = np.bincount(inverse, weights=w * xs, minlength=groups) / safe
    wy = np.bincount(inverse, weights=w * ys, minlength=groups) / safe
    frame = pd.DataFrame(
        {
            "x_m": np.where(total > 0, wx, mean_x),
            "y_m": np.where(total > 0, wy, mean_y),
            "weight": total,
            "n_points": n_points.astype(np.int64),
        },
        index=pd.Index(ids, name="demand_id"),
    )
    return frame.sort_index()


# ---- costs -----------------------------------------------------------------------------


def _node_array(values: npt.ArrayLike, n_nodes: int, name: str) -> npt.NDArray[np.intp]:
    nodes = np.asarray(values).ravel()
    if nodes.shape[0] and not np.issubdtype(nodes.dtype, np.integer):
        raise InputError(f"{name} must be integer node indices (see geo.access.snap_points)")
    nodes = nodes.astype(np.intp)
    if nodes.shape[0] and (nodes.min() < 0 or nodes.max() >= n_nodes):
        raise InputError(f"{name} must be node indices in 0..{n_nodes - 1}")
    return nodes


def _offset_array(values: npt.ArrayLike | None, count: int, name: str) -> npt.NDArray[np.float64]:
    if values is None:
        return np.zeros(count, dtype=np.float64)
    offsets = _float_array(values, name)
    if offsets.shape != (count,):
        raise InputError(f"{name} needs one distance per node ({count}), not {offsets.shape[0]}")
    if not np.isfinite(offsets).all() or (offsets < 0).any():
        raise InputError(f"{name} must be finite distances in metres >= 0")
    return offsets


def network_cost_matrix(
    net: _Network,
    demand_nodes: npt.ArrayLike,
    candidate_nodes: npt.ArrayLike,
    *,
    limit_m: float,
    demand_offset_m: npt.ArrayLike | None = None,
    candidate_offset_m: npt.ArrayLike | None = None,
) -> sp.csr_matrix:
    """Walking distances from demand points to candidate sites, within a limit, as a sparse matrix.

    One multi-source ``scipy.sparse.csgraph.dijkstra`` search from the (distinct) candidate
    nodes, cut off at ``limit_m`` (split into blocks only if the search would exceed about 20
    million cells).  On a driving network the search runs on the reversed graph, so costs are
    from the demand point *to* the site.

    Parameters
    ----------
    net:
        Street network with ``graph`` (CSR of edge lengths in metres), ``x_m``, ``y_m`` and
        ``mode`` (a :class:`geo.network.StreetNetwork`), EPSG:27700.
    demand_nodes, candidate_nodes:
        Node index of each demand point and each candidate (from
        :func:`geo.access.snap_points`).  Repeats are allowed.
    limit_m:
        Keep only pairs whose total walk is at most this many metres (use the largest service
        radius you will try).
    demand_offset_m, candidate_offset_m:
        Metres added at each end (e.g. the snap distance from the building to its street node).

    Returns
    -------
    scipy.sparse.csr_matrix
        ``(n_demand, n_candidates)`` float64; entry ``[i, j]`` is the walk in metres, stored
        only where it is at most ``limit_m``.  A stored zero is a real zero-metre walk: use the
        matrix's structure (or :func:`coverage_matrix`), not its non-zero values.

    Raises
    ------
    InputError
        If a node index is out of range, an offset is negative or the limit is not positive.
    """
    graph = net.graph
    n_nodes = int(graph.shape[0])
    d_nodes = _node_array(demand_nodes, n_nodes, "demand_nodes")
    c_nodes = _node_array(candidate_nodes, n_nodes, "candidate_nodes")
    d_off = _offset_array(demand_offset_m, d_nodes.shape[0], "demand_offset_m")
    c_off = _offset_array(candidate_offset_m, c_nodes.shape[0], "candidate_offset_m")
    limit = _check_radius(limit_m)
    n_d, n_c = d_nodes.shape[0], c_nodes.shape[0]
    if n_d == 0 or n_c == 0:
        return sp.csr_matrix((n_d, n_c), dtype=np.float64)
    search = graph.T.tocsr() if getattr(net, "mode", "walk") == "drive" else graph
    unique, inverse = np.unique(c_nodes, return_inverse=True)
    # The search may stop early by the smallest candidate offset; the demand offset is
    # checked afterwards.
    search_limit = max(limit - float(c_off.min()), 0.0)
    to_demand = np.empty((unique.shape[0], n_d), dtype=np.float64)
    block = max(1, _MAX_MATRIX_CELLS // max(n_nodes, 1))
    for start in range(0, unique.shape[0], block):
        stop = min(start + block, unique.shape[0])
        distance = dijkstra(search, directed=True, indices=unique[start:stop], limit=search_limit)
        to_demand[start:stop] = np.asarray(distance)[:, d_nodes]
    # (n_demand, n_candidates): demand offset + network + candidate offset.
    total = to_demand[np.asarray(inverse).ravel()].T + d_off[:, None] + c_off[None, :]
    keep = total <= limit
    rows, cols = np.nonzero(keep)
    indptr = np.concatenate([[0], np.cumsum(keep.sum(axis=1))]).astype(np.int64)
    # Built from its arrays, so that zero-metre walks stay stored.
    return sp.csr_matrix((total[rows, cols], cols, indptr), shape=(n_d, n_c))


def _as_cost_matrix(cost_m: sp.spmatrix | sp.sparray | npt.ArrayLike) -> sp.csr_matrix:
    """A sparse cost matrix; dense input keeps its finite entries (``inf`` = out of reach)."""
    if sp.issparse(cost_m):
        matrix = sp.csr_matrix(cost_m, dtype=np.float64)
        if matrix.data.shape[0] and (not np.isfinite(matrix.data).all() or (matrix.data < 0).any()):
            raise InputError("the cost matrix holds a negative or non-finite distance")
        return matrix
    try:
        array = np.asarray(cost_m, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise InputError(f"the cost matrix must hold distances in metres ({error})") from None
    if array.ndim != 2:
        raise InputError("the cost matrix must be two-dimensional (demand x candidates)")
    if np.isnan(array).any() or (array < 0).any():
        raise InputError("the cost matrix holds a negative or NaN distance (use inf for none)")
    finite = np.isfinite(array)
    rows, cols = np.nonzero(finite)
    indptr = np.concatenate([[0], np.cumsum(finite.sum(axis=1))]).astype(np.int64)
    return sp.csr_matrix((array[rows, cols], cols, indptr), shape=array.shape)


def coverage_matrix(
    cost_m: sp.spmatrix | sp.sparray | npt.ArrayLike, service_radius_m: float
) -> sp.csr_matrix:
    """Which sites cover which demand points: ``a_ij = 1`` where the stored cost <= the radius.

    Parameters
    ----------
    cost_m:
        Demand x candidate costs in metres, sparse (stored entries are the reachable pairs) or
        dense (``inf`` where out of reach).
    service_radius_m:
        The service radius in metres.

    Returns
    -------
    scipy.sparse.csr_matrix
        int8, 1 where covered, with only the covered pairs stored.
    """
    matrix = _as_cost_matrix(cost_m)
    radius = _check_radius(service_radius_m)
    cover = matrix.copy()
    cover.data = (matrix.data <= radius).astype(np.int8)
    cover.eliminate_zeros()
    cover.sort_indices()
    return sp.csr_matrix(cover, dtype=np.int8)


# ---- the reduced problem ----------------------------------------------------------------


@dataclass(frozen=True)
class _Instance:
    """A siting problem after removing what the choice cannot change.

    ``groups`` x ``cols``: demand groups (identical reach, not yet covered, positive weight)
    against free candidates that reach at least one of them.
    """

    weight: npt.NDArray[np.float64]
    cover: sp.csr_matrix
    fixed: npt.NDArray[np.bool_]
    covered_fixed: npt.NDArray[np.bool_]
    unreachable: npt.NDArray[np.intp]
    n_free: int
    cols: npt.NDArray[np.intp]
    group_weight: npt.NDArray[np.float64]
    reduced: sp.csr_matrix
    radius_m: float
    build_s: float = 0.0

    @property
    def total(self) -> float:
        return float(self.weight.sum())

    @property
    def existing(self) -> float:
        return float(self.weight[self.covered_fixed].sum())


def _fixed_mask(fixed: npt.ArrayLike | None, n_candidates: int) -> npt.NDArray[np.bool_]:
    if fixed is None:
        return np.zeros(n_candidates, dtype=bool)
    mask = np.asarray(fixed).ravel()
    if mask.dtype != np.bool_ or mask.shape != (n_candidates,):
        raise InputError(
            f"fixed must be a True/False mask with one value per candidate column "
            f"({n_candidates}): True marks an existing venue that stays open"
        )
    return mask


def _prepare(
    cost_m: sp.spmatrix | sp.sparray | npt.ArrayLike,
    weight: npt.ArrayLike,
    service_radius_m: float,
    fixed: npt.ArrayLike | None,
) -> _Instance:
    start = time.perf_counter()
    matrix = _as_cost_matrix(cost_m)
    n_d, n_c = matrix.shape
    w = _check_weight(weight, n_d)
    cover = coverage_matrix(matrix, service_radius_m)
    fixed_mask = _fixed_mask(fixed, n_c)
    free = np.flatnonzero(~fixed_mask)
    if free.shape[0] == 0:
        raise InputError(
            "there are no candidate sites to choose from: add candidate buildings (every "
            "column given is an existing venue)"
        )
    covered_fixed = np.asarray(cover[:, np.flatnonzero(fixed_mask)].getnnz(axis=1) > 0).ravel()
    free_cover = sp.csr_matrix(cover[:, free])
    reach_free = np.asarray(free_cover.getnnz(axis=1) > 0).ravel()
    unreachable = np.flatnonzero((w > 0) & ~covered_fixed & ~reach_free)
    rows = np.flatnonzero((w > 0) & ~covered_fixed & reach_free)
    sub = sp.csr_matrix(free_cover[rows])
    used = np.flatnonzero(np.asarray(sub.getnnz(axis=0)).ravel() > 0)
    sub = sp.csr_matrix(sub[:, used])
    sub.sort_indices()
    # Demand points reached by exactly the same candidates behave as one: merge them.
    keys = [sub.indices[sub.indptr[i] : sub.indptr[i + 1]].tobytes() for i in range(sub.shape[0])]
    codes, uniques = pd.factorize(pd.Series(keys, dtype=object))
    n_groups = len(uniques)
    group_weight = np.bincount(codes, weights=w[rows], minlength=n_groups)
    first = np.zeros(n_groups, dtype=np.intp)
    first[codes[::-1]] = np.arange(codes.shape[0] - 1, -1, -1)
    reduced = sp.csr_matrix(sub[first], dtype=np.int8)
    return _Instance(
        weight=w,
        cover=cover,
        fixed=fixed_mask,
        covered_fixed=covered_fixed,
        unreachable=unreachable,
        n_free=int(free.shape[0]),
        cols=free[used],
        group_weight=group_weight.astype(np.float64),
        reduced=reduced,
        radius_m=_check_radius(service_radius_m),
        build_s=time.perf_counter() - start,
    )


def _covered_with(inst: _Instance, chosen: npt.NDArray[np.intp]) -> npt.NDArray[np.bool_]:
    """Demand covered by the existing sites plus ``chosen`` (candidate columns)."""
    opened = inst.fixed.copy()
    opened[chosen] = True
    return np.asarray(inst.cover[:, np.flatnonzero(opened)].getnnz(axis=1) > 0).ravel()


def _group_gain(
    reduced_csc: sp.csc_matrix, remaining: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    return np.asarray(reduced_csc.T @ remaining).ravel()


def _greedy_columns(
    inst: _Instance, *, k: int | None, required: float | None
) -> npt.NDArray[np.intp]:
    """Greedy on the reduced problem; returns reduced column positions in the order chosen.

    Stops after ``k`` sites (MCLP), once ``required`` demand is covered (LSCP), or when no
    candidate adds anything.
    """
    csc = sp.csc_matrix(inst.reduced, dtype=np.float64)
    remaining = inst.group_weight.copy()
    chosen: list[int] = []
    covered = 0.0
    while True:
        if k is not None and len(chosen) >= k:
            break
        if required is not None and covered >= required:
            break
        gain = _group_gain(csc, remaining)
        best = int(np.argmax(gain)) if gain.shape[0] else -1
        if best < 0 or gain[best] <= 0:
            break
        chosen.append(best)
        rows = csc.indices[csc.indptr[best] : csc.indptr[best + 1]]
        covered += float(remaining[rows].sum())
        remaining[rows] = 0.0
    return np.asarray(chosen, dtype=np.intp)


def _reduced_value(inst: _Instance, columns: npt.NDArray[np.intp]) -> float:
    """Weight of the demand groups reached by the reduced ``columns``."""
    if columns.shape[0] == 0 or inst.reduced.shape[0] == 0:
        return 0.0
    hit = np.asarray(inst.reduced[:, columns].getnnz(axis=1) > 0).ravel()
    return float(inst.group_weight[hit].sum())


def _drop_useless(
    inst: _Instance, columns: npt.NDArray[np.intp], *, required: float | None
) -> npt.NDArray[np.intp]:
    """Remove chosen sites that add nothing (MCLP) or that ``required`` coverage does not need.

    A site's unique contribution is the demand only it reaches among the chosen sites; the site
    with the smallest such contribution that can go is removed, one at a time, keeping order.
    """
    kept = np.asarray(columns, dtype=np.intp).copy()
    if kept.shape[0] == 0 or inst.reduced.shape[0] == 0:
        return kept
    b = sp.csc_matrix(inst.reduced, dtype=np.float64)
    weight = inst.group_weight
    while kept.shape[0]:
        sub = sp.csc_matrix(b[:, kept])
        count = np.asarray(sub.sum(axis=1)).ravel()
        value = float(weight[count > 0].sum())
        unique = np.asarray(sub.T @ (weight * (count == 1))).ravel()
        if required is None:
            removable = unique <= 1e-12 * max(value, 1.0)
        else:
            removable = value - unique >= required
        if not removable.any():
            break
        options = np.flatnonzero(removable)
        # Least useful first; among equals, the one chosen last.
        pick = options[np.lexsort((-options, unique[options]))[0]]
        kept = np.delete(kept, pick)
    return kept


def _swap_improve(
    inst: _Instance, columns: npt.NDArray[np.intp], *, max_rounds: int = 20
) -> npt.NDArray[np.intp]:
    """Improve an MCLP choice by one-for-one swaps (vertex interchange) while any swap gains.

    For each chosen site in turn, the demand only it reaches is what removing it loses; every
    other candidate is scored at once (one sparse product) on the demand then uncovered, and
    the best replaces it if it gains more than is lost.  Rounds repeat until none improves.
    """
    chosen = np.asarray(columns, dtype=np.intp).copy()
    if chosen.shape[0] == 0 or inst.reduced.shape[0] == 0:
        return chosen
    b = sp.csc_matrix(inst.reduced, dtype=np.float64)
    bt = sp.csr_matrix(b.T)
    weight = inst.group_weight
    count = np.asarray(b[:, chosen].sum(axis=1)).ravel()
    tolerance = 1e-9 * max(float(weight.sum()), 1.0)
    for _ in range(max_rounds):
        improved = False
        for position in range(chosen.shape[0]):
            j = int(chosen[position])
            rows_j = b.indices[b.indptr[j] : b.indptr[j + 1]]
            lost_rows = rows_j[count[rows_j] == 1]
            open_weight = np.where(count == 0, weight, 0.0)
            open_weight[lost_rows] = weight[lost_rows]
            gain = np.asarray(bt @ open_weight).ravel()
            gain[chosen] = -np.inf
            best = int(np.argmax(gain))
            if gain[best] > float(weight[lost_rows].sum()) + tolerance:
                count[rows_j] -= 1
                count[b.indices[b.indptr[best] : b.indptr[best + 1]]] += 1
                chosen[position] = best
                improved = True
        if not improved:
            break
    return chosen


# ---- bounds and CBC ----------------------------------------------------------------------


def _lp_bound(inst: _Instance, *, k: int | None, required: float | None, all_rows: bool) -> float:
    """Linear-programming relaxation objective (HiGHS): a valid bound for the integer problem.

    MCLP (``k``): an upper bound on the demand new sites can add.  LSCP (``required`` or
    ``all_rows``): a lower bound on the number of sites (not yet rounded up).
    """
    b = sp.csr_matrix(inst.reduced, dtype=np.float64)
    n_g, n_x = b.shape
    if n_g == 0 or n_x == 0:
        return 0.0
    # Interior point (with crossover) is several times faster than simplex on the degenerate
    # LPs of a few thousand demand groups; simplex is quicker on small ones.
    method = "highs-ipm" if n_g > 1000 else "highs"
    if k is not None:
        # Variables [x, z]: minimise -W.z; z - Bx <= 0; sum x <= k.
        a_ub = sp.vstack(
            [
                sp.hstack([-b, sp.identity(n_g, format="csr")]),
                sp.hstack([sp.csr_matrix(np.ones((1, n_x))), sp.csr_matrix((1, n_g))]),
            ],
            format="csr",
        )
        b_ub = np.concatenate([np.zeros(n_g), [float(k)]])
        c = np.concatenate([np.zeros(n_x), -inst.group_weight])
        result = linprog(c, A_ub=a_ub, b_ub=b_ub, bounds=(0.0, 1.0), method=method)
        if result.status != 0:
            return float(inst.group_weight.sum())
        return float(-result.fun)
    if all_rows:
        result = linprog(
            np.ones(n_x), A_ub=-b, b_ub=-np.ones(n_g), bounds=(0.0, 1.0), method=method
        )
        return float(result.fun) if result.status == 0 else 0.0
    assert required is not None
    a_ub = sp.vstack(
        [
            sp.hstack([-b, sp.identity(n_g, format="csr")]),
            sp.hstack([sp.csr_matrix((1, n_x)), sp.csr_matrix(-inst.group_weight[None, :])]),
        ],
        format="csr",
    )
    b_ub = np.concatenate([np.zeros(n_g), [-required]])
    c = np.concatenate([np.ones(n_x), np.zeros(n_g)])
    result = linprog(c, A_ub=a_ub, b_ub=b_ub, bounds=(0.0, 1.0), method=method)
    return float(result.fun) if result.status == 0 else 0.0


def _cbc_solver(time_limit_s: float, log_path: Path) -> Any:
    """CBC through PuLP: the binary bundled with PuLP (as ``PULP_CBC_CMD`` runs it).

    ``PULP_CBC_CMD`` itself warns that it is deprecated from PuLP 3.3, so its bundled binary is
    run through ``COIN_CMD``; a system ``cbc`` (``pip install pulp[cbc]``) is the fallback.
    """
    legacy = getattr(pulp, "PULP_CBC_CMD", None)
    bundled = getattr(legacy, "pulp_cbc_path", None)
    path = bundled if bundled and os.access(bundled, os.X_OK) else None
    solver = pulp.COIN_CMD(
        path=path,
        msg=False,
        timeLimit=time_limit_s,
        gapRel=0,
        logPath=str(log_path),
        warmStart=True,
        timeMode="elapsed",
    )
    if not solver.available():
        raise RuntimeError(
            "the CBC solver is not available: reinstall pulp (it bundles CBC) or install "
            "'pulp[cbc]'"
        )
    return solver


_LOG_BOUND = re.compile(r"^(?:Upper|Lower) bound:\s*(-?[0-9.eE+-]+)", re.MULTILINE)


def _log_bound(log_path: Path) -> float | None:
    """CBC's final best bound from its log, if it states one (after a time-limit stop)."""
    try:
        text = log_path.read_text(errors="replace")
    except OSError:
        return None
    found = _LOG_BOUND.findall(text)
    if not found:
        return None
    try:
        return float(found[-1])
    except ValueError:
        return None


@dataclass(frozen=True)
class _CbcOutcome:
    columns: npt.NDArray[np.intp] | None  # None: CBC has no solution to offer
    proved_optimal: bool
    infeasible: bool
    log_bound: float | None
    description: str
    model_s: float = 0.0


def _run_cbc(
    inst: _Instance,
    *,
    k: int | None,
    required: float | None,
    all_rows: bool,
    time_limit_s: float,
    start_columns: npt.NDArray[np.intp],
) -> _CbcOutcome:
    """Build the reduced model in PuLP and solve it with CBC, starting from ``start_columns``."""
    built = time.perf_counter()
    b = inst.reduced
    n_g, n_x = b.shape
    sense = pulp.LpMaximize if k is not None else pulp.LpMinimize
    prob = pulp.LpProblem("siting", sense)
    x = [prob.add_variable(f"x{j}", 0, 1, cat=pulp.LpBinary) for j in range(n_x)]
    start = np.zeros(n_x, dtype=bool)
    start[start_columns] = True
    for j in range(n_x):
        x[j].setInitialValue(1 if start[j] else 0)
    start_hit = (
        np.asarray(b[:, start_columns].getnnz(axis=1) > 0).ravel()
        if start_columns.shape[0]
        else np.zeros(n_g, dtype=bool)
    )
    # Rows of the reduced matrix as lists of columns: one slice per demand group.
    row_columns = np.split(b.indices, b.indptr[1:-1])
    if all_rows:
        for g, cols in enumerate(row_columns):
            prob += pulp.LpAffineExpression([(x[j], 1) for j in cols.tolist()]) >= 1, f"c{g}"
        prob += pulp.lpSum(x)
    else:
        z = [prob.add_variable(f"z{g}", 0, 1) for g in range(n_g)]
        for g, cols in enumerate(row_columns):
            z[g].setInitialValue(1 if start_hit[g] else 0)
            terms = [(x[j], 1) for j in cols.tolist()]
            terms.append((z[g], -1))
            prob += pulp.LpAffineExpression(terms) >= 0, f"c{g}"
        weighted = pulp.LpAffineExpression(
            [(z[g], float(inst.group_weight[g])) for g in range(n_g)]
        )
        if k is not None:
            prob += weighted
            prob += pulp.lpSum(x) <= k, "sites"
        else:
            assert required is not None
            prob += pulp.lpSum(x)
            prob += weighted >= required, "share"
    model_s = time.perf_counter() - built
    with tempfile.TemporaryDirectory(prefix="siting-") as folder:
        log_path = Path(folder) / "cbc.log"
        prob.solve(_cbc_solver(time_limit_s, log_path))
        bound = _log_bound(log_path)
    sol_status = prob.sol_status
    if sol_status == pulp.LpSolutionInfeasible:
        return _CbcOutcome(None, False, True, None, "CBC found the model infeasible", model_s)
    if sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        return _CbcOutcome(
            None,
            False,
            False,
            bound,
            f"CBC stopped without a solution ({pulp.LpStatus.get(prob.status, prob.status)})",
            model_s,
        )
    values = np.array([v.varValue if v.varValue is not None else 0.0 for v in x])
    columns = np.flatnonzero(values > 0.5).astype(np.intp)
    proved = sol_status == pulp.LpSolutionOptimal
    return _CbcOutcome(
        columns,
        proved,
        False,
        bound,
        "CBC proved the solution optimal" if proved else "CBC stopped at the time limit",
        model_s,
    )


# ---- MCLP --------------------------------------------------------------------------------


def _check_k(k: int, n_free: int) -> int:
    if isinstance(k, bool) or not isinstance(k, int | np.integer):
        raise InputError(f"k must be a whole number of new sites, not {k!r}")
    if not 1 <= k <= n_free:
        raise InputError(
            f"k (the number of new sites) must be between 1 and {n_free}, the number of "
            f"candidate sites, not {k}"
        )
    return int(k)


def _siting_result(
    inst: _Instance,
    columns: npt.NDArray[np.intp],
    *,
    problem: Literal["mclp", "lscp"],
    method: Literal["exact", "greedy"],
    bound: float,
    proved: bool,
    time_limited: bool,
    message: str,
    solve_s: float,
    build_s: float,
    ordered: bool,
) -> SitingResult:
    """The result of choosing candidate ``columns``, with an honest gap against ``bound``.

    MCLP maximises the demand the new sites add (the bound is an upper bound); LSCP minimises
    the number of sites (the bound is a lower bound, rounded up as a count of sites must be).
    ``proved`` means the solver proved optimality; otherwise a gap within ``OPTIMAL_GAP`` still
    counts as optimal, and a larger one is reported with the reason the search stopped.
    """
    chosen = inst.cols[columns]
    if not ordered:
        chosen = np.sort(chosen)
    covered = _covered_with(inst, chosen)
    covered_demand = float(inst.weight[covered].sum())
    if problem == "mclp":
        objective = covered_demand - inst.existing
        bound = objective if proved else max(bound, objective)
        gap = 0.0 if bound <= 0 else max((bound - objective) / bound, 0.0)
    else:
        objective = float(chosen.shape[0])
        bound = objective if proved else min(math.ceil(bound - 1e-6), objective)
        gap = 0.0 if objective == 0 else max((objective - bound) / objective, 0.0)
    optimal = proved or gap <= OPTIMAL_GAP
    if optimal:
        status = "optimal"
        gap = 0.0 if proved or problem == "lscp" else gap
    elif time_limited:
        status = f"time limit reached, gap {gap:.2%}"
    else:
        status = f"not proven optimal, gap {gap:.2%}"
    return SitingResult(
        problem=problem,
        method=method,
        chosen=chosen.astype(np.intp),
        covered=covered,
        covered_demand=covered_demand,
        covered_by_existing=inst.existing,
        total_demand=inst.total,
        share_covered=covered_demand / inst.total,
        objective=objective,
        bound=float(bound),
        gap=gap,
        status=status,
        optimal=optimal,
        message=message,
        unreachable=inst.unreachable,
        service_radius_m=inst.radius_m,
        build_s=build_s,
        solve_s=solve_s,
    )


def greedy_mclp(
    cost_m: sp.spmatrix | sp.sparray | npt.ArrayLike,
    weight: npt.ArrayLike,
    *,
    k: int,
    service_radius_m: float,
    fixed: npt.ArrayLike | None = None,
    with_bound: bool = True,
    swaps: bool = False,
) -> SitingResult:
    """Choose up to ``k`` new sites greedily: each step adds the site reaching most uncovered demand.

    Parameters
    ----------
    cost_m:
        Demand x candidate walking distances in metres (see :func:`network_cost_matrix`);
        dense input uses ``inf`` for out of reach.
    weight:
        Demand weight per row (e.g. excluded residents), >= 0, not all zero.
    k:
        Number of new sites, 1 to the number of non-fixed candidates.
    service_radius_m:
        A demand point is covered when the walk to an open site is at most this, metres.
    fixed:
        True for candidate columns that are existing venues (open, not counted in ``k``).
    with_bound:
        Also solve the LP relaxation to report a proven gap (milliseconds at borough scale,
        about half a second at 5,000 demand points); otherwise the bound is all the demand new
        sites could reach.
    swaps:
        Then improve the choice by one-for-one swaps while any swap adds demand (vertex
        interchange, as in Teitz and Bart's heuristic).  Off by default: plain greedy is the
        baseline the exact solve is compared with.

    Returns
    -------
    SitingResult
        ``method="greedy"``; ``chosen`` in the order picked.  Optimal only if the gap proves it.
    """
    inst = _prepare(cost_m, weight, service_radius_m, fixed)
    k = _check_k(k, inst.n_free)
    start = time.perf_counter()
    columns = _greedy_columns(inst, k=k, required=None)
    if swaps:
        columns = _swap_improve(inst, columns)
    columns = _drop_useless(inst, columns, required=None)
    trivial = float(inst.group_weight.sum())
    bound = _lp_bound(inst, k=k, required=None, all_rows=False) if with_bound else trivial
    bound = min(bound, trivial)
    solve_s = time.perf_counter() - start
    return _siting_result(
        inst,
        columns,
        problem="mclp",
        method="greedy",
        bound=bound,
        proved=columns.shape[0] == inst.cols.shape[0],
        time_limited=False,
        message="Greedy choice: each new site reaches the most demand not yet covered"
        + (", then improved by swaps." if swaps else "."),
        solve_s=solve_s,
        build_s=inst.build_s,
        ordered=True,
    )


def solve_mclp(
    cost_m: sp.spmatrix | sp.sparray | npt.ArrayLike,
    weight: npt.ArrayLike,
    *,
    k: int,
    service_radius_m: float,
    fixed: npt.ArrayLike | None = None,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    greedy_start: bool = True,
) -> SitingResult:
    """Choose up to ``k`` new sites to cover the most demand (maximal covering), exactly with CBC.

    Existing venues (``fixed``) stay open and their coverage counts; only new sites are chosen.
    The model is reduced first (see the module notes), started from the greedy solution, and
    solved by CBC within ``time_limit_s``.  If the greedy solution already meets the LP bound it
    is optimal and CBC is not run.

    Parameters
    ----------
    cost_m:
        Demand x candidate walking distances in metres (see :func:`network_cost_matrix`);
        dense input uses ``inf`` for out of reach.
    weight:
        Demand weight per row, >= 0, not all zero.
    k:
        Number of new sites, 1 to the number of non-fixed candidates.
    service_radius_m:
        Coverage radius in metres (the matrix must have been built with at least this limit).
    fixed:
        True for candidate columns that are existing venues.
    time_limit_s:
        Wall-clock limit for CBC in seconds (0 < t <= 3600).  Writing the model and computing
        the bound add a little on top.
    greedy_start:
        Start CBC from the greedy solution improved by swaps, and skip CBC when that already
        meets the LP bound (default).  False always runs CBC from an empty start (to check or
        time CBC alone).

    Returns
    -------
    SitingResult
        ``status`` is "optimal" only when proven; otherwise "time limit reached, gap x%" with
        the gap against the best proven bound.

    Raises
    ------
    InputError
        For bad input: k out of range, no candidates, all-zero demand, a bad radius or limit.
    """
    inst = _prepare(cost_m, weight, service_radius_m, fixed)
    k = _check_k(k, inst.n_free)
    limit = _check_time_limit(time_limit_s)
    start = time.perf_counter()
    trivial = float(inst.group_weight.sum())
    if inst.cols.shape[0] <= k:
        greedy = np.arange(inst.cols.shape[0], dtype=np.intp)
    elif greedy_start:
        greedy = _swap_improve(inst, _greedy_columns(inst, k=k, required=None))
        greedy = _drop_useless(inst, greedy, required=None)
    else:
        greedy = np.empty(0, dtype=np.intp)
    greedy_value = _reduced_value(inst, greedy)
    if greedy_value >= trivial - 1e-9 * max(trivial, 1.0):
        return _siting_result(
            inst,
            greedy,
            problem="mclp",
            method="exact",
            bound=trivial,
            proved=True,
            time_limited=False,
            message="Every demand point the candidates can reach is covered, so this is "
            "optimal; no solver run was needed.",
            solve_s=time.perf_counter() - start,
            build_s=inst.build_s,
            ordered=False,
        )
    lp = min(_lp_bound(inst, k=k, required=None, all_rows=False), trivial)
    if greedy_start and greedy_value >= lp - OPTIMAL_GAP * lp:
        return _siting_result(
            inst,
            greedy,
            problem="mclp",
            method="exact",
            bound=lp,
            proved=True,
            time_limited=False,
            message="The greedy choice (improved by swaps) meets the linear-programming bound, "
            "so it is optimal; no solver run was needed.",
            solve_s=time.perf_counter() - start,
            build_s=inst.build_s,
            ordered=False,
        )
    outcome = _run_cbc(
        inst, k=k, required=None, all_rows=False, time_limit_s=limit, start_columns=greedy
    )
    columns = greedy
    if outcome.columns is not None:
        candidate = _drop_useless(inst, outcome.columns, required=None)
        if _reduced_value(inst, candidate) >= greedy_value:
            columns = candidate
    bound = lp
    if outcome.log_bound is not None and outcome.log_bound >= _reduced_value(inst, columns):
        bound = min(bound, outcome.log_bound)
    solve_s = time.perf_counter() - start - outcome.model_s
    if outcome.proved_optimal:
        message = f"{outcome.description} for up to {k} new sites."
    elif outcome.columns is None:
        message = (
            f"{outcome.description} within {limit:g} s; the greedy choice (improved by swaps) "
            "is kept. Allow more "
            "time or aggregate demand to fewer zones for a proven answer."
        )
    else:
        message = (
            f"{outcome.description} ({limit:g} s) before proving the best choice. Allow "
            "more time or aggregate demand to fewer zones to close the gap."
        )
    return _siting_result(
        inst,
        columns,
        problem="mclp",
        method="exact",
        bound=bound,
        proved=outcome.proved_optimal,
        time_limited=not outcome.proved_optimal,
        message=message,
        solve_s=solve_s,
        build_s=inst.build_s + outcome.model_s,
        ordered=False,
    )


# ---- LSCP --------------------------------------------------------------------------------


def _check_share(share: float) -> float:
    if not (isinstance(share, int | float) and math.isfinite(share)) or not 0 < share <= 1:
        raise InputError(
            f"share must be more than 0 and at most 1 (e.g. 0.95 for 95% of demand), not {share!r}"
        )
    return float(share)


def _demand_names(ids: Sequence[object] | None, rows: npt.NDArray[np.intp]) -> str:
    shown = rows[:_MAX_LISTED]
    names = [str(ids[i]) for i in shown.tolist()] if ids is not None else [str(i) for i in shown]
    more = rows.shape[0] - shown.shape[0]
    return ", ".join(names) + (f" and {more} more" if more > 0 else "")


def _lscp_infeasible(
    inst: _Instance,
    share: float,
    *,
    method: Literal["exact", "greedy"],
    demand_ids: Sequence[object] | None,
    solve_s: float,
) -> SitingResult:
    reachable = inst.total - float(inst.weight[inst.unreachable].sum())
    best_share = reachable / inst.total
    lost = float(inst.weight[inst.unreachable].sum())
    message = (
        f"No plan can reach {share:.1%} of demand within {inst.radius_m:,.0f} m: "
        f"{inst.unreachable.shape[0]} demand point(s) ({lost:,.1f}, {lost / inst.total:.1%} "
        f"of demand) are out of reach of every existing venue and candidate site "
        f"({_demand_names(demand_ids, inst.unreachable)}). At most {best_share:.1%} can be "
        "reached: lower the share, allow a longer walk, or add candidate sites near those "
        "points."
    )
    covered = inst.covered_fixed.copy()
    return SitingResult(
        problem="lscp",
        method=method,
        chosen=np.empty(0, dtype=np.intp),
        covered=covered,
        covered_demand=inst.existing,
        covered_by_existing=inst.existing,
        total_demand=inst.total,
        share_covered=inst.existing / inst.total,
        objective=math.nan,
        bound=math.nan,
        gap=math.nan,
        status="infeasible",
        optimal=False,
        message=message,
        unreachable=inst.unreachable,
        service_radius_m=inst.radius_m,
        build_s=inst.build_s,
        solve_s=solve_s,
    )


def _lscp_setup(
    cost_m: sp.spmatrix | sp.sparray | npt.ArrayLike,
    weight: npt.ArrayLike,
    share: float,
    service_radius_m: float,
    fixed: npt.ArrayLike | None,
) -> tuple[_Instance, float, bool, bool]:
    """Instance, demand the new sites must add, whether every point must be covered, feasible."""
    share = _check_share(share)
    inst = _prepare(cost_m, weight, service_radius_m, fixed)
    all_rows = share >= 1.0
    required_total = share * inst.total * (1 - _SHARE_TOL)
    reachable = inst.total - float(inst.weight[inst.unreachable].sum())
    feasible = inst.unreachable.shape[0] == 0 if all_rows else reachable >= required_total
    required_new = max(required_total - inst.existing, 0.0)
    return inst, required_new, all_rows, feasible


def greedy_lscp(
    cost_m: sp.spmatrix | sp.sparray | npt.ArrayLike,
    weight: npt.ArrayLike,
    *,
    share: float = 1.0,
    service_radius_m: float,
    fixed: npt.ArrayLike | None = None,
    demand_ids: Sequence[object] | None = None,
    with_bound: bool = True,
) -> SitingResult:
    """The fewest new sites, chosen greedily, that bring covered demand up to ``share``.

    Adds the site reaching the most uncovered demand until the target is met, then drops any
    site the target no longer needs.

    Parameters
    ----------
    cost_m, weight, service_radius_m, fixed:
        As for :func:`greedy_mclp`.
    share:
        Share of all demand weight (existing coverage included) to reach, 0 < share <= 1.
        With 1, every demand point with positive weight must be reached.
    demand_ids:
        Names of the demand rows, used in the infeasibility message.
    with_bound:
        Also solve the LP relaxation to report a proven gap.

    Returns
    -------
    SitingResult
        ``status="infeasible"`` (with ``unreachable`` and a message) when even every candidate
        together cannot reach the share.
    """
    start = time.perf_counter()
    inst, required, all_rows, feasible = _lscp_setup(cost_m, weight, share, service_radius_m, fixed)
    if not feasible:
        return _lscp_infeasible(
            inst, share, method="greedy", demand_ids=demand_ids, solve_s=time.perf_counter() - start
        )
    target = float(inst.group_weight.sum()) if all_rows else required
    columns = _greedy_columns(inst, k=None, required=target * (1 - _SHARE_TOL))
    columns = _drop_useless(inst, columns, required=target * (1 - _SHARE_TOL))
    bound = (
        _lp_bound(inst, k=None, required=required, all_rows=all_rows)
        if with_bound and columns.shape[0]
        else 0.0
    )
    return _siting_result(
        inst,
        columns,
        problem="lscp",
        method="greedy",
        bound=bound,
        proved=columns.shape[0] == 0,
        time_limited=False,
        message="Greedy choice: sites added one at a time, most uncovered demand first, until "
        "the target share is reached.",
        solve_s=time.perf_counter() - start - inst.build_s,
        build_s=inst.build_s,
        ordered=True,
    )


def solve_lscp(
    cost_m: sp.spmatrix | sp.sparray | npt.ArrayLike,
    weight: npt.ArrayLike,
    *,
    share: float = 1.0,
    service_radius_m: float,
    fixed: npt.ArrayLike | None = None,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    demand_ids: Sequence[object] | None = None,
    greedy_start: bool = True,
) -> SitingResult:
    """The fewest new sites that bring covered demand up to ``share`` (set covering), with CBC.

    Existing venues (``fixed``) stay open and count.  With ``share=1`` this is the classic
    location set covering problem, which is infeasible when some demand point is farther than
    the radius from every site (as spopt notes: radius below the largest nearest-site
    distance); with ``share < 1`` it is the partial covering variant.  Infeasibility is
    reported, not raised: the result names the demand no site can reach.

    Parameters
    ----------
    cost_m, weight, service_radius_m, fixed, time_limit_s:
        As for :func:`solve_mclp`.
    share:
        Share of all demand weight to reach (0 < share <= 1).
    demand_ids:
        Names of the demand rows, used in the infeasibility message.
    greedy_start:
        As for :func:`solve_mclp`.  CBC always receives a feasible start here (the greedy
        solution), but with False it is not used to skip CBC.

    Returns
    -------
    SitingResult
        ``objective`` is the number of new sites; ``bound`` a proven lower bound.
    """
    start = time.perf_counter()
    inst, required, all_rows, feasible = _lscp_setup(cost_m, weight, share, service_radius_m, fixed)
    limit = _check_time_limit(time_limit_s)
    if not feasible:
        return _lscp_infeasible(
            inst, share, method="exact", demand_ids=demand_ids, solve_s=time.perf_counter() - start
        )
    solve_start = time.perf_counter()
    target = float(inst.group_weight.sum()) if all_rows else required
    greedy = _greedy_columns(inst, k=None, required=target * (1 - _SHARE_TOL))
    greedy = _drop_useless(inst, greedy, required=target * (1 - _SHARE_TOL))
    if greedy.shape[0] == 0:
        return _siting_result(
            inst,
            greedy,
            problem="lscp",
            method="exact",
            bound=0.0,
            proved=True,
            time_limited=False,
            message="Existing venues already reach the target share: no new site is needed.",
            solve_s=time.perf_counter() - solve_start,
            build_s=inst.build_s,
            ordered=False,
        )
    lp = math.ceil(_lp_bound(inst, k=None, required=required, all_rows=all_rows) - 1e-6)
    if greedy_start and greedy.shape[0] <= lp:
        return _siting_result(
            inst,
            greedy,
            problem="lscp",
            method="exact",
            bound=float(lp),
            proved=True,
            time_limited=False,
            message="The greedy choice meets the linear-programming bound, so it is optimal; "
            "no solver run was needed.",
            solve_s=time.perf_counter() - solve_start,
            build_s=inst.build_s,
            ordered=False,
        )
    outcome = _run_cbc(
        inst,
        k=None,
        required=required,
        all_rows=all_rows,
        time_limit_s=limit,
        start_columns=greedy,
    )
    columns = greedy
    if outcome.columns is not None:
        candidate = _drop_useless(inst, outcome.columns, required=target * (1 - _SHARE_TOL))
        if (
            _reduced_value(inst, candidate) >= target * (1 - _SHARE_TOL) - 1e-9
            and candidate.shape[0] <= greedy.shape[0]
        ):
            columns = candidate
    bound = float(lp)
    if outcome.log_bound is not None and outcome.log_bound <= columns.shape[0] + 1e-6:
        bound = max(bound, math.ceil(outcome.log_bound - 1e-6))
    if outcome.proved_optimal:
        message = f"{outcome.description}: {columns.shape[0]} new site(s) are the fewest needed."
    else:
        message = (
            f"{outcome.description} ({limit:g} s) before proving this the fewest sites. "
            "Allow more time or aggregate demand to fewer zones to close the gap."
        )
    return _siting_result(
        inst,
        columns,
        problem="lscp",
        method="exact",
        bound=bound,
        proved=outcome.proved_optimal,
        time_limited=not outcome.proved_optimal,
        message=message,
        solve_s=time.perf_counter() - solve_start - outcome.model_s,
        build_s=inst.build_s + outcome.model_s,
        ordered=False,
    )


def compare_exact_greedy(
    cost_m: sp.spmatrix | sp.sparray | npt.ArrayLike,
    weight: npt.ArrayLike,
    *,
    service_radius_m: float,
    k: int | None = None,
    share: float | None = None,
    fixed: npt.ArrayLike | None = None,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
) -> SitingComparison:
    """Solve the same instance exactly and greedily and report what greedy gives up.

    Give ``k`` for MCLP (the difference is in coverage share, exact minus greedy) or ``share``
    for LSCP (the difference is in sites, greedy minus exact).

    Parameters
    ----------
    cost_m, weight, service_radius_m, fixed, time_limit_s:
        As for :func:`solve_mclp`.
    k, share:
        Exactly one of them.

    Returns
    -------
    SitingComparison
    """
    if (k is None) == (share is None):
        raise InputError("give exactly one of k (most coverage) or share (fewest sites)")
    if k is not None:
        exact = solve_mclp(
            cost_m,
            weight,
            k=k,
            service_radius_m=service_radius_m,
            fixed=fixed,
            time_limit_s=time_limit_s,
        )
        greedy = greedy_mclp(cost_m, weight, k=k, service_radius_m=service_radius_m, fixed=fixed)
        return SitingComparison(exact, greedy, exact.share_covered - greedy.share_covered)
    assert share is not None
    exact = solve_lscp(
        cost_m,
        weight,
        share=share,
        service_radius_m=service_radius_m,
        fixed=fixed,
        time_limit_s=time_limit_s,
    )
    greedy = greedy_lscp(
        cost_m, weight, share=share, service_radius_m=service_radius_m, fixed=fixed
    )
    difference = (
        greedy.objective - exact.objective if exact.feasible and greedy.feasible else math.nan
    )
    return SitingComparison(exact, greedy, difference)


# ---- candidates --------------------------------------------------------------------------


def _normalise_kind(text: pd.Series) -> pd.Series:
    kind = (
        text.astype("string")
        .str.strip()
        .str.lower()
        .str.replace(r"[_\-]+", " ", regex=True)
        .str.replace(r"\s+", " ", regex=True)
    )
    return kind.replace(_KIND_SYNONYMS)


def _find_column(columns: Sequence[str], *names: str) -> str | None:
    lookup = {column.strip().lower(): column for column in columns}
    for name in names:
        if name in lookup:
            return lookup[name]
    return None


def _numbers(
    frame: pd.DataFrame, column: str, *, source: str, what: str
) -> npt.NDArray[np.float64]:
    values = pd.to_numeric(frame[column].astype("string").str.strip(), errors="coerce")
    array = values.to_numpy(dtype=np.float64, na_value=np.nan)
    _refuse_rows(
        ~np.isfinite(array),
        f"the {what} is missing or not a number",
        source=source,
        column=column,
        advice=f"give the {what} as a number",
    )
    return array


def _candidate_frame(
    ids: npt.NDArray[np.object_],
    names: npt.NDArray[np.object_],
    kinds: npt.NDArray[np.object_],
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "candidate_id": ids,
            "name": names,
            "kind": kinds,
            "x_m": x,
            "y_m": y,
        },
        geometry=shapely.points(x, y),
        crs=_BNG,
    )


def _candidates_from_table(frame: pd.DataFrame, *, source: str) -> gpd.GeoDataFrame:
    columns = [str(column) for column in frame.columns]
    frame = frame.rename(columns=dict(zip(frame.columns, columns, strict=True)))
    if len(frame) == 0:
        raise InputError("the candidate file has no rows: add one row per building", source=source)
    name_column = _find_column(columns, "name")
    if name_column is None:
        raise InputError(
            "no 'name' column: add the name of each candidate building",
            source=source,
            column="name",
        )
    kind_column = _find_column(columns, "kind")
    if kind_column is None:
        raise InputError(
            "no 'kind' column: add one of " + ", ".join(CANDIDATE_KINDS),
            source=source,
            column="kind",
        )
    names = frame[name_column].astype("string").str.strip()
    _refuse_rows(
        (names.isna() | (names == "")).to_numpy(dtype=bool),
        "the name is blank",
        source=source,
        column=name_column,
        advice="give each building a name",
    )
    kinds = _normalise_kind(frame[kind_column])
    bad_kind = ~kinds.isin(list(CANDIDATE_KINDS)).fillna(False).to_numpy(dtype=bool)
    _refuse_rows(
        bad_kind,
        "the kind is not recognised",
        source=source,
        column=kind_column,
        advice="use one of " + ", ".join(CANDIDATE_KINDS),
    )
    x_column = _find_column(columns, "x_m", "x", "easting")
    y_column = _find_column(columns, "y_m", "y", "northing")
    lat_column = _find_column(columns, "lat", "latitude")
    lon_column = _find_column(columns, "lon", "lng", "longitude")
    if x_column is not None and y_column is not None:
        x = _numbers(frame, x_column, source=source, what="easting")
        y = _numbers(frame, y_column, source=source, what="northing")
        outside = ~((x >= _BNG_X[0]) & (x <= _BNG_X[1]) & (y >= _BNG_Y[0]) & (y <= _BNG_Y[1]))
        _refuse_rows(
            outside,
            "the easting/northing is outside Great Britain",
            source=source,
            column=f"{x_column}/{y_column}",
            advice="give British National Grid metres (EPSG:27700), e.g. 512000, 176000",
        )
    elif lat_column is not None and lon_column is not None:
        lat = _numbers(frame, lat_column, source=source, what="latitude")
        lon = _numbers(frame, lon_column, source=source, what="longitude")
        outside = ~((lat >= _LAT[0]) & (lat <= _LAT[1]) & (lon >= _LON[0]) & (lon <= _LON[1]))
        _refuse_rows(
            outside,
            "the latitude/longitude is outside Great Britain",
            source=source,
            column=f"{lat_column}/{lon_column}",
            advice="give WGS84 degrees, e.g. lat 51.47, lon -0.36 (check they are not swapped)",
        )
        transformer = pyproj.Transformer.from_crs("EPSG:4326", _BNG, always_xy=True)
        x, y = transformer.transform(lon, lat)
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    else:
        raise InputError(
            "no coordinate columns: add x_m and y_m (British National Grid metres, also "
            "accepted as x/y or easting/northing) or lat and lon (WGS84 degrees)",
            source=source,
            column="x_m/y_m",
        )
    id_column = _find_column(columns, "id", "candidate_id")
    if id_column is not None:
        ids = frame[id_column].astype("string").str.strip()
        _refuse_rows(
            (ids.isna() | (ids == "")).to_numpy(dtype=bool),
            "the id is blank",
            source=source,
            column=id_column,
            advice="give each building an id, or remove the id column",
        )
        _refuse_rows(
            ids.duplicated(keep="first").to_numpy(dtype=bool),
            "the id repeats an earlier row",
            source=source,
            column=id_column,
            advice="give each building its own id",
        )
        id_values = ids.to_numpy(dtype=object)
    else:
        id_values = np.asarray([f"row {i + 1}" for i in range(len(frame))], dtype=object)
    return _candidate_frame(
        id_values,
        names.to_numpy(dtype=object),
        kinds.to_numpy(dtype=object),
        x,
        y,
    )


def _candidates_from_osm(pois: gpd.GeoDataFrame, *, source: str) -> gpd.GeoDataFrame:
    if pois.crs is None:
        raise InputError(
            "the points of interest have no coordinate reference system: set one (e.g. "
            "EPSG:4326 for OSM)",
            source=source,
        )
    amenity = pois["amenity"].astype("string").str.strip().str.lower()
    kind = amenity.map(_OSM_AMENITY_KIND)
    keep = kind.notna().to_numpy(dtype=bool)
    chosen = pois.loc[keep].to_crs(_BNG)
    kinds = kind[keep].astype(object)
    geometry = np.asarray(chosen.geometry.array, dtype=object)
    missing = shapely.is_missing(geometry) | shapely.is_empty(geometry)
    if missing.any():
        raise InputError(
            f"{int(missing.sum())} kept feature(s) have no geometry: fix or remove them",
            source=source,
            column="geometry",
        )
    points = shapely.point_on_surface(geometry)
    xy = shapely.get_coordinates(points)
    if "name" in chosen.columns:
        names = chosen["name"].astype("string").str.strip()
    else:
        names = pd.Series(pd.NA, index=chosen.index, dtype="string")
    unnamed = "unnamed " + kinds.astype(str)
    names = names.mask(names.isna() | (names == ""), unnamed.to_numpy())
    if "osm_id" in chosen.columns:
        osm_type = (
            chosen["osm_type"].astype(str)
            if "osm_type" in chosen.columns
            else pd.Series("node", index=chosen.index)
        )
        ids = ("osm:" + osm_type + "/" + chosen["osm_id"].astype(str)).to_numpy(dtype=object)
    else:
        ids = np.asarray([f"feature {i + 1}" for i in np.flatnonzero(keep)], dtype=object)
    return _candidate_frame(
        ids,
        names.to_numpy(dtype=object),
        kinds.to_numpy(dtype=object),
        xy[:, 0].astype(np.float64),
        xy[:, 1].astype(np.float64),
    )


def read_candidates(source: str | Path | gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Read candidate buildings for new venues, from a CSV file or OpenStreetMap points of interest.

    **CSV**: one row per building with ``name``, ``kind`` (library, community centre, school,
    council building or other; "community center", "town hall" and similar are accepted) and
    either ``x_m``/``y_m`` (British National Grid metres; also ``x``/``y`` or
    ``easting``/``northing``) or ``lat``/``lon`` (WGS84 degrees).  An optional ``id`` column
    must be unique.  Column names are matched without regard to case.

    **GeoDataFrame or vector file** (GeoJSON, GeoPackage): with a ``kind`` and ``name`` column it
    is read like the CSV (points taken at a point on each surface); otherwise it is taken as OSM
    points of interest and ``amenity`` decides the kind: library; community_centre or
    social_centre (community centre); school; townhall (council building).  Other features
    (masts, cafés, ...) are left out; unnamed features are called "unnamed <kind>".

    Parameters
    ----------
    source:
        Path to a ``.csv``, ``.geojson``, ``.json`` or ``.gpkg`` file, or a GeoDataFrame.

    Returns
    -------
    geopandas.GeoDataFrame
        ``candidate_id`` (the ``id`` column, ``row N`` or ``osm:<type>/<id>``), ``name``,
        ``kind``, ``x_m``, ``y_m`` and point ``geometry``, EPSG:27700 metres.

    Raises
    ------
    InputError
        Naming the file, column and rows: a missing column, a blank name, an unknown kind, a
        coordinate that is not a number or lies outside Great Britain, a repeated id.
    """
    if isinstance(source, gpd.GeoDataFrame):
        frame: gpd.GeoDataFrame = source
        label = "candidates"
    else:
        path = Path(source)
        label = path.name
        if not path.is_file():
            raise InputError(f"no such file: check the path (looked for {path})", source=label)
        if path.suffix.lower() == ".csv":
            try:
                table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
            except (UnicodeDecodeError, pd.errors.ParserError) as error:
                raise InputError(
                    f"cannot read the file as UTF-8 CSV ({error})", source=label
                ) from None
            return _candidates_from_table(table, source=label)
        if path.suffix.lower() not in (".geojson", ".json", ".gpkg"):
            raise InputError(
                "unsupported file type: give a .csv, .geojson or .gpkg file", source=label
            )
        frame = gpd.read_file(path)
    columns = [str(column).lower() for column in frame.columns]
    if "kind" in columns and "name" in columns:
        if frame.crs is None:
            raise InputError("the layer has no coordinate reference system: set one", source=label)
        projected = frame.to_crs(_BNG)
        points = shapely.point_on_surface(np.asarray(projected.geometry.array, dtype=object))
        xy = shapely.get_coordinates(points)
        table = pd.DataFrame(projected.drop(columns=projected.geometry.name))
        table["x_m"], table["y_m"] = xy[:, 0], xy[:, 1]
        table = table.drop(columns=[c for c in table.columns if str(c).lower() in ("x", "y")])
        return _candidates_from_table(table, source=label)
    if "amenity" not in columns:
        raise InputError(
            "no 'kind' or 'amenity' column: give candidate buildings with name and kind, or "
            "OpenStreetMap points of interest with their amenity tag",
            source=label,
            column="kind",
        )
    return _candidates_from_osm(frame, source=label)


# ---- the whole job on a street network ---------------------------------------------------


def _xy(frame: pd.DataFrame, what: str) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    for column in ("x_m", "y_m"):
        if column not in frame.columns:
            raise InputError(
                f"the {what} table has no {column} column: give EPSG:27700 metres",
                source=what,
                column=column,
            )
    x = frame["x_m"].to_numpy(dtype=np.float64)
    y = frame["y_m"].to_numpy(dtype=np.float64)
    _refuse_rows(
        ~(np.isfinite(x) & np.isfinite(y)),
        "a coordinate is missing",
        source=what,
        column="x_m/y_m",
        advice="give EPSG:27700 eastings and northings in metres",
    )
    return x, y


def site_venues(
    net: StreetNetwork,
    demand: pd.DataFrame,
    candidates: pd.DataFrame,
    *,
    walk_min: float,
    k: int | None = None,
    share: float | None = None,
    existing: pd.DataFrame | None = None,
    speed_m_per_min: float = WALK_SPEED_M_PER_MIN,
    method: Literal["exact", "greedy"] = "exact",
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
) -> VenuePlan:
    """Choose new venues on a street network: most demand within a walk (``k``) or fewest sites (``share``).

    Demand points, candidates and existing venues are snapped to their nearest street node;
    the walk is the snap distance at each end plus the network distance.  Then
    :func:`solve_mclp` (``k`` given) or :func:`solve_lscp` (``share`` given), or their greedy
    versions, with existing venues fixed open.

    Parameters
    ----------
    net:
        Walking network (:class:`geo.network.StreetNetwork`), EPSG:27700 metres.
    demand:
        ``x_m``, ``y_m`` (EPSG:27700) and ``weight`` per demand point, e.g. from
        :func:`aggregate_demand`.
    candidates:
        ``x_m``, ``y_m`` per candidate building, e.g. from :func:`read_candidates`.
    walk_min:
        Walking time that counts as within reach, 1-60 minutes.
    k, share:
        Exactly one: the number of new sites (maximal covering), or the share of demand to reach
        with the fewest new sites (set covering).
    existing:
        ``x_m``, ``y_m`` of venues already open (they stay open and count), or None.
    speed_m_per_min:
        Walking speed, metres a minute (default 80).
    method:
        ``"exact"`` (CBC) or ``"greedy"``.
    time_limit_s:
        CBC's time limit, seconds.

    Returns
    -------
    VenuePlan
    """
    radius = walking_radius_m(walk_min, speed_m_per_min=speed_m_per_min)
    if (k is None) == (share is None):
        raise InputError("give exactly one of k (number of new venues) or share (of demand)")
    if method not in ("exact", "greedy"):
        raise InputError(f"method must be 'exact' or 'greedy', not {method!r}")
    if "weight" not in demand.columns:
        raise InputError(
            "the demand table has no weight column: give the demand (e.g. residents) per point",
            source="demand",
            column="weight",
        )
    if len(candidates) == 0:
        raise InputError(
            "there are no candidate sites: add candidate buildings", source="candidates"
        )
    dx, dy = _xy(demand, "demand")
    cx, cy = _xy(candidates, "candidates")
    if existing is not None and len(existing):
        ex, ey = _xy(existing, "existing")
    else:
        ex = ey = np.empty(0, dtype=np.float64)
    d_node, d_snap = snap_points(net, dx, dy)
    s_node, s_snap = snap_points(net, np.concatenate([ex, cx]), np.concatenate([ey, cy]))
    cost = network_cost_matrix(
        net,
        d_node,
        s_node,
        limit_m=radius,
        demand_offset_m=d_snap,
        candidate_offset_m=s_snap,
    )
    n_existing = ex.shape[0]
    fixed = np.zeros(s_node.shape[0], dtype=bool)
    fixed[:n_existing] = True
    weight = demand["weight"].to_numpy(dtype=np.float64)
    ids = [str(i) for i in demand.index]
    if k is not None:
        if method == "exact":
            result = solve_mclp(
                cost, weight, k=k, service_radius_m=radius, fixed=fixed, time_limit_s=time_limit_s
            )
        else:
            result = greedy_mclp(cost, weight, k=k, service_radius_m=radius, fixed=fixed)
    else:
        assert share is not None
        if method == "exact":
            result = solve_lscp(
                cost,
                weight,
                share=share,
                service_radius_m=radius,
                fixed=fixed,
                time_limit_s=time_limit_s,
                demand_ids=ids,
            )
        else:
            result = greedy_lscp(
                cost, weight, share=share, service_radius_m=radius, fixed=fixed, demand_ids=ids
            )
    # Back to candidate positions (the cost matrix put existing venues first).
    chosen_candidates = result.chosen - n_existing
    result = replace(result, chosen=chosen_candidates.astype(np.intp))
    covered_existing = (
        np.asarray(cost[:, :n_existing].getnnz(axis=1) > 0).ravel()
        if n_existing
        else np.zeros(len(demand), dtype=bool)
    )
    open_columns = np.concatenate([np.arange(n_existing), result.chosen + n_existing])
    walk = _nearest_stored(cost, open_columns.astype(np.intp))
    reach = sp.csr_matrix(cost[:, result.chosen + n_existing])
    reach.data = np.ones_like(reach.data)
    new_reach = np.asarray(reach.T @ np.where(covered_existing, 0.0, weight)).ravel()
    chosen_frame = candidates.iloc[result.chosen].copy()
    chosen_frame["new_demand_reached"] = new_reach
    demand_out = demand.copy()
    demand_out["covered"] = result.covered
    demand_out["covered_by"] = np.where(
        covered_existing, "existing venue", np.where(result.covered, "new venue", "not covered")
    )
    demand_out["walk_m"] = walk
    return VenuePlan(
        result=result,
        chosen=chosen_frame,
        demand=demand_out,
        service_radius_m=radius,
        walk_min=float(walk_min),
    )


def _nearest_stored(cost: sp.csr_matrix, columns: npt.NDArray[np.intp]) -> npt.NDArray[np.float64]:
    """Smallest stored cost per row over ``columns``; NaN where none is stored."""
    n = cost.shape[0]
    if columns.shape[0] == 0:
        return np.full(n, np.nan)
    sub = sp.csr_matrix(cost[:, columns])
    counts = np.diff(sub.indptr)
    out = np.full(n, np.nan)
    has = counts > 0
    if has.any():
        out[has] = np.minimum.reduceat(sub.data, sub.indptr[:-1][has])
    return out
