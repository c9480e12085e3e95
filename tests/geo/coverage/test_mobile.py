"""Mobile coverage: site validation, environment classes, model choice, best server, flags."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo.coverage.building_loss import o2i_penetration_loss_db, p2109_building_entry_loss_db
from geo.coverage.config import EnvironmentThresholds, MobileConfig, MobileThresholds
from geo.coverage.mobile import (
    DENSE_GROUP_SITES,
    best_server_dbm,
    classify_environment,
    grid,
    link_path_loss_db,
    link_within_validity,
    mobile_coverage,
    path_loss_model_for,
    premises_density_per_km2,
    read_sites_csv,
    rsrp_matrix_dbm,
    sites_from_layer,
    validate_sites,
)
from geo.coverage.propagation import (
    cost231_hata_path_loss_db,
    free_space_path_loss_db,
    hata_path_loss_db,
    rma_nlos_path_loss_db,
    uma_nlos_path_loss_db,
    umi_nlos_path_loss_db,
)
from geo.errors import InputError
from tests.shared_data import SHARED_DATA

X0, Y0 = 450_000.0, 250_000.0


def site(site_id: str, operator: str, dx: float, dy: float = 0.0, **overrides) -> dict:
    row = {
        "site_id": site_id,
        "operator": operator,
        "x_m": X0 + dx,
        "y_m": Y0 + dy,
        "antenna_height_m": 30.0,
        "band_mhz": 800.0,
        "technology": "4G",
        "rs_power_dbm": 29.2,
    }
    row.update(overrides)
    return row


def receivers(*dx: float, environment: str = "urban") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "x_m": X0 + np.asarray(dx, dtype=float),
            "y_m": np.full(len(dx), Y0),
            "environment": environment,
        },
        index=pd.Index([f"r{i}" for i in range(len(dx))], name="receiver"),
    )


# --------------------------------------------------------------------------------------------
# Site validation
# --------------------------------------------------------------------------------------------


def test_validate_sites_cleans_and_derives_power_per_resource_element() -> None:
    table = pd.DataFrame(
        [
            {**site("s1", " EE ", 0), "Technology": "LTE"},
            {**site("s2", "VO", 0, band_mhz=3500.0), "Technology": "nr", "rs_power_dbm": None,
             "eirp_dbm": 60.0, "bandwidth_mhz": 100.0},
            {**site("s3", "VO", 0, band_mhz=1800.0), "Technology": "4g", "rs_power_dbm": None,
             "eirp_dbm": 60.0, "bandwidth_mhz": 20.0},
        ]
    ).drop(columns="technology")  # fmt: skip
    clean = validate_sites(table)
    assert clean["operator"].tolist() == ["EE", "VO", "VO"]
    assert clean["technology"].tolist() == ["4G", "5G", "4G"]
    # 20 MHz LTE: 100 resource blocks x 12 subcarriers; 100 MHz NR at 30 kHz: 273 blocks.
    assert clean["rs_power_dbm"].tolist() == pytest.approx(
        [29.2, 60 - 10 * math.log10(12 * 273), 60 - 10 * math.log10(1200)]
    )
    assert clean["rs_power_dbm"].iloc[2] == pytest.approx(29.2, abs=0.01)
    assert clean["cell_type"].tolist() == ["macro"] * 3


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"antenna_height_m": 0.0},
            r"sites, row 2, column antenna_height_m: antenna_height_m must be above 0",
        ),
        ({"antenna_height_m": 500.0}, r"row 2, column antenna_height_m"),
        ({"band_mhz": 1234.0}, r"row 2, column band_mhz: band_mhz is not in a known mobile band"),
        ({"band_mhz": 400.0}, r"column band_mhz"),
        ({"rs_power_dbm": 75.0}, r"row 2, column rs_power_dbm: .*-20 to 60 dBm"),
        ({"technology": "3G"}, r"row 2, column technology: technology must be 4G"),
        ({"operator": " "}, r"row 2, column operator: operator is empty"),
        ({"x_m": 800_000.0}, r"row 2, column x_m: .*reproject to EPSG:27700"),
        ({"y_m": "north"}, r"row 2, column y_m: y_m must be a number"),
        ({"site_id": "s1"}, r"row 2, column site_id: the same site"),
        ({"cell_type": "pico"}, r"column cell_type"),
    ],
)
def test_validate_sites_refuses_bad_rows_naming_row_and_field(change, message) -> None:
    rows = [site("s1", "EE", 0), {**site("s2", "EE", 100), **change}]
    with pytest.raises(InputError, match=message):
        validate_sites(pd.DataFrame(rows))


def test_validate_sites_refuses_missing_columns_power_and_odd_bandwidths() -> None:
    with pytest.raises(InputError, match=r"missing column\(s\) \['band_mhz'\]"):
        validate_sites(pd.DataFrame([site("s1", "EE", 0)]).drop(columns="band_mhz"))
    with pytest.raises(InputError, match="give a power column"):
        validate_sites(pd.DataFrame([site("s1", "EE", 0)]).drop(columns="rs_power_dbm"))
    bad_bandwidth = {
        **site("s1", "EE", 0),
        "rs_power_dbm": None,
        "eirp_dbm": 60.0,
        "bandwidth_mhz": 7.0,
    }
    with pytest.raises(
        InputError, match=r"row 1, column bandwidth_mhz: bandwidth_mhz 7 is not a standard 4G"
    ):
        validate_sites(pd.DataFrame([bad_bandwidth]))
    with pytest.raises(InputError, match="no rows"):
        validate_sites(pd.DataFrame([site("s1", "EE", 0)]).iloc[:0])


def test_read_sites_csv_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "masts.csv"
    pd.DataFrame([site("s1", "EE", 0), site("s2", "EE", 50, antenna_height_m=-3)]).to_csv(
        path, index=False
    )
    with pytest.raises(InputError, match=r"^masts.csv, row 2, column antenna_height_m"):
        read_sites_csv(path)


def test_real_sitefinder_rows_validate_and_tetra_is_refused() -> None:
    raw = pd.read_csv(SHARED_DATA / "rutland" / "rutland_sitefinder_sites_5km.csv")
    table = pd.DataFrame(
        {
            "site_id": raw["Sitengr"], "operator": raw["Operator"], "x_m": raw["X"], "y_m": raw["Y"],
            "antenna_height_m": 25.0, "band_mhz": raw["Freqband"], "technology": "4G",
            "rs_power_dbm": 29.2,
        }
    )  # fmt: skip
    tetra = int(np.flatnonzero(raw["Transtype"] == "TETRA")[0])
    with pytest.raises(InputError, match=rf"row {tetra + 1}, column band_mhz"):
        validate_sites(table)
    clean = validate_sites(table[raw["Transtype"] != "TETRA"])
    assert len(clean) == 12 and set(clean["band_mhz"]) == {900.0, 1800.0, 2100.0}


def test_sites_from_layer_drops_or_upgrades_legacy_transmitters() -> None:
    layer = pd.DataFrame(
        {
            "site_id": ["a", "b", "c"], "operator": ["EE", "EE", "O2"], "technology": ["GSM", "LTE", "NR"],
            "band_mhz": [900.0, 800.0, 3500.0], "antenna_height_m": [20.0, None, 25.0],
            "power_dbm": [60.0, 57.8, 70.0], "x_m": [X0, X0, X0], "y_m": [Y0, Y0, Y0],
        }
    )  # fmt: skip
    with pytest.raises(InputError, match=r"row 2, column antenna_height_m"):
        sites_from_layer(layer)
    sites = sites_from_layer(layer, default_antenna_height_m=25.0)
    assert sites["site_id"].tolist() == ["b", "c"]
    assert sites["rs_power_dbm"].iloc[0] == pytest.approx(57.8 - 10 * math.log10(600))
    upgraded = sites_from_layer(layer, legacy_as="4G", default_antenna_height_m=25.0)
    assert upgraded["technology"].tolist() == ["4G", "4G", "5G"]


# --------------------------------------------------------------------------------------------
# Receivers and environment
# --------------------------------------------------------------------------------------------


def test_grid_cells_cover_the_bounds() -> None:
    cells = grid((X0, Y0, X0 + 100.0, Y0 + 40.0), 25.0)
    assert len(cells) == 4 * 2 and cells.index.name == "cell_id"
    assert cells[["x_m", "y_m"]].iloc[0].tolist() == [X0 + 12.5, Y0 + 12.5]
    assert cells[["x_m", "y_m"]].iloc[-1].tolist() == [X0 + 87.5, Y0 + 37.5]
    with pytest.raises(InputError, match="cell_m > 0"):
        grid((X0, Y0, X0 + 100.0, Y0 + 40.0), 0.0)
    with pytest.raises(InputError, match="cells"):
        grid((0.0, 0.0, 700_000.0, 1_300_000.0), 10.0)


def test_density_exact_counts_premises_within_the_radius() -> None:
    px = X0 + np.array([0.0, 100.0, 499.0, 501.0])
    density = premises_density_per_km2(
        [X0], [Y0], px, np.full(4, Y0), radius_m=500.0, method="exact"
    )
    assert density.tolist() == pytest.approx([3 / (math.pi * 0.25)])


def test_density_grid_approximates_the_exact_count() -> None:
    rng = np.random.default_rng(7)
    px, py = rng.uniform(X0, X0 + 4000, 20_000), rng.uniform(Y0, Y0 + 4000, 20_000)
    qx, qy = rng.uniform(X0 + 800, X0 + 3200, 200), rng.uniform(Y0 + 800, Y0 + 3200, 200)
    exact = premises_density_per_km2(qx, qy, px, py, method="exact")
    gridded = premises_density_per_km2(qx, qy, px, py, method="grid", grid_cell_m=50.0)
    assert np.median(np.abs(gridded / exact - 1)) < 0.05
    assert exact.mean() == pytest.approx(20_000 / 16, rel=0.05)


def test_classify_environment_thresholds() -> None:
    thresholds = EnvironmentThresholds(
        urban_min_per_km2=10.0, suburban_min_per_km2=3.0, method="exact"
    )
    # 0, 3 and 8 premises within 500 m: densities 0, 3.8 and 10.2 per km2.
    px = np.concatenate([np.full(3, X0 + 5000.0), np.full(8, X0 + 10_000.0)])
    classes, density = classify_environment(
        X0 + np.array([0.0, 5000.0, 10_000.0]),
        np.full(3, Y0),
        px,
        np.full(11, Y0),
        thresholds=thresholds,
    )
    assert list(classes) == ["rural", "suburban", "urban"]
    assert density.tolist() == pytest.approx([0.0, 3 / (math.pi * 0.25), 8 / (math.pi * 0.25)])
    with pytest.raises(InputError, match="suburban_min_per_km2 <= urban_min_per_km2"):
        EnvironmentThresholds(urban_min_per_km2=1.0, suburban_min_per_km2=2.0)


# --------------------------------------------------------------------------------------------
# Model per band
# --------------------------------------------------------------------------------------------


def test_model_choice_by_band_and_technology() -> None:
    assert path_loss_model_for(800.0, "4G") == "hata"
    assert path_loss_model_for(1500.0, "4G") == "hata"
    assert path_loss_model_for(1800.0, "4G") == "cost231"
    assert path_loss_model_for(2100.0, "4G") == "tr38901"
    assert path_loss_model_for(700.0, "5G") == "tr38901"


def test_link_path_loss_uses_the_right_formula_per_environment() -> None:
    d = np.array([1500.0, 1500.0, 1500.0])
    env = ["urban", "suburban", "rural"]
    hata = link_path_loss_db(d, 800.0, 30.0, 1.5, env)
    assert hata[0] == pytest.approx(hata_path_loss_db(1.5, 800.0, 30.0, 1.5, environment="urban"))
    assert hata[1] == pytest.approx(
        hata_path_loss_db(1.5, 800.0, 30.0, 1.5, environment="suburban")
    )
    assert hata[2] == pytest.approx(hata_path_loss_db(1.5, 800.0, 30.0, 1.5, environment="open"))
    cost = link_path_loss_db(
        d, 1800.0, 30.0, 1.5, env, config=MobileConfig(cost231_urban="metropolitan")
    )
    assert cost[0] == pytest.approx(
        cost231_hata_path_loss_db(1.5, 1800.0, 30.0, 1.5, environment="metropolitan")
    )
    assert cost[1] == pytest.approx(
        cost231_hata_path_loss_db(1.5, 1800.0, 30.0, 1.5, environment="suburban")
    )
    nr = link_path_loss_db(d, 3500.0, 30.0, 1.5, env, technology="5G")
    assert nr[0] == pytest.approx(uma_nlos_path_loss_db(1500.0, 3.5, 30.0, 1.5))
    assert nr[2] == pytest.approx(rma_nlos_path_loss_db(1500.0, 3.5, 30.0, 1.5))
    small = link_path_loss_db(200.0, 3500.0, 8.0, 1.5, "urban", technology="5G", cell_type="small")
    assert small == pytest.approx(umi_nlos_path_loss_db(200.0, 3.5, 8.0, 1.5))


def test_free_space_floor_applies_where_hata_is_extrapolated_too_close() -> None:
    # 800 MHz, 10 m from a 30 m mast: extrapolated Hata gives less than free space.
    d3_km = math.hypot(10.0, 28.5) / 1000.0
    floored = link_path_loss_db(10.0, 800.0, 30.0, 1.5, "urban")
    assert floored == pytest.approx(free_space_path_loss_db(d3_km, 800.0))
    raw = link_path_loss_db(
        10.0, 800.0, 30.0, 1.5, "urban", config=MobileConfig(free_space_floor=False)
    )
    assert raw < floored


def test_link_within_validity() -> None:
    flags = link_within_validity([500.0, 1500.0, 1500.0], 800.0, [30.0, 30.0, 20.0], 1.5, "urban")
    assert flags.tolist() == [False, True, False]
    nr = link_within_validity(
        [5.0, 500.0, 6000.0], 3500.0, 25.0, 1.5, ["urban", "urban", "rural"], technology="5G"
    )
    assert nr.tolist() == [False, True, False]


# --------------------------------------------------------------------------------------------
# Coverage and best server
# --------------------------------------------------------------------------------------------


def expected_rsrp(rs_dbm: float, d_m: float, h_m: float = 30.0) -> float:
    loss = max(
        float(hata_path_loss_db(d_m / 1000.0, 800.0, h_m, 1.5, out_of_range="extrapolate")),
        float(free_space_path_loss_db(math.hypot(d_m, h_m - 1.5) / 1000.0, 800.0)),
    )
    return rs_dbm - loss


def test_best_server_is_the_strongest_site_of_each_operator() -> None:
    sites = pd.DataFrame(
        [
            site("EE-near", "EE", 0.0),
            site("EE-far-loud", "EE", 3000.0, rs_power_dbm=37.2),
            site("VO-1", "VO", 2000.0),
        ]
    )
    rx = receivers(1000.0, 2900.0)
    cov = mobile_coverage(rx, sites, config=MobileConfig(candidates_per_band=None))
    ee = cov.rsrp_4g_outdoor_dbm["EE"]
    # At 1 km the near site wins (its own 1 km vs the loud site at 2 km); at 2.9 km the loud one.
    assert ee.iloc[0] == pytest.approx(
        max(expected_rsrp(29.2, 1000.0), expected_rsrp(37.2, 2000.0))
    )
    assert cov.best_site_4g["EE"].tolist() == ["EE-near", "EE-far-loud"]
    assert ee.iloc[1] == pytest.approx(expected_rsrp(37.2, 100.0))
    assert cov.rsrp_4g_outdoor_dbm["VO"].tolist() == pytest.approx(
        [expected_rsrp(29.2, 1000.0), expected_rsrp(29.2, 900.0)]
    )
    assert cov.rsrp_4g_outdoor_dbm.index.equals(rx.index)
    assert list(cov.rsrp_4g_outdoor_dbm.columns) == ["EE", "VO"]
    assert cov.rsrp_5g_outdoor_dbm.isna().all().all()


def test_indoor_rsrp_subtracts_the_entry_loss_for_each_receiver() -> None:
    sites = pd.DataFrame([site("s", "EE", 0.0)])
    rx = receivers(1000.0, 1000.0, 1000.0, 1000.0)
    rx["entry_loss_db"] = [np.nan, 7.0, np.nan, np.nan]
    rx["thermally_efficient"] = [False, False, True, False]
    rx["building_loss_model"] = [None, None, None, "none"]
    cov = mobile_coverage(rx, sites)
    outdoor = cov.rsrp_4g_outdoor_dbm["EE"].to_numpy()
    indoor = cov.rsrp_4g_indoor_dbm["EE"].to_numpy()
    low_loss = float(o2i_penetration_loss_db(0.8))  # 10.40 + 4.17 dB
    assert low_loss == pytest.approx(14.57, abs=0.01)
    assert (outdoor - indoor).tolist() == pytest.approx(
        [
            low_loss,
            7.0,
            float(p2109_building_entry_loss_db(0.8, building="thermally_efficient")),
            0.0,
        ]
    )


def test_indoor_best_can_come_from_a_lower_band() -> None:
    # 800 MHz loses less through walls than 2600 MHz: the indoor best is the best over bands.
    sites = pd.DataFrame(
        [site("lo", "EE", 0.0), site("hi", "EE", 0.0, band_mhz=2600.0, rs_power_dbm=31.0)]
    )
    cov = mobile_coverage(
        receivers(300.0), sites, config=MobileConfig(building_loss_model="38901_high")
    )
    loss_800 = float(o2i_penetration_loss_db(0.8, model="high"))
    loss_2600 = float(o2i_penetration_loss_db(2.6, model="high"))
    rsrp_800 = expected_rsrp(29.2, 300.0)
    assert cov.rsrp_4g_indoor_dbm["EE"].iloc[0] == pytest.approx(
        max(rsrp_800 - loss_800, cov.rsrp_4g_outdoor_dbm["EE"].iloc[0] - loss_2600)
    )


def test_coverage_flags_any_all_5g_and_not_spots() -> None:
    thresholds = MobileThresholds(outdoor_4g_dbm=-90.0, indoor_4g_dbm=-100.0, outdoor_5g_dbm=-100.0)
    sites = pd.DataFrame(
        [
            site("EE-1", "EE", 0.0),
            site("VO-1", "VO", 0.0),
            site("VO-5G", "VO", 0.0, band_mhz=3500.0, technology="5G", rs_power_dbm=20.0),
        ]
    )
    config = MobileConfig(thresholds=thresholds, operators=("EE", "H3", "VO"))
    cov = mobile_coverage(receivers(200.0, 4000.0, 25_000.0), sites, config=config)
    summary = cov.summary
    assert cov.rsrp_4g_outdoor_dbm["H3"].isna().all()
    assert summary["good_4g_outdoor_any"].tolist() == [True, False, False]
    # H3 has no site, so "all operators" can never hold.
    assert summary["good_4g_outdoor_all"].tolist() == [False, False, False]
    assert summary["operators_good_4g_indoor"].tolist() == [2, 0, 0]
    assert summary["good_5g_outdoor_any"].tolist() == [True, False, False]
    assert summary["not_spot"].tolist() == [False, True, True]
    two = mobile_coverage(receivers(200.0), sites, config=MobileConfig(thresholds=thresholds))
    assert two.summary["good_4g_outdoor_all"].tolist() == [True]
    assert two.operators == ("EE", "VO")


def test_beyond_max_site_distance_there_is_no_server() -> None:
    sites = pd.DataFrame([site("s", "EE", 0.0)])
    cov = mobile_coverage(receivers(5000.0), sites, config=MobileConfig(max_site_distance_m=4000.0))
    assert np.isnan(cov.rsrp_4g_outdoor_dbm["EE"].iloc[0])
    assert cov.best_site_4g["EE"].iloc[0] is None
    assert bool(cov.summary["not_spot"].iloc[0])


def test_extrapolated_flag_marks_best_links_outside_the_model_range() -> None:
    sites = pd.DataFrame([site("s", "EE", 0.0)])
    cov = mobile_coverage(receivers(500.0, 1500.0), sites)
    assert cov.summary["extrapolated"].tolist() == [True, False]


def test_k_nearest_pruning_and_chunking_match_the_exhaustive_answer() -> None:
    rng = np.random.default_rng(3)
    # EE's 800 MHz group has more sites than DENSE_GROUP_SITES, so it goes through the cKDTree.
    assert DENSE_GROUP_SITES < 90
    sites = pd.DataFrame(
        [site(f"s{i}", "EE", *rng.uniform(-3000, 3000, 2)) for i in range(90)]
        + [site(f"v{i}", "VO", *rng.uniform(-3000, 3000, 2), band_mhz=[800.0, 1800.0][i % 2])
           for i in range(30)]
    )  # fmt: skip
    rx = pd.DataFrame(
        {"x_m": X0 + rng.uniform(-3000, 3000, 500), "y_m": Y0 + rng.uniform(-3000, 3000, 500)}
    )
    exhaustive = mobile_coverage(rx, sites, config=MobileConfig(candidates_per_band=None))
    pruned = mobile_coverage(
        rx, sites, config=MobileConfig(candidates_per_band=1, max_links_per_chunk=37)
    )
    pd.testing.assert_frame_equal(pruned.rsrp_4g_outdoor_dbm, exhaustive.rsrp_4g_outdoor_dbm)
    pd.testing.assert_frame_equal(pruned.rsrp_4g_indoor_dbm, exhaustive.rsrp_4g_indoor_dbm)
    pd.testing.assert_frame_equal(pruned.summary, exhaustive.summary)
    flat = pruned.flat()
    assert "rsrp_4g_outdoor_dbm[EE]" in flat.columns and len(flat) == 500


def test_receiver_refusals() -> None:
    sites = pd.DataFrame([site("s", "EE", 0.0)])
    with pytest.raises(InputError, match="missing column x_m"):
        mobile_coverage(pd.DataFrame({"y_m": [Y0]}), sites)
    with pytest.raises(InputError, match=r"receivers, row 1, column environment"):
        mobile_coverage(receivers(100.0, environment="downtown"), sites)
    bad_model = receivers(100.0).assign(building_loss_model="straw")
    with pytest.raises(InputError, match="unknown building loss model 'straw'"):
        mobile_coverage(bad_model, sites)
    with pytest.raises(InputError, match=r"column entry_loss_db"):
        mobile_coverage(receivers(100.0).assign(entry_loss_db=-3.0), sites)
    with pytest.raises(InputError, match=r"not in config.operators"):
        mobile_coverage(receivers(100.0), sites, config=MobileConfig(operators=("VO",)))
    with pytest.raises(InputError, match="candidates_per_band"):
        MobileConfig(candidates_per_band=0)


def test_density_classification_is_used_when_no_environment_is_given() -> None:
    # 2000 premises packed near the first receiver make it urban; the second is rural.
    rng = np.random.default_rng(1)
    premises = pd.DataFrame(
        {"x_m": X0 + rng.uniform(-300, 300, 2000), "y_m": Y0 + rng.uniform(-300, 300, 2000)}
    )
    rx = pd.DataFrame({"x_m": [X0, X0 + 20_000.0], "y_m": [Y0, Y0]})
    cov = mobile_coverage(rx, pd.DataFrame([site("s", "EE", 0.0)]), premises=premises)
    assert list(cov.summary["environment"]) == ["urban", "rural"]
    assert cov.summary["premises_density_per_km2"].iloc[0] > 2000


def test_fast_link_kernel_matches_the_reference_formulas() -> None:
    rng = np.random.default_rng(11)
    bands = [(800.0, "4G", "macro"), (1800.0, "4G", "macro"), (2600.0, "4G", "macro"),
             (3500.0, "5G", "macro"), (3500.0, "5G", "small")]  # fmt: skip
    sites = pd.DataFrame(
        [
            site(f"s{i}", "EE", *rng.uniform(-2000, 2000, 2), band_mhz=b, technology=t, cell_type=c,
                 antenna_height_m=float(rng.uniform(8, 60)), rs_power_dbm=float(rng.uniform(15, 35)))
            for i, (b, t, c) in enumerate(bands * 4)
        ]
    )  # fmt: skip
    # Receivers spread out, plus some within a few metres of masts (where the free-space floor bites).
    near = sites[["x_m", "y_m"]].to_numpy()[:8] + rng.uniform(-5, 5, (8, 2))
    xy = np.vstack(
        [
            np.column_stack(
                [X0 + rng.uniform(-3000, 3000, 300), Y0 + rng.uniform(-3000, 3000, 300)]
            ),
            near,
        ]
    )
    environment = rng.integers(0, 3, len(xy))
    height = rng.choice([1.5, 4.5], len(xy))
    config = MobileConfig(hata_urban="large_city", cost231_urban="metropolitan")
    matrix = rsrp_matrix_dbm(
        xy[:, 0], xy[:, 1], sites, environment=environment, ut_height_m=height, config=config
    )
    assert matrix.shape == (len(xy), len(sites))
    floored = 0
    for j, row in sites.iterrows():
        d = np.hypot(xy[:, 0] - row["x_m"], xy[:, 1] - row["y_m"])
        loss = link_path_loss_db(
            d, row["band_mhz"], row["antenna_height_m"], height, environment,
            technology=row["technology"], cell_type=row["cell_type"], config=config,
        )  # fmt: skip
        np.testing.assert_allclose(matrix[:, j], row["rs_power_dbm"] - loss, atol=1e-9)
        if row["band_mhz"] < 2000:
            raw = link_path_loss_db(
                d, row["band_mhz"], row["antenna_height_m"], height, environment,
                config=MobileConfig(free_space_floor=False, hata_urban="large_city", cost231_urban="metropolitan"),
            )  # fmt: skip
            floored += int((raw < loss).sum())
    assert floored > 0


def test_gathered_link_kernel_matches_the_reference_formulas() -> None:
    from geo.coverage._links import SiteGroup, gathered_rsrp_dbm

    rng = np.random.default_rng(12)
    config = MobileConfig()
    for band, technology, cell_type in [(800.0, "4G", "macro"), (1800.0, "4G", "macro"),
                                        (3500.0, "5G", "macro"), (3500.0, "5G", "small")]:  # fmt: skip
        m = 6
        group = SiteGroup(band, technology, cell_type, np.zeros(m), np.zeros(m),
                          rng.uniform(5, 50, m), rng.uniform(15, 35, m))  # fmt: skip
        distance = np.maximum(
            rng.uniform(0, 6000, (200, 4)) * rng.choice([0.002, 1.0], (200, 4)), 1.0
        )
        index = rng.integers(0, m, (200, 4))
        env = rng.integers(0, 3, 200).astype(np.int8)
        height = rng.choice([1.5, 7.5], 200)
        rsrp = gathered_rsrp_dbm(group, distance, index, env, height, config)
        loss = link_path_loss_db(distance, band, group.height_m[index], height[:, None], env[:, None],
                                 technology=technology, cell_type=cell_type, config=config)  # fmt: skip
        np.testing.assert_allclose(rsrp, group.power_dbm[index] - loss, atol=1e-9)


@pytest.mark.parametrize("free_space_floor", [True, False])
def test_best_server_matches_the_maximum_of_the_link_matrix(free_space_floor: bool) -> None:
    rng = np.random.default_rng(21)
    rows = []
    for i in range(12):
        x, y = rng.uniform(-3000, 3000, 2)
        rows.append(site(f"a{i}", "EE", x, y, band_mhz=800.0, antenna_height_m=25.0))  # one slope
        rows.append(
            site(f"b{i}", "EE", x, y, band_mhz=1800.0, antenna_height_m=float(rng.uniform(10, 50)))
        )
        rows.append(
            site(
                f"c{i}",
                "EE",
                x,
                y,
                band_mhz=3500.0,
                technology="5G",
                rs_power_dbm=float(rng.uniform(10, 30)),
            )
        )
    sites = pd.DataFrame(rows)
    x = X0 + np.concatenate(
        [rng.uniform(-4000, 4000, 3000), sites["x_m"].to_numpy()[:5] - X0 + 2.0]
    )
    y = Y0 + np.concatenate([rng.uniform(-4000, 4000, 3000), sites["y_m"].to_numpy()[:5] - Y0])
    config = MobileConfig(free_space_floor=free_space_floor)
    best, which = best_server_dbm(x, y, sites, config=config)
    matrix = rsrp_matrix_dbm(x, y, sites, config=config)
    np.testing.assert_allclose(best, matrix.max(axis=1), atol=1e-9)
    np.testing.assert_array_equal(which, matrix.argmax(axis=1))
    five_g = sites["technology"].to_numpy() == "5G"
    best_5g, which_5g = best_server_dbm(x, y, sites[five_g].reset_index(drop=True), config=config)
    np.testing.assert_allclose(best_5g, matrix[:, five_g].max(axis=1), atol=1e-9)
    np.testing.assert_array_equal(which_5g, matrix[:, five_g].argmax(axis=1))


def test_5g_sites_beyond_max_site_distance_are_ignored() -> None:
    sites = pd.DataFrame([site("n", "VO", 0.0, band_mhz=3500.0, technology="5G")])
    cov = mobile_coverage(
        receivers(500.0, 5000.0), sites, config=MobileConfig(max_site_distance_m=4000.0)
    )
    rsrp = cov.rsrp_5g_outdoor_dbm["VO"]
    assert rsrp.iloc[0] == pytest.approx(29.2 - float(uma_nlos_path_loss_db(500.0, 3.5, 30.0, 1.5)))
    assert np.isnan(rsrp.iloc[1])
