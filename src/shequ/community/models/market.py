"""The flea market (跳蚤市场): residents list items for sale, swap or free; others reserve and exchange in person.
Listings expire; reports hold a listing for moderation. The seller's phone shows only if the seller chooses."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shequ.core import clock
from shequ.geo.models import Region
from shequ.registry.models import Person


class ListingKind(models.TextChoices):
    SALE = "sale", _("For sale")
    SWAP = "swap", _("To swap")
    FREE = "free", _("Free")


class Listing(models.Model):
    class State(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("listing", "Available")
        RESERVED = "reserved", pgettext_lazy("listing", "Reserved")
        EXCHANGED = "exchanged", pgettext_lazy("listing", "Exchanged")
        EXPIRED = "expired", pgettext_lazy("listing", "Expired")
        WITHDRAWN = "withdrawn", pgettext_lazy("listing", "Withdrawn")
        HELD = "held", pgettext_lazy("listing", "Held for moderation")
        REMOVED = "removed", pgettext_lazy("listing", "Removed by a moderator")

    seller = models.ForeignKey(Person, verbose_name=_("seller"), on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey(Region, verbose_name=_("community"), on_delete=models.PROTECT, related_name="+")
    title = models.CharField(pgettext_lazy("community", "title"), max_length=60)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=ListingKind.choices)
    price = models.DecimalField(_("price (yuan)"), max_digits=8, decimal_places=2, null=True, blank=True)
    swap_for = models.CharField(_("wanted in exchange"), max_length=100, blank=True)
    show_phone = models.BooleanField(_("show my phone number"), default=False)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.ACTIVE, db_index=True)
    reports = models.PositiveIntegerField(_("reports"), default=0)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)
    created_at = models.DateTimeField(_("listed at"), default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="sale") & Q(price__gt=0)) | (~Q(kind="sale") & Q(price__isnull=True)),
                name="listing_price_only_for_sale",
            )
        ]
        verbose_name = _("listing")
        verbose_name_plural = _("listings")

    def __str__(self) -> str:
        return self.title


class ListingPhoto(models.Model):
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to="market/%Y/%m/")
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("listing photo")
        verbose_name_plural = _("listing photos")

    def __str__(self) -> str:
        return self.file.name or ""


class Reservation(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", pgettext_lazy("reservation", "Reserved")
        CANCELLED = "cancelled", pgettext_lazy("reservation", "Cancelled by the buyer")
        RELEASED = "released", pgettext_lazy("reservation", "Released by the seller")
        COMPLETED = "completed", pgettext_lazy("reservation", "Exchanged")

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="reservations")
    buyer = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    message = models.CharField(_("message to the seller"), max_length=200, blank=True)
    reply = models.CharField(_("the seller's reply"), max_length=200, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(default=clock.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["listing"], condition=Q(state="pending"), name="reservation_one_pending")
        ]
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")

    def __str__(self) -> str:
        return f"{self.listing_id}:{self.buyer_id}"


class ListingReport(models.Model):
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="report_rows")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("reason"), max_length=200)
    at = models.DateTimeField(default=clock.now)
    # Set when a moderator decided on the listing: reports after that start a new round.
    settled = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["listing", "reporter"], name="listing_report_once")]
        verbose_name = _("listing report")
        verbose_name_plural = _("listing reports")

    def __str__(self) -> str:
        return f"{self.listing_id}:{self.reporter_id}"


class ListingEntry(models.Model):
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="timeline")
    action = models.CharField(_("action"), max_length=20)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    from_state = models.CharField(max_length=10, blank=True)
    to_state = models.CharField(max_length=10)
    note = models.CharField(_("note"), max_length=300, blank=True)
    at = models.DateTimeField(_("time"), default=clock.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("listing timeline entry")
        verbose_name_plural = _("listing timeline")

    def __str__(self) -> str:
        return f"{self.listing_id} {self.action}"
