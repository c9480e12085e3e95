"""Scenario results as page tables, a map, comparisons and downloads.

Staff (planners, admins) see every figure.  Councillors see saved scenarios with counts of
people below the small-number threshold hidden (:func:`core.suppression.format_count`), the
intervention mix without unit counts (a count of units can give away a small number of people)
and needs described with suppressed counts in place of the planners' reasons.  The map draws
exactly the figures of the tables under it.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Literal

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element
from sqlalchemy.orm import Session

from app.targeting.inputs import BNG, area_geometry
from app.targeting.models import Scenario
from core.clock import to_london
from core.suppression import format_count, is_small
from maps import (
    ONS_OGL_ATTRIBUTION,
    OSM_DATA_ATTRIBUTION,
    Legend,
    MapFragment,
    TooltipColumn,
    add_choropleth_layer,
    add_layer_control,
    add_points,
    base_map,
    fit_to,
    map_fragment,
    map_legends,
)
from maps.export import (
    ODBL,
    OGL_V3,
    ONS_ATTRIBUTION,
    OS_ATTRIBUTION,
    OSM_ATTRIBUTION,
    ExportMetadata,
    to_csv_bytes,
    to_geopackage_bytes,
)
from maps.palettes import QUALITATIVE_COLOURS, fixed_breaks

Detail = Literal["full", "suppressed"]

DATASETS: dict[str, str] = {
    "areas": "The plan for each area",
    "lines": "Every intervention in every area",
    "sites": "New venues chosen",
}
"""Downloads of a scenario: key -> title."""

GEO_DATASETS = ("areas", "sites")
MEDIA_TYPES = {"csv": "text/csv", "gpkg": "application/geopackage+sqlite3"}
STATUS_LABELS = {
    "queued": "Waiting to start",
    "running": "Running",
    "done": "Finished",
    "failed": "Failed",
}
STATUS_COLOURS = {"queued": "grey", "running": "blue", "done": "green", "failed": "red"}


# ---- numbers in words ---------------------------------------------------------------------


def money(value: Any) -> str:
    """Pounds, whole: "£12,345"; "not available" for a missing value."""
    number = _float(value)
    if number is None:
        return "not available"
    return f"£{number:,.0f}"


def percent(value: Any, *, digits: int = 0) -> str:
    """A share 0-1 as a percentage: "42%"."""
    number = _float(value)
    if number is None:
        return "not available"
    return f"{number:.{digits}%}"


def people(value: Any, *, detail: Detail, threshold: float, csv: bool = False) -> str:
    """A count of people (an estimate): rounded, and hidden when small for councillors."""
    number = _float(value)
    if number is None:
        return "[x]" if csv else "not available"
    rounded = round(number)
    if detail == "suppressed":
        return format_count(rounded, threshold=threshold, csv=csv)
    return str(rounded) if csv else f"{rounded:,}"


def _float(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def cell(text: str, *, numeric: bool = False) -> dict[str, str]:
    """A govukTable cell."""
    return {"text": text, "format": "numeric"} if numeric else {"text": text}


@dataclass(frozen=True)
class Table:
    """A table ready for ``govukTable``: caption, head cells and row cells."""

    key: str
    caption: str
    head: list[dict[str, str]]
    rows: list[list[dict[str, str]]]


def _head(*labels: str, numeric: Sequence[int] = ()) -> list[dict[str, str]]:
    return [cell(label, numeric=i in numeric) for i, label in enumerate(labels)]


# ---- scenario summary -------------------------------------------------------------------------


def parameter_rows(scenario: Scenario) -> list[dict[str, Any]]:
    """What the scenario asked for, as govukSummaryList rows."""
    p = scenario.parameters
    results = scenario.results or {}
    wards = [ward["name"] for ward in results.get("wards", [])] or list(p.get("ward_codes", []))
    ward_text = (
        ", ".join(wards)
        if len(wards) <= 6
        else f"{len(wards)} wards: " + ", ".join(wards[:6]) + " …"
    )
    uploaded = p.get("uploaded_candidates") or []
    rows = [
        ("Wards", ward_text),
        ("Plan for each", "neighbourhood (LSOA)" if p.get("level") == "lsoa" else "ward"),
        ("Budget", money(p.get("budget_gbp"))),
        ("Walking time", f"{_float(p.get('walk_min')) or 0:g} minutes"),
        ("New venues to choose", str(p.get("k"))),
        ("Share to reach with the fewest new venues", percent(p.get("share"))),
        (
            "Channel-shift unit costs",
            f"£{float(p.get('online_gbp', 0.32)):.2f} online, "
            f"£{float(p.get('face_to_face_gbp', 7.40)):.2f} face to face, "
            f"{float(p.get('transactions_per_year', 4)):g} transactions a year",
        ),
        (
            "Candidate file",
            f"{p.get('candidates_filename')} ({len(uploaded)} buildings)" if uploaded else "None",
        ),
        ("Created by", scenario.created_by_name or "Not recorded"),
    ]
    return [{"key": {"text": key}, "value": {"text": value}} for key, value in rows]


# ---- the plan ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanView:
    """The costed plan for a page."""

    available: bool
    message: str
    headline: list[dict[str, Any]]
    inputs: Table
    areas: Table | None
    priorities: Table | None
    needs: Table | None
    rules: Table | None
    method: str
    savings_note: str
    notes: list[str]


def _inputs_table(plan: Mapping[str, Any]) -> Table:
    rows = [
        [
            cell(str(item["label"])),
            cell("Yes" if item["available"] else "No"),
            cell(
                str(item["detail"]) if item["available"] else str(item["remedy"] or item["detail"])
            ),
        ]
        for item in plan.get("inputs", [])
    ]
    return Table(
        "inputs",
        "What the plan is built from",
        _head("Input", "Stored", "What was found, or how to add it"),
        rows,
    )


def _needs_text(lines: Sequence[Mapping[str, Any]], *, threshold: float) -> str:
    """Needs of an area in words with small counts hidden (for councillors)."""
    parts = []
    for line in lines:
        if line.get("status") != "recommended":
            continue
        unit = "premises" if line.get("eligible_unit") == "premises" else "residents"
        parts.append(
            f"{line['intervention_name']}: "
            f"{format_count(round(_float(line.get('eligible')) or 0), threshold=threshold)} {unit} "
            "in need"
        )
    return "; ".join(parts) or "No need found from the figures held"


def _mix_names(lines: Sequence[Mapping[str, Any]], column: str) -> str:
    return "; ".join(
        str(line["intervention_name"]) for line in lines if int(line.get(column) or 0) > 0
    )


def plan_view(results: Mapping[str, Any], *, detail: Detail, threshold: float) -> PlanView:
    """Tables of the costed plan."""
    plan = results.get("plan") or {}
    inputs = _inputs_table(plan)
    if not plan.get("available"):
        return PlanView(
            False,
            str(plan.get("message", "There is no costed plan.")),
            [],
            inputs,
            None,
            None,
            None,
            None,
            "",
            "",
            list(plan.get("notes", [])),
        )
    full = detail == "full"
    lines: list[dict[str, Any]] = list(plan.get("lines", []))
    by_area: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        by_area.setdefault(str(line["area_code"]), []).append(line)
    level_label = "Neighbourhood (LSOA)" if plan.get("level") == "lsoa" else "Ward"

    def count(value: Any) -> str:
        return people(value, detail=detail, threshold=threshold)

    costs = plan["channel_costs"]
    headline = [
        ("Budget", money(plan["budget_gbp"])),
        ("Spent by the plan", money(plan["spent_gbp"])),
        ("Left over", money(plan["left_gbp"])),
        ("Residents reached (estimate)", count(plan["residents_reached"])),
        ("Of them, newly doing council business online (estimate)", count(plan["newly_online"])),
        ("Channel-shift savings a year (estimate)", money(plan["savings_per_year_gbp"])),
        ("Cost of everything recommended, before the budget", money(plan["recommended_cost_gbp"])),
    ]
    if plan.get("ring_fenced_shortfall_gbp"):
        headline.append(
            (
                "Ring-fenced help the budget cannot cover",
                money(plan["ring_fenced_shortfall_gbp"]),
            )
        )
    area_rows = []
    for area in plan.get("areas", []):
        area_lines = by_area.get(str(area["area_code"]), [])
        name = str(area["area_name"]) + (" (small survey sample)" if area.get("low_sample") else "")
        if full:
            buys = str(area["funded_mix"]) or "Nothing within this budget"
            why = str(area["reasons"]) or "No need found from the figures held"
        else:
            buys = _mix_names(area_lines, "funded_units") or "Nothing within this budget"
            why = _needs_text(area_lines, threshold=threshold)
        area_rows.append(
            [
                cell(name),
                cell(buys),
                cell(money(area["funded_cost_gbp"]), numeric=True),
                cell(count(area["funded_residents"]), numeric=True),
                cell(why),
            ]
        )
    areas = Table(
        "plan_areas",
        f"What the budget buys in each {level_label.lower()}",
        _head(
            level_label, "What the budget buys", "Cost", "Residents reached", "Why", numeric=(2, 3)
        ),
        area_rows,
    )
    funded = sorted(
        (line for line in lines if int(line.get("rank") or 0) > 0), key=lambda line: line["rank"]
    )
    priority_rows = []
    for line in funded:
        units = f"{int(line['funded_units']):,} {line['units_label']}" if full else "not shown"
        priority_rows.append(
            [
                cell(str(line["rank"]), numeric=True),
                cell(str(line["area_name"])),
                cell(str(line["intervention_name"])),
                cell(units, numeric=full),
                cell(money(line["funded_cost_gbp"]), numeric=True),
                cell(count(line["funded_residents"]), numeric=True),
                cell(f"{_float(line.get('need_per_1000_gbp')) or 0:,.1f}", numeric=True),
            ]
        )
    priorities = Table(
        "priorities",
        "Priorities funded, in order",
        _head(
            "Order",
            level_label,
            "Intervention",
            "Units",
            "Cost",
            "Residents reached",
            "Residents per £1,000",
            numeric=(0, 3, 4, 5, 6) if full else (0, 4, 5, 6),
        ),
        priority_rows,
    )
    need_rows = []
    for line in lines:
        if line.get("status") == "recommended":
            what = f"{int(line['units']):,} {line['units_label']}" if full else "recommended"
            reason = str(line["reason"]) if full else _needs_text([line], threshold=threshold)
        else:
            what = "not needed" if line.get("status") == "not needed" else "skipped"
            reason = str(line["reason"])
            if not full and line.get("status") == "not needed":
                reason = "Not needed from the figures held"
        need_rows.append(
            [
                cell(str(line["area_name"])),
                cell(str(line["intervention_name"])),
                cell(what),
                cell(
                    money(line["cost_gbp"]) if line.get("status") == "recommended" else "",
                    numeric=True,
                ),
                cell(reason),
            ]
        )
    needs = Table(
        "needs",
        "Everything recommended before the budget, and what was skipped and why",
        _head(level_label, "Intervention", "Recommended", "Cost", "Reason", numeric=(3,)),
        need_rows,
    )
    rules_rows = [
        [
            cell(str(rule["name"])),
            cell(f"£{float(rule['unit_cost_gbp']):,.2f}", numeric=True),
            cell(f"{float(rule['reach_per_unit']):g}", numeric=True),
            cell(percent(rule["take_up"]), numeric=True),
            cell("Yes" if rule["enabled"] else "No"),
            cell(
                "Assumption: replace with the council's own figure"
                if rule["assumption"]
                else "Published figure"
            ),
        ]
        for rule in plan.get("rules", [])
    ]
    rules = Table(
        "rules",
        f"Intervention rules used (version {plan.get('config_version')})",
        _head(
            "Intervention",
            "Unit cost",
            "Reach per unit",
            "Take-up",
            "Used",
            "Basis",
            numeric=(1, 2, 3),
        ),
        rules_rows,
    )
    savings_note = (
        f"Savings: residents newly online × {float(costs['transactions_per_resident_per_year']):g} "
        f"transactions a year × (£{float(costs['face_to_face_gbp']):.2f} face to face − "
        f"£{float(costs['online_gbp']):.2f} online) = £"
        f"{float(costs['saving_per_newly_online_gbp']):,.2f} a year each. Gross savings: the "
        "cost of the interventions is not taken off."
    )
    return PlanView(
        True,
        "",
        [{"key": {"text": key}, "value": {"text": value}} for key, value in headline],
        inputs,
        areas,
        priorities,
        needs,
        rules,
        str(plan.get("method", "")),
        savings_note,
        list(plan.get("notes", [])),
    )


# ---- the siting answer -------------------------------------------------------------------------


@dataclass(frozen=True)
class SitingView:
    """The siting answer for a page."""

    available: bool
    message: str
    weighting_label: str
    weighting_description: str
    headline: list[dict[str, Any]]
    sites: Table | None
    comparison: Table | None
    lscp_sites: Table | None
    notes: list[str]
    mclp_message: str
    lscp_message: str


def _status_text(result: Mapping[str, Any]) -> str:
    status = str(result.get("status", ""))
    if status == "optimal":
        return "Optimal (proven)"
    if status == "infeasible":
        return "Not possible: the share cannot be reached"
    return status[:1].upper() + status[1:]


def siting_view(results: Mapping[str, Any], *, detail: Detail, threshold: float) -> SitingView:
    """Tables of the siting answer: chosen venues, exact against greedy, fewest venues."""
    siting = results.get("siting") or {}
    if not siting.get("available"):
        return SitingView(
            False,
            str(siting.get("message", "There is no siting answer.")),
            "",
            "",
            [],
            None,
            None,
            None,
            [],
            "",
            "",
        )
    label = str(siting["weighting"]["label"])

    def count(value: Any) -> str:
        return people(value, detail=detail, threshold=threshold)

    exact = siting["mclp"]["exact"]
    greedy = siting["mclp"]["greedy"]
    lscp = siting["lscp"]["exact"]
    lscp_greedy = siting["lscp"]["greedy"]
    walk = f"{float(siting['walk_min']):g}-minute walk"
    headline = [
        (f"Total {label}", count(siting["total_demand"])),
        (f"Within a {walk} of a venue open now", percent(exact["share_before"])),
        (
            f"Within a {walk} with the {exact['n_sites']} new venue(s) chosen",
            percent(exact["share_covered"]),
        ),
        ("How sure: the exact answer (CBC)", _status_text(exact)),
        (
            f"Fewest new venues to reach {percent(siting['share'])}",
            str(lscp["n_sites"]) if lscp.get("feasible") else "Not possible",
        ),
        ("Venues open now (kept open)", str(len(siting.get("existing_venues", [])))),
        ("Candidate buildings considered", str(siting["candidates"])),
        (
            "Demand points",
            f"{siting['demand_points']:,} clusters of {siting['premises']:,} premises "
            f"({float(siting['cluster_m']):g} m squares within each LSOA)",
        ),
    ]
    site_rows = [
        [
            cell(str(site["order"]), numeric=True),
            cell(str(site["name"])),
            cell(str(site["kind"]).capitalize()),
            cell(str(site["ward_name"] or "Outside the wards")),
            cell(count(site["new_demand_reached"]), numeric=True),
        ]
        for site in siting.get("sites", [])
    ]
    sites = Table(
        "sites",
        f"New venues chosen ({exact['n_sites']} of up to {siting['k']})",
        _head(
            "Order",
            "Building",
            "Kind",
            "Ward",
            f"{label.capitalize()} newly within a {walk}",
            numeric=(0, 4),
        ),
        site_rows,
    )

    def method_row(name: str, result: Mapping[str, Any], lscp_row: bool) -> list[dict[str, str]]:
        return [
            cell(name),
            cell(
                str(result["n_sites"]) if result.get("feasible") else "Not possible", numeric=True
            ),
            cell(percent(result["share_covered"], digits=1), numeric=True),
            cell(", ".join(result.get("sites", [])) or "None"),
            cell(_status_text(result)),
        ]

    comparison_rows = [
        method_row(f"Most reached with {siting['k']} new venues: exact (CBC)", exact, False),
        method_row(f"Most reached with {siting['k']} new venues: greedy", greedy, False),
        method_row(f"Fewest venues for {percent(siting['share'])}: exact (CBC)", lscp, True),
        method_row(f"Fewest venues for {percent(siting['share'])}: greedy", lscp_greedy, True),
    ]
    comparison = Table(
        "methods",
        "Exact solver against the greedy heuristic",
        _head(
            "Question and method",
            "New venues",
            f"Share within a {walk}",
            "Buildings",
            "Status",
            numeric=(1, 2),
        ),
        comparison_rows,
    )
    lscp_rows = [
        [
            cell(str(site["order"]), numeric=True),
            cell(str(site["name"])),
            cell(str(site["kind"]).capitalize()),
            cell(str(site["ward_name"] or "Outside the wards")),
            cell(count(site["new_demand_reached"]), numeric=True),
        ]
        for site in siting.get("lscp_sites", [])
    ]
    lscp_sites = (
        Table(
            "lscp_sites",
            f"Fewest new venues to reach {percent(siting['share'])}",
            _head(
                "Order",
                "Building",
                "Kind",
                "Ward",
                f"{label.capitalize()} newly within a {walk}",
                numeric=(0, 4),
            ),
            lscp_rows,
        )
        if lscp_rows
        else None
    )
    return SitingView(
        True,
        "",
        label,
        str(siting["weighting"]["description"]),
        [{"key": {"text": key}, "value": {"text": value}} for key, value in headline],
        sites,
        comparison,
        lscp_sites,
        list(siting.get("notes", [])),
        str(exact.get("message", "")),
        str(lscp.get("message", "")),
    )


# ---- the map ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BuiltMap:
    """A scenario map: the page fragment (no nonce yet), its legends and its tables."""

    map_id: str
    fragment: MapFragment
    legends: tuple[Legend, ...]
    tables: tuple[Table, ...]

    def for_request(self, nonce: str) -> MapFragment:
        """The fragment with this request's CSP nonce on its script tags."""
        return replace(self.fragment, nonce=nonce)


