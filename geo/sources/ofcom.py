"""Readers for Ofcom Connected Nations data, and comparison of modelled with reported coverage.

Fixed broadband coverage files
------------------------------
Ofcom publishes fixed coverage per postcode (``*_fixed_postcode_coverage_r01.csv``), per output
area and per local authority (``*_fixed_laua_coverage_r01.csv``).  :func:`read_fixed_coverage`
reads any of them.  Header matching ignores case, surrounding spaces, runs of spaces and the
difference between ``_`` and a space.  Accepted headers (published name → column returned):

=====================================================================  ==============================
``postcode`` / ``postcode_space`` / ``pcds`` / ``pcd``                 area code (postcode, spaces removed)
``output_area`` / ``oa11cd`` / ``oa21cd`` / ``oa11`` / ``oa21`` / ``oa``  area code (output area)
``laua``                                                               area code (local authority)
``All Premises``                                                       ``all_premises``
``All Matched Premises``                                               ``matched_premises``
``SFBB availability (% premises)``                                     ``sfbb_availability_pct``
``UFBB (100Mbit/s) availability (% premises)``                         ``ufbb100_availability_pct``
``UFBB availability (% premises)``                                     ``ufbb_availability_pct``
``Full Fibre availability (% premises)``                               ``full_fibre_availability_pct``
``Gigabit availability (% premises)``                                  ``gigabit_availability_pct``
``% of premises with NGA``                                             ``nga_pct``
``% of premises unable to receive 2Mbit/s`` (5, 10, 30)                ``unable_2_mbps_pct`` …
``% of premises below the USO``                                        ``below_uso_pct``
``% of premises unable to receive decent broadband from fixed or FWA`` ``unable_decent_pct``
``% of premises with 0<2Mbit/s download speed`` (2<5, 5<10, 10<30,     ``speed_0_2_pct`` …
30<300, >=300)                                                         ``speed_300_plus_pct``
=====================================================================  ==============================

Other columns are ignored.  Percentages must be 0–100 (blank allowed: Ofcom leaves some blank).

Per-address mobile coverage
---------------------------
Ofcom's Connected Nations mobile data (API or download) rates each UPRN per operator — EE,
H3 (Three), TF (Telefónica/VMO2) and VO (Vodafone) — for Voice/Data × Indoor/Outdoor, with
``No4g`` variants: 32 fields such as ``EEDataIndoor``.  Each is an enum: 4 = likely covered,
3 = limited, 0 = none.  Values 1 and 2 are retired and refused.  An enum is not a measurement:
never average it; count premises at a level instead (:func:`mobile_rating_flags`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Literal

import numpy as np
import pandas as pd

from geo.errors import InputError

__all__ = [
    "FIXED_COLUMNS",
    "MOBILE_OPERATORS",
    "MOBILE_RATINGS",
    "compare_modelled_reported",
    "mobile_rating_flags",
    "read_fixed_coverage",
    "read_mobile_ratings",
]

_AREA_ALIASES: Mapping[str, str] = {
    "postcode": "postcode",
    "postcode space": "postcode",
    "pcds": "postcode",
    "pcd": "postcode",
    "output area": "output_area",
    "oa11cd": "output_area",
    "oa21cd": "output_area",
    "oa11": "output_area",
    "oa21": "output_area",
    "oa": "output_area",
    "laua": "local_authority",
}

FIXED_COLUMNS: Mapping[str, str] = {
    "all premises": "all_premises",
    "all matched premises": "matched_premises",
    "sfbb availability (% premises)": "sfbb_availability_pct",
    "ufbb (100mbit/s) availability (% premises)": "ufbb100_availability_pct",
    "ufbb availability (% premises)": "ufbb_availability_pct",
    "full fibre availability (% premises)": "full_fibre_availability_pct",
    "gigabit availability (% premises)": "gigabit_availability_pct",
    "% of premises with nga": "nga_pct",
    "% of premises unable to receive 2mbit/s": "unable_2_mbps_pct",
    "% of premises unable to receive 5mbit/s": "unable_5_mbps_pct",
    "% of premises unable to receive 10mbit/s": "unable_10_mbps_pct",
    "% of premises unable to receive 30mbit/s": "unable_30_mbps_pct",
    "% of premises below the uso": "below_uso_pct",
    "% of premises unable to receive decent broadband from fixed or fwa": "unable_decent_pct",
    "% of premises with 0<2mbit/s download speed": "speed_0_2_pct",
    "% of premises with 2<5mbit/s download speed": "speed_2_5_pct",
    "% of premises with 5<10mbit/s download speed": "speed_5_10_pct",
    "% of premises with 10<30mbit/s download speed": "speed_10_30_pct",
    "% of premises with 30<300mbit/s download speed": "speed_30_300_pct",
    "% of premises with >=300mbit/s download speed": "speed_300_plus_pct",
}
"""Normalised published header → returned column (see the module docstring)."""

MOBILE_OPERATORS: tuple[str, ...] = ("EE", "H3", "TF", "VO")
MOBILE_RATINGS: Mapping[int, str] = {0: "none", 3: "limited", 4: "likely"}
"""The live enum of Ofcom's per-address mobile ratings; 1 and 2 are retired."""

