"""Model fields used the same way across apps."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


def user_reference(verbose_name: Any) -> models.ForeignKey:
    """Who did something (by, decided by, undone by ...): optional, kept when the account goes, no reverse accessor."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=verbose_name,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
