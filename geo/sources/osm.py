"""Read OpenStreetMap files: street networks and points of interest.

This is the only module that imports osmnx.  It reads files only (OSM XML through osmnx, PBF
through pyrosm): nothing is downloaded, and osmnx's cache and console log are switched off while
it runs.  Everything comes back in British National Grid (EPSG:27700, metres).

OSM data is © OpenStreetMap contributors under the ODbL 1.0: maps and exports made from it must
say so.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pandas as pd
import shapely

from geo.errors import InputError
from geo.network import (
    BNG,
    StreetNetwork,
    clip_to_area,
    from_arrays,
    from_networkx,
    largest_component,
)

__all__ = ["PBF_SUFFIXES", "XML_SUFFIXES", "read_osm_pois", "read_street_network"]

XML_SUFFIXES: tuple[str, ...] = (".osm", ".osm.xml")
PBF_SUFFIXES: tuple[str, ...] = (".osm.pbf",)

# OSM way tags that decide whether a way belongs to a network, after osmnx's Overpass filters
# for network_type "walk" and "drive" (osmnx 2.1, osmnx/_overpass.py).  Each entry is
# (tag, regular expression): a way is dropped if the tag is present and the expression is found
# in its value, as Overpass's ["tag"!~"regex"] does.  A way needs a highway tag in any case.
_ACCESS_FILTERS: tuple[tuple[str, str], ...] = (("area", "yes"), ("access", "private"))
_WAY_FILTERS: dict[str, tuple[tuple[str, str], ...]] = {
    "walk": (
        *_ACCESS_FILTERS,
        (
            "highway",
            "abandoned|bus_guideway|construction|cycleway|motor|no|planned|platform|proposed"
            "|raceway|razed|rest_area|services",
        ),
        ("foot", "no"),
        ("service", "private"),
        ("sidewalk", "separate"),
        ("sidewalk:both", "separate"),
        ("sidewalk:left", "separate"),
        ("sidewalk:right", "separate"),
    ),
    "drive": (
        *_ACCESS_FILTERS,
        (
            "highway",
            "abandoned|bridleway|bus_guideway|construction|corridor|cycleway|elevator|escalator"
            "|footway|no|path|pedestrian|planned|platform|proposed|raceway|razed|rest_area"
            "|service|services|steps|track",
        ),
        ("motor_vehicle", "no"),
        ("motorcar", "no"),
        ("service", "alley|driveway|emergency_access|parking|parking_aisle|private"),
    ),
}
_PYROSM_NETWORK = {"walk": "walking", "drive": "driving"}

# osmnx keeps only the way tags listed in its settings; the filters above need these too.
_EXTRA_WAY_TAGS = sorted({tag for rules in _WAY_FILTERS.values() for tag, _ in rules})
_OSMNX_LOCK = threading.Lock()


@contextmanager
def _osmnx_offline(extra_way_tags: Sequence[str] = ()) -> Iterator[None]:
    """Run osmnx with no cache, no console log and extra way tags, then restore its settings.

    osmnx reads these module-level settings during the call; the lock keeps two threads from
    interleaving their changes.
    """
    with _OSMNX_LOCK:
        saved = (
            ox.settings.use_cache,
            ox.settings.log_console,
            ox.settings.log_file,
            list(ox.settings.useful_tags_way),
        )
        ox.settings.use_cache = False
        ox.settings.log_console = False
        ox.settings.log_file = False
        ox.settings.useful_tags_way = list(
            dict.fromkeys([*ox.settings.useful_tags_way, *extra_way_tags])
        )
        try:
            yield
        finally:
            (
                ox.settings.use_cache,
                ox.settings.log_console,
                ox.settings.log_file,
                ox.settings.useful_tags_way,
            ) = saved


def _checked_path(path: str | Path) -> tuple[Path, str]:
    """The path and its kind ("xml" or "pbf"), or InputError naming the file."""
    file = Path(path)
    name = file.name.lower()
    if name.endswith(PBF_SUFFIXES):
        kind = "pbf"
    elif name.endswith(XML_SUFFIXES):
        kind = "xml"
    else:
        raise InputError(
            "is not an OpenStreetMap file: expected a name ending .osm, .osm.xml or .osm.pbf "
            "(e.g. a Geofabrik extract)",
            source=str(file),
        )
    if not file.is_file():
        raise InputError(
            "does not exist or is not a file: check the path of the OpenStreetMap extract",
            source=str(file),
        )
    return file, kind


def _check_mode(mode: str) -> None:
    if mode not in _WAY_FILTERS:
        raise ValueError(f"mode must be 'walk' or 'drive', not {mode!r}")


def _no_highways(file: Path, mode: str) -> InputError:
    return InputError(
        f"has no streets usable for mode {mode!r} (no OSM ways with a suitable highway tag): "
        "use an extract that covers the area's roads",
        source=str(file),
    )


def _excluded_edges(tags: pd.DataFrame, mode: str) -> np.ndarray:
    """Boolean mask of edges whose OSM way tags fail the network filter for ``mode``."""
    highway = tags["highway"] if "highway" in tags else pd.Series(None, index=tags.index)
    excluded = highway.isna().to_numpy(copy=True)
    for tag, pattern in _WAY_FILTERS[mode]:
        if tag not in tags:
            continue
        values = tags[tag].dropna().astype(str)
        matched = values.str.contains(pattern, regex=True)
        excluded[tags.index.get_indexer(matched.index[matched.to_numpy()])] = True
    return excluded


def _read_xml_network(file: Path, mode: str, *, simplify: bool) -> StreetNetwork:
    with _osmnx_offline(_EXTRA_WAY_TAGS):
        try:
            # Build everything, unsimplified, then filter: graph_from_xml keeps every way
            # (buildings, land use) and simplification must follow the filtering.
            graph = ox.graph_from_xml(
                file, bidirectional=mode == "walk", simplify=False, retain_all=True
            )
        except ox._errors.InsufficientResponseError:
            raise _no_highways(file, mode) from None
        except Exception as error:  # osmnx raises plain ParseError/ValueError on bad XML
            raise InputError(
                f"could not be read as OSM XML ({error}): check that it is an OpenStreetMap "
                "XML export",
                source=str(file),
            ) from error
        edges = list(graph.edges(keys=True, data=True))
        tags = pd.DataFrame.from_records([data for _, _, _, data in edges])
        excluded = _excluded_edges(tags, mode)
        graph.remove_edges_from(
            [(u, v, key) for (u, v, key, _), drop in zip(edges, excluded, strict=True) if drop]
        )
        graph.remove_nodes_from(list(nx.isolates(graph)))
        if graph.number_of_edges() == 0:
            raise _no_highways(file, mode)
        if simplify:
            graph = ox.simplify_graph(graph)
        graph = ox.project_graph(graph, to_crs=BNG)
    return from_networkx(graph, mode=mode)


def _oneway_direction(oneway: pd.Series, junction: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Masks of ways driven forwards only and backwards only, as osmnx reads OSM tags."""
    value = oneway.fillna("").astype(str).str.lower()
    forward = value.isin(["yes", "true", "1"]).to_numpy(copy=True)
    backward = value.isin(["-1", "reverse"]).to_numpy()
    roundabout = (junction.fillna("").astype(str) == "roundabout").to_numpy()
    forward |= roundabout & ~backward & ~value.isin(["no", "false", "0"]).to_numpy()
    return forward, backward


