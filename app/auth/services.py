"""Account services: create and invite staff, check sign-ins, change roles, end sessions.

Services add and flush; the route or CLI command that calls them commits.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth.models import Invitation, User, UserRole
from app.auth.passwords import hash_password, needs_rehash, password_problem, verify_password
from app.auth.roles import ADMIN, ROLES
from app.auth.two_step import matching_step
from core.audit import record_event
from core.errors import Conflict, DomainError, NotFound


def normalise_email(email: str) -> str:
    """Return the address in a canonical form, or raise ``DomainError`` on the email field."""
    try:
        checked = validate_email((email or "").strip(), check_deliverability=False)
    except EmailNotValidError:
        raise DomainError(
            "Enter an email address in the correct format, like name@example.com", field="email"
        ) from None
    return checked.normalized.lower()


def _check_roles(roles: Iterable[str]) -> list[str]:
    chosen = sorted(set(roles))
    if not chosen:
        raise DomainError("Select at least one role", field="roles")
    unknown = set(chosen) - set(ROLES)
    if unknown:
        raise DomainError(f"Unknown role: {', '.join(sorted(unknown))}", field="roles")
    return chosen


def find_user_by_email(session: Session, email: str) -> User | None:
    """The user with ``email`` (case-insensitive), or ``None``."""
    return session.scalars(
        select(User).where(func.lower(User.email) == email.strip().lower())
    ).first()


def find_user_by_public_id(session: Session, public_id: str) -> User | None:
    """The user with ``public_id``, or ``None``."""
    return session.scalars(select(User).where(User.public_id == public_id)).first()


def get_user(session: Session, public_id: str) -> User:
    """The user with ``public_id``; raises ``NotFound``."""
    user = find_user_by_public_id(session, public_id)
    if user is None:
        raise NotFound("There is no such user")
    return user


def list_users(session: Session) -> list[User]:
    """Every staff account, by name."""
    return list(session.scalars(select(User).order_by(User.full_name, User.email)))


def create_user(
    session: Session,
    *,
    email: str,
    full_name: str,
    roles: Iterable[str],
    now: datetime,
    password: str | None = None,
    min_password_length: int = 12,
    hash_profile: str = "default",
    actor_id: int | None = None,
) -> User:
    """Create a staff account; with no password the person must accept an invitation first."""
    address = normalise_email(email)
    name = (full_name or "").strip()
    if not name:
        raise DomainError("Enter the person's full name", field="full_name")
    if len(name) > 200:
        raise DomainError("Full name must be 200 characters or fewer", field="full_name")
    chosen = _check_roles(roles)
    if find_user_by_email(session, address) is not None:
        raise Conflict("There is already an account with this email address", field="email")
    password_hash = None
    if password is not None:
        problem = password_problem(password, min_length=min_password_length, email=address)
        if problem:
            raise DomainError(problem, field="password")
        password_hash = hash_password(password, profile=hash_profile)
    user = User(email=address, full_name=name, password_hash=password_hash, created_at=now)
    user.role_rows = [UserRole(role=role) for role in chosen]
    session.add(user)
    session.flush()
    record_event(
        session,
        at=now,
        actor_id=actor_id,
        action="user.created",
        object_type="user",
        object_id=user.id,
        details={"roles": chosen},
    )
    return user


@dataclass(frozen=True)
class InvitationLink:
    """The invited user and the one-time token to put in their link (shown once, never stored)."""

    user: User
    token: str
    expires_at: datetime


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_user(
    session: Session,
    *,
    email: str,
    full_name: str,
    roles: Iterable[str],
    now: datetime,
    valid_days: int,
    actor_id: int | None,
) -> InvitationLink:
    """Create an account without a password and a single-use link to set one."""
    user = create_user(
        session, email=email, full_name=full_name, roles=roles, now=now, actor_id=actor_id
    )
    return reissue_invitation(session, user=user, now=now, valid_days=valid_days, actor_id=actor_id)


def reissue_invitation(
    session: Session, *, user: User, now: datetime, valid_days: int, actor_id: int | None
) -> InvitationLink:
    """Replace any unused invitation of ``user`` with a new one."""
    for old in session.scalars(
        select(Invitation).where(Invitation.user_id == user.id, Invitation.used_at.is_(None))
    ):
        old.used_at = now
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(days=valid_days)
    session.add(
        Invitation(
            user_id=user.id,
            token_hash=_token_hash(token),
            created_at=now,
            expires_at=expires,
            created_by_id=actor_id,
        )
    )
    session.flush()
    return InvitationLink(user=user, token=token, expires_at=expires)


def find_invitation(session: Session, token: str, *, now: datetime) -> Invitation | None:
    """The unused, unexpired invitation for ``token``, or ``None``."""
    invitation = session.scalars(
        select(Invitation).where(Invitation.token_hash == _token_hash(token))
    ).first()
    if invitation is None or invitation.used_at is not None or invitation.expires_at <= now:
        return None
    return invitation


def accept_invitation(
    session: Session,
    *,
    token: str,
    password: str,
    now: datetime,
    min_password_length: int,
    council: str = "",
    hash_profile: str = "default",
) -> User:
    """Set the invited person's password; the link then stops working."""
    invitation = find_invitation(session, token, now=now)
    if invitation is None:
        raise NotFound(
            "This link has expired or has already been used. Ask an administrator for a new one."
        )
    user = session.get(User, invitation.user_id)
    if user is None or not user.is_active:
        raise NotFound("This account is no longer active.")
    problem = password_problem(
        password, min_length=min_password_length, email=user.email, council=council
    )
    if problem:
        raise DomainError(problem, field="password")
    user.password_hash = hash_password(password, profile=hash_profile)
    user.session_epoch += 1
    invitation.used_at = now
    record_event(
        session,
        at=now,
        actor_id=user.id,
        action="user.invitation_accepted",
        object_type="user",
        object_id=user.id,
    )
    return user


