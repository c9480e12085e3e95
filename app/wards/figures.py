"""The contract between feature packages and the ward pages, maps, exports and API.

Any package can add figures, map layers and lists to the ward profiles, the borough map, the
exports and ``/api/v1`` without touching this package: it registers a *provider*, a function
``(session) -> list[...]`` that computes its figures for **every ward at once** (plus the
borough value), from its own tables, read-only::

    from app.wards.figures import WardFigure, figure_provider

    def devices_lent(session: Session) -> list[WardFigure]:
        counts = ...  # ward code -> devices out today
        return [
            WardFigure(
                key="devices_on_loan", label="Devices on loan to residents now",
                unit="count", values=counts, borough=sum(counts.values()),
                is_count=True, higher_is_better=None, section="loans",
                source="Device loans register", date=today,
            )
        ]

    def register(app: Flask) -> None:
        figure_provider(app, "loans", devices_lent, 40, tables=("loans",))

Three registries, kept in ``app.extensions``:

* :func:`figure_provider` - :class:`WardFigure` items: one figure per ward (profile sections,
  ward tables, the API's ward aggregates and the ward exports);
* :func:`map_layer_provider` - :class:`MapLayerSpec` (ward or LSOA choropleths, or
  proportional circles per ward), :class:`CellLayerSpec` (premises aggregated to hexagons; never
  one marker per premises) and :class:`RasterLayerSpec` (a signal grid shown as an image);
* :func:`table_provider` - :class:`WardTable` items: short lists per ward (venues, interventions).

``tables`` names the database tables the provider reads.  A provider whose tables do not exist
yet is skipped (it contributes nothing), and the tables' row counts and highest ids make up the
data version that decides when cached maps are rebuilt.  A provider may also raise
:class:`core.errors.DomainError` (or :class:`geo.errors.InputError`) to say its data is not
loaded yet; the pages then say "not available yet" for its sections.

Counts of people (``is_count=True``) and figures computed from few people (``base_counts``) are
hidden from councillors and the public by :mod:`core.suppression` in every output; planners and
administrators see them in full.  Providers never suppress: they give the true figures.
"""

from __future__ import annotations

import itertools
import logging
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, TypeVar

import numpy as np
import numpy.typing as npt
from flask import Flask
from sqlalchemy import column, func, inspect, select, table
from sqlalchemy.orm import Session

from core.errors import DomainError
from geo.errors import InputError

__all__ = [
    "ALL_UNITS",
    "CELL_LAYER",
    "LAYER_STYLES",
    "ODBL",
    "OGL",
    "SECTIONS",
    "CellLayerSpec",
    "Collected",
    "LayerSpec",
    "MapLayerSpec",
    "ProviderNote",
    "RasterLayerSpec",
    "TableColumn",
    "WardFigure",
    "WardTable",
    "collect",
    "data_version",
    "figure_provider",
    "map_layer_provider",
    "memo",
    "table_provider",
]

log = logging.getLogger(__name__)

Unit = Literal["count", "share", "minutes", "index", "mbps"]
ALL_UNITS: tuple[str, ...] = ("count", "share", "minutes", "index", "mbps")

OGL = "Open Government Licence v3.0"
ODBL = "Open Database Licence v1.0 (OpenStreetMap contributors)"

SECTIONS: tuple[tuple[str, str], ...] = (
    ("key", "Key figures"),
    ("personas", "Who is likely to be digitally excluded"),
    ("barriers", "Barriers to getting online"),
    ("coverage", "Broadband and mobile coverage gaps"),
    ("venues", "Places to get help and walking access"),
    ("sessions", "Sessions held and help given"),
    ("loans", "Devices lent"),
    ("interventions", "Recommended interventions"),
)
"""Sections of a ward profile, in page order: (key, heading)."""

_SECTION_KEYS = frozenset(key for key, _ in SECTIONS)
P = TypeVar("P")
_KEY = re.compile(r"[a-z][a-z0-9_]{0,62}")

LAYER_STYLES: tuple[str, ...] = ("choropleth", "circles")
CELL_LAYER = "cells"
RASTER_LAYER = "raster"


