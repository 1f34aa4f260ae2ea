"""The flea market's writes (跳蚤市场).

Rules:
- Residents list items in their home communities: for sale (a price above zero), to swap or free, with photos
  checked like event photos (type from the bytes, size); no phone numbers in any text. A listing expires after
  ``SHEQU_LISTING_DAYS`` unless renewed.
- Another resident of the community reserves an available listing (one reservation at a time) with a message; the
  seller replies (when and where to meet), and marks it exchanged or releases it; the buyer may cancel.
- The seller's phone number shows only when the seller ticked "show my phone number", and only to residents of
  the community.
- Residents of the community report a bad listing once each; at ``SHEQU_MODERATION_HOLD_REPORTS`` it is held
  until a manager removes it (with a reason, kept) or keeps it (the reports are settled).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from shequ import audit
from shequ.access.models import User
from shequ.core import clock
from shequ.core.errors import InvalidInput, InvalidTransition, PermissionDenied
from shequ.events.photos import check_photos
from shequ.geo.models import Region
from shequ.registry.models import Person

from . import scopes, texts
from .models import Listing, ListingEntry, ListingKind, ListingPhoto, ListingReport, Reservation

PRICE_MAX = Decimal("99999.99")
OPEN = (Listing.State.ACTIVE, Listing.State.RESERVED)


def _log(listing: Listing, action: str, by: User | None, before: str, note: str = "") -> None:
    ListingEntry.objects.create(
        listing=listing, action=action, actor=by, from_state=before, to_state=listing.state, note=note[:300]
    )


def _resident(by: User, community: Region) -> Person:
    person = scopes.person_for(by)
    if person is None or not scopes.lives_in(person, community):
        raise PermissionDenied(_("The market is for residents of the community."), code="other_community")
    return person


def _price(kind: str, price: object) -> Decimal | None:
    if kind != ListingKind.SALE:
        return None
    try:
        value = Decimal(str(price)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError):
        value = Decimal(0)
    if not value.is_finite() or value <= 0 or value > PRICE_MAX:
        raise InvalidInput(
            _("Give a price from 0.01 to %(max)s yuan.") % {"max": PRICE_MAX}, code="bad_price", field="price"
        )
    return value


@transaction.atomic
def create(
    *,
    by: User,
    community: Region,
    title: str,
    kind: str,
    description: str = "",
    price: object = None,
    swap_for: str = "",
    show_phone: bool = False,
    photos: Sequence[UploadedFile] = (),
) -> Listing:
    seller = _resident(by, community)
    if kind not in ListingKind.values:
        raise InvalidInput(_("Choose sale, swap or free."), code="bad_kind", field="kind")
    title = texts.required(title, field="title", limit=60, message=_("Say what you offer."))
    description = (description or "").strip()[:2000]
    swap_for = (swap_for or "").strip()[:100] if kind == ListingKind.SWAP else ""
    for field, text in (("title", title), ("description", description), ("swap_for", swap_for)):
        texts.refuse_phone(text, field=field)
    value = _price(kind, price)
    checked = check_photos(list(photos))
    now = clock.now()
    listing = Listing.objects.create(
        seller=seller,
        account=by,
        community=community,
        title=title,
        description=description,
        kind=kind,
        price=value,
        swap_for=swap_for,
        show_phone=bool(show_phone),
        expires_at=now + timedelta(days=settings.SHEQU_LISTING_DAYS),
        created_at=now,
        updated_at=now,
    )
    for f, content_type in checked:
        ListingPhoto.objects.create(listing=listing, file=f, content_type=content_type, size=f.size or 0)
    _log(listing, "create", by, "")
    return listing


def _lock(listing: Listing) -> Listing:
    return Listing.objects.select_for_update(of=("self",)).select_related("community").get(pk=listing.pk)


def _seller(listing: Listing, by: User) -> None:
    if scopes.person_for(by) != listing.seller:
        raise PermissionDenied(_("Only the seller may do this."), code="not_seller")


def _set(listing: Listing, state: str, action: str, by: User | None, note: str = "") -> Listing:
    before = listing.state
    listing.state, listing.updated_at = state, clock.now()
    listing.save(update_fields=["state", "updated_at"])
    _log(listing, action, by, before, note)
    return listing


def pending(listing: Listing) -> Reservation | None:
    return listing.reservations.filter(state=Reservation.State.PENDING).first()


@transaction.atomic
def renew(listing: Listing, *, by: User) -> Listing:
    listing = _lock(listing)
    _seller(listing, by)
    if listing.state not in (Listing.State.ACTIVE, Listing.State.EXPIRED):
        raise InvalidTransition(_("Only an available or expired listing is renewed."), code="not_renewable")
    listing.expires_at = clock.now() + timedelta(days=settings.SHEQU_LISTING_DAYS)
    listing.save(update_fields=["expires_at"])
    return _set(listing, Listing.State.ACTIVE, "renew", by)


@transaction.atomic
def withdraw(listing: Listing, *, by: User) -> Listing:
    listing = _lock(listing)
    _seller(listing, by)
    if listing.state not in (*OPEN, Listing.State.EXPIRED):
        raise InvalidTransition(_("This listing is closed."), code="closed")
    reservation = pending(listing)
    if reservation is not None:
        reservation.state, reservation.ended_at = Reservation.State.RELEASED, clock.now()
        reservation.save(update_fields=["state", "ended_at"])
    return _set(listing, Listing.State.WITHDRAWN, "withdraw", by)


@transaction.atomic
def reserve(listing: Listing, *, by: User, message: str = "") -> Reservation:
    listing = _lock(listing)
    buyer = _resident(by, listing.community)
    if buyer == listing.seller:
        raise InvalidTransition(_("This is your own listing."), code="own_listing")
    if listing.state != Listing.State.ACTIVE or listing.expires_at <= clock.now():
        raise InvalidTransition(_("This listing is not available."), code="not_available")
    message = (message or "").strip()[:200]
    texts.refuse_phone(message, field="message")
    try:
        with transaction.atomic():
            reservation = Reservation.objects.create(listing=listing, buyer=buyer, account=by, message=message)
    except IntegrityError as e:
        raise InvalidTransition(_("Someone has just reserved it."), code="not_available") from e
    _set(listing, Listing.State.RESERVED, "reserve", by)
    return reservation


def _pending_or_fail(listing: Listing) -> Reservation:
    reservation = pending(listing)
    if reservation is None:
        raise InvalidTransition(_("Nobody has reserved it."), code="not_reserved")
    return reservation


@transaction.atomic
def reply(listing: Listing, *, by: User, text: str) -> Reservation:
    """The seller answers the buyer (when and where to meet)."""
    listing = _lock(listing)
    _seller(listing, by)
    reservation = _pending_or_fail(listing)
    text = texts.required(text, field="reply", limit=200, message=_("Write your answer."))
    texts.refuse_phone(text, field="reply")
    reservation.reply = text
    reservation.save(update_fields=["reply"])
    return reservation


@transaction.atomic
def cancel_reservation(listing: Listing, *, by: User) -> Listing:
    listing = _lock(listing)
    reservation = _pending_or_fail(listing)
    if scopes.person_for(by) != reservation.buyer:
        raise PermissionDenied(_("Only the buyer may cancel the reservation."), code="not_buyer")
    reservation.state, reservation.ended_at = Reservation.State.CANCELLED, clock.now()
    reservation.save(update_fields=["state", "ended_at"])
    state = Listing.State.ACTIVE if listing.state == Listing.State.RESERVED else listing.state
    return _set(listing, state, "cancel_reservation", by)


@transaction.atomic
def release(listing: Listing, *, by: User) -> Listing:
    listing = _lock(listing)
    _seller(listing, by)
    reservation = _pending_or_fail(listing)
    reservation.state, reservation.ended_at = Reservation.State.RELEASED, clock.now()
    reservation.save(update_fields=["state", "ended_at"])
    return _set(listing, Listing.State.ACTIVE, "release", by)


@transaction.atomic
def complete(listing: Listing, *, by: User) -> Listing:
    listing = _lock(listing)
    _seller(listing, by)
    if listing.state != Listing.State.RESERVED:
        raise InvalidTransition(_("Only a reserved listing is marked exchanged."), code="not_reserved")
    reservation = _pending_or_fail(listing)
    reservation.state, reservation.ended_at = Reservation.State.COMPLETED, clock.now()
    reservation.save(update_fields=["state", "ended_at"])
    return _set(listing, Listing.State.EXCHANGED, "complete", by)


@transaction.atomic
def report(listing: Listing, *, by: User, reason: str) -> Listing:
    listing = _lock(listing)
    person = _resident(by, listing.community)
    if person == listing.seller:
        raise InvalidTransition(_("This is your own listing."), code="own_listing")
    reason = texts.required(reason, field="reason", limit=200, message=_("Say what is wrong with it."))
    try:
        with transaction.atomic():
            ListingReport.objects.create(listing=listing, reporter=by, reason=reason)
    except IntegrityError as e:
        raise InvalidTransition(_("You have already reported this listing."), code="already_reported") from e
    listing.reports += 1
    listing.save(update_fields=["reports"])
    if listing.state in OPEN and listing.reports >= settings.SHEQU_MODERATION_HOLD_REPORTS:
        _set(listing, Listing.State.HELD, "hold", None, _("held after reports"))
    return listing


@transaction.atomic
def moderate(listing: Listing, *, by: User, remove: bool, note: str = "") -> Listing:
    """Remove a reported listing (the reason is kept and shown to the seller) or keep it."""
    listing = _lock(listing)
    if not scopes.manages(by, listing.community):
        raise PermissionDenied(_("Only the community's staff may do this."), code="not_a_manager")
    note = (note or "").strip()[:300]
    if remove and not note:
        raise InvalidInput(_("Give the reason for removing it."), code="reason_required", field="note")
    ListingReport.objects.filter(listing=listing, settled=False).update(settled=True)
    listing.reports = 0
    listing.save(update_fields=["reports"])
    if remove:
        reservation = pending(listing)
        if reservation is not None:
            reservation.state, reservation.ended_at = Reservation.State.RELEASED, clock.now()
            reservation.save(update_fields=["state", "ended_at"])
        _set(listing, Listing.State.REMOVED, "remove", by, note)
    else:
        state = Listing.State.RESERVED if pending(listing) else Listing.State.ACTIVE
        _set(listing, state, "keep", by, note)
    audit.record("write", actor=by, target=listing, purpose=note, detail={"action": "moderate", "remove": remove})
    return listing


def expire_due() -> int:
    """Available listings past their expiry become expired (the periodic sweep)."""
    now = clock.now()
    count = 0
    due = Listing.objects.filter(state=Listing.State.ACTIVE, expires_at__lte=now).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            listing = _lock(Listing(pk=pk))
            if listing.state == Listing.State.ACTIVE and listing.expires_at <= now:
                _set(listing, Listing.State.EXPIRED, "expire", None)
                count += 1
    return count


def phone_for(listing: Listing, viewer: User) -> str:
    """The seller's phone number, only if the seller chose to show it and the viewer lives in the community."""
    if not listing.show_phone or listing.state not in OPEN:
        return ""
    if not scopes.lives_in(scopes.person_for(viewer), listing.community):
        return ""
    return listing.seller.phone or ""
