"""Residents' digital lives: surveys, scoring, personas, area estimates and the exclusion-risk index."""
