"""Tests for geo.siting: demand aggregation, network costs, MCLP/LSCP (exact and greedy), candidates."""

from __future__ import annotations

import itertools
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import pytest
import scipy.sparse as sp
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import dijkstra
from scipy.spatial.distance import cdist

from geo.access import snap_points
from geo.errors import InputError
from geo.network import to_networkx
from geo.siting import (
    CANDIDATE_KINDS,
    aggregate_demand,
    compare_exact_greedy,
    coverage_matrix,
    greedy_lscp,
    greedy_mclp,
    network_cost_matrix,
    read_candidates,
    site_venues,
    solve_lscp,
    solve_mclp,
    walking_radius_m,
)
from geo.sources.osm import read_street_network
from tests.geo.networks import X0, Y0, grid, line
from tests.shared_data import SHARED_DATA

RUTLAND_POIS = SHARED_DATA / "osm" / "rutland_community_digital_pois_2018.geojson"
OAKHAM_XML = SHARED_DATA / "osm" / "oakham_rutland_2018.osm"
RUTLAND_WARDS = SHARED_DATA / "rutland" / "rutland_wards_2023.geojson"
RUTLAND_LSOA21 = SHARED_DATA / "rutland" / "rutland_lsoa2021.geojson"
RUTLAND_POPULATION = SHARED_DATA / "rutland" / "rutland_population_age_lsoa.csv"


# The hand-computed example: five demand points around a ring, five candidates each reaching two
# neighbours.  Weights 10, 20, 30, 25, 15.
#   A {1,2} 30   B {2,3} 50   C {3,4} 55   D {4,5} 40   E {1,5} 25
# k = 2: B + D reach {2,3,4,5} = 90, the unique best pair (A + C 85, C + E 80, B + C 75, ...).
# Greedy takes C (55) first, then A (+30) = 85: it misses the optimum.
# Fewest sites for everyone: 3 (two sites reach at most four points of the five).
# Fewest for 90%: B + D (90 of 100).
RING_REACH = {"A": [0, 1], "B": [1, 2], "C": [2, 3], "D": [3, 4], "E": [0, 4]}
RING_WEIGHT = np.array([10.0, 20.0, 30.0, 25.0, 15.0])
RADIUS = 500.0


def ring_costs() -> npt.NDArray[np.float64]:
    cost = np.full((5, 5), 900.0)  # stored but beyond the radius
    for column, rows in enumerate(RING_REACH.values()):
        cost[rows, column] = 100.0
    return cost


def covered_weight(
    cover: npt.NDArray[np.bool_], weight: npt.NDArray[np.float64], columns: tuple[int, ...]
) -> float:
    if not columns:
        return 0.0
    return float(weight[cover[:, list(columns)].any(axis=1)].sum())


def brute_force_mclp(
    cover: npt.NDArray[np.bool_],
    weight: npt.NDArray[np.float64],
    k: int,
    fixed: npt.NDArray[np.bool_],
) -> float:
    """Best total covered demand over every choice of k free candidates."""
    free = np.flatnonzero(~fixed).tolist()
    base = tuple(np.flatnonzero(fixed).tolist())
    return max(
        covered_weight(cover, weight, base + combo) for combo in itertools.combinations(free, k)
    )


def brute_force_lscp(
    cover: npt.NDArray[np.bool_], weight: npt.NDArray[np.float64], required: float
) -> int | None:
    """Fewest candidates reaching ``required`` demand, or None if impossible."""
    n = cover.shape[1]
    for size in range(n + 1):
        for combo in itertools.combinations(range(n), size):
            if covered_weight(cover, weight, combo) >= required - 1e-9:
                return size
    return None


def as_dense(cost: sp.csr_matrix) -> npt.NDArray[np.float64]:
    """Stored entries (zeros included) as they are, ``inf`` where nothing is stored."""
    out = np.full(cost.shape, np.inf)
    rows = np.repeat(np.arange(cost.shape[0]), np.diff(cost.indptr))
    out[rows, cost.indices] = cost.data
    return out


# ---- walking radius ---------------------------------------------------------------------------


def test_walking_radius_is_minutes_times_speed() -> None:
    assert walking_radius_m(15) == 1200.0
    assert walking_radius_m(10, speed_m_per_min=60) == 600.0


@pytest.mark.parametrize("minutes", [0, 0.5, 61, float("nan")])
def test_walking_radius_refuses_times_out_of_range(minutes: float) -> None:
    with pytest.raises(InputError, match="walk_min"):
        walking_radius_m(minutes)


def test_walking_radius_refuses_silly_speeds() -> None:
    with pytest.raises(InputError, match="speed_m_per_min"):
        walking_radius_m(10, speed_m_per_min=500)


