"""Importing survey exports: every problem at once, nothing partial, stable hashes."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from core.errors import DomainError
from surveys.importing import SurveyImportError, read_responses, write_template
from surveys.questions import QUESTION_SET, csv_template_columns
from tests.surveys.factories import (
    OTHER_WARD,
    WARD,
    csv_bytes,
    offline_answers,
    online_answers,
)

POSTCODES = {"TW3 1ES": WARD, "TW4 5AA": OTHER_WARD, "SW1A 1AA": "E05000644"}
LSOAS = {"TW3 1ES": "E01002560"}


def read(data: bytes, **options: object):  # type: ignore[no-untyped-def]
    return read_responses(
        data,
        known_ward_codes={WARD, OTHER_WARD},
        postcode_to_ward=POSTCODES.get,
        **options,  # type: ignore[arg-type]
    )


def test_template_round_trips() -> None:
    buffer = io.StringIO()
    write_template(buffer)
    lines = buffer.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].split(",") == csv_template_columns()
    result = read(buffer.getvalue().encode("utf-8"))
    assert len(result.responses) == 1
    assert result.responses.loc[0, "ward_code"] == WARD  # from the example postcode
    assert result.question_set_version == "2026.1"


def test_template_file_has_a_bom_for_excel(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "template.csv"
    write_template(path)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert len(read(path.read_bytes()).responses) == 1


def test_valid_file_gives_codes() -> None:
    result = read(csv_bytes([online_answers(), offline_answers()]))
    table = result.responses
    assert table["row_number"].tolist() == [2, 3]
    assert table["online_frequency"].tolist() == ["daily", "never"]
    assert table.loc[1, "fnd_wifi"] is None
    assert len(set(table["content_hash"])) == 2
    assert len(result.file_hash) == 64


def test_labels_are_accepted_as_well_as_codes() -> None:
    labelled = online_answers()
    for column, code in list(labelled.items()):
        if code is None or column in ("ward_code", "postcode", "lsoa21_code"):
            continue
        question = QUESTION_SET.by_column(column) if column in QUESTION_SET.columns else None
        if question is not None and question.answers:
            labelled[column] = question.label_for(code).upper()
    by_code = read(csv_bytes([online_answers()])).responses
    by_label = read(csv_bytes([labelled])).responses
    assert by_label.drop(columns="row_number").equals(by_code.drop(columns="row_number"))


def test_every_problem_is_reported_at_once_and_nothing_is_returned() -> None:
    rows = [
        online_answers(age_band="14-15"),  # row 2: unknown answer code
        online_answers(confidence=None),  # row 3: missing required answer
        offline_answers(fnd_wifi="alone", life_tra_bank="help"),  # row 4: never online + skills
        online_answers(device_smartphone="none", mobile_data=None, main_device="smartphone"),
        online_answers(ward_code="E05999999"),  # row 6: unknown ward
        online_answers(ward_code=None, postcode="ZZ1 1ZZ"),  # row 7: unknown postcode
        online_answers(ward_code=None, postcode="not a postcode"),  # row 8
        online_answers(ward_code=WARD, postcode="TW4 5AA"),  # row 9: ward and postcode disagree
        online_answers(ward_code=None),  # row 10: no location
        online_answers(),  # row 11: fine
    ]
    with pytest.raises(SurveyImportError) as caught:
        read(csv_bytes(rows), filename="survey.csv")
    problems = caught.value.problems
    found = {(p.row, p.column) for p in problems}
    assert found == {
        (2, "age_band"),
        (3, "confidence"),
        (4, "fnd_wifi"),
        (4, "life_tra_bank"),
        (5, "main_device"),
        (6, "ward_code"),
        (7, "postcode"),
        (8, "postcode"),
        (9, "ward_code"),
        (10, "ward_code"),
    }
    reasons = {(p.row, p.column): p.reason for p in problems}
    assert reasons[(2, "age_band")].startswith("unknown answer '14-15'")
    assert reasons[(3, "confidence")] == "missing required answer"
    assert "impossible combination" in reasons[(4, "fnd_wifi")]
    assert "no smartphone" in reasons[(5, "main_device")]
    assert "unknown ward code 'E05999999'" in reasons[(6, "ward_code")]
    assert "unknown postcode ZZ1 1ZZ" in reasons[(7, "postcode")]
    assert "not a UK postcode" in reasons[(8, "postcode")]
    assert "does not match" in reasons[(9, "ward_code")]
    assert "give a postcode or a ward code" in reasons[(10, "ward_code")]
    assert [p.row for p in problems] == sorted(p.row for p in problems)
    assert isinstance(caught.value, DomainError)
    assert "10 problems" in caught.value.message and "survey.csv" in caught.value.message


def test_a_wrong_routing_answer_is_reported_once() -> None:
    row = online_answers(online_frequency="sometimes")
    with pytest.raises(SurveyImportError) as caught:
        read(csv_bytes([row]))
    assert [(p.row, p.column) for p in caught.value.problems] == [(2, "online_frequency")]


def test_missing_required_column_is_reported_on_the_header_row() -> None:
    columns = [c for c in csv_template_columns() if c not in ("age_band", "wants_help")]
    with pytest.raises(SurveyImportError) as caught:
        read(csv_bytes([online_answers()], columns=columns))
    assert {(p.row, p.column) for p in caught.value.problems} == {
        (1, "age_band"),
        (1, "wants_help"),
    }


def test_empty_and_header_only_files_are_refused() -> None:
    with pytest.raises(SurveyImportError, match="empty"):
        read(b"\n\n")
    with pytest.raises(SurveyImportError, match="no responses"):
        read(csv_bytes([]))


def test_reimporting_the_same_file_gives_the_same_hashes() -> None:
    data = csv_bytes([online_answers(), offline_answers(), online_answers(age_band="16-24")])
    first, second = read(data), read(data)
    assert first.content_hashes == second.content_hashes
    assert first.file_hash == second.file_hash
    changed = read(
        csv_bytes([online_answers(), offline_answers(), online_answers(age_band="25-34")])
    )
    assert changed.content_hashes[:2] == first.content_hashes[:2]
    assert changed.content_hashes[2] != first.content_hashes[2]
    assert changed.file_hash != first.file_hash


def test_identical_answers_from_two_people_are_both_kept() -> None:
    data = csv_bytes([offline_answers(), offline_answers()])
    hashes = read(data).content_hashes
    assert len(set(hashes)) == 2
    assert read(data).content_hashes == hashes
    # Appending a third response leaves the first two hashes unchanged.
    longer = read(csv_bytes([offline_answers(), offline_answers(), online_answers()]))
    assert longer.content_hashes[:2] == hashes


def test_survey_tool_ids_are_used_and_must_be_unique() -> None:
    rows = [offline_answers(source_response_id="A1"), offline_answers(source_response_id="A2")]
    a = read(csv_bytes(rows)).content_hashes
    b = read(csv_bytes(rows[::-1])).content_hashes
    assert a == b[::-1]
    with pytest.raises(SurveyImportError) as caught:
        read(csv_bytes([rows[0], rows[0]]))
    assert [(p.row, p.column) for p in caught.value.problems] == [(3, "source_response_id")]


def test_postcode_fills_ward_and_lsoa() -> None:
    row = online_answers(ward_code=None, postcode="tw31es")
    result = read(csv_bytes([row]), postcode_to_lsoa=LSOAS.get)
    assert result.responses.loc[0, "postcode"] == "TW3 1ES"
    assert result.responses.loc[0, "ward_code"] == WARD
    assert result.responses.loc[0, "lsoa21_code"] == "E01002560"


def test_unknown_lsoa_code_is_reported() -> None:
    row = online_answers(lsoa21_code="E01000001")
    with pytest.raises(SurveyImportError) as caught:
        read(csv_bytes([row]), known_lsoa_codes={"E01002560"})
    assert [(p.row, p.column) for p in caught.value.problems] == [(2, "lsoa21_code")]


def test_extra_columns_are_ignored_and_listed() -> None:
    columns = [*csv_template_columns(), "IP address"]
    result = read(csv_bytes([online_answers()], columns=columns))
    assert result.ignored_columns == ("IP address",)


def test_excel_export_reads_like_csv() -> None:
    rows = [online_answers(), offline_answers()]
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(csv_template_columns())
    for row in rows:
        sheet.append([row.get(column) for column in csv_template_columns()])
    buffer = io.BytesIO()
    workbook.save(buffer)
    from_excel = read(buffer.getvalue())
    from_csv = read(csv_bytes(rows))
    assert from_excel.content_hashes == from_csv.content_hashes
    assert from_excel.file_hash != from_csv.file_hash


def test_excel_errors_name_the_spreadsheet_row() -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(csv_template_columns())
    sheet.append([])  # a blank row in the middle is skipped, but rows keep their numbers
    bad = online_answers(confidence="amazing")
    sheet.append([bad.get(column) for column in csv_template_columns()])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(SurveyImportError) as caught:
        read(buffer.getvalue())
    assert [(p.row, p.column) for p in caught.value.problems] == [(3, "confidence")]


def test_without_a_postcode_lookup_postcodes_are_checked_for_format_only() -> None:
    rows = [
        online_answers(ward_code=None, postcode="tw3 1es"),
        online_answers(ward_code=WARD, postcode="SW1A 1AA"),
        online_answers(ward_code=None, postcode="not a postcode"),
    ]
    with pytest.raises(SurveyImportError) as caught:
        read_responses(csv_bytes(rows), known_ward_codes={WARD}, postcode_to_ward=None)
    assert [(p.row, p.column) for p in caught.value.problems] == [(4, "postcode")]
    result = read_responses(csv_bytes(rows[:2]), known_ward_codes={WARD}, postcode_to_ward=None)
    assert result.responses["postcode"].tolist() == ["TW3 1ES", "SW1A 1AA"]
    # No lookup: a postcode alone gives no ward, and a ward given is kept as it is.
    assert result.responses["ward_code"].isna().tolist() == [True, False]
    assert result.responses.loc[1, "ward_code"] == WARD
