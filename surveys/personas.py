"""The six resident personas: readable rules that a council can edit.

A persona configuration is a plain dict (the same structure as YAML or JSON), so a council can keep
it in a file and change it without touching code::

    version: "2026.1"
    personas:
      - key: techy_terry
        name: Techy Terry
        description: ...
        rules:
          - {field: gds_scale, op: ">=", value: 9}
      ...
      - key: offline_olive
        name: Offline Olive
        description: ...
        rules: []          # the last persona is the fallback and has no rules

Each respondent gets exactly one persona: the **first** persona, from the top, whose rules **all**
hold.  The last persona has no rules and takes everyone left.  Rules refer to the fields of
:func:`surveys.scoring.score_responses` listed in :data:`surveys.scoring.SCORED_FIELDS`; operators
are ``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=`` (numbers and ordered codes such as ``eds_level``),
``in`` and ``not_in`` (a list of values).

The default personas run from most to least online, and map to the GDS scale and EDS levels as the
domain research suggests (Techy Terry about GDS 9 with EDS Work; Confident Kate GDS 8; the middle
personas below; Offline Olive, who does not use the internet, GDS 1-3):

1. **Techy Terry**: GDS 9 (expert).
2. **Confident Kate**: GDS 8 (confident, EDS for Life, online at least weekly).
3. **Mobile-only Mo**: online, but only through a smartphone: no home broadband, or no tablet or
   computer (the MDLS basket needs both for many tasks, such as forms and job applications).
4. **Learning Lin**: online, below confident, and would like help to learn.
5. **Reluctant Reg**: online, below confident, and does not want help.
6. **Offline Olive**: everyone left, which with the default rules is exactly the people who never
   go online.

Each assignment comes with reasons in words: the rules that matched, or for the fallback persona
the first rule that failed for each persona above it.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.errors import DomainError
from surveys.scoring import SCORED_FIELDS, ScoredField

OPERATORS = ("==", "!=", "<", "<=", ">", ">=", "in", "not_in")
"""Operators a persona rule may use."""

_NEGATION = {
    "==": "!=",
    "!=": "==",
    "<": ">=",
    "<=": ">",
    ">": "<=",
    ">=": "<",
    "in": "not_in",
    "not_in": "in",
}

DEFAULT_PERSONAS: dict[str, Any] = {
    "version": "2026.1",
    "personas": [
        {
            "key": "techy_terry",
            "name": "Techy Terry",
            "description": "An expert: online every day, very confident, with the skills for "
            "life and work.",
            "rules": [{"field": "gds_scale", "op": ">=", "value": 9}],
        },
        {
            "key": "confident_kate",
            "name": "Confident Kate",
            "description": "Confident online most days, with the essential skills for everyday "
            "life.",
            "rules": [{"field": "gds_scale", "op": ">=", "value": 8}],
        },
        {
            "key": "mobile_only_mo",
            "name": "Mobile-only Mo",
            "description": "Gets online only through a smartphone, without home broadband or a "
            "tablet or computer.",
            "rules": [
                {"field": "online", "op": "==", "value": True},
                {"field": "mobile_dependent", "op": "==", "value": True},
            ],
        },
        {
            "key": "learning_lin",
            "name": "Learning Lin",
            "description": "Online but needs help with some tasks, and would like to learn.",
            "rules": [
                {"field": "online", "op": "==", "value": True},
                {"field": "willing_to_learn", "op": "==", "value": True},
            ],
        },
        {
            "key": "reluctant_reg",
            "name": "Reluctant Reg",
            "description": "Can get online but does little, and does not want help to do more.",
            "rules": [
                {"field": "online", "op": "==", "value": True},
                {"field": "willing_to_learn", "op": "==", "value": False},
            ],
        },
        {
            "key": "offline_olive",
            "name": "Offline Olive",
            "description": "Does not use the internet.",
            "rules": [],
        },
    ],
}
"""The default persona configuration (version ``2026.1``)."""


@dataclass(frozen=True)
class Rule:
    """One condition on a scored field, validated."""

    field: str
    op: str
    value: Any

    def text(self, *, negated: bool = False) -> str:
        """Return the rule in words, or its opposite with ``negated=True``."""
        spec = SCORED_FIELDS[self.field]
        op = _NEGATION[self.op] if negated else self.op
        if spec.kind == "bool":
            holds = (op == "==") == bool(self.value)
            return spec.true_text if holds else spec.false_text
        words = {
            "==": "is",
            "!=": "is not",
            "<": "is below",
            "<=": "is at most",
            ">": "is above",
            ">=": "is at least",
            "in": "is one of",
            "not_in": "is none of",
        }[op]
        value = ", ".join(str(v) for v in self.value) if op in ("in", "not_in") else self.value
        return f"{spec.label} {words} {value}"

    def evaluate(self, scored: pd.DataFrame) -> np.ndarray:
        """Return a boolean array: does the rule hold for each row of the scored table."""
        spec = SCORED_FIELDS[self.field]
        column = scored[self.field]
        if spec.kind == "ordered":
            order = {code: rank for rank, code in enumerate(spec.codes)}
            ranks = column.astype(object).map(order)
            present = ranks.notna().to_numpy()
            values = ranks.fillna(-1).to_numpy(dtype=float)
            target: Any = (
                [order[v] for v in self.value] if self.op in ("in", "not_in") else order[self.value]
            )
        else:
            present = column.notna().to_numpy()
            values = column.to_numpy(dtype=object)
            target = list(self.value) if self.op in ("in", "not_in") else self.value
        if self.op == "in":
            result = np.isin(values, target)
        elif self.op == "not_in":
            result = ~np.isin(values, target)
        else:
            compare = {
                "==": np.equal,
                "!=": np.not_equal,
                "<": np.less,
                "<=": np.less_equal,
                ">": np.greater,
                ">=": np.greater_equal,
            }[self.op]
            result = np.asarray(compare(values, target), dtype=bool)
        # A missing value satisfies no rule, except "not_in" and "!=" (it is not the value).
        if self.op in ("not_in", "!="):
            return np.asarray(result | ~present, dtype=bool)
        return np.asarray(result & present, dtype=bool)


@dataclass(frozen=True)
class Persona:
    """A validated persona: ``key``, ``name``, one-line ``description`` and its rules."""

    key: str
    name: str
    description: str
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class PersonaConfig:
    """A validated persona configuration, first match wins, the last persona is the fallback."""

    version: str
    personas: tuple[Persona, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        """Persona keys in order."""
        return tuple(persona.key for persona in self.personas)

    @property
    def names(self) -> dict[str, str]:
        """Persona key -> name."""
        return {persona.key: persona.name for persona in self.personas}


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.casefold()).strip("_")


def _check_value(spec: ScoredField, op: str, value: Any, where: str) -> Any:
    def one(item: Any) -> Any:
        if spec.kind == "bool":
            if not isinstance(item, bool):
                raise DomainError(
                    f"{where}: {spec.name} is yes/no, so the value must be true or false, not {item!r}."
                )
            return item
        if spec.kind == "int":
            if isinstance(item, bool) or not isinstance(item, int | float) or item != int(item):
                raise DomainError(f"{where}: {spec.name} is a whole number, not {item!r}.")
            if not spec.minimum <= item <= spec.maximum:
                raise DomainError(
                    f"{where}: {spec.name} runs from {spec.minimum} to {spec.maximum}, "
                    f"so {item!r} can never match."
                )
            return int(item)
        if item not in spec.codes:
            raise DomainError(
                f"{where}: {item!r} is not a value of {spec.name}; use one of "
                f"{', '.join(spec.codes)}."
            )
        return item

    if op in ("in", "not_in"):
        if isinstance(value, str) or not isinstance(value, Sequence) or not value:
            raise DomainError(f"{where}: '{op}' needs a list of values, not {value!r}.")
        return tuple(one(item) for item in value)
    if spec.kind == "bool" and op not in ("==", "!="):
        raise DomainError(f"{where}: {spec.name} is yes/no, so use == or != rather than {op!r}.")
    if spec.kind == "code" and op not in ("==", "!="):
        raise DomainError(
            f"{where}: {spec.name} has no order, so use ==, !=, in or not_in rather than {op!r}."
        )
    return one(value)


def validate_persona_config(config: Mapping[str, Any]) -> PersonaConfig:
    """Check an edited persona configuration and return it validated.

    Parameters
    ----------
    config:
        A dict shaped like :data:`DEFAULT_PERSONAS` (as read from YAML or JSON).

    Returns
    -------
    PersonaConfig

    Raises
    ------
    DomainError
        Naming the persona and rule at fault: an unknown field or operator, a value of the wrong
        kind, a non-fallback persona without rules, a fallback with rules, or repeated names.
    """
    if not isinstance(config, Mapping):
        raise DomainError("The persona configuration must be a mapping with a 'personas' list.")
    unknown_top = set(config) - {"version", "personas"}
    if unknown_top:
        raise DomainError(
            f"Unknown setting(s) {', '.join(sorted(map(str, unknown_top)))}: "
            "use only 'version' and 'personas'."
        )
    items = config.get("personas")
    if not isinstance(items, Sequence) or isinstance(items, str) or len(items) < 2:
        raise DomainError(
            "'personas' must list at least two personas, the last being the fallback."
        )
    personas: list[Persona] = []
    seen_keys: set[str] = set()
    seen_names: set[str] = set()
    for number, item in enumerate(items, start=1):
        if not isinstance(item, Mapping):
            raise DomainError(f"Persona {number} must be a mapping with name, description, rules.")
        name = item.get("name")
        label = f"Persona {number}" + (f" ({name})" if isinstance(name, str) and name else "")
        unknown_keys = set(item) - {"key", "name", "description", "rules"}
        if unknown_keys:
            raise DomainError(
                f"{label}: unknown setting(s) {', '.join(sorted(map(str, unknown_keys)))}."
            )
        if not isinstance(name, str) or not name.strip():
            raise DomainError(f"{label}: give the persona a name.")
        description = item.get("description")
        if not isinstance(description, str) or not description.strip():
            raise DomainError(f"{label}: give a one-line description.")
        if "\n" in description.strip():
            raise DomainError(f"{label}: the description must be one line.")
        key = item.get("key") or _slug(name)
        if not isinstance(key, str) or not re.fullmatch(r"[a-z0-9_]+", key):
            raise DomainError(f"{label}: key must be lower-case letters, digits and underscores.")
        if key in seen_keys or name in seen_names:
            raise DomainError(f"{label}: another persona has the same name or key.")
        seen_keys.add(key)
        seen_names.add(name)
        raw_rules = item.get("rules", [])
        if not isinstance(raw_rules, Sequence) or isinstance(raw_rules, str):
            raise DomainError(f"{label}: rules must be a list.")
        is_last = number == len(items)
        if is_last and raw_rules:
            raise DomainError(
                f"{label}: the last persona is the fallback for everyone left, so it has no rules."
            )
        if not is_last and not raw_rules:
            raise DomainError(
                f"{label}: only the last persona may have no rules; add at least one rule."
            )
        rules: list[Rule] = []
        for rule_number, raw in enumerate(raw_rules, start=1):
            where = f"{label}, rule {rule_number}"
            if not isinstance(raw, Mapping) or set(raw) != {"field", "op", "value"}:
                raise DomainError(f"{where}: a rule has exactly a field, an op and a value.")
            field_name = raw["field"]
            if field_name not in SCORED_FIELDS:
                raise DomainError(
                    f"{where}: unknown field {field_name!r}. Fields you can use: "
                    f"{', '.join(sorted(SCORED_FIELDS))}."
                )
            op = raw["op"]
            if op not in OPERATORS:
                raise DomainError(
                    f"{where}: unknown operator {op!r}. Use one of {', '.join(OPERATORS)}."
                )
            value = _check_value(SCORED_FIELDS[field_name], op, raw["value"], where)
            rules.append(Rule(field_name, op, value))
        personas.append(Persona(key, name.strip(), description.strip(), tuple(rules)))
    version = str(config.get("version", "custom"))
    return PersonaConfig(version, tuple(personas))


def default_persona_config() -> dict[str, Any]:
    """Return a deep copy of :data:`DEFAULT_PERSONAS` for a council to edit."""
    return copy.deepcopy(DEFAULT_PERSONAS)


def assign_personas(
    scored: pd.DataFrame, config: Mapping[str, Any] | PersonaConfig | None = None
) -> pd.DataFrame:
    """Give each respondent one persona, with the reasons in words.

    Parameters
    ----------
    scored:
        The output of :func:`surveys.scoring.score_responses`.
    config:
        A persona configuration (validated here) or ``None`` for :data:`DEFAULT_PERSONAS`.

    Returns
    -------
    pandas.DataFrame
        Aligned to ``scored.index``: ``persona_key``, ``persona`` (name) and ``reasons``: the
        rules that matched, joined with ``"; "``; for the fallback persona, the first rule that
        failed for each persona above it (repeats removed).
    """
    validated = (
        config
        if isinstance(config, PersonaConfig)
        else validate_persona_config(DEFAULT_PERSONAS if config is None else config)
    )
    needed = {rule.field for persona in validated.personas for rule in persona.rules}
    missing = sorted(needed - set(scored.columns))
    if missing:
        raise DomainError(f"The scored table has no column(s) {', '.join(missing)}.")
    n = len(scored)
    earlier = validated.personas[:-1]
    matched_rows = []
    first_failed = []
    for persona in earlier:
        masks = np.vstack([rule.evaluate(scored) for rule in persona.rules])
        matched_rows.append(masks.all(axis=0))
        first_failed.append(np.argmax(~masks, axis=0))
    matched = np.vstack(matched_rows) if matched_rows else np.zeros((0, n), dtype=bool)
    fallback_index = len(validated.personas) - 1
    chosen = np.where(matched.any(axis=0), np.argmax(matched, axis=0), fallback_index)

    reasons = np.empty(n, dtype=object)
    for index, persona in enumerate(earlier):
        reasons[chosen == index] = "; ".join(rule.text() for rule in persona.rules)
    fallback_rows = np.flatnonzero(chosen == fallback_index)
    if fallback_rows.size:
        failed = (
            np.vstack(first_failed)[:, fallback_rows].T
            if earlier
            else np.zeros((len(fallback_rows), 0), int)
        )
        # Few distinct patterns exist, so build each sentence once and map it back.
        patterns, inverse = np.unique(failed, axis=0, return_inverse=True)
        sentences = []
        for pattern in patterns:
            parts = [earlier[p].rules[int(r)].text(negated=True) for p, r in enumerate(pattern)]
            sentences.append(
                "matched none of the personas above: " + "; ".join(dict.fromkeys(parts))
                if parts
                else "fallback persona"
            )
        reasons[fallback_rows] = np.asarray(sentences, dtype=object)[inverse.reshape(-1)]
    keys = np.asarray(validated.keys, dtype=object)[chosen]
    names = np.asarray([p.name for p in validated.personas], dtype=object)[chosen]
    return pd.DataFrame(
        {"persona_key": keys, "persona": names, "reasons": reasons}, index=scored.index
    )
