"""Tests for maps.choropleth: classes, tooltips, suppression, tiles and attribution."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from geo.errors import InputError
from maps.base import OSM_DATA_ATTRIBUTION, add_layer_control, base_map
from maps.choropleth import (
    TooltipColumn,
    add_choropleth_layer,
    choropleth_map,
    display_values,
)
from maps.legend import map_legends
from maps.palettes import NO_DATA_COLOUR, fixed_breaks, palette
from tests.maps.support import (
    embedded_layers,
    embedded_properties,
    feature_styles,
    render,
    squares,
)

INDEX = fixed_breaks([0, 5, 10], scheme="YlOrRd", value_format="{:.0f}")


def _map(areas, **options):
    defaults = {
        "code_column": "code",
        "name_column": "name",
        "title": "Exclusion risk",
        "legend_title": "Digital exclusion risk index",
        "tiles": False,
    }
    return choropleth_map(areas, "value", **{**defaults, **options})


def test_every_area_is_in_the_tooltip_data_with_its_figure() -> None:
    html = render(_map(squares([1.25, 7.5, 3.0])))
    properties = embedded_properties(html)
    assert [(p["c"], p["n"], p["v"]) for p in properties] == [
        ("A0", "Area 0", "1.2"),
        ("A1", "Area 1", "7.5"),
        ("A2", "Area 2", "3.0"),
    ]
    assert '"aliases": ["Area", "Code", "Digital exclusion risk index"]' in html.replace(
        "let aliases = ", '"aliases": '
    ).replace(";", "")


def test_areas_are_coloured_by_their_class() -> None:
    html = render(_map(squares([1.0, 7.0, 9.0]), classes=INDEX))
    low, high = palette("YlOrRd", 2)
    fills = {code: style["fillColor"] for code, style in feature_styles(html).items()}
    assert fills == {"A0": low, "A1": high, "A2": high}


def test_suppressed_and_missing_areas_are_plain_grey() -> None:
    html = render(_map(squares([1.0, "fewer than 10", None])))
    fills = {code: style["fillColor"] for code, style in feature_styles(html).items()}
    assert fills["A1"] == fills["A2"] == NO_DATA_COLOUR
    assert fills["A0"] != NO_DATA_COLOUR


def test_legend_is_drawn_and_returned_with_counts_highest_first() -> None:
    m = _map(
        squares([1.0, 7.0, 9.0]),
        classes=INDEX,
        high_label="Higher risk of digital exclusion",
        low_label="Lower risk",
    )
    (legend,) = map_legends(m)
    assert legend.title == "Digital exclusion risk index"
    assert [(e.label, e.count) for e in legend.entries] == [("5 to 10", 2), ("0 to under 5", 1)]
    html = render(m)
    assert "Higher risk of digital exclusion" in html
    assert "0 to under 5" in html


def test_a_masked_figure_is_shown_as_words_and_never_written_as_a_number() -> None:
    areas = squares([123.456, 7.0, 2.0])
    mask = pd.Series([True, False, False], index=areas.index)
    m = _map(areas, suppressed_mask=mask, suppressed_label="Not shown: fewer than 10 responses")
    html = render(m)
    assert "123.5" not in html and "123.456" not in html
    assert embedded_properties(html)[0]["v"] == "Not shown: fewer than 10 responses"
    (legend,) = map_legends(m)
    grey = [e for e in legend.entries if e.colour == NO_DATA_COLOUR]
    assert [(e.label, e.count) for e in grey] == [("Not shown: fewer than 10 responses", 1)]


def test_text_in_the_figure_column_is_a_suppressed_figure_shown_as_words() -> None:
    areas = squares([4.0, "fewer than 10", None, 6.0])
    m = _map(areas)
    values = [p["v"] for p in embedded_properties(render(m))]
    assert values == ["4.0", "fewer than 10", "No data", "6.0"]
    (legend,) = map_legends(m)
    labels = [e.label for e in legend.entries if e.colour == NO_DATA_COLOUR]
    assert sorted(labels) == ["Fewer than 10", "No data"]


def test_suppressed_areas_are_left_out_of_the_quantiles() -> None:
    areas = squares([1.0, 2.0, 1000.0])
    mask = pd.Series([False, False, True], index=areas.index)
    (legend,) = map_legends(_map(areas, suppressed_mask=mask, n_classes=2))
    assert legend.entries[0].label == "1.5 to 2.0"


def test_tooltip_columns_are_written_with_their_labels_and_formats() -> None:
    areas = squares([1.0, 2.0]).assign(residents=[1234, 56], share=[0.25, 0.5])
    html = render(
        _map(
            areas,
            tooltip_columns=[
                TooltipColumn("residents", "Residents"),
                TooltipColumn("share", "Share offline", "{:.0%}"),
            ],
        )
    )
    first = embedded_properties(html)[0]
    assert (first["t0"], first["t1"]) == ("1,234", "25%")
    assert '"Residents", "Share offline"' in html


def test_names_and_labels_are_escaped_before_leaflet_writes_them_as_html() -> None:
    areas = squares([1.0]).assign(name=["<img src=x onerror=alert(1)>"])
    html = render(_map(areas, legend_title="Risk <script>"))
    assert "<img src=x" not in html
    assert embedded_properties(html)[0]["n"] == "&lt;img src=x onerror=alert(1)&gt;"
    assert "<script>alert" not in html


def test_without_tiles_there_is_no_tile_layer_but_data_legend_and_attribution_remain() -> None:
    html = render(_map(squares([1.0, 2.0]), tiles=False))
    assert "L.tileLayer" not in html
    assert "tile.openstreetmap.org" not in html
    assert len(embedded_layers(html)) == 1
    assert "dip-map-legend" in html
    assert "Open Government Licence v3.0" in html


def test_with_tiles_the_openstreetmap_layer_and_its_attribution_are_added() -> None:
    html = render(_map(squares([1.0, 2.0]), tiles=True))
    assert "L.tileLayer" in html
    assert "https://tile.openstreetmap.org/{z}/{x}/{y}.png" in html
    assert "OpenStreetMap" in html and "contributors" in html


def test_extra_attribution_lines_are_shown() -> None:
    html = render(_map(squares([1.0]), attribution=(OSM_DATA_ATTRIBUTION,)))
    assert "Open Database Licence (ODbL)" in html


def test_the_map_has_a_layer_control_and_fits_the_areas() -> None:
    html = render(_map(squares([1.0, 2.0])))
    assert "L.control.layers" in html
    bounds = re.search(r"fitBounds\(\s*(\[\[.*?\]\])", html, re.DOTALL)
    assert bounds is not None
    (south, west), (north, east) = eval(bounds.group(1))  # noqa: S307 - our own numbers
    assert 51.4 < south < north < 51.6
    assert -0.3 < west < east < -0.2


def test_layers_added_after_the_control_still_come_before_it() -> None:
    m = base_map(tiles=False)
    add_layer_control(m)
    add_choropleth_layer(
        m, squares([1.0, 2.0]), "value", code_column="code", layer_name="A", legend_title="A"
    )
    html = render(m)
    assert html.index("L.control.layers") > html.index("_add({")


def test_a_figure_outside_fixed_classes_is_refused_naming_the_area() -> None:
    with pytest.raises(InputError, match="area A1 has the figure 12, outside the scale 0 to 10"):
        _map(squares([1.0, 12.0]), classes=INDEX)


def test_repeated_or_blank_codes_are_refused() -> None:
    areas = squares([1.0, 2.0]).assign(code=["A", "A"])
    with pytest.raises(InputError, match="code 'A' more than once"):
        _map(areas)
    areas = squares([1.0, 2.0]).assign(code=["A", None])
    with pytest.raises(InputError, match="row 2, column code: has a blank area code"):
        _map(areas)


def test_a_missing_column_is_named() -> None:
    with pytest.raises(InputError, match="has no column 'residents'"):
        _map(squares([1.0]), tooltip_columns={"residents": "Residents"})


def test_yes_no_figures_are_refused() -> None:
    with pytest.raises(InputError, match="yes/no"):
        _map(squares([True, False]))


def test_the_input_frame_is_not_changed() -> None:
    areas = squares([1.0, "fewer than 10"])
    before = areas.copy()
    _map(areas)
    assert areas.equals(before)
    assert areas.crs == before.crs


def test_display_values_write_numbers_words_flags_and_gaps() -> None:
    values = pd.Series([1234.5, "fewer than 10", None, np.nan], name="x", index=[5, 6, 7, 8])
    written = display_values(values, value_format="{:,.0f}")
    assert written.tolist() == ["1,234", "fewer than 10", "No data", "No data"]
    assert written.index.tolist() == [5, 6, 7, 8] and written.name == "x"
    assert display_values(pd.Series([True, False])).tolist() == ["Yes", "No"]
    assert display_values(pd.Series([3, 40000])).tolist() == ["3", "40,000"]
