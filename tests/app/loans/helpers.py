"""Helpers of the loans page tests: wards from the real Hounslow file, staff, devices, answers."""

from __future__ import annotations

import functools
import itertools
import json
import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.places.models import Area, AreaLayerRecord
from champions.models import Champion
from core.clock import now_utc, today_london
from device_loans import services
from device_loans.config import DEFAULT_POLICY
from device_loans.models import Device, Kit, LoanRequest
from tests.shared_data import SHARED_DATA

HOUNSLOW_WARDS = SHARED_DATA / "hounslow_wards_2023.geojson"
BEDFONT = "E05013606"  # a Hounslow ward (WD23CD) in the real file

_numbers = itertools.count(1)


@functools.cache
def _hounslow() -> dict[str, Any]:
    collection: dict[str, Any] = json.loads(HOUNSLOW_WARDS.read_text())
    return collection


def store_wards(session: Session) -> dict[str, str]:
    """Store the 22 Hounslow wards (2023) from the shared data; return code -> name."""
    collection = _hounslow()
    layer = AreaLayerRecord(
        kind="ward",
        vintage="WD23",
        code_column="WD23CD",
        source="hounslow_wards_2023.geojson",
        loaded_at=now_utc(),
        feature_count=len(collection["features"]),
        total_area_km2=56.0,
    )
    session.add(layer)
    session.flush()
    names = {}
    for feature in collection["features"]:
        code = feature["properties"]["WD23CD"]
        name = feature["properties"]["WD23NM"]
        names[code] = name
        session.add(
            Area(
                layer_id=layer.id,
                kind="ward",
                vintage="WD23",
                code=code,
                name=name,
                area_km2=1.0,
                centroid_lon=-0.36,
                centroid_lat=51.46,
                geometry=json.dumps(feature["geometry"]),
            )
        )
    session.commit()
    return names


def add_champion(
    session: Session, *, user_id: int | None = None, name: str = "Chidi Champion"
) -> Champion:
    """A champion record, linked to a staff account when ``user_id`` is given."""
    now = now_utc()
    champion = Champion(
        kind="volunteer",
        full_name=name,
        user_id=user_id,
        active=True,
        languages=[],
        skill_areas=[],
        created_at=now,
        updated_at=now,
    )
    session.add(champion)
    session.commit()
    return champion


def add_device(
    session: Session, *, ready: bool = True, kind: str = "tablet", **extra: object
) -> Device:
    """A device registered (and, unless ``ready=False``, wiped and made ready) through the services."""
    now, today = now_utc(), today_london()
    details: dict[str, Any] = {
        "asset_tag": f"TL-{next(_numbers):04d}",
        "kind": kind,
        "make": "Lenovo",
        "model": "Tab M10",
        "condition": "good",
        "location": "Central Library",
        "source": "donated",
        "received_on": today - timedelta(days=30),
    }
    if kind in ("sim", "mifi"):
        details.update(data_allowance_gb=40.0, data_expires_on=today + timedelta(days=365))
    details.update(extra)
    device = services.register_device(
        session,
        services.NewDevice(**details),
        by=None,
        now=now,
        today=today,
    )
    if ready:
        services.record_wipe(
            session,
            device.id,
            certificate_ref=f"WIPE-{device.asset_tag}",
            method="certified_erasure",
            by=None,
            at=now,
            now=now,
        )
        services.change_device_status(session, device.id, to_status="ready", by=None, now=now)
    session.commit()
    return device


def add_kit(session: Session, *, code: str = "KIT-900") -> Kit:
    """A ready kit of a tablet, a charger and a Mi-Fi unit."""
    devices = [add_device(session, kind=kind) for kind in ("tablet", "charger", "mifi")]
    kit = services.create_kit(
        session,
        code=code,
        name="Tablet, charger and Mi-Fi",
        device_ids=[device.id for device in devices],
        by=None,
        now=now_utc(),
    )
    session.commit()
    return kit


def add_request(session: Session, **overrides: Any) -> LoanRequest:
    """An eligible request sent through the service."""
    number = next(_numbers)
    details: dict[str, Any] = {
        "idempotency_key": f"test-key-{number:08d}",
        "resident_name": f"Resident {number}",
        "contact": f"resident{number}@example.com",
        "age_years": 40,
        "borrower_type": "resident",
        "need": "device",
        "has_suitable_device": False,
        "has_home_connection": True,
        "low_income": True,
        "postcode": "TW3 1ES",
        "ward_code": BEDFONT,
    }
    details.update(overrides)
    request = services.submit_request(
        session,
        services.NewLoanRequest(**details),
        policy=DEFAULT_POLICY,
        now=now_utc(),
    )
    session.commit()
    return request


ELIGIBLE_ANSWERS: tuple[tuple[str, Mapping[str, str]], ...] = (
    ("what-you-need", {"need": "device"}),
    ("age", {"age": "67"}),
    ("device-at-home", {"has_device": "no"}),
    ("internet-at-home", {"has_connection": "yes"}),
    ("benefits", {"benefit": "pension_credit"}),
    ("about-you", {"borrower_type": "resident"}),
    ("anything-else", {"reason": "To video call my grandchildren"}),
    ("where-you-live", {"postcode": "tw3 1es", "ward": BEDFONT}),
    ("name", {"name": "Amira  Ahmed"}),
    ("contact", {"contact_method": "email"}),
    ("contact-details", {"contact": "amira@example.com"}),
)


def answer(
    client: FlaskClient, prefix: str, answers: tuple[tuple[str, Mapping[str, str]], ...]
) -> str:
    """Post each answer in turn; return where the last one led."""
    location = ""
    for slug, data in answers:
        response = client.post(f"{prefix}/{slug}", data=dict(data))
        assert response.status_code == 302, (slug, response.get_data(as_text=True)[:2000])
        location = response.headers["Location"]
    return location


def key_on(html: str) -> str:
    """The one-time token on a check answers page."""
    match = re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="idempotency_key"', html
    )
    assert match, "no one-time token on the page"
    return match.group(1)


def confirm_key(html: str) -> str:
    """The one-time token on the lending confirm page."""
    match = re.search(r'name="key"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="key"', html
    )
    assert match, "no one-time token on the confirm page"
    return match.group(1)
