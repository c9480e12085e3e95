"""Tables of the Digital Champions network: champions, venues, support logs, sessions, bookings.

Invariants that matter are enforced by the database, not only by the services:

* ``training_sessions.booked_count`` is between 0 and ``capacity`` (a CHECK), and the booking
  service changes it only with conditional ``UPDATE`` statements, so no session is overbooked
  even under concurrent requests (see ``champions.services.book_place``).
* a booking's ``idempotency_key`` and ``reference`` are unique; one email address or phone number
  holds at most one live booking per session (partial unique indexes).
* a support log keeps a resident's name or contact details only with recorded consent (a CHECK).
* code columns only hold codes from ``champions.vocabulary`` (CHECKs).

Times are UTC (``core.db.UTCDateTime``); dates are Europe/London calendar days.  Coordinates are
WGS84 degrees (``latitude``/``longitude``) and British National Grid metres
(``easting_m``/``northing_m``, EPSG:27700).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from champions.vocabulary import (
    ACTIVE_STATUSES,
    AGE_BANDS,
    BOOKING_STATUSES,
    CHAMPION_KINDS,
    CONTACT_METHODS,
    FREQUENCIES,
    LEVELS,
    OUTCOMES,
    PLACES,
    SESSION_STATUSES,
    SUPPORT_KINDS,
    TOPICS,
    TRAINING_MODULES,
)
from core.db import Base, new_public_id


def _one_of(column: str, values: Iterable[str], *, nullable: bool = False) -> str:
    """SQL for a CHECK that ``column`` holds one of ``values`` (codes are never user text)."""
    listed = ", ".join(f"'{value}'" for value in values)
    condition = f"{column} IN ({listed})"
    return f"{column} IS NULL OR {condition}" if nullable else condition


# Many-to-many: the champions who run a session.
training_session_champions = Table(
    "training_session_champions",
    Base.metadata,
    Column(
        "training_session_id",
        ForeignKey("training_sessions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("champion_id", ForeignKey("champions.id", ondelete="CASCADE"), primary_key=True),
)


class Venue(Base):
    """A place where champions help residents and sessions are held (library, hub, centre).

    Fields follow the French "lieux de médiation numérique" open standard where it helps
    (opening hours, accessibility, equipment, last updated).
    """

    __tablename__ = "venues"
    __table_args__ = (
        CheckConstraint("devices_available >= 0", name="devices_not_negative"),
        CheckConstraint("(latitude IS NULL) = (longitude IS NULL)", name="latitude_with_longitude"),
        CheckConstraint("(easting_m IS NULL) = (northing_m IS NULL)", name="easting_with_northing"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(500))
    postcode: Mapped[str | None] = mapped_column(String(8))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    easting_m: Mapped[float | None] = mapped_column(Float)
    northing_m: Mapped[float | None] = mapped_column(Float)
    ward_code: Mapped[str | None] = mapped_column(String(9), index=True)
    step_free_access: Mapped[bool] = mapped_column(Boolean, default=False)
    hearing_loop: Mapped[bool] = mapped_column(Boolean, default=False)
    accessible_toilet: Mapped[bool] = mapped_column(Boolean, default=False)
    accessibility_notes: Mapped[str | None] = mapped_column(Text)
    public_wifi: Mapped[bool] = mapped_column(Boolean, default=False)
    devices_available: Mapped[int] = mapped_column(Integer, default=0)
    devices_notes: Mapped[str | None] = mapped_column(String(500))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    opening_hours: Mapped[list[VenueOpeningHours]] = relationship(
        back_populates="venue",
        cascade="all, delete-orphan",
        order_by="(VenueOpeningHours.weekday, VenueOpeningHours.opens_at)",
    )
    closures: Mapped[list[VenueClosure]] = relationship(
        back_populates="venue", cascade="all, delete-orphan", order_by="VenueClosure.starts_on"
    )


class VenueOpeningHours(Base):
    """One stretch of opening on one weekday (0 = Monday), Europe/London wall time."""

    __tablename__ = "venue_opening_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_in_week"),
        CheckConstraint("opens_at < closes_at", name="opens_before_closes"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    opens_at: Mapped[time] = mapped_column(Time)
    closes_at: Mapped[time] = mapped_column(Time)

    venue: Mapped[Venue] = relationship(back_populates="opening_hours")


class VenueClosure(Base):
    """Days (inclusive) when a venue is shut: bank holidays, refurbishment, elections."""

    __tablename__ = "venue_closures"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(200))

    venue: Mapped[Venue] = relationship(back_populates="closures")


class Champion(Base):
    """A Digital Champion, staff or volunteer, who helps residents and runs sessions."""

    __tablename__ = "champions"
    __table_args__ = (
        CheckConstraint(_one_of("kind", CHAMPION_KINDS), name="kind_known"),
        CheckConstraint(
            "dbs_expires_on IS NULL OR dbs_checked_on IS NULL OR dbs_expires_on > dbs_checked_on",
            name="dbs_renewal_after_check",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    # The staff account this champion signs in with, if any (volunteers may have none).
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), unique=True
    )
    kind: Mapped[str] = mapped_column(String(10))
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20))
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    skill_areas: Mapped[list[str]] = mapped_column(JSON, default=list)
    home_venue_id: Mapped[int | None] = mapped_column(
        ForeignKey("venues.id", ondelete="SET NULL"), index=True
    )
    ward_code: Mapped[str | None] = mapped_column(String(9))
    availability: Mapped[str | None] = mapped_column(Text)
    dbs_checked_on: Mapped[date | None] = mapped_column(Date)
    dbs_expires_on: Mapped[date | None] = mapped_column(Date, index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # When the champion stopped (made inactive); the retention purge counts from here.
    left_at: Mapped[datetime | None]
    personal_data_purged_at: Mapped[datetime | None]

    home_venue: Mapped[Venue | None] = relationship()
    training_records: Mapped[list[ChampionTraining]] = relationship(
        back_populates="champion",
        cascade="all, delete-orphan",
        order_by="ChampionTraining.completed_on",
    )

    def latest_training(self) -> dict[str, date]:
        """Module code -> the most recent date this champion completed it."""
        latest: dict[str, date] = {}
        for record in self.training_records:
            if record.module not in latest or record.completed_on > latest[record.module]:
                latest[record.module] = record.completed_on
        return latest


class ChampionTraining(Base):
    """One training module a champion completed, and when (history is kept)."""

    __tablename__ = "champion_training"
    __table_args__ = (
        UniqueConstraint("champion_id", "module", "completed_on"),
        CheckConstraint(_one_of("module", TRAINING_MODULES), name="module_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    champion_id: Mapped[int] = mapped_column(
        ForeignKey("champions.id", ondelete="CASCADE"), index=True
    )
    module: Mapped[str] = mapped_column(String(40))
    completed_on: Mapped[date] = mapped_column(Date)

    champion: Mapped[Champion] = relationship(back_populates="training_records")


class SupportLog(Base):
    """One episode of help a champion gave, after the French CRA activity log.

    The log counts people rather than naming them: a resident's name or contact details are kept
    only when ``consent_recorded_at`` is set, and are erased by the retention purge.
    """

    __tablename__ = "support_logs"
    __table_args__ = (
        CheckConstraint(_one_of("place", PLACES), name="place_known"),
        CheckConstraint("(place = 'venue') = (venue_id IS NOT NULL)", name="venue_when_at_venue"),
        CheckConstraint(_one_of("kind", SUPPORT_KINDS), name="kind_known"),
        CheckConstraint(
            "(kind = 'individual' AND headcount = 1) OR (kind = 'group' AND headcount >= 2)",
            name="headcount_matches_kind",
        ),
        CheckConstraint("duration_min > 0", name="duration_positive"),
        CheckConstraint(_one_of("outcome", OUTCOMES), name="outcome_known"),
        CheckConstraint(_one_of("age_band", AGE_BANDS, nullable=True), name="age_band_known"),
        CheckConstraint(
            "consent_recorded_at IS NOT NULL "
            "OR (resident_name IS NULL AND resident_contact IS NULL)",
            name="identity_needs_consent",
        ),
        Index("ix_support_logs_occurred_on_champion", "occurred_on", "champion_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    champion_id: Mapped[int] = mapped_column(ForeignKey("champions.id"), index=True)
    occurred_on: Mapped[date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(12))
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("venues.id"), index=True)
    # Where the resident (or most of the group) lives, if known; else the venue's ward.
    ward_code: Mapped[str | None] = mapped_column(String(9), index=True)
    duration_min: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(12))
    headcount: Mapped[int] = mapped_column(Integer, default=1)
    age_band: Mapped[str | None] = mapped_column(String(20))
    persona_code: Mapped[str | None] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(30))
    referred_to: Mapped[str | None] = mapped_column(String(200))
    consent_recorded_at: Mapped[datetime | None]
    resident_name: Mapped[str | None] = mapped_column(String(200))
    resident_contact: Mapped[str | None] = mapped_column(String(200))
    personal_data_purged_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    champion: Mapped[Champion] = relationship()
    venue: Mapped[Venue | None] = relationship()
    topic_rows: Mapped[list[SupportLogTopic]] = relationship(
        back_populates="support_log", cascade="all, delete-orphan", order_by="SupportLogTopic.topic"
    )

    @property
    def topics(self) -> list[str]:
        """The topic codes covered, in alphabetical order."""
        return [row.topic for row in self.topic_rows]


class SupportLogTopic(Base):
    """One topic covered in one support episode (a row each, so reports can count in SQL)."""

    __tablename__ = "support_log_topics"
    __table_args__ = (CheckConstraint(_one_of("topic", TOPICS), name="topic_known"),)

    support_log_id: Mapped[int] = mapped_column(
        ForeignKey("support_logs.id", ondelete="CASCADE"), primary_key=True
    )
    topic: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)

    support_log: Mapped[SupportLog] = relationship(back_populates="topic_rows")


class SessionSeries(Base):
    """A repeating session; its occurrences are ordinary ``TrainingSession`` rows."""

    __tablename__ = "session_series"
    __table_args__ = (
        CheckConstraint(_one_of("frequency", FREQUENCIES), name="frequency_known"),
        CheckConstraint(
            "occurrences IS NOT NULL OR until_on IS NOT NULL", name="ends_by_count_or_date"
        ),
        CheckConstraint("duration_min > 0", name="duration_positive"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    title: Mapped[str | None] = mapped_column(String(120))
    topic: Mapped[str] = mapped_column(String(40))
    level: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(40))
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"), index=True)
    capacity: Mapped[int] = mapped_column(Integer)
    first_starts_at: Mapped[datetime]
    duration_min: Mapped[int] = mapped_column(Integer)
    frequency: Mapped[str] = mapped_column(String(12))
    occurrences: Mapped[int | None] = mapped_column(Integer)
    until_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime]

    venue: Mapped[Venue] = relationship()
    sessions: Mapped[list[TrainingSession]] = relationship(
        back_populates="series", order_by="TrainingSession.starts_at"
    )


class TrainingSession(Base):
    """One digital-skills session that residents can book a place at."""

    __tablename__ = "training_sessions"
    __table_args__ = (
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint(
            "booked_count >= 0 AND booked_count <= capacity", name="booked_count_in_range"
        ),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint(_one_of("status", SESSION_STATUSES), name="status_known"),
        CheckConstraint(_one_of("topic", TOPICS), name="topic_known"),
        CheckConstraint(_one_of("level", LEVELS), name="level_known"),
        Index("ix_training_sessions_status_starts_at", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    title: Mapped[str | None] = mapped_column(String(120))
    description: Mapped[str | None] = mapped_column(Text)
    topic: Mapped[str] = mapped_column(String(40), index=True)
    level: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(40))
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"), index=True)
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("session_series.id", ondelete="SET NULL"), index=True
    )
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    capacity: Mapped[int] = mapped_column(Integer)
    # Places held by bookings that are confirmed, offered, attended or no-show.
    booked_count: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(12), default="scheduled")
    # Bumped when the time or place changes, so calendar files replace the old event.
    revision: Mapped[int] = mapped_column(Integer, default=0)
    cancelled_at: Mapped[datetime | None]
    cancellation_reason: Mapped[str | None] = mapped_column(String(500))
    attendance_recorded_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    venue: Mapped[Venue] = relationship()
    series: Mapped[SessionSeries | None] = relationship(back_populates="sessions")
    champions: Mapped[list[Champion]] = relationship(
        secondary=training_session_champions, order_by="Champion.full_name"
    )
    bookings: Mapped[list[Booking]] = relationship(
        back_populates="training_session", order_by="Booking.id"
    )

    @property
    def places_left(self) -> int:
        """Places nobody holds yet (0 when full)."""
        return max(0, self.capacity - self.booked_count)


_LIVE = ", ".join(f"'{status}'" for status in (*ACTIVE_STATUSES, "attended", "no_show"))


class Booking(Base):
    """A resident's place at a session, or their place in its waiting list.

    ``reference`` is what the resident quotes; ``cancel_token_hash`` (and ``offer_token_hash``
    once a waiting-list place is offered) are SHA-256 hashes of the secrets in their links.
    """

    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint(_one_of("status", BOOKING_STATUSES), name="status_known"),
        CheckConstraint(
            _one_of("contact_method", CONTACT_METHODS, nullable=True), name="contact_method_known"
        ),
        CheckConstraint(
            "personal_data_purged_at IS NOT NULL OR contact_method IS NULL "
            "OR (contact_method = 'email' AND email IS NOT NULL) "
            "OR (contact_method = 'sms' AND phone IS NOT NULL)",
            name="contact_given_for_method",
        ),
        CheckConstraint(
            "personal_data_purged_at IS NOT NULL OR full_name IS NOT NULL",
            name="name_until_purged",
        ),
        CheckConstraint(
            "status <> 'offered' OR offer_expires_at IS NOT NULL", name="offer_has_expiry"
        ),
        # One live booking per person per session; a cancelled one does not block re-booking.
        Index(
            "uq_bookings_live_email_per_session",
            "training_session_id",
            "email",
            unique=True,
            sqlite_where=text(f"status IN ({_LIVE}) AND email IS NOT NULL"),
            postgresql_where=text(f"status IN ({_LIVE}) AND email IS NOT NULL"),
        ),
        Index(
            "uq_bookings_live_phone_per_session",
            "training_session_id",
            "phone",
            unique=True,
            sqlite_where=text(f"status IN ({_LIVE}) AND phone IS NOT NULL"),
            postgresql_where=text(f"status IN ({_LIVE}) AND phone IS NOT NULL"),
        ),
        Index("ix_bookings_session_status", "training_session_id", "status", "waitlisted_at"),
        Index("ix_bookings_status_offer_expires_at", "status", "offer_expires_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(8), unique=True)
    cancel_token_hash: Mapped[str | None] = mapped_column(String(64))
    offer_token_hash: Mapped[str | None] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    training_session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id"))
    status: Mapped[str] = mapped_column(String(12))
    full_name: Mapped[str | None] = mapped_column(String(200))
    contact_method: Mapped[str | None] = mapped_column(String(5))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(20))
    access_needs: Mapped[str | None] = mapped_column(String(500))
    booked_by_champion_id: Mapped[int | None] = mapped_column(
        ForeignKey("champions.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    waitlisted_at: Mapped[datetime | None]
    offered_at: Mapped[datetime | None]
    offer_expires_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    attendance_marked_at: Mapped[datetime | None]
    personal_data_purged_at: Mapped[datetime | None]

    training_session: Mapped[TrainingSession] = relationship(back_populates="bookings")
    booked_by: Mapped[Champion | None] = relationship()


__all__ = [
    "Booking",
    "Champion",
    "ChampionTraining",
    "SessionSeries",
    "SupportLog",
    "SupportLogTopic",
    "TrainingSession",
    "Venue",
    "VenueClosure",
    "VenueOpeningHours",
    "training_session_champions",
]
