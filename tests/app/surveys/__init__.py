"""Tests of the survey pages, CLI and demo wiring."""
