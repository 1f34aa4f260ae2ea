"""The classifier: the shipped file loads with no pickle and no network, numpy predicts what
scikit-learn does, training is deterministic, a worse version is not activated."""

from __future__ import annotations

import io
import socket

import numpy as np
import pytest

from shequ.intake import classifier, versions
from shequ.intake.classifier import SHIPPED, Model
from shequ.intake.corpus.generate import Example, generate
from shequ.intake.features import grams, normalise
from shequ.intake.models import ModelVersion, TrainingRun
from shequ.intake.training import evaluate, train


def test_the_shipped_model_loads_without_pickle_or_network(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the model must not touch the network")

    monkeypatch.setattr(socket, "socket", no_network)
    with np.load(SHIPPED, allow_pickle=False) as data:
        assert {"vocabulary", "idf", "coef", "intercept", "classes"} <= set(data.files)
    model = Model.load(SHIPPED)
    assert len(model.classes) == 65
    assert model.rank("路上井盖不见了", 1)[0].code == "0902"


def test_numpy_prediction_matches_scikit_learn(small_corpus):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    examples = small_corpus[0]
    vec = TfidfVectorizer(analyzer=grams, min_df=2, dtype=np.float32)
    x = vec.fit_transform([e.text for e in examples])
    clf = LogisticRegression(C=20.0, max_iter=300, random_state=3, tol=1e-4).fit(x, [e.code for e in examples])
    ours = train(examples, seed=3)
    for e in small_corpus[1][:50]:
        expected = clf.predict_proba(vec.transform([e.text]))[0]
        np.testing.assert_allclose(ours.probabilities(e.text), expected, atol=1e-4)


def test_training_is_deterministic_from_a_seed(small_corpus, small_model):
    again = train(small_corpus[0], seed=3)
    assert list(again.vocabulary) == list(small_model.vocabulary)
    np.testing.assert_array_equal(again.coef, small_model.coef)
    assert generate(seed=3, part="train", per_category=12) == small_corpus[0]


def test_the_held_back_part_is_written_apart(small_corpus):
    train_texts = {e.text for e in small_corpus[0]}
    assert not train_texts & {e.text for e in small_corpus[1]}


def test_normalising_folds_width_case_and_digits():
    assert normalise("Ｂ出口１２号，３栋！") == "b出口#号 #栋"


def test_the_small_model_is_far_better_than_chance(small_corpus, small_model):
    ev = evaluate(small_model, small_corpus[1])
    assert ev.top1 > 0.5 and ev.top3 > ev.top1
    assert set(ev.per_category) == {e.code for e in small_corpus[1]}


@pytest.mark.django_db
def test_a_worse_version_is_not_activated(small_corpus):
    train_part, held = small_corpus
    good, activated = versions.train_version(by=None, seed=3, train_examples=train_part, held=held)
    assert activated and good.active
    # a model trained on a tenth of the categories is worse on the held-back set
    few = [e for e in train_part if e.code < "0108"]
    worse, activated = versions.train_version(by=None, seed=3, train_examples=few, held=held)
    assert not activated
    assert worse.top1 < good.top1
    assert ModelVersion.objects.get(active=True) == good
    versions.forget()
    assert versions.active_path().name == f"{good.digest}.npz"


@pytest.mark.django_db
def test_rollback_and_the_run_record_progress(small_corpus, world):
    train_part, held = small_corpus
    few = [e for e in train_part if e.code < "0108"]
    first, _ = versions.train_version(by=None, seed=3, train_examples=few, held=held)
    run = versions.execute_run(versions.start_run(by=world.admin), seed=3, train_examples=train_part, held=held)
    assert run.state == TrainingRun.State.DONE and run.progress == 1.0 and run.activated
    versions.roll_back(first, by=world.admin)
    assert ModelVersion.objects.get(active=True) == first
    versions.forget()
    model = classifier.active_model()
    assert Model.load(io.BytesIO(bytes(first.arrays))).classes == model.classes


def test_corrections_are_examples():
    assert Example("x", "0101", "correction").style == "correction"


def test_the_dev_split_holds_the_training_part_apart_from_itself():
    fit = generate(seed=3, part="fit", per_category=12)
    dev = generate(seed=3, part="dev", per_category=4)
    held = {e.text for e in generate(seed=3, part="held", per_category=4)}
    assert not {e.text for e in fit} & {e.text for e in dev}
    assert not held & {e.text for e in dev}


def test_sayings_are_split_and_train_only_ones_are_not_held_back_sayings_reworded():
    from rapidfuzz import fuzz

    from shequ.intake.corpus.generate import _part
    from shequ.intake.corpus.sayings import MORE_SAYINGS, TRAIN_ONLY
    from shequ.intake.corpus.vocabulary import VOCABULARY, entries

    assert set(MORE_SAYINGS) == set(VOCABULARY) and set(TRAIN_ONLY) <= set(VOCABULARY)
    for code in VOCABULARY:
        says = entries(code)[2]
        held = _part(says, "held")
        assert len(says) == len(set(says)) == 20 and len(held) == 5
        for extra in TRAIN_ONLY.get(code, []):
            assert max(fuzz.ratio(extra, h) for h in held) < 60, (code, extra)


def test_the_second_held_back_set_is_written_apart_from_all_training_material():
    from rapidfuzz import fuzz, process

    from shequ.intake.corpus.fresh import SAYINGS, generate_second
    from shequ.intake.corpus.generate import catalog_words
    from shequ.intake.corpus.sayings import TRAIN_ONLY
    from shequ.intake.corpus.vocabulary import VOCABULARY, entries

    assert set(SAYINGS) == set(VOCABULARY) and all(len(s) == 6 for s in SAYINGS.values())
    training = [w for ws in catalog_words().values() for w in ws]
    for code in VOCABULARY:
        things, states, says = entries(code)
        training += things + states + says + TRAIN_ONLY.get(code, [])
    for code, says in SAYINGS.items():
        for s in says:
            best = process.extractOne(s, training, scorer=fuzz.ratio)
            assert best[1] < 75, (code, s, best[0])  # no saying is a training saying reworded
    second = generate_second(per_category=10)
    assert len(second) == 650 and len({e.text for e in second}) == 650
    trained = {e.text for e in generate(seed=15, part="train", per_category=40)}
    assert not trained & {e.text for e in second}
