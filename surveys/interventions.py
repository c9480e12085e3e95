"""Intervention rules a council can configure: who each reaches, what a unit costs, and why.

A configuration is a plain dict (the same structure as YAML or JSON) that overrides the defaults
below, so a council changes only what it knows better::

    version: "2026.1"
    interventions:
      device_loans: {unit_cost_gbp: 280, take_up: 0.6}
      public_wifi: {enabled: false}

:func:`validate_interventions` checks it and returns an :class:`InterventionConfig`; every
mistake raises :class:`core.errors.DomainError` naming the intervention and the setting.

The interventions and whom they reach (the area input columns are in :mod:`surveys.targeting`):

==================== ======================================================= ===================
key                  who it reaches                                          one unit is
==================== ======================================================= ===================
device_loans         adults without a suitable device                        a device lent for a year
data_sims            adults online only through a smartphone                 a data SIM handed out
social_tariffs       adults for whom cost is a barrier                       help to switch tariff
skills_sessions      adults with low skills who would like help              a course for a group
connectivity_works   premises below the USO (or superfast), not BDUK White   one premises connected
gigabit_vouchers     premises BDUK classes White (only these may be          one voucher
                     subsidised)
public_wifi          residents of dense areas with many mobile not-spots     a hotspot for a year
assisted_digital     adults who cannot or will not go online                 a resident helped for a year
==================== ======================================================= ===================

How a rule turns need into units and cost
-----------------------------------------
``expected = eligible x take_up`` (people, or premises for the two connectivity rules);
``units = ceil(expected / reach_per_unit)``; ``cost = units x unit_cost_gbp``; residents reached
is ``expected`` (people) or ``expected x residents_per_premises`` (premises).  The share of the
residents reached who then start doing council business online (``newly_online_share``) drives
the channel-shift savings.  ``need_weight`` scales residents reached when ranking by need per
pound (1 = every resident counts the same).  Ring-fenced rules (assisted digital, by default) are
funded before the others: people who cannot or will not go online keep a non-digital route
whatever else is chosen (a reasonable adjustment under the Equality Act 2010).

Sources and assumptions
-----------------------
Every default says where it comes from in its ``source``; anything not taken from a published
figure starts with ``ASSUMPTION``.  Councils should replace assumptions with their own costs.
Published anchors used: the broadband Universal Service Obligation (10 Mbit/s down, 1 up, with a
£3,400 reasonable-cost limit per premises); BDUK's White/Grey/Black classes (only White premises
can be subsidised); the National Databank (SIMs with 40 GB a month for 6 months, donated by
operators); Leeds Libraries' tablet loans (one month, renewable); Connecting Scotland (£5m for
9,000 people in phase 1, about £556 a person for a device, data and support).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.errors import DomainError

__all__ = [
    "DEFAULT_CHANNEL_COSTS",
    "DEFAULT_INTERVENTIONS",
    "INTERVENTION_KEYS",
    "PREMISES_BASES",
    "ChannelCosts",
    "InterventionConfig",
    "InterventionRule",
    "default_intervention_config",
    "validate_channel_costs",
    "validate_interventions",
]

INTERVENTION_KEYS: tuple[str, ...] = (
    "device_loans",
    "data_sims",
    "social_tariffs",
    "skills_sessions",
    "connectivity_works",
    "gigabit_vouchers",
    "public_wifi",
    "assisted_digital",
)
"""Interventions the planner knows, in the order they are listed."""

PREMISES_BASES: tuple[str, ...] = ("below_uso", "below_superfast")
"""Which premises connectivity works aim at: below the USO (10/1 Mbit/s) or below 30 Mbit/s."""

_PREMISES_RULES = ("connectivity_works", "gigabit_vouchers")

DEFAULT_INTERVENTIONS: dict[str, Any] = {
    "version": "2026.1",
    "interventions": {
        "device_loans": {
            "name": "Device loans",
            "unit": "device lent for a year",
            "units_label": "devices",
            "unit_cost_gbp": 350.0,
            "reach_per_unit": 3.0,
            "take_up": 0.5,
            "newly_online_share": 0.5,
            "need_weight": 1.0,
            "ring_fenced": False,
            "source": "ASSUMPTION: £350 for a refurbished tablet or laptop with device "
            "management and a data SIM, lent for about four months at a time (three residents "
            "a year; Leeds Libraries lend for one month, renewable); half of those without a "
            "device take one up. Compare Connecting Scotland: about £556 a person for a device, "
            "data and support (£5m for 9,000 people).",
        },
        "data_sims": {
            "name": "Data SIMs",
            "unit": "data SIM handed out with help to apply",
            "units_label": "SIMs",
            "unit_cost_gbp": 15.0,
            "reach_per_unit": 1.0,
            "take_up": 0.5,
            "newly_online_share": 0.3,
            "need_weight": 1.0,
            "ring_fenced": False,
            "source": "National Databank SIMs (40 GB a month for 6 months) are donated by "
            "operators; ASSUMPTION: £15 of staff time to check eligibility and apply, and half "
            "of mobile-only residents take one up.",
        },
        "social_tariffs": {
            "name": "Social tariff switching",
            "unit": "household helped to switch to a social tariff",
            "units_label": "switches",
            "unit_cost_gbp": 20.0,
            "reach_per_unit": 1.0,
            "take_up": 0.4,
            "newly_online_share": 0.3,
            "need_weight": 1.0,
            "ring_fenced": False,
            "source": "ASSUMPTION: about an hour of advice (£20) per switch; 40% of those who "
            "find the cost a barrier are eligible and switch.",
        },
        "skills_sessions": {
            "name": "Digital skills courses",
            "unit": "six-week beginners' course for a group, led by a Digital Champion",
            "units_label": "courses",
            "unit_cost_gbp": 600.0,
            "reach_per_unit": 8.0,
            "take_up": 0.5,
            "newly_online_share": 0.6,
            "need_weight": 1.0,
            "ring_fenced": False,
            "source": "ASSUMPTION: £600 a course (room, champion time, materials) for 8 "
            "learners; half of those who would like help join a course.",
        },
        "connectivity_works": {
            "name": "Connectivity works",
            "unit": "premises connected to a decent service",
            "units_label": "premises",
            "unit_cost_gbp": 3400.0,
            "reach_per_unit": 1.0,
            "take_up": 0.5,
            "newly_online_share": 0.1,
            "need_weight": 1.0,
            "ring_fenced": False,
            "premises_basis": "below_uso",
            "residents_per_premises": 2.4,
            "source": "The USO's reasonable-cost limit of £3,400 a premises, used as an upper "
            "estimate; ASSUMPTION: half the owners ask, 2.4 residents a premises (about the "
            "Census 2021 average household size), and White premises are left to vouchers.",
        },
        "gigabit_vouchers": {
            "name": "Gigabit vouchers",
            "unit": "gigabit voucher for one premises",
            "units_label": "vouchers",
            "unit_cost_gbp": 4500.0,
            "reach_per_unit": 1.0,
            "take_up": 0.3,
            "newly_online_share": 0.05,
            "need_weight": 1.0,
            "ring_fenced": False,
            "residents_per_premises": 2.4,
            "source": "Only BDUK White premises can be subsidised. ASSUMPTION: £4,500 a voucher "
            "(check the current national voucher value), 30% take-up, 2.4 residents a premises.",
        },
        "public_wifi": {
            "name": "Public Wi-Fi hotspots",
            "unit": "outdoor public Wi-Fi access point with backhaul, for a year",
            "units_label": "hotspots",
            "unit_cost_gbp": 3000.0,
            "reach_per_unit": 250.0,
            "take_up": 0.3,
            "newly_online_share": 0.05,
            "need_weight": 1.0,
            "ring_fenced": False,
            "min_notspot_share": 0.2,
            "min_density_per_km2": 4000.0,
            "source": "ASSUMPTION: £3,000 a hotspot a year, 250 regular users each, 30% of "
            "not-spot residents use it; only where at least 20% of premises are 4G not-spots "
            "and there are at least 4,000 residents per km².",
        },
        "assisted_digital": {
            "name": "Assisted digital and non-digital routes",
            "unit": "resident helped by phone, face to face or on paper for a year",
            "units_label": "residents",
            "unit_cost_gbp": 30.0,
            "reach_per_unit": 1.0,
            "take_up": 1.0,
            "newly_online_share": 0.0,
            "need_weight": 1.0,
            "ring_fenced": True,
            "source": "Kept for everyone who cannot or will not go online (reasonable "
            "adjustments, Equality Act 2010). ASSUMPTION: £30 a resident a year.",
        },
    },
}
"""The default configuration (version ``2026.1``).  Copy it with :func:`default_intervention_config`."""

_NUMBER_RANGES: dict[str, tuple[float, float, bool, str]] = {
    # field: (minimum, maximum, minimum allowed, what it is)
    "unit_cost_gbp": (0.0, 1_000_000.0, False, "the cost of one unit in pounds"),
    "reach_per_unit": (0.0, 100_000.0, False, "how many residents or premises one unit serves"),
    "take_up": (0.0, 1.0, False, "the share of those eligible who take it up (0-1)"),
    "newly_online_share": (0.0, 1.0, True, "the share of residents reached who go online (0-1)"),
    "need_weight": (0.0, 10.0, True, "the weight of a resident reached when ranking (0-10)"),
    "residents_per_premises": (0.0, 20.0, False, "residents living at one premises"),
    "min_notspot_share": (0.0, 1.0, True, "the not-spot share that makes an area eligible (0-1)"),
    "min_density_per_km2": (0.0, 100_000.0, True, "residents per km² that make an area dense"),
}

_TEXT_FIELDS = ("name", "unit", "units_label", "source")
_BOOL_FIELDS = ("enabled", "ring_fenced")
_COMMON_FIELDS = (
    *_TEXT_FIELDS,
    *_BOOL_FIELDS,
    "unit_cost_gbp",
    "reach_per_unit",
    "take_up",
    "newly_online_share",
    "need_weight",
)
_EXTRA_FIELDS: dict[str, tuple[str, ...]] = {
    "connectivity_works": ("premises_basis", "residents_per_premises"),
    "gigabit_vouchers": ("residents_per_premises",),
    "public_wifi": ("min_notspot_share", "min_density_per_km2"),
}


@dataclass(frozen=True)
class InterventionRule:
    """One validated intervention rule (see the module notes for how it is applied).

    Attributes
    ----------
    key:
        One of :data:`INTERVENTION_KEYS`.
    name:
        Name shown to planners and councillors ("Device loans").
    unit:
        What one unit buys ("device lent for a year").
    units_label:
        Plural word for counting units ("devices").
    unit_cost_gbp:
        Cost of one unit, pounds (> 0).
    reach_per_unit:
        Residents (or premises, for the connectivity rules) one unit serves (> 0).
    take_up:
        Share of those eligible expected to take it up (0 < take_up <= 1).
    newly_online_share:
        Share of residents reached who start doing council business online (0-1).
    need_weight:
        Weight of a resident reached when ranking by need per pound (0-10; 1 = equal).
    ring_fenced:
        Funded before every ranked intervention.
    enabled:
        False leaves the rule out of every plan.
    source:
        Where the defaults come from; ``ASSUMPTION`` marks figures not from a published source.
    premises_basis:
        Connectivity works only: ``"below_uso"`` or ``"below_superfast"``.
    residents_per_premises:
        Connectivity rules only: residents reached per premises connected.
    min_notspot_share, min_density_per_km2:
        Public Wi-Fi only: thresholds an area must meet.
    """

    key: str
    name: str
    unit: str
    units_label: str
    unit_cost_gbp: float
    reach_per_unit: float
    take_up: float
    newly_online_share: float
    need_weight: float
    ring_fenced: bool
    enabled: bool
    source: str
    premises_basis: str = "below_uso"
    residents_per_premises: float = 1.0
    min_notspot_share: float = 0.0
    min_density_per_km2: float = 0.0

    @property
    def counts_premises(self) -> bool:
        """True when eligibility and units are counted in premises rather than residents."""
        return self.key in _PREMISES_RULES

    @property
    def is_assumption(self) -> bool:
        """True when the defaults rest (partly) on an assumption rather than a published figure."""
        return "ASSUMPTION" in self.source


@dataclass(frozen=True)
class InterventionConfig:
    """A validated set of intervention rules, in :data:`INTERVENTION_KEYS` order."""

    version: str
    rules: tuple[InterventionRule, ...]

    @property
    def enabled(self) -> tuple[InterventionRule, ...]:
        """The rules that take part in plans."""
        return tuple(rule for rule in self.rules if rule.enabled)

    def rule(self, key: str) -> InterventionRule:
        """The rule with this key (enabled or not)."""
        for rule in self.rules:
            if rule.key == key:
                return rule
        raise DomainError(f"There is no intervention called {key!r}.", field="interventions")


@dataclass(frozen=True)
class ChannelCosts:
    """Unit costs for channel-shift savings.

    Attributes
    ----------
    online_gbp:
        Cost to the council of one transaction done online (default £0.32).
    face_to_face_gbp:
        Cost of the same transaction face to face (default £7.40).
    transactions_per_resident_per_year:
        Council transactions a newly-online resident moves online in a year (ASSUMPTION:
        default 4).
    source:
        Where the figures come from.
    """

    online_gbp: float = 0.32
    face_to_face_gbp: float = 7.40
    transactions_per_resident_per_year: float = 4.0
    source: str = (
        "£0.32 online and £7.40 face to face per transaction: London Borough of Hounslow's "
        "digital strategy (figures as quoted in the project brief, not checked against the "
        "document here). ASSUMPTION: 4 transactions a year move online per newly-online resident."
    )

    @property
    def saving_per_transaction_gbp(self) -> float:
        """Saving when one transaction moves from face to face to online, pounds."""
        return self.face_to_face_gbp - self.online_gbp


DEFAULT_CHANNEL_COSTS = ChannelCosts()
"""The default channel costs (Hounslow's unit costs, 4 transactions a year)."""


def default_intervention_config() -> dict[str, Any]:
    """Return a deep copy of :data:`DEFAULT_INTERVENTIONS` for a council to edit."""
    return copy.deepcopy(DEFAULT_INTERVENTIONS)


def _number(value: Any, key: str, field: str) -> float:
    low, high, low_allowed, what = _NUMBER_RANGES[field]
    label = f"Intervention '{key}': {field} ({what})"
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise DomainError(f"{label} must be a number, not {value!r}.", field=f"{key}.{field}")
    below = value < low if low_allowed else value <= low
    if below or value > high:
        lower = f"at least {low:g}" if low_allowed else f"more than {low:g}"
        raise DomainError(
            f"{label} must be {lower} and at most {high:g}, not {value:g}.", field=f"{key}.{field}"
        )
    return float(value)


def _rule(key: str, settings: Mapping[str, Any]) -> InterventionRule:
    allowed = set(_COMMON_FIELDS) | set(_EXTRA_FIELDS.get(key, ()))
    unknown = sorted(str(name) for name in set(settings) - allowed)
    if unknown:
        raise DomainError(
            f"Intervention '{key}': unknown setting(s) {', '.join(unknown)}. Settings you can "
            f"use: {', '.join(sorted(allowed))}.",
            field=f"{key}.{unknown[0]}",
        )
    values: dict[str, Any] = {"key": key}
    for field in _TEXT_FIELDS:
        text = settings.get(field)
        if not isinstance(text, str) or not text.strip():
            raise DomainError(
                f"Intervention '{key}': {field} must be some text.", field=f"{key}.{field}"
            )
        values[field] = text.strip()
    for field in _BOOL_FIELDS:
        flag = settings.get(field, field == "enabled")
        if not isinstance(flag, bool):
            raise DomainError(
                f"Intervention '{key}': {field} must be true or false, not {flag!r}.",
                field=f"{key}.{field}",
            )
        values[field] = flag
    for field in (
        "unit_cost_gbp",
        "reach_per_unit",
        "take_up",
        "newly_online_share",
        "need_weight",
    ):
        values[field] = _number(settings.get(field), key, field)
    for field in _EXTRA_FIELDS.get(key, ()):
        if field == "premises_basis":
            basis = settings.get(field)
            if basis not in PREMISES_BASES:
                raise DomainError(
                    f"Intervention '{key}': premises_basis must be one of "
                    f"{', '.join(PREMISES_BASES)}, not {basis!r}.",
                    field=f"{key}.{field}",
                )
            values[field] = basis
        else:
            values[field] = _number(settings.get(field), key, field)
    return InterventionRule(**values)


def validate_interventions(config: Mapping[str, Any] | None = None) -> InterventionConfig:
    """Check a council's intervention settings, laid over the defaults, and return them validated.

    Parameters
    ----------
    config:
        ``{"version": ..., "interventions": {key: {setting: value}}}``; any intervention or
        setting not given keeps its default.  None gives the defaults.

    Returns
    -------
    InterventionConfig

    Raises
    ------
    DomainError
        Naming the intervention and setting (``field`` is ``"<key>.<setting>"``): an unknown
        intervention or setting, a number out of range, text missing, a flag not true/false.
    """
    merged = default_intervention_config()
    if config is not None:
        if not isinstance(config, Mapping):
            raise DomainError(
                "The intervention settings must be a mapping with an 'interventions' mapping.",
                field="interventions",
            )
        unknown_top = sorted(str(name) for name in set(config) - {"version", "interventions"})
        if unknown_top:
            raise DomainError(
                f"Unknown setting(s) {', '.join(unknown_top)}: use only 'version' and "
                "'interventions'.",
                field="interventions",
            )
        overrides = config.get("interventions", {})
        if not isinstance(overrides, Mapping):
            raise DomainError(
                "'interventions' must map each intervention to its settings.",
                field="interventions",
            )
        for key, settings in overrides.items():
            if key not in INTERVENTION_KEYS:
                raise DomainError(
                    f"Unknown intervention {key!r}. Interventions you can set: "
                    f"{', '.join(INTERVENTION_KEYS)}.",
                    field="interventions",
                )
            if not isinstance(settings, Mapping):
                raise DomainError(
                    f"Intervention '{key}': give its settings as a mapping.", field=str(key)
                )
            merged["interventions"][key].update(settings)
        if "version" in config:
            merged["version"] = str(config["version"])
        else:
            merged["version"] = "custom"
    rules = tuple(_rule(key, merged["interventions"][key]) for key in INTERVENTION_KEYS)
    return InterventionConfig(version=str(merged["version"]), rules=rules)


def validate_channel_costs(
    *,
    online_gbp: float = DEFAULT_CHANNEL_COSTS.online_gbp,
    face_to_face_gbp: float = DEFAULT_CHANNEL_COSTS.face_to_face_gbp,
    transactions_per_resident_per_year: float = (
        DEFAULT_CHANNEL_COSTS.transactions_per_resident_per_year
    ),
    source: str | None = None,
) -> ChannelCosts:
    """Check channel-shift unit costs and return them.

    Raises
    ------
    DomainError
        Naming the field: a cost that is negative or not a number, face to face not dearer than
        online, or transactions outside 0-365 a year.
    """
    checks: tuple[tuple[str, Any, float], ...] = (
        ("online_gbp", online_gbp, 1000.0),
        ("face_to_face_gbp", face_to_face_gbp, 1000.0),
        ("transactions_per_resident_per_year", transactions_per_resident_per_year, 365.0),
    )
    for field, value, high in checks:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or not 0 <= value <= high
        ):
            raise DomainError(
                f"{field} must be a number from 0 to {high:g}, not {value!r}.", field=field
            )
    if face_to_face_gbp <= online_gbp:
        raise DomainError(
            "face_to_face_gbp must be more than online_gbp, or moving online saves nothing.",
            field="face_to_face_gbp",
        )
    return ChannelCosts(
        online_gbp=float(online_gbp),
        face_to_face_gbp=float(face_to_face_gbp),
        transactions_per_resident_per_year=float(transactions_per_resident_per_year),
        source=source if source is not None else DEFAULT_CHANNEL_COSTS.source,
    )
