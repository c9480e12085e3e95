"""Downloads: every layer and table as GeoJSON, CSV and GeoPackage, and maps as HTML.

Each file carries its title, source, date and licence (:class:`maps.export.ExportMetadata`):
GeoJSON in a ``metadata`` member, CSV in leading ``#`` lines, GeoPackage in the layer
description and metadata, HTML in a footer.  Figures are shown as the signed-in user may see
them: councillors and the public get the suppressed figures (``[c]`` in CSV, empty/null in
GeoJSON and GeoPackage), never the numbers behind them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from app.wards.figures import CellLayerSpec, MapLayerSpec, RasterLayerSpec, WardFigure
from app.wards.geography import BNG, catchment_frame, site_frame, venue_frame
from app.wards.presenters import Detail, Shown, shown_figure, shown_layer
from app.wards.services import WardData
from core.suppression import CONFIDENTIAL_MARKER, NOT_AVAILABLE_MARKER, SUPPRESSION_NOTE
from maps.export import (
    ODBL,
    OGL_V3,
    ONS_ATTRIBUTION,
    OS_ATTRIBUTION,
    OSM_ATTRIBUTION,
    ExportMetadata,
    to_csv_bytes,
    to_geojson_bytes,
    to_geopackage_bytes,
)
from maps.grid import bin_premises

FORMATS = ("geojson", "csv", "gpkg")
MEDIA_TYPES = {
    "geojson": "application/geo+json",
    "csv": "text/csv; charset=utf-8",
    "gpkg": "application/geopackage+sqlite3",
    "html": "text/html; charset=utf-8",
}
ATTRIBUTION = (ONS_ATTRIBUTION, OS_ATTRIBUTION, OSM_ATTRIBUTION)
MIXED_LICENCE = f"{OGL_V3}; data derived from OpenStreetMap: {ODBL}"

WARD_FIGURES = "ward_figures"
VENUES = "venues"
CATCHMENTS = "catchments"
MOBILE_SITES = "mobile_sites"
BUILT_IN = (WARD_FIGURES, VENUES, CATCHMENTS, MOBILE_SITES)


@dataclass(frozen=True)
class Dataset:
    """A downloadable layer or table."""

    key: str
    title: str
    description: str
    source: str
    licence: str
    date: date | None


@dataclass(frozen=True)
class Export:
    """One dataset ready to write: features (with geometry), the CSV table and the notes."""

    frame: gpd.GeoDataFrame
    table: pd.DataFrame
    metadata: ExportMetadata
    notes: tuple[str, ...]


def datasets(data: WardData) -> list[Dataset]:
    """Every dataset that can be downloaded for the current data (raster layers excepted)."""
    found = [
        Dataset(
            WARD_FIGURES,
            "Ward figures",
            "Every figure of the ward profiles, one row per ward",
            "; ".join(dict.fromkeys(figure.source for figure in data.collected.figures))
            or "Digital Inclusion Planner",
            MIXED_LICENCE,
            None,
        )
    ]
    for spec in data.collected.layers:
        if isinstance(spec, RasterLayerSpec) or spec.key in BUILT_IN:
            continue
        what = "hexagons" if isinstance(spec, CellLayerSpec) else f"{spec.area_kind}s"
        found.append(
            Dataset(
                spec.key,
                spec.title,
                f"{spec.legend_title}, by {what}".replace("lsoas", "LSOAs"),
                spec.source,
                spec.licence,
                spec.date,
            )
        )
    found.extend(
        [
            Dataset(
                VENUES,
                "Places to get help",
                "Libraries, community centres and other places to get help or get online",
                "Place model",
                ODBL,
                None,
            ),
            Dataset(
                CATCHMENTS,
                "Walking catchments of the places to get help",
                "Streets within 5, 10 and 15 minutes' walk of each place, with residents",
                "Walking access model on the OpenStreetMap street network",
                ODBL,
                None,
            ),
            Dataset(
                MOBILE_SITES,
                "Mobile phone masts",
                "Mobile sites by operator and technology",
                "Mobile site records",
                OGL_V3,
                None,
            ),
        ]
    )
    return found


def find_dataset(data: WardData, key: str) -> Dataset | None:
    """The dataset called ``key``, or ``None``."""
    return next((dataset for dataset in datasets(data) if dataset.key == key), None)


def _metadata(dataset: Dataset, *, today: date, council: str) -> ExportMetadata:
    return ExportMetadata(
        title=f"{dataset.title}, {council}",
        source=f"Digital Inclusion Planner, from {dataset.source}",
        date=dataset.date or today,
        licence=dataset.licence,
        attribution=ATTRIBUTION,
    )


def _csv_cell(shown: Shown, raw: float | None) -> object:
    if shown.suppressed:
        return CONFIDENTIAL_MARKER
    if raw is None or shown.value is None:
        return NOT_AVAILABLE_MARKER
    return shown.value


def _suppression_notes(detail: Detail, threshold: float) -> tuple[str, ...]:
    if detail == "full":
        return ("Small numbers are shown in full: do not publish this file as it is.",)
    limit = int(threshold) if float(threshold).is_integer() else threshold
    return (
        SUPPRESSION_NOTE.format(threshold=limit),
        "In GeoJSON and GeoPackage files a hidden or missing figure is empty (null).",
    )


def _ward_figures(
    data: WardData, detail: Detail, threshold: float
) -> tuple[gpd.GeoDataFrame, pd.DataFrame, tuple[str, ...]]:
    wards = data.ward_geometry
    codes = [str(code) for code in wards["code"]]
    geo = pd.DataFrame(
        {"ward_code": codes, "ward_name": wards["name"].astype(str), "vintage": wards["vintage"]}
    )
    table = geo.copy()
    borough: dict[str, object] = {"ward_code": "", "ward_name": "Borough", "vintage": ""}
    lines = []
    for figure in data.collected.figures:
        shown, whole = shown_figure(figure, detail=detail, threshold=threshold, codes=codes)
        geo[figure.key] = pd.array([shown[code].value for code in codes], dtype="Float64")
        table[figure.key] = pd.Series(
            [_csv_cell(shown[code], figure.value(code)) for code in codes],
            index=table.index,
            dtype=object,
        )
        borough[figure.key] = _csv_cell(whole, figure.borough)
        lines.append(
            f"{figure.key}: {figure.label} ({_unit_words(figure)}). Source: {figure.source}"
        )
    table = pd.concat([table, pd.DataFrame([borough])], ignore_index=True)
    frame = gpd.GeoDataFrame(geo, geometry=wards.geometry.to_numpy(), crs=wards.crs)
    return frame, table, tuple(lines)


def _unit_words(item: WardFigure | MapLayerSpec) -> str:
    return {
        "count": "a count",
        "share": "a share from 0 to 1",
        "minutes": "minutes",
        "index": "an index score",
        "mbps": "Mbit/s",
    }[item.unit]


def _area_layer(
    data: WardData, spec: MapLayerSpec, detail: Detail, threshold: float
) -> tuple[gpd.GeoDataFrame, pd.DataFrame, tuple[str, ...]]:
    source = data.ward_geometry if spec.area_kind == "ward" else data.lsoa_geometry
    codes = [str(code) for code in source["code"]]
    shown, whole = shown_layer(spec, detail=detail, threshold=threshold, codes=codes)
    columns: dict[str, Any] = {
        "code": codes,
        "name": source["name"].fillna(source["code"]).astype(str).to_numpy(),
        "vintage": source["vintage"].to_numpy(),
    }
    if spec.area_kind == "lsoa":
        columns["ward_code"] = source["ward_code"].to_numpy()
    geo = pd.DataFrame(columns)
    table = geo.copy()
    geo[spec.key] = pd.array([shown[code].value for code in codes], dtype="Float64")
    table[spec.key] = pd.Series(
        [_csv_cell(shown[code], spec.values.get(code)) for code in codes],
        index=table.index,
        dtype=object,
    )
    if spec.borough is not None:
        extra = {
            "code": "",
            "name": "Borough",
            "vintage": "",
            spec.key: _csv_cell(whole, spec.borough),
        }
        table = pd.concat([table, pd.DataFrame([extra])], ignore_index=True)
    frame = gpd.GeoDataFrame(geo, geometry=source.geometry.to_numpy(), crs=source.crs)
    return frame, table, (f"{spec.key}: {spec.legend_title} ({_unit_words(spec)})",)


def _cells(
    spec: CellLayerSpec, detail: Detail, threshold: float
) -> tuple[gpd.GeoDataFrame, pd.DataFrame, tuple[str, ...]]:
    premises = gpd.GeoDataFrame(
        {"flag": spec.flags}, geometry=gpd.points_from_xy(spec.x_m, spec.y_m), crs=BNG
    )
    min_count = 1 if detail == "full" else max(int(np.ceil(threshold)), 1)
    cells = bin_premises(
        premises, flag_column="flag", cell_size_m=spec.cell_size_m, min_count=min_count
    ).drop(columns=["row", "col"])
    table = pd.DataFrame(cells.drop(columns="geometry")).astype(object)
    for column in ("premises_count", "flagged_count", "share"):
        table[column] = [
            CONFIDENTIAL_MARKER if hidden else value
            for hidden, value in zip(cells["suppressed"], cells[column].astype(object), strict=True)
        ]
    notes = (
        f"Hexagons {spec.cell_size_m:g} metres across; share = {spec.legend_title}.",
        f"Hexagons with fewer than {min_count} premises have their figures removed.",
    )
    return cells, table, notes


def _venues(session: Session) -> tuple[gpd.GeoDataFrame, pd.DataFrame, tuple[str, ...]]:
    venues = venue_frame(session)
    catchments = catchment_frame(session)
    reach = (
        catchments.pivot_table(
            index="place_id", columns="threshold_min", values="residents_within", aggfunc="first"
        )
        if len(catchments)
        else pd.DataFrame()
    )
    frame = venues[
        [
            "place_id",
            "name",
            "kind_label",
            "public_wifi",
            "address",
            "ward_code",
            "source",
            "source_date",
            "geometry",
        ]
    ]
    frame = frame.rename(columns={"kind_label": "kind"})
    for minutes in (5, 10, 15):
        column = reach[minutes] if minutes in reach.columns else pd.Series(dtype=float)
        frame = frame.assign(
            **{
                f"residents_within_{minutes}_min": np.round(
                    frame["place_id"].map(column).astype(float), 0
                )
            }
        )
    frame = gpd.GeoDataFrame(frame.drop(columns="place_id"), geometry="geometry", crs=BNG)
    return frame, pd.DataFrame(frame), ("Residents within a walk are modelled from premises.",)


def _catchments(session: Session) -> tuple[gpd.GeoDataFrame, pd.DataFrame, tuple[str, ...]]:
    catchments = catchment_frame(session)
    names = venue_frame(session).set_index("place_id")["name"]
    frame = catchments.assign(place=catchments["place_id"].map(names)).drop(columns="place_id")
    frame = frame[["place", "threshold_min", "premises_within", "residents_within", "geometry"]]
    frame = frame.rename(columns={"threshold_min": "walk_minutes"})
    return (
        gpd.GeoDataFrame(frame, geometry="geometry", crs=BNG),
        pd.DataFrame(frame.drop(columns="geometry")),
        ("Walking along streets at 80 metres a minute (4.8 km/h).",),
    )


def _sites(session: Session) -> tuple[gpd.GeoDataFrame, pd.DataFrame, tuple[str, ...]]:
    sites = site_frame(session)
    return sites, pd.DataFrame(sites), ()


def build_export(
    data: WardData,
    dataset: Dataset,
    session: Session,
    *,
    detail: Detail,
    threshold: float,
    today: date,
    council: str,
) -> Export:
    """The frame, table and notes of ``dataset`` as the user may see them."""
    if dataset.key == WARD_FIGURES:
        frame, table, notes = _ward_figures(data, detail, threshold)
    elif dataset.key == VENUES:
        frame, table, notes = _venues(session)
    elif dataset.key == CATCHMENTS:
        frame, table, notes = _catchments(session)
    elif dataset.key == MOBILE_SITES:
        frame, table, notes = _sites(session)
    else:
        spec = data.collected.layer(dataset.key)
        if isinstance(spec, MapLayerSpec):
            frame, table, notes = _area_layer(data, spec, detail, threshold)
        elif isinstance(spec, CellLayerSpec):
            frame, table, notes = _cells(spec, detail, threshold)
        else:
            raise KeyError(dataset.key)
    metadata = _metadata(dataset, today=today, council=council)
    return Export(
        frame=frame,
        table=table,
        metadata=metadata,
        notes=(*notes, *_suppression_notes(detail, threshold)),
    )


def export_bytes(export: Export, fmt: str, *, layer: str) -> bytes:
    """The export written as ``fmt`` (``geojson``, ``csv`` or ``gpkg``)."""
    if fmt == "geojson":
        return to_geojson_bytes(export.frame, metadata=_with_notes(export))
    if fmt == "csv":
        lines: Sequence[str] = (*export.metadata.lines(), *export.notes)
        return to_csv_bytes(export.table, metadata_lines=lines)
    if fmt == "gpkg":
        return to_geopackage_bytes(export.frame, layer=layer, metadata=_with_notes(export))
    raise ValueError(f"unknown format {fmt!r}")


def _with_notes(export: Export) -> ExportMetadata:
    # The notes (column meanings, suppression) travel in the attribution lines, which every
    # format writes out.
    metadata = export.metadata
    return ExportMetadata(
        title=metadata.title,
        source=metadata.source,
        date=metadata.date,
        licence=metadata.licence,
        attribution=(*metadata.attribution, *export.notes),
    )
