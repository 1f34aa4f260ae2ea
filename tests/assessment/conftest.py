"""Assessment fixtures: events walked through the real actions at chosen times, and the fold run by hand."""

from __future__ import annotations

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english_messages():
    # Rules, not wording: messages read as their English msgids (the pages' own tests check the Chinese).
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fold_by_hand(settings):
    # Tests fold when they mean to (rollups.fold()), not after each commit.
    settings.SHEQU_ASSESSMENT_FOLD = "tick"