def _stable_ids(m: folium.Map, map_id: str) -> None:
    # folium names elements with random ids; numbering them in tree order makes the same
    # scenario give the same page and the same stylesheet in every worker.
    prefix = hashlib.sha256(map_id.encode()).hexdigest()[:8]
    counter = itertools.count()
    seen: set[int] = set()

    def walk(element: Element) -> None:
        for child in list(element._children.values()):
            if id(child) in seen:
                continue
            seen.add(id(child))
            child._id = f"{prefix}{next(counter):06d}"
            walk(child)

    m._id = f"{prefix}main00"
    walk(m.get_root())


def _points(rows: Sequence[Mapping[str, Any]], columns: Mapping[str, Any]) -> gpd.GeoDataFrame:
    frame = pd.DataFrame({name: [row.get(key) for row in rows] for name, key in columns.items()})
    x = np.asarray([float(row["x_m"]) for row in rows], dtype=float)
    y = np.asarray([float(row["y_m"]) for row in rows], dtype=float)
    return gpd.GeoDataFrame(frame, geometry=shapely.points(x, y), crs=BNG)


def area_figures(results: Mapping[str, Any], *, detail: Detail, threshold: float) -> pd.DataFrame:
    """Per plan area: name, funded cost, residents reached, demand share within a walk."""
    plan = results.get("plan") or {}
    siting = results.get("siting") or {}
    rows: dict[str, dict[str, Any]] = {}
    for area in plan.get("areas", []) if plan.get("available") else []:
        rows[str(area["area_code"])] = {
            "name": str(area["area_name"]),
            "funded_cost_gbp": float(area["funded_cost_gbp"]),
            "funded_residents": float(area["funded_residents"]),
        }
    for area in siting.get("areas", []) if siting.get("available") else []:
        code = str(area["area_code"])
        entry = rows.setdefault(code, {"name": code})
        demand = float(area["demand"])
        entry["demand"] = demand
        entry["share_before"] = float(area["covered_before"]) / demand if demand > 0 else None
        entry["share_after"] = float(area["covered_after"]) / demand if demand > 0 else None
        entry["small"] = detail == "suppressed" and is_small(demand, threshold=threshold)
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "code"
    return frame


