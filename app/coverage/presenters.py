"""Coverage figures shaped for pages and downloads: ward and LSOA tables, gaps, the comparison
with Ofcom's reported figures, the model run, and export tables with their notes."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.coverage import services
from app.coverage.models import (
    AreaCoverage,
    CoverageGap,
    OfcomFixedCoverage,
    OfcomImport,
    OfcomMobileRating,
    PremisesCoverage,
)
from app.coverage.settings import BUILDING_LOSS_LABELS, Assumption, settings_from_parameters
from app.places.models import Area, ModelRun, Premises
from app.places.storage import BNG, WGS84
from core.clock import to_london
from core.suppression import format_count, is_small
from geo.coverage.tiers import TIERS
from maps.export import ODBL, OGL_V3, ONS_ATTRIBUTION, OS_ATTRIBUTION, ExportMetadata

TIER_LABELS = {
    "below_uso": "Below the USO (under 10 Mbit/s down or 1 up)",
    "decent": "Decent (10 to 30 Mbit/s)",
    "superfast": "Superfast (30 to 300 Mbit/s)",
    "ultrafast": "Ultrafast (300 to 1,000 Mbit/s)",
    "gigabit": "Gigabit (1,000 Mbit/s or more)",
}
SHORT_TIER_LABELS = {
    "below_uso": "Below USO",
    "decent": "Decent",
    "superfast": "Superfast",
    "ultrafast": "Ultrafast",
    "gigabit": "Gigabit",
}
AREA_WORDS = {"ward": "wards", "lsoa": "LSOAs", "oa": "output areas"}
OFCOM_OPERATOR_CODES = {"EE": "EE", "Three": "H3", "O2": "TF", "Vodafone": "VO"}
"""Network names used by the model → Ofcom's operator codes in the per-address data."""
OFCOM_OPERATOR_NAMES = {"EE": "EE", "H3": "Three", "TF": "O2 (Virgin Media O2)", "VO": "Vodafone"}


def _number(value: Any) -> float | None:
    if value is None:
        return None
    result = float(value)
    return None if math.isnan(result) else result


def percent(value: float | None, *, places: int = 0) -> str:
    """A share (0-1) as a percentage for a page ("No data" when missing)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "No data"
    return f"{value * 100:.{places}f}%"


def latest_run(session: Session) -> ModelRun | None:
    """The latest run of the coverage stage."""
    return services.latest_run(session)


# --- area tables -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AreaRow:
    """Coverage figures of one ward or LSOA."""

    code: str
    name: str
    premises: int
    residents: float
    premises_by_tier: dict[str, int]
    residents_by_tier: dict[str, float]
    premises_below_uso: int
    residents_below_uso: float
    premises_no_indoor_4g: int
    share_superfast: float | None
    share_ultrafast: float | None
    share_gigabit: float | None
    share_full_fibre: float | None
    share_good_4g_indoor_any: float | None
    share_good_4g_indoor_all: float | None
    share_good_4g_outdoor_any: float | None
    share_good_5g_outdoor_any: float | None
    share_not_spot: float | None
    share_within_wifi_reach: float | None


def area_rows(session: Session, *, kind: str, ward_code: str | None = None) -> list[AreaRow]:
    """Coverage of every ward (or the LSOAs of one ward), by name."""
    query = (
        select(AreaCoverage, Area.name)
        .join(
            Area,
            (Area.code == AreaCoverage.code) & (Area.vintage == AreaCoverage.vintage),
            isouter=True,
        )
        .where(AreaCoverage.kind == kind)
    )
    if ward_code is not None:
        query = query.where(Area.ward_code == ward_code)
    rows = []
    for record, name in session.execute(query).all():
        rows.append(
            AreaRow(
                code=record.code,
                name=name or record.code,
                premises=record.premises,
                residents=record.residents,
                premises_by_tier={t: int(record.premises_by_tier.get(t, 0)) for t in TIERS},
                residents_by_tier={t: float(record.residents_by_tier.get(t, 0.0)) for t in TIERS},
                premises_below_uso=record.premises_below_uso,
                residents_below_uso=record.residents_below_uso,
                premises_no_indoor_4g=record.premises_no_indoor_4g,
                share_superfast=_number(record.share_superfast),
                share_ultrafast=_number(record.share_ultrafast),
                share_gigabit=_number(record.share_gigabit),
                share_full_fibre=_number(record.share_full_fibre),
                share_good_4g_indoor_any=_number(record.share_good_4g_indoor_any),
                share_good_4g_indoor_all=_number(record.share_good_4g_indoor_all),
                share_good_4g_outdoor_any=_number(record.share_good_4g_outdoor_any),
                share_good_5g_outdoor_any=_number(record.share_good_5g_outdoor_any),
                share_not_spot=_number(record.share_not_spot),
                share_within_wifi_reach=_number(record.share_within_wifi_reach),
            )
        )
    return sorted(rows, key=lambda row: (row.name, row.code))


@dataclass(frozen=True)
class SummaryRow:
    """One ward of the councillors' table: counts as text, small numbers suppressed."""

    name: str
    premises: str
    premises_below_uso: str
    residents_below_uso: str
    premises_no_indoor_4g: str
    share_superfast: str
    share_good_4g_indoor_any: str


