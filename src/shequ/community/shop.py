"""Redeeming points: the community's points shop and partner merchants (organisations of the base), items with
stock, redemptions confirmed with a code.

Rules:
- A resident redeems an active item of one of their home communities while it has stock: one piece is held (a
  conditional update, so stock never goes below zero) and the points move at once to the merchant's account (or
  back to the community's pool for its own shop); a retried request (same key) redeems once.
- The redemption's code is shown to the resident; the merchant types it on its confirmation page (a secret link
  the community gives it), community staff do so for the points shop.
- A redemption not yet collected may be cancelled by the resident or the community's staff: the points transfer
  is reversed and the stock comes back.
"""

from __future__ import annotations

import secrets

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from shequ import audit
from shequ.access.models import User
from shequ.core import clock
from shequ.core.errors import InvalidInput, InvalidTransition, NotFound, PermissionDenied
from shequ.geo.models import Region
from shequ.registry.models import Organization
from shequ.registry.queries import organizations_for

from . import ledger, scopes
from .ledger import POINTS
from .models import Merchant, Redemption, ShopItem


def _require_manager(by: User, community: Region) -> None:
    if not scopes.manages(by, community):
        raise PermissionDenied(_("Only the community's staff may do this."), code="not_a_manager")


@transaction.atomic
def add_merchant(*, by: User, organization: Organization, community: Region) -> Merchant:
    """An organisation of the base (in the manager's area) becomes a partner merchant of a community."""
    _require_manager(by, community)
    if not organizations_for(by).filter(pk=organization.pk).exists():
        raise PermissionDenied(_("This organisation is outside your area."), code="outside_area")
    merchant, created = Merchant.objects.get_or_create(
        organization=organization, community=community, defaults={"token": secrets.token_urlsafe(24)}
    )
    if not created and not merchant.active:
        merchant.active = True
        merchant.save(update_fields=["active"])
    audit.record("write", actor=by, target=merchant, detail={"action": "add_merchant"})
    return merchant


@transaction.atomic
def new_merchant_link(merchant: Merchant, *, by: User) -> Merchant:
    """A new secret for the merchant's confirmation page; the old link stops working."""
    _require_manager(by, merchant.community)
    merchant.token = secrets.token_urlsafe(24)
    merchant.save(update_fields=["token"])
    audit.record("write", actor=by, target=merchant, detail={"action": "merchant_link"})
    return merchant


@transaction.atomic
def add_item(
    *,
    by: User,
    community: Region,
    name: str,
    points: int,
    stock: int,
    description: str = "",
    merchant: Merchant | None = None,
) -> ShopItem:
    _require_manager(by, community)
    if merchant is not None and merchant.community_id != community.pk:
        raise InvalidInput(_("The merchant belongs to another community."), code="merchant_elsewhere", field="merchant")
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise InvalidInput(_("Give the item a name (at most 60 characters)."), code="name_required", field="name")
    if not isinstance(points, int) or points < 1:
        raise InvalidInput(_("The price must be at least 1 point."), code="bad_points", field="points")
    if not isinstance(stock, int) or stock < 0:
        raise InvalidInput(_("Stock cannot be negative."), code="bad_stock", field="stock")
    return ShopItem.objects.create(
        community=community,
        merchant=merchant,
        name=name,
        description=(description or "").strip()[:300],
        points=points,
        stock=stock,
    )


@transaction.atomic
def restock(item: ShopItem, *, by: User, add: int) -> ShopItem:
    _require_manager(by, item.community)
    if not isinstance(add, int) or add == 0:
        raise InvalidInput(_("Give how many to add (or take away)."), code="bad_stock", field="add")
    changed = ShopItem.objects.filter(pk=item.pk, stock__gte=-add).update(stock=F("stock") + add)
    if not changed:
        raise InvalidInput(_("Stock cannot be negative."), code="bad_stock", field="add")
    item.refresh_from_db()
    return item


@transaction.atomic
def set_active(item: ShopItem, *, by: User, active: bool) -> ShopItem:
    _require_manager(by, item.community)
    item.active = active
    item.save(update_fields=["active"])
    return item


def _code() -> str:
    return f"{secrets.randbelow(10**8):08d}"


