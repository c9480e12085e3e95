"""Ward figures from the residents' survey and the exclusion-risk index (``surveys``), read-only.

* personas: the estimated share of adults in each of the six personas (survey responses
  weighted to the Census population), with secondary suppression across the personas of a
  ward so that a hidden one cannot be worked out as 100% minus the others;
* barriers: the estimated share of adults facing each barrier;
* key figures: the digital exclusion risk index (0-10) and the survey respondents per ward;
* layers: the index by ward and by LSOA, and each persona by ward;
* recommended interventions per ward (``surveys.targeting``), from the estimates and, when
  modelled, premises coverage.

Shares computed from fewer respondents than the threshold are hidden from councillors and the
public; estimates from fewer than 30 respondents are not given at all (too uncertain).
Skipped when the survey tables are missing or nothing is loaded.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
from flask import Flask, current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.wards.figures import (
    OGL,
    LayerSpec,
    MapLayerSpec,
    TableColumn,
    WardFigure,
    WardTable,
    figure_provider,
    map_layer_provider,
    memo,
    table_provider,
)
from app.wards.geography import current_wards
from core.clock import to_london, today_london
from core.suppression import suppression_flags

TABLES = (
    "survey_responses",
    "survey_persona_configs",
    "survey_index_inputs",
    "survey_lsoa_links",
    "areas",
    "area_layers",
)
MIN_RESPONDENTS = 30
SURVEY_SOURCE = "Residents' digital lives survey, weighted to Census 2021"
INDEX_SOURCE = "Digital exclusion risk index (DERI method) from IMD 2019, Census 2021 and more"
INDEX_EDGES = (0.0, 2.0, 4.0, 6.0, 8.0, 10.0)


def _threshold() -> float:
    return float(current_app.config.get("SMALL_NUMBER_THRESHOLD", 10))


def _latest_response(session: Session) -> date | None:
    from surveys.models import SurveyResponse

    moment = session.scalar(select(func.max(SurveyResponse.submitted_at)))
    return to_london(moment).date() if moment is not None else None


def _estimates(session: Session) -> Any:
    """Ward estimates of personas and barriers (``None`` when there is nothing to estimate),
    and the stored areas; computed once per session."""
    return memo(session, "surveys.estimates", lambda: _estimate(session))


def _estimate(session: Session) -> Any:
    from app.surveys.areas import stored_areas
    from surveys.services import estimate_areas, imd_deciles_by_lsoa21

    areas = stored_areas(session)
    if areas.ages.empty:
        return None, areas
    deciles = imd_deciles_by_lsoa21(session, list(areas.ages.index))
    estimates = estimate_areas(
        session,
        level="ward",
        ages=areas.ages,
        lsoa_ward=areas.lsoa_ward,
        imd_decile=deciles,
        min_n=MIN_RESPONDENTS,
    )
    if estimates.table.empty:
        return None, areas
    return estimates, areas


def _by_outcome(table: pd.DataFrame, outcome: str, column: str) -> dict[str, Any]:
    part = table[table["outcome"] == outcome]
    return dict(zip(part["area_code"].astype(str), part[column], strict=True))


def survey_figures(session: Session) -> list[WardFigure]:
    """Persona and barrier shares per ward, respondents, and the exclusion-risk index."""
    codes = [ward.code for ward in current_wards(session)]
    if not codes:
        return []
    figures: list[WardFigure] = []
    estimates, areas = _estimates(session)
    when = _latest_response(session)
    if estimates is not None:
        from surveys.services import BARRIER_OUTCOMES

        table = estimates.table
        respondents = {
            str(code): float(n) for code, n in table.groupby("area_code")["n"].first().items()
        }
        low = {
            str(code)
            for code, flag in table.groupby("area_code")["low_sample"].any().items()
            if bool(flag)
        }
        figures.append(
            WardFigure(
                key="survey_respondents",
                label="Residents who answered the digital lives survey",
                unit="count",
                values={code: respondents.get(code, 0.0) for code in codes},
                borough=sum(respondents.get(code, 0.0) for code in codes),
                is_count=True,
                source="Residents' digital lives survey",
                date=when,
                section="personas",
                note=(
                    f"Shares are estimated for all adults, weighting answers to the Census "
                    f"population; wards with fewer than {MIN_RESPONDENTS} respondents get no "
                    "estimate."
                ),
            )
        )
        personas = [f"persona:{key}" for key in estimates.persona_keys]
        hidden = _persona_secondary_suppression(table, personas, codes)
        for key in estimates.persona_keys:
            outcome = f"persona:{key}"
            figures.append(
                _share_figure(
                    table,
                    outcome,
                    key=f"persona_{key}",
                    label=f"Adults who are '{estimates.persona_names[key]}'",
                    section="personas",
                    codes=codes,
                    low=low,
                    when=when,
                    hidden=hidden.get(outcome, frozenset()),
                )
            )
        for outcome, label in BARRIER_OUTCOMES.items():
            if outcome not in set(table["outcome"]):
                continue
            figures.append(
                _share_figure(
                    table,
                    outcome,
                    key=outcome.replace(":", "_"),
                    label=(
                        "Adults facing any of these barriers"
                        if outcome == "barrier:any"
                        else f"Adults who said: {label}"
                    ),
                    section="barriers",
                    codes=codes,
                    low=low,
                    when=when,
                    hidden=frozenset(),
                )
            )
    index = _ward_index(session, areas)
    if index is not None:
        values, borough = index
        figures.insert(
            0,
            WardFigure(
                key="exclusion_index",
                label="Digital exclusion risk index (0 to 10; higher means more residents at risk)",
                unit="index",
                values={code: values.get(code) for code in codes},
                borough=borough,
                higher_is_better=False,
                source=INDEX_SOURCE,
                date=today_london(),
                section="key",
                note="The index is population-weighted from the neighbourhoods (LSOAs) in the ward.",
            ),
        )
    return figures


def _share_figure(
    table: pd.DataFrame,
    outcome: str,
    *,
    key: str,
    label: str,
    section: str,
    codes: list[str],
    low: set[str],
    when: date | None,
    hidden: frozenset[str],
) -> WardFigure:
    shares = _by_outcome(table, outcome, "share")
    counts = _by_outcome(table, outcome, "respondents_with")
    values = {
        code: None if code in low or pd.isna(shares.get(code)) else float(shares[code])
        for code in codes
    }
    base = {code: float(counts.get(code, 0) or 0) for code in codes}
    return WardFigure(
        key=key,
        label=label,
        unit="share",
        values=values,
        borough=_borough_share(table, outcome),
        base_counts=base,
        suppress_wards=hidden,
        source=SURVEY_SOURCE,
        date=when,
        section=section,
    )


def _borough_share(table: pd.DataFrame, outcome: str) -> float | None:
    part = table[(table["outcome"] == outcome) & table["share"].notna()]
    adults = part["adults"].astype(float)
    if part.empty or adults.sum() <= 0:
        return None
    return float((part["share"].astype(float) * adults).sum() / adults.sum())


def _persona_secondary_suppression(
    table: pd.DataFrame, personas: list[str], codes: list[str]
) -> dict[str, frozenset[str]]:
    """Personas to hide per ward beyond the small ones, because the personas add up to 100%."""
    threshold = _threshold()
    hidden: dict[str, set[str]] = {outcome: set() for outcome in personas}
    for code in codes:
        part = table[table["area_code"] == code].set_index("outcome")
        if part.empty:
            continue
        counts = [float(part["respondents_with"].get(outcome, 0) or 0) for outcome in personas]
        total = float(part["n"].iloc[0])
        flags = suppression_flags([[*counts, total]], threshold=threshold, total_column=len(counts))
        for outcome, flag in zip(personas, flags[0][:-1], strict=True):
            if flag:
                hidden[outcome].add(code)
    return {outcome: frozenset(codes_) for outcome, codes_ in hidden.items()}


def _index_view(session: Session, areas: Any) -> Any:
    return memo(session, "surveys.index", lambda: _compute_index(session, areas))


def _compute_index(session: Session, areas: Any) -> Any:
    from app.surveys.areas import broadband_by_lsoa
    from core.errors import DomainError
    from surveys.services import exclusion_index_view

    if areas.ages.empty:
        return None
    try:
        return exclusion_index_view(
            session,
            ages=areas.ages,
            lsoa_ward=areas.lsoa_ward,
            broadband=broadband_by_lsoa(session),
        )
    except DomainError:
        return None


def _ward_index(session: Session, areas: Any) -> tuple[dict[str, float], float | None] | None:
    if areas is None:
        from app.surveys.areas import stored_areas

        areas = stored_areas(session)
    view = _index_view(session, areas)
    if view is None or view.wards.empty:
        return None
    wards = view.wards
    values = {str(code): float(value) for code, value in wards["index"].items()}
    population = wards["population"].astype(float)
    borough = (
        float((wards["index"] * population).sum() / population.sum())
        if population.sum() > 0
        else None
    )
    return values, borough


def survey_layers(session: Session) -> list[LayerSpec]:
    """The exclusion-risk index by ward and LSOA, and each persona's share by ward."""
    from app.surveys.areas import stored_areas
    from surveys.services import lsoa_pairs

    codes = [ward.code for ward in current_wards(session)]
    if not codes:
        return []
    areas = stored_areas(session)
    layers: list[LayerSpec] = []
    view = _index_view(session, areas)
    if view is not None and not view.wards.empty:
        population = view.wards["population"].astype(float)
        borough = float((view.wards["index"] * population).sum() / population.sum())
        layers.append(
            MapLayerSpec(
                key="exclusion_index_ward",
                title="Digital exclusion risk by ward",
                area_kind="ward",
                values={str(k): float(v) for k, v in view.wards["index"].items()},
                legend_title="Digital exclusion risk index (0 to 10)",
                unit="index",
                source=INDEX_SOURCE,
                licence=OGL,
                date=today_london(),
                scheme="YlOrRd",
                higher_is_better=False,
                class_edges=INDEX_EDGES,
                borough=borough,
            )
        )
        pairs, _unmatched = lsoa_pairs(session, list(areas.ages.index), list(view.lsoas.index))
        if not pairs.empty:
            scores = pairs.assign(index=pairs["LSOA11CD"].map(view.lsoas["index"]))
            by_lsoa = scores.dropna(subset=["index"]).groupby("LSOA21CD")["index"].mean()
            layers.append(
                MapLayerSpec(
                    key="exclusion_index_lsoa",
                    title="Digital exclusion risk by neighbourhood (LSOA)",
                    area_kind="lsoa",
                    values={str(k): float(v) for k, v in by_lsoa.items()},
                    legend_title="Digital exclusion risk index (0 to 10)",
                    unit="index",
                    source=INDEX_SOURCE,
                    licence=OGL,
                    date=today_london(),
                    scheme="YlOrRd",
                    higher_is_better=False,
                    class_edges=INDEX_EDGES,
                    borough=borough,
                    note="2021 neighbourhoods take the score of their 2011 neighbourhood(s)",
                    on_borough_map=False,
                )
            )
    estimates, _areas = _estimates(session)
    if estimates is not None:
        table = estimates.table
        low = {
            str(code)
            for code, flag in table.groupby("area_code")["low_sample"].any().items()
            if bool(flag)
        }
        hidden = _persona_secondary_suppression(
            table, [f"persona:{key}" for key in estimates.persona_keys], codes
        )
        for key in estimates.persona_keys:
            outcome = f"persona:{key}"
            figure = _share_figure(
                table,
                outcome,
                key=f"persona_{key}",
                label=estimates.persona_names[key],
                section="personas",
                codes=codes,
                low=low,
                when=_latest_response(session),
                hidden=hidden[outcome],
            )
            layers.append(
                MapLayerSpec(
                    key=f"persona_{key}_ward",
                    title=f"Persona by ward: {estimates.persona_names[key]}",
                    area_kind="ward",
                    values=figure.values,
                    legend_title=f"Adults who are '{estimates.persona_names[key]}' (estimate)",
                    unit="share",
                    source=SURVEY_SOURCE,
                    licence=OGL,
                    date=figure.date,
                    scheme="PuBuGn",
                    base_counts=figure.base_counts,
                    suppress_areas=figure.suppress_wards,
                    borough=figure.borough,
                    on_borough_map=False,
                )
            )
    return layers


