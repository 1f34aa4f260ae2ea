"""Online affairs (网上办事): the catalogue of affairs and residents' applications for them.

An ``Affair`` says what its form asks (data dictionary fields: ``person.*`` prefilled from the base,
``application.*`` asked per application), which attachments it needs, which levels review it, its time limit in
working days and what comes out (a certificate, a booking, or a decision). An ``Application`` walks

    submitted -> accepted for review (or returned for more material -> submitted again)
              -> reviewed level by level -> approved (certificate / booking) | refused (with a reason)

with one ``ApplicationEntry`` per step. A ``Certificate`` carries a verification code anyone can check.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shequ.core import clock
from shequ.core.fields import EncryptedTextField, user_reference
from shequ.geo.models import Region
from shequ.registry.models import Person


class ResultKind(models.TextChoices):
    CERTIFICATE = "certificate", _("Certificate (PDF)")
    BOOKING = "booking", _("Booking")
    DECISION = "decision", _("Decision only")


class Affair(models.Model):
    """事项: one kind of community affair residents apply for, with its form, material, review and time limit."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    description = models.TextField(pgettext_lazy("services", "description"), blank=True)
    # Dictionary field names in form order ("person.name", "application.reason" ...).
    fields = models.JSONField(_("form fields"), default=list, blank=True)
    # Those of ``fields`` the applicant may leave empty (every other one is required).
    optional_fields = models.JSONField(_("optional fields"), default=list, blank=True)
    # [{"key": "hukou", "label": "户口簿", "required": true}, ...]
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    # Region levels that review it, in order ("community", "street", "district"); acceptance is the community's.
    review_levels = models.JSONField(_("review levels"), default=list, blank=True)
    time_limit_days = models.PositiveSmallIntegerField(_("time limit (working days)"), default=5)
    result = models.CharField(_("result"), max_length=20, choices=ResultKind.choices, default=ResultKind.DECISION)
    certificate_title = models.CharField(_("certificate title"), max_length=60, blank=True)
    # The certificate's text: {name}, {id_number}, {address}, {community}, {date} and {<application field>}.
    certificate_text = models.TextField(_("certificate text"), blank=True)
    venue = models.CharField(_("venue"), max_length=100, blank=True)
    # Bookable periods of a day for a booking affair, such as ["09:00-12:00", "14:00-17:00"].
    slots = models.JSONField(_("time slots"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    updated_at = models.DateTimeField(_("updated at"), default=clock.now)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("affair")
        verbose_name_plural = _("affairs")

    def __str__(self) -> str:
        return self.name

    def levels(self) -> list[str]:
        """The review levels; an affair with none is reviewed once by the community."""
        return list(self.review_levels) or ["community"]


class AppStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Waiting to be accepted")
    RETURNED = "returned", _("Returned for more material")
    REVIEWING = "reviewing", _("Under review")
    APPROVED = "approved", pgettext_lazy("application", "Approved")
    REFUSED = "refused", pgettext_lazy("application", "Refused")
    WITHDRAWN = "withdrawn", pgettext_lazy("application", "Withdrawn")


OPEN_APP_STATUSES = (AppStatus.SUBMITTED, AppStatus.RETURNED, AppStatus.REVIEWING)


class Application(models.Model):
    """申请: a resident's (or, at the counter, staff's on their behalf: 代办) application for an affair."""

    number = models.CharField(_("number"), max_length=30, unique=True)
    affair = models.ForeignKey(Affair, verbose_name=_("affair"), on_delete=models.PROTECT, related_name="applications")
    applicant = models.ForeignKey(Person, verbose_name=_("applicant"), on_delete=models.PROTECT, related_name="+")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("submitted by"), on_delete=models.PROTECT, related_name="+"
    )
    # 代办: staff submitted it at the counter for the applicant.
    proxy = models.BooleanField(_("on the applicant's behalf"), default=False)
    # Where the applicant lived when applying: the community accepts it, the area code scopes it.
    community = models.ForeignKey(Region, verbose_name=_("community"), on_delete=models.PROTECT, related_name="+")
    area_code = models.CharField(_("area code"), max_length=15, db_index=True)
    status = models.CharField(
        _("status"), max_length=20, choices=AppStatus.choices, default=AppStatus.SUBMITTED, db_index=True
    )
    level = models.PositiveSmallIntegerField(_("review level"), default=0)
    # The answers (JSON: dictionary attribute -> text). They may hold an ID number: encrypted at rest.
    answers = EncryptedTextField(_("answers"), blank=True)
    missing = models.TextField(_("what is missing"), blank=True)
    reason = models.TextField(pgettext_lazy("application", "reason"), blank=True)
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    overdue = models.BooleanField(_("overdue"), default=False)
    submitted_at = models.DateTimeField(_("submitted at"), default=clock.now)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    closed_at = models.DateTimeField(pgettext_lazy("services", "closed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=clock.now)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["status", "deadline"], name="application_status_deadline")]
        verbose_name = _("application")
        verbose_name_plural = _("applications")

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_APP_STATUSES


class ApplicationAttachment(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="files")
    key = models.CharField(_("material"), max_length=40)
    file = models.FileField(_("file"), upload_to="services/applications/%Y/%m/")
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    uploaded_by = user_reference(_("uploaded by"))
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("application attachment")
        verbose_name_plural = _("application attachments")

    def __str__(self) -> str:
        return self.name


class ApplicationEntry(models.Model):
    """One row per step of an application: who, from which status to which, at which level, and why."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="timeline")
    action = models.CharField(_("action"), max_length=20)
    actor = user_reference(_("by"))
    proxy = models.BooleanField(_("on the applicant's behalf"), default=False)
    from_status = models.CharField(pgettext_lazy("services", "from"), max_length=20, blank=True)
    to_status = models.CharField(pgettext_lazy("services", "to"), max_length=20)
    level = models.CharField(_("review level"), max_length=20, blank=True)
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("time"), default=clock.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("application timeline entry")
        verbose_name_plural = _("application timeline")

    def __str__(self) -> str:
        return f"{self.application_id} {self.action}"


class Certificate(models.Model):
    """证明: the result of an approved certificate affair. ``code`` is an HMAC over the certified content, so a
    made-up or altered code finds nothing, and an altered row no longer matches its code."""

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="certificate")
    number = models.CharField(_("certificate number"), max_length=30, unique=True)
    code = models.CharField(_("verification code"), max_length=40, unique=True)
    # The certified content (JSON): title, text, holder, issuer, date. Encrypted at rest (it names an ID number).
    content = EncryptedTextField(_("content"))
    issued_at = models.DateTimeField(_("issued at"), default=clock.now)
    revoked_at = models.DateTimeField(pgettext_lazy("services", "revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")

    def __str__(self) -> str:
        return self.number


class Booking(models.Model):
    """A venue booked through an approved booking affair (one per affair, day and slot while held)."""

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="booking")
    affair = models.ForeignKey(Affair, on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("day"))
    slot = models.CharField(_("time slot"), max_length=20)
    held = models.BooleanField(_("held"), default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["affair", "day", "slot"], condition=Q(held=True), name="booking_one_slot")
        ]
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")

    def __str__(self) -> str:
        return f"{self.affair_id} {self.day} {self.slot}"
