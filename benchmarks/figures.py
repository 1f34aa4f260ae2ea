"""One measured figure, how runs are bounded, and the printed table."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass


@dataclass
class Figure:
    backend: str
    bench: str  # "events", "http", "locate"
    name: str
    count: int
    seconds: float
    unit: str = "ops/s"
    # The figure this one is compared with (same backend, same bench, same run), and the ratio rate/baseline.
    baseline: str | None = None
    ratio: float | None = None
    note: str = ""

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Figure:
        return cls(**data)


def compare(figure: Figure, baseline: Figure) -> Figure:
    figure.baseline = baseline.name
    figure.ratio = figure.rate / baseline.rate if baseline.rate else None
    return figure


def bounded(items: Iterable, step: Callable, *, seconds: float) -> tuple[int, float]:
    """Call ``step(item)`` for each item until the items or the time run out.
    Returns (how many were done, elapsed seconds)."""
    done = 0
    started = time.perf_counter()
    deadline = started + seconds
    for item in items:
        step(item)
        done += 1
        if time.perf_counter() >= deadline:
            break
    return done, time.perf_counter() - started


def _ratio_text(f: Figure) -> str:
    if f.ratio is None:
        return "baseline" if f.baseline is None and f.note.startswith("baseline") else ""
    if f.ratio >= 1:
        return f"{f.ratio:,.1f}x faster"
    return f"{f.ratio:.3f} ({1 / f.ratio:,.1f}x slower)"


def table(figures: list[Figure]) -> str:
    header = ("backend", "bench", "figure", "count", "seconds", "rate", "vs baseline")
    rows = [
        (
            f.backend,
            f.bench,
            f.name,
            f"{f.count:,}",
            f"{f.seconds:.2f}",
            f"{f.rate:,.0f} {f.unit}",
            _ratio_text(f),
        )
        for f in figures
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    right = {3, 4, 5}

    def line(cells: tuple[str, ...]) -> str:
        padded = (c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True)))
        return "  ".join(padded).rstrip()

    out = [line(header), "  ".join("-" * w for w in widths)]
    previous = None
    for f, row in zip(figures, rows, strict=True):
        if previous is not None and (f.backend, f.bench) != previous:
            out.append("")
        previous = (f.backend, f.bench)
        out.append(line(row))
    return "\n".join(out)
