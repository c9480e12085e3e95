"""Small-number suppression for every statistic that leaves the service.

One set of functions is used by every output shown to councillors or the public (ward tables, map
colours and tooltips, CSV, GeoJSON and the JSON API), so the rule cannot drift between outputs.

The rule follows ONS statistical disclosure control practice:

* **Primary suppression.** A count from 1 to ``threshold - 1`` (default 1 to 9) is not shown.
  Zero is shown by default, as ONS does; ``suppress_zero=True`` hides it as well.  Weighted
  estimates (for example 3.7 residents) are treated the same way: anything above 0 and below the
  threshold is hidden.
* **Secondary suppression.** Where a row (or column) total is shown and exactly one cell in that
  line is hidden, the hidden cell could be worked out as the total minus the shown cells.  The
  smallest shown cell in that line is then hidden too (a non-zero cell is preferred, because hiding
  a zero protects little); if no other cell can be hidden, the total is hidden instead.  Rows and
  columns are checked again until nothing changes.
* **Optional rounding.** ``round_to=5`` rounds every shown value to the nearest multiple of 5
  (NHS Digital's method).  A rounded value is never below the threshold, so rounding cannot bring
  a small number back.

Markers: ``[c]`` (confidential) for a hidden value and ``[x]`` (not available) for a missing one,
as in ONS spreadsheets.  Every function is idempotent: suppressing an already suppressed output
changes nothing, because any text found in a count cell is taken as a marker from an earlier run.

This module uses the standard library only (``core`` may not depend on numpy or pandas);
:func:`suppress_table` works on a pandas DataFrame through its public methods.  Tables are ward-
or area-sized, so plain Python is fast enough.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from typing import Any

CONFIDENTIAL_MARKER = "[c]"
"""Marker for a value hidden to protect people (ONS shorthand "confidential")."""

NOT_AVAILABLE_MARKER = "[x]"
"""Marker for a value that is not available (ONS shorthand)."""

SUPPRESSION_NOTE = (
    "[c] = not shown to protect privacy: fewer than {threshold}, or hidden so that a small number "
    "cannot be worked out from a total. [x] = not available."
)
"""Text for the notes row of a CSV export; format it with ``threshold``."""

DEFAULT_THRESHOLD = 10
"""ONS practice: counts below 10 are not published."""

Cell = int | float | str | None
"""A count as it may appear in a table: a number, a marker (text) or missing (``None``)."""


def _check_options(threshold: float, round_to: int | None) -> None:
    if not threshold > 0:
        raise ValueError(f"threshold must be above 0, not {threshold!r}")
    if round_to is not None and round_to < 1:
        raise ValueError(f"round_to must be a whole number of at least 1, not {round_to!r}")


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    try:
        # NaN is the only float unequal to itself; pandas' NA raises on bool(), caught below.
        return bool(value != value)
    except TypeError:
        return True


def _read(value: object) -> tuple[float, bool]:
    """Return ``(number, already_hidden)``: missing values become NaN, text is an old marker."""
    if isinstance(value, str):
        return math.nan, True
    if _is_missing(value):
        return math.nan, False
    if isinstance(value, bool):
        raise ValueError(f"a count must be a number, not {value!r}")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as error:
        raise ValueError(f"a count must be a number, not {value!r}") from error
    if number < 0:
        raise ValueError(f"a count cannot be negative, not {value!r}")
    return number, False


def is_small(
    value: float, *, threshold: float = DEFAULT_THRESHOLD, suppress_zero: bool = False
) -> bool:
    """Return whether one count breaks the small-number rule (primary suppression).

    Parameters
    ----------
    value:
        A count of people (or a weighted estimate of people); NaN is never small.
    threshold:
        Values above 0 and below this are small (default 10, the ONS threshold).
    suppress_zero:
        Treat zero as small as well.
    """
    return (0 < value < threshold) or (suppress_zero and value == 0)


def _shown(number: float, threshold: float, round_to: int | None) -> int | float:
    if round_to is None:
        return int(number) if number.is_integer() else number
    # Half-up rounding; a value that would round below the threshold is rounded up instead, so
    # rounding never shows a small number and rounding twice changes nothing.
    rounded = math.floor(number / round_to + 0.5) * round_to
    lowest = math.ceil(threshold / round_to) * round_to
    return int(max(rounded, lowest))


def suppress_counts(
    values: Iterable[Cell],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    marker: str | None = None,
    suppress_zero: bool = False,
    round_to: int | None = None,
) -> list[Cell]:
    """Hide small counts in a flat list of values (primary suppression).

    Parameters
    ----------
    values:
        Counts of people (or weighted estimates).  ``None``/NaN (missing) comes back as ``None``;
        text is taken as a marker from an earlier run and comes back as ``marker``.
    threshold:
        Counts above 0 and below this are hidden (default 10: 1 to 9 are hidden).
    marker:
        What a hidden value becomes: ``None`` (default), or text such as ``"[c]"`` for CSV.
    suppress_zero:
        Hide zeros as well (ONS shows them, so the default is ``False``).
    round_to:
        Round shown values to this base (``5`` for NHS Digital style); ``None`` leaves them.

    Returns
    -------
    list
        The values with small ones replaced by ``marker``, in the input order.

    Notes
    -----
    Use :func:`suppress_table` where a total is shown beside the cells, so that a hidden cell
    cannot be worked out by subtraction.
    """
    _check_options(threshold, round_to)
    result: list[Cell] = []
    for value in values:
        number, already = _read(value)
        if already or is_small(number, threshold=threshold, suppress_zero=suppress_zero):
            result.append(marker)
        elif math.isnan(number):
            result.append(None)
        else:
            result.append(_shown(number, threshold, round_to))
    return result


def _protect_lines(
    numbers: list[list[float]], hidden: list[list[bool]], total_at: int, *, by_row: bool
) -> bool:
    """One pass of secondary suppression along rows (or columns); return whether it hid anything.

    ``total_at`` is the column (when ``by_row``) or row holding each line's total.  ``hidden`` is
    updated in place.
    """
    n_rows = len(numbers)
    n_columns = len(numbers[0]) if n_rows else 0
    n_lines, length = (n_rows, n_columns) if by_row else (n_columns, n_rows)

    def at(line: int, position: int) -> tuple[int, int]:
        return (line, position) if by_row else (position, line)

    changed = False
    for line in range(n_lines):
        row, column = at(line, total_at)
        if hidden[row][column]:
            continue
        cells = [position for position in range(length) if position != total_at]
        hidden_cells = [p for p in cells if hidden[at(line, p)[0]][at(line, p)[1]]]
        if len(hidden_cells) != 1:
            continue
        best: tuple[int, float, int] | None = None
        for position in cells:
            r, c = at(line, position)
            value = numbers[r][c]
            if hidden[r][c] or math.isnan(value):
                continue
            # Zero cells are a last resort: hiding a zero protects little.
            key = (0 if value > 0 else 1, value, position)
            if best is None or key < best:
                best = key
        if best is None:
            hidden[row][column] = True
        else:
            r, c = at(line, best[2])
            hidden[r][c] = True
        changed = True
    return changed


def suppression_flags(
    values: Sequence[Sequence[Cell]],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    total_column: int | None = None,
    total_row: int | None = None,
    suppress_zero: bool = False,
) -> list[list[bool]]:
    """Return which cells of a table must be hidden, with primary and secondary suppression.

    Parameters
    ----------
    values:
        Rows of counts (people).  ``None``/NaN means missing (never hidden, never used to hide);
        text is a marker from an earlier run (already hidden).
    threshold, suppress_zero:
        As for :func:`suppress_counts`.
    total_column:
        Position of the column holding each row's total, if the table shows one.
    total_row:
        Position of the row holding each column's total, if the table shows one.

    Returns
    -------
    list of list of bool
        ``True`` where the cell must not be shown.  In every row (column) whose total is shown,
        the number of hidden cells is never exactly one.
    """
    _check_options(threshold, None)
    widths = {len(row) for row in values}
    if len(widths) > 1:
        raise ValueError("every row of the table must have the same number of cells")
    numbers: list[list[float]] = []
    hidden: list[list[bool]] = []
    for row in values:
        read = [_read(value) for value in row]
        numbers.append([number for number, _ in read])
        hidden.append(
            [
                already or is_small(number, threshold=threshold, suppress_zero=suppress_zero)
                for number, already in read
            ]
        )
    width = widths.pop() if widths else 0
    if total_column is not None and not 0 <= total_column < width:
        raise ValueError(f"total_column {total_column} is outside the table")
    if total_row is not None and not 0 <= total_row < len(numbers):
        raise ValueError(f"total_row {total_row} is outside the table")
    changed = True
    while changed:
        changed = False
        if total_column is not None and width > 1:
            changed |= _protect_lines(numbers, hidden, total_column, by_row=True)
        if total_row is not None and len(numbers) > 1:
            changed |= _protect_lines(numbers, hidden, total_row, by_row=False)
    return hidden


def suppress_table(
    frame: Any,
    count_columns: Sequence[Hashable],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    total_column: Hashable | None = None,
    total_row: Hashable | None = None,
    marker: str | None = None,
    suppress_zero: bool = False,
    round_to: int | None = None,
) -> Any:
    """Return a copy of a table with small counts hidden, and enough others hidden to protect them.

    Parameters
    ----------
    frame:
        A pandas DataFrame, one row per area or group.  It is not changed.
    count_columns:
        The columns holding counts of people (or weighted estimates of people).
    threshold, suppress_zero, round_to:
        As for :func:`suppress_counts`.
    total_column:
        The column holding each row's total, if the table shows one.  It is checked and hidden
        like any count, and used for secondary suppression along rows.
    total_row:
        The index label of a row holding column totals, if the table shows one.
    marker:
        ``None`` (default) gives nullable numeric columns (``Int64``/``Float64``) with ``<NA>``
        where hidden; text such as ``"[c]"`` gives object columns ready for CSV.

    Returns
    -------
    pandas.DataFrame
        Same index and columns; only the count and total columns change.
    """
    _check_options(threshold, round_to)
    columns = list(count_columns)
    if total_column is not None:
        if total_column in columns:
            raise ValueError(f"total column {total_column!r} is also listed as a count column")
        columns.append(total_column)
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"columns not in the table: {missing}")
    row_position: int | None = None
    if total_row is not None:
        labels = list(frame.index)
        if labels.count(total_row) != 1:
            raise ValueError(f"total row {total_row!r} must appear exactly once in the index")
        row_position = labels.index(total_row)
    by_column = [frame[column].tolist() for column in columns]
    rows = [list(cells) for cells in zip(*by_column, strict=True)] if columns else []
    hidden = suppression_flags(
        rows,
        threshold=threshold,
        total_column=len(columns) - 1 if total_column is not None else None,
        total_row=row_position,
        suppress_zero=suppress_zero,
    )
    result = frame.copy()
    for j, column in enumerate(columns):
        shown: list[Cell] = []
        for i, value in enumerate(by_column[j]):
            number, _ = _read(value)
            if hidden[i][j]:
                shown.append(marker)
            elif math.isnan(number):
                shown.append(None)
            else:
                shown.append(_shown(number, threshold, round_to))
        # Build through the frame's own Series class so core need not import pandas.
        series_type = type(frame[column])
        if marker is None:
            integral = all(isinstance(v, int) for v in shown if v is not None)
            dtype = "Int64" if integral else "Float64"
        else:
            dtype = "object"
        result[column] = series_type(shown, index=frame.index, dtype=dtype)
    return result


def format_count(
    value: Cell,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    csv: bool = False,
    suppress_zero: bool = False,
    round_to: int | None = None,
) -> str:
    """Return a count as text for a page or a CSV cell, hiding it if it is small.

    Parameters
    ----------
    value:
        A count of people, a marker from :func:`suppress_table` (any text), or ``None`` (missing).
    threshold, suppress_zero, round_to:
        As for :func:`suppress_counts`.
    csv:
        ``True`` for CSV cells: ``"[c]"`` for hidden, ``"[x]"`` for missing, plain digits.
        ``False`` for pages: ``"fewer than 10"``; ``"not shown"`` for a marker (a value hidden by
        secondary suppression may be large, so it must not say "fewer than"); ``"not available"``;
        thousands separators.

    Returns
    -------
    str
        For example ``"1,234"``, ``"0"``, ``"fewer than 10"``, ``"[c]"``.
    """
    _check_options(threshold, round_to)
    number, already = _read(value)
    if already:
        return CONFIDENTIAL_MARKER if csv else "not shown"
    if math.isnan(number):
        return NOT_AVAILABLE_MARKER if csv else "not available"
    if is_small(number, threshold=threshold, suppress_zero=suppress_zero):
        if csv:
            return CONFIDENTIAL_MARKER
        limit = int(threshold) if float(threshold).is_integer() else threshold
        return f"fewer than {limit}"
    shown = _shown(number, threshold, round_to)
    if isinstance(shown, int):
        return str(shown) if csv else f"{shown:,}"
    return f"{shown:.1f}" if csv else f"{shown:,.1f}"
