"""Small street networks for the geo tests, in British National Grid metres (EPSG:27700)."""

from __future__ import annotations

import numpy as np

from geo.network import StreetNetwork, from_arrays

X0, Y0 = 480_000.0, 300_000.0
"""The south-west corner of every test network (a point in Rutland)."""


def line(count: int = 11, spacing_m: float = 100.0, *, mode: str = "walk") -> StreetNetwork:
    """A straight street along y = Y0 with a node every ``spacing_m`` metres from x = X0."""
    return from_arrays(
        np.arange(count),
        X0 + spacing_m * np.arange(count),
        np.full(count, Y0),
        np.arange(count - 1),
        np.arange(1, count),
        np.full(count - 1, spacing_m),
        mode=mode,
    )


def grid(size: int = 4, spacing_m: float = 100.0) -> StreetNetwork:
    """A ``size`` x ``size`` street grid; node ``r * size + c`` is at column c, row r."""
    index = np.arange(size * size).reshape(size, size)
    u = np.concatenate([index[:, :-1].ravel(), index[:-1, :].ravel()])
    v = np.concatenate([index[:, 1:].ravel(), index[1:, :].ravel()])
    return from_arrays(
        index.ravel(),
        X0 + spacing_m * np.tile(np.arange(size), size),
        Y0 + spacing_m * np.repeat(np.arange(size), size),
        u,
        v,
        np.full(u.shape[0], spacing_m),
        mode="walk",
    )
