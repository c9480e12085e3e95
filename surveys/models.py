"""Tables of the residents' survey and of the exclusion-risk index inputs.

* :class:`SurveyImport`: one upload of a file exported from another survey tool (its SHA-256,
  name, date and what was stored).
* :class:`SurveyResponse`: one person's answers (codes of the published question set, as JSON),
  where they live (ward, LSOA 2021, postcode district only), and the scores and persona given by
  :mod:`surveys.scoring` and :mod:`surveys.personas`, with the reasons in words.  ``content_hash``
  is unique, so importing the same file twice never stores a response twice.
* :class:`SurveyContact`: contact details, kept apart from the answers and stored only when the
  person agreed to be contacted again.
* :class:`PersonaConfigRecord`: the persona rules a council has edited (the active one is used).
* :class:`IndexInputRecord`, :class:`LsoaLinkRecord`, :class:`IndexSourceRecord`: deprivation
  and digital-activity indicators by LSOA 2011, the LSOA 2011 to 2021 links, and the files they
  came from, for the exclusion-risk index (:mod:`surveys.index`).

Nothing here stores a full postcode: only the district (``TW3``) is kept.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, new_public_id

RESPONSE_SOURCES = ("online", "champion", "import")
"""Where a response came from: the online form, a Digital Champion with the resident, a file."""


class SurveyImport(Base):
    """One upload of a survey export (CSV or Excel) and what it stored."""

    __tablename__ = "survey_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    filename: Mapped[str] = mapped_column(String(255))
    file_hash: Mapped[str] = mapped_column(String(64), index=True)
    imported_at: Mapped[datetime]
    imported_by_id: Mapped[int | None] = mapped_column(Integer)
    question_set_version: Mapped[str] = mapped_column(String(20))
    rows_in_file: Mapped[int] = mapped_column(Integer)
    stored_count: Mapped[int] = mapped_column(Integer)
    already_imported_count: Mapped[int] = mapped_column(Integer)
    ignored_columns: Mapped[list[Any]] = mapped_column(JSON, default=list)


class PersonaConfigRecord(Base):
    """A persona configuration (see :mod:`surveys.personas`); the newest active one is used."""

    __tablename__ = "survey_persona_configs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[str] = mapped_column(String(40))
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(Integer)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class SurveyResponse(Base):
    """One person's answers, where they live, and their scores and persona."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        Index("ix_survey_responses_ward_code", "ward_code"),
        Index("ix_survey_responses_lsoa21_code", "lsoa21_code"),
        Index("ix_survey_responses_persona_key", "persona_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    import_id: Mapped[int | None] = mapped_column(
        ForeignKey("survey_imports.id", ondelete="SET NULL"), index=True
    )
    source: Mapped[str] = mapped_column(String(12))
    source_response_id: Mapped[str | None] = mapped_column(String(120))
    entered_by_id: Mapped[int | None] = mapped_column(Integer)
    question_set_version: Mapped[str] = mapped_column(String(20))
    submitted_at: Mapped[datetime] = mapped_column(index=True)
    # Answer codes by CSV column (surveys.questions); the postcode is cut to its district.
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    postcode_district: Mapped[str | None] = mapped_column(String(4))
    ward_code: Mapped[str | None] = mapped_column(String(12))
    lsoa21_code: Mapped[str | None] = mapped_column(String(12))
    age_band: Mapped[str | None] = mapped_column(String(12))
    wants_help: Mapped[str | None] = mapped_column(String(8))
    consent_follow_up: Mapped[bool] = mapped_column(Boolean, default=False)
    # Scores (surveys.scoring) and persona (surveys.personas), recomputed when the rules change.
    eds_level: Mapped[str] = mapped_column(String(12))
    gds_scale: Mapped[int] = mapped_column(Integer)
    persona_key: Mapped[str] = mapped_column(String(40))
    persona_name: Mapped[str] = mapped_column(String(80))
    persona_reasons: Mapped[str] = mapped_column(Text)
    # What stops them going online, space-separated ("skills cost"), for fast area estimates.
    barriers: Mapped[str] = mapped_column(String(120), default="")
    persona_config_id: Mapped[int | None] = mapped_column(
        ForeignKey("survey_persona_configs.id", ondelete="SET NULL")
    )
    scores: Mapped[dict[str, Any]] = mapped_column(JSON)
    scored_at: Mapped[datetime]

    contact: Mapped[SurveyContact | None] = relationship(
        back_populates="response", cascade="all, delete-orphan", uselist=False
    )


class SurveyContact(Base):
    """How to reach a person who agreed to be contacted again (kept apart from the answers)."""

    __tablename__ = "survey_contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("survey_responses.id", ondelete="CASCADE"), unique=True
    )
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime]

    response: Mapped[SurveyResponse] = relationship(back_populates="contact")


class IndexSourceRecord(Base):
    """A file loaded as an input of the exclusion-risk index (IMD, DPI, a lookup, boundaries)."""

    __tablename__ = "survey_index_sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    file_hash: Mapped[str | None] = mapped_column(String(64))
    loaded_at: Mapped[datetime]
    rows: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)


class IndexInputRecord(Base):
    """Indicators of one LSOA (2011 code, as IMD 2019 and the DPI are published).

    ``values`` maps indicator columns (``imd_rank``, ``income_rank``, ``imd_decile``,
    ``dpi_score`` ...) to numbers.
    """

    __tablename__ = "survey_index_inputs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lsoa11_code: Mapped[str] = mapped_column(String(12), unique=True)
    lsoa11_name: Mapped[str | None] = mapped_column(String(200))
    lad_code: Mapped[str | None] = mapped_column(String(12))
    values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime]


class LsoaLinkRecord(Base):
    """An LSOA 2011 - LSOA 2021 pair (from an ONS lookup or from the 2011 boundaries)."""

    __tablename__ = "survey_lsoa_links"
    __table_args__ = (UniqueConstraint("lsoa11_code", "lsoa21_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lsoa11_code: Mapped[str] = mapped_column(String(12), index=True)
    lsoa21_code: Mapped[str] = mapped_column(String(12), index=True)
    method: Mapped[str] = mapped_column(String(20))
