"""Notices (通知公告): a Markdown text for the residents and staff of some regions, with attachments.

A notice is written as a draft, published (at once or from ``publish_at``) and may be withdrawn; every state
change leaves a ``NoticeEntry``. Who it reaches: the people living in (residents) or working for (staff roles) its
regions, narrowed to people holding one of its tags when tags are set. ``NoticeRead`` records who opened it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shequ.access.models import Role
from shequ.core import clock
from shequ.geo.models import Region
from shequ.registry.models import Tag


class State(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("notice", "Draft")
    PUBLISHED = "published", pgettext_lazy("notice", "Published")
    WITHDRAWN = "withdrawn", pgettext_lazy("notice", "Withdrawn")


# Who a notice may address: residents (through the portal) and the area roles of staff.
AUDIENCE_ROLES = [
    (Role.RESIDENT.value, _("Residents")),
    (Role.GRID_WORKER.value, _("Grid workers")),
    (Role.COMMUNITY_STAFF.value, _("Community staff")),
    (Role.STREET_DISPATCHER.value, _("Street dispatchers")),
    (Role.DISTRICT_DISPATCHER.value, _("District dispatchers")),
]


class Notice(models.Model):
    title = models.CharField(pgettext_lazy("notice", "title"), max_length=120)
    body = models.TextField(pgettext_lazy("notice", "body"), help_text=_("Markdown"))
    # The sanitised HTML of ``body``, rendered on every write (pages never render Markdown themselves).
    body_html = models.TextField(editable=False, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+"
    )
    regions = models.ManyToManyField(Region, verbose_name=_("regions"), related_name="+")
    audience_tags = models.ManyToManyField(
        Tag, verbose_name=_("only people with these tags"), blank=True, related_name="+"
    )
    # Role codes between commas (",resident,grid_worker,"): "addressed to role R" is one LIKE on both databases,
    # where a JSON containment lookup is not available on SQLite.
    audience_roles = models.CharField(_("audience"), max_length=200, default=",resident,")
    publish_at = models.DateTimeField(_("publish at"), null=True, blank=True, db_index=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    pinned = models.BooleanField(_("pinned"), default=False)
    state = models.CharField(
        pgettext_lazy("notice", "state"), max_length=10, choices=State.choices, default=State.DRAFT, db_index=True
    )
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    updated_at = models.DateTimeField(_("updated at"), default=clock.now)

    class Meta:
        ordering = ["-pinned", "-publish_at", "-id"]
        indexes = [models.Index(fields=["state", "publish_at"], name="notice_state_publish")]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")

    def __str__(self) -> str:
        return self.title

    @property
    def roles(self) -> list[str]:
        return [r for r in self.audience_roles.split(",") if r]

    def role_labels(self) -> list[str]:
        names = dict(AUDIENCE_ROLES)
        return [str(names.get(r, r)) for r in self.roles]

    @staticmethod
    def pack_roles(roles: list[str]) -> str:
        return "," + ",".join(roles) + "," if roles else ""


class NoticeAttachment(models.Model):
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to="notices/%Y/%m/")
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("notice attachment")
        verbose_name_plural = _("notice attachments")

    def __str__(self) -> str:
        return self.name


class NoticeRead(models.Model):
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(_("read at"), default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["notice", "user"], name="notice_read_once")]
        verbose_name = _("notice read")
        verbose_name_plural = _("notice reads")

    def __str__(self) -> str:
        return f"{self.notice_id} {self.user_id}"


class NoticeEntry(models.Model):
    """One row per action on a notice: who, from which state to which, and why."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="timeline")
    action = models.CharField(_("action"), max_length=20)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    from_state = models.CharField(pgettext_lazy("notice", "from"), max_length=10, blank=True)
    to_state = models.CharField(pgettext_lazy("notice", "to"), max_length=10)
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("time"), default=clock.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("notice timeline entry")
        verbose_name_plural = _("notice timeline")

    def __str__(self) -> str:
        return f"{self.notice_id} {self.action} {self.from_state}->{self.to_state}"
