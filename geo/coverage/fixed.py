"""Fixed broadband per premises: FTTC/VDSL2, ADSL2+, full fibre, cable and fixed wireless.

For every premises (British National Grid, EPSG:27700, metres) the model estimates:

* **VDSL2 (FTTC)** download from the copper line length to its cabinet, read off a
  :class:`~geo.coverage.curves.SpeedCurve` (typical or conservative; linear interpolation,
  80 Mbit/s at or below 200 m).  Upload is min(20, 0.25 × download) and flagged unmodelled.
* **ADSL2+** download from the line length to the exchange.
* **FTTP, cable, fixed wireless** where an :class:`AvailabilityLayer` says the network is
  built: polygons, street segments or points with a buffer, or a list of premises ids.
* the best technology (highest download; ties go to fttp > cable > vdsl > fwa > adsl), its
  speeds, the Ofcom tier (:mod:`geo.coverage.tiers`), a full-fibre flag and the BDUK
  White/Grey/Black category from the number of gigabit-capable networks.

Copper line length follows the driving network where one is given: premises and cabinets are
snapped to the nearest network node and one multi-source Dijkstra from all cabinets
(``scipy.sparse.csgraph.dijkstra(min_only=True)``, undirected: cables ignore one-way streets)
assigns each premises its nearest cabinet by road.  Length = premises snap + road distance +
cabinet snap.  Without a network, or for premises that cannot reach a cabinet on it, length =
straight-line distance to the nearest cabinet × ``routing_factor`` (flagged per premises).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from geo.coverage._arrays import FloatArray, IntArray
from geo.coverage.config import FixedConfig
from geo.coverage.curves import SpeedCurve, interpolate_speed_mbps
from geo.coverage.tiers import bduk_category, broadband_tier
from geo.errors import InputError

__all__ = [
    "BEST_TECHNOLOGIES",
    "LAYER_TECHNOLOGIES",
    "AvailabilityLayer",
    "LineLengths",
    "NetworkLike",
    "adsl2plus_download_mbps",
    "fixed_broadband",
    "line_lengths",
    "read_availability_layer",
    "vdsl2_download_mbps",
]

LAYER_TECHNOLOGIES: tuple[str, ...] = ("fttp", "cable", "fwa")
"""Technologies an availability layer can declare."""

BEST_TECHNOLOGIES: tuple[str, ...] = ("none", "adsl", "fwa", "vdsl", "cable", "fttp")
"""Values of ``best_technology``, worst first (an ordered categorical)."""

# Preference order for ties in download speed (first wins).
_PREFERENCE: tuple[str, ...] = ("fttp", "cable", "vdsl", "fwa", "adsl")
_TRUE_WORDS = frozenset({"1", "true", "t", "yes", "y"})
_FALSE_WORDS = frozenset({"0", "false", "f", "no", "n"})


class NetworkLike(Protocol):
    """What :func:`line_lengths` needs of a street network (e.g. ``geo.network.StreetNetwork``):
    an ``N x N`` scipy sparse ``graph`` of edge lengths in metres and node coordinates
    ``x_m``, ``y_m`` in EPSG:27700."""

    @property
    def graph(self) -> Any: ...

    @property
    def x_m(self) -> npt.NDArray[np.float64]: ...

    @property
    def y_m(self) -> npt.NDArray[np.float64]: ...


# --------------------------------------------------------------------------------------------
# Speed curves
# --------------------------------------------------------------------------------------------


def vdsl2_download_mbps(
    copper_length_m: npt.ArrayLike, *, curve: SpeedCurve | str = "typical"
) -> FloatArray:
    """FTTC/VDSL2 attainable download from copper length to the cabinet.

    Parameters
    ----------
    copper_length_m:
        Line length along the cable route, metres (NaN: no cabinet, gives 0).
    curve:
        ``"typical"``, ``"conservative"`` or a :class:`~geo.coverage.curves.SpeedCurve`.

    Returns
    -------
    numpy.ndarray
        Download in Mbit/s: 80 at or below 200 m; typical 51 at 600 m, 24.5 at 1.2 km, 8.7 at
        3 km; 0 beyond 3.6 km (FTTC not offered).
    """
    if isinstance(curve, str):
        curve = FixedConfig(vdsl_curve=curve).vdsl_speed_curve  # type: ignore[arg-type]
    return interpolate_speed_mbps(copper_length_m, curve)


def adsl2plus_download_mbps(
    line_length_m: npt.ArrayLike, *, curve: SpeedCurve | None = None
) -> FloatArray:
    """ADSL2+ sync download from the line length to the exchange (Mbit/s; 0 beyond 5.5 km).

    Parameters
    ----------
    line_length_m:
        Line length in metres (NaN: no exchange, gives 0).
    curve:
        Curve to use; :data:`geo.coverage.curves.ADSL2PLUS` by default.

    Returns
    -------
    numpy.ndarray
        Download in Mbit/s (24 at 0 m, 23 at 1 km, 8 at 3 km, 2 at 5 km).
    """
    return interpolate_speed_mbps(line_length_m, curve or FixedConfig().adsl_curve)


# --------------------------------------------------------------------------------------------
# Line length
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineLengths:
    """Copper line length per premises to its serving source (cabinet or exchange).

    Attributes
    ----------
    length_m:
        Line length, metres (NaN if there is no source at all).
    source_index:
        Position of the serving source in the source arrays (-1 if none).
    premises_snap_m:
        Distance from the premises to its network node, metres (NaN without a network).
    on_network:
        True where the length was measured along the network; False where it is straight-line
        × routing factor.
    """

    length_m: FloatArray
    source_index: IntArray
    premises_snap_m: FloatArray
    on_network: npt.NDArray[np.bool_]


def _as_xy(name: str, x: npt.ArrayLike, y: npt.ArrayLike) -> FloatArray:
    xs = np.asarray(x, dtype=np.float64).ravel()
    ys = np.asarray(y, dtype=np.float64).ravel()
    if xs.shape != ys.shape:
        raise InputError(f"{name}: x and y must have the same length")
    if not (np.isfinite(xs).all() and np.isfinite(ys).all()):
        raise InputError(f"{name}: coordinates must be finite EPSG:27700 metres")
    return np.column_stack([xs, ys])


def line_lengths(
    premises_x_m: npt.ArrayLike,
    premises_y_m: npt.ArrayLike,
    source_x_m: npt.ArrayLike,
    source_y_m: npt.ArrayLike,
    *,
    network: NetworkLike | None = None,
    routing_factor: float = 1.3,
) -> LineLengths:
    """Line length from each premises to its nearest source by road (or straight line × factor).

    Parameters
    ----------
    premises_x_m, premises_y_m:
        Premises positions, EPSG:27700 metres.
    source_x_m, source_y_m:
        Cabinets (for VDSL2) or exchanges (for ADSL2+), EPSG:27700 metres.
    network:
        A street network with ``graph`` (N x N sparse, metres) and node ``x_m``/``y_m``
        (EPSG:27700), e.g. the driving :class:`geo.network.StreetNetwork`.  Premises and
        sources snap to the nearest node; one multi-source Dijkstra (``min_only=True``,
        undirected) from all sources gives each node its nearest source and the distance.
        Without one, every length is straight-line × ``routing_factor``.
    routing_factor:
        Multiplier on straight-line distance where the network is absent or does not connect
        the premises to any source (≥ 1; an UNVERIFIED planning assumption).

    Returns
    -------
    LineLengths
        Length, serving source, premises snap distance and whether measured on the network.
    """
    premises = _as_xy("premises", premises_x_m, premises_y_m)
    sources = _as_xy("sources", source_x_m, source_y_m)
    if routing_factor < 1:
        raise InputError("routing_factor must be 1 or more")
    n = premises.shape[0]
    length = np.full(n, np.nan)
    serving = np.full(n, -1, dtype=np.intp)
    snap = np.full(n, np.nan)
    on_network = np.zeros(n, dtype=bool)
    if n == 0 or sources.shape[0] == 0:
        return LineLengths(length, serving, snap, on_network)

    if network is not None:
        node_xy = _as_xy("network nodes", network.x_m, network.y_m)
        graph = sp.csr_matrix(network.graph)
        n_nodes = node_xy.shape[0]
        if graph.shape != (n_nodes, n_nodes):
            raise InputError("network.graph must be N x N for the N nodes in x_m, y_m")
        if n_nodes:
            nodes = cKDTree(node_xy)
            premises_snap, premises_node = nodes.query(premises)
            source_snap, source_node = nodes.query(sources)
            m = sources.shape[0]
            # One virtual node per source, joined to its snapped node by its snap distance, so a
            # single Dijkstra from the virtual nodes counts the source's own snap as well.
            coo = graph.tocoo()
            rows = np.concatenate([coo.row, np.arange(n_nodes, n_nodes + m)])
            cols = np.concatenate([coo.col, np.asarray(source_node, dtype=np.intp)])
            data = np.concatenate([coo.data, np.asarray(source_snap, dtype=np.float64)])
            augmented = sp.csr_matrix((data, (rows, cols)), shape=(n_nodes + m, n_nodes + m))
            dist, _, origin = dijkstra(
                augmented,
                directed=False,
                indices=np.arange(n_nodes, n_nodes + m),
                min_only=True,
                return_predecessors=True,
            )
            node_dist = np.asarray(dist, dtype=np.float64)[premises_node]
            reached = np.isfinite(node_dist)
            length[reached] = np.asarray(premises_snap)[reached] + node_dist[reached]
            serving[reached] = np.asarray(origin)[premises_node][reached] - n_nodes
            snap = np.asarray(premises_snap, dtype=np.float64)
            on_network = reached

    missing = ~on_network
    if missing.any():
        straight, nearest = cKDTree(sources).query(premises[missing])
        length[missing] = np.asarray(straight) * routing_factor
        serving[missing] = np.asarray(nearest, dtype=np.intp)
    return LineLengths(length, serving, snap, on_network)


# --------------------------------------------------------------------------------------------
# Availability layers
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AvailabilityLayer:
    """Where a network (FTTP, cable or fixed wireless) is built.

    Build one with :meth:`from_geodataframe`, :meth:`from_premises` or
    :func:`read_availability_layer`.

    Attributes
    ----------
    technology:
        ``"fttp"``, ``"cable"`` or ``"fwa"``.
    name:
        Label for messages, and the network's identity when features carry no operator.
    geometry:
        Feature geometries in EPSG:27700 (None for a premises-list layer).
    buffer_m:
        Premises within this distance of a feature are served (0: inside polygons only).
    premises_ids:
        Ids of served premises (None for a geometry layer).
    operator:
        Operator of each feature / listed premises (None: the layer ``name``).
    download_mbps, upload_mbps:
        Speed of each feature / listed premises, Mbit/s (NaN: the technology default).
    """

    technology: str
    name: str
    geometry: npt.NDArray[np.object_] | None = None
    buffer_m: float = 0.0
    premises_ids: npt.NDArray[np.object_] | None = None
    operator: npt.NDArray[np.object_] | None = None
    download_mbps: FloatArray | None = None
    upload_mbps: FloatArray | None = None
    _tree: Any = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.technology not in LAYER_TECHNOLOGIES:
            raise InputError(
                f"technology must be one of {LAYER_TECHNOLOGIES}, not {self.technology!r}",
                source=self.name,
            )
        if (self.geometry is None) == (self.premises_ids is None):
            raise InputError("give either geometry or premises_ids", source=self.name)
        if not np.isfinite(self.buffer_m) or self.buffer_m < 0:
            raise InputError("buffer_m must be 0 or more metres", source=self.name)
        size = len(self.geometry if self.geometry is not None else self.premises_ids)  # type: ignore[arg-type]
        for label in ("operator", "download_mbps", "upload_mbps"):
            values = getattr(self, label)
            if values is not None and len(values) != size:
                raise InputError(f"{label} must have one value per feature", source=self.name)
        for label in ("download_mbps", "upload_mbps"):
            values = getattr(self, label)
            if values is not None:
                _check_speeds(np.asarray(values, dtype=np.float64), label, self.name)
        if self.geometry is not None:
            kinds = shapely.get_type_id(self.geometry)
            lines_or_points = np.isin(kinds, (0, 1, 2, 4, 5))
            if lines_or_points.any() and self.buffer_m <= 0:
                row = int(np.flatnonzero(lines_or_points)[0])
                raise InputError(
                    "points and street lines need buffer_m > 0 to say which premises they pass",
                    source=self.name,
                    row=row + 1,
                )
            object.__setattr__(self, "_tree", shapely.STRtree(self.geometry))

    @property
    def n_features(self) -> int:
        """Number of features (or listed premises)."""
        source = self.geometry if self.geometry is not None else self.premises_ids
        return len(source) if source is not None else 0

    @classmethod
    def from_geodataframe(
        cls,
        frame: gpd.GeoDataFrame,
        *,
        technology: str,
        name: str,
        operator: str | None = None,
        buffer_m: float = 0.0,
    ) -> AvailabilityLayer:
        """A layer from polygons (served areas), lines (streets passed) or points.

        Parameters
        ----------
        frame:
            Features with a CRS (reprojected to EPSG:27700).  Optional columns ``operator``,
            ``download_mbps``, ``upload_mbps`` per feature.
        technology:
            ``"fttp"``, ``"cable"`` or ``"fwa"``.
        name:
            Layer label (file name).
        operator:
            Operator for every feature without its own ``operator``.
        buffer_m:
            Serve premises within this distance of a feature, m (required for lines/points).

        Returns
        -------
        AvailabilityLayer
        """
        if not isinstance(frame, gpd.GeoDataFrame):
            raise InputError("expected a GeoDataFrame", source=name)
        if frame.crs is None:
            raise InputError(
                "the layer has no CRS; set it (e.g. EPSG:4326 or EPSG:27700)", source=name
            )
        projected = frame.to_crs(27700)
        geoms = np.asarray(projected.geometry.values, dtype=object)
        bad = shapely.is_missing(geoms) | shapely.is_empty(geoms)
        if bad.any():
            raise InputError(
                "feature has no geometry", source=name, row=int(np.flatnonzero(bad)[0]) + 1
            )
        invalid = ~shapely.is_valid(geoms)
        if invalid.any():
            row = int(np.flatnonzero(invalid)[0])
            raise InputError(
                f"invalid geometry ({shapely.is_valid_reason(geoms[row])}); repair it "
                "(e.g. shapely.make_valid) before import",
                source=name,
                row=row + 1,
            )
        columns = {str(c).strip().lower(): c for c in projected.columns}
        ops = _operator_column(projected, columns, operator, name)
        down = _speed_column(projected, columns, "download_mbps", name)
        up = _speed_column(projected, columns, "upload_mbps", name)
        return cls(
            technology=technology,
            name=name,
            geometry=geoms,
            buffer_m=float(buffer_m),
            operator=ops,
            download_mbps=down,
            upload_mbps=up,
        )

    @classmethod
    def from_premises(
        cls,
        premises_ids: Sequence[Any] | npt.ArrayLike,
        *,
        technology: str,
        name: str,
        operator: str | Sequence[str] | None = None,
        download_mbps: npt.ArrayLike | None = None,
        upload_mbps: npt.ArrayLike | None = None,
    ) -> AvailabilityLayer:
        """A layer that lists the premises a network passes (ids matched to the premises table).

        Parameters
        ----------
        premises_ids:
            Ids as in the premises table's ``premises_id`` column (or its index).
        technology, name, operator:
            As :meth:`from_geodataframe`; ``operator`` may be one per listed premises.
        download_mbps, upload_mbps:
            Speeds per listed premises, Mbit/s (NaN: the technology default).

        Returns
        -------
        AvailabilityLayer
        """
        ids = np.asarray(premises_ids, dtype=object).ravel()
        if pd.isna(pd.Series(ids)).any():
            raise InputError("premises ids must not be empty", source=name)
        n = len(ids)
        ops = None
        if operator is not None:
            ops = np.asarray(
                [operator] * n if isinstance(operator, str) else list(operator), dtype=object
            )
        down = (
            None if download_mbps is None else np.asarray(download_mbps, dtype=np.float64).ravel()
        )
        up = None if upload_mbps is None else np.asarray(upload_mbps, dtype=np.float64).ravel()
        return cls(
            technology=technology,
            name=name,
            premises_ids=ids,
            operator=ops,
            download_mbps=down,
            upload_mbps=up,
        )

    def served_pairs(self, xy: FloatArray, ids: pd.Index) -> tuple[IntArray, IntArray]:
        """(premises position, feature position) for every premises the layer serves."""
        if self.premises_ids is not None:
            lookup = pd.Index(ids)
            if not lookup.is_unique:
                raise InputError(
                    "premises ids must be unique to match a premises-list layer", source=self.name
                )
            positions = lookup.get_indexer(pd.Index(self.premises_ids))
            found = positions >= 0
            return positions[found].astype(np.intp), np.flatnonzero(found).astype(np.intp)
        points = shapely.points(xy)
        if self.buffer_m > 0:
            pairs = self._tree.query(points, predicate="dwithin", distance=self.buffer_m)
        else:
            pairs = self._tree.query(points, predicate="intersects")
        return np.asarray(pairs[0], dtype=np.intp), np.asarray(pairs[1], dtype=np.intp)


def _check_speeds(values: FloatArray, label: str, source: str) -> None:
    bad = ~np.isnan(values) & ~((values >= 0) & (values <= 100_000))
    if bad.any():
        raise InputError(
            f"{label} must be 0–100000 Mbit/s",
            source=source,
            row=int(np.flatnonzero(bad)[0]) + 1,
            column=label,
        )


def _speed_column(
    frame: pd.DataFrame, columns: dict[str, Any], label: str, source: str
) -> FloatArray | None:
    if label not in columns:
        return None
    raw = frame[columns[label]]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64)
    unreadable = raw.notna().to_numpy() & np.isnan(values)
    if unreadable.any():
        row = int(np.flatnonzero(unreadable)[0])
        raise InputError(
            f"{label} must be a number; got {raw.iloc[row]!r}",
            source=source,
            row=row + 1,
            column=label,
        )
    _check_speeds(values, label, source)
    return values


def _operator_column(
    frame: pd.DataFrame, columns: dict[str, Any], default: str | None, source: str
) -> npt.NDArray[np.object_] | None:
    if "operator" not in columns:
        return None if default is None else np.full(len(frame), default, dtype=object)
    values = frame[columns["operator"]].astype("string").str.strip()
    values = values.where(values.notna() & (values != ""), default)
    return values.astype(object).to_numpy(dtype=object)


def read_availability_layer(
    path: str | os.PathLike[str],
    *,
    technology: str,
    operator: str | None = None,
    buffer_m: float = 0.0,
    id_column: str | None = None,
) -> AvailabilityLayer:
    """Read an availability layer from GeoJSON/GeoPackage (geometries) or CSV (premises list).

    Parameters
    ----------
    path:
        ``.geojson``, ``.json``, ``.gpkg`` or ``.shp``: polygons (areas served), lines (streets
        passed) or points, with a CRS; optional per-feature ``operator``, ``download_mbps``,
        ``upload_mbps`` columns.  ``.csv``: one row per served premises with an id column
        (``id_column``, else ``premises_id`` or ``uprn``, case-insensitive), optional
        ``available`` (rows with a false value are dropped: 0/false/no/n), ``operator``,
        ``download_mbps``, ``upload_mbps``.
    technology:
        ``"fttp"``, ``"cable"`` or ``"fwa"``.
    operator:
        Operator for features/rows that do not name one.
    buffer_m:
        For geometry layers: premises within this distance are served, m (lines and points
        need it).
    id_column:
        CSV id column name.

    Returns
    -------
    AvailabilityLayer

    Raises
    ------
    geo.errors.InputError
        Unreadable file, no CRS, missing/invalid geometry, missing id column, unreadable
        values; the message names the file, row and column.
    """
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix == ".csv":
        try:
            table = pd.read_csv(file, dtype=str, keep_default_na=False)
        except (OSError, ValueError) as error:
            raise InputError(f"cannot read the CSV: {error}", source=file.name) from None
        columns = {str(c).strip().lower(): c for c in table.columns}
        wanted = [id_column.strip().lower()] if id_column else ["premises_id", "uprn"]
        found = next((columns[c] for c in wanted if c in columns), None)
        if found is None:
            raise InputError(f"no id column; expected one of {wanted}", source=file.name)
        ids = table[found].str.strip()
        empty = (ids == "").to_numpy()
        if empty.any():
            raise InputError(
                "premises id is empty",
                source=file.name,
                row=int(np.flatnonzero(empty)[0]) + 1,
                column=str(found),
            )
        keep = np.ones(len(table), dtype=bool)
        if "available" in columns:
            flags = table[columns["available"]].str.strip().str.lower()
            unknown = ~flags.isin(_TRUE_WORDS | _FALSE_WORDS)
            if unknown.any():
                row = int(np.flatnonzero(unknown.to_numpy())[0])
                raise InputError(
                    f"available must be yes/no, true/false or 1/0; got {flags.iloc[row]!r}",
                    source=file.name,
                    row=row + 1,
                    column="available",
                )
            keep = flags.isin(_TRUE_WORDS).to_numpy()
        blanked = table.replace("", np.nan)
        down = _speed_column(blanked, columns, "download_mbps", file.name)
        up = _speed_column(blanked, columns, "upload_mbps", file.name)
        ops = _operator_column(blanked, columns, operator, file.name)
        return AvailabilityLayer.from_premises(
            ids.to_numpy(dtype=object)[keep],
            technology=technology,
            name=file.name,
            operator=None if ops is None else list(ops[keep]),
            download_mbps=None if down is None else down[keep],
            upload_mbps=None if up is None else up[keep],
        )
    if suffix not in (".geojson", ".json", ".gpkg", ".shp"):
        raise InputError("expected .geojson, .json, .gpkg, .shp or .csv", source=file.name)
    try:
        frame = gpd.read_file(file)
    except Exception as error:  # pyogrio raises many types; report them all plainly
        raise InputError(f"cannot read the layer: {error}", source=file.name) from None
    return AvailabilityLayer.from_geodataframe(
        frame, technology=technology, name=file.name, operator=operator, buffer_m=buffer_m
    )


# --------------------------------------------------------------------------------------------
# Per-premises model
# --------------------------------------------------------------------------------------------


def _layer_speeds(
    layers: Sequence[AvailabilityLayer],
    xy: FloatArray,
    ids: pd.Index,
    config: FixedConfig,
) -> tuple[dict[str, FloatArray], dict[str, FloatArray], npt.NDArray[np.int64]]:
    """Best download/upload per layer technology, and the count of gigabit-capable networks."""
    n = xy.shape[0]
    down = {tech: np.zeros(n) for tech in LAYER_TECHNOLOGIES}
    up = {tech: np.zeros(n) for tech in LAYER_TECHNOLOGIES}
    network_names: dict[str, int] = {}
    gigabit_premises: list[IntArray] = []
    gigabit_network: list[IntArray] = []
    for layer in layers:
        default_down, default_up = config.technology_speeds_mbps.get(
            layer.technology, (np.nan, np.nan)
        )
        premises_pos, feature_pos = layer.served_pairs(xy, ids)
        if premises_pos.size == 0:
            continue
        feature_down = (
            np.full(layer.n_features, default_down)
            if layer.download_mbps is None
            else (np.where(np.isnan(layer.download_mbps), default_down, layer.download_mbps))
        )
        feature_up = (
            np.full(layer.n_features, default_up)
            if layer.upload_mbps is None
            else (np.where(np.isnan(layer.upload_mbps), default_up, layer.upload_mbps))
        )
        if np.isnan(feature_down).any() or np.isnan(feature_up).any():
            raise InputError(
                f"no speeds for technology {layer.technology!r}: give download_mbps/upload_mbps "
                "in the layer or in FixedConfig.technology_speeds_mbps",
                source=layer.name,
            )
        np.maximum.at(down[layer.technology], premises_pos, feature_down[feature_pos])
        np.maximum.at(up[layer.technology], premises_pos, feature_up[feature_pos])
        if layer.technology in config.gigabit_technologies:
            gigabit = feature_down[feature_pos] >= config.tiers.gigabit_mbps
            names = (
                np.full(layer.n_features, layer.name, dtype=object)
                if layer.operator is None
                else np.where(pd.isna(layer.operator), layer.name, layer.operator)
            )
            # Code each feature's network through its unique names (a loop over operators only).
            unique_names, inverse = np.unique(names.astype(str), return_inverse=True)
            name_codes = np.asarray(
                [network_names.setdefault(str(v), len(network_names)) for v in unique_names],
                dtype=np.int64,
            )[inverse]
            gigabit_premises.append(premises_pos[gigabit])
            gigabit_network.append(name_codes[feature_pos[gigabit]])
    networks = np.zeros(n, dtype=np.int64)
    if gigabit_premises:
        p = np.concatenate(gigabit_premises)
        k = np.concatenate(gigabit_network).astype(np.int64)
        pairs = np.unique(p.astype(np.int64) * max(1, len(network_names)) + k)
        networks = np.bincount(pairs // max(1, len(network_names)), minlength=n).astype(np.int64)
    return down, up, networks


def fixed_broadband(
    premises: pd.DataFrame,
    *,
    cabinets: pd.DataFrame | None = None,
    exchanges: pd.DataFrame | None = None,
    layers: Sequence[AvailabilityLayer] = (),
    network: NetworkLike | None = None,
    config: FixedConfig | None = None,
) -> pd.DataFrame:
    """Best fixed broadband technology, speeds and tiers per premises.

    Parameters
    ----------
    premises:
        ``x_m``, ``y_m`` (EPSG:27700 metres); ids for premises-list layers come from a
        ``premises_id`` column, else the index.
    cabinets:
        Street cabinets (``x_m``, ``y_m``; optional ``cabinet_id``) for FTTC/VDSL2.  None: no
        FTTC in the model.
    exchanges:
        Exchanges (``x_m``, ``y_m``; optional ``exchange_id``) for ADSL2+.  None: no ADSL.
    layers:
        FTTP / cable / fixed-wireless availability layers.
    network:
        Driving network for copper line lengths (see :func:`line_lengths`); None: straight
        line × ``config.routing_factor``.
    config:
        Curves, upload assumptions, default speeds and tier thresholds.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``premises``: ``cabinet_id``, ``vdsl_line_length_m``,
        ``vdsl_line_on_network``, ``premises_snap_m``, ``vdsl_download_mbps``,
        ``exchange_id``, ``adsl_line_length_m``, ``adsl_download_mbps``, ``fttp_available``,
        ``cable_available``, ``fwa_available``, ``gigabit_networks``, ``best_technology``,
        ``download_mbps``, ``upload_mbps``, ``upload_modelled`` (False for VDSL2/ADSL2+, whose
        upload is an assumption), ``tier``, ``full_fibre``, ``gigabit_capable``,
        ``bduk_category``.
    """
    cfg = config or FixedConfig()
    if not isinstance(premises, pd.DataFrame) or not {"x_m", "y_m"} <= set(premises.columns):
        raise InputError("premises must be a DataFrame with x_m and y_m (EPSG:27700 metres)")
    xy = _as_xy("premises", premises["x_m"], premises["y_m"])
    n = xy.shape[0]
    ids = pd.Index(premises["premises_id"]) if "premises_id" in premises.columns else premises.index
    out = pd.DataFrame(index=premises.index)

    vdsl = np.zeros(n)
    adsl = np.zeros(n)
    for kind, table, id_col in (
        ("vdsl", cabinets, "cabinet_id"),
        ("adsl", exchanges, "exchange_id"),
    ):
        if table is None:
            out[id_col] = pd.Series([None] * n, index=premises.index, dtype=object)
            out[f"{kind}_line_length_m"] = np.nan
            if kind == "vdsl":
                out["vdsl_line_on_network"] = False
                out["premises_snap_m"] = np.nan
            out[f"{kind}_download_mbps"] = 0.0
            continue
        if not isinstance(table, pd.DataFrame) or not {"x_m", "y_m"} <= set(table.columns):
            raise InputError(f"{id_col.split('_')[0]}s must be a DataFrame with x_m and y_m")
        lengths = line_lengths(
            xy[:, 0],
            xy[:, 1],
            table["x_m"],
            table["y_m"],
            network=network,
            routing_factor=cfg.routing_factor,
        )
        source_ids = (
            table[id_col].to_numpy(dtype=object)
            if id_col in table.columns
            else table.index.to_numpy(dtype=object)
        )
        served = lengths.source_index >= 0
        named = np.full(n, None, dtype=object)
        named[served] = source_ids[lengths.source_index[served]]
        out[id_col] = named
        out[f"{kind}_line_length_m"] = lengths.length_m
        if kind == "vdsl":
            out["vdsl_line_on_network"] = lengths.on_network
            out["premises_snap_m"] = lengths.premises_snap_m
            vdsl = interpolate_speed_mbps(lengths.length_m, cfg.vdsl_speed_curve)
        else:
            adsl = interpolate_speed_mbps(lengths.length_m, cfg.adsl_curve)
        out[f"{kind}_download_mbps"] = vdsl if kind == "vdsl" else adsl

    layer_down, layer_up, gigabit_networks = _layer_speeds(layers, xy, ids, cfg)
    for tech in LAYER_TECHNOLOGIES:
        out[f"{tech}_available"] = layer_down[tech] > 0
    out["gigabit_networks"] = gigabit_networks

    downloads = {
        "fttp": layer_down["fttp"],
        "cable": layer_down["cable"],
        "vdsl": vdsl,
        "fwa": layer_down["fwa"],
        "adsl": adsl,
    }
    uploads = {
        "fttp": layer_up["fttp"],
        "cable": layer_up["cable"],
        "vdsl": np.minimum(cfg.vdsl_upload_cap_mbps, cfg.vdsl_upload_ratio * vdsl),
        "fwa": layer_up["fwa"],
        "adsl": np.where(adsl > 0, cfg.adsl_upload_mbps, 0.0),
    }
    stacked_down = np.column_stack([downloads[t] for t in _PREFERENCE]) if n else np.zeros((0, 5))
    stacked_up = np.column_stack([uploads[t] for t in _PREFERENCE]) if n else np.zeros((0, 5))
    choice = np.argmax(stacked_down, axis=1)  # first maximum: the preference order breaks ties
    rows = np.arange(n)
    download = stacked_down[rows, choice]
    upload = stacked_up[rows, choice]
    chosen = np.asarray(_PREFERENCE, dtype=object)[choice]
    chosen = np.where(download > 0, chosen, "none")
    out["best_technology"] = pd.Categorical(
        chosen, categories=list(BEST_TECHNOLOGIES), ordered=True
    )
    out["download_mbps"] = download
    out["upload_mbps"] = upload
    out["upload_modelled"] = ~np.isin(chosen, ("vdsl", "adsl"))
    out["tier"] = broadband_tier(download, upload, thresholds=cfg.tiers)
    out["full_fibre"] = out["fttp_available"].to_numpy()
    out["gigabit_capable"] = download >= cfg.tiers.gigabit_mbps
    out["bduk_category"] = bduk_category(gigabit_networks)
    return out
