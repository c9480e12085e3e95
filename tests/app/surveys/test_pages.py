"""Planner, councillor and coordinator pages: estimates, the index, persona rules, ward figures."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.surveys.areas import set_broadband_provider, stored_areas
from core.clock import now_utc
from surveys.models import SurveyResponse
from surveys.personas import default_persona_config
from surveys.services import (
    ContactDetails,
    import_responses,
    store_demo_imd,
    store_response,
)
from tests.app.surveys.helpers import WARDS, imd_series, store_areas, survey_csv
from tests.databases import Database
from tests.factories import make_user, sign_in
from tests.pages import parse
from tests.surveys.factories import offline_answers


@pytest.fixture
def surveyed(app: Flask, db: Database) -> Database:
    """The test areas with IMD deciles and 400 imported responses."""
    with db.factory() as session:
        store_areas(session)
        store_demo_imd(session, imd_series(), source="test deciles", now=now_utc())
        with app.app_context():
            context = stored_areas(session).context()
        import_responses(session, survey_csv(400), areas=context, now=now_utc(), filename="s.csv")
        session.commit()
    return db


def _as(client: FlaskClient, db: Database, role: str) -> None:
    with db.factory() as session:
        sign_in(client, make_user(session, roles=[role]))


def _table(page, caption: str) -> list[list[str]]:  # type: ignore[no-untyped-def]
    for table in page.soup.select("table"):
        if caption in table.select_one("caption").get_text():
            return [
                [cell.get_text(" ", strip=True) for cell in row.select("th, td")]
                for row in table.select("tbody tr")
            ]
    raise AssertionError(f"no table captioned {caption!r}")


def test_persona_mix_by_ward_with_intervals(client: FlaskClient, surveyed: Database) -> None:
    _as(client, surveyed, "planner")
    page = parse(client.get("/surveys/estimates"))
    assert page.h1 == "Personas and barriers by ward"
    assert "400 survey responses" in page.text()
    assert "Census 2021 ages of each ward" in page.text()
    rows = _table(page, "Persona mix by ward")
    assert [row[0] for row in rows] == ["Hilltop", "Riverside"]
    # Respondents who gave their age (about 1% prefer not to say and are left out).
    assert 380 <= sum(int(row[1]) for row in rows) <= 400
    # Each cell is a share with its 90% interval, for 6 personas.
    assert len(rows[0]) == 2 + 6
    assert all("%" in cell and " to " in cell for cell in rows[0][2:])
    barriers = _table(page, "What stops people going online")
    assert len(barriers[0]) == 2 + 7
    people = _table(page, "Adults in each persona")
    assert all(cell.replace(",", "").split(" ")[0].isdigit() for cell in people[0][2:])


def test_lsoa_estimates_flag_small_samples(client: FlaskClient, surveyed: Database) -> None:
    _as(client, surveyed, "planner")
    page = parse(client.get("/surveys/estimates?level=lsoa"))
    assert page.h1 == "Personas and barriers by LSOA"
    rows = _table(page, "Persona mix by LSOA")
    assert len(rows) == 6
    flagged = [row for row in rows if "Small sample" in row[0]]
    assert flagged == [row for row in rows if int(row[1]) < 30]
    download = client.get("/surveys/estimates.csv?level=lsoa")
    assert download.headers["Content-Disposition"] == (
        "attachment; filename=survey-estimates-by-lsoa.csv"
    )
    lines = download.get_data(as_text=True).splitlines()
    assert lines[1].startswith("area_code,area_name,outcome")
    assert len(lines) == 2 + 6 * (6 + 7)


def test_estimates_without_responses_say_so(client: FlaskClient, db: Database) -> None:
    with db.factory() as session:
        store_areas(session)
    _as(client, db, "planner")
    page = parse(client.get("/surveys/estimates"))
    assert "no responses have been stored" in page.text()


def test_the_index_page_shows_components_wards_and_correlations(
    client: FlaskClient, surveyed: Database
) -> None:
    _as(client, surveyed, "planner")
    page = parse(client.get("/surveys/index"))
    assert page.h1 == "Exclusion-risk index"
    assert "Broadband: not yet modelled." in page.text()
    wards = _table(page, "Index by ward")
    assert sorted(row[0] for row in wards) == sorted(WARDS.values())
    lsoas = _table(page, "Index by LSOA")
    assert len(lsoas) == 6
    scores = [float(row[-2]) for row in lsoas]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= score <= 10 for score in scores)
    correlations = _table(page, "Component correlation")
    assert [row[0] for row in correlations] == ["Demography", "Deprivation"]
    assert correlations[0][1] == "1.00"
    assert page.soup.select_one("input#demography")["value"] == "1"
    assert "Now 50% of the index" in page.text()


def test_custom_weights_change_the_index(client: FlaskClient, surveyed: Database) -> None:
    _as(client, surveyed, "planner")
    page = parse(client.get("/surveys/index?demography=0&deprivation=7"))
    assert page.error_summary == []
    assert "Now 100% of the index" in page.text() and "Now 0% of the index" in page.text()
    lsoas = _table(page, "Index by LSOA")
    # With all the weight on deprivation the index is the deprivation score: IMD decile 1 is 10.
    for row in lsoas:
        assert row[-2] == row[-3]
    assert lsoas[0][0].endswith("(E01900001)") and lsoas[0][-2] == "10.0"
    csv_text = client.get("/surveys/index.csv?demography=0&deprivation=7").get_data(as_text=True)
    assert "Demography 0, Deprivation 7" in csv_text


def test_bad_weights_are_refused_with_gov_uk_errors(
    client: FlaskClient, surveyed: Database
) -> None:
    _as(client, surveyed, "planner")
    page = parse(client.get("/surveys/index?demography=11&deprivation=x"))
    assert page.title.startswith("Error: ")
    assert page.error_summary == [
        "Demography weight must be a whole number from 0 to 10",
        "Deprivation weight must be a whole number from 0 to 10",
    ]
    zero = parse(client.get("/surveys/index?demography=0&deprivation=0"))
    assert zero.error_summary == ["At least one component weight must be above 0."]


def test_broadband_from_the_coverage_model_joins_the_index(
    app: Flask, client: FlaskClient, surveyed: Database
) -> None:
    slow = {"E01900001": 0.9, "E01900002": 0.5, "E01900003": 0.0}
    set_broadband_provider(
        app,
        lambda _session: pd.DataFrame(
            {"share_below_30mbps": [slow.get(f"E0190000{i}", 0.1) for i in range(1, 7)]},
            index=[f"E0190000{i}" for i in range(1, 7)],
        ),
    )
    _as(client, surveyed, "planner")
    page = parse(client.get("/surveys/index"))
    assert "not yet modelled" not in page.text()
    assert "Broadband weight" in page.text()
    correlations = _table(page, "Component correlation")
    assert [row[0] for row in correlations] == ["Demography", "Deprivation", "Broadband"]
    only = parse(client.get("/surveys/index?demography=0&deprivation=0&broadband=1"))
    lsoas = {row[0].split("(")[-1].rstrip(")"): float(row[-2]) for row in _table(only, "LSOA")}
    assert lsoas["E01900001"] == 10.0 and lsoas["E01900003"] == 0.0


def test_the_index_explains_what_to_load_when_nothing_is_stored(
    client: FlaskClient, db: Database
) -> None:
    _as(client, db, "planner")
    page = parse(client.get("/surveys/index"))
    assert "No census population is stored" in page.text()


def test_persona_rules_can_be_edited_and_responses_are_re_scored(
    client: FlaskClient, surveyed: Database
) -> None:
    _as(client, surveyed, "planner")
    page = parse(client.get("/surveys/personas"))
    assert page.h1 == "Persona rules"
    shown = json.loads(page.soup.select_one("textarea#config").get_text())
    assert shown == default_persona_config()
    personas = _table(page, "Personas in use")
    assert personas[0][0] == "Techy Terry"
    assert personas[-1][2] == "Everyone left"

    bad_json = parse(client.post("/surveys/personas", data={"config": "{not json"}))
    assert bad_json.error_summary[0].startswith("The persona rules are not valid JSON")
    config = default_persona_config()
    config["personas"][0]["rules"] = [{"field": "gds_scale", "op": ">=", "value": 12}]
    refused = parse(client.post("/surveys/personas", data={"config": json.dumps(config)}))
    assert refused.error_summary == [
        "Persona 1 (Techy Terry), rule 1: gds_scale runs from 1 to 9, so 12 can never match."
    ]

    # Everyone online is "Confident Kate" now: Techy Terry needs a scale of at least 10.
    config = default_persona_config()
    config["personas"] = [
        {"key": "online", "name": "Online", "description": "Goes online.",
         "rules": [{"field": "online", "op": "==", "value": True}]},
        {"key": "offline", "name": "Offline", "description": "Does not go online.", "rules": []},
    ]  # fmt: skip
    saved = client.post("/surveys/personas", data={"config": json.dumps(config)})
    assert saved.status_code == 302
    after = parse(client.get("/surveys/personas"))
    assert "Persona rules saved. 400 responses were given personas again." in after.text()
    with surveyed.factory() as session:
        names = set(session.scalars(select(SurveyResponse.persona_name)))
    assert names == {"Online", "Offline"}
    assert client.post("/surveys/personas/reset").status_code == 302
    with surveyed.factory() as session:
        names = set(session.scalars(select(SurveyResponse.persona_name)))
    assert "Offline Olive" in names and "Online" not in names


def test_a_response_shows_its_persona_reasons_and_scores(
    client: FlaskClient, surveyed: Database
) -> None:
    _as(client, surveyed, "planner")
    listing = parse(client.get("/surveys/responses"))
    assert "400 responses" in listing.text()
    link = listing.soup.select_one("table a.govuk-link")["href"]
    page = parse(client.get(link))
    assert page.h1.startswith("Survey response received")
    text = page.text()
    assert "Persona:" in text and "Why:" in text
    assert "GDS digital inclusion scale" in text and "Essential Digital Skills level" in text
    assert client.get("/surveys/responses/not-a-response").status_code == 404


def test_councillors_see_ward_figures_with_small_numbers_hidden(
    client: FlaskClient, db: Database, app: Flask
) -> None:
    with db.factory() as session:
        store_areas(session)
        with app.app_context():
            context = stored_areas(session).context()
        # Riverside: 12 people who never go online; Hilltop: 3.
        for ward, count in (("E05900001", 12), ("E05900002", 3)):
            for _ in range(count):
                store_response(
                    session,
                    offline_answers(ward_code=ward, consent_follow_up="no"),
                    source="online",
                    areas=context,
                    now=now_utc(),
                )
        session.commit()
    _as(client, db, "councillor")
    page = parse(client.get("/surveys/wards"))
    assert page.h1 == "Survey figures by ward"
    rows = {row[0]: row for row in _table(page, "Wards")}
    assert rows["Riverside"][1] == "12"
    assert rows["Hilltop"][1] == "fewer than 10"
    riverside = parse(client.get("/surveys/wards/E05900001"))
    assert riverside.h1 == "Survey figures for Riverside"
    assert "too few for reliable figures" in riverside.text()

    planner = client.application.test_client()
    _as(planner, db, "planner")
    planner_rows = {row[0]: row for row in _table(parse(planner.get("/surveys/wards")), "Wards")}
    assert planner_rows["Hilltop"][1] == "3"
    detail = parse(planner.get("/surveys/wards/E05900001"))
    personas = {row[0]: row for row in _table(detail, "Personas")}
    assert personas["Offline Olive"][3] == "12"
    assert "not reliable" in detail.text()
    assert client.get("/surveys/wards/E05999999").status_code == 404


def test_councillor_ward_figures_suppress_small_persona_counts(
    client: FlaskClient, surveyed: Database
) -> None:
    _as(client, surveyed, "councillor")
    page = parse(client.get("/surveys/wards/E05900001"))
    personas = _table(page, "Personas")
    counts = [row[3] for row in personas]
    assert all(
        count == "not shown" or count == "fewer than 10" or int(count) >= 10 for count in counts
    )
    # Whatever is hidden cannot be worked out from the total: never exactly one hidden.
    assert sum(1 for count in counts if not count.isdigit()) != 1
    for row in personas:
        if not row[3].isdigit():
            assert row[1] == "not shown"


def test_coordinators_see_who_asked_to_be_contacted(
    client: FlaskClient, db: Database, app: Flask
) -> None:
    with db.factory() as session:
        store_areas(session)
        with app.app_context():
            context = stored_areas(session).context()
        store_response(
            session,
            offline_answers(ward_code="E05900001", consent_follow_up="yes", wants_help="yes"),
            source="online",
            areas=context,
            now=now_utc(),
            contact=ContactDetails(name="Olive", phone="07700 900982"),
        )
        session.commit()
    _as(client, db, "coordinator")
    page = parse(client.get("/surveys/follow-up"))
    assert page.h1 == "Residents who asked to be contacted"
    (row,) = _table(page, "Latest first")
    assert row[1:7] == ["Riverside", "Yes", "Not given", "Olive", "", "07700 900982"]
    planner = client.application.test_client()
    _as(planner, db, "planner")
    assert planner.get("/surveys/follow-up").status_code == 403


def test_the_overview_counts_responses_by_source_and_ward(
    client: FlaskClient, surveyed: Database
) -> None:
    _as(client, surveyed, "planner")
    page = parse(client.get("/surveys/"))
    assert page.h1 == "Residents' survey"
    rows = _table(page, "Responses by ward")
    assert sum(int(row[1]) for row in rows) == 400
    assert "s.csv" in page.text()
    assert "test deciles" in page.text()
