"""Configuration, read from the environment here and nowhere else.

``DATABASE_URL`` names the database (a SQLite file under ``instance/`` by default) and
``SECRET_KEY`` signs sessions.  ``APP_ENV=production`` turns on secure cookies and refuses to
start without a strong secret key.

Every other setting, the shared ones in :func:`base_settings` that a council may change and each
feature's own (``CHAMPIONS_RETENTION_DAYS``, ``LOAN_POLICY_FILE``, ``COVERAGE_...``), is read from
an environment variable of the same name when one is set, as the type of its default: a whole
number, a decimal, ``true``/``false``, JSON for tables and lists, or text.  A value that cannot be
read stops the start-up with a message naming the variable.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any

DEV_SECRET_KEY = "dev-only-not-secret-change-me-dev-only-not-secret"  # noqa: S105 - a known dev value
MIN_SECRET_KEY_LENGTH = 32


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message says which setting and what to do."""


def _instance_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "instance"


def _bool(value: str | None, default: bool) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


_TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
_FALSE_WORDS = frozenset({"0", "false", "no", "off"})

# Shared settings a council may set in the environment.  The cookie and CSRF settings are left
# out on purpose: they are security decisions of the code, not of a deployment.
ENVIRONMENT_SETTINGS = (
    "SERVICE_NAME",
    "COUNCIL_NAME",
    "MAX_CONTENT_LENGTH",
    "IDLE_TIMEOUT_MINUTES",
    "ABSOLUTE_TIMEOUT_HOURS",
    "SIGN_IN_RATE_LIMIT",
    "PUBLIC_FORM_RATE_LIMIT",
    "PASSWORD_MIN_LENGTH",
    "INVITATION_DAYS",
    "SMALL_NUMBER_THRESHOLD",
    "MAP_TILES_ONLINE",
    "AUDIT_RETENTION_DAYS",
    "OUTBOX_RETENTION_DAYS",
)


def setting_from_environment(key: str, default: object) -> object:
    """The environment variable ``key`` read as the type of ``default``; ``default`` when unset.

    Booleans take ``true/false/yes/no/on/off/1/0``; whole numbers and decimals as written; a
    table, list or tuple default takes JSON; a setting whose default is ``None`` takes JSON when
    the value starts with ``{`` or ``[``, ``none`` or nothing for ``None``, and text otherwise.

    Raises
    ------
    ConfigError
        When the value cannot be read as that type; the message names the variable.
    """
    raw = os.environ.get(key)
    if raw is None:
        return default
    text = raw.strip()
    try:
        if isinstance(default, bool):
            if text.lower() in _TRUE_WORDS:
                return True
            if text.lower() in _FALSE_WORDS:
                return False
            raise ValueError("use true or false")
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float):
            return float(text)
        if isinstance(default, dict | list | tuple):
            value = json.loads(text)
            if not isinstance(value, dict if isinstance(default, dict) else list):
                kind = "a JSON object" if isinstance(default, dict) else "a JSON list"
                raise ValueError(f"use {kind}")
            return tuple(value) if isinstance(default, tuple) else value
        if default is None:
            if text.lower() in {"", "none"}:
                return None
            if text[:1] in {"{", "["}:
                return json.loads(text)
        return raw
    except ValueError as error:
        expected = type(default).__name__ if default is not None else "text or JSON"
        raise ConfigError(
            f"The environment variable {key}={raw!r} cannot be read as {expected}: {error}."
        ) from None


def apply_feature_defaults(
    config: MutableMapping[str, Any], defaults: Mapping[str, object]
) -> None:
    """Give each of a feature's settings its value: one already in ``config`` (set by the
    caller of ``create_app``), else the environment variable of that name, else the default."""
    for key, default in defaults.items():
        if key not in config:
            config[key] = setting_from_environment(key, default)