def _check_key(key: str, what: str) -> None:
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise ValueError(
            f"{what} key {key!r} must be lower-case letters, digits and underscores, starting "
            "with a letter (up to 63 characters)"
        )


def _check_text(value: object, name: str, key: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{key}: {name} must be some words, not {value!r}")


_SHARE_SLACK = 1e-6


def _clean_values(
    values: Mapping[str, float | int | None], key: str, *, counts: bool, share: bool = False
) -> dict[str, float | None]:
    cleaned: dict[str, float | None] = {}
    for code, value in values.items():
        if value is None or (isinstance(value, float) and math.isnan(value)):
            cleaned[str(code)] = None
            continue
        if isinstance(value, bool):
            raise ValueError(f"{key}: the figure for {code} is yes/no; give a number")
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"{key}: the figure for {code} is {value!r}; give a finite number")
        if counts and number < 0:
            raise ValueError(f"{key}: the count for {code} is negative ({value!r})")
        if share:
            if not -_SHARE_SLACK <= number <= 1 + _SHARE_SLACK:
                raise ValueError(
                    f"{key}: the share for {code} is {value!r}; a share is from 0 to 1"
                )
            # Sums of floats can land a hair outside 0-1 (1.0000000002): put them back.
            number = min(max(number, 0.0), 1.0)
        cleaned[str(code)] = number
    return cleaned


@dataclass(frozen=True)
class WardFigure:
    """One figure for every ward, with the borough's value, in plain words.

    Attributes
    ----------
    key:
        Stable identifier (``"walk_share_10_min"``), used in URLs, CSV columns and the API.
    label:
        What it is, in plain words (``"Residents within a 10 minute walk of a help venue"``).
    unit:
        ``"count"``, ``"share"`` (0-1), ``"minutes"``, ``"index"`` or ``"mbps"`` (Mbit/s).
    values:
        Ward code -> figure (``None`` where not known).
    borough:
        The figure for the whole borough (a total for counts; the overall share, median or
        mean otherwise), or ``None``.
    is_count:
        A count of people (or of things that point to people, such as loans): small values
        are hidden from councillors and the public.
    higher_is_better:
        ``True``/``False`` says which way is better (for the comparison with the borough);
        ``None`` for figures that are neither.
    source, date:
        Where the figure comes from and the date it refers to.
    section:
        Which profile section shows it (:data:`SECTIONS`).
    base_counts:
        For shares and averages: ward code -> how many people the figure is computed from; a
        figure computed from a small number of people is hidden from councillors and the public.
    note:
        One line of method or caveat, shown under the section.
    licence:
        The licence of the source data.
    suppress_wards:
        Wards whose figure must also be hidden from councillors and the public: the provider's
        own secondary suppression (for example across personas that add up to 100%).
    """

    key: str
    label: str
    unit: Unit
    values: Mapping[str, float | None]
    borough: float | None
    source: str
    date: date | None
    is_count: bool = False
    higher_is_better: bool | None = None
    section: str = "key"
    base_counts: Mapping[str, float] | None = None
    note: str | None = None
    licence: str = OGL
    suppress_wards: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        _check_key(self.key, "figure")
        _check_text(self.label, "label", self.key)
        _check_text(self.source, "source", self.key)
        if self.unit not in ALL_UNITS:
            raise ValueError(f"{self.key}: unit must be one of {', '.join(ALL_UNITS)}")
        if self.section not in _SECTION_KEYS:
            raise ValueError(
                f"{self.key}: section must be one of {', '.join(sorted(_SECTION_KEYS))}"
            )
        share = self.unit == "share"
        object.__setattr__(
            self, "values", _clean_values(self.values, self.key, counts=self.is_count, share=share)
        )
        borough = _clean_values(
            {"borough": self.borough}, self.key, counts=self.is_count, share=share
        )
        object.__setattr__(self, "borough", borough["borough"])
        if self.base_counts is not None:
            object.__setattr__(
                self,
                "base_counts",
                {
                    k: v or 0.0
                    for k, v in _clean_values(self.base_counts, self.key, counts=True).items()
                },
            )

    def value(self, ward_code: str) -> float | None:
        """The ward's figure, or ``None``."""
        return self.values.get(ward_code)


