"""Helpers for the map tests: tiny layers, embedded-data extraction, a PNG decoder."""

from __future__ import annotations

import json
import re
import struct
import zlib
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely

X0, Y0 = 520_000.0, 175_000.0
"""A British National Grid point in west London (EPSG:27700 metres)."""

_ADD_DATA = re.compile(r"(geo_json_[0-9a-f]+)_add\((\{.*?\})\);\n", re.DOTALL)


def squares(values: list[Any], *, size_m: float = 1000.0) -> gpd.GeoDataFrame:
    """A row of adjacent square areas (EPSG:27700) with codes A0, A1... and the given values."""
    n = len(values)
    boxes = [shapely.box(X0 + i * size_m, Y0, X0 + (i + 1) * size_m, Y0 + size_m) for i in range(n)]
    return gpd.GeoDataFrame(
        {
            "code": [f"A{i}" for i in range(n)],
            "name": [f"Area {i}" for i in range(n)],
            "value": values,
        },
        geometry=boxes,
        crs="EPSG:27700",
    )


def render(m: folium.Map) -> str:
    """The map's full HTML document."""
    html = m.get_root().render()
    assert isinstance(html, str)
    return html


def embedded_layers(html: str) -> dict[str, dict[str, Any]]:
    """Every GeoJSON FeatureCollection embedded in a rendered map, by layer variable name."""
    return {name: json.loads(data) for name, data in _ADD_DATA.findall(html)}


def embedded_properties(html: str) -> list[dict[str, Any]]:
    """Properties of every embedded feature, all layers together."""
    return [
        feature["properties"]
        for layer in embedded_layers(html).values()
        for feature in layer["features"]
    ]


def decode_png(data: bytes) -> npt.NDArray[np.uint8]:
    """Decode an 8-bit RGBA, non-interlaced PNG whose scanlines use filter 0 (as ours do),
    checking every chunk's CRC."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, idat, header = 8, b"", b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        payload = data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length : position + 12 + length])
        assert zlib.crc32(kind + payload) & 0xFFFFFFFF == crc, f"bad CRC in {kind!r}"
        if kind == b"IHDR":
            header = payload
        elif kind == b"IDAT":
            idat += payload
        position += 12 + length
    width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert (depth, colour_type, interlace) == (8, 6, 0)
    raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(height, 1 + 4 * width)
    assert (raw[:, 0] == 0).all(), "only filter type 0 is decoded here"
    return raw[:, 1:].reshape(height, width, 4).copy()


_STYLER = re.compile(r"function (geo_json_[0-9a-f]+)_styler\(feature\) \{(.*?)\n\s*\}\n", re.DOTALL)
_CASES = re.compile(r"((?:case \"[^\"]*\":\s*)+)return (\{.*?\});", re.DOTALL)
_DEFAULT = re.compile(r"default:\s*return (\{.*?\});", re.DOTALL)


def feature_styles(html: str) -> dict[str, dict[str, Any]]:
    """The style folium's generated styler gives each embedded feature, by feature id."""
    layers = embedded_layers(html)
    styles: dict[str, dict[str, Any]] = {}
    for name, body in _STYLER.findall(html):
        default = _DEFAULT.search(body)
        by_id: dict[str, dict[str, Any]] = {}
        for ids, style in _CASES.findall(body):
            for feature_id in re.findall(r'case "([^"]*)":', ids):
                by_id[feature_id] = json.loads(style)
        for feature in layers[name]["features"]:
            fallback = json.loads(default.group(1)) if default else {}
            styles[feature["id"]] = by_id.get(feature["id"], fallback)
    return styles
