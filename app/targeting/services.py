"""Costed intervention plans and new venue siting for a planner's scenario.

A scenario names wards, a budget, a walking time, the number of new venues ``k`` and the share
of excluded residents a set-covering answer must reach.  :func:`check_request` refuses bad
values with a message on the field (before anything is stored); :func:`run_scenario` computes:

* the **costed plan**: :func:`surveys.targeting.recommend` on the areas' inputs (from
  :mod:`app.targeting.inputs`), then :func:`surveys.targeting.plan_within_budget`: ring-fenced
  help first, then whole units by residents reached per pound, with the channel-shift savings;
* the **siting answer** on the stored walking network: premises grouped into 200 m clusters
  inside each LSOA, weighted by estimated excluded residents, a sparse walking-distance matrix
  cut off at the walking time, then :func:`geo.siting.solve_mclp` (k new venues, existing ones
  kept open) and :func:`geo.siting.solve_lscp` (fewest new venues for the share), each solved
  exactly by CBC within a time limit and compared with the greedy heuristic.  "Optimal" is said
  only when it is proven; otherwise the gap to the best bound is given.

Services flush and never commit: the request, the job runner or the CLI command owns the
transaction.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pyproj
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.places.models import Area, Premises
from app.places.services import latest_layer, load_network
from app.targeting import inputs as stored
from app.targeting.models import CandidateSite, InterventionSettingsRecord, Scenario
from core.errors import DomainError, NotFound
from geo.access import snap_points
from geo.errors import InputError
from geo.siting import (
    SitingResult,
    aggregate_demand,
    greedy_lscp,
    greedy_mclp,
    network_cost_matrix,
    solve_lscp,
    solve_mclp,
    walking_radius_m,
)
from surveys.interventions import (
    DEFAULT_CHANNEL_COSTS,
    InterventionConfig,
    validate_channel_costs,
    validate_interventions,
)
from surveys.targeting import MAX_BUDGET_GBP, plan_within_budget, recommend, summarise_areas

MIN_BUDGET_GBP = 1.0
MAX_K = 50
MIN_WALK_MIN = 1
MAX_WALK_MIN = 60
MIN_SHARE = 0.01
MAX_TIME_LIMIT_S = 10.0
"""CBC's time limit for each exact solve, seconds (the page never waits on it)."""
CLUSTER_M = 200.0
"""Side of the square premises clusters demand is grouped into (within each LSOA), metres."""
WALK_SPEED_M_PER_MIN = 80.0
MAX_UPLOAD_ROWS = 2000
STALE_AFTER = timedelta(minutes=15)
"""A run with no progress for this long has stopped (for example the service restarted)."""
KEEP_DRAFTS = 20
"""Unsaved runs kept per person; older ones are deleted when a new run starts."""

Progress = Callable[[int, str], None]

_TO_WGS84 = pyproj.Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def _quiet(_percent: int, _text: str) -> None:
    return None