# ---- aggregate_demand -------------------------------------------------------------------------


def test_aggregate_by_zone_sums_weights_at_weighted_centroids() -> None:
    demand = aggregate_demand(
        [0.0, 100.0, 500.0, 700.0],
        [0.0, 0.0, 50.0, 50.0],
        [1.0, 3.0, 0.0, 0.0],
        zone_codes=["E2", "E2", "E1", "E1"],
    )
    assert demand.index.tolist() == ["E1", "E2"]
    assert demand.index.name == "demand_id"
    assert demand.loc["E2", "weight"] == 4.0
    assert demand.loc["E2", "x_m"] == 75.0  # (0 * 1 + 100 * 3) / 4
    # No weight at all: the plain centroid.
    assert demand.loc["E1", ["x_m", "y_m"]].tolist() == [600.0, 50.0]
    assert demand["n_points"].tolist() == [2, 2]


def test_aggregate_by_grid_cells_names_cells_by_their_corner() -> None:
    demand = aggregate_demand(
        [X0 + 10.0, X0 + 240.0, X0 + 260.0],
        [Y0 + 5.0, Y0 + 5.0, Y0 + 5.0],
        [2.0, 2.0, 7.0],
        cell_m=250,
    )
    assert demand.index.tolist() == ["E480000N300000", "E480250N300000"]
    assert demand["weight"].tolist() == [4.0, 7.0]
    assert demand["x_m"].tolist() == [X0 + 125.0, X0 + 260.0]


def test_aggregate_keeps_total_weight_on_many_points() -> None:
    rng = np.random.default_rng(3)
    x, y = rng.uniform(0, 5000, 2000), rng.uniform(0, 5000, 2000)
    weight = rng.uniform(0, 3, 2000)
    demand = aggregate_demand(x, y, weight, cell_m=500)
    assert len(demand) <= 100
    assert demand["weight"].sum() == pytest.approx(weight.sum())
    assert demand["n_points"].sum() == 2000


def test_aggregate_needs_exactly_one_way_to_group() -> None:
    with pytest.raises(InputError, match="exactly one of cell_m"):
        aggregate_demand([0.0], [0.0], [1.0])
    with pytest.raises(InputError, match="exactly one of cell_m"):
        aggregate_demand([0.0], [0.0], [1.0], cell_m=100, zone_codes=["a"])


def test_aggregate_names_the_row_with_a_missing_code() -> None:
    with pytest.raises(InputError, match=r"zone_codes.*row 2"):
        aggregate_demand([0.0, 1.0], [0.0, 1.0], [1.0, 1.0], zone_codes=["E1", None])


def test_aggregate_names_the_row_with_a_negative_weight() -> None:
    with pytest.raises(InputError, match=r"weight.*row 3"):
        aggregate_demand([0.0] * 3, [0.0] * 3, [1.0, 1.0, -1.0], cell_m=100)


# ---- network_cost_matrix ----------------------------------------------------------------------


def test_cost_matrix_on_a_line_keeps_pairs_within_the_limit() -> None:
    cost = network_cost_matrix(line(), [0, 5, 10], [2, 9], limit_m=400.0)
    assert cost.shape == (3, 2)
    dense = cost.toarray()
    assert dense[0, 0] == 200.0 and dense[1, 0] == 300.0 and dense[1, 1] == 400.0
    assert dense[2, 1] == 100.0
    # 0 -> 9 is 900 m and 10 -> 2 is 800 m: not stored.
    assert cost.nnz == 4


def test_cost_matrix_adds_snap_offsets_and_keeps_zero_walks() -> None:
    cost = network_cost_matrix(
        line(),
        [3, 3],
        [3, 5],
        limit_m=300.0,
        demand_offset_m=[0.0, 50.0],
        candidate_offset_m=[0.0, 60.0],
    )
    # Demand 0 stands at the candidate's own node: a stored zero.  50 + 200 + 60 > 300.
    assert as_dense(cost).tolist() == [[0.0, 260.0], [50.0, np.inf]]
    covered = coverage_matrix(cost, 260.0).toarray()
    assert covered.tolist() == [[1, 1], [1, 0]]


def test_cost_matrix_handles_repeated_candidate_nodes() -> None:
    cost = network_cost_matrix(
        line(), [0], [4, 4, 1], limit_m=1000.0, candidate_offset_m=[0, 10, 0]
    )
    assert cost.toarray().tolist() == [[400.0, 410.0, 100.0]]


