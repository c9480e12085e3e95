"""The personal-data inventory in docs/data-protection.md matches the models (P-01).

Every table in ``app.models.metadata`` has a ``### table_name`` heading in the "Data inventory"
section, followed either by a Markdown table listing each of its columns exactly once, or by the
single line ``No personal data: <reason>.``.  Adding a column without describing it there fails
here, and so does a listed column that no longer exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.models import metadata

DOC = Path(__file__).resolve().parents[2] / "docs" / "data-protection.md"
SECTION = "## Data inventory"
HEADER = ("column", "personal data", "purpose", "lawful basis", "retention")
PERSONAL_DATA_VALUES = frozenset({"yes", "no", "special category"})
NO_PERSONAL_DATA = re.compile(r"No personal data: \S.*\.")
# Column names that suggest personal data: a table holding one cannot be "No personal data".
LOOKS_PERSONAL = re.compile(
    r"name|email|phone|contact|postcode|address|note|resident|reason|access_needs|free_text"
    r"|recipient|personalisation|consent|donor|actor|user_id|champion|_by(_|$)|(^|_)age(_|$)"
)


@dataclass(frozen=True)
class Entry:
    """One table's part of the inventory: its column rows, or a "No personal data" line."""

    rows: dict[str, dict[str, str]]
    no_personal_data: bool


def _cells(line: str) -> list[str]:
    return [cell.strip().replace("`", "") for cell in line.strip().strip("|").split("|")]


def _entry(table: str, lines: list[str]) -> Entry:
    content = [line for line in lines if line.strip()]
    if len(content) == 1 and NO_PERSONAL_DATA.fullmatch(content[0].strip()):
        return Entry(rows={}, no_personal_data=True)
    if len(content) < 2 or tuple(_cells(content[0])) != HEADER:
        raise AssertionError(
            f"### {table} in {DOC.name} must be followed by a table with the columns "
            f"{' | '.join(HEADER)}, or by one line 'No personal data: <reason>.'"
        )
    rows: dict[str, dict[str, str]] = {}
    for line in content[2:]:
        cells = _cells(line)
        if not line.lstrip().startswith("|") or len(cells) != len(HEADER):
            raise AssertionError(f"### {table}: this is not a {len(HEADER)}-cell row: {line!r}")
        if cells[0] in rows:
            raise AssertionError(f"### {table}: column {cells[0]!r} is listed twice")
        rows[cells[0]] = dict(zip(HEADER, cells, strict=True))
    return Entry(rows=rows, no_personal_data=False)


def parse_inventory(text: str) -> dict[str, Entry]:
    """Table name -> entry, from the "## Data inventory" section of ``text``."""
    lines = text.splitlines()
    if SECTION not in lines:
        raise AssertionError(f"{DOC} has no '{SECTION}' heading")
    body: list[str] = []
    for line in lines[lines.index(SECTION) + 1 :]:
        if line.startswith("## "):
            break
        body.append(line)
    headings = [i for i, line in enumerate(body) if line.startswith("### ")]
    inventory: dict[str, Entry] = {}
    for start, end in zip(headings, [*headings[1:], len(body)], strict=True):
        table = body[start].removeprefix("### ").strip()
        if table in inventory:
            raise AssertionError(f"### {table} appears twice in {DOC.name}")
        inventory[table] = _entry(table, body[start + 1 : end])
    return inventory


@pytest.fixture(scope="module")
def inventory() -> dict[str, Entry]:
    return parse_inventory(DOC.read_text(encoding="utf-8"))


def test_every_table_has_a_heading(inventory: dict[str, Entry]) -> None:
    missing = sorted(set(metadata.tables) - set(inventory))
    assert not missing, (
        f"Add a '### <table>' entry to docs/data-protection.md for: {', '.join(missing)}"
    )


def test_every_heading_names_a_table(inventory: dict[str, Entry]) -> None:
    stale = sorted(set(inventory) - set(metadata.tables))
    assert not stale, f"docs/data-protection.md lists tables that do not exist: {', '.join(stale)}"


def test_listed_columns_match_the_models(inventory: dict[str, Entry]) -> None:
    problems: list[str] = []
    for name, table in sorted(metadata.tables.items()):
        entry = inventory.get(name)
        if entry is None or entry.no_personal_data:
            continue
        model = {column.name for column in table.columns}
        problems += [
            f"{name}.{column} is not listed: add it to docs/data-protection.md"
            for column in sorted(model - set(entry.rows))
        ]
        problems += [
            f"{name}.{column} is listed in docs/data-protection.md but is not a column any more"
            for column in sorted(set(entry.rows) - model)
        ]
    assert not problems, "\n".join(problems)


def test_no_personal_data_tables_have_no_personal_looking_columns(
    inventory: dict[str, Entry],
) -> None:
    problems = [
        f"{name}.{column.name} looks like personal data: replace 'No personal data' under "
        f"### {name} in docs/data-protection.md with a table of its columns"
        for name, entry in sorted(inventory.items())
        if entry.no_personal_data and name in metadata.tables
        for column in metadata.tables[name].columns
        if LOOKS_PERSONAL.search(column.name)
    ]
    assert not problems, "\n".join(problems)


def test_personal_data_cells_are_known_and_personal_data_has_a_retention(
    inventory: dict[str, Entry],
) -> None:
    problems: list[str] = []
    for name, entry in sorted(inventory.items()):
        for column, row in entry.rows.items():
            kind = row["personal data"]
            if kind not in PERSONAL_DATA_VALUES:
                problems.append(
                    f"{name}.{column}: personal data is {kind!r}, not one of "
                    f"{', '.join(sorted(PERSONAL_DATA_VALUES))}"
                )
            elif kind != "no" and row["retention"] in ("", "—", "-"):
                problems.append(f"{name}.{column} holds personal data but has no retention")
    assert not problems, "\n".join(problems)
