"""Coverage models per premises or grid cell: mobile (4G/5G), fixed broadband and public Wi-Fi.

Pure computation on arrays and DataFrames in British National Grid (EPSG:27700, metres); no
I/O beyond the small readers for site, hotspot and availability files.

Modules
-------
propagation
    Path-loss models: free space, Okumura–Hata, COST-231 Hata, 3GPP TR 38.901 UMa/UMi/RMa and
    LOS probability.
building_loss
    Building entry loss: TR 38.901 O2I (low/high/sub-6 GHz) and ITU-R P.2109-1.
mobile
    Site validation, environment classes, RSRP per receiver, best server, coverage flags.
curves, fixed, tiers
    VDSL2/ADSL2+ speed curves, copper line length on the road network, FTTP/cable/FWA layers,
    Ofcom tiers and BDUK categories.
wifi
    ITU-R P.1411 below-rooftop reach of public hotspots.
aggregate
    Population-weighted shares per area and ranked coverage gaps.
validation
    Rank comparison with the DERI v1.6 broadband component.
config
    Thresholds and model options (frozen dataclasses).
"""

from geo.coverage._arrays import OutOfRange
from geo.coverage.aggregate import coverage_table, rank_coverage_gaps, summarise_by_area
from geo.coverage.config import (
    EnvironmentThresholds,
    FixedConfig,
    MobileConfig,
    MobileThresholds,
    WifiConfig,
)
from geo.coverage.fixed import (
    AvailabilityLayer,
    fixed_broadband,
    line_lengths,
    read_availability_layer,
)
from geo.coverage.mobile import (
    MobileCoverage,
    best_server_dbm,
    grid,
    mobile_coverage,
    read_sites_csv,
    rsrp_matrix_dbm,
    sites_from_layer,
    validate_sites,
)
from geo.coverage.tiers import TIERS, TierThresholds, bduk_category, broadband_tier
from geo.coverage.wifi import validate_hotspots, wifi_coverage

__all__ = [
    "TIERS",
    "AvailabilityLayer",
    "EnvironmentThresholds",
    "FixedConfig",
    "MobileConfig",
    "MobileCoverage",
    "MobileThresholds",
    "OutOfRange",
    "TierThresholds",
    "WifiConfig",
    "bduk_category",
    "best_server_dbm",
    "broadband_tier",
    "coverage_table",
    "fixed_broadband",
    "grid",
    "line_lengths",
    "mobile_coverage",
    "rank_coverage_gaps",
    "read_availability_layer",
    "read_sites_csv",
    "rsrp_matrix_dbm",
    "sites_from_layer",
    "summarise_by_area",
    "validate_hotspots",
    "validate_sites",
    "wifi_coverage",
]
