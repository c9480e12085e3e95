"""Small-number suppression: primary and secondary rules, formatting, and properties."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.suppression import (
    CONFIDENTIAL_MARKER,
    format_count,
    suppress_counts,
    suppress_table,
    suppression_flags,
)


def test_counts_one_to_nine_are_hidden_and_zero_and_ten_are_shown() -> None:
    assert suppress_counts([0, 1, 9, 10, 250]) == [0, None, None, 10, 250]


def test_marker_replaces_hidden_counts() -> None:
    assert suppress_counts([3, 12], marker="[c]") == ["[c]", 12]


def test_zero_can_be_hidden_too() -> None:
    assert suppress_counts([0, 12], suppress_zero=True, marker="[c]") == ["[c]", 12]


def test_threshold_is_configurable() -> None:
    assert suppress_counts([4, 5, 6], threshold=5) == [None, 5, 6]


def test_weighted_estimates_below_threshold_are_hidden() -> None:
    assert suppress_counts([3.7, 0.2, 10.5]) == [None, None, 10.5]


def test_missing_values_stay_missing() -> None:
    assert suppress_counts([None, math.nan, 20]) == [None, None, 20]


def test_rounding_never_brings_back_a_small_number() -> None:
    assert suppress_counts([12, 13, 10, 1], round_to=5) == [10, 15, 10, None]
    assert suppress_counts([12], threshold=12, round_to=5) == [15]


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        suppress_counts([-1])


def test_secondary_suppression_hides_the_next_smallest_cell_in_the_row() -> None:
    frame = pd.DataFrame(
        {"olive": [5, 20], "kate": [30, 40], "reg": [12, 11], "total": [47, 71]},
        index=["E05000001", "E05000002"],
    )
    result = suppress_table(frame, ["olive", "kate", "reg"], total_column="total")
    assert result.loc["E05000001"].isna().tolist() == [True, False, True, False]
    assert result.loc["E05000002"].tolist() == [20, 40, 11, 71]
    assert str(result["olive"].dtype) == "Int64"


def test_non_zero_cells_are_preferred_for_secondary_suppression() -> None:
    frame = pd.DataFrame({"a": [4], "b": [0], "c": [25], "total": [29]})
    result = suppress_table(frame, ["a", "b", "c"], total_column="total", marker="[c]")
    assert result.iloc[0].tolist() == ["[c]", 0, "[c]", 29]


def test_total_is_hidden_when_no_other_cell_can_be() -> None:
    frame = pd.DataFrame({"a": [4], "total": [4]})
    result = suppress_table(frame, ["a"], total_column="total", marker="[c]")
    assert result.iloc[0].tolist() == ["[c]", "[c]"]
    frame = pd.DataFrame({"a": [4], "b": [None], "total": [24]})
    result = suppress_table(frame, ["a", "b"], total_column="total", marker="[c]")
    assert result.iloc[0].tolist() == ["[c]", None, "[c]"]


def test_small_totals_are_hidden() -> None:
    frame = pd.DataFrame({"a": [3, 0], "b": [0, 0], "total": [3, 0]})
    result = suppress_table(frame, ["a", "b"], total_column="total", marker="[c]")
    assert result["total"].tolist() == ["[c]", 0]


def test_total_row_protects_columns() -> None:
    frame = pd.DataFrame(
        {"olive": [3, 40, 43], "kate": [50, 60, 110]}, index=["w1", "w2", "All wards"]
    )
    result = suppress_table(frame, ["olive", "kate"], total_row="All wards", marker="[c]")
    # w1 olive (3) is small; the column total would reveal it, so w2 olive is hidden too.
    assert result["olive"].tolist() == ["[c]", "[c]", 43]
    assert result["kate"].tolist() == [50, 60, 110]


def test_input_table_is_not_changed() -> None:
    frame = pd.DataFrame({"a": [4, 20], "b": [20, 30], "total": [24, 50]})
    before = frame.copy()
    suppress_table(frame, ["a", "b"], total_column="total")
    pd.testing.assert_frame_equal(frame, before)


def test_format_count_for_pages_and_csv() -> None:
    assert format_count(1234) == "1,234"
    assert format_count(0) == "0"
    assert format_count(7) == "fewer than 10"
    assert format_count(7, threshold=5) == "7"
    assert format_count(7, csv=True) == CONFIDENTIAL_MARKER
    assert format_count(1234, csv=True) == "1234"
    assert format_count(None) == "not available"
    assert format_count(None, csv=True) == "[x]"
    assert format_count("[c]") == "not shown"
    assert format_count(12.25) == "12.2"
    assert format_count(1234, round_to=5) == "1,235"


# -- properties ---------------------------------------------------------------------------------

counts = st.integers(min_value=0, max_value=40)
thresholds = st.integers(min_value=1, max_value=12)


@st.composite
def tables(draw: st.DrawFn) -> tuple[pd.DataFrame, list[str]]:
    n_rows = draw(st.integers(min_value=1, max_value=6))
    n_cols = draw(st.integers(min_value=1, max_value=5))
    rows = [[draw(counts) for _ in range(n_cols)] for _ in range(n_rows)]
    columns = [f"c{j}" for j in range(n_cols)]
    frame = pd.DataFrame(rows, columns=columns)
    frame["total"] = frame[columns].sum(axis=1)
    return frame, columns


def _hidden(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=100), max_size=30), thresholds)
def test_no_shown_count_is_small(values: list[int], threshold: int) -> None:
    shown = suppress_counts(values, threshold=threshold)
    assert not any(isinstance(v, int) and 1 <= v <= threshold - 1 for v in shown)
    assert suppress_counts(shown, threshold=threshold) == shown


@settings(max_examples=150, deadline=None)
@given(tables(), thresholds)
def test_no_hidden_cell_can_be_recovered_from_its_row_total(
    table: tuple[pd.DataFrame, list[str]], threshold: int
) -> None:
    frame, columns = table
    result = suppress_table(frame, columns, total_column="total", threshold=threshold)
    for _, row in result.iterrows():
        shown = [row[c] for c in columns if not _hidden(row[c])]
        assert not any(1 <= value < threshold for value in shown)
        if _hidden(row["total"]):
            continue
        assert not 1 <= row["total"] < threshold
        hidden = [c for c in columns if _hidden(row[c])]
        # total minus the shown cells is the sum of the hidden ones: it identifies a cell only
        # when exactly one is hidden.
        assert len(hidden) != 1


@settings(max_examples=100, deadline=None)
@given(tables(), thresholds)
def test_rows_and_columns_are_both_protected_with_a_total_row(
    table: tuple[pd.DataFrame, list[str]], threshold: int
) -> None:
    frame, columns = table
    totals = frame.sum().to_frame().T
    totals.index = ["total"]
    full = pd.concat([frame, totals])
    flags = suppression_flags(
        full[[*columns, "total"]].to_numpy().tolist(),
        threshold=threshold,
        total_column=len(columns),
        total_row=len(full) - 1,
    )
    width = len(columns) + 1
    for row in flags:
        if not row[width - 1]:
            assert sum(row[:-1]) != 1
    for j in range(width):
        column = [flags[i][j] for i in range(len(flags))]
        if not column[-1]:
            assert sum(column[:-1]) != 1


@settings(max_examples=100, deadline=None)
@given(tables(), thresholds, st.sampled_from([None, "[c]"]))
def test_suppressing_twice_changes_nothing(
    table: tuple[pd.DataFrame, list[str]], threshold: int, marker: str | None
) -> None:
    frame, columns = table
    once = suppress_table(frame, columns, total_column="total", threshold=threshold, marker=marker)
    twice = suppress_table(once, columns, total_column="total", threshold=threshold, marker=marker)
    pd.testing.assert_frame_equal(once, twice)
