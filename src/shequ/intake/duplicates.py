"""Open events that look like the same incident: near in place and time (windows per
category group, ``SHEQU_INTAKE_DUPLICATE_WINDOWS``), scored by text similarity, place
and category.

Residents see only events of the grid they report in, and no personal data: a
duplicate shown to a resident is its code, category and status, never its text.
"""

from __future__ import annotations

import math
import random
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from django.conf import settings
from rapidfuzz import fuzz

from shequ.access.models import Role, User
from shequ.core import clock
from shequ.events.models import OPEN_STATUSES, Category, Event
from shequ.events.queries import events_for
from shequ.geo.index import locate

from .classifier import Model, active_model
from .corpus.generate import Example
from .features import normalise

# The score: text alike (the cosine of the two texts' TF-IDF vectors over the classifier's
# character n-grams, or rapidfuzz's ratio if that is higher), the classifier reading both texts
# as the same category (the cosine of its two probability vectors), the events' categories
# equal, and nearness. Weights and threshold were chosen with ``tune`` (text weight at least
# 0.2, so that a report written the same way counts for more) on tuning pairs: ``make_pairs``
# over ``generate(seed=16, part="dev", per_category=60)`` with ``random.Random(16)``, scored by a
# model trained on ``generate(seed=15, part="fit", per_category=200)``: no text that model
# learnt, and none of the benchmark's measuring pairs (those are of the held-back part). On
# the tuning pairs: precision 0.949, recall 0.977, F1 0.963 (the hand-set weights before,
# 0.55 text by rapidfuzz / 0.25 place / 0.20 category, threshold 0.55, gave F1 0.62 on the
# benchmark). See docs/intelligence.md.
W_TEXT, W_AGREE, W_CATEGORY, W_PLACE = 0.20, 0.45, 0.15, 0.20
THRESHOLD = 0.31
METRES_PER_DEGREE = 111_320.0


@dataclass(frozen=True)
class Duplicate:
    code: str
    score: float
    distance_m: float
    summary: str

    def as_dict(self) -> dict:
        return {"code": self.code, "score": self.score, "distance_m": self.distance_m, "summary": self.summary}


def window_for(category: Category | None) -> tuple[float, float]:
    """(metres, hours) for the category's group; ``default`` otherwise."""
    windows = settings.SHEQU_INTAKE_DUPLICATE_WINDOWS
    group = category.code[:2] if category else ""
    metres, hours = windows.get(group, windows["default"])
    return float(metres), float(hours)


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    dx = (lon2 - lon1) * METRES_PER_DEGREE * math.cos(math.radians((lat1 + lat2) / 2))
    dy = (lat2 - lat1) * METRES_PER_DEGREE
    return math.hypot(dx, dy)


@dataclass(frozen=True, slots=True)
class _Read:
    """A text as the scorer reads it: normalised, its TF-IDF vector, the classifier's probabilities."""

    normalised: str
    vector: tuple[np.ndarray, np.ndarray]
    probabilities: np.ndarray


# The open events' texts read by each model: a suggestion scores up to 200 of them, mostly the same ones again.
_reads: weakref.WeakKeyDictionary[Model, dict[str, _Read]] = weakref.WeakKeyDictionary()
READS_KEPT = 5_000  # about 3 KB each


def _read(text: str, model: Model) -> _Read:
    kept = _reads.setdefault(model, {})
    found = kept.get(text)
    if found is None:
        vector = model.vector(text)
        found = _Read(normalise(text), vector, model.probabilities_of(*vector))
        if len(kept) >= READS_KEPT:
            kept.clear()  # a bound, not a policy
        kept[text] = found
    return found


def _text(a: _Read, b: _Read) -> float:
    return max(_cosine(a.vector, b.vector), fuzz.ratio(a.normalised, b.normalised) / 100.0)


def _agree(a: _Read, b: _Read) -> float:
    p, q = a.probabilities, b.probabilities
    return float(p @ q / max(float(np.sqrt((p @ p) * (q @ q))), 1e-12))


