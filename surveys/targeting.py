"""Which interventions where: recommended mix per area, priorities within a budget, savings.

Inputs are one row per area (ward or LSOA), indexed by the area code, with the columns in
:data:`AREA_COLUMNS` (any may be missing: an intervention whose inputs are missing is skipped in
that area, with the reason stated).  Survey estimates from
:func:`surveys.estimates.estimate_personas_and_barriers` become these columns through
:func:`area_inputs_from_estimates`; premises and coverage counts come from the coverage models.

Steps
-----
1. :func:`recommend` applies each enabled rule of an
   :class:`surveys.interventions.InterventionConfig` to every area: who is eligible, how many
   units that needs at the configured take-up, what it costs, how many residents it reaches,
   and the reasons in words ("312 residents estimated without a suitable device; 41% of
   premises below superfast").
2. :func:`summarise_areas` gives each area its recommended mix and headline reasons.
3. :func:`plan_within_budget` funds whole units, ring-fenced interventions first (assisted
   digital, by default), then by **need per pound**: residents reached (times the rule's
   ``need_weight``) per pound of a unit, highest first.  A line's full units come first; its
   last unit, when it reaches fewer residents than a full one, is ranked on its own (lower)
   value.  When the next unit does not fit, cheaper ones further down the list may still be
   bought.  This greedy rule is the optimum of the fractional problem; with whole units it can
   leave a little money unspent that another mix would use (a knapsack problem), and the
   plan reports what is left.
4. :func:`channel_shift_savings`: newly-online residents x transactions a year x (face-to-face
   cost - online cost), with Hounslow's unit costs by default.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.errors import DomainError
from surveys.interventions import (
    DEFAULT_CHANNEL_COSTS,
    ChannelCosts,
    InterventionConfig,
    InterventionRule,
    validate_interventions,
)

__all__ = [
    "AREA_COLUMNS",
    "DEFAULT_ESTIMATE_MAPPING",
    "MAX_BUDGET_GBP",
    "NEEDS",
    "BudgetPlan",
    "area_inputs_from_estimates",
    "channel_shift_savings",
    "plan_within_budget",
    "recommend",
    "summarise_areas",
    "validate_area_inputs",
]

AREA_COLUMNS: dict[str, str] = {
    "area_name": "name of the ward or LSOA (text)",
    "adults": "adults aged 16 and over (people)",
    "population": "all usual residents (people)",
    "residents_no_device": "adults estimated without a suitable device (people)",
    "residents_cost_barrier": "adults for whom the cost of getting online is a barrier (people)",
    "residents_mobile_only": "adults online only through a smartphone (people)",
    "residents_low_skills_willing": "adults with low digital skills who would like help (people)",
    "residents_offline": "adults who do not go online (people)",
    "residents_unwilling": "adults who can go online but do not want help to do more (people)",
    "premises": "all premises (count)",
    "premises_below_uso": "premises below the USO, 10 Mbit/s down or 1 up (count)",
    "premises_below_superfast": "premises below superfast, 30 Mbit/s (count)",
    "premises_bduk_white": "premises BDUK classes White, so eligible for subsidy (count)",
    "notspot_share": "share of premises without good 4G from any operator (0-1)",
    "density_per_km2": "usual residents per square kilometre",
    "low_sample": "survey sample too small for a reliable estimate (true/false)",
}
"""Area input columns (index: the area code).  All optional; numbers are >= 0."""

_SHARE_COLUMNS = ("notspot_share",)
_RESIDENT_COLUMNS = tuple(column for column in AREA_COLUMNS if column.startswith("residents_"))
_PREMISES_COLUMNS = ("premises_below_uso", "premises_below_superfast", "premises_bduk_white")
_NUMBER_COLUMNS = tuple(
    column for column in AREA_COLUMNS if column not in ("area_name", "low_sample")
)

NEEDS: dict[str, tuple[str, ...]] = {
    "device_loans": ("residents_no_device",),
    "data_sims": ("residents_mobile_only",),
    "social_tariffs": ("residents_cost_barrier",),
    "skills_sessions": ("residents_low_skills_willing",),
    "connectivity_works": ("premises_below_uso",),  # or premises_below_superfast, by basis
    "gigabit_vouchers": ("premises_bduk_white",),
    "public_wifi": ("population", "notspot_share", "density_per_km2"),
    "assisted_digital": ("residents_offline", "residents_unwilling"),
}
"""Input columns each intervention needs (assisted digital needs at least one of its two)."""

DEFAULT_ESTIMATE_MAPPING: dict[str, str] = {
    "residents_no_device": "barrier:access",
    "residents_cost_barrier": "barrier:cost",
    "residents_mobile_only": "persona:mobile_only_mo",
    "residents_low_skills_willing": "persona:learning_lin",
    "residents_offline": "persona:offline_olive",
    "residents_unwilling": "persona:reluctant_reg",
}
"""Area input column -> survey outcome.  ASSUMPTION: "no suitable device or connection"
(``barrier:access``) stands in for "no suitable device", the nearest survey question."""

MAX_BUDGET_GBP = 1_000_000_000.0
"""Largest budget accepted, pounds."""

_SKIPPED = "skipped"
_NOT_NEEDED = "not needed"
_RECOMMENDED = "recommended"


# ---- inputs ---------------------------------------------------------------------------------


def validate_area_inputs(inputs: pd.DataFrame) -> pd.DataFrame:
    """Check the area inputs and return a clean copy (numbers as floats, index ``area_code``).

    Parameters
    ----------
    inputs:
        One row per area indexed by its code (or with an ``area_code`` column), with any of the
        columns in :data:`AREA_COLUMNS`.  Missing values (NaN) are allowed and mean "unknown".

    Returns
    -------
    pandas.DataFrame
        A copy indexed by ``area_code`` (text), numeric columns as float64.

    Raises
    ------
    DomainError
        Naming the area and column (``field`` is the column): a repeated or blank area code, a
        value that is not a number, a negative count, a share outside 0-1, more residents in a
        group than adults, or more premises in a group than premises.
    """
    frame = inputs.copy()
    if "area_code" in frame.columns:
        frame = frame.set_index("area_code")
    codes = pd.Series(frame.index, dtype="string").str.strip()
    if len(frame) == 0:
        raise DomainError("There are no areas to plan for.", field="area_code")
    if codes.isna().any() or (codes == "").any():
        raise DomainError("Every area needs a code (ward or LSOA code).", field="area_code")
    repeated = codes[codes.duplicated()]
    if len(repeated):
        raise DomainError(
            f"Area {repeated.iloc[0]} appears more than once: give one row per area.",
            field="area_code",
        )
    frame.index = pd.Index(codes.to_numpy(dtype=object), name="area_code")
    for column in _NUMBER_COLUMNS:
        if column not in frame.columns:
            continue
        numbers = pd.to_numeric(frame[column], errors="coerce").astype(np.float64)
        bad = numbers.isna() & frame[column].notna()
        if bad.any():
            raise DomainError(
                f"Area {bad.index[bad.to_numpy()][0]}: {column} must be a number, not "
                f"{frame.loc[bad, column].iloc[0]!r}.",
                field=column,
            )
        negative = numbers < 0
        if negative.any():
            raise DomainError(
                f"Area {numbers.index[negative.to_numpy()][0]}: {column} cannot be negative.",
                field=column,
            )
        if column in _SHARE_COLUMNS and (numbers > 1).any():
            raise DomainError(
                f"Area {numbers.index[(numbers > 1).to_numpy()][0]}: {column} is a share "
                "from 0 to 1 (0.25 for 25%).",
                field=column,
            )
        frame[column] = numbers
    for group, total in (
        *((column, "adults") for column in _RESIDENT_COLUMNS),
        *((column, "premises") for column in _PREMISES_COLUMNS),
    ):
        if group in frame.columns and total in frame.columns:
            part = frame[group].to_numpy(dtype=np.float64)
            whole = frame[total].to_numpy(dtype=np.float64)
            over = np.flatnonzero(part > whole * (1 + 1e-9) + 1e-9)
            if over.shape[0]:
                first = int(over[0])
                raise DomainError(
                    f"Area {frame.index[first]}: {group} ({part[first]:,.0f}) is more than "
                    f"{total} ({whole[first]:,.0f}); check the inputs.",
                    field=group,
                )
    if "low_sample" in frame.columns:
        frame["low_sample"] = frame["low_sample"].fillna(False).astype(bool)
    return frame


def area_inputs_from_estimates(
    estimates: pd.DataFrame,
    *,
    area_column: str,
    mapping: Mapping[str, str] = DEFAULT_ESTIMATE_MAPPING,
) -> pd.DataFrame:
    """Turn survey estimates (one row per area and outcome) into area input columns.

    Parameters
    ----------
    estimates:
        Output of :func:`surveys.estimates.estimate_personas_and_barriers`: ``area_column``,
        ``outcome``, ``residents``, ``adults``, ``low_sample``.
    area_column:
        The area code column (``ward_code`` or ``lsoa21_code``).
    mapping:
        Input column -> outcome (default :data:`DEFAULT_ESTIMATE_MAPPING`).  Outcomes the
        estimates lack leave their column out, so the interventions needing it are skipped.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``area_code``: ``adults``, ``low_sample`` and the mapped resident columns.
        Join premises and coverage columns to it before :func:`recommend`.
    """
    needed = {area_column, "outcome", "residents", "adults"}
    missing = sorted(needed - set(estimates.columns))
    if missing:
        raise DomainError(
            f"The estimates table has no column(s) {', '.join(missing)}.", field="estimates"
        )
    unknown = sorted(set(mapping) - set(_RESIDENT_COLUMNS))
    if unknown:
        raise DomainError(
            f"Unknown area input column(s) {', '.join(unknown)}; use "
            f"{', '.join(_RESIDENT_COLUMNS)}.",
            field="mapping",
        )
    residents = estimates.set_index([area_column, "outcome"])["residents"].unstack("outcome")
    frame = pd.DataFrame(index=pd.Index(residents.index.astype(str), name="area_code"))
    frame["adults"] = (
        estimates.groupby(area_column)["adults"].first().reindex(residents.index).to_numpy()
    )
    if "low_sample" in estimates.columns:
        frame["low_sample"] = (
            estimates.groupby(area_column)["low_sample"]
            .any()
            .reindex(residents.index)
            .to_numpy(dtype=bool)
        )
    for column, outcome in mapping.items():
        if outcome in residents.columns:
            frame[column] = residents[outcome].to_numpy(dtype=np.float64)
    return frame


# ---- recommendations --------------------------------------------------------------------------


def _singular(plural: str) -> str:
    """ "devices" -> "device", "switches" -> "switch"; "premises" stays."""
    if plural == "premises" or not plural.endswith("s"):
        return plural
    if plural.endswith(("ches", "shes", "sses")):
        return plural[:-2]
    return plural[:-1]


def _count(value: float, plural: str) -> str:
    """A rounded count with its noun: "1 resident", "312 residents"."""
    shown = round(value)
    return f"{shown:,} {_singular(plural) if shown == 1 else plural}"


def _people(value: float) -> str:
    return f"{value:,.0f}"


def _share_of(part: float, whole: float | None) -> str:
    if whole is None or not math.isfinite(whole) or whole <= 0:
        return ""
    return f" ({part / whole:.0%} of premises)"


@dataclass(frozen=True)
class _Assessment:
    """One rule in one area before costing."""

    eligible: float  # NaN when skipped
    status: str
    fact: str  # the need, in words
    note: str  # why skipped / not needed, or ""


def _value(row: Mapping[str, Any], column: str) -> float | None:
    value = row.get(column)
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _missing(columns: tuple[str, ...]) -> str:
    described = "; ".join(f"{column} ({AREA_COLUMNS[column]})" for column in columns)
    return f"skipped: no {described}"


def _assess(rule: InterventionRule, row: Mapping[str, Any]) -> _Assessment:
    key = rule.key
    flag = row.get("low_sample")
    small = isinstance(flag, bool | np.bool_) and bool(flag)
    caution = " (small survey sample: treat as rough)" if small else ""
    simple = {
        "device_loans": ("residents_no_device", "estimated without a suitable device"),
        "data_sims": ("residents_mobile_only", "online only through a smartphone"),
        "social_tariffs": (
            "residents_cost_barrier",
            "finding the cost of getting online a barrier",
        ),
        "skills_sessions": (
            "residents_low_skills_willing",
            "with low digital skills who would like help",
        ),
    }
    if key in simple:
        column, words = simple[key]
        count = _value(row, column)
        if count is None:
            return _Assessment(math.nan, _SKIPPED, "", _missing((column,)))
        fact = f"{_count(count, 'residents')} {words}{caution}"
        return _Assessment(count, _RECOMMENDED if count > 0 else _NOT_NEEDED, fact, "")
    premises = _value(row, "premises")
    if key == "connectivity_works":
        column = f"premises_{rule.premises_basis}"
        label = "the USO (10 Mbit/s)" if rule.premises_basis == "below_uso" else "superfast"
        below = _value(row, column)
        if below is None:
            return _Assessment(math.nan, _SKIPPED, "", _missing((column,)))
        fact = f"{_people(below)} premises below {label}{_share_of(below, premises)}"
        superfast = _value(row, "premises_below_superfast")
        if rule.premises_basis == "below_uso" and superfast is not None and premises:
            fact += f"; {superfast / premises:.0%} of premises below superfast"
        white = _value(row, "premises_bduk_white")
        eligible = below
        if white is not None and white > 0:
            # White premises get vouchers; counting them here too would pay twice.
            eligible = max(below - white, 0.0)
            fact += f"; {_people(white)} BDUK White premises left to vouchers"
        return _Assessment(eligible, _RECOMMENDED if eligible > 0 else _NOT_NEEDED, fact, "")
    if key == "gigabit_vouchers":
        white = _value(row, "premises_bduk_white")
        if white is None:
            return _Assessment(math.nan, _SKIPPED, "", _missing(("premises_bduk_white",)))
        fact = (
            f"{_people(white)} premises BDUK classes White (no gigabit plans; "
            f"only these can be subsidised){_share_of(white, premises)}"
        )
        return _Assessment(white, _RECOMMENDED if white > 0 else _NOT_NEEDED, fact, "")
    if key == "public_wifi":
        needs = ("population", "notspot_share", "density_per_km2")
        absent = tuple(column for column in needs if _value(row, column) is None)
        if absent:
            return _Assessment(math.nan, _SKIPPED, "", _missing(absent))
        population = _value(row, "population") or 0.0
        share = _value(row, "notspot_share") or 0.0
        density = _value(row, "density_per_km2") or 0.0
        fact = f"{share:.0%} of premises are 4G not-spots; {density:,.0f} residents per km²"
        if share < rule.min_notspot_share:
            note = f"not-spots ({share:.0%}) are below the {rule.min_notspot_share:.0%} threshold"
            return _Assessment(0.0, _NOT_NEEDED, fact, note)
        if density < rule.min_density_per_km2:
            note = (
                f"{density:,.0f} residents per km² is below the "
                f"{rule.min_density_per_km2:,.0f} threshold"
            )
            return _Assessment(0.0, _NOT_NEEDED, fact, note)
        eligible = population * share
        return _Assessment(eligible, _RECOMMENDED if eligible > 0 else _NOT_NEEDED, fact, "")
    # assisted_digital: everyone who cannot or will not go online.
    offline = _value(row, "residents_offline")
    unwilling = _value(row, "residents_unwilling")
    if offline is None and unwilling is None:
        return _Assessment(
            math.nan, _SKIPPED, "", _missing(("residents_offline", "residents_unwilling"))
        )
    parts = []
    if offline is not None:
        parts.append(f"{_people(offline)} do not go online")
    if unwilling is not None:
        parts.append(f"{_people(unwilling)} do not want help to do more")
    eligible = (offline or 0.0) + (unwilling or 0.0)
    fact = f"{_count(eligible, 'residents')} who cannot or will not go online ({'; '.join(parts)})"
    if offline is None or unwilling is None:
        fact += "; the other group is not estimated"
    return _Assessment(eligible, _RECOMMENDED if eligible > 0 else _NOT_NEEDED, fact + caution, "")


def _config(config: InterventionConfig | Mapping[str, Any] | None) -> InterventionConfig:
    if isinstance(config, InterventionConfig):
        return config
    return validate_interventions(config)


def recommend(
    inputs: pd.DataFrame,
    *,
    config: InterventionConfig | Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Apply every enabled intervention rule to every area.

    Parameters
    ----------
    inputs:
        Area inputs (see :data:`AREA_COLUMNS`), indexed by area code.
    config:
        Validated rules, a settings dict for :func:`surveys.interventions.validate_interventions`,
        or None for the defaults.

    Returns
    -------
    pandas.DataFrame
        One row per area and enabled intervention, areas in input order: ``area_code``,
        ``area_name``, ``intervention``, ``intervention_name``, ``status`` ("recommended",
        "not needed" or "skipped"), ``eligible`` and ``eligible_unit`` ("residents" or
        "premises"), ``expected`` (after take-up), ``units``, ``units_label``,
        ``unit_cost_gbp``, ``cost_gbp``, ``residents_reached``, ``residents_per_unit``,
        ``newly_online``, ``need_weight``, ``need_per_1000_gbp`` (residents reached x need
        weight per £1,000), ``ring_fenced``, ``fact`` (the need in words), ``reason`` (need and
        plan, or why not), ``source`` and ``assumption``.
    """
    rules = _config(config)
    frame = validate_area_inputs(inputs)
    records: list[dict[str, Any]] = []
    for code, values in frame.to_dict(orient="index").items():
        row = {str(column): value for column, value in values.items()}
        name = row.get("area_name")
        area_name = str(name) if isinstance(name, str) and name.strip() else str(code)
        for rule in rules.enabled:
            records.append(_line(rule, str(code), area_name, _assess(rule, row)))
    return pd.DataFrame.from_records(records, columns=list(_LINE_COLUMNS))