def test_cost_matrix_runs_towards_the_site_on_one_way_streets() -> None:
    # One-way street 0 -> 10: from node 2 you can reach a site at node 6, not one at node 1.
    cost = network_cost_matrix(line(mode="drive"), [2], [6, 1], limit_m=1000.0)
    assert as_dense(cost).tolist() == [[400.0, np.inf]]


def test_cost_matrix_matches_full_dijkstra_on_a_grid() -> None:
    net = grid(8)
    rng = np.random.default_rng(7)
    demand = rng.integers(0, 64, 30)
    candidates = rng.integers(0, 64, 12)
    limit = 450.0
    cost = network_cost_matrix(net, demand, candidates, limit_m=limit)
    full = dijkstra(net.graph, indices=candidates)[:, demand].T
    expected = np.where(full <= limit, full, np.inf)
    assert np.array_equal(as_dense(cost), expected)


def test_cost_matrix_refuses_bad_nodes_and_limits() -> None:
    with pytest.raises(InputError, match="candidate_nodes"):
        network_cost_matrix(line(), [0], [11], limit_m=100.0)
    with pytest.raises(InputError, match=r"service_radius_m|more than 0"):
        network_cost_matrix(line(), [0], [1], limit_m=0.0)
    with pytest.raises(InputError, match="demand_offset_m"):
        network_cost_matrix(line(), [0], [1], limit_m=100.0, demand_offset_m=[-1.0])


# ---- MCLP: the hand-computed example -----------------------------------------------------------


def test_mclp_hand_example_matches_brute_force_and_beats_greedy() -> None:
    cover = ring_costs() <= RADIUS
    assert brute_force_mclp(cover, RING_WEIGHT, 2, np.zeros(5, dtype=bool)) == 90.0
    exact = solve_mclp(ring_costs(), RING_WEIGHT, k=2, service_radius_m=RADIUS)
    assert exact.chosen.tolist() == [1, 3]  # B and D
    assert exact.covered_demand == 90.0
    assert exact.share_covered == pytest.approx(0.9)
    assert exact.covered.tolist() == [False, True, True, True, True]
    assert exact.status == "optimal" and exact.optimal
    assert "CBC proved" in exact.message  # greedy falls short of the bound, so CBC had to run
    greedy = greedy_mclp(ring_costs(), RING_WEIGHT, k=2, service_radius_m=RADIUS)
    assert greedy.chosen.tolist() == [2, 0]  # C, then A
    assert greedy.covered_demand == 85.0
    # No single swap improves C + A (the best pair needs both sites changed).
    swapped = greedy_mclp(ring_costs(), RING_WEIGHT, k=2, service_radius_m=RADIUS, swaps=True)
    assert swapped.covered_demand == 85.0 and "swaps" in swapped.message
    assert not greedy.optimal
    assert greedy.bound >= 90.0
    assert greedy.status.startswith("not proven optimal")


def test_swaps_improve_greedy_on_a_larger_instance() -> None:
    cost, weight = random_instance(400, 60, 2000.0, 3)
    plain = greedy_mclp(cost, weight, k=6, service_radius_m=2000.0, with_bound=False)
    swapped = greedy_mclp(cost, weight, k=6, service_radius_m=2000.0, with_bound=False, swaps=True)
    exact = solve_mclp(cost, weight, k=6, service_radius_m=2000.0)
    assert plain.covered_demand < swapped.covered_demand <= exact.covered_demand
    # Without the LP bound the reported bound is all the demand the candidates can reach.
    assert plain.bound == pytest.approx(weight[np.isfinite(cost).any(axis=1)].sum())


def test_mclp_keeps_existing_venues_open_and_counts_their_coverage() -> None:
    # Candidate D (column 3) is an existing venue: {4, 5} = 40 already covered.
    fixed = np.array([False, False, False, True, False])
    result = solve_mclp(ring_costs(), RING_WEIGHT, k=1, service_radius_m=RADIUS, fixed=fixed)
    assert result.covered_by_existing == 40.0
    assert result.chosen.tolist() == [1]  # B adds {2, 3} = 50
    assert result.objective == 50.0
    assert result.covered_demand == 90.0
    assert 3 not in result.chosen


def test_mclp_opens_fewer_sites_when_the_rest_add_nothing() -> None:
    result = solve_mclp(ring_costs(), RING_WEIGHT, k=4, service_radius_m=RADIUS)
    assert result.covered_demand == 100.0
    assert result.n_sites == 3
    assert "no solver run" in result.message


def test_mclp_radius_decides_coverage() -> None:
    # At 50 m nothing is covered... but the weight is not all zero, so it is a valid question.
    result = solve_mclp(ring_costs(), RING_WEIGHT, k=1, service_radius_m=50.0)
    assert result.covered_demand == 0.0
    assert result.n_sites == 0
    assert result.unreachable.tolist() == [0, 1, 2, 3, 4]


