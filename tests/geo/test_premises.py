"""Premises: OS Open UPRN address points and estimated premises (geo.premises)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pandas.testing import assert_frame_equal
from shapely.geometry import LineString, box

from geo.errors import InputError
from geo.premises import PREMISES_COLUMNS, estimate_premises, read_address_points
from geo.sources.boundaries import read_area_layer
from tests.shared_data import SHARED_DATA

BNG = "EPSG:27700"
HEADER = "UPRN,X_COORDINATE,Y_COORDINATE,LATITUDE,LONGITUDE\n"
# Three points in Hounslow; latitude/longitude converted from the grid coordinates.
GOOD_ROWS = (
    "100021532811,513500.00,175700.00,51.468894,-0.367355\n"
    "100021532812,513520.00,175710.00,51.468980,-0.367064\n"
    "10091234567,516086.00,175524.00,51.466788,-0.330200\n"
)


def write_csv(tmp_path: Path, text: str, name: str = "uprn.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# --- address points -------------------------------------------------------------------------


def test_address_points_become_bng_points(tmp_path: Path) -> None:
    premises = read_address_points(write_csv(tmp_path, HEADER + GOOD_ROWS))
    assert list(premises.columns) == [*PREMISES_COLUMNS, "geometry"]
    assert premises.crs == BNG
    assert premises["uprn"].tolist() == [100021532811, 100021532812, 10091234567]
    assert premises["premises_id"].iloc[2] == "10091234567"
    assert not premises["is_estimate"].any()
    assert premises.geometry.iloc[1].equals(shapely.Point(513520.0, 175710.0))


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "UPRN,X_COORDINATE\n1,513500\n")
    with pytest.raises(InputError, match=r"uprn\.csv, column Y_COORDINATE: lacks the column"):
        read_address_points(path)


def test_a_non_numeric_coordinate_names_row_and_column(tmp_path: Path) -> None:
    rows = GOOD_ROWS.replace("513520.00", "five hundred")
    with pytest.raises(InputError, match=r"row 2, column X_COORDINATE.*row 2 \(line 3\)") as info:
        read_address_points(write_csv(tmp_path, HEADER + rows))
    assert info.value.row == 2


def test_repeated_uprns_are_refused(tmp_path: Path) -> None:
    rows = GOOD_ROWS.replace("100021532812", "100021532811")
    with pytest.raises(InputError, match=r"same UPRN more than once in row 1 \(line 2\), 2"):
        read_address_points(write_csv(tmp_path, HEADER + rows))


def test_a_uprn_that_is_not_a_whole_number_is_refused(tmp_path: Path) -> None:
    rows = GOOD_ROWS.replace("10091234567", "-5")
    with pytest.raises(InputError, match=r"column UPRN: has a UPRN that is not a whole number"):
        read_address_points(write_csv(tmp_path, HEADER + rows))


def test_coordinates_outside_great_britain_are_refused(tmp_path: Path) -> None:
    rows = GOOD_ROWS.replace("175524.00", "1575524.00")
    with pytest.raises(InputError, match=r"row 3, column Y_COORDINATE: .*outside Great Britain"):
        read_address_points(write_csv(tmp_path, HEADER + rows))


def test_latitude_longitude_far_from_the_grid_point_is_refused(tmp_path: Path) -> None:
    rows = GOOD_ROWS.replace("51.468980,-0.367064", "51.478980,-0.367064")
    with pytest.raises(InputError, match=r"row 2, column LATITUDE.*more than 100 m"):
        read_address_points(write_csv(tmp_path, HEADER + rows))


def test_a_missing_address_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"none\.csv: no such file"):
        read_address_points(tmp_path / "none.csv")


# --- estimated premises -----------------------------------------------------------------------


def tiny_town() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Two 200 m square LSOAs; a residential street through each; a primary road between."""
    areas = gpd.GeoDataFrame(
        {"LSOA21CD": ["E01000001", "E01000002"]},
        geometry=[box(0, 0, 200, 200), box(200, 0, 400, 200)],
        crs=BNG,
    )
    streets = gpd.GeoDataFrame(
        {"highway": ["residential", "residential;service", "primary"]},
        geometry=[
            LineString([(20, 100), (180, 100)]),
            LineString([(300, 20), (300, 180)]),
            LineString([(0, 190), (400, 190)]),
        ],
        crs=BNG,
    )
    return areas, streets


POPULATION = pd.Series({"E01000001": 24, "E01000002": 48, "E01099999": 1000})