_LINE_COLUMNS = (
    "area_code",
    "area_name",
    "intervention",
    "intervention_name",
    "status",
    "eligible",
    "eligible_unit",
    "expected",
    "units",
    "units_label",
    "unit_cost_gbp",
    "cost_gbp",
    "residents_reached",
    "residents_per_unit",
    "newly_online",
    "need_weight",
    "need_per_1000_gbp",
    "ring_fenced",
    "fact",
    "reason",
    "source",
    "assumption",
)


def _line(rule: InterventionRule, code: str, name: str, assessed: _Assessment) -> dict[str, Any]:
    people_per = rule.residents_per_premises if rule.counts_premises else 1.0
    expected = assessed.eligible * rule.take_up if assessed.status == _RECOMMENDED else 0.0
    # Rounding guards against 8.000000001 units from float take-up arithmetic.
    units = math.ceil(round(expected / rule.reach_per_unit, 9)) if expected > 0 else 0
    cost = units * rule.unit_cost_gbp
    reached = expected * people_per
    need = reached * rule.need_weight / cost * 1000.0 if cost > 0 else 0.0
    if assessed.status == _RECOMMENDED:
        terms = [f"{rule.take_up:.0%} take-up" if rule.take_up < 1 else "everyone eligible"]
        if rule.reach_per_unit != 1:
            counted = "premises" if rule.counts_premises else "residents"
            terms.append(f"{rule.reach_per_unit:g} {counted} per {_singular(rule.units_label)}")
        reason = (
            f"{assessed.fact}: {_count(units, rule.units_label)} for £{cost:,.0f} "
            f"({'; '.join(terms)}), reaching {_count(reached, 'residents')}"
        )
    elif assessed.status == _NOT_NEEDED:
        why = assessed.note or "nobody needs it here"
        reason = f"{assessed.fact}: not needed ({why})" if assessed.fact else f"not needed ({why})"
    else:
        reason = assessed.note
    return {
        "area_code": code,
        "area_name": name,
        "intervention": rule.key,
        "intervention_name": rule.name,
        "status": assessed.status,
        "eligible": assessed.eligible,
        "eligible_unit": "premises" if rule.counts_premises else "residents",
        "expected": expected,
        "units": units,
        "units_label": rule.units_label,
        "unit_cost_gbp": rule.unit_cost_gbp,
        "cost_gbp": float(cost),
        "residents_reached": reached,
        "residents_per_unit": rule.reach_per_unit * people_per,
        "newly_online": reached * rule.newly_online_share,
        "need_weight": rule.need_weight,
        "need_per_1000_gbp": need,
        "ring_fenced": rule.ring_fenced,
        "fact": assessed.fact,
        "reason": reason,
        "source": rule.source,
        "assumption": rule.is_assumption,
    }


