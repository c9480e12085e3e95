"""Import survey responses exported from another survey tool (CSV or Excel).

The whole file is checked before anything is returned, and every problem is reported at once as
``(row, column, reason)``, so a council officer can fix the file in one go:

* a required column missing from the header, or a column given twice;
* an answer that is neither a code nor a label of the question (codes and labels are matched
  ignoring case, extra spaces and curly quotes; see :func:`surveys.questions.normalise_text`);
* a required answer missing where the question applies;
* an impossible combination: an answer to a question the routing skipped (for example skills
  questions answered by someone who never goes online), or a rule in
  :attr:`surveys.questions.QuestionSet.consistency_rules` (for example "mostly uses their own
  smartphone" with "no smartphone");
* a postcode that is not a UK postcode or that the council's lookup does not know, a ward or LSOA
  code the council does not know, or a postcode and ward code that disagree;
* a survey tool response id given twice.

Where a question the routing depends on is itself wrong or missing, the questions that follow from
it are not also reported, so one mistake gives one message.

Row numbers are spreadsheet rows: the header is row 1, the first response row 2.

De-duplication: each response gets a ``content_hash``, the SHA-256 of its answer codes in the
question-set order together with the survey tool's response id if the file has one.  Without a
response id, two identical rows in one file are told apart by their order (the first is
occurrence 0, the next 1, ...), so importing the same file again gives the same hashes and
nothing is duplicated, while two residents who happen to answer alike are both kept.
``file_hash`` is the SHA-256 of the file's bytes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import zipfile
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from core.errors import DomainError
from core.postcodes import normalise_postcode
from surveys.questions import (
    MISSING_TOKENS,
    QUESTION_SET,
    SOURCE_ID_COLUMN,
    Question,
    QuestionSet,
    csv_template_columns,
    normalise_text,
)

_LSOA_CODE = re.compile(r"^[EW]01\d{6}$")

Source = str | os.PathLike[str] | bytes | IO[bytes]
"""A file path, the file's bytes, or an open binary file."""


@dataclass(frozen=True, order=True)
class ImportProblem:
    """One problem in an import file: spreadsheet ``row`` (header = 1), ``column`` and ``reason``."""

    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.reason}"


class SurveyImportError(DomainError):
    """The file cannot be imported; ``problems`` lists every problem found, in row order."""

    def __init__(self, problems: Iterable[ImportProblem], *, filename: str | None = None) -> None:
        self.problems: tuple[ImportProblem, ...] = tuple(problems)
        self.filename = filename
        where = f" in {filename}" if filename else ""
        count = len(self.problems)
        first = f" The first is {self.problems[0]}." if self.problems else ""
        noun = "problem" if count == 1 else "problems"
        super().__init__(
            f"Nothing was imported: {count} {noun} found{where}.{first} "
            "Fix every problem listed and upload the file again.",
            field="file",
        )


@dataclass(frozen=True)
class ImportedResponses:
    """A fully valid import.

    ``responses`` has one row per response: ``row_number``, ``content_hash``, the optional
    ``source_response_id`` and one column per question holding answer codes (missing = NA).
    ``ward_code`` is filled from the postcode where only a postcode was given, and
    ``lsoa21_code`` from the postcode where a lookup was given.
    """

    responses: pd.DataFrame
    file_hash: str
    question_set_version: str
    ignored_columns: tuple[str, ...]

    @property
    def content_hashes(self) -> list[str]:
        """The content hash of each response, in file order."""
        return self.responses["content_hash"].tolist()


# -- reading the file ---------------------------------------------------------------------------


def _read_bytes(source: Source) -> tuple[bytes, str | None]:
    if isinstance(source, bytes):
        return source, None
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        return path.read_bytes(), path.name
    data = source.read()
    return data, getattr(source, "name", None)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _rows_from_xlsx(data: bytes, sheet: str | None) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            raise SurveyImportError(
                [ImportProblem(1, "", f"the workbook has no sheet called {sheet!r}")]
            )
        worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
        rows: list[tuple[int, list[str]]] = []
        for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
            rows.append((number, [_cell_text(value) for value in values]))
        return rows
    finally:
        workbook.close()


