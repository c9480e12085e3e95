"""The ward data every page, map, export and API answer is built from, cached per data version.

:func:`ward_data` runs the registered providers once per *data version* (see
:func:`app.wards.figures.data_version`) and keeps the result, with the ward and LSOA boundaries,
in an in-process cache; built maps are cached the same way (:func:`cached`).  Loading new data or
running a model changes the version, so the next request rebuilds; entries also expire after
``WARDS_CACHE_SECONDS`` so rows changed in place are picked up.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

import geopandas as gpd
from flask import Flask, g
from sqlalchemy.orm import Session

from app.wards.figures import Collected, collect, data_version
from app.wards.geography import WardRow, current_wards, lsoa_frame, ward_frame

T = TypeVar("T")

DEFAULT_CACHE_SECONDS = 600
DEFAULT_CACHE_ENTRIES = 64


class BuildCache:
    """A small thread-safe LRU cache with an age limit, for built figures and maps.

    Gunicorn workers each keep their own; a worker that has not built a map yet builds it on
    its first request (maps are deterministic, so every worker builds the same page).
    """

    def __init__(self, *, max_entries: int, max_age_s: float) -> None:
        self._entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._max_entries = max_entries
        self._max_age_s = max_age_s
        self.hits = 0
        self.misses = 0

    def get_or_build(self, key: Hashable, build: Callable[[], T]) -> T:
        """The cached value for ``key``, building (and keeping) it when absent or too old."""
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and now - entry[0] <= self._max_age_s:
                self._entries.move_to_end(key)
                self.hits += 1
                value: T = entry[1]
                return value
        # Built outside the lock: two requests may build the same thing once each, which is
        # cheaper than making every other page wait.
        value = build()
        with self._lock:
            self.misses += 1
            self._entries[key] = (time.monotonic(), value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        """Forget everything (tests and benchmarks measure a first build with it)."""
        with self._lock:
            self._entries.clear()
            self.hits = 0
            self.misses = 0


def build_cache(app: Flask) -> BuildCache:
    """The app's cache of built ward data and maps."""
    cache: BuildCache | None = app.extensions.get("wards.cache")
    if cache is None:
        cache = BuildCache(
            max_entries=int(app.config.get("WARDS_CACHE_ENTRIES", DEFAULT_CACHE_ENTRIES)),
            max_age_s=float(app.config.get("WARDS_CACHE_SECONDS", DEFAULT_CACHE_SECONDS)),
        )
        app.extensions["wards.cache"] = cache
    return cache


@dataclass(frozen=True, eq=False)
class WardData:
    """The wards, their boundaries and everything the providers gave, for one data version."""

    version: tuple[tuple[str, int, int], ...]
    wards: tuple[WardRow, ...]
    collected: Collected
    ward_geometry: gpd.GeoDataFrame
    lsoa_geometry: gpd.GeoDataFrame

    @property
    def ward_codes(self) -> list[str]:
        """Ward codes, in the wards' order (by name)."""
        return [ward.code for ward in self.wards]

    @property
    def version_tag(self) -> str:
        """A short hash of the data version, for cache keys and cache-busting URLs."""
        return hashlib.sha256(repr(self.version).encode()).hexdigest()[:12]

    def ward(self, code: str) -> WardRow | None:
        """The ward with ``code``, or ``None``."""
        return next((ward for ward in self.wards if ward.code == code), None)

    def lsoa_codes(self, ward_code: str | None = None) -> list[str]:
        """LSOA codes (of one ward, or all), in code order."""
        frame = self.lsoa_geometry
        if frame.empty:
            return []
        if ward_code is not None:
            frame = frame[frame["ward_code"] == ward_code]
        return sorted(str(code) for code in frame["code"])


def current_version(app: Flask, session: Session) -> tuple[tuple[str, int, int], ...]:
    """The data version, computed once per request."""
    if "wards_version" not in g:
        g.wards_version = data_version(app, session)
    version: tuple[tuple[str, int, int], ...] = g.wards_version
    return version


def ward_data(app: Flask, session: Session) -> WardData:
    """The ward data for the current data version (built once per version and cached)."""
    version = current_version(app, session)

    def build() -> WardData:
        return WardData(
            version=version,
            wards=tuple(current_wards(session)),
            collected=collect(app, session),
            ward_geometry=ward_frame(session),
            lsoa_geometry=lsoa_frame(session),
        )

    return build_cache(app).get_or_build(("data", version), build)


def cached(app: Flask, key: Hashable, build: Callable[[], T]) -> T:
    """Anything built from the ward data (maps, exports), cached under ``key``.

    Put the data version (or :attr:`WardData.version_tag`) and the detail level in ``key``.
    """
    return build_cache(app).get_or_build(key, build)
