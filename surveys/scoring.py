"""Score survey responses: Essential Digital Skills level and the GDS digital inclusion scale.

Every rule works on whole tables at once (one row per respondent) and returns a new table aligned
to the input index.  Input is the ``responses`` table of :mod:`surveys.importing` (answer codes).

Essential Digital Skills (EDS), 2018 framework
----------------------------------------------
A task counts only if the person can do it **on their own** (answer ``alone``); "only with help"
does not count, as in the Lloyds Consumer Digital Index.

* ``eds_foundation``: all 8 Foundation tasks on their own.
* ``eds_life``: Foundation, and at least one Life task in each of the 5 skill areas.
* ``eds_work``: Foundation, and the Work task of each of the 5 skill areas.  The framework has 20
  Work tasks (about 4 per area) and needs one per area; this survey asks one representative Work
  task per area to stay short, so ``eds_work`` needs all 5 asked tasks.  That is stricter than the
  full framework, so Work figures are a lower bound.  "Does not apply" counts as not done.
* ``eds_level`` is a ladder: ``work`` (Life and Work), ``life``, ``foundation`` or ``none``.
  Someone with the Work tasks but not every Life area (rare) is on the ``foundation`` rung;
  ``eds_work`` still says ``True`` for them.  People who never go online are ``none``.

GDS digital inclusion scale (1-9)
---------------------------------
GDS publishes the scale's points but no coded questionnaire (the Home Office plotter relies on a
researcher's judgement), so this is the service's own rule, applied top to bottom:

===== ======================= ================================================================
point label                   rule
===== ======================= ================================================================
3     willing and unable      never online, and would like help to learn (yes or maybe)
2     was online, no longer   never online now, but used the internet in the past
1     never have, never will  never online, never has been, and does not want help
9     expert                  EDS Work (and Life), very confident, online every day
8     confident               EDS Life, very or fairly confident, online at least weekly
7     basic digital skills    EDS Life
6     task specific           all 8 Foundation tasks, but not every Life area
5     learning the ropes      below Foundation, online at least weekly
4     reluctantly online      below Foundation, online less than weekly
===== ======================= ================================================================
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from surveys.questions import (
    BARRIER_COLUMNS,
    FOUNDATION_COLUMNS,
    LIFE_COLUMNS,
    WORK_COLUMNS,
)

EDS_LEVELS: tuple[str, ...] = ("none", "foundation", "life", "work")
"""The EDS ladder, lowest first."""

GDS_LABELS: dict[int, str] = {
    1: "Never have, never will",
    2: "Was online, but no longer",
    3: "Willing and unable",
    4: "Reluctantly online",
    5: "Learning the ropes",
    6: "Task specific",
    7: "Basic digital skills",
    8: "Confident",
    9: "Expert",
}
"""The GDS digital inclusion scale."""

FREQUENCY_ORDER: tuple[str, ...] = ("never", "less_than_monthly", "monthly", "weekly", "daily")
CONFIDENCE_ORDER: tuple[str, ...] = ("not_at_all", "not_very", "neither", "fairly", "very")


@dataclass(frozen=True)
class ScoredField:
    """A field of the scored table that persona rules may use.

    ``kind`` is ``bool``, ``int`` (with ``minimum``/``maximum``), ``code`` (one of ``codes``) or
    ``ordered`` (codes with an order, lowest first, so ``<``/``>=`` work).  ``label`` reads well
    in a sentence ("GDS scale is at least 8"); for booleans ``true_text``/``false_text`` are used.
    """

    name: str
    label: str
    kind: str
    codes: tuple[str, ...] = ()
    minimum: int = 0
    maximum: int = 0
    true_text: str = ""
    false_text: str = ""


SCORED_FIELDS: dict[str, ScoredField] = {
    field.name: field
    for field in (
        ScoredField(
            "online",
            "goes online",
            "bool",
            true_text="goes online",
            false_text="does not go online",
        ),
        ScoredField("online_frequency", "how often they go online", "ordered", FREQUENCY_ORDER),
        ScoredField(
            "past_user",
            "used the internet in the past",
            "bool",
            true_text="used the internet in the past but no longer does",
            false_text="is not a past internet user",
        ),
        ScoredField(
            "foundation_tasks",
            "number of Foundation tasks done alone",
            "int",
            minimum=0,
            maximum=len(FOUNDATION_COLUMNS),
        ),
        ScoredField("life_areas", "number of Life skill areas", "int", minimum=0, maximum=5),
        ScoredField("work_areas", "number of Work skill areas", "int", minimum=0, maximum=5),
        ScoredField(
            "eds_foundation",
            "has EDS Foundation skills",
            "bool",
            true_text="can do all 8 Foundation tasks on their own",
            false_text="cannot do all 8 Foundation tasks on their own",
        ),
        ScoredField(
            "eds_life",
            "has EDS for Life",
            "bool",
            true_text="has the Essential Digital Skills for Life",
            false_text="does not have the Essential Digital Skills for Life",
        ),
        ScoredField(
            "eds_work",
            "has EDS for Work",
            "bool",
            true_text="has the Essential Digital Skills for Work",
            false_text="does not have the Essential Digital Skills for Work",
        ),
        ScoredField("eds_level", "EDS level", "ordered", EDS_LEVELS),
        ScoredField("gds_scale", "GDS scale", "int", minimum=1, maximum=9),
        ScoredField("confidence", "confidence online", "ordered", CONFIDENCE_ORDER),
        ScoredField(
            "confidence_score", "confidence score (0 not asked, 1-5)", "int", minimum=0, maximum=5
        ),
        ScoredField(
            "has_smartphone",
            "has a smartphone",
            "bool",
            true_text="has a smartphone",
            false_text="has no smartphone",
        ),
        ScoredField(
            "has_tablet",
            "has a tablet",
            "bool",
            true_text="has a tablet",
            false_text="has no tablet",
        ),
        ScoredField(
            "has_computer",
            "has a computer",
            "bool",
            true_text="has a laptop or desktop",
            false_text="has no laptop or desktop",
        ),
        ScoredField(
            "has_larger_device",
            "has a tablet or computer",
            "bool",
            true_text="has a tablet or computer",
            false_text="has no tablet or computer",
        ),
        ScoredField(
            "smartphone_only",
            "smartphone is their only device",
            "bool",
            true_text="has a smartphone but no tablet or computer",
            false_text="does not rely on a smartphone alone",
        ),
        ScoredField(
            "no_device",
            "has no device",
            "bool",
            true_text="has no device",
            false_text="has at least one device",
        ),
        ScoredField(
            "home_connection",
            "home connection",
            "code",
            ("fixed", "mobile_only", "none", "dont_know"),
        ),
        ScoredField(
            "fixed_broadband",
            "has home broadband",
            "bool",
            true_text="has home broadband",
            false_text="has no home broadband",
        ),
        ScoredField(
            "mobile_dependent",
            "depends on a smartphone",
            "bool",
            true_text="goes online with a smartphone but lacks home broadband or a larger device",
            false_text="is not smartphone-dependent",
        ),
        ScoredField(
            "data_runs_out",
            "mobile data runs out or is missing",
            "bool",
            true_text="has too little or no mobile data",
            false_text="has enough mobile data or no smartphone",
        ),
        ScoredField("wants_help", "wants help", "code", ("yes", "maybe", "no")),
        ScoredField(
            "willing_to_learn",
            "willing to learn",
            "bool",
            true_text="would like help to learn (yes or maybe)",
            false_text="does not want help to learn",
        ),
        ScoredField(
            "disabled",
            "disabled",
            "bool",
            true_text="has a health problem or disability that limits daily activities",
            false_text="does not report a limiting disability",
        ),
        ScoredField(
            "age_band", "age band", "ordered", ("16-24", "25-34", "35-49", "50-64", "65-74", "75+")
        ),
        ScoredField(
            "any_barrier",
            "reports a barrier",
            "bool",
            true_text="reports something stopping them going online",
            false_text="reports no barrier",
        ),
        ScoredField(
            "n_barriers", "number of barriers", "int", minimum=0, maximum=len(BARRIER_COLUMNS)
        ),
        *(
            ScoredField(
                column,
                column.replace("_", " "),
                "bool",
                true_text=f"reports {column.removeprefix('barrier_')} as a barrier",
                false_text=f"does not report {column.removeprefix('barrier_')} as a barrier",
            )
            for column in BARRIER_COLUMNS
        ),
    )
}
"""Fields of :func:`score_responses` that persona rules may refer to."""

PASS_THROUGH = ("content_hash", "ward_code", "lsoa21_code", "age_band", "language")


def _is(frame: pd.DataFrame, column: str, *codes: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(False, index=frame.index)
    return pd.Series(frame[column].isin(codes).to_numpy(dtype=bool), index=frame.index)


def _count(frame: pd.DataFrame, columns: tuple[str, ...], code: str) -> pd.Series:
    present = [column for column in columns if column in frame.columns]
    if not present:
        return pd.Series(0, index=frame.index, dtype="int64")
    return pd.Series(
        frame[present].isin([code]).to_numpy(dtype=bool).sum(axis=1), index=frame.index
    )


def eds_scores(responses: pd.DataFrame) -> pd.DataFrame:
    """Return the Essential Digital Skills scores of each respondent.

    Parameters
    ----------
    responses:
        Answer codes, one row per respondent (the :mod:`surveys.importing` layout).

    Returns
    -------
    pandas.DataFrame
        ``foundation_tasks`` (0-8), ``life_areas`` (0-5), ``work_areas`` (0-5),
        ``eds_foundation``, ``eds_life``, ``eds_work`` (bool) and ``eds_level`` (``none``,
        ``foundation``, ``life``, ``work``), aligned to ``responses.index``.  Rules are in the
        module docstring.
    """
    foundation_tasks = _count(responses, FOUNDATION_COLUMNS, "alone")
    life_areas = sum(
        (_count(responses, columns, "alone") > 0).astype("int64")
        for columns in LIFE_COLUMNS.values()
    )
    work_areas = sum(
        (_count(responses, (column,), "alone") > 0).astype("int64")
        for column in WORK_COLUMNS.values()
    )
    assert isinstance(life_areas, pd.Series) and isinstance(work_areas, pd.Series)
    eds_foundation = foundation_tasks == len(FOUNDATION_COLUMNS)
    eds_life = eds_foundation & (life_areas == len(LIFE_COLUMNS))
    eds_work = eds_foundation & (work_areas == len(WORK_COLUMNS))
    rung = np.select([eds_life & eds_work, eds_life, eds_foundation], [3, 2, 1], default=0)
    return pd.DataFrame(
        {
            "foundation_tasks": foundation_tasks.astype("int64"),
            "life_areas": life_areas.astype("int64"),
            "work_areas": work_areas.astype("int64"),
            "eds_foundation": eds_foundation,
            "eds_life": eds_life,
            "eds_work": eds_work,
            "eds_level": pd.Categorical.from_codes(
                rung.astype(np.int64), categories=pd.Index(EDS_LEVELS), ordered=True
            ),
        },
        index=responses.index,
    )


def gds_scale(responses: pd.DataFrame, eds: pd.DataFrame | None = None) -> pd.Series:
    """Return each respondent's point (1-9) on the GDS digital inclusion scale.

    Parameters
    ----------
    responses:
        Answer codes, one row per respondent.
    eds:
        The output of :func:`eds_scores` for the same rows (computed if not given).

    Returns
    -------
    pandas.Series
        Integers 1-9 named ``gds_scale``, aligned to ``responses.index``; rules in the module
        docstring.
    """
    eds = eds_scores(responses) if eds is None else eds
    offline = ~_is(responses, "online_frequency", *FREQUENCY_ORDER[1:])
    willing = _is(responses, "wants_help", "yes", "maybe")
    past = _is(responses, "ever_online", "yes_past")
    daily = _is(responses, "online_frequency", "daily")
    weekly_or_more = _is(responses, "online_frequency", "daily", "weekly")
    very = _is(responses, "confidence", "very")
    confident = _is(responses, "confidence", "very", "fairly")
    level = eds["eds_level"].cat.codes.to_numpy()
    conditions = [
        offline & willing,
        offline & past,
        offline,
        (level == 3) & very & daily,
        (level >= 2) & confident & weekly_or_more,
        level >= 2,
        level == 1,
        weekly_or_more,
    ]
    points = np.select(conditions, [3, 2, 1, 9, 8, 7, 6, 5], default=4)
    return pd.Series(points.astype("int64"), index=responses.index, name="gds_scale")


def score_responses(responses: pd.DataFrame) -> pd.DataFrame:
    """Return the scored table used by personas and area estimates.

    Parameters
    ----------
    responses:
        Answer codes, one row per respondent (the :mod:`surveys.importing` layout).  It is not
        changed.

    Returns
    -------
    pandas.DataFrame
        Aligned to ``responses.index``: every field in :data:`SCORED_FIELDS`, ``gds_label``, and
        the pass-through columns ``content_hash``, ``ward_code``, ``lsoa21_code``, ``age_band``
        and ``language`` where present.  Barrier columns are ``False`` where the question was not
        asked (people online every day).  ``confidence_score`` is 1 (not at all) to 5 (very) and
        0 where not asked (people who never go online).
    """
    eds = eds_scores(responses)
    gds = gds_scale(responses, eds)
    online = _is(responses, "online_frequency", *FREQUENCY_ORDER[1:])
    has_smartphone = _is(responses, "device_smartphone", "own", "shared")
    has_tablet = _is(responses, "device_tablet", "own", "shared")
    has_computer = _is(responses, "device_computer", "own", "shared")
    larger = has_tablet | has_computer
    fixed = _is(responses, "home_connection", "fixed")
    barriers = {column: _is(responses, column, "yes") for column in BARRIER_COLUMNS}
    n_barriers = sum(series.astype("int64") for series in barriers.values())
    assert isinstance(n_barriers, pd.Series)
    confidence = responses.get("confidence", pd.Series(None, index=responses.index))
    confidence_score = (
        confidence.map({code: rank for rank, code in enumerate(CONFIDENCE_ORDER, start=1)})
        .fillna(0)
        .astype("int64")
    )

    def ordered(column: str, categories: tuple[str, ...]) -> pd.Categorical:
        values = responses.get(column, pd.Series(None, index=responses.index, dtype=object))
        return pd.Categorical(
            values.where(values.isin(categories)), categories=list(categories), ordered=True
        )

    scored = pd.DataFrame(index=responses.index)
    for column in PASS_THROUGH:
        if column in responses.columns and column != "age_band":
            scored[column] = responses[column]
    scored["online"] = online
    scored["online_frequency"] = ordered("online_frequency", FREQUENCY_ORDER)
    scored["past_user"] = ~online & _is(responses, "ever_online", "yes_past")
    scored = scored.join(eds)
    scored["gds_scale"] = gds
    scored["gds_label"] = gds.map(GDS_LABELS)
    scored["confidence"] = ordered("confidence", CONFIDENCE_ORDER)
    scored["confidence_score"] = confidence_score
    scored["has_smartphone"] = has_smartphone
    scored["has_tablet"] = has_tablet
    scored["has_computer"] = has_computer
    scored["has_larger_device"] = larger
    scored["smartphone_only"] = has_smartphone & ~larger
    scored["no_device"] = ~has_smartphone & ~larger
    scored["home_connection"] = responses.get(
        "home_connection", pd.Series(None, index=responses.index, dtype=object)
    )
    scored["fixed_broadband"] = fixed
    scored["mobile_dependent"] = online & has_smartphone & (~larger | ~fixed)
    scored["data_runs_out"] = has_smartphone & _is(responses, "mobile_data", "not_enough", "none")
    scored["wants_help"] = responses.get(
        "wants_help", pd.Series(None, index=responses.index, dtype=object)
    )
    scored["willing_to_learn"] = _is(responses, "wants_help", "yes", "maybe")
    scored["disabled"] = _is(responses, "disability", "yes_lot", "yes_little")
    scored["age_band"] = ordered("age_band", SCORED_FIELDS["age_band"].codes)
    for column, series in barriers.items():
        scored[column] = series
    scored["any_barrier"] = n_barriers > 0
    scored["n_barriers"] = n_barriers.astype("int64")
    return scored
