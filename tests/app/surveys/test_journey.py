"""The online survey: one question per page, routing, answers kept, check answers, sending."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app import create_app
from surveys.models import SurveyContact, SurveyResponse
from surveys.questions import FOUNDATION_COLUMNS, LIFE_COLUMNS
from tests.app.surveys.helpers import daily_person, offline_person, store_areas, walk
from tests.conftest import app_config
from tests.databases import Database
from tests.factories import make_user, sign_in
from tests.pages import parse

SKILLS = {*FOUNDATION_COLUMNS, *(c for columns in LIFE_COLUMNS.values() for c in columns)}


def _stored(db: Database) -> list[SurveyResponse]:
    with db.factory() as session:
        records = list(session.scalars(select(SurveyResponse)))
        for record in records:
            _ = record.contact
        return records


def test_start_page_needs_no_account_and_starts_with_the_first_question(
    client: FlaskClient, db: Database
) -> None:
    with db.factory() as session:
        store_areas(session)
    page = parse(client.get("/survey/"))
    assert page.h1 == "Tell us how you use the internet"
    assert page.title.startswith("Tell us how you use the internet - ")
    start = page.soup.select_one("a.govuk-button--start")
    assert start is not None and start["href"].endswith("/survey/questions/ward_code")
    # The start page of the service links to the survey.
    assert "/survey/" in client.get("/").get_data(as_text=True)


def test_a_question_page_is_one_question_with_the_question_as_heading(
    client: FlaskClient, db: Database
) -> None:
    with db.factory() as session:
        store_areas(session)
    page = parse(client.get("/survey/questions/ward_code"))
    assert page.h1 == "Where you live Which ward do you live in?"
    assert page.title.startswith("Which ward do you live in?")
    labels = [label.get_text(strip=True) for label in page.soup.select(".govuk-radios__label")]
    assert labels == ["Hilltop", "Riverside", "I do not know my ward"]
    assert len(page.soup.select("form")) == 1
    assert page.soup.select_one(".govuk-back-link")["href"].endswith("/survey/")


def test_someone_who_never_goes_online_skips_the_skills_questions(
    client: FlaskClient, db: Database
) -> None:
    with db.factory() as session:
        store_areas(session)
    visited, end = walk(client, offline_person())
    assert end.endswith("/survey/check")
    assert "online_frequency" in visited and "ever_online" in visited
    assert not SKILLS & set(visited)
    assert "main_device" not in visited and "confidence" not in visited
    assert "mobile_data" not in visited  # no smartphone
    assert "barriers" in visited  # not online every day
    # A skills page is not shown to them even when asked for directly.
    skipped = client.get("/survey/questions/fnd_wifi")
    assert skipped.status_code == 302 and skipped.headers["Location"].endswith("/survey/check")

    check = parse(client.get("/survey/check"))
    assert check.h1 == "Check your answers before sending them"
    text = check.text()
    assert "Riverside" in text and "75 or over" in text and "Never" in text
    assert "I don't know how, or I find it too hard" in text
    sent = client.post("/survey/check", data={})
    assert sent.status_code == 302 and sent.headers["Location"].endswith("/survey/done")
    done = parse(client.get(sent.headers["Location"]))
    assert done.h1 == "Your answers have been sent"
    assert "Get help now" in done.text()  # they said "maybe" to help

    (record,) = _stored(db)
    assert record.source == "online"
    assert record.ward_code == "E05900001"
    assert record.persona_name == "Offline Olive"
    assert record.gds_scale == 3  # never online, would maybe like help: willing and unable
    assert record.answers["fnd_wifi"] is None and record.answers["barrier_skills"] == "yes"
    assert record.answers["barrier_cost"] == "no"
    assert record.contact is None
    # The answers are gone from the session once sent.
    assert client.get("/survey/check").headers["Location"].endswith("/survey/")


def test_a_daily_user_is_asked_the_skills_questions_but_not_about_barriers(
    client: FlaskClient, db: Database
) -> None:
    with db.factory() as session:
        store_areas(session)
    visited, _end = walk(client, daily_person())
    assert set(visited) >= SKILLS
    assert "barriers" not in visited and "ever_online" not in visited
    assert visited.index("online_frequency") < visited.index("fnd_turn_on")
    assert client.post("/survey/check").status_code == 302
    (record,) = _stored(db)
    assert record.persona_name == "Techy Terry"
    assert record.answers["barrier_skills"] is None


def test_an_invalid_answer_shows_an_error_and_keeps_earlier_answers(
    client: FlaskClient, db: Database
) -> None:
    with db.factory() as session:
        store_areas(session)
    client.post("/survey/questions/ward_code", data={"answer": "E05900002"})
    client.post("/survey/questions/age_band", data={"answer": "25-34"})
    for bad in ({}, {"answer": "sometimes"}):
        page = parse(client.post("/survey/questions/disability", data=bad))
        assert page.status == 200
        assert page.title.startswith("Error: Are your day-to-day activities limited")
        assert page.error_summary == ["Select whether your day-to-day activities are limited"]
        assert page.field_error("answer") == "Select whether your day-to-day activities are limited"
        assert page.soup.select_one(".govuk-error-summary a")["href"] == "#answer"
    # Both earlier answers are still there: the next page to answer is disability...
    assert client.get("/survey/check").headers["Location"].endswith("/questions/disability")
    # ... and going back shows the answer given.
    age = parse(client.get("/survey/questions/age_band"))
    checked = age.soup.select_one("input[name=answer][checked]")
    assert checked is not None and checked["value"] == "25-34"
    ward = parse(client.get("/survey/questions/ward_code"))
    assert ward.soup.select_one("input[name=answer][checked]")["value"] == "E05900002"


def test_a_ward_that_does_not_exist_is_refused(client: FlaskClient, db: Database) -> None:
    with db.factory() as session:
        store_areas(session)
    page = parse(client.post("/survey/questions/ward_code", data={"answer": "E05999999"}))
    assert page.error_summary == ["Select your ward, or select that you do not know it"]


def test_without_a_ward_the_postcode_is_asked_and_only_its_district_is_kept(
    client: FlaskClient, db: Database
) -> None:
    with db.factory() as session:
        store_areas(session)
    client.post("/survey/questions/ward_code", data={"answer": "unknown"})
    page = parse(client.post("/survey/questions/postcode", data={"answer": "not a postcode"}))
    assert page.error_summary == ["Enter a full UK postcode, like SW1A 1AA"]
    assert parse(client.post("/survey/questions/postcode", data={})).error_summary == [
        "Enter your postcode"
    ]
    visited, _end = walk(
        client,
        offline_person(ward_code="unknown", postcode="tw3 1es"),
        start="/survey/questions/postcode",
    )
    assert visited[0] == "postcode"
    assert "TW3 1ES" in parse(client.get("/survey/check")).text()
    client.post("/survey/check")
    (record,) = _stored(db)
    assert record.ward_code is None
    assert record.postcode_district == "TW3"
    assert record.answers["postcode"] == "TW3"
    assert "1ES" not in str(record.answers)


def test_choosing_a_ward_after_a_postcode_forgets_the_postcode(
    client: FlaskClient, db: Database
) -> None:
    with db.factory() as session:
        store_areas(session)
    client.post("/survey/questions/ward_code", data={"answer": "unknown"})
    client.post("/survey/questions/postcode", data={"answer": "TW3 1ES"})
    client.post("/survey/questions/ward_code", data={"answer": "E05900001"})
    assert client.get("/survey/questions/postcode").status_code == 302


def test_changing_an_answer_asks_the_questions_it_opens(client: FlaskClient, db: Database) -> None:
    with db.factory() as session:
        store_areas(session)
    walk(client, offline_person(device_smartphone="own", mobile_data="not_enough"))
    change = parse(client.get("/survey/check")).soup.find(
        "a", href=lambda href: href and "online_frequency" in href
    )
    assert change is not None and "change=1" in change["href"]
    response = client.post(change["href"], data={"answer": "weekly"})
    # "weekly" opens the questions for people who go online: they come next.
    assert response.headers["Location"].endswith("/survey/questions/main_device")
    weekly = offline_person(
        device_smartphone="own",
        mobile_data="not_enough",
        main_device="smartphone",
        confidence="not_very",
        **dict.fromkeys(SKILLS, "help"),
        **{f"work_{area}": "not_applicable" for area in ("com", "inf", "tra", "prb", "saf")},
    )
    visited, end = walk(client, weekly, start=response.headers["Location"] + "?change=1")
    assert end.endswith("/survey/check")
    assert "ever_online" not in visited
    client.post("/survey/check")
    (record,) = _stored(db)
    assert record.answers["online_frequency"] == "weekly"
    assert record.answers["ever_online"] is None  # dropped: no longer asked
    assert record.persona_name == "Mobile-only Mo"


def test_contact_details_are_asked_and_kept_only_with_consent(
    client: FlaskClient, db: Database
) -> None:
    with db.factory() as session:
        store_areas(session)
    answers = offline_person(consent_follow_up="yes")
    answers["contact"] = {"name": "Olive Example", "email": "olive@example.org", "phone": ""}
    visited, _end = walk(client, answers)
    assert visited[-1] == "contact"
    client.post("/survey/check")
    (record,) = _stored(db)
    assert record.consent_follow_up is True
    assert record.contact is not None and record.contact.email == "olive@example.org"
    assert "olive@example.org" not in str(record.answers)


def test_the_contact_page_needs_an_email_or_a_phone(client: FlaskClient, db: Database) -> None:
    with db.factory() as session:
        store_areas(session)
    for step, value in offline_person(consent_follow_up="yes").items():
        client.post(f"/survey/questions/{step}", data={"answer": value})
    page = parse(client.post("/survey/questions/contact", data={"name": "Olive"}))
    assert page.h1 == "How can we contact you?"
    assert page.error_summary == ["Enter an email address or a phone number"]
    page = parse(client.post("/survey/questions/contact", data={"email": "not-an-email"}))
    assert page.error_summary == [
        "Enter an email address in the correct format, like name@example.com"
    ]
    page = parse(client.post("/survey/questions/contact", data={"phone": "12"}))
    assert page.field_error("phone").startswith("Enter a phone number")
    ok = client.post("/survey/questions/contact", data={"phone": "07700 900982"})
    assert ok.headers["Location"].endswith("/survey/check")
    # Saying no to contact afterwards drops the contact page and the details.
    client.post("/survey/questions/consent_follow_up?change=1", data={"answer": "no"})
    client.post("/survey/check")
    with db.factory() as session:
        assert session.scalar(select(func.count()).select_from(SurveyContact)) == 0
        assert session.scalar(select(func.count()).select_from(SurveyResponse)) == 1


def test_barriers_are_one_page_with_an_exclusive_none_option(
    client: FlaskClient, db: Database
) -> None:
    with db.factory() as session:
        store_areas(session)
    for step, value in offline_person().items():
        if step == "barriers":
            break
        client.post(f"/survey/questions/{step}", data={"answer": value})
    page = parse(client.get("/survey/questions/barriers"))
    assert page.h1.endswith("What stops you going online, or going online more?")
    assert page.soup.select_one("input[value=none]")["data-behaviour"] == "exclusive"
    both = parse(
        client.post("/survey/questions/barriers", data={"answer": ["barrier_cost", "none"]})
    )
    assert both.error_summary == [
        "Select what stops you going online, or select 'None of these', not both"
    ]
    none = client.post("/survey/questions/barriers", data={"answer": ["none"]})
    assert none.status_code == 302
    again = parse(client.get("/survey/questions/barriers"))
    assert again.soup.select_one("input[value=none][checked]") is not None


def test_an_unknown_question_is_not_found(client: FlaskClient) -> None:
    assert client.get("/survey/questions/no_such_question").status_code == 404


def test_without_stored_wards_the_survey_asks_for_a_postcode(client: FlaskClient) -> None:
    page = parse(client.get("/survey/"))
    start = page.soup.select_one("a.govuk-button--start")
    assert start["href"].endswith("/survey/questions/postcode")
    assert client.get("/survey/questions/ward_code").status_code == 302


def test_start_again_clears_the_answers(client: FlaskClient, db: Database) -> None:
    with db.factory() as session:
        store_areas(session)
    client.post("/survey/questions/ward_code", data={"answer": "E05900001"})
    page = parse(client.get("/survey/"))
    assert "There are answers here that have not been sent yet." in page.text()
    assert client.post("/survey/start-again").status_code == 302
    assert "not been sent" not in parse(client.get("/survey/")).text()


def test_a_champion_fills_the_survey_in_with_a_resident(client: FlaskClient, db: Database) -> None:
    with db.factory() as session:
        store_areas(session)
        champion = make_user(session, roles=["champion"])
    sign_in(client, champion)
    start = parse(client.get("/surveys/with-resident/"))
    assert start.h1 == "Fill in the survey with a resident"
    _visited, end = walk(client, offline_person(), prefix="/surveys/with-resident")
    assert end.endswith("/surveys/with-resident/check")
    sent = client.post("/surveys/with-resident/check")
    assert sent.headers["Location"].endswith("/surveys/with-resident/done")
    assert "another resident" in parse(client.get(sent.headers["Location"])).text()
    (record,) = _stored(db)
    assert record.source == "champion"
    assert record.entered_by_id == champion.id


def test_residents_cannot_use_the_champion_pages(client: FlaskClient) -> None:
    response = client.get("/surveys/with-resident/")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_public_survey_posts_are_rate_limited(db: Database) -> None:
    app: Flask = create_app(
        app_config(db, RATELIMIT_ENABLED=True, SURVEY_PAGE_RATE_LIMIT="2 per minute")
    )
    client = app.test_client()
    codes = [
        client.post("/survey/questions/postcode", data={"answer": "TW3 1ES"}).status_code
        for _ in range(3)
    ]
    assert codes[:2] == [302, 302] and codes[2] == 429
