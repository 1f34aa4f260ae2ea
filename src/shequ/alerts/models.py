"""Emergency alerts (应急预警) as OASIS CAP 1.2 messages.

An ``Alert`` is one CAP message with one ``info`` block and one area. It is composed as a draft, submitted,
and approved by a second person before it goes out; after approval it never changes: an update or a cancel
is a new ``Alert`` (msgType Update/Cancel) that references the earlier ones. Every state change leaves an
``AlertEntry``. Upstream CAP (a weather bureau's feed) imports as alerts too, and an ``UpstreamRule`` may
publish a matching one at once.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shequ.core import clock
from shequ.core.fields import user_reference
from shequ.geo.models import Region


class State(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", pgettext_lazy("alert", "Rejected")


class CapStatus(models.TextChoices):
    ACTUAL = "Actual", _("Actual")
    EXERCISE = "Exercise", _("Exercise")
    SYSTEM = "System", _("System")
    TEST = "Test", _("Test")
    DRAFT = "Draft", _("Draft (CAP)")


class MsgType(models.TextChoices):
    ALERT = "Alert", _("Alert")
    UPDATE = "Update", _("Update")
    CANCEL = "Cancel", _("Cancel")


class Scope(models.TextChoices):
    PUBLIC = "Public", _("Public")
    RESTRICTED = "Restricted", _("Restricted")
    PRIVATE = "Private", _("Private")


class Category(models.TextChoices):
    GEO = "Geo", _("Geophysical")
    MET = "Met", _("Meteorological")
    SAFETY = "Safety", _("Public safety")
    SECURITY = "Security", _("Security")
    RESCUE = "Rescue", _("Rescue and recovery")
    FIRE = "Fire", _("Fire")
    HEALTH = "Health", _("Health")
    ENV = "Env", _("Environment")
    TRANSPORT = "Transport", _("Transport")
    INFRA = "Infra", _("Infrastructure and utilities")
    CBRNE = "CBRNE", _("Chemical, biological, radiological, nuclear or explosive")
    OTHER = "Other", _("Other")


class ResponseType(models.TextChoices):
    SHELTER = "Shelter", _("Take shelter")
    EVACUATE = "Evacuate", _("Evacuate")
    PREPARE = "Prepare", _("Prepare")
    EXECUTE = "Execute", _("Execute the planned action")
    AVOID = "Avoid", _("Avoid the area")
    MONITOR = "Monitor", _("Monitor information")
    ASSESS = "Assess", _("Assess the information")
    ALL_CLEAR = "AllClear", _("All clear")
    NONE = "None", _("No action")


class Urgency(models.TextChoices):
    IMMEDIATE = "Immediate", _("Immediate")
    EXPECTED = "Expected", _("Expected")
    FUTURE = "Future", _("Future")
    PAST = "Past", _("Past")
    UNKNOWN = "Unknown", _("Unknown")


class Severity(models.TextChoices):
    EXTREME = "Extreme", _("Extreme")
    SEVERE = "Severe", _("Severe")
    MODERATE = "Moderate", _("Moderate")
    MINOR = "Minor", _("Minor")
    UNKNOWN = "Unknown", _("Unknown")


# Higher is more severe; an upstream rule's minimum severity compares on this.
SEVERITY_RANK = {"Unknown": 0, "Minor": 1, "Moderate": 2, "Severe": 3, "Extreme": 4}


class Certainty(models.TextChoices):
    OBSERVED = "Observed", _("Observed")
    LIKELY = "Likely", _("Likely")
    POSSIBLE = "Possible", _("Possible")
    UNLIKELY = "Unlikely", _("Unlikely")
    UNKNOWN = "Unknown", _("Unknown")


class Origin(models.TextChoices):
    LOCAL = "local", _("Composed here")
    UPSTREAM = "upstream", _("Imported from upstream")


class AlertQuerySet(models.QuerySet["Alert"]):
    def current(self) -> AlertQuerySet:
        """In force now: approved, not a cancel, not replaced by a later update or cancel, not expired."""
        now = clock.now()
        return self.filter(
            Q(expires__isnull=True) | Q(expires__gt=now),
            state=State.APPROVED,
            superseded_by__isnull=True,
        ).exclude(msg_type=MsgType.CANCEL)


class Alert(models.Model):
    """One CAP 1.2 message (alert block, one info block, one area) and its approval state.

    The area is regions, a drawn polygon, or a circle; when both regions and a shape are set (an upstream
    alert clipped by a rule) the area is their intersection. ``area_code`` is the region code that covers the
    whole area (the longest common prefix at a level boundary): it scopes who sees and who approves.
    """

    # --- CAP <alert>
    identifier = models.CharField(_("identifier"), max_length=200)
    sender = models.CharField(_("sender"), max_length=200)
    sent = models.DateTimeField(_("sent"), null=True, blank=True, help_text=_("Set when the alert is approved"))
    status = models.CharField(_("CAP status"), max_length=10, choices=CapStatus.choices, default=CapStatus.ACTUAL)
    msg_type = models.CharField(_("message type"), max_length=10, choices=MsgType.choices, default=MsgType.ALERT)
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices, default=Scope.PUBLIC)
    note = models.TextField(_("note"), blank=True, help_text=_("CAP note, e.g. why an alert is cancelled"))
    references = models.ManyToManyField(
        "self", verbose_name=_("references"), symmetrical=False, blank=True, related_name="referenced_by"
    )
    # References to upstream messages we never received, kept verbatim ("sender,identifier,sent ...").
    external_references = models.TextField(_("other references"), blank=True)
    # The latest approved update or cancel that replaced this alert; set on that message's approval.
    superseded_by = models.ForeignKey(
        "self",
        verbose_name=_("replaced by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="supersedes",
    )

    # --- CAP <info>
    language = models.CharField(_("language"), max_length=10, default="zh-CN")
    category = models.CharField(
        pgettext_lazy("alert", "category"), max_length=10, choices=Category.choices, default=Category.SAFETY
    )
    event = models.CharField(pgettext_lazy("alert", "event"), max_length=100)
    response_type = models.CharField(
        _("response type"), max_length=10, choices=ResponseType.choices, default=ResponseType.MONITOR
    )
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.EXPECTED)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, default=Severity.MODERATE)
    certainty = models.CharField(_("certainty"), max_length=10, choices=Certainty.choices, default=Certainty.LIKELY)
    sender_name = models.CharField(_("sender name"), max_length=100, blank=True)
    headline = models.CharField(_("headline"), max_length=160)
    description = models.TextField(pgettext_lazy("alert", "description"), blank=True)
    instruction = models.TextField(_("instruction"), blank=True)
    effective = models.DateTimeField(_("effective"), null=True, blank=True)
    expires = models.DateTimeField(_("expires"), null=True, blank=True, db_index=True)
    web = models.URLField(_("web page"), blank=True)

    # --- CAP <area>
    regions = models.ManyToManyField(Region, verbose_name=_("regions"), blank=True, related_name="+")
    polygon = models.JSONField(_("polygon"), null=True, blank=True, help_text=_("GeoJSON Polygon, WGS-84"))
    circle_lon = models.FloatField(_("circle centre longitude"), null=True, blank=True)
    circle_lat = models.FloatField(_("circle centre latitude"), null=True, blank=True)
    circle_radius_km = models.FloatField(_("circle radius (km)"), null=True, blank=True)
    area_desc = models.CharField(_("area description"), max_length=200)
    area_code = models.CharField(_("area code"), max_length=15, db_index=True, blank=True)

    # --- workflow
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT, db_index=True)
    origin = models.CharField(_("origin"), max_length=10, choices=Origin.choices, default=Origin.LOCAL)
    composer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("composer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approver"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    rule = models.ForeignKey(
        "UpstreamRule",
        verbose_name=_("published by rule"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="alerts",
    )
    reject_reason = models.TextField(_("reason for rejection"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    updated_at = models.DateTimeField(_("updated at"), default=clock.now)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    # --- targeting, counted on submit and frozen on approval
    targeted_at = models.DateTimeField(_("counted at"), null=True, blank=True)
    target_dwellings = models.PositiveIntegerField(_("dwellings"), default=0)
    target_residents = models.PositiveIntegerField(_("residents"), default=0)
    target_workers = models.PositiveIntegerField(_("people working there"), default=0)
    target_organizations = models.PositiveIntegerField(_("organisations"), default=0)
    target_contacts = models.PositiveIntegerField(_("contact points"), default=0)

    # --- delivery: set when every recipient has a Delivery row (a worker re-runs fan-out until then)
    fanned_out_at = models.DateTimeField(_("fanned out at"), null=True, blank=True)

    objects = AlertQuerySet.as_manager()

    # Fields a draft may change through actions.edit; everything else is set by the workflow.
    EDITABLE = (
        "status",
        "scope",
        "note",
        "language",
        "category",
        "event",
        "response_type",
        "urgency",
        "severity",
        "certainty",
        "sender_name",
        "headline",
        "description",
        "instruction",
        "effective",
        "expires",
        "web",
        "polygon",
        "circle_lon",
        "circle_lat",
        "circle_radius_km",
        "area_desc",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["sender", "identifier"], name="alert_sender_identifier")]
        indexes = [models.Index(fields=["state", "area_code"], name="alert_state_area")]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")

    def __str__(self) -> str:
        return f"{self.headline} ({self.identifier})"

    @property
    def has_circle(self) -> bool:
        return None not in (self.circle_lon, self.circle_lat, self.circle_radius_km)

    @property
    def cap_reference(self) -> str:
        """This message as another message's reference: "sender,identifier,sent"."""
        from .cap import cap_time

        return f"{self.sender},{self.identifier},{cap_time(self.sent or self.created_at)}"