@st.composite
def instances(
    draw: st.DrawFn,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], int, npt.NDArray[np.bool_]]:
    n_d = draw(st.integers(2, 9))
    n_c = draw(st.integers(2, 7))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    cost = rng.uniform(0, 1000, (n_d, n_c))
    cost[rng.random((n_d, n_c)) < 0.3] = np.inf
    weight = rng.integers(0, 20, n_d).astype(np.float64)
    weight[0] += 1.0
    fixed = rng.random(n_c) < 0.2
    fixed[0] = False
    n_free = int((~fixed).sum())
    k = draw(st.integers(1, n_free))
    return cost, weight, k, fixed


@settings(max_examples=40, deadline=None)
@given(instances())
def test_mclp_exact_equals_brute_force_and_greedy_is_no_better(
    case: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], int, npt.NDArray[np.bool_]],
) -> None:
    cost, weight, k, fixed = case
    radius = 500.0
    cover = cost <= radius
    best = brute_force_mclp(cover, weight, k, fixed)
    exact = solve_mclp(cost, weight, k=k, service_radius_m=radius, fixed=fixed)
    greedy = greedy_mclp(cost, weight, k=k, service_radius_m=radius, fixed=fixed)
    # CBC alone, without the greedy start or the shortcut when greedy meets the LP bound.
    cbc = solve_mclp(cost, weight, k=k, service_radius_m=radius, fixed=fixed, greedy_start=False)
    assert exact.optimal and cbc.optimal
    assert exact.covered_demand == pytest.approx(best)
    assert cbc.covered_demand == pytest.approx(best)
    assert exact.n_sites <= k
    assert not fixed[exact.chosen].any()
    swapped = greedy_mclp(cost, weight, k=k, service_radius_m=radius, fixed=fixed, swaps=True)
    assert greedy.covered_demand <= swapped.covered_demand + 1e-9
    assert swapped.covered_demand <= exact.covered_demand + 1e-9
    assert swapped.n_sites <= k and not fixed[swapped.chosen].any()
    assert greedy.bound >= exact.objective - 1e-6
    # The reported coverage is what the chosen sites really reach.
    opened = np.flatnonzero(fixed).tolist() + exact.chosen.tolist()
    assert exact.covered_demand == pytest.approx(covered_weight(cover, weight, tuple(opened)))


