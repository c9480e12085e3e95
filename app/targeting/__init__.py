"""The planner's targeting tool: costed intervention plans and new venue siting.

* planners build **scenarios** (wards, budget, walking time, number of new venues, the share of
  excluded residents to reach, an optional CSV of candidate buildings) and see the costed plan
  per ward or LSOA and the siting answer as tables and on a map; runs happen off the request
  thread (:mod:`app.targeting.jobs`) and the page shows their progress;
* scenarios are saved, compared side by side and exported as CSV and GeoPackage;
* councillors read saved scenarios with small numbers suppressed;
* the council's intervention rules (unit costs, reach, take-up) are edited on their own page;
* ``flask --app app targeting ...`` loads candidate buildings, prints plans and siting answers,
  and saves and exports scenarios (:mod:`app.targeting.cli`).

The rules are in :mod:`surveys.interventions` and :mod:`surveys.targeting`; the siting models in
:mod:`geo.siting`; what is read from the rest of the service in :mod:`app.targeting.inputs`.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

DEMO_ORDER = 60


def register(app: Flask) -> None:
    """Plug the targeting pages and commands into ``app``."""
    from app.navigation import nav_item
    from app.targeting.cli import targeting_cli
    from app.targeting.routes import bp

    app.register_blueprint(bp)
    app.cli.add_command(targeting_cli)
    nav_item(app, "Targeting", "targeting.index", order=30)


def load_demo(*, seed: int, echo: Callable[[str], None]) -> bool:
    """Add synthetic candidate buildings to the demo borough and save one example scenario.

    Returns ``False`` (changing nothing) when the stored areas are not the demo borough of this
    seed, or when the example scenario exists already.
    """
    from app.targeting.demo import load_demo_targeting

    return load_demo_targeting(seed=seed, echo=echo)
