"""Importing survey exports on the planner page: every problem at once, nothing half-stored."""

from __future__ import annotations

import io

import pandas as pd
from flask.testing import FlaskClient
from openpyxl import Workbook
from sqlalchemy import func, select

from core.audit import AuditEvent
from surveys.models import SurveyImport, SurveyResponse
from surveys.questions import csv_template_columns
from tests.app.surveys.helpers import store_areas, survey_csv, survey_frame
from tests.databases import Database
from tests.factories import make_user, sign_in
from tests.pages import parse
from tests.surveys.factories import csv_bytes, offline_answers, online_answers


def _planner(client: FlaskClient, db: Database) -> None:
    with db.factory() as session:
        store_areas(session)
        sign_in(client, make_user(session, roles=["planner"]))


def _upload(client: FlaskClient, data: bytes, name: str = "responses.csv"):  # type: ignore[no-untyped-def]
    return client.post(
        "/surveys/import",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def _counts(db: Database) -> tuple[int, int]:
    with db.factory() as session:
        return (
            session.scalar(select(func.count()).select_from(SurveyResponse)) or 0,
            session.scalar(select(func.count()).select_from(SurveyImport)) or 0,
        )


def test_the_import_page_offers_the_template_and_a_file_upload(
    client: FlaskClient, db: Database
) -> None:
    _planner(client, db)
    page = parse(client.get("/surveys/import"))
    assert page.h1 == "Import survey responses"
    assert page.soup.select_one("input[type=file][name=file]") is not None
    assert (
        page.soup.select_one('form[action="/surveys/import"]')["enctype"] == "multipart/form-data"
    )
    assert page.soup.find("a", href="/survey/template.csv") is not None


def test_a_bad_file_lists_every_problem_and_stores_nothing(
    client: FlaskClient, db: Database
) -> None:
    _planner(client, db)
    rows = [
        online_answers(ward_code="E05900001", age_band="14-15"),  # row 2: unknown answer
        online_answers(ward_code="E05900001", confidence=None),  # row 3: missing answer
        offline_answers(ward_code="E05900002", fnd_wifi="alone"),  # row 4: routing
        online_answers(ward_code="E05999999"),  # row 5: unknown ward
        online_answers(ward_code="E05900001"),  # row 6: fine
    ]
    page = parse(_upload(client, csv_bytes(rows)))
    assert page.status == 200
    assert page.title.startswith("Error: Import survey responses")
    assert len(page.error_summary) == 1
    assert page.error_summary[0].startswith(
        "Nothing was imported: 4 problems found in responses.csv"
    )
    table = page.soup.select("table")[0]
    assert "Problems to fix (4)" in table.select_one("caption").get_text()
    cells = [
        [cell.get_text(strip=True) for cell in row.select("td")] for row in table.select("tbody tr")
    ]
    assert [(row[0], row[1]) for row in cells] == [
        ("2", "age_band"),
        ("3", "confidence"),
        ("4", "fnd_wifi"),
        ("5", "ward_code"),
    ]
    assert "unknown answer '14-15'" in cells[0][2]
    assert cells[1][2] == "missing required answer"
    assert "impossible combination" in cells[2][2]
    assert "unknown ward code 'E05999999'" in cells[3][2]
    assert _counts(db) == (0, 0)


def test_importing_the_same_file_twice_stores_each_response_once(
    client: FlaskClient, db: Database
) -> None:
    _planner(client, db)
    data = survey_csv(120)
    first = _upload(client, data, "survey-tool-export.csv")
    assert first.status_code == 302
    result = parse(client.get(first.headers["Location"]))
    assert result.h1 == "Import of survey-tool-export.csv"
    assert "120 new responses stored from survey-tool-export.csv. 0 already imported." in (
        result.text()
    )
    assert _counts(db) == (120, 1)

    again = parse(client.get(_upload(client, data, "survey-tool-export.csv").headers["Location"]))
    assert "0 new responses stored from survey-tool-export.csv. 120 already imported." in (
        again.text()
    )
    assert "120 already imported (not stored again)" in again.text()
    assert _counts(db) == (120, 2)

    # A later export with 30 more responses adds only those.
    bigger = pd.concat([survey_frame(120), survey_frame(30, seed=6)], ignore_index=True)
    later = bigger.to_csv(index=False).encode("utf-8")
    more = parse(client.get(_upload(client, later).headers["Location"]))
    assert "30 new responses stored" in more.text() and "120 already imported" in more.text()
    assert _counts(db) == (150, 3)
    with db.factory() as session:
        sources = set(session.scalars(select(SurveyResponse.source)))
        personas = set(session.scalars(select(SurveyResponse.persona_name)))
        audited = session.scalars(
            select(AuditEvent.details).where(AuditEvent.action == "survey.imported")
        ).all()
    assert sources == {"import"}
    assert {"Offline Olive", "Confident Kate"} <= personas
    assert [details["stored"] for details in audited] == [120, 0, 30]


def test_an_excel_export_is_imported(client: FlaskClient, db: Database) -> None:
    _planner(client, db)
    workbook = Workbook()
    sheet = workbook.active
    columns = csv_template_columns()
    sheet.append(columns)
    for row in (online_answers(ward_code="E05900001"), offline_answers(ward_code="E05900002")):
        sheet.append([row.get(column) for column in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = _upload(client, buffer.getvalue(), "export.xlsx")
    assert response.status_code == 302
    assert _counts(db) == (2, 1)


def test_no_file_and_a_wrong_kind_of_file_are_refused(client: FlaskClient, db: Database) -> None:
    _planner(client, db)
    empty = parse(client.post("/surveys/import", data={}))
    assert empty.error_summary == ["Select a CSV or Excel file"]
    wrong = parse(_upload(client, b"hello", "notes.txt"))
    assert wrong.error_summary == ["The selected file must be a CSV or XLSX"]
    blank = parse(_upload(client, b"", "blank.csv"))
    assert blank.error_summary and "the file is empty" in blank.text()
    assert _counts(db) == (0, 0)


def test_only_planners_and_administrators_import(client: FlaskClient, db: Database) -> None:
    with db.factory() as session:
        sign_in(client, make_user(session, roles=["councillor"]))
    assert client.get("/surveys/import").status_code == 403
    assert _upload(client, survey_csv(5)).status_code == 403


def test_the_template_and_data_dictionary_are_public(client: FlaskClient) -> None:
    template = client.get("/survey/template.csv")
    assert template.status_code == 200
    assert template.headers["Content-Disposition"].startswith("attachment")
    lines = template.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].split(",") == csv_template_columns()
    page = parse(client.get("/survey/question-set"))
    assert page.h1 == "Survey questions and data dictionary"
    text = page.text()
    assert "fnd_wifi" in text and "Connect a device to a Wi-Fi network" in text
    assert "People who go online (online_frequency is not 'never')" in text
    dictionary = client.get("/survey/question-set.csv").get_data(as_text=True)
    assert dictionary.count("\n") == len(csv_template_columns()) + 1