def random_instance(
    n_d: int, n_c: int, radius: float, seed: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    rng = np.random.default_rng(seed)
    cost = cdist(rng.uniform(0, 10_000, (n_d, 2)), rng.uniform(0, 10_000, (n_c, 2)))
    cost[cost > radius] = np.inf
    return cost, rng.integers(1, 100, n_d).astype(np.float64)


def test_mclp_time_limit_is_reported_honestly() -> None:
    # Greedy misses the optimum here and the LP bound is above it, so only CBC's branch and
    # bound (several seconds of work) can prove the answer: 0.01 s cannot.
    cost, weight = random_instance(1000, 150, 2000.0, 1)
    result = solve_mclp(cost, weight, k=10, service_radius_m=2000.0, time_limit_s=0.01)
    assert not result.optimal
    assert result.status.startswith("time limit reached, gap ")
    assert result.status.endswith("%")
    assert result.gap > 0
    assert result.bound > result.objective
    assert result.gap == pytest.approx((result.bound - result.objective) / result.bound)
    assert "time limit" in result.message


def test_mclp_longer_time_limit_proves_optimality_and_does_no_worse() -> None:
    cost, weight = random_instance(400, 60, 2000.0, 3)
    quick = solve_mclp(cost, weight, k=6, service_radius_m=2000.0, time_limit_s=0.01)
    full = solve_mclp(cost, weight, k=6, service_radius_m=2000.0, time_limit_s=60)
    assert full.status == "optimal" and full.gap == 0.0
    assert full.bound == full.objective
    assert full.objective >= quick.objective
    # Whatever the quick run says, it is consistent with the proven optimum.
    assert quick.bound >= full.objective - 1e-6
    assert quick.optimal == (quick.objective >= full.objective - 1e-6 and quick.gap <= 1e-6)


# ---- LSCP -------------------------------------------------------------------------------------


def test_lscp_hand_example_fewest_sites() -> None:
    cover = ring_costs() <= RADIUS
    assert brute_force_lscp(cover, RING_WEIGHT, 100.0) == 3
    assert brute_force_lscp(cover, RING_WEIGHT, 90.0) == 2
    everyone = solve_lscp(ring_costs(), RING_WEIGHT, share=1.0, service_radius_m=RADIUS)
    assert everyone.objective == 3 and everyone.n_sites == 3
    assert everyone.covered.all() and everyone.optimal
    ninety = solve_lscp(ring_costs(), RING_WEIGHT, share=0.9, service_radius_m=RADIUS)
    assert ninety.chosen.tolist() == [1, 3]
    assert ninety.share_covered == pytest.approx(0.9)


def test_lscp_existing_venues_can_make_new_sites_unnecessary() -> None:
    fixed = np.array([False, True, False, True, False])  # B and D reach 90
    result = solve_lscp(ring_costs(), RING_WEIGHT, share=0.9, service_radius_m=RADIUS, fixed=fixed)
    assert result.n_sites == 0 and result.optimal
    assert result.covered_by_existing == 90.0
    assert "no new site" in result.message


def test_lscp_infeasible_names_the_unreachable_demand() -> None:
    cost = ring_costs()
    cost[2, :] = np.inf  # nobody reaches demand point 3 (weight 30)
    result = solve_lscp(
        cost, RING_WEIGHT, share=1.0, service_radius_m=RADIUS, demand_ids=["a", "b", "c", "d", "e"]
    )
    assert result.status == "infeasible" and not result.feasible
    assert result.unreachable.tolist() == [2]
    assert result.n_sites == 0
    assert "c" in result.message and "70.0%" in result.message
    assert "30.0%" in result.message  # the share of demand out of reach
    greedy = greedy_lscp(cost, RING_WEIGHT, share=0.8, service_radius_m=RADIUS)
    assert greedy.status == "infeasible"
    # 70% is still reachable.
    assert solve_lscp(cost, RING_WEIGHT, share=0.7, service_radius_m=RADIUS).feasible


def test_lscp_infeasible_when_radius_below_largest_nearest_distance() -> None:
    # spopt's rule: set covering fails when the radius is below some demand point's nearest site.
    cost, weight = random_instance(60, 10, np.inf, 5)
    nearest = cost.min(axis=1)
    radius = float(np.sort(nearest)[-1]) - 1.0
    result = solve_lscp(cost, weight, share=1.0, service_radius_m=radius)
    assert result.status == "infeasible"
    assert result.unreachable.tolist() == [int(np.argmax(nearest))]
    assert solve_lscp(cost, weight, share=1.0, service_radius_m=radius + 1.0).feasible


@settings(max_examples=30, deadline=None)
@given(instances(), st.sampled_from([0.5, 0.8, 1.0]))
def test_lscp_exact_equals_brute_force(
    case: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], int, npt.NDArray[np.bool_]],
    share: float,
) -> None:
    cost, weight, _, _ = case
    radius = 500.0
    cover = cost <= radius
    required = share * weight.sum()
    best = brute_force_lscp(cover, weight, required * (1 - 1e-9))
    exact = solve_lscp(cost, weight, share=share, service_radius_m=radius)
    greedy = greedy_lscp(cost, weight, share=share, service_radius_m=radius)
    cbc = solve_lscp(cost, weight, share=share, service_radius_m=radius, greedy_start=False)
    if best is None:
        assert exact.status == "infeasible" and greedy.status == "infeasible"
        assert cbc.status == "infeasible"
        return
    assert exact.optimal and exact.objective == best
    assert cbc.optimal and cbc.objective == best
    assert cbc.covered_demand >= required * (1 - 1e-9)
    assert exact.covered_demand >= required * (1 - 1e-9)
    assert greedy.objective >= exact.objective
    assert greedy.covered_demand >= required * (1 - 1e-9)


def test_compare_exact_greedy_reports_what_greedy_gives_up() -> None:
    mclp = compare_exact_greedy(ring_costs(), RING_WEIGHT, service_radius_m=RADIUS, k=2)
    assert mclp.share_difference == pytest.approx(0.05)
    lscp = compare_exact_greedy(ring_costs(), RING_WEIGHT, service_radius_m=RADIUS, share=1.0)
    assert lscp.exact.objective == 3
    assert lscp.share_difference == lscp.greedy.objective - 3


# ---- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [0, 6, -1])
def test_k_out_of_range_is_refused(k: int) -> None:
    with pytest.raises(InputError, match=r"k \(the number of new sites\) must be between 1 and 5"):
        solve_mclp(ring_costs(), RING_WEIGHT, k=k, service_radius_m=RADIUS)


def test_k_counts_only_new_sites() -> None:
    fixed = np.array([True, True, False, False, False])
    with pytest.raises(InputError, match="between 1 and 3"):
        greedy_mclp(ring_costs(), RING_WEIGHT, k=4, service_radius_m=RADIUS, fixed=fixed)


