"""A realistic synthetic survey for the demo borough (no real person's answers).

:func:`synthetic_responses` draws respondents from the census adult population of each area and
gives each one answers that follow the question set's routing and pass every import check, in the
import column layout.  The same seed always gives the same survey.

How answers are generated
-------------------------
* **Who responds.**  Respondents are drawn from the areas' adults by age band, with response
  propensities that rise with age (0.6 for 16-24 up to 1.3 for 65+), as council surveys usually
  find, so post-stratification has something to correct.  The census 65+ band is split into 65-74
  (55%) and 75+ (45%), close to the England and Wales 2021 split.
* **Digital capability** is a latent score: a base by age band, minus more for deprivation (IMD
  decile 1 lowest) and for disability, plus normal noise.  Its thresholds were set once so that
  about 8-10% of adults never go online (the range the Welsh National Survey and Ofcom report),
  and the older, more deprived and disabled are more excluded.
* Everything else (devices, home connection, mobile data, frequency, confidence, the EDS tasks,
  barriers, wanting help) is drawn from the latent score with plausible logistic links, so that
  answers hang together: nobody who never goes online answers the skills questions, and the device
  someone mostly uses is one they have.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.errors import DomainError
from geo.sources.ons_tables import ADULT_AGE_COLUMNS
from surveys.questions import (
    BARRIER_COLUMNS,
    FOUNDATION_COLUMNS,
    LIFE_COLUMNS,
    QUESTION_SET,
    SOURCE_ID_COLUMN,
    WORK_COLUMNS,
    csv_template_columns,
)

SURVEY_BANDS = np.array(["16-24", "25-34", "35-49", "50-64", "65-74", "75+"], dtype=object)
_RESPONSE_PROPENSITY = np.array([0.6, 0.8, 1.0, 1.2, 1.3])
_SHARE_65_74 = 0.55
_BASE = np.array([2.4, 2.3, 2.1, 1.7, 1.0, 0.1])
_DISABILITY = np.array([0.08, 0.10, 0.14, 0.22, 0.30, 0.48])
_LANGUAGES = np.array(
    [
        "english",
        "polish",
        "punjabi",
        "urdu",
        "gujarati",
        "tamil",
        "arabic",
        "somali",
        "romanian",
        "bengali",
        "other",
    ],
    dtype=object,
)
_LANGUAGE_P = np.array([0.86, 0.02, 0.025, 0.015, 0.01, 0.01, 0.01, 0.005, 0.01, 0.005, 0.01])


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)))


def _only(asked: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Keep answers where the question was asked; ``None`` elsewhere."""
    result = np.full(asked.shape, None, dtype=object)
    result[asked] = np.asarray(values, dtype=object)[asked]
    return result


