"""The built-in demo borough: a synthetic council area generated from a seed, offline.

:func:`build_demo_borough` draws a town (a warped, irregular street grid with a high street,
through roads, cul-de-sacs and footpaths) and four to seven villages joined by country roads,
inside an irregular borough outline in the south Midlands of England (around 52.1°N 1.3°W).
It then derives everything the planner needs, as real inputs would arrive:

* the streets are written as an OSM XML file and read back through
  :func:`geo.sources.osm.read_street_network`, the same path as a real extract;
* premises (address points with UPRN-like ids) along the residential streets;
* LSOAs (k-means clusters of premises, as Voronoi cells clipped to the outline) nested in
  wards, with ONS-style codes (``E01900001``..., ``E05900001``..., LAD ``E06999999``);
* Census-2021-style population by age, IMD deciles, help venues, mobile sites, the telephone
  exchange, street cabinets and areas where full fibre has been built.

Every number is made up.  The same seed gives the same borough, byte for byte.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from xml.sax.saxutils import quoteattr

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from geo.areas import BNG
from geo.network import StreetNetwork
from geo.places import DAY_COLUMNS, PLACE_COLUMNS, SITE_COLUMNS
from geo.sources.osm import read_street_network

__all__ = [
    "AGE_BANDS",
    "DEMO_CENTRE_BNG",
    "DEMO_LAD_CODE",
    "DEMO_LAD_NAME",
    "DEMO_SOURCE",
    "DEMO_SOURCE_DATE",
    "DemoBorough",
    "build_demo_borough",
]

DEMO_LAD_CODE = "E06999999"
"""The demo borough's made-up (but well-formed) unitary authority code."""

DEMO_LAD_NAME = "Demo Borough"
DEMO_TOWN_NAME = "Marlbury"
DEMO_SOURCE = "Demo Borough (synthetic)"
"""The ``source`` of every demo layer: nothing in it is real."""

DEMO_SOURCE_DATE = date(2027, 1, 1)
"""The ``source_date`` of every demo layer (fixed, so builds are reproducible)."""

DEMO_CENTRE_BNG = (450_000.0, 250_000.0)
"""Centre of the borough, EPSG:27700 metres (about 52.1°N 1.3°W, in England)."""

AGE_BANDS = (
    "Aged 15 years and under",
    "Aged 16 to 24 years",
    "Aged 25 to 34 years",
    "Aged 35 to 49 years",
    "Aged 50 to 64 years",
    "Aged 65 years and over",
)
"""Census 2021 six-band age columns, as in the ONS custom-dataset tables."""

# England and Wales Census 2021 shares of usual residents in the six bands, rounded.
_AGE_SHARES = np.array([0.185, 0.105, 0.135, 0.195, 0.19, 0.19])
_BOROUGH_RADIUS_M = 8_000.0
_TOWN_RADIUS_M = 2_400.0
_RESIDENTS_PER_LSOA = 1_250.0
_PREMISES_PER_CABINET = 350.0
_OPERATORS = ("EE", "Vodafone", "O2", "Three")
_BANDS_MHZ = (800, 1800, 2100, 2600, 3500)

_STREET_WORDS = (
    "Oak", "Ash", "Elm", "Mill", "Church", "Park", "Victoria", "Queen's", "King's", "Chapel",
    "Manor", "Orchard", "Meadow", "Willow", "Beech", "Cedar", "Chestnut", "Holly", "Hawthorn",
    "Rowan", "Linden", "Maple", "Birch", "Alder", "Poplar", "Hazel", "Larch", "Cherry", "Spring",
    "Brook", "Field", "Hill", "Grange", "Abbey", "Castle", "Bridge", "Water", "Windmill",
    "Priory", "Rectory", "School", "Forge", "Granary", "Barley", "Clover", "Heather", "Foxglove",
    "Bluebell", "Primrose", "Sandy", "Stone", "Quarry", "Kiln", "Tanner's", "Weaver's",
    "Cooper's", "Mason's", "Albert", "Gladstone", "Nelson", "Wellington", "Jubilee", "Coronation",
    "Sycamore", "Juniper", "Laurel", "Magnolia", "Cranmer", "Tudor", "Stuart", "Lancaster",
    "York", "Warwick", "Stratford", "Banbury", "Cotswold", "Cherwell", "Evenlode", "Windrush",
    "Glebe", "Pound", "Bell", "Swan", "Crown", "Anchor", "Wharf", "Lock", "Canal", "Railway",
)  # fmt: skip
_STREET_ENDINGS = (
    "Road", "Street", "Lane", "Avenue", "Close", "Way", "Drive", "Grove", "Crescent", "Gardens",
    "Terrace", "Walk", "Place", "Rise", "View",
)  # fmt: skip
_VILLAGE_NAMES = (
    "Ashcombe Magna", "Little Wendle", "Harford St Giles", "Brockwell", "Elmstead Parva",
    "Thornby Green", "Oakhurst End", "Kings Wyke", "Stoke Ferrand",
)  # fmt: skip
_TOWN_DISTRICTS = (
    "Marlbury Central", "Castle", "Northgate", "Southgate", "Eastfield", "Westbrook", "Abbey",
    "Riverside", "Mill Hill", "St Mary's", "Priory", "Parkside", "Market", "Hillcrest",
    "Woodlands", "Station", "Greenacres", "Orchard", "Cherwell", "Grange", "Fairfield",
    "Canalside", "Brookside", "Highfield",
)  # fmt: skip


@dataclass(frozen=True, eq=False)
class DemoBorough:
    """Every input of the planner for one synthetic borough.  All layers are EPSG:27700.

    Attributes
    ----------
    seed:
        The seed it was built from.
    boundary:
        One row: ``LAD23CD`` (``E06999999``), ``LAD23NM`` ("Demo Borough"), the outline.
    wards:
        15-25 wards: ``WD23CD``, ``WD23NM``, ``LAD23CD``, ``LAD23NM``; they partition the
        outline.
    lsoas:
        About 100 LSOAs: ``LSOA21CD``, ``LSOA21NM``, ``WD23CD``, ``WD23NM``, ``LAD23CD``,
        ``LAD23NM``; each lies in one ward and together they partition it.
    population:
        One row per LSOA in the layout of the Census 2021 age table
        (``census2021_age6_lsoa21_*_wide.csv``): ``lsoa21_code``, ``lsoa21_name``,
        ``LAD23CD``, ``LAD23NM``, the six :data:`AGE_BANDS` and ``total``.
    imd_decile:
        IMD-style decile per LSOA (1 = most deprived), named ``imd_decile``, indexed by
        ``LSOA21CD``.
    osm_path:
        The OSM XML file the streets were written to.
    walk_network, drive_network:
        The streets read back from ``osm_path`` with
        :func:`geo.sources.osm.read_street_network`.
    premises:
        Address points (like an OS Open UPRN extract): ``premises_id``, ``uprn`` (12-digit,
        starting 9), ``x_m``, ``y_m``, ``is_estimate`` (False), ``lsoa_code``, ``ward_code``,
        ``cabinet_id``.
    venues:
        Help places (:data:`geo.places.PLACE_COLUMNS`): libraries, community centres, the civic
        centre, an internet café and public Wi-Fi, with names.
    mobile_sites:
        Mobile sites (:data:`geo.places.SITE_COLUMNS`), one row per site: four operators, bands
        800-3500 MHz, antenna height (m), ``power_dbm`` as EIRP and ``max_power_dbm``.
    exchange:
        One row: the telephone exchange (``exchange_id``, ``name``, ``x_m``, ``y_m``).
    cabinets:
        Street cabinets (``cabinet_id``, ``exchange_id``, ``premises_count``, ``x_m``,
        ``y_m``), about one per 350 premises; each premises' ``cabinet_id`` names the one
        serving it.
    full_fibre_areas:
        Polygons where full fibre (FTTP) has been built (``area_id``, ``cabinet_id``,
        ``technology``, ``built_year``).
    source_date:
        The date given to every layer.
    """

    seed: int
    boundary: gpd.GeoDataFrame
    wards: gpd.GeoDataFrame
    lsoas: gpd.GeoDataFrame
    population: pd.DataFrame
    imd_decile: pd.Series
    osm_path: Path
    walk_network: StreetNetwork
    drive_network: StreetNetwork
    premises: gpd.GeoDataFrame
    venues: gpd.GeoDataFrame
    mobile_sites: gpd.GeoDataFrame
    exchange: gpd.GeoDataFrame
    cabinets: gpd.GeoDataFrame
    full_fibre_areas: gpd.GeoDataFrame
    source_date: date = DEMO_SOURCE_DATE


