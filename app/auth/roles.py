"""The staff roles and what each is called on screen."""

from __future__ import annotations

ADMIN = "admin"
COORDINATOR = "coordinator"
CHAMPION = "champion"
PLANNER = "planner"
COUNCILLOR = "councillor"

ROLES: tuple[str, ...] = (ADMIN, COORDINATOR, CHAMPION, PLANNER, COUNCILLOR)

ROLE_LABELS = {
    ADMIN: "Administrator",
    COORDINATOR: "Champions coordinator",
    CHAMPION: "Digital Champion",
    PLANNER: "Place and connectivity planner",
    COUNCILLOR: "Councillor (read only)",
}

ROLE_HINTS = {
    ADMIN: "Invites staff and changes their roles.",
    COORDINATOR: "Runs the champions network, sessions, bookings and device loans.",
    CHAMPION: "Logs help given to residents and books residents onto sessions.",
    PLANNER: "Maps coverage and exclusion, and plans interventions and venues.",
    COUNCILLOR: "Reads ward maps and profiles, with small numbers suppressed.",
}

# Roles that see figures with small numbers shown in full (they work with the records anyway).
STAFF_DETAIL_ROLES = frozenset({ADMIN, COORDINATOR, PLANNER})
