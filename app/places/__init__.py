"""The place model in the database: areas, street networks, premises, help venues, mobile sites.

``geo`` computes; this package stores what it computes, runs the model from the stored layers
(``flask --app app geo model``) and shows the results to planners.
"""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Plug the place model's pages and commands into ``app``."""
    from app.navigation import nav_item
    from app.places.cli import access_stage, geo_cli, model_stage
    from app.places.routes import bp

    app.register_blueprint(bp)
    app.cli.add_command(geo_cli)
    model_stage(app, "Walking access to help venues", access_stage, order=10)
    nav_item(app, "Areas", "places.areas", order=10)
    nav_item(app, "Walking access", "places.access", order=11)
    nav_item(app, "Help venues", "places.venues", order=12)