# ---- the request ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ScenarioRequest:
    """What a planner asks for (validated by :func:`check_request`)."""

    name: str
    ward_codes: tuple[str, ...]
    level: str = "ward"
    budget_gbp: float = 50_000.0
    walk_min: int = 15
    k: int = 3
    share: float = 0.9
    online_gbp: float = DEFAULT_CHANNEL_COSTS.online_gbp
    face_to_face_gbp: float = DEFAULT_CHANNEL_COSTS.face_to_face_gbp
    transactions_per_year: float = DEFAULT_CHANNEL_COSTS.transactions_per_resident_per_year
    uploaded_candidates: tuple[dict[str, Any], ...] = ()
    candidates_filename: str | None = None
    time_limit_s: float = MAX_TIME_LIMIT_S
    interventions: dict[str, Any] = field(default_factory=dict)

    def as_parameters(self) -> dict[str, Any]:
        """The request as JSON-ready data (kept with the scenario)."""
        data = asdict(self)
        data["ward_codes"] = list(self.ward_codes)
        data["uploaded_candidates"] = [dict(row) for row in self.uploaded_candidates]
        return data

    @classmethod
    def from_parameters(cls, data: Mapping[str, Any]) -> ScenarioRequest:
        """The request back from :meth:`as_parameters`."""
        values = dict(data)
        values["ward_codes"] = tuple(values.get("ward_codes", ()))
        values["uploaded_candidates"] = tuple(values.get("uploaded_candidates", ()))
        known = set(cls.__dataclass_fields__)
        return cls(**{key: value for key, value in values.items() if key in known})


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def check_request(session: Session, request: ScenarioRequest) -> int:
    """Refuse a scenario that cannot be run, naming the field; return the candidate count.

    Raises
    ------
    DomainError
        ``field`` is the form field: ``name``, ``wards``, ``level``, ``budget_gbp``,
        ``walk_min``, ``k``, ``share_pct``, ``online_gbp``, ``face_to_face_gbp`` or
        ``transactions_per_year``.
    """
    if not request.name.strip():
        raise DomainError("Enter a name for the scenario", field="name")
    known = {code for code, _name in stored.list_wards(session)}
    if not known:
        raise DomainError(
            "No wards are loaded: import ward boundaries with `flask --app app geo "
            "import-areas` (or run `flask --app app demo`).",
            field="wards",
        )
    if not request.ward_codes:
        raise DomainError("Select at least one ward", field="wards")
    unknown = sorted(set(request.ward_codes) - known)
    if unknown:
        raise DomainError(f"Ward {unknown[0]} is not one of the stored wards", field="wards")
    if request.level not in ("ward", "lsoa"):
        raise DomainError("Select wards or neighbourhoods (LSOAs)", field="level")
    budget = _number(request.budget_gbp)
    if budget is None or not MIN_BUDGET_GBP <= budget <= MAX_BUDGET_GBP:
        raise DomainError(
            f"Budget must be between £{MIN_BUDGET_GBP:,.0f} and £{MAX_BUDGET_GBP:,.0f}",
            field="budget_gbp",
        )
    walk = _number(request.walk_min)
    if walk is None or not MIN_WALK_MIN <= walk <= MAX_WALK_MIN:
        raise DomainError(
            f"Walking time must be between {MIN_WALK_MIN} and {MAX_WALK_MIN} minutes",
            field="walk_min",
        )
    share = _number(request.share)
    if share is None or not MIN_SHARE <= share <= 1:
        raise DomainError("Share to reach must be between 1% and 100%", field="share_pct")
    limit = _number(request.time_limit_s)
    if limit is None or not 0 < limit <= MAX_TIME_LIMIT_S:
        raise DomainError(
            f"The solver's time limit must be more than 0 and at most {MAX_TIME_LIMIT_S:g} seconds",
            field="k",
        )
    validate_channel_costs(
        online_gbp=request.online_gbp,
        face_to_face_gbp=request.face_to_face_gbp,
        transactions_per_resident_per_year=request.transactions_per_year,
    )
    if len(request.uploaded_candidates) > MAX_UPLOAD_ROWS:
        raise DomainError(
            f"The candidate file has more than {MAX_UPLOAD_ROWS:,} rows: give at most "
            f"{MAX_UPLOAD_ROWS:,} buildings",
            field="candidates",
        )
    validate_interventions(request.interventions or None)
    if not _has_data(session, request):
        raise DomainError(
            "The wards you chose have no data to plan with: no survey estimates, coverage "
            "results or premises are stored for them. "
            + stored.SURVEY_REMEDY
            + " "
            + stored.PREMISES_REMEDY,
            field="wards",
        )
    k = request.k
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise DomainError(f"Number of new venues must be between 1 and {MAX_K}", field="k")
    uploaded = stored.candidates_frame(request.uploaded_candidates)
    sites = stored.site_inputs(session, ward_codes=request.ward_codes, uploaded=uploaded)
    count = len(sites.candidates)
    if count == 0:
        raise DomainError(
            "There are no candidate buildings in the chosen wards. " + stored.CANDIDATES_REMEDY,
            field="k",
        )
    if k > count:
        raise DomainError(
            f"Number of new venues must be {count} or fewer: there "
            f"{'is' if count == 1 else 'are'} only {count} candidate "
            f"building{'' if count == 1 else 's'} in the chosen wards",
            field="k",
        )
    return count


