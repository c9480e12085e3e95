"""Configuration of the coverage models: thresholds, model choices and planning assumptions.

Everything a planner might want to change is a field of a frozen dataclass here and arrives as
an argument (no global settings).  Values marked UNVERIFIED are planning assumptions with no
primary source; they are deliberately configurable and must not be presented as regulator
figures.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from geo.coverage.building_loss import BUILDING_LOSS_MODELS
from geo.coverage.curves import ADSL2PLUS, VDSL2_CONSERVATIVE, VDSL2_TYPICAL, SpeedCurve
from geo.coverage.propagation import Condition
from geo.coverage.tiers import TierThresholds
from geo.errors import InputError

__all__ = [
    "DEFAULT_TECHNOLOGY_SPEEDS_MBPS",
    "UK_MOBILE_BANDS_MHZ",
    "EnvironmentThresholds",
    "FixedConfig",
    "MobileConfig",
    "MobileThresholds",
    "WifiConfig",
]

UK_MOBILE_BANDS_MHZ: Mapping[str, tuple[float, float]] = MappingProxyType(
    {
        "700": (694.0, 790.0),
        "800": (790.0, 862.0),
        "900": (876.0, 960.0),
        "1400": (1400.0, 1517.0),
        "1800": (1710.0, 1880.0),
        "2100": (1920.0, 2170.0),
        "2300": (2300.0, 2400.0),
        "2600": (2500.0, 2690.0),
        "3500": (3300.0, 3800.0),
        "26000": (24250.0, 27500.0),
    }
)
"""UK mobile bands: the carrier frequency (``band_mhz``) of a site row must fall in one range.

