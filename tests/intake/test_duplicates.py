"""Duplicate scoring: the text's TF-IDF cosine over the classifier's n-grams, the classifier's
agreement, pairs for tuning and measuring, and the tuning itself."""

from __future__ import annotations

import random

import numpy as np
import pytest

from shequ.intake import duplicates
from shequ.intake.classifier import SHIPPED, Model
from shequ.intake.corpus.generate import Example


@pytest.fixture(scope="module")
def shipped() -> Model:
    return Model.load(SHIPPED)


def test_the_vector_is_unit_length_and_predicts_as_before(shipped):
    idx, tf = shipped.vector("楼下垃圾桶满了溢出来，没人收")
    assert list(idx) == sorted(idx) and abs(float(tf @ tf) - 1.0) < 1e-5
    np.testing.assert_allclose(shipped.probabilities_of(idx, tf), shipped.probabilities("楼下垃圾桶满了溢出来，没人收"))
    empty_idx, _ = shipped.vector("")
    assert len(empty_idx) == 0 and shipped.probabilities("").shape == (len(shipped.classes),)


def test_text_similarity_and_agreement(shipped):
    same = "路上井盖不见了，只剩一个黑洞"
    assert duplicates.text_similarity(same, same, shipped) == pytest.approx(1.0)
    alike = duplicates.text_similarity(same, "马路中间的井盖被偷了，洞口敞着", shipped)
    unlike = duplicates.text_similarity(same, "广场舞音响太大声，吵到半夜", shipped)
    assert alike > unlike
    assert duplicates.agreement(same, "井盖没了，有个大洞", shipped) > 0.5
    assert duplicates.agreement(same, "广场舞音响太大声，吵到半夜", shipped) < 0.2
    assert duplicates.agreement("a", "b", shipped) == pytest.approx(duplicates.agreement("b", "a", shipped))


def test_pairs_are_deterministic_and_balanced():
    examples = [Example(f"{code}-{i}", code, "resident") for code in ("0101", "0102", "0901") for i in range(5)]
    pairs = duplicates.make_pairs(examples, random.Random(1), per_category=4)
    assert pairs == duplicates.make_pairs(examples, random.Random(1), per_category=4)
    assert sum(p.same for p in pairs) == sum(not p.same for p in pairs) == 12
    for p in pairs:
        assert (p.code == p.other) == p.same and p.text != p.other_text
        assert p.metres <= (40 if p.same else 100)
        if not p.same and p.code[:2] == "01":
            assert p.other[:2] == "01"  # a look-alike of the same group when there is one


def test_tuning_finds_the_separating_weights():
    pairs = [duplicates.Pair("a", "0101", "b", "0101" if same else "0102", 10.0, same) for same in [True, False] * 20]
    features = [
        {"text": 0.2, "agree": 0.9 if p.same else 0.1, "same": p.same, "metres": 10.0, "radius": 200.0} for p in pairs
    ]
    weights, threshold, counts = duplicates.tune(pairs, features, min_text=0.2)
    assert counts.f1 == 1.0 and weights[0] >= 0.2 and abs(sum(weights) - 1.0) < 1e-9
    assert duplicates.count(pairs, features, weights=weights, threshold=threshold) == counts
    far = [{**f, "metres": 300.0} for f in features]  # beyond the window: never flagged
    assert duplicates.count(pairs, far, weights=weights, threshold=threshold).tp == 0


@pytest.mark.django_db
def test_the_same_incident_scores_above_the_threshold_and_a_look_alike_below(catalog_world):
    from shequ.events.models import Category

    full = Category.objects.get(code="0106")
    dead = Category.objects.get(code="0108")
    radius, _hours = duplicates.window_for(full)
    kwargs = {"text": "楼下垃圾桶满了溢出来，没人收", "category": full, "radius": radius}
    same = duplicates.pair_score(
        **kwargs, other_text="垃圾桶满溢好几天了，臭得很", other_category_id=full.pk, metres=20
    )
    other = duplicates.pair_score(**kwargs, other_text="路边有只死猫，臭了", other_category_id=dead.pk, metres=20)
    assert same >= duplicates.THRESHOLD > other
