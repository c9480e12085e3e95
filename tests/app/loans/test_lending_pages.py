"""Coordinators work the waiting list, lend, renew, take items back and record losses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from core.clock import today_london
from device_loans.models import Device, Kit, Loan, LoanRequest
from tests.app.loans.helpers import add_device, add_kit, add_request, confirm_key, store_wards
from tests.databases import Database
from tests.factories import make_user, sign_in
from tests.pages import parse


@pytest.fixture
def coordinator(app: Flask, db: Database) -> FlaskClient:
    client = app.test_client()
    with db.factory() as session:
        user = make_user(session, roles=["coordinator"], full_name="Cora Coordinator")
    sign_in(client, user)
    return client


def date_fields(name: str, day: object) -> dict[str, list[str]]:
    return {name: [str(day.day), str(day.month), str(day.year)]}  # type: ignore[attr-defined]


def lend_data(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "agreement_version": "v1",
        "agreement_accepted": "y",
        "condition_notes": "Small scratch on the back",
    }
    data.update(changes)
    return data


def loans_of(db: Database) -> list[Loan]:
    with db.factory() as session:
        return list(session.scalars(select(Loan)))


def test_the_waiting_list_is_in_order_of_need_with_reasons(
    coordinator: FlaskClient, db: Database
) -> None:
    with db.factory() as session:
        store_wards(session)
        add_request(session, resident_name="Ben Brown", low_income=True)
        add_request(
            session,
            resident_name="Ewa Evans",
            need="both",
            has_home_connection=False,
            benefit="universal_credit",
            borrower_type="care_leaver",
        )
    page = parse(coordinator.get("/loans/requests"))
    text = page.text()
    assert text.index("Ewa Evans") < text.index("Ben Brown"), "higher need first"
    assert "No internet connection at home (+3)" in text
    assert "Care leaver (+2)" in text
    assert "Bedfont" in text, "wards by name"
    assert "no ward exclusion-risk estimates are stored" in text


def test_a_request_is_found_by_its_reference_as_a_resident_reads_it_out(
    coordinator: FlaskClient, db: Database
) -> None:
    with db.factory() as session:
        request = add_request(session)
    typed = f"{request.reference[:4].lower()} - {request.reference[4:]}"
    response = coordinator.get("/loans/requests", query_string={"reference": typed})
    assert response.headers["Location"].endswith(f"/loans/requests/{request.public_id}")
    # The long public id of an older message still finds the request.
    spaced = " ".join(request.public_id[i : i + 4] for i in range(0, 32, 4)).upper()
    response = coordinator.get("/loans/requests", query_string={"reference": spaced})
    assert response.headers["Location"].endswith(f"/loans/requests/{request.public_id}")
    missing = parse(coordinator.get("/loans/requests", query_string={"reference": "nope"}))
    assert missing.error_summary == ["No request has that reference. Check it and try again."]


def test_declining_needs_a_reason_and_then_closes_the_request(
    coordinator: FlaskClient, db: Database
) -> None:
    with db.factory() as session:
        request = add_request(session)
    url = f"/loans/requests/{request.public_id}/decision"
    page = parse(coordinator.post(url, data={"decision": "declined"}))
    assert page.field_error("note") == "Enter the reason for declining the request"
    forged = parse(coordinator.post(url, data={"decision": "fulfilled"}))
    assert forged.field_error("decision") == "Select a decision from the list"
    with db.factory() as session:
        assert session.get_one(LoanRequest, request.id).status == "eligible"
    coordinator.post(url, data={"decision": "declined", "note": "Moved out of the borough"})
    with db.factory() as session:
        stored = session.get_one(LoanRequest, request.id)
        assert (stored.status, stored.decision_note) == ("declined", "Moved out of the borough")
    again = parse(coordinator.get(f"/loans/requests/{request.public_id}"))
    assert "What is your decision?" not in again.text(), "a closed request has no decisions"


def test_lending_a_device_shows_the_due_date_from_the_rules_before_confirming(
    coordinator: FlaskClient, db: Database
) -> None:
    with db.factory() as session:
        request = add_request(session)
        device = add_device(session)
    coordinator.post(f"/loans/requests/{request.public_id}/decision", data={"decision": "approved"})
    url = f"/loans/requests/{request.public_id}/lend"
    response = coordinator.post(url, data=lend_data(asset_tag=device.asset_tag.lower()))
    assert response.headers["Location"].endswith("/lend/confirm")
    confirm = parse(coordinator.get(response.headers["Location"]))
    due = today_london() + timedelta(days=28)  # the default rule: 28 days, renewable twice
    assert confirm.h1 == "Check the loan before lending"
    assert f"{due.day} {due:%B %Y} (the longest loan the council’s rules allow)" in confirm.text()
    assert "Renewals allowed 2" in confirm.text()
    assert loans_of(db) == [], "nothing is lent until confirmed"
    key = confirm_key(str(confirm.soup))
    response = coordinator.post(f"{url}/confirm", data={"key": key})
    loan_page = parse(coordinator.get(response.headers["Location"]))
    assert loan_page.h1 == f"Loan of {device.label}"
    [loan] = loans_of(db)
    assert (loan.due_on, loan.agreement_version, loan.condition_out) == (
        due,
        "v1",
        "Small scratch on the back",
    )
    # Sending the confirm page again does not lend twice.
    again = coordinator.post(f"{url}/confirm", data={"key": key})
    assert again.headers["Location"].endswith(f"/loans/loan/{loan.public_id}")
    assert len(loans_of(db)) == 1
    with db.factory() as session:
        assert session.get_one(LoanRequest, request.id).status == "fulfilled"
        assert session.get_one(Device, device.id).status == "on_loan"
    on_loan = parse(coordinator.get(f"/loans/devices/{device.public_id}"))
    assert "Change status" not in on_loan.text(), "a lent device changes through its loan"
    status_page = parse(coordinator.get(f"/loans/devices/{device.public_id}/status"))
    assert "There is nothing to change here at the moment." in status_page.text()


BAD_LENDING: tuple[tuple[dict[str, object], str, str], ...] = (
    (
        {"asset_tag": "ZZ-404"},
        "asset_tag",
        "No device has the asset tag ZZ-404. Check the label on the device.",
    ),
    ({"asset_tag": ""}, "asset_tag", "Enter the asset tag of a device, or the code of a kit"),
    (
        {"kit_code": "KIT-404"},
        "asset_tag",
        "Enter the asset tag of a device or the code of a kit, not both",
    ),
    (
        {"asset_tag": "", "kit_code": "KIT-404"},
        "kit_code",
        "No kit has the code KIT-404. Check the label on the kit.",
    ),
    (
        {"agreement_accepted": ""},
        "agreement_accepted",
        "Confirm the borrower has accepted the loan agreement",
    ),
    ({"agreement_version": ""}, "agreement_version", "Enter the version of the loan agreement"),
    ({"due": 0}, "due_on", "must be after the day the item is lent"),
    ({"due": -3}, "due_on", "must be after the day the item is lent"),
    ({"due": 40}, "due_on", "The due date cannot be later than"),
)


def test_bad_lending_details_are_refused_on_their_field_and_nothing_is_lent(
    coordinator: FlaskClient, db: Database
) -> None:
    with db.factory() as session:
        request = add_request(session)
        device = add_device(session)
    for case, field, message in BAD_LENDING:
        data = lend_data(asset_tag=device.asset_tag)
        changes = dict(case)
        offset = changes.pop("due", None)
        if isinstance(offset, int):
            data.update(date_fields("due_on", today_london() + timedelta(days=offset)))
        data.update(changes)
        page = parse(coordinator.post(f"/loans/requests/{request.public_id}/lend", data=data))
        assert page.title.startswith("Error: "), case
        assert message in page.field_error(field), (case, page.field_error(field))
    assert loans_of(db) == []
    with db.factory() as session:
        assert session.get_one(Device, device.id).status == "ready"


def test_an_ineligible_request_gets_its_reason_and_nothing_is_lent(
    coordinator: FlaskClient, db: Database
) -> None:
    with db.factory() as session:
        request = add_request(session, age_years=16)
        device = add_device(session)
    url = f"/loans/requests/{request.public_id}/lend"
    page = parse(coordinator.get(url))
    assert "This request is not eligible, so nothing can be lent against it." in page.text()
    refused = parse(coordinator.post(url, data=lend_data(asset_tag=device.asset_tag)))
    assert refused.field_error("asset_tag").startswith(
        "This request is not eligible, so nothing can be lent against it: Aged under 18"
    )
    assert loans_of(db) == []


def test_a_device_that_is_not_ready_cannot_be_lent(coordinator: FlaskClient, db: Database) -> None:
    with db.factory() as session:
        request = add_request(session)
        device = add_device(session, ready=False)
    page = parse(
        coordinator.post(
            f"/loans/requests/{request.public_id}/lend", data=lend_data(asset_tag=device.asset_tag)
        )
    )
    assert "not ready to lend" in page.field_error("asset_tag")


def test_a_kit_is_lent_on_its_strictest_rule_renewed_and_returned_with_a_missing_charger(
    coordinator: FlaskClient, db: Database
) -> None:
    with db.factory() as session:
        request = add_request(session, need="both", has_home_connection=False)
        kit = add_kit(session)
        charger = next(device for device in kit.devices if device.kind == "charger")
    url = f"/loans/requests/{request.public_id}/lend"
    coordinator.post(url, data=lend_data(kit_code="kit-900"))
    confirm = parse(coordinator.get(f"{url}/confirm"))
    due = today_london() + timedelta(days=28)  # tablet 28 days beats the Mi-Fi's 91
    assert f"{due.day} {due:%B %Y}" in confirm.text()
    assert "Renewals allowed 1" in confirm.text(), "the Mi-Fi allows one renewal"
    key = confirm_key(str(confirm.soup))
    coordinator.post(f"{url}/confirm", data={"key": key})
    [loan] = loans_of(db)
    loan_url = f"/loans/loan/{loan.public_id}"
    page = parse(coordinator.get(loan_url))
    renewed_due = due + timedelta(days=28)
    assert f"Renew until {renewed_due.day} {renewed_due:%B %Y}" in page.text()
    coordinator.post(f"{loan_url}/renew", data={})
    page = parse(coordinator.get(loan_url))
    assert "This loan has already been renewed once, the most allowed." in page.text()
    form = parse(coordinator.get(f"{loan_url}/return"))
    assert form.soup.find("input", attrs={"name": "missing_asset_tags", "value": charger.asset_tag})
    future = parse(
        coordinator.post(
            f"{loan_url}/return",
            data={
                "condition": "good",
                "damaged": "no",
                **date_fields("returned_on", today_london() + timedelta(days=1)),
            },
        )
    )
    assert future.field_error("returned_on") == "The return date cannot be in the future."
    everything = parse(
        coordinator.post(
            f"{loan_url}/return",
            data={
                "condition": "good",
                "damaged": "no",
                "missing_asset_tags": [d.asset_tag for d in kit.devices],
                **date_fields("returned_on", today_london()),
            },
        )
    )
    assert everything.field_error("missing_asset_tags") == (
        "Nothing came back. Record the loan as lost instead."
    )
    with db.factory() as session:
        assert session.get_one(Loan, loan.id).status == "active"
    response = coordinator.post(
        f"{loan_url}/return",
        data={
            "condition": "fair",
            "damaged": "no",
            "missing_asset_tags": [charger.asset_tag],
            "note": "Charger not returned",
            **date_fields("returned_on", today_london()),
        },
    )
    assert response.status_code == 302
    with db.factory() as session:
        stored = session.get_one(Loan, loan.id)
        assert (stored.status, stored.return_condition, stored.renewals_used) == (
            "returned",
            "fair",
            1,
        )
        assert session.get_one(Device, charger.id).status == "lost"
        assert session.get_one(Kit, kit.id).status == "available"
        others = [d for d in session.get_one(Kit, kit.id).devices]
        assert {d.status for d in others} == {"returned"} and all(d.needs_wipe for d in others)


def test_a_return_by_asset_tag_of_a_device_not_on_loan_is_refused(
    coordinator: FlaskClient, db: Database
) -> None:
    with db.factory() as session:
        device = add_device(session)
    data = {"condition": "good", "damaged": "no", **date_fields("returned_on", today_london())}
    page = parse(coordinator.post("/loans/return", data={**data, "asset_tag": device.asset_tag}))
    assert page.field_error("asset_tag") == (
        f"{device.asset_tag} is not on loan (it is ready), so there is nothing to return."
    )
    unknown = parse(coordinator.post("/loans/return", data={**data, "asset_tag": "QQ-1"}))
    assert unknown.field_error("asset_tag").startswith("No device has the asset tag QQ-1")
    with db.factory() as session:
        assert session.get_one(Device, device.id).status == "ready"


def test_a_return_by_asset_tag_closes_the_loan_and_the_device_needs_a_wipe(
    coordinator: FlaskClient, db: Database
) -> None:
    with db.factory() as session:
        request = add_request(session)
        device = add_device(session)
    url = f"/loans/requests/{request.public_id}/lend"
    coordinator.post(url, data=lend_data(asset_tag=device.asset_tag))
    key = confirm_key(coordinator.get(f"{url}/confirm").get_data(as_text=True))
    coordinator.post(f"{url}/confirm", data={"key": key})
    early = parse(
        coordinator.post(
            "/loans/return",
            data={
                "asset_tag": device.asset_tag,
                "condition": "good",
                "damaged": "no",
                **date_fields("returned_on", today_london() - timedelta(days=2)),
            },
        )
    )
    assert "is before the loan started" in early.field_error("returned_on")
    response = coordinator.post(
        "/loans/return",
        data={
            "asset_tag": device.asset_tag,
            "condition": "good",
            "damaged": "yes",
            **date_fields("returned_on", today_london()),
        },
    )
    assert response.status_code == 302
    with db.factory() as session:
        stored = session.get_one(Device, device.id)
        assert (stored.status, stored.needs_wipe) == ("returned", True)
    # It cannot go out again until it is wiped.
    with db.factory() as session:
        second = add_request(session)
    refused = parse(
        coordinator.post(
            f"/loans/requests/{second.public_id}/lend", data=lend_data(asset_tag=device.asset_tag)
        )
    )
    assert "not ready to lend" in refused.field_error("asset_tag")


def test_a_lost_item_closes_the_loan(coordinator: FlaskClient, db: Database) -> None:
    with db.factory() as session:
        request = add_request(session)
        device = add_device(session)
    url = f"/loans/requests/{request.public_id}/lend"
    coordinator.post(url, data=lend_data(asset_tag=device.asset_tag))
    key = confirm_key(coordinator.get(f"{url}/confirm").get_data(as_text=True))
    coordinator.post(f"{url}/confirm", data={"key": key})
    [loan] = loans_of(db)
    refused = parse(coordinator.post(f"/loans/loan/{loan.public_id}/lost", data={}))
    assert refused.field_error("reported_on") == "Enter the date it was reported lost"
    coordinator.post(
        f"/loans/loan/{loan.public_id}/lost",
        data={"note": "Left on a bus", **date_fields("reported_on", today_london())},
    )
    with db.factory() as session:
        assert session.get_one(Loan, loan.id).status == "lost"
        assert session.get_one(Device, device.id).status == "lost"
    again = parse(
        coordinator.post(
            f"/loans/loan/{loan.public_id}/return",
            data={
                "condition": "good",
                "damaged": "no",
                **date_fields("returned_on", today_london()),
            },
        )
    )
    assert "This loan was recorded as lost." in again.field_error("condition")


def test_items_out_lists_overdue_and_due_soon(coordinator: FlaskClient, db: Database) -> None:
    with db.factory() as session:
        request = add_request(session, resident_name="Hana Hussain")
        device = add_device(session)
    url = f"/loans/requests/{request.public_id}/lend"
    coordinator.post(
        url,
        data=lend_data(
            asset_tag=device.asset_tag, **date_fields("due_on", today_london() + timedelta(days=3))
        ),
    )
    key = confirm_key(coordinator.get(f"{url}/confirm").get_data(as_text=True))
    coordinator.post(f"{url}/confirm", data={"key": key})
    assert "Hana Hussain" in parse(coordinator.get("/loans/out?show=due_soon")).text()
    assert "Hana Hussain" not in parse(coordinator.get("/loans/out?show=overdue")).text()
    overview = parse(coordinator.get("/loans"))
    assert "1 due in the next 7 days" in overview.text()
    with db.factory() as session:
        assert session.scalar(select(func.count()).select_from(Loan)) == 1


def test_a_kit_with_a_device_in_repair_is_refused_and_nothing_changes(
    coordinator: FlaskClient, db: Database
) -> None:
    with db.factory() as session:
        request = add_request(session)
        kit = add_kit(session)
        charger = next(device for device in kit.devices if device.kind == "charger")
    coordinator.post(
        f"/loans/devices/{charger.public_id}/status", data={"status": "in_repair", "note": "Frayed"}
    )
    page = parse(
        coordinator.post(
            f"/loans/requests/{request.public_id}/lend",
            data=lend_data(asset_tag="", kit_code=kit.code),
        )
    )
    assert page.field_error("kit_code").startswith(f"Kit {kit.code} cannot be lent:")
    assert charger.asset_tag in page.field_error("kit_code")
    assert loans_of(db) == []
    with db.factory() as session:
        stored = session.get_one(Kit, kit.id)
        assert stored.status == "available"
        assert {d.status for d in stored.devices} == {"ready", "in_repair"}
        assert session.get_one(LoanRequest, request.id).status == "eligible"


def test_the_borrower_is_told_what_they_borrowed_and_when_it_is_due(
    coordinator: FlaskClient, db: Database
) -> None:
    from app.notifications import render
    from core.outbox import OutboxMessage

    with db.factory() as session:
        request = add_request(session)
        device = add_device(session)
    url = f"/loans/requests/{request.public_id}/lend"
    coordinator.post(url, data=lend_data(asset_tag=device.asset_tag))
    key = confirm_key(coordinator.get(f"{url}/confirm").get_data(as_text=True))
    coordinator.post(f"{url}/confirm", data={"key": key})
    due = today_london() + timedelta(days=28)
    with db.factory() as session:
        message = session.scalars(
            select(OutboxMessage).where(OutboxMessage.template == "loan_issued")
        ).one()
        assert render(message) == (
            f"You have borrowed {device.label}. Please bring it back by {due.day} {due:%B %Y}. "
            f"Your reference is {request.reference[:4]} {request.reference[4:]}."
        )
