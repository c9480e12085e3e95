"""Administrators invite staff, change their roles, and turn accounts off."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.access import roles_allowed
from app.auth import services
from app.auth.forms import InviteUserForm, RolesForm
from app.auth.models import User
from app.auth.roles import ADMIN, ROLE_HINTS, ROLE_LABELS
from app.database import db_session
from app.forms import ConfirmForm, apply_domain_error
from core.clock import govuk_date, now_utc
from core.errors import DomainError, NotFound
from core.outbox import queue_message

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _user_or_404(public_id: str) -> User:
    try:
        return services.get_user(db_session(), public_id)
    except NotFound:
        abort(404)


@bp.route("/users")
@roles_allowed(ADMIN)
def users() -> str:
    accounts = services.list_users(db_session())
    role_text = {
        account.id: ", ".join(sorted(ROLE_LABELS[role] for role in account.roles))
        for account in accounts
    }
    return render_template(
        "admin/users.html", users=accounts, role_text=role_text, govuk_date=govuk_date
    )


@bp.route("/users/invite", methods=["GET", "POST"])
@roles_allowed(ADMIN)
def invite() -> str | Response:
    form = InviteUserForm()
    if form.validate_on_submit():
        database = db_session()
        now = now_utc()
        try:
            link = services.invite_user(
                database,
                email=form.email.data or "",
                full_name=form.full_name.data or "",
                roles=form.roles.data or [],
                now=now,
                valid_days=current_app.config["INVITATION_DAYS"],
                actor_id=current_user.id,
            )
        except DomainError as error:
            database.rollback()
            apply_domain_error(form, error)
        else:
            url = url_for("auth.accept_invitation", token=link.token, _external=True)
            queue_message(
                database,
                channel="email",
                recipient=link.user.email,
                template="staff_invitation",
                personalisation={
                    "name": link.user.full_name,
                    "link": url,
                    "expires": govuk_date(link.expires_at),
                },
                now=now,
                reference=f"user:{link.user.public_id}",
            )
            database.commit()
            flash(
                f"Invitation sent to {link.user.email}. The link works once and expires on "
                f"{govuk_date(link.expires_at)}."
            )
            return redirect(url_for("admin.users"))
    return render_template("admin/invite.html", form=form, role_hints=ROLE_HINTS)


@bp.route("/users/<public_id>", methods=["GET", "POST"])
@roles_allowed(ADMIN)
def user(public_id: str) -> str | Response:
    account = _user_or_404(public_id)
    form = RolesForm(data={"roles": sorted(account.roles)})
    if form.validate_on_submit():
        database = db_session()
        actor = services.get_user(database, current_user.public_id)
        try:
            services.set_roles(
                database, user=account, roles=form.roles.data or [], now=now_utc(), actor=actor
            )
        except DomainError as error:
            database.rollback()
            apply_domain_error(form, error)
        else:
            database.commit()
            flash(
                f"Roles saved for {account.full_name}. Their sessions have ended so the change applies now."
            )
            return redirect(url_for("admin.users"))
    return render_template(
        "admin/user.html",
        account=account,
        form=form,
        action_form=ConfirmForm(),
        role_labels=ROLE_LABELS,
        govuk_date=govuk_date,
    )


@bp.route("/users/<public_id>/active", methods=["POST"])
@roles_allowed(ADMIN)
def toggle_active(public_id: str) -> Response:
    account = _user_or_404(public_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        database = db_session()
        actor = services.get_user(database, current_user.public_id)
        try:
            services.set_active(
                database, user=account, active=not account.is_active, now=now_utc(), actor=actor
            )
        except DomainError as error:
            database.rollback()
            flash(error.message, "error")
        else:
            database.commit()
            flash(
                f"{account.full_name}'s account is now {'active' if account.is_active else 'deactivated'}."
            )
    return redirect(url_for("admin.user", public_id=public_id))


@bp.route("/users/<public_id>/sign-out", methods=["POST"])
@roles_allowed(ADMIN)
def sign_out_user(public_id: str) -> Response:
    account = _user_or_404(public_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        database = db_session()
        services.sign_out_everywhere(
            database, user=account, now=now_utc(), actor_id=current_user.id
        )
        database.commit()
        flash(f"{account.full_name} has been signed out on every device.")
    return redirect(url_for("admin.user", public_id=public_id))


@bp.route("/users/<public_id>/two-step/reset", methods=["POST"])
@roles_allowed(ADMIN)
def reset_two_step(public_id: str) -> Response:
    """Forget a person's authenticator app (a lost or new phone); they set one up again."""
    account = _user_or_404(public_id)
    form = ConfirmForm()
    if form.validate_on_submit() and account.totp_secret is not None:
        database = db_session()
        actor = services.get_user(database, current_user.public_id)
        services.reset_two_step(database, user=account, now=now_utc(), actor=actor)
        database.commit()
        flash(
            f"{account.full_name}'s authenticator app has been reset. They will set up a new one "
            "the next time they sign in."
        )
    return redirect(url_for("admin.user", public_id=public_id))


@bp.route("/users/<public_id>/invitation", methods=["POST"])
@roles_allowed(ADMIN)
def resend_invitation(public_id: str) -> Response:
    account = _user_or_404(public_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        database = db_session()
        now = now_utc()
        link = services.reissue_invitation(
            database,
            user=account,
            now=now,
            valid_days=current_app.config["INVITATION_DAYS"],
            actor_id=current_user.id,
        )
        queue_message(
            database,
            channel="email",
            recipient=account.email,
            template="staff_invitation",
            personalisation={
                "name": account.full_name,
                "link": url_for("auth.accept_invitation", token=link.token, _external=True),
                "expires": govuk_date(link.expires_at),
            },
            now=now,
            reference=f"user:{account.public_id}",
        )
        database.commit()
        flash(f"A new invitation has been sent to {account.email}.")
    return redirect(url_for("admin.user", public_id=public_id))
