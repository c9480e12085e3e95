"""Sign in, sign out (here or everywhere) and accept an invitation."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from app.access import public, signed_in
from app.auth import services
from app.auth.forms import SetPasswordForm, SignInForm
from app.auth.models import User
from app.database import db_session
from app.extensions import limiter
from app.forms import ConfirmForm, apply_domain_error
from core.clock import now_utc
from core.errors import DomainError

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str | None:
    """Accept ``next`` only as a same-site relative path (never ``//host`` or a full URL)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


def start_session(user: User) -> None:
    """Sign ``user`` in with a fresh session (nothing planted before sign-in survives)."""
    session.clear()
    login_user(user)
    now = now_utc().timestamp()
    session["signed_in_at"] = now
    session["last_seen"] = now
    session.permanent = False


@bp.route("/sign-in", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["SIGN_IN_RATE_LIMIT"], methods=["POST"])
def sign_in() -> str | Response:
    form = SignInForm()
    next_url = safe_next(request.args.get("next"))
    if form.validate_on_submit():
        database = db_session()
        user = services.authenticate(
            database,
            email=form.email.data or "",
            password=form.password.data or "",
            now=now_utc(),
            hash_profile=current_app.config["PASSWORD_HASH_PROFILE"],
        )
        if user is not None:
            database.commit()
            start_session(user)
            current_app.logger.info("sign-in succeeded for user %s", user.id)
            return redirect(next_url or url_for("main.dashboard"))
        current_app.logger.warning("sign-in failed")
        form.email.errors = ["Enter a correct email address and password"]
    form.password.data = ""
    return render_template("auth/sign_in.html", form=form, next_url=next_url)


@bp.route("/sign-out", methods=["POST"])
@public
def sign_out() -> Response:
    form = ConfirmForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        logout_user()
    session.clear()
    flash("You have been signed out.")
    return redirect(url_for("auth.sign_in"))


@bp.route("/sign-out-everywhere", methods=["POST"])
@signed_in
def sign_out_everywhere() -> Response:
    form = ConfirmForm()
    if form.validate_on_submit():
        database = db_session()
        user = services.get_user(database, current_user.public_id)
        services.sign_out_everywhere(database, user=user, now=now_utc(), actor_id=user.id)
        database.commit()
        logout_user()
        session.clear()
        flash("You have been signed out on every device.")
    return redirect(url_for("auth.sign_in"))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["SIGN_IN_RATE_LIMIT"], methods=["POST"])
def accept_invitation(token: str) -> str | Response | tuple[str, int]:
    database = db_session()
    invitation = services.find_invitation(database, token, now=now_utc())
    if invitation is None:
        return render_template("auth/invitation_expired.html"), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            user = services.accept_invitation(
                database,
                token=token,
                password=form.password.data or "",
                now=now_utc(),
                min_password_length=current_app.config["PASSWORD_MIN_LENGTH"],
                council=current_app.config["COUNCIL_NAME"],
                hash_profile=current_app.config["PASSWORD_HASH_PROFILE"],
            )
        except DomainError as error:
            database.rollback()
            apply_domain_error(form, error)
        else:
            database.commit()
            start_session(user)
            flash("Your password is set and you are signed in.")
            return redirect(url_for("main.dashboard"))
    form.password.data = ""
    form.confirm.data = ""
    return render_template("auth/set_password.html", form=form)