SHARE_EDGES = (0.0, 0.25, 0.5, 0.75, 0.9, 1.0)
"""Classes of the share within the walk: the last two show how close an area is to everyone."""


def _money_edges(largest: float) -> list[float]:
    """Four equal classes of whole pounds from £0 to a round figure at or above ``largest``."""
    if not largest > 0:
        return [0.0, 1.0]
    magnitude = 10 ** math.floor(math.log10(largest))
    top = math.ceil(largest / magnitude) * magnitude
    step = max(math.ceil(top / 4), 1)
    return [float(step * i) for i in range(5)]


def build_map(
    session: Session,
    scenario: Scenario,
    *,
    detail: Detail,
    threshold: float,
    asset_urls: Mapping[str, str],
    tiles: bool,
) -> BuiltMap | None:
    """The scenario's map: money per area, reach within the walk, venues open now, new venues."""
    results = scenario.results or {}
    figures = area_figures(results, detail=detail, threshold=threshold)
    level = str(
        (results.get("plan") or {}).get("level") or scenario.parameters.get("level", "ward")
    )
    if figures.empty:
        return None
    outlines = area_geometry(session, level=level, codes=list(figures.index))
    if outlines.empty:
        return None
    frame = outlines.merge(figures, left_on="code", right_index=True, how="left")
    frame["name"] = (
        frame["name_x"].fillna(frame["name_y"]) if "name_x" in frame.columns else frame["name"]
    )
    frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=BNG)
    m = base_map(
        tiles=tiles, attribution=(ONS_OGL_ATTRIBUTION, OSM_DATA_ATTRIBUTION), title=scenario.name
    )
    tables: list[Table] = []
    area_label = "Neighbourhood" if level == "lsoa" else "Ward"
    shown_first = True
    if "funded_cost_gbp" in frame.columns and frame["funded_cost_gbp"].notna().any():
        add_choropleth_layer(
            m,
            frame[["code", "name", "funded_cost_gbp", "geometry"]],
            "funded_cost_gbp",
            code_column="code",
            name_column="name",
            layer_name="Money the plan spends in each area",
            legend_title="Money the plan spends (£)",
            area_label=area_label,
            value_format="£{:,.0f}",
            classes=fixed_breaks(
                _money_edges(float(frame["funded_cost_gbp"].max())),
                scheme="YlGnBu",
                value_format="£{:,.0f}",
            ),
            show=True,
            source="plan",
        )
        shown_first = False
        tables.append(
            Table(
                "map_plan",
                "Money the plan spends in each area",
                _head(area_label, "Code", "Cost", "Residents reached", numeric=(2, 3)),
                [
                    [
                        cell(str(name)),
                        cell(str(code)),
                        cell(money(cost), numeric=True),
                        cell(people(reached, detail=detail, threshold=threshold), numeric=True),
                    ]
                    for name, code, cost, reached in zip(
                        frame["name"],
                        frame["code"],
                        frame["funded_cost_gbp"],
                        frame["funded_residents"],
                        strict=True,
                    )
                ],
            )
        )
    siting = results.get("siting") or {}
    if siting.get("available") and "share_after" in frame.columns:
        walk = f"{float(siting['walk_min']):g} minutes"
        mask = frame["small"].fillna(False).astype(bool) if "small" in frame.columns else None
        add_choropleth_layer(
            m,
            frame[["code", "name", "share_after", "geometry"]],
            "share_after",
            code_column="code",
            name_column="name",
            layer_name=f"Share within {walk}' walk with the new venues",
            legend_title=f"Share of {siting['weighting']['label']} within {walk}' walk",
            area_label=area_label,
            value_format="{:.0%}",
            classes=fixed_breaks(SHARE_EDGES, scheme="PuBuGn", value_format="{:.0%}"),
            suppressed_mask=mask,
            show=shown_first,
            source="reach",
        )
        tables.append(
            Table(
                "map_reach",
                f"Share of {siting['weighting']['label']} within {walk}' walk",
                _head(area_label, "Code", "Venues open now", "With the new venues", numeric=(2, 3)),
                [
                    [
                        cell(str(name)),
                        cell(str(code)),
                        cell("not shown" if small else percent(before), numeric=True),
                        cell("not shown" if small else percent(after), numeric=True),
                    ]
                    for name, code, before, after, small in zip(
                        frame["name"],
                        frame["code"],
                        frame["share_before"],
                        frame["share_after"],
                        mask if mask is not None else [False] * len(frame),
                        strict=True,
                    )
                ],
            )
        )
        existing = siting.get("existing_venues", [])
        if existing:
            add_points(
                m,
                _points(existing, {"name": "name"}),
                layer_name="Help venues open now",
                colour=QUALITATIVE_COLOURS["blue"],
                radius_px=6.0,
                source="existing venues",
            )
        chosen = siting.get("sites", [])
        if chosen:
            add_points(
                m,
                _points(chosen, {"name": "name", "kind": "kind", "ward": "ward_name"}),
                layer_name="New venues chosen",
                tooltip_columns=[TooltipColumn("kind", "Kind"), TooltipColumn("ward", "Ward")],
                colour=QUALITATIVE_COLOURS["vermillion"],
                radius_px=9.0,
                source="new venues",
            )
        fewest = siting.get("lscp_sites", [])
        if fewest:
            add_points(
                m,
                _points(fewest, {"name": "name", "kind": "kind"}),
                layer_name=f"Fewest new venues for {percent(siting['share'])}",
                tooltip_columns=[TooltipColumn("kind", "Kind")],
                colour=QUALITATIVE_COLOURS["reddish_purple"],
                radius_px=7.0,
                show=False,
                source="fewest venues",
            )
    fit_to(m, frame)
    add_layer_control(m)
    map_id = f"{scenario.public_id}-{detail}-{'tiles' if tiles else 'plain'}"
    _stable_ids(m, map_id)
    fragment = map_fragment(m, asset_urls=dict(asset_urls), nonce=None)
    return BuiltMap(map_id, fragment, tuple(map_legends(m)), tuple(tables))