def synthetic_responses(areas: pd.DataFrame, *, n: int, seed: int) -> pd.DataFrame:
    """Generate a synthetic survey of ``n`` adults living in ``areas``.

    Parameters
    ----------
    areas:
        One row per area (ward or LSOA) with ``ward_code``, the adult census age columns
        ``age_16_24``, ``age_25_34``, ``age_35_49``, ``age_50_64``, ``age_65_plus`` (people) and
        ``imd_decile`` (1 = most deprived); optionally ``lsoa21_code`` when rows are LSOAs.
    n:
        Number of respondents.
    seed:
        Random seed; the same seed and areas give the same survey.

    Returns
    -------
    pandas.DataFrame
        The import layout (:func:`surveys.questions.csv_template_columns`): answer codes as
        text, ``None`` where a question was not asked or not answered.
    """
    required = ["ward_code", *ADULT_AGE_COLUMNS, "imd_decile"]
    missing = [column for column in required if column not in areas.columns]
    if missing:
        raise DomainError(f"The areas table has no column(s) {', '.join(missing)}.")
    if n < 1:
        raise DomainError("Ask for at least one respondent.")
    population = areas[list(ADULT_AGE_COLUMNS)].to_numpy(dtype=float)
    if (population < 0).any() or population.sum() <= 0:
        raise DomainError("The areas need a positive adult population.")
    decile_all = pd.to_numeric(areas["imd_decile"], errors="coerce").to_numpy(dtype=float)
    if np.isnan(decile_all).any() or ((decile_all < 1) | (decile_all > 10)).any():
        raise DomainError("Every area needs an IMD decile from 1 to 10.")
    rng = np.random.default_rng(seed)

    # Who responds: cells (area, census band) in proportion to adults times propensity.
    weights = (population * _RESPONSE_PROPENSITY).ravel()
    cell = rng.choice(weights.size, size=n, p=weights / weights.sum())
    area_index, census_band = np.divmod(cell, len(ADULT_AGE_COLUMNS))
    band = census_band.copy()
    older = census_band == 4
    band[older & (rng.random(n) >= _SHARE_65_74)] = 5
    decile = decile_all[area_index]
    deprivation = (5.5 - decile) / 4.5  # +1 most deprived, -1 least deprived
    disabled = rng.random(n) < np.clip(_DISABILITY[band] * (1 + 0.35 * deprivation), 0, 0.9)

    # Latent digital capability and how often people go online.
    z = _BASE[band] - 0.35 * deprivation - 0.7 * disabled + rng.normal(0.0, 1.0, n)
    frequency = np.select(
        [z < -0.35, z < -0.1, z < 0.15, z < 0.7],
        ["never", "less_than_monthly", "monthly", "weekly"],
        default="daily",
    ).astype(object)
    online = frequency != "never"

    def draw(p: np.ndarray) -> np.ndarray:
        return np.asarray(rng.random(n) < p)

    # Devices: online people are likelier to have each one; deprivation lowers computers.
    phone = draw(_sigmoid(1.6 + 1.3 * z))
    tablet = draw(_sigmoid(-0.6 + 0.6 * z))
    computer = draw(_sigmoid(-0.3 + 0.8 * z - 0.6 * deprivation))

    def ownership(has: np.ndarray, shared_p: float) -> np.ndarray:
        shared = rng.random(n) < shared_p
        return np.where(has, np.where(shared, "shared", "own"), "none").astype(object)

    device_smartphone = ownership(phone, 0.1)
    device_tablet = ownership(tablet, 0.35)
    device_computer = ownership(computer, 0.3)

    fixed = draw(_sigmoid(1.7 + 0.5 * z - 0.5 * deprivation))
    mobile_only = ~fixed & phone & draw(np.full(n, 0.65))
    home_connection = np.where(fixed, "fixed", np.where(mobile_only, "mobile_only", "none"))
    home_connection = np.where(rng.random(n) < 0.01, "dont_know", home_connection).astype(object)
    data_draw = rng.random(n)
    short_p = 0.15 + 0.1 * deprivation + 0.15 * mobile_only
    mobile_data = np.select(
        [data_draw < 0.08, data_draw < 0.08 + short_p, data_draw < 0.97],
        ["none", "not_enough", "enough"],
        default="dont_know",
    ).astype(object)
    mobile_data = _only(phone, mobile_data)

    # Main device: the larger device for more capable people, else the phone; never one they
    # do not have.
    prefers_large = rng.random(n) < _sigmoid(z - 1.5)
    main_device = np.select(
        [
            computer & (prefers_large | ~phone),
            phone,
            tablet,
            rng.random(n) < 0.6,
        ],
        ["computer", "smartphone", "tablet", "someone_elses"],
        default="public",
    ).astype(object)
    main_device = _only(online, main_device)

    confidence_score = z + rng.normal(0.0, 0.7, n)
    confidence = np.select(
        [
            confidence_score < 0.2,
            confidence_score < 0.9,
            confidence_score < 1.4,
            confidence_score < 2.3,
        ],
        ["not_at_all", "not_very", "neither", "fairly"],
        default="very",
    ).astype(object)
    confidence = _only(online, confidence)

    answers: dict[str, np.ndarray] = {}

    def task(column: str, ease: float, *, work: bool = False) -> None:
        u = rng.random(n)
        alone_p = _sigmoid(ease + 1.6 * z - 0.5 * disabled)
        help_p = (1 - alone_p) * 0.6
        value = np.where(u < alone_p, "alone", np.where(u < alone_p + help_p, "help", "cannot"))
        if work:
            not_working = rng.random(n) < np.array([0.3, 0.15, 0.15, 0.25, 0.8, 0.97])[band]
            value = np.where(not_working, "not_applicable", value)
        answers[column] = _only(online, value)

    for column in FOUNDATION_COLUMNS:
        task(column, 1.5 if column == "fnd_accessibility" else 3.0)
    for area_number, columns in enumerate(LIFE_COLUMNS.values()):
        for task_number, column in enumerate(columns):
            task(column, 1.2 - 0.3 * task_number - 0.1 * area_number)
    for column in WORK_COLUMNS.values():
        task(column, -0.2, work=True)

    not_daily = frequency != "daily"
    barrier_p = {
        "barrier_skills": _sigmoid(-0.2 - 1.0 * z),
        "barrier_cost": _sigmoid(-1.6 + 1.2 * deprivation),
        "barrier_access": _sigmoid(-1.2 + 1.5 * (~phone & ~computer & ~tablet) - 0.5 * fixed),
        "barrier_motivation": _sigmoid(-0.6 + 0.6 * (band >= 4) - 0.3 * z),
        "barrier_trust": np.full(n, 0.25),
        "barrier_health": _sigmoid(-2.5 + 2.0 * disabled),
    }
    for column in BARRIER_COLUMNS:
        ticked = draw(barrier_p[column])
        answers[column] = _only(not_daily, np.where(ticked, "yes", "no"))

    help_draw = rng.random(n)
    yes_p = np.where(online, _sigmoid(-0.8 - 0.6 * (z - 1.0)), 0.18)
    maybe_p = np.where(online, 0.25, 0.2)
    wants_help = np.select(
        [help_draw < yes_p, help_draw < yes_p + maybe_p], ["yes", "maybe"], default="no"
    ).astype(object)
    ever_online = _only(~online, np.where(rng.random(n) < 0.3, "yes_past", "no_never"))
    disability = np.where(
        disabled,
        np.where(rng.random(n) < 0.45, "yes_lot", "yes_little"),
        np.where(rng.random(n) < 0.03, "prefer_not", "no"),
    ).astype(object)
    age_band = SURVEY_BANDS[band]
    age_band = np.where(rng.random(n) < 0.01, "prefer_not", age_band).astype(object)

    frame = pd.DataFrame(
        {
            SOURCE_ID_COLUMN: [f"synthetic-{seed}-{i + 1}" for i in range(n)],
            "postcode": None,
            "ward_code": areas["ward_code"].to_numpy(dtype=object)[area_index],
            "lsoa21_code": (
                areas["lsoa21_code"].to_numpy(dtype=object)[area_index]
                if "lsoa21_code" in areas.columns
                else None
            ),
            "age_band": age_band,
            "disability": disability,
            "language": rng.choice(_LANGUAGES, size=n, p=_LANGUAGE_P / _LANGUAGE_P.sum()),
            "device_smartphone": device_smartphone,
            "device_tablet": device_tablet,
            "device_computer": device_computer,
            "home_connection": home_connection,
            "mobile_data": mobile_data,
            "online_frequency": frequency,
            "ever_online": ever_online,
            "main_device": main_device,
            "confidence": confidence,
            **answers,
            "wants_help": wants_help,
            "consent_follow_up": np.where(rng.random(n) < 0.4, "yes", "no").astype(object),
        },
        dtype=object,
    )
    assert set(frame.columns) == set(csv_template_columns(QUESTION_SET))
    return frame[csv_template_columns(QUESTION_SET)]