@transaction.atomic
def redeem(item: ShopItem, *, by: User, key: str) -> Redemption:
    """See the module's rules."""
    person = scopes.person_for(by)
    if person is None or not scopes.lives_in(person, item.community):
        raise PermissionDenied(_("This shop is for residents of another community."), code="other_community")
    key = (key or "").strip()[:100]
    if not key:
        raise InvalidInput(_("A redemption needs a key."), code="bad_key")
    key = f"{person.pk}:{key}"
    found = Redemption.objects.filter(key=key).first()
    if found is not None:
        if found.item_id != item.pk:
            raise InvalidInput(_("This key was already used for another redemption."), code="key_reused")
        return found
    if not item.active or (item.merchant is not None and not item.merchant.active):
        raise InvalidTransition(_("This item is not offered any more."), code="inactive")
    if not ShopItem.objects.filter(pk=item.pk, stock__gt=0).update(stock=F("stock") - 1):
        raise InvalidTransition(_("Sold out."), code="sold_out")
    credit = ledger.merchant_account(item.merchant) if item.merchant else ledger.pool_account(POINTS, item.community)
    transfer = ledger.post(
        POINTS,
        debit=ledger.person_account(POINTS, person),
        credit=credit,
        amount=item.points,
        kind="redeem",
        key=f"redeem:{key}",
        by=by,
        memo=item.name,
    )
    for _attempt in range(5):  # the code is unique among redemptions still to collect
        try:
            with transaction.atomic():
                return Redemption.objects.create(
                    item=item, person=person, points=item.points, code=_code(), transfer=transfer, key=key
                )
        except IntegrityError:
            found = Redemption.objects.filter(key=key).first()
            if found is not None:  # a concurrent retry won
                return found
    raise InvalidTransition(_("Please try again."), code="busy")


def pending_by_code(code: str, *, merchant: Merchant | None, community: Region | None = None) -> Redemption:
    """The redemption to collect with this code, at this merchant (or at this community's own shop)."""
    qs = Redemption.objects.select_related("item", "person").filter(state=Redemption.State.PENDING, code=code.strip())
    qs = qs.filter(item__merchant=merchant) if merchant is not None else qs.filter(item__merchant__isnull=True)
    if community is not None:
        qs = qs.filter(item__community=community)
    found = qs.first()
    if found is None:
        raise NotFound(_("No redemption to collect has this code."))
    return found


@transaction.atomic
def confirm(redemption: Redemption, *, by: User | None, merchant: Merchant | None = None) -> Redemption:
    """Hand-over done: the merchant (through its page) or the community's staff (its own shop) confirm."""
    redemption = (
        Redemption.objects.select_for_update(of=("self",)).select_related("item__community").get(pk=redemption.pk)
    )
    if merchant is not None:
        if redemption.item.merchant_id != merchant.pk or not merchant.active:
            raise NotFound()
    elif by is None or not scopes.manages(by, redemption.item.community):
        raise PermissionDenied(_("Only the community's staff may confirm this."), code="not_a_manager")
    if redemption.state != Redemption.State.PENDING:
        raise InvalidTransition(_("This redemption is not waiting to be collected."), code="not_pending")
    redemption.state, redemption.confirmed_at, redemption.confirmed_by = Redemption.State.CONFIRMED, clock.now(), by
    redemption.save(update_fields=["state", "confirmed_at", "confirmed_by"])
    return redemption


@transaction.atomic
def cancel(redemption: Redemption, *, by: User, reason: str = "") -> Redemption:
    redemption = (
        Redemption.objects.select_for_update(of=("self",))
        .select_related("item__community", "transfer")
        .get(pk=redemption.pk)
    )
    mine = scopes.person_for(by) == redemption.person
    if not mine and not scopes.manages(by, redemption.item.community):
        raise PermissionDenied(_("You may not cancel this redemption."), code="not_allowed")
    if redemption.state != Redemption.State.PENDING:
        raise InvalidTransition(_("Only a redemption still to collect can be cancelled."), code="not_pending")
    ledger.reverse(POINTS, redemption.transfer, by=by, reason=reason or _("Redemption cancelled"))
    ShopItem.objects.filter(pk=redemption.item_id).update(stock=F("stock") + 1)
    redemption.state = Redemption.State.CANCELLED
    redemption.save(update_fields=["state"])
    return redemption