_RATING_FIELD = re.compile(r"^(EE|H3|TF|VO)(VOICE|DATA)(INDOOR|OUTDOOR)(NO4G)?$")
_POSTCODE = re.compile(r"^(?:GIR0AA|[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2})$")


def _normalise(header: object) -> str:
    return re.sub(r"[\s_]+", " ", str(header)).strip().lower()


def _source_name(path_or_buffer: str | os.PathLike[str] | IO[str], source: str | None) -> str:
    if source:
        return source
    if isinstance(path_or_buffer, (str, os.PathLike)):
        return Path(path_or_buffer).name
    return "Ofcom file"


def _read_csv(path_or_buffer: str | os.PathLike[str] | IO[str], name: str) -> pd.DataFrame:
    try:
        return pd.read_csv(
            path_or_buffer, dtype=str, keep_default_na=False, encoding_errors="replace"
        )
    except (OSError, ValueError) as error:
        raise InputError(f"cannot read the CSV: {error}", source=name) from None


def read_fixed_coverage(
    path_or_buffer: str | os.PathLike[str] | IO[str], *, source: str | None = None
) -> pd.DataFrame:
    """Read an Ofcom Connected Nations fixed-coverage CSV (postcode, output area or LA level).

    Parameters
    ----------
    path_or_buffer:
        The CSV file (or an open text buffer).
    source:
        Name for error messages (default: the file name).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``area_code`` (postcodes upper-cased without spaces; OA/LA codes
        upper-cased), with the recognised measure columns of :data:`FIXED_COLUMNS` as floats
        (percentages 0–100, NaN where blank) and ``area_type`` (``postcode``, ``output_area``
        or ``local_authority``) in ``DataFrame.attrs["area_type"]``.

    Raises
    ------
    geo.errors.InputError
        No recognised area or measure column, a repeated area, a malformed postcode, a
        non-numeric value or a percentage outside 0–100 (naming row and column).
    """
    name = _source_name(path_or_buffer, source)
    raw = _read_csv(path_or_buffer, name)
    headers = {_normalise(column): column for column in raw.columns}
    area_header = next((headers[a] for a in _AREA_ALIASES if a in headers), None)
    if area_header is None:
        raise InputError(
            f"no area column; expected one of {sorted(set(_AREA_ALIASES))}", source=name
        )
    area_type = _AREA_ALIASES[_normalise(area_header)]
    measures = {headers[h]: canonical for h, canonical in FIXED_COLUMNS.items() if h in headers}
    if not measures:
        raise InputError(
            "no recognised coverage column (e.g. 'SFBB availability (% premises)')", source=name
        )
    codes = raw[area_header].str.strip().str.upper()
    if area_type == "postcode":
        codes = codes.str.replace(r"\s+", "", regex=True)
        bad = ~codes.str.fullmatch(_POSTCODE.pattern)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                f"not a UK postcode: {raw[area_header].iloc[row]!r}",
                source=name,
                row=row + 1,
                column=str(area_header),
            )
    empty = (codes == "").to_numpy()
    if empty.any():
        raise InputError(
            "area code is empty",
            source=name,
            row=int(np.flatnonzero(empty)[0]) + 1,
            column=str(area_header),
        )
    repeated = codes.duplicated().to_numpy()
    if repeated.any():
        row = int(np.flatnonzero(repeated)[0])
        raise InputError(
            f"area {codes.iloc[row]} appears twice",
            source=name,
            row=row + 1,
            column=str(area_header),
        )
    out = pd.DataFrame(index=pd.Index(codes.to_numpy(dtype=object), name="area_code"))
    for header, canonical in measures.items():
        text = raw[header].str.strip().str.replace(",", "", regex=False)
        values = pd.to_numeric(text.mask(text == ""), errors="coerce").to_numpy(dtype=np.float64)
        unreadable = (text != "").to_numpy() & np.isnan(values)
        if unreadable.any():
            row = int(np.flatnonzero(unreadable)[0])
            raise InputError(
                f"not a number: {raw[header].iloc[row]!r}",
                source=name,
                row=row + 1,
                column=str(header),
            )
        if canonical.endswith("_pct"):
            outside = ~np.isnan(values) & ((values < 0) | (values > 100))
            if outside.any():
                row = int(np.flatnonzero(outside)[0])
                raise InputError(
                    f"percentage outside 0–100: {values[row]:g}",
                    source=name,
                    row=row + 1,
                    column=str(header),
                )
        elif (values[~np.isnan(values)] < 0).any():
            row = int(np.flatnonzero(values < 0)[0])
            raise InputError(
                "premises count must not be negative", source=name, row=row + 1, column=str(header)
            )
        out[canonical] = values
    out.attrs["area_type"] = area_type
    return out


