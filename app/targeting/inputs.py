"""What the targeting tool reads from the rest of the service, and what it finds missing.

The targeting rules (:mod:`surveys.targeting`) and the siting models (:mod:`geo.siting`) take
plain tables.  This adapter builds them from whatever is stored:

* **areas** (wards or LSOAs, their names, census population and adults, size) from the place
  model (``app.places``);
* **survey estimates** of personas and barriers per area (``surveys.services.estimate_areas``
  on the stored responses) -> the residents columns of :data:`surveys.targeting.AREA_COLUMNS`;
* **coverage** per area (premises below the USO and below superfast, the 4G not-spot share) and
  the BDUK White premises count (``app.coverage`` results);
* **demand for siting**: every stored premises in the chosen wards, weighted by the estimated
  excluded residents living there (survey), or else by the exclusion-risk index, or else plain
  residents: the page says which;
* **existing venues** (the champions network's open venues) and **candidate buildings**: stored
  places that are not venues yet, buildings loaded with ``flask --app app targeting
  import-candidates``, and a CSV uploaded with the scenario.

Nothing is invented: an input that is not stored is reported as missing, with the page or the
command that provides it (:class:`InputStatus`), and the rules that need it are skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from app.places.models import Area, Place, Premises
from app.places.services import latest_layer
from app.targeting.models import CandidateSite
from core.errors import DomainError

BNG = "EPSG:27700"

SITING_PERSONAS: tuple[str, ...] = ("offline_olive", "learning_lin", "mobile_only_mo")
"""Personas counted as the excluded residents a help venue is for: adults who do not go online,
who would like help to learn, or who are online only through a smartphone (no device or home
connection for forms and job applications).  Reluctant Reg, who does not want help, is left
out."""

PLACE_CANDIDATE_KINDS: dict[str, str] = {
    "library": "library",
    "community_centre": "community centre",
    "social_centre": "community centre",
    "townhall": "council building",
    "internet_cafe": "other",
}
"""Place-model kinds that are buildings able to host help, and their candidate kind."""

VENUE_MATCH_M = 50.0
"""A place within this distance of an existing venue is that venue (not a candidate)."""

DUPLICATE_M = 10.0
"""Candidates closer than this to one listed before them are the same building."""

MIN_RESPONDENTS = 30
"""Areas with fewer respondents are flagged as small samples (as on the survey pages)."""

SURVEY_REMEDY = (
    "No survey estimates yet: import a survey (Surveys > Import survey responses) or run "
    "`flask --app app demo`."
)
COVERAGE_REMEDY = (
    "No coverage results yet: load street cabinets and mobile sites, then run "
    "`flask --app app geo model` (the Coverage page lists what is missing)."
)
POPULATION_REMEDY = (
    "No census population is stored: load it with `flask --app app geo import-population` "
    "(or load the demo borough)."
)
PREMISES_REMEDY = (
    "No premises are stored: load address points with `flask --app app geo import-premises` "
    "(or estimate them with `--estimate`)."
)
NETWORK_REMEDY = (
    "No walking network is stored: load one with `flask --app app geo import-osm PATH`."
)
CANDIDATES_REMEDY = (
    "Upload a CSV of candidate buildings with the scenario, or load schools and council "
    "buildings with `flask --app app targeting import-candidates PATH`."
)


@dataclass(frozen=True)
class InputStatus:
    """One input of a plan: whether it is stored, what was found, and how to provide it."""

    key: str
    label: str
    available: bool
    detail: str
    remedy: str = ""

    def as_dict(self) -> dict[str, Any]:
        """Plain data for the stored results."""
        return {
            "key": self.key,
            "label": self.label,
            "available": self.available,
            "detail": self.detail,
            "remedy": self.remedy,
        }


@dataclass(frozen=True)
class PlanInputs:
    """The :data:`surveys.targeting.AREA_COLUMNS` frame of the chosen areas, and its gaps."""

    level: str
    frame: pd.DataFrame
    statuses: tuple[InputStatus, ...]
    notes: tuple[str, ...] = ()

    @property
    def has_needs(self) -> bool:
        """True when at least one need (survey or coverage figure) is known in some area."""
        need_columns = [
            column
            for column in self.frame.columns
            if column.startswith(("residents_", "premises_")) or column == "notspot_share"
        ]
        return bool(len(self.frame)) and bool(self.frame[need_columns].notna().any().any())

    @property
    def missing(self) -> tuple[InputStatus, ...]:
        """The inputs that are not stored."""
        return tuple(status for status in self.statuses if not status.available)


@dataclass(frozen=True)
class DemandInputs:
    """Premises in the chosen wards with the demand weight used for siting."""

    premises: pd.DataFrame
    """``x_m``, ``y_m`` (EPSG:27700), ``residents``, ``weight``, ``ward_code``, ``lsoa_code``."""
    weighting: str
    """``"survey"``, ``"index"`` or ``"residents"``."""
    label: str
    """What the weight counts, in words ("estimated excluded residents")."""
    description: str
    """How the weight was made, in words, for the page."""
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SiteInputs:
    """Venues that stay open and buildings that could become new ones."""

    existing: pd.DataFrame
    """``name``, ``kind``, ``x_m``, ``y_m`` of the open venues (EPSG:27700)."""
    candidates: pd.DataFrame
    """``candidate_id``, ``name``, ``kind``, ``x_m``, ``y_m``, ``origin``, ``ward_code``."""
    notes: tuple[str, ...] = ()


# ---- helpers ------------------------------------------------------------------------------


def _has_table(session: Session, name: str) -> bool:
    return bool(inspect(session.connection()).has_table(name))


def list_wards(session: Session) -> list[tuple[str, str]]:
    """The current wards as ``(code, name)``, by name."""
    layer = latest_layer(session, "ward")
    if layer is None:
        return []
    rows = session.execute(select(Area.code, Area.name).where(Area.layer_id == layer.id)).all()
    wards = [(str(code), str(name or code)) for code, name in rows]
    return sorted(wards, key=lambda item: (item[1], item[0]))


def _stored_areas(session: Session) -> Any:
    from app.surveys.areas import stored_areas

    return stored_areas(session)


def _area_table(session: Session, level: str, ward_codes: Sequence[str]) -> pd.DataFrame:
    """Names, population, adults and area of the chosen wards or of the LSOAs in them."""
    areas = _stored_areas(session)
    ages: pd.DataFrame = areas.ages
    wards = set(ward_codes)
    lsoa_layer = latest_layer(session, "lsoa")
    lsoa_rows = (
        session.execute(
            select(Area.code, Area.name, Area.ward_code, Area.area_km2, Area.population).where(
                Area.layer_id == lsoa_layer.id
            )
        ).all()
        if lsoa_layer is not None
        else []
    )
    lsoas = pd.DataFrame(
        lsoa_rows, columns=["code", "name", "ward_code", "area_km2", "population"]
    ).set_index("code")
    lsoas["adults"] = ages["adults"].reindex(lsoas.index) if len(ages) else np.nan
    lsoas["population"] = pd.to_numeric(lsoas["population"], errors="coerce").astype(float)
    if level == "lsoa":
        chosen = lsoas[lsoas["ward_code"].isin(wards)]
        frame = pd.DataFrame(
            {
                "area_name": chosen["name"].fillna(pd.Series(chosen.index, index=chosen.index)),
                "ward_code": chosen["ward_code"],
                "population": chosen["population"],
                "adults": chosen["adults"],
                "area_km2": chosen["area_km2"].astype(float),
            },
            index=pd.Index(chosen.index.astype(str), name="area_code"),
        )
        return frame
    ward_layer = latest_layer(session, "ward")
    if ward_layer is None:
        return pd.DataFrame(columns=["area_name", "ward_code", "population", "adults", "area_km2"])
    rows = session.execute(
        select(Area.code, Area.name, Area.area_km2, Area.population).where(
            Area.layer_id == ward_layer.id, Area.code.in_(sorted(wards))
        )
    ).all()
    ward_frame = pd.DataFrame(rows, columns=["code", "name", "area_km2", "population"]).set_index(
        "code"
    )
    in_ward = lsoas[lsoas["ward_code"].notna()]
    summed = in_ward.groupby("ward_code")[["population", "adults"]].sum(min_count=1)
    population = summed["population"].reindex(ward_frame.index)
    stored_population = pd.to_numeric(ward_frame["population"], errors="coerce").astype(float)
    frame = pd.DataFrame(
        {
            "area_name": ward_frame["name"].fillna(
                pd.Series(ward_frame.index, index=ward_frame.index)
            ),
            "ward_code": ward_frame.index,
            "population": population.fillna(stored_population),
            "adults": summed["adults"].reindex(ward_frame.index),
            "area_km2": ward_frame["area_km2"].astype(float),
        },
        index=pd.Index(ward_frame.index.astype(str), name="area_code"),
    )
    return frame


def _survey_estimates(session: Session, level: str) -> Any:
    """Survey estimates at ``level`` (``AreaEstimates``), or ``None`` when nothing is stored."""
    if not _has_table(session, "survey_responses"):
        return None
    from surveys.models import SurveyResponse
    from surveys.services import estimate_areas, imd_deciles_by_lsoa21

    if not session.scalar(select(func.count()).select_from(SurveyResponse)):
        return None
    areas = _stored_areas(session)
    if areas.ages.empty:
        return None
    deciles = imd_deciles_by_lsoa21(session, list(areas.ages.index))
    estimates = estimate_areas(
        session,
        level="ward" if level == "ward" else "lsoa",
        ages=areas.ages,
        lsoa_ward=areas.lsoa_ward,
        imd_decile=deciles,
        min_n=MIN_RESPONDENTS,
    )
    return None if estimates.table.empty else estimates


def _coverage(session: Session, level: str, codes: Sequence[str]) -> pd.DataFrame | None:
    """Coverage columns of the chosen areas, or ``None`` when coverage has not been modelled."""
    if not _has_table(session, "area_coverage"):
        return None
    from app.coverage.models import AreaCoverage, PremisesCoverage

    layer = latest_layer(session, level)
    if layer is None:
        return None
    rows = session.execute(
        select(
            AreaCoverage.code,
            AreaCoverage.premises,
            AreaCoverage.premises_below_uso,
            AreaCoverage.premises_below_superfast,
            AreaCoverage.share_not_spot,
        ).where(AreaCoverage.kind == level, AreaCoverage.vintage == layer.vintage)
    ).all()
    if not rows:
        return None
    frame = pd.DataFrame(
        rows,
        columns=[
            "area_code",
            "premises",
            "premises_below_uso",
            "premises_below_superfast",
            "notspot_share",
        ],
    ).set_index("area_code")
    frame = frame.astype(float)
    code_column = Premises.ward_code if level == "ward" else Premises.lsoa_code
    white = dict(
        session.execute(
            select(code_column, func.count())
            .join(PremisesCoverage, PremisesCoverage.premises_id == Premises.id)
            .where(PremisesCoverage.bduk_category == "white", code_column.is_not(None))
            .group_by(code_column)
        ).all()
    )
    frame["premises_bduk_white"] = [float(white.get(code, 0)) for code in frame.index]
    return frame.reindex([str(code) for code in codes])


def _premises_counts(session: Session, level: str) -> pd.Series:
    column = Premises.ward_code if level == "ward" else Premises.lsoa_code
    rows = session.execute(
        select(column, func.count()).where(column.is_not(None)).group_by(column)
    ).all()
    return pd.Series({str(code): float(n) for code, n in rows}, name="premises", dtype=float)


# ---- the costed plan's inputs -------------------------------------------------------------


def plan_inputs(session: Session, *, level: str, ward_codes: Sequence[str]) -> PlanInputs:
    """Build the area inputs of :func:`surveys.targeting.recommend` for the chosen wards.

    ``level`` is ``"ward"`` (one row per chosen ward) or ``"lsoa"`` (the LSOAs in them).
    Columns whose source is not stored are left out (the rules needing them are skipped, with
    the reason); :attr:`PlanInputs.statuses` says what was found and what is missing.
    """
    if level not in ("ward", "lsoa"):
        raise DomainError("Choose wards or neighbourhoods (LSOAs).", field="level")
    base = _area_table(session, level, ward_codes)
    statuses: list[InputStatus] = []
    notes: list[str] = []
    codes = [str(code) for code in base.index]
    if base["population"].notna().any():
        statuses.append(
            InputStatus(
                "population",
                "Census population",
                True,
                f"{base['population'].sum():,.0f} residents in the chosen areas",
            )
        )
    else:
        statuses.append(
            InputStatus("population", "Census population", False, "Not stored", POPULATION_REMEDY)
        )
    frame = pd.DataFrame(index=pd.Index(codes, name="area_code"))
    frame["area_name"] = base["area_name"].astype(str)
    frame["ward_code"] = base["ward_code"].astype(object)
    frame["population"] = base["population"]
    frame["adults"] = base["adults"]
    area_km2 = base["area_km2"].where(base["area_km2"] > 0)
    frame["density_per_km2"] = base["population"] / area_km2
    estimates = _survey_estimates(session, level)
    if estimates is not None:
        from surveys.targeting import area_inputs_from_estimates

        survey = area_inputs_from_estimates(estimates.table, area_column="area_code")
        survey.index = survey.index.astype(str)
        survey = survey.reindex(codes)
        if "adults" in survey.columns:
            frame["adults"] = survey["adults"].fillna(frame["adults"])
        for column in survey.columns:
            if column != "adults":
                frame[column] = survey[column]
        estimated = survey.drop(columns=["adults", "low_sample"], errors="ignore")
        known = int(estimated.notna().any(axis=1).sum())
        small = int(survey["low_sample"].fillna(False).astype(bool).sum()) if known else 0
        detail = (
            f"{estimates.respondents_used:,} respondents; estimates for {known} of "
            f"{len(codes)} areas"
        )
        if small:
            detail += f" ({small} from fewer than {MIN_RESPONDENTS} respondents: rough)"
        statuses.append(
            InputStatus(
                "survey",
                "Survey estimates of residents' needs",
                known > 0,
                detail,
                "" if known else SURVEY_REMEDY,
            )
        )
        if known < len(codes) and known:
            notes.append(
                f"{len(codes) - known} area(s) have no survey respondents, so the "
                "interventions that need survey estimates are skipped there."
            )
        notes.extend(estimates.notes)
    else:
        statuses.append(
            InputStatus(
                "survey", "Survey estimates of residents' needs", False, "None", SURVEY_REMEDY
            )
        )
    coverage = _coverage(session, level, codes)
    if coverage is not None and coverage["premises"].notna().any():
        for column in coverage.columns:
            frame[column] = coverage[column]
        statuses.append(
            InputStatus(
                "coverage",
                "Broadband and mobile coverage",
                True,
                f"modelled for {int(coverage['premises'].notna().sum())} of {len(codes)} areas",
            )
        )
    else:
        counts = _premises_counts(session, level).reindex(codes)
        if counts.notna().any():
            frame["premises"] = counts
        statuses.append(
            InputStatus(
                "coverage", "Broadband and mobile coverage", False, "Not modelled", COVERAGE_REMEDY
            )
        )
    if estimates is not None and level == "lsoa":
        notes.append(
            "LSOA survey estimates rest on few respondents each: treat them as rough, or plan by "
            "ward."
        )
    return PlanInputs(level=level, frame=frame, statuses=tuple(statuses), notes=tuple(notes))


# ---- siting: demand -------------------------------------------------------------------------


def _premises(session: Session, ward_codes: Sequence[str]) -> pd.DataFrame:
    rows = session.execute(
        select(
            Premises.x_m, Premises.y_m, Premises.residents, Premises.ward_code, Premises.lsoa_code
        ).where(Premises.ward_code.in_(sorted(set(ward_codes))))
    ).all()
    return pd.DataFrame(rows, columns=["x_m", "y_m", "residents", "ward_code", "lsoa_code"])


def _excluded_share_by_ward(estimates: Any) -> tuple[pd.Series, pd.Series, tuple[str, ...]]:
    """Excluded adults per ward and their share of the ward's adults; persona names used."""
    table: pd.DataFrame = estimates.table
    outcomes = [f"persona:{key}" for key in SITING_PERSONAS if key in estimates.persona_keys]
    names = tuple(
        estimates.persona_names[key] for key in SITING_PERSONAS if key in estimates.persona_keys
    )
    chosen = table[table["outcome"].isin(outcomes)]
    excluded = chosen.groupby("area_code")["residents"].sum(min_count=len(outcomes))
    adults = table.groupby("area_code")["adults"].first()
    excluded.index = excluded.index.astype(str)
    adults.index = adults.index.astype(str)
    return excluded, adults, names


