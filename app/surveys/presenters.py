"""Survey figures shaped for pages and CSV files: shares with intervals, suppression, the index."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from core.suppression import format_count, suppress_table
from surveys.questions import QUESTION_SET
from surveys.scoring import GDS_LABELS, SCORED_FIELDS
from surveys.services import BARRIER_OUTCOMES, AreaEstimates, IndexView

SOURCE_LABELS = {
    "online": "Online form",
    "champion": "Digital Champion with the resident",
    "import": "Imported file",
}


def _number(value: Any) -> float | None:
    if value is None:
        return None
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(result) else result


def percent(share: Any) -> str:
    """A share (0-1) as a whole percentage, ``"12%"``; ``"No data"`` when missing."""
    value = _number(share)
    if value is None:
        return "No data"
    return f"{value * 100:.0f}%"


def interval(lower: Any, upper: Any) -> str:
    """A 0-1 interval as ``"8% to 17%"``."""
    low, high = _number(lower), _number(upper)
    if low is None or high is None:
        return ""
    return f"{low * 100:.0f}% to {high * 100:.0f}%"


def people(value: Any) -> str:
    """An estimated number of people, rounded to the nearest 10 (they are estimates)."""
    number = _number(value)
    if number is None:
        return "No data"
    return f"{round(number, -1):,.0f}"


def outcome_labels(estimates: AreaEstimates) -> tuple[dict[str, str], dict[str, str]]:
    """(persona outcomes, barrier outcomes): outcome column -> label, in display order."""
    personas = {f"persona:{key}": estimates.persona_names[key] for key in estimates.persona_keys}
    return personas, dict(BARRIER_OUTCOMES)


@dataclass(frozen=True)
class EstimateCell:
    """One area's estimate of one outcome."""

    share: str
    interval: str
    residents: str
    residents_interval: str


@dataclass(frozen=True)
class EstimateRow:
    """One area's row of a persona or barrier table."""

    code: str
    name: str
    respondents: int
    low_sample: bool
    weighting: str
    cells: tuple[EstimateCell, ...]


def estimate_rows(
    estimates: AreaEstimates, outcomes: Sequence[str], names: Mapping[str, str]
) -> list[EstimateRow]:
    """Rows (one per area, by name) with a cell per outcome, for the planner tables."""
    table = estimates.table
    if table.empty:
        return []
    indexed = table.set_index(["area_code", "outcome"])
    rows = []
    for code in sorted(table["area_code"].unique(), key=lambda c: (names.get(c, c), c)):
        first = indexed.loc[(code, outcomes[0])]
        cells = []
        for outcome in outcomes:
            record = indexed.loc[(code, outcome)]
            cells.append(
                EstimateCell(
                    share=percent(record["share"]),
                    interval=interval(record["share_lower"], record["share_upper"]),
                    residents=people(record["residents"]),
                    residents_interval=(
                        f"{people(record['residents_lower'])} to {people(record['residents_upper'])}"
                        if _number(record["residents_lower"]) is not None
                        else ""
                    ),
                )
            )
        rows.append(
            EstimateRow(
                code=str(code),
                name=names.get(str(code), str(code)),
                respondents=int(first["n"]),
                low_sample=bool(first["low_sample"]),
                weighting=str(first["weighting"]),
                cells=tuple(cells),
            )
        )
    return rows


def estimates_csv_rows(
    estimates: AreaEstimates, names: Mapping[str, str]
) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of the estimates download (one row per area and outcome)."""
    personas, barriers = outcome_labels(estimates)
    labels = {**personas, **barriers}
    header = [
        "area_code",
        "area_name",
        "outcome",
        "outcome_label",
        "respondents",
        "respondents_with",
        "share",
        "share_lower_90",
        "share_upper_90",
        "adults",
        "residents",
        "residents_lower_90",
        "residents_upper_90",
        "weighting",
        "low_sample",
    ]
    rows = []
    for record in estimates.table.to_dict("records"):
        code = str(record["area_code"])

        def rounded(value: Any, digits: int) -> float | None:
            number = _number(value)
            return None if number is None else round(number, digits)

        rows.append(
            [
                code,
                names.get(code, code),
                record["outcome"],
                labels.get(str(record["outcome"]), record["outcome"]),
                int(record["n"]),
                int(record["respondents_with"]),
                rounded(record["share"], 4),
                rounded(record["share_lower"], 4),
                rounded(record["share_upper"], 4),
                rounded(record["adults"], 0),
                rounded(record["residents"], 0),
                rounded(record["residents_lower"], 0),
                rounded(record["residents_upper"], 0),
                record["weighting"],
                bool(record["low_sample"]),
            ]
        )
    return header, rows


# -- councillors' ward figures (small numbers suppressed) ----------------------------------------


@dataclass(frozen=True)
class WardListRow:
    """One ward in the councillors' list."""

    code: str
    name: str
    respondents: str
    enough: bool