def intervention_tables(session: Session) -> list[WardTable]:
    """The recommended interventions of each ward (``surveys.targeting.recommend``)."""
    from surveys.targeting import area_inputs_from_estimates, recommend

    wards = current_wards(session)
    estimates, _areas = _estimates(session)
    if not wards or estimates is None:
        return []
    inputs = area_inputs_from_estimates(estimates.table, area_column="area_code")
    names = {ward.code: ward.name for ward in wards}
    inputs = inputs[inputs.index.isin(list(names))]
    inputs.insert(0, "area_name", [names[code] for code in inputs.index])
    inputs = inputs.join(_premises_inputs(session), how="left")
    config, source = _intervention_rules(session)
    lines = recommend(inputs, config=config)
    chosen = lines[lines["status"] == "recommended"]
    rows: dict[str, list[dict[str, Any]]] = {}
    for record in chosen.to_dict("records"):
        rows.setdefault(str(record["area_code"]), []).append(
            {
                "intervention": f"{record['intervention_name']} ({record['units_label']})",
                "units": float(record["units"]),
                "cost": f"£{float(record['cost_gbp']):,.0f}",
                "reached": float(record["residents_reached"]),
                "reason": record["reason"],
            }
        )
    return [
        WardTable(
            key="interventions",
            title="Recommended interventions for this ward",
            section="interventions",
            columns=(
                TableColumn("intervention", "Intervention"),
                TableColumn("units", "How many", "count"),
                # A cost would give a small number of units away: shown to planners only.
                TableColumn("cost", "Cost", "staff_text"),
                TableColumn("reached", "Residents reached (estimate)", "count"),
                TableColumn("reason", "Why", "staff_text"),
            ),
            rows=rows,
            source=source,
            licence=OGL,
            date=today_london(),
            empty_text="No intervention is recommended for this ward from the figures held.",
            note=(
                "Needs come from the survey estimates and, where modelled, premises coverage; "
                "the costs and take-up are defaults, some of them assumptions."
            ),
        )
    ]