def _has_data(session: Session, request: ScenarioRequest) -> bool:
    """Whether the chosen wards hold any premises, survey responses or coverage results."""
    wards = sorted(set(request.ward_codes))
    premises = session.scalar(
        select(func.count()).select_from(Premises).where(Premises.ward_code.in_(wards))
    )
    if premises:
        return True
    if stored._has_table(session, "survey_responses"):
        from surveys.models import SurveyResponse

        lsoas = select(Area.code).where(Area.kind == "lsoa", Area.ward_code.in_(wards))
        responses = session.scalar(
            select(func.count())
            .select_from(SurveyResponse)
            .where(SurveyResponse.ward_code.in_(wards) | SurveyResponse.lsoa21_code.in_(lsoas))
        )
        if responses:
            return True
    if stored._has_table(session, "area_coverage"):
        from app.coverage.models import AreaCoverage

        covered = session.scalar(
            select(func.count())
            .select_from(AreaCoverage)
            .where(AreaCoverage.kind == "ward", AreaCoverage.code.in_(wards))
        )
        if covered:
            return True
    return False


# ---- intervention settings ------------------------------------------------------------------


def intervention_overrides(session: Session) -> dict[str, Any]:
    """The council's changes to the default intervention rules (empty: the defaults)."""
    record = session.scalars(
        select(InterventionSettingsRecord).order_by(
            InterventionSettingsRecord.created_at.desc(), InterventionSettingsRecord.id.desc()
        )
    ).first()
    return dict(record.overrides) if record is not None else {}


def active_interventions(session: Session) -> InterventionConfig:
    """The intervention rules in force (defaults with the council's changes)."""
    return validate_interventions(intervention_overrides(session) or None)


def change_intervention(
    session: Session,
    key: str,
    settings: Mapping[str, Any],
    *,
    by: int | None,
    now: datetime,
) -> InterventionConfig:
    """Change one intervention's settings; the whole set is checked before it is stored."""
    current = intervention_overrides(session)
    interventions = {
        name: dict(values) for name, values in dict(current.get("interventions", {})).items()
    }
    interventions[key] = {**interventions.get(key, {}), **dict(settings)}
    proposed = {"version": f"council {now:%Y-%m-%d %H:%M}", "interventions": interventions}
    config = validate_interventions(proposed)
    session.add(
        InterventionSettingsRecord(
            version=config.version,
            overrides=proposed,
            created_at=now,
            created_by_id=by,
            note=f"changed {key}",
        )
    )
    session.flush()
    return config


def reset_interventions(session: Session, *, by: int | None, now: datetime) -> None:
    """Go back to the default intervention rules (kept as a new settings row)."""
    session.add(
        InterventionSettingsRecord(
            version="defaults", overrides={}, created_at=now, created_by_id=by, note="reset"
        )
    )
    session.flush()


# ---- scenarios ------------------------------------------------------------------------------


def create_scenario(
    session: Session,
    request: ScenarioRequest,
    *,
    by_id: int | None,
    by_name: str | None,
    now: datetime,
) -> Scenario:
    """Check the request and store it as a queued scenario (a draft until saved)."""
    check_request(session, request)
    parameters = request.as_parameters()
    if not request.interventions:
        parameters["interventions"] = intervention_overrides(session)
    scenario = Scenario(
        name=request.name.strip(),
        saved=False,
        created_by_id=by_id,
        created_by_name=by_name,
        created_at=now,
        updated_at=now,
        status="queued",
        progress=0,
        progress_text="Waiting to start",
        parameters=parameters,
    )
    session.add(scenario)
    session.flush()
    _prune_drafts(session, by_id)
    return scenario


def _prune_drafts(session: Session, by_id: int | None) -> None:
    drafts = session.scalars(
        select(Scenario.id)
        .where(Scenario.saved.is_(False), Scenario.created_by_id == by_id)
        .where(Scenario.status.in_(("done", "failed")))
        .order_by(Scenario.created_at.desc(), Scenario.id.desc())
        .offset(KEEP_DRAFTS)
    ).all()
    if drafts:
        session.execute(delete(Scenario).where(Scenario.id.in_(list(drafts))))


def find_scenario(session: Session, public_id: str) -> Scenario | None:
    """The scenario with this public id, or ``None``."""
    return session.scalars(select(Scenario).where(Scenario.public_id == public_id)).first()


def get_scenario(session: Session, public_id: str) -> Scenario:
    """The scenario with this public id; raises ``NotFound``."""
    scenario = find_scenario(session, public_id)
    if scenario is None:
        raise NotFound("There is no such scenario.")
    return scenario


