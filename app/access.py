"""Access rules: every route names the roles that may use it, or says it is public.

A route with no rule is refused (deny by default).  The role matrix test walks ``app.url_map``
and fails when a route has no rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, abort, current_app, redirect, request, url_for
from flask_login import current_user

from app.auth.roles import ROLES

F = TypeVar("F", bound=Callable[..., Any])
PUBLIC_ENDPOINTS = frozenset({"static"})


@dataclass(frozen=True)
class AccessRule:
    """Who may use a route: everyone (``public``) or the listed roles."""

    public: bool
    roles: frozenset[str]


def public(view: F) -> F:
    """Mark a route as open to everyone, residents included (no account needed)."""
    view.access_rule = AccessRule(public=True, roles=frozenset())  # type: ignore[attr-defined]
    return view


def roles_allowed(*roles: str) -> Callable[[F], F]:
    """Allow a route to signed-in staff holding at least one of ``roles``."""
    unknown = set(roles) - set(ROLES)
    if unknown or not roles:
        raise ValueError(f"unknown or no roles: {sorted(unknown)}")

    def decorate(view: F) -> F:
        view.access_rule = AccessRule(public=False, roles=frozenset(roles))  # type: ignore[attr-defined]
        return view

    return decorate


def signed_in(view: F) -> F:
    """Allow a route to any signed-in member of staff, whatever their role."""
    return roles_allowed(*ROLES)(view)


def rule_for(app: Flask, endpoint: str) -> AccessRule | None:
    """The access rule of ``endpoint``, or ``None`` when it declares none."""
    if endpoint in PUBLIC_ENDPOINTS:
        return AccessRule(public=True, roles=frozenset())
    view = app.view_functions.get(endpoint)
    return getattr(view, "access_rule", None)


def user_roles() -> frozenset[str]:
    """Roles of the signed-in user (read from the database on each request), or none."""
    if not current_user.is_authenticated:
        return frozenset()
    roles: frozenset[str] = current_user.roles
    return roles


def has_role(*roles: str) -> bool:
    """True when the signed-in user holds any of ``roles``."""
    return bool(user_roles() & set(roles))


def check_access() -> Any:
    """``before_request`` hook: enforce the rule of the endpoint being called."""
    endpoint = request.endpoint
    if endpoint is None:
        return None  # no route matched: the 404 handler answers
    rule = rule_for(current_app, endpoint)
    if rule is None:
        current_app.logger.error("route %s declares no access rule: refused", endpoint)
        abort(403)
    if rule.public:
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
    if not (user_roles() & rule.roles):
        abort(403)
    return None


def allowed_roles_text(roles: Iterable[str]) -> str:
    """A readable list of roles, for help text."""
    return ", ".join(sorted(roles))
