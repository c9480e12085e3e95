"""Tests for maps.raster: RSRP grids to a classed PNG overlay placed in Web Mercator."""

from __future__ import annotations

import base64
import re

import numpy as np
import pyproj
import pytest

from maps.base import base_map
from maps.legend import map_legends
from maps.raster import (
    RSRP_CLASSES,
    add_signal_raster,
    classes_to_rgba,
    encode_png,
    grid_to_array,
    png_data_url,
    to_web_mercator,
)
from tests.maps.support import X0, Y0, decode_png, render


def test_png_round_trips_exactly() -> None:
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, size=(7, 5, 4), dtype=np.uint8)
    decoded = decode_png(encode_png(image))
    assert decoded.shape == (7, 5, 4)
    assert (decoded == image).all()


def test_png_refuses_images_that_are_not_rgba() -> None:
    with pytest.raises(ValueError, match="height, width, 4"):
        encode_png(np.zeros((3, 3, 3), dtype=np.uint8))


def test_data_url_holds_the_png() -> None:
    png = encode_png(np.zeros((1, 1, 4), dtype=np.uint8))
    url = png_data_url(png)
    assert url.startswith("data:image/png;base64,")
    assert base64.b64decode(url.split(",", 1)[1]) == png


def test_values_are_coloured_by_class_and_gaps_are_transparent() -> None:
    rgba = classes_to_rgba(np.array([[-120.0, -100.0], [np.nan, -70.0]]))
    colours = RSRP_CLASSES.colours
    assert rgba.shape == (2, 2, 4)
    assert "#{:02x}{:02x}{:02x}".format(*rgba[0, 0, :3]) == colours[0]
    assert "#{:02x}{:02x}{:02x}".format(*rgba[0, 1, :3]) == colours[2]
    assert "#{:02x}{:02x}{:02x}".format(*rgba[1, 1, :3]) == colours[4]
    assert rgba[1, 0, 3] == 0 and rgba[0, 0, 3] == 255


def test_values_beyond_the_reporting_range_fall_in_the_end_classes() -> None:
    rgba = classes_to_rgba(np.array([[-180.0, -20.0]]))
    assert "#{:02x}{:02x}{:02x}".format(*rgba[0, 0, :3]) == RSRP_CLASSES.colours[0]
    assert "#{:02x}{:02x}{:02x}".format(*rgba[0, 1, :3]) == RSRP_CLASSES.colours[-1]


def test_grid_to_array_places_values_by_row_and_column() -> None:
    array = grid_to_array([1.0, 2.0, 3.0], rows=[0, 0, 1], cols=[0, 2, 1])
    assert array.shape == (2, 3)
    assert array[0, 0] == 1.0 and array[0, 2] == 2.0 and array[1, 1] == 3.0
    assert np.isnan(array[1, 0])


def test_resampled_image_keeps_the_grid_shape_and_puts_each_cell_in_place() -> None:
    values = np.full((40, 60), -120.0)
    values[10, 20] = -60.0  # one strong cell: row 10 from the south, column 20
    image, ((south, west), (north, east)) = to_web_mercator(values, origin_m=(X0, Y0), cell_m=50.0)
    assert image.shape == (40, 60)
    strong = np.argwhere(image == -60.0)
    assert len(strong) >= 1
    # Back-project the strong pixels' centres: they must lie in BNG cell (10, 20).
    to_mercator = pyproj.Transformer.from_crs(4326, 3857, always_xy=True)
    (mx_w, mx_e), (my_s, my_n) = to_mercator.transform([west, east], [south, north])
    to_bng = pyproj.Transformer.from_crs(3857, 27700, always_xy=True)
    for row, col in strong:
        x = mx_w + (col + 0.5) * (mx_e - mx_w) / 60
        y = my_n - (row + 0.5) * (my_n - my_s) / 40
        bx, by = to_bng.transform(x, y)
        assert int((bx - X0) // 50) == 20
        assert int((by - Y0) // 50) == 10
    # Corners outside the rotated grid are empty, not stretched.
    assert np.isnan(image).any()


def test_pixels_per_cell_scales_the_image() -> None:
    image, _ = to_web_mercator(np.zeros((4, 6)), origin_m=(X0, Y0), cell_m=100.0, pixels_per_cell=3)
    assert image.shape == (12, 18)


def test_signal_overlay_embeds_a_png_of_the_grid_shape_with_its_legend() -> None:
    values = np.linspace(-130.0, -60.0, 30 * 45).reshape(30, 45)
    values[0, 0] = np.nan
    m = base_map(tiles=False)
    legend = add_signal_raster(m, values, origin_m=(X0, Y0), cell_m=50.0, opacity=0.6)
    html = render(m)
    match = re.search(r'L\.imageOverlay\(\s*"data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert match is not None
    decoded = decode_png(base64.b64decode(match.group(1)))
    assert decoded.shape == (30, 45, 4)
    assert (decoded[..., 3] == 0).any() and (decoded[..., 3] == 255).any()
    assert '"opacity": 0.6' in html
    assert map_legends(m) == [legend]
    assert legend.entries[0].label.startswith("−85 dBm or stronger")
    assert any("Ofcom" in entry.label for entry in legend.entries)


def test_bad_grids_are_refused() -> None:
    with pytest.raises(ValueError, match="2-D grid"):
        to_web_mercator(np.zeros(5), origin_m=(X0, Y0), cell_m=50.0)
    with pytest.raises(ValueError, match="cell_m"):
        to_web_mercator(np.zeros((2, 2)), origin_m=(X0, Y0), cell_m=0.0)
