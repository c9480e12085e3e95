"""Tests of geo.coverage and geo.sources.ofcom."""