def read_mobile_ratings(
    path_or_buffer: str | os.PathLike[str] | IO[str], *, source: str | None = None
) -> pd.DataFrame:
    """Read Ofcom per-address mobile coverage ratings (one row per UPRN).

    Parameters
    ----------
    path_or_buffer:
        CSV with a ``UPRN`` column and any of the 32 rating fields
        ``{EE,H3,TF,VO}{Voice,Data}{Indoor,Outdoor}[No4g]`` (case-insensitive; spaces and
        underscores ignored, so ``ee_data_indoor`` is accepted).  Other columns are ignored.
    source:
        Name for error messages.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``uprn`` (string); columns named ``<OP>_<service>_<location>[_no4g]``
        (e.g. ``EE_data_indoor``, ``VO_voice_outdoor_no4g``) with nullable ``Int8`` ratings
        0, 3 or 4 (<NA> where blank).

    Raises
    ------
    geo.errors.InputError
        No UPRN or rating column, a repeated or empty UPRN, a retired rating (1 or 2) or any
        other value, naming row and column.
    """
    name = _source_name(path_or_buffer, source)
    raw = _read_csv(path_or_buffer, name)
    headers = {re.sub(r"[\s_]+", "", str(c)).upper(): c for c in raw.columns}
    if "UPRN" not in headers:
        raise InputError("no UPRN column", source=name)
    fields: dict[str, str] = {}
    for key, header in headers.items():
        match = _RATING_FIELD.match(key)
        if match:
            op, service, location, no4g = match.groups()
            fields[header] = f"{op}_{service.lower()}_{location.lower()}" + (
                "_no4g" if no4g else ""
            )
    if not fields:
        raise InputError("no rating column such as 'EEDataIndoor'", source=name)
    uprn = raw[headers["UPRN"]].str.strip()
    bad = (uprn == "").to_numpy() | uprn.duplicated().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(
            "UPRN is empty or repeated", source=name, row=row + 1, column=str(headers["UPRN"])
        )
    out = pd.DataFrame(index=pd.Index(uprn.to_numpy(dtype=object), name="uprn"))
    for header, canonical in sorted(fields.items(), key=lambda item: item[1]):
        text = raw[header].str.strip()
        values = pd.to_numeric(text.mask(text == ""), errors="coerce")
        blank = (text == "").to_numpy()
        retired = values.isin([1, 2]).to_numpy()
        if retired.any():
            row = int(np.flatnonzero(retired)[0])
            raise InputError(
                f"rating {text.iloc[row]} is a retired value (Ofcom's ratings are now 0, 3 or 4); "
                "re-download the data from the current release",
                source=name,
                row=row + 1,
                column=str(header),
            )
        invalid = ~blank & ~values.isin(list(MOBILE_RATINGS)).to_numpy()
        if invalid.any():
            row = int(np.flatnonzero(invalid)[0])
            raise InputError(
                f"rating must be 0, 3 or 4; got {text.iloc[row]!r}",
                source=name,
                row=row + 1,
                column=str(header),
            )
        out[canonical] = pd.array(values.to_numpy(), dtype="Int8")
    return out


