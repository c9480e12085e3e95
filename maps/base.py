"""The base map: Leaflet only, optional OpenStreetMap tiles, attribution lines, layer control.

Every map in this package starts from :func:`base_map`.  It differs from a plain
``folium.Map`` in four ways:

* it needs Leaflet alone (folium's default also loads jQuery, Bootstrap and Font Awesome from
  CDNs, which none of these maps use), so a page can serve one local script and one stylesheet;
* the OpenStreetMap tile layer is optional (``tiles=False`` gives a blank background; the
  boundaries, data and legends draw without any tile, so pages work where tiles cannot load);
* attribution lines (ONS OGL, OS, OpenStreetMap ODbL...) are always shown, with or without tiles;
* the layer control is kept after every layer, whatever order layers are added in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pyproj
from branca.element import MacroElement
from folium.template import Template

from geo.errors import InputError
from maps._text import escape_text

__all__ = [
    "LEAFLET_CSS_ASSET",
    "LEAFLET_JS_ASSET",
    "ONS_OGL_ATTRIBUTION",
    "OSM_DATA_ATTRIBUTION",
    "add_layer_control",
    "base_map",
    "fit_to",
    "keep_layer_control_last",
]

ONS_OGL_ATTRIBUTION = (
    "Source: Office for National Statistics licensed under the Open Government Licence v3.0. "
    "Contains OS data © Crown copyright and database right"
)
"""The line ONS asks for on boundaries and statistics (OGL v3)."""

OSM_DATA_ATTRIBUTION = "Map data © OpenStreetMap contributors, Open Database Licence (ODbL) v1.0"
"""The line OpenStreetMap's ODbL asks for on data derived from OSM (venues, roads, masts)."""

LEAFLET_JS_ASSET = "leaflet"
"""Asset name of Leaflet's script in :func:`maps.render.render_for_page`'s ``asset_urls``."""

LEAFLET_CSS_ASSET = "leaflet_css"
"""Asset name of Leaflet's stylesheet in ``asset_urls``."""

_LEAFLET_JS = ("leaflet", "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js")
_LEAFLET_CSS = ("leaflet_css", "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css")


class _LeafletMap(folium.Map):
    """A folium map whose only default assets are Leaflet's script and stylesheet."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Per-map lists: folium's add_js_link/add_css_link edit them in place, and editing the
        # class-wide list would leak one map's extra asset into every map in the process.
        self.default_js = [_LEAFLET_JS]
        self.default_css = [_LEAFLET_CSS]


class _AttributionLines(MacroElement):
    """Adds plain-text lines to the map's attribution control (shown with or without tiles)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {%- for line in this.lines %}
        {{ this._parent.get_name() }}.attributionControl.addAttribution({{ line|tojson }});
        {%- endfor %}
        {% endmacro %}
        """
    )

    def __init__(self, lines: Sequence[str]) -> None:
        super().__init__()
        self._name = "AttributionLines"
        # Leaflet writes attribution with innerHTML: plain text is escaped first.
        self.lines = [escape_text(line) for line in lines]


def base_map(
    *,
    tiles: bool = True,
    attribution: Sequence[str] = (ONS_OGL_ATTRIBUTION,),
    title: str | None = None,
    height: str = "100%",
    width: str = "100%",
) -> folium.Map:
    """An empty map of Great Britain ready for layers.

    Parameters
    ----------
    tiles:
        Add OpenStreetMap's standard tiles as the base layer (they load from
        ``tile.openstreetmap.org`` in the user's browser; nothing is fetched here).  ``False``
        gives a blank background.
    attribution:
        Plain-text source and licence lines shown in the map's attribution box.  OSM's tile
        attribution is added by the tile layer itself when ``tiles`` is true.
    title:
        The page title of a standalone HTML export.
    height, width:
        CSS size of the map box (``"100%"``, ``"600px"``, ``"40rem"``).

    Returns
    -------
    folium.Map
        Centred on England; call :func:`fit_to` once layers are added.
    """
    m = _LeafletMap(
        location=[52.5, -1.5],
        zoom_start=6,
        tiles="OpenStreetMap" if tiles else None,
        control_scale=True,
        height=height,
        width=width,
    )
    if title:
        # The figure template writes the title without escaping it.
        m.get_root().title = escape_text(title)  # type: ignore[attr-defined]
    lines = [line for line in attribution if line.strip()]
    if lines:
        m.add_child(_AttributionLines(lines), name="dip_attribution")
    return m


def fit_to(m: folium.Map, frame: gpd.GeoDataFrame | gpd.GeoSeries) -> None:
    """Fit the map's view to the extent of ``frame`` (any declared CRS).

    Raises
    ------
    InputError
        If the frame has no CRS or no geometry with an extent.
    """
    if frame.crs is None:
        raise InputError(
            "has no coordinate reference system; set it before mapping", source="layer"
        )
    # Only the extent is reprojected (its edges densified, as a projected box is curved in
    # degrees), not every vertex of the layer.
    extent = frame.total_bounds
    if not np.isfinite(extent).all():
        raise InputError("has no geometry to fit the map to", source="layer")
    to_wgs84 = pyproj.Transformer.from_crs(frame.crs, "EPSG:4326", always_xy=True)
    west, south, east, north = to_wgs84.transform_bounds(
        float(extent[0]), float(extent[1]), float(extent[2]), float(extent[3]), densify_pts=21
    )
    m.location = [(south + north) / 2.0, (west + east) / 2.0]
    m.fit_bounds([[south, west], [north, east]])
    keep_layer_control_last(m)


def keep_layer_control_last(m: folium.Map) -> None:
    """Move the map's layer control (if any) after every other element.

    The control's script refers to each layer by name, so it has to come after the layers in
    the page script; layers may be added after the control has been created.
    """
    # branca keeps children in insertion order; re-inserting moves the control to the end.
    children = m._children
    for key in [key for key, child in children.items() if isinstance(child, folium.LayerControl)]:
        children[key] = children.pop(key)


def add_layer_control(m: folium.Map, *, collapsed: bool = False) -> None:
    """Add a layer control (once) listing the base tiles and every overlay.

    Parameters
    ----------
    collapsed:
        Start folded into an icon (``False`` shows the layer names, which suits a desk).
    """
    if not any(isinstance(child, folium.LayerControl) for child in m._children.values()):
        folium.LayerControl(collapsed=collapsed).add_to(m)
    keep_layer_control_last(m)
