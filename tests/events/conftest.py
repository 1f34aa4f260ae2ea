import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The world's personas each hash a password; the default hasher makes that seconds per test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _english_messages():
    # These tests check rules, not wording: read messages as the English msgids, whatever
    # the zh-Hans catalogue says (the UI's own tests check the Chinese).
    with translation.override("en"):
        yield