def _mix_text(lines: pd.DataFrame, units_column: str) -> str:
    chosen = lines[lines[units_column] > 0]
    return "; ".join(
        f"{name}: {_count(units, label)}"
        for name, units, label in zip(
            chosen["intervention_name"], chosen[units_column], chosen["units_label"], strict=True
        )
    )


def summarise_areas(lines: pd.DataFrame) -> pd.DataFrame:
    """The recommended mix and headline reasons for each area.

    Parameters
    ----------
    lines:
        Output of :func:`recommend`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``area_code`` (input order): ``area_name``, ``cost_gbp``,
        ``residents_reached``, ``newly_online``, ``mix`` ("Device loans: 52 devices; ...") and
        ``reasons`` (the needs behind the recommended interventions, joined by "; ").
    """
    recommended = lines[lines["status"] == _RECOMMENDED]
    order = pd.unique(lines["area_code"])
    records = []
    for code in order:
        area = recommended[recommended["area_code"] == code]
        names = lines.loc[lines["area_code"] == code, "area_name"]
        records.append(
            {
                "area_code": code,
                "area_name": names.iloc[0] if len(names) else code,
                "cost_gbp": float(area["cost_gbp"].sum()),
                "residents_reached": float(area["residents_reached"].sum()),
                "newly_online": float(area["newly_online"].sum()),
                "mix": _mix_text(area, "units"),
                "reasons": "; ".join(area["fact"].tolist()),
            }
        )
    return pd.DataFrame.from_records(records).set_index("area_code")


