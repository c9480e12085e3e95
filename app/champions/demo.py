"""Demo data of the champions network, built on the demo borough's libraries and centres."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import func, select

from app.auth.models import User, UserRole
from app.auth.roles import CHAMPION
from app.champions.presenters import VENUE_PLACE_KINDS
from app.database import db_session
from app.places.models import Area, Place
from champions import services
from champions.commands import ChampionDetails, SupportLogDetails
from champions.demo import load_demo_champions
from champions.models import Champion, Venue
from champions.vocabulary import OUTCOMES, TOPICS
from core.clock import now_utc, to_london
from core.postcodes import normalise_postcode


def load_demo_network(*, seed: int, echo: Callable[[str], None]) -> bool:
    """Load the demo champions network unless champions exist; returns whether it loaded."""
    session = db_session()
    if session.scalar(select(func.count(Champion.id))):
        echo("Champions are already loaded: the demo champions network is left as it is.")
        return False
    places = session.scalars(
        select(Place)
        .where(Place.kind.in_(VENUE_PLACE_KINDS), Place.ward_code.is_not(None))
        .order_by(Place.name, Place.id)
    ).all()
    ward_codes = list(
        session.scalars(select(Area.code).where(Area.kind == "ward").order_by(Area.code))
    )
    if not places or not ward_codes:
        echo("No libraries, community centres or wards are loaded: no demo champions added.")
        return False
    now = now_utc()
    persona_codes = _persona_codes()
    summary = load_demo_champions(
        session,
        venues_xy=[
            (place.name, place.x_m, place.y_m, place.lat, place.lon, str(place.ward_code))
            for place in places
        ],
        ward_codes=ward_codes,
        now=now,
        seed=seed,
        persona_codes=persona_codes,
    )
    # The demo venues are the borough's places: give them the places' addresses too.
    by_name = {place.name: place for place in places}
    for venue in session.scalars(select(Venue)):
        place = by_name.get(venue.name)
        if place is not None:
            venue.address = place.address
            postcode = normalise_postcode(str((place.details or {}).get("postcode") or ""))
            venue.postcode = postcode
    linked = _link_champion_accounts(seed, persona_codes)
    session.commit()
    echo(
        f"Champions network: {summary.venues} venues, {summary.champions} champions, "
        f"{summary.sessions} sessions, {summary.bookings} bookings, "
        f"{summary.support_logs:,} support logs over the last year."
    )
    if linked:
        echo(f"  linked {linked} champion sign-in(s) to champion records, with recent support logs")
    return True


def _persona_codes() -> list[str]:
    from surveys.personas import DEFAULT_PERSONAS

    return [str(persona["key"]) for persona in DEFAULT_PERSONAS["personas"]]


def _link_champion_accounts(seed: int, persona_codes: list[str]) -> int:
    """Give every champion sign-in without a record one, with a few weeks of support logs."""
    session = db_session()
    now = now_utc()
    today = to_london(now).date()
    rng = random.Random(seed + 1)
    linked_ids = select(Champion.user_id).where(Champion.user_id.is_not(None))
    users = session.scalars(
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == CHAMPION, User.is_active.is_(True), User.id.not_in(linked_ids))
        .order_by(User.id)
    ).all()
    venues = services.list_venues(session)
    for user in users:
        home = venues[0] if venues else None
        taken = session.scalar(select(Champion.id).where(Champion.email == user.email))
        champion = services.create_champion(
            session,
            ChampionDetails(
                full_name=user.full_name,
                kind="volunteer",
                email=None if taken else user.email,
                languages=("English",),
                skill_areas=("foundation", "using_a_device", "scams_and_safety"),
                home_venue_id=home.id if home else None,
                ward_code=home.ward_code if home else None,
                availability="Tuesday and Thursday mornings",
                dbs_checked_on=today - timedelta(days=400),
                user_id=user.id,
            ),
            now=now,
        )
        services.record_training(
            session,
            champion.id,
            module="champion_essentials",
            completed_on=today - timedelta(days=390),
            now=now,
        )
        for _ in range(12):
            at_venue = home is not None and rng.random() < 0.7
            services.log_support(
                session,
                SupportLogDetails(
                    occurred_on=today - timedelta(days=rng.randint(0, 60)),
                    place="venue" if at_venue else rng.choice(("phone", "home_visit")),
                    venue_id=home.id if at_venue and home else None,
                    duration_min=rng.choice((20, 30, 45, 60)),
                    topics=tuple(sorted(set(rng.sample(TOPICS, rng.randint(1, 2))))),
                    outcome=rng.choice(OUTCOMES),
                    age_band=rng.choice(("45_64", "65_74", "75_plus")),
                    persona_code=rng.choice(persona_codes) if persona_codes else None,
                ),
                champion_id=champion.id,
                now=now,
            )
    return len(users)
