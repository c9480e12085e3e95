"""Resident surveys: the question set, import, skills scoring, personas and area estimates.

Modules
-------
questions
    The published question set (version ``2026.1``), routing rules and data dictionary.
importing
    Read CSV/Excel exports from other survey tools; report every problem at once.
scoring
    Essential Digital Skills levels and the GDS digital inclusion scale.
personas
    The six personas as editable, readable rules.
estimates
    Post-stratified area estimates (ward, LSOA) with intervals and small-sample flags.
index
    A DERI-style exclusion-risk index by LSOA and ward, and its comparison with DERI.
synthetic
    A realistic synthetic survey for the demo borough.
"""