_MAP_CACHE: OrderedDict[tuple[str, str, str, bool], BuiltMap | None] = OrderedDict()
_MAP_LOCK = threading.Lock()
_MAP_CACHE_SIZE = 16


def cached_map(
    session: Session,
    scenario: Scenario,
    *,
    detail: Detail,
    threshold: float,
    asset_urls: Mapping[str, str],
    tiles: bool,
) -> BuiltMap | None:
    """:func:`build_map`, kept for the few most recent scenarios (the page and its stylesheet
    ask for the same map)."""
    finished = scenario.finished_at.isoformat() if scenario.finished_at else ""
    key = (scenario.public_id, finished, detail, tiles)
    with _MAP_LOCK:
        if key in _MAP_CACHE:
            _MAP_CACHE.move_to_end(key)
            return _MAP_CACHE[key]
    built = build_map(
        session, scenario, detail=detail, threshold=threshold, asset_urls=asset_urls, tiles=tiles
    )
    with _MAP_LOCK:
        _MAP_CACHE[key] = built
        while len(_MAP_CACHE) > _MAP_CACHE_SIZE:
            _MAP_CACHE.popitem(last=False)
    return built


def legend_lines(legends: Sequence[Legend]) -> list[dict[str, Any]]:
    """The map's legends in words (title and one line per entry)."""
    return [
        {
            "title": legend.title,
            "lines": [
                entry.label + (f" ({entry.count:,})" if entry.count is not None else "")
                for entry in legend.entries
            ],
        }
        for legend in legends
    ]


