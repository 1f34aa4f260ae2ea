"""Service orders (服务订单, 点单 / 接单): providers publish services, residents order them, providers do them.

A ``Provider`` (a property company, a home-care agency, a volunteer team, a shop) acts through the users of its
``Unit``. Its ``Service`` rows say where, at what price (free basic or paid value-added) and, through ``Slot`` rows,
when and how many. An order walks

    placed -> accepted -> assigned (a worker) -> done (note, photo) -> confirmed (rating)
    placed -> declined; placed / accepted / assigned -> cancelled (by the resident)

with one ``OrderEntry`` per step; a complaint becomes an event of the event loop. The order keeps only what the
provider needs to do the service (a contact, and an address for a home service), copied when it is placed: the
provider never reads the community base.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shequ.access.models import Unit
from shequ.core import clock
from shequ.core.fields import user_reference
from shequ.geo.models import Region
from shequ.registry.models import Organization, Person


class ProviderKind(models.TextChoices):
    PROPERTY = "property", _("Property company")
    HOME_CARE = "home_care", _("Home-care agency")
    VOLUNTEERS = "volunteers", _("Volunteer team")
    SHOP = "shop", pgettext_lazy("services", "Shop")


class Provider(models.Model):
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(pgettext_lazy("services", "kind"), max_length=20, choices=ProviderKind.choices)
    # Its people are the users of this unit (role provider, or property company for a property company).
    unit = models.OneToOneField(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="provider")
    organization = models.ForeignKey(
        Organization,
        verbose_name=pgettext_lazy("services", "organization"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Where it serves: its services are offered inside this region.
    area = models.ForeignKey(Region, verbose_name=_("area"), on_delete=models.PROTECT, related_name="+")
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("service provider")
        verbose_name_plural = _("service providers")

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    provider = models.ForeignKey(
        Provider, verbose_name=_("provider"), on_delete=models.PROTECT, related_name="services"
    )
    name = models.CharField(_("name"), max_length=60)
    description = models.TextField(pgettext_lazy("services", "description"), blank=True)
    # Where it is offered: residents of this region (and everything inside it) may order it.
    area = models.ForeignKey(Region, verbose_name=_("area"), on_delete=models.PROTECT, related_name="+")
    free = models.BooleanField(_("free basic service"), default=True)
    price = models.DecimalField(_("price (yuan)"), max_digits=8, decimal_places=2, default=0)
    price_unit = models.CharField(_("price unit"), max_length=20, blank=True)
    # A home service needs the address; every service needs a contact phone.
    at_home = models.BooleanField(_("at the resident's home"), default=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["provider", "name"]
        verbose_name = _("service")
        verbose_name_plural = _("services")

    def __str__(self) -> str:
        return self.name


class Slot(models.Model):
    """A time a service can be done, with how many orders it takes."""

    service = models.ForeignKey(Service, verbose_name=_("service"), on_delete=models.CASCADE, related_name="slots")
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    capacity = models.PositiveSmallIntegerField(_("capacity"), default=1)

    class Meta:
        ordering = ["service", "start"]
        verbose_name = _("time slot")
        verbose_name_plural = _("time slots")

    def __str__(self) -> str:
        return f"{self.service_id} {self.start:%Y-%m-%d %H:%M}"


class OrderStatus(models.TextChoices):
    PLACED = "placed", _("Waiting for the provider")
    ACCEPTED = "accepted", pgettext_lazy("order", "Accepted")
    ASSIGNED = "assigned", _("Worker assigned")
    DONE = "done", _("Done, to confirm")
    CONFIRMED = "confirmed", _("Completed")
    DECLINED = "declined", pgettext_lazy("order", "Declined")
    CANCELLED = "cancelled", pgettext_lazy("order", "Cancelled")


# Orders that hold a place in their slot.
HOLDING_STATUSES = (OrderStatus.PLACED, OrderStatus.ACCEPTED, OrderStatus.ASSIGNED, OrderStatus.DONE)


class ServiceOrder(models.Model):
    number = models.CharField(_("number"), max_length=30, unique=True)
    service = models.ForeignKey(Service, verbose_name=_("service"), on_delete=models.PROTECT, related_name="orders")
    provider = models.ForeignKey(Provider, verbose_name=_("provider"), on_delete=models.PROTECT, related_name="orders")
    slot = models.ForeignKey(Slot, verbose_name=_("time slot"), null=True, blank=True, on_delete=models.PROTECT)
    ordered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("ordered by"), on_delete=models.PROTECT, related_name="+"
    )
    # Whom it is for: the resident or a member of their household (or, from a care visit, the person visited).
    beneficiary = models.ForeignKey(Person, verbose_name=_("for"), on_delete=models.PROTECT, related_name="+")
    area_code = models.CharField(_("area code"), max_length=15, db_index=True)
    # What the provider sees: copied when ordered, only what the service needs.
    contact_name = models.CharField(_("contact"), max_length=50)
    contact_phone = models.CharField(_("contact phone"), max_length=20)
    address = models.CharField(_("address"), max_length=200, blank=True)
    request = models.TextField(_("request"), blank=True)
    price = models.DecimalField(_("price (yuan)"), max_digits=8, decimal_places=2, default=0)
    status = models.CharField(
        _("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.PLACED, db_index=True
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("worker"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    done_note = models.TextField(_("what was done"), blank=True)
    rating = models.PositiveSmallIntegerField(pgettext_lazy("services", "rating"), null=True, blank=True)
    rating_comment = models.CharField(_("comment"), max_length=500, blank=True)
    # The complaint about it, as an event of the event loop.
    complaint = models.ForeignKey(
        "events.Event",
        verbose_name=_("complaint"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    placed_at = models.DateTimeField(_("placed at"), default=clock.now)
    updated_at = models.DateTimeField(_("updated at"), default=clock.now)

    class Meta:
        ordering = ["-placed_at", "-id"]
        indexes = [models.Index(fields=["provider", "status"], name="order_provider_status")]
        verbose_name = _("service order")
        verbose_name_plural = _("service orders")

    def __str__(self) -> str:
        return self.number


class OrderPhoto(models.Model):
    order = models.ForeignKey(ServiceOrder, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("photo"), upload_to="services/orders/%Y/%m/")
    content_type = models.CharField(_("type"), max_length=50)
    size = models.PositiveIntegerField(_("size"))
    uploaded_by = user_reference(_("uploaded by"))
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("order photo")
        verbose_name_plural = _("order photos")

    def __str__(self) -> str:
        return f"{self.order_id} photo"


class OrderEntry(models.Model):
    order = models.ForeignKey(ServiceOrder, on_delete=models.CASCADE, related_name="timeline")
    action = models.CharField(_("action"), max_length=20)
    actor = user_reference(_("by"))
    from_status = models.CharField(pgettext_lazy("services", "from"), max_length=20, blank=True)
    to_status = models.CharField(pgettext_lazy("services", "to"), max_length=20)
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("time"), default=clock.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("order timeline entry")
        verbose_name_plural = _("order timeline")

    def __str__(self) -> str:
        return f"{self.order_id} {self.action}"