class AlertEntry(models.Model):
    """One row per action on an alert: who, from which state to which, and why."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="timeline")
    action = models.CharField(_("action"), max_length=30)
    actor = user_reference(_("actor"))
    from_state = models.CharField(pgettext_lazy("alert", "from"), max_length=10, blank=True)
    to_state = models.CharField(pgettext_lazy("alert", "to"), max_length=10)
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("time"), default=clock.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("alert timeline entry")
        verbose_name_plural = _("alert timeline")

    def __str__(self) -> str:
        return f"{self.alert_id} {self.action} {self.from_state}->{self.to_state}"


class AlertTemplate(models.Model):
    """A ready text for a common alert (typhoon, rainstorm ...); composing from it prefills the info block."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=50)
    category = models.CharField(pgettext_lazy("alert", "category"), max_length=10, choices=Category.choices)
    event = models.CharField(pgettext_lazy("alert", "event"), max_length=100)
    response_type = models.CharField(_("response type"), max_length=10, choices=ResponseType.choices)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    certainty = models.CharField(_("certainty"), max_length=10, choices=Certainty.choices)
    headline = models.CharField(_("headline"), max_length=160)
    description = models.TextField(pgettext_lazy("alert", "description"))
    instruction = models.TextField(_("instruction"))
    hours_valid = models.PositiveSmallIntegerField(_("hours valid"), default=24)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("alert template")
        verbose_name_plural = _("alert templates")

    def __str__(self) -> str:
        return self.name


