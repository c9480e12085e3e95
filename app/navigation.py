"""Service navigation: the links each role sees in the header.

Blueprints add their entries with ``nav_item``; the header shows those the signed-in user's roles
allow and whose endpoint exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, request, url_for

from app.access import rule_for, user_roles


@dataclass(frozen=True)
class NavItem:
    """One link in the service navigation."""

    label: str
    endpoint: str
    order: int


def nav_item(app: Flask, label: str, endpoint: str, *, order: int) -> None:
    """Register a navigation link (shown to the roles the endpoint's access rule allows)."""
    app.extensions.setdefault("nav_items", []).append(NavItem(label, endpoint, order))


def navigation_for(app: Flask) -> list[dict[str, object]]:
    """The navigation links for the current user, as govukServiceNavigation items."""
    roles = user_roles()
    if not roles:
        return []
    items = []
    for item in sorted(app.extensions.get("nav_items", []), key=lambda entry: entry.order):
        rule = rule_for(app, item.endpoint)
        if rule is None or not (rule.public or rule.roles & roles):
            continue
        href = url_for(item.endpoint)
        items.append(
            {
                "text": item.label,
                "href": href,
                "active": request.path == href or request.path.startswith(href.rstrip("/") + "/"),
            }
        )
    return items


def start_link(app: Flask, text: str, endpoint: str) -> None:
    """Add a start button for residents to the start page (for example "Book a session")."""
    app.extensions.setdefault("start_links", []).append((text, endpoint))
