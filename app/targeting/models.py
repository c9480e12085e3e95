"""Tables of the targeting tool: saved scenarios, candidate buildings and intervention settings.

* :class:`Scenario`: one planner's run: the parameters asked for (wards, budget, walking time,
  number of new venues, the intervention rules and channel costs in force), the state of the run
  off the request thread (``status``, ``progress``), and, when it is done, the costed plan and the
  siting answer as JSON (``results``) or the error met (``error``).  A run starts as a draft;
  the planner saves the ones worth keeping (``saved``).
* :class:`CandidateSite`: a building that could become a help venue (school, council building,
  library, community centre), loaded from OpenStreetMap or a CSV with
  ``flask --app app targeting import-candidates``.
* :class:`InterventionSettingsRecord`: the council's changes to the default intervention rules
  (:mod:`surveys.interventions`); the newest row is in force.

Positions are British National Grid metres (EPSG:27700) with WGS84 longitude/latitude beside
them for display, as in the place model.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, new_public_id

SCENARIO_STATUSES = ("queued", "running", "done", "failed")
"""Where a scenario's run is: waiting for a worker, running, finished, or stopped by an error."""


class Scenario(Base):
    """A targeting scenario: its parameters, the state of its run and its results."""

    __tablename__ = "targeting_scenarios"
    __table_args__ = (Index("ix_targeting_scenarios_saved_created", "saved", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    name: Mapped[str] = mapped_column(String(120))
    saved: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int | None] = mapped_column(Integer)
    created_by_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(12), default="queued")
    progress: Mapped[int] = mapped_column(Integer, default=0)
    progress_text: Mapped[str] = mapped_column(String(300), default="Waiting to start")
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    results: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)


class CandidateSite(Base):
    """A building that could become a new help venue."""

    __tablename__ = "targeting_candidates"
    __table_args__ = (UniqueConstraint("source", "reference"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    x_m: Mapped[float] = mapped_column(Float)
    y_m: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    ward_code: Mapped[str | None] = mapped_column(String(12), index=True)
    source: Mapped[str] = mapped_column(String(300))
    source_date: Mapped[str | None] = mapped_column(String(40))
    loaded_at: Mapped[datetime]


class InterventionSettingsRecord(Base):
    """The council's intervention settings laid over the defaults (the newest row is used)."""

    __tablename__ = "targeting_intervention_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[str] = mapped_column(String(40))
    # {"interventions": {key: {setting: value}}}: only what differs from the defaults.
    overrides: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