def _read_pbf_network(file: Path, mode: str) -> StreetNetwork:
    import pyrosm  # pyrosm is slow to import; only PBF reading needs it

    try:
        with warnings.catch_warnings():
            # pyrosm warns instead of returning an empty frame when nothing matches.
            warnings.simplefilter("ignore", UserWarning)
            result = pyrosm.OSM(str(file)).get_network(
                network_type=_PYROSM_NETWORK[mode], nodes=True
            )
    except Exception as error:
        raise InputError(
            f"could not be read as an OSM PBF extract ({error}): check the file is complete",
            source=str(file),
        ) from error
    if result is None:
        raise _no_highways(file, mode)
    nodes, edges = result
    if nodes is None or edges is None or len(edges) == 0:
        raise _no_highways(file, mode)
    nodes = gpd.GeoDataFrame(nodes, geometry="geometry", crs=nodes.crs).to_crs(BNG)
    edges = gpd.GeoDataFrame(edges, geometry="geometry", crs=edges.crs).to_crs(BNG)
    node_id = nodes["id"].to_numpy(dtype=np.int64)
    position = pd.Index(node_id)
    u = position.get_indexer(edges["u"].to_numpy(dtype=np.int64))
    v = position.get_indexer(edges["v"].to_numpy(dtype=np.int64))
    known = (u >= 0) & (v >= 0)
    u, v = u[known], v[known]
    length_m = edges["length"].to_numpy(dtype=np.float64)[known]
    highway = edges["highway"].to_numpy(dtype=object)[known]
    lines = np.asarray(edges.geometry.array, dtype=object)[known]
    if mode == "drive":
        forward, backward = _oneway_direction(
            edges["oneway"] if "oneway" in edges else pd.Series(None, index=edges.index),
            edges["junction"] if "junction" in edges else pd.Series(None, index=edges.index),
        )
        forward, backward = forward[known], backward[known]
        # Two-way streets become one row each way; one-way streets keep their direction.
        ahead = ~backward
        behind = ~forward
        u, v = np.concatenate([u[ahead], v[behind]]), np.concatenate([v[ahead], u[behind]])
        length_m = np.concatenate([length_m[ahead], length_m[behind]])
        highway = np.concatenate([highway[ahead], highway[behind]])
        lines = np.concatenate([lines[ahead], shapely.reverse(lines[behind])])
    xy = shapely.get_coordinates(np.asarray(nodes.geometry.array, dtype=object))
    return from_arrays(
        node_id, xy[:, 0], xy[:, 1], u, v, length_m, mode=mode, highway=highway, geometry=lines
    )


