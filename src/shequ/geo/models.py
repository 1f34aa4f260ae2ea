"""The district's geography: the region tree (district, street, community, grid),
buildings and dwellings. Coordinates are WGS-84; polygons are GeoJSON geometries."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RegionLevel(models.TextChoices):
    DISTRICT = "district", _("District")
    STREET = "street", _("Street")
    COMMUNITY = "community", _("Community")
    GRID = "grid", _("Grid")


# Code length per level: district per GB/T 2260, then 3 more digits per level down.
CODE_LENGTH = {RegionLevel.DISTRICT: 6, RegionLevel.STREET: 9, RegionLevel.COMMUNITY: 12, RegionLevel.GRID: 15}
PARENT_LEVEL = {
    RegionLevel.STREET: RegionLevel.DISTRICT,
    RegionLevel.COMMUNITY: RegionLevel.STREET,
    RegionLevel.GRID: RegionLevel.COMMUNITY,
}
LEVEL_ORDER = [RegionLevel.DISTRICT, RegionLevel.STREET, RegionLevel.COMMUNITY, RegionLevel.GRID]


class Region(models.Model):
    """A node of the area tree. A region's code starts with its parent's code,
    so "everything inside region R" is a prefix match on codes."""

    code = models.CharField(_("code"), max_length=15, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=RegionLevel.choices, db_index=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    boundary = models.JSONField(_("boundary"), null=True, blank=True, help_text=_("GeoJSON geometry, WGS-84"))
    center_lon = models.FloatField(_("centre longitude"), null=True, blank=True)
    center_lat = models.FloatField(_("centre latitude"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    def ancestors(self) -> list[Region]:
        """From the district down to the parent, by code prefix (one query)."""
        prefixes = [self.code[:n] for n in (6, 9, 12) if n < len(self.code)]
        return list(Region.objects.filter(code__in=prefixes).order_by("code"))

    def ancestor(self, level: str) -> Region | None:
        if self.level == level:
            return self
        return next((r for r in self.ancestors() if r.level == level), None)

    @property
    def full_name(self) -> str:
        return " / ".join([r.name for r in self.ancestors()] + [self.name])


class Building(models.Model):
    grid = models.ForeignKey(
        Region,
        verbose_name=_("grid"),
        on_delete=models.PROTECT,
        related_name="buildings",
        limit_choices_to={"level": RegionLevel.GRID},
    )
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, db_index=True)
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    floors = models.PositiveSmallIntegerField(_("floors"), default=1)
    # The property company (物业) managing the building: a unit whose users see only the buildings it manages.
    managed_by = models.ForeignKey(
        "access.Unit",
        verbose_name=_("property company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_buildings",
    )

    class Meta:
        ordering = ["grid", "name"]
        verbose_name = _("building")
        verbose_name_plural = _("buildings")

    def __str__(self) -> str:
        return self.address


class Dwelling(models.Model):
    class Use(models.TextChoices):
        HOME = "home", _("Home")
        SHOP = "shop", _("Shop")
        OFFICE = "office", _("Office")
        OTHER = "other", _("Other")

    building = models.ForeignKey(
        Building, verbose_name=_("building"), on_delete=models.PROTECT, related_name="dwellings"
    )
    entrance = models.CharField(_("entrance"), max_length=20, blank=True)
    floor = models.SmallIntegerField(_("floor"))
    room = models.CharField(_("room"), max_length=20)
    use = models.CharField(_("use"), max_length=10, choices=Use.choices, default=Use.HOME)
    # 专有部分面积 (m², two decimals as on a property certificate): owners' votes weigh by it (community.voting).
    area = models.DecimalField(_("exclusive floor area (m²)"), max_digits=9, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["building", "entrance", "floor", "room"]
        constraints = [
            models.UniqueConstraint(fields=["building", "entrance", "room"], name="dwelling_unique_room"),
        ]
        verbose_name = _("dwelling")
        verbose_name_plural = _("dwellings")

    def __str__(self) -> str:
        entrance = f"{self.entrance}单元" if self.entrance else ""
        return f"{self.building.address}{entrance}{self.room}室"