# ---- budget -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetPlan:
    """What a budget buys, ranked by need per pound.

    Attributes
    ----------
    budget_gbp, spent_gbp, left_gbp:
        The budget, what the plan spends and what is left (pounds).
    residents_reached, newly_online:
        Residents the funded units reach, and of them those expected to go online.
    savings_per_year_gbp:
        Channel-shift savings a year from the newly-online residents (see
        :func:`channel_shift_savings`).
    lines:
        :func:`recommend`'s recommended lines with ``funded_units``, ``funded_cost_gbp``,
        ``funded_residents``, ``funded_newly_online``, ``savings_per_year_gbp`` and ``rank``
        (1 = funded first; 0 = not funded), in rank order (unfunded last).
    by_area:
        Per area (``area_code`` index): ``area_name``, ``funded_cost_gbp``,
        ``funded_residents``, ``funded_newly_online``, ``savings_per_year_gbp``, ``mix`` (what
        is funded) and ``reasons``.
    ring_fenced_shortfall_gbp:
        Cost of ring-fenced units the budget could not cover (0 when all are funded).
    method:
        How the plan was chosen, in words.
    channel_costs:
        The unit costs used for savings.
    """

    budget_gbp: float
    spent_gbp: float
    left_gbp: float
    residents_reached: float
    newly_online: float
    savings_per_year_gbp: float
    lines: pd.DataFrame
    by_area: pd.DataFrame
    ring_fenced_shortfall_gbp: float
    method: str
    channel_costs: ChannelCosts