def read_street_network(
    path: str | Path,
    *,
    mode: str = "walk",
    clip_to: shapely.Geometry | None = None,
    margin_m: float = 500.0,
    retain_all: bool = False,
    simplify: bool = True,
) -> StreetNetwork:
    """Read a walking or driving street network from an OpenStreetMap file.

    OSM XML (``.osm``, ``.osm.xml``) is read with ``osmnx.graph_from_xml`` and filtered to the
    ways osmnx's ``network_type="walk"``/``"drive"`` keep (walking drops motorways, cycleways
    and private ways; driving drops footways, paths, steps, tracks, cycleways, bridleways and
    service roads).  PBF (``.osm.pbf``) is read with pyrosm's ``"walking"``/``"driving"``
    networks, unsimplified (a node at every OSM vertex).

    Parameters
    ----------
    path:
        The OSM file.
    mode:
        ``"walk"`` (every street two-way) or ``"drive"`` (one-way streets respected).
    clip_to:
        Polygon in EPSG:27700 (e.g. the union of a borough's wards): keep only nodes inside it
        grown by ``margin_m``.  None keeps the whole file.
    margin_m:
        Metres to grow ``clip_to`` by, so that routes leaving the area briefly survive.
    retain_all:
        Keep every component.  By default only the largest (weakly) connected component is kept,
        after clipping, as ``osmnx.graph_from_xml`` does.
    simplify:
        OSM XML only: merge chains of edges between intersections, as osmnx does by default.
        Lengths are unchanged; nodes (and so snapping targets) are fewer.

    Returns
    -------
    StreetNetwork
        Nodes and edges in EPSG:27700; edge lengths in metres (great-circle lengths of the OSM
        segments).

    Raises
    ------
    geo.errors.InputError
        If the file is missing, is not named as an OSM file, cannot be parsed, or has no street
        usable for ``mode``; the message names the file.
    """
    _check_mode(mode)
    file, kind = _checked_path(path)
    net = (
        _read_pbf_network(file, mode)
        if kind == "pbf"
        else _read_xml_network(file, mode, simplify=simplify)
    )
    if clip_to is not None:
        net = clip_to_area(net, clip_to, margin_m=margin_m)
        if net.n_nodes == 0:
            raise InputError(
                f"has no streets within {margin_m:g} m of the area to clip to: check that the "
                "extract covers the area and that the area is in EPSG:27700",
                source=str(file),
            )
    if not retain_all:
        net = largest_component(net)
    return net


def _tag_query(tags: Mapping[str, bool | str | Sequence[str]]) -> dict[str, Any]:
    query: dict[str, Any] = {}
    for key, wanted in tags.items():
        if isinstance(wanted, bool):
            query[key] = wanted
        elif isinstance(wanted, str):
            query[key] = [wanted]
        else:
            query[key] = list(wanted)
    return query


