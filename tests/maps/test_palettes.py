"""Tests for maps.palettes: colour-blind-safe schemes and class breaks."""

from __future__ import annotations

import numpy as np
import pytest

from maps.palettes import (
    DIVERGING_SCHEMES,
    NO_DATA_COLOUR,
    SEQUENTIAL_SCHEMES,
    ClassBreaks,
    fixed_breaks,
    palette,
    quantile_breaks,
)


def test_colorbrewer_colours_are_the_published_ones() -> None:
    # ColorBrewer 2.0, YlGnBu 5-class and PuOr 5-class.
    assert palette("YlGnBu", 5) == ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")
    assert palette("PuOr", 5) == ("#e66101", "#fdb863", "#f7f7f7", "#b2abd2", "#5e3c99")


def test_viridis_runs_from_dark_purple_to_yellow() -> None:
    colours = palette("viridis", 5)
    assert colours[0] == "#440154"
    assert colours[-1] == "#fde725"
    assert len(set(colours)) == 5


def test_reverse_flips_the_order() -> None:
    assert palette("YlOrRd", 4, reverse=True) == palette("YlOrRd", 4)[::-1]


def test_two_classes_use_the_ends_of_the_three_class_scheme() -> None:
    three = palette("Blues", 3)
    assert palette("Blues", 2) == (three[0], three[2])


@pytest.mark.parametrize("scheme", [*SEQUENTIAL_SCHEMES, *DIVERGING_SCHEMES])
def test_every_offered_scheme_gives_distinct_colours(scheme: str) -> None:
    colours = palette(scheme, 5)
    assert len(set(colours)) == 5
    assert NO_DATA_COLOUR not in colours


def test_a_scheme_not_safe_for_colour_blind_users_is_refused() -> None:
    with pytest.raises(ValueError, match="colour-blind-safe"):
        palette("RdYlGn", 5)


def test_too_many_classes_are_refused() -> None:
    with pytest.raises(ValueError, match=r"2 to 9 classes, not 10"):
        palette("YlGnBu", 10)


def test_fixed_breaks_label_ranges_in_plain_words() -> None:
    classes = fixed_breaks([0, 2, 4, 10], value_format="{:.0f}")
    assert classes.labels == ("0 to under 2", "2 to under 4", "4 to 10")
    assert classes.n_classes == 3


def test_classify_includes_lower_edges_and_the_top_edge() -> None:
    classes = fixed_breaks([0, 2, 4, 10])
    assert classes.classify([0.0, 1.99, 2.0, 4.0, 10.0, np.nan]).tolist() == [0, 0, 1, 2, 2, -1]


def test_classify_refuses_a_value_off_the_scale() -> None:
    with pytest.raises(ValueError, match=r"10\.5 lies outside the scale 0 to 10"):
        fixed_breaks([0, 5, 10]).classify([1.0, 10.5])


def test_quantile_breaks_split_ten_values_into_equal_classes() -> None:
    classes = quantile_breaks(np.arange(1.0, 11.0), 5, value_format="{:.1f}")
    assert classes.edges == pytest.approx((1.0, 2.8, 4.6, 6.4, 8.2, 10.0))
    counts = np.bincount(classes.classify(np.arange(1.0, 11.0)))
    assert counts.tolist() == [2, 2, 2, 2, 2]
    assert classes.labels[0] == "1.0 to under 2.8"
    assert classes.labels[-1] == "8.2 to 10.0"


def test_quantile_breaks_merge_tied_quantiles() -> None:
    classes = quantile_breaks([1, 1, 1, 1, 1, 1, 1, 1, 5, 9], 5)
    assert classes.n_classes < 5
    assert classes.classify([1, 5, 9]).min() == 0


def test_quantile_breaks_with_one_figure_give_one_class() -> None:
    classes = quantile_breaks([3.0, 3.0, np.nan], 4, value_format="{:.0f}")
    assert classes.labels == ("3",)
    assert classes.classify([3.0]).tolist() == [0]


def test_quantile_breaks_need_a_figure() -> None:
    with pytest.raises(ValueError, match="every value is missing"):
        quantile_breaks([np.nan, np.nan])


def test_class_breaks_check_their_shape() -> None:
    with pytest.raises(ValueError, match="increase"):
        ClassBreaks(edges=(0.0, 0.0), colours=("#000000",), labels=("x",))
    with pytest.raises(ValueError, match="2 classes need 2 colours"):
        ClassBreaks(edges=(0.0, 1.0, 2.0), colours=("#000000",), labels=("a", "b"))


def test_a_format_that_cannot_write_numbers_is_refused() -> None:
    with pytest.raises(ValueError, match="value_format"):
        fixed_breaks([0, 1], value_format="{:d} people")
