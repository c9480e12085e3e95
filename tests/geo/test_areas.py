"""ONS area layers: detection, checks, lookups, RFC 7946 export (geo.areas, geo.sources.boundaries)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Polygon, box

from geo.areas import (
    AreaLayer,
    apply_lookup,
    area_layer_from_frame,
    area_summary,
    assign_areas_to_wards,
    find_code_columns,
    require_projected,
    to_rfc7946,
)
from geo.errors import InputError
from geo.sources.boundaries import list_layers, lsoa11_to_lsoa21, read_area_layer, read_lookup
from tests.shared_data import SHARED_DATA

BNG = "EPSG:27700"
LOOKUP_11_21 = SHARED_DATA / "lookups" / "lsoa11_to_lsoa21_to_lad22_target_lads.csv"


def wards_frame(codes: tuple[str, ...] = ("E05000001", "E05000002")) -> gpd.GeoDataFrame:
    """Two 1 km squares side by side, in British National Grid."""
    return gpd.GeoDataFrame(
        {"WD23CD": list(codes), "WD23NM": ["West", "East"][: len(codes)]},
        geometry=[box(500_000, 200_000, 501_000, 201_000), box(501_000, 200_000, 502_000, 201_000)][
            : len(codes)
        ],
        crs=BNG,
    )


BOW_TIE = Polygon([(501_000, 200_000), (502_000, 201_000), (502_000, 200_000), (501_000, 201_000)])


# --- detecting the geography and vintage -------------------------------------------------


@pytest.mark.parametrize(
    ("column", "kind", "vintage"),
    [
        ("WD23CD", "ward", "WD23"),
        ("WD13CD", "ward", "WD13"),
        ("LSOA21CD", "lsoa", "LSOA21"),
        ("lsoa11cd", "lsoa", "LSOA11"),
        ("MSOA11CD", "msoa", "MSOA11"),
        ("OA21CD", "oa", "OA21"),
        ("LAD23CD", "lad", "LAD23"),
    ],
)
def test_code_column_names_give_kind_and_vintage(column: str, kind: str, vintage: str) -> None:
    (found,) = find_code_columns(["name", column, "geometry"])
    assert (found.column, found.kind, found.vintage) == (column, kind, vintage)


def test_columns_that_only_look_like_codes_are_ignored() -> None:
    assert find_code_columns(["WD13CDO", "WD23NM", "LSOACD", "CTRY21CD", 7]) == []


def test_a_layer_keeps_ons_columns_and_measures_in_square_kilometres() -> None:
    layer = area_layer_from_frame(wards_frame(), source="tiny.geojson")
    assert (layer.kind, layer.vintage, layer.year) == ("ward", "WD23", 2023)
    assert (layer.code_column, layer.name_column) == ("WD23CD", "WD23NM")
    assert list(layer.codes) == ["E05000001", "E05000002"]
    summary = area_summary(layer)
    assert (summary.count, summary.vintage) == (2, "WD23")
    assert summary.total_area_km2 == pytest.approx(2.0)


def test_the_finest_geography_is_the_layer_when_a_file_lists_its_parents() -> None:
    frame = wards_frame().rename(columns={"WD23CD": "LSOA21CD", "WD23NM": "LSOA21NM"})
    frame["LSOA21CD"] = ["E01000001", "E01000002"]
    frame["LAD23CD"] = "E09000018"
    layer = area_layer_from_frame(frame, source="lsoa.gpkg")
    assert (layer.kind, layer.code_column) == ("lsoa", "LSOA21CD")


def test_a_geographic_file_is_reprojected_to_british_national_grid() -> None:
    lonlat = wards_frame().to_crs("EPSG:4326")
    layer = area_layer_from_frame(lonlat, source="lonlat.geojson")
    assert layer.frame.crs == BNG
    assert area_summary(layer).total_area_km2 == pytest.approx(2.0, rel=1e-6)


# --- refusing bad input --------------------------------------------------------------------


def test_a_layer_without_a_code_column_is_refused_naming_the_columns() -> None:
    frame = wards_frame().rename(columns={"WD23CD": "ward_code"})
    with pytest.raises(InputError, match=r"tiny\.geojson: has no ONS code column.*ward_code"):
        area_layer_from_frame(frame, source="tiny.geojson")


def test_codes_of_the_wrong_geography_are_refused_naming_the_feature() -> None:
    frame = wards_frame(("E05000001", "E01000002"))
    with pytest.raises(InputError, match=r"column WD23CD.*feature 2 \(E01000002\).*E05") as info:
        area_layer_from_frame(frame, source="wards.geojson")
    assert info.value.column == "WD23CD"


def test_a_missing_code_is_refused_naming_the_feature() -> None:
    frame = wards_frame()
    frame.loc[1, "WD23CD"] = None
    with pytest.raises(InputError, match="has no area code in feature 2"):
        area_layer_from_frame(frame, source="wards.geojson")


def test_repeated_codes_are_refused() -> None:
    with pytest.raises(InputError, match=r"same code more than once \(E05000001"):
        area_layer_from_frame(wards_frame(("E05000001", "E05000001")), source="w.geojson")


def test_a_layer_with_no_crs_is_refused() -> None:
    frame = wards_frame().set_crs(None, allow_override=True)
    with pytest.raises(InputError, match="no coordinate reference system"):
        area_layer_from_frame(frame, source="w.shp")


def test_an_invalid_polygon_is_refused_naming_code_and_row_not_repaired() -> None:
    frame = wards_frame()
    frame.loc[1, "geometry"] = BOW_TIE
    with pytest.raises(InputError, match=r"invalid polygon in feature 2 \(E05000002\).*Self-int"):
        area_layer_from_frame(frame, source="wards.geojson")


def test_a_feature_without_geometry_is_refused() -> None:
    frame = wards_frame()
    frame.loc[0, "geometry"] = None
    with pytest.raises(InputError, match=r"no geometry in feature 1 \(E05000001\)"):
        area_layer_from_frame(frame, source="wards.geojson")


def test_points_are_not_area_boundaries() -> None:
    frame = wards_frame()
    frame.loc[0, "geometry"] = shapely.Point(500_500, 200_500)
    with pytest.raises(InputError, match="Point geometry in feature 1"):
        area_layer_from_frame(frame, source="wards.geojson")


def test_two_vintages_side_by_side_are_refused() -> None:
    frame = wards_frame()
    frame["WD13CD"] = ["E05000101", "E05000102"]
    with pytest.raises(InputError, match=r"mixes vintages.*WD23CD, WD13CD"):
        area_layer_from_frame(frame, source="mixed.geojson")


def test_a_table_without_geometry_is_refused() -> None:
    table = pd.DataFrame({"WD23CD": ["E05000001"]})
    with pytest.raises(InputError, match="has no geometry"):
        area_layer_from_frame(table, source="wards.csv")


# --- distances must never run in degrees ---------------------------------------------------


def test_require_projected_accepts_british_national_grid() -> None:
    require_projected(wards_frame(), "wards")


def test_require_projected_refuses_degrees_and_says_how_to_reproject() -> None:
    with pytest.raises(InputError, match=r"wards\.geojson: is in a geographic CRS.*EPSG:27700"):
        require_projected(wards_frame().to_crs("EPSG:4326"), "wards.geojson")


def test_require_projected_refuses_a_crs_in_feet() -> None:
    with pytest.raises(InputError, match="not metres"):
        require_projected(wards_frame().to_crs("EPSG:2263"), "ny.shp")


def test_require_projected_refuses_a_missing_crs() -> None:
    with pytest.raises(InputError, match="no coordinate reference system"):
        require_projected(wards_frame().set_crs(None, allow_override=True), "x")


# --- RFC 7946 -------------------------------------------------------------------------------


def _rings(geometry: dict[str, Any]) -> list[list[list[list[float]]]]:
    """The polygons of a GeoJSON Polygon or MultiPolygon, each a list of rings."""
    coords: list[Any] = geometry["coordinates"]
    return coords if geometry["type"] == "MultiPolygon" else [coords]


def _is_ccw(ring: list[list[float]]) -> bool:
    return bool(shapely.LinearRing(ring).is_ccw)


def test_rfc7946_orients_rings_rounds_and_drops_crs() -> None:
    outer = [(500_000, 200_000), (500_000, 201_000), (501_000, 201_000), (501_000, 200_000)]
    hole = [(500_200, 200_200), (500_800, 200_200), (500_800, 200_800), (500_200, 200_800)]
    frame = gpd.GeoDataFrame(
        {"WD23CD": ["E05000001"], "count": [np.int64(3)], "share": [np.nan]},
        geometry=[Polygon(outer, [hole])],
        crs=BNG,
    )
    assert not shapely.LinearRing(outer).is_ccw and shapely.LinearRing(hole).is_ccw
    result = to_rfc7946(frame)
    assert "crs" not in result
    feature = result["features"][0]
    assert feature["properties"] == {"WD23CD": "E05000001", "count": 3, "share": None}
    exterior, interior = feature["geometry"]["coordinates"]
    assert _is_ccw(exterior) and not _is_ccw(interior)
    lon, lat = exterior[0]
    assert round(lon, 6) == lon and round(lat, 6) == lat
    assert -0.6 < lon < -0.5 and 51.6 < lat < 51.8
    json.dumps(result)


@pytest.mark.realdata
def test_rfc7946_fixes_the_clockwise_hounslow_wards_file() -> None:
    path = SHARED_DATA / "hounslow_wards_2023.geojson"
    raw = json.loads(path.read_text())
    assert "crs" in raw
    raw_exteriors = [rings[0] for f in raw["features"] for rings in _rings(f["geometry"])]
    assert not any(_is_ccw(ring) for ring in raw_exteriors)
    result = to_rfc7946(read_area_layer(path).frame)
    assert "crs" not in result
    assert len(result["features"]) == 22
    for feature in result["features"]:
        for polygon in _rings(feature["geometry"]):
            assert _is_ccw(polygon[0])
            assert not any(_is_ccw(hole) for hole in polygon[1:])


# --- relating layers ------------------------------------------------------------------------


def test_small_areas_take_the_ward_their_point_falls_in() -> None:
    small = gpd.GeoDataFrame(
        {"LSOA21CD": ["E01000001", "E01000002", "E01000003"]},
        geometry=[
            box(500_100, 200_100, 500_400, 200_400),
            box(501_500, 200_500, 501_900, 200_900),
            box(600_000, 300_000, 600_100, 300_100),
        ],
        index=[10, 20, 30],
        crs=BNG,
    )
    result = assign_areas_to_wards(
        small, wards_frame(), code_column="LSOA21CD", ward_code_column="WD23CD"
    )
    assert result.name == "WD23CD"
    assert list(result.index) == [10, 20, 30]
    assert result.tolist() == ["E05000001", "E05000002", None]


def test_overlapping_wards_are_refused() -> None:
    wards = wards_frame()
    wards.loc[1, "geometry"] = box(500_000, 200_000, 502_000, 201_000)
    small = gpd.GeoDataFrame(
        {"LSOA21CD": ["E01000001"]}, geometry=[box(500_100, 200_100, 500_200, 200_200)], crs=BNG
    )
    with pytest.raises(InputError, match="E01000001 lies in more than one ward"):
        assign_areas_to_wards(small, wards, code_column="LSOA21CD", ward_code_column="WD23CD")


def test_apply_lookup_adds_the_new_code_and_reports_unmatched() -> None:
    table = pd.DataFrame({"LSOA11CD": ["E01000001", "E01000002", "E01009999"], "imd": [1, 2, 3]})
    lookup = pd.DataFrame(
        {"LSOA11CD": ["E01000001", "E01000002"], "LSOA21CD": ["E01000001", "E01030000"]}
    )
    result = apply_lookup(table, lookup, from_column="LSOA11CD", to_column="LSOA21CD")
    translated = result.frame["LSOA21CD"]
    assert translated.iloc[:2].tolist() == ["E01000001", "E01030000"]
    assert pd.isna(translated.iloc[2])
    assert result.unmatched == ("E01009999",)
    assert "LSOA21CD" not in table.columns


def test_a_lookup_that_splits_a_code_is_not_best_fit() -> None:
    table = pd.DataFrame({"LSOA11CD": ["E01000001"]})
    lookup = pd.DataFrame(
        {"LSOA11CD": ["E01000001", "E01000001"], "LSOA21CD": ["E01030001", "E01030002"]}
    )
    with pytest.raises(InputError, match="more than one code"):
        apply_lookup(table, lookup, from_column="LSOA11CD", to_column="LSOA21CD")


@pytest.mark.realdata
def test_lsoa11_to_lsoa21_translates_the_imd_table() -> None:
    imd = pd.read_csv(SHARED_DATA / "deprivation" / "imd2019_domains_target_lads.csv")
    result = lsoa11_to_lsoa21(imd, LOOKUP_11_21, code_column="lsoa11cd")
    assert result.unmatched == ()
    translated = result.frame.set_index("lsoa11cd")
    assert translated.loc["E01002683", "LSOA21CD"] == "E01034034"
    assert translated.loc["E01002683", "LSOA21NM"] == "Hounslow 014F"
    assert translated.loc["E01002555", "LSOA21CD"] == "E01002555"


# --- reading files ----------------------------------------------------------------------------


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nowhere\.geojson: no such file"):
        read_area_layer(tmp_path / "nowhere.geojson")


def test_a_csv_is_not_a_boundary_file(tmp_path: Path) -> None:
    path = tmp_path / "wards.csv"
    path.write_text("WD23CD,WD23NM\nE05000001,West\n")
    with pytest.raises(InputError, match=r"wards\.csv: is not a boundary file"):
        read_area_layer(path)


def test_a_table_renamed_geojson_cannot_be_opened(tmp_path: Path) -> None:
    path = tmp_path / "wards.geojson"
    path.write_text("WD23CD,WD23NM\nE05000001,West\n")
    with pytest.raises(InputError, match=r"wards\.geojson: cannot be opened"):
        read_area_layer(path)


def test_a_geojson_without_a_code_column_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "no_codes.geojson"
    wards_frame().rename(columns={"WD23CD": "code"}).to_file(path, driver="GeoJSON")
    with pytest.raises(InputError, match=r"no_codes\.geojson: has no ONS code column"):
        read_area_layer(path)


def test_a_geojson_with_a_bow_tie_names_file_feature_and_code(tmp_path: Path) -> None:
    path = tmp_path / "bow_tie.geojson"
    frame = wards_frame()
    frame.loc[1, "geometry"] = BOW_TIE
    frame.to_file(path, driver="GeoJSON")
    with pytest.raises(InputError, match=r"bow_tie\.geojson: has an invalid polygon in feature 2"):
        read_area_layer(path)


def test_a_shapefile_round_trip_keeps_codes_and_crs(tmp_path: Path) -> None:
    path = tmp_path / "wards.shp"
    wards_frame().to_file(path)
    layer = read_area_layer(path)
    assert isinstance(layer, AreaLayer)
    assert (layer.vintage, layer.source, len(layer)) == ("WD23", "wards.shp", 2)
    assert layer.frame.crs == BNG
    assert layer.file_modified is not None


def test_a_shapefile_without_its_prj_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "wards.shp"
    wards_frame().to_file(path)
    (tmp_path / "wards.prj").unlink()
    with pytest.raises(InputError, match=r"wards\.shp: has no coordinate reference system.*\.prj"):
        read_area_layer(path)


def test_a_geopackage_with_two_layers_asks_which(tmp_path: Path) -> None:
    path = tmp_path / "boundaries.gpkg"
    wards_frame().to_file(path, layer="wards_2023", driver="GPKG")
    lsoas = wards_frame(("E01000001", "E01000002")).rename(
        columns={"WD23CD": "LSOA21CD", "WD23NM": "LSOA21NM"}
    )
    lsoas.to_file(path, layer="lsoas_2021", driver="GPKG")
    assert sorted(list_layers(path)) == ["lsoas_2021", "wards_2023"]
    with pytest.raises(InputError, match=r"holds 2 layers.*layer="):
        read_area_layer(path)
    assert read_area_layer(path, layer="lsoas_2021").vintage == "LSOA21"
    with pytest.raises(InputError, match="has no layer 'oa'"):
        read_area_layer(path, layer="oa")


@pytest.mark.realdata
def test_a_geopackage_round_trip_of_real_wards(tmp_path: Path) -> None:
    source = read_area_layer(SHARED_DATA / "hounslow_wards_2023.geojson")
    path = tmp_path / "hounslow.gpkg"
    source.frame.to_file(path, driver="GPKG")
    again = read_area_layer(path)
    assert again.codes.tolist() == source.codes.tolist()
    assert area_summary(again).total_area_km2 == pytest.approx(55.94, abs=0.01)


# --- the shared real boundaries ------------------------------------------------------------

REAL_LAYERS = [
    ("hounslow_wards_2023.geojson", "ward", "WD23", 22),
    ("boundaries/hounslow_lsoa2021.geojson", "lsoa", "LSOA21", 150),
    ("boundaries/london_boroughs_2022.geojson", "lad", "LAD22", 33),
    ("boundaries_2011/hounslow_wards2013.geojson", "ward", "WD13", 20),
    ("boundaries_2011/havant_wards2013.geojson", "ward", "WD13", 14),
    ("boundaries_2011/east_hampshire_wards2013.geojson", "ward", "WD13", 38),
    ("boundaries_2011/hounslow_lsoa2011.geojson", "lsoa", "LSOA11", 142),
    ("boundaries_2011/havant_lsoa2011.geojson", "lsoa", "LSOA11", 78),
    ("boundaries_2011/east_hampshire_lsoa2011.geojson", "lsoa", "LSOA11", 72),
    ("boundaries_2011/hounslow_msoa2011.geojson", "msoa", "MSOA11", 28),
    ("boundaries_2011/hounslow_oa2011.geojson", "oa", "OA11", 714),
    ("rutland/rutland_wards_2023.geojson", "ward", "WD23", 15),
    ("rutland/rutland_wards2013.geojson", "ward", "WD13", 16),
    ("rutland/rutland_lsoa2011.geojson", "lsoa", "LSOA11", 23),
    ("rutland/rutland_lsoa2021.geojson", "lsoa", "LSOA21", 26),
    ("rutland/rutland_msoa2011.geojson", "msoa", "MSOA11", 5),
]


@pytest.mark.realdata
@pytest.mark.parametrize(("name", "kind", "vintage", "count"), REAL_LAYERS)
def test_every_shared_boundary_file_is_detected(
    name: str, kind: str, vintage: str, count: int
) -> None:
    layer = read_area_layer(SHARED_DATA / name)
    assert (layer.kind, layer.vintage, len(layer)) == (kind, vintage, count)
    assert layer.frame.crs == BNG


@pytest.mark.realdata
def test_the_shared_boundary_folders_hold_no_file_left_untested() -> None:
    listed = {name for name, *_ in REAL_LAYERS}
    on_disk = {
        str(path.relative_to(SHARED_DATA))
        for folder in ("boundaries", "boundaries_2011", "rutland")
        for path in (SHARED_DATA / folder).glob("*.geojson")
    }
    assert on_disk <= listed


@pytest.mark.realdata
def test_rutland_2023_wards_cover_the_county() -> None:
    layer = read_area_layer(SHARED_DATA / "rutland" / "rutland_wards_2023.geojson")
    assert area_summary(layer).total_area_km2 == pytest.approx(393.7, abs=0.1)
    areas = layer.frame.set_index("WD23NM").area / 1e6
    assert areas["Braunston & Martinsthorpe"] == pytest.approx(69.8, abs=0.1)


@pytest.mark.realdata
@pytest.mark.parametrize(
    ("name", "column", "count"),
    [("rutland_lsoa2011.geojson", "LSOA11CD", 23), ("rutland_lsoa2021.geojson", "LSOA21CD", 26)],
)
def test_every_rutland_lsoa_lies_in_exactly_one_ward(name: str, column: str, count: int) -> None:
    wards = read_area_layer(SHARED_DATA / "rutland" / "rutland_wards_2023.geojson")
    lsoas = read_area_layer(SHARED_DATA / "rutland" / name)
    ward_of = assign_areas_to_wards(
        lsoas.frame, wards.frame, code_column=column, ward_code_column="WD23CD"
    )
    assert len(ward_of) == count
    assert ward_of.notna().all()
    per_ward = ward_of.value_counts()
    assert per_ward.min() >= 1 and per_ward.max() <= 3


@pytest.mark.realdata
def test_rutland_point_in_ward_agrees_with_the_ons_best_fit_but_for_one() -> None:
    wards = read_area_layer(SHARED_DATA / "rutland" / "rutland_wards_2023.geojson")
    lsoas = read_area_layer(SHARED_DATA / "rutland" / "rutland_lsoa2011.geojson")
    ward_of = assign_areas_to_wards(
        lsoas.frame, wards.frame, code_column="LSOA11CD", ward_code_column="WD23CD"
    ).set_axis(lsoas.frame["LSOA11CD"])
    best_fit = pd.read_csv(SHARED_DATA / "rutland" / "rutland_lsoa11_to_ward2019_lookup.csv")
    best = best_fit.set_index("LSOA11CD")["WD19CD"]
    differs = ward_of[ward_of != best.reindex(ward_of.index)]
    # Rutland 002C is mostly Barleythorpe by area but best-fits Oakham North West by people.
    assert differs.index.tolist() == ["E01013801"]


@pytest.mark.realdata
def test_each_hounslow_lsoa21_lies_in_exactly_one_2023_ward() -> None:
    wards = read_area_layer(SHARED_DATA / "hounslow_wards_2023.geojson")
    lsoas = read_area_layer(SHARED_DATA / "boundaries" / "hounslow_lsoa2021.geojson")
    ward_of = assign_areas_to_wards(
        lsoas.frame, wards.frame, code_column="LSOA21CD", ward_code_column="WD23CD"
    )
    assert ward_of.notna().all()
    per_ward = ward_of.value_counts()
    assert len(per_ward) == 22
    assert per_ward.min() == 3 and per_ward.max() == 10


@pytest.mark.realdata
def test_a_2021_layer_holding_a_2011_only_code_is_refused_with_the_lookup(tmp_path: Path) -> None:
    lookup = read_lookup(LOOKUP_11_21, columns=("LSOA11CD", "LSOA21CD"))
    path = SHARED_DATA / "boundaries" / "hounslow_lsoa2021.geojson"
    assert len(read_area_layer(path, lookup=lookup)) == 150
    frame = gpd.read_file(path)
    frame.loc[3, "LSOA21CD"] = "E01002683"  # Hounslow 014E, replaced by 014F in 2021
    mixed = tmp_path / "mixed_lsoa.geojson"
    frame.to_file(mixed, driver="GeoJSON")
    with pytest.raises(InputError, match=r"mixed_lsoa\.geojson.*feature 4 \(E01002683\).*LSOA11"):
        read_area_layer(mixed, lookup=lookup)


def test_a_lookup_missing_a_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "lookup.csv"
    path.write_text("LSOA11CD,LSOA11NM\nE01000001,Somewhere 001A\n")
    with pytest.raises(InputError, match=r"lookup\.csv.*lacks the column LSOA21CD"):
        read_lookup(path, columns=("LSOA11CD", "LSOA21CD"))
