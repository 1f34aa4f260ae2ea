"""Text to character n-grams: the one tokeniser shared by training (scikit-learn) and
prediction (numpy), so the two can never disagree."""

from __future__ import annotations

import re
import unicodedata

_DIGITS = re.compile(r"\d+")
_NOISE = re.compile(r"[^\w\u4e00-\u9fff#]+")
NGRAMS = (1, 2, 3)


def normalise(text: str) -> str:
    """NFKC (full-width digits and letters to half-width), lower case, digit runs to ``#``,
    punctuation to one space."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _DIGITS.sub("#", text)
    return _NOISE.sub(" ", text).strip()


def grams(text: str) -> list[str]:
    """Character 1-3-grams of each space-separated chunk of the normalised text."""
    out: list[str] = []
    for chunk in normalise(text).split():
        for n in NGRAMS:
            out.extend(chunk[i : i + n] for i in range(len(chunk) - n + 1))
    return out
