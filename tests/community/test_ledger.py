"""The ledgers' rules, kept by the database on either engine: zero sum, floors, immutability, reversal only,
idempotent keys."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shequ.community import ledger
from shequ.community.ledger import POINTS, TIME, LedgerRefused
from shequ.community.models import PointsAccount, TimeAccount, TimeTransfer

from .conftest import person_in


@pytest.fixture
def accounts(world):
    a, b, c = (ledger.person_account(TIME, person_in(world.g1)) for _ in range(3))
    pool = ledger.pool_account(TIME, world.c1)
    return pool, a, b, c


def snapshot() -> list:
    return [*list(TimeAccount.objects.order_by("pk").values_list("pk", "balance")), TimeTransfer.objects.count()]


def refused(call) -> None:
    """The database refuses: nothing of the statement stays (a savepoint keeps PostgreSQL's transaction usable)."""
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        call()


def test_a_posting_moves_the_amount_and_the_ledger_sums_to_zero(accounts, world):
    pool, a, b, _c = accounts
    ledger.post(TIME, debit=pool, credit=a, amount=90, kind="volunteering", key="t1", by=None)
    ledger.post(TIME, debit=a, credit=b, amount=30, kind="family", key="t2", by=None)
    assert (pool.balance, a.balance, b.balance) == (-90, 60, 30)
    check = ledger.verify(TIME)
    assert check.ok and check.total == 0


def test_a_retried_posting_posts_once(accounts):
    pool, a, _b, _c = accounts
    first = ledger.post(TIME, debit=pool, credit=a, amount=60, kind="volunteering", key="same", by=None)
    again = ledger.post(TIME, debit=pool, credit=a, amount=60, kind="volunteering", key="same", by=None)
    assert again.pk == first.pk
    a.refresh_from_db()
    assert a.balance == 60 and TimeTransfer.objects.count() == 1


def test_a_key_used_for_another_posting_is_refused_and_nothing_moves(accounts):
    pool, a, b, _c = accounts
    ledger.post(TIME, debit=pool, credit=a, amount=60, kind="volunteering", key="k", by=None)
    before = snapshot()
    with pytest.raises(LedgerRefused) as e:
        ledger.post(TIME, debit=pool, credit=b, amount=60, kind="volunteering", key="k", by=None)
    assert e.value.code == "key_reused"
    assert snapshot() == before


def test_the_floor_refuses_a_posting_with_a_clear_message_and_nothing_moves(accounts):
    _pool, a, b, _c = accounts
    before = snapshot()
    with pytest.raises(LedgerRefused) as e:
        ledger.post(TIME, debit=a, credit=b, amount=1, kind="family", key="over", by=None)
    assert e.value.code == "insufficient_balance" and "0" in e.value.message
    assert snapshot() == before


def test_the_database_itself_keeps_the_floor(accounts):
    _pool, a, b, _c = accounts
    before = snapshot()
    refused(lambda: TimeTransfer.objects.create(debit=a, credit=b, amount=5, kind="family", key="raw"))
    assert snapshot() == before


def test_transfers_cannot_be_changed_or_deleted(accounts):
    pool, a, _b, _c = accounts
    t = ledger.post(TIME, debit=pool, credit=a, amount=60, kind="volunteering", key="t", by=None)
    before = snapshot()
    refused(lambda: TimeTransfer.objects.filter(pk=t.pk).update(amount=600))
    refused(lambda: TimeTransfer.objects.filter(pk=t.pk).delete())

    def raw_update():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE community_timetransfer SET credit_id = debit_id")

    refused(raw_update)
    assert snapshot() == before


def test_a_balance_changes_only_by_a_transfer(accounts):
    pool, a, _b, _c = accounts
    ledger.post(TIME, debit=pool, credit=a, amount=60, kind="volunteering", key="t", by=None)
    before = snapshot()
    refused(lambda: TimeAccount.objects.filter(pk=a.pk).update(balance=6000))
    refused(lambda: TimeAccount.objects.filter(pk=pool.pk).update(balance=0, last_transfer_id=None))
    refused(lambda: TimeAccount.objects.filter(pk=a.pk).delete())
    refused(lambda: TimeAccount.objects.bulk_create([TimeAccount(kind="pool", balance=100)]))
    assert snapshot() == before
    # The floor may change (staff), the balance may not.
    TimeAccount.objects.filter(pk=a.pk).update(floor=-30)
    assert ledger.verify(TIME).ok


def test_a_reversal_mirrors_its_original_once(accounts, world):
    pool, a, _b, _c = accounts
    t = ledger.post(TIME, debit=pool, credit=a, amount=60, kind="volunteering", key="t", by=None)
    back = ledger.reverse(TIME, t, by=world.community_staff, reason="记错了")
    assert (back.debit_id, back.credit_id, back.amount, back.reverses_id) == (a.pk, pool.pk, 60, t.pk)
    assert ledger.reverse(TIME, t, by=world.community_staff, reason="再来一次").pk == back.pk
    with pytest.raises(LedgerRefused):
        ledger.reverse(TIME, back, by=None, reason="反冲的反冲")
    a.refresh_from_db()
    assert a.balance == 0 and ledger.verify(TIME).ok


def test_the_database_refuses_a_reversal_that_does_not_mirror(accounts):
    pool, a, b, _c = accounts
    t = ledger.post(TIME, debit=pool, credit=a, amount=60, kind="volunteering", key="t", by=None)
    ledger.post(TIME, debit=pool, credit=b, amount=60, kind="volunteering", key="t2", by=None)
    before = snapshot()
    refused(lambda: TimeTransfer.objects.create(debit=b, credit=pool, amount=60, kind="reversal", key="x", reverses=t))
    refused(lambda: TimeTransfer.objects.create(debit=a, credit=pool, amount=30, kind="reversal", key="y", reverses=t))
    assert snapshot() == before


def test_a_reversal_that_would_break_the_floor_is_refused(accounts, world):
    pool, a, b, _c = accounts
    t = ledger.post(TIME, debit=pool, credit=a, amount=60, kind="volunteering", key="t", by=None)
    ledger.post(TIME, debit=a, credit=b, amount=50, kind="family", key="spent", by=None)
    with pytest.raises(LedgerRefused):
        ledger.reverse(TIME, t, by=world.community_staff, reason="记错了")
    assert ledger.verify(TIME).ok


def test_the_two_ledgers_do_not_mix(accounts, world):
    pool, a, _b, _c = accounts
    points = ledger.person_account(POINTS, a.person)
    with pytest.raises(Exception):  # noqa: B017  (InvalidInput: a points account in a time posting)
        ledger.post(TIME, debit=pool, credit=points, amount=5, kind="x", key="mix", by=None)
    assert PointsAccount.objects.get(pk=points.pk).balance == 0


Op = st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(1, 120), st.integers(0, 15))


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(ops=st.lists(Op, min_size=1, max_size=25))
def _random_postings(accounts, ops):
    with transaction.atomic():
        expected = {acc.pk: 0 for acc in accounts}
        floors = {acc.pk: acc.floor for acc in accounts}
        used: dict[str, tuple] = {}
        for d, c, amount, k in ops:
            debit, credit = accounts[d], accounts[c]
            key = f"r{k}"
            try:
                ledger.post(TIME, debit=debit, credit=credit, amount=amount, kind="x", key=key, by=None)
            except LedgerRefused as e:
                if e.code == "key_reused":
                    assert used[key] != (debit.pk, credit.pk, amount)
                else:
                    assert e.code == "insufficient_balance"
                    assert key not in used and expected[debit.pk] - amount < floors[debit.pk]
                continue
            except Exception as e:  # InvalidInput: the same account twice
                assert d == c, e
                continue
            if key in used:
                assert used[key] == (debit.pk, credit.pk, amount)
                continue
            used[key] = (debit.pk, credit.pk, amount)
            expected[debit.pk] -= amount
            expected[credit.pk] += amount
        check = ledger.verify(TIME)
        assert check.ok and check.total == 0
        assert dict(TimeAccount.objects.filter(pk__in=expected).values_list("pk", "balance")) == expected
        assert all(b >= 0 for pk, b in expected.items() if floors[pk] is not None)
        transaction.set_rollback(True)


def test_random_postings_keep_the_zero_sum_and_the_floors(accounts):
    _random_postings(accounts)