def mobile_rating_flags(
    ratings: pd.DataFrame,
    *,
    service: Literal["voice", "data"] = "data",
    location: Literal["indoor", "outdoor"] = "indoor",
    no4g: bool = False,
    minimum: Literal[3, 4] = 4,
) -> pd.DataFrame:
    """Whether each address reaches a rating level, per operator (never an average of ratings).

    Parameters
    ----------
    ratings:
        Output of :func:`read_mobile_ratings`.
    service, location, no4g:
        Which field to read (e.g. data, indoor, with 4G).
    minimum:
        4 ("likely covered", the default) or 3 (at least "limited").

    Returns
    -------
    pandas.DataFrame
        Boolean per operator present (columns EE, H3, TF, VO) plus ``any_operator`` and
        ``all_operators``; a blank rating counts as not reaching the level.
    """
    if minimum not in (3, 4):
        raise InputError("minimum must be 3 (limited) or 4 (likely covered)")
    suffix = f"_{service}_{location}" + ("_no4g" if no4g else "")
    columns = {op: f"{op}{suffix}" for op in MOBILE_OPERATORS if f"{op}{suffix}" in ratings.columns}
    if not columns:
        raise InputError(f"no rating columns for {service} {location}{' no4g' if no4g else ''}")
    flags = pd.DataFrame(
        {op: (ratings[c] >= minimum).fillna(False).astype(bool) for op, c in columns.items()},
        index=ratings.index,
    )
    flags["any_operator"] = flags[list(columns)].any(axis=1)
    flags["all_operators"] = flags[list(columns)].all(axis=1)
    return flags


def compare_modelled_reported(
    modelled_by_area: pd.Series,
    reported_by_area: pd.Series,
    *,
    reported_scale: float = 1.0,
) -> pd.DataFrame:
    """Per-area difference between a modelled and a reported (e.g. Ofcom) figure.

    Parameters
    ----------
    modelled_by_area:
        Modelled value per area code (e.g. the share of premises unable to get 30 Mbit/s).
    reported_by_area:
        Reported value per area code, on the same scale after ``reported_scale``.
    reported_scale:
        Multiplier applied to the reported values (0.01 turns Ofcom percentages into shares).

    Returns
    -------
    pandas.DataFrame
        Indexed by the union of area codes (sorted): ``modelled``, ``reported``,
        ``difference`` (modelled − reported) and ``abs_difference``, NaN where one side is
        missing; ``in_both`` marks areas present on both sides.
    """
    for label, series in (
        ("modelled_by_area", modelled_by_area),
        ("reported_by_area", reported_by_area),
    ):
        if not isinstance(series, pd.Series):
            raise InputError(f"{label} must be a pandas Series indexed by area code")
        if not series.index.is_unique:
            raise InputError(f"{label} has repeated area codes")
    modelled = pd.to_numeric(modelled_by_area, errors="coerce").astype(np.float64)
    reported = pd.to_numeric(reported_by_area, errors="coerce").astype(np.float64) * reported_scale
    table = pd.concat({"modelled": modelled, "reported": reported}, axis=1, sort=True)
    table["difference"] = table["modelled"] - table["reported"]
    table["abs_difference"] = table["difference"].abs()
    table["in_both"] = modelled.reindex(table.index).notna() & reported.reindex(table.index).notna()
    table.index.name = modelled_by_area.index.name or reported_by_area.index.name or "area_code"
    return table
