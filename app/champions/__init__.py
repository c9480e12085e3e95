"""The Digital Champions network on the web: residents book sessions, champions log their help.

Residents (no account) find a session near them, book a place or join its waiting list, and
cancel or accept an offered place from the link in their message.  Champions log the help they
give and mark attendance; coordinators manage champions, venues and sessions; coordinators,
planners and councillors (small numbers suppressed) read the reports.  The rules live in the
``champions`` domain package; this package is pages, forms, the CLI and the demo wiring.

Settings (``app.config``, with defaults set by ``register``):

``CHAMPIONS_REMINDER_HOURS``
    Hours before a session that the reminder is sent (24).
``CHAMPIONS_OFFER_HOURS``
    Hours a waiting-list offer lasts (48, as in pretix).
``CHAMPIONS_WAITING_LIST_LIMIT``
    Most people on one session's waiting list (``None``: no limit).
``CHAMPIONS_RETENTION_DAYS``
    Days after a session (or a support episode) that residents' names and contacts are erased
    by ``flask --app app champions purge`` (730, a placeholder for the council's records manager).
``CHAMPIONS_PUBLIC_URL``
    The service's public address (``https://...``), used for links in messages queued by the CLI,
    where there is no web request to take the address from.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app, has_request_context, url_for

from champions.bookings import BookingSettings

DEMO_ORDER = 20

DEFAULTS: dict[str, object] = {
    "CHAMPIONS_REMINDER_HOURS": 24,
    "CHAMPIONS_OFFER_HOURS": 48,
    "CHAMPIONS_WAITING_LIST_LIMIT": None,
    "CHAMPIONS_RETENTION_DAYS": 730,
    "CHAMPIONS_PUBLIC_URL": None,
}


def register(app: Flask) -> None:
    """Plug the champions pages, commands and navigation into ``app``."""
    from app.champions.cli import champions_cli
    from app.champions.cli import purge as champions_purge
    from app.champions.presenters import labels_of, session_when, weekday_date
    from app.champions.routes_public import bp as public_bp
    from app.champions.routes_staff import bp as staff_bp
    from app.config import apply_feature_defaults
    from app.navigation import nav_item, start_link
    from app.retention import retention_job
    from champions.bookings import session_title

    apply_feature_defaults(app.config, DEFAULTS)
    app.register_blueprint(public_bp)
    app.register_blueprint(staff_bp)
    app.cli.add_command(champions_cli)
    retention_job(app, champions_purge)
    app.jinja_env.filters["weekday_date"] = weekday_date
    app.jinja_env.filters["session_when"] = session_when
    app.jinja_env.filters["session_title"] = session_title
    app.jinja_env.filters["champions_labels"] = labels_of
    nav_item(app, "Champions", "champions.index", order=30)
    nav_item(app, "Session venues", "champions.venues", order=31)
    nav_item(app, "Sessions", "champions.sessions", order=32)
    nav_item(app, "Support logs", "champions.support_logs", order=33)
    nav_item(app, "Champions report", "champions.report", order=34)
    start_link(app, "Find a free digital skills session", "champions_public.find_sessions")


def manage_url(reference: str, token: str) -> str:
    """The resident's link to see, accept or cancel their booking (reference and secret token)."""
    endpoint = "champions_public.manage_booking"
    values = {"reference": reference, "token": token}
    base = current_app.config.get("CHAMPIONS_PUBLIC_URL")
    if base:
        path = current_app.url_map.bind("localhost").build(endpoint, values)
        return str(base).rstrip("/") + path
    if has_request_context() or current_app.config.get("SERVER_NAME"):
        return url_for(endpoint, _external=True, **values)
    # A command run without CHAMPIONS_PUBLIC_URL: the path at least identifies the page.
    return current_app.url_map.bind("localhost").build(endpoint, values)


def booking_settings() -> BookingSettings:
    """The council's booking settings, from ``app.config``."""
    config = current_app.config
    limit = config.get("CHAMPIONS_WAITING_LIST_LIMIT")
    builder: Callable[[str, str], str] = manage_url
    return BookingSettings(
        reminder_hours=float(config["CHAMPIONS_REMINDER_HOURS"]),
        offer_hours=float(config["CHAMPIONS_OFFER_HOURS"]),
        waiting_list_limit=int(limit) if limit is not None else None,
        manage_url=builder,
    )


def load_demo(*, seed: int, echo: Callable[[str], None]) -> None:
    """Add demo champions, venues, sessions, bookings and a year of support logs (once)."""
    from app.champions.demo import load_demo_network

    load_demo_network(seed=seed, echo=echo)
