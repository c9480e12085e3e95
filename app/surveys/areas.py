"""What the survey pages need from the stored place model: wards, LSOAs, census ages, broadband.

The ``surveys`` package may not import the web app, so this module reads ``app.places`` and hands
plain data to :mod:`surveys.services`.  It is also where the coverage model plugs its broadband
figures into the exclusion-risk index (see :func:`set_broadband_provider`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.places.models import Area, AreaLayerRecord
from app.places.services import latest_layer
from surveys.services import BROADBAND_COLUMNS, AreaContext, ages_from_population

BroadbandProvider = Callable[[Session], pd.DataFrame | None]
"""Returns broadband indicators by LSOA 2021 code, or ``None`` when they are not modelled yet.

The frame is indexed by the stored LSOA codes and has any of the columns
``share_below_30mbps`` and ``share_below_uso`` (shares of premises, 0-1) and
``mean_download_mbps`` (Mbit/s).
"""

_PROVIDER_KEY = "surveys.broadband_provider"


def set_broadband_provider(app: Flask, provider: BroadbandProvider) -> None:
    """Let the coverage model give the exclusion-risk index its broadband component.

    Call it from the coverage package's ``register(app)``::

        from app.surveys.areas import set_broadband_provider
        set_broadband_provider(app, coverage_services.broadband_by_lsoa)

    Until a provider is set (or while it returns ``None``), the index pages say "broadband: not
    yet modelled" and the index is built from the other components, as the DERI method allows.
    """
    app.extensions[_PROVIDER_KEY] = provider


def broadband_by_lsoa(session: Session) -> pd.DataFrame | None:
    """Broadband indicators by LSOA 2021 from the coverage model, or ``None`` if not modelled."""
    provider: BroadbandProvider | None = current_app.extensions.get(_PROVIDER_KEY)
    if provider is None:
        return None
    frame = provider(session)
    if frame is None or frame.empty:
        return None
    columns = [column for column in BROADBAND_COLUMNS if column in frame.columns]
    return frame[columns] if columns else None


@dataclass(frozen=True)
class StoredAreas:
    """The current wards and LSOAs of the place model, and census ages by LSOA."""

    wards: tuple[tuple[str, str], ...]
    """(code, name) of each current ward, by name."""
    lsoa_names: dict[str, str]
    lsoa_ward: pd.Series
    """LSOA code -> ward code."""
    ages: pd.DataFrame
    """Census 2021 ages by LSOA code (see :func:`surveys.services.ages_from_population`)."""
    lsoa_vintage: str | None
    ward_layer: AreaLayerRecord | None

    @property
    def ward_names(self) -> dict[str, str]:
        """Ward code -> name."""
        return dict(self.wards)

    def context(self) -> AreaContext:
        """The codes a survey response may name (no postcode lookup is held: see the docs)."""
        lsoa_codes = (
            frozenset(self.lsoa_names)
            if self.lsoa_vintage and self.lsoa_vintage.startswith("LSOA21")
            else None
        )
        return AreaContext(
            ward_codes=frozenset(code for code, _name in self.wards), lsoa_codes=lsoa_codes
        )

    @property
    def is_demo(self) -> bool:
        """Whether the stored wards are the synthetic demo borough."""
        return bool(self.ward_layer and self.ward_layer.source.startswith("Demo Borough"))


def stored_areas(session: Session, *, with_population: bool = True) -> StoredAreas:
    """Read the current ward and LSOA layers of the place model.

    ``with_population=False`` skips the census ages (``ages`` is then empty), for pages that
    only need the ward list and the codes.
    """
    ward_layer = latest_layer(session, "ward")
    lsoa_layer = latest_layer(session, "lsoa")
    wards: list[tuple[str, str]] = []
    if ward_layer is not None:
        wards = [
            (str(code), str(name or code))
            for code, name in session.execute(
                select(Area.code, Area.name).where(Area.layer_id == ward_layer.id)
            )
        ]
    lsoa_names: dict[str, str] = {}
    lsoa_ward: dict[str, str | None] = {}
    population: dict[str, dict[str, object] | None] = {}
    if lsoa_layer is not None:
        columns: list[Any] = [Area.code, Area.name, Area.ward_code]
        if with_population:
            columns.append(Area.population_by_age)
        for row in session.execute(select(*columns).where(Area.layer_id == lsoa_layer.id)):
            code = str(row.code)
            lsoa_names[code] = str(row.name or code)
            lsoa_ward[code] = row.ward_code
            population[code] = row.population_by_age if with_population else None
    return StoredAreas(
        wards=tuple(sorted(wards, key=lambda item: (item[1], item[0]))),
        lsoa_names=lsoa_names,
        lsoa_ward=pd.Series(lsoa_ward, dtype=object, name="ward_code"),
        ages=ages_from_population(population),
        lsoa_vintage=lsoa_layer.vintage if lsoa_layer is not None else None,
        ward_layer=ward_layer,
    )