def _matches(frame: pd.DataFrame, tags: Mapping[str, Any]) -> np.ndarray:
    """Rows having any of the asked tags (with an asked value), as osmnx's tag query means."""
    keep = np.zeros(len(frame), dtype=bool)
    for key, wanted in tags.items():
        if key not in frame:
            continue
        values = frame[key]
        if wanted is True:
            keep |= values.notna().to_numpy()
        elif wanted is not False:
            keep |= values.isin(list(wanted)).to_numpy()
    return keep


def _poi_frame(
    raw: gpd.GeoDataFrame, osm_type: pd.Series, osm_id: pd.Series, tags: Mapping[str, Any]
) -> gpd.GeoDataFrame:
    columns = list(dict.fromkeys(["name", *tags]))
    data: dict[str, Any] = {
        "osm_type": osm_type.to_numpy(dtype=object),
        "osm_id": osm_id.to_numpy(dtype=np.int64),
    }
    for column in columns:
        data[column] = (
            raw[column].to_numpy(dtype=object) if column in raw else np.full(len(raw), None)
        )
    # Buildings and areas become a point inside them, not a centroid that may fall outside.
    points = shapely.point_on_surface(np.asarray(raw.geometry.array, dtype=object))
    frame = gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(points, crs=raw.crs), crs=raw.crs).to_crs(
        BNG
    )
    return frame.sort_values(["osm_type", "osm_id"], kind="stable").reset_index(drop=True)


def _empty_pois(tags: Mapping[str, Any]) -> gpd.GeoDataFrame:
    columns = ["osm_type", "osm_id", *dict.fromkeys(["name", *tags])]
    frame = gpd.GeoDataFrame(
        {column: pd.Series([], dtype=object) for column in columns},
        geometry=gpd.GeoSeries([], crs=BNG),
        crs=BNG,
    )
    frame["osm_id"] = frame["osm_id"].astype(np.int64)
    return frame


def read_osm_pois(
    path: str | Path, *, tags: Mapping[str, bool | str | Sequence[str]]
) -> gpd.GeoDataFrame:
    """Read points of interest (libraries, community centres, masts ...) from an OSM file.

    Parameters
    ----------
    path:
        OSM XML (``.osm``, ``.osm.xml``; read with ``osmnx.features_from_xml``) or PBF
        (``.osm.pbf``; read with pyrosm).
    tags:
        Which features to keep, as osmnx takes them: ``{"amenity": ["library",
        "community_centre"], "internet_access": True}`` keeps features with any of those values
        of ``amenity`` *or* with any ``internet_access`` tag.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per feature, sorted by ``osm_type`` then ``osm_id``, with columns ``osm_type``
        (node/way/relation), ``osm_id``, ``name``, one column per key of ``tags`` (None where the
        feature lacks it) and ``geometry``: Points in EPSG:27700, with areas reduced to a point
        on their surface.  Empty (same columns) if nothing matches.

    Raises
    ------
    geo.errors.InputError
        If the file is missing, is not named as an OSM file or cannot be parsed.
    """
    if not tags:
        raise ValueError("tags must name at least one OSM key, e.g. {'amenity': ['library']}")
    file, kind = _checked_path(path)
    query = _tag_query(tags)
    if kind == "xml":
        with _osmnx_offline():
            try:
                raw = ox.features_from_xml(file, tags=query)
            except ox._errors.InsufficientResponseError:
                return _empty_pois(tags)
            except Exception as error:
                raise InputError(
                    f"could not be read as OSM XML ({error}): check that it is an "
                    "OpenStreetMap XML export",
                    source=str(file),
                ) from error
        index = raw.index.to_frame(index=False)
        return _poi_frame(raw, index["element"], index["id"], tags)
    import pyrosm

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            raw = pyrosm.OSM(str(file)).get_pois(custom_filter=query)
    except Exception as error:
        raise InputError(
            f"could not be read as an OSM PBF extract ({error}): check the file is complete",
            source=str(file),
        ) from error
    if raw is None or len(raw) == 0:
        return _empty_pois(tags)
    # pyrosm may return features matching other keys of its own filter: keep only the asked ones.
    raw = raw.loc[_matches(raw, query)].reset_index(drop=True)
    if len(raw) == 0:
        return _empty_pois(tags)
    return _poi_frame(raw, raw["osm_type"], raw["id"], tags)
