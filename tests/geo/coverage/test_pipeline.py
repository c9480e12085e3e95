"""Coverage on real roads (Oakham, OSM 2018) and end to end on the synthetic demo borough."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.sparse.csgraph import dijkstra

from geo.coverage import (
    AvailabilityLayer,
    coverage_table,
    fixed_broadband,
    line_lengths,
    mobile_coverage,
    rank_coverage_gaps,
    summarise_by_area,
    wifi_coverage,
)
from geo.coverage.mobile import sites_from_layer
from geo.coverage.tiers import TIERS
from geo.network import StreetNetwork
from geo.sources.demo import DemoBorough, build_demo_borough
from geo.sources.osm import read_street_network
from tests.shared_data import SHARED_DATA


@pytest.fixture(scope="module")
def oakham() -> StreetNetwork:
    return read_street_network(SHARED_DATA / "osm" / "oakham_rutland_2018.osm", mode="drive")


@pytest.mark.realdata
def test_copper_lengths_on_the_oakham_road_network(oakham: StreetNetwork) -> None:
    rng = np.random.default_rng(5)
    cabinet_nodes = rng.choice(oakham.n_nodes, 6, replace=False)
    premises_nodes = rng.choice(oakham.n_nodes, 300, replace=False)
    lengths = line_lengths(
        oakham.x_m[premises_nodes], oakham.y_m[premises_nodes],
        oakham.x_m[cabinet_nodes], oakham.y_m[cabinet_nodes], network=oakham,
    )  # fmt: skip
    # Premises and cabinets sit on nodes, so the length is the road distance to the nearest cabinet.
    road = dijkstra(oakham.graph, directed=False, indices=cabinet_nodes)[:, premises_nodes]
    assert lengths.on_network.all()
    np.testing.assert_allclose(lengths.length_m, road.min(axis=0), atol=1e-6)
    np.testing.assert_array_equal(
        cabinet_nodes[lengths.source_index], cabinet_nodes[road.argmin(axis=0)]
    )
    # Roads are never shorter than the straight line (edge lengths are osmnx's great-circle
    # metres, which differ from BNG grid metres by up to about 0.3 %).
    dx = oakham.x_m[premises_nodes] - oakham.x_m[cabinet_nodes][lengths.source_index]
    dy = oakham.y_m[premises_nodes] - oakham.y_m[cabinet_nodes][lengths.source_index]
    assert (lengths.length_m >= 0.995 * np.hypot(dx, dy)).all()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoBorough:
    return build_demo_borough(2027, workdir=tmp_path_factory.mktemp("demo_coverage"))


def test_full_recompute_on_the_demo_borough(demo: DemoBorough) -> None:
    premises = pd.DataFrame(demo.premises.drop(columns="geometry"))
    premises["residents"] = 2.0
    fttp = AvailabilityLayer.from_geodataframe(
        demo.full_fibre_areas, technology="fttp", name="demo fttp"
    )
    fixed = fixed_broadband(
        premises,
        cabinets=pd.DataFrame(demo.cabinets.drop(columns="geometry")),
        exchanges=pd.DataFrame(demo.exchange.drop(columns="geometry")),
        layers=[fttp],
        network=demo.drive_network,
    )
    mobile = mobile_coverage(premises, sites_from_layer(demo.mobile_sites))
    wifi_venues = demo.venues[demo.venues["public_wifi"].astype(bool)]
    hotspots = pd.DataFrame(
        {"hotspot_id": wifi_venues["place_id"], "x_m": wifi_venues["x_m"], "y_m": wifi_venues["y_m"],
         "band_ghz": 2.4, "eirp_dbm": 20.0}
    )  # fmt: skip
    wifi, _ = wifi_coverage(premises, hotspots)
    table = coverage_table(premises, fixed=fixed, mobile=mobile, wifi=wifi)

    assert len(table) == len(premises) and table.index.equals(premises.index)
    assert set(table["tier"].astype(str)) <= set(TIERS)
    assert table["full_fibre"].any() and not table["full_fibre"].all()
    # Every premises is served by a cabinet; most by the one the demo wired it to.
    assert table["cabinet_id"].notna().all()
    assert (table["cabinet_id"] == premises["cabinet_id"]).mean() > 0.75
    assert table["good_4g_outdoor_any"].mean() > 0.9
    assert table["within_wifi_reach"].any()

    by_lsoa = summarise_by_area(table, "lsoa_code")
    assert by_lsoa["premises"].sum() == len(premises)
    assert by_lsoa["premises_below_uso"].sum() == int((table["tier"] == "below_uso").sum())
    np.testing.assert_allclose(by_lsoa[[f"share_{t}" for t in TIERS]].sum(axis=1), 1.0)
    by_ward = summarise_by_area(table, "ward_code")
    assert by_ward["residents"].sum() == pytest.approx(2.0 * len(premises))
    gaps = rank_coverage_gaps(table, "ward_code")
    assert gaps["residents_affected"].is_monotonic_decreasing