def list_scenarios(session: Session, *, saved: bool, limit: int = 50) -> list[Scenario]:
    """Saved scenarios (or unsaved runs), newest first."""
    return list(
        session.scalars(
            select(Scenario)
            .where(Scenario.saved.is_(saved))
            .order_by(Scenario.created_at.desc(), Scenario.id.desc())
            .limit(limit)
        )
    )


def save_scenario(session: Session, scenario: Scenario, *, name: str, now: datetime) -> Scenario:
    """Keep a finished scenario under ``name``."""
    if scenario.status != "done":
        raise DomainError("Only a finished scenario can be saved", field="name")
    clean = name.strip()
    if not clean:
        raise DomainError("Enter a name for the scenario", field="name")
    if len(clean) > 120:
        raise DomainError("Name must be 120 characters or fewer", field="name")
    scenario.name = clean
    scenario.saved = True
    scenario.updated_at = now
    session.flush()
    return scenario


def delete_scenario(session: Session, scenario: Scenario) -> None:
    """Delete a scenario (saved or not)."""
    session.delete(scenario)
    session.flush()


def mark_stale_runs(session: Session, *, now: datetime) -> int:
    """Mark runs with no progress for :data:`STALE_AFTER` as failed; returns how many."""
    stale = list(
        session.scalars(
            select(Scenario).where(
                Scenario.status.in_(("queued", "running")), Scenario.updated_at < now - STALE_AFTER
            )
        )
    )
    for scenario in stale:
        scenario.status = "failed"
        scenario.error = (
            "The run stopped before it finished (the service may have restarted). Start the "
            "scenario again."
        )
        scenario.updated_at = now
    if stale:
        session.flush()
    return len(stale)


# ---- the costed plan -----------------------------------------------------------------------


