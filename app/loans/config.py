"""The council's loan rules and the loans settings, read from ``app.config``.

``LOAN_POLICY`` may be left out (the defaults of ``device_loans.config.DEFAULT_POLICY``), a
``LoanPolicy``, or a JSON-like mapping checked by ``LoanPolicy.from_mapping``.
``LOAN_POLICY_FILE`` may instead name a ``.json`` or ``.toml`` file holding that mapping.  A
policy that cannot be used stops the application at start-up with every problem listed, so a
typo in the council's rules never reaches a resident.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from app.config import ConfigError, apply_feature_defaults
from device_loans.config import DEFAULT_POLICY, LoanPolicy, LoanPolicyError

DEFAULTS: dict[str, object] = {
    # The council's loan rules (see the module docstring); None means the defaults.
    "LOAN_POLICY": None,
    "LOAN_POLICY_FILE": None,
    # The version of the loan agreement borrowers accept at handover.
    "LOAN_AGREEMENT_VERSION": "v1",
    # What residents are told about when they will hear back.
    "LOAN_RESPONSE_TIME": "within 10 working days",
    # Days ahead that the "due soon" list looks.
    "LOAN_DUE_SOON_DAYS": 7,
}

_CACHE = "loans_policy"


def _read_file(path: Path) -> Mapping[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"LOAN_POLICY_FILE {path} cannot be read: {error}") from None
    try:
        data: object = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as error:
        raise ConfigError(f"LOAN_POLICY_FILE {path} is not valid: {error}") from None
    if not isinstance(data, Mapping):
        raise ConfigError(f"LOAN_POLICY_FILE {path} must hold a table of settings")
    return data


def policy_from_config(config: Mapping[str, Any]) -> LoanPolicy:
    """Build the council's ``LoanPolicy`` from settings; raise ``ConfigError`` naming each problem."""
    raw = config.get("LOAN_POLICY")
    path = config.get("LOAN_POLICY_FILE")
    if raw is not None and path:
        raise ConfigError("Set LOAN_POLICY or LOAN_POLICY_FILE, not both.")
    if path:
        raw = _read_file(Path(str(path)))
    if raw is None:
        return DEFAULT_POLICY
    if isinstance(raw, LoanPolicy):
        return raw
    if not isinstance(raw, Mapping):
        raise ConfigError(
            f"LOAN_POLICY must be a table of settings or a LoanPolicy (got {type(raw).__name__})."
        )
    try:
        return LoanPolicy.from_mapping(raw)
    except LoanPolicyError as error:
        raise ConfigError(str(error)) from None
    except TypeError as error:
        # A value of the wrong shape inside a nested table (for example need_weights).
        raise ConfigError(f"The device loans configuration is not usable: {error}") from None


def init_policy(app: Flask) -> None:
    """Check the loan policy when the app starts, so a bad one stops it with a clear message."""
    apply_feature_defaults(app.config, DEFAULTS)
    policy = policy_from_config(app.config)
    app.extensions[_CACHE] = (
        app.config.get("LOAN_POLICY"),
        app.config.get("LOAN_POLICY_FILE"),
        policy,
    )


def loan_policy() -> LoanPolicy:
    """The council's loan policy for the current app (rebuilt if the settings were changed)."""
    app = current_app
    source = (app.config.get("LOAN_POLICY"), app.config.get("LOAN_POLICY_FILE"))
    cached = app.extensions.get(_CACHE)
    if cached is not None and cached[0] is source[0] and cached[1] == source[1]:
        policy: LoanPolicy = cached[2]
        return policy
    policy = policy_from_config(app.config)
    app.extensions[_CACHE] = (*source, policy)
    return policy


def agreement_version() -> str:
    """The version of the loan agreement in use."""
    return str(current_app.config.get("LOAN_AGREEMENT_VERSION") or "v1")