def base_settings() -> dict[str, Any]:
    """Settings shared by every environment (values that do not come from the environment)."""
    return {
        "SERVICE_NAME": "Digital Inclusion Planner",
        "COUNCIL_NAME": "Demo Borough Council",
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session (slow users)
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_DURATION": 0,
        "MAX_CONTENT_LENGTH": 10 * 1024 * 1024,
        "IDLE_TIMEOUT_MINUTES": 30,
        "ABSOLUTE_TIMEOUT_HOURS": 12,
        "SIGN_IN_RATE_LIMIT": "5 per minute;20 per hour",
        "PUBLIC_FORM_RATE_LIMIT": "20 per minute;200 per hour",
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "PASSWORD_MIN_LENGTH": 12,
        "PASSWORD_HASH_PROFILE": "default",
        "INVITATION_DAYS": 7,
        "SMALL_NUMBER_THRESHOLD": 10,
        "NOTIFY_API_KEY": None,
        "MAP_TILES_ONLINE": True,
        # Days audit rows are kept, and days a finished message keeps its recipient
        # (`flask --app app retention logs`): placeholders for the council's records manager.
        "AUDIT_RETENTION_DAYS": 730,
        "OUTBOX_RETENTION_DAYS": 90,
    }


def load_config(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Build the configuration from the environment, then apply ``overrides`` (used by tests).

    Raises
    ------
    ConfigError
        In production, when ``SECRET_KEY`` is missing, shorter than 32 characters or a known
        development value.
    """
    settings = base_settings()
    for key in ENVIRONMENT_SETTINGS:
        settings[key] = setting_from_environment(key, settings[key])
    env = os.environ.get("APP_ENV", "development")
    settings["ENV_NAME"] = env
    settings["DATABASE_URL"] = os.environ.get(
        "DATABASE_URL", f"sqlite:///{_instance_dir() / 'planner.sqlite3'}"
    )
    settings["SECRET_KEY"] = os.environ.get("SECRET_KEY") or (
        None if env == "production" else DEV_SECRET_KEY
    )
    settings["NOTIFY_API_KEY"] = os.environ.get("NOTIFY_API_KEY") or None
    if os.environ.get("RATELIMIT_STORAGE_URI"):
        settings["RATELIMIT_STORAGE_URI"] = os.environ["RATELIMIT_STORAGE_URI"]
    secure = env == "production"
    settings["SESSION_COOKIE_SECURE"] = _bool(os.environ.get("SESSION_COOKIE_SECURE"), secure)
    settings["SESSION_COOKIE_NAME"] = (
        "__Host-session" if settings["SESSION_COOKIE_SECURE"] else "session"
    )
    settings["PREFERRED_URL_SCHEME"] = "https" if secure else "http"
    # Staff give a code from an authenticator app after their password (reference S-23).  On by
    # default in production; off elsewhere so the demo accounts work without a phone.
    settings["MFA_REQUIRED"] = setting_from_environment("MFA_REQUIRED", env == "production")
    if os.environ.get("TRUSTED_HOSTS"):
        settings["TRUSTED_HOSTS"] = [h.strip() for h in os.environ["TRUSTED_HOSTS"].split(",")]
    if overrides:
        settings.update(overrides)
    validate(settings)
    return settings


def validate(settings: Mapping[str, Any]) -> None:
    """Refuse settings that would make the service unsafe to run."""
    key = settings.get("SECRET_KEY")
    if settings.get("ENV_NAME") == "production":
        if not key:
            raise ConfigError(
                "Set SECRET_KEY to at least 32 random characters before starting in production."
            )
        if len(str(key)) < MIN_SECRET_KEY_LENGTH or key == DEV_SECRET_KEY:
            raise ConfigError(
                "SECRET_KEY is too weak for production: use at least 32 random characters, "
                "for example from `python -c 'import secrets; print(secrets.token_hex(32))'`."
            )
        if (
            settings.get("RATELIMIT_STORAGE_URI", "").startswith("memory://")
            and int(os.environ.get("WEB_CONCURRENCY", "1")) > 1
        ):
            raise ConfigError(
                "Use a shared RATELIMIT_STORAGE_URI (Redis) when running more than one worker."
            )
    elif not key:
        raise ConfigError("SECRET_KEY is empty.")