def _rows_from_csv(data: bytes) -> list[tuple[int, list[str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on Windows saves "CSV" as Windows-1252 unless told otherwise.
        text = data.decode("cp1252", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""))
    return [(number, row) for number, row in enumerate(reader, start=1)]


def _read_table(data: bytes, sheet: str | None) -> list[tuple[int, list[str]]]:
    if data[:4] == b"PK\x03\x04":
        try:
            return _rows_from_xlsx(data, sheet)
        except zipfile.BadZipFile as error:
            raise SurveyImportError(
                [ImportProblem(1, "", f"the Excel file cannot be opened ({error})")]
            ) from error
    return _rows_from_csv(data)


def _in_file_order(items: Iterable[ImportProblem], columns: list[str]) -> list[ImportProblem]:
    position = {column: index for index, column in enumerate(columns)}
    return sorted(items, key=lambda item: (item.row, position.get(item.column, -1), item.reason))


def _header_key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", normalise_text(name))


# -- checks -------------------------------------------------------------------------------------


class _Problems:
    """Collects problems; masks select the rows, ``reason`` is text or a function of cell values."""

    def __init__(self) -> None:
        self.items: list[ImportProblem] = []

    def add(
        self,
        rows: pd.Series,
        mask: pd.Series,
        column: str,
        reason: str | Callable[..., str],
        *values: pd.Series,
    ) -> None:
        selected = mask.astype("boolean").fillna(False).astype(bool)
        if not selected.any():
            return
        numbers = rows[selected].tolist()
        if isinstance(reason, str):
            self.items.extend(ImportProblem(int(row), column, reason) for row in numbers)
            return
        arguments = [series[selected].tolist() for series in values]
        for row, *cells in zip(numbers, *arguments, strict=True):
            self.items.append(ImportProblem(int(row), column, reason(*cells)))


def _translate(column: pd.Series, function: Callable[[str], str | None]) -> pd.Series:
    """Apply ``function`` to each distinct non-missing text once (answers repeat a lot)."""
    codes, uniques = pd.factorize(column.to_numpy(dtype=object), use_na_sentinel=True)
    translated = np.array([function(str(value)) for value in uniques] + [None], dtype=object)
    return pd.Series(translated[codes], index=column.index, dtype=object)


def _decoder(question: Question) -> Callable[[str], str | None]:
    lookup = question.lookup

    def decode(text: str) -> str | None:
        return lookup.get(normalise_text(text))

    return decode


def _allowed_text(question: Question) -> str:
    pairs = [f"{answer.code} ({answer.label})" for answer in question.answers]
    return "; ".join(pairs)


def _decode_choices(
    raw: pd.DataFrame, question_set: QuestionSet, rows: pd.Series, problems: _Problems
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Map texts to codes; return the codes and a mask of cells whose text was not understood."""
    codes = pd.DataFrame(index=raw.index)
    bad = pd.DataFrame(False, index=raw.index, columns=list(question_set.columns))
    for question in question_set.questions:
        column = raw[question.column]
        if question.kind != "choice":
            codes[question.column] = column
            continue
        mapped = _translate(column, _decoder(question))
        unknown = column.notna() & mapped.isna()
        allowed = _allowed_text(question)
        problems.add(
            rows,
            unknown,
            question.column,
            lambda text, allowed=allowed: f"unknown answer {text!r}; allowed answers are {allowed}",
            column,
        )
        bad[question.column] = unknown.to_numpy(dtype=bool)
        codes[question.column] = mapped.astype(object).where(mapped.notna(), None)
    return codes, bad


def _check_routing(
    codes: pd.DataFrame,
    bad: pd.DataFrame,
    question_set: QuestionSet,
    rows: pd.Series,
    problems: _Problems,
) -> None:
    missing_or_bad = codes[list(question_set.columns)].isna() | bad
    for question in question_set.questions:
        if question.kind != "choice":
            continue
        applies = question.applies_frame(codes)
        # One mistake, one message: skip follow-on checks where a routing question is wrong.
        uncertain = pd.Series(False, index=codes.index)
        for parent in question.parents:
            uncertain |= missing_or_bad[parent]
        answered = codes[question.column].notna()
        routing = question.routing_text[0].lower() + question.routing_text[1:]
        problems.add(
            rows,
            answered & ~applies & ~uncertain,
            question.column,
            f"impossible combination: answered, but this question is only asked of {routing}",
        )
        if question.required:
            missing = applies & ~answered & ~bad[question.column]
            problems.add(rows, missing, question.column, "missing required answer")
    for rule in question_set.consistency_rules:
        problems.add(rows, rule.broken_frame(codes), rule.column, rule.reason)


def _upper(series: pd.Series) -> pd.Series:
    return series.map(lambda text: text.strip().upper(), na_action="ignore").astype(object)


def _check_location(
    codes: pd.DataFrame,
    rows: pd.Series,
    problems: _Problems,
    *,
    known_ward_codes: Collection[str],
    postcode_to_ward: Callable[[str], str | None] | None,
    postcode_to_lsoa: Callable[[str], str | None] | None,
    known_lsoa_codes: Collection[str] | None,
) -> pd.DataFrame:
    known_wards = {code.strip().upper() for code in known_ward_codes}
    result = codes.copy()

    postcode_raw = codes["postcode"]
    normalised = postcode_raw.map(normalise_postcode, na_action="ignore").astype(object)
    problems.add(
        rows,
        postcode_raw.notna() & normalised.isna(),
        "postcode",
        lambda text: f"not a UK postcode: {text!r}",
        postcode_raw,
    )
    # Each distinct postcode is looked up once, however many people share it.
    distinct = sorted(set(normalised.dropna().tolist()))
    if postcode_to_ward is None:
        postcode_ward = pd.Series(None, index=codes.index, dtype=object)
    else:
        ward_of = {postcode: postcode_to_ward(postcode) for postcode in distinct}
        postcode_ward = normalised.map(ward_of, na_action="ignore").astype(object)
        problems.add(
            rows,
            normalised.notna() & postcode_ward.isna(),
            "postcode",
            lambda postcode: f"unknown postcode {postcode}: it is not in the council's area lookup",
            normalised,
        )
    problems.add(
        rows,
        postcode_ward.notna() & ~postcode_ward.isin(known_wards),
        "postcode",
        lambda postcode, ward: (
            f"postcode {postcode} is in ward {ward}, which is not one of the council's wards"
        ),
        normalised,
        postcode_ward,
    )

    ward_given = _upper(codes["ward_code"])
    bad_ward = ward_given.notna() & ~ward_given.isin(known_wards)
    problems.add(
        rows,
        bad_ward,
        "ward_code",
        lambda ward: (
            f"unknown ward code {ward!r}: use the ONS code (E05...) of one of the council's wards"
        ),
        ward_given,
    )
    problems.add(
        rows,
        codes["postcode"].isna() & ward_given.isna(),
        "ward_code",
        "missing required answer: give a postcode or a ward code",
    )
    disagree = ward_given.notna() & postcode_ward.notna() & ~bad_ward
    disagree &= ward_given.fillna("") != postcode_ward.fillna("")
    problems.add(
        rows,
        disagree,
        "ward_code",
        lambda ward, postcode, other: (
            f"impossible combination: ward code {ward} does not match ward {other} "
            f"of postcode {postcode}"
        ),
        ward_given,
        normalised,
        postcode_ward,
    )
    result["postcode"] = normalised
    result["ward_code"] = ward_given.where(ward_given.notna(), postcode_ward).astype(object)

    lsoa_given = _upper(codes["lsoa21_code"])
    if known_lsoa_codes is not None:
        known_lsoas = {code.strip().upper() for code in known_lsoa_codes}
        bad_lsoa = lsoa_given.notna() & ~lsoa_given.isin(known_lsoas)
        hint = "it is not one of the council's LSOAs"
    else:
        looks_right = lsoa_given.map(lambda code: bool(_LSOA_CODE.match(code)), na_action="ignore")
        bad_lsoa = lsoa_given.notna() & ~looks_right.eq(True)
        hint = "an LSOA 2021 code looks like E01012345"
    problems.add(
        rows,
        bad_lsoa,
        "lsoa21_code",
        lambda code: f"unknown LSOA code {code!r}: {hint}",
        lsoa_given,
    )
    lsoa = lsoa_given
    if postcode_to_lsoa is not None:
        lsoa_of = {postcode: postcode_to_lsoa(postcode) for postcode in distinct}
        postcode_lsoa = normalised.map(lsoa_of, na_action="ignore").astype(object)
        disagree_lsoa = lsoa_given.notna() & postcode_lsoa.notna() & ~bad_lsoa
        disagree_lsoa &= lsoa_given.fillna("") != postcode_lsoa.fillna("")
        problems.add(
            rows,
            disagree_lsoa,
            "lsoa21_code",
            lambda code, postcode, other: (
                f"impossible combination: LSOA code {code} does not match LSOA {other} "
                f"of postcode {postcode}"
            ),
            lsoa_given,
            normalised,
            postcode_lsoa,
        )
        lsoa = lsoa_given.where(lsoa_given.notna(), postcode_lsoa)
    result["lsoa21_code"] = lsoa.astype(object)
    return result


def _content_hashes(codes: pd.DataFrame, columns: list[str]) -> pd.Series:
    canonical = [
        json.dumps(values, separators=(",", ":"), ensure_ascii=False)
        for values in codes[columns]
        .astype(object)
        .where(codes[columns].notna(), None)
        .itertuples(index=False, name=None)
    ]
    series = pd.Series(canonical, index=codes.index, dtype=object)
    has_id = codes[SOURCE_ID_COLUMN].notna()
    # Identical answers without a tool id are told apart by order, so a re-import matches.
    occurrence = series.groupby(series).cumcount()
    keyed = series + "|" + occurrence.astype(str)
    keyed = keyed.where(~has_id, series + "|id:" + codes[SOURCE_ID_COLUMN].astype(object))
    return keyed.map(lambda text: hashlib.sha256(text.encode("utf-8")).hexdigest()).rename(
        "content_hash"
    )


def read_responses(
    source: Source,
    *,
    known_ward_codes: Collection[str],
    postcode_to_ward: Callable[[str], str | None] | None,
    postcode_to_lsoa: Callable[[str], str | None] | None = None,
    known_lsoa_codes: Collection[str] | None = None,
    filename: str | None = None,
    sheet: str | None = None,
    question_set: QuestionSet = QUESTION_SET,
) -> ImportedResponses:
    """Read and check a CSV or Excel (xlsx) export; return the responses only if all are valid.

    Parameters
    ----------
    source:
        A path, the file's bytes, or an open binary file.  Excel files are recognised from their
        content (xlsx is a zip file); anything else is read as CSV (UTF-8, with or without a BOM;
        Windows-1252 if it is not UTF-8).
    known_ward_codes:
        The council's ward codes (ONS ``E05…``, the current vintage).
    postcode_to_ward:
        Returns the ward code of a normalised postcode (``"TW3 1ES"``), or ``None`` if unknown.
        It is called once per distinct postcode and must not reach the network.  ``None``
        means the council has no postcode lookup: postcodes are then checked for format only,
        and a response's ward is only the ``ward_code`` it gives (possibly none).
    postcode_to_lsoa:
        Optional: returns the LSOA 2021 code of a postcode; used to fill ``lsoa21_code``.
    known_lsoa_codes:
        Optional: the council's LSOA 2021 codes; when given, ``lsoa21_code`` must be one of them.
    filename:
        Name used in messages (taken from the path or file object when not given).
    sheet:
        Excel sheet to read; the first sheet by default.
    question_set:
        The question set the file follows.

    Returns
    -------
    ImportedResponses
        The responses, the file hash and the question-set version.

    Raises
    ------
    SurveyImportError
        If anything is wrong; ``problems`` lists every problem as (row, column, reason).
    """
    data, source_name = _read_bytes(source)
    name = filename or source_name
    file_hash = hashlib.sha256(data).hexdigest()
    table = _read_table(data, sheet)
    # Fully blank lines (common at the end of exports) are not responses.
    table = [(number, row) for number, row in table if any(cell.strip() for cell in row)]
    if not table:
        raise SurveyImportError([ImportProblem(1, "", "the file is empty")], filename=name)
    header_number, header = table[0]
    body = table[1:]

    problems = _Problems()
    expected = csv_template_columns(question_set)
    by_key = {_header_key(column): column for column in expected}
    by_key.update({_header_key(q.id): q.column for q in question_set.questions})
    positions: dict[str, int] = {}
    ignored: list[str] = []
    for position, heading in enumerate(header):
        column = by_key.get(_header_key(heading))
        if column is None:
            if heading.strip():
                ignored.append(heading.strip())
            continue
        if column in positions:
            problems.items.append(
                ImportProblem(header_number, column, "this column appears more than once")
            )
            continue
        positions[column] = position
    for question in question_set.questions:
        if question.required and question.column not in positions:
            problems.items.append(
                ImportProblem(header_number, question.column, "required column is missing")
            )
    if "postcode" not in positions and "ward_code" not in positions:
        problems.items.append(
            ImportProblem(
                header_number, "ward_code", "the file needs a postcode or a ward_code column"
            )
        )
    if problems.items:
        raise SurveyImportError(_in_file_order(problems.items, expected), filename=name)
    if not body:
        raise SurveyImportError(
            [ImportProblem(header_number + 1, "", "the file has a header but no responses")],
            filename=name,
        )

    width = len(header)
    long_rows = [number for number, row in body if len(row) > width and any(row[width:])]
    for number in long_rows:
        problems.items.append(ImportProblem(number, "", "this row has more cells than the header"))
    cells = pd.DataFrame([row[:width] + [""] * (width - len(row)) for _, row in body], dtype=object)
    raw = pd.DataFrame(index=cells.index)
    for column in expected:
        at = positions.get(column)
        if at is None:
            raw[column] = pd.Series(None, index=cells.index, dtype=object)
            continue
        raw[column] = _translate(
            cells[at],
            lambda text: None if normalise_text(text) in MISSING_TOKENS else text.strip(),
        )
    rows = pd.Series([number for number, _ in body], index=raw.index, name="row_number")

    codes, bad = _decode_choices(raw, question_set, rows, problems)
    codes[SOURCE_ID_COLUMN] = raw[SOURCE_ID_COLUMN]
    _check_routing(codes, bad, question_set, rows, problems)
    located = _check_location(
        codes,
        rows,
        problems,
        known_ward_codes=known_ward_codes,
        postcode_to_ward=postcode_to_ward,
        postcode_to_lsoa=postcode_to_lsoa,
        known_lsoa_codes=known_lsoa_codes,
    )
    ids = located[SOURCE_ID_COLUMN]
    problems.add(
        rows,
        ids.notna() & ids.duplicated(keep="first"),
        SOURCE_ID_COLUMN,
        lambda text: f"response id {text!r} appears more than once in the file",
        ids,
    )
    if problems.items:
        raise SurveyImportError(_in_file_order(problems.items, expected), filename=name)

    answer_columns = [SOURCE_ID_COLUMN, *question_set.columns]
    responses = located[answer_columns].copy()
    responses.insert(0, "content_hash", _content_hashes(located, answer_columns))
    responses.insert(0, "row_number", rows)
    return ImportedResponses(
        responses=responses.reset_index(drop=True),
        file_hash=file_hash,
        question_set_version=question_set.version,
        ignored_columns=tuple(ignored),
    )


def template_example_row(question_set: QuestionSet = QUESTION_SET) -> dict[str, str]:
    """Return one example response (answer codes) that passes every check, for the template."""
    example: dict[str, str] = {
        SOURCE_ID_COLUMN: "example-1",
        "postcode": "TW3 1ES",
        "ward_code": "",
        "lsoa21_code": "",
        "age_band": "65-74",
        "disability": "no",
        "language": "english",
        "device_smartphone": "own",
        "device_tablet": "shared",
        "device_computer": "none",
        "home_connection": "fixed",
        "mobile_data": "enough",
        "online_frequency": "weekly",
        "main_device": "smartphone",
        "confidence": "fairly",
        "wants_help": "yes",
        "consent_follow_up": "no",
    }
    for question in question_set.questions:
        if question.column in example:
            continue
        if question.column.startswith(("fnd_", "life_")):
            example[question.column] = (
                "alone"
                if question.column.endswith(
                    ("turn_on", "controls", "apps", "wifi", "browser", "messages", "search", "buy")
                )
                else "help"
            )
        elif question.column.startswith("work_"):
            example[question.column] = "not_applicable"
        elif question.column.startswith("barrier_"):
            example[question.column] = "yes" if question.column == "barrier_skills" else "no"
        else:
            example[question.column] = ""
    return {column: example.get(column, "") for column in csv_template_columns(question_set)}


def write_template(
    path_or_buffer: str | os.PathLike[str] | IO[str],
    *,
    question_set: QuestionSet = QUESTION_SET,
) -> None:
    """Write the CSV import template: a header row and one example row (UTF-8).

    Parameters
    ----------
    path_or_buffer:
        A file path (written as UTF-8 with a BOM, so Excel shows accents correctly) or an open
        text file.
    """
    columns = csv_template_columns(question_set)
    example = template_example_row(question_set)

    def write(handle: IO[str]) -> None:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(columns)
        writer.writerow([example[column] for column in columns])

    if isinstance(path_or_buffer, str | os.PathLike):
        with open(path_or_buffer, "w", encoding="utf-8-sig", newline="") as handle:
            write(handle)
    else:
        write(path_or_buffer)


def problems_frame(problems: Iterable[ImportProblem]) -> pd.DataFrame:
    """Return problems as a table (row, column, reason) for showing or downloading."""
    items = list(problems)
    return pd.DataFrame(
        {
            "row": [item.row for item in items],
            "column": [item.column for item in items],
            "reason": [item.reason for item in items],
        }
    )
