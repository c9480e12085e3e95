"""Folium rendering of geo outputs; knows nothing of Flask or the database.

* :mod:`maps.palettes` – colour-blind-safe scales and class breaks;
* :mod:`maps.legend` – legends drawn on the map and returned as data;
* :mod:`maps.simplify` – boundaries light enough for a page (5 m, 5 decimal places);
* :mod:`maps.base` – the base map (Leaflet only, optional OSM tiles, attribution, layer control);
* :mod:`maps.choropleth` – ward/LSOA/OA choropleths with tooltips and suppression;
* :mod:`maps.layers` – venues and walking catchments, public Wi-Fi, mobile sites, ward circles;
* :mod:`maps.grid` – premises aggregated to hexagons or squares;
* :mod:`maps.raster` – mobile signal grids as image overlays;
* :mod:`maps.render` – standalone HTML and CSP-safe page fragments;
* :mod:`maps.export` – GeoJSON, CSV, GeoPackage and HTML downloads with source and licence.
"""

from maps.base import (
    ONS_OGL_ATTRIBUTION,
    OSM_DATA_ATTRIBUTION,
    add_layer_control,
    base_map,
    fit_to,
)
from maps.choropleth import TooltipColumn, add_choropleth_layer, choropleth_map
from maps.export import (
    ExportMetadata,
    to_csv_bytes,
    to_geojson_bytes,
    to_geopackage_bytes,
    to_html_bytes,
)
from maps.grid import add_cells_layer, bin_premises
from maps.layers import (
    add_mobile_sites,
    add_points,
    add_public_wifi,
    add_venues,
    add_ward_circles,
)
from maps.legend import Legend, LegendEntry, map_legends
from maps.palettes import ClassBreaks, fixed_breaks, palette, quantile_breaks
from maps.raster import RSRP_CLASSES, add_signal_raster, grid_to_array
from maps.render import (
    MapFragment,
    MissingAssetError,
    map_fragment,
    map_html,
    render_for_page,
)
from maps.simplify import simplify_for_web

__all__ = [
    "ONS_OGL_ATTRIBUTION",
    "OSM_DATA_ATTRIBUTION",
    "RSRP_CLASSES",
    "ClassBreaks",
    "ExportMetadata",
    "Legend",
    "LegendEntry",
    "MapFragment",
    "MissingAssetError",
    "TooltipColumn",
    "add_cells_layer",
    "add_choropleth_layer",
    "add_layer_control",
    "add_mobile_sites",
    "add_points",
    "add_public_wifi",
    "add_signal_raster",
    "add_venues",
    "add_ward_circles",
    "base_map",
    "bin_premises",
    "choropleth_map",
    "fit_to",
    "fixed_breaks",
    "grid_to_array",
    "map_fragment",
    "map_html",
    "map_legends",
    "palette",
    "quantile_breaks",
    "render_for_page",
    "simplify_for_web",
    "to_csv_bytes",
    "to_geojson_bytes",
    "to_geopackage_bytes",
    "to_html_bytes",
]
