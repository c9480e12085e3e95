"""Folium rendering of geo outputs; knows nothing of Flask or the database."""