def format_respondents(count: int, *, suppress: bool, threshold: int) -> str:
    """A number of respondents, hidden below the threshold when ``suppress``."""
    return format_count(count, threshold=threshold) if suppress else f"{count:,}"


def ward_list(
    names: Mapping[str, str],
    counts: Mapping[str, int],
    *,
    suppress: bool,
    threshold: int,
    min_n: int,
) -> list[WardListRow]:
    """Every ward with its number of respondents (hidden below the threshold for councillors)."""
    rows = []
    for code, name in sorted(names.items(), key=lambda item: (item[1], item[0])):
        count = int(counts.get(code, 0))
        rows.append(
            WardListRow(
                code,
                name,
                format_respondents(count, suppress=suppress, threshold=threshold),
                count >= min_n,
            )
        )
    return rows


@dataclass(frozen=True)
class FigureRow:
    """One persona or barrier in a ward: share, interval and respondents (or why not shown)."""

    label: str
    share: str
    interval: str
    respondents: str


def ward_figures(
    estimates: AreaEstimates, ward_code: str, *, suppress: bool, threshold: int
) -> tuple[list[FigureRow], list[FigureRow], int]:
    """Persona and barrier figures of one ward, and its number of respondents.

    For councillors (``suppress``), respondent counts from 1 to ``threshold - 1`` are hidden with
    :mod:`core.suppression` (secondary suppression too, because the personas add up to the
    ward's respondents), and a share is shown only where its count is.
    """
    table = estimates.table
    if table.empty or ward_code not in set(table["area_code"]):
        return [], [], 0
    ward: dict[str, dict[str, Any]] = {
        str(record["outcome"]): {str(key): value for key, value in record.items()}
        for record in table[table["area_code"] == ward_code].to_dict("records")
    }
    counts = {outcome: int(record["respondents_with"]) for outcome, record in ward.items()}
    respondents = int(next(iter(ward.values()))["n"])
    personas, barriers = outcome_labels(estimates)
    persona_counts = pd.DataFrame(
        {**{outcome: [counts[outcome]] for outcome in personas}, "total": [respondents]}
    )
    hidden_personas: set[str] = set()
    if suppress:
        shown = suppress_table(
            persona_counts, list(personas), total_column="total", threshold=threshold, marker="[c]"
        )
        hidden_personas = {outcome for outcome in personas if shown.loc[0, outcome] == "[c]"}

    def rows(labels: Mapping[str, str], hidden: set[str]) -> list[FigureRow]:
        result = []
        for outcome, label in labels.items():
            record = ward[outcome]
            count = counts[outcome]
            if outcome in hidden:
                result.append(FigureRow(label, "not shown", "", "not shown"))
                continue
            count_text = format_count(count, threshold=threshold) if suppress else f"{count:,}"
            if suppress and count_text.startswith("fewer than"):
                result.append(FigureRow(label, "not shown", "", count_text))
                continue
            result.append(
                FigureRow(
                    label,
                    percent(record["share"]),
                    interval(record["share_lower"], record["share_upper"]),
                    count_text,
                )
            )
        return result

    hidden_barriers = set()
    if suppress:
        hidden_barriers = {outcome for outcome in barriers if 0 < counts[outcome] < threshold}
    return rows(personas, hidden_personas), rows(barriers, hidden_barriers), respondents


# -- one response ---------------------------------------------------------------------------------


def answer_rows(answers: Mapping[str, Any], ward_names: Mapping[str, str]) -> list[dict[str, Any]]:
    """Summary-list rows of a stored response's answers (questions asked only)."""
    rows = []
    for question in QUESTION_SET.questions:
        code = answers.get(question.column)
        if code in (None, ""):
            continue
        if question.column == "ward_code":
            text = f"{ward_names.get(str(code), str(code))} ({code})"
        elif question.answers:
            try:
                text = question.label_for(str(code))
            except KeyError:
                text = str(code)
        else:
            text = str(code)
        label = "Postcode district" if question.column == "postcode" else question.text
        rows.append({"key": {"text": label}, "value": {"text": text}})
    return rows