@dataclass(frozen=True)
class _Way:
    nodes: npt.NDArray[np.intp]
    tags: tuple[tuple[str, str], ...]
    place: str
    premises_per_m: float
    setback_m: tuple[float, float]


@dataclass
class _Streets:
    """Street nodes (EPSG:27700) and OSM ways, as they will be written to XML."""

    chunks: list[npt.NDArray[np.float64]] = field(default_factory=list)
    count: int = 0
    ways: list[_Way] = field(default_factory=list)

    def add_nodes(self, xy: npt.NDArray[np.float64]) -> npt.NDArray[np.intp]:
        index = np.arange(self.count, self.count + len(xy), dtype=np.intp)
        self.chunks.append(np.asarray(xy, dtype=np.float64).reshape(-1, 2))
        self.count += len(xy)
        return index

    @property
    def xy(self) -> npt.NDArray[np.float64]:
        return np.concatenate(self.chunks) if self.chunks else np.empty((0, 2))

    def add_way(
        self,
        nodes: npt.NDArray[np.intp],
        *,
        highway: str,
        name: str | None,
        place: str,
        premises_per_m: float = 0.0,
        setback_m: tuple[float, float] = (10.0, 15.0),
        extra: Sequence[tuple[str, str]] = (),
    ) -> None:
        tags = [("highway", highway)]
        if name:
            tags.append(("name", name))
        tags.extend(extra)
        self.ways.append(
            _Way(np.asarray(nodes, dtype=np.intp), tuple(tags), place, premises_per_m, setback_m)
        )


def _names(rng: np.random.Generator) -> Iterator[str]:
    """Street names, each used once, in a seeded order."""
    pairs = [(word, ending) for word in _STREET_WORDS for ending in _STREET_ENDINGS]
    for index in rng.permutation(len(pairs)).tolist():
        word, ending = pairs[index]
        yield f"{word} {ending}"