def summary_rows(session: Session, *, suppress: bool, threshold: int) -> list[SummaryRow]:
    """Ward figures for councillors (``suppress``) or staff: small counts hidden for councillors.

    A share is hidden with its count: where the premises below the line number 1 to
    ``threshold - 1``, the share would give them away.
    """

    def count(value: float) -> str:
        if suppress:
            return format_count(round(value), threshold=threshold)
        return f"{round(value):,}"

    rows = []
    for row in area_rows(session, kind="ward"):
        below_superfast = row.premises_by_tier["below_uso"] + row.premises_by_tier["decent"]
        hide_superfast = suppress and (
            is_small(below_superfast, threshold=threshold)
            or is_small(row.premises - below_superfast, threshold=threshold)
        )
        hide_4g = suppress and (
            is_small(row.premises_no_indoor_4g, threshold=threshold)
            or is_small(row.premises - row.premises_no_indoor_4g, threshold=threshold)
        )
        rows.append(
            SummaryRow(
                name=row.name,
                premises=count(row.premises),
                premises_below_uso=count(row.premises_below_uso),
                residents_below_uso=count(row.residents_below_uso),
                premises_no_indoor_4g=count(row.premises_no_indoor_4g),
                share_superfast="not shown" if hide_superfast else percent(row.share_superfast),
                share_good_4g_indoor_any=(
                    "not shown" if hide_4g else percent(row.share_good_4g_indoor_any)
                ),
            )
        )
    return rows


# --- gaps ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GapRow:
    """One area in the ranked list of coverage gaps."""

    rank: int
    code: str
    name: str
    ward_code: str | None
    ward_name: str | None
    premises: int
    residents: float
    premises_affected: int
    residents_affected: float
    share_residents_affected: float | None
    premises_below_uso: int
    residents_below_uso: float
    premises_no_indoor_4g: int
    residents_no_indoor_4g: float


def gap_rows(session: Session, *, kind: str) -> list[GapRow]:
    """Areas of ``kind`` ranked by the residents in premises below the USO or without indoor 4G."""
    wards = dict(session.execute(select(Area.code, Area.name).where(Area.kind == "ward")).all())
    query = (
        select(CoverageGap, Area.name, Area.ward_code)
        .join(
            Area,
            (Area.code == CoverageGap.code) & (Area.vintage == CoverageGap.vintage),
            isouter=True,
        )
        .where(CoverageGap.kind == kind)
        .order_by(CoverageGap.rank)
    )
    rows = []
    for gap, name, ward_code in session.execute(query).all():
        ward = gap.code if kind == "ward" else ward_code
        rows.append(
            GapRow(
                rank=gap.rank,
                code=gap.code,
                name=name or gap.code,
                ward_code=ward,
                ward_name=wards.get(ward) if ward else None,
                premises=gap.premises,
                residents=gap.residents,
                premises_affected=gap.premises_affected,
                residents_affected=gap.residents_affected,
                share_residents_affected=_number(gap.share_residents_affected),
                premises_below_uso=gap.premises_below_uso,
                residents_below_uso=gap.residents_below_uso,
                premises_no_indoor_4g=gap.premises_no_indoor_4g,
                residents_no_indoor_4g=gap.residents_no_indoor_4g,
            )
        )
    return rows


