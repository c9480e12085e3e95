"""Tests for the maps package."""