class UpstreamRule(models.Model):
    """Publish imported upstream alerts at once when they match: sender, event and at least this severity
    (only real messages: CAP status Actual).

    A matching alert is approved on import (no second person) into the rule's regions: its own polygon or
    circle is kept and clipped to those regions, and with no shape the rule's regions are the area."""

    name = models.CharField(_("name"), max_length=100)
    sender = models.CharField(_("sender"), max_length=200, blank=True, help_text=_("Blank: any sender"))
    event = models.CharField(_("event contains"), max_length=100, blank=True, help_text=_("Blank: any event"))
    min_severity = models.CharField(
        _("minimum severity"), max_length=10, choices=Severity.choices, default=Severity.SEVERE
    )
    regions = models.ManyToManyField(Region, verbose_name=_("publish into regions"), related_name="+")
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("upstream rule")
        verbose_name_plural = _("upstream rules")

    def __str__(self) -> str:
        return self.name

    def matches(self, *, sender: str, event: str, severity: str, status: str = CapStatus.ACTUAL) -> bool:
        # Exercises and tests never go out by themselves.
        if not self.active or status != CapStatus.ACTUAL:
            return False
        if self.sender and self.sender != sender:
            return False
        if self.event and self.event not in event:
            return False
        return SEVERITY_RANK.get(severity, 0) >= SEVERITY_RANK[self.min_severity]


# --- delivery per recipient (docs/alerts.md "Delivery") ---------------------------------------------


class DeliveryChannel(models.TextChoices):
    IN_APP = "in_app", _("In the portal")
    SMS = "sms", _("SMS")
    VOICE = "voice", _("Voice call")
    EMAIL = "email", _("Email")
    WEBPUSH = "webpush", _("Web Push")


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", pgettext_lazy("alert", "Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")


# A recipient counts as reached once a channel reports sent or delivered (or they answered).
REACHED = (DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.ACKNOWLEDGED)


class Ack(models.TextChoices):
    RECEIVED = "received", _("Received")
    SAFE = "safe", _("I am safe")
    NEED_HELP = "need_help", _("I need help")


class AckChannel(models.TextChoices):
    LINK = "link", _("Link in the message")
    PORTAL = "portal", _("Resident portal")
    FOLLOW_UP = "follow_up", _("Grid worker follow-up")