# --- modelled against reported ---------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    """One figure, modelled and reported, as shares of premises (0-1)."""

    modelled: float | None
    reported: float | None

    @property
    def difference_points(self) -> float | None:
        """Modelled minus reported, percentage points."""
        if self.modelled is None or self.reported is None:
            return None
        return (self.modelled - self.reported) * 100


@dataclass(frozen=True)
class FixedComparisonRow:
    """Fixed broadband in one area: modelled against Ofcom's reported figures."""

    code: str
    name: str
    areas_matched: int
    premises_modelled: int
    premises_reported: float | None
    unable_30: Measure
    below_uso: Measure
    full_fibre: Measure
    gigabit: Measure


@dataclass(frozen=True)
class MobileComparisonRow:
    """Indoor 4G data at the addresses Ofcom rates in one ward (or the borough)."""

    code: str
    name: str
    addresses: int
    indoor_4g_any: Measure
    agreement: float | None


@dataclass(frozen=True)
class OperatorComparisonRow:
    """Indoor 4G data from one operator, modelled against Ofcom's 'likely' rating."""

    operator: str
    addresses_rated: int
    indoor_4g: Measure


@dataclass
class Comparison:
    """Everything the "modelled against reported" page shows."""

    imports: list[OfcomImport]
    fixed_level: str | None = None
    fixed_areas: list[FixedComparisonRow] = field(default_factory=list)
    fixed_wards: list[FixedComparisonRow] = field(default_factory=list)
    mobile_wards: list[MobileComparisonRow] = field(default_factory=list)
    mobile_total: MobileComparisonRow | None = None
    mobile_operators: list[OperatorComparisonRow] = field(default_factory=list)


def _weighted(frame: pd.DataFrame, column: str, weights: pd.Series, by: str) -> pd.Series:
    present = frame[column].notna()
    w = weights.where(present, 0.0)
    numerator = (frame[column].fillna(0.0) * w).groupby(frame[by]).sum()
    denominator = w.groupby(frame[by]).sum()
    return (numerator / denominator.where(denominator > 0)) / 100.0


def _fixed_comparison(session: Session, comparison: Comparison) -> None:
    rows = session.execute(
        select(
            OfcomFixedCoverage.area_kind,
            OfcomFixedCoverage.small_area_code,
            OfcomFixedCoverage.all_premises,
            OfcomFixedCoverage.sfbb_availability_pct,
            OfcomFixedCoverage.full_fibre_availability_pct,
            OfcomFixedCoverage.gigabit_availability_pct,
            OfcomFixedCoverage.unable_10_mbps_pct,
            OfcomFixedCoverage.unable_30_mbps_pct,
            OfcomFixedCoverage.below_uso_pct,
        )
    ).all()
    if not rows:
        return
    reported = pd.DataFrame(
        rows,
        columns=[
            "area_kind", "code", "all_premises", "sfbb", "full_fibre", "gigabit", "unable_10",
            "unable_30", "below_uso",
        ],
    ).astype({c: float for c in ("all_premises", "sfbb", "full_fibre", "gigabit", "unable_10", "unable_30", "below_uso")})  # fmt: skip
    # One level per page: the finest imported (output areas over LSOAs).
    kind = "oa" if (reported["area_kind"] == "oa").any() else "lsoa"
    reported = reported[reported["area_kind"] == kind].copy()
    comparison.fixed_level = kind
    reported["unable_30"] = reported["unable_30"].fillna(100.0 - reported["sfbb"])
    reported["below_uso"] = reported["below_uso"].fillna(reported["unable_10"])
    weights = reported["all_premises"].fillna(1.0)
    modelled = pd.DataFrame(
        session.execute(
            select(
                AreaCoverage.code,
                AreaCoverage.premises,
                AreaCoverage.premises_below_superfast,
                AreaCoverage.premises_below_uso,
                AreaCoverage.premises_full_fibre,
                AreaCoverage.premises_gigabit_capable,
            ).where(AreaCoverage.kind == kind)
        ).all(),
        columns=["code", "premises", "below_30", "below_uso", "full_fibre", "gigabit"],
    ).set_index("code")
    areas = (
        pd.DataFrame(
            session.execute(
                select(Area.code, Area.name, Area.ward_code).where(Area.kind == kind)
            ).all(),
            columns=["code", "name", "ward_code"],
        )
        .drop_duplicates("code")
        .set_index("code")
    )
    wards = dict(session.execute(select(Area.code, Area.name).where(Area.kind == "ward")).all())
    reported["ward_code"] = reported["code"].map(areas["ward_code"])

    def build(
        frame: pd.DataFrame, by: str, names: Mapping[Any, Any], counts: pd.DataFrame
    ) -> list[FixedComparisonRow]:
        w = weights.loc[frame.index]
        shares = {
            measure: _weighted(frame, measure, w, by)
            for measure in ("unable_30", "below_uso", "full_fibre", "gigabit")
        }
        matched = frame.groupby(by).size()
        premises_reported = frame["all_premises"].groupby(frame[by]).sum(min_count=1)
        result = []
        for code in sorted(matched.index, key=lambda c: (names.get(c, c), c)):
            model = counts.loc[code] if code in counts.index else None
            total = float(model["premises"]) if model is not None else 0.0

            def share(
                column: str, model: pd.Series | None = model, total: float = total
            ) -> float | None:
                return float(model[column]) / total if model is not None and total else None

            result.append(
                FixedComparisonRow(
                    code=str(code),
                    name=names.get(code, str(code)),
                    areas_matched=int(matched[code]),
                    premises_modelled=int(total),
                    premises_reported=_number(premises_reported.get(code)),
                    unable_30=Measure(share("below_30"), _number(shares["unable_30"].get(code))),
                    below_uso=Measure(share("below_uso"), _number(shares["below_uso"].get(code))),
                    full_fibre=Measure(
                        share("full_fibre"), _number(shares["full_fibre"].get(code))
                    ),
                    gigabit=Measure(share("gigabit"), _number(shares["gigabit"].get(code))),
                )
            )
        return result

    comparison.fixed_areas = build(reported, "code", areas["name"].dropna().to_dict(), modelled)
    # Wards: the modelled counts of the same small areas, so both sides cover the same premises.
    in_ward = modelled.join(areas["ward_code"]).dropna(subset=["ward_code"])
    in_ward = in_ward[in_ward.index.isin(set(reported["code"]))]
    ward_counts = in_ward.groupby("ward_code")[
        ["premises", "below_30", "below_uso", "full_fibre", "gigabit"]
    ].sum()
    comparison.fixed_wards = build(
        reported.dropna(subset=["ward_code"]), "ward_code", wards, ward_counts
    )


