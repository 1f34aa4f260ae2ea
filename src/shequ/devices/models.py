"""Smart devices (智能设备): the registry, the messages they send, the rules that turn alarms into cases, and the
car parks their gates count.

Models hold data and invariants; ingestion lives in ``ingest.py``, rules in ``rules.py``, writes in ``actions.py``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shequ.access.models import Unit
from shequ.core import clock
from shequ.core.fields import user_reference
from shequ.geo.models import Building, Dwelling, Region


class DeviceType(models.TextChoices):
    ACCESS_DOOR = "access_door", _("Access door")
    VEHICLE_GATE = "vehicle_gate", _("Vehicle gate")
    SMOKE_DETECTOR = "smoke_detector", _("Smoke detector")
    GAS_DETECTOR = "gas_detector", _("Combustible-gas detector")
    LIFT_CAMERA = "lift_camera", _("Lift camera")
    FALLING_OBJECT_CAMERA = "falling_object_camera", _("Falling-object camera")
    WATER_METER = "water_meter", _("Water meter")
    POWER_METER = "power_meter", _("Power meter")
    DOOR_MAGNET = "door_magnet", _("Door magnet")
    MOTION_SENSOR = "motion_sensor", _("Motion sensor")
    EMERGENCY_BUTTON = "emergency_button", _("Emergency button")


class DeviceStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    OFFLINE = "offline", _("Offline")
    RETIRED = "retired", _("Retired")


class OwnerKind(models.TextChoices):
    PROPERTY = "property", _("Property company")
    COMMUNITY = "community", _("Community")
    DEPARTMENT = "department", _("Department")


class Device(models.Model):
    """One device in a building (and a dwelling, or a public spot in or near it), so it resolves to a grid.

    ``area_code`` is the grid's code, copied from the building: every area filter is a prefix match on it."""

    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100)
    type = models.CharField(_("type"), max_length=30, choices=DeviceType.choices)
    vendor = models.CharField(_("vendor"), max_length=100, blank=True)
    model = models.CharField(_("model"), max_length=100, blank=True)
    building = models.ForeignKey(Building, verbose_name=_("building"), on_delete=models.PROTECT, related_name="+")
    dwelling = models.ForeignKey(
        Dwelling, verbose_name=_("dwelling"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    spot = models.CharField(_("spot"), max_length=100, blank=True, help_text=_("A public spot, e.g. lift 2"))
    grid = models.ForeignKey(Region, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+")
    area_code = models.CharField(_("area code"), max_length=15, db_index=True)
    owner_kind = models.CharField(_("owned by"), max_length=20, choices=OwnerKind.choices)
    owner_unit = models.ForeignKey(
        Unit, verbose_name=_("owning unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    contact_name = models.CharField(_("contact"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=DeviceStatus.choices, default=DeviceStatus.ACTIVE, db_index=True
    )
    # The per-device key a vendor sends in the X-Device-Key header, stored as a SHA-256 digest; a vendor that signs
    # uses ``signing_secret`` (HMAC-SHA256 over the body), required once set.
    key_hash = models.CharField(max_length=64, blank=True)
    signing_secret = models.CharField(_("signing secret"), max_length=100, blank=True)
    car_park = models.ForeignKey(
        "CarPark", verbose_name=_("car park"), null=True, blank=True, on_delete=models.SET_NULL, related_name="gates"
    )
    heartbeat_seconds = models.PositiveIntegerField(
        _("offline after (seconds)"), default=900, help_text=_("Offline when nothing arrives for this long")
    )
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    last_message_type = models.CharField(_("last message"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    class Meta:
        ordering = ["area_code", "code"]
        indexes = [models.Index(fields=["status", "last_seen_at"], name="device_health")]
        verbose_name = _("device")
        verbose_name_plural = _("devices")

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def place(self) -> str:
        parts = [self.building.address or self.building.name]
        if self.dwelling is not None:
            parts.append(self.dwelling.room)
        if self.spot:
            parts.append(self.spot)
        return " ".join(p for p in parts if p)


class Wire(models.TextChoices):
    HTTP = "http", "HTTP"
    MQTT = "mqtt", "MQTT"


class Message(models.Model):
    """One message a device sent: its type, its own time, and the type's fields (validated, ``schemas.py``).

    Unique on (device, type, at): QoS 1 may deliver a message again; it is recorded once."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="messages")
    type = models.CharField(_("type"), max_length=20)
    at = models.DateTimeField(_("time"))
    received_at = models.DateTimeField(_("received at"))
    wire = models.CharField(_("wire"), max_length=4, choices=Wire.choices)
    data = models.JSONField(_("fields"), default=dict)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [models.UniqueConstraint(fields=["device", "type", "at"], name="device_message_once")]
        indexes = [models.Index(fields=["type", "at"], name="device_message_type_at")]
        verbose_name = _("device message")
        verbose_name_plural = _("device messages")

    def __str__(self) -> str:
        return f"{self.device_id} {self.type} {self.at:%Y-%m-%d %H:%M:%S}"


class Refusal(models.Model):
    """How many messages were refused, per device code and reason (``unknown_device`` all under one row)."""

    device_code = models.CharField(_("device code"), max_length=64)
    code = models.CharField(_("reason"), max_length=20)
    count = models.PositiveIntegerField(_("times refused"), default=0)
    last_at = models.DateTimeField(_("last refused"))
    last_detail = models.CharField(_("last detail"), max_length=200, blank=True)

    class Meta:
        ordering = ["-last_at"]
        constraints = [models.UniqueConstraint(fields=["device_code", "code"], name="device_refusal_once")]
        verbose_name = _("refused messages")
        verbose_name_plural = _("refused messages")

    def __str__(self) -> str:
        return f"{self.device_code} {self.code} ×{self.count}"


class Operator(models.TextChoices):
    EQUALS = "eq", _("equals")
    ABOVE = "gt", _("is above")
    AT_LEAST = "gte", _("is at least")
    BELOW = "lt", _("is below")
    TRUE = "true", _("is true")
    ANY = "any", _("any message")
    # Checked by the periodic sweep, not per message:
    ZERO_FOR_DAYS = "zero_days", _("no use for N days")
    SILENT_FOR_HOURS = "silent_hours", _("nothing detected for N hours")


SWEEP_OPERATORS = (Operator.ZERO_FOR_DAYS, Operator.SILENT_FOR_HOURS)


class RuleAction(models.TextChoices):
    EVENT = "event", _("Report an event")
    CARE_TASK = "care_task", _("Care task to the grid worker")
    NOTIFY = "notify", _("Notification only")


class Rule(models.Model):
    """A line of the rule table: messages of this type (from devices of this type) meeting the condition lead to
    the action. Repeats fold into the open case; a quiet window and a daily limit bound new cases."""

    name = models.CharField(_("name"), max_length=100)
    message_type = models.CharField(_("message type"), max_length=20)
    device_type = models.CharField(
        _("device type"), max_length=30, choices=DeviceType.choices, blank=True, help_text=_("Blank: any device")
    )
    field = models.CharField(_("field"), max_length=30, blank=True)
    operator = models.CharField(_("condition"), max_length=12, choices=Operator.choices, default=Operator.ANY)
    value = models.CharField(_("value"), max_length=50, blank=True)
    period = models.PositiveIntegerField(_("N (days or hours)"), default=0)
    action = models.CharField(_("action"), max_length=12, choices=RuleAction.choices, default=RuleAction.EVENT)
    category = models.ForeignKey(
        "events.Category", verbose_name=_("category"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    level = models.ForeignKey(
        "events.Level", verbose_name=_("level"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    elderly_only = models.BooleanField(
        _("only where an elderly person lives alone"), default=False, help_text=_("The dwelling's residents")
    )
    emergency = models.BooleanField(
        _("emergency"), default=False, help_text=_("Also reach the dwelling's residents and grid worker at once")
    )
    quiet_minutes = models.PositiveIntegerField(_("quiet window (minutes)"), default=30)
    daily_limit = models.PositiveIntegerField(_("daily limit"), default=5)
    active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), default=clock.now)

    class Meta:
        ordering = ["message_type", "name"]
        verbose_name = _("rule")
        verbose_name_plural = _("rule table")

    def __str__(self) -> str:
        return self.name


class Outcome(models.TextChoices):
    EVENT = "event", _("Event reported")
    TASK = "task", _("Care task")
    NOTIFIED = "notified", _("Notified")
    FOLDED = "folded", _("Folded into the open case")
    QUIET = "quiet", _("Within the quiet window")
    LIMITED = "limited", _("Over the daily limit")
    WATCHED = "watched", _("Watch-list plate")
    FAILED = "failed", _("Could not make the case")


NEW_CASE = (Outcome.EVENT, Outcome.TASK, Outcome.NOTIFIED)


class Alarm(models.Model):
    """告警: a message a rule matched, and what came of it (a new case, a fold into the open one, or held back)."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="alarms")
    rule = models.ForeignKey(Rule, null=True, blank=True, on_delete=models.SET_NULL, related_name="alarms")
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    event = models.ForeignKey(
        "events.Event", null=True, blank=True, on_delete=models.SET_NULL, related_name="device_alarms"
    )
    task = models.ForeignKey("Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="alarms")
    count = models.PositiveIntegerField(_("times"), default=1, help_text=_("Repeats folded into this case"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    at = models.DateTimeField(_("time"), default=clock.now)
    last_at = models.DateTimeField(_("last repeat"), default=clock.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["rule", "device", "at"], name="device_alarm_rule")]
        verbose_name = _("alarm")
        verbose_name_plural = _("alarms")

    def __str__(self) -> str:
        return f"{self.device_id} {self.outcome} {self.at:%Y-%m-%d %H:%M}"


class TaskKind(models.TextChoices):
    CARE = "care", _("Care visit")
    MAINTENANCE = "maintenance", _("Maintenance")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")


class Task(models.Model):
    """A task the devices make: a care visit for the grid worker (elderly rules, until the services app takes
    them over through ``SHEQU_DEVICE_CARE_TASKS``) or maintenance for a device's owner when it went offline."""

    kind = models.CharField(_("kind"), max_length=12, choices=TaskKind.choices)
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="tasks")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assignee"), null=True, blank=True, on_delete=models.SET_NULL
    )
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.SET_NULL)
    area_code = models.CharField(_("area code"), max_length=15, db_index=True)
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = user_reference(_("closed by"))

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One open maintenance task per device: a device that stays offline is not a new task every sweep.
            models.UniqueConstraint(
                fields=["device", "kind"],
                condition=Q(status="open", kind="maintenance"),
                name="device_task_one_open_maintenance",
            )
        ]
        verbose_name = _("device task")
        verbose_name_plural = _("device tasks")

    def __str__(self) -> str:
        return self.title


class CarPark(models.Model):
    """A car park whose vehicle gates count cars in and out: ``occupied`` of ``spaces``."""

    name = models.CharField(_("name"), max_length=100)
    grid = models.ForeignKey(Region, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+")
    area_code = models.CharField(_("area code"), max_length=15, db_index=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    spaces = models.PositiveIntegerField(_("spaces"))
    occupied = models.PositiveIntegerField(_("occupied"), default=0)
    updated_at = models.DateTimeField(_("updated at"), default=clock.now)

    class Meta:
        ordering = ["area_code", "name"]
        verbose_name = _("car park")
        verbose_name_plural = _("car parks")

    def __str__(self) -> str:
        return self.name

    @property
    def free(self) -> int:
        return max(self.spaces - self.occupied, 0)


class WatchedPlate(models.Model):
    """A plate staff watch for in their area (e.g. a car that blocked a fire lane): a read notifies the community."""

    plate = models.CharField(_("plate"), max_length=12)
    reason = models.CharField(_("reason"), max_length=200)
    area_code = models.CharField(_("area code"), max_length=15, db_index=True)
    active = models.BooleanField(_("active"), default=True)
    created_by = user_reference(_("created by"))
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["plate", "active"], name="device_watch_plate")]
        verbose_name = _("watched plate")
        verbose_name_plural = _("watch list")

    def __str__(self) -> str:
        return self.plate