class Delivery(models.Model):
    """One alert to one recipient on one channel: a resident (``person``) or an organisation's contact.

    Rows are made by ``fanout.fan_out`` (idempotent through the unique constraints) and claimed by a worker
    with a conditional update ``queued -> sending`` before anything is sent, so no two workers send it; a claim its
    worker died holding is sent again under the same idempotency key (the id), for the gateway to drop a repeat.
    An answer (收到 / 已安全 / 需要帮助) is kept on every row of that recipient for that alert.
    """

    alert = models.ForeignKey(Alert, verbose_name=_("alert"), on_delete=models.CASCADE, related_name="deliveries")
    person = models.ForeignKey(
        "registry.Person", verbose_name=_("person"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    organization = models.ForeignKey(
        "registry.Organization",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The recipient's grid when the alert went out: the board groups by it and grid workers are scoped by it.
    grid_code = models.CharField(_("grid code"), max_length=15, blank=True, db_index=True)
    channel = models.CharField(_("channel"), max_length=10, choices=DeliveryChannel.choices)
    address = models.CharField(_("address"), max_length=254, blank=True, help_text=_("Phone number or email"))
    status = models.CharField(_("status"), max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    provider_ref = models.CharField(_("provider reference"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    # The claiming worker's batch (claims.py): its advisory lock is free once that worker is gone.
    claim_key = models.IntegerField(_("claim key"), null=True, blank=True)
    sent_at = models.DateTimeField(pgettext_lazy("alert", "sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    ack = models.CharField(_("answer"), max_length=10, choices=Ack.choices, blank=True)
    ack_channel = models.CharField(_("answered through"), max_length=10, choices=AckChannel.choices, blank=True)
    acknowledged_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    help_event = models.ForeignKey(
        "events.Event",
        verbose_name=_("help event"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "person", "channel"], condition=Q(person__isnull=False), name="delivery_person_once"
            ),
            models.UniqueConstraint(
                fields=["alert", "organization", "channel"],
                condition=Q(organization__isnull=False),
                name="delivery_organization_once",
            ),
            models.CheckConstraint(
                condition=Q(person__isnull=True) | Q(organization__isnull=True), name="delivery_one_recipient"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due"),
            models.Index(fields=["alert", "grid_code"], name="delivery_alert_grid"),
            models.Index(fields=["person", "alert"], name="delivery_person_alert"),
        ]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")

    def __str__(self) -> str:
        return f"{self.alert_id} {self.channel} {self.address or self.person_id} {self.status}"


class OutboxMessage(models.Model):
    """What the local gateway would have sent (no SHEQU_SMS_URL set): the demo and tests read it here."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="outbox")
    channel = models.CharField(_("channel"), max_length=10, choices=DeliveryChannel.choices)
    to = models.CharField(_("recipient address"), max_length=254)
    text = models.TextField(_("text"))
    at = models.DateTimeField(_("time"), default=clock.now)

    class Meta:
        ordering = ["id"]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox")

    def __str__(self) -> str:
        return f"{self.channel} {self.to}"


class Outcome(models.TextChoices):
    REACHED_SAFE = "reached_safe", _("Reached, safe")
    REACHED_NEEDS_HELP = "reached_help", _("Reached, needs help")
    NOT_REACHED = "not_reached", _("Not reached")


class FollowUp(models.Model):
    """A grid worker's call or visit to a vulnerable resident who did not answer an alert: one row per try."""

    alert = models.ForeignKey(Alert, verbose_name=_("alert"), on_delete=models.CASCADE, related_name="follow_ups")
    person = models.ForeignKey("registry.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    note = models.TextField(_("note"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("time"), default=clock.now)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["alert", "person"], name="followup_alert_person")]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")

    def __str__(self) -> str:
        return f"{self.alert_id} {self.person_id} {self.outcome}"


class PushSubscription(models.Model):
    """One browser that allowed notifications (Web Push, RFC 8030/8291): where to post and the keys to encrypt with.

    Tied to the portal account; a resident's ``webpush`` delivery goes to each of their subscriptions. The push
    service answering 404/410 means the browser dropped it: the row is deleted (``webpush.send``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("account"), on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    # Unique: one browser, one row; signing in as someone else on the same browser moves it to them.
    endpoint = models.URLField(_("endpoint"), max_length=1000, unique=True)
    p256dh = models.CharField(_("public key (p256dh)"), max_length=200)
    auth = models.CharField(_("authentication secret"), max_length=100)
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    last_sent_at = models.DateTimeField(pgettext_lazy("alert", "last sent at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("push subscription")
        verbose_name_plural = _("push subscriptions")

    def __str__(self) -> str:
        return f"{self.user_id} {self.endpoint[:60]}"

    def info(self) -> dict:
        """The ``subscription_info`` pywebpush expects (what the browser's ``PushSubscription.toJSON()`` gives)."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}
