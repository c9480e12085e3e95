"""Residents' pages: ask to borrow a device or data, with no account (``/borrow/...``).

One question per page; the answers stay in the Flask session until the check answers page sends
the request.  Every POST is rate-limited per address (``PUBLIC_FORM_RATE_LIMIT``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app, render_template
from werkzeug.wrappers import Response

from app.access import public
from app.extensions import limiter
from app.loans import journey
from app.loans.config import loan_policy

bp = Blueprint("loans_public", __name__, url_prefix="/borrow")
MODE = journey.PUBLIC


def _limited(view: Callable[..., Any]) -> Callable[..., Any]:
    return limiter.limit(lambda: current_app.config["PUBLIC_FORM_RATE_LIMIT"], methods=["POST"])(
        view
    )


@bp.route("")
@public
def ask_start() -> str:
    """Start page: what can be borrowed, who can borrow, and what we will ask."""
    policy = loan_policy()
    return render_template(
        "loans/ask/start.html",
        mode=MODE,
        policy=policy,
        first_url=MODE.url("need"),
        in_progress=bool(journey.stored_answers(MODE).get("need")),
    )


def _step_view(step: str) -> Callable[[], str | Response]:
    def view() -> str | Response:
        return journey.question(MODE, step)

    view.__name__ = view.__qualname__ = f"ask_{step}"
    view.__doc__ = f"Question page: {step.replace('_', ' ')}."
    return view


for _step in journey.STEPS:
    if _step == "referrer":
        continue
    bp.add_url_rule(
        f"/{journey.SLUGS[_step]}",
        endpoint=f"ask_{_step}",
        view_func=public(_limited(_step_view(_step))),
        methods=["GET", "POST"],
    )


@bp.route("/cannot-borrow")
@public
def ask_not_eligible() -> str | Response:
    """Why the resident cannot borrow, and where else to get help."""
    return journey.not_eligible(MODE)


@bp.route("/check-answers", methods=["GET", "POST"])
@public
@_limited
def ask_check() -> str | Response:
    """Check answers and send the request (once)."""
    return journey.check(MODE)


@bp.route("/request-sent")
@public
def ask_confirmation() -> str | Response:
    """The confirmation page, with the request's reference."""
    return journey.confirmation(MODE)