@pytest.mark.parametrize("share", [0.0, -0.1, 1.5, float("nan")])
def test_share_out_of_range_is_refused(share: float) -> None:
    with pytest.raises(InputError, match="share must be more than 0 and at most 1"):
        solve_lscp(ring_costs(), RING_WEIGHT, share=share, service_radius_m=RADIUS)


def test_no_candidates_is_refused() -> None:
    with pytest.raises(InputError, match="no candidate sites"):
        solve_mclp(
            ring_costs(), RING_WEIGHT, k=1, service_radius_m=RADIUS, fixed=np.ones(5, dtype=bool)
        )
    with pytest.raises(InputError, match="no candidate sites"):
        solve_mclp(np.zeros((5, 0)), RING_WEIGHT, k=1, service_radius_m=RADIUS)


def test_all_zero_demand_is_refused() -> None:
    with pytest.raises(InputError, match="all demand weights are zero"):
        solve_mclp(ring_costs(), np.zeros(5), k=1, service_radius_m=RADIUS)


def test_bad_weights_radius_and_time_limit_are_refused() -> None:
    with pytest.raises(InputError, match="one value per demand point"):
        solve_mclp(ring_costs(), [1.0, 2.0], k=1, service_radius_m=RADIUS)
    with pytest.raises(InputError, match="finite number >= 0"):
        solve_mclp(ring_costs(), [1.0, -2.0, 0, 0, 0], k=1, service_radius_m=RADIUS)
    with pytest.raises(InputError, match="service_radius_m"):
        solve_mclp(ring_costs(), RING_WEIGHT, k=1, service_radius_m=-5.0)
    with pytest.raises(InputError, match="time_limit_s"):
        solve_mclp(ring_costs(), RING_WEIGHT, k=1, service_radius_m=RADIUS, time_limit_s=0)
    with pytest.raises(InputError, match="negative"):
        solve_mclp(-ring_costs(), RING_WEIGHT, k=1, service_radius_m=RADIUS)
    with pytest.raises(InputError, match="fixed"):
        solve_mclp(ring_costs(), RING_WEIGHT, k=1, service_radius_m=RADIUS, fixed=[0, 1])


def test_sparse_and_dense_costs_agree() -> None:
    dense = ring_costs()
    sparse = sp.csr_matrix(np.where(dense <= RADIUS, dense, 0.0))
    a = solve_mclp(dense, RING_WEIGHT, k=2, service_radius_m=RADIUS)
    b = solve_mclp(sparse, RING_WEIGHT, k=2, service_radius_m=RADIUS)
    assert a.chosen.tolist() == b.chosen.tolist()
    assert a.covered_demand == b.covered_demand


# ---- read_candidates --------------------------------------------------------------------------


def write(tmp_path: Path, text: str, name: str = "candidates.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_read_candidates_from_bng_csv(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Name,Kind,Easting,Northing\n"
        "Central Library,Library,512000,176000\n"
        "Bell Road Hall,community_centre,512500,176200\n"
        "Civic Centre,Town Hall,513000,175900\n",
    )
    candidates = read_candidates(path)
    assert candidates["kind"].tolist() == ["library", "community centre", "council building"]
    assert candidates["candidate_id"].tolist() == ["row 1", "row 2", "row 3"]
    assert candidates.crs == "EPSG:27700"
    assert candidates["x_m"].tolist() == [512000.0, 512500.0, 513000.0]
    assert candidates.geometry.iloc[1].equals(shapely.Point(512500, 176200))


def test_read_candidates_from_lat_lon_csv(tmp_path: Path) -> None:
    path = write(tmp_path, "id,name,kind,lat,lon\nS1,Oakham School,school,52.6700,-0.7290\n")
    candidates = read_candidates(path)
    to_wgs = pyproj.Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    lon, lat = to_wgs.transform(candidates["x_m"].iloc[0], candidates["y_m"].iloc[0])
    assert (lat, lon) == pytest.approx((52.67, -0.729), abs=1e-7)
    assert 480_000 < candidates["x_m"].iloc[0] < 490_000  # Oakham is near E 485,000
    assert candidates["candidate_id"].tolist() == ["S1"]


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("kind,x,y\nlibrary,1,2\n", r"column name.*no 'name' column"),
        ("name,x,y\nA,512000,176000\n", r"column kind.*no 'kind' column"),
        ("name,kind\nA,library\n", r"no coordinate columns"),
        (
            "name,kind,x,y\nA,library,512000,176000\nB,pub,512000,176000\n",
            r"row 2, column kind: the kind is not recognised in row 2: use one of library",
        ),
        (
            "name,kind,x,y\nA,library,512000,176000\nB,school,512000,\nC,school,abc,1\n",
            r"row 3, column x: the easting is missing or not a number in row 3",
        ),
        ("name,kind,x,y\nA,library,512000,176000\n ,school,512000,176000\n", r"row 2, column name"),
        ("name,kind,lat,lon\nA,library,-0.36,51.47\n", r"outside Great Britain.*swapped"),
        (
            "id,name,kind,x,y\n7,A,library,512000,176000\n7,B,school,512100,176000\n",
            r"row 2, column id: the id repeats",
        ),
        ("name,kind,x,y\n", r"no rows"),
    ],
)
def test_read_candidates_refuses_bad_files(tmp_path: Path, text: str, pattern: str) -> None:
    with pytest.raises(InputError, match=pattern):
        read_candidates(write(tmp_path, text))