@dataclass(frozen=True)
class MapLayerSpec:
    """A figure per area drawn as a choropleth (wards or LSOAs) or as circles (wards).

    Attributes
    ----------
    key, title:
        Identifier and the name in the layer control (``"Walking access: within 10 minutes"``).
    area_kind:
        ``"ward"`` or ``"lsoa"``.
    values:
        Area code -> figure.
    legend_title:
        What the colours mean, in plain words.
    unit:
        As :attr:`WardFigure.unit`; decides how figures are written.
    source, licence, date:
        Shown under the map and written into every export.
    scheme:
        Colour-blind-safe scheme (:data:`maps.palettes.SEQUENTIAL_SCHEMES`).
    reverse:
        Run the colour scale the other way (dark = low).
    higher_is_better:
        Which end of the scale is better; gives the legend's end labels.
    is_count, base_counts:
        Small-number suppression, as for :class:`WardFigure`.
    style:
        ``"choropleth"`` or ``"circles"`` (proportional circles, for counts per ward).
    class_edges:
        Fixed class edges (``k + 1`` increasing numbers); quantiles of the figures otherwise.
    borough:
        The borough's figure, for the table under the map.
    note:
        One line under the legend (method or caveat).
    on_borough_map:
        Draw it on the borough map too (every layer has its own page; leave detailed layers
        off the borough map to keep that page light).
    on_ward_maps:
        Draw it (an LSOA layer) on the maps of the ward profiles.
    suppress_areas:
        Areas whose figure must also be hidden from councillors and the public.
    """

    key: str
    title: str
    area_kind: Literal["ward", "lsoa"]
    values: Mapping[str, float | None]
    legend_title: str
    unit: Unit
    source: str
    licence: str
    date: date | None
    scheme: str = "YlGnBu"
    reverse: bool = False
    higher_is_better: bool | None = None
    is_count: bool = False
    base_counts: Mapping[str, float] | None = None
    style: Literal["choropleth", "circles"] = "choropleth"
    class_edges: tuple[float, ...] | None = None
    borough: float | None = None
    note: str | None = None
    on_borough_map: bool = True
    on_ward_maps: bool = True
    suppress_areas: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        _check_key(self.key, "map layer")
        for name in ("title", "legend_title", "source", "licence"):
            _check_text(getattr(self, name), name, self.key)
        if self.area_kind not in ("ward", "lsoa"):
            raise ValueError(f"{self.key}: area_kind must be 'ward' or 'lsoa'")
        if self.unit not in ALL_UNITS:
            raise ValueError(f"{self.key}: unit must be one of {', '.join(ALL_UNITS)}")
        if self.style not in LAYER_STYLES:
            raise ValueError(f"{self.key}: style must be 'choropleth' or 'circles'")
        if self.style == "circles" and self.area_kind != "ward":
            raise ValueError(f"{self.key}: circles are drawn per ward only")
        counts = self.is_count or self.style == "circles"
        share = self.unit == "share"
        object.__setattr__(
            self, "values", _clean_values(self.values, self.key, counts=counts, share=share)
        )
        borough = _clean_values({"borough": self.borough}, self.key, counts=counts, share=share)
        object.__setattr__(self, "borough", borough["borough"])
        if self.base_counts is not None:
            object.__setattr__(
                self,
                "base_counts",
                {
                    k: v or 0.0
                    for k, v in _clean_values(self.base_counts, self.key, counts=True).items()
                },
            )
        if self.class_edges is not None:
            edges = tuple(float(edge) for edge in self.class_edges)
            if len(edges) < 3 or any(b <= a for a, b in itertools.pairwise(edges)):
                raise ValueError(f"{self.key}: class_edges must be 3 or more increasing numbers")
            object.__setattr__(self, "class_edges", edges)

    @property
    def kind(self) -> str:
        """``"choropleth"`` or ``"circles"``."""
        return self.style


