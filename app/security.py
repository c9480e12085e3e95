"""Security headers (with a Content Security Policy), session timeouts and the user loader."""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import Flask, current_app, flash, g, redirect, request, session, url_for
from flask_login import current_user, logout_user
from werkzeug.wrappers import Response

from app.auth.models import User
from app.auth.services import find_user_by_public_id
from app.database import db_session
from app.extensions import login_manager
from core.clock import now_utc


def csp_nonce() -> str:
    """A fresh nonce per request for the one inline script GOV.UK Frontend's template needs."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    nonce: str = g.csp_nonce
    return nonce


def content_security_policy(nonce: str, *, tiles: bool) -> str:
    """The CSP header: our own scripts and styles only (plus OpenStreetMap tiles on map pages)."""
    img = "'self' data:" + (" https://tile.openstreetmap.org" if tiles else "")
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self'",
            f"img-src {img}",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'self'",
            "form-action 'self'",
        ]
    )


def add_security_headers(response: Response) -> Response:
    """``after_request`` hook: headers on every response, error pages included."""
    tiles = bool(g.get("allow_map_tiles")) and current_app.config.get("MAP_TILES_ONLINE", True)
    if "Content-Security-Policy" not in response.headers:
        response.headers["Content-Security-Policy"] = content_security_policy(
            csp_nonce(), tiles=tiles
        )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    response.headers["Permissions-Policy"] = (
        "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
    )
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if current_user.is_authenticated or request.endpoint in {"auth.sign_in"}:
        response.headers["Cache-Control"] = "no-store"
        response.vary.add("Cookie")
    return response


def enforce_session_timeouts() -> Response | None:
    """``before_request`` hook: end staff sessions idle too long or older than the absolute limit."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    now = now_utc().timestamp()
    idle = timedelta(minutes=current_app.config["IDLE_TIMEOUT_MINUTES"]).total_seconds()
    absolute = timedelta(hours=current_app.config["ABSOLUTE_TIMEOUT_HOURS"]).total_seconds()
    last_seen = float(session.get("last_seen", 0))
    signed_in_at = float(session.get("signed_in_at", 0))
    if now - last_seen > idle or now - signed_in_at > absolute:
        logout_user()
        session.clear()
        flash(
            "You were signed out because you had not used the service for a while. Sign in again to carry on."
        )
        return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
    session["last_seen"] = now
    return None


@login_manager.user_loader
def load_user(user_key: str) -> User | None:
    """Load the user named in the session, only if the session's epoch is still current."""
    public_id, _, epoch = user_key.partition(":")
    user = find_user_by_public_id(db_session(), public_id)
    if user is None or not user.is_active or str(user.session_epoch) != epoch:
        return None
    return user


def init_security(app: Flask) -> None:
    """Install the hooks of this module on ``app``."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Sign in to use this page."
    login_manager.session_protection = "basic"
    app.before_request(enforce_session_timeouts)
    app.after_request(add_security_headers)