def text_similarity(a: str, b: str, model: Model | None = None) -> float:
    """How alike two texts read, 0-1: the cosine of their TF-IDF vectors over the classifier's
    character n-grams, or rapidfuzz's ratio of the normalised texts if higher."""
    model = model or active_model()
    return _text(_read(a, model), _read(b, model))


def _cosine(u: tuple[np.ndarray, np.ndarray], v: tuple[np.ndarray, np.ndarray]) -> float:
    _common, iu, iv = np.intersect1d(u[0], v[0], assume_unique=True, return_indices=True)
    return float(u[1][iu] @ v[1][iv]) if len(iu) else 0.0


def agreement(a: str, b: str, model: Model | None = None) -> float:
    """How far the classifier reads both texts as the same category: the cosine of its two
    probability vectors (1 when both are sure of the same category, near 0 when of different ones)."""
    model = model or active_model()
    return _agree(_read(a, model), _read(b, model))


def pair_score(
    *,
    text: str,
    category: Category | None,
    other_text: str,
    other_category_id: int | None,
    metres: float,
    radius: float,
    model: Model | None = None,
) -> float:
    model = model or active_model()
    a, b = _read(text, model), _read(other_text, model)
    return combine(
        text=_text(a, b),
        agree=_agree(a, b),
        same=category is not None and other_category_id == category.pk,
        metres=metres,
        radius=radius,
    )


def combine(
    *, text: float, agree: float, same: bool, metres: float, radius: float, weights: tuple[float, ...] | None = None
) -> float:
    w_text, w_agree, w_category, w_place = weights or (W_TEXT, W_AGREE, W_CATEGORY, W_PLACE)
    place = max(0.0, 1.0 - metres / radius)
    return w_text * text + w_agree * agree + w_category * float(same) + w_place * place


@dataclass(frozen=True)
class Pair:
    """Two reports for the duplicate figures: ``code`` is the first's true category, ``other``
    the second's; ``same`` when they are the same incident."""

    text: str
    code: str
    other_text: str
    other: str
    metres: float
    same: bool


def make_pairs(examples: Sequence[Example], rng: random.Random, *, per_category: int = 10) -> list[Pair]:
    """Per category, ``per_category`` pairs of one incident written twice (two different texts of
    the category, <= 40 m apart) and as many look-alikes (a text of another category of the same
    group, <= 100 m apart)."""
    by_code: dict[str, list[str]] = {}
    for e in examples:
        by_code.setdefault(e.code, []).append(e.text)
    out: list[Pair] = []
    for code in sorted(by_code):
        items = by_code[code]
        confusable = [c for c in sorted(by_code) if c[:2] == code[:2] and c != code] or [
            c for c in sorted(by_code) if c != code
        ]
        for _ in range(per_category):
            a, b = rng.sample(items, 2)
            out.append(Pair(a, code, b, code, rng.uniform(0, 40), True))
            other = rng.choice(confusable)
            out.append(Pair(a, code, rng.choice(by_code[other]), other, rng.uniform(0, 100), False))
    return out


@dataclass(frozen=True)
class PairCounts:
    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def precision(self) -> float:
        return self.tp / max(self.tp + self.fp, 1)

    @property
    def recall(self) -> float:
        return self.tp / max(self.tp + self.fn, 1)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / max(p + r, 1e-9)


def pair_features(pairs: Sequence[Pair], model: Model, categories: dict[str, Category]) -> list[dict]:
    """What ``combine`` reads, per pair, as ``find`` would see it: the new report's category is
    the classifier's first suggestion for its text, the open event's is its own."""
    out = []
    for pair in pairs:
        suggested = model.rank(pair.text, 1)[0].code
        out.append(
            {
                "text": text_similarity(pair.text, pair.other_text, model),
                "agree": agreement(pair.text, pair.other_text, model),
                "same": suggested == pair.other,
                "metres": pair.metres,
                "radius": window_for(categories.get(suggested))[0],
            }
        )
    return out


