"""The chain: entries append in order, hash their contents, and any edit, deletion or reordering is reported."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection, transaction

from shequ import audit
from shequ.audit.actions import Target
from shequ.audit.chain import GENESIS, Problem, digest
from shequ.audit.models import AppendOnly, AuditEntry, AuditHead

from .conftest import raw

pytestmark = pytest.mark.django_db

SWAPPED = (
    "at",
    "actor_id",
    "actor_username",
    "ip",
    "user_agent",
    "channel",
    "action",
    "target_type",
    "target_id",
    "area_code",
    "fields",
    "purpose",
    "detail",
    "prev_hash",
    "hash",
)


def five(world) -> list[AuditEntry]:
    return [
        audit.record(
            "reveal",
            actor=world.community_staff,
            target=Target("registry.person", str(i), "440304001001"),
            fields=["id_number"],
            purpose=f"核实身份 {i}",
            detail={"n": i, "when": datetime(2026, 1, i, tzinfo=UTC)},
        )
        for i in range(1, 6)
    ]


def test_it_chains_entries_from_the_genesis_hash(world):
    entries = five(world)
    assert [e.sequence for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == GENESIS
    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
    head = AuditHead.objects.get(pk=1)
    assert (head.sequence, head.hash) == (5, entries[-1].hash)
    assert audit.verify_chain().ok


def test_it_hashes_the_documented_canonical_form(world):
    """docs/audit.md tells an outside verifier how to recompute a hash; hold the code to it."""
    entry = AuditEntry.objects.get(sequence=five(world)[1].sequence)
    doc = {
        "sequence": 2,
        "at": entry.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": world.community_staff.pk,
        "actor_username": "c1staff",
        "ip": "",
        "user_agent": "",
        "channel": "command",
        "action": "reveal",
        "target_type": "registry.person",
        "target_id": "2",
        "area_code": "440304001001",
        "fields": ["id_number"],
        "purpose": "核实身份 2",
        "detail": {"n": 2, "when": "2026-01-02T00:00:00Z"},
        "prev_hash": entry.prev_hash,
    }
    text = json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert entry.hash == hashlib.sha256(text.encode()).hexdigest()


def test_it_detects_an_edited_entry(world):
    five(world)
    raw("UPDATE {t} SET purpose = %s WHERE sequence = 3", ["随便看看"])
    verdict = audit.verify_chain()
    assert (verdict.ok, verdict.problem, verdict.sequence, verdict.checked) == (False, Problem.ALTERED, 3, 2)
    assert "第 3 条" in verdict.message


def test_it_detects_an_edit_hidden_by_a_fresh_hash_at_the_next_entry(world):
    entries = five(world)
    forged = {**AuditEntry.objects.filter(sequence=3).values(*SWAPPED, "sequence").get(), "purpose": "改过"}
    raw("UPDATE {t} SET purpose = %s, hash = %s WHERE sequence = 3", ["改过", digest(forged)])
    verdict = audit.verify_chain()
    assert (verdict.problem, verdict.sequence) == (Problem.REORDERED, 4)
    assert entries  # the rest of the chain was intact before


def test_it_detects_a_deleted_entry(world):
    five(world)
    raw("DELETE FROM {t} WHERE sequence = 2")
    verdict = audit.verify_chain()
    assert (verdict.ok, verdict.problem, verdict.sequence) == (False, Problem.MISSING, 2)
    assert "第 2 条" in verdict.message


def test_it_detects_entries_cut_off_the_end(world):
    five(world)
    raw("DELETE FROM {t} WHERE sequence >= 4")
    verdict = audit.verify_chain()
    assert (verdict.ok, verdict.problem, verdict.sequence) == (False, Problem.TRUNCATED, 4)


def test_it_detects_a_reordered_entry(world):
    five(world)
    rows = {r["sequence"]: r for r in AuditEntry.objects.filter(sequence__in=[3, 4]).values("sequence", *SWAPPED)}
    for seq, other in ((3, 4), (4, 3)):
        values = [json.dumps(rows[other][c]) if c in ("fields", "detail") else rows[other][c] for c in SWAPPED]
        assignments = ", ".join(f"{connection.ops.quote_name(c)} = %s" for c in SWAPPED)
        raw(f"UPDATE {{t}} SET {assignments} WHERE sequence = %s", [*values, seq])
    assert AuditEntry.objects.get(sequence=3).purpose == "核实身份 4"
    verdict = audit.verify_chain()
    assert (verdict.ok, verdict.problem, verdict.sequence) == (False, Problem.REORDERED, 3)
    assert "第 3 条" in verdict.message


def test_it_verifies_in_chunks(world):
    five(world)
    assert audit.verify_chain(chunk_size=2).checked == 5
    raw("UPDATE {t} SET action = %s WHERE sequence = 5", ["login"])
    assert audit.verify_chain(chunk_size=2).sequence == 5


def test_the_command_reports_the_fault_in_chinese_and_fails(world, capsys):
    five(world)
    call_command("verify_audit")
    assert "5" in capsys.readouterr().out
    raw("UPDATE {t} SET ip = %s WHERE sequence = 4", ["10.0.0.9"])
    with pytest.raises(CommandError) as failure:
        call_command("verify_audit")
    assert failure.value.returncode == 1
    assert "第 4 条" in str(failure.value)


def test_an_empty_trail_verifies(db):
    verdict = audit.verify_chain()
    assert (verdict.ok, verdict.checked) == (True, 0)


def test_the_model_refuses_updates_and_deletes(world):
    entry = five(world)[0]
    entry.purpose = "改写"
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        entry.delete()
    with pytest.raises(AppendOnly):
        AuditEntry.objects.filter(pk=entry.pk).update(purpose="改写")
    with pytest.raises(AppendOnly):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.count() == 5
    assert AuditEntry.objects.get(pk=entry.pk).purpose == "核实身份 1"
    assert audit.verify_chain().ok


def test_it_refuses_an_unknown_action(world):
    with pytest.raises(ValueError):
        audit.record("peek", actor=world.admin)
    assert not AuditEntry.objects.exists()


def test_a_rolled_back_write_leaves_no_entry_and_no_gap(world):
    audit.record("write", actor=world.admin)
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record("write", actor=world.admin)
        raise RuntimeError("the write failed")
    audit.record("write", actor=world.admin)
    assert list(AuditEntry.objects.order_by("sequence").values_list("sequence", flat=True)) == [1, 2]
    assert audit.verify_chain().ok


def test_it_takes_the_target_from_a_model_instance(world):
    entry = audit.record("grant_change", actor=world.admin, target=world.c1)
    assert (entry.target_type, entry.target_id, entry.area_code) == ("geo.region", str(world.c1.pk), "440304001001")


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_do_not_fork_the_chain():
    per_thread, errors = 25, []
    start = threading.Barrier(2)

    def append_one(name: str, i: int) -> None:
        # The SQLite test database is in memory with a shared cache, where a busy writer gets "table is locked"
        # at once instead of waiting out busy_timeout as the file database does. Wait here the same way.
        for _attempt in range(500):
            try:
                audit.record("query", target=Target("test", f"{name}{i}"), purpose=name)
                return
            except OperationalError as e:
                if connection.vendor != "sqlite" or "locked" not in str(e):
                    raise
                time.sleep(0.01)
        raise AssertionError("never got the write lock")

    def append(name: str) -> None:
        try:
            start.wait()
            for i in range(per_thread):
                append_one(name, i)
        except Exception as e:
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=append, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    seqs = list(AuditEntry.objects.order_by("sequence").values_list("sequence", flat=True))
    assert seqs == list(range(1, 2 * per_thread + 1))
    assert AuditEntry.objects.values("prev_hash").distinct().count() == 2 * per_thread  # no two share a parent
    assert set(AuditEntry.objects.values_list("purpose", flat=True)) == {"a", "b"}
    assert audit.verify_chain().ok


def test_numbers_and_dates_in_detail_verify_after_the_round_trip(world):
    from decimal import Decimal

    entry = audit.record(
        "query", actor=world.admin, detail={"big": 1e20, "small": 0.1, "price": Decimal("1.50"), "n": 3, "ok": True}
    )
    assert AuditEntry.objects.get(pk=entry.pk).detail == {
        "big": "1e+20",
        "small": "0.1",
        "price": "1.50",
        "n": 3,
        "ok": True,
    }
    assert audit.verify_chain().ok