def siting_demand(session: Session, *, ward_codes: Sequence[str]) -> DemandInputs:
    """Premises in the chosen wards, weighted by the estimated excluded residents living there.

    Weighting, first available:

    1. **survey**: each ward's estimated adults in the personas of :data:`SITING_PERSONAS`,
       shared over its premises in proportion to their residents (a ward with no respondents
       takes the borough-wide share, and a note says so);
    2. **index**: residents times the ward's exclusion-risk index / 10 (a relative weighting,
       not a count of people);
    3. **residents**: plain residents.
    """
    premises = _premises(session, ward_codes)
    if premises.empty:
        raise DomainError(
            "There are no premises in the chosen wards, so new venues cannot be sited. "
            + PREMISES_REMEDY,
            field="wards",
        )
    residents = premises["residents"].astype(float).fillna(0.0)
    ward = premises["ward_code"].astype(str)
    population = residents.groupby(ward).sum()
    notes: list[str] = []
    estimates = _survey_estimates(session, "ward")
    if estimates is not None:
        excluded, adults, names = _excluded_share_by_ward(estimates)
        if names and excluded.notna().any():
            known = excluded.dropna()
            borough_share = float(known.sum() / adults.reindex(known.index).sum())
            chosen = sorted(set(ward))
            missing = [code for code in chosen if code not in known.index]
            per_resident = {}
            for code in chosen:
                people = float(population.get(code, 0.0))
                if code in known.index and people > 0:
                    per_resident[code] = float(known[code]) / people
                else:
                    # Adults per resident of the borough, times the borough's excluded share.
                    per_resident[code] = borough_share * float(
                        adults.sum() / max(population.sum(), 1.0)
                    )
            if missing:
                notes.append(
                    f"{len(missing)} chosen ward(s) have no survey respondents; their premises "
                    "use the borough-wide share of adults estimated excluded."
                )
            weight = residents * ward.map(per_resident).astype(float)
            return DemandInputs(
                premises=premises.assign(weight=weight.to_numpy()),
                weighting="survey",
                label="estimated excluded residents",
                description=(
                    "Estimated adults who are " + _or_list(names) + " (survey estimates by "
                    "ward, weighted to Census 2021), shared over each ward's premises by their "
                    "residents."
                ),
                notes=tuple(notes),
            )
    index = _ward_index(session)
    if index is not None and index.notna().any():
        known = index.dropna()
        borough = float(known.mean())
        chosen = sorted(set(ward))
        if any(code not in known.index for code in chosen):
            notes.append(
                "Some chosen wards have no exclusion-risk index; their premises use the "
                "borough average."
            )
        factor = ward.map(lambda code: float(known.get(code, borough) or borough) / 10.0)
        return DemandInputs(
            premises=premises.assign(weight=(residents * factor).to_numpy()),
            weighting="index",
            label="residents weighted by exclusion risk",
            description=(
                "No survey estimates are stored, so each premises' residents are weighted by "
                "its ward's digital exclusion risk index (0 to 10, divided by 10). This ranks "
                "places by risk; it is not a count of excluded people. " + SURVEY_REMEDY
            ),
            notes=tuple(notes),
        )
    return DemandInputs(
        premises=premises.assign(weight=residents.to_numpy()),
        weighting="residents",
        label="residents",
        description=(
            "No survey estimates or exclusion-risk index are stored, so every resident counts "
            "the same. " + SURVEY_REMEDY
        ),
        notes=tuple(notes),
    )