# ---- comparing two scenarios -------------------------------------------------------------


def compare_tables(
    first: Scenario, second: Scenario, *, detail: Detail, threshold: float
) -> list[Table]:
    """Two scenarios side by side: what they asked, the plans, the siting answers, by area."""

    def values(scenario: Scenario) -> list[str]:
        p = scenario.parameters
        results = scenario.results or {}
        plan = results.get("plan") or {}
        siting = results.get("siting") or {}
        count = lambda value: people(value, detail=detail, threshold=threshold)  # noqa: E731
        have_plan = bool(plan.get("available"))
        have_siting = bool(siting.get("available"))
        exact = siting.get("mclp", {}).get("exact", {}) if have_siting else {}
        greedy = siting.get("mclp", {}).get("greedy", {}) if have_siting else {}
        lscp = siting.get("lscp", {}).get("exact", {}) if have_siting else {}
        return [
            str(len(p.get("ward_codes", []))),
            "neighbourhood (LSOA)" if p.get("level") == "lsoa" else "ward",
            money(p.get("budget_gbp")),
            money(plan.get("spent_gbp")) if have_plan else "No plan",
            money(plan.get("left_gbp")) if have_plan else "No plan",
            count(plan.get("residents_reached")) if have_plan else "No plan",
            count(plan.get("newly_online")) if have_plan else "No plan",
            money(plan.get("savings_per_year_gbp")) if have_plan else "No plan",
            f"{_float(p.get('walk_min')) or 0:g} minutes",
            str(p.get("k")),
            percent(exact.get("share_before")) if have_siting else "No siting answer",
            percent(exact.get("share_covered")) if have_siting else "No siting answer",
            _status_text(exact) if have_siting else "No siting answer",
            percent(greedy.get("share_covered")) if have_siting else "No siting answer",
            (str(lscp.get("n_sites")) if lscp.get("feasible") else "Not possible")
            if have_siting
            else "No siting answer",
            ", ".join(exact.get("sites", [])) if have_siting else "No siting answer",
        ]

    labels = [
        "Wards covered",
        "Plan for each",
        "Budget",
        "Spent",
        "Left over",
        "Residents reached (estimate)",
        "Newly online (estimate)",
        "Channel-shift savings a year",
        "Walking time",
        "New venues asked for",
        "Share within the walk now",
        "Share within the walk with the new venues",
        "How sure (exact answer)",
        "Share with the greedy heuristic's venues",
        "Fewest new venues for the target share",
        "New venues chosen",
    ]
    a_values, b_values = values(first), values(second)
    summary = Table(
        "compare",
        "The two scenarios side by side",
        _head("", first.name, second.name),
        [
            [cell(label), cell(a), cell(b)]
            for label, a, b in zip(labels, a_values, b_values, strict=True)
        ],
    )
    tables = [summary]
    areas_a = {
        str(area["area_code"]): area
        for area in ((first.results or {}).get("plan") or {}).get("areas", [])
    }
    areas_b = {
        str(area["area_code"]): area
        for area in ((second.results or {}).get("plan") or {}).get("areas", [])
    }
    codes = list(dict.fromkeys([*areas_a, *areas_b]))
    if codes:
        rows = []
        for code in codes:
            a = areas_a.get(code)
            b = areas_b.get(code)
            name = (a or b or {}).get("area_name", code)
            rows.append(
                [
                    cell(str(name)),
                    cell(
                        money(a["funded_cost_gbp"]) if a else "Not in this scenario", numeric=True
                    ),
                    cell(
                        money(b["funded_cost_gbp"]) if b else "Not in this scenario", numeric=True
                    ),
                ]
            )
        tables.append(
            Table(
                "compare_areas",
                "Money spent in each area",
                _head("Area", first.name, second.name, numeric=(1, 2)),
                rows,
            )
        )
    return tables


