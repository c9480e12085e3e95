"""Errors raised for bad geographic input, naming the file, column or feature and what to do."""

from __future__ import annotations


class InputError(ValueError):
    """An input file or table cannot be used.

    Parameters
    ----------
    message:
        What is wrong and what to do, in plain English.
    source:
        The file name (or table name) the problem is in.
    column:
        The column concerned, if any.
    row:
        The 1-based row or feature number concerned, if any.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        column: str | None = None,
        row: int | None = None,
    ) -> None:
        parts = []
        if source:
            parts.append(source)
        if row is not None:
            parts.append(f"row {row}")
        if column:
            parts.append(f"column {column}")
        prefix = ", ".join(parts)
        super().__init__(f"{prefix}: {message}" if prefix else message)
        self.message = message
        self.source = source
        self.column = column
        self.row = row
