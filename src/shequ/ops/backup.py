"""Backup and restore (docs/operations.md): a consistent dump of the database and, apart from it, the key files.

A backup is a folder ``<name>/`` holding ``database.dump`` (PostgreSQL: ``pg_dump --format=custom``, one snapshot)
or ``database.sqlite3`` (SQLite's online backup API, consistent while the platform writes) and ``manifest.json``;
the key files go to ``<name>-keys/`` beside it (mode 0700), to be kept somewhere else: whoever holds both holds
every encrypted field in clear.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection

from shequ.core import clock

KEY_NAMES = ("secret_key", "data_keys", "oidc_private_key.pem", "vapid_private.pem")


@dataclass(frozen=True)
class Backup:
    folder: Path
    keys: Path
    database: Path


def key_files() -> list[Path]:
    """The key files this platform reads, where they exist (the data key file may live outside var/)."""
    var = Path(settings.VAR_DIR)
    paths = [var / name for name in KEY_NAMES if name != "data_keys"]
    paths.append(Path(getattr(settings, "SHEQU_DATA_KEY_FILE", "") or var / "data_keys"))
    return [p for p in paths if p.exists()]


def _pg_env() -> tuple[list[str], dict[str, str]]:
    db = connection.settings_dict
    args = ["--host", db["HOST"] or "127.0.0.1", "--port", str(db["PORT"] or 5432), "--username", db["USER"]]
    env = {**os.environ, "PGPASSWORD": db["PASSWORD"] or "", "PGCONNECT_TIMEOUT": "10"}
    return args, env


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def backup(out: Path | None = None) -> Backup:
    folder = out or Path(settings.VAR_DIR) / "backups" / clock.now().strftime("%Y%m%dT%H%M%SZ")
    folder.mkdir(parents=True, exist_ok=False)
    keys = folder.with_name(folder.name + "-keys")
    keys.mkdir(mode=0o700, exist_ok=False)
    if connection.vendor == "postgresql":
        database = folder / "database.dump"
        args, env = _pg_env()
        name = connection.settings_dict["NAME"]
        subprocess.run(["pg_dump", *args, "--format=custom", "--file", str(database), name], env=env, check=True)
    else:
        database = folder / "database.sqlite3"
        connection.ensure_connection()
        target = sqlite3.connect(database)
        try:
            connection.connection.backup(target)  # consistent: the API copies one snapshot, pages locked as read
        finally:
            target.close()
    for path in key_files():
        shutil.copy2(path, keys / path.name)
        os.chmod(keys / path.name, 0o600)
    manifest = {
        "made_at": clock.now().isoformat(),
        "engine": connection.vendor,
        "database": {"file": database.name, "sha256": _sha256(database)},
        "keys": sorted(p.name for p in key_files()),
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return Backup(folder=folder, keys=keys, database=database)


def restore(folder: Path, *, keys: Path | None = None) -> None:
    """Bring a backup into this machine's empty database and var/.

    Only into an empty database (a fresh machine): nothing there can have been encrypted with the key files this
    machine made when it first started, so the backup's key files replace them."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    database = folder / manifest["database"]["file"]
    if _sha256(database) != manifest["database"]["sha256"]:
        raise ValueError(f"{database}: the checksum does not match the manifest (a damaged or partial copy)")
    if manifest["engine"] != connection.vendor:
        raise ValueError(f"the backup is of {manifest['engine']}, this machine runs {connection.vendor}")
    if connection.introspection.table_names():
        raise ValueError("the database is not empty: restore brings a fresh machine back (an empty database)")
    keys = keys or folder.with_name(folder.name + "-keys")
    var = Path(settings.VAR_DIR)
    for name in manifest["keys"]:
        source = keys / name
        target = (
            Path(getattr(settings, "SHEQU_DATA_KEY_FILE", "") or var / "data_keys")
            if name == "data_keys"
            else var / name
        )
        shutil.copy2(source, target)
        os.chmod(target, 0o600)
    if connection.vendor == "postgresql":
        args, env = _pg_env()
        name = connection.settings_dict["NAME"]
        connection.close()
        subprocess.run(
            [
                "pg_restore",
                *args,
                "--no-owner",
                "--exit-on-error",
                "--single-transaction",
                "--dbname",
                name,
                str(database),
            ],
            env=env,
            check=True,
        )
    else:
        connection.ensure_connection()
        source_db = sqlite3.connect(database)
        try:
            source_db.backup(connection.connection)
        finally:
            source_db.close()