Each range spans the band's uplink and downlink allocations and its usual label (so ``800``,
``806`` and ``1800`` are all accepted); 3400–3800 MHz NR is the ``3500`` entry.
"""

DEFAULT_TECHNOLOGY_SPEEDS_MBPS: Mapping[str, tuple[float, float]] = MappingProxyType(
    {
        "fttp": (1000.0, 115.0),
        "cable": (1000.0, 100.0),
        "fwa": (30.0, 5.0),
    }
)
"""Default (download, upload) Mbit/s for a premises a layer says is served, when the layer
carries no speeds: FTTP 1000/115 (Openreach's top residential tier), DOCSIS 3.1 cable
1000/100, fixed wireless 30/5 (UNVERIFIED placeholder: set FWA speeds per layer)."""

_GIGABIT_TECHNOLOGIES = ("fttp", "cable")


def _finite(where: str, **values: float) -> None:
    for name, value in values.items():
        if not math.isfinite(value):
            raise InputError(f"{where}: {name} must be a finite number, not {value!r}")


@dataclass(frozen=True)
class MobileThresholds:
    """RSRP thresholds in dBm for "good" coverage.

    ``outdoor_4g_dbm`` = −105 dBm is Ofcom's 4G outdoor criterion (ONS/Ofcom 4G coverage
    dataset, "signal threshold: 105dBm").  Indoor coverage is judged on the *indoor* RSRP
    (outdoor − building entry loss) against ``indoor_4g_dbm``, by default the same −105 dBm
    (UNVERIFIED: Ofcom publishes no indoor threshold).  The 5G SS-RSRP thresholds are
    UNVERIFIED planning defaults: Ofcom reports 5G at "high" and "very high confidence" levels
    without publishing the signal values.
    """

    outdoor_4g_dbm: float = -105.0
    indoor_4g_dbm: float = -105.0
    outdoor_5g_dbm: float = -105.0
    indoor_5g_dbm: float = -105.0

    def __post_init__(self) -> None:
        for name in ("outdoor_4g_dbm", "indoor_4g_dbm", "outdoor_5g_dbm", "indoor_5g_dbm"):
            value = getattr(self, name)
            _finite("mobile thresholds", **{name: value})
            # 3GPP TS 38.133 reports SS-RSRP between -156 and -31 dBm.
            if not -160.0 <= value <= -30.0:
                raise InputError(f"mobile thresholds: {name} must be within -160 to -30 dBm")


@dataclass(frozen=True)
class EnvironmentThresholds:
    """How receivers are classed urban / suburban / rural from premises density.

    Density is premises per km² within ``radius_m`` of the receiver.  ``method="grid"`` bins
    premises into ``grid_cell_m`` squares and sums the cells whose centres lie within the radius
    (fast; the disc edge is resolved to one cell); ``method="exact"`` counts with a cKDTree
    (exact, slower on dense inputs).  The density thresholds are UNVERIFIED planning choices
    (2000 and 400 premises/km² roughly separate town centres, suburbs and villages/countryside
    in England); set them for the borough.
    """

    radius_m: float = 500.0
    urban_min_per_km2: float = 2000.0
    suburban_min_per_km2: float = 400.0
    method: Literal["grid", "exact"] = "grid"
    grid_cell_m: float = 50.0

    def __post_init__(self) -> None:
        _finite(
            "environment thresholds",
            radius_m=self.radius_m,
            urban_min_per_km2=self.urban_min_per_km2,
            suburban_min_per_km2=self.suburban_min_per_km2,
            grid_cell_m=self.grid_cell_m,
        )
        if self.radius_m <= 0 or self.grid_cell_m <= 0:
            raise InputError("environment thresholds: radius_m and grid_cell_m must be positive")
        if not 0 <= self.suburban_min_per_km2 <= self.urban_min_per_km2:
            raise InputError(
                "environment thresholds: need 0 <= suburban_min_per_km2 <= urban_min_per_km2"
            )
        if self.method not in ("grid", "exact"):
            raise InputError("environment thresholds: method must be 'grid' or 'exact'")


@dataclass(frozen=True)
class MobileConfig:
    """Options of :func:`geo.coverage.mobile.mobile_coverage`.

    Attributes
    ----------
    thresholds:
        RSRP thresholds (dBm).
    environment:
        Urban/suburban/rural classification from premises density.
    receiver_height_m:
        Default receiver (handset) height above ground, m, where receivers carry no
        ``height_m`` column.
    candidates_per_band:
        Sites evaluated per receiver in each (operator, technology, band, cell type) group of
        more than :data:`geo.coverage.mobile.DENSE_GROUP_SITES` (64) sites: the k nearest
        (cKDTree).  Within one band the nearest sites are almost always the strongest.  Smaller
        groups, and ``None``, evaluate every site (exact).
    max_site_distance_m:
        Sites further than this from a receiver are ignored, m.
    condition:
        TR 38.901 channel condition: ``"nlos"`` (default, conservative), ``"los"`` or
        ``"weighted"`` (LOS-probability-weighted mean loss in dB).
    hata_urban, cost231_urban:
        The Hata / COST-231 variant used for urban receivers (``"urban"`` or ``"large_city"``;
        ``"medium_city"`` (C_m 0) or ``"metropolitan"`` (C_m 3)).
    building_loss_model:
        Entry loss for receivers without their own (one of
        :data:`geo.coverage.building_loss.BUILDING_LOSS_MODELS`; default 38.901 low-loss).
    thermally_efficient_building_loss_model:
        Entry loss for receivers flagged ``thermally_efficient`` (P.2109 thermally efficient,
        about 15 dB more than traditional buildings).
    building_loss_probability:
        P.2109 probability of the loss not being exceeded (0.5 = median).
    min_distance_m:
        2D distances are floored at this many metres (a receiver at the mast's own position).
    free_space_floor:
        Never let Okumura–Hata or COST-231 report less loss than free space on the 3D distance
        (matters when they are extrapolated below 1 km, as a borough model must).  TR 38.901 is
        used as published.
    max_links_per_chunk:
        Receiver-site links evaluated per chunk (bounds peak memory: about 100 bytes a link).
    operators:
        Operators expected to serve the area, for the "all operators" flags.  ``None`` uses the
        operators in the site table.
    """

    thresholds: MobileThresholds = field(default_factory=MobileThresholds)
    environment: EnvironmentThresholds = field(default_factory=EnvironmentThresholds)
    receiver_height_m: float = 1.5
    candidates_per_band: int | None = 3
    max_site_distance_m: float = 30_000.0
    condition: Condition = "nlos"
    hata_urban: Literal["urban", "large_city"] = "urban"
    cost231_urban: Literal["medium_city", "metropolitan"] = "medium_city"
    building_loss_model: str = "38901_low"
    thermally_efficient_building_loss_model: str = "p2109_thermally_efficient"
    building_loss_probability: float = 0.5
    min_distance_m: float = 1.0
    free_space_floor: bool = True
    max_links_per_chunk: int = 1_000_000
    operators: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        _finite(
            "mobile config",
            receiver_height_m=self.receiver_height_m,
            max_site_distance_m=self.max_site_distance_m,
            min_distance_m=self.min_distance_m,
            building_loss_probability=self.building_loss_probability,
        )
        if not 0 < self.receiver_height_m <= 100:
            raise InputError("mobile config: receiver_height_m must be within (0, 100] m")
        if self.candidates_per_band is not None and self.candidates_per_band < 1:
            raise InputError("mobile config: candidates_per_band must be at least 1, or None")
        if self.max_site_distance_m <= 0 or self.min_distance_m <= 0:
            raise InputError("mobile config: distances must be positive")
        if self.condition not in ("nlos", "los", "weighted"):
            raise InputError("mobile config: condition must be 'nlos', 'los' or 'weighted'")
        if self.hata_urban not in ("urban", "large_city"):
            raise InputError("mobile config: hata_urban must be 'urban' or 'large_city'")
        if self.cost231_urban not in ("medium_city", "metropolitan"):
            raise InputError("mobile config: cost231_urban must be 'medium_city' or 'metropolitan'")
        for name in ("building_loss_model", "thermally_efficient_building_loss_model"):
            if getattr(self, name) not in BUILDING_LOSS_MODELS:
                raise InputError(f"mobile config: {name} must be one of {BUILDING_LOSS_MODELS}")
        if not 0 < self.building_loss_probability < 1:
            raise InputError("mobile config: building_loss_probability must be within (0, 1)")
        if self.max_links_per_chunk < 1:
            raise InputError("mobile config: max_links_per_chunk must be at least 1")


@dataclass(frozen=True)
class FixedConfig:
    """Options of :func:`geo.coverage.fixed.fixed_broadband`.

    Attributes
    ----------
    vdsl_curve:
        VDSL2 download against cabinet line length: ``"typical"``, ``"conservative"`` or a
        :class:`~geo.coverage.curves.SpeedCurve`.
    vdsl_upload_ratio, vdsl_upload_cap_mbps:
        VDSL2 upload = min(cap, ratio × download).  No sourced upload-vs-length table exists,
        so upload is flagged ``upload_modelled = False``; 0.25 mirrors the 80/20 product.
    adsl_curve:
        ADSL2+ download against exchange line length.
    adsl_upload_mbps:
        ADSL2+ upload where ADSL is offered (UNVERIFIED constant: Annex A tops out near 1 Mbit/s).
    routing_factor:
        Where no road network is given, or a premises cannot reach a cabinet on it, line length
        = straight-line distance × this factor (UNVERIFIED planning assumption; 1.3 is a common
        road-circuity figure).
    technology_speeds_mbps:
        Default (download, upload) for layers without speeds, by technology.
    gigabit_technologies:
        Technologies counted as gigabit-capable networks for the BDUK categories.
    tiers:
        Speed tier thresholds.
    """

    vdsl_curve: SpeedCurve | Literal["typical", "conservative"] = "typical"
    vdsl_upload_ratio: float = 0.25
    vdsl_upload_cap_mbps: float = 20.0
    adsl_curve: SpeedCurve = ADSL2PLUS
    adsl_upload_mbps: float = 1.0
    routing_factor: float = 1.3
    technology_speeds_mbps: Mapping[str, tuple[float, float]] = field(
        default_factory=lambda: dict(DEFAULT_TECHNOLOGY_SPEEDS_MBPS)
    )
    gigabit_technologies: tuple[str, ...] = _GIGABIT_TECHNOLOGIES
    tiers: TierThresholds = field(default_factory=TierThresholds)

    def __post_init__(self) -> None:
        _finite(
            "fixed config",
            vdsl_upload_ratio=self.vdsl_upload_ratio,
            vdsl_upload_cap_mbps=self.vdsl_upload_cap_mbps,
            adsl_upload_mbps=self.adsl_upload_mbps,
            routing_factor=self.routing_factor,
        )
        if isinstance(self.vdsl_curve, str) and self.vdsl_curve not in ("typical", "conservative"):
            raise InputError(
                "fixed config: vdsl_curve must be 'typical', 'conservative' or a SpeedCurve"
            )
        if (
            self.vdsl_upload_ratio <= 0
            or self.vdsl_upload_cap_mbps <= 0
            or self.adsl_upload_mbps < 0
        ):
            raise InputError("fixed config: upload ratio and caps must be positive")
        if self.routing_factor < 1:
            raise InputError(
                "fixed config: routing_factor must be 1 or more (roads are never shorter)"
            )
        for tech, speeds in self.technology_speeds_mbps.items():
            if len(speeds) != 2 or min(speeds) < 0 or not all(map(math.isfinite, speeds)):
                raise InputError(
                    f"fixed config: technology_speeds_mbps[{tech!r}] must be (download, upload) >= 0"
                )

    @property
    def vdsl_speed_curve(self) -> SpeedCurve:
        """The VDSL2 curve object."""
        if isinstance(self.vdsl_curve, SpeedCurve):
            return self.vdsl_curve
        return VDSL2_TYPICAL if self.vdsl_curve == "typical" else VDSL2_CONSERVATIVE


@dataclass(frozen=True)
class WifiConfig:
    """Options of :func:`geo.coverage.wifi.wifi_coverage`.

    Attributes
    ----------
    sensitivity_dbm:
        Received power needed for usable Wi-Fi, dBm (−75 dBm: a common "usable" design level;
        UNVERIFIED as a standard, set it for the service).
    environment:
        ITU-R P.1411 below-rooftop environment for hotspots without their own
        (:data:`geo.coverage.wifi.P1411_BELOW_ROOFTOP`).
    hotspot_height_m, receiver_height_m:
        Default antenna heights, m (both below rooftops, as P.1411 §4.1.1 assumes).
    entry_loss_db:
        Extra loss for reaching into the premises, dB (0: reach at the premises frontage).
    cap_at_validity:
        Cap each reach radius at the model's maximum valid distance (flagged) instead of
        extrapolating beyond it.
    """

    sensitivity_dbm: float = -75.0
    environment: str = "nlos_residential"
    hotspot_height_m: float = 3.0
    receiver_height_m: float = 1.5
    entry_loss_db: float = 0.0
    cap_at_validity: bool = True

    def __post_init__(self) -> None:
        _finite(
            "wifi config",
            sensitivity_dbm=self.sensitivity_dbm,
            hotspot_height_m=self.hotspot_height_m,
            receiver_height_m=self.receiver_height_m,
            entry_loss_db=self.entry_loss_db,
        )
        if not -110.0 <= self.sensitivity_dbm <= -30.0:
            raise InputError("wifi config: sensitivity_dbm must be within -110 to -30 dBm")
        if self.hotspot_height_m <= 0 or self.receiver_height_m <= 0 or self.entry_loss_db < 0:
            raise InputError("wifi config: heights must be positive and entry_loss_db 0 or more")
