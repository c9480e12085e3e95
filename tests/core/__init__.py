"""Tests of the core kernel."""
