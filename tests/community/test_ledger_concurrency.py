"""Concurrent postings on PostgreSQL: real transactions in threads, each on its own connection."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable

import pytest
from django.db import connection

from shequ.community import ledger
from shequ.community.ledger import TIME, LedgerRefused
from shequ.community.models import TimeAccount, TimeTransfer

from .conftest import person_in

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the in-memory SQLite test database cannot make a second writer wait")


def run_threads(n: int, work: Callable[[int], None]) -> list[BaseException]:
    start, errors = threading.Barrier(n), []

    def body(i: int) -> None:
        try:
            start.wait()
            work(i)
        except BaseException as e:
            errors.append(e)
        finally:
            connection.close()

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_concurrent_spending_never_goes_below_the_floor(world):
    pool = ledger.pool_account(TIME, world.c1)
    a, b = (ledger.person_account(TIME, person_in(world.g1)) for _ in range(2))
    ledger.post(TIME, debit=pool, credit=a, amount=100, kind="grant", key="seed", by=None)
    done, refused = [], []

    def spend(i: int) -> None:
        try:
            done.append(ledger.post(TIME, debit=a, credit=b, amount=30, kind="family", key=f"spend{i}", by=None))
        except LedgerRefused as e:
            refused.append(e.code)

    assert run_threads(8, spend) == []
    assert len(done) == 3 and refused == ["insufficient_balance"] * 5
    a.refresh_from_db()
    assert a.balance == 10 and ledger.verify(TIME).ok


def test_concurrent_retries_of_one_posting_post_once(world):
    pool = ledger.pool_account(TIME, world.c1)
    a = ledger.person_account(TIME, person_in(world.g1))
    ids = []

    def retry(_i: int) -> None:
        ids.append(ledger.post(TIME, debit=pool, credit=a, amount=45, kind="volunteering", key="once", by=None).pk)

    assert run_threads(6, retry) == []
    assert len(set(ids)) == 1 and TimeTransfer.objects.count() == 1
    a.refresh_from_db()
    assert a.balance == 45 and ledger.verify(TIME).ok


def test_concurrent_postings_both_ways_keep_the_zero_sum(world):
    """Transfers in opposite directions between the same accounts: locked in id order, no deadlock."""
    pool = ledger.pool_account(TIME, world.c1)
    people = [ledger.person_account(TIME, person_in(world.g1)) for _ in range(3)]
    for i, acc in enumerate(people):
        ledger.post(TIME, debit=pool, credit=acc, amount=200, kind="grant", key=f"seed{i}", by=None)
    accounts = [pool, *people]
    refused = []

    def shuffle(i: int) -> None:
        rng = random.Random(i)
        for n in range(15):
            d, c = rng.sample(range(len(accounts)), 2)
            try:
                ledger.post(
                    TIME,
                    debit=accounts[d],
                    credit=accounts[c],
                    amount=rng.randint(1, 90),
                    kind="x",
                    key=f"w{i}-{n}",
                    by=None,
                )
            except LedgerRefused as e:
                refused.append(e.code)

    assert run_threads(4, shuffle) == []
    assert set(refused) <= {"insufficient_balance"}
    assert TimeTransfer.objects.count() == 3 + 60 - len(refused)
    check = ledger.verify(TIME)
    assert check.ok and check.total == 0
    assert all(b >= 0 for b in TimeAccount.objects.exclude(pk=pool.pk).values_list("balance", flat=True))
