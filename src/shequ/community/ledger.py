"""Posting to the two ledgers (time bank and points): accounts, idempotent transfers, reversals, statements and a
full check. The database keeps the invariants (``ledger_sql``); this module adds clear refusals and retries.

Rules:
- ``post`` moves a positive whole amount between two different accounts of one ledger, under a key. A second
  call with the same key returns the first transfer (the same posting) and moves nothing; the same key for a
  different posting is refused.
- A posting that would take the debit below its floor is refused, by the check here and, whatever happens in
  between, by the database's ``CHECK (balance >= floor)``.
- Transfers are never changed. ``reverse`` corrects one with its mirror image (at most one per original; a
  reversal is not itself reversed: post anew instead).
- Both accounts are locked in id order before posting, so concurrent postings on PostgreSQL neither deadlock nor
  apply out of order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from shequ.access.models import User
from shequ.core import clock
from shequ.core.errors import DomainError, InvalidInput
from shequ.geo.models import Region
from shequ.registry.models import Household, Person

from .models import AccountKind, Merchant, PointsAccount, PointsTransfer, TimeAccount, TimeTransfer

A = TypeVar("A", TimeAccount, PointsAccount)
KEY_MAX = 120


class LedgerRefused(DomainError):
    """The posting breaks a ledger rule (floor, reuse of a key, a second reversal)."""

    status = 409
    code = "ledger_refused"


@dataclass(frozen=True)
class Ledger(Generic[A]):
    name: str  # "time" or "points"
    account: type[A]
    transfer: type[Any]

    @property
    def floor(self) -> int:
        """The configured floor of residents' and households' accounts (minutes or points)."""
        return settings.SHEQU_TIMEBANK_FLOOR_MINUTES if self.name == "time" else settings.SHEQU_POINTS_FLOOR


TIME: Ledger[TimeAccount] = Ledger("time", TimeAccount, TimeTransfer)
POINTS: Ledger[PointsAccount] = Ledger("points", PointsAccount, PointsTransfer)


def ledger_of(account: TimeAccount | PointsAccount) -> Ledger:
    return TIME if isinstance(account, TimeAccount) else POINTS


# --- accounts -------------------------------------------------------------------------------------------------


def _account(ledger: Ledger, kind: str, floor: int | None, **owner: Any) -> Any:
    account, _created = ledger.account.objects.get_or_create(kind=kind, **owner, defaults={"floor": floor})
    return account


def person_account(ledger: Ledger, person: Person) -> Any:
    return _account(ledger, AccountKind.PERSON, ledger.floor, person=person)


def household_account(household: Household) -> TimeAccount:
    return _account(TIME, AccountKind.HOUSEHOLD, TIME.floor, household=household)


def pool_account(ledger: Ledger, community: Region) -> Any:
    """The community's pool: it issues what the community's volunteers earn, so it has no floor."""
    return _account(ledger, AccountKind.POOL, None, community=community)


def merchant_account(merchant: Merchant) -> PointsAccount:
    return _account(POINTS, AccountKind.MERCHANT, 0, merchant=merchant)


def existing_person_account(ledger: Ledger, person: Person | None) -> Any:
    if person is None:
        return None
    return ledger.account.objects.filter(kind=AccountKind.PERSON, person=person).first()


# --- postings -------------------------------------------------------------------------------------------------


def _same(transfer: Any, debit: Any, credit: Any, amount: int) -> bool:
    return (transfer.debit_id, transfer.credit_id, transfer.amount) == (debit.pk, credit.pk, amount)


def _floor_error(account: Any, amount: int) -> LedgerRefused:
    unit = _("minutes") if isinstance(account, TimeAccount) else _("points")
    return LedgerRefused(
        _("Not enough in the account: %(balance)s %(unit)s, and %(amount)s are needed.")
        % {"balance": account.balance, "amount": amount, "unit": unit},
        code="insufficient_balance",
    )


def _lock(ledger: Ledger, *accounts: Any) -> dict[int, Any]:
    ids = sorted({a.pk for a in accounts})
    return {a.pk: a for a in ledger.account.objects.select_for_update().filter(pk__in=ids).order_by("pk")}


def _check_key(key: str) -> str:
    key = (key or "").strip()
    if not key or len(key) > KEY_MAX:
        raise InvalidInput(_("A posting needs a key of at most %(n)s characters.") % {"n": KEY_MAX}, code="bad_key")
    return key


def _by_key(ledger: Ledger, key: str, debit: Any, credit: Any, amount: int) -> Any:
    found = ledger.transfer.objects.filter(key=key).first()
    if found is not None and not _same(found, debit, credit, amount):
        raise LedgerRefused(_("This key was already used for another posting."), code="key_reused")
    return found


@transaction.atomic
def post(
    ledger: Ledger,
    *,
    debit: Any,
    credit: Any,
    amount: int,
    kind: str,
    key: str,
    by: User | None,
    memo: str = "",
    reverses: Any = None,
) -> Any:
    """Move ``amount`` from ``debit`` to ``credit`` once per ``key`` (see the module's rules)."""
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise InvalidInput(_("The amount must be a positive whole number."), code="bad_amount", field="amount")
    if not isinstance(debit, ledger.account) or not isinstance(credit, ledger.account):
        raise InvalidInput(_("Both accounts must belong to the same ledger."), code="wrong_ledger")
    if debit.pk == credit.pk:
        raise InvalidInput(_("A transfer needs two different accounts."), code="same_account")
    key = _check_key(key)
    found = _by_key(ledger, key, debit, credit, amount)
    if found is not None:
        return found
    locked = _lock(ledger, debit, credit)
    # A concurrent posting with the same key may have committed while this one waited for the locks.
    found = _by_key(ledger, key, debit, credit, amount)
    if found is not None:
        return found
    source = locked[debit.pk]
    if source.floor is not None and source.balance - amount < source.floor:
        raise _floor_error(source, amount)
    try:
        with transaction.atomic():
            transfer = ledger.transfer.objects.create(
                debit=source,
                credit=locked[credit.pk],
                amount=amount,
                kind=kind,
                key=key,
                memo=memo[:200],
                by=by,
                at=clock.now(),
                reverses=reverses,
            )
    except IntegrityError as e:
        found = _by_key(ledger, key, debit, credit, amount)
        if found is not None:
            return found
        if "_floor" in str(e):
            raise _floor_error(source, amount) from e
        raise
    for account in (debit, credit):  # the caller's objects show the new balances
        account.refresh_from_db(fields=["balance", "last_transfer_id"])
    return transfer


@transaction.atomic
def reverse(ledger: Ledger, transfer: Any, *, by: User | None, reason: str) -> Any:
    """Undo a transfer with its mirror image. Reversing twice returns the first reversal."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Give the reason for the correction."), code="reason_required", field="reason")
    if transfer.reverses_id is not None:
        raise LedgerRefused(_("A reversal is not reversed: post the right amount anew."), code="reversal_of_reversal")
    done = ledger.transfer.objects.filter(reverses=transfer).first()
    if done is not None:
        return done
    return post(
        ledger,
        debit=transfer.credit,
        credit=transfer.debit,
        amount=transfer.amount,
        kind="reversal",
        key=f"reverse:{transfer.pk}",
        by=by,
        memo=reason,
        reverses=transfer,
    )


# --- reading --------------------------------------------------------------------------------------------------


def _sum(qs: models.QuerySet) -> int:
    return int(qs.aggregate(n=Sum("amount"))["n"] or 0)


def balance_before(ledger: Ledger, account: Any, when: datetime) -> int:
    transfers = ledger.transfer.objects.filter(at__lt=when)
    return _sum(transfers.filter(credit=account)) - _sum(transfers.filter(debit=account))


@dataclass
class Line:
    transfer: Any
    amount: int  # signed: + into the account, - out of it
    counterparty: Any  # the other account


@dataclass
class Statement:
    ledger: str
    start: datetime
    end: datetime
    opening: int
    lines: list[Line] = field(default_factory=list)

    @property
    def received(self) -> int:
        return sum(line.amount for line in self.lines if line.amount > 0)

    @property
    def spent(self) -> int:
        return -sum(line.amount for line in self.lines if line.amount < 0)

    @property
    def closing(self) -> int:
        return self.opening + self.received - self.spent


def statement(ledger: Ledger, account: Any, start: datetime, end: datetime) -> Statement:
    """The account from ``start`` (inclusive) to ``end`` (exclusive): opening balance, every transfer, closing."""
    result = Statement(ledger=ledger.name, start=start, end=end, opening=0)
    if account is None:
        return result
    result.opening = balance_before(ledger, account, start)
    rows = (
        ledger.transfer.objects.filter(Q(debit=account) | Q(credit=account), at__gte=start, at__lt=end)
        .select_related("debit", "credit")
        .order_by("at", "id")
    )
    for t in rows:
        incoming = t.credit_id == account.pk
        result.lines.append(Line(t, t.amount if incoming else -t.amount, t.debit if incoming else t.credit))
    return result


@dataclass(frozen=True)
class Check:
    total: int  # the sum of every balance: zero
    mismatched: list[int]  # accounts whose balance differs from the sum of their transfers
    below_floor: list[int]

    @property
    def ok(self) -> bool:
        return self.total == 0 and not self.mismatched and not self.below_floor


def verify(ledger: Ledger) -> Check:
    """Recompute every balance from the transfers (for audits and tests: it reads the whole ledger)."""
    credits = dict(ledger.transfer.objects.values("credit").annotate(n=Sum("amount")).values_list("credit", "n"))
    debits = dict(ledger.transfer.objects.values("debit").annotate(n=Sum("amount")).values_list("debit", "n"))
    total, mismatched, below = 0, [], []
    for pk, bal, floor in ledger.account.objects.values_list("pk", "balance", "floor"):
        total += bal
        if bal != int(credits.get(pk, 0) or 0) - int(debits.get(pk, 0) or 0):
            mismatched.append(pk)
        if floor is not None and bal < floor:
            below.append(pk)
    return Check(total=total, mismatched=mismatched, below_floor=below)