def score_rows(scores: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Summary-list rows of a response's scores (Essential Digital Skills and GDS scale)."""
    gds = scores.get("gds_scale")
    wanted = [
        ("eds_level", "Essential Digital Skills level"),
        ("foundation_tasks", "Foundation tasks done on their own (of 8)"),
        ("life_areas", "Skills for life areas (of 5)"),
        ("work_areas", "Skills for work areas (of 5)"),
        ("confidence", "Confidence"),
        ("n_barriers", "Barriers reported"),
    ]
    rows = [
        {
            "key": {"text": "GDS digital inclusion scale"},
            "value": {"text": f"{gds}: {GDS_LABELS.get(int(gds), '')}" if gds else "Not scored"},
        }
    ]
    for field_name, label in wanted:
        value = scores.get(field_name)
        rows.append(
            {"key": {"text": label}, "value": {"text": "Not asked" if value is None else value}}
        )
    flags = [
        SCORED_FIELDS[name].true_text
        for name in (
            "smartphone_only",
            "no_device",
            "mobile_dependent",
            "data_runs_out",
            "willing_to_learn",
            "disabled",
        )
        if scores.get(name) is True
    ]
    if flags:
        rows.append({"key": {"text": "Also"}, "value": {"text": "; ".join(flags)}})
    return rows


# -- the exclusion-risk index ---------------------------------------------------------------------


def score_text(value: Any) -> str:
    """An index or component score (0-10) with one decimal place."""
    number = _number(value)
    return "No data" if number is None else f"{number:.1f}"


def index_tables(
    view: IndexView, ward_names: Mapping[str, str], lsoa_names: Mapping[str, str]
) -> dict[str, list[list[dict[str, Any]]]]:
    """Rows for the GOV.UK tables of the index page (LSOAs, wards, correlations, bands).

    LSOAs are named from the IMD file (2011 names) or, failing that, the stored LSOA of the same
    code.
    """
    components = [component.key for component in view.spec.components]
    lsoa_rows = []
    for code, record in view.lsoas.iterrows():
        ward = record["ward_code"]
        name = record["name"] if isinstance(record["name"], str) else lsoa_names.get(str(code))
        lsoa_rows.append(
            [
                {"text": f"{name} ({code})" if name else str(code)},
                {"text": ward_names.get(str(ward), str(ward)) if isinstance(ward, str) else ""},
                *[{"text": score_text(record[key]), "format": "numeric"} for key in components],
                {"text": score_text(record["index"]), "format": "numeric"},
                {"text": f"{int(record['rank'])}", "format": "numeric"},
            ]
        )
    ward_rows = [
        [
            {"text": ward_names.get(str(code), str(code))},
            {"text": score_text(record["index"]), "format": "numeric"},
            {"text": f"{record['population']:,.0f}", "format": "numeric"},
            {"text": f"{int(record['lsoas'])}", "format": "numeric"},
        ]
        for code, record in view.wards.iterrows()
    ]
    labels = {component.key: component.label for component in view.spec.components}
    correlation_rows = [
        [
            {"text": labels.get(str(row), str(row))},
            *[
                {
                    "text": score_text_correlation(view.result.correlations.loc[row, column]),
                    "format": "numeric",
                }
                for column in view.result.correlations.columns
            ],
        ]
        for row in view.result.correlations.index
    ]
    band_rows = [
        [
            {"text": str(record["band"])},
            {"text": f"{int(record['lsoas'])}", "format": "numeric"},
            {"text": f"{record['population']:,.0f}", "format": "numeric"},
            {"text": percent(record["share"]), "format": "numeric"},
        ]
        for record in view.bands.to_dict("records")
        if int(record["lsoas"]) > 0
    ]
    weight_rows = [
        [
            {"text": labels.get(str(record["component"]), str(record["component"]))},
            {"text": str(record["label"])},
            {"text": percent(record["weight_in_component"]), "format": "numeric"},
            {"text": percent(record["overall_weight"]), "format": "numeric"},
        ]
        for record in view.result.weights.to_dict("records")
    ]
    return {
        "lsoas": lsoa_rows,
        "wards": ward_rows,
        "correlations": correlation_rows,
        "bands": band_rows,
        "weights": weight_rows,
    }


def score_text_correlation(value: Any) -> str:
    """A correlation coefficient with two decimal places."""
    number = _number(value)
    return "No data" if number is None else f"{number:.2f}"