@dataclass(frozen=True, eq=False)
class CellLayerSpec:
    """Premises with a yes/no flag, drawn as the share flagged per hexagon (small cells hidden).

    Attributes
    ----------
    key, title, legend_title:
        As :class:`MapLayerSpec` (the legend says what share is shown:
        ``"Share of premises below 10 Mbit/s"``).
    x_m, y_m:
        Premises positions, EPSG:27700 metres.
    flags:
        One yes/no per premises.
    cell_size_m:
        Hexagon width in metres.
    higher_is_better:
        Whether a larger flagged share is better (``True`` for "good indoor 4G").
    """

    key: str
    title: str
    legend_title: str
    x_m: npt.NDArray[np.float64]
    y_m: npt.NDArray[np.float64]
    flags: npt.NDArray[np.bool_]
    source: str
    licence: str
    date: date | None
    cell_size_m: float = 250.0
    higher_is_better: bool | None = None
    note: str | None = None
    on_borough_map: bool = True

    def __post_init__(self) -> None:
        _check_key(self.key, "cell layer")
        for name in ("title", "legend_title", "source", "licence"):
            _check_text(getattr(self, name), name, self.key)
        x = np.asarray(self.x_m, dtype=np.float64)
        y = np.asarray(self.y_m, dtype=np.float64)
        flags = np.asarray(self.flags, dtype=bool)
        if not x.shape == y.shape == flags.shape or x.ndim != 1:
            raise ValueError(f"{self.key}: x_m, y_m and flags must be 1-D and the same length")
        if not (math.isfinite(self.cell_size_m) and self.cell_size_m > 0):
            raise ValueError(f"{self.key}: cell_size_m must be a width in metres above 0")
        object.__setattr__(self, "x_m", x)
        object.__setattr__(self, "y_m", y)
        object.__setattr__(self, "flags", flags)

    @property
    def kind(self) -> str:
        """Always ``"cells"``."""
        return CELL_LAYER

    @property
    def area_kind(self) -> str:
        """Always ``"cell"``."""
        return "cell"


@dataclass(frozen=True, eq=False)
class RasterLayerSpec:
    """A grid of predicted signal (dBm) shown as a classed image overlay.

    Attributes
    ----------
    values_dbm:
        ``(n_rows, n_cols)`` figures on an EPSG:27700 grid, row 0 the southern row, NaN where
        there is no prediction.
    origin_m, cell_m:
        South-west corner of cell (0, 0) and cell size, EPSG:27700 metres.
    """

    key: str
    title: str
    legend_title: str
    values_dbm: npt.NDArray[np.float64]
    origin_m: tuple[float, float]
    cell_m: float
    source: str
    licence: str
    date: date | None
    note: str | None = "Planning estimate from a propagation model, not a measurement"
    on_borough_map: bool = True

    def __post_init__(self) -> None:
        _check_key(self.key, "raster layer")
        for name in ("title", "legend_title", "source", "licence"):
            _check_text(getattr(self, name), name, self.key)
        grid = np.asarray(self.values_dbm, dtype=np.float64)
        if grid.ndim != 2 or 0 in grid.shape:
            raise ValueError(f"{self.key}: values_dbm must be a non-empty 2-D grid")
        object.__setattr__(self, "values_dbm", grid)

    @property
    def kind(self) -> str:
        """Always ``"raster"``."""
        return RASTER_LAYER

    @property
    def area_kind(self) -> str:
        """Always ``"grid"``."""
        return "grid"


LayerSpec = MapLayerSpec | CellLayerSpec | RasterLayerSpec

ColumnKind = Literal["text", "staff_text", "count", "number", "share", "minutes", "yes_no"]


@dataclass(frozen=True)
class TableColumn:
    """A column of a :class:`WardTable`.

    ``"count"`` columns are suppressed like counts; ``"staff_text"`` columns (words that may
    quote small numbers) are shown to planners and administrators only.
    """

    key: str
    label: str
    kind: ColumnKind = "text"