def test_read_candidates_from_a_layer_with_name_and_kind() -> None:
    # A polygon footprint in WGS84 becomes a point inside it, in British National Grid.
    footprint = shapely.box(-0.7300, 52.6690, -0.7280, 52.6700)
    layer = gpd.GeoDataFrame(
        {"Name": ["Victoria Hall"], "Kind": ["Community Hall"]},
        geometry=[footprint],
        crs="EPSG:4326",
    )
    candidates = read_candidates(layer)
    assert candidates["kind"].tolist() == ["community centre"]
    assert candidates["name"].tolist() == ["Victoria Hall"]
    inside = gpd.GeoSeries([footprint], crs="EPSG:4326").to_crs("EPSG:27700").iloc[0]
    assert inside.contains(shapely.Point(candidates["x_m"].iloc[0], candidates["y_m"].iloc[0]))


def test_read_candidates_refuses_a_layer_without_kind_or_amenity() -> None:
    layer = gpd.GeoDataFrame({"name": ["X"]}, geometry=[shapely.Point(0, 52)], crs="EPSG:4326")
    with pytest.raises(InputError, match="no 'kind' or 'amenity' column"):
        read_candidates(layer)


def test_read_candidates_refuses_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_candidates(tmp_path / "nope.csv")


@pytest.mark.realdata
def test_read_candidates_from_rutland_osm_points_of_interest() -> None:
    candidates = read_candidates(RUTLAND_POIS)
    # 3 libraries, 2 community centres and the town hall; the 27 masts and the café are left out.
    assert sorted(candidates["kind"].value_counts().items()) == [
        ("community centre", 2),
        ("council building", 1),
        ("library", 3),
    ]
    assert set(candidates["kind"]) <= set(CANDIDATE_KINDS)
    assert "unnamed library" in candidates["name"].tolist()
    assert "North Luffenham Community Centre" in candidates["name"].tolist()
    assert candidates["candidate_id"].str.startswith("osm:").all()
    # The data README: every POI lies inside the Rutland wards.
    wards = gpd.read_file(RUTLAND_WARDS).to_crs("EPSG:27700").union_all()
    assert shapely.contains_xy(wards, candidates["x_m"], candidates["y_m"]).all()
    same = read_candidates(gpd.read_file(RUTLAND_POIS))
    assert same["candidate_id"].tolist() == candidates["candidate_id"].tolist()


# ---- site_venues on a network -----------------------------------------------------------------


def test_site_venues_on_a_grid_keeps_existing_and_describes_demand() -> None:
    net = grid(5)  # 400 m square, 100 m blocks
    # Demand at the four corners and the centre, 10 residents each (the centre 40).
    corners = [(0, 0), (400, 0), (0, 400), (400, 400), (200, 200)]
    demand = pd.DataFrame(
        {
            "x_m": [X0 + x for x, _ in corners],
            "y_m": [Y0 + y for _, y in corners],
            "weight": [10.0, 10.0, 10.0, 10.0, 40.0],
        },
        index=pd.Index(["sw", "se", "nw", "ne", "centre"], name="demand_id"),
    )
    candidates = pd.DataFrame(
        {
            "name": ["near ne", "centre hall"],
            "x_m": [X0 + 400, X0 + 210],
            "y_m": [Y0 + 390, Y0 + 200],
        }
    )
    existing = pd.DataFrame({"x_m": [X0 + 0.0], "y_m": [Y0 + 0.0]})
    # 2.5 minutes at 80 m/min = 200 m: the existing venue reaches only the south-west corner.
    plan = site_venues(net, demand, candidates, walk_min=2.5, k=1, existing=existing)
    assert plan.service_radius_m == 200.0
    assert plan.chosen["name"].tolist() == ["centre hall"]  # 40 residents against 10
    assert plan.result.chosen.tolist() == [1]
    assert plan.chosen["new_demand_reached"].tolist() == [40.0]
    assert plan.demand["covered_by"].tolist() == [
        "existing venue",
        "not covered",
        "not covered",
        "not covered",
        "new venue",
    ]
    assert plan.demand.loc["sw", "walk_m"] == 0.0
    assert plan.demand.loc["centre", "walk_m"] == 10.0  # snap distance of the hall
    assert np.isnan(plan.demand.loc["ne", "walk_m"])
    assert plan.result.covered_demand == 50.0
    assert "covered" not in demand.columns  # the input is not changed