def _mobile_comparison(session: Session, comparison: Comparison, threshold_dbm: float) -> None:
    rows = session.execute(
        select(
            OfcomMobileRating.uprn,
            OfcomMobileRating.ratings,
            OfcomMobileRating.import_id,
            Premises.ward_code,
            PremisesCoverage.good_4g_indoor_any,
            PremisesCoverage.rsrp_dbm,
        )
        .join(Premises, Premises.reference == OfcomMobileRating.uprn)
        .join(PremisesCoverage, PremisesCoverage.premises_id == Premises.id)
        .order_by(OfcomMobileRating.import_id.desc())
    ).all()
    if not rows:
        return
    frame = pd.DataFrame(
        rows, columns=["uprn", "ratings", "import_id", "ward_code", "modelled", "rsrp"]
    ).drop_duplicates("uprn")  # the latest import wins for an address in two files
    ratings = pd.DataFrame(list(frame["ratings"]), index=frame.index)
    operators = [op for op in ("EE", "H3", "TF", "VO") if f"{op}_data_indoor" in ratings.columns]
    if not operators:
        return
    likely = pd.DataFrame(
        {op: pd.to_numeric(ratings[f"{op}_data_indoor"], errors="coerce") >= 4 for op in operators}
    )
    frame["reported"] = likely.any(axis=1)
    frame["modelled"] = frame["modelled"].astype(bool)
    wards = dict(session.execute(select(Area.code, Area.name).where(Area.kind == "ward")).all())

    def row(code: str, name: str, part: pd.DataFrame) -> MobileComparisonRow:
        return MobileComparisonRow(
            code=code,
            name=name,
            addresses=len(part),
            indoor_4g_any=Measure(float(part["modelled"].mean()), float(part["reported"].mean())),
            agreement=float((part["modelled"] == part["reported"]).mean()),
        )

    comparison.mobile_total = row("", "Whole borough", frame)
    comparison.mobile_wards = sorted(
        (
            row(str(code), wards.get(str(code)) or str(code), part)
            for code, part in frame.dropna(subset=["ward_code"]).groupby("ward_code")
        ),
        key=lambda item: item.name,
    )
    by_code = {code: name for name, code in OFCOM_OPERATOR_CODES.items()}
    signal = rsrp_by_operator(frame["rsrp"])
    for op in operators:
        rated = ratings[f"{op}_data_indoor"].notna()
        model_name = by_code.get(op)
        modelled = None
        column = f"rsrp_4g_indoor_dbm_{model_name}"
        if model_name is not None and column in signal.columns:
            good = signal[column] >= threshold_dbm
            modelled = float(good[rated].mean()) if rated.any() else None
        comparison.mobile_operators.append(
            OperatorComparisonRow(
                operator=OFCOM_OPERATOR_NAMES[op],
                addresses_rated=int(rated.sum()),
                indoor_4g=Measure(
                    modelled, float(likely.loc[rated, op].mean()) if rated.any() else None
                ),
            )
        )