def _wobbly_radius(
    rng: np.random.Generator, amplitude: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Harmonic amplitudes and phases of an irregular star-shaped outline."""
    return rng.uniform(0.3, 1.0, 4) * amplitude, rng.uniform(0, 2 * math.pi, 4)


def _radius_at(
    theta: npt.NDArray[np.float64],
    radius_m: float,
    harmonics: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]],
) -> npt.NDArray[np.float64]:
    amplitude, phase = harmonics
    order = np.arange(2, 2 + len(amplitude))
    wobble = (amplitude[None, :] * np.cos(order[None, :] * theta[:, None] + phase)).sum(axis=1)
    return np.asarray(radius_m * (1.0 + wobble), dtype=np.float64)


def _connect(
    n_nodes: int,
    edges: npt.NDArray[np.intp],
    dropped: npt.NDArray[np.intp],
    rng: np.random.Generator,
) -> npt.NDArray[np.intp]:
    """Put back dropped edges, in random order, until the kept edges join every node."""
    graph = sp.coo_matrix(
        (np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n_nodes, n_nodes)
    )
    _, labels = connected_components(graph, directed=False)
    restored = []
    for index in rng.permutation(len(dropped)).tolist():
        a, b = labels[dropped[index]]
        if a != b:
            labels[labels == b] = a
            restored.append(index)
    return np.asarray(sorted(restored), dtype=np.intp)


def _is_tertiary(line: npt.NDArray[np.int64], every: int) -> npt.NDArray[np.bool_]:
    """Grid lines that are distributor roads: every ``every``-th line (none when 0)."""
    if every <= 0:
        return np.zeros(np.shape(line), dtype=bool)
    return np.asarray(np.abs(line) % every == every // 2, dtype=bool)


def _grid(
    streets: _Streets,
    rng: np.random.Generator,
    names: Iterator[str],
    *,
    centre: npt.NDArray[np.float64],
    radius_m: float,
    spacing_m: tuple[float, float],
    place: str,
    main_highway: str,
    main_names: tuple[str, str],
    tertiary_every: int,
    drop_share: float,
    footway_share: float,
    premises_per_m: float,
    setback_m: tuple[float, float],
) -> npt.NDArray[np.intp]:
    """Add a warped street grid; return the street-node indices of its connected part."""
    sx, sy = spacing_m
    nx, ny = int(radius_m * 1.3 / sx) + 1, int(radius_m * 1.3 / sy) + 1
    gi, gj = np.meshgrid(np.arange(-nx, nx + 1), np.arange(-ny, ny + 1), indexing="ij")
    local = np.stack([gi * sx, gj * sy], axis=-1).astype(np.float64)
    harmonics = _wobbly_radius(rng, 0.12)
    theta = np.arctan2(local[..., 1], local[..., 0]).ravel()
    limit = _radius_at(theta, radius_m, harmonics).reshape(gi.shape)
    inside = np.hypot(local[..., 0], local[..., 1]) <= limit
    # A smooth warp bends the grid's lines; a little jitter breaks the right angles.
    wave_m, phase = rng.uniform(0.04, 0.08) * radius_m, rng.uniform(0, 2 * math.pi, 2)
    length_m = radius_m * rng.uniform(0.5, 0.8)
    warped = local.copy()
    warped[..., 0] += wave_m * np.sin(local[..., 1] / length_m + phase[0])
    warped[..., 1] += wave_m * np.sin(local[..., 0] / length_m + phase[1])
    warped += rng.normal(0.0, 0.05 * min(sx, sy), warped.shape)
    angle = rng.uniform(-0.5, 0.5)
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    world = centre + warped @ rotation.T

    label = np.full(gi.shape, -1, dtype=np.intp)
    label[inside] = np.arange(int(inside.sum()))
    # Edges along rows (constant j) and columns (constant i), between nodes inside.
    row_edge = inside[:-1, :] & inside[1:, :]
    col_edge = inside[:, :-1] & inside[:, 1:]
    row_pairs = np.column_stack([label[:-1, :][row_edge], label[1:, :][row_edge]])
    col_pairs = np.column_stack([label[:, :-1][col_edge], label[:, 1:][col_edge]])
    row_line = np.broadcast_to(gj[:-1, :], row_edge.shape)[row_edge]
    col_line = np.broadcast_to(gi[:, :-1], col_edge.shape)[col_edge]
    minor_row = (row_line != 0) & ~_is_tertiary(row_line, tertiary_every)
    minor_col = (col_line != 0) & ~_is_tertiary(col_line, tertiary_every)
    pairs = np.concatenate([row_pairs, col_pairs])
    minor = np.concatenate([minor_row, minor_col])
    drop = minor & (rng.random(len(pairs)) < drop_share)
    n_inside = int(inside.sum())
    # Keep only the largest connected piece of the full grid, then drop edges and put back
    # what is needed to keep that piece connected.
    full = sp.coo_matrix(
        (np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n_inside, n_inside)
    )
    _, piece = connected_components(full, directed=False)
    biggest = np.bincount(piece).argmax()
    member = piece == biggest
    pair_ok = member[pairs[:, 0]] & member[pairs[:, 1]]
    dropped_index = np.flatnonzero(drop & pair_ok)
    kept_index = np.flatnonzero(~drop & pair_ok)
    back = _connect(n_inside, pairs[kept_index], pairs[dropped_index], rng)
    # Edges outside the largest piece are never kept, so their nodes are never written.
    keep_edge = np.zeros(len(pairs), dtype=bool)
    keep_edge[kept_index] = True
    keep_edge[dropped_index[back]] = True
    _, final_labels = connected_components(
        sp.coo_matrix(
            (np.ones(int(keep_edge.sum())), (pairs[keep_edge, 0], pairs[keep_edge, 1])),
            shape=(n_inside, n_inside),
        ),
        directed=False,
    )
    main_piece = final_labels == final_labels[np.flatnonzero(member)[0]]

    node_index = streets.add_nodes(world[inside])
    n_rows = len(row_pairs)
    row_keep = np.zeros(row_edge.shape, dtype=bool)
    row_keep[row_edge] = keep_edge[:n_rows]
    col_keep = np.zeros(col_edge.shape, dtype=bool)
    col_keep[col_edge] = keep_edge[n_rows:]

    def runs(flags: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
        padded = np.concatenate([[False], flags, [False]]).astype(np.int8)
        change = np.diff(padded)
        return list(
            zip(
                np.flatnonzero(change == 1).tolist(),
                np.flatnonzero(change == -1).tolist(),
                strict=True,
            )
        )

    def classify(line: int, main_name: str) -> tuple[str, str, float]:
        if line == 0:
            return main_highway, main_name, premises_per_m * 0.6
        if _is_tertiary(np.array([line]), tertiary_every)[0]:
            return "tertiary", next(names), premises_per_m * 0.6
        return "residential", next(names), premises_per_m

    n_i, n_j = gi.shape
    for j in range(n_j):
        highway, name, density = classify(int(gj[0, j]), main_names[0])
        for start, stop in runs(row_keep[:, j]):
            nodes = node_index[label[start : stop + 1, j]]
            streets.add_way(
                nodes,
                highway=highway,
                name=name,
                place=place,
                premises_per_m=density,
                setback_m=setback_m,
            )
    for i in range(n_i):
        highway, name, density = classify(int(gi[i, 0]), main_names[1])
        for start, stop in runs(col_keep[i, :]):
            nodes = node_index[label[i, start : stop + 1]]
            streets.add_way(
                nodes,
                highway=highway,
                name=name,
                place=place,
                premises_per_m=density,
                setback_m=setback_m,
            )
    # Footpaths cut diagonally across some blocks (walking only).
    corner = (
        inside[:-1, :-1] & inside[1:, 1:] & (rng.random(inside[:-1, :-1].shape) < footway_share)
    )
    a = label[:-1, :-1][corner]
    b = label[1:, 1:][corner]
    both = main_piece[a] & main_piece[b]
    for start, stop in zip(a[both].tolist(), b[both].tolist(), strict=True):
        streets.add_way(node_index[[start, stop]], highway="footway", name=None, place=place)
    degree = np.bincount(pairs[keep_edge].ravel(), minlength=n_inside)
    return np.asarray(node_index[main_piece & (degree > 0)], dtype=np.intp)


def _road(
    streets: _Streets,
    rng: np.random.Generator,
    start: int,
    end: int | npt.NDArray[np.float64],
    *,
    highway: str,
    name: str | None,
    spacing_m: float = 150.0,
    premises_per_m: float = 0.0,
    extra: Sequence[tuple[str, str]] = (),
) -> None:
    """A meandering country road from a node to a node (or to a new node at a point)."""
    xy = streets.xy
    a = xy[start]
    b = xy[end] if isinstance(end, int) else np.asarray(end, dtype=np.float64)
    span = b - a
    distance = float(np.hypot(*span))
    steps = max(int(distance / spacing_m), 2)
    t = np.linspace(0.0, 1.0, steps + 1)[1:-1]
    normal = np.array([-span[1], span[0]]) / max(distance, 1.0)
    bend = rng.uniform(-1.0, 1.0) * min(0.12 * distance, 400.0)
    waves = rng.integers(1, 3)
    lateral = bend * np.sin(math.pi * waves * t) + rng.normal(0.0, 8.0, len(t))
    inner = a + t[:, None] * span + lateral[:, None] * normal
    middle = streets.add_nodes(inner)
    last = (
        np.array([end], dtype=np.intp)
        if isinstance(end, int)
        else streets.add_nodes(b.reshape(1, 2))
    )
    nodes = np.concatenate([[start], middle, last]).astype(np.intp)
    streets.add_way(
        nodes,
        highway=highway,
        name=name,
        place="rural",
        premises_per_m=premises_per_m,
        setback_m=(15.0, 60.0),
        extra=extra,
    )


def _farthest_toward(
    xy: npt.NDArray[np.float64],
    nodes: npt.NDArray[np.intp],
    origin: npt.NDArray[np.float64],
    direction: npt.NDArray[np.float64],
) -> int:
    """The node furthest from ``origin`` along ``direction`` and close to that line."""
    offset = xy[nodes] - origin
    along = offset @ direction
    across = np.abs(offset[:, 0] * direction[1] - offset[:, 1] * direction[0])
    return int(nodes[np.argmax(along - 2.0 * across)])


def _kmeans(
    points: npt.NDArray[np.float64], k: int, rng: np.random.Generator, *, iterations: int = 15
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.intp]]:
    """Lloyd's k-means (centres, labels); an emptied cluster restarts at a random point."""
    centres = points[rng.choice(len(points), size=k, replace=False)].copy()
    labels = np.zeros(len(points), dtype=np.intp)
    for _ in range(iterations):
        _, labels = cKDTree(centres).query(points)
        counts = np.bincount(labels, minlength=k)
        sums = np.column_stack(
            [np.bincount(labels, weights=points[:, axis], minlength=k) for axis in (0, 1)]
        )
        empty = counts == 0
        centres = np.where(empty[:, None], centres, sums / np.maximum(counts, 1)[:, None])
        if empty.any():
            centres[empty] = points[rng.choice(len(points), size=int(empty.sum()), replace=False)]
    _, labels = cKDTree(centres).query(points)
    return centres, np.asarray(labels, dtype=np.intp)


def _balanced_centres(
    points: npt.NDArray[np.float64],
    weights: npt.NDArray[np.float64],
    k: int,
    rng: np.random.Generator,
    *,
    low: float = 0.6,
    high: float = 1.8,
) -> npt.NDArray[np.float64]:
    """Cluster centres whose Voronoi cells hold similar weight (residents).

    Plain k-means spends centres on sparse outlying points (farms along lanes), leaving some
    clusters nearly empty.  Starting from k-means, the lightest cluster is merged into its
    nearest neighbour while it holds less than ``low`` times the mean weight, and the heaviest
    split in two while it holds more than ``high`` times, or while there are fewer than ``k``.
    """
    centres, _ = _kmeans(points, k, rng)
    target = float(weights.sum()) / k
    for _ in range(4 * k):
        _, label = cKDTree(centres).query(points)
        size = np.bincount(label, weights=weights, minlength=len(centres))
        light, heavy = int(np.argmin(size)), int(np.argmax(size))
        if size[light] < low * target and len(centres) > 1:
            gap = np.hypot(*(centres - centres[light]).T)
            gap[light] = np.inf
            other = int(np.argmin(gap))
            members = (label == light) | (label == other)
            centres[other] = np.average(points[members], axis=0, weights=weights[members])
            centres = np.delete(centres, light, axis=0)
        elif size[heavy] > high * target or len(centres) < k:
            halves, _ = _kmeans(points[label == heavy], 2, rng, iterations=8)
            centres[heavy] = halves[0]
            centres = np.vstack([centres, halves[1:]])
        else:
            break
    return centres


def _premises_points(
    streets: _Streets, rng: np.random.Generator, count: int
) -> npt.NDArray[np.float64]:
    """Points set back from the streets, spread in proportion to each way's premises density."""
    xy = streets.xy
    starts, ends, density, low, high = [], [], [], [], []
    for way in streets.ways:
        if way.premises_per_m <= 0:
            continue
        starts.append(way.nodes[:-1])
        ends.append(way.nodes[1:])
        size = len(way.nodes) - 1
        density.append(np.full(size, way.premises_per_m))
        low.append(np.full(size, way.setback_m[0]))
        high.append(np.full(size, way.setback_m[1]))
    a = xy[np.concatenate(starts)]
    b = xy[np.concatenate(ends)]
    span = b - a
    length_m = np.hypot(span[:, 0], span[:, 1])
    weight = length_m * np.concatenate(density)
    segment = np.sort(rng.choice(len(a), size=count, p=weight / weight.sum()))
    high_m = np.concatenate(high)[segment]
    setback = rng.uniform(np.concatenate(low)[segment], high_m)
    # Keep clear of the ends, or corner plots would sit on the crossing street.
    margin = np.minimum(high_m + 2.0, 0.45 * length_m[segment]) / length_m[segment]
    along = margin + rng.random(count) * (1.0 - 2.0 * margin)
    normal = np.column_stack([-span[segment, 1], span[segment, 0]]) / length_m[segment, None]
    side = np.where(rng.random(count) < 0.5, -1.0, 1.0)
    points = a[segment] + along[:, None] * span[segment] + (side * setback)[:, None] * normal
    order = np.lexsort((along, segment))
    return np.asarray(points[order], dtype=np.float64)


def _write_osm_xml(streets: _Streets, path: Path) -> None:
    """Write the nodes and ways as OSM XML (lat/lon from EPSG:27700 with pyproj)."""
    xy = streets.xy
    used = np.unique(np.concatenate([way.nodes for way in streets.ways]))
    to_wgs84 = pyproj.Transformer.from_crs(BNG, "EPSG:4326", always_xy=True)
    lon, lat = to_wgs84.transform(xy[used, 0], xy[used, 1])
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<osm version="0.6" generator="inclusion-planner demo borough">',
        f'  <bounds minlat="{lat.min():.7f}" minlon="{lon.min():.7f}" '
        f'maxlat="{lat.max():.7f}" maxlon="{lon.max():.7f}"/>',
    ]
    lines.extend(
        f'  <node id="{node + 1}" version="1" lat="{y:.7f}" lon="{x:.7f}"/>'
        for node, x, y in zip(used.tolist(), lon.tolist(), lat.tolist(), strict=True)
    )
    for number, way in enumerate(streets.ways, start=1):
        lines.append(f'  <way id="{number}" version="1">')
        lines.extend(f'    <nd ref="{node + 1}"/>' for node in way.nodes.tolist())
        lines.extend(f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in way.tags)
        lines.append("  </way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _points_frame(data: dict[str, object], xy: npt.NDArray[np.float64]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        data, geometry=gpd.GeoSeries(shapely.points(xy), crs=BNG), crs=BNG
    ).reset_index(drop=True)


