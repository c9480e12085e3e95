"""Tests for geo.sources.osm: street networks and POIs from real OpenStreetMap files."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import osmnx as ox
import pytest
import shapely

from geo.errors import InputError
from geo.network import StreetNetwork, is_connected, largest_component
from geo.sources.osm import read_osm_pois, read_street_network
from tests.shared_data import SHARED_DATA

OSM = SHARED_DATA / "osm"
OAKHAM_XML = OSM / "oakham_rutland_2018.osm"
RUTLAND_PBF = OSM / "rutland-2018-02-27.osm.pbf"
RUTLAND_POIS = OSM / "rutland_community_digital_pois_2018.geojson"
RUTLAND_WARDS = SHARED_DATA / "rutland" / "rutland_wards_2023.geojson"

# osmnx's own network_type filters drop these highway values for each mode.
NOT_WALKABLE = {"cycleway", "motorway", "motorway_link", "construction", "proposed", "platform"}
NOT_DRIVABLE = {
    "footway",
    "path",
    "pedestrian",
    "steps",
    "cycleway",
    "bridleway",
    "track",
    "service",
}


def highway_values(net: StreetNetwork) -> set[str]:
    return {value for text in net.edges["highway"].dropna() for value in text.split(";")}


@pytest.fixture(scope="module")
def oakham_walk() -> StreetNetwork:
    return read_street_network(OAKHAM_XML, mode="walk")


@pytest.fixture(scope="module")
def oakham_drive() -> StreetNetwork:
    return read_street_network(OAKHAM_XML, mode="drive")


@pytest.fixture(scope="module")
def rutland_outline() -> shapely.Geometry:
    wards = gpd.read_file(RUTLAND_WARDS).to_crs("EPSG:27700")
    assert len(wards) == 15
    return wards.union_all()


@pytest.fixture(scope="module")
def rutland_walk(rutland_outline: shapely.Geometry) -> StreetNetwork:
    return read_street_network(RUTLAND_PBF, mode="walk", clip_to=rutland_outline, margin_m=500.0)


@pytest.fixture(scope="module")
def rutland_drive_all(rutland_outline: shapely.Geometry) -> StreetNetwork:
    return read_street_network(
        RUTLAND_PBF, mode="drive", clip_to=rutland_outline, margin_m=500.0, retain_all=True
    )


# ---- OSM XML (osmnx) --------------------------------------------------------------------------


@pytest.mark.realdata
def test_oakham_walk_network_counts(oakham_walk: StreetNetwork) -> None:
    # graph_from_xml alone gives 1,303 nodes because it keeps every way (buildings, land use);
    # the walk filter keeps highways only, then simplifies and keeps the largest component.
    assert oakham_walk.mode == "walk"
    assert oakham_walk.n_nodes == 988
    assert oakham_walk.n_edges == 1202
    assert is_connected(oakham_walk)
    assert np.unique(oakham_walk.node_id).shape[0] == 988


@pytest.mark.realdata
def test_oakham_options_change_what_is_kept() -> None:
    assert read_street_network(OAKHAM_XML, mode="walk", retain_all=True).n_nodes == 999
    assert read_street_network(OAKHAM_XML, mode="walk", simplify=False).n_nodes == 3126


@pytest.mark.realdata
def test_oakham_is_in_british_national_grid_metres(oakham_walk: StreetNetwork) -> None:
    assert oakham_walk.crs == "EPSG:27700"
    assert oakham_walk.edges.crs == "EPSG:27700"
    assert oakham_walk.x_m.min() > 480_000
    assert oakham_walk.x_m.max() < 500_000
    assert oakham_walk.y_m.min() > 295_000
    assert oakham_walk.y_m.max() < 320_000
    # About 100 km of walkable streets and paths in and round Oakham.
    total_km = oakham_walk.edges["length_m"].sum() / 1000.0
    assert 90.0 < total_km < 110.0
    # The great-circle lengths agree with the projected geometry to within 1 %.
    ratio = oakham_walk.edges["length_m"] / oakham_walk.edges.geometry.length
    assert ratio.between(0.99, 1.01).all()


@pytest.mark.realdata
def test_oakham_edges_follow_their_nodes(oakham_walk: StreetNetwork) -> None:
    start = shapely.get_coordinates(shapely.get_point(oakham_walk.edges.geometry.array, 0))
    end = shapely.get_coordinates(shapely.get_point(oakham_walk.edges.geometry.array, -1))
    u = oakham_walk.edges["u"].to_numpy()
    v = oakham_walk.edges["v"].to_numpy()
    assert np.allclose(start, np.column_stack([oakham_walk.x_m[u], oakham_walk.y_m[u]]), atol=0.01)
    assert np.allclose(end, np.column_stack([oakham_walk.x_m[v], oakham_walk.y_m[v]]), atol=0.01)


@pytest.mark.realdata
def test_oakham_highway_filters(oakham_walk: StreetNetwork, oakham_drive: StreetNetwork) -> None:
    walk = highway_values(oakham_walk)
    drive = highway_values(oakham_drive)
    assert {"footway", "residential", "trunk"} <= walk
    assert not walk & NOT_WALKABLE
    assert {"residential", "secondary", "trunk"} <= drive
    assert not drive & NOT_DRIVABLE
    assert oakham_drive.n_nodes == 672
    assert oakham_walk.edges["highway"].notna().all()


@pytest.mark.realdata
def test_oakham_drive_is_directed_with_one_way_streets(oakham_drive: StreetNetwork) -> None:
    graph = oakham_drive.graph
    assert oakham_drive.directed
    assert (graph != graph.T).nnz > 0
    assert oakham_drive.n_edges == 1432


@pytest.mark.realdata
def test_reading_leaves_osmnx_settings_as_they_were() -> None:
    before = (ox.settings.use_cache, ox.settings.log_console, list(ox.settings.useful_tags_way))
    read_street_network(OAKHAM_XML, mode="drive")
    assert (
        ox.settings.use_cache,
        ox.settings.log_console,
        list(ox.settings.useful_tags_way),
    ) == before


@pytest.mark.realdata
def test_oakham_library_poi() -> None:
    pois = read_osm_pois(OAKHAM_XML, tags={"amenity": ["library"], "internet_access": True})
    assert pois.crs == "EPSG:27700"
    assert list(pois.columns) == [
        "osm_type",
        "osm_id",
        "name",
        "amenity",
        "internet_access",
        "geometry",
    ]
    assert set(pois["name"]) == {"Rutland County Library", "Hungry Birds"}
    library = pois.loc[pois["name"] == "Rutland County Library"].iloc[0]
    assert library["osm_type"] == "way"
    assert library["osm_id"] == 101326490
    assert library["amenity"] == "library"
    assert library["internet_access"] == "yes"
    assert (pois.geometry.geom_type == "Point").all()
    assert 484_000 < library.geometry.x < 488_000 and 307_000 < library.geometry.y < 311_000


@pytest.mark.realdata
def test_no_matching_pois_is_an_empty_frame() -> None:
    pois = read_osm_pois(OAKHAM_XML, tags={"amenity": ["casino"]})
    assert len(pois) == 0
    assert list(pois.columns) == ["osm_type", "osm_id", "name", "amenity", "geometry"]
    assert pois.crs == "EPSG:27700"


# ---- PBF (pyrosm) -----------------------------------------------------------------------------


@pytest.mark.realdata
def test_rutland_drive_network_is_connected_after_largest_component(
    rutland_drive_all: StreetNetwork, rutland_outline: shapely.Geometry
) -> None:
    assert rutland_drive_all.n_nodes == 14582
    assert not is_connected(rutland_drive_all)
    largest = largest_component(rutland_drive_all)
    assert is_connected(largest)
    assert largest.n_nodes == 14169
    inside = shapely.intersects_xy(rutland_outline, largest.x_m, largest.y_m)
    assert inside.mean() > 0.9
    # Nothing beyond the 500 m margin survives the clip.
    outline = shapely.buffer(rutland_outline, 500.5)
    assert shapely.intersects_xy(outline, rutland_drive_all.x_m, rutland_drive_all.y_m).all()
    assert not highway_values(largest) & NOT_DRIVABLE


@pytest.mark.realdata
def test_rutland_drive_respects_one_way_tags(rutland_drive_all: StreetNetwork) -> None:
    graph = rutland_drive_all.graph
    one_way = (graph != graph.T).nnz
    assert 0 < one_way < graph.nnz // 10


@pytest.mark.realdata
def test_rutland_walk_network_is_connected_within_the_borough(
    rutland_walk: StreetNetwork, rutland_outline: shapely.Geometry
) -> None:
    assert rutland_walk.mode == "walk"
    assert is_connected(rutland_walk)
    assert rutland_walk.n_nodes == 25466
    inside = shapely.intersects_xy(rutland_outline, rutland_walk.x_m, rutland_walk.y_m)
    assert inside.mean() > 0.9
    # The graph reaches across the county: its nodes span nearly the ward union's extent.
    minx, miny, maxx, maxy = rutland_outline.bounds
    assert rutland_walk.x_m.max() - rutland_walk.x_m.min() > 0.9 * (maxx - minx)
    assert rutland_walk.y_m.max() - rutland_walk.y_m.min() > 0.9 * (maxy - miny)
    assert "footway" in highway_values(rutland_walk)
    total_km = rutland_walk.edges["length_m"].sum() / 1000.0
    assert 800.0 < total_km < 2000.0


@pytest.mark.realdata
def test_rutland_pbf_pois_match_the_published_extract() -> None:
    pois = read_osm_pois(RUTLAND_PBF, tags={"amenity": ["library", "community_centre"]})
    published = gpd.read_file(RUTLAND_POIS).to_crs("EPSG:27700")
    expected = published.loc[published["amenity"].isin(["library", "community_centre"])]
    assert sorted(pois["osm_id"]) == sorted(expected["osm_id"])
    assert (pois["amenity"] == "library").sum() == 3
    joined = pois.merge(expected[["osm_id", "geometry"]], on="osm_id", suffixes=("", "_published"))
    gap_m = joined.geometry.distance(gpd.GeoSeries(joined["geometry_published"], crs="EPSG:27700"))
    assert (gap_m < 1.0).all()


# ---- bad input --------------------------------------------------------------------------------


def test_missing_file_is_refused_by_name(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.osm.pbf"
    with pytest.raises(InputError, match=r"nowhere\.osm\.pbf.*does not exist"):
        read_street_network(missing)
    with pytest.raises(InputError, match=r"nowhere\.osm\.pbf"):
        read_osm_pois(missing, tags={"amenity": ["library"]})


def test_wrong_extension_is_refused_by_name(tmp_path: Path) -> None:
    text = tmp_path / "roads.txt"
    text.write_text("not OSM")
    with pytest.raises(InputError, match=r"roads\.txt.*\.osm\.pbf"):
        read_street_network(text)
    with pytest.raises(InputError, match=r"roads\.txt"):
        read_osm_pois(text, tags={"amenity": ["library"]})


def write_osm(path: Path, way_tags: dict[str, str]) -> Path:
    tags = "".join(f'<tag k="{key}" v="{value}"/>' for key, value in way_tags.items())
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="test">'
        '<node id="1" lat="52.670" lon="-0.730" version="1"/>'
        '<node id="2" lat="52.671" lon="-0.730" version="1"/>'
        '<node id="3" lat="52.671" lon="-0.731" version="1"/>'
        f'<way id="10" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/>{tags}</way></osm>',
        encoding="utf-8",
    )
    return path


def test_xml_without_highways_is_refused_by_name(tmp_path: Path) -> None:
    buildings = write_osm(tmp_path / "buildings.osm", {"building": "yes"})
    with pytest.raises(InputError, match=r"buildings\.osm.*no streets"):
        read_street_network(buildings)


def test_footpath_only_file_has_nothing_to_drive(tmp_path: Path) -> None:
    footpath = write_osm(tmp_path / "footpath.osm", {"highway": "footway"})
    walk = read_street_network(footpath, mode="walk")
    assert walk.n_nodes == 2 and walk.n_edges == 1
    # Two segments of about 111 m and 68 m (great-circle), simplified into one edge.
    assert walk.edges["length_m"].iloc[0] == pytest.approx(111.2 + 67.4, abs=1.0)
    with pytest.raises(InputError, match=r"footpath\.osm.*'drive'"):
        read_street_network(footpath, mode="drive")


def test_broken_files_are_refused_by_name(tmp_path: Path) -> None:
    broken_xml = tmp_path / "broken.osm"
    broken_xml.write_text("<osm><node")
    with pytest.raises(InputError, match=r"broken\.osm.*OSM XML"):
        read_street_network(broken_xml)
    broken_pbf = tmp_path / "broken.osm.pbf"
    broken_pbf.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(InputError, match=r"broken\.osm\.pbf.*PBF"):
        read_street_network(broken_pbf)


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="mode"):
        read_street_network(OAKHAM_XML, mode="cycle")
