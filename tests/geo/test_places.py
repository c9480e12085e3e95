"""Help places and mobile sites (geo.places, geo.sources.venues)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point, box

from geo.errors import InputError
from geo.places import (
    DAY_COLUMNS,
    PLACE_COLUMNS,
    SITE_COLUMNS,
    help_places_from_osm,
    match_libraries,
    mobile_sites_from_osm,
    normalise_sites,
    sites_within,
)
from geo.sources.boundaries import read_area_layer
from geo.sources.venues import (
    read_dcms_libraries,
    read_help_places,
    read_mobile_sites,
    read_osm_masts,
)
from tests.shared_data import SHARED_DATA

BNG = "EPSG:27700"
OSM_DATE = date(2018, 2, 27)
SITEFINDER_DATE = date(2012, 1, 1)
DCMS_DATE = date(2023, 4, 1)
RUTLAND_POIS = SHARED_DATA / "osm" / "rutland_community_digital_pois_2018.geojson"
RUTLAND_SITES = SHARED_DATA / "rutland" / "rutland_sitefinder_sites_5km.csv"
LIBRARIES = (
    SHARED_DATA
    / "community_assets"
    / "dcms_libraries_england_2023_hounslow_hillingdon_hampshire.csv"
)
FOOTPRINTS = SHARED_DATA / "community_assets" / "os_library_buildings_target_lads.geojson"


# --- OSM help places ------------------------------------------------------------------------


def tiny_pois() -> gpd.GeoDataFrame:
    """An osmnx-style frame: (element, id) index, tag columns, a building as a polygon."""
    index = pd.MultiIndex.from_tuples(
        [("node", 1), ("node", 2), ("way", 3), ("node", 4)], names=["element", "id"]
    )
    return gpd.GeoDataFrame(
        {
            "name": ["Town Library", "Corner Café", "Village Hall", "Shoe Shop"],
            "amenity": ["library", "cafe", "community_centre", None],
            "internet_access": ["wlan;terminal", "wifi", None, "no"],
        },
        geometry=[
            Point(500_000, 200_000),
            Point(500_100, 200_000),
            box(500_200, 200_000, 500_260, 200_040),
            Point(500_300, 200_000),
        ],
        index=index,
        crs=BNG,
    )


def test_help_places_keep_help_amenities_and_public_wifi() -> None:
    places = help_places_from_osm(tiny_pois(), source_date=OSM_DATE)
    assert list(places.columns) == [*PLACE_COLUMNS, "geometry"]
    assert places["place_id"].tolist() == ["osm:node/1", "osm:node/2", "osm:way/3"]
    assert places["kind"].tolist() == ["library", "public_wifi", "community_centre"]
    assert places["public_wifi"].tolist()[:2] == [True, True]
    assert pd.isna(places["public_wifi"].iloc[2])
    assert places["public_computers"].tolist()[:2] == [True, False]
    assert (places["source_date"] == OSM_DATE).all()


def test_a_building_becomes_a_point_inside_it() -> None:
    places = help_places_from_osm(tiny_pois(), source_date=OSM_DATE)
    hall = places.set_index("place_id").loc["osm:way/3", "geometry"]
    assert hall.geom_type == "Point"
    assert box(500_200, 200_000, 500_260, 200_040).contains(hall)


@pytest.mark.realdata
def test_rutland_osm_help_places() -> None:
    places = read_help_places(RUTLAND_POIS, source_date=OSM_DATE)
    assert places.crs == BNG
    assert places["kind"].value_counts().to_dict() == {
        "library": 3,
        "community_centre": 2,
        "townhall": 1,
        "public_wifi": 1,
    }
    by_name = places.set_index("name")
    assert bool(by_name.loc["Rutland County Library", "public_wifi"]) is True
    assert by_name.loc["Rutland County Library", "opening_hours"] == "Mo-Fr 09:30-17:00"
    assert by_name.loc["Rutland County Library", "postcode"] == "LE15 6HW"
    assert by_name.loc["Hungry Birds", "kind"] == "public_wifi"
    wards = read_area_layer(SHARED_DATA / "rutland" / "rutland_wards_2023.geojson").frame
    assert sites_within(places, wards).all()


@pytest.mark.realdata
def test_help_places_from_an_osm_extract_and_from_read_osm_pois() -> None:
    from geo.sources.osm import read_osm_pois

    extract = SHARED_DATA / "osm" / "oakham_rutland_2018.osm"
    places = read_help_places(extract, source_date=OSM_DATE)
    by_name = places.set_index("name")
    assert by_name.loc["Rutland County Library", "place_id"] == "osm:way/101326490"
    assert bool(by_name.loc["Rutland County Library", "public_wifi"]) is True
    assert by_name.loc["Victoria Hall", "kind"] == "townhall"
    libraries = read_osm_pois(extract, tags={"amenity": ["library"]})
    from_frame = read_help_places(libraries, source_date=OSM_DATE)
    assert from_frame["name"].tolist() == ["Rutland County Library"]
    assert (
        from_frame.geometry.iloc[0].distance(by_name.loc["Rutland County Library", "geometry"]) < 1
    )


@pytest.mark.realdata
def test_rutland_osm_masts_are_a_site_layer_with_unknown_operator() -> None:
    masts = read_osm_masts(RUTLAND_POIS, source_date=OSM_DATE)
    assert list(masts.columns) == [*SITE_COLUMNS, "geometry"]
    assert len(masts) == 27
    assert set(masts["operator"]) == {"unknown"}
    assert masts["band_mhz"].isna().all()
    assert masts["site_id"].is_unique


def test_osm_towers_count_only_for_communication() -> None:
    pois = gpd.GeoDataFrame(
        {
            "osm_type": ["node", "node", "node"],
            "osm_id": [1, 2, 3],
            "man_made": ["tower", "tower", "mast"],
            "tower:type": ["communication", "cooling", None],
            "operator": [None, None, "Arqiva"],
            "height": ["45 m", None, "25"],
        },
        geometry=[Point(500_000, 200_000), Point(500_100, 200_000), Point(500_200, 200_000)],
        crs=BNG,
    )
    masts = mobile_sites_from_osm(pois, source_date=OSM_DATE)
    assert masts["site_id"].tolist() == ["osm:node/1", "osm:node/3"]
    assert masts["operator"].tolist() == ["unknown", "Arqiva"]
    assert masts["antenna_height_m"].tolist() == [45.0, 25.0]


# --- DCMS libraries on OS footprints ----------------------------------------------------------


@pytest.mark.realdata
def test_hounslow_libraries_are_placed_on_their_footprints() -> None:
    result = read_dcms_libraries(LIBRARIES, FOOTPRINTS, source_date=DCMS_DATE, authority="Hounslow")
    places = result.places
    assert len(places) == 10
    assert result.unmatched["name"].tolist() == ["Hanworth Library"]
    assert result.skipped.empty
    hounslow = places.set_index("name").loc["Hounslow Library"]
    # Of Hounslow Library's three footprints, the largest (2,241 m²) gives the point.
    assert hounslow["footprint_id"] == "9B679439-0F68-4421-8DC1-C84835D7207F"
    assert hounslow["monday"] == "All Day (continuous)"
    assert hounslow["sunday"] == "PM Only"
    assert hounslow["weekly_hours"] == 57.5
    assert set(DAY_COLUMNS) <= set(places.columns)
    wards = read_area_layer(SHARED_DATA / "hounslow_wards_2023.geojson").frame
    assert sites_within(places, wards).all()


@pytest.mark.realdata
def test_closed_and_mobile_libraries_are_skipped_and_named() -> None:
    result = read_dcms_libraries(LIBRARIES, FOOTPRINTS, source_date=DCMS_DATE)
    skipped = result.skipped.set_index("name")["reason"]
    assert len(skipped) == 7
    assert skipped["Horndean"] == "closed in 2020"
    assert skipped["Hayes Library"] == "closed"
    assert skipped["Mobile Library"] == "mobile library: no fixed building"
    assert len(result.places) == 30
    matched = result.places.set_index("name")["match"]
    assert matched["Ruislip Manor Library"] == "prefix"
    assert matched["Alton"] == "exact"
    assert "Harlington Library" not in matched.index


def test_footprints_of_one_name_far_apart_are_ambiguous() -> None:
    libraries = pd.DataFrame(
        {
            "name": ["Central Library", "Brook"],
            "authority": ["Somewhere", "Somewhere"],
            "type": ["Static Library", "Static Library"],
            "closed": [None, None],
            "postcode": ["AB1 2CD", "AB1 3CD"],
            **{day: ["Closed", "AM Only"] for day in DAY_COLUMNS},
        }
    )
    buildings = gpd.GeoDataFrame(
        {"distinctive_name": ["Central Library", "Central Library", "Brook Library"]},
        geometry=[
            box(500_000, 200_000, 500_020, 200_020),
            box(510_000, 200_000, 510_020, 200_020),
            box(500_500, 200_000, 500_530, 200_030),
        ],
        crs=BNG,
    )
    result = match_libraries(libraries, buildings, source_date=DCMS_DATE)
    assert result.places["name"].tolist() == ["Brook"]
    assert result.places.geometry.iloc[0].within(box(500_500, 200_000, 500_530, 200_030))
    assert result.unmatched["reason"].tolist() == ["footprints of that name are far apart"]


def test_an_unknown_library_authority_is_refused() -> None:
    with pytest.raises(InputError, match="no library of the authority 'Atlantis'"):
        read_dcms_libraries(LIBRARIES, FOOTPRINTS, source_date=DCMS_DATE, authority="Atlantis")


# --- Sitefinder-style mobile sites -------------------------------------------------------------


@pytest.mark.realdata
def test_rutland_sitefinder_file_has_13_sites_6_in_rutland() -> None:
    sites = read_mobile_sites(RUTLAND_SITES, source_date=SITEFINDER_DATE)
    assert len(sites) == 13
    wards = read_area_layer(SHARED_DATA / "rutland" / "rutland_wards_2023.geojson").frame
    inside = sites_within(sites, wards)
    assert inside.sum() == 6
    assert sorted(sites.loc[inside, "operator"]) == [
        "NetworkRail",
        "Orange",
        "Orange",
        "T-Mobile",
        "T-Mobile",
        "Vodafone",
    ]
    tetra = sites.set_index("operator").loc["Airwave"]
    assert (tetra["technology"], tetra["band_mhz"]) == ("TETRA", 400.0)


@pytest.mark.realdata
def test_sites_outside_the_borough_are_refused_unless_near_the_border() -> None:
    wards = read_area_layer(SHARED_DATA / "rutland" / "rutland_wards_2023.geojson").frame
    with pytest.raises(InputError, match=r"row 7, column X: has a site outside") as info:
        read_mobile_sites(RUTLAND_SITES, source_date=SITEFINDER_DATE, boundary=wards)
    assert info.value.source == "rutland_sitefinder_sites_5km.csv"
    kept = read_mobile_sites(
        RUTLAND_SITES, source_date=SITEFINDER_DATE, boundary=wards, boundary_buffer_m=5_000
    )
    assert len(kept) == 13


@pytest.mark.realdata
def test_cambridge_sitefinder_transmitters_are_normalised() -> None:
    sites = read_mobile_sites(
        SHARED_DATA / "mobile" / "sitefinder_masts_cambridge.csv", source_date=SITEFINDER_DATE
    )
    assert len(sites) == 1368
    assert sites["site_id"].is_unique
    assert set(sites["band_mhz"]) == {900.0, 1800.0, 2100.0}
    assert set(sites["technology"]) == {"GSM", "UMTS"}
    first = sites.iloc[0]
    assert (first["operator"], first["antenna_height_m"]) == ("O2", 5.0)
    assert first["power_dbm"] == pytest.approx(33.2)  # 3.2 dBW
    assert first["max_power_dbm"] == pytest.approx(62.0)  # 32 dBW
    assert sites["antenna_height_m"].between(0, 300).all()


SITE_HEADER = "Operator,X,Y,Antennaht,Freqband,Powerdbw,Transtype\n"


def site_csv(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "sites.csv"
    path.write_text(SITE_HEADER + "".join(f"{row}\n" for row in rows))
    return path


GOOD_SITE = "EE,486000,308700,25,800,26,LTE"


def test_a_good_site_row_is_read(tmp_path: Path) -> None:
    sites = read_mobile_sites(site_csv(tmp_path, GOOD_SITE), source_date=SITEFINDER_DATE)
    row = sites.iloc[0]
    assert (row["site_id"], row["technology"], row["power_dbm"]) == ("sites-00001", "LTE", 56.0)
    assert row.geometry.equals(Point(486000, 308700))


@pytest.mark.parametrize(
    ("row", "pattern"),
    [
        ("EE,486000,308700,350,800,26,LTE", r"row 2, column Antennaht: has an impossible antenna"),
        ("EE,486000,308700,-1,800,26,LTE", r"row 2, column Antennaht: has an impossible antenna"),
        ("EE,486000,308700,25,1234,26,LTE", r"row 2, column Freqband: has an unknown frequency"),
        ("EE,486000,308700,25,800,200,LTE", r"row 2, column Powerdbw: has an impossible power"),
        ("EE,486000,308700,25,800,26,WIMAX", r"row 2, column Transtype: has an unknown tech"),
        (",486000,308700,25,800,26,LTE", r"row 2, column Operator: has no operator"),
        ("EE,486000,2308700,25,800,26,LTE", r"row 2, column Y: has a northing outside"),
        ("EE,486000,tall,25,800,26,LTE", r"row 2, column Y: has a value that is not a number"),
    ],
)
def test_impossible_site_values_name_row_and_field(tmp_path: Path, row: str, pattern: str) -> None:
    with pytest.raises(InputError, match=pattern):
        read_mobile_sites(site_csv(tmp_path, GOOD_SITE, row), source_date=SITEFINDER_DATE)


def test_sites_need_an_operator_and_a_position() -> None:
    with pytest.raises(InputError, match="no position columns"):
        normalise_sites(
            pd.DataFrame({"Operator": ["EE"], "Antennaht": ["20"]}),
            source="s.csv",
            source_date=SITEFINDER_DATE,
        )


def test_sites_given_only_in_lat_lon_are_projected() -> None:
    sites = normalise_sites(
        pd.DataFrame({"operator": ["Three"], "lat": ["52.672392"], "lon": ["-0.733014"]}),
        source="s.csv",
        source_date=SITEFINDER_DATE,
    )
    assert sites.geometry.iloc[0].distance(Point(485767.9, 309051.3)) < 5.0
    assert shapely.get_x(sites.geometry.iloc[0]) == pytest.approx(sites["x_m"].iloc[0])
