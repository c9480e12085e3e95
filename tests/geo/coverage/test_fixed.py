"""Fixed broadband: copper line length on the road network, availability layers, best technology."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import shapely

from geo.coverage.config import FixedConfig
from geo.coverage.fixed import (
    AvailabilityLayer,
    fixed_broadband,
    line_lengths,
    read_availability_layer,
)
from geo.errors import InputError
from geo.network import from_arrays

X0, Y0 = 450_000.0, 250_000.0


def one_way_street() -> SimpleNamespace:
    """Nodes 0-1-2-3 every 100 m along y = Y0 (one way, 0 -> 3), and node 4 on its own."""
    x = X0 + np.array([0.0, 100.0, 200.0, 300.0, 1000.0])
    y = Y0 + np.array([0.0, 0.0, 0.0, 0.0, 1000.0])
    graph = sp.csr_matrix((np.full(3, 100.0), ([0, 1, 2], [1, 2, 3])), shape=(5, 5))
    return SimpleNamespace(graph=graph, x_m=x, y_m=y)


CABINETS = pd.DataFrame(
    {"cabinet_id": ["A", "B"], "x_m": [X0 + 0.0, X0 + 300.0], "y_m": [Y0 + 10.0, Y0 - 20.0]}
)
PREMISES = pd.DataFrame(
    {
        "premises_id": ["p0", "p1", "p2"],
        "x_m": [X0 + 110.0, X0 + 210.0, X0 + 1000.0],
        "y_m": [Y0 + 5.0, Y0, Y0 + 990.0],
    },
    index=pd.Index([10, 11, 12], name="uprn"),
)


def test_line_length_follows_the_network_from_the_nearest_cabinet_by_road() -> None:
    lengths = line_lengths(
        PREMISES["x_m"], PREMISES["y_m"], CABINETS["x_m"], CABINETS["y_m"], network=one_way_street()
    )
    # p0: snap 11.18 m to node 1, then 100 m to node 0, then cabinet A's 10 m snap.
    assert lengths.length_m[0] == pytest.approx(math.hypot(10, 5) + 100 + 10)
    assert lengths.source_index[0] == 0
    # p1: node 2, nearer to B (100 m + 20 m snap) although that runs against the one-way street.
    assert lengths.length_m[1] == pytest.approx(10 + 100 + 20)
    assert lengths.source_index[1] == 1
    assert lengths.premises_snap_m[:2] == pytest.approx([math.hypot(10, 5), 10.0])
    assert lengths.on_network.tolist() == [True, True, False]


def test_unreachable_premises_fall_back_to_straight_line_times_routing_factor() -> None:
    lengths = line_lengths(
        PREMISES["x_m"], PREMISES["y_m"], CABINETS["x_m"], CABINETS["y_m"],
        network=one_way_street(), routing_factor=1.5,
    )  # fmt: skip
    assert lengths.length_m[2] == pytest.approx(math.hypot(700, 1010) * 1.5)
    assert lengths.source_index[2] == 1


def test_without_a_network_every_length_is_straight_line_times_factor() -> None:
    lengths = line_lengths([X0 + 30.0], [Y0 + 40.0], [X0], [Y0], routing_factor=1.3)
    assert lengths.length_m.tolist() == pytest.approx([65.0])
    assert not lengths.on_network.any() and np.isnan(lengths.premises_snap_m).all()
    with pytest.raises(InputError, match="routing_factor"):
        line_lengths([X0], [Y0], [X0], [Y0], routing_factor=0.9)


def test_line_length_accepts_a_street_network() -> None:
    network = from_arrays(
        np.arange(4), X0 + np.array([0.0, 100.0, 200.0, 300.0]), np.full(4, Y0),
        [0, 1, 2], [1, 2, 3], [100.0, 100.0, 100.0], mode="drive",
    )  # fmt: skip
    lengths = line_lengths([X0 + 200.0], [Y0 + 3.0], [X0 + 300.0], [Y0], network=network)
    assert lengths.length_m.tolist() == pytest.approx([103.0])


def polygon_layer(**kwargs) -> AvailabilityLayer:
    frame = gpd.GeoDataFrame(
        {"operator": ["Openreach"]}, geometry=[shapely.box(X0 - 50, Y0 - 50, X0 + 150, Y0 + 50)],
        crs=27700,
    )  # fmt: skip
    return AvailabilityLayer.from_geodataframe(
        frame, technology="fttp", name="fttp.geojson", **kwargs
    )


def test_polygon_line_and_premises_layers_say_who_is_served() -> None:
    xy = np.array([[X0 + 110.0, Y0 + 5.0], [X0 + 210.0, Y0], [X0 + 210.0, Y0 + 30.0]])
    ids = pd.Index(["p0", "p1", "p2"])
    served, _ = polygon_layer().served_pairs(xy, ids)
    assert served.tolist() == [0]
    street = gpd.GeoDataFrame(
        geometry=[shapely.LineString([(X0 + 200, Y0 + 15), (X0 + 400, Y0 + 15)])], crs=27700
    )
    line = AvailabilityLayer.from_geodataframe(street, technology="cable", name="vm", buffer_m=20.0)
    assert sorted(line.served_pairs(xy, ids)[0].tolist()) == [1, 2]
    narrow = AvailabilityLayer.from_geodataframe(
        street, technology="cable", name="vm", buffer_m=14.0
    )
    assert narrow.served_pairs(xy, ids)[0].tolist() == []
    listed = AvailabilityLayer.from_premises(["p2", "nowhere"], technology="fwa", name="wisp.csv")
    assert listed.served_pairs(xy, ids)[0].tolist() == [2]


def test_layer_refusals() -> None:
    street = gpd.GeoDataFrame(geometry=[shapely.LineString([(X0, Y0), (X0 + 10, Y0)])], crs=27700)
    with pytest.raises(InputError, match="buffer_m > 0"):
        AvailabilityLayer.from_geodataframe(street, technology="fttp", name="s")
    with pytest.raises(InputError, match="no CRS"):
        AvailabilityLayer.from_geodataframe(gpd.GeoDataFrame(geometry=list(street.geometry)),
                                            technology="fttp", name="s", buffer_m=5)  # fmt: skip
    bowtie = shapely.Polygon([(X0, Y0), (X0 + 10, Y0 + 10), (X0 + 10, Y0), (X0, Y0 + 10)])
    with pytest.raises(InputError, match=r"row 1: invalid geometry"):
        AvailabilityLayer.from_geodataframe(gpd.GeoDataFrame(geometry=[bowtie], crs=27700),
                                            technology="fttp", name="s")  # fmt: skip
    with pytest.raises(InputError, match="technology must be one of"):
        AvailabilityLayer.from_premises(["a"], technology="adsl", name="x")
    with pytest.raises(InputError, match="download_mbps must be 0–100000"):
        AvailabilityLayer.from_premises(["a"], technology="fttp", name="x", download_mbps=[-5.0])


def test_read_availability_layer_csv(tmp_path: Path) -> None:
    path = tmp_path / "altnet.csv"
    path.write_text(
        "UPRN,available,download_mbps,operator\n10,yes,900,\n11,no,900,\n12,Y,,Gigaclear\n"
    )
    layer = read_availability_layer(path, technology="fttp", operator="CityFibre")
    assert layer.premises_ids.tolist() == ["10", "12"]
    assert layer.operator.tolist() == ["CityFibre", "Gigaclear"]
    assert layer.download_mbps[0] == 900.0 and np.isnan(layer.download_mbps[1])
    bad = tmp_path / "bad.csv"
    bad.write_text("uprn,available\n10,maybe\n")
    with pytest.raises(InputError, match=r"bad.csv, row 1, column available"):
        read_availability_layer(bad, technology="fttp")
    no_id = tmp_path / "noid.csv"
    no_id.write_text("address\n1 High St\n")
    with pytest.raises(InputError, match="no id column"):
        read_availability_layer(no_id, technology="fttp")


def test_read_availability_layer_geojson_in_wgs84(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(
        {"download_mbps": [500.0]}, geometry=[shapely.box(X0 - 50, Y0 - 50, X0 + 150, Y0 + 50)],
        crs=27700,
    ).to_crs(4326)  # fmt: skip
    path = tmp_path / "cable.geojson"
    frame.to_file(path, driver="GeoJSON")
    layer = read_availability_layer(path, technology="cable", operator="Virgin Media")
    served, features = layer.served_pairs(
        np.array([[X0 + 100.0, Y0], [X0 + 300.0, Y0]]), pd.Index([1, 2])
    )
    assert served.tolist() == [0]
    assert layer.download_mbps[features].tolist() == [500.0]
    with pytest.raises(InputError, match=r"expected \.geojson"):
        read_availability_layer(tmp_path / "layer.txt", technology="fttp")


def test_fixed_broadband_end_to_end_hand_case() -> None:
    premises = pd.DataFrame(
        {"premises_id": ["a", "b", "c", "d"], "x_m": X0 + np.array([0.0, 300.0, 1000.0, 5000.0]),
         "y_m": np.full(4, Y0)},
        index=pd.Index([1, 2, 3, 4], name="uprn"),
    )  # fmt: skip
    cabinets = pd.DataFrame({"cabinet_id": ["C1"], "x_m": [X0], "y_m": [Y0]})
    exchanges = pd.DataFrame({"exchange_id": ["EX"], "x_m": [X0], "y_m": [Y0]})
    altnet = AvailabilityLayer.from_premises(
        ["a"], technology="fttp", name="alt", operator="CityFibre"
    )
    out = fixed_broadband(
        premises, cabinets=cabinets, exchanges=exchanges, layers=[polygon_layer(), altnet]
    )
    assert out.index.equals(premises.index)
    # Straight line x 1.3: 0, 390, 1300 and 6500 m of copper.
    assert out["vdsl_line_length_m"].tolist() == pytest.approx([0.0, 0.0 + 390.0, 1300.0, 6500.0])
    assert out["vdsl_download_mbps"].tolist() == pytest.approx(
        [80.0, 80 - 190 / 400 * 29, 24.5 - 100 / 600 * 6.5, 0.0]
    )
    assert out["adsl_download_mbps"].tolist() == pytest.approx(
        [24.0, 24 - 0.39, 23 - 0.3 / 0.5 * 2, 0.0]
    )
    assert out["best_technology"].astype(str).tolist() == ["fttp", "vdsl", "vdsl", "none"]
    assert out["download_mbps"].tolist() == pytest.approx([1000.0, 66.225, 23.416667, 0.0])
    assert out["upload_mbps"].tolist() == pytest.approx([115.0, 16.55625, 23.416667 / 4, 0.0])
    assert out["upload_modelled"].tolist() == [True, False, False, True]
    assert out["tier"].astype(str).tolist() == ["gigabit", "superfast", "decent", "below_uso"]
    assert out["gigabit_networks"].tolist() == [2, 0, 0, 0]
    assert out["bduk_category"].astype(str).tolist() == ["black", "white", "white", "white"]
    assert out["full_fibre"].tolist() == [True, False, False, False]
    assert out["cabinet_id"].tolist() == ["C1"] * 4


def test_ties_prefer_fibre_and_gigabit_networks_are_counted_once_per_operator() -> None:
    premises = pd.DataFrame({"premises_id": ["a", "b"], "x_m": [X0, X0 + 20.0], "y_m": [Y0, Y0]})
    layers = [
        AvailabilityLayer.from_premises(["a", "b"], technology="fttp", name="l1", operator="Openreach",
                                        download_mbps=[80.0, 1000.0]),
        AvailabilityLayer.from_premises(["b"], technology="fttp", name="l2", operator="Openreach"),
        AvailabilityLayer.from_premises(["b"], technology="cable", name="vm3", download_mbps=[350.0]),
        AvailabilityLayer.from_premises(["b"], technology="fwa", name="wisp"),
    ]  # fmt: skip
    cabinets = pd.DataFrame({"x_m": [X0], "y_m": [Y0]})
    out = fixed_broadband(premises, cabinets=cabinets, layers=layers)
    # 'a': FTTP at 80 ties VDSL2 at 80 (0 m of copper): fibre wins the tie.
    assert out["best_technology"].astype(str).tolist() == ["fttp", "fttp"]
    # 'a' has an 80 Mbit/s FTTP product only: not gigabit-capable; 'b' has one gigabit operator
    # twice (counted once) and DOCSIS 3.0 cable at 350 (not gigabit).
    assert out["gigabit_networks"].tolist() == [0, 1]
    assert out["cable_available"].tolist() == [False, True]
    assert out["fwa_available"].tolist() == [False, True]


def test_fixed_broadband_uses_the_network_and_the_conservative_curve() -> None:
    config = FixedConfig(vdsl_curve="conservative")
    out = fixed_broadband(PREMISES, cabinets=CABINETS, network=one_way_street(), config=config)
    assert out["cabinet_id"].tolist() == ["A", "B", "B"]
    assert out["vdsl_line_on_network"].tolist() == [True, True, False]
    assert out["vdsl_download_mbps"].iloc[1] == pytest.approx(80.0)  # 130 m of copper
    assert out["adsl_download_mbps"].tolist() == [0.0, 0.0, 0.0]  # no exchange given


def test_fixed_broadband_refuses_bad_premises_and_missing_speeds() -> None:
    with pytest.raises(InputError, match="x_m and y_m"):
        fixed_broadband(pd.DataFrame({"x": [1.0]}))
    with pytest.raises(InputError, match="finite"):
        fixed_broadband(pd.DataFrame({"x_m": [np.nan], "y_m": [Y0]}))
    no_fwa_speed = FixedConfig(technology_speeds_mbps={"fttp": (1000.0, 115.0)})
    layer = AvailabilityLayer.from_premises([0], technology="fwa", name="wisp")
    with pytest.raises(InputError, match="no speeds for technology 'fwa'"):
        fixed_broadband(
            pd.DataFrame({"x_m": [X0], "y_m": [Y0]}), layers=[layer], config=no_fwa_speed
        )