_METHOD = (
    "Ring-fenced interventions are funded first, then whole units in order of residents "
    "reached per pound (the last, part-used unit of a line ranks on its own lower value); a "
    "unit that does not fit is skipped and cheaper ones further down may still be bought."
)


def _check_budget(budget_gbp: float) -> float:
    if (
        isinstance(budget_gbp, bool)
        or not isinstance(budget_gbp, int | float)
        or not math.isfinite(budget_gbp)
    ):
        raise DomainError(
            f"The budget must be an amount in pounds, not {budget_gbp!r}.", field="budget_gbp"
        )
    if not 0 <= budget_gbp <= MAX_BUDGET_GBP:
        raise DomainError(
            f"The budget must be from £0 to £{MAX_BUDGET_GBP:,.0f}, not £{budget_gbp:,.2f}.",
            field="budget_gbp",
        )
    return float(budget_gbp)


def channel_shift_savings(
    newly_online: float | pd.Series, *, costs: ChannelCosts = DEFAULT_CHANNEL_COSTS
) -> float | pd.Series:
    """Yearly saving when newly-online residents move council transactions online.

    ``saving = newly_online x transactions_per_resident_per_year x (face_to_face - online)``.
    With the defaults (£7.40 face to face, £0.32 online, 4 transactions a year) each
    newly-online resident saves £28.32 a year.  The transaction count is an assumption; the
    saving is gross (it does not net off the cost of the interventions).

    Parameters
    ----------
    newly_online:
        Residents who start transacting online (a number or a Series).
    costs:
        Unit costs (see :func:`surveys.interventions.validate_channel_costs`).

    Returns
    -------
    float or pandas.Series
        Pounds a year; a Series keeps the input index and is named ``savings_per_year_gbp``.
    """
    per_resident = costs.transactions_per_resident_per_year * costs.saving_per_transaction_gbp
    if isinstance(newly_online, pd.Series):
        return (newly_online.astype(np.float64) * per_resident).rename("savings_per_year_gbp")
    return float(newly_online) * per_resident