# ---- downloads ------------------------------------------------------------------------------


def _finished_day(scenario: Scenario) -> date:
    moment = scenario.finished_at or scenario.created_at
    return to_london(moment).date()


def export_metadata(scenario: Scenario, dataset: str, *, council: str) -> ExportMetadata:
    """Title, source, date and licence of a scenario download."""
    return ExportMetadata(
        title=f"{DATASETS[dataset]}: scenario '{scenario.name}', {council}",
        source=(
            "Digital Inclusion Planner targeting scenario: survey estimates weighted to Census "
            "2021, the coverage model, intervention rules (some costs are assumptions) and the "
            "OpenStreetMap walking network"
        ),
        date=_finished_day(scenario),
        licence=f"{OGL_V3}; walking network and buildings from OpenStreetMap under the {ODBL}",
        attribution=(ONS_ATTRIBUTION, OS_ATTRIBUTION, OSM_ATTRIBUTION),
    )


def _count_column(values: pd.Series, *, detail: Detail, threshold: float) -> pd.Series:
    if detail == "full":
        return values.astype(float).round(1)
    return pd.Series(
        [people(value, detail=detail, threshold=threshold, csv=True) for value in values],
        index=values.index,
        dtype=object,
    )


def export_frame(
    session: Session, scenario: Scenario, dataset: str, *, detail: Detail, threshold: float
) -> pd.DataFrame | gpd.GeoDataFrame:
    """The table (areas and sites with geometry, EPSG:27700) behind a download."""
    results = scenario.results or {}
    plan = results.get("plan") or {}
    siting = results.get("siting") or {}
    if dataset == "areas":
        records = []
        reach = {str(area["area_code"]): area for area in siting.get("areas", [])}
        lines_by_area: dict[str, list[dict[str, Any]]] = {}
        for line in plan.get("lines", []):
            lines_by_area.setdefault(str(line["area_code"]), []).append(line)
        for area in plan.get("areas", []) if plan.get("available") else []:
            code = str(area["area_code"])
            lines = lines_by_area.get(code, [])
            reached = reach.get(code, {})
            demand = _float(reached.get("demand"))
            records.append(
                {
                    "area_code": code,
                    "area_name": area["area_name"],
                    "funded_mix": area["funded_mix"]
                    if detail == "full"
                    else _mix_names(lines, "funded_units"),
                    "funded_cost_gbp": round(float(area["funded_cost_gbp"]), 2),
                    "funded_residents": area["funded_residents"],
                    "funded_newly_online": area["funded_newly_online"],
                    "savings_per_year_gbp": round(float(area["savings_per_year_gbp"]), 2),
                    "recommended_cost_gbp": round(float(area["recommended_cost_gbp"]), 2),
                    "reasons": area["reasons"]
                    if detail == "full"
                    else _needs_text(lines, threshold=threshold),
                    "small_survey_sample": bool(area.get("low_sample")),
                    "share_within_walk_now": round(float(reached["covered_before"]) / demand, 4)
                    if demand
                    else None,
                    "share_within_walk_with_new_venues": round(
                        float(reached["covered_after"]) / demand, 4
                    )
                    if demand
                    else None,
                }
            )
        if not records:
            for code, reached in reach.items():
                demand = _float(reached.get("demand")) or 0.0
                records.append(
                    {
                        "area_code": code,
                        "share_within_walk_now": round(float(reached["covered_before"]) / demand, 4)
                        if demand
                        else None,
                        "share_within_walk_with_new_venues": round(
                            float(reached["covered_after"]) / demand, 4
                        )
                        if demand
                        else None,
                    }
                )
        table = pd.DataFrame.from_records(records)
        if table.empty:
            table = pd.DataFrame({"area_code": pd.Series([], dtype=object)})
        for column in ("funded_residents", "funded_newly_online"):
            if column in table.columns:
                table[column] = _count_column(table[column], detail=detail, threshold=threshold)
        level = str(plan.get("level") or scenario.parameters.get("level", "ward"))
        outlines = area_geometry(session, level=level, codes=list(table["area_code"]))
        shapes = dict(zip(outlines["code"], outlines.geometry, strict=True))
        geometry = [shapes.get(code) for code in table["area_code"]]
        return gpd.GeoDataFrame(table, geometry=geometry, crs=BNG)
    if dataset == "lines":
        line_table = pd.DataFrame.from_records(list(plan.get("lines", [])))
        if line_table.empty:
            return pd.DataFrame({"area_code": pd.Series([], dtype=object)})
        if detail != "full":
            line_table = line_table.drop(
                columns=["units", "funded_units", "reason"], errors="ignore"
            )
            for column in (
                "eligible",
                "residents_reached",
                "newly_online",
                "funded_residents",
                "funded_newly_online",
            ):
                if column in line_table.columns:
                    line_table[column] = _count_column(
                        line_table[column], detail=detail, threshold=threshold
                    )
        return line_table
    if dataset == "sites":
        rows = []
        for problem, sites in (
            ("most reached with k new venues", siting.get("sites", [])),
            ("fewest new venues for the target share", siting.get("lscp_sites", [])),
        ):
            for site in sites:
                rows.append({"answer": problem, **site})
        table = pd.DataFrame.from_records(rows)
        if table.empty:
            return gpd.GeoDataFrame(
                {"answer": pd.Series([], dtype=object)},
                geometry=gpd.GeoSeries([], crs=BNG),
                crs=BNG,
            )
        points = np.asarray(
            shapely.points(table["x_m"].to_numpy(float), table["y_m"].to_numpy(float))
        )
        table["new_demand_reached"] = _count_column(
            table["new_demand_reached"], detail=detail, threshold=threshold
        )
        table = table.drop(columns=["lon", "lat"])
        return gpd.GeoDataFrame(table, geometry=points, crs=BNG)
    raise KeyError(dataset)


