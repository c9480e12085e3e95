"""Area estimates from the survey: share and number of residents per persona and barrier.

Method
------
**Post-stratification** to the Census 2021 adult population of each area (ward or LSOA).  Within an
area, each respondent in cell *c* gets the weight ``N_c / n_c``: the adults living in the area in
that cell divided by the respondents in it.  Weights in an area add up to its adult population,
so the weighted share is ``sum(w * y) / sum(w)`` and the number of residents is share × adults.

**Cells.**  The survey's age bands map to the Census 2021 adult bands (16-24, 25-34, 35-49, 50-64,
65+; the survey's 65-74 and 75+ both go to 65+ because the census table has only 65+).  Cells may
also be crossed with an IMD deprivation band of the respondent's LSOA.  For each area the first
scheme in this list whose every populated cell has at least ``min_cell_n`` respondents is used:

1. age (5 bands) × IMD band (only if every respondent in the area has an IMD band),
2. age (5 bands),
3. age (3 bands: 16-34, 35-64, 65+),
4. age (2 bands: 16-64, 65+),
5. none: one cell, i.e. the unweighted sample share.

The scheme used is reported for each area (``weighting``).  Respondents who did not give their age
are left out of the weighted estimates (``n_excluded``); a cell holding respondents but no census
population (a sign of a wrong code) also rules a scheme out.

**Intervals** (default 90%) are Wilson score intervals with an effective sample size in place of
*n*.  For each share the effective size is ``p (1 - p) / v`` where ``v`` is the usual
post-stratified variance ``sum_c (N_c / N)² s_c² / n_c`` (``s_c²`` the within-cell sample
variance, ``N_c / N`` the cell's share of the area's adults), capped at the number of respondents:
the interval is never narrower than a simple random sample of the same size would give.  Where the
share is 0 or 1 (so ``v`` is 0) Kish's effective sample size from the weights,
``n_eff = (sum w)² / sum(w²)``, is used instead; Kish's size is also reported for every area
(``n_effective``; the design effect of the weights is ``n / n_eff``).  Wilson keeps the interval
inside 0-1 and does not collapse to zero width at 0 or 1.  In simulations (see the tests) the
intervals cover the true share 89-97% of the time; the cap makes them conservative when the
weighting cells explain much of the outcome.  The finite population correction is ignored (a ward
has thousands of adults, a survey tens to hundreds of respondents), as is any clustering in how
people were reached.

**Small samples.**  Areas with fewer than ``min_n`` respondents (default 30) are flagged
``low_sample``: show them with a warning or not at all.  Suppression of small counts for
publication is separate: see :mod:`core.suppression`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from core.errors import DomainError
from geo.sources.ons_tables import ADULT_AGE_COLUMNS

CENSUS_ADULT_BANDS: tuple[str, ...] = ("16-24", "25-34", "35-49", "50-64", "65+")
"""Census 2021 adult age bands used as weighting cells (from the six-band table)."""

SURVEY_TO_CENSUS_BAND: dict[str, str] = {
    "16-24": "16-24",
    "25-34": "25-34",
    "35-49": "35-49",
    "50-64": "50-64",
    "65-74": "65+",
    "75+": "65+",
}
"""Survey age band -> census band.  ``prefer_not`` has no band."""

CENSUS_COLUMN_TO_BAND: dict[str, str] = dict(
    zip(ADULT_AGE_COLUMNS, CENSUS_ADULT_BANDS, strict=True)
)
"""Column of :func:`geo.sources.ons_tables.read_census_age` -> census band."""


@dataclass(frozen=True)
class Scheme:
    """A post-stratification scheme: how census bands group into cells, with or without IMD."""

    name: str
    groups: Mapping[str, str]
    use_imd: bool


_FIVE = {band: band for band in CENSUS_ADULT_BANDS}
_THREE = {"16-24": "16-34", "25-34": "16-34", "35-49": "35-64", "50-64": "35-64", "65+": "65+"}
_TWO = {"16-24": "16-64", "25-34": "16-64", "35-49": "16-64", "50-64": "16-64", "65+": "65+"}
_ONE = dict.fromkeys(CENSUS_ADULT_BANDS, "16+")

SCHEMES: tuple[Scheme, ...] = (
    Scheme("age (5 bands) x IMD band", _FIVE, True),
    Scheme("age (5 bands)", _FIVE, False),
    Scheme("age (3 bands: 16-34, 35-64, 65+)", _THREE, False),
    Scheme("age (2 bands: 16-64, 65+)", _TWO, False),
    Scheme("none (unweighted)", _ONE, False),
)
"""Post-stratification schemes, most detailed first."""

NO_RESPONDENTS = "no respondents"


def imd_band(decile: pd.Series, *, cuts: tuple[int, int] = (3, 7)) -> pd.Series:
    """Group IMD 2019 deciles (1 = most deprived) into three bands for weighting.

    Parameters
    ----------
    decile:
        IMD deciles 1-10, indexed by area.
    cuts:
        Upper deciles of the first two bands; the default gives ``deciles 1-3``,
        ``deciles 4-7`` and ``deciles 8-10``.

    Returns
    -------
    pandas.Series
        Band labels named ``imd_band``, aligned to ``decile``.
    """
    low, high = cuts
    if not 1 <= low < high < 10:
        raise DomainError("IMD band cuts must satisfy 1 <= first < second < 10.")
    values = pd.to_numeric(decile, errors="coerce")
    bands = np.select(
        [values <= low, values <= high, values <= 10],
        [f"deciles 1-{low}", f"deciles {low + 1}-{high}", f"deciles {high + 1}-10"],
        default="",
    )
    result = pd.Series(bands, index=decile.index, name="imd_band", dtype=object)
    return result.where(values.between(1, 10), None)


def population_cells(
    ages: pd.DataFrame,
    *,
    area_of: pd.Series | None = None,
    imd_band_of: pd.Series | None = None,
    area_name: str = "area_code",
) -> pd.DataFrame:
    """Build the census population cells (adults by area, age band and optional IMD band).

    Parameters
    ----------
    ages:
        Census 2021 usual residents by LSOA (index) with the adult columns of
        :func:`geo.sources.ons_tables.read_census_age` (``age_16_24`` … ``age_65_plus``).
    area_of:
        LSOA code -> area code (for example ward) to aggregate to; ``None`` keeps LSOAs.
    imd_band_of:
        LSOA code -> IMD band (see :func:`imd_band`), to cross age with deprivation.
    area_name:
        Name of the area column in the result.

    Returns
    -------
    pandas.DataFrame
        Long table with columns ``area_name``, ``age_band``, ``imd_band`` (if given) and
        ``population`` (people).
    """
    missing = [column for column in ADULT_AGE_COLUMNS if column not in ages.columns]
    if missing:
        raise DomainError(f"The population table has no column(s) {', '.join(missing)}.")
    frame = ages[list(ADULT_AGE_COLUMNS)].rename(columns=CENSUS_COLUMN_TO_BAND)
    codes = frame.index.to_series()
    area = codes if area_of is None else codes.map(area_of)
    if area.isna().any():
        unmatched = ", ".join(codes[area.isna()].head(5).tolist())
        raise DomainError(f"No area for LSOA(s) {unmatched} in the LSOA-to-area lookup.")
    keys: dict[str, pd.Series] = {area_name: area}
    if imd_band_of is not None:
        band = codes.map(imd_band_of)
        if band.isna().any():
            unmatched = ", ".join(codes[band.isna()].head(5).tolist())
            raise DomainError(f"No IMD band for LSOA(s) {unmatched}.")
        keys["imd_band"] = band
    long = frame.assign(**keys).melt(
        id_vars=list(keys), var_name="age_band", value_name="population"
    )
    group = [area_name, "age_band", *(["imd_band"] if imd_band_of is not None else [])]
    return long.groupby(group, sort=True)["population"].sum().reset_index()


def wilson_interval(
    share: np.ndarray | pd.Series,
    n_effective: np.ndarray | pd.Series,
    *,
    confidence: float = 0.90,
) -> tuple[np.ndarray, np.ndarray]:
    """Return the Wilson score interval of a share with an effective sample size.

    Parameters
    ----------
    share:
        Estimated proportions (0-1).
    n_effective:
        Kish effective sample sizes (NaN or 0 gives a NaN interval).
    confidence:
        Two-sided confidence level, for example 0.90.

    Returns
    -------
    tuple of numpy.ndarray
        Lower and upper limits (0-1).
    """
    p = np.asarray(share, dtype=float)
    n = np.asarray(n_effective, dtype=float)
    z = float(norm.ppf(0.5 + confidence / 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        denominator = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denominator
        half = z / denominator * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
        lower = np.clip(centre - half, 0.0, 1.0)
        upper = np.clip(centre + half, 0.0, 1.0)
    bad = ~(n > 0) | np.isnan(p)
    lower[bad] = np.nan
    upper[bad] = np.nan
    return lower, upper


@dataclass(frozen=True)
class Weights:
    """Post-stratification weights and the scheme used in each area."""

    weights: pd.Series
    """Weight of each respondent (people represented); NaN for respondents left out."""
    cells: pd.Series
    """Weighting cell of each respondent (``area|band[|imd]``); None for respondents left out."""
    scheme: pd.Series
    """Scheme name by area code."""
    adults: pd.Series
    """Adult population by area code."""


def _check_inputs(
    respondents: pd.DataFrame, population: pd.DataFrame, area_column: str, use_imd: bool
) -> None:
    for column in (area_column, "age_band"):
        if column not in respondents.columns:
            raise DomainError(f"The respondents table has no {column!r} column.")
    for column in (area_column, "age_band", "population"):
        if column not in population.columns:
            raise DomainError(f"The population table has no {column!r} column.")
    unknown_bands = set(population["age_band"]) - set(CENSUS_ADULT_BANDS)
    if unknown_bands:
        raise DomainError(
            f"Unknown census age band(s) {sorted(unknown_bands)}; use {list(CENSUS_ADULT_BANDS)}."
        )
    if use_imd and "imd_band" not in respondents.columns:
        raise DomainError("Crossing with IMD needs an 'imd_band' column in the respondents table.")
    if (population["population"] < 0).any():
        raise DomainError("Population counts cannot be negative.")


def poststratification_weights(
    respondents: pd.DataFrame,
    population: pd.DataFrame,
    *,
    area_column: str,
    min_cell_n: int = 10,
    schemes: Sequence[Scheme] = SCHEMES,
) -> Weights:
    """Return each respondent's post-stratification weight and the scheme used per area.

    Parameters
    ----------
    respondents:
        One row per respondent with ``area_column``, ``age_band`` (survey bands) and, to cross
        with deprivation, ``imd_band``.
    population:
        Census cells from :func:`population_cells` (``area_column``, ``age_band``,
        optionally ``imd_band``, ``population``).  Without ``imd_band`` the IMD scheme is skipped.
    area_column:
        The area code column (for example ``ward_code`` or ``lsoa21_code``).
    min_cell_n:
        Fewest respondents a populated cell may have for a scheme to be used (the last scheme,
        one cell, needs only one respondent).
    schemes:
        Schemes to try, most detailed first; the last should have a single cell.

    Returns
    -------
    Weights
        See the module docstring for the method.
    """
    has_imd = "imd_band" in population.columns
    _check_inputs(respondents, population, area_column, False)
    band = respondents["age_band"].astype(object).map(SURVEY_TO_CENSUS_BAND)
    area = respondents[area_column].astype(object)
    usable = band.notna() & area.notna()
    imd = (
        respondents["imd_band"].astype(object)
        if "imd_band" in respondents.columns
        else pd.Series(None, index=respondents.index, dtype=object)
    )
    adults = population.groupby(area_column)["population"].sum()
    unknown_areas = set(area[usable]) - set(adults.index)
    if unknown_areas:
        listed = ", ".join(sorted(map(str, unknown_areas))[:5])
        raise DomainError(f"Respondents live in area(s) with no census population: {listed}.")

    # Areas where every usable respondent has an IMD band may use the IMD scheme.
    imd_complete = (imd.notna() | ~usable).groupby(area).all()
    weights = pd.Series(np.nan, index=respondents.index, name="weight")
    cell_of = pd.Series(None, index=respondents.index, name="cell", dtype=object)
    chosen = pd.Series(NO_RESPONDENTS, index=adults.index, name="weighting", dtype=object)
    undecided = set(area[usable].unique())
    for position, scheme in enumerate(schemes):
        # The last scheme is the fallback: any area with a respondent can use it.
        needed = 1 if position == len(schemes) - 1 else min_cell_n
        if scheme.use_imd and not has_imd:
            continue
        if not undecided:
            break
        pop_cell = (
            population[area_column].astype(object) + "|" + population["age_band"].map(scheme.groups)
        )
        resp_cell = area + "|" + band.map(scheme.groups)
        if scheme.use_imd:
            pop_cell = pop_cell + "|" + population["imd_band"].astype(object)
            resp_cell = resp_cell + "|" + imd
        pop_n = population.groupby(pop_cell.to_numpy())["population"].sum()
        resp_n = resp_cell[usable].value_counts()
        pop_area = pd.Series(
            [key.split("|", 1)[0] for key in pop_n.index], index=pop_n.index, dtype=object
        )
        cell_n = resp_n.reindex(pop_n.index).fillna(0)
        # A scheme fits an area if every populated cell has enough respondents ...
        short = (pop_n > 0) & (cell_n < needed)
        fails = set(pop_area[short])
        # ... and no respondent sits in a cell with no population.
        orphan = resp_n.index[~resp_n.index.isin(pop_n.index[pop_n > 0])]
        fails |= {key.split("|", 1)[0] for key in orphan}
        if scheme.use_imd:
            fails |= set(imd_complete.index[~imd_complete])
        fits = undecided - fails
        if not fits:
            continue
        rows = usable & area.isin(fits)
        ratio = (pop_n / resp_n.reindex(pop_n.index)).replace([np.inf], np.nan)
        weights[rows] = resp_cell[rows].map(ratio).to_numpy(dtype=float)
        cell_of[rows] = resp_cell[rows].to_numpy(dtype=object)
        chosen[list(fits)] = scheme.name
        undecided -= fits
    if undecided:
        raise DomainError(
            "No weighting scheme fits area(s) "
            + ", ".join(sorted(map(str, undecided))[:5])
            + "; the last scheme must put all adults in one cell."
        )
    return Weights(weights=weights, cells=cell_of, scheme=chosen, adults=adults.rename("adults"))


def _interval_sample_sizes(
    values: pd.DataFrame,
    weights: pd.Series,
    cells: pd.Series,
    areas: pd.Series,
    adults: pd.Series,
    shares: pd.DataFrame,
    n: pd.Series,
    kish: pd.Series,
) -> pd.DataFrame:
    """Effective sample size behind each share's interval (areas × outcomes).

    The post-stratified variance is ``sum_c (N_c / N)² s_c² / n_c`` with the within-cell sample
    variance ``s_c² = p_c (1 - p_c) n_c / (n_c - 1)`` (0.25 for a cell of one).  The effective
    size is ``p (1 - p) / variance``, capped at the number of respondents so that a noisy
    variance never claims more than a simple random sample of the same size.  Where the share is
    0 or 1 (or the variance is 0) Kish's size from the weights is used instead.
    """
    cell_area = areas.groupby(cells.to_numpy()).first()
    grouped = values.groupby(cells.to_numpy())
    p_c = grouped.mean()
    n_c = grouped.size().astype(float)
    population_c = weights.groupby(cells.to_numpy()).sum()
    spread = p_c * (1 - p_c)
    spread = spread.mul(n_c / np.maximum(n_c - 1, 1), axis=0)
    spread.loc[(n_c <= 1).to_numpy()] = 0.25
    share_of_area = population_c / cell_area.map(adults).astype(float)
    terms = spread.mul(share_of_area**2 / n_c, axis=0)
    variance = terms.groupby(cell_area).sum().reindex(shares.index)
    with np.errstate(divide="ignore", invalid="ignore"):
        from_variance = shares * (1 - shares) / variance
    capped = from_variance.clip(lower=1.0).clip(upper=n.astype(float), axis=0)
    usable = (shares > 0) & (shares < 1) & (variance > 0)
    fallback = pd.DataFrame({column: kish for column in shares.columns}, index=shares.index)
    return capped.where(usable, fallback)


def estimate_shares(
    respondents: pd.DataFrame,
    population: pd.DataFrame,
    *,
    area_column: str,
    outcomes: Sequence[str],
    min_n: int = 30,
    min_cell_n: int = 10,
    confidence: float = 0.90,
    schemes: Sequence[Scheme] = SCHEMES,
) -> pd.DataFrame:
    """Estimate, for each area, the share and number of adult residents with each outcome.

    Parameters
    ----------
    respondents:
        One row per respondent: ``area_column``, ``age_band``, optionally ``imd_band``, and one
        boolean column per outcome.
    population:
        Census cells from :func:`population_cells` keyed by the same area codes.
    area_column:
        The area code column (for example ``ward_code`` or ``lsoa21_code``).
    outcomes:
        Boolean columns of ``respondents`` to estimate (for example ``persona:offline_olive``).
    min_n:
        Areas with fewer respondents are flagged ``low_sample``.
    min_cell_n:
        See :func:`poststratification_weights`.
    confidence:
        Two-sided interval level (default 0.90).

    Returns
    -------
    pandas.DataFrame
        One row per area and outcome: ``area_column``, ``outcome``, ``n`` (respondents with an
        age), ``n_excluded`` (no age given), ``respondents_with`` (unweighted count), ``n_effective``
        (Kish), ``n_interval`` (effective size used for the interval), ``weighting`` (scheme), ``share``, ``share_lower``, ``share_upper`` (0-1),
        ``adults`` (census adults), ``residents``, ``residents_lower``, ``residents_upper``
        (people) and ``low_sample``.  Every area in ``population`` appears, with NaN estimates
        where there are no respondents.
    """
    if not 0 < confidence < 1:
        raise DomainError("The confidence level must be between 0 and 1, for example 0.90.")
    missing = [column for column in outcomes if column not in respondents.columns]
    if missing:
        raise DomainError(f"The respondents table has no outcome column(s) {', '.join(missing)}.")
    fitted = poststratification_weights(
        respondents, population, area_column=area_column, min_cell_n=min_cell_n, schemes=schemes
    )
    weights = fitted.weights
    area = respondents[area_column].astype(object)
    used = weights.notna()
    areas = fitted.adults.index
    w = weights[used]
    used_area = area[used]
    sum_w = w.groupby(used_area).sum().reindex(areas)
    sum_w2 = (w**2).groupby(used_area).sum().reindex(areas)
    n = used.groupby(area).sum().reindex(areas).fillna(0).astype("int64")
    n_excluded = (~used & area.notna()).groupby(area).sum().reindex(areas).fillna(0)
    n_effective = sum_w**2 / sum_w2

    outcome_values = respondents.loc[used, list(outcomes)].astype(float)
    weighted = outcome_values.mul(w, axis=0).groupby(used_area).sum().reindex(areas)
    counts = outcome_values.groupby(used_area).sum().reindex(areas).fillna(0)
    shares = weighted.div(sum_w, axis=0)

    interval_n = _interval_sample_sizes(
        outcome_values, w, fitted.cells[used], used_area, fitted.adults, shares, n, n_effective
    )

    frames = []
    for outcome in outcomes:
        share = shares[outcome]
        lower, upper = wilson_interval(share, interval_n[outcome], confidence=confidence)
        frames.append(
            pd.DataFrame(
                {
                    area_column: areas,
                    "outcome": outcome,
                    "n": n.to_numpy(),
                    "n_excluded": n_excluded.astype("int64").to_numpy(),
                    "respondents_with": counts[outcome].astype("int64").to_numpy(),
                    "n_effective": n_effective.to_numpy(),
                    "n_interval": interval_n[outcome].to_numpy(),
                    "weighting": fitted.scheme.reindex(areas).to_numpy(),
                    "share": share.to_numpy(),
                    "share_lower": lower,
                    "share_upper": upper,
                    "adults": fitted.adults.to_numpy(),
                    "residents": share.to_numpy() * fitted.adults.to_numpy(),
                    "residents_lower": lower * fitted.adults.to_numpy(),
                    "residents_upper": upper * fitted.adults.to_numpy(),
                    "low_sample": (n < min_n).to_numpy(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def outcome_indicators(
    scored: pd.DataFrame, personas: pd.DataFrame, *, persona_keys: Sequence[str]
) -> pd.DataFrame:
    """Return boolean outcome columns ``persona:<key>`` and ``barrier:<name>`` per respondent.

    Barrier shares are shares of all adults: people online every day are not asked about
    barriers (see the question routing) and count as not reporting one.

    Parameters
    ----------
    scored:
        Output of :func:`surveys.scoring.score_responses`.
    personas:
        Output of :func:`surveys.personas.assign_personas` for the same rows.
    persona_keys:
        All persona keys (so personas nobody has still get a column).
    """
    columns: dict[str, pd.Series] = {}
    for key in persona_keys:
        columns[f"persona:{key}"] = personas["persona_key"] == key
    for column in scored.columns:
        if column.startswith("barrier_"):
            columns[f"barrier:{column.removeprefix('barrier_')}"] = scored[column].astype(bool)
    columns["barrier:any"] = scored["any_barrier"].astype(bool)
    return pd.DataFrame(columns, index=scored.index)


def estimate_personas_and_barriers(
    scored: pd.DataFrame,
    personas: pd.DataFrame,
    population: pd.DataFrame,
    *,
    area_column: str,
    persona_keys: Sequence[str],
    imd_band_of: pd.Series | None = None,
    min_n: int = 30,
    min_cell_n: int = 10,
    confidence: float = 0.90,
) -> pd.DataFrame:
    """Estimate persona and barrier shares and resident numbers for each area.

    Parameters
    ----------
    scored, personas:
        Outputs of :func:`surveys.scoring.score_responses` and
        :func:`surveys.personas.assign_personas` for the same respondents.
    population:
        Census cells from :func:`population_cells` keyed by ``area_column``.
    area_column:
        ``ward_code`` or ``lsoa21_code`` (a column of ``scored``).
    persona_keys:
        All persona keys in order.
    imd_band_of:
        LSOA 2021 code -> IMD band; gives each respondent the band of their ``lsoa21_code`` so
        cells can be crossed with deprivation (``population`` must then have ``imd_band``).

    Returns
    -------
    pandas.DataFrame
        As :func:`estimate_shares`, with outcomes ``persona:<key>``, ``barrier:<name>`` and
        ``barrier:any``.
    """
    indicators = outcome_indicators(scored, personas, persona_keys=persona_keys)
    respondents = indicators.assign(
        **{area_column: scored[area_column], "age_band": scored["age_band"].astype(object)}
    )
    if imd_band_of is not None and "lsoa21_code" in scored.columns:
        respondents["imd_band"] = scored["lsoa21_code"].astype(object).map(imd_band_of)
    return estimate_shares(
        respondents,
        population,
        area_column=area_column,
        outcomes=list(indicators.columns),
        min_n=min_n,
        min_cell_n=min_cell_n,
        confidence=confidence,
    )
