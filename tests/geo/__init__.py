"""Tests for the geo package."""
