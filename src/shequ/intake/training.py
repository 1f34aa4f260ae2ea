"""Training: TF-IDF over character n-grams and a multinomial logistic regression
(scikit-learn), turned into the numpy arrays ``classifier.Model`` predicts with.
Deterministic: the same examples and seed give the same arrays."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .classifier import Model
from .corpus.generate import Example
from .features import grams

DEFAULT_C = 20.0


def train(
    examples: Sequence[Example],
    *,
    seed: int = 0,
    c: float = DEFAULT_C,
    min_df: int = 2,
    progress: Callable[[float], None] | None = None,
) -> Model:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    texts = [e.text for e in examples]
    labels = [e.code for e in examples]
    vectorizer = TfidfVectorizer(analyzer=grams, min_df=min_df, sublinear_tf=False, dtype=np.float32)
    x = vectorizer.fit_transform(texts)
    if progress:
        progress(0.3)
    clf = LogisticRegression(C=c, max_iter=300, random_state=seed, tol=1e-4)
    clf.fit(x, labels)
    if progress:
        progress(0.9)
    vocabulary = np.empty(len(vectorizer.vocabulary_), dtype=object)
    for g, i in vectorizer.vocabulary_.items():
        vocabulary[i] = g
    return Model(
        vocabulary=vocabulary.astype(str),
        idf=vectorizer.idf_,
        coef=clf.coef_.T.copy(),
        intercept=clf.intercept_,
        classes=np.asarray(clf.classes_, dtype=str),
    )


@dataclass
class Evaluation:
    n: int
    top1: float
    top3: float
    per_category: dict[str, dict[str, float]] = field(default_factory=dict)
    confusion: dict[str, dict[str, int]] = field(default_factory=dict)  # true -> predicted -> count (errors only)

    def as_dict(self) -> dict:
        return {
            "n": self.n,
            "top1": self.top1,
            "top3": self.top3,
            "per_category": self.per_category,
            "confusion": self.confusion,
        }


def evaluate(model: Model, examples: Sequence[Example]) -> Evaluation:
    hits1: Counter[str] = Counter()
    hits3: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    confusion: dict[str, Counter[str]] = defaultdict(Counter)
    for e in examples:
        ranked = [s.code for s in model.rank(e.text, 3)]
        totals[e.code] += 1
        hits1[e.code] += ranked[0] == e.code
        hits3[e.code] += e.code in ranked
        if ranked[0] != e.code:
            confusion[e.code][ranked[0]] += 1
    n = sum(totals.values()) or 1
    return Evaluation(
        n=sum(totals.values()),
        top1=round(sum(hits1.values()) / n, 4),
        top3=round(sum(hits3.values()) / n, 4),
        per_category={
            code: {
                "n": totals[code],
                "top1": round(hits1[code] / totals[code], 4),
                "top3": round(hits3[code] / totals[code], 4),
            }
            for code in sorted(totals)
        },
        confusion={code: dict(c) for code, c in sorted(confusion.items())},
    )
