"""The web layer and composition root: ``create_app`` builds the Flask application.

Run it with ``flask --app app run``; ``flask --app app --help`` lists the commands.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from flask import Flask, current_app
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import BytecodeCache, ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from jinja2.bccache import Bucket

from app.access import check_access, has_role
from app.config import load_config
from app.database import init_database
from app.errors import init_errors
from app.extensions import csrf, limiter
from app.navigation import nav_item, navigation_for
from app.security import csp_nonce, init_security
from core.clock import govuk_date, govuk_datetime, govuk_time


class _SharedBytecodeCache(BytecodeCache):
    """Compiled templates kept in memory and shared by every app built in this process.

    Compiling the GOV.UK macros takes a quarter of a second; sharing the result makes the
    second and later apps (tests, workers re-created by the server) start fast.
    """

    def __init__(self) -> None:
        self._store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self._store:
            bucket.bytecode_from_string(self._store[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._store[bucket.key] = bucket.bytecode_to_string()


_BYTECODE_CACHE = _SharedBytecodeCache()


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application; ``config`` overrides settings read from the environment."""
    app = Flask(__name__, instance_relative_config=False)
    app.config.update(load_config(config))
    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(app.root_path + "/templates"),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.bytecode_cache = _BYTECODE_CACHE
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    WTFormsHelpers(app)

    init_database(app)
    csrf.init_app(app)
    limiter.init_app(app)
    init_security(app)
    init_errors(app)
    app.before_request(check_access)
    _register_blueprints(app)
    _register_template_helpers(app)
    _register_cli(app)
    return app


def feature_packages() -> list[ModuleType]:
    """The app's feature packages: every ``app.<name>`` package that defines ``register(app)``.

    Each area of the service (places, coverage, surveys, champions, loans, ...) lives in its own
    package and plugs itself in, so adding one touches no shared file.
    """
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda item: item.name):
        if not info.ispkg or info.name in {
            "auth",
            "blueprints",
            "migrations",
            "templates",
            "static",
        }:
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if callable(getattr(module, "register", None)):
            found.append(module)
    return found


def _register_blueprints(app: Flask) -> None:
    from app.auth.routes import bp as auth_bp
    from app.blueprints.admin import bp as admin_bp
    from app.blueprints.main import bp as main_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp)
    nav_item(app, "Home", "main.dashboard", order=0)
    nav_item(app, "Staff accounts", "admin.users", order=90)
    for package in feature_packages():
        package.register(app)


def _register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters["govuk_date"] = govuk_date
    app.jinja_env.filters["govuk_datetime"] = govuk_datetime
    app.jinja_env.filters["govuk_time"] = govuk_time

    @app.context_processor
    def globals_for_templates() -> dict[str, Any]:
        return {
            "cspNonce": csp_nonce(),
            "service_name": current_app.config["SERVICE_NAME"],
            "council_name": current_app.config["COUNCIL_NAME"],
            "navigation": navigation_for(current_app),
            "has_role": has_role,
        }


def _register_cli(app: Flask) -> None:
    from app.cli import register_commands

    register_commands(app)
