"""The category classifier at run time: numpy arrays from ``data/model/intake.npz``,
read with ``allow_pickle=False`` (no code in the file), predicting with numpy alone.

The file holds the n-gram vocabulary, its idf weights, the linear model's weights and
intercepts, and the class codes. Prediction: tf * idf, l2-normalised, times the weights,
softmax. No network, no scikit-learn at run time.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .features import grams

SHIPPED = Path(__file__).parent / "data" / "model" / "intake.npz"


@dataclass(frozen=True)
class Scored:
    code: str
    score: float


class Model:
    def __init__(
        self, *, vocabulary: np.ndarray, idf: np.ndarray, coef: np.ndarray, intercept: np.ndarray, classes: np.ndarray
    ) -> None:
        self.vocabulary = vocabulary
        self.idf = idf.astype(np.float32)
        self.coef = coef.astype(np.float32)  # (n_features, n_classes)
        self.intercept = intercept.astype(np.float32)
        self.classes = [str(c) for c in classes]
        self.index = {str(g): i for i, g in enumerate(vocabulary)}

    @classmethod
    def load(cls, path: Path | str | BinaryIO) -> Model:
        with np.load(path, allow_pickle=False) as data:
            return cls(**{k: data[k] for k in ("vocabulary", "idf", "coef", "intercept", "classes")})

    def save(self, path: Path | str | BinaryIO) -> None:
        if isinstance(path, str | Path):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            path,
            vocabulary=np.asarray(self.vocabulary, dtype=str),
            idf=self.idf,
            coef=self.coef.astype(np.float16),  # half precision: the ranking is unchanged, the file half the size
            intercept=self.intercept,
            classes=np.asarray(self.classes, dtype=str),
        )

    def vector(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The text's TF-IDF vector over the model's n-grams, l2-normalised: (indices, weights),
        the indices ascending."""
        counts: dict[int, int] = {}
        for g in grams(text):
            i = self.index.get(g)
            if i is not None:
                counts[i] = counts.get(i, 0) + 1
        idx = np.fromiter(sorted(counts), dtype=np.int64, count=len(counts))
        tf = np.fromiter((counts[i] for i in idx), dtype=np.float32, count=len(counts)) * self.idf[idx]
        if len(tf):
            tf /= np.sqrt(float(tf @ tf))
        return idx, tf

    def probabilities(self, text: str) -> np.ndarray:
        return self.probabilities_of(*self.vector(text))

    def probabilities_of(self, idx: np.ndarray, tf: np.ndarray) -> np.ndarray:
        logits = (tf @ self.coef[idx] + self.intercept).astype(np.float32) if len(idx) else self.intercept.copy()
        logits = logits - logits.max()
        p = np.exp(logits)
        return p / p.sum()

    def rank(self, text: str, k: int = 5) -> list[Scored]:
        p = self.probabilities(text)
        top = np.argsort(-p)[:k]
        return [Scored(self.classes[i], float(p[i])) for i in top]


_lock = threading.Lock()
_loaded: dict[str, Model] = {}


def active_model() -> Model:
    """The model in use: the active version's file if one is set, else the shipped file."""
    from . import versions

    path = str(versions.active_path() or SHIPPED)
    model = _loaded.get(path)
    if model is None:
        with _lock:
            model = _loaded.get(path)
            if model is None:
                _loaded.clear()
                model = _loaded[path] = Model.load(path)
    return model


def classify(text: str, k: int = 5) -> list[Scored]:
    """The ``k`` most likely leaf categories for a free-text report, best first."""
    return active_model().rank(text, k)
