"""The two ledgers, time bank (时间银行, minutes) and points (积分), kept by one discipline.

A ledger is accounts and transfers. A transfer moves a positive whole amount from one account (debit) to another
(credit): one row holds both legs, so every transfer sums to zero by its shape. The database itself keeps the
rest (``community.ledger_sql``, installed by migration on SQLite and PostgreSQL alike):

- an account's ``balance`` changes only through a transfer's insert trigger, which moves ``amount`` out of the
  debit and into the credit in the same statement; any other change to a balance is refused, and an account
  starts at zero, so the balances of a ledger always sum to zero;
- ``CHECK (floor IS NULL OR balance >= floor)``: a transfer that would take an account below its floor fails;
- transfers are immutable (UPDATE and DELETE refused); a correction is a reversing transfer (``reverses``) that
  mirrors its original exactly, at most one per original;
- ``key`` is unique: a retried posting finds the first one instead of posting twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shequ.core import clock
from shequ.geo.models import Region
from shequ.registry.models import Household, Person


class AccountKind(models.TextChoices):
    PERSON = "person", _("Resident")
    HOUSEHOLD = "household", _("Household")
    POOL = "pool", _("Community pool")
    MERCHANT = "merchant", _("Merchant")


class LedgerAccount(models.Model):
    kind = models.CharField(_("kind"), max_length=10, choices=AccountKind.choices)
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Kept by the database's transfer trigger only (see the module's docstring).
    balance = models.BigIntegerField(_("balance"), default=0, editable=False)
    # The lowest balance allowed; NULL: none (a community pool issues what its volunteers earn).
    floor = models.BigIntegerField(_("floor"), null=True, blank=True)
    # The newest transfer applied to this account: the guard trigger accepts a balance change only for a newer one.
    last_transfer_id = models.BigIntegerField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.kind}:{self.pk}"


class LedgerTransfer(models.Model):
    amount = models.BigIntegerField(_("amount"))
    # What the transfer is for (volunteering, help, family, grant, earn, redeem, reversal ...).
    kind = models.CharField(_("kind"), max_length=20)
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    # The idempotency key: the same key is the same posting.
    key = models.CharField(_("key"), max_length=120, unique=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("time"), default=clock.now, db_index=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.pk}: {self.amount}"


def _account_constraints(prefix: str) -> list:
    return [
        models.CheckConstraint(condition=Q(floor__isnull=True) | Q(balance__gte=F("floor")), name=f"{prefix}_floor"),
        models.UniqueConstraint(fields=["person"], condition=Q(kind="person"), name=f"{prefix}_one_per_person"),
        models.UniqueConstraint(fields=["community"], condition=Q(kind="pool"), name=f"{prefix}_one_pool"),
    ]


def _transfer_constraints(prefix: str) -> list:
    return [
        models.CheckConstraint(condition=Q(amount__gt=0), name=f"{prefix}_amount_positive"),
        models.CheckConstraint(condition=~Q(debit=F("credit")), name=f"{prefix}_two_accounts"),
        models.CheckConstraint(condition=~Q(key=""), name=f"{prefix}_key_given"),
    ]


class TimeAccount(LedgerAccount):
    """Minutes of service: a resident's, a household's (family members pay in) or a community's pool."""

    household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            *_account_constraints("timeaccount"),
            models.UniqueConstraint(
                fields=["household"], condition=Q(kind="household"), name="timeaccount_one_per_household"
            ),
        ]
        verbose_name = _("time account")
        verbose_name_plural = _("time accounts")


class TimeTransfer(LedgerTransfer):
    debit = models.ForeignKey(TimeAccount, verbose_name=_("from"), on_delete=models.PROTECT, related_name="debits")
    credit = models.ForeignKey(TimeAccount, verbose_name=_("to"), on_delete=models.PROTECT, related_name="credits")
    reverses = models.OneToOneField(
        "self", verbose_name=_("reverses"), null=True, blank=True, on_delete=models.PROTECT, related_name="reversal"
    )

    class Meta:
        ordering = ["-at", "-id"]
        constraints = _transfer_constraints("timetransfer")
        verbose_name = _("time transfer")
        verbose_name_plural = _("time transfers")


class PointsAccount(LedgerAccount):
    """Points: a resident's, a community's pool (which issues points by the rules and takes back what its own
    shop redeems) or a partner merchant's (what residents redeemed there)."""

    merchant = models.ForeignKey(
        "community.Merchant", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            *_account_constraints("pointsaccount"),
            models.UniqueConstraint(
                fields=["merchant"], condition=Q(kind="merchant"), name="pointsaccount_one_per_merchant"
            ),
        ]
        verbose_name = _("points account")
        verbose_name_plural = _("points accounts")


class PointsTransfer(LedgerTransfer):
    debit = models.ForeignKey(PointsAccount, verbose_name=_("from"), on_delete=models.PROTECT, related_name="debits")
    credit = models.ForeignKey(PointsAccount, verbose_name=_("to"), on_delete=models.PROTECT, related_name="credits")
    reverses = models.OneToOneField(
        "self", verbose_name=_("reverses"), null=True, blank=True, on_delete=models.PROTECT, related_name="reversal"
    )

    class Meta:
        ordering = ["-at", "-id"]
        constraints = _transfer_constraints("pointstransfer")
        verbose_name = _("points transfer")
        verbose_name_plural = _("points transfers")


TRANSFER_KINDS = {
    "volunteering": pgettext_lazy("ledger", "Volunteering"),
    "help": pgettext_lazy("ledger", "Help from a volunteer"),
    "family": pgettext_lazy("ledger", "Family transfer"),
    "grant": pgettext_lazy("ledger", "Grant from the community"),
    "earn": pgettext_lazy("ledger", "Points earned"),
    "redeem": pgettext_lazy("ledger", "Redemption"),
    "reversal": pgettext_lazy("ledger", "Reversal"),
}
