"""Pure geospatial computation: GeoDataFrames, arrays and graphs in; GeoDataFrames/Series out.

No Flask, no database.  Areas are measured in British National Grid (EPSG:27700, metres) and
handed out in WGS84 (EPSG:4326) only for display.
"""
