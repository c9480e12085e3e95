"""Readers for the ONS and MHCLG area tables used by the surveys and the exclusion index.

Each reader takes the CSV as published (``.csv`` or ``.csv.gz``; UTF-8 with or without a byte
order mark), checks the columns it needs, converts numbers, and returns a tidy DataFrame indexed
by the area code (published code names such as ``LSOA11CD`` and ``LSOA21CD`` are kept, because the
name carries the vintage) with clear snake_case names for the values.  Anything wrong raises
:class:`geo.errors.InputError` naming the file, the column and, for bad values, the row (the
header is row 1).

Tables read here:

* Census 2021 usual residents by six age bands by LSOA 2021: the long layout (one row per LSOA and
  age band) and the wide layout (one row per LSOA, also used by the Rutland file);
* English Indices of Deprivation 2019, File 2 (IMD and domain ranks and deciles; long English
  headers), and the target-area extract that adds the mid-2015 population denominators of File 6;
* the Digital Exclusion Risk Index (DERI) v1.6 LSOA scores (national scaling) with the DEPAHRI
  add-on columns;
* the ONS Census 2021 Digital Propensity Index (DPI) by LSOA 2011;
* lookups: LSOA 2011 -> LSOA 2021 -> LAD 2022, LSOA 2021 -> LAD 2023, the 2011 Rural-Urban
  Classification of LSOAs, and LSOA 2011 -> ward best-fit lookups.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from geo.errors import InputError

__all__ = [
    "ADULT_AGE_COLUMNS",
    "AGE_COLUMNS",
    "read_census_age",
    "read_deri",
    "read_digital_propensity",
    "read_imd2019",
    "read_lsoa11_lsoa21_lookup",
    "read_lsoa11_ward_lookup",
    "read_lsoa21_lad23_lookup",
    "read_rural_urban",
]

AGE_COLUMNS: tuple[str, ...] = (
    "age_0_15",
    "age_16_24",
    "age_25_34",
    "age_35_49",
    "age_50_64",
    "age_65_plus",
)
"""Census 2021 six age bands, as returned by :func:`read_census_age` (people)."""

ADULT_AGE_COLUMNS: tuple[str, ...] = AGE_COLUMNS[1:]
"""The five adult (16+) bands."""

_CENSUS_BANDS = {
    "aged 15 years and under": "age_0_15",
    "aged 16 to 24 years": "age_16_24",
    "aged 25 to 34 years": "age_25_34",
    "aged 35 to 49 years": "age_35_49",
    "aged 50 to 64 years": "age_50_64",
    "aged 65 years and over": "age_65_plus",
}

_LSOA = re.compile(r"^[EW]01\d{6}$")
_LAD = re.compile(r"^[EWSN]0[6789]\d{6}$")
_WARD = re.compile(r"^[EWSN]05\d{6}$")

Kind = Literal["lsoa", "lad", "ward", "text", "int", "float"]


@dataclass(frozen=True)
class _Column:
    name: str
    headers: tuple[str, ...]
    kind: Kind = "text"
    required: bool = True
    minimum: float | None = None
    maximum: float | None = None


def _fold(header: str) -> str:
    return re.sub(r"\s+", " ", str(header).replace("\ufeff", "")).strip().casefold()


def _open(path: str | Path) -> tuple[pd.DataFrame, str]:
    file = Path(path)
    name = file.name or str(file)
    if not file.is_file():
        raise InputError(f"no such file (looked for {file})", source=name)
    if not file.name.lower().endswith((".csv", ".csv.gz")):
        raise InputError("is not a CSV file: give a .csv or .csv.gz file", source=name)
    try:
        table = pd.read_csv(
            file, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig"
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as error:
        raise InputError(f"cannot be read as CSV ({error})", source=name) from None
    return table, name


def _find(table: pd.DataFrame, column: _Column) -> str | None:
    wanted = {_fold(header) for header in column.headers}
    for header in table.columns:
        if _fold(header) in wanted:
            return str(header)
    return None


def _convert(values: pd.Series, column: _Column, source: str, header: str) -> pd.Series:
    text = values.str.strip()
    if column.kind in ("lsoa", "lad", "ward"):
        pattern = {"lsoa": _LSOA, "lad": _LAD, "ward": _WARD}[column.kind]
        ok = text.fillna("").str.match(pattern)
        if not ok.all():
            position = int(np.flatnonzero(~ok.to_numpy())[0])
            raise InputError(
                f"{values.iloc[position]!r} is not an ONS {column.kind.upper()} code",
                source=source,
                column=header,
                row=position + 2,
            )
        return text.astype(object)
    if column.kind == "text":
        return text.astype(object)
    numbers = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce")
    bad = numbers.isna() & text.notna()
    if column.required:
        bad |= text.isna()
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"{values.iloc[position]!r} is not a number",
            source=source,
            column=header,
            row=position + 2,
        )
    out_of_range = pd.Series(False, index=numbers.index)
    if column.minimum is not None:
        out_of_range |= numbers < column.minimum
    if column.maximum is not None:
        out_of_range |= numbers > column.maximum
    if out_of_range.any():
        position = int(np.flatnonzero(out_of_range.to_numpy())[0])
        raise InputError(
            f"{values.iloc[position]!r} is outside {column.minimum}-{column.maximum}",
            source=source,
            column=header,
            row=position + 2,
        )
    if column.kind == "int":
        if not (numbers.dropna() == numbers.dropna().round()).all():
            position = int(np.flatnonzero((numbers != numbers.round()).to_numpy())[0])
            raise InputError(
                f"{values.iloc[position]!r} is not a whole number",
                source=source,
                column=header,
                row=position + 2,
            )
        return numbers.astype("Int64") if numbers.isna().any() else numbers.astype("int64")
    return numbers.astype("float64")


def _read(
    path: str | Path,
    columns: Sequence[_Column],
    *,
    index: str,
    unique: bool = True,
) -> pd.DataFrame:
    table, source = _open(path)
    return _tidy(table, source, columns, index=index, unique=unique)


def _tidy(
    table: pd.DataFrame,
    source: str,
    columns: Sequence[_Column],
    *,
    index: str,
    unique: bool = True,
) -> pd.DataFrame:
    found: dict[str, pd.Series] = {}
    for column in columns:
        header = _find(table, column)
        if header is None:
            if column.required:
                raise InputError(
                    f"lacks the column {column.headers[0]!r}; its columns are "
                    f"{', '.join(map(str, table.columns))}",
                    source=source,
                    column=column.headers[0],
                )
            continue
        found[column.name] = _convert(table[header], column, source, header)
    frame = pd.DataFrame(found)
    if frame.empty:
        raise InputError("has no data rows", source=source)
    if unique:
        repeated = frame[index].duplicated()
        if repeated.any():
            position = int(np.flatnonzero(repeated.to_numpy())[0])
            raise InputError(
                f"code {frame[index].iloc[position]} appears more than once",
                source=source,
                column=index,
                row=position + 2,
            )
    result = frame.set_index(index)
    # Codes are plain Python strings everywhere, so tables from any reader join cleanly.
    result.index = pd.Index(result.index.to_numpy(dtype=object), name=index)
    return result


# -- Census 2021 ages ---------------------------------------------------------------------------

_CENSUS_ID = (
    _Column("LSOA21CD", ("lsoa21_code", "LSOA21CD", "LSOA code"), "lsoa"),
    _Column("LSOA21NM", ("lsoa21_name", "LSOA21NM", "LSOA name"), required=False),
    _Column("LAD23CD", ("LAD23CD", "lad23_code"), "lad", required=False),
    _Column("LAD23NM", ("LAD23NM", "lad23_name"), required=False),
)


def read_census_age(path: str | Path) -> pd.DataFrame:
    """Read Census 2021 usual residents by six age bands by LSOA 2021 (long or wide layout).

    Parameters
    ----------
    path:
        Long layout: ``lsoa21_code, lsoa21_name, age_group, usual_residents[, LAD23CD,
        LAD23NM]``, one row per LSOA and band.  Wide layout: one row per LSOA with the six
        ``Aged …`` columns and ``total`` (as in the Rutland file).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``LSOA21CD``: ``LSOA21NM``, ``LAD23CD``, ``LAD23NM`` (where given), the six
        :data:`AGE_COLUMNS`, ``adults`` (16 and over) and ``total`` (people).

    Raises
    ------
    InputError
        If a column is missing, a count is not a whole number, an LSOA lacks a band (long), or
        ``total`` differs from the sum of the bands (wide).
    """
    table, source = _open(path)
    folded = {_fold(column): column for column in table.columns}
    if "age_group" in folded:
        long = _tidy(
            table,
            source,
            (
                *_CENSUS_ID,
                _Column("age_group", ("age_group",)),
                _Column("usual_residents", ("usual_residents",), "int", minimum=0),
            ),
            index="LSOA21CD",
            unique=False,
        ).reset_index()
        band = long["age_group"].map(lambda text: _CENSUS_BANDS.get(_fold(text)))
        if band.isna().any():
            position = int(np.flatnonzero(band.isna().to_numpy())[0])
            raise InputError(
                f"unknown age group {long['age_group'].iloc[position]!r}; expected "
                f"{', '.join(repr(label) for label in _CENSUS_BANDS)} (any case)",
                source=source,
                column=folded["age_group"],
                row=position + 2,
            )
        long["band"] = band
        if long.duplicated(["LSOA21CD", "band"]).any():
            position = int(np.flatnonzero(long.duplicated(["LSOA21CD", "band"]).to_numpy())[0])
            raise InputError(
                f"LSOA {long['LSOA21CD'].iloc[position]} has the same age group twice",
                source=source,
                column=folded["age_group"],
                row=position + 2,
            )
        wide = long.pivot(index="LSOA21CD", columns="band", values="usual_residents")
        wide = wide.reindex(columns=list(AGE_COLUMNS))
        incomplete = wide.index[wide.isna().any(axis=1)]
        if len(incomplete):
            raise InputError(
                f"LSOA {incomplete[0]} lacks one or more of the six age groups",
                source=source,
                column=folded["age_group"],
            )
        wide = wide.astype("int64")
        names = long.drop_duplicates("LSOA21CD").set_index("LSOA21CD")
        extra = [c for c in ("LSOA21NM", "LAD23CD", "LAD23NM") if c in names.columns]
        result = names[extra].join(wide, how="right")
        result["total"] = result[list(AGE_COLUMNS)].sum(axis=1)
        result.index = pd.Index(result.index.to_numpy(dtype=object), name="LSOA21CD")
    else:
        bands = [_Column(name, (label,), "int", minimum=0) for label, name in _CENSUS_BANDS.items()]
        result = _tidy(
            table,
            source,
            (*_CENSUS_ID, *bands, _Column("total", ("total",), "int", minimum=0)),
            index="LSOA21CD",
        )
        sums = result[list(AGE_COLUMNS)].sum(axis=1)
        wrong = np.flatnonzero((sums != result["total"]).to_numpy())
        if wrong.size:
            position = int(wrong[0])
            raise InputError(
                f"total {result['total'].iloc[position]} is not the sum of the age bands "
                f"({sums.iloc[position]})",
                source=source,
                column="total",
                row=position + 2,
            )
    result.insert(
        list(result.columns).index("total"), "adults", result[list(ADULT_AGE_COLUMNS)].sum(axis=1)
    )
    return result.sort_index()


# -- IMD 2019 -----------------------------------------------------------------------------------

_IMD_DOMAINS = (
    ("imd", "Index of Multiple Deprivation (IMD)"),
    ("income", "Income"),
    ("employment", "Employment"),
    ("education", "Education, Skills and Training"),
    ("health", "Health Deprivation and Disability"),
    ("crime", "Crime"),
    ("housing_services", "Barriers to Housing and Services"),
    ("living_environment", "Living Environment"),
)
_IMD_POPULATION = (
    ("population_2015", "Total population: mid 2015 (excluding prisoners)"),
    ("children_0_15_2015", "Dependent Children aged 0-15: mid 2015 (excluding prisoners)"),
    ("population_16_59_2015", "Population aged 16-59: mid 2015 (excluding prisoners)"),
    ("older_60_plus_2015", "Older population aged 60 and over: mid 2015 (excluding prisoners)"),
    (
        "working_age_2015",
        "Working age population 18-59/64: for use with Employment Deprivation Domain "
        "(excluding prisoners)",
    ),
)
IMD_LSOA_COUNT = 32844
"""Number of LSOAs (2011) ranked in the English Indices of Deprivation 2019."""


def read_imd2019(path: str | Path) -> pd.DataFrame:
    """Read the English Indices of Deprivation 2019, File 2 (ranks and deciles by LSOA 2011).

    Parameters
    ----------
    path:
        File 2 as published by MHCLG (long English headers such as "Income Rank (where 1 is most
        deprived)"; UTF-8 with a byte order mark; ``.csv`` or ``.csv.gz``), or an extract with
        short code headers (``lsoa11cd`` …) and the File 6 population columns.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``LSOA11CD``: ``LSOA11NM``, ``LAD19CD``, ``LAD19NM``, then ``<domain>_rank``
        (1 = most deprived of 32,844) and ``<domain>_decile`` (1 = most deprived 10%) for the
        domains ``imd``, ``income``, ``employment``, ``education``, ``health``, ``crime``,
        ``housing_services``, ``living_environment``; and the mid-2015 population columns
        (people) where the file has them.
    """
    columns = [
        _Column("LSOA11CD", ("LSOA code (2011)", "lsoa11cd", "LSOA11CD"), "lsoa"),
        _Column("LSOA11NM", ("LSOA name (2011)", "lsoa11nm", "LSOA11NM"), required=False),
        _Column(
            "LAD19CD",
            ("Local Authority District code (2019)", "lad19cd", "LAD19CD"),
            "lad",
            required=False,
        ),
        _Column(
            "LAD19NM",
            ("Local Authority District name (2019)", "lad19nm", "LAD19NM"),
            required=False,
        ),
    ]
    for key, label in _IMD_DOMAINS:
        columns.append(
            _Column(
                f"{key}_rank",
                (f"{label} Rank (where 1 is most deprived)",),
                "int",
                minimum=1,
                maximum=IMD_LSOA_COUNT,
            )
        )
        columns.append(
            _Column(
                f"{key}_decile",
                (f"{label} Decile (where 1 is most deprived 10% of LSOAs)",),
                "int",
                minimum=1,
                maximum=10,
            )
        )
    for key, label in _IMD_POPULATION:
        columns.append(_Column(key, (label,), "int", required=False, minimum=0))
    return _read(path, columns, index="LSOA11CD").sort_index()


# -- DERI and the Digital Propensity Index ------------------------------------------------------


def read_deri(path: str | Path) -> pd.DataFrame:
    """Read Digital Exclusion Risk Index (DERI) v1.6 LSOA scores, national scaling.

    Parameters
    ----------
    path:
        CSV with ``lsoa11_code``, ``broadband_comp_national``, ``demography_comp_national``,
        ``deprivation_comp_national``, ``deri_score_national`` and optionally the DEPAHRI columns
        ``health_access_comp_national``, ``depahri_score_national`` and names.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``LSOA11CD``: ``deri_broadband``, ``deri_demography``, ``deri_deprivation``,
        ``deri_score`` (0-10, higher = higher risk), and where present
        ``depahri_health_access``, ``depahri_score``, ``LSOA11NM``, ``LAD19CD``, ``LAD19NM``.
    """
    return _read(
        path,
        (
            _Column("LSOA11CD", ("lsoa11_code", "lsoa11cd", "LSOA11CD"), "lsoa"),
            _Column("LSOA11NM", ("lsoa11nm", "LSOA11NM"), required=False),
            _Column("LAD19CD", ("lad19cd", "LAD19CD"), "lad", required=False),
            _Column("LAD19NM", ("lad19nm", "LAD19NM"), required=False),
            _Column(
                "deri_broadband", ("broadband_comp_national",), "float", minimum=0.0, maximum=10.0
            ),
            _Column(
                "deri_demography", ("demography_comp_national",), "float", minimum=0.0, maximum=10.0
            ),
            _Column(
                "deri_deprivation",
                ("deprivation_comp_national",),
                "float",
                minimum=0.0,
                maximum=10.0,
            ),
            _Column("deri_score", ("deri_score_national",), "float", minimum=0.0, maximum=10.0),
            _Column(
                "depahri_health_access",
                ("health_access_comp_national",),
                "float",
                required=False,
                minimum=0.0,
                maximum=10.0,
            ),
            _Column(
                "depahri_score",
                ("depahri_score_national",),
                "float",
                required=False,
                minimum=0.0,
                maximum=10.0,
            ),
        ),
        index="LSOA11CD",
    ).sort_index()


def read_digital_propensity(path: str | Path) -> pd.DataFrame:
    """Read the ONS Census 2021 Digital Propensity Index (DPI) by LSOA 2011.

    Parameters
    ----------
    path:
        CSV with ``LSOAcode``, ``Region``, ``Local Authority name``, ``Score`` and optionally
        ``score_normalized``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``LSOA11CD``: ``region``, ``lad_name``, ``dpi_score`` (0-100, higher = more
        likely to respond online) and ``dpi_score_normalised`` (0-10) where present.
    """
    return _read(
        path,
        (
            _Column("LSOA11CD", ("LSOAcode", "lsoa11cd", "LSOA11CD", "lsoa_code"), "lsoa"),
            _Column("region", ("Region",), required=False),
            _Column("lad_name", ("Local Authority name",), required=False),
            _Column("dpi_score", ("Score", "dpi_score"), "float", minimum=0.0, maximum=100.0),
            _Column(
                "dpi_score_normalised",
                ("score_normalized", "score_normalised"),
                "float",
                required=False,
                minimum=0.0,
                maximum=10.0,
            ),
        ),
        index="LSOA11CD",
    ).sort_index()


# -- lookups ------------------------------------------------------------------------------------


def read_lsoa11_lsoa21_lookup(path: str | Path) -> pd.DataFrame:
    """Read the ONS LSOA 2011 -> LSOA 2021 -> LAD 2022 lookup.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``LSOA11CD`` (a 2011 code split in 2021 may appear on several rows, one per
        2021 LSOA): ``LSOA11NM``, ``LSOA21CD``, ``LSOA21NM``, ``LAD22CD``, ``LAD22NM`` and
        ``CHGIND`` (U unchanged, S split, M merged, X irregular) where the file has it.
    """
    return _read(
        path,
        (
            _Column("LSOA11CD", ("LSOA11CD",), "lsoa"),
            _Column("LSOA11NM", ("LSOA11NM",), required=False),
            _Column("LSOA21CD", ("LSOA21CD",), "lsoa"),
            _Column("LSOA21NM", ("LSOA21NM",), required=False),
            _Column("LAD22CD", ("LAD22CD",), "lad", required=False),
            _Column("LAD22NM", ("LAD22NM",), required=False),
            _Column("CHGIND", ("CHGIND", "F_CHGIND"), required=False),
        ),
        index="LSOA11CD",
        unique=False,
    ).sort_index()


def read_lsoa21_lad23_lookup(path: str | Path) -> pd.DataFrame:
    """Read the ONS LSOA 2021 -> LAD (April 2023) lookup.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``LSOA21CD``: ``LSOA21NM``, ``LAD23CD``, ``LAD23NM``.
    """
    return _read(
        path,
        (
            _Column("LSOA21CD", ("LSOA21CD",), "lsoa"),
            _Column("LSOA21NM", ("LSOA21NM",), required=False),
            _Column("LAD23CD", ("LAD23CD",), "lad"),
            _Column("LAD23NM", ("LAD23NM",), required=False),
        ),
        index="LSOA21CD",
    ).sort_index()


def read_rural_urban(path: str | Path) -> pd.DataFrame:
    """Read the ONS 2011 Rural-Urban Classification of LSOAs.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``LSOA11CD``: ``LSOA11NM``, ``RUC11CD`` (A1 … E2) and ``RUC11`` (its name).
    """
    return _read(
        path,
        (
            _Column("LSOA11CD", ("LSOA11CD",), "lsoa"),
            _Column("LSOA11NM", ("LSOA11NM",), required=False),
            _Column("RUC11CD", ("RUC11CD",)),
            _Column("RUC11", ("RUC11",)),
        ),
        index="LSOA11CD",
    ).sort_index()


def read_lsoa11_ward_lookup(path: str | Path) -> pd.DataFrame:
    """Read an ONS best-fit LSOA 2011 -> ward lookup (any ward vintage, e.g. ``WD19CD``).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``LSOA11CD``: ``LSOA11NM``, the ward code and name columns under their
        published names (``WD19CD``, ``WD19NM`` …) and the LAD columns where present.
    """
    table, source = _open(path)
    table.columns = [str(column).strip() for column in table.columns]
    ward_codes = [c for c in table.columns if re.fullmatch(r"WD\d\dCD", str(c).strip())]
    if len(ward_codes) != 1:
        raise InputError(
            "needs exactly one ward code column such as WD19CD or WD23CD; its columns are "
            f"{', '.join(map(str, table.columns))}",
            source=source,
            column="WDyyCD",
        )
    code = ward_codes[0].strip()
    name = code[:-2] + "NM"
    lad_code = next((c for c in table.columns if re.fullmatch(r"LAD\d\dCD", str(c))), None)
    lad_name = lad_code[:-2] + "NM" if lad_code else None
    columns = [
        _Column("LSOA11CD", ("LSOA11CD",), "lsoa"),
        _Column("LSOA11NM", ("LSOA11NM",), required=False),
        _Column(code, (code,), "ward"),
        _Column(name, (name,), required=False),
    ]
    if lad_code and lad_name:
        columns += [
            _Column(lad_code, (lad_code,), "lad"),
            _Column(lad_name, (lad_name,), required=False),
        ]
    return _tidy(table, source, columns, index="LSOA11CD").sort_index()
