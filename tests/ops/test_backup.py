"""Backup on this machine, restore on a fresh one (an empty database and an empty var/), in another process: the
audit chain verifies and the encrypted fields read."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from django.db import connection

from shequ.audit import actions as audit
from shequ.ops import backup
from shequ.registry import actions as registry
from tests.registry.ids import make_id

pytestmark = pytest.mark.django_db(transaction=True)


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "manage.py", *args], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture
def empty_database(tmp_path) -> str:
    """The URL of an empty database of this run's engine."""
    if connection.vendor != "postgresql":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    db = connection.settings_dict
    name = f"{db['NAME']}_restore"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{name}"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_it_restores_into_an_empty_database_with_the_chain_and_encrypted_fields_intact(world, tmp_path, empty_database):
    id_number = make_id(date(1975, 5, 5), 321)
    person = registry.create_person(
        by=world.community_staff, source=registry.MANUAL, name="备份甲", id_number=id_number
    )
    for n in range(3):
        audit.record(
            "reveal",
            actor=world.community_staff,
            target=person,
            fields=["id_number"],
            purpose=f"核验{n}",
            channel="command",
        )

    made = backup.backup(tmp_path / "backup")
    assert made.database.exists() and sorted(p.name for p in made.keys.iterdir())
    assert not any(made.keys.name in str(p) for p in made.folder.iterdir())  # the key files are apart
    assert (made.keys.stat().st_mode & 0o077) == 0

    env = {**os.environ, "DATABASE_URL": empty_database, "SHEQU_VAR_DIR": str(tmp_path / "fresh-var")}
    env.pop("SHEQU_DATA_KEY_FILE", None)
    Path(env["SHEQU_VAR_DIR"]).mkdir()
    _manage(env, "restore", str(made.folder))
    assert "#" in _manage(env, "verify_audit")
    read = f"from shequ.registry.models import Person; print(Person.objects.get(pk={person.pk}).id_number)"
    assert _manage(env, "shell", "-c", read).strip().splitlines()[-1] == id_number


def test_it_refuses_a_damaged_backup_and_a_database_that_is_not_empty(world, tmp_path):
    made = backup.backup(tmp_path / "backup")
    with pytest.raises(ValueError, match="not empty"):
        backup.restore(made.folder)
    with made.database.open("ab") as f:
        f.write(b"x")
    with pytest.raises(ValueError, match="checksum"):
        backup.restore(made.folder)