def _partition(
    outline: shapely.Geometry, centres: npt.NDArray[np.float64]
) -> npt.NDArray[np.object_]:
    """Voronoi cells of the centres clipped to the outline, in the centres' order."""
    cells = shapely.voronoi_polygons(
        shapely.multipoints(centres), extend_to=shapely.buffer(outline, 5_000.0), ordered=True
    )
    parts = shapely.get_parts(cells)
    clipped = shapely.intersection(parts, outline)
    # Keep only polygonal parts (the clip can leave stray lines where cells touch the edge).
    return np.asarray(
        [
            shapely.union_all(
                [part for part in shapely.get_parts(cell) if part.geom_type == "Polygon"]
            )
            for cell in clipped
        ],
        dtype=object,
    )


def _adjacency_lengths(cells: npt.NDArray[np.object_]) -> sp.csr_matrix:
    """Length in metres of the border shared by each pair of cells (sparse, symmetric)."""
    tree = shapely.STRtree(cells)
    a, b = tree.query(cells, predicate="intersects")
    pair = a < b
    a, b = a[pair], b[pair]
    shared = shapely.length(
        shapely.intersection(shapely.boundary(cells[a]), shapely.boundary(cells[b]))
    )
    touching = shared > 1.0
    n = len(cells)
    lengths = sp.coo_matrix((shared[touching], (a[touching], b[touching])), shape=(n, n))
    return (lengths + lengths.T).tocsr()


def _grow_wards(
    border: sp.csr_matrix,
    lsoa_xy: npt.NDArray[np.float64],
    lsoa_weight: npt.NDArray[np.float64],
    k: int,
    rng: np.random.Generator,
) -> npt.NDArray[np.intp]:
    """Group neighbouring LSOAs into ``k`` contiguous wards of similar population.

    Each ward starts from the LSOA nearest a k-means centre; then, over and over, the ward with
    the fewest residents takes the unassigned neighbouring LSOA closest to its centre.  Growing
    through shared borders keeps every ward in one piece.
    """
    centres, _ = _kmeans(lsoa_xy, k, rng, iterations=10)
    label = np.full(len(lsoa_xy), -1, dtype=np.intp)
    for ward in range(k):
        free = np.flatnonzero(label < 0)
        label[free[np.argmin(np.hypot(*(lsoa_xy[free] - centres[ward]).T))]] = ward
    people = np.bincount(label[label >= 0], weights=lsoa_weight[label >= 0], minlength=k)
    blocked = np.zeros(k, dtype=bool)
    while (label < 0).any() and not blocked.all():
        ward = int(np.argmin(np.where(blocked, np.inf, people)))
        members = np.flatnonzero(label == ward)
        touching = np.unique(border[members].indices)
        touching = touching[label[touching] < 0]
        if touching.size == 0:
            blocked[ward] = True
            continue
        chosen = touching[np.argmin(np.hypot(*(lsoa_xy[touching] - centres[ward]).T))]
        label[chosen] = ward
        people[ward] += lsoa_weight[chosen]
    stray = np.flatnonzero(label < 0)
    if stray.size:
        _, nearest = cKDTree(centres).query(lsoa_xy[stray])
        label[stray] = nearest
    return label