def authenticate(
    session: Session, *, email: str, password: str, now: datetime, hash_profile: str = "default"
) -> User | None:
    """The user whose email and password match, or ``None`` (the same for every kind of failure)."""
    user = find_user_by_email(session, email or "")
    stored = user.password_hash if user is not None and user.is_active else None
    if not verify_password(stored, password or "", profile=hash_profile) or user is None:
        return None
    if stored and needs_rehash(stored, profile=hash_profile):
        user.password_hash = hash_password(password, profile=hash_profile)
    user.last_signed_in_at = now
    return user


def set_roles(
    session: Session, *, user: User, roles: Iterable[str], now: datetime, actor: User
) -> None:
    """Replace ``user``'s roles; their sessions end so the change applies at once."""
    chosen = _check_roles(roles)
    if user.id == actor.id and ADMIN not in chosen:
        raise DomainError("You cannot remove your own administrator role", field="roles")
    before = sorted(user.roles)
    user.role_rows = [row for row in user.role_rows if row.role in chosen]
    existing = {row.role for row in user.role_rows}
    user.role_rows.extend(UserRole(role=role) for role in chosen if role not in existing)
    user.session_epoch += 1
    session.flush()
    record_event(
        session,
        at=now,
        actor_id=actor.id,
        action="user.roles_changed",
        object_type="user",
        object_id=user.id,
        details={"before": before, "after": chosen},
    )


def set_active(session: Session, *, user: User, active: bool, now: datetime, actor: User) -> None:
    """Turn an account off (its sessions end at once) or back on."""
    if user.id == actor.id and not active:
        raise DomainError("You cannot deactivate your own account", field="active")
    user.is_active = active
    user.session_epoch += 1
    record_event(
        session,
        at=now,
        actor_id=actor.id,
        action="user.activated" if active else "user.deactivated",
        object_type="user",
        object_id=user.id,
    )


def sign_out_everywhere(
    session: Session, *, user: User, now: datetime, actor_id: int | None
) -> None:
    """End every session of ``user`` on every device."""
    user.session_epoch += 1
    record_event(
        session,
        at=now,
        actor_id=actor_id,
        action="user.signed_out_everywhere",
        object_type="user",
        object_id=user.id,
    )


# --- two-step sign-in ---------------------------------------------------------------------------


def needs_two_step_set_up(user: User, *, required: bool) -> bool:
    """Whether ``user`` must set up an authenticator app before their sign-in finishes."""
    return required and user.totp_secret is None


def confirm_two_step(
    session: Session, *, user: User, secret: str, code: str, now: datetime
) -> bool:
    """Set up ``user``'s authenticator app if ``code`` is its current code; say whether it was."""
    step = matching_step(secret, code, now=now, last_step=None)
    if step is None:
        return False
    user.totp_secret = secret
    user.totp_last_step = step
    user.totp_enrolled_at = now
    record_event(
        session,
        at=now,
        actor_id=user.id,
        action="user.two_step_set_up",
        object_type="user",
        object_id=user.id,
    )
    return True


def check_two_step(session: Session, *, user: User, code: str, now: datetime) -> bool:
    """Accept ``code`` from ``user``'s app once; record a refused code in the audit trail."""
    step = (
        matching_step(user.totp_secret, code, now=now, last_step=user.totp_last_step)
        if user.totp_secret
        else None
    )
    if step is None:
        record_event(
            session,
            at=now,
            actor_id=user.id,
            action="user.two_step_refused",
            object_type="user",
            object_id=user.id,
        )
        return False
    user.totp_last_step = step
    return True


def reset_two_step(session: Session, *, user: User, now: datetime, actor: User) -> None:
    """Forget ``user``'s authenticator app (lost phone): they set one up at their next sign-in.

    Their sessions end at once, so a stolen session cannot outlive the old app.
    """
    user.totp_secret = None
    user.totp_last_step = None
    user.totp_enrolled_at = None
    user.session_epoch += 1
    record_event(
        session,
        at=now,
        actor_id=actor.id,
        action="user.two_step_reset",
        object_type="user",
        object_id=user.id,
    )
