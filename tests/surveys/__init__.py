"""Tests of the surveys package and the ONS table readers."""
