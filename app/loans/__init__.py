"""Device and data loans on the web: residents ask to borrow, coordinators lend and take back.

Residents (no account) ask to borrow a device, data or both, one question per page; the council's
eligibility rules answer at once, kindly, with where else to get help when the answer is no.
Champions refer residents through the same questions, up to the council's limit of open
referrals.  Coordinators keep the inventory (devices, wipes, kits), work the waiting list in
order of need, lend against the loan agreement, renew and take items back.  Coordinators,
planners, administrators and councillors (small numbers suppressed) read the reports.  The rules
live in the ``device_loans`` domain package; this package is pages, forms, the CLI and the demo.

Settings (``app.config``, with defaults set by ``register``; see ``app.loans.config``):

``LOAN_POLICY`` / ``LOAN_POLICY_FILE``
    The council's loan rules (eligibility, loan lengths, limits, reminders, retention), as a
    mapping for ``LoanPolicy.from_mapping`` or a JSON/TOML file; the defaults otherwise.
``LOAN_AGREEMENT_VERSION``
    The version of the loan agreement borrowers accept at handover ("v1").
``LOAN_RESPONSE_TIME``
    What residents are told about when they will hear back ("within 10 working days").
``LOAN_DUE_SOON_DAYS``
    How far ahead the "due soon" list looks (7 days).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

DEMO_ORDER = 30


def register(app: Flask) -> None:
    """Plug the loans pages, commands and navigation into ``app``."""
    from app.loans.cli import loans_cli
    from app.loans.cli import purge as loans_purge
    from app.loans.config import init_policy
    from app.loans.routes_public import bp as public_bp
    from app.loans.routes_staff import bp as staff_bp
    from app.navigation import nav_item, start_link
    from app.retention import retention_job

    init_policy(app)
    app.register_blueprint(public_bp)
    app.register_blueprint(staff_bp)
    app.cli.add_command(loans_cli)
    retention_job(app, loans_purge)
    nav_item(app, "Device loans", "loans.index", order=40)
    nav_item(app, "Refer for a device", "loans.referrals", order=41)
    nav_item(app, "Loan reports", "loans.reports", order=42)
    start_link(app, "Borrow a device or data", "loans_public.ask_start")


def load_demo(*, seed: int, echo: Callable[[str], None]) -> None:
    """Add a realistic inventory with a year of loans (once; skipped if devices exist)."""
    from app.loans.demo import load_demo_loans

    load_demo_loans(seed=seed, echo=echo)
