"""Shared by every bench: record a figure against its target, print it, keep it.

Each bench calls `record(...)` for every figure it measures: the figure is printed at once
with its target, its ratio (measured / target) and pass or fail, and kept in
`bench/results.json` (keyed by bench and figure, so running one bench updates only its
own rows). `python bench/record.py` prints the whole table, with the machine's core count
and load in the header; `make bench` runs every bench, then that.

Ratio: measured / target. For a "lower is better" figure (a time, a memory peak) it
passes at ≤ 1; for a "higher is better" one (a rate, a speed ratio) at ≥ 1.

Each figure is kept with the machine's load and its pace when it was taken (`pace`: the
time a fixed piece of pure-Python work takes just then). On a shared or virtual machine
the same code runs a fifth slower or faster from one minute to the next; the pace says
which figures were taken in a slow spell.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = ["RESULTS", "Figure", "header", "record", "table"]

RESULTS = Path(
    os.environ.get("DRILLKIT_BENCH_RESULTS") or Path(__file__).resolve().parent / "results.json"
)
"""bench/results.json, or DRILLKIT_BENCH_RESULTS (to try a bench without touching it)."""


@dataclass(frozen=True)
class Figure:
    """One measured figure and its target."""

    bench: str
    name: str
    value: float
    unit: str
    target: float
    higher_is_better: bool = False
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.value / self.target if self.target else float("inf")

    @property
    def passed(self) -> bool:
        return self.value >= self.target if self.higher_is_better else self.value <= self.target

    @property
    def target_text(self) -> str:
        return f"{'≥' if self.higher_is_better else '≤'} {_number(self.target)} {self.unit}"

    def line(self) -> str:
        verdict = "pass" if self.passed else "FAIL"
        return (
            f"{self.name}: {_number(self.value)} {self.unit} (target {self.target_text}, "
            f"ratio {self.ratio:.2f}, {verdict})" + (f"  [{self.note}]" if self.note else "")
        )


def _number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def record(
    bench: str,
    name: str,
    value: float,
    unit: str,
    target: float,
    *,
    higher_is_better: bool = False,
    note: str = "",
    results: Path = RESULTS,
) -> Figure:
    """Print a figure with its target and ratio, and keep it in `results`."""
    figure = Figure(bench, name, value, unit, target, higher_is_better, note)
    print(figure.line(), flush=True)
    saved = _load(results)
    saved["figures"] = [
        f for f in saved.get("figures", []) if (f["bench"], f["name"]) != (bench, name)
    ]
    saved["figures"].append(
        {
            **asdict(figure),
            "ratio": figure.ratio,
            "passed": figure.passed,
            "at": _now(),
            "load": round(os.getloadavg()[0], 1),
            "pace": pace(),
        }
    )
    saved["machine"] = _machine()
    results.write_text(json.dumps(saved, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return figure


def pace() -> float:
    """Milliseconds this machine takes now for a fixed piece of pure-Python work (dict,
    string and sort work, the best of three tries): a figure taken at a slower pace is
    slower for that reason alone."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        table = {f"連絡-{n:05d}": n for n in range(20_000)}
        joined = ",".join(sorted(table, reverse=True))
        total = sum(value for value in table.values() if value % 3) + len(joined)
        best = min(best, time.perf_counter() - started)
        assert total > 0
    return round(best * 1000, 1)


def _load(results: Path) -> dict[str, list[dict[str, object]] | dict[str, object]]:
    try:
        loaded = json.loads(results.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _machine() -> dict[str, object]:
    return {
        "cores": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def header() -> str:
    """The machine the figures come from: core count and load, which shape every figure."""
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} cores, load average {load}, Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}"
    )


def table(results: Path = RESULTS) -> str:
    """Every recorded figure as one table: figure, measured, target, ratio, pass/fail."""
    saved = _load(results)
    figures = saved.get("figures", [])
    assert isinstance(figures, list)
    rows = [
        (
            f"{f['bench']}: {f['name']}",
            f"{_number(float(f['value']))} {f['unit']}",
            Figure(**{k: f[k] for k in Figure.__dataclass_fields__}).target_text,  # type: ignore[arg-type]
            f"{float(f['ratio']):.2f}",
            "pass" if f["passed"] else "FAIL",
            f"{f.get('load', '?')}",
            f"{f.get('pace', '?')}",
        )
        for f in figures
        if isinstance(f, dict)
    ]
    heads = ("figure", "measured", "target", "ratio", "result", "load", "pace")
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(heads)
    ]
    lines = [
        f"bench results on {header()}",
        "(load: the 1-minute load average when the figure was taken; wall times grow with it."
        f" pace: ms for a fixed piece of Python work just then, {pace()} ms now; lower is faster)",
        "",
    ]
    lines.append("  ".join(h.ljust(widths[i]) for i, h in enumerate(heads)))
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)))
    failed = sum(1 for r in rows if r[4] == "FAIL")
    lines.append("")
    lines.append(
        f"{len(rows) - failed} of {len(rows)} figures meet their target; results: {results}"
    )
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        description="Print the table of every bench figure recorded in bench/results.json."
    )
    parser.add_argument("--results", type=Path, default=RESULTS, help="results file")
    parser.add_argument(
        "--clear", action="store_true", help="forget earlier figures (make bench starts so)"
    )
    args = parser.parse_args(argv)
    if args.clear:
        args.results.unlink(missing_ok=True)
        return
    print(table(args.results))


if __name__ == "__main__":
    main(sys.argv[1:])
