"""locate() through the STRtree index beside a brute-force scan of every grid polygon.

Brute force is the strongest simple alternative: one vectorised
``shapely.contains_xy(all_prepared_grid_polygons, x, y)`` call per point (the loop
over polygons runs in C), then the first grid that contains it. Both get the same
random points inside the district.
"""

from __future__ import annotations

import time

import numpy as np
import shapely

from bench_env import grid_geometries, random_points
from figures import Figure, bounded, compare


def run(backend: str, *, points: int, seconds: float, seed: int) -> list[Figure]:
    from shequ.geo import index

    codes, geoms = grid_geometries()
    array = np.array(geoms, dtype=object)
    sample = random_points(geoms, points, seed=seed)

    started = time.perf_counter()
    index.invalidate()
    index.locate(*sample[0])  # builds the index from the database
    build_seconds = time.perf_counter() - started

    brute_codes: list[str | None] = []

    def brute(point: tuple[float, float]) -> None:
        inside = shapely.contains_xy(array, point[0], point[1])
        hit = int(inside.argmax())
        brute_codes.append(codes[hit] if inside[hit] else None)

    indexed_codes: list[str | None] = []

    def indexed(point: tuple[float, float]) -> None:
        found = index.locate(point[0], point[1])
        indexed_codes.append(found.grid_code if found else None)

    n_brute, t_brute = bounded(sample, brute, seconds=seconds)
    n_index, t_index = bounded(sample, indexed, seconds=seconds)
    both = min(n_brute, n_index)
    agree = sum(1 for a, b in zip(brute_codes[:both], indexed_codes[:both], strict=True) if a == b)

    baseline = Figure(
        backend,
        "locate",
        f"brute force: contains_xy over all {len(geoms):,} grids",
        n_brute,
        t_brute,
        unit="points/s",
        note="baseline: one vectorised shapely.contains_xy call per point over the prepared polygons",
    )
    measured = Figure(
        backend,
        "locate",
        "shequ.geo.index.locate (STRtree)",
        n_index,
        t_index,
        unit="points/s",
        note=f"index built in {build_seconds:.2f} s, not timed; same grid as brute force for {agree:,}/{both:,} points",
    )
    return [baseline, compare(measured, baseline)]
