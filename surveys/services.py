"""Store, score and analyse survey responses; keep the inputs of the exclusion-risk index.

Services take a SQLAlchemy ``Session`` and plain data, add and flush, and never commit: the web
request or the CLI command owns the transaction.  This package may not import the web app, so
what it needs to know about the council's stored areas arrives as arguments: an
:class:`AreaContext` (the ward and LSOA codes responses may name) and, for estimates and the
index, census ages by LSOA 2021 (:func:`ages_from_population`) and the ward of each LSOA.

Every response goes through :func:`surveys.importing.read_responses`, whether it came from a file,
the online form or a Digital Champion, so the same checks apply everywhere and nothing is stored
unless the whole input is valid.  Responses are scored (:mod:`surveys.scoring`) and given a
persona with reasons (:mod:`surveys.personas`) as they are stored, and re-scored when a planner
changes the persona rules.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.audit import record_event
from core.db import new_public_id
from core.errors import Conflict, DomainError
from core.postcodes import postcode_district
from geo.sources.ons_tables import ADULT_AGE_COLUMNS, AGE_COLUMNS
from surveys.estimates import (
    estimate_personas_and_barriers,
    imd_band,
    population_cells,
)
from surveys.importing import ImportedResponses, Source, read_responses
from surveys.index import (
    Component,
    ExclusionIndex,
    IndexSpec,
    Indicator,
    census_ages_by_lsoa11,
    compare_with_deri,
    default_index_spec,
    exclusion_index,
    index_by_area,
    index_inputs,
    population_in_bands,
)
from surveys.models import (
    IndexInputRecord,
    IndexSourceRecord,
    LsoaLinkRecord,
    PersonaConfigRecord,
    SurveyContact,
    SurveyImport,
    SurveyResponse,
)
from surveys.personas import (
    DEFAULT_PERSONAS,
    PersonaConfig,
    assign_personas,
    validate_persona_config,
)
from surveys.questions import (
    BARRIER_COLUMNS,
    BARRIERS,
    QUESTION_SET,
    SOURCE_ID_COLUMN,
    csv_template_columns,
)
from surveys.scoring import SCORED_FIELDS, score_responses

_CHUNK = 500
"""Codes per ``IN (...)`` query: well under every database's parameter limit."""

CENSUS_AGE_LABELS: dict[str, str] = {
    "aged 15 years and under": "age_0_15",
    "aged 16 to 24 years": "age_16_24",
    "aged 25 to 34 years": "age_25_34",
    "aged 35 to 49 years": "age_35_49",
    "aged 50 to 64 years": "age_50_64",
    "aged 65 years and over": "age_65_plus",
}
"""Census 2021 six-band age labels (any case) -> columns of :data:`AGE_COLUMNS`."""

BARRIER_OUTCOMES: dict[str, str] = {
    **{f"barrier:{column.removeprefix('barrier_')}": label for column, label in BARRIERS.items()},
    "barrier:any": "Any of these",
}
"""Barrier outcomes of :func:`estimate_areas` -> the words residents were shown."""

IMD_KEYS = re.compile(r"_(rank|decile)$")
"""Indicator keys that come from the IMD file (replaced when the IMD is loaded again)."""


# -- areas ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AreaContext:
    """What checking a response needs to know about the council's areas.

    ``ward_codes`` are the current wards (ONS ``E05...``); ``lsoa_codes`` the LSOA 2021 codes, or
    ``None`` to check their format only.  ``postcode_to_ward`` is ``None`` when the council has
    no postcode lookup: a postcode is then kept as its district and gives no ward.
    """

    ward_codes: frozenset[str]
    lsoa_codes: frozenset[str] | None = None
    postcode_to_ward: Callable[[str], str | None] | None = None
    postcode_to_lsoa: Callable[[str], str | None] | None = None


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", str(text)).strip().casefold()


def ages_from_population(records: Mapping[str, Mapping[str, Any] | None]) -> pd.DataFrame:
    """Return census ages by area from stored population-by-age records.

    Parameters
    ----------
    records:
        Area code (LSOA 2021) -> population by Census 2021 age label (``"Aged 15 years and
        under"`` ... ``"Aged 65 years and over"``, any case), as stored with the areas.  Areas
        with no record, or without all six bands, are left out.

    Returns
    -------
    pandas.DataFrame
        Indexed by area code: the six :data:`geo.sources.ons_tables.AGE_COLUMNS`, ``adults``
        (16 and over) and ``total`` (people), in the layout of
        :func:`geo.sources.ons_tables.read_census_age`.
    """
    rows: dict[str, dict[str, float]] = {}
    for code, bands in records.items():
        if not bands:
            continue
        values: dict[str, float] = {}
        for label, count in bands.items():
            column = CENSUS_AGE_LABELS.get(_fold(label))
            if column is not None and count is not None:
                values[column] = float(count)
        if set(values) == set(AGE_COLUMNS):
            rows[str(code)] = values
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=list(AGE_COLUMNS), dtype=float)
    frame = frame.reindex(columns=list(AGE_COLUMNS)).astype(float)
    frame["adults"] = frame[list(ADULT_AGE_COLUMNS)].sum(axis=1)
    frame["total"] = frame[list(AGE_COLUMNS)].sum(axis=1)
    frame.index = pd.Index([str(code) for code in frame.index], name="LSOA21CD", dtype=object)
    return frame.sort_index()


# -- personas -------------------------------------------------------------------------------------


def active_persona_config(session: Session) -> tuple[PersonaConfig, PersonaConfigRecord | None]:
    """Return the persona rules in use (the council's newest active set, or the defaults)."""
    record = session.scalars(
        select(PersonaConfigRecord)
        .where(PersonaConfigRecord.is_active)
        .order_by(PersonaConfigRecord.id.desc())
    ).first()
    if record is None:
        return validate_persona_config(DEFAULT_PERSONAS), None
    return validate_persona_config(record.config), record