def test_estimates_follow_population_and_stay_in_their_area() -> None:
    areas, streets = tiny_town()
    premises = estimate_premises(streets, areas, POPULATION, seed=1)
    assert premises["lsoa_code"].value_counts().to_dict() == {"E01000001": 10, "E01000002": 20}
    assert premises["is_estimate"].all()
    assert premises["uprn"].isna().all()
    assert premises["premises_id"].iloc[0] == "EST-E01000001-00001"
    assert premises["premises_id"].is_unique
    joined = premises.sjoin(areas, predicate="within")
    assert (joined["lsoa_code"] == joined["LSOA21CD"]).all()


def test_estimates_are_set_back_from_residential_streets_only() -> None:
    areas, streets = tiny_town()
    premises = estimate_premises(streets, areas, POPULATION, seed=1)
    residential = shapely.union_all(np.asarray(streets.geometry.array[:2]))
    distance_m = premises.distance(residential)
    assert distance_m.between(10.0 - 1e-6, 15.0 + 1e-6).all()


def test_the_same_seed_gives_the_same_premises() -> None:
    areas, streets = tiny_town()
    first = estimate_premises(streets, areas, POPULATION, seed=7)
    again = estimate_premises(streets, areas, POPULATION, seed=7)
    other = estimate_premises(streets, areas, POPULATION, seed=8)
    assert_frame_equal(pd.DataFrame(first.drop(columns="geometry")), again.drop(columns="geometry"))
    assert not np.allclose(first["x_m"], other["x_m"])


def test_household_size_sets_the_number_of_premises() -> None:
    areas, streets = tiny_town()
    premises = estimate_premises(streets, areas, POPULATION, seed=1, residents_per_premises=2.0)
    assert len(premises) == 12 + 24


def test_an_area_with_only_a_main_road_uses_it() -> None:
    areas = gpd.GeoDataFrame({"LSOA21CD": ["E01000003"]}, geometry=[box(0, 0, 200, 200)], crs=BNG)
    streets = gpd.GeoDataFrame(
        {"highway": ["primary"]}, geometry=[LineString([(0, 100), (200, 100)])], crs=BNG
    )
    premises = estimate_premises(streets, areas, pd.Series({"E01000003": 12}), seed=3)
    assert len(premises) == 5
    assert premises.distance(streets.geometry.iloc[0]).between(10.0 - 1e-6, 15.0 + 1e-6).all()


def test_an_area_with_people_but_no_street_is_refused() -> None:
    areas, streets = tiny_town()
    empty = gpd.GeoDataFrame(
        {"LSOA21CD": ["E01000005"]}, geometry=[box(1000, 1000, 1100, 1100)], crs=BNG
    )
    with pytest.raises(InputError, match=r"no street inside them \(E01000005\)"):
        estimate_premises(
            streets,
            pd.concat([areas, empty]),
            pd.concat([POPULATION, pd.Series({"E01000005": 30})]),
            seed=1,
        )


def test_an_area_without_a_population_figure_is_refused() -> None:
    areas, streets = tiny_town()
    with pytest.raises(InputError, match=r"population: .*1 areas \(E01000002\)"):
        estimate_premises(streets, areas, pd.Series({"E01000001": 24}), seed=1)


def test_streets_in_degrees_are_refused() -> None:
    areas, streets = tiny_town()
    with pytest.raises(InputError, match="street edges: is in a geographic CRS"):
        estimate_premises(streets.to_crs("EPSG:4326"), areas, POPULATION, seed=1)


@pytest.mark.realdata
def test_estimates_for_oakham_lsoas_on_the_osm_network() -> None:
    from geo.sources.osm import read_street_network

    network = read_street_network(SHARED_DATA / "osm" / "oakham_rutland_2018.osm", mode="walk")
    lsoas = read_area_layer(SHARED_DATA / "rutland" / "rutland_lsoa2021.geojson").frame
    covered = shapely.convex_hull(shapely.union_all(np.asarray(network.edges.geometry.array)))
    town = lsoas[lsoas.within(covered)]
    census = pd.read_csv(SHARED_DATA / "rutland" / "rutland_population_age_lsoa.csv")
    people = census.set_index("lsoa21_code")["total"]
    premises = estimate_premises(network.edges, town, people, seed=2027)
    assert len(town) == 7
    expected = np.rint(people[town["LSOA21CD"]] / 2.4).astype(int)
    counts = premises["lsoa_code"].value_counts().reindex(town["LSOA21CD"])
    assert counts.tolist() == expected.tolist()
    joined = premises.sjoin(town[["LSOA21CD", "geometry"]], predicate="within")
    assert len(joined) == len(premises)
    assert (joined["lsoa_code"] == joined["LSOA21CD"]).all()
