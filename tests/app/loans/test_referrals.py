"""Champions refer residents through the same questions; coordinators take requests by phone."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app import create_app
from device_loans.models import LoanRequest
from tests.app.loans.helpers import (
    ELIGIBLE_ANSWERS,
    add_champion,
    add_request,
    answer,
    key_on,
    store_wards,
)
from tests.conftest import app_config
from tests.databases import Database
from tests.factories import make_user, sign_in
from tests.pages import parse

PREFIX = "/loans/refer"


@pytest.fixture
def wards(db: Database) -> dict[str, str]:
    with db.factory() as session:
        return store_wards(session)


def champion_client(app: Flask, db: Database) -> tuple[FlaskClient, int]:
    client = app.test_client()
    with db.factory() as session:
        user = make_user(session, roles=["champion"])
        champion = add_champion(session, user_id=user.id)
    sign_in(client, user)
    return client, champion.id


def send(client: FlaskClient) -> None:
    client.post(PREFIX, data={})
    answer(client, PREFIX, ELIGIBLE_ANSWERS)
    key = key_on(client.get(f"{PREFIX}/check-answers").get_data(as_text=True))
    response = client.post(f"{PREFIX}/check-answers", data={"idempotency_key": key})
    assert response.headers["Location"].endswith("/loans/refer/sent"), response.headers


def test_a_champion_refers_a_resident_recorded_as_referred_by_them(
    app: Flask, db: Database, wards: dict[str, str]
) -> None:
    client, champion_id = champion_client(app, db)
    start = parse(client.get(PREFIX))
    assert start.h1 == "Refer a resident for a device or data"
    assert "You have 0 open referrals. The most allowed at once is 5." in start.text()
    response = client.post(PREFIX, data={})
    assert response.headers["Location"].endswith("/loans/refer/what-you-need")
    question = parse(client.get(f"{PREFIX}/what-you-need"))
    assert question.h1 == "What does the resident need to borrow?"
    answer(client, PREFIX, ELIGIBLE_ANSWERS)
    check = parse(client.get(f"{PREFIX}/check-answers"))
    assert check.h1 == "Check the answers before sending the referral"
    assert "Referred by Chidi Champion (you)" in check.text()
    key = key_on(client.get(f"{PREFIX}/check-answers").get_data(as_text=True))
    client.post(f"{PREFIX}/check-answers", data={"idempotency_key": key})
    done = parse(client.get(f"{PREFIX}/sent"))
    assert done.h1.startswith("Referral sent")
    with db.factory() as session:
        request = session.scalars(select(LoanRequest)).one()
        assert request.referred_by_champion_id == champion_id
        assert request.submitted_by is not None
    mine = parse(client.get("/loans/referrals"))
    assert "Amira Ahmed" in mine.text()
    assert "You have 1 open referral." in mine.text()


def test_the_open_referral_limit_is_enforced_with_a_clear_message(
    db: Database, wards: dict[str, str]
) -> None:
    app = create_app(app_config(db, LOAN_POLICY={"max_open_requests_per_referrer": 2}))
    client, champion_id = champion_client(app, db)
    with db.factory() as session:
        add_request(session, referred_by_champion_id=champion_id)
    send(client)  # the second, the most allowed
    start = parse(client.get(PREFIX))
    message = (
        "You already have 2 open requests, the most allowed is 2. Wait until one is dealt "
        "with, or ask the coordinator."
    )
    assert message in start.text()
    assert start.soup.find("button", string=lambda s: s and "Start" in s) is None
    page = parse(client.get(f"{PREFIX}/what-you-need"))
    assert page.h1 == "You cannot refer anyone else at the moment"
    assert message in page.text()
    with db.factory() as session:
        assert session.scalar(select(func.count()).select_from(LoanRequest)) == 2


def test_the_limit_checked_when_sending_stops_a_referral_started_in_time(
    db: Database, wards: dict[str, str]
) -> None:
    app = create_app(app_config(db, LOAN_POLICY={"max_open_requests_per_referrer": 1}))
    client, champion_id = champion_client(app, db)
    client.post(PREFIX, data={})
    answer(client, PREFIX, ELIGIBLE_ANSWERS)
    key = key_on(client.get(f"{PREFIX}/check-answers").get_data(as_text=True))
    with db.factory() as session:  # meanwhile, another referral of theirs is recorded
        add_request(session, referred_by_champion_id=champion_id)
    response = client.post(f"{PREFIX}/check-answers", data={"idempotency_key": key})
    page = parse(response)
    assert page.h1 == "You cannot refer anyone else at the moment"
    assert "You already have 1 open requests, the most allowed is 1." in page.text()
    with db.factory() as session:
        assert session.scalar(select(func.count()).select_from(LoanRequest)) == 1


def test_a_champion_account_without_a_champion_record_cannot_refer(
    app: Flask, db: Database, wards: dict[str, str]
) -> None:
    client = app.test_client()
    with db.factory() as session:
        user = make_user(session, roles=["champion"])
    sign_in(client, user)
    page = parse(client.get(f"{PREFIX}/what-you-need"))
    assert page.h1 == "Your account is not linked to a champion"


def test_a_coordinator_chooses_the_referrer_or_nobody(
    app: Flask, db: Database, wards: dict[str, str]
) -> None:
    client = app.test_client()
    with db.factory() as session:
        user = make_user(session, roles=["coordinator"])
        champion = add_champion(session, name="Farah Fofana")
    sign_in(client, user)
    client.post(PREFIX, data={})
    page = parse(client.get(f"{PREFIX}/referred-by"))
    assert page.h1 == "Who is referring the resident?"
    assert "Farah Fofana" in page.text()
    refused = parse(client.post(f"{PREFIX}/referred-by", data={}))
    assert refused.error_summary == ["Select who is referring the resident"]
    answer(client, PREFIX, (("referred-by", {"referrer": str(champion.id)}), *ELIGIBLE_ANSWERS))
    assert "Farah Fofana" in parse(client.get(f"{PREFIX}/check-answers")).text()
    answer(client, PREFIX, (("referred-by", {"referrer": "0"}),))
    assert (
        "Nobody: the resident asked the council directly"
        in parse(client.get(f"{PREFIX}/check-answers")).text()
    )
    key = key_on(client.get(f"{PREFIX}/check-answers").get_data(as_text=True))
    client.post(f"{PREFIX}/check-answers", data={"idempotency_key": key})
    with db.factory() as session:
        request = session.scalars(select(LoanRequest)).one()
        assert request.referred_by_champion_id is None
        assert request.submitted_by == user.id


def test_a_coordinator_cannot_choose_a_champion_at_the_limit(
    db: Database, wards: dict[str, str]
) -> None:
    app = create_app(app_config(db, LOAN_POLICY={"max_open_requests_per_referrer": 1}))
    client = app.test_client()
    with db.factory() as session:
        user = make_user(session, roles=["coordinator"])
        champion = add_champion(session, name="Farah Fofana")
        add_request(session, referred_by_champion_id=champion.id)
    sign_in(client, user)
    client.post(PREFIX, data={})
    page = parse(client.post(f"{PREFIX}/referred-by", data={"referrer": str(champion.id)}))
    assert page.field_error("referrer") == (
        "Farah Fofana already has 1 open requests, the most allowed is 1. Wait until one is "
        "dealt with, or ask the coordinator."
    )


def test_an_ineligible_referral_shows_the_reasons_in_the_third_person(
    app: Flask, db: Database, wards: dict[str, str]
) -> None:
    client, _champion_id = champion_client(app, db)
    client.post(PREFIX, data={})
    location = answer(
        client, PREFIX, (("what-you-need", {"need": "device"}), ("age", {"age": "15"}))
    )
    page = parse(client.get(location))
    assert page.h1 == "The resident cannot borrow a device or data at the moment"
    assert "the resident told us they are younger" in page.text()


def test_planners_and_councillors_cannot_refer(app: Flask, db: Database) -> None:
    for role in ("planner", "councillor"):
        client = app.test_client()
        with db.factory() as session:
            user = make_user(session, roles=[role])
        sign_in(client, user)
        assert client.get(PREFIX).status_code == 403
        assert client.get(f"{PREFIX}/what-you-need").status_code == 403
