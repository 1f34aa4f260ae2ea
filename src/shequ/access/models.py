"""Who acts: users with a role and an area or a unit, the units that handle events,
and API tokens for staff and for other systems."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from shequ.core import clock
from shequ.core.fields import user_reference
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
    # 服务机构: the staff of a home-care agency, volunteer team or shop (services.Provider, by its unit); they see
    # only the service orders made to their provider.
    PROVIDER = "provider", _("Service provider")


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
# Roles whose scope is a unit rather than a region (a property company's unit is the company).
UNIT_ROLES = (Role.UNIT_HANDLER, Role.PROPERTY_COMPANY, Role.PROVIDER)


class Level(models.TextChoices):
    """The data dictionary's sensitivity levels (registry.dictionary.Sensitivity), as a grant's clearance."""

    L1 = "L1", "L1"
    L2 = "L2", "L2"
    L3 = "L3", "L3"
    L4 = "L4", "L4"


class GrantApplied(Exception):
    """A user object carrying an acting grant (applied in memory) was about to be saved over the primary grant."""


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


class User(AbstractUser):  # type: ignore[django-manager-missing]  # sso.Client.user: the toolkit names it "%(app_label)s_%(class)s"
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

    def save(self, *args, **kwargs) -> None:
        # The acting grant lives only in memory: saving it would silently replace the primary grant.
        if getattr(self, "acting_grant", None) is not None:
            update_fields = kwargs.get("update_fields")
            if update_fields is None or {"role", "region", "unit", "region_id", "unit_id"} & set(update_fields):
                raise GrantApplied("refusing to save a user with an acting grant applied")
        super().save(*args, **kwargs)

    @property
    def is_staff_role(self) -> bool:
        return self.role in STAFF_ROLES or self.is_superuser

    @property
    def sees_everything(self) -> bool:
        return self.is_superuser or self.role == Role.ADMIN


class Grant(models.Model):
    """A further grant beside the user's own role, area and unit (their primary grant).

    Scope: a region (and everything below it, by code prefix), a unit, or neither (the person themself). Clearance:
    the highest sensitivity level shown in clear, and the highest that may be revealed on request with a purpose;
    empty means the role's default (``scopes.ROLE_CLEARANCE``)."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="grants")
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("area"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    clear_level = models.CharField(
        _("shown in clear up to"),
        max_length=2,
        choices=Level.choices,
        blank=True,
        help_text=_("Empty: the role's default."),
    )
    reveal_level = models.CharField(
        _("may reveal up to"),
        max_length=2,
        choices=Level.choices,
        blank=True,
        help_text=_("Empty: the role's default."),
    )
    granted_by = user_reference(_("granted by"))
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)

    class Meta:
        ordering = ["user", "role", "id"]
        verbose_name = _("grant")
        verbose_name_plural = _("grants")

    def __str__(self) -> str:
        scope = self.region or self.unit
        return f"{self.get_role_display()} · {scope}" if scope else str(self.get_role_display())

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.region_id and self.unit_id:
            raise ValidationError(_("A grant covers an area or a unit, not both."))
        if self.role in ROLE_LEVEL and not self.region_id:
            raise ValidationError({"region": _("This role needs an area.")})
        if self.role in UNIT_ROLES and not self.unit_id:
            raise ValidationError({"unit": _("This role needs a unit.")})
        if self.clear_level and self.reveal_level and self.reveal_level < self.clear_level:
            raise ValidationError({"reveal_level": _("The reveal level cannot be below the clear level.")})

    def active(self) -> bool:
        return self.expires_at is None or self.expires_at > clock.now()


class ApiToken(models.Model):
    """A bearer token for the API and Open311. Only a hash is stored; the key is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    # Events reported with this token come in on this channel (e.g. the 12345 hotline system).
    channel = models.CharField(_("channel"), max_length=20, blank=True)
    # A token may act under one of its user's further grants instead of the primary one.
    grant = models.ForeignKey(
        Grant, verbose_name=_("grant"), null=True, blank=True, on_delete=models.CASCADE, related_name="tokens"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def clean(self) -> None:
        if self.grant_id is not None and self.grant is not None and self.grant.user_id != self.user_id:
            from django.core.exceptions import ValidationError

            raise ValidationError({"grant": _("A token can act only under a grant of its own user.")})

    @staticmethod
    def hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(cls, *, user: User, name: str, channel: str = "", grant: Grant | None = None) -> tuple[ApiToken, str]:
        if grant is not None and grant.user_id != user.pk:
            raise ValueError("a token can only act under a grant of its own user")
        key = "sq_" + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, name=name, prefix=key[:8], key_hash=cls.hash(key), channel=channel, grant=grant
        )
        return token, key