def save_persona_config(
    session: Session, config: Mapping[str, Any], *, now: datetime, actor_id: int | None
) -> tuple[PersonaConfigRecord, int]:
    """Check and store new persona rules, make them active and re-score every response.

    Returns the stored record and the number of responses re-scored.  Raises
    :class:`core.errors.DomainError` (field ``config``) naming the persona and rule at fault.
    """
    try:
        validated = validate_persona_config(config)
    except DomainError as error:
        raise DomainError(error.message, field="config") from None
    session.execute(
        update(PersonaConfigRecord).where(PersonaConfigRecord.is_active).values(is_active=False)
    )
    record = PersonaConfigRecord(
        version=validated.version[:40],
        config=_plain_config(config),
        created_at=now,
        created_by_id=actor_id,
        is_active=True,
    )
    session.add(record)
    session.flush()
    rescored = rescore_all(session, now=now)
    record_event(
        session,
        at=now,
        actor_id=actor_id,
        action="survey.persona_rules_saved",
        object_type="survey_persona_config",
        object_id=record.id,
        details={"personas": list(validated.keys), "rescored": rescored},
    )
    return record, rescored


def _plain_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON-safe copy of a persona configuration (tuples become lists)."""

    def plain(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {str(key): plain(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [plain(item) for item in value]
        return value

    result: dict[str, Any] = plain(config)
    return result


# -- scoring --------------------------------------------------------------------------------------


def _json_safe(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts: missing values become ``None``, numpy scalars Python ones."""
    objects = frame.astype(object)
    objects = objects.where(objects.notna(), None)
    return [
        {
            str(key): value.item() if isinstance(value, np.generic) else value
            for key, value in record.items()
        }
        for record in objects.to_dict("records")
    ]


def score_answers(codes: pd.DataFrame, config: PersonaConfig) -> pd.DataFrame:
    """Score answer codes and give each person a persona.

    Parameters
    ----------
    codes:
        One row per person, answer codes by CSV column (the import layout).
    config:
        Validated persona rules.

    Returns
    -------
    pandas.DataFrame
        :func:`surveys.scoring.score_responses` joined with ``persona_key``, ``persona`` and
        ``reasons`` from :func:`surveys.personas.assign_personas`, aligned to ``codes.index``.
    """
    scored = score_responses(codes)
    personas = assign_personas(scored, config)
    return scored.join(personas)


_SCORE_FIELDS = [*SCORED_FIELDS, "gds_label"]


def _score_columns(
    scored: pd.DataFrame, config_id: int | None, now: datetime
) -> list[dict[str, Any]]:
    """The scoring columns of :class:`SurveyResponse` for each scored row."""
    return [
        {
            "eds_level": str(score["eds_level"]),
            "gds_scale": int(score["gds_scale"]),
            "persona_key": str(key),
            "persona_name": str(name),
            "persona_reasons": str(reasons),
            "barriers": " ".join(
                column.removeprefix("barrier_") for column in BARRIER_COLUMNS if score.get(column)
            ),
            "persona_config_id": config_id,
            "scores": score,
            "scored_at": now,
        }
        for score, key, name, reasons in zip(
            _json_safe(scored[_SCORE_FIELDS]),
            scored["persona_key"].tolist(),
            scored["persona"].tolist(),
            scored["reasons"].tolist(),
            strict=True,
        )
    ]


def rescore_all(session: Session, *, now: datetime) -> int:
    """Score every stored response again with the active persona rules; return how many."""
    config, record = active_persona_config(session)
    rows = session.execute(select(SurveyResponse.id, SurveyResponse.answers)).all()
    if not rows:
        return 0
    codes = _answers_frame([answers for _id, answers in rows])
    scored = score_answers(codes, config)
    updates = [
        {"id": int(response_id), **columns}
        for (response_id, _answers), columns in zip(
            rows, _score_columns(scored, record.id if record else None, now), strict=True
        )
    ]
    for start in range(0, len(updates), _CHUNK):
        session.execute(update(SurveyResponse), updates[start : start + _CHUNK])
    session.flush()
    return len(updates)


