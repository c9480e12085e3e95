"""Start page, staff home, and the pages every service needs (accessibility, privacy, cookies)."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, url_for
from flask_login import current_user
from sqlalchemy import text

from app.access import public, signed_in
from app.auth.roles import ROLE_LABELS
from app.database import db_session

bp = Blueprint("main", __name__)


@bp.route("/")
@public
def start() -> str:
    links = [
        {"text": text, "href": url_for(endpoint)}
        for text, endpoint in current_app.extensions.get("start_links", [])
    ]
    return render_template("main/start.html", start_links=links)


@bp.route("/home")
@signed_in
def dashboard() -> str:
    roles = sorted(current_user.roles)
    return render_template("main/dashboard.html", role_labels=[ROLE_LABELS[role] for role in roles])


@bp.route("/accessibility")
@public
def accessibility() -> str:
    return render_template("main/accessibility.html")


@bp.route("/privacy")
@public
def privacy() -> str:
    return render_template("main/privacy.html")


@bp.route("/cookies")
@public
def cookies() -> str:
    return render_template("main/cookies.html")


@bp.route("/healthz")
@public
def healthz() -> tuple[dict[str, str], int]:
    try:
        db_session().execute(text("SELECT 1"))
    except Exception:
        current_app.logger.exception("health check: database unreachable")
        return {"status": "unavailable"}, 503
    return {"status": "ok"}, 200
