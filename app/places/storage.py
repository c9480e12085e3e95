"""Conversions between geo objects and what the database stores.

Street networks are stored as one compressed ``.npz`` blob (node and edge arrays, edge shapes as
WKB) rather than as tens of thousands of rows: the model always needs the whole network at once,
and a blob loads in milliseconds.
"""

from __future__ import annotations

import io
import json
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geo.network import StreetNetwork, from_arrays

BNG = "EPSG:27700"
WGS84 = "EPSG:4326"


def network_to_bytes(net: StreetNetwork) -> bytes:
    """Serialise ``net`` (EPSG:27700) to a compressed npz blob."""
    edges = net.edges
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer,
        node_id=np.asarray(net.node_id, dtype=np.int64),
        x_m=np.asarray(net.x_m, dtype=np.float64),
        y_m=np.asarray(net.y_m, dtype=np.float64),
        u=edges["u"].to_numpy(dtype=np.int64),
        v=edges["v"].to_numpy(dtype=np.int64),
        length_m=edges["length_m"].to_numpy(dtype=np.float64),
        highway=np.asarray(edges["highway"].fillna("").astype(str).to_numpy(), dtype=np.str_),
        geometry=np.asarray(shapely.to_wkb(edges.geometry.to_numpy()), dtype=object),
        mode=np.asarray(net.mode),
    )
    return buffer.getvalue()


def network_from_bytes(blob: bytes) -> StreetNetwork:
    """Rebuild a street network stored by :func:`network_to_bytes`."""
    with np.load(io.BytesIO(blob), allow_pickle=True) as arrays:
        highway = [value or None for value in arrays["highway"].tolist()]
        return from_arrays(
            arrays["node_id"],
            arrays["x_m"],
            arrays["y_m"],
            arrays["u"],
            arrays["v"],
            arrays["length_m"],
            mode=str(arrays["mode"]),
            highway=highway,
            geometry=shapely.from_wkb(arrays["geometry"]),
        )


def geometry_geojson(geometries: gpd.GeoSeries, *, precision: int = 6) -> list[str]:
    """RFC 7946 geometry texts (EPSG:4326, counter-clockwise outer rings) for each geometry."""
    in_wgs84 = geometries.to_crs(WGS84) if geometries.crs is not None else geometries
    # Round first: snapping to the grid can rebuild rings in another order.
    rounded = shapely.set_precision(in_wgs84.to_numpy(), 10**-precision)
    oriented = shapely.orient_polygons(rounded, exterior_cw=False)
    return [json.dumps(shapely.geometry.mapping(geom)) for geom in oriented]


def lon_lat(x_m: np.ndarray, y_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 longitude and latitude of British National Grid points."""
    points = gpd.GeoSeries(gpd.points_from_xy(x_m, y_m), crs=BNG).to_crs(WGS84)
    return points.x.to_numpy(), points.y.to_numpy()


def geojson_feature_collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    """An RFC 7946 FeatureCollection (no ``crs`` member)."""
    return {"type": "FeatureCollection", "features": features}