def _or_list(names: Iterable[str]) -> str:
    items = [f"'{name}'" for name in names]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


def _ward_index(session: Session) -> pd.Series | None:
    """The exclusion-risk index (0-10) by ward code, or ``None`` when it cannot be built."""
    if not _has_table(session, "survey_index_inputs"):
        return None
    from app.surveys.areas import broadband_by_lsoa
    from surveys.services import exclusion_index_view

    areas = _stored_areas(session)
    if areas.ages.empty:
        return None
    try:
        broadband = broadband_by_lsoa(session)
    except RuntimeError:  # outside an application context (CLI helpers, jobs) no provider
        broadband = None
    try:
        view = exclusion_index_view(
            session, ages=areas.ages, lsoa_ward=areas.lsoa_ward, broadband=broadband
        )
    except DomainError:
        return None
    index = view.wards["index"].astype(float)
    index.index = index.index.astype(str)
    return index


# ---- siting: venues and candidates ----------------------------------------------------------


def existing_venues(session: Session) -> pd.DataFrame:
    """Open help venues of the champions network that have a position (EPSG:27700)."""
    columns = ["name", "kind", "x_m", "y_m"]
    if not _has_table(session, "venues"):
        return pd.DataFrame(columns=columns)
    from champions.models import Venue

    rows = session.execute(
        select(Venue.name, Venue.easting_m, Venue.northing_m)
        .where(Venue.closed.is_(False), Venue.easting_m.is_not(None))
        .order_by(Venue.name, Venue.id)
    ).all()
    return pd.DataFrame(
        [
            (str(name), "help venue", float(x), float(y))
            for name, x, y in rows
            if x is not None and y is not None
        ],
        columns=columns,
    )