def test_site_venues_lscp_and_greedy() -> None:
    net = line(21)  # 2 km street
    demand = pd.DataFrame(
        {"x_m": X0 + 100.0 * np.arange(21), "y_m": np.full(21, Y0), "weight": 1.0}
    )
    candidates = pd.DataFrame({"x_m": X0 + 100.0 * np.arange(21), "y_m": np.full(21, Y0)})
    # 5 minutes = 400 m each way: a site covers 9 nodes; 21 nodes need 3 sites.
    exact = site_venues(net, demand, candidates, walk_min=5, share=1.0)
    greedy = site_venues(net, demand, candidates, walk_min=5, share=1.0, method="greedy")
    assert exact.result.n_sites == 3 and exact.result.optimal
    assert greedy.result.n_sites >= 3
    assert exact.demand["covered"].all()


def test_site_venues_refuses_bad_requests() -> None:
    net = line()
    demand = pd.DataFrame({"x_m": [X0], "y_m": [Y0], "weight": [1.0]})
    candidates = pd.DataFrame({"x_m": [X0], "y_m": [Y0]})
    with pytest.raises(InputError, match="walk_min"):
        site_venues(net, demand, candidates, walk_min=90, k=1)
    with pytest.raises(InputError, match="exactly one of k"):
        site_venues(net, demand, candidates, walk_min=10)
    with pytest.raises(InputError, match="column weight"):
        site_venues(net, demand.drop(columns="weight"), candidates, walk_min=10, k=1)
    with pytest.raises(InputError, match="no candidate sites"):
        site_venues(net, demand, candidates.iloc[:0], walk_min=10, k=1)
    with pytest.raises(InputError, match="column y_m"):
        site_venues(net, demand, candidates.drop(columns="y_m"), walk_min=10, k=1)


# ---- real data: Oakham ------------------------------------------------------------------------


@pytest.mark.realdata
def test_site_venues_in_oakham_matches_brute_force_with_networkx_distances() -> None:
    net = read_street_network(OAKHAM_XML, mode="walk")
    lsoas = gpd.read_file(RUTLAND_LSOA21).to_crs("EPSG:27700")
    points = lsoas.geometry.representative_point()
    inside = (
        points.x.between(net.x_m.min(), net.x_m.max())
        & points.y.between(net.y_m.min(), net.y_m.max())
    ).to_numpy()
    code_column = next(c for c in lsoas.columns if c.upper().startswith("LSOA21CD"))
    population = pd.read_csv(RUTLAND_POPULATION).set_index("lsoa21_code")["total"]
    demand = pd.DataFrame(
        {
            "x_m": points.x.to_numpy()[inside],
            "y_m": points.y.to_numpy()[inside],
            "weight": population.reindex(lsoas[code_column].to_numpy()[inside]).to_numpy(
                dtype=float
            ),
        },
        index=pd.Index(lsoas[code_column].to_numpy()[inside], name="demand_id"),
    )
    assert len(demand) >= 4 and demand["weight"].notna().all()
    candidates = read_candidates(RUTLAND_POIS)
    in_town = candidates["x_m"].between(net.x_m.min(), net.x_m.max()) & candidates["y_m"].between(
        net.y_m.min(), net.y_m.max()
    )
    candidates = candidates.loc[in_town].reset_index(drop=True)
    assert len(candidates) >= 2
    plan = site_venues(net, demand, candidates, walk_min=12, k=1)
    # Brute force with distances from networkx, not from the module under test.
    graph = to_networkx(net)
    d_node, d_snap = snap_points(net, demand["x_m"], demand["y_m"])
    c_node, c_snap = snap_points(net, candidates["x_m"], candidates["y_m"])
    radius = plan.service_radius_m
    best = 0.0
    for j in range(len(candidates)):
        lengths = nx.single_source_dijkstra_path_length(graph, int(c_node[j]), weight="length")
        walk = np.array([lengths.get(int(n), np.inf) for n in d_node]) + d_snap + c_snap[j]
        best = max(best, float(demand["weight"].to_numpy()[walk <= radius].sum()))
    assert plan.result.optimal
    assert plan.result.covered_demand == pytest.approx(best)
    assert 0 < plan.result.share_covered <= 1
