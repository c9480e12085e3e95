"""Tests for maps.layers: venues and catchments, Wi-Fi, mobile sites and ward circles."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.errors import InputError
from maps.base import base_map
from maps.layers import (
    MAX_POINTS,
    add_mobile_sites,
    add_points,
    add_public_wifi,
    add_venues,
    add_ward_circles,
)
from maps.legend import map_legends
from maps.palettes import NO_DATA_COLOUR
from tests.maps.support import X0, Y0, embedded_layers, feature_styles, render, squares


def _points(names: list[str], **columns) -> gpd.GeoDataFrame:
    n = len(names)
    return gpd.GeoDataFrame(
        {"name": names, **columns},
        geometry=gpd.points_from_xy(X0 + 100.0 * np.arange(n), np.full(n, Y0)),
        crs="EPSG:27700",
    )


def _catchments() -> gpd.GeoDataFrame:
    centres = [shapely.Point(X0, Y0), shapely.Point(X0 + 3000.0, Y0)]
    rows = [(venue, minutes) for venue in range(2) for minutes in (5.0, 10.0, 15.0)]
    return gpd.GeoDataFrame(
        {"venue": [r[0] for r in rows], "threshold_min": [r[1] for r in rows]},
        geometry=[centres[v].buffer(minutes * 80.0) for v, minutes in rows],
        crs="EPSG:27700",
    )


def test_points_are_one_geojson_layer_with_tooltips_and_a_legend() -> None:
    m = base_map(tiles=False)
    legend = add_points(
        m,
        _points(["Library", "Hub"], kind=["library", "centre"]),
        layer_name="Venues",
        tooltip_columns={"kind": "Kind"},
    )
    (layer,) = embedded_layers(render(m)).values()
    assert [f["properties"] for f in layer["features"]] == [
        {"n": "Library", "t0": "library"},
        {"n": "Hub", "t0": "centre"},
    ]
    lon, lat = layer["features"][0]["geometry"]["coordinates"]
    assert -0.3 < lon < -0.2 and 51.4 < lat < 51.5
    assert (legend.entries[0].label, legend.entries[0].count) == ("Venues", 2)
    assert "L.circleMarker" in render(m) or "CircleMarker" in render(m)


def test_too_many_points_are_refused_pointing_to_the_grid() -> None:
    many = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(np.arange(MAX_POINTS + 1.0) + X0, np.full(MAX_POINTS + 1, Y0)),
        crs="EPSG:27700",
    )
    with pytest.raises(InputError, match="bin_premises"):
        add_points(base_map(tiles=False), many, layer_name="Premises", label_column=None)


def test_venue_catchments_become_disjoint_time_bands_under_the_venues() -> None:
    m = base_map(tiles=False)
    catchment_legend, venue_legend = add_venues(
        m, _points(["Library", "Hub"]), catchments=_catchments()
    )
    assert [e.label for e in catchment_legend.entries] == [
        "Within 5 minutes' walk",
        "5 to 10 minutes' walk",
        "10 to 15 minutes' walk",
    ]
    html = render(m)
    bands, venues = embedded_layers(html).values()
    assert [f["properties"]["w"] for f in bands["features"]] == [
        "Within 5 minutes&#x27; walk",
        "5 to 10 minutes&#x27; walk",
        "10 to 15 minutes&#x27; walk",
    ]
    shapes = [shapely.geometry.shape(f["geometry"]) for f in bands["features"]]
    # Bands do not overlap (beyond the rounding of their edges).
    overlap = shapely.intersection(shapes[0], shapes[1]).area / shapes[0].area
    assert overlap < 0.01
    # The nearest band is drawn darkest.
    fills = [feature_styles(html)[f["id"]]["fillColor"] for f in bands["features"]]
    assert fills[0] == "#2c7fb8"
    assert len(venues["features"]) == 2
    assert map_legends(m) == [catchment_legend, venue_legend]


def test_public_wifi_draws_only_places_known_to_have_it() -> None:
    m = base_map(tiles=False)
    places = _points(["Library", "Cafe", "Hall"], public_wifi=[True, None, False])
    legend = add_public_wifi(m, places)
    (layer,) = embedded_layers(render(m)).values()
    assert [f["properties"]["n"] for f in layer["features"]] == ["Library"]
    assert legend.entries[0].count == 1


def test_mobile_sites_are_one_marker_per_mast_listing_operators() -> None:
    sites = gpd.GeoDataFrame(
        {
            "site_ref": ["TQ1", "TQ1", "TQ2"],
            "operator": ["Vodafone", "EE", "Three"],
            "technology": ["4G", "5G", "4G"],
        },
        geometry=gpd.points_from_xy([X0, X0, X0 + 500.0], [Y0, Y0, Y0]),
        crs="EPSG:27700",
    )
    m = base_map(tiles=False)
    legend = add_mobile_sites(m, sites)
    (layer,) = embedded_layers(render(m)).values()
    assert [f["properties"] for f in layer["features"]] == [
        {"n": "TQ1", "t0": "EE, Vodafone", "t1": "4G, 5G"},
        {"n": "TQ2", "t0": "Three", "t1": "4G"},
    ]
    assert legend.entries[0].count == 2


def test_ward_circles_have_area_proportional_to_the_figure() -> None:
    wards = squares([100, 25, "fewer than 5", 0])
    m = base_map(tiles=False)
    legend = add_ward_circles(
        m,
        wards,
        "value",
        code_column="code",
        name_column="name",
        layer_name="Devices on loan",
        legend_title="Devices on loan",
    )
    html = render(m)
    styles = feature_styles(html)
    radii = [styles[str(i)]["radius"] for i in range(4)]
    assert radii[0] == 24.0 and radii[1] == 12.0
    assert styles["2"]["fillColor"] == NO_DATA_COLOUR
    assert radii[3] == 0.0
    (layer,) = embedded_layers(html).values()
    assert [f["properties"]["v"] for f in layer["features"]] == ["100", "25", "fewer than 5", "0"]
    # One circle per ward, inside its ward.
    for feature, square in zip(layer["features"], wards.to_crs(4326).geometry, strict=True):
        assert square.contains(shapely.geometry.shape(feature["geometry"]))
    # Reference circles: the largest figure and a round quarter of it, sized like the map's.
    assert [e.label for e in legend.entries] == ["100", "20", "Fewer than 5"]
    assert legend.entries[1].size_px == pytest.approx(24.0 * np.sqrt(0.2))


def test_ward_circles_refuse_negative_counts() -> None:
    with pytest.raises(InputError, match="negative count for A1"):
        add_ward_circles(
            base_map(tiles=False),
            squares([3, -1]),
            "value",
            code_column="code",
            layer_name="x",
            legend_title="x",
        )