def _intervention_rules(session: Session) -> tuple[Any, str]:
    """The council's intervention rules from the targeting tool when it is set up, else the
    defaults of :mod:`surveys.interventions`."""
    from sqlalchemy import inspect

    if not inspect(session.connection()).has_table("targeting_intervention_settings"):
        return None, "Intervention rules with default costs and take-up"
    try:
        from app.targeting.services import active_interventions
    except ImportError:
        return None, "Intervention rules with default costs and take-up"
    return active_interventions(session), "The council's intervention rules (targeting tool)"


def _premises_inputs(session: Session) -> pd.DataFrame:
    """Premises, premises below the USO and below superfast, and the not-spot share per ward."""
    from sqlalchemy import inspect

    if not inspect(session.connection()).has_table("area_coverage"):
        return pd.DataFrame()
    from app.coverage.models import AreaCoverage

    rows = session.execute(
        select(
            AreaCoverage.code,
            AreaCoverage.premises,
            AreaCoverage.premises_below_uso,
            AreaCoverage.premises_below_superfast,
            AreaCoverage.share_not_spot,
        ).where(AreaCoverage.kind == "ward")
    ).all()
    frame = pd.DataFrame(
        [tuple(row) for row in rows],
        columns=[
            "area_code",
            "premises",
            "premises_below_uso",
            "premises_below_superfast",
            "notspot_share",
        ],
    )
    return frame.set_index("area_code").astype(float)


def register(app: Flask) -> None:
    """Register the survey and index providers."""
    figure_provider(app, "surveys", survey_figures, 20, tables=TABLES)
    map_layer_provider(app, "surveys", survey_layers, 20, tables=TABLES)
    table_provider(app, "interventions", intervention_tables, 20, tables=TABLES)
