"""Readers for real inputs (ONS boundaries, OSM, Ofcom, masts, libraries) and the demo borough.

This is the only package that imports osmnx.
"""
