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
from markupsafe import Markup
from werkzeug.wrappers import Response

from app.access import public, signed_in
from app.auth import services
from app.auth import two_step as totp
from app.auth.forms import SetPasswordForm, SignInForm, TwoStepCodeForm
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
            if user.totp_secret is not None or current_app.config["MFA_REQUIRED"]:
                _begin_two_step(user, next_url)
                step = "auth.enter_code" if user.totp_secret else "auth.set_up_app"
                return redirect(url_for(step))
            return _finish_sign_in(user, next_url)
        current_app.logger.warning("sign-in failed")
        form.email.errors = ["Enter a correct email address and password"]
    form.password.data = ""
    return render_template("auth/sign_in.html", form=form, next_url=next_url)


def _finish_sign_in(user: User, next_url: str | None, *, message: str | None = None) -> Response:
    start_session(user)
    if message:
        flash(message)  # after start_session, which empties the session
    current_app.logger.info("sign-in succeeded for user %s", user.id)
    return redirect(next_url or url_for("main.dashboard"))


# --- the second step: a code from an authenticator app ------------------------------------------

_PENDING = "two_step"
PENDING_SECONDS = 600
"""How long a half-finished sign-in (password right, code not yet given) lasts."""
MAX_WRONG_CODES = 5
"""Wrong codes allowed in one sign-in; then the person starts again with their password."""


def _begin_two_step(user: User, next_url: str | None) -> None:
    """Remember, in a fresh session, that ``user`` gave the right password but no code yet."""
    session.clear()
    session[_PENDING] = {
        "user": user.public_id,
        "epoch": user.session_epoch,
        "started": now_utc().timestamp(),
        "next": next_url,
        "wrong": 0,
    }


def _pending() -> tuple[User, dict[str, object]] | None:
    """The user half-way through signing in, and the sign-in's state; ``None`` when there is
    none, it is older than ``PENDING_SECONDS``, or the account changed since."""
    state = session.get(_PENDING)
    if not isinstance(state, dict):
        return None
    started = state.get("started")
    if not isinstance(started, int | float) or now_utc().timestamp() - started > PENDING_SECONDS:
        session.pop(_PENDING, None)
        return None
    user = services.find_user_by_public_id(db_session(), str(state.get("user", "")))
    if user is None or not user.is_active or user.session_epoch != state.get("epoch"):
        session.pop(_PENDING, None)
        return None
    return user, state


def _start_again() -> Response:
    flash(
        "Sign in again: your sign-in was not finished in time, or it was started again.",
        "error",
    )
    return redirect(url_for("auth.sign_in"))


def _wrong_code(form: TwoStepCodeForm, state: dict[str, object]) -> Response | None:
    """Count a wrong code; after ``MAX_WRONG_CODES`` the sign-in ends."""
    wrong = int(str(state.get("wrong", 0))) + 1
    if wrong >= MAX_WRONG_CODES:
        session.clear()
        flash("Too many wrong codes. Sign in again with your email address and password.", "error")
        return redirect(url_for("auth.sign_in"))
    session[_PENDING] = {**state, "wrong": wrong}
    form.code.errors = [
        "The code is wrong or has already been used. Enter the code your app shows now"
    ]
    return None


@bp.route("/sign-in/code", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["SIGN_IN_RATE_LIMIT"], methods=["POST"])
def enter_code() -> str | Response:
    pending = _pending()
    if pending is None:
        return _start_again()
    user, state = pending
    if user.totp_secret is None:
        return redirect(url_for("auth.set_up_app"))
    form = TwoStepCodeForm()
    if form.validate_on_submit():
        database = db_session()
        code = totp.normalise_code(form.code.data) or ""
        accepted = services.check_two_step(database, user=user, code=code, now=now_utc())
        database.commit()  # the accepted step, or the refusal in the audit trail
        if accepted:
            return _finish_sign_in(user, safe_next(str(state.get("next") or "")))
        ended = _wrong_code(form, state)
        if ended is not None:
            return ended
    form.code.data = ""
    return render_template("auth/two_step.html", form=form)


@bp.route("/sign-in/set-up-app", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["SIGN_IN_RATE_LIMIT"], methods=["POST"])
def set_up_app() -> str | Response:
    pending = _pending()
    if pending is None:
        return _start_again()
    user, state = pending
    if user.totp_secret is not None:
        return redirect(url_for("auth.enter_code"))
    # The new secret waits in the (signed, HTTP-only) session until a code proves the app has it.
    secret = str(state.get("secret") or totp.new_secret())
    session[_PENDING] = state = {**state, "secret": secret}
    form = TwoStepCodeForm()
    if form.validate_on_submit():
        database = db_session()
        code = totp.normalise_code(form.code.data) or ""
        if services.confirm_two_step(database, user=user, secret=secret, code=code, now=now_utc()):
            database.commit()
            return _finish_sign_in(
                user,
                safe_next(str(state.get("next") or "")),
                message="Your authenticator app is set up. You will need a code from it each "
                "time you sign in.",
            )
        ended = _wrong_code(form, state)
        if ended is not None:
            return ended
    form.code.data = ""
    issuer = str(current_app.config["COUNCIL_NAME"])
    uri = totp.provisioning_uri(secret, account=user.email, issuer=issuer)
    return render_template(
        "auth/two_step_set_up.html",
        form=form,
        # segno draws the QR code as paths; the only text in it is our own title.
        qr_svg=Markup(totp.qr_code_svg(uri, title="QR code to scan with your app")),  # noqa: S704
        secret=totp.grouped_secret(secret),
        account=user.email,
        issuer=issuer,
    )


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
            # The link proves the email address, not the second step: where one is needed (or
            # set up already), the sign-in goes on to it, as it would after a password.
            if user.totp_secret is not None or current_app.config["MFA_REQUIRED"]:
                _begin_two_step(user, None)
                flash("Your password is set. Now finish signing in with your authenticator app.")
                step = "auth.enter_code" if user.totp_secret else "auth.set_up_app"
                return redirect(url_for(step))
            start_session(user)
            flash("Your password is set and you are signed in.")
            return redirect(url_for("main.dashboard"))
    form.password.data = ""
    form.confirm.data = ""
    return render_template("auth/set_password.html", form=form)