def export_notes(scenario: Scenario, *, detail: Detail, threshold: float) -> list[str]:
    """Extra lines for a CSV download: how sure the siting answer is, and suppression."""
    results = scenario.results or {}
    siting = results.get("siting") or {}
    plan = results.get("plan") or {}
    notes = []
    if plan.get("available"):
        notes.append(
            f"Plan: budget £{float(plan['budget_gbp']):,.0f}, spent £{float(plan['spent_gbp']):,.0f}; "
            f"intervention rules version {plan.get('config_version')}; savings are gross"
        )
    if siting.get("available"):
        exact = siting["mclp"]["exact"]
        notes.append(
            f"Siting: {float(siting['walk_min']):g}-minute walk; demand is "
            f"{siting['weighting']['label']}; exact answer {exact['status']}"
        )
    if detail != "full":
        limit = int(threshold) if float(threshold).is_integer() else threshold
        notes.append(
            f"[c] = fewer than {limit} people, not shown to protect privacy; [x] = not available"
        )
    return notes


def export_bytes(
    session: Session,
    scenario: Scenario,
    dataset: str,
    fmt: str,
    *,
    detail: Detail,
    threshold: float,
    council: str,
) -> bytes:
    """A scenario download as CSV (formulas escaped, notes first) or GeoPackage."""
    frame = export_frame(session, scenario, dataset, detail=detail, threshold=threshold)
    metadata = export_metadata(scenario, dataset, council=council)
    if fmt == "csv":
        lines = [*metadata.lines(), *export_notes(scenario, detail=detail, threshold=threshold)]
        return to_csv_bytes(frame, metadata_lines=lines)
    if fmt == "gpkg" and dataset in GEO_DATASETS and isinstance(frame, gpd.GeoDataFrame):
        return to_geopackage_bytes(frame, layer=dataset, metadata=metadata)
    raise KeyError(f"{dataset}.{fmt}")


def status_tag(status: str) -> dict[str, str]:
    """A govukTag for a run status."""
    return {
        "text": STATUS_LABELS.get(status, status),
        "classes": f"govuk-tag--{STATUS_COLOURS.get(status, 'grey')}",
    }