def _ward_names(
    ward_xy: npt.NDArray[np.float64],
    town_centre: npt.NDArray[np.float64],
    village_centres: npt.NDArray[np.float64],
    village_names: Sequence[str],
) -> list[str]:
    """Town wards take district names (the most central is "Marlbury Central"); rural wards
    take the name of the nearest village."""
    distance = np.hypot(*(ward_xy - town_centre).T)
    in_town = distance < _TOWN_RADIUS_M + 300.0
    names: list[str] = [""] * len(ward_xy)
    town_wards = np.flatnonzero(in_town)
    districts = iter(_TOWN_DISTRICTS[1:])
    if town_wards.size:
        central = int(town_wards[np.argmin(distance[town_wards])])
        names[central] = _TOWN_DISTRICTS[0]
        for ward in town_wards.tolist():
            if ward != central:
                names[ward] = next(districts)
    suffixes = ("", " and District", " Rural", " Vale", " Heath", " Downs")
    used: dict[str, int] = {}
    for ward in np.flatnonzero(~in_town).tolist():
        nearest = village_names[int(np.argmin(np.hypot(*(village_centres - ward_xy[ward]).T)))]
        count = used.get(nearest, 0)
        used[nearest] = count + 1
        names[ward] = nearest + suffixes[min(count, len(suffixes) - 1)]
    return names


def _urbanity(
    xy: npt.NDArray[np.float64], town_centre: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    return np.asarray(np.exp(-np.hypot(*(xy - town_centre).T) / 2_000.0), dtype=np.float64)


def _population(
    rng: np.random.Generator,
    residents: npt.NDArray[np.int64],
    lsoa_xy: npt.NDArray[np.float64],
    town_centre: npt.NDArray[np.float64],
    codes: npt.NDArray[np.str_],
    names: npt.NDArray[np.str_],
    order: npt.NDArray[np.intp],
) -> pd.DataFrame:
    """Usual residents by age band: younger near the town centre, older in the villages."""
    urban = _urbanity(lsoa_xy, town_centre)[:, None]
    tilt = np.array([0.0, 0.3, 0.45, 0.05, -0.15, -0.5])
    log_share = np.log(_AGE_SHARES)[None, :] + tilt[None, :] * (urban - 0.4)
    log_share += rng.normal(0.0, 0.08, log_share.shape)
    shares = np.exp(log_share)
    shares /= shares.sum(axis=1, keepdims=True)
    counts = rng.multinomial(residents, shares)
    table = pd.DataFrame(counts[order], columns=list(AGE_BANDS))
    table.insert(0, "lsoa21_code", codes[order])
    table.insert(1, "lsoa21_name", names[order])
    table.insert(2, "LAD23CD", DEMO_LAD_CODE)
    table.insert(3, "LAD23NM", DEMO_LAD_NAME)
    table["total"] = counts[order].sum(axis=1)
    return table


def _imd_deciles(
    rng: np.random.Generator,
    lsoa_xy: npt.NDArray[np.float64],
    town_centre: npt.NDArray[np.float64],
    codes: npt.NDArray[np.str_],
    order: npt.NDArray[np.intp],
) -> pd.Series:
    """IMD-style deciles (1 = most deprived): a few deprived estates in town, richer villages."""
    estates = town_centre + rng.uniform(-0.7, 0.7, (3, 2)) * _TOWN_RADIUS_M
    near_estate = np.exp(
        -((np.hypot(*(lsoa_xy[:, None, :] - estates[None, :, :]).transpose(2, 0, 1)) / 600.0) ** 2)
    ).max(axis=1)
    score = (
        0.8 * _urbanity(lsoa_xy, town_centre) + 1.5 * near_estate + rng.normal(0, 0.35, len(codes))
    )
    rank = np.empty(len(codes), dtype=np.float64)
    rank[np.argsort(-score, kind="stable")] = np.arange(len(codes))
    decile = np.clip(1 + np.floor(10 * ((rank + 0.5) / len(codes)) ** 0.85), 1, 10).astype(np.int64)
    return pd.Series(
        decile[order], index=pd.Index(codes[order], name="LSOA21CD"), name="imd_decile"
    )


def _near_street(
    street_xy: npt.NDArray[np.float64],
    tree: cKDTree,
    nodes: npt.NDArray[np.intp],
    targets: npt.NDArray[np.float64],
    rng: np.random.Generator,
) -> npt.NDArray[np.float64]:
    """Points a few metres off the street node nearest each target (a kerbside spot)."""
    targets = np.asarray(targets, dtype=np.float64).reshape(-1, 2)
    _, nearest = tree.query(targets)
    angle = rng.uniform(0, 2 * math.pi, len(targets))
    offset = 8.0 * np.column_stack([np.cos(angle), np.sin(angle)])
    return np.asarray(street_xy[nodes[nearest]] + offset, dtype=np.float64)


def _full_fibre(
    rng: np.random.Generator,
    points: npt.NDArray[np.float64],
    cabinet_label: npt.NDArray[np.intp],
    cabinet_ids: npt.NDArray[np.str_],
) -> gpd.GeoDataFrame:
    """Build polygons for about a third of the cabinets: the outline of their premises."""
    order = np.argsort(cabinet_label, kind="stable")
    groups = np.asarray(
        shapely.multipoints(points[order], indices=cabinet_label[order]), dtype=object
    )
    built = np.flatnonzero(rng.random(len(cabinet_ids)) < 0.35)
    hulls = shapely.buffer(shapely.concave_hull(groups[built], ratio=0.3), 20.0)
    return gpd.GeoDataFrame(
        {
            "area_id": np.array([f"FTTP{number + 1:03d}" for number in range(len(built))]),
            "cabinet_id": cabinet_ids[built],
            "technology": "FTTP",
            "built_year": rng.integers(2019, 2027, len(built)),
        },
        geometry=gpd.GeoSeries(hulls, crs=BNG),
        crs=BNG,
    )


@dataclass(frozen=True)
class _Venue:
    spot: tuple[float, float]
    name: str
    kind: str
    public_wifi: bool
    public_computers: bool
    opening_hours: str | None = None
    days: tuple[str, ...] | None = None


_CENTRAL_DAYS = ("All Day (continuous)",) * 6 + ("PM Only",)
_BRANCH_DAYS = ("All Day (continuous)",) * 5 + ("AM Only", "Closed")
_VILLAGE_DAYS = ("Closed", "AM Only", "Closed", "AM Only", "Closed", "AM Only", "Closed")


def _venues(
    rng: np.random.Generator,
    streets: _Streets,
    tree: cKDTree,
    nodes: npt.NDArray[np.intp],
    town_centre: npt.NDArray[np.float64],
    village_centres: npt.NDArray[np.float64],
    village_names: Sequence[str],
) -> gpd.GeoDataFrame:
    """Libraries, community centres, the civic centre, an internet café and public Wi-Fi."""
    street_name: dict[int, tuple[str, str]] = {}
    for way in streets.ways:
        tags = dict(way.tags)
        if "name" in tags:
            for node in way.nodes.tolist():
                street_name.setdefault(node, (tags["name"], way.place))
    x0, y0 = float(town_centre[0]), float(town_centre[1])
    venues = [
        _Venue((x0 + 120, y0 - 80), f"{DEMO_TOWN_NAME} Central Library", "library", True, True,
               days=_CENTRAL_DAYS),
        _Venue((x0 - 150, y0 + 60), f"{DEMO_LAD_NAME} Civic Centre", "townhall", True, True,
               "Mo-Fr 09:00-17:00"),
        _Venue((x0 + 40, y0 + 30), "Market Square public Wi-Fi", "public_wifi", True, False,
               "24/7"),
        _Venue((x0 - 60, y0 - 110), "Byte Café", "internet_cafe", True, True,
               "Mo-Sa 08:00-18:00"),
        _Venue((x0 + 300, y0 + 260), f"{DEMO_TOWN_NAME} Station Wi-Fi", "public_wifi", True,
               False, "24/7"),
        _Venue((x0 - 420, y0 + 350), "Age Well Hub", "social_centre", True, True,
               "Tu,Th 10:00-15:00"),
    ]  # fmt: skip
    headings = rng.permutation(8) * (2 * math.pi / 8)
    for index, district in enumerate(_TOWN_DISTRICTS[1:6]):
        reach = _TOWN_RADIUS_M * rng.uniform(0.45, 0.75)
        spot = (x0 + reach * math.cos(headings[index]), y0 + reach * math.sin(headings[index]))
        if index < 2:
            venues.append(
                _Venue(spot, f"{district} Library", "library", True, True, days=_BRANCH_DAYS)
            )
        else:
            venues.append(
                _Venue(spot, f"{district} Community Centre", "community_centre",
                       bool(index % 2), False, "Mo-Sa 09:00-21:00")
            )  # fmt: skip
    for index, (name, centre) in enumerate(zip(village_names, village_centres, strict=True)):
        hall = centre + rng.normal(0, 60, 2)
        venues.append(
            _Venue((float(hall[0]), float(hall[1])), f"{name} Village Hall", "community_centre",
                   bool(rng.random() < 0.5), False)
        )  # fmt: skip
        if index == 0:
            library = centre + rng.normal(0, 60, 2)
            venues.append(
                _Venue((float(library[0]), float(library[1])), f"{name} Library", "library",
                       True, True, days=_VILLAGE_DAYS)
            )  # fmt: skip
    targets = np.array([venue.spot for venue in venues], dtype=np.float64)
    xy = _near_street(streets.xy, tree, nodes, targets, rng)
    _, nearest = tree.query(targets)
    where = [street_name.get(int(nodes[index]), ("", DEMO_TOWN_NAME)) for index in nearest]
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    # "DB" is not a UK postcode area, so these can never be mistaken for real addresses.
    postcodes = [
        f"DB{rng.integers(1, 10)} {rng.integers(1, 10)}"
        f"{letters[rng.integers(len(letters))]}{letters[rng.integers(len(letters))]}"
        for _ in venues
    ]
    n = len(venues)
    data: dict[str, object] = {
        "place_id": np.array([f"demo:place/{number + 1:03d}" for number in range(n)], object),
        "name": np.array([venue.name for venue in venues], dtype=object),
        "kind": np.array([venue.kind for venue in venues], dtype=object),
        "public_wifi": pd.array([venue.public_wifi for venue in venues], dtype="boolean"),
        "public_computers": pd.array([venue.public_computers for venue in venues], "boolean"),
        "opening_hours": np.array([venue.opening_hours for venue in venues], dtype=object),
        "address": np.array([f"{street}, {place}".lstrip(", ") for street, place in where], object),
        "postcode": np.array(postcodes, dtype=object),
        "x_m": xy[:, 0],
        "y_m": xy[:, 1],
        "source": np.full(n, DEMO_SOURCE, dtype=object),
        "source_date": np.full(n, DEMO_SOURCE_DATE, dtype=object),
    }
    for number, day in enumerate(DAY_COLUMNS):
        data[day] = np.array(
            [None if venue.days is None else venue.days[number] for venue in venues], dtype=object
        )
    return _points_frame({column: data[column] for column in PLACE_COLUMNS}, xy)


def _mobile_sites(
    rng: np.random.Generator,
    outline: shapely.Geometry,
    points: npt.NDArray[np.float64],
    town_centre: npt.NDArray[np.float64],
    village_centres: npt.NDArray[np.float64],
) -> gpd.GeoDataFrame:
    """About 30 macro sites: dense in town, one by each village, a few on rural high ground."""
    n_sites = int(rng.integers(28, 37))
    n_town = round(0.55 * n_sites)
    n_village = len(village_centres)
    n_rural = n_sites - n_town - n_village
    in_town = np.hypot(*(points - town_centre).T) < _TOWN_RADIUS_M * 1.1
    town_xy, _ = _kmeans(points[in_town], n_town, rng, iterations=8)
    heading = rng.uniform(0, 2 * math.pi, n_village)
    village_xy = village_centres + rng.uniform(150.0, 350.0, n_village)[:, None] * np.column_stack(
        [np.cos(heading), np.sin(heading)]
    )
    chosen = [*town_xy, *village_xy]
    min_x, min_y, max_x, max_y = shapely.bounds(outline)
    shapely.prepare(outline)
    rural: list[npt.NDArray[np.float64]] = []
    while len(rural) < n_rural:
        candidate = rng.uniform([min_x, min_y], [max_x, max_y])
        far_from_town = np.hypot(*(candidate - town_centre)) > _TOWN_RADIUS_M + 800.0
        spaced = min(np.hypot(*(np.array(chosen + rural) - candidate).T)) > 1_500.0
        if far_from_town and spaced and shapely.contains_xy(outline, *candidate):
            rural.append(candidate)
    xy = np.array(chosen + rural, dtype=np.float64)
    rural_site = np.arange(n_sites) >= n_town
    band = np.where(
        rural_site,
        rng.choice(_BANDS_MHZ, n_sites, p=[0.55, 0.2, 0.1, 0.1, 0.05]),
        rng.choice(_BANDS_MHZ, n_sites, p=[0.1, 0.3, 0.2, 0.2, 0.2]),
    )
    band[rng.permutation(n_sites)[: len(_BANDS_MHZ)]] = rng.permutation(_BANDS_MHZ)
    operator = np.array(_OPERATORS, dtype=object)[rng.permutation(n_sites) % len(_OPERATORS)]
    height = np.round(
        np.where(rural_site, rng.uniform(25, 45, n_sites), rng.uniform(18, 32, n_sites)), 1
    )
    power = np.round(
        np.where(band == 3500, rng.uniform(62, 66, n_sites), rng.uniform(56, 61, n_sites)), 1
    )
    ids = np.array([f"DMO{number + 1:04d}" for number in range(n_sites)], dtype=object)
    data: dict[str, object] = {
        "site_id": ids,
        "site_ref": ids.copy(),
        "operator": operator,
        "technology": np.where(band == 3500, "NR", "LTE").astype(object),
        "band_mhz": band.astype(np.float64),
        "antenna_height_m": height,
        "power_dbm": power,
        "max_power_dbm": np.round(power + rng.uniform(2, 5, n_sites), 1),
        "antenna_type": np.full(n_sites, "Macro", dtype=object),
        "x_m": xy[:, 0],
        "y_m": xy[:, 1],
        "source": np.full(n_sites, DEMO_SOURCE, dtype=object),
        "source_date": np.full(n_sites, DEMO_SOURCE_DATE, dtype=object),
    }
    return _points_frame({column: data[column] for column in SITE_COLUMNS}, xy)


@dataclass(frozen=True, eq=False)
class _Layout:
    """Where the town and villages are, and their street nodes."""

    outline: shapely.Polygon
    harmonics: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]
    town_centre: npt.NDArray[np.float64]
    town_nodes: npt.NDArray[np.intp]
    village_names: list[str]
    village_centres: npt.NDArray[np.float64]
    village_nodes: list[npt.NDArray[np.intp]]


