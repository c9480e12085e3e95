"""Run every ``benchmarks/bench_*.py`` module and print one table (``python -m benchmarks``).

``python -m benchmarks access coverage`` runs only the suites whose module names contain
those words.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import traceback

import benchmarks
from benchmarks import Row


def _format(value: float | None) -> str:
    if value is None:
        return "-"
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.4g}"


def main(argv: list[str]) -> int:
    names = sorted(
        info.name
        for info in pkgutil.iter_modules(benchmarks.__path__)
        if info.name.startswith("bench_")
    )
    if argv:
        names = [name for name in names if any(word in name for word in argv)]
    rows: list[Row] = []
    failures = 0
    for name in names:
        module = importlib.import_module(f"benchmarks.{name}")
        print(f"running {name} ...", file=sys.stderr, flush=True)
        try:
            rows.extend(module.run())
        except Exception:
            failures += 1
            traceback.print_exc()
    header = (
        "suite",
        "measurement",
        "ours",
        "unit",
        "baseline",
        "baseline value",
        "ratio",
        "goal",
        "met",
    )
    table = [header]
    for row in rows:
        table.append(
            (
                row.suite,
                row.name,
                _format(row.ours),
                row.unit,
                row.baseline_name,
                _format(row.baseline),
                "-" if row.ratio is None else f"{row.ratio:,.1f}x",
                row.goal,
                {True: "yes", False: "NO", None: "-"}[row.met],
            )
        )
    widths = [max(len(str(line[i])) for line in table) for i in range(len(header))]
    for index, line in enumerate(table):
        print(" | ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)))
        if index == 0:
            print("-+-".join("-" * width for width in widths))
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