def _clean(value: Any) -> Any:
    """JSON-ready: numpy scalars to Python, NaN and infinities to ``None``."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _records(frame: pd.DataFrame, columns: Sequence[str]) -> list[dict[str, Any]]:
    present = [column for column in columns if column in frame.columns]
    return [
        {str(key): _clean(value) for key, value in row.items()}
        for row in frame[present].astype(object).to_dict("records")
    ]


LINE_FIELDS = (
    "area_code",
    "area_name",
    "intervention",
    "intervention_name",
    "status",
    "eligible",
    "eligible_unit",
    "units",
    "units_label",
    "unit_cost_gbp",
    "cost_gbp",
    "residents_reached",
    "newly_online",
    "need_per_1000_gbp",
    "ring_fenced",
    "reason",
    "assumption",
    "funded_units",
    "funded_cost_gbp",
    "funded_residents",
    "funded_newly_online",
    "savings_per_year_gbp",
    "rank",
)


def build_plan(
    session: Session,
    request: ScenarioRequest,
    *,
    progress: Progress = _quiet,
    found: stored.PlanInputs | None = None,
) -> dict[str, Any]:
    """The costed plan of a scenario as JSON-ready data (``available`` False with a message
    when the chosen areas have no needs to plan for).

    ``found`` gives the area inputs directly; by default they are read from what is stored
    (:func:`app.targeting.inputs.plan_inputs`).
    """
    progress(5, "Reading survey estimates and coverage for the chosen areas")
    if found is None:
        found = stored.plan_inputs(session, level=request.level, ward_codes=request.ward_codes)
    statuses = [status.as_dict() for status in found.statuses]
    if not found.has_needs:
        remedies = " ".join(status.remedy for status in found.missing if status.remedy)
        return {
            "available": False,
            "level": request.level,
            "message": "There is nothing to cost for the chosen areas: no survey estimates of "
            "residents' needs and no coverage results are stored. " + remedies,
            "inputs": statuses,
            "notes": list(found.notes),
        }
    progress(15, "Applying the intervention rules and the budget")
    config = validate_interventions(request.interventions or None)
    costs = validate_channel_costs(
        online_gbp=request.online_gbp,
        face_to_face_gbp=request.face_to_face_gbp,
        transactions_per_resident_per_year=request.transactions_per_year,
    )
    lines = recommend(found.frame, config=config)
    plan = plan_within_budget(lines, budget_gbp=request.budget_gbp, channel_costs=costs)
    summary = summarise_areas(lines)
    funded = plan.lines[
        [
            "area_code",
            "intervention",
            "funded_units",
            "funded_cost_gbp",
            "funded_residents",
            "funded_newly_online",
            "savings_per_year_gbp",
            "rank",
        ]
    ]
    merged = lines.merge(funded, on=["area_code", "intervention"], how="left")
    for column in (
        "funded_units",
        "funded_cost_gbp",
        "funded_residents",
        "funded_newly_online",
        "savings_per_year_gbp",
        "rank",
    ):
        merged[column] = merged[column].fillna(0)
    merged["funded_units"] = merged["funded_units"].astype(int)
    merged["rank"] = merged["rank"].astype(int)
    by_area = plan.by_area
    low_sample = (
        found.frame["low_sample"].fillna(False).astype(bool)
        if "low_sample" in found.frame.columns
        else pd.Series(False, index=found.frame.index)
    )
    ward_of = (
        found.frame["ward_code"]
        if "ward_code" in found.frame.columns
        else pd.Series(found.frame.index, index=found.frame.index)
    )
    areas = []
    for code in summary.index:
        areas.append(
            {
                "area_code": str(code),
                "area_name": str(summary.loc[code, "area_name"]),
                "ward_code": _clean(ward_of.get(code)),
                "recommended_mix": str(summary.loc[code, "mix"]),
                "recommended_cost_gbp": float(summary.loc[code, "cost_gbp"]),
                "recommended_residents": float(summary.loc[code, "residents_reached"]),
                "funded_mix": str(by_area.loc[code, "mix"]),
                "funded_cost_gbp": float(by_area.loc[code, "funded_cost_gbp"]),
                "funded_residents": float(by_area.loc[code, "funded_residents"]),
                "funded_newly_online": float(by_area.loc[code, "funded_newly_online"]),
                "savings_per_year_gbp": float(by_area.loc[code, "savings_per_year_gbp"]),
                "reasons": str(summary.loc[code, "reasons"]),
                "low_sample": bool(low_sample.get(code, False)),
            }
        )
    recommended = lines[lines["status"] == "recommended"]
    return {
        "available": True,
        "level": request.level,
        "config_version": config.version,
        "budget_gbp": plan.budget_gbp,
        "spent_gbp": plan.spent_gbp,
        "left_gbp": plan.left_gbp,
        "residents_reached": plan.residents_reached,
        "newly_online": plan.newly_online,
        "savings_per_year_gbp": plan.savings_per_year_gbp,
        "ring_fenced_shortfall_gbp": plan.ring_fenced_shortfall_gbp,
        "recommended_cost_gbp": float(recommended["cost_gbp"].sum()),
        "recommended_residents": float(recommended["residents_reached"].sum()),
        "method": plan.method,
        "channel_costs": {
            "online_gbp": costs.online_gbp,
            "face_to_face_gbp": costs.face_to_face_gbp,
            "transactions_per_resident_per_year": costs.transactions_per_resident_per_year,
            "saving_per_newly_online_gbp": costs.transactions_per_resident_per_year
            * costs.saving_per_transaction_gbp,
            "source": costs.source,
        },
        "areas": areas,
        "lines": _records(merged, LINE_FIELDS),
        "rules": [
            {
                "key": rule.key,
                "name": rule.name,
                "unit": rule.unit,
                "unit_cost_gbp": rule.unit_cost_gbp,
                "reach_per_unit": rule.reach_per_unit,
                "take_up": rule.take_up,
                "ring_fenced": rule.ring_fenced,
                "enabled": rule.enabled,
                "assumption": rule.is_assumption,
                "source": rule.source,
            }
            for rule in config.rules
        ],
        "inputs": statuses,
        "notes": list(found.notes),
    }


# ---- the siting answer ----------------------------------------------------------------------


def _result_data(
    result: SitingResult, names: Sequence[str], *, share_before: float
) -> dict[str, Any]:
    return {
        "method": result.method,
        "status": result.status,
        "optimal": bool(result.optimal),
        "gap": _clean(float(result.gap)),
        "objective": _clean(float(result.objective)),
        "bound": _clean(float(result.bound)),
        "covered_demand": float(result.covered_demand),
        "covered_by_existing": float(result.covered_by_existing),
        "total_demand": float(result.total_demand),
        "share_covered": float(result.share_covered),
        "share_before": share_before,
        "n_sites": result.n_sites,
        "sites": [str(names[int(i)]) for i in result.chosen.tolist()],
        "chosen": [int(i) for i in result.chosen.tolist()],
        "message": result.message,
        "feasible": result.feasible,
        "solve_s": round(float(result.solve_s), 3),
        "build_s": round(float(result.build_s), 3),
    }


def _cluster_codes(premises: pd.DataFrame) -> np.ndarray:
    """A zone per premises: its LSOA (or ward) and 200 m grid square, so clusters never cross
    an area boundary and coverage adds up per area."""
    area = premises["lsoa_code"].fillna(premises["ward_code"]).astype(str).to_numpy()
    column = np.floor(premises["x_m"].to_numpy(dtype=float) / CLUSTER_M).astype(np.int64)
    row = np.floor(premises["y_m"].to_numpy(dtype=float) / CLUSTER_M).astype(np.int64)
    return np.char.add(
        np.char.add(np.char.add(area.astype(str), "|"), column.astype(str)),
        np.char.add("|", row.astype(str)),
    )


def build_siting(
    session: Session, request: ScenarioRequest, *, progress: Progress = _quiet
) -> dict[str, Any]:
    """The siting answer of a scenario as JSON-ready data (``available`` False with a message
    when there is no walking network or no premises)."""
    progress(25, "Loading the walking network")
    if not stored.network_available(session):
        return {"available": False, "message": stored.NETWORK_REMEDY}
    net = load_network(session, "walk")
    progress(30, "Weighting premises by estimated excluded residents")
    demand_in = stored.siting_demand(session, ward_codes=request.ward_codes)
    sites = stored.site_inputs(
        session,
        ward_codes=request.ward_codes,
        uploaded=stored.candidates_frame(request.uploaded_candidates),
    )
    candidates = sites.candidates
    if len(candidates) == 0:
        raise DomainError(
            "There are no candidate buildings in the chosen wards. " + stored.CANDIDATES_REMEDY,
            field="k",
        )
    if request.k > len(candidates):
        raise DomainError(
            f"Only {len(candidates)} candidate building(s) are left in the chosen wards: "
            f"choose {len(candidates)} or fewer new venues.",
            field="k",
        )
    premises = demand_in.premises
    if float(premises["weight"].sum()) <= 0:
        return {
            "available": False,
            "message": "No one in the chosen wards counts as demand (every weight is zero), so "
            "there is nothing to site venues for.",
        }
    zones = _cluster_codes(premises)
    demand = aggregate_demand(
        premises["x_m"].to_numpy(dtype=float),
        premises["y_m"].to_numpy(dtype=float),
        premises["weight"].to_numpy(dtype=float),
        zone_codes=zones,
    )
    radius = walking_radius_m(float(request.walk_min), speed_m_per_min=WALK_SPEED_M_PER_MIN)
    progress(40, f"Walking distances from {len(demand):,} premises clusters")
    existing = sites.existing
    ex_x = existing["x_m"].to_numpy(dtype=float)
    ex_y = existing["y_m"].to_numpy(dtype=float)
    d_node, d_snap = snap_points(net, demand["x_m"].to_numpy(), demand["y_m"].to_numpy())
    s_node, s_snap = snap_points(
        net,
        np.concatenate([ex_x, candidates["x_m"].to_numpy(dtype=float)]),
        np.concatenate([ex_y, candidates["y_m"].to_numpy(dtype=float)]),
    )
    cost = network_cost_matrix(
        net, d_node, s_node, limit_m=radius, demand_offset_m=d_snap, candidate_offset_m=s_snap
    )
    n_existing = len(existing)
    fixed = np.zeros(s_node.shape[0], dtype=bool)
    fixed[:n_existing] = True
    weight = demand["weight"].to_numpy(dtype=float)
    names = [*existing["name"].astype(str).tolist(), *candidates["name"].astype(str).tolist()]
    total = float(weight.sum())
    covered_existing = (
        np.asarray(cost[:, :n_existing].getnnz(axis=1) > 0).ravel()
        if n_existing
        else np.zeros(len(demand), dtype=bool)
    )
    share_before = float(weight[covered_existing].sum() / total) if total else 0.0
    limit = float(request.time_limit_s)
    try:
        progress(55, f"Choosing {request.k} new venue(s): exact solve (up to {limit:g} s)")
        mclp = solve_mclp(
            cost, weight, k=request.k, service_radius_m=radius, fixed=fixed, time_limit_s=limit
        )
        progress(65, "Choosing new venues: greedy heuristic")
        mclp_greedy = greedy_mclp(cost, weight, k=request.k, service_radius_m=radius, fixed=fixed)
        progress(70, f"Fewest new venues for {request.share:.0%}: exact solve (up to {limit:g} s)")
        lscp = solve_lscp(
            cost,
            weight,
            share=request.share,
            service_radius_m=radius,
            fixed=fixed,
            time_limit_s=limit,
            demand_ids=[_zone_name(str(code)) for code in demand.index],
        )
        progress(85, "Fewest new venues: greedy heuristic")
        lscp_greedy = greedy_lscp(
            cost, weight, share=request.share, service_radius_m=radius, fixed=fixed
        )
    except InputError as error:
        raise DomainError(str(error), field="k") from None
    progress(90, "Describing the chosen venues")
    reach = cost.copy()
    reach.data = np.ones_like(reach.data)
    new_demand = np.where(covered_existing, 0.0, weight)
    reach_new = np.asarray(reach.T @ new_demand).ravel()
    lon, lat = _TO_WGS84.transform(
        candidates["x_m"].to_numpy(dtype=float), candidates["y_m"].to_numpy(dtype=float)
    )
    ward_names = dict(stored.list_wards(session))

    def site_rows(result: SitingResult) -> list[dict[str, Any]]:
        rows = []
        for order, column in enumerate(result.chosen.tolist(), start=1):
            j = int(column) - n_existing
            row = candidates.iloc[j]
            ward_code = _clean(row.get("ward_code"))
            rows.append(
                {
                    "order": order,
                    "candidate_id": str(row["candidate_id"]),
                    "name": str(row["name"]),
                    "kind": str(row["kind"]),
                    "origin": str(row["origin"]),
                    "ward_code": ward_code,
                    "ward_name": ward_names.get(str(ward_code), "") if ward_code else "",
                    "x_m": float(row["x_m"]),
                    "y_m": float(row["y_m"]),
                    "lon": float(lon[j]),
                    "lat": float(lat[j]),
                    "new_demand_reached": float(reach_new[int(column)]),
                }
            )
        return rows

    ex_lon, ex_lat = _TO_WGS84.transform(ex_x, ex_y)
    demand_area = pd.Series([str(code).split("|")[0] for code in demand.index])
    area_of_lsoa = _plan_area_of(session, request.level, demand_area)
    per_area = (
        pd.DataFrame(
            {
                "area_code": area_of_lsoa,
                "demand": weight,
                "before": np.where(covered_existing, weight, 0.0),
                "after": np.where(mclp.covered, weight, 0.0),
            }
        )
        .groupby("area_code")[["demand", "before", "after"]]
        .sum()
    )
    origins = candidates["origin"].value_counts().to_dict()
    return {
        "available": True,
        "walk_min": float(request.walk_min),
        "radius_m": radius,
        "speed_m_per_min": WALK_SPEED_M_PER_MIN,
        "k": request.k,
        "share": request.share,
        "time_limit_s": limit,
        "weighting": {
            "key": demand_in.weighting,
            "label": demand_in.label,
            "description": demand_in.description,
        },
        "notes": [*demand_in.notes, *sites.notes],
        "premises": len(premises),
        "demand_points": len(demand),
        "cluster_m": CLUSTER_M,
        "total_demand": total,
        "existing_venues": [
            {"name": str(name), "x_m": float(x), "y_m": float(y), "lon": float(a), "lat": float(b)}
            for name, x, y, a, b in zip(
                existing["name"],
                ex_x,
                ex_y,
                np.atleast_1d(ex_lon),
                np.atleast_1d(ex_lat),
                strict=True,
            )
        ],
        "candidates": len(candidates),
        "candidate_origins": {str(key): int(value) for key, value in origins.items()},
        "mclp": {
            "exact": _result_data(mclp, names, share_before=share_before),
            "greedy": _result_data(mclp_greedy, names, share_before=share_before),
            "share_difference": float(mclp.share_covered - mclp_greedy.share_covered),
        },
        "lscp": {
            "exact": _result_data(lscp, names, share_before=share_before),
            "greedy": _result_data(lscp_greedy, names, share_before=share_before),
            "site_difference": (
                int(lscp_greedy.n_sites - lscp.n_sites)
                if lscp.feasible and lscp_greedy.feasible
                else None
            ),
        },
        "sites": site_rows(mclp),
        "lscp_sites": site_rows(lscp) if lscp.feasible else [],
        "areas": [
            {
                "area_code": str(code),
                "demand": float(row["demand"]),
                "covered_before": float(row["before"]),
                "covered_after": float(row["after"]),
            }
            for code, row in per_area.iterrows()
        ],
    }


def _zone_name(zone: str) -> str:
    """A demand cluster in words: its area and the south-west corner of its square."""
    area, column, row = zone.split("|")
    return f"{area} near {int(column) * CLUSTER_M:.0f} E {int(row) * CLUSTER_M:.0f} N"


def _plan_area_of(session: Session, level: str, lsoa_or_ward: pd.Series) -> np.ndarray:
    """The plan area (ward or LSOA) of each demand cluster, from its LSOA (or ward) code."""
    if level == "lsoa":
        return lsoa_or_ward.to_numpy(dtype=object)
    layer = latest_layer(session, "lsoa")
    if layer is None:
        return lsoa_or_ward.to_numpy(dtype=object)
    rows = session.execute(select(Area.code, Area.ward_code).where(Area.layer_id == layer.id)).all()
    wards = {str(code): ward for code, ward in rows}
    return np.asarray([wards.get(code) or code for code in lsoa_or_ward], dtype=object)


# ---- the whole run --------------------------------------------------------------------------


def run_scenario(
    session: Session, request: ScenarioRequest, *, progress: Progress = _quiet
) -> dict[str, Any]:
    """Compute a scenario's costed plan and siting answer (JSON-ready data)."""
    plan = build_plan(session, request, progress=progress)
    siting = build_siting(session, request, progress=progress)
    if not plan.get("available") and not siting.get("available"):
        raise DomainError(
            "The wards you chose have no data to plan with. "
            + str(plan.get("message", ""))
            + " "
            + str(siting.get("message", "")),
            field="wards",
        )
    ward_names = dict(stored.list_wards(session))
    return {
        "plan": plan,
        "siting": siting,
        "wards": [
            {"code": code, "name": ward_names.get(code, code)} for code in request.ward_codes
        ],
    }