def count(
    pairs: Sequence[Pair],
    features: Sequence[dict],
    *,
    weights: tuple[float, ...] | None = None,
    threshold: float | None = None,
) -> PairCounts:
    """Flagged pairs against the truth; a pair further apart than the window is never flagged."""
    threshold = THRESHOLD if threshold is None else threshold
    tp = fp = fn = tn = 0
    for pair, f in zip(pairs, features, strict=True):
        flagged = f["metres"] <= f["radius"] and combine(weights=weights, **f) >= threshold
        tp += pair.same and flagged
        fn += pair.same and not flagged
        fp += flagged and not pair.same
        tn += not flagged and not pair.same
    return PairCounts(tp, fp, fn, tn)


def tune(
    pairs: Sequence[Pair], features: Sequence[dict], *, min_text: float = 0.0
) -> tuple[tuple[float, ...], float, PairCounts]:
    """The weights (text, agreement, category, place; a grid of steps of 0.05 summing to 1, the
    text's at least ``min_text``) and threshold (0.30-0.90, steps of 0.01) with the best F1 on
    these pairs. For choosing the constants above on tuning pairs, never on the benchmark's
    measuring pairs."""
    truth = np.array([p.same for p in pairs], dtype=bool)
    inside = np.array([f["metres"] <= f["radius"] for f in features], dtype=bool)
    columns = np.array(
        [[f["text"], f["agree"], float(f["same"]), max(0.0, 1.0 - f["metres"] / f["radius"])] for f in features]
    )
    thresholds = np.round(np.arange(0.30, 0.905, 0.01), 2)
    best: tuple[float, tuple[float, ...], float] | None = None
    steps = [i / 20 for i in range(21)]
    for wt in [w for w in steps if w >= min_text - 1e-9]:
        for wa in steps:
            for wc in steps:
                wp = round(1.0 - wt - wa - wc, 2)
                if wp < 0:
                    continue
                scores = columns @ np.array([wt, wa, wc, wp])
                flagged = inside[None, :] & (scores[None, :] >= thresholds[:, None] - 1e-9)
                tp = (flagged & truth).sum(axis=1)
                fp = (flagged & ~truth).sum(axis=1)
                fn = (~flagged & truth).sum(axis=1)
                f1 = 2 * tp / np.maximum(2 * tp + fp + fn, 1)
                i = int(np.argmax(f1))
                if best is None or f1[i] > best[0] + 1e-12:
                    best = (float(f1[i]), (wt, wa, wc, wp), float(thresholds[i]))
    assert best is not None
    _f1, weights, threshold = best
    return weights, threshold, count(pairs, features, weights=weights, threshold=threshold)


def find(
    *,
    text: str,
    category: Category | None,
    lon: float,
    lat: float,
    user: User | None,
    exclude: int | None = None,
    limit: int = 5,
) -> list[Duplicate]:
    radius, hours = window_for(category)
    dlat = radius / METRES_PER_DEGREE
    dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
    rows = Event.objects.filter(
        status__in=OPEN_STATUSES,
        reported_at__gte=clock.now() - timedelta(hours=hours),
        lon__range=(lon - dlon, lon + dlon),
        lat__range=(lat - dlat, lat + dlat),
    )
    resident = user is not None and user.role == Role.RESIDENT
    if user is not None and not resident:
        rows = rows.filter(pk__in=events_for(user).values("pk"))
    if resident:
        here = locate(lon, lat)
        rows = rows.filter(area_code=here.grid_code) if here else rows.none()
    if exclude:
        rows = rows.exclude(pk=exclude)
    out = []
    model = active_model()
    for ev in rows.select_related("category")[:200]:
        if ev.lon is None or ev.lat is None:
            continue
        metres = distance_m(lon, lat, ev.lon, ev.lat)
        if metres > radius:
            continue
        score = pair_score(
            text=text,
            category=category,
            other_text=ev.description,
            other_category_id=ev.category_id,
            metres=metres,
            radius=radius,
            model=model,
        )
        if score < THRESHOLD:
            continue
        name = ev.category.name if ev.category else ""
        summary = f"{name}（{ev.get_status_display()}）" if resident else ev.description[:60]
        out.append(Duplicate(ev.code, round(score, 3), round(metres, 1), summary))
    out.sort(key=lambda d: -d.score)
    return out[:limit]
