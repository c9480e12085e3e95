"""Performance measurements.  ``python -m benchmarks`` prints each figure beside its baseline.

Each module named ``bench_*.py`` in this package defines ``run() -> list[Row]``.  A row names a
measurement, our figure, the baseline it is compared with and the goal, and the table prints the
ratio.  Speed is measured here, never asserted in the test suite.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Row:
    """One benchmark line: ``ours`` against ``baseline`` (same unit), and the goal in words.

    ``higher_is_better`` is for figures such as coverage shares; for times and sizes lower wins.
    ``met`` is ``None`` where the goal is not a simple comparison.
    """

    suite: str
    name: str
    ours: float
    unit: str
    baseline_name: str
    baseline: float | None
    goal: str
    met: bool | None
    higher_is_better: bool = False

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.ours == 0 or self.baseline == 0:
            return None
        return self.ours / self.baseline if self.higher_is_better else self.baseline / self.ours


def best_of(function: Callable[[], Any], *, repeats: int = 5) -> tuple[float, Any]:
    """Run ``function`` ``repeats`` times; return the median wall time in seconds and a result."""
    times: list[float] = []
    result: Any = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result
