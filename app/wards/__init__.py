"""Ward inclusion maps, councillors' ward profiles, open data downloads and the JSON API.

* ``/wards/`` - find a ward; ``/wards/<code>`` - its printable profile (key figures against the
  borough, persona mix and barriers, coverage gaps, venues, sessions, devices lent, recommended
  interventions, and its map); ``/wards/map`` - the borough map with every layer;
  ``/wards/maps/<layer>`` - one layer.  Every map has the same numbers as tables beside it.
* ``/wards/downloads`` - each layer and table as GeoJSON (RFC 7946), CSV and GeoPackage, and the
  maps as standalone HTML, each with source, date and licence lines.
* ``/api/v1/`` - read-only JSON (GeoJSON where geographic) described by ``/api/v1/openapi.json``.

Figures come from *providers* that feature packages register (see :mod:`app.wards.figures`);
this package registers the place model's, and those of the champions, device loans, surveys and
coverage packages found installed (``providers_*.py``, each skipped when its tables are missing).
Councillors and the public see small numbers suppressed (:mod:`core.suppression`); planners and
administrators see them in full.

Settings (``app.config``, defaults set by :func:`register`):

``WARDS_CACHE_SECONDS``
    Longest a built map or figure set is reused (600); a change of data rebuilds it at once.
``WARDS_CACHE_ENTRIES``
    Most built maps kept per worker (64).
``API_DOCS_PUBLIC``
    Serve ``/api/v1/openapi.json`` to everyone (True): the API is public and read-only.
"""

from __future__ import annotations

from flask import Flask

DEFAULTS: dict[str, object] = {
    "WARDS_CACHE_SECONDS": 600,
    "WARDS_CACHE_ENTRIES": 64,
    "API_DOCS_PUBLIC": True,
}


def register(app: Flask) -> None:
    """Plug the ward pages, downloads, JSON API and figure providers into ``app``."""
    from app.config import apply_feature_defaults
    from app.navigation import nav_item
    from app.wards.api import bp as api_bp
    from app.wards.api import install_api_errors
    from app.wards.providers import register_providers
    from app.wards.routes import bp

    apply_feature_defaults(app.config, DEFAULTS)
    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
    install_api_errors(app)
    register_providers(app)
    # One entry: the ward list leads to the maps, and every /wards/ page marks it as current.
    nav_item(app, "Ward profiles and maps", "wards.index", order=20)
