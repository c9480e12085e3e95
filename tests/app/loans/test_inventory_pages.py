"""Coordinators keep the inventory: devices, wipes, status changes and kits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from core.clock import today_london
from device_loans.models import Device, DeviceEvent, Kit
from tests.app.loans.helpers import add_device, add_kit
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


def date_fields(name: str, day: object) -> dict[str, str]:
    return {name: [str(day.day), str(day.month), str(day.year)]}  # type: ignore[attr-defined, dict-item]


def count(db: Database, model: type) -> int:
    with db.factory() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


GOOD_DEVICE = {
    "asset_tag": "dl 0042",
    "kind": "tablet",
    "make": "Lenovo",
    "model": "Tab M10",
    "condition": "good",
    "location": "Central Library",
    "source": "donated",
    "donor": "Local business donation",
}


def test_a_donated_device_is_added_and_needs_a_wipe(coordinator: FlaskClient, db: Database) -> None:
    form = parse(coordinator.get("/loans/devices/new?source=donated"))
    assert form.h1 == "Add a device"
    assert form.soup.find("input", attrs={"name": "source", "value": "donated", "checked": True})
    response = coordinator.post(
        "/loans/devices/new", data={**GOOD_DEVICE, **date_fields("received_on", today_london())}
    )
    assert response.status_code == 302
    page = parse(coordinator.get(response.headers["Location"]))
    assert page.h1 == "Tablet DL0042 (Lenovo Tab M10)"
    assert "It must be wiped before it can be set up or lent." in page.text()
    assert "Added to the inventory (received)" in page.text()
    assert "Cora Coordinator" in page.text(), "the audit trail names who did it"


BAD_DEVICES: tuple[tuple[dict[str, object], str, str], ...] = (
    ({"asset_tag": ""}, "asset_tag", "Enter the asset tag on the device’s label"),
    ({"asset_tag": "DL#42"}, "asset_tag", "An asset tag can only have letters"),
    ({"kind": ""}, "kind", "Select what kind of device it is"),
    ({"kind": "toaster"}, "kind", "Select a kind of device from the list"),
    ({"condition": ""}, "condition", "Select the device’s condition"),
    ({"source": "purchased"}, "donor", "Only donated or recycled devices have a donor."),
    (
        {"data_allowance_gb": "40"},
        "data_allowance_gb",
        "Only SIMs and Mi-Fi units have a data allowance.",
    ),
    (
        {"data_allowance_gb": "lots"},
        "data_allowance_gb",
        "The data allowance must be a number, like 40",
    ),
    ({"received_on": ["31", "2", "2026"]}, "received_on", "The date received must be a real date"),
    ({"received_on": ["1", "", "2026"]}, "received_on", "The date received must include a month"),
    ({"received_on": "tomorrow"}, "received_on", "The date received cannot be in the future."),
)


def test_a_device_with_bad_details_is_refused_on_its_field_and_not_saved(
    coordinator: FlaskClient, db: Database
) -> None:
    for changes, field, message in BAD_DEVICES:
        data: dict[str, object] = {**GOOD_DEVICE, **date_fields("received_on", today_london())}
        data.update(changes)
        if changes.get("received_on") == "tomorrow":
            data.update(date_fields("received_on", today_london() + timedelta(days=1)))
        page = parse(coordinator.post("/loans/devices/new", data=data))
        assert page.status == 200, changes
        assert page.title.startswith("Error: "), changes
        assert page.field_error(field).startswith(message), (changes, page.field_error(field))
    assert count(db, Device) == 0


def test_a_used_asset_tag_is_refused(coordinator: FlaskClient, db: Database) -> None:
    with db.factory() as session:
        add_device(session, asset_tag="DL-0042")
    data = {**GOOD_DEVICE, "asset_tag": "dl-0042", **date_fields("received_on", today_london())}
    page = parse(coordinator.post("/loans/devices/new", data=data))
    assert page.field_error("asset_tag").startswith("The asset tag DL-0042 is already used by")
    assert count(db, Device) == 1


def test_a_wipe_is_recorded_with_its_certificate(coordinator: FlaskClient, db: Database) -> None:
    with db.factory() as session:
        device = add_device(session, ready=False)
    url = f"/loans/devices/{device.public_id}/wipe"
    page = parse(coordinator.get(url))
    assert page.h1 == f"Record a wipe of {device.asset_tag}"
    refused = parse(
        coordinator.post(
            url, data={"method": "factory_reset", **date_fields("wiped_at", today_london())}
        )
    )
    assert refused.error_summary == ["Enter the wipe certificate reference"]
    future = parse(
        coordinator.post(
            url,
            data={
                "certificate_ref": "BL-9981",
                "method": "factory_reset",
                **date_fields("wiped_at", today_london() + timedelta(days=1)),
            },
        )
    )
    assert future.field_error("wiped_at") == "The wipe date cannot be in the future."
    early = parse(
        coordinator.post(
            url,
            data={
                "certificate_ref": "BL-9981",
                "method": "factory_reset",
                **date_fields("wiped_at", device.received_on - timedelta(days=1)),
            },
        )
    )
    assert "is before the device was received" in early.field_error("wiped_at")
    with db.factory() as session:
        assert session.get_one(Device, device.id).status == "received"
    response = coordinator.post(
        url,
        data={
            "certificate_ref": "BL-9981",
            "method": "certified_erasure",
            **date_fields("wiped_at", today_london()),
        },
    )
    assert response.status_code == 302
    detail = parse(coordinator.get(response.headers["Location"]))
    assert "BL-9981 (Certified erasure software" in detail.text()
    with db.factory() as session:
        stored = session.get_one(Device, device.id)
        assert (stored.status, stored.needs_wipe, stored.last_wipe_certificate_ref) == (
            "wiped",
            False,
            "BL-9981",
        )


def test_status_changes_offer_only_what_the_lifecycle_allows(
    coordinator: FlaskClient, db: Database
) -> None:
    with db.factory() as session:
        device = add_device(session, ready=False)
    url = f"/loans/devices/{device.public_id}/status"
    page = parse(coordinator.get(url))
    values = {radio["value"] for radio in page.soup.select("input[name=status]")}
    assert values == {"set_up", "ready", "in_repair", "retired", "lost"}
    refused = parse(coordinator.post(url, data={"status": "ready"}))
    assert "has not been wiped since it last came in" in refused.field_error("status")
    forged = parse(coordinator.post(url, data={"status": "on_loan"}))
    assert forged.field_error("status") == "Select what has happened to the device"
    with db.factory() as session:
        assert session.get_one(Device, device.id).status == "received"
    response = coordinator.post(url, data={"status": "in_repair", "note": "Cracked screen"})
    assert response.status_code == 302
    with db.factory() as session:
        assert session.get_one(Device, device.id).status == "in_repair"
        event = session.scalars(
            select(DeviceEvent)
            .where(DeviceEvent.device_id == device.id)
            .order_by(DeviceEvent.id.desc())
        ).first()
        assert event is not None and event.note == "Cracked screen"


def test_condition_and_place_are_updated(coordinator: FlaskClient, db: Database) -> None:
    with db.factory() as session:
        device = add_device(session)
    url = f"/loans/devices/{device.public_id}/condition"
    refused = parse(coordinator.post(url, data={"condition": "fair", "location": ""}))
    assert refused.field_error("location").startswith("Enter where the device is kept")
    coordinator.post(url, data={"condition": "fair", "location": "Community Hub"})
    with db.factory() as session:
        stored = session.get_one(Device, device.id)
        assert (stored.condition, stored.location) == ("fair", "Community Hub")


def test_the_inventory_filters_by_kind_status_condition_and_place(
    coordinator: FlaskClient, db: Database
) -> None:
    with db.factory() as session:
        tablet = add_device(session, kind="tablet")
        laptop = add_device(session, kind="laptop", location="Community Hub")
        waiting = add_device(session, kind="tablet", ready=False, condition="fair")
    everything = parse(coordinator.get("/loans/devices")).text()
    assert all(d.asset_tag in everything for d in (tablet, laptop, waiting))
    tablets = parse(coordinator.get("/loans/devices?kind=tablet&status=ready")).text()
    assert tablet.asset_tag in tablets and laptop.asset_tag not in tablets
    assert waiting.asset_tag not in tablets
    hub = parse(coordinator.get("/loans/devices?location=Community+Hub")).text()
    assert laptop.asset_tag in hub and tablet.asset_tag not in hub
    fair = parse(coordinator.get("/loans/devices?condition=fair")).text()
    assert waiting.asset_tag in fair and tablet.asset_tag not in fair
    nonsense = parse(coordinator.get("/loans/devices?kind=toaster"))
    assert nonsense.status == 200 and tablet.asset_tag in nonsense.text()
    assert not nonsense.title.startswith("Error"), "an unknown filter is ignored"


def test_a_kit_is_made_from_asset_tags(coordinator: FlaskClient, db: Database) -> None:
    with db.factory() as session:
        tablet = add_device(session, kind="tablet")
        charger = add_device(session, kind="charger")
    unknown = parse(
        coordinator.post(
            "/loans/kits/new",
            data={
                "kit_code": "KIT-011",
                "name": "Tablet and charger",
                "asset_tags": f"{tablet.asset_tag}\nXX-1",
            },
        )
    )
    assert (
        unknown.field_error("asset_tags")
        == "No device has the asset tag XX-1. Check the label on the device."
    )
    single = parse(
        coordinator.post(
            "/loans/kits/new",
            data={"kit_code": "KIT-011", "name": "Tablet", "asset_tags": tablet.asset_tag},
        )
    )
    assert single.field_error("asset_tags") == "Choose at least two devices for the kit."
    assert count(db, Kit) == 0
    response = coordinator.post(
        "/loans/kits/new",
        data={
            "kit_code": "kit-011",
            "name": "Tablet and charger",
            "asset_tags": f"{tablet.asset_tag}, {charger.asset_tag.lower()}",
        },
    )
    assert response.status_code == 302
    page = parse(coordinator.get(response.headers["Location"]))
    assert page.h1 == "Kit KIT-011: Tablet and charger"
    assert tablet.asset_tag in page.text() and charger.asset_tag in page.text()


def test_kit_devices_are_added_taken_out_and_the_kit_broken_up(
    coordinator: FlaskClient, db: Database
) -> None:
    with db.factory() as session:
        kit = add_kit(session)
        spare = add_device(session, kind="charger")
        members = [device.id for device in kit.devices]
    base = f"/loans/kits/{kit.public_id}"
    refused = parse(coordinator.post(f"{base}/add", data={"asset_tag": "NOPE-1"}))
    assert refused.field_error("asset_tag").startswith("No device has the asset tag NOPE-1")
    coordinator.post(f"{base}/add", data={"asset_tag": spare.asset_tag})
    with db.factory() as session:
        assert session.get_one(Device, spare.id).kit_id == kit.id
        spare_public = session.get_one(Device, spare.id).public_id
    coordinator.post(f"{base}/remove", data={"device": spare_public})
    with db.factory() as session:
        assert session.get_one(Device, spare.id).kit_id is None
    response = coordinator.post(f"{base}/dissolve", data={})
    assert response.status_code == 302
    page = parse(coordinator.get(base))
    assert "broken up" in page.text()
    with db.factory() as session:
        assert session.get_one(Kit, kit.id).status == "dissolved"
        assert all(session.get_one(Device, device_id).kit_id is None for device_id in members)


def test_only_coordinators_and_admins_see_the_inventory(app: Flask, db: Database) -> None:
    for role, status in (("champion", 403), ("planner", 403), ("councillor", 403), ("admin", 200)):
        client = app.test_client()
        with db.factory() as session:
            user = make_user(session, roles=[role])
        sign_in(client, user)
        assert client.get("/loans/devices").status_code == status, role


def test_a_lost_device_that_turns_up_is_booked_back_in_and_needs_a_wipe(
    coordinator: FlaskClient, db: Database
) -> None:
    with db.factory() as session:
        device = add_device(session)
    url = f"/loans/devices/{device.public_id}/status"
    coordinator.post(url, data={"status": "lost"})
    page = parse(coordinator.get(url))
    values = {radio["value"] for radio in page.soup.select("input[name=status]")}
    assert values == {"returned", "retired"}
    assert "Found: book it back in (it will need a wipe)" in page.text()
    coordinator.post(url, data={"status": "returned", "note": "Found in the store room"})
    with db.factory() as session:
        stored = session.get_one(Device, device.id)
        assert (stored.status, stored.needs_wipe) == ("returned", True)
