"""Error pages in the house style: nothing a user sends produces a traceback."""

from __future__ import annotations

from flask import Flask, current_app, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

PAGES = {
    400: ("Sorry, there is a problem with your request", "errors/error.html"),
    403: ("You do not have permission to see this page", "errors/error.html"),
    404: ("Page not found", "errors/error.html"),
    405: ("Sorry, there is a problem with your request", "errors/error.html"),
    413: ("The file you sent is too big", "errors/error.html"),
    429: ("Too many attempts", "errors/error.html"),
    500: ("Sorry, there is a problem with the service", "errors/error.html"),
}


def _render(status: int, error: BaseException | None = None) -> tuple[str, int, dict[str, str]]:
    title, template = PAGES.get(status, PAGES[500] if status >= 500 else PAGES[400])
    headers: dict[str, str] = {}
    if isinstance(error, HTTPException):
        headers = {
            key: value
            for key, value in error.get_headers()
            if key.lower() in {"allow", "retry-after"}
        }
    if status == 429:
        headers.setdefault("Retry-After", "60")
    return render_template(template, title=title, status=status), status, headers


def init_errors(app: Flask) -> None:
    """Register the error handlers on ``app``."""

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int, dict[str, str]]:
        current_app.logger.warning("CSRF check failed: %s", error.description)
        return _render(400, error)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int, dict[str, str]]:
        return _render(error.code or 500, error)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> tuple[str, int, dict[str, str]]:
        current_app.logger.exception("unexpected error")
        return _render(500, error)
