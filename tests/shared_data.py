"""Where the real public data used by the tests lives: ``/work/shared/data`` beside the repo."""

from __future__ import annotations

from pathlib import Path

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
"""The shared data folder (``<repo>/../shared/data``); see its README for sources and facts."""
