"""The survey journeys in a real browser, checked with axe-core after every step.

* A resident who does not go online answers the survey on a phone, from the start page to the
  confirmation, with one mistake on the way.
* A planner imports a survey export (first with a problem, then fixed) and reads the persona table
  and the exclusion-risk index.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import LiveServer, assert_accessible, sign_in_as, visit

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module", autouse=True)
def demo_survey(live_server: LiveServer) -> Iterator[None]:
    """The demo survey and index inputs on the live server (the loader skips a second go).

    The browser database is built by the Alembic migrations; until the survey tables have a
    migration, create them here (``create_all`` only adds missing tables).
    """
    from app.models import metadata
    from app.surveys import load_demo

    metadata.create_all(live_server.app.extensions["db_engine"])
    with live_server.app.app_context():
        load_demo(seed=2027, echo=lambda _message: None)
    yield


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert page.viewport_size is not None and width <= page.viewport_size["width"]


def answer(page: Page, label: str, step: str) -> None:
    """Choose ``label`` on the current question page and continue to the next one."""
    page.get_by_label(label, exact=True).check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(lambda url: f"/questions/{step}" not in url)
    assert_accessible(page, f"after {step}")
    no_sideways_scroll(page)


def test_a_resident_answers_the_survey_on_a_phone(phone: Page, live_server: LiveServer) -> None:
    visit(phone, live_server.path("/"))
    phone.get_by_role("button", name="Tell us how you use the internet").click()
    phone.wait_for_url("**/survey/")
    assert_accessible(phone, "survey start")
    phone.get_by_role("button", name="Start now").click()
    phone.wait_for_url("**/survey/questions/ward_code")
    assert_accessible(phone, "ward question")
    no_sideways_scroll(phone)

    phone.get_by_role("button", name="Continue").click()
    phone.wait_for_selector(".govuk-error-summary")
    assert phone.title().startswith("Error: ")
    assert_accessible(phone, "ward question with an error")
    phone.get_by_role("link", name="Select your ward, or select that you do not know it").click()
    phone.locator(".govuk-radios__input").first.check()
    phone.get_by_role("button", name="Continue").click()
    phone.wait_for_url("**/questions/age_band")
    assert_accessible(phone, "age question")

    answer(phone, "75 or over", "age_band")
    answer(phone, "Yes, limited a lot", "disability")
    answer(phone, "English", "language")
    for step in ("device_smartphone", "device_tablet", "device_computer"):
        answer(phone, "No", step)
    answer(phone, "No internet at home", "home_connection")
    answer(phone, "Never", "online_frequency")
    assert "/questions/ever_online" in phone.url, "people who never go online skip the skills"
    answer(phone, "No, never", "ever_online")
    phone.get_by_label("I don't know how, or I find it too hard").check()
    phone.get_by_label("I'm worried about scams, safety or privacy").check()
    phone.get_by_role("button", name="Continue").click()
    phone.wait_for_url("**/questions/wants_help")
    assert_accessible(phone, "help question")
    answer(phone, "Yes", "wants_help")
    answer(phone, "No", "consent_follow_up")

    assert phone.url.endswith("/survey/check")
    summary = phone.inner_text("main")
    assert "Never" in summary and "75 or over" in summary
    assert "Can you:" not in summary
    phone.get_by_role("button", name="Send your answers").click()
    phone.wait_for_url("**/survey/done")
    assert_accessible(phone, "confirmation")
    assert phone.locator("h1").inner_text() == "Your answers have been sent"
    no_sideways_scroll(phone)


def test_a_planner_imports_a_file_and_sees_the_persona_table(
    page: Page, live_server: LiveServer, tmp_path: Path
) -> None:
    from app.database import db_session
    from app.surveys.areas import stored_areas
    from geo.sources.ons_tables import ADULT_AGE_COLUMNS
    from surveys.services import imd_deciles_by_lsoa21
    from surveys.synthetic import synthetic_responses

    with live_server.app.app_context():
        areas = stored_areas(db_session())
        frame = areas.ages[list(ADULT_AGE_COLUMNS)].copy()
        frame["ward_code"] = areas.lsoa_ward.reindex(frame.index)
        frame["lsoa21_code"] = frame.index
        frame["imd_decile"] = imd_deciles_by_lsoa21(db_session(), list(frame.index))
        survey = synthetic_responses(frame.reset_index(drop=True), n=150, seed=99)
    good = tmp_path / "smart-survey-export.csv"
    survey.to_csv(good, index=False)
    bad = tmp_path / "smart-survey-export-with-mistakes.csv"
    survey.assign(age_band=["ancient", *survey["age_band"].iloc[1:]]).to_csv(bad, index=False)

    sign_in_as(page, live_server, "planner")
    visit(page, live_server.path("/surveys/import"))
    page.get_by_label("Upload a file").set_input_files(str(bad))
    page.get_by_role("button", name="Check and import").click()
    page.wait_for_selector(".govuk-error-summary")
    assert "Nothing was imported: 1 problem found" in page.inner_text(".govuk-error-summary")
    assert "unknown answer 'ancient'" in page.inner_text("table")
    assert_accessible(page, "import with problems")

    page.get_by_label("Upload a file").set_input_files(str(good))
    page.get_by_role("button", name="Check and import").click()
    page.wait_for_url("**/surveys/imports/**")
    assert_accessible(page, "import result")
    assert "150 new responses stored from smart-survey-export.csv" in page.inner_text("main")

    page.get_by_role("link", name="See personas and barriers by ward").click()
    page.wait_for_url("**/surveys/estimates")
    assert_accessible(page, "persona table")
    table = page.locator("table", has=page.locator("caption", has_text="Persona mix by ward"))
    assert table.locator("tbody tr").count() == len(areas.wards)
    header = table.locator("thead").inner_text()
    assert "Offline Olive" in header and "Techy Terry" in header

    # The demo borough's coverage model supplies the broadband component; weigh it out here.
    visit(page, live_server.path("/surveys/index?demography=2&deprivation=1&broadband=0"))
    assert "There is a problem" not in page.inner_text("main")
    assert "Now 67% of the index" in page.inner_text("main")