def _draw_settlements(rng: np.random.Generator, streets: _Streets, names: Iterator[str]) -> _Layout:
    """The borough outline, the town's street grid and four to seven village grids."""
    centre = np.array(DEMO_CENTRE_BNG)
    theta = np.linspace(0.0, 2 * math.pi, 361)[:-1]
    harmonics = _wobbly_radius(rng, 0.08)
    radius = _radius_at(theta, _BOROUGH_RADIUS_M, harmonics)
    outline = shapely.Polygon(
        np.column_stack([centre[0] + radius * np.cos(theta), centre[1] + radius * np.sin(theta)])
    )
    town_centre = centre + rng.uniform(-600.0, 600.0, 2)
    town_nodes = _grid(
        streets,
        rng,
        names,
        centre=town_centre,
        radius_m=_TOWN_RADIUS_M,
        spacing_m=(rng.uniform(95.0, 110.0), rng.uniform(80.0, 95.0)),
        place=DEMO_TOWN_NAME,
        main_highway="secondary",
        main_names=("High Street", "Station Road"),
        tertiary_every=6,
        drop_share=0.12,
        footway_share=0.05,
        premises_per_m=0.14,
        setback_m=(8.0, 16.0),
    )
    n_villages = int(rng.integers(4, 8))
    village_names = [
        _VILLAGE_NAMES[index]
        for index in rng.choice(len(_VILLAGE_NAMES), n_villages, replace=False)
    ]
    # Villages spread around the town, between half and three quarters of the way out.
    angles = np.sort(
        (rng.uniform(0, 2 * math.pi) + np.arange(n_villages) * 2 * math.pi / n_villages
         + rng.uniform(-0.25, 0.25, n_villages)) % (2 * math.pi)
    )  # fmt: skip
    distance = rng.uniform(0.55, 0.72, n_villages) * _radius_at(
        angles, _BOROUGH_RADIUS_M, harmonics
    )
    village_centres = centre + np.column_stack(
        [distance * np.cos(angles), distance * np.sin(angles)]
    )
    village_nodes = [
        _grid(
            streets,
            rng,
            names,
            centre=spot,
            radius_m=float(rng.uniform(380.0, 650.0)),
            spacing_m=(rng.uniform(80.0, 95.0), rng.uniform(70.0, 85.0)),
            place=name,
            main_highway="tertiary",
            main_names=("Main Street" if index % 2 else "High Street", "Church Lane"),
            tertiary_every=0,
            drop_share=0.18,
            footway_share=0.03,
            premises_per_m=0.085,
            setback_m=(10.0, 25.0),
        )
        for index, (name, spot) in enumerate(zip(village_names, village_centres, strict=True))
    ]
    return _Layout(
        outline=outline,
        harmonics=harmonics,
        town_centre=town_centre,
        town_nodes=town_nodes,
        village_names=village_names,
        village_centres=village_centres,
        village_nodes=village_nodes,
    )


