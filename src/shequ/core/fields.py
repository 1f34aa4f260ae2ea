"""Model fields used the same way across apps."""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import models
from django.db.models.lookups import Exact

from . import crypto


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


# --- encryption at rest ---------------------------------------------------------------------------------------


class EncryptedLookup(FieldError):
    """A filter compared an encrypted column with a value: it would compare ciphertext and silently find nothing."""


class _NullOnlyExact(Exact):
    """``field=None`` stays ``IS NULL``; any other value is refused."""

    def __init__(self, lhs: Any, rhs: Any) -> None:
        if rhs is not None:
            _refuse(lhs.output_field, "exact")
        super().__init__(lhs, rhs)


def _refuse(field: models.Field, lookup: str) -> NoReturn:
    raise EncryptedLookup(
        f"{field.model.__name__}.{field.name} is encrypted at rest: a '{lookup}' lookup would compare ciphertext. "
        "Find it by its blind index (for an ID number: shequ.registry.queries.people_with_id_number)."
    )


class EncryptedTextField(models.TextField):
    """Text encrypted at rest (``shequ.core.crypto``): plaintext in Python, a token in the column.

    Encrypted on every write (save, bulk_create, bulk_update, update) and decrypted on every read (instances and
    values/values_list); an empty string stays empty. Only ``isnull`` can filter on it: an exact, ``in`` or partial
    match raises ``EncryptedLookup`` instead of comparing ciphertext; look values up through a blind-index column.
    Ordering by it orders by ciphertext, which means nothing. ``max_length`` checks the plaintext in forms only."""

    description = "Encrypted text"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("unique") or kwargs.get("db_index") or kwargs.get("primary_key"):
            # Random nonces make every token differ: an index or unique constraint on them is meaningless.
            raise ImproperlyConfigured("an EncryptedTextField cannot be unique or indexed: index a blind index")
        super().__init__(*args, **kwargs)

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value: Any) -> str | None:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(value)

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        if lookup_name == "exact":
            return _NullOnlyExact
        _refuse(self, lookup_name)

    def get_transform(self, lookup_name: str) -> Any:
        _refuse(self, lookup_name)

    def formfield(self, **kwargs: Any) -> Any:
        from django import forms

        return super().formfield(**{"widget": forms.TextInput, **kwargs})
