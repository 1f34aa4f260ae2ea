"""Who acts: users with a role and an area or a unit, the units that handle events,
and API tokens for staff and for other systems."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from shequ.geo.models import Region, RegionLevel


class Role(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    GRID_WORKER = "grid_worker", _("Grid worker")
    COMMUNITY_STAFF = "community_staff", _("Community staff")
    STREET_DISPATCHER = "street_dispatcher", _("Street dispatcher")
    DISTRICT_DISPATCHER = "district_dispatcher", _("District dispatcher")
    UNIT_HANDLER = "unit_handler", _("Unit handler")
    ADMIN = "admin", _("Administrator")
    AUDITOR = "auditor", _("Auditor")
    # 物业: sees only the estates (buildings) it manages, and only the fields the dictionary marks visible to it.
    PROPERTY_COMPANY = "property_company", _("Property company")
    # A department's data user: the "usable but invisible" statistics API only, never records or pages.
    DATA_USER = "data_user", _("Department data user")
    SYSTEM = "system", _("External system")


# The region level each area role works at. A dispatch desk role may act on events
# whose desk is at its level or below, inside its area.
ROLE_LEVEL = {
    Role.GRID_WORKER: RegionLevel.GRID,
    Role.COMMUNITY_STAFF: RegionLevel.COMMUNITY,
    Role.STREET_DISPATCHER: RegionLevel.STREET,
    Role.DISTRICT_DISPATCHER: RegionLevel.DISTRICT,
}
DESK_ROLES = (Role.COMMUNITY_STAFF, Role.STREET_DISPATCHER, Role.DISTRICT_DISPATCHER)
STAFF_ROLES = (*ROLE_LEVEL, Role.UNIT_HANDLER, Role.ADMIN)


class Unit(models.Model):
    """A department or team that handles events (城管, 市场监管, 供电 ...), sitting at a region's level."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="units")
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["region__code", "code"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person or system using shequ. ``region`` scopes area roles, ``unit`` scopes handlers."""

    name = models.CharField(_("full name"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    role = models.CharField(_("role"), max_length=30, choices=Role.choices, default=Role.RESIDENT)
    region = models.ForeignKey(
        Region, verbose_name=_("area"), null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.name or self.username

    @property
    def is_staff_role(self) -> bool:
        return self.role in STAFF_ROLES or self.is_superuser

    @property
    def sees_everything(self) -> bool:
        return self.is_superuser or self.role == Role.ADMIN


class ApiToken(models.Model):
    """A bearer token for the API and Open311. Only a hash is stored; the key is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    # Events reported with this token come in on this channel (e.g. the 12345 hotline system).
    channel = models.CharField(_("channel"), max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(cls, *, user: User, name: str, channel: str = "") -> tuple[ApiToken, str]:
        key = "sq_" + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, prefix=key[:8], key_hash=cls.hash(key), channel=channel)
        return token, key