def _near(
    x: np.ndarray, y: np.ndarray, ox: np.ndarray, oy: np.ndarray, within_m: float
) -> np.ndarray:
    """True for points within ``within_m`` of any of the other points."""
    if len(x) == 0 or len(ox) == 0:
        return np.zeros(len(x), dtype=bool)
    tree = shapely.STRtree(np.asarray(shapely.points(ox, oy)))
    hits = tree.query(shapely.points(x, y), predicate="dwithin", distance=within_m)
    near = np.zeros(len(x), dtype=bool)
    near[hits[0]] = True
    return near


def _ward_of_points(session: Session, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    from app.places.services import load_areas

    codes = np.full(len(x), None, dtype=object)
    wards = load_areas(session, kind="ward")
    if wards.empty or len(x) == 0:
        return codes
    tree = shapely.STRtree(np.asarray(wards.geometry.array, dtype=object))
    point_index, area_index = tree.query(shapely.points(x, y), predicate="within")
    codes[point_index] = wards["code"].to_numpy()[area_index]
    return codes


def site_inputs(
    session: Session,
    *,
    ward_codes: Sequence[str],
    uploaded: pd.DataFrame | None = None,
) -> SiteInputs:
    """Existing venues (all of them: they serve across ward edges) and the candidate buildings.

    Candidates are, in this order and without repeats (within :data:`DUPLICATE_M`): stored
    places in the chosen wards that are not venues yet (farther than :data:`VENUE_MATCH_M` from
    every open venue), candidate buildings loaded with ``targeting import-candidates`` in the
    chosen wards, and every row of ``uploaded`` (from :func:`geo.siting.read_candidates`).
    """
    existing = existing_venues(session)
    ex_x = existing["x_m"].to_numpy(dtype=float)
    ex_y = existing["y_m"].to_numpy(dtype=float)
    wards = sorted(set(ward_codes))
    places = session.execute(
        select(Place.public_id, Place.name, Place.kind, Place.x_m, Place.y_m, Place.ward_code)
        .where(Place.kind.in_(list(PLACE_CANDIDATE_KINDS)), Place.ward_code.in_(wards))
        .order_by(Place.name, Place.id)
    ).all()
    frames = [
        pd.DataFrame(
            [
                (f"place:{public_id}", name, PLACE_CANDIDATE_KINDS[kind], x, y, "place", ward)
                for public_id, name, kind, x, y, ward in places
            ],
            columns=["candidate_id", "name", "kind", "x_m", "y_m", "origin", "ward_code"],
        )
    ]
    if _has_table(session, "targeting_candidates"):
        stored = session.execute(
            select(
                CandidateSite.reference,
                CandidateSite.name,
                CandidateSite.kind,
                CandidateSite.x_m,
                CandidateSite.y_m,
                CandidateSite.ward_code,
            )
            .where(CandidateSite.ward_code.in_(wards))
            .order_by(CandidateSite.name, CandidateSite.id)
        ).all()
        frames.append(
            pd.DataFrame(
                [(ref, name, kind, x, y, "loaded", ward) for ref, name, kind, x, y, ward in stored],
                columns=["candidate_id", "name", "kind", "x_m", "y_m", "origin", "ward_code"],
            )
        )
    if uploaded is not None and len(uploaded):
        up = pd.DataFrame(
            {
                "candidate_id": uploaded["candidate_id"].astype(str).to_numpy(),
                "name": uploaded["name"].astype(str).to_numpy(),
                "kind": uploaded["kind"].astype(str).to_numpy(),
                "x_m": uploaded["x_m"].to_numpy(dtype=float),
                "y_m": uploaded["y_m"].to_numpy(dtype=float),
                "origin": "uploaded",
            }
        )
        up["ward_code"] = _ward_of_points(session, up["x_m"].to_numpy(), up["y_m"].to_numpy())
        frames.append(up)
    candidates = (
        pd.concat([frame for frame in frames if len(frame)], ignore_index=True)
        if any(len(frame) for frame in frames)
        else frames[0]
    )
    notes: list[str] = []
    if existing.empty:
        notes.append(
            "No help venues are recorded in the champions network, so none is kept open and "
            "every stored place counts as a possible new venue. Record the venues where help "
            "is given on the Session venues page to keep them open in scenarios."
        )
    if len(candidates):
        x = candidates["x_m"].to_numpy(dtype=float)
        y = candidates["y_m"].to_numpy(dtype=float)
        is_venue = _near(x, y, ex_x, ex_y, VENUE_MATCH_M) & (candidates["origin"] != "uploaded")
        keep = ~is_venue & ~_repeats(x, y)
        dropped_venues = int(is_venue.sum())
        if dropped_venues:
            notes.append(
                f"{dropped_venues} stored place(s) are already help venues, so they stay open "
                "rather than being candidates."
            )
        candidates = candidates.loc[keep].reset_index(drop=True)
    return SiteInputs(existing=existing, candidates=candidates, notes=tuple(notes))


def _repeats(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """True for points within :data:`DUPLICATE_M` of a point listed before them."""
    repeat = np.zeros(len(x), dtype=bool)
    if len(x) < 2:
        return repeat
    tree = shapely.STRtree(np.asarray(shapely.points(x, y)))
    left, right = tree.query(shapely.points(x, y), predicate="dwithin", distance=DUPLICATE_M)
    later = right > left
    repeat[np.unique(right[later])] = True
    # A point repeated only by a point that is itself a repeat still goes: keep it simple and
    # keep the first of each close group.
    return repeat


def candidates_frame(rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """Uploaded candidates kept with a scenario (plain dicts) back as a table."""
    return pd.DataFrame(list(rows), columns=["candidate_id", "name", "kind", "x_m", "y_m"]).astype(
        {"x_m": float, "y_m": float}
    )


def network_available(session: Session) -> bool:
    """Whether a walking network is stored."""
    from app.places.services import find_network

    return find_network(session, "walk") is not None


def area_geometry(session: Session, *, level: str, codes: Sequence[str]) -> gpd.GeoDataFrame:
    """Outlines of the given wards or LSOAs: ``code``, ``name``, ``geometry`` (EPSG:27700)."""
    from app.places.services import load_areas

    areas = load_areas(session, kind=level)
    if areas.empty:
        return gpd.GeoDataFrame(
            {"code": [], "name": []}, geometry=gpd.GeoSeries([], crs=BNG), crs=BNG
        )
    chosen = areas[areas["code"].isin(list(codes))]
    return gpd.GeoDataFrame(
        {
            "code": chosen["code"].astype(str).to_numpy(),
            "name": chosen["name"].fillna(chosen["code"]).astype(str).to_numpy(),
        },
        geometry=chosen.geometry.to_numpy(),
        crs=BNG,
    )