def _answers_frame(answers: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Stored answers as a table of codes with every question column (missing = None)."""
    frame = pd.DataFrame.from_records(list(answers), columns=list(QUESTION_SET.columns))
    frame = frame.astype(object)
    return frame.where(frame.notna(), None)


# -- storing responses ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportReport:
    """What an import stored: new responses, and those already stored from an earlier import."""

    batch: SurveyImport
    stored: int
    already_imported: int
    rows: int
    ignored_columns: tuple[str, ...]


@dataclass(frozen=True)
class ContactDetails:
    """How to reach someone who agreed to be contacted again (at least an email or a phone)."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None


def _existing_hashes(session: Session, hashes: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(hashes), _CHUNK):
        chunk = list(hashes[start : start + _CHUNK])
        found.update(
            session.scalars(
                select(SurveyResponse.content_hash).where(SurveyResponse.content_hash.in_(chunk))
            )
        )
    return found


def _response_rows(
    responses: pd.DataFrame,
    *,
    source: str,
    import_id: int | None,
    entered_by_id: int | None,
    question_set_version: str,
    now: datetime,
    config: PersonaConfig,
    config_id: int | None,
    public_ids: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """Column values of :class:`SurveyResponse` for each valid response (import layout)."""
    columns = list(QUESTION_SET.columns)
    codes = responses[columns].astype(object)
    codes = codes.where(codes.notna(), None)
    scored = score_answers(codes, config)
    answer_rows = _json_safe(codes)
    ids = responses[SOURCE_ID_COLUMN].astype(object).where(responses[SOURCE_ID_COLUMN].notna())
    rows = []
    for position, (answers, score_columns, content_hash, source_id) in enumerate(
        zip(
            answer_rows,
            _score_columns(scored, config_id, now),
            responses["content_hash"].tolist(),
            ids.tolist(),
            strict=True,
        )
    ):
        postcode = answers.get("postcode")
        district = postcode_district(postcode) if postcode else None
        # Only the district is kept: enough to see where people are, without an address.
        answers["postcode"] = district
        rows.append(
            {
                "public_id": public_ids[position] if public_ids else new_public_id(),
                "content_hash": content_hash,
                "import_id": import_id,
                "source": source,
                "source_response_id": None if source_id is None else str(source_id)[:120],
                "entered_by_id": entered_by_id,
                "question_set_version": question_set_version,
                "submitted_at": now,
                "answers": answers,
                "postcode_district": district,
                "ward_code": answers.get("ward_code"),
                "lsoa21_code": answers.get("lsoa21_code"),
                "age_band": answers.get("age_band"),
                "wants_help": answers.get("wants_help"),
                "consent_follow_up": answers.get("consent_follow_up") == "yes",
                **score_columns,
            }
        )
    return rows


def _read(
    source: Source,
    areas: AreaContext,
    *,
    filename: str | None,
    sheet: str | None = None,
) -> ImportedResponses:
    return read_responses(
        source,
        known_ward_codes=areas.ward_codes,
        postcode_to_ward=areas.postcode_to_ward,
        postcode_to_lsoa=areas.postcode_to_lsoa,
        known_lsoa_codes=areas.lsoa_codes,
        filename=filename,
        sheet=sheet,
    )


def import_responses(
    session: Session,
    source: Source,
    *,
    areas: AreaContext,
    now: datetime,
    filename: str | None = None,
    sheet: str | None = None,
    actor_id: int | None = None,
) -> ImportReport:
    """Check a survey export and store its new responses, scored, with a record of the import.

    Parameters
    ----------
    source:
        A path, the file's bytes or an open binary file (CSV or xlsx).
    areas:
        The council's ward and LSOA codes.
    filename:
        The name shown in messages and kept with the import (taken from a path by default).

    Returns
    -------
    ImportReport
        Responses stored, and responses already stored by an earlier import (found by their
        content hash and not stored again).

    Raises
    ------
    surveys.importing.SurveyImportError
        If anything in the file is wrong, with every problem as (row, column, reason); nothing
        is stored.
    core.errors.Conflict
        If another import stored some of the same responses at the same moment.
    """
    name = filename or (Path(source).name if isinstance(source, str | Path) else "upload")
    imported = _read(source, areas, filename=name, sheet=sheet)
    responses = imported.responses
    existing = _existing_hashes(session, imported.content_hashes)
    new = responses[~responses["content_hash"].isin(existing)]
    config, record = active_persona_config(session)
    batch = SurveyImport(
        filename=name[:255],
        file_hash=imported.file_hash,
        imported_at=now,
        imported_by_id=actor_id,
        question_set_version=imported.question_set_version,
        rows_in_file=len(responses),
        stored_count=len(new),
        already_imported_count=len(responses) - len(new),
        ignored_columns=list(imported.ignored_columns),
    )
    session.add(batch)
    session.flush()
    rows = _response_rows(
        new,
        source="import",
        import_id=batch.id,
        entered_by_id=actor_id,
        question_set_version=imported.question_set_version,
        now=now,
        config=config,
        config_id=record.id if record else None,
    )
    try:
        for start in range(0, len(rows), _CHUNK):
            session.execute(insert(SurveyResponse), rows[start : start + _CHUNK])
        session.flush()
    except IntegrityError:
        raise Conflict(
            "Some of these responses were stored by another import at the same moment. "
            "Upload the file again: responses already stored are skipped.",
            field="file",
        ) from None
    record_event(
        session,
        at=now,
        actor_id=actor_id,
        action="survey.imported",
        object_type="survey_import",
        object_id=batch.public_id,
        details={
            "file_hash": imported.file_hash,
            "stored": len(new),
            "already_imported": len(responses) - len(new),
        },
    )
    return ImportReport(
        batch=batch,
        stored=len(new),
        already_imported=len(responses) - len(new),
        rows=len(responses),
        ignored_columns=imported.ignored_columns,
    )


def store_response(
    session: Session,
    answers: Mapping[str, str | None],
    *,
    source: Literal["online", "champion"],
    areas: AreaContext,
    now: datetime,
    entered_by_id: int | None = None,
    contact: ContactDetails | None = None,
) -> SurveyResponse:
    """Check and store one person's answers from the online form (or a Champion's visit).

    The answers go through the same checks as an import.  Contact details are stored only when
    the person agreed to be contacted again (``consent_follow_up`` is ``yes``).

    Raises
    ------
    surveys.importing.SurveyImportError
        If an answer is missing or impossible (the problems name the column).
    core.errors.DomainError
        If contact details are given without consent, or give neither an email nor a phone.
    """
    if source not in ("online", "champion"):
        raise DomainError(f"Unknown response source {source!r}.")
    if contact is not None:
        if answers.get("consent_follow_up") != "yes":
            raise DomainError(
                "Contact details are kept only when the person agrees to be contacted again.",
                field="consent_follow_up",
            )
        if not (contact.email or contact.phone):
            raise DomainError("Enter an email address or a phone number", field="email")
    public_id = new_public_id()
    columns = csv_template_columns()
    row = {column: answers.get(column) for column in columns}
    # A unique tool id keeps two people who answer alike apart (see surveys.importing).
    row[SOURCE_ID_COLUMN] = f"{source}-{public_id}"
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    writer.writerow(["" if row[column] is None else row[column] for column in columns])
    imported = _read(buffer.getvalue().encode("utf-8"), areas, filename=f"{source} form")
    config, record = active_persona_config(session)
    (values,) = _response_rows(
        imported.responses,
        source=source,
        import_id=None,
        entered_by_id=entered_by_id,
        question_set_version=imported.question_set_version,
        now=now,
        config=config,
        config_id=record.id if record else None,
        public_ids=[public_id],
    )
    response = SurveyResponse(**values)
    if contact is not None:
        response.contact = SurveyContact(
            name=(contact.name or None) and contact.name[:200],
            email=(contact.email or None) and contact.email[:320],
            phone=(contact.phone or None) and contact.phone[:40],
            created_at=now,
        )
    session.add(response)
    session.flush()
    return response


def find_import(session: Session, public_id: str) -> SurveyImport | None:
    """The import with this public id, or ``None``."""
    return session.scalars(select(SurveyImport).where(SurveyImport.public_id == public_id)).first()


def find_import_by_hash(session: Session, file_hash: str) -> SurveyImport | None:
    """The earliest import of a file with this SHA-256, or ``None``."""
    return session.scalars(
        select(SurveyImport).where(SurveyImport.file_hash == file_hash).order_by(SurveyImport.id)
    ).first()


def list_imports(session: Session, *, limit: int = 20) -> list[SurveyImport]:
    """The latest imports, newest first."""
    return list(session.scalars(select(SurveyImport).order_by(SurveyImport.id.desc()).limit(limit)))


def find_response(session: Session, public_id: str) -> SurveyResponse | None:
    """The response with this public id, or ``None``."""
    return session.scalars(
        select(SurveyResponse).where(SurveyResponse.public_id == public_id)
    ).first()


def count_responses(session: Session) -> dict[str, int]:
    """Number of stored responses by source (``online``, ``champion``, ``import``) and ``total``."""
    counts = {source: 0 for source in ("online", "champion", "import")}
    for source, number in session.execute(
        select(SurveyResponse.source, func.count()).group_by(SurveyResponse.source)
    ):
        counts[str(source)] = int(number)
    counts["total"] = sum(counts.values())
    return counts


def responses_by_area(session: Session, *, level: Literal["ward", "lsoa"]) -> pd.Series:
    """Number of responses per ward (or LSOA 2021) code, named ``responses``; ``None`` = unknown."""
    column = SurveyResponse.ward_code if level == "ward" else SurveyResponse.lsoa21_code
    rows = session.execute(select(column, func.count()).group_by(column)).all()
    return pd.Series({code: int(number) for code, number in rows}, name="responses", dtype="int64")


# -- analysis tables ------------------------------------------------------------------------------


def responses_frame(session: Session) -> pd.DataFrame:
    """Every stored response: answer codes by question column, with the stored persona.

    Returns
    -------
    pandas.DataFrame
        Indexed by response id: the question columns (codes, ``None`` where not asked),
        ``source``, ``persona_key``, ``persona`` and ``reasons``.
    """
    rows = session.execute(
        select(
            SurveyResponse.id,
            SurveyResponse.source,
            SurveyResponse.persona_key,
            SurveyResponse.persona_name,
            SurveyResponse.persona_reasons,
            SurveyResponse.answers,
        ).order_by(SurveyResponse.id)
    ).all()
    frame = _answers_frame([row.answers for row in rows])
    frame.index = pd.Index([row.id for row in rows], name="response_id")
    frame["source"] = [row.source for row in rows]
    frame["persona_key"] = [row.persona_key for row in rows]
    frame["persona"] = [row.persona_name for row in rows]
    frame["reasons"] = [row.persona_reasons for row in rows]
    return frame


def _estimation_frame(session: Session) -> pd.DataFrame:
    """What area estimates need of each response, from plain columns (no answers to decode).

    The columns are those of :func:`surveys.scoring.score_responses` that
    :func:`surveys.estimates.estimate_personas_and_barriers` reads: ``ward_code``,
    ``lsoa21_code``, ``age_band``, ``barrier_*`` and ``any_barrier``; with ``persona_key``.
    """
    table = SurveyResponse.__table__.c
    names = ["ward_code", "lsoa21_code", "age_band", "persona_key", "barriers"]
    query = select(*(table[name] for name in names)).order_by(table.id)
    # Plain text columns, thousands of rows: read through the driver's cursor (no Row objects)
    # and hand them to pandas column by column.
    connection = session.connection()
    cursor = connection.connection.cursor()
    try:
        cursor.execute(str(query.compile(dialect=connection.dialect)))
        rows = cursor.fetchall()
    finally:
        cursor.close()
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    frame = pd.DataFrame(
        {name: pd.Series(values, dtype=object) for name, values in zip(names, columns, strict=True)}
    )
    # Barriers are stored space-separated ("skills cost") and take few distinct values: decide
    # each barrier once per distinct value, then spread the answers to every response.
    codes, distinct = pd.factorize(frame["barriers"].fillna("").astype(str))
    words = [set(value.split()) for value in distinct]
    for column in BARRIER_COLUMNS:
        key = column.removeprefix("barrier_")
        has = np.fromiter((key in found for found in words), dtype=bool, count=len(words))
        frame[column] = has[codes] if len(words) else np.zeros(len(frame), dtype=bool)
    frame["any_barrier"] = frame[list(BARRIER_COLUMNS)].any(axis=1)
    return frame.drop(columns="barriers")


@dataclass(frozen=True)
class AreaEstimates:
    """Persona and barrier estimates per area (see :func:`estimate_areas`)."""

    level: str
    table: pd.DataFrame
    """:func:`surveys.estimates.estimate_personas_and_barriers` output, area column
    ``area_code``."""
    persona_keys: tuple[str, ...]
    persona_names: dict[str, str]
    respondents: int
    respondents_used: int
    imd_crossed: bool
    notes: tuple[str, ...] = field(default_factory=tuple)


def estimate_areas(
    session: Session,
    *,
    level: Literal["ward", "lsoa"],
    ages: pd.DataFrame,
    lsoa_ward: pd.Series,
    imd_decile: pd.Series | None = None,
    min_n: int = 30,
    min_cell_n: int = 10,
    confidence: float = 0.90,
) -> AreaEstimates:
    """Estimate the share and number of adults per persona and barrier in each ward or LSOA.

    Parameters
    ----------
    level:
        ``ward`` or ``lsoa`` (LSOA 2021).
    ages:
        Census 2021 ages by LSOA 2021 (:func:`ages_from_population`), people.
    lsoa_ward:
        LSOA 2021 code -> ward code (LSOAs with no ward are left out of ward estimates).
    imd_decile:
        IMD decile (1 = most deprived) by LSOA 2021 code; weighting cells are crossed with IMD
        bands only when every LSOA has one.
    min_n, min_cell_n, confidence:
        See :func:`surveys.estimates.estimate_shares`.

    Returns
    -------
    AreaEstimates
        Every area with population appears (NaN estimates where nobody answered); shares are
        0-1 with ``confidence`` intervals; ``low_sample`` flags areas with fewer than ``min_n``
        respondents.
    """
    config, _record = active_persona_config(session)
    frame = _estimation_frame(session)
    area_column = "ward_code" if level == "ward" else "lsoa21_code"
    notes: list[str] = []
    people = ages
    area_of: pd.Series | None = None
    if level == "ward":
        wards = lsoa_ward.reindex(ages.index)
        people = ages[wards.notna().to_numpy()]
        area_of = wards.dropna()
        if len(people) < len(ages):
            notes.append(
                f"{len(ages) - len(people)} LSOA(s) are in no stored ward and are left out."
            )
    band: pd.Series | None = None
    if imd_decile is not None and len(people):
        deciles = imd_decile.reindex(people.index)
        if deciles.notna().all():
            band = imd_band(deciles)
        else:
            notes.append(
                "IMD deciles are not loaded for every LSOA, so weighting uses age only "
                "(load them with `flask --app app surveys load-index-inputs --imd`)."
            )
    empty = AreaEstimates(level, pd.DataFrame(), config.keys, config.names, len(frame), 0, False)
    if people.empty:
        return AreaEstimates(
            level,
            pd.DataFrame(),
            config.keys,
            config.names,
            len(frame),
            0,
            False,
            ("No census population is stored for the areas.",),
        )
    population = population_cells(people, area_of=area_of, imd_band_of=band, area_name=area_column)
    if frame.empty:
        return empty
    inside = frame[area_column].isin(set(population[area_column])).to_numpy()
    used = frame[inside]
    outside = len(frame) - len(used)
    if outside:
        notes.append(
            f"{outside} response(s) give no {'ward' if level == 'ward' else 'LSOA'} with a stored "
            "population (for example a postcode only) and are not in these estimates."
        )
    if used.empty:
        return AreaEstimates(
            level, pd.DataFrame(), config.keys, config.names, len(frame), 0, False, tuple(notes)
        )
    table = estimate_personas_and_barriers(
        used,
        used[["persona_key"]],
        population,
        area_column=area_column,
        persona_keys=config.keys,
        imd_band_of=band,
        min_n=min_n,
        min_cell_n=min_cell_n,
        confidence=confidence,
    ).rename(columns={area_column: "area_code"})
    return AreaEstimates(
        level=level,
        table=table,
        persona_keys=config.keys,
        persona_names=config.names,
        respondents=len(frame),
        respondents_used=len(used),
        imd_crossed=band is not None,
        notes=tuple(notes),
    )


# -- exclusion-risk index inputs ------------------------------------------------------------------


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes (hex)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _store_values(
    session: Session,
    values: pd.DataFrame,
    *,
    replace: Callable[[str], bool],
    names: pd.Series | None,
    lads: pd.Series | None,
    now: datetime,
) -> int:
    """Upsert indicator values by LSOA 2011 code; keys where ``replace`` is true are replaced."""
    codes = [str(code) for code in values.index]
    existing: dict[str, tuple[int, dict[str, Any]]] = {}
    for start in range(0, len(codes), _CHUNK):
        chunk = codes[start : start + _CHUNK]
        for record_id, code, stored in session.execute(
            select(
                IndexInputRecord.id, IndexInputRecord.lsoa11_code, IndexInputRecord.values
            ).where(IndexInputRecord.lsoa11_code.in_(chunk))
        ):
            existing[str(code)] = (int(record_id), dict(stored or {}))
    new_values = _json_safe(values)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for code, row, name, lad in zip(
        codes,
        new_values,
        names.reindex(values.index).tolist() if names is not None else [None] * len(codes),
        lads.reindex(values.index).tolist() if lads is not None else [None] * len(codes),
        strict=True,
    ):
        clean = {key: value for key, value in row.items() if value is not None}
        if code in existing:
            record_id, stored = existing[code]
            kept = {key: value for key, value in stored.items() if not replace(key)}
            change: dict[str, Any] = {
                "id": record_id,
                "values": {**kept, **clean},
                "updated_at": now,
            }
            if isinstance(name, str):
                change["lsoa11_name"] = name[:200]
            if isinstance(lad, str):
                change["lad_code"] = lad[:12]
            updates.append(change)
        else:
            inserts.append(
                {
                    "lsoa11_code": code,
                    "lsoa11_name": name[:200] if isinstance(name, str) else None,
                    "lad_code": lad[:12] if isinstance(lad, str) else None,
                    "values": clean,
                    "updated_at": now,
                }
            )
    for start in range(0, len(inserts), _CHUNK):
        session.execute(insert(IndexInputRecord), inserts[start : start + _CHUNK])
    for start in range(0, len(updates), _CHUNK):
        session.execute(update(IndexInputRecord), updates[start : start + _CHUNK])
    session.flush()
    return len(codes)


def _record_source(
    session: Session,
    kind: str,
    *,
    filename: str,
    file_hash: str | None,
    rows: int,
    now: datetime,
    note: str | None = None,
) -> IndexSourceRecord:
    record = IndexSourceRecord(
        kind=kind,
        filename=filename[:255],
        file_hash=file_hash,
        loaded_at=now,
        rows=rows,
        note=note,
    )
    session.add(record)
    session.flush()
    return record


def store_imd(
    session: Session, imd: pd.DataFrame, *, filename: str, file_hash: str | None, now: datetime
) -> int:
    """Store IMD 2019 ranks and deciles by LSOA 2011 (:func:`geo.sources.ons_tables.read_imd2019`).

    Returns the number of LSOAs stored.  Loading the IMD again replaces those LSOAs' IMD values.
    """
    columns = [column for column in imd.columns if IMD_KEYS.search(str(column))]
    if not columns:
        raise DomainError(f"{filename}: no IMD rank or decile columns.", field="imd")
    count = _store_values(
        session,
        imd[columns],
        replace=lambda key: bool(IMD_KEYS.search(key)),
        names=imd["LSOA11NM"] if "LSOA11NM" in imd.columns else None,
        lads=imd["LAD19CD"] if "LAD19CD" in imd.columns else None,
        now=now,
    )
    _record_source(session, "imd", filename=filename, file_hash=file_hash, rows=count, now=now)
    return count


def store_dpi(
    session: Session, dpi: pd.DataFrame, *, filename: str, file_hash: str | None, now: datetime
) -> int:
    """Store the Digital Propensity Index by LSOA 2011 (:func:`~geo.sources.ons_tables.read_digital_propensity`)."""
    if "dpi_score" not in dpi.columns:
        raise DomainError(f"{filename}: no Digital Propensity Index score column.", field="dpi")
    count = _store_values(
        session,
        dpi[["dpi_score"]],
        replace=lambda key: key == "dpi_score",
        names=None,
        lads=None,
        now=now,
    )
    _record_source(session, "dpi", filename=filename, file_hash=file_hash, rows=count, now=now)
    return count


def store_demo_imd(session: Session, deciles: pd.Series, *, source: str, now: datetime) -> int:
    """Store the demo borough's synthetic IMD deciles (keyed by its LSOA codes)."""
    count = _store_values(
        session,
        pd.DataFrame({"imd_decile": deciles.astype("int64")}),
        replace=lambda key: bool(IMD_KEYS.search(key)),
        names=None,
        lads=None,
        now=now,
    )
    _record_source(
        session,
        "imd",
        filename=source,
        file_hash=None,
        rows=count,
        now=now,
        note="Synthetic IMD-style deciles of the demo borough (not real deprivation data).",
    )
    return count


def store_lsoa_links(
    session: Session,
    pairs: pd.DataFrame,
    *,
    method: Literal["lookup", "boundaries"],
    filename: str,
    file_hash: str | None,
    now: datetime,
) -> int:
    """Store LSOA 2011 - LSOA 2021 pairs (``LSOA11CD``, ``LSOA21CD``), replacing those of ``method``."""
    for column in ("LSOA11CD", "LSOA21CD"):
        if column not in pairs.columns:
            raise DomainError(f"{filename}: the LSOA lookup needs a {column} column.")
    links = pairs[["LSOA11CD", "LSOA21CD"]].dropna().astype(str).drop_duplicates()
    session.execute(delete(LsoaLinkRecord).where(LsoaLinkRecord.method == method))
    # A pair already stored by the other method stays once.
    taken = {
        (str(a), str(b))
        for a, b in session.execute(select(LsoaLinkRecord.lsoa11_code, LsoaLinkRecord.lsoa21_code))
    }
    rows = [
        {"lsoa11_code": old, "lsoa21_code": new, "method": method}
        for old, new in links.itertuples(index=False, name=None)
        if (old, new) not in taken
    ]
    for start in range(0, len(rows), _CHUNK):
        session.execute(insert(LsoaLinkRecord), rows[start : start + _CHUNK])
    session.flush()
    _record_source(
        session, method, filename=filename, file_hash=file_hash, rows=len(links), now=now
    )
    return len(links)


def list_index_sources(session: Session) -> list[IndexSourceRecord]:
    """Files loaded as index inputs, newest first."""
    return list(session.scalars(select(IndexSourceRecord).order_by(IndexSourceRecord.id.desc())))


def index_input_frame(session: Session) -> pd.DataFrame:
    """Stored indicators by LSOA 2011 code (``LSOA11NM``, ``LAD19CD`` and the value columns)."""
    rows = session.execute(
        select(
            IndexInputRecord.lsoa11_code,
            IndexInputRecord.lsoa11_name,
            IndexInputRecord.lad_code,
            IndexInputRecord.values,
        )
    ).all()
    values = pd.DataFrame.from_records([dict(row.values or {}) for row in rows])
    frame = pd.DataFrame(
        {
            "LSOA11NM": [row.lsoa11_name for row in rows],
            "LAD19CD": [row.lad_code for row in rows],
        }
    )
    frame = pd.concat([frame, values], axis=1)
    frame.index = pd.Index([str(row.lsoa11_code) for row in rows], name="LSOA11CD", dtype=object)
    return frame.sort_index()


def lsoa_pairs(
    session: Session, lsoa21_codes: Collection[str], input_codes: Collection[str]
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """LSOA 2011 - 2021 pairs for the stored LSOAs (2021), and the LSOAs left unmatched.

    Stored links (from a lookup or the 2011 boundaries) come first; an LSOA 2021 without one is
    paired with the 2011 LSOA of the same code where the inputs have it (most codes did not change
    in 2021).
    """
    wanted = set(lsoa21_codes)
    stored = pd.DataFrame(
        session.execute(select(LsoaLinkRecord.lsoa11_code, LsoaLinkRecord.lsoa21_code)).all(),
        columns=["LSOA11CD", "LSOA21CD"],
    )
    stored = stored[stored["LSOA21CD"].isin(wanted)].drop_duplicates()
    linked = set(stored["LSOA21CD"])
    inputs = set(input_codes)
    same = sorted(code for code in wanted - linked if code in inputs)
    pairs = pd.concat(
        [stored, pd.DataFrame({"LSOA11CD": same, "LSOA21CD": same})], ignore_index=True
    ).astype(object)
    unmatched = tuple(sorted(wanted - linked - set(same)))
    return pairs, unmatched


# -- exclusion-risk index -------------------------------------------------------------------------

BROADBAND_COLUMNS = ("share_below_30mbps", "share_below_uso", "mean_download_mbps")
"""Broadband indicators a coverage model may provide by LSOA 2021 (shares 0-1, Mbit/s)."""


def index_spec_for(columns: Collection[str]) -> IndexSpec:
    """The DERI-method default index for these input columns (see :func:`surveys.index.default_index_spec`).

    Where only IMD deciles are loaded (the demo borough's synthetic deprivation), the IMD decile
    stands in for the deprivation component, with a note saying so.
    """
    spec = default_index_spec(columns)
    keys = [component.key for component in spec.components]
    if "deprivation" in keys or "imd_decile" not in columns:
        return spec
    component = Component(
        "deprivation",
        "Deprivation",
        1,
        (Indicator("imd_decile", "IMD decile (1 = most deprived)", higher_is_worse=False),),
    )
    position = keys.index("demography") + 1 if "demography" in keys else 0
    components = list(spec.components)
    components.insert(position, component)
    return IndexSpec(
        tuple(components),
        (
            *spec.notes,
            "Deprivation: only IMD deciles are loaded, so the IMD decile stands in for the "
            "DERI's four deprivation indicators.",
        ),
    )


@dataclass(frozen=True)
class IndexView:
    """The exclusion-risk index of the stored areas (see :func:`exclusion_index_view`)."""

    result: ExclusionIndex
    spec: IndexSpec
    inputs: pd.DataFrame
    """Indicators by LSOA 2011 (the index inputs)."""
    lsoas: pd.DataFrame
    """By LSOA 2011: ``name``, ``ward_code``, ``population``, component scores, ``index``,
    ``rank`` (1 = highest risk) and ``indicators_missing``."""
    wards: pd.DataFrame
    """By ward code: population-weighted ``index``, ``population``, ``lsoas``."""
    bands: pd.DataFrame
    """Share of residents living in LSOAs in each index band (0-1, 1-2 ...)."""
    notes: tuple[str, ...]
    has_broadband: bool
    unmatched_lsoa21: tuple[str, ...]


def _lsoa11_wards(pairs: pd.DataFrame, people21: pd.Series, lsoa21_ward: pd.Series) -> pd.Series:
    """Best-fit ward of each LSOA 2011: the ward of its most populous 2021 LSOA."""
    frame = pairs.assign(
        ward=pairs["LSOA21CD"].map(lsoa21_ward), people=pairs["LSOA21CD"].map(people21)
    ).dropna(subset=["ward"])
    frame = frame.sort_values(["people", "LSOA21CD"], ascending=[False, True])
    best = frame.drop_duplicates("LSOA11CD").set_index("LSOA11CD")["ward"]
    return best.rename("ward_code")


def _broadband_by_lsoa11(
    broadband21: pd.DataFrame, pairs: pd.DataFrame, people21: pd.Series
) -> pd.DataFrame:
    """Population-weighted broadband indicators of each LSOA 2011 from its 2021 LSOAs."""
    columns = [column for column in BROADBAND_COLUMNS if column in broadband21.columns]
    frame = pairs.join(broadband21[columns], on="LSOA21CD", how="inner")
    frame["weight"] = frame["LSOA21CD"].map(people21).fillna(0.0).clip(lower=0.0) + 1e-9
    weighted = frame[columns].mul(frame["weight"], axis=0).groupby(frame["LSOA11CD"]).sum()
    weights = frame.groupby("LSOA11CD")["weight"].sum()
    result = weighted.div(weights, axis=0)
    result.index.name = "LSOA11CD"
    return result


def exclusion_index_view(
    session: Session,
    *,
    ages: pd.DataFrame,
    lsoa_ward: pd.Series,
    broadband: pd.DataFrame | None = None,
    weights: Mapping[str, int] | None = None,
) -> IndexView:
    """Compute the exclusion-risk index (DERI method) for the stored LSOAs and wards.

    Parameters
    ----------
    ages:
        Census 2021 ages by LSOA 2021 (:func:`ages_from_population`), people.
    lsoa_ward:
        LSOA 2021 code -> ward code.
    broadband:
        Optional broadband indicators by LSOA 2021 (:data:`BROADBAND_COLUMNS`: shares 0-1,
        Mbit/s) from the coverage model; without it the index leaves broadband out, with a note.
    weights:
        Component key -> whole number 0-10 (used as shares of their total); keys of components
        that have no input are ignored.  The method's defaults (equal weights) otherwise.

    Returns
    -------
    IndexView
        Scores 0-10 (higher = higher risk) by LSOA 2011, the population-weighted index by ward,
        the component correlation matrix and notes on every stand-in and gap.

    Raises
    ------
    core.errors.DomainError
        If no population is stored, or no stored LSOA can be matched to the index inputs.
    """
    if ages.empty:
        raise DomainError(
            "No census population is stored for the LSOAs: load it with "
            "`flask --app app geo import-population` (or load the demo borough)."
        )
    stored = index_input_frame(session)
    pairs, unmatched = lsoa_pairs(session, list(ages.index), list(stored.index))
    notes: list[str] = []
    if unmatched:
        notes.append(
            f"{len(unmatched)} LSOA(s) (2021) could not be matched to a 2011 LSOA and are left "
            "out: load the ONS LSOA 2011 to 2021 lookup or the 2011 boundaries with "
            "`flask --app app surveys load-index-inputs`."
        )
    if pairs.empty:
        raise DomainError(
            "None of the stored LSOAs matches an LSOA of the index inputs: load IMD 2019 and the "
            "Digital Propensity Index with `flask --app app surveys load-index-inputs`."
        )
    ages11 = census_ages_by_lsoa11(ages, pairs)
    value_columns = [c for c in stored.columns if c not in ("LSOA11NM", "LAD19CD")]
    numbers = stored[value_columns].apply(pd.to_numeric, errors="coerce")
    imd_columns = [c for c in numbers.columns if IMD_KEYS.search(str(c))]
    imd = numbers[imd_columns].dropna(how="all") if imd_columns else None
    dpi = (
        numbers[["dpi_score"]].dropna()
        if "dpi_score" in numbers.columns and numbers["dpi_score"].notna().any()
        else None
    )
    broadband11 = None
    if broadband is not None and not broadband.empty:
        broadband11 = _broadband_by_lsoa11(broadband, pairs, ages["total"])
    inputs = index_inputs(
        imd=imd if imd is not None and not imd.empty else None,
        dpi=dpi,
        ages=ages11,
        broadband=broadband11,
    )
    if inputs.empty:
        raise DomainError(
            "No LSOA has every index input loaded: check that the IMD and Digital Propensity "
            "Index files cover the council's LSOAs."
        )
    spec = index_spec_for(inputs.columns)
    if weights:
        keys = {component.key for component in spec.components}
        spec = spec.with_weights({key: value for key, value in weights.items() if key in keys})
    result = exclusion_index(inputs, spec)
    ward_of = _lsoa11_wards(pairs, ages["total"], lsoa_ward)
    lsoas = result.scores[
        [component.key for component in spec.components] + ["index", "indicators_missing"]
    ].copy()
    lsoas.insert(0, "population", inputs["population"])
    lsoas.insert(0, "ward_code", ward_of.reindex(lsoas.index))
    lsoas.insert(0, "name", stored["LSOA11NM"].reindex(lsoas.index))
    lsoas["rank"] = lsoas["index"].rank(ascending=False, method="min")
    in_ward = lsoas["ward_code"].notna()
    wards = index_by_area(
        result.index[in_ward],
        lsoas.loc[in_ward, "ward_code"],
        inputs.loc[in_ward, "population"],
        area_name="ward_code",
    )
    if (~in_ward).any():
        notes.append(f"{int((~in_ward).sum())} LSOA(s) are in no stored ward.")
    return IndexView(
        result=result,
        spec=spec,
        inputs=inputs,
        lsoas=lsoas.sort_values("index", ascending=False),
        wards=wards.sort_values("index", ascending=False),
        bands=population_in_bands(result.index, inputs["population"]),
        notes=tuple(dict.fromkeys([*result.notes, *notes])),
        has_broadband=any(c.key == "broadband" for c in spec.components),
        unmatched_lsoa21=unmatched,
    )


def compare_index_with_deri(view: IndexView, deri: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    """Compare the index with DERI v1.6 scores per LSOA 2011 (:func:`surveys.index.compare_with_deri`).

    Returns the table (``index``, ``deri_score``, ranks, ``rank_difference``, with ``name``)
    and the Spearman rank correlation.
    """
    table, rho = compare_with_deri(view.result.index, deri)
    table.insert(0, "name", view.lsoas["name"].reindex(table.index))
    return table.sort_values("index", ascending=False), rho


def imd_deciles_by_lsoa21(session: Session, lsoa21_codes: Iterable[str]) -> pd.Series:
    """IMD decile (1 = most deprived) of each LSOA 2021 from its 2011 LSOA; NaN where unknown.

    A 2021 LSOA formed from several 2011 LSOAs takes the most deprived (lowest) of their deciles.
    """
    codes = [str(code) for code in lsoa21_codes]
    stored = index_input_frame(session)
    result = pd.Series(np.nan, index=pd.Index(codes, dtype=object), name="imd_decile")
    if stored.empty or "imd_decile" not in stored.columns:
        return result
    pairs, _unmatched = lsoa_pairs(session, codes, list(stored.index))
    deciles = pd.to_numeric(stored["imd_decile"], errors="coerce")
    pairs = pairs.assign(decile=pairs["LSOA11CD"].map(deciles)).dropna(subset=["decile"])
    found = pairs.groupby("LSOA21CD")["decile"].min()
    return found.reindex(result.index).rename("imd_decile")
