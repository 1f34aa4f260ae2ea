from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from shequ.access.models import User
from shequ.demo.ledgers import FAULTS_FILE, ORGANIZATIONS_FILE, PEOPLE_FILE
from shequ.events.models import Event
from shequ.geo.models import Region
from shequ.registry.models import Organization, Person


@pytest.fixture(autouse=True)
def _ledgers_out(settings, tmp_path):
    # load_demo writes its sample ledgers under VAR_DIR: keep them out of the working tree.
    settings.VAR_DIR = tmp_path


def run(*args: str) -> str:
    out = StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def counts() -> tuple[int, int, int]:
    return Region.objects.count(), User.objects.count(), Event.objects.count()


def test_it_loads_the_demo_once_prints_the_accounts_and_writes_the_ledgers_then_skips_or_refuses_again(db, settings):
    """One load and what follows it (each load costs most of a minute of CI; the later runs stop before loading)."""
    out = run("--scale", "tiny", "--events", "20", "--seed", "5")
    assert counts()[2] == 20
    for username in ("jumin", "wanggeyuan", "shequ", "jiedao", "quzhongxin", "chuzhi", "admin"):
        assert f"  {username} " in out
    assert "shequ2025" in out
    for url in ("http://127.0.0.1:8000/", "/portal/", "/api/docs", "/admin/"):
        assert url in out
    # People and organisations settled, the sample ledgers written.
    assert Person.objects.count() > 1000 and Organization.objects.count() > 50
    assert f"{Person.objects.count():,} people" in out or f"{Person.objects.count():,} 人" in out
    folder = settings.VAR_DIR / "demo-ledgers"
    assert sorted(p.name for p in folder.iterdir()) == sorted([FAULTS_FILE, ORGANIZATIONS_FILE, PEOPLE_FILE])

    # Asked to load only into an empty database: it skips, and still prints the accounts.
    before = counts()
    out = run("--scale", "tiny", "--if-empty")
    assert counts() == before
    assert "  quzhongxin " in out and "/admin/" in out

    # Asked to load again: refused, nothing changed.
    with pytest.raises(CommandError) as raised:
        run("--scale", "tiny", "--events", "0")
    assert raised.value.returncode == 1
    assert counts() == before


def test_demo_ledgers_refuses_without_people(db, tmp_path):
    with pytest.raises(CommandError) as raised:
        call_command("demo_ledgers", "--out", str(tmp_path / "out"), stdout=StringIO())
    assert raised.value.returncode == 1
    assert not (tmp_path / "out").exists()