def _unit(vector: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return np.asarray(vector / np.hypot(*vector), dtype=np.float64)


def _draw_country_roads(rng: np.random.Generator, streets: _Streets, layout: _Layout) -> None:
    """Roads from the town to each village, lanes between villages, roads out of the borough
    and a bridleway."""
    centres, nodes = layout.village_centres, layout.village_nodes
    for index, name in enumerate(layout.village_names):
        heading = _unit(centres[index] - layout.town_centre)
        xy = streets.xy
        start = _farthest_toward(xy, layout.town_nodes, layout.town_centre, heading)
        end = int(nodes[index][np.argmin(np.hypot(*(xy[nodes[index]] - centres[index]).T))])
        major = index < 2
        _road(
            streets,
            rng,
            start,
            end,
            highway="secondary" if major else "tertiary",
            name=f"{name} Road",
            premises_per_m=0.004,
            extra=(("ref", f"B{4030 + 2 * index}"),) if major else (),
        )
    count = len(centres)
    for index in range(count):
        following = (index + 1) % count
        xy = streets.xy
        toward = _unit(centres[following] - centres[index])
        a = _farthest_toward(xy, nodes[index], centres[index], toward)
        b = _farthest_toward(xy, nodes[following], centres[following], -toward)
        _road(
            streets,
            rng,
            a,
            b,
            highway="unclassified",
            name=f"{layout.village_names[following]} Lane",
            premises_per_m=0.004,
        )
    centre = np.array(DEMO_CENTRE_BNG)
    for index in rng.choice(count, size=min(3, count), replace=False).tolist():
        heading = _unit(centres[index] - centre)
        start = _farthest_toward(streets.xy, nodes[index], centres[index], heading)
        edge_m = _radius_at(
            np.array([math.atan2(heading[1], heading[0])]), _BOROUGH_RADIUS_M, layout.harmonics
        )[0]
        border = centre + heading * 0.985 * float(edge_m)
        _road(streets, rng, start, border, highway="tertiary", name=None, premises_per_m=0.003)
    pair = rng.choice(count, size=2, replace=False)
    _road(
        streets,
        rng,
        int(nodes[pair[0]][0]),
        int(nodes[pair[1]][-1]),
        highway="bridleway",
        name=None,
    )


@dataclass(frozen=True, eq=False)
class _Areas:
    """Wards and LSOAs, and which LSOA each premises is in (positions in ``lsoa_codes``)."""

    wards: gpd.GeoDataFrame
    lsoas: gpd.GeoDataFrame
    population: pd.DataFrame
    imd_decile: pd.Series
    premises_lsoa: npt.NDArray[np.intp]
    lsoa_codes: npt.NDArray[np.str_]
    lsoa_rank: npt.NDArray[np.intp]
    lsoa_ward_codes: npt.NDArray[np.str_]


def _draw_areas(
    rng: np.random.Generator,
    layout: _Layout,
    points: npt.NDArray[np.float64],
    household: npt.NDArray[np.int64],
) -> _Areas:
    """LSOAs of similar population around the premises, grouped into contiguous wards."""
    weight = household.astype(np.float64)
    wanted = max(100, round(float(household.sum()) / _RESIDENTS_PER_LSOA))
    lsoa_centres = _balanced_centres(points, weight, wanted, rng)
    n_lsoas = len(lsoa_centres)
    _, lsoa_label = cKDTree(lsoa_centres).query(points)
    members = np.bincount(lsoa_label, minlength=n_lsoas)
    lsoa_mean = (
        np.column_stack(
            [np.bincount(lsoa_label, weights=points[:, axis], minlength=n_lsoas) for axis in (0, 1)]
        )
        / np.maximum(members, 1)[:, None]
    )
    lsoa_mean[members == 0] = lsoa_centres[members == 0]
    # Wards group whole LSOAs with similar numbers of residents, as electoral reviews aim to.
    lsoa_weight = np.bincount(lsoa_label, weights=weight, minlength=n_lsoas).astype(np.float64)
    cells = _partition(layout.outline, lsoa_centres)
    lsoa_ward = _grow_wards(
        _adjacency_lengths(cells), lsoa_mean, lsoa_weight, int(rng.integers(17, 23)), rng
    )

    # Number wards north to south (as the ONS numbers MSOAs), then LSOAs within each ward.
    ward_ids = np.unique(lsoa_ward)
    ward_geoms = np.asarray(
        [shapely.union_all(cells[lsoa_ward == ward]) for ward in ward_ids], dtype=object
    )
    ward_xy = shapely.get_coordinates(shapely.point_on_surface(ward_geoms))
    ward_order = np.lexsort((ward_xy[:, 0], -ward_xy[:, 1]))
    ward_rank = np.empty(len(ward_ids), dtype=np.intp)
    ward_rank[ward_order] = np.arange(len(ward_ids))
    ward_number = ward_rank[np.searchsorted(ward_ids, lsoa_ward)]
    # Name wards after where their people live, not the middle of their (rural) area.
    ward_people = (
        np.column_stack(
            [
                np.bincount(lsoa_ward, weights=lsoa_weight * lsoa_mean[:, axis])[ward_ids]
                for axis in (0, 1)
            ]
        )
        / np.bincount(lsoa_ward, weights=lsoa_weight)[ward_ids][:, None]
    )
    ward_names = np.asarray(
        _ward_names(
            ward_people[ward_order],
            layout.town_centre,
            layout.village_centres,
            layout.village_names,
        )
    )
    lsoa_xy = shapely.get_coordinates(shapely.point_on_surface(cells))
    lsoa_order = np.lexsort((lsoa_xy[:, 0], -lsoa_xy[:, 1], ward_number))
    lsoa_rank = np.empty(n_lsoas, dtype=np.intp)
    lsoa_rank[lsoa_order] = np.arange(n_lsoas)
    sorted_wards = ward_number[lsoa_order]
    letters = np.zeros(n_lsoas, dtype=np.intp)
    letters[lsoa_order] = np.arange(n_lsoas) - np.searchsorted(sorted_wards, sorted_wards)
    ward_codes = np.array([f"E0590{number + 1:04d}" for number in range(len(ward_ids))])
    lsoa_codes = np.array([f"E0190{rank + 1:04d}" for rank in lsoa_rank])
    lsoa_names = np.array(
        [
            f"{DEMO_LAD_NAME} {number + 1:03d}{chr(ord('A') + letter)}"
            for number, letter in zip(ward_number.tolist(), letters.tolist(), strict=True)
        ]
    )
    wards = gpd.GeoDataFrame(
        {
            "WD23CD": ward_codes,
            "WD23NM": ward_names,
            "LAD23CD": DEMO_LAD_CODE,
            "LAD23NM": DEMO_LAD_NAME,
        },
        geometry=gpd.GeoSeries(ward_geoms[ward_order], crs=BNG),
        crs=BNG,
    )
    lsoas = gpd.GeoDataFrame(
        {
            "LSOA21CD": lsoa_codes[lsoa_order],
            "LSOA21NM": lsoa_names[lsoa_order],
            "WD23CD": ward_codes[ward_number[lsoa_order]],
            "WD23NM": ward_names[ward_number[lsoa_order]],
            "LAD23CD": DEMO_LAD_CODE,
            "LAD23NM": DEMO_LAD_NAME,
        },
        geometry=gpd.GeoSeries(cells[lsoa_order], crs=BNG),
        crs=BNG,
    )
    # Each premises takes the LSOA polygon it lies in (its k-means cluster, but for ties).
    hit_point, hit_cell = shapely.STRtree(cells).query(shapely.points(points), predicate="within")
    premises_lsoa = np.asarray(lsoa_label, dtype=np.intp).copy()
    premises_lsoa[hit_point[::-1]] = hit_cell[::-1]
    residents = np.bincount(premises_lsoa, weights=household, minlength=n_lsoas).astype(np.int64)
    population = _population(
        rng, residents, lsoa_xy, layout.town_centre, lsoa_codes, lsoa_names, lsoa_order
    )
    imd = _imd_deciles(rng, lsoa_xy, layout.town_centre, lsoa_codes, lsoa_order)
    return _Areas(
        wards=wards,
        lsoas=lsoas,
        population=population,
        imd_decile=imd,
        premises_lsoa=premises_lsoa,
        lsoa_codes=lsoa_codes,
        lsoa_rank=lsoa_rank,
        lsoa_ward_codes=ward_codes[ward_number],
    )


def build_demo_borough(seed: int = 2027, *, workdir: Path | None = None) -> DemoBorough:
    """Generate the synthetic demo borough.

    Parameters
    ----------
    seed:
        Seed of every random draw: the same seed gives the same borough.
    workdir:
        Folder to write the OSM XML file into (created if missing).  By default a new
        temporary folder, which the caller may delete when done.

    Returns
    -------
    DemoBorough
        Every layer in EPSG:27700 (metres).
    """
    rng = np.random.default_rng(seed)
    streets = _Streets()
    layout = _draw_settlements(rng, streets, _names(rng))
    _draw_country_roads(rng, streets, layout)
    base = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="demo-borough-"))
    base.mkdir(parents=True, exist_ok=True)
    osm_path = base / f"demo_borough_{seed}.osm"
    _write_osm_xml(streets, osm_path)

    points = _premises_points(streets, rng, int(rng.integers(49_000, 54_001)))
    points = points[shapely.contains_xy(layout.outline, points[:, 0], points[:, 1])]
    household = 1 + rng.poisson(1.45, len(points))
    areas = _draw_areas(rng, layout, points, household)

    # Address order: by LSOA, then north to south and west to east within it.
    order = np.lexsort((points[:, 0], -points[:, 1], areas.lsoa_rank[areas.premises_lsoa]))
    points, premises_lsoa = points[order], areas.premises_lsoa[order]
    n_premises = len(points)
    uprn = 900_000_000_001 + np.arange(n_premises, dtype=np.int64)
    n_cabinets = max(1, round(n_premises / _PREMISES_PER_CABINET))
    cabinet_centres, cabinet_label = _kmeans(points, n_cabinets, rng)
    cabinet_ids = np.array([f"CAB{number + 1:03d}" for number in range(n_cabinets)])
    premises = _points_frame(
        {
            "premises_id": uprn.astype(str).astype(object),
            "uprn": pd.array(uprn, dtype="Int64"),
            "x_m": points[:, 0],
            "y_m": points[:, 1],
            "is_estimate": np.zeros(n_premises, dtype=bool),
            "lsoa_code": areas.lsoa_codes[premises_lsoa].astype(object),
            "ward_code": areas.lsoa_ward_codes[premises_lsoa].astype(object),
            "cabinet_id": cabinet_ids[cabinet_label].astype(object),
        },
        points,
    )

    street_xy = streets.xy
    street_nodes = np.concatenate([layout.town_nodes, *layout.village_nodes])
    street_tree = cKDTree(street_xy[street_nodes])
    exchange_xy = _near_street(
        street_xy, street_tree, street_nodes, layout.town_centre + np.array([250.0, 180.0]), rng
    )
    exchange = _points_frame(
        {
            "exchange_id": np.array(["DMOEX1"], dtype=object),
            "name": np.array([f"{DEMO_TOWN_NAME} Telephone Exchange"], dtype=object),
            "x_m": exchange_xy[:, 0],
            "y_m": exchange_xy[:, 1],
        },
        exchange_xy,
    )
    cabinet_xy = _near_street(street_xy, street_tree, street_nodes, cabinet_centres, rng)
    cabinets = _points_frame(
        {
            "cabinet_id": cabinet_ids.astype(object),
            "exchange_id": np.full(n_cabinets, "DMOEX1", dtype=object),
            "premises_count": np.bincount(cabinet_label, minlength=n_cabinets),
            "x_m": cabinet_xy[:, 0],
            "y_m": cabinet_xy[:, 1],
        },
        cabinet_xy,
    )
    full_fibre = _full_fibre(rng, points, cabinet_label, cabinet_ids)
    venues = _venues(
        rng,
        streets,
        street_tree,
        street_nodes,
        layout.town_centre,
        layout.village_centres,
        layout.village_names,
    )
    sites = _mobile_sites(rng, layout.outline, points, layout.town_centre, layout.village_centres)
    boundary = gpd.GeoDataFrame(
        {"LAD23CD": [DEMO_LAD_CODE], "LAD23NM": [DEMO_LAD_NAME]},
        geometry=gpd.GeoSeries([layout.outline], crs=BNG),
        crs=BNG,
    )
    return DemoBorough(
        seed=seed,
        boundary=boundary,
        wards=areas.wards,
        lsoas=areas.lsoas,
        population=areas.population,
        imd_decile=areas.imd_decile,
        osm_path=osm_path,
        walk_network=read_street_network(osm_path, mode="walk"),
        drive_network=read_street_network(osm_path, mode="drive"),
        premises=premises,
        venues=venues,
        mobile_sites=sites,
        exchange=exchange,
        cabinets=cabinets,
        full_fibre_areas=full_fibre,
    )