def comparison(session: Session) -> Comparison:
    """Modelled figures beside Ofcom's reported ones, for every imported Ofcom file."""
    imports = services.list_ofcom_imports(session)
    result = Comparison(imports=imports)
    if not imports:
        return result
    run = latest_run(session)
    threshold = float((run.parameters if run else {}).get("indoor_4g_dbm", -105.0))
    _fixed_comparison(session, result)
    _mobile_comparison(session, result, threshold)
    return result


# --- the model run ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RunView:
    """A model run, shaped for the page."""

    run: ModelRun
    inputs: list[dict[str, Any]]
    assumptions: list[Assumption]
    notes: list[str]
    thresholds: list[tuple[str, str]]
    areas_text: str


def run_view(session: Session) -> RunView | None:
    """The latest coverage run: when, inputs, parameters and the assumptions behind it."""
    run = latest_run(session)
    if run is None:
        return None
    settings = settings_from_parameters(run.parameters)
    thresholds = [
        ("FTTC speed curve", settings.vdsl_curve),
        ("Good 4G outdoors", f"{settings.outdoor_4g_dbm:g} dBm"),
        ("Good 4G indoors", f"{settings.indoor_4g_dbm:g} dBm"),
        ("Good 5G outdoors", f"{settings.outdoor_5g_dbm:g} dBm"),
        ("Good 5G indoors", f"{settings.indoor_5g_dbm:g} dBm"),
        (
            "Building entry loss",
            BUILDING_LOSS_LABELS.get(settings.building_loss_model, settings.building_loss_model),
        ),
        ("Public Wi-Fi usable level", f"{settings.wifi_sensitivity_dbm:g} dBm"),
        ("Broadband tiers", "USO 10/1 Mbit/s; superfast 30; ultrafast 300; gigabit 1,000"),
    ]
    return RunView(
        run=run,
        inputs=list(run.parameters.get("inputs", [])),
        assumptions=settings.assumptions(),
        notes=list(run.summary.get("notes", [])),
        thresholds=thresholds,
        areas_text=", ".join(
            f"{count:,} {AREA_WORDS.get(kind, kind)}"
            for kind, count in run.summary.get("areas", {}).items()
        )
        or "none",
    )


# --- exports ---------------------------------------------------------------------------------

AREA_EXPORT_KINDS = {"wards": "ward", "lsoas": "lsoa"}


def _sources_line(run: ModelRun) -> str:
    parts = []
    for item in run.parameters.get("inputs", []):
        if item.get("count") and item.get("sources"):
            parts.append(f"{item['layer']}: {'; '.join(item['sources'])}")
    return (
        "Digital Inclusion Planner coverage model (modelled estimates, not measurements), from "
        + (" | ".join(parts) if parts else "the stored layers")
    )


def export_metadata(session: Session, run: ModelRun, *, title: str) -> ExportMetadata:
    """Title, source, date and licence lines for a coverage download."""
    sources = _sources_line(run)
    lowered = sources.lower()
    if "demo borough" in lowered:
        # The demo borough: made-up places, so no real publisher to credit.
        attribution = ["Synthetic demo data generated by the service: not a real place"]
    else:
        attribution = [ONS_ATTRIBUTION, OS_ATTRIBUTION]
        if "openstreetmap" in lowered or ".osm" in lowered:
            attribution.append(
                f"Road lengths from OpenStreetMap data, © OpenStreetMap contributors ({ODBL})"
            )
        if "synthetic" in lowered:
            attribution.append("Some inputs are synthetic: see the source line")
    attribution.append("Assumptions and inputs: see the model run page of the service")
    when = to_london(run.started_at).date() if run.started_at else date.today()
    return ExportMetadata(
        title=title,
        source=sources,
        date=when,
        licence=OGL_V3,
        attribution=tuple(attribution),
    )


