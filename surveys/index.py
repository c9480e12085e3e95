"""An exclusion-risk index by LSOA and ward, built with the method of the DERI.

Method (Greater Manchester Digital Exclusion Risk Index, v1-v1.6)
------------------------------------------------------------------
* **Indicator score.**  Each indicator *x* is scaled 0-10 by min-max over a reference set of areas
  chosen by the user (``scale_over``: the council's LSOAs, a region, or all of England):
  ``10 (x - min) / (max - min)``, or ``10 (max - x) / (max - min)`` where a higher value is better
  (average speed, IMD ranks, the Digital Propensity Index).  Areas outside the reference set are
  clipped to 0-10.  An indicator that is constant over the reference set scores 0 everywhere and
  is reported in ``notes``.
* **Weights** are whole numbers 0-10 set by the user; each is used as its share of the total
  (weights 4, 5 and 6 mean 4/15, 5/15, 6/15), for indicators within a component and for components
  within the index.  An area missing an indicator is scored on the others of that component, with
  their weights re-normalised; ``indicators_missing`` counts the gaps.
* **Component score** = weighted mean of its indicator scores (0-10); **index** = weighted mean of
  the component scores (0-10, higher = higher risk).

Default components (:func:`default_index_spec`)
-----------------------------------------------
The defaults are the DERI's, with **equal weights for the components** as in the DERI, plus the
digital-activity component DERI users asked for (the ONS Digital Propensity Index).  Nothing is
tuned to any data file.  Indicators within a component use the DERI v1.4 weights.  Where the
DERI's source is not an open LSOA table in this service, the closest open measure stands in and a
note says so:

* **Demography** (DERI v1.4: % aged 65-74, % aged 75+, % limited a lot or a little, % social grade
  DE, one quarter each).  The Census 2021 six-band age table has only 65+, so when
  ``share_65_74``/``share_75_plus`` are not given, ``share_65_plus`` stands in for both, with their
  combined weight.  Without ``share_disabled``, the IMD Health Deprivation and Disability rank
  stands in.  Social grade DE is left out unless ``share_grade_de`` is given.
* **Deprivation** (DERI: Pension Credit 20%, no qualifications 40%, claimant unemployment 20%,
  IMD score 20%).  Stand-ins from IMD 2019 File 2 ranks: Income (for Pension Credit), Education,
  Skills and Training (for no qualifications), Employment (for claimant unemployment) and the IMD
  rank, weights 1:2:1:1.  File 7 scores are not used, so ranks are scaled, not scores.
* **Broadband** (DERI: % unable to get 30 Mbit/s, % of connections under 10 Mbit/s, average
  download speed, a third each), from the coverage model or imported Ofcom Connected Nations data:
  ``share_below_30mbps``, ``share_below_uso`` and ``mean_download_mbps`` (reversed).  Left out
  (with a note) when no broadband input is given.
* **Digital activity**: ``dpi_score``, reversed (higher propensity = lower risk).

A component correlation matrix (Spearman) is returned so double counting, for example of IMD in
both demography and deprivation, is visible.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from core.errors import DomainError
from geo.sources.ons_tables import AGE_COLUMNS


@dataclass(frozen=True)
class Indicator:
    """One indicator: an input column, its weight (0-10) and its direction."""

    column: str
    label: str
    weight: int = 1
    higher_is_worse: bool = True


@dataclass(frozen=True)
class Component:
    """A component of the index: a weighted group of indicators."""

    key: str
    label: str
    weight: int
    indicators: tuple[Indicator, ...]


@dataclass(frozen=True)
class IndexSpec:
    """The components and weights of an index, with notes on any stand-in indicators."""

    components: tuple[Component, ...]
    notes: tuple[str, ...] = ()

    def with_weights(self, weights: Mapping[str, int]) -> IndexSpec:
        """Return a copy with new component weights (key -> whole number 0-10)."""
        unknown = set(weights) - {component.key for component in self.components}
        if unknown:
            raise DomainError(f"Unknown component(s): {', '.join(sorted(unknown))}.")
        return IndexSpec(
            tuple(
                Component(c.key, c.label, weights.get(c.key, c.weight), c.indicators)
                for c in self.components
            ),
            self.notes,
        )


@dataclass(frozen=True)
class ExclusionIndex:
    """The result of :func:`exclusion_index`."""

    scores: pd.DataFrame
    """By area: ``<column>_score`` per indicator, one column per component, ``index``,
    ``indicators_missing``."""
    weights: pd.DataFrame
    """Component, indicator, weight in component and overall weight (shares, summing to 1)."""
    scale: pd.DataFrame
    """Reference minimum and maximum of each indicator."""
    correlations: pd.DataFrame
    """Spearman correlation between component scores."""
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def index(self) -> pd.Series:
        """The index (0-10) by area, named ``index``."""
        return self.scores["index"]


def _check_weight(weight: int, where: str) -> None:
    if isinstance(weight, bool) or not isinstance(weight, int) or not 0 <= weight <= 10:
        raise DomainError(f"{where}: weights are whole numbers from 0 to 10, not {weight!r}.")


def default_index_spec(available: Collection[str]) -> IndexSpec:
    """Return the DERI-method default index for the input columns available.

    Parameters
    ----------
    available:
        Column names of the input table (see :func:`index_inputs`).

    Returns
    -------
    IndexSpec
        Components demography, deprivation, broadband and digital activity, each with weight 1,
        built from whichever indicators are available; notes list every stand-in and omission.
    """
    have = set(available)
    notes: list[str] = []
    demography: list[Indicator] = []
    if {"share_65_74", "share_75_plus"} <= have:
        demography += [
            Indicator("share_65_74", "Share aged 65-74"),
            Indicator("share_75_plus", "Share aged 75+"),
        ]
    elif "share_65_plus" in have:
        demography.append(Indicator("share_65_plus", "Share aged 65+", weight=2))
        notes.append(
            "Demography: the Census 2021 table has only 65+, so the share aged 65+ stands in for "
            "the DERI's two indicators (65-74 and 75+) with their combined weight."
        )
    if "share_disabled" in have:
        demography.append(Indicator("share_disabled", "Share whose activities are limited"))
    elif "health_rank" in have:
        demography.append(
            Indicator("health_rank", "IMD health and disability rank", higher_is_worse=False)
        )
        notes.append(
            "Demography: the IMD 2019 Health Deprivation and Disability rank stands in for the "
            "share whose day-to-day activities are limited."
        )
    if "share_grade_de" in have:
        demography.append(Indicator("share_grade_de", "Share in social grade DE"))
    else:
        notes.append("Demography: social grade DE is left out (no input given).")

    deprivation: list[Indicator] = []
    for preferred, label, stand_in, stand_label, weight in (
        (
            "share_pension_credit",
            "Share of over-65s on Pension Credit",
            "income_rank",
            "IMD income rank",
            1,
        ),
        (
            "share_no_qualifications",
            "Share with no qualifications",
            "education_rank",
            "IMD education, skills and training rank",
            2,
        ),
        (
            "unemployment_rate",
            "Claimant unemployment rate",
            "employment_rank",
            "IMD employment rank",
            1,
        ),
    ):
        if preferred in have:
            deprivation.append(Indicator(preferred, label, weight))
        elif stand_in in have:
            deprivation.append(Indicator(stand_in, stand_label, weight, higher_is_worse=False))
            notes.append(f"Deprivation: the {stand_label} stands in for the {label.lower()}.")
    if "imd_rank" in have:
        deprivation.append(Indicator("imd_rank", "IMD rank", 1, higher_is_worse=False))

    broadband = [
        Indicator(column, label, 1, higher_is_worse=worse)
        for column, label, worse in (
            ("share_below_30mbps", "Share of premises unable to get 30 Mbit/s", True),
            ("share_below_uso", "Share of premises below the USO (10/1 Mbit/s)", True),
            ("mean_download_mbps", "Average download speed", False),
        )
        if column in have
    ]
    if not broadband:
        notes.append(
            "Broadband: no broadband input was given, so the index uses the other components."
        )
    activity = (
        [Indicator("dpi_score", "ONS Digital Propensity Index", higher_is_worse=False)]
        if "dpi_score" in have
        else []
    )
    if not activity:
        notes.append("Digital activity: no Digital Propensity Index input was given.")
    components = tuple(
        Component(key, label, 1, tuple(indicators))
        for key, label, indicators in (
            ("demography", "Demography", demography),
            ("deprivation", "Deprivation", deprivation),
            ("broadband", "Broadband", broadband),
            ("digital_activity", "Digital activity", activity),
        )
        if indicators
    )
    if not components:
        raise DomainError("None of the index's indicators is in the input table.")
    return IndexSpec(components, tuple(notes))


def _validate(spec: IndexSpec, inputs: pd.DataFrame) -> None:
    if not spec.components:
        raise DomainError("The index needs at least one component.")
    for component in spec.components:
        _check_weight(component.weight, f"Component {component.label}")
        if not component.indicators:
            raise DomainError(f"Component {component.label} has no indicators.")
        for indicator in component.indicators:
            _check_weight(indicator.weight, f"{component.label}, {indicator.label}")
            if indicator.column not in inputs.columns:
                raise DomainError(
                    f"{component.label}, {indicator.label}: the input table has no column "
                    f"{indicator.column!r}."
                )
        if sum(indicator.weight for indicator in component.indicators) == 0:
            raise DomainError(f"Component {component.label}: at least one weight must be above 0.")
    if sum(component.weight for component in spec.components) == 0:
        raise DomainError("At least one component weight must be above 0.")


def _weighted_mean(scores: pd.DataFrame, weights: np.ndarray) -> pd.Series:
    values = scores.to_numpy(dtype=float)
    present = ~np.isnan(values)
    w = np.where(present, weights, 0.0)
    total = w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(total > 0, np.nansum(values * w, axis=1) / total, np.nan)
    return pd.Series(mean, index=scores.index)


def exclusion_index(
    inputs: pd.DataFrame,
    spec: IndexSpec | None = None,
    *,
    scale_over: Collection[str] | None = None,
) -> ExclusionIndex:
    """Compute the exclusion-risk index for each area (LSOA).

    Parameters
    ----------
    inputs:
        Indicators by area (index: area code, usually ``LSOA11CD``), e.g. from
        :func:`index_inputs`.  Shares are fractions 0-1, speeds Mbit/s, ranks 1 = most deprived.
    spec:
        Components and weights; :func:`default_index_spec` of the input columns by default.
    scale_over:
        Area codes whose minimum and maximum scale each indicator (DERI's "reactive min-max");
        all areas in ``inputs`` by default.

    Returns
    -------
    ExclusionIndex
        Scores 0-10 (higher = higher risk) by area; the method is in the module docstring.
    """
    spec = default_index_spec(inputs.columns) if spec is None else spec
    _validate(spec, inputs)
    if inputs.index.has_duplicates:
        raise DomainError("Each area may appear only once in the index inputs.")
    reference = inputs.index if scale_over is None else pd.Index(list(scale_over))
    outside = reference.difference(inputs.index)
    if len(outside):
        raise DomainError(
            f"scale_over names {len(outside)} area(s) not in the inputs, e.g. {outside[0]}."
        )
    notes = list(spec.notes)
    scores = pd.DataFrame(index=inputs.index)
    scale_rows = []
    weight_rows = []
    component_total = sum(component.weight for component in spec.components)
    for component in spec.components:
        indicator_total = sum(indicator.weight for indicator in component.indicators)
        columns = []
        for indicator in component.indicators:
            values = pd.to_numeric(inputs[indicator.column], errors="coerce").astype(float)
            ref = values.loc[reference]
            low, high = ref.min(), ref.max()
            name = f"{indicator.column}_score"
            if not np.isfinite(low) or not np.isfinite(high) or high == low:
                scaled = pd.Series(np.where(values.notna(), 0.0, np.nan), index=values.index)
                notes.append(
                    f"{component.label}: {indicator.label} is the same in every reference area "
                    "(or missing), so it scores 0."
                )
            else:
                span = high - low
                raw = (values - low) / span if indicator.higher_is_worse else (high - values) / span
                scaled = (10.0 * raw).clip(0.0, 10.0)
            scores[name] = scaled
            columns.append(name)
            scale_rows.append(
                {
                    "indicator": indicator.column,
                    "minimum": low,
                    "maximum": high,
                    "higher_is_worse": indicator.higher_is_worse,
                }
            )
            weight_rows.append(
                {
                    "component": component.key,
                    "indicator": indicator.column,
                    "label": indicator.label,
                    "weight_in_component": indicator.weight / indicator_total,
                    "overall_weight": indicator.weight
                    / indicator_total
                    * component.weight
                    / component_total,
                }
            )
        weights = np.array([indicator.weight for indicator in component.indicators], dtype=float)
        scores[component.key] = _weighted_mean(scores[columns], weights)
    component_keys = [component.key for component in spec.components]
    component_weights = np.array([component.weight for component in spec.components], dtype=float)
    scores["index"] = _weighted_mean(scores[component_keys], component_weights)
    indicator_columns = [
        indicator.column for component in spec.components for indicator in component.indicators
    ]
    scores["indicators_missing"] = inputs[indicator_columns].isna().sum(axis=1).astype("int64")
    correlations = component_correlations(scores[component_keys])
    return ExclusionIndex(
        scores=scores,
        weights=pd.DataFrame(weight_rows),
        scale=pd.DataFrame(scale_rows).set_index("indicator"),
        correlations=correlations,
        notes=tuple(notes),
    )


def component_correlations(components: pd.DataFrame, *, method: str = "spearman") -> pd.DataFrame:
    """Return the correlation matrix of component (or indicator) scores.

    A high correlation between two components (for example demography and deprivation, which
    both use IMD domains) shows that the index counts the same thing twice.
    """
    if method not in ("spearman", "pearson", "kendall"):
        raise DomainError("Correlation method must be spearman, pearson or kendall.")
    return components.corr(method=method)  # type: ignore[arg-type]


def census_ages_by_lsoa11(ages21: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """Re-base Census 2021 age counts from LSOA 2021 to LSOA 2011.

    Parameters
    ----------
    ages21:
        Output of :func:`geo.sources.ons_tables.read_census_age` (index ``LSOA21CD``).
    pairs:
        One row per LSOA 2011 - LSOA 2021 pair with columns ``LSOA11CD`` and ``LSOA21CD``
        (every 2021 child of a split 2011 LSOA must be listed).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``LSOA11CD``: the six age columns, ``adults`` and ``total`` (people).  A 2011
        LSOA takes the sum of its 2021 children; a 2021 LSOA formed by merging 2011 LSOAs is
        shared equally among them (their shares then equal the merged area's).

    Raises
    ------
    DomainError
        If a 2021 LSOA in ``pairs`` has no census counts.
    """
    for column in ("LSOA11CD", "LSOA21CD"):
        if column not in pairs.columns:
            raise DomainError(f"The LSOA lookup needs a {column} column.")
    links = pairs[["LSOA11CD", "LSOA21CD"]].drop_duplicates()
    absent = sorted(set(links["LSOA21CD"]) - set(ages21.index))
    if absent:
        raise DomainError(f"No census counts for LSOA 2021 code(s) {', '.join(absent[:5])}.")
    value_columns = [*AGE_COLUMNS, "adults", "total"]
    parents = links.groupby("LSOA21CD")["LSOA11CD"].transform("size")
    counts = ages21.loc[links["LSOA21CD"], value_columns].to_numpy(dtype=float)
    shared = pd.DataFrame(
        counts / parents.to_numpy()[:, None], columns=value_columns, index=links.index
    )
    shared["LSOA11CD"] = links["LSOA11CD"].to_numpy()
    return shared.groupby("LSOA11CD")[value_columns].sum()


def index_inputs(
    *,
    imd: pd.DataFrame | None = None,
    dpi: pd.DataFrame | None = None,
    ages: pd.DataFrame | None = None,
    broadband: pd.DataFrame | None = None,
    extra: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Join the index inputs into one table by LSOA 2011 code.

    Parameters
    ----------
    imd:
        Output of :func:`geo.sources.ons_tables.read_imd2019` (ranks are taken).
    dpi:
        Output of :func:`geo.sources.ons_tables.read_digital_propensity`.
    ages:
        Ages by LSOA 2011 (see :func:`census_ages_by_lsoa11`); gives ``share_65_plus``
        (of all residents, as the DERI does) and ``population``.
    broadband:
        Broadband indicators by LSOA 2011: ``share_below_30mbps``, ``share_below_uso`` (0-1),
        ``mean_download_mbps``.
    extra:
        Any other indicators by LSOA 2011 (e.g. ``share_75_plus``, ``share_disabled``).

    Returns
    -------
    pandas.DataFrame
        One row per LSOA present in every table given (inner join), indexed by ``LSOA11CD``.
    """
    parts: list[pd.DataFrame] = []
    if imd is not None:
        ranks = [column for column in imd.columns if column.endswith(("_rank", "_decile"))]
        parts.append(imd[ranks])
    if dpi is not None:
        parts.append(dpi[["dpi_score"]])
    if ages is not None:
        parts.append(
            pd.DataFrame(
                {
                    "share_65_plus": ages["age_65_plus"] / ages["total"],
                    "population": ages["total"],
                    "adults": ages["adults"],
                },
                index=ages.index,
            )
        )
    if broadband is not None:
        known = ["share_below_30mbps", "share_below_uso", "mean_download_mbps"]
        parts.append(broadband[[column for column in known if column in broadband.columns]])
    if extra is not None:
        parts.append(extra)
    if not parts:
        raise DomainError("Give at least one input table.")
    joined = parts[0]
    for part in parts[1:]:
        joined = joined.join(part, how="inner")
    joined.index.name = "LSOA11CD"
    return joined


def index_by_area(
    index: pd.Series, area_of: pd.Series, population: pd.Series, *, area_name: str = "area_code"
) -> pd.DataFrame:
    """Population-weighted index for larger areas (for example wards) from LSOA scores.

    Parameters
    ----------
    index:
        Index (0-10) by LSOA.
    area_of:
        LSOA code -> area code (best fit).
    population:
        Residents by LSOA (people), the weights.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``area_name``: ``index`` (population-weighted mean), ``population`` and
        ``lsoas`` (number of LSOAs).
    """
    frame = pd.DataFrame({"index": index, "area": area_of, "population": population})
    missing = frame.index[frame["area"].isna() & frame["index"].notna()]
    if len(missing):
        raise DomainError(f"No area for LSOA(s) {', '.join(map(str, missing[:5]))}.")
    frame = frame.dropna(subset=["index", "area", "population"])
    frame["weighted"] = frame["index"] * frame["population"]
    grouped = frame.groupby("area").agg(
        weighted=("weighted", "sum"), population=("population", "sum"), lsoas=("index", "size")
    )
    result = pd.DataFrame(
        {
            "index": grouped["weighted"] / grouped["population"],
            "population": grouped["population"],
            "lsoas": grouped["lsoas"].astype("int64"),
        }
    )
    result.index.name = area_name
    return result


def population_in_bands(
    index: pd.Series, population: pd.Series, *, edges: Sequence[float] = tuple(range(11))
) -> pd.DataFrame:
    """Share of residents living in LSOAs whose index falls in each band (Trafford style).

    For example "7.7% of residents live in LSOAs scoring 5-6".  Bands are ``[a, b)``; the last
    band includes its upper edge.

    Returns
    -------
    pandas.DataFrame
        One row per band: ``band`` ("5-6"), ``lsoas``, ``population`` (people), ``share`` (0-1).
    """
    values = pd.to_numeric(index, errors="coerce")
    people = population.reindex(values.index)
    bins = pd.cut(values, bins=list(edges), right=False, include_lowest=True)
    last = values == edges[-1]
    labels = [f"{edges[i]:g}-{edges[i + 1]:g}" for i in range(len(edges) - 1)]
    codes = bins.cat.codes.to_numpy().copy()
    codes[last.to_numpy()] = len(labels) - 1
    frame = pd.DataFrame({"code": codes, "population": people.to_numpy()})
    frame = frame[frame["code"] >= 0]
    grouped = frame.groupby("code").agg(
        lsoas=("population", "size"), population=("population", "sum")
    )
    grouped = grouped.reindex(range(len(labels)), fill_value=0)
    total = grouped["population"].sum()
    return pd.DataFrame(
        {
            "band": labels,
            "lsoas": grouped["lsoas"].to_numpy(dtype="int64"),
            "population": grouped["population"].to_numpy(),
            "share": grouped["population"].to_numpy() / total if total else np.nan,
        }
    )


def compare_with_deri(
    index_by_lsoa11: pd.Series, deri_frame: pd.DataFrame
) -> tuple[pd.DataFrame, float]:
    """Compare the index with DERI scores for the same LSOAs (2011).

    Parameters
    ----------
    index_by_lsoa11:
        Our index (0-10) by LSOA 2011 code.
    deri_frame:
        Output of :func:`geo.sources.ons_tables.read_deri` (``deri_score``) or a table with the
        published column ``deri_score_national``, indexed by LSOA 2011 code.

    Returns
    -------
    tuple
        A table by LSOA (``index``, ``deri_score``, their ranks within the compared areas, 1 =
        highest risk, and ``rank_difference``) and the Spearman rank correlation.

    Raises
    ------
    DomainError
        If fewer than three LSOAs are in both.
    """
    column = "deri_score" if "deri_score" in deri_frame.columns else "deri_score_national"
    if column not in deri_frame.columns:
        raise DomainError("The DERI table needs a deri_score (or deri_score_national) column.")
    table = (
        pd.DataFrame({"index": index_by_lsoa11})
        .join(deri_frame[[column]].rename(columns={column: "deri_score"}), how="inner")
        .dropna()
    )
    if len(table) < 3:
        raise DomainError("Fewer than three LSOAs are in both the index and the DERI table.")
    table["index_rank"] = table["index"].rank(ascending=False, method="average")
    table["deri_rank"] = table["deri_score"].rank(ascending=False, method="average")
    table["rank_difference"] = table["index_rank"] - table["deri_rank"]
    rho = float(spearmanr(table["index"], table["deri_score"]).statistic)
    table.index.name = index_by_lsoa11.index.name or "LSOA11CD"
    return table, rho