@dataclass(frozen=True)
class WardTable:
    """A short list for each ward (its venues, its recommended interventions...).

    Attributes
    ----------
    rows:
        Ward code -> rows; each row maps column keys to values (text, numbers, yes/no).
        Rows never hold personal data.
    empty_text:
        What the profile says for a ward with no rows.
    """

    key: str
    title: str
    section: str
    columns: tuple[TableColumn, ...]
    rows: Mapping[str, Sequence[Mapping[str, Any]]]
    source: str
    licence: str
    date: date | None
    empty_text: str = "None in this ward."
    note: str | None = None

    def __post_init__(self) -> None:
        _check_key(self.key, "table")
        _check_text(self.title, "title", self.key)
        if self.section not in _SECTION_KEYS:
            raise ValueError(
                f"{self.key}: section must be one of {', '.join(sorted(_SECTION_KEYS))}"
            )
        keys = [column.key for column in self.columns]
        if not keys or len(set(keys)) != len(keys):
            raise ValueError(f"{self.key}: columns must be given, with distinct keys")


def memo(session: Session, key: str, build: Callable[[], P]) -> P:
    """``build()`` once per session: providers that need the same costly frame share it.

    Kept in ``session.info``, which lives as long as the request's session, so two providers
    asking for (say) the survey estimates in one collection compute them once.
    """
    store: dict[str, Any] = session.info.setdefault("wards.memo", {})
    if key not in store:
        store[key] = build()
    value: P = store[key]
    return value


# --- registries ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Provider:
    key: str
    function: Callable[[Session], Sequence[Any]]
    order: int
    tables: tuple[str, ...]


_REGISTRIES = {
    "figures": "wards.figure_providers",
    "layers": "wards.layer_providers",
    "tables": "wards.table_providers",
}


def _register(
    app: Flask,
    registry: str,
    key: str,
    fn: Callable[[Session], Sequence[Any]],
    order: int,
    tables: Sequence[str],
) -> None:
    _check_key(key, "provider")
    providers: dict[str, _Provider] = app.extensions.setdefault(_REGISTRIES[registry], {})
    # Registering the same key again replaces the provider (an app built twice in one process).
    providers[key] = _Provider(key, fn, int(order), tuple(tables))


def figure_provider(
    app: Flask,
    key: str,
    fn: Callable[[Session], Sequence[WardFigure]],
    order: int = 50,
    *,
    tables: Sequence[str] = (),
) -> None:
    """Register ``fn(session) -> list[WardFigure]`` under ``key`` (providers run by ``order``)."""
    _register(app, "figures", key, fn, order, tables)


def map_layer_provider(
    app: Flask,
    key: str,
    fn: Callable[[Session], Sequence[LayerSpec]],
    order: int = 50,
    *,
    tables: Sequence[str] = (),
) -> None:
    """Register ``fn(session) -> list[MapLayerSpec | CellLayerSpec | RasterLayerSpec]``."""
    _register(app, "layers", key, fn, order, tables)


def table_provider(
    app: Flask,
    key: str,
    fn: Callable[[Session], Sequence[WardTable]],
    order: int = 50,
    *,
    tables: Sequence[str] = (),
) -> None:
    """Register ``fn(session) -> list[WardTable]`` under ``key``."""
    _register(app, "tables", key, fn, order, tables)


def _providers(app: Flask, registry: str) -> list[_Provider]:
    providers: dict[str, _Provider] = app.extensions.get(_REGISTRIES[registry], {})
    return sorted(providers.values(), key=lambda provider: (provider.order, provider.key))


def _existing_tables(session: Session) -> frozenset[str]:
    return frozenset(inspect(session.connection()).get_table_names())


# --- collection -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderNote:
    """Why a provider contributed nothing (its tables are missing, or its data is not loaded)."""

    provider: str
    message: str