def area_export(session: Session, *, kind: str) -> gpd.GeoDataFrame:
    """Per-area figures with the area outlines, EPSG:27700 (one row per area)."""
    query = (
        select(AreaCoverage, Area.name, Area.ward_code, Area.geometry)
        .join(Area, (Area.code == AreaCoverage.code) & (Area.vintage == AreaCoverage.vintage))
        .where(AreaCoverage.kind == kind)
        .order_by(AreaCoverage.code)
    )
    records = []
    geometries = []
    for record, name, ward_code, geometry in session.execute(query).all():
        row: dict[str, Any] = {"code": record.code, "name": name, "vintage": record.vintage}
        if kind != "ward":
            row["ward_code"] = ward_code
        row |= {"premises": record.premises, "residents": round(record.residents, 1)}
        for tier in TIERS:
            row[f"premises_{tier}"] = int(record.premises_by_tier.get(tier, 0))
        for tier in TIERS:
            row[f"residents_{tier}"] = round(float(record.residents_by_tier.get(tier, 0.0)), 1)
        row |= {
            "premises_below_uso": record.premises_below_uso,
            "residents_below_uso": round(record.residents_below_uso, 1),
            "premises_no_indoor_4g": record.premises_no_indoor_4g,
        }
        for name_ in (
            "share_superfast", "share_ultrafast", "share_gigabit", "share_full_fibre",
            "share_good_4g_indoor_any", "share_good_4g_indoor_all", "share_good_4g_outdoor_any",
            "share_good_5g_outdoor_any", "share_not_spot", "share_within_wifi_reach",
        ):  # fmt: skip
            value = _number(getattr(record, name_))
            row[name_] = None if value is None else round(value, 4)
        records.append(row)
        geometries.append(geometry)
    frame = pd.DataFrame(records)
    geoms: Any = shapely.from_geojson(np.asarray(geometries, dtype=object)) if geometries else []
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=WGS84)).to_crs(BNG)


def rsrp_by_operator(texts: pd.Series) -> pd.DataFrame:
    """Columns ``rsrp_<part>_dbm_<operator>`` (dBm, NaN: no signal) from stored RSRP texts.

    ``part`` is ``4g_outdoor``, ``4g_indoor``, ``5g_outdoor`` or ``5g_indoor``; the frame is
    indexed like ``texts``.
    """
    # One parse of the whole column: far quicker than one json.loads per premises.
    parsed = json.loads("[" + ",".join(text or "{}" for text in texts) + "]")
    keys = [tuple(value.get("operators", ())) for value in parsed]
    names = sorted({op for key in set(keys) for op in key})
    columns = [f"rsrp_{part}_dbm_{op}" for part in services.RSRP_PARTS for op in names]
    data = np.full((len(parsed), len(columns)), np.nan)
    # Every premises of one run lists the same operators: one block per operator list.
    for key in set(keys):
        if not key:
            continue
        rows = np.flatnonzero([k == key for k in keys])
        for part in services.RSRP_PARTS:
            values = np.array([parsed[i].get(part, [None] * len(key)) for i in rows], dtype=float)
            targets = np.array([columns.index(f"rsrp_{part}_dbm_{op}") for op in key])
            data[np.ix_(rows, targets)] = values
    return pd.DataFrame(data, index=texts.index, columns=columns)


def premises_export(session: Session) -> gpd.GeoDataFrame:
    """Per-premises results as points, EPSG:27700, with per-operator RSRP columns (dBm)."""
    results = services.premises_results(session)
    rsrp = rsrp_by_operator(results.pop("rsrp_dbm"))
    frame = pd.concat([results.drop(columns=["id", "lon", "lat", "x_m", "y_m"]), rsrp], axis=1)
    points = gpd.points_from_xy(results["x_m"], results["y_m"])
    return gpd.GeoDataFrame(
        frame.rename(columns={"reference": "premises_reference"}),
        geometry=gpd.GeoSeries(points, crs=BNG),
    )
