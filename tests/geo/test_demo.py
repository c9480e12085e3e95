"""The synthetic demo borough (geo.sources.demo), built once for the module."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from pandas.testing import assert_frame_equal, assert_series_equal
from scipy.sparse.csgraph import connected_components

from geo.areas import area_layer_from_frame, assign_areas_to_wards
from geo.places import PLACE_COLUMNS, SITE_COLUMNS
from geo.premises import estimate_premises
from geo.sources.demo import AGE_BANDS, DEMO_LAD_CODE, DemoBorough, build_demo_borough
from geo.sources.osm import read_street_network
from tests.shared_data import SHARED_DATA

BNG = "EPSG:27700"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoBorough:
    return build_demo_borough(2027, workdir=tmp_path_factory.mktemp("demo"))


def test_sizes_are_those_of_a_small_borough(demo: DemoBorough) -> None:
    assert 15 <= len(demo.wards) <= 25
    assert 100 <= len(demo.lsoas) <= 200
    assert 30_000 <= len(demo.premises) <= 60_000
    assert 90_000 <= demo.population["total"].sum() <= 140_000
    assert 25 <= len(demo.mobile_sites) <= 40
    assert len(demo.exchange) == 1


def test_lsoas_hold_between_500_and_3000_residents(demo: DemoBorough) -> None:
    assert demo.population["total"].between(500, 3_000).all()


def test_every_layer_is_in_british_national_grid(demo: DemoBorough) -> None:
    for layer in (
        demo.boundary,
        demo.wards,
        demo.lsoas,
        demo.premises,
        demo.venues,
        demo.mobile_sites,
        demo.exchange,
        demo.cabinets,
        demo.full_fibre_areas,
    ):
        assert layer.crs == BNG


def test_the_borough_is_in_england(demo: DemoBorough) -> None:
    west, south, east, north = demo.boundary.to_crs("EPSG:4326").total_bounds
    assert -2.0 < west < east < 0.0
    assert 51.5 < south < north < 52.5


def test_areas_pass_the_ons_checks(demo: DemoBorough) -> None:
    wards = area_layer_from_frame(demo.wards, source="demo wards")
    lsoas = area_layer_from_frame(demo.lsoas, source="demo lsoas")
    assert (wards.vintage, lsoas.vintage) == ("WD23", "LSOA21")
    assert wards.codes[0] == "E05900001"
    assert lsoas.codes.str.startswith("E019").all()
    assert (demo.boundary["LAD23CD"] == DEMO_LAD_CODE).all()
    assert demo.lsoas["LSOA21NM"].str.match(r"^Demo Borough \d{3}[A-Z]$").all()


@pytest.mark.parametrize("layer", ["wards", "lsoas"])
def test_areas_partition_the_borough(demo: DemoBorough, layer: str) -> None:
    polygons = np.asarray(getattr(demo, layer).geometry.array)
    outline = demo.boundary.geometry.iloc[0]
    assert shapely.is_valid(polygons).all()
    assert shapely.area(polygons).sum() == pytest.approx(outline.area, rel=1e-9)
    assert shapely.symmetric_difference(shapely.union_all(polygons), outline).area < 1.0


def test_wards_are_in_one_piece(demo: DemoBorough) -> None:
    assert (demo.wards.geom_type == "Polygon").all()


def test_each_lsoa_lies_in_the_ward_it_names(demo: DemoBorough) -> None:
    ward_of = assign_areas_to_wards(
        demo.lsoas, demo.wards, code_column="LSOA21CD", ward_code_column="WD23CD"
    )
    assert ward_of.tolist() == demo.lsoas["WD23CD"].tolist()


def test_premises_lie_in_their_lsoa_and_ward(demo: DemoBorough) -> None:
    joined = demo.premises.sjoin(demo.lsoas[["LSOA21CD", "WD23CD", "geometry"]], predicate="within")
    assert len(joined) == len(demo.premises)
    assert (joined["lsoa_code"] == joined["LSOA21CD"]).all()
    assert (joined["ward_code"] == joined["WD23CD"]).all()


def test_premises_have_uprn_like_ids(demo: DemoBorough) -> None:
    uprn = demo.premises["uprn"]
    assert uprn.is_unique
    assert uprn.between(900_000_000_000, 999_999_999_999).all()
    assert (demo.premises["premises_id"] == uprn.astype(str)).all()
    assert not demo.premises["is_estimate"].any()


def test_premises_front_onto_streets(demo: DemoBorough) -> None:
    streets = demo.walk_network.edges
    _, distance_m = streets.sindex.nearest(demo.premises.geometry, return_distance=True)
    assert np.median(distance_m) == pytest.approx(12.0, abs=3.0)
    assert np.max(distance_m) < 65.0


def test_population_has_the_census_age_table_layout(demo: DemoBorough) -> None:
    census = pd.read_csv(
        SHARED_DATA / "census2021" / "census2021_age6_lsoa21_target_lads_wide.csv", nrows=1
    )
    assert list(demo.population.columns) == list(census.columns)
    assert (demo.population[list(AGE_BANDS)].sum(axis=1) == demo.population["total"]).all()
    assert sorted(demo.population["lsoa21_code"]) == sorted(demo.lsoas["LSOA21CD"])
    per_premises = demo.population["total"].sum() / len(demo.premises)
    assert per_premises == pytest.approx(2.45, abs=0.1)


def test_imd_deciles_cover_every_lsoa(demo: DemoBorough) -> None:
    assert demo.imd_decile.name == "imd_decile"
    assert sorted(demo.imd_decile.index) == sorted(demo.lsoas["LSOA21CD"])
    assert set(demo.imd_decile) == set(range(1, 11))


def test_the_osm_file_is_valid_xml_with_named_streets(demo: DemoBorough) -> None:
    root = ET.parse(demo.osm_path).getroot()  # noqa: S314 - our own file
    assert root.tag == "osm"
    highways = {tag.get("v") for tag in root.iter("tag") if tag.get("k") == "highway"}
    assert {"residential", "tertiary", "secondary", "footway"} <= highways
    assert any(tag.get("k") == "name" for tag in root.iter("tag"))


def test_the_walking_network_written_is_connected(demo: DemoBorough) -> None:
    everything = read_street_network(demo.osm_path, mode="walk", retain_all=True)
    _, labels = connected_components(everything.graph, directed=False)
    assert np.bincount(labels).max() >= 0.95 * everything.n_nodes
    assert demo.walk_network.n_nodes >= 0.95 * everything.n_nodes
    assert demo.walk_network.n_nodes > 1_000


def test_every_junction_can_be_driven_to_from_every_other(demo: DemoBorough) -> None:
    network = demo.drive_network
    _, labels = connected_components(network.graph, directed=True, connection="strong")
    assert np.bincount(labels).max() >= 0.95 * network.n_nodes
    assert network.mode == "drive" and network.n_nodes > 1_000


def test_the_drive_network_has_no_footpaths(demo: DemoBorough) -> None:
    walk = demo.walk_network.edges["highway"].str.contains("footway")
    drive = demo.drive_network.edges["highway"].str.contains("footway")
    assert walk.any() and not drive.any()


def test_venues_are_named_help_places_in_the_borough(demo: DemoBorough) -> None:
    venues = demo.venues
    assert list(venues.columns) == [*PLACE_COLUMNS, "geometry"]
    assert venues["name"].notna().all() and venues["place_id"].is_unique
    assert {"library", "community_centre", "townhall", "public_wifi"} <= set(venues["kind"])
    assert venues.within(demo.boundary.geometry.iloc[0]).all()
    libraries = venues[venues["kind"] == "library"]
    assert libraries["monday"].notna().all()


def test_mobile_sites_span_operators_and_bands(demo: DemoBorough) -> None:
    sites = demo.mobile_sites
    assert list(sites.columns) == [*SITE_COLUMNS, "geometry"]
    assert 3 <= sites["operator"].nunique() <= 4
    assert set(sites["band_mhz"]) == {800.0, 1800.0, 2100.0, 2600.0, 3500.0}
    assert sites["antenna_height_m"].between(15, 50).all()
    assert sites["power_dbm"].between(50, 70).all()
    assert sites["site_id"].is_unique
    assert sites.within(demo.boundary.geometry.iloc[0]).all()


def test_cabinets_serve_a_few_hundred_premises_each(demo: DemoBorough) -> None:
    cabinets = demo.cabinets
    assert 300 <= len(demo.premises) / len(cabinets) <= 400
    assert cabinets["premises_count"].sum() == len(demo.premises)
    served = demo.premises["cabinet_id"].value_counts()
    assert_series_equal(
        served.sort_index(),
        cabinets.set_index("cabinet_id")["premises_count"].sort_index(),
        check_names=False,
    )


def test_full_fibre_areas_cover_some_premises(demo: DemoBorough) -> None:
    areas = demo.full_fibre_areas
    assert len(areas) > 0 and shapely.is_valid(np.asarray(areas.geometry.array)).all()
    covered = demo.premises.sjoin(areas[["geometry"]], predicate="within")
    share = covered.index.nunique() / len(demo.premises)
    assert 0.1 < share < 0.7


def test_estimated_premises_on_demo_streets_match_the_census(demo: DemoBorough) -> None:
    people = demo.population.set_index("lsoa21_code")["total"]
    estimates = estimate_premises(demo.walk_network.edges, demo.lsoas, people, seed=1)
    expected = np.rint(people / 2.4).astype(int)
    counts = estimates["lsoa_code"].value_counts()
    assert counts.reindex(expected.index).tolist() == expected.tolist()


def test_the_same_seed_gives_the_same_borough(demo: DemoBorough, tmp_path: Path) -> None:
    again = build_demo_borough(2027, workdir=tmp_path)
    assert again.osm_path != demo.osm_path
    assert again.osm_path.read_bytes() == demo.osm_path.read_bytes()
    for name in (
        "boundary",
        "wards",
        "lsoas",
        "premises",
        "venues",
        "mobile_sites",
        "cabinets",
        "full_fibre_areas",
    ):
        assert_geodataframe_equal(getattr(again, name), getattr(demo, name))
    assert_frame_equal(again.population, demo.population)
    assert_series_equal(again.imd_decile, demo.imd_decile)
    assert np.array_equal(again.walk_network.node_id, demo.walk_network.node_id)
    assert (again.drive_network.graph != demo.drive_network.graph).nnz == 0


def test_another_seed_draws_another_layout() -> None:
    # Building a whole second borough takes seconds; the street layout is where seeds diverge.
    from geo.sources.demo import _draw_settlements, _names, _Streets

    def layout(seed: int) -> tuple[int, np.ndarray]:
        rng = np.random.default_rng(seed)
        streets = _Streets()
        drawn = _draw_settlements(rng, streets, _names(rng))
        return len(drawn.village_names), streets.xy

    villages_a, xy_a = layout(2027)
    villages_b, xy_b = layout(11)
    assert 4 <= villages_a <= 7 and 4 <= villages_b <= 7
    assert xy_a.shape != xy_b.shape or not np.allclose(xy_a, xy_b)
