from __future__ import annotations

import pytest
from django.db import connection

from shequ.access.models import Role, User
from shequ.audit.models import AuditEntry, AuditHead

TABLE = AuditEntry._meta.db_table


@pytest.fixture
def auditor(db) -> User:
    return User.objects.create_user(username="auditor", password="pass-word-123", role=Role.AUDITOR, name="审计员")


def raw(sql: str, params: list | tuple = ()) -> None:
    """Tamper with the table the way someone with database access would: raw SQL, no model code."""
    with connection.cursor() as cursor:
        cursor.execute(sql.replace("{t}", connection.ops.quote_name(TABLE)), params)


@pytest.fixture(autouse=True)
def _empty_trail(request) -> None:
    """Each test starts from a new installation's empty trail: the accounts its fixtures create are grant changes
    (entries of their own), which would shift every sequence number the tests check."""
    if not {"db", "transactional_db", "world", "auditor"} & set(request.fixturenames):
        return
    for name in ("world", "auditor"):
        if name in request.fixturenames:
            request.getfixturevalue(name)
    if "transactional_db" not in request.fixturenames:
        request.getfixturevalue("db")
    raw("DELETE FROM {t}")
    with connection.cursor() as cursor:
        head = connection.ops.quote_name(AuditHead._meta.db_table)
        cursor.execute(f"UPDATE {head} SET sequence = 0, hash = ''")
