"""Settings of the coverage model, read from ``app.config`` (defaults: ``geo.coverage.config``).

Every key is optional; ``register`` sets the defaults below with ``app.config.setdefault``, so a
council overrides any of them in its configuration.  Values marked UNVERIFIED are planning
assumptions with no primary source: they are listed on the model run page so a planner can see
what the numbers rest on.

Keys
----
``COVERAGE_VDSL_CURVE``
    ``"typical"`` (increasebroadbandspeed chart) or ``"conservative"`` (thinkbroadband,
    crosstalk-aware) VDSL2 speed against copper length.
``COVERAGE_ROUTING_FACTOR``
    Copper length = straight line × this where the driving network does not connect a premises
    to a cabinet (UNVERIFIED, 1.3).
``COVERAGE_BUILDING_LOSS_MODEL``
    Building entry loss for indoor signal (``38901_low`` default; see
    ``geo.coverage.building_loss.BUILDING_LOSS_MODELS``).
``COVERAGE_OUTDOOR_4G_DBM``, ``COVERAGE_INDOOR_4G_DBM``, ``COVERAGE_OUTDOOR_5G_DBM``, ``COVERAGE_INDOOR_5G_DBM``
    RSRP thresholds for "good" signal (−105 dBm: Ofcom's outdoor 4G criterion; the indoor and 5G
    values are UNVERIFIED).
``COVERAGE_WIFI_SENSITIVITY_DBM``, ``COVERAGE_WIFI_EIRP_DBM``, ``COVERAGE_WIFI_BAND_GHZ``, ``COVERAGE_WIFI_ENVIRONMENT``
    Public Wi-Fi reach (−75 dBm usable level, UNVERIFIED; 20 dBm EIRP, the UK 2.4 GHz limit;
    ITU-R P.1411 environment).
``COVERAGE_SITE_BAND_MHZ``, ``COVERAGE_SITE_HEIGHT_M``, ``COVERAGE_SITE_EIRP_DBM``, ``COVERAGE_SITE_TECHNOLOGY``
    Stand-ins for mobile site records that do not say (UNVERIFIED: 800 MHz, 25 m, 60 dBm EIRP
    (46 dBm transmitter + 17 dBi antenna − 3 dB feeder), 4G).
``COVERAGE_LEGACY_SITES_AS_4G``
    Model a 2G/3G site record (Sitefinder, 2012) as 4G on the same band (True; UNVERIFIED: most
    such masts carry 4G today) or leave it out (False).
``COVERAGE_UNKNOWN_OPERATOR_SITES``
    ``"skip"`` leaves out masts whose operator is unknown (OpenStreetMap masts); ``"shared"``
    models them as one extra network that counts towards "at least one operator" but not
    towards "all operators".
``COVERAGE_OPERATOR_ALIASES``
    Operator names merged into today's networks (T-Mobile and Orange formed EE in 2010).
``COVERAGE_NON_PUBLIC_OPERATORS``
    Site operators that are not public mobile networks (GSM-R, Airwave), always left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from geo.coverage import FixedConfig, MobileConfig, MobileThresholds, WifiConfig
from geo.coverage.wifi import P1411_BELOW_ROOFTOP

UNKNOWN_OPERATOR = "Unknown operator"
"""The network name given to masts of unknown operator when they are modelled (``shared``)."""

DEFAULT_OPERATOR_ALIASES: dict[str, str] = {
    "t-mobile": "EE",
    "orange": "EE",
    "everything everywhere": "EE",
    "ee": "EE",
    "o2": "O2",
    "o2 (uk)": "O2",
    "telefonica": "O2",
    "telefónica": "O2",
    "vmo2": "O2",
    "three": "Three",
    "3": "Three",
    "h3g": "Three",
    "hutchison 3g": "Three",
    "vodafone": "Vodafone",
}
DEFAULT_NON_PUBLIC_OPERATORS: tuple[str, ...] = ("networkrail", "network rail", "airwave")
UNKNOWN_OPERATOR_WORDS = frozenset({"", "unknown", "none", "n/a", "na", "?"})

_MOBILE = MobileConfig()
_THRESHOLDS = MobileThresholds()
_FIXED = FixedConfig()
_WIFI = WifiConfig()

DEFAULTS: dict[str, object] = {
    "COVERAGE_VDSL_CURVE": "typical",
    "COVERAGE_ROUTING_FACTOR": _FIXED.routing_factor,
    "COVERAGE_BUILDING_LOSS_MODEL": _MOBILE.building_loss_model,
    "COVERAGE_OUTDOOR_4G_DBM": _THRESHOLDS.outdoor_4g_dbm,
    "COVERAGE_INDOOR_4G_DBM": _THRESHOLDS.indoor_4g_dbm,
    "COVERAGE_OUTDOOR_5G_DBM": _THRESHOLDS.outdoor_5g_dbm,
    "COVERAGE_INDOOR_5G_DBM": _THRESHOLDS.indoor_5g_dbm,
    "COVERAGE_WIFI_SENSITIVITY_DBM": _WIFI.sensitivity_dbm,
    "COVERAGE_WIFI_EIRP_DBM": 20.0,
    "COVERAGE_WIFI_BAND_GHZ": 2.4,
    "COVERAGE_WIFI_ENVIRONMENT": _WIFI.environment,
    "COVERAGE_SITE_BAND_MHZ": 800.0,
    "COVERAGE_SITE_HEIGHT_M": 25.0,
    "COVERAGE_SITE_EIRP_DBM": 60.0,
    "COVERAGE_SITE_TECHNOLOGY": "4G",
    "COVERAGE_LEGACY_SITES_AS_4G": True,
    "COVERAGE_UNKNOWN_OPERATOR_SITES": "skip",
    "COVERAGE_OPERATOR_ALIASES": dict(DEFAULT_OPERATOR_ALIASES),
    "COVERAGE_NON_PUBLIC_OPERATORS": DEFAULT_NON_PUBLIC_OPERATORS,
}


BUILDING_LOSS_LABELS = {
    "none": "none",
    "38901_low": "3GPP TR 38.901 low-loss building",
    "38901_high": "3GPP TR 38.901 high-loss building",
    "38901_sub6": "3GPP TR 38.901 sub-6 GHz option",
    "p2109_traditional": "ITU-R P.2109 traditional building",
    "p2109_thermally_efficient": "ITU-R P.2109 thermally efficient building",
}


@dataclass(frozen=True)
class Assumption:
    """One planning assumption shown on the model run page.

    ``status`` is ``"sourced"`` (a published figure), ``"unverified"`` (a value with no primary
    source) or ``"choice"`` (a modelling decision, with no figure to verify).
    """

    name: str
    value: str
    basis: str
    status: str

    @property
    def unverified(self) -> bool:
        """Whether the value has no primary source."""
        return self.status == "unverified"


@dataclass(frozen=True)
class CoverageSettings:
    """Everything the coverage stage is configured with (see the module docstring)."""

    vdsl_curve: str = "typical"
    routing_factor: float = _FIXED.routing_factor
    building_loss_model: str = _MOBILE.building_loss_model
    outdoor_4g_dbm: float = _THRESHOLDS.outdoor_4g_dbm
    indoor_4g_dbm: float = _THRESHOLDS.indoor_4g_dbm
    outdoor_5g_dbm: float = _THRESHOLDS.outdoor_5g_dbm
    indoor_5g_dbm: float = _THRESHOLDS.indoor_5g_dbm
    wifi_sensitivity_dbm: float = _WIFI.sensitivity_dbm
    wifi_eirp_dbm: float = 20.0
    wifi_band_ghz: float = 2.4
    wifi_environment: str = _WIFI.environment
    site_band_mhz: float = 800.0
    site_height_m: float = 25.0
    site_eirp_dbm: float = 60.0
    site_technology: str = "4G"
    legacy_sites_as_4g: bool = True
    unknown_operator_sites: str = "skip"
    operator_aliases: Mapping[str, str] = field(
        default_factory=lambda: dict(DEFAULT_OPERATOR_ALIASES)
    )
    non_public_operators: tuple[str, ...] = DEFAULT_NON_PUBLIC_OPERATORS

    def __post_init__(self) -> None:
        if self.vdsl_curve not in ("typical", "conservative"):
            raise ValueError("COVERAGE_VDSL_CURVE must be 'typical' or 'conservative'")
        if self.unknown_operator_sites not in ("skip", "shared"):
            raise ValueError("COVERAGE_UNKNOWN_OPERATOR_SITES must be 'skip' or 'shared'")
        if self.site_technology not in ("4G", "5G"):
            raise ValueError("COVERAGE_SITE_TECHNOLOGY must be '4G' or '5G'")
        if self.wifi_environment not in P1411_BELOW_ROOFTOP:
            raise ValueError(
                f"COVERAGE_WIFI_ENVIRONMENT must be one of {sorted(P1411_BELOW_ROOFTOP)}"
            )
        # Build the geo configurations now, so a bad value fails when the settings are read.
        self.fixed_config()
        self.mobile_config(operators=None)
        self.wifi_config()

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> CoverageSettings:
        """The settings in ``config`` (``app.config``), defaults for any key not set."""

        def get(key: str) -> Any:
            return config.get(key, DEFAULTS[key])

        aliases = {
            str(k).strip().lower(): str(v) for k, v in get("COVERAGE_OPERATOR_ALIASES").items()
        }
        return cls(
            vdsl_curve=str(get("COVERAGE_VDSL_CURVE")),
            routing_factor=float(get("COVERAGE_ROUTING_FACTOR")),
            building_loss_model=str(get("COVERAGE_BUILDING_LOSS_MODEL")),
            outdoor_4g_dbm=float(get("COVERAGE_OUTDOOR_4G_DBM")),
            indoor_4g_dbm=float(get("COVERAGE_INDOOR_4G_DBM")),
            outdoor_5g_dbm=float(get("COVERAGE_OUTDOOR_5G_DBM")),
            indoor_5g_dbm=float(get("COVERAGE_INDOOR_5G_DBM")),
            wifi_sensitivity_dbm=float(get("COVERAGE_WIFI_SENSITIVITY_DBM")),
            wifi_eirp_dbm=float(get("COVERAGE_WIFI_EIRP_DBM")),
            wifi_band_ghz=float(get("COVERAGE_WIFI_BAND_GHZ")),
            wifi_environment=str(get("COVERAGE_WIFI_ENVIRONMENT")),
            site_band_mhz=float(get("COVERAGE_SITE_BAND_MHZ")),
            site_height_m=float(get("COVERAGE_SITE_HEIGHT_M")),
            site_eirp_dbm=float(get("COVERAGE_SITE_EIRP_DBM")),
            site_technology=str(get("COVERAGE_SITE_TECHNOLOGY")),
            legacy_sites_as_4g=bool(get("COVERAGE_LEGACY_SITES_AS_4G")),
            unknown_operator_sites=str(get("COVERAGE_UNKNOWN_OPERATOR_SITES")),
            operator_aliases=aliases,
            non_public_operators=tuple(
                str(name).strip().lower() for name in get("COVERAGE_NON_PUBLIC_OPERATORS")
            ),
        )

    def fixed_config(self) -> FixedConfig:
        """The fixed-broadband model options."""
        return FixedConfig(vdsl_curve=self.vdsl_curve, routing_factor=self.routing_factor)  # type: ignore[arg-type]

    def thresholds(self) -> MobileThresholds:
        """The RSRP thresholds for good signal."""
        return MobileThresholds(
            outdoor_4g_dbm=self.outdoor_4g_dbm,
            indoor_4g_dbm=self.indoor_4g_dbm,
            outdoor_5g_dbm=self.outdoor_5g_dbm,
            indoor_5g_dbm=self.indoor_5g_dbm,
        )

    def mobile_config(self, *, operators: tuple[str, ...] | None) -> MobileConfig:
        """The mobile model options, judging "all operators" over ``operators``."""
        return MobileConfig(
            thresholds=self.thresholds(),
            building_loss_model=self.building_loss_model,
            operators=operators,
        )

    def wifi_config(self) -> WifiConfig:
        """The Wi-Fi reach options."""
        return WifiConfig(
            sensitivity_dbm=self.wifi_sensitivity_dbm, environment=self.wifi_environment
        )

    def as_parameters(self) -> dict[str, Any]:
        """The settings as JSON-ready data, for the model run record."""
        data = asdict(self)
        data["operator_aliases"] = dict(self.operator_aliases)
        data["non_public_operators"] = list(self.non_public_operators)
        return data

    def assumptions(self) -> list[Assumption]:
        """The planning assumptions behind the figures, UNVERIFIED ones flagged."""
        fixed = self.fixed_config()
        return [
            Assumption(
                "FTTC (VDSL2) speed against copper length",
                f"{self.vdsl_curve} curve",
                "Typical: increasebroadbandspeed.co.uk chart (80 Mbit/s up to 200 m, 51 at "
                "600 m, 24.5 at 1.2 km); conservative: thinkbroadband's crosstalk-aware figures.",
                "sourced",
            ),
            Assumption(
                "FTTC and ADSL upload speed",
                f"{fixed.vdsl_upload_ratio:g} × download, at most "
                f"{fixed.vdsl_upload_cap_mbps:g} Mbit/s; ADSL {fixed.adsl_upload_mbps:g} Mbit/s",
                "No sourced upload-against-length table: uploads are flagged as not modelled.",
                "unverified",
            ),
            Assumption(
                "Copper route where the road network does not reach",
                f"straight line × {self.routing_factor:g}",
                "A common road-circuity figure.",
                "unverified",
            ),
            Assumption(
                "Speed where an availability layer gives none",
                "; ".join(
                    f"{tech.upper()} {down:g}/{up:g} Mbit/s"
                    for tech, (down, up) in fixed.technology_speeds_mbps.items()
                ),
                "FTTP: Openreach's top residential tier; cable: DOCSIS 3.1; fixed wireless: a "
                "placeholder.",
                "unverified",
            ),
            Assumption(
                "Good 4G signal outdoors",
                f"RSRP at least {self.outdoor_4g_dbm:g} dBm",
                "Ofcom's 4G coverage threshold (ONS/Ofcom 4G coverage dataset, 105 dBm).",
                "sourced" if self.outdoor_4g_dbm == -105.0 else "unverified",
            ),
            Assumption(
                "Good 4G signal indoors",
                f"indoor RSRP (outdoor − building entry loss) at least {self.indoor_4g_dbm:g} dBm",
                "Ofcom publishes no indoor threshold.",
                "unverified",
            ),
            Assumption(
                "Good 5G signal",
                f"SS-RSRP at least {self.outdoor_5g_dbm:g} dBm outdoors, "
                f"{self.indoor_5g_dbm:g} dBm indoors",
                "Ofcom reports 5G at high and very high confidence without publishing the levels.",
                "unverified",
            ),
            Assumption(
                "Building entry loss",
                BUILDING_LOSS_LABELS.get(self.building_loss_model, self.building_loss_model),
                "3GPP TR 38.901 §7.4.3 / ITU-R P.2109-1 (published models); the loss of a real "
                "building varies with its walls and windows.",
                "sourced",
            ),
            Assumption(
                "Mobile site records that give no band, height, power or technology",
                f"{self.site_band_mhz:g} MHz, {self.site_height_m:g} m, "
                f"{self.site_eirp_dbm:g} dBm EIRP, {self.site_technology}",
                "Stand-ins for missing values (46 dBm transmitter + 17 dBi antenna − 3 dB feeder).",
                "unverified",
            ),
            Assumption(
                "2G/3G site records",
                "modelled as 4G on the same band" if self.legacy_sites_as_4g else "left out",
                "Sitefinder was last updated in 2012; most of those masts carry 4G today.",
                "unverified" if self.legacy_sites_as_4g else "choice",
            ),
            Assumption(
                "Masts of unknown operator",
                "left out"
                if self.unknown_operator_sites == "skip"
                else "modelled as one extra network (counts for 'at least one operator')",
                "OpenStreetMap rarely records the operator of a mast.",
                "unverified" if self.unknown_operator_sites == "shared" else "choice",
            ),
            Assumption(
                "Public Wi-Fi hotspots",
                f"{self.wifi_band_ghz:g} GHz, {self.wifi_eirp_dbm:g} dBm EIRP, usable at "
                f"{self.wifi_sensitivity_dbm:g} dBm, ITU-R P.1411 {self.wifi_environment}",
                "20 dBm is the UK limit at 2.4 GHz; the usable level is a design choice.",
                "unverified",
            ),
        ]


def settings_from_parameters(parameters: Mapping[str, Any]) -> CoverageSettings:
    """The settings a model run recorded (its ``parameters``), to show what it assumed."""
    known = {name for name in CoverageSettings.__dataclass_fields__}
    values = {key: value for key, value in parameters.items() if key in known}
    if "non_public_operators" in values:
        values["non_public_operators"] = tuple(values["non_public_operators"])
    return CoverageSettings(**values)
