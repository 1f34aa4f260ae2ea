"""The data dictionary (数据字典): code tables and the shared fields defined once.

Every shared field of a Person, Organization, Residence or Household has one ``Field`` row saying what it is called,
its type, which code table holds its values, how sensitive it is and which department owns it. Validation of coded
values, and later forms, imports, exports and API schemas, read these rows instead of repeating the definitions.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Sensitivity(models.TextChoices):
    """数据分级: drives masking and audit (a later issue); stored here so each field says its level once."""

    L1 = "L1", _("L1 public")
    L2 = "L2", _("L2 internal")
    L3 = "L3", _("L3 sensitive")
    L4 = "L4", _("L4 highly sensitive")


class CodeTable(models.Model):
    """An enumeration such as gender (GB/T 2261.1) or ethnicity (GB/T 3304)."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    standard = models.CharField(_("standard"), max_length=100, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("code table")
        verbose_name_plural = _("code tables")

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class CodeItem(models.Model):
    table = models.ForeignKey(CodeTable, verbose_name=_("code table"), on_delete=models.CASCADE, related_name="items")
    code = models.CharField(_("code"), max_length=20)
    label = models.CharField(_("label"), max_length=100)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["table", "order", "code"]
        constraints = [models.UniqueConstraint(fields=["table", "code"], name="codeitem_unique_code")]
        verbose_name = _("code item")
        verbose_name_plural = _("code items")

    def __str__(self) -> str:
        return f"{self.code} {self.label}"


class FieldType(models.TextChoices):
    TEXT = "text", _("Text")
    DATE = "date", _("Date")
    CODE = "code", _("Code")
    ID_NUMBER = "id_number", _("ID number")
    CREDIT_CODE = "credit_code", _("Credit code")
    PHONE = "phone", _("Phone")
    REFERENCE = "reference", _("Reference")
    TAGS = "tags", _("Tags")


class Field(models.Model):
    """One shared field (标准字段), named ``<record>.<field>`` such as ``person.phone``."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    label = models.CharField(_("label"), max_length=60)
    type = models.CharField(_("type"), max_length=20, choices=FieldType.choices)
    code_table = models.ForeignKey(
        CodeTable, verbose_name=_("code table"), null=True, blank=True, on_delete=models.PROTECT, related_name="fields"
    )
    sensitivity = models.CharField(_("sensitivity"), max_length=2, choices=Sensitivity.choices)
    owner = models.CharField(_("owning department"), max_length=60)
    description = models.TextField(pgettext_lazy("registry", "description"), blank=True)
    required = models.BooleanField(_("required"), default=False)
    visible_to_property = models.BooleanField(_("visible to property companies"), default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("field")
        verbose_name_plural = _("fields")

    def __str__(self) -> str:
        return f"{self.label}（{self.name}）"

    @property
    def record(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def attribute(self) -> str:
        return self.name.split(".", 1)[1]
