"""Blueprints: one per area of the service."""