# ---- candidate buildings ------------------------------------------------------------------


@dataclass(frozen=True)
class CandidateReport:
    """What ``targeting import-candidates`` stored."""

    loaded: int
    outside: int
    by_kind: dict[str, int]


def store_candidates(
    session: Session,
    candidates: pd.DataFrame,
    *,
    source: str,
    source_date: str | None,
    now: datetime,
) -> CandidateReport:
    """Replace the candidate buildings from ``source`` (rows of :func:`geo.siting.read_candidates`).

    Buildings outside every stored ward are not kept (they cannot serve the borough's wards).
    """
    session.execute(delete(CandidateSite).where(CandidateSite.source == source))
    x = candidates["x_m"].to_numpy(dtype=float)
    y = candidates["y_m"].to_numpy(dtype=float)
    wards = stored._ward_of_points(session, x, y)
    lon, lat = _TO_WGS84.transform(x, y)
    inside = np.asarray([code is not None for code in wards], dtype=bool)
    rows = [
        {
            "reference": str(ref)[:80],
            "name": str(name)[:200],
            "kind": str(kind),
            "x_m": float(xm),
            "y_m": float(ym),
            "lon": float(lo),
            "lat": float(la),
            "ward_code": ward,
            "source": source,
            "source_date": source_date,
            "loaded_at": now,
        }
        for ref, name, kind, xm, ym, lo, la, ward, keep in zip(
            candidates["candidate_id"],
            candidates["name"],
            candidates["kind"],
            x,
            y,
            np.atleast_1d(lon),
            np.atleast_1d(lat),
            wards,
            inside,
            strict=True,
        )
        if keep
    ]
    for row in rows:
        session.add(CandidateSite(**row))
    session.flush()
    kinds = pd.Series([row["kind"] for row in rows], dtype=object).value_counts().to_dict()
    return CandidateReport(
        loaded=len(rows),
        outside=int((~inside).sum()),
        by_kind={str(key): int(value) for key, value in kinds.items()},
    )


def count_candidates(session: Session) -> int:
    """How many candidate buildings are loaded."""
    return int(session.scalar(select(func.count()).select_from(CandidateSite)) or 0)