@dataclass(frozen=True)
class Collected:
    """Everything the providers gave, in provider order (true figures, never suppressed)."""

    figures: tuple[WardFigure, ...]
    layers: tuple[LayerSpec, ...]
    tables: tuple[WardTable, ...]
    notes: tuple[ProviderNote, ...] = field(default_factory=tuple)

    def figure(self, key: str) -> WardFigure | None:
        """The figure with ``key``, or ``None``."""
        return next((figure for figure in self.figures if figure.key == key), None)

    def layer(self, key: str) -> LayerSpec | None:
        """The map layer with ``key``, or ``None``."""
        return next((layer for layer in self.layers if layer.key == key), None)

    def sections(self) -> dict[str, list[WardFigure]]:
        """Figures grouped by profile section (every section present, maybe empty)."""
        grouped: dict[str, list[WardFigure]] = {key: [] for key, _ in SECTIONS}
        for figure in self.figures:
            grouped[figure.section].append(figure)
        return grouped


def _run(
    provider: _Provider, session: Session, existing: frozenset[str], notes: list[ProviderNote]
) -> list[Any]:
    missing = [name for name in provider.tables if name not in existing]
    if missing:
        notes.append(ProviderNote(provider.key, f"not set up yet (no table {', '.join(missing)})"))
        return []
    try:
        return list(provider.function(session))
    except (DomainError, InputError) as error:
        message = error.message if isinstance(error, DomainError) else str(error)
        notes.append(ProviderNote(provider.key, message))
        return []


def _unique(items: list[Any], what: str) -> list[Any]:
    seen: set[str] = set()
    kept = []
    for item in items:
        if item.key in seen:
            log.warning("%s %r given by two providers: the second is ignored", what, item.key)
            continue
        seen.add(item.key)
        kept.append(item)
    return kept


def collect(app: Flask, session: Session) -> Collected:
    """Run every registered provider (skipping those whose tables are missing)."""
    existing = _existing_tables(session)
    notes: list[ProviderNote] = []
    figures: list[WardFigure] = []
    layers: list[LayerSpec] = []
    tables: list[WardTable] = []
    for provider in _providers(app, "figures"):
        figures.extend(_run(provider, session, existing, notes))
    for provider in _providers(app, "layers"):
        layers.extend(_run(provider, session, existing, notes))
    for provider in _providers(app, "tables"):
        tables.extend(_run(provider, session, existing, notes))
    return Collected(
        figures=tuple(_unique(figures, "figure")),
        layers=tuple(_unique(layers, "map layer")),
        tables=tuple(_unique(tables, "table")),
        notes=tuple(notes),
    )


BASE_TABLES = ("areas", "area_layers", "model_runs", "premises", "places", "mobile_sites")
"""Tables every ward page reads (boundaries and the place model)."""


def _id_tables(app: Flask, session: Session, names: set[str]) -> frozenset[str]:
    # Which tables have an ``id`` column: asked once per process (the schema changes only with
    # a release, and each question is a catalogue query).
    known: dict[str, bool] = app.extensions.setdefault("wards.id_columns", {})
    for name in names - set(known):
        columns = inspect(session.connection()).get_columns(name)
        known[name] = any(column["name"] == "id" for column in columns)
    return frozenset(name for name in names if known.get(name))


def data_version(app: Flask, session: Session) -> tuple[tuple[str, int, int], ...]:
    """What the stored data looks like now: (table, rows, highest id) for every table read.

    Cached maps and figures are keyed on this, so loading or recomputing anything a provider
    reads (a new model run, new sessions, a new boundary layer) rebuilds them on the next
    request.  Rows changed in place without a new id are picked up when the cache entry
    expires (``WARDS_CACHE_SECONDS``).
    """
    names: set[str] = set(BASE_TABLES)
    for registry in _REGISTRIES:
        for provider in _providers(app, registry):
            names.update(provider.tables)
    present = names & _existing_tables(session)
    with_id = _id_tables(app, session, present)
    version = []
    for name in sorted(present):
        if name in with_id:
            subject = table(name, column("id"))
            rows, highest = session.execute(
                select(func.count(), func.max(subject.c.id)).select_from(subject)
            ).one()
        else:
            rows = session.execute(select(func.count()).select_from(table(name))).scalar_one()
            highest = 0
        version.append((name, int(rows or 0), int(highest or 0)))
    return tuple(version)
