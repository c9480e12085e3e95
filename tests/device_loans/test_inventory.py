"""Devices and kits: registration, the lifecycle services, wipes and the audit trail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.errors import Conflict, DomainError, NotFound
from device_loans.models import Device, DeviceEvent
from device_loans.services import (
    add_to_kit,
    change_device_status,
    create_kit,
    dissolve_kit,
    get_device_by_tag,
    list_available_devices,
    list_available_kits,
    record_wipe,
    register_device,
    remove_from_kit,
    return_loan,
    update_device_condition,
)
from tests.device_loans.factories import (
    NOW,
    STAFF,
    TODAY,
    add_device,
    add_kit,
    add_request,
    lend,
    new_device,
)


def events(session: Session, device_id: int) -> list[tuple[str | None, str]]:
    rows = session.scalars(
        select(DeviceEvent).where(DeviceEvent.device_id == device_id).order_by(DeviceEvent.id)
    )
    return [(row.from_status, row.to_status) for row in rows]


def test_a_donated_device_arrives_needing_a_wipe(session: Session) -> None:
    device = register_device(
        session,
        new_device(source="donated", donor="Hounslow Rotary"),
        by=STAFF,
        now=NOW,
        today=TODAY,
    )
    assert (device.status, device.needs_wipe) == ("received", True)
    with pytest.raises(Conflict, match="has not been wiped since it last came in"):
        change_device_status(session, device.id, to_status="ready", by=STAFF, now=NOW)
    assert device.status == "received"


def test_asset_tags_are_normalised_and_unique(session: Session) -> None:
    device = register_device(
        session, new_device(asset_tag=" dl-0042 "), by=STAFF, now=NOW, today=TODAY
    )
    assert device.asset_tag == "DL-0042"
    assert get_device_by_tag(session, "dl-0042").id == device.id
    with pytest.raises(DomainError, match="DL-0042 is already used by Tablet DL-0042") as caught:
        register_device(session, new_device(asset_tag="DL-0042"), by=STAFF, now=NOW, today=TODAY)
    assert caught.value.field == "asset_tag"


def test_an_unknown_asset_tag_is_named_in_the_error(session: Session) -> None:
    with pytest.raises(
        NotFound, match=r"No device has the asset tag XX-9\. Check the label"
    ) as caught:
        get_device_by_tag(session, "xx-9")
    assert caught.value.field == "asset_tag"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"asset_tag": "   "}, "asset_tag", "Enter the asset tag"),
        ({"asset_tag": "DL 1;drop"}, "asset_tag", "can only have letters"),
        ({"kind": "phablet"}, "kind", "Choose what kind"),
        ({"received_on": TODAY + timedelta(days=1)}, "received_on", "cannot be in the future"),
        ({"data_allowance_gb": 5.0}, "data_allowance_gb", "Only SIMs and Mi-Fi units"),
        ({"source": "purchased", "donor": "Someone"}, "donor", "Only donated or recycled"),
        (
            {"kind": "sim", "data_expires_on": TODAY - timedelta(days=90)},
            "data_expires_on",
            "on or after the date the SIM was received",
        ),
        ({"kind": "sim", "data_allowance_gb": -1.0}, "data_allowance_gb", "from 0 to 10,000"),
        ({"make": ""}, "make", "Enter the make"),
    ],
)
def test_bad_device_details_are_refused_with_the_field(
    session: Session, overrides: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(DomainError, match=message) as caught:
        register_device(session, new_device(**overrides), by=STAFF, now=NOW, today=TODAY)
    assert caught.value.field == field


def test_a_sim_keeps_its_allowance_and_end_date(session: Session) -> None:
    sim = add_device(session, kind="sim", network="Vodafone", data_allowance_gb=40.0)
    assert (sim.data_allowance_gb, sim.network) == (40.0, "Vodafone")
    assert sim.data_expires_on == TODAY + timedelta(days=365)
    assert sim.label.startswith(f"Data SIM {sim.asset_tag}")


def test_a_wipe_records_its_certificate_in_the_trail(session: Session) -> None:
    device = add_device(session, source="donated", ready=False)
    event = record_wipe(
        session,
        device.id,
        certificate_ref="BL-2027-0001",
        method="certified_erasure",
        by=STAFF,
        at=NOW,
        now=NOW,
    )
    assert (device.status, device.needs_wipe, device.last_wipe_certificate_ref) == (
        "wiped",
        False,
        "BL-2027-0001",
    )
    assert (event.from_status, event.to_status, event.wipe_certificate_ref, event.actor_id) == (
        "received",
        "wiped",
        "BL-2027-0001",
        STAFF,
    )
    assert events(session, device.id) == [(None, "received"), ("received", "wiped")]


def test_a_wipe_needs_a_certificate_and_a_known_method(session: Session) -> None:
    device = add_device(session, source="donated", ready=False)
    with pytest.raises(DomainError, match="Enter the wipe certificate reference") as caught:
        record_wipe(
            session,
            device.id,
            certificate_ref=" ",
            method="factory_reset",
            by=STAFF,
            at=NOW,
            now=NOW,
        )
    assert caught.value.field == "certificate_ref"
    with pytest.raises(DomainError, match="Choose how the device was wiped"):
        record_wipe(
            session, device.id, certificate_ref="C1", method="magnet", by=STAFF, at=NOW, now=NOW
        )
    with pytest.raises(DomainError, match="cannot be in the future"):
        record_wipe(
            session,
            device.id,
            certificate_ref="C1",
            method="factory_reset",
            by=STAFF,
            at=NOW + timedelta(hours=1),
            now=NOW,
        )
    assert device.status == "received"


def test_a_wipe_dated_before_the_return_is_refused(session: Session) -> None:
    device = add_device(session)
    loan = lend(session, add_request(session), device=device, today=TODAY)

    later = TODAY + timedelta(days=10)
    return_loan(
        session,
        loan.id,
        condition="good",
        damaged=False,
        returned_on=later,
        by=STAFF,
        today=later,
        now=NOW + timedelta(days=10),
    )
    with pytest.raises(DomainError, match="before the device last came back") as caught:
        record_wipe(
            session,
            device.id,
            certificate_ref="C2",
            method="mdm_reset",
            by=STAFF,
            at=NOW + timedelta(days=9),
            now=NOW + timedelta(days=10),
        )
    assert caught.value.field == "wiped_at"
    assert device.status == "returned"


def test_lending_and_wiping_have_their_own_services(session: Session) -> None:
    device = add_device(session)
    with pytest.raises(DomainError, match="Lend a device through a loan request"):
        change_device_status(session, device.id, to_status="on_loan", by=STAFF, now=NOW)
    with pytest.raises(DomainError, match="Record a wipe"):
        change_device_status(session, device.id, to_status="wiped", by=STAFF, now=NOW)


def test_a_retired_device_stays_retired(session: Session) -> None:
    device = add_device(session)
    change_device_status(
        session, device.id, to_status="retired", by=STAFF, now=NOW, note="Cracked screen"
    )
    with pytest.raises(Conflict, match="has been retired"):
        change_device_status(session, device.id, to_status="ready", by=STAFF, now=NOW)
    assert events(session, device.id)[-1] == ("ready", "retired")


def test_a_lost_device_that_turns_up_must_be_wiped(session: Session) -> None:
    device = add_device(session)
    change_device_status(session, device.id, to_status="lost", by=STAFF, now=NOW)
    change_device_status(session, device.id, to_status="returned", by=STAFF, now=NOW)
    assert (device.status, device.needs_wipe, device.last_returned_on) == ("returned", True, TODAY)
    assert device not in list_available_devices(session)


def test_a_stale_copy_of_a_device_cannot_overwrite_a_newer_status(session: Session) -> None:
    device = add_device(session)
    # Someone else sends it for repair behind this session's back.
    session.execute(
        update(Device)
        .where(Device.id == device.id)
        .values(status="in_repair", needs_wipe=True)
        .execution_options(synchronize_session=False)
    )
    assert device.status == "ready"  # the stale copy
    with pytest.raises(Conflict, match="was changed by someone else"):
        change_device_status(session, device.id, to_status="set_up", by=STAFF, now=NOW)
    session.refresh(device)
    assert device.status == "in_repair"


# Kits -------------------------------------------------------------------------------------


def test_a_kit_is_available_when_all_its_devices_are_ready(session: Session) -> None:
    kit = add_kit(session)
    assert [device.kind for device in kit.devices] == ["tablet", "charger", "mifi"]
    assert list_available_kits(session) == [kit]
    tablet = kit.devices[0]
    change_device_status(session, tablet.id, to_status="in_repair", by=STAFF, now=NOW)
    assert list_available_kits(session) == []
    assert tablet not in list_available_devices(session)


def test_kit_devices_are_not_offered_on_their_own(session: Session) -> None:
    kit = add_kit(session)
    loose = add_device(session)
    assert list_available_devices(session) == [loose]
    assert kit.devices[0] not in list_available_devices(session)


def test_a_device_can_be_in_one_kit_only(session: Session) -> None:
    kit = add_kit(session, code="KIT-A")
    other = add_device(session)
    with pytest.raises(Conflict, match="already in kit KIT-A") as caught:
        create_kit(
            session,
            code="KIT-B",
            name="Pair",
            device_ids=[kit.devices[0].id, other.id],
            by=STAFF,
            now=NOW,
        )
    assert caught.value.field == "device_ids"


def test_a_kit_needs_two_devices_and_a_unique_code(session: Session) -> None:
    device = add_device(session)
    with pytest.raises(DomainError, match="at least two devices"):
        create_kit(
            session, code="KIT-1", name="One", device_ids=[device.id, device.id], by=STAFF, now=NOW
        )
    add_kit(session, code="KIT-1")
    with pytest.raises(DomainError, match="KIT-1 is already used"):
        create_kit(
            session,
            code="kit-1",
            name="Again",
            device_ids=[device.id, add_device(session).id],
            by=STAFF,
            now=NOW,
        )


def test_a_lent_kit_cannot_be_split_or_added_to(session: Session) -> None:
    kit = add_kit(session)
    lend(session, add_request(session), kit=kit)
    charger = kit.devices[1]
    with pytest.raises(Conflict, match="is on loan, so its devices cannot change") as caught:
        remove_from_kit(session, kit.id, charger.id, by=STAFF, now=NOW)
    assert caught.value.field == "kit_code"
    with pytest.raises(Conflict, match="is on loan"):
        add_to_kit(session, kit.id, add_device(session).id, by=STAFF, now=NOW)
    with pytest.raises(Conflict, match="is on loan"):
        dissolve_kit(session, kit.id, by=STAFF, now=NOW)
    with pytest.raises(Conflict, match=r"is on loan\. Record the loan's return"):
        change_device_status(session, charger.id, to_status="lost", by=STAFF, now=NOW)
    assert charger.kit_id == kit.id


def test_kits_change_while_at_home(session: Session) -> None:
    kit = add_kit(session)
    spare = add_device(session, kind="charger")
    add_to_kit(session, kit.id, spare.id, by=STAFF, now=NOW)
    assert spare.kit_id == kit.id
    remove_from_kit(session, kit.id, kit.devices[1].id, by=STAFF, now=NOW)
    assert len(kit.devices) == 3
    dissolve_kit(session, kit.id, by=STAFF, now=NOW)
    assert kit.status == "dissolved"
    assert kit.devices == []


def test_a_check_updates_condition_and_location(session: Session) -> None:
    device = add_device(session)
    update_device_condition(session, device.id, condition="fair", location="Civic Centre store")
    assert (device.condition, device.location) == ("fair", "Civic Centre store")
    with pytest.raises(DomainError, match="Choose the device's condition") as caught:
        update_device_condition(session, device.id, condition="shiny")
    assert caught.value.field == "condition"
