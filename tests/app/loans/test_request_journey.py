"""A resident asks to borrow a device or data: one question per page, no account."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app import create_app
from app.notifications import render
from core.outbox import OutboxMessage
from device_loans.models import LoanRequest
from tests.app.loans.helpers import BEDFONT, ELIGIBLE_ANSWERS, answer, key_on, store_wards
from tests.conftest import app_config
from tests.databases import Database
from tests.pages import parse

PREFIX = "/borrow"


@pytest.fixture
def wards(db: Database) -> dict[str, str]:
    with db.factory() as session:
        return store_wards(session)


def count_requests(db: Database) -> int:
    with db.factory() as session:
        return int(session.scalar(select(func.count()).select_from(LoanRequest)) or 0)


def test_the_start_page_is_linked_from_the_service_start_page(client: FlaskClient) -> None:
    start = parse(client.get("/"))
    link = start.soup.find("a", href=PREFIX)
    assert link is not None and "Borrow a device or data" in link.get_text()
    page = parse(client.get(PREFIX))
    assert page.h1 == "Borrow a device or data"
    assert "You can ask if" in page.text()
    assert page.soup.find("a", href="/privacy") is not None
    assert page.soup.find("a", href=f"{PREFIX}/what-you-need") is not None


def test_an_eligible_resident_sends_a_request_and_gets_a_reference(
    client: FlaskClient, db: Database, wards: dict[str, str]
) -> None:
    first = parse(client.get(f"{PREFIX}/what-you-need"))
    assert first.h1 == "What do you need to borrow?"
    assert first.soup.select_one("legend h1") is not None, "the legend is the page heading"
    assert first.soup.find("a", href="/privacy"), "privacy notice on the first question"
    assert answer(client, PREFIX, ELIGIBLE_ANSWERS).endswith("/borrow/check-answers")

    check = parse(client.get(f"{PREFIX}/check-answers"))
    assert check.h1 == "Check your answers before sending your request"
    text = check.text()
    assert "67 years" in text and "Pension Credit" in text
    assert "TW3 1ES, Bedfont" in text, "postcode normalised and the ward named"
    assert "Amira Ahmed" in text, "spaces in the name tidied"
    change = check.soup.find("a", href=f"{PREFIX}/age")
    assert change is not None and "Change" in change.get_text()

    key = key_on(client.get(f"{PREFIX}/check-answers").get_data(as_text=True))
    response = client.post(f"{PREFIX}/check-answers", data={"idempotency_key": key})
    assert response.headers["Location"].endswith("/borrow/request-sent")
    done = parse(client.get(f"{PREFIX}/request-sent"))
    assert done.h1.startswith("Request sent")
    with db.factory() as session:
        request = session.scalars(select(LoanRequest)).one()
        assert request.status == "eligible"
        assert request.resident_name == "Amira Ahmed"
        assert request.contact == "amira@example.com" and request.contact_method == "email"
        assert request.ward_code == BEDFONT and request.postcode == "TW3 1ES"
        assert request.benefit == "pension_credit" and request.age_years == 67
        assert request.referred_by_champion_id is None and request.submitted_by is None
        assert request.reason == "To video call my grandchildren"
        message = session.scalars(select(OutboxMessage)).one()
        assert message.template == "loan_request_received"
        assert message.recipient == "amira@example.com"
    # A short reference the resident can read out over the phone: two groups of four.
    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{8}", request.reference)
    assert f"{request.reference[:4]} {request.reference[4:]}" in done.text()
    assert request.public_id not in done.text()
    assert request.reference[:4] in render(message)
    assert "within 10 working days" in done.text()


def test_sending_the_same_request_twice_makes_one_request(
    client: FlaskClient, db: Database, wards: dict[str, str]
) -> None:
    answer(client, PREFIX, ELIGIBLE_ANSWERS)
    key = key_on(client.get(f"{PREFIX}/check-answers").get_data(as_text=True))
    with client.session_transaction() as stored:
        before_sending = dict(stored)
    first = client.post(f"{PREFIX}/check-answers", data={"idempotency_key": key})
    # A double click: the second copy carries the cookie from before the first was answered.
    with client.session_transaction() as stored:
        stored.clear()
        stored.update(before_sending)
    second = client.post(f"{PREFIX}/check-answers", data={"idempotency_key": key})
    # The back button after sending: the answers are gone, the token is remembered.
    third = client.post(f"{PREFIX}/check-answers", data={"idempotency_key": key})
    for response in (first, second, third):
        assert response.status_code == 302
        assert response.headers["Location"].endswith("/borrow/request-sent")
    assert count_requests(db) == 1
    with db.factory() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_a_resident_under_the_minimum_age_is_told_kindly_before_giving_a_name(
    client: FlaskClient, db: Database, wards: dict[str, str]
) -> None:
    location = answer(
        client, PREFIX, (("what-you-need", {"need": "device"}), ("age", {"age": "16"}))
    )
    assert location.endswith("/borrow/cannot-borrow")
    page = parse(client.get(location))
    assert page.h1 == "You cannot borrow a device or data from us at the moment"
    text = page.text()
    assert "lends to people aged 18 or over" in text
    assert "Other ways to get help" in text and "social tariffs" in text
    assert page.soup.find("a", href=f"{PREFIX}/age") is not None, "the answer can be changed"
    # Later questions are closed to someone ruled out, and nothing is stored.
    assert client.get(f"{PREFIX}/name").headers["Location"].endswith("/borrow/cannot-borrow")
    assert count_requests(db) == 0


def test_a_resident_with_a_device_and_no_low_income_gets_every_reason(
    client: FlaskClient, db: Database, wards: dict[str, str]
) -> None:
    location = answer(
        client,
        PREFIX,
        (
            ("what-you-need", {"need": "device"}),
            ("age", {"age": "40"}),
            ("device-at-home", {"has_device": "yes"}),
        ),
    )
    assert location.endswith("/borrow/cannot-borrow")
    assert "You already have a suitable device at home" in parse(client.get(location)).text()
    # Changing the answer puts the resident back on the path.
    location = answer(client, PREFIX, (("device-at-home", {"has_device": "no"}),))
    assert location.endswith("/borrow/internet-at-home")
    location = answer(
        client,
        PREFIX,
        (
            ("internet-at-home", {"has_connection": "yes"}),
            ("benefits", {"benefit": "none"}),
        ),
    )
    assert location.endswith("/borrow/income"), "no benefit: the income question is asked"
    page = parse(client.get(location))
    assert page.h1 == "Is your household on a low income?"
    location = answer(client, PREFIX, (("income", {"low_income": "no"}),))
    page = parse(client.get(location))
    assert "The scheme is for households on a low income" in page.text()
    assert count_requests(db) == 0


BAD_ANSWERS: tuple[tuple[str, dict[str, str], str, str], ...] = (
    ("what-you-need", {}, "need", "Select what you need to borrow"),
    ("what-you-need", {"need": "spaceship"}, "need", "Select what you need to borrow"),
    ("age", {}, "age", "Enter your age"),
    ("age", {"age": "forty"}, "age", "Age must be a whole number, like 42"),
    ("age", {"age": "130"}, "age", "Age must be between 0 and 120"),
    ("device-at-home", {}, "has_device", "Select yes if you have a suitable device at home"),
    (
        "internet-at-home",
        {"has_connection": "maybe"},
        "has_connection",
        "Select yes if you have an internet connection at home",
    ),
    ("benefits", {}, "benefit", "Select a benefit you get, or ‘No, none of these’"),
    ("about-you", {}, "borrower_type", "Select which describes you, or ‘None of these’"),
    ("where-you-live", {"ward": BEDFONT}, "postcode", "Enter your postcode"),
    (
        "where-you-live",
        {"postcode": "not a postcode", "ward": BEDFONT},
        "postcode",
        "Enter a real postcode, like TW3 1ES",
    ),
    ("where-you-live", {"postcode": "TW3 1ES"}, "ward", "Select your ward, or ‘I do not know’"),
    (
        "where-you-live",
        {"postcode": "TW3 1ES", "ward": "E05999999"},
        "ward",
        "Select a ward from the list",
    ),
    ("name", {"name": "  "}, "name", "Enter your full name"),
    ("contact", {}, "contact_method", "Select how we should contact you"),
    ("contact-details", {}, "contact", "Enter an email address"),
    (
        "contact-details",
        {"contact": "amira at example"},
        "contact",
        "Enter an email address in the correct format, like name@example.com",
    ),
)


def test_each_question_refuses_a_bad_answer_with_a_message_on_its_field(
    client: FlaskClient, db: Database, wards: dict[str, str]
) -> None:
    asked = {slug for slug, _data in ELIGIBLE_ANSWERS}
    assert {slug for slug, *_rest in BAD_ANSWERS} <= asked
    for slug, good in ELIGIBLE_ANSWERS:
        for bad_slug, data, field, message in BAD_ANSWERS:
            if bad_slug != slug:
                continue
            case = f"{slug} {data}"
            response = client.post(f"{PREFIX}/{slug}", data=data)
            page = parse(response)
            assert response.status_code == 200, case
            assert page.title.startswith("Error: "), case
            assert page.error_summary == [message], case
            assert page.field_error(field) == message, case
            link = page.soup.select_one(".govuk-error-summary__list a")
            assert link is not None, case
            assert page.soup.find(id=str(link["href"]).lstrip("#")) is not None, case
            assert "required" not in str(page.soup.find("form")), "no browser validation"
            with client.session_transaction() as stored:
                kept = stored.get("loans-request:public", {})
            assert field not in kept, f"{case}: a refused answer is not kept"
        answer(client, PREFIX, ((slug, good),))
    assert count_requests(db) == 0


def test_questions_cannot_be_skipped_by_address(client: FlaskClient, wards: dict[str, str]) -> None:
    response = client.get(f"{PREFIX}/contact")
    assert response.headers["Location"].endswith("/borrow/what-you-need")
    answer(client, PREFIX, ELIGIBLE_ANSWERS[:2])
    response = client.get(f"{PREFIX}/name")
    assert response.headers["Location"].endswith("/borrow/device-at-home")
    response = client.get(f"{PREFIX}/check-answers")
    assert response.headers["Location"].endswith("/borrow/device-at-home")
    # The income question belongs only to residents who get none of the benefits.
    answer(client, PREFIX, ELIGIBLE_ANSWERS[2:5])
    assert client.get(f"{PREFIX}/income").headers["Location"].endswith("/borrow/about-you")


def test_a_changed_answer_goes_back_to_check_answers(
    client: FlaskClient, wards: dict[str, str]
) -> None:
    answer(client, PREFIX, ELIGIBLE_ANSWERS)
    page = parse(client.get(f"{PREFIX}/name"))
    field = page.soup.find("input", id="name")
    assert field is not None and field["value"] == "Amira Ahmed", "the answer is kept"
    location = answer(client, PREFIX, (("name", {"name": "Amira Khan"}),))
    assert location.endswith("/borrow/check-answers")
    assert "Amira Khan" in parse(client.get(location)).text()


def test_a_resident_who_can_only_take_calls_gets_no_messages(
    client: FlaskClient, db: Database, wards: dict[str, str]
) -> None:
    answers = (
        *ELIGIBLE_ANSWERS[:-2],
        ("contact", {"contact_method": "phone"}),
        ("contact-details", {"contact": "020 8583 2000"}),
    )
    answer(client, PREFIX, answers)
    key = key_on(client.get(f"{PREFIX}/check-answers").get_data(as_text=True))
    client.post(f"{PREFIX}/check-answers", data={"idempotency_key": key})
    assert "We will phone you" in parse(client.get(f"{PREFIX}/request-sent")).text()
    with db.factory() as session:
        request = session.scalars(select(LoanRequest)).one()
        assert (request.contact_method, request.contact) == ("phone", "+442085832000")
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_a_check_answers_page_sent_with_a_forged_token_stores_nothing(
    client: FlaskClient, db: Database, wards: dict[str, str]
) -> None:
    answer(client, PREFIX, ELIGIBLE_ANSWERS)
    assert client.post(f"{PREFIX}/check-answers", data={"idempotency_key": "x"}).status_code == 400
    response = client.post(
        f"{PREFIX}/check-answers", data={"idempotency_key": "a-different-token-0123456789"}
    )
    assert response.status_code == 302
    assert count_requests(db) == 0


def test_the_councils_own_rules_decide(db: Database, wards: dict[str, str]) -> None:
    app: Flask = create_app(
        app_config(
            db,
            LOAN_POLICY={"minimum_age": 16, "require_low_income_or_benefit": False},
        )
    )
    client = app.test_client()
    location = answer(
        client,
        PREFIX,
        (
            ("what-you-need", {"need": "data"}),
            ("age", {"age": "16"}),
            ("device-at-home", {"has_device": "yes"}),
            ("internet-at-home", {"has_connection": "no"}),
            ("benefits", {"benefit": "none"}),
            ("income", {"low_income": "no"}),
        ),
    )
    assert location.endswith("/borrow/about-you")
    start = parse(client.get(PREFIX))
    assert "you are 16 or over" in start.text()
    assert "low income" not in start.text()


def test_an_unknown_ward_is_allowed(
    client: FlaskClient, db: Database, wards: dict[str, str]
) -> None:
    answers = tuple(
        (slug, {"postcode": "TW3 1ES", "ward": "unknown"} if slug == "where-you-live" else data)
        for slug, data in ELIGIBLE_ANSWERS
    )
    answer(client, PREFIX, answers)
    assert "Ward not known" in parse(client.get(f"{PREFIX}/check-answers")).text()
    key = key_on(client.get(f"{PREFIX}/check-answers").get_data(as_text=True))
    client.post(f"{PREFIX}/check-answers", data={"idempotency_key": key})
    with db.factory() as session:
        assert session.scalars(select(LoanRequest)).one().ward_code is None


def test_public_posts_are_rate_limited(db: Database, wards: dict[str, str]) -> None:
    app = create_app(app_config(db, RATELIMIT_ENABLED=True, PUBLIC_FORM_RATE_LIMIT="2 per minute"))
    client = app.test_client()
    statuses = [
        client.post(f"{PREFIX}/what-you-need", data={"need": "device"}).status_code
        for _ in range(3)
    ]
    assert statuses == [302, 302, 429]
    assert client.get(f"{PREFIX}/what-you-need").status_code == 200, "reading is not limited"


def test_text_messages_need_a_mobile_and_a_new_way_of_contact_asks_again(
    client: FlaskClient, wards: dict[str, str]
) -> None:
    answer(client, PREFIX, ELIGIBLE_ANSWERS)
    location = answer(client, PREFIX, (("contact", {"contact_method": "sms"}),))
    assert location.endswith("/borrow/contact-details"), "the email does not do for texts"
    page = parse(client.get(location))
    assert page.h1 == "What is your mobile phone number?"
    refused = parse(client.post(location, data={"contact": "020 8583 2000"}))
    assert refused.field_error("contact") == "Enter a UK mobile phone number, like 07700 900 982"
    answer(client, PREFIX, (("contact-details", {"contact": "07700 900982"}),))
    text = parse(client.get(f"{PREFIX}/check-answers")).text()
    assert "Contact by Text message" in text and "Mobile phone number 07700 900982" in text
