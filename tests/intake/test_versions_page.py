"""The model versions page: who sees it, "train now" (a queued run, trained after commit, its progress polled),
the weekly training of the scheduler, and rolling back with the page's button."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from shequ.core import clock, scheduler
from shequ.intake import tasks, versions
from shequ.intake.corpus.generate import write_tsv
from shequ.intake.models import ModelVersion, TrainingRun
from tests.world import World

from .conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_files(small_corpus, tmp_path, monkeypatch):
    """Train on the small corpus of the test session (seconds, not the shipped corpus's minutes)."""
    train, held = tmp_path / "train.tsv", tmp_path / "held.tsv"
    write_tsv(small_corpus[0], train)
    write_tsv(small_corpus[1], held)
    monkeypatch.setattr(versions, "TRAIN_TSV", train)
    monkeypatch.setattr(versions, "HELD_TSV", held)
    versions.forget()
    yield
    versions.forget()


def test_the_page_is_the_district_levels_and_missing_to_others(world: World):
    for user in (world.admin, world.district_dispatcher):
        assert client_for(user).get(reverse("intake:versions")).status_code == 200
    for user in (world.community_staff, world.street_dispatcher, world.handler, world.grid_worker):
        assert client_for(user).get(reverse("intake:versions")).status_code == 404
    assert client_for(world.resident).get(reverse("intake:versions")).status_code == 302  # to the portal
    # only administrators get the buttons
    assert "data-train-now" in client_for(world.admin).get(reverse("intake:versions")).content.decode()
    assert (
        "data-train-now" not in client_for(world.district_dispatcher).get(reverse("intake:versions")).content.decode()
    )


def test_train_now_queues_one_run_and_trains_it_after_commit(
    world: World, small_files, django_capture_on_commit_callbacks
):
    client = client_for(world.admin)
    with django_capture_on_commit_callbacks() as callbacks:
        resp = client.post(reverse("intake:train"))
    assert resp.status_code == 302
    [run] = TrainingRun.objects.all()
    assert (run.state, run.started_by, len(callbacks)) == (TrainingRun.State.QUEUED, world.admin, 1)
    page = client.get(reverse("intake:versions")).content.decode()
    assert re.search(
        rf'data-run="{run.pk}" data-run-state="queued"\s+hx-get="{reverse("intake:run", args=[run.pk])}"', page
    )
    # a second click while it is under way is refused, with nothing queued
    client.post(reverse("intake:train"))
    assert TrainingRun.objects.count() == 1
    # what the callback does, here in the test's thread: train the run (no thread: the test's transaction)
    assert tasks.run_training.call(run.pk) == 1
    assert tasks.run_training.call(run.pk) is None  # idempotent: a done run is not trained again
    run.refresh_from_db()
    assert (run.state, run.progress, run.activated, run.version.number) == (TrainingRun.State.DONE, 1.0, True, 1)
    progress = client.get(reverse("intake:run", args=[run.pk]), HTTP_HX_REQUEST="true")
    assert progress["HX-Refresh"] == "true" and 'data-run-state="done"' in progress.content.decode()
    page = client.get(reverse("intake:versions")).content.decode()
    assert 'data-version="1" data-active' in page and 'data-point="1"' in page


def test_only_administrators_train(world: World, small_files):
    client_for(world.district_dispatcher).post(reverse("intake:train"))
    client_for(world.community_staff).post(reverse("intake:train"))
    assert not TrainingRun.objects.exists()


def test_the_scheduler_trains_once_a_week(world: World, small_files):
    assert "shequ.intake.tasks.weekly_training" in scheduler.PERIODIC_TASKS
    start = clock.now()
    with clock.frozen(start):
        assert tasks.weekly_training.call() == 1
        assert tasks.weekly_training.call() is None  # the next tick: nothing
    with clock.frozen(start + timedelta(days=6)):
        assert tasks.weekly_training.call() is None
    with clock.frozen(start + timedelta(days=7, minutes=1)):
        assert tasks.weekly_training.call() == 2
    assert list(ModelVersion.objects.values_list("number", flat=True)) == [2, 1]
    assert TrainingRun.objects.filter(started_by=None, state=TrainingRun.State.DONE).count() == 2


def test_rolling_back_from_the_page(world: World, small_files):
    versions.train_version(by=world.admin, seed=3)
    _second, activated = versions.train_version(by=world.admin, seed=3)
    assert activated  # the same corpus and seed: not worse
    page = client_for(world.admin).get(reverse("intake:versions")).content.decode()
    assert re.search(r'data-activate="1"\s+data-confirm="[^"]+"', page) and 'data-activate="2"' not in page
    client_for(world.district_dispatcher).post(reverse("intake:activate", args=[1]))
    assert ModelVersion.objects.get(active=True).number == 2
    client_for(world.admin).post(reverse("intake:activate", args=[1]))
    assert ModelVersion.objects.get(active=True).number == 1
    assert client_for(world.admin).post(reverse("intake:activate", args=[99])).status_code == 404