def plan_within_budget(
    lines: pd.DataFrame,
    *,
    budget_gbp: float,
    channel_costs: ChannelCosts = DEFAULT_CHANNEL_COSTS,
) -> BudgetPlan:
    """Fund whole units of the recommended interventions within a budget, neediest per pound first.

    Parameters
    ----------
    lines:
        Output of :func:`recommend` (only "recommended" lines are funded).
    budget_gbp:
        What the planner can spend, pounds (0 to 1 billion).
    channel_costs:
        Unit costs for the savings figure.

    Returns
    -------
    BudgetPlan

    Raises
    ------
    DomainError
        ``field="budget_gbp"`` when the budget is not a number or out of range.
    """
    budget = _check_budget(budget_gbp)
    missing = sorted(set(_LINE_COLUMNS) - set(lines.columns))
    if missing:
        raise DomainError(
            f"The recommendations table has no column(s) {', '.join(missing)}: pass the "
            "output of recommend().",
            field="lines",
        )
    chosen = lines[(lines["status"] == _RECOMMENDED) & (lines["units"] > 0)].reset_index(drop=True)
    n = len(chosen)
    rule_order = {key: position for position, key in enumerate(pd.unique(lines["intervention"]))}
    area_order = {code: position for position, code in enumerate(pd.unique(lines["area_code"]))}
    # Items: (line, count, value per unit); each line's full units, then its part-used last unit.
    weight = chosen["need_weight"].to_numpy(dtype=np.float64)
    value_per_unit = chosen["residents_per_unit"].to_numpy(dtype=np.float64) * weight
    value_total = chosen["residents_reached"].to_numpy(dtype=np.float64) * weight
    unit_count = chosen["units"].to_numpy(dtype=np.int64)
    unit_cost = chosen["unit_cost_gbp"].to_numpy(dtype=np.float64)
    ring = chosen["ring_fenced"].to_numpy(dtype=bool)
    area_rank = [area_order[code] for code in chosen["area_code"]]
    rule_rank = [rule_order[key] for key in chosen["intervention"]]
    items: list[tuple[int, int, float, int]] = []
    for i in range(n):
        per_unit, units = float(value_per_unit[i]), int(unit_count[i])
        last = float(value_total[i]) - (units - 1) * per_unit
        if last >= per_unit * (1 - 1e-9):
            items.append((i, units, per_unit, 0))
        else:
            if units > 1:
                items.append((i, units - 1, per_unit, 0))
            items.append((i, 1, last, 1))

    def order(item: tuple[int, int, float, int]) -> tuple[bool, float, int, int, int]:
        i, _, value, part = item
        return (not ring[i], -value / unit_cost[i], area_rank[i], rule_rank[i], part)

    items.sort(key=order)
    funded_units = np.zeros(n, dtype=np.int64)
    rank = np.zeros(n, dtype=np.int64)
    remaining = budget
    next_rank = 1
    for i, count, value, _ in items:
        if value <= 0:
            continue
        cost = float(unit_cost[i])
        buy = min(count, math.floor(remaining / cost + 1e-9))
        if buy <= 0:
            continue
        funded_units[i] += buy
        remaining -= buy * cost
        if rank[i] == 0:
            rank[i] = next_rank
            next_rank += 1
    per_unit_people = chosen["residents_per_unit"].to_numpy(dtype=np.float64)
    reached = chosen["residents_reached"].to_numpy(dtype=np.float64)
    funded_residents = np.minimum(funded_units * per_unit_people, reached)
    online_share = np.divide(
        chosen["newly_online"].to_numpy(dtype=np.float64),
        reached,
        out=np.zeros(n),
        where=reached > 0,
    )
    result = chosen.assign(
        funded_units=funded_units,
        funded_cost_gbp=funded_units * unit_cost,
        funded_residents=funded_residents,
        funded_newly_online=funded_residents * online_share,
        rank=rank,
    )
    result["savings_per_year_gbp"] = channel_shift_savings(
        result["funded_newly_online"], costs=channel_costs
    )
    result = result.sort_values(
        ["rank"], key=lambda column: column.where(column > 0, n + 1)
    ).reset_index(drop=True)
    shortfall = float(
        ((result["units"] - result["funded_units"]) * result["unit_cost_gbp"])[
            result["ring_fenced"]
        ].sum()
    )
    by_area = _funded_by_area(result, lines)
    spent = float(result["funded_cost_gbp"].sum())
    return BudgetPlan(
        budget_gbp=budget,
        spent_gbp=spent,
        left_gbp=budget - spent,
        residents_reached=float(result["funded_residents"].sum()),
        newly_online=float(result["funded_newly_online"].sum()),
        savings_per_year_gbp=float(result["savings_per_year_gbp"].sum()),
        lines=result,
        by_area=by_area,
        ring_fenced_shortfall_gbp=shortfall,
        method=_METHOD,
        channel_costs=channel_costs,
    )


def _funded_by_area(result: pd.DataFrame, lines: pd.DataFrame) -> pd.DataFrame:
    records = []
    for code in pd.unique(lines["area_code"]):
        area = result[(result["area_code"] == code) & (result["funded_units"] > 0)]
        name = lines.loc[lines["area_code"] == code, "area_name"].iloc[0]
        records.append(
            {
                "area_code": code,
                "area_name": name,
                "funded_cost_gbp": float(area["funded_cost_gbp"].sum()),
                "funded_residents": float(area["funded_residents"].sum()),
                "funded_newly_online": float(area["funded_newly_online"].sum()),
                "savings_per_year_gbp": float(area["savings_per_year_gbp"].sum()),
                "mix": _mix_text(area, "funded_units"),
                "reasons": "; ".join(area["fact"].tolist()),
            }
        )
    return pd.DataFrame.from_records(records).set_index("area_code")
