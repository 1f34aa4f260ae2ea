"""Every write to an alert. One transaction and one timeline row (``AlertEntry``) per action.

    compose -> draft -> edit* -> submit -> pending -> approve (a second person) -> approved
                                                   -> reject (reason) -> rejected -> edit -> draft
    approved -> update | cancel: a new draft message (msgType Update/Cancel) referencing the earlier ones;
                on its approval the earlier ones are replaced (``superseded_by``) and leave the feed.
    import_cap (upstream.py): an upstream message becomes a draft, or is approved at once when an ``UpstreamRule``
                matches.

Who: community staff and above (and administrators), for areas inside their own. An approver is a second
person (never the composer nor the submitter) at the composer's level or higher whose area covers the alert's.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from shequ.access.models import ROLE_LEVEL, Role, User
from shequ.access.scopes import area_prefix, covers, manages_area
from shequ.core import clock
from shequ.core.errors import InvalidInput, InvalidTransition, PermissionDenied
from shequ.geo.models import LEVEL_ORDER, Region

from . import cap, targeting, tasks
from .models import (
    Alert,
    AlertEntry,
    AlertTemplate,
    CapStatus,
    Category,
    Certainty,
    MsgType,
    Origin,
    ResponseType,
    Scope,
    Severity,
    State,
    Urgency,
)

MAX_RADIUS_KM = 50.0
CHOICES = {
    "category": Category,
    "response_type": ResponseType,
    "urgency": Urgency,
    "severity": Severity,
    "certainty": Certainty,
    "status": CapStatus,
    "scope": Scope,
}


def sender_id() -> str:
    """Our CAP sender: no spaces or commas (the standard's rule)."""
    return getattr(settings, "SHEQU_ALERT_SENDER", "") or f"shequ-{settings.SHEQU_DISTRICT_CODE}"


def may_compose(user: User) -> bool:
    return manages_area(user)


def _rank(user: User | None) -> int:
    """0 for the district level, 3 for grids; administrators rank above every level."""
    if user is None or user.sees_everything:
        return -1
    return LEVEL_ORDER.index(ROLE_LEVEL[Role(user.role)])


def _require_composer_role(user: User) -> None:
    if not may_compose(user):
        raise PermissionDenied(_("Only community staff and above may write alerts."))


def _require_covers(user: User, alert: Alert) -> None:
    if not covers(user, alert.area_code):
        raise PermissionDenied(_("This alert's area is outside your area."))


# --- input ------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AlertInput:
    """What a composer fills in. The area is regions, a polygon or a circle: exactly one."""

    event: str
    headline: str
    area_desc: str
    category: str = "Safety"
    response_type: str = "Monitor"
    urgency: str = "Expected"
    severity: str = "Moderate"
    certainty: str = "Likely"
    description: str = ""
    instruction: str = ""
    effective: datetime | None = None
    expires: datetime | None = None
    web: str = ""
    status: str = "Actual"
    scope: str = "Public"
    note: str = ""
    sender_name: str = ""
    regions: Sequence[Region] = ()
    polygon: dict | None = None
    circle_lon: float | None = None
    circle_lat: float | None = None
    circle_radius_km: float | None = None

    @classmethod
    def from_alert(cls, alert: Alert) -> AlertInput:
        names = {f.name for f in fields(cls)} - {"regions"}
        return cls(regions=list(alert.regions.all()), **{n: getattr(alert, n) for n in names})

    @classmethod
    def from_template(cls, template: AlertTemplate, **area) -> AlertInput:
        now = clock.now()
        return cls(
            event=template.event,
            headline=template.headline,
            category=template.category,
            response_type=template.response_type,
            urgency=template.urgency,
            severity=template.severity,
            certainty=template.certainty,
            description=template.description,
            instruction=template.instruction,
            effective=now,
            expires=now + timedelta(hours=template.hours_valid),
            **area,
        )


def _text(value: str, message: str, field: str, *, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(message, field=field)
    if len(value) > limit:
        raise InvalidInput(_("%(field)s is too long (at most %(n)s characters).") % {"field": field, "n": limit})
    return value


def _check_polygon(geometry: dict) -> dict:
    bad = InvalidInput(_("The polygon must be a closed ring of at least 3 distinct points."), field="polygon")
    if not isinstance(geometry, dict) or geometry.get("type") != "Polygon":
        raise bad
    try:
        ring = [[float(p[0]), float(p[1])] for p in geometry["coordinates"][0]]
    except (KeyError, IndexError, TypeError, ValueError):
        raise bad from None
    if ring and ring[0] != ring[-1]:
        ring.append(ring[0])
    if len(ring) < 4 or len({tuple(p) for p in ring}) < 3:
        raise bad
    if any(not (-180 <= lon <= 180 and -90 <= lat <= 90) for lon, lat in ring):
        raise InvalidInput(_("The polygon has a point outside valid coordinates."), field="polygon")
    return {"type": "Polygon", "coordinates": [ring]}


def _area(data: AlertInput) -> targeting.Area:
    kinds = sum([bool(data.regions), data.polygon is not None, data.circle_radius_km is not None])
    if kinds != 1:
        raise InvalidInput(_("Give the area as regions, a polygon or a circle (exactly one)."), field="area")
    circle = None
    if data.circle_radius_km is not None:
        if data.circle_lon is None or data.circle_lat is None:
            raise InvalidInput(_("A circle needs its centre."), field="circle")
        if not (-180 <= data.circle_lon <= 180 and -90 <= data.circle_lat <= 90):
            raise InvalidInput(_("The circle's centre is outside valid coordinates."), field="circle")
        radius = float(data.circle_radius_km)
        if not math.isfinite(radius) or not 0 < radius <= MAX_RADIUS_KM:
            raise InvalidInput(
                _("The radius must be more than 0 and at most %(n)s km.") % {"n": int(MAX_RADIUS_KM)}, field="circle"
            )
        circle = (float(data.circle_lon), float(data.circle_lat), radius)
    polygon = _check_polygon(data.polygon) if data.polygon is not None else None
    return targeting.Area(
        codes=tuple(r.code for r in data.regions), shape=targeting.Shape(polygon=polygon, circle=circle)
    )


def _area_code(area: targeting.Area) -> str:
    touched = targeting.grids_touched(area)
    if not touched:
        # Regions without grids yet (a new community) still scope by their own codes.
        touched = list(area.codes)
    code = targeting.common_code(touched)
    if not code:
        raise InvalidInput(_("The area does not reach any grid of the district."), field="area")
    return code


def _apply(alert: Alert, data: AlertInput, *, by: User) -> targeting.Area:
    """Validate the input and copy it onto the alert (not saved). Checks the area is inside the user's."""
    area = _area(data)
    prefix = area_prefix(by)
    for region in data.regions:
        if prefix is None or not region.code.startswith(prefix):
            raise PermissionDenied(_("%(region)s is outside your area.") % {"region": region.name}, field="regions")
    alert.event = _text(data.event, _("Give the event."), "event", limit=100)
    alert.headline = _text(data.headline, _("Give a headline."), "headline", limit=160)
    alert.area_desc = _text(data.area_desc, _("Describe the area in words."), "area_desc", limit=200)
    for name, choices in CHOICES.items():
        value = getattr(data, name)
        if value not in choices.values:
            raise InvalidInput(_("%(value)s is not a valid choice.") % {"value": value}, field=name)
        setattr(alert, name, value)
    if data.effective and data.expires and data.expires <= data.effective:
        raise InvalidInput(_("The alert must expire after it takes effect."), field="expires")
    for name in ("description", "instruction", "web", "note", "sender_name", "effective", "expires"):
        setattr(alert, name, getattr(data, name))
    alert.polygon = area.shape.polygon
    alert.circle_lon, alert.circle_lat, alert.circle_radius_km = area.shape.circle or (None, None, None)
    alert.area_code = _area_code(area)
    if not covers(by, alert.area_code):
        raise PermissionDenied(_("The area reaches outside your area."), field="area")
    return area


def log_entry(alert: Alert, action: str, by: User | None, from_state: str, note: str = "") -> None:
    AlertEntry.objects.create(
        alert=alert, action=action, actor=by, from_state=from_state, to_state=alert.state, note=note, at=clock.now()
    )


def _lock(alert: Alert) -> Alert:
    return Alert.objects.select_for_update().get(pk=alert.pk)


def count_targets(alert: Alert) -> None:
    counts = targeting.resolve(targeting.Area.of(alert)).counts()
    alert.target_dwellings = counts.dwellings
    alert.target_residents = counts.residents
    alert.target_workers = counts.workers
    alert.target_organizations = counts.organizations
    alert.target_contacts = counts.contacts
    alert.targeted_at = clock.now()


# --- compose, edit, submit --------------------------------------------------------------------------


@transaction.atomic
def compose(*, by: User, data: AlertInput, msg_type: str = MsgType.ALERT) -> Alert:
    """A new draft alert in the composer's area."""
    _require_composer_role(by)
    now = clock.now()
    alert = Alert(
        identifier=f"{settings.SHEQU_DISTRICT_CODE}-{now:%Y%m%d}-{uuid.uuid4().hex[:12]}",
        sender=sender_id(),
        msg_type=msg_type,
        composer=by,
        created_at=now,
        updated_at=now,
    )
    _apply(alert, data, by=by)
    alert.save()
    alert.regions.set(data.regions)
    count_targets(alert)
    alert.save()
    log_entry(alert, "compose", by, "")
    return alert


def _may_edit(alert: Alert, by: User) -> None:
    _require_composer_role(by)
    if alert.state not in (State.DRAFT, State.REJECTED):
        raise InvalidTransition(_("An alert cannot be changed once submitted; after approval send an update."))
    if alert.composer_id is not None and alert.composer_id != by.pk:
        raise PermissionDenied(_("Only the composer may change this draft."))
    _require_covers(by, alert)


@transaction.atomic
def edit(alert: Alert, *, by: User, data: AlertInput) -> Alert:
    """Change a draft (or a rejected alert, which goes back to draft)."""
    alert = _lock(alert)
    _may_edit(alert, by)
    before = alert.state
    _apply(alert, data, by=by)
    alert.state = State.DRAFT
    alert.updated_at = clock.now()
    alert.save()
    alert.regions.set(data.regions)
    count_targets(alert)
    alert.save()
    log_entry(alert, "edit", by, before)
    return alert


@transaction.atomic
def submit(alert: Alert, *, by: User) -> Alert:
    """Send a draft for approval, with the targeted counts the approver will see."""
    alert = _lock(alert)
    if alert.state != State.DRAFT:
        raise InvalidTransition(_("Only a draft can be submitted."))
    _may_edit(alert, by)
    if alert.expires and alert.expires <= clock.now():
        raise InvalidInput(_("This alert has already expired; change its expiry time first."), field="expires")
    cap.to_xml(alert)  # a message that would not validate never reaches an approver
    count_targets(alert)
    alert.state = State.PENDING
    alert.submitted_by = by
    alert.submitted_at = alert.updated_at = clock.now()
    alert.save()
    log_entry(alert, "submit", by, State.DRAFT)
    return alert


# --- approve, reject --------------------------------------------------------------------------------


def _may_approve(alert: Alert, by: User) -> None:
    _require_composer_role(by)
    if alert.state != State.PENDING:
        raise InvalidTransition(_("Only an alert waiting for approval can be approved or rejected."))
    if by.pk in (alert.composer_id, alert.submitted_by_id):
        raise PermissionDenied(_("You wrote or submitted this alert: a second person must approve it."))
    _require_covers(by, alert)
    # An imported draft has no composer: the person who submitted it stands in.
    if _rank(by) > _rank(alert.composer or alert.submitted_by):
        raise PermissionDenied(_("The approver must work at the composer's level or higher."))


def supersede(alert: Alert) -> None:
    if alert.msg_type in (MsgType.UPDATE, MsgType.CANCEL):
        alert.references.filter(state=State.APPROVED).update(superseded_by=alert)


@transaction.atomic
def approve(alert: Alert, *, by: User) -> Alert:
    """A second person approves: the message is sent (``sent`` set) and can never change again."""
    alert = _lock(alert)
    _may_approve(alert, by)
    if alert.expires and alert.expires <= clock.now():
        raise InvalidInput(_("This alert has already expired; reject it and compose a new one."), field="expires")
    count_targets(alert)
    alert.state = State.APPROVED
    alert.approver = by
    alert.approved_at = alert.updated_at = clock.now()
    # An upstream message keeps its own sender, identifier and sent: its updates reference those.
    if alert.origin == Origin.LOCAL or alert.sent is None:
        alert.sent = alert.approved_at
    alert.save()
    cap.to_xml(alert)
    supersede(alert)
    log_entry(alert, "approve", by, State.PENDING)
    tasks.enqueue_fan_out(alert)
    return alert


@transaction.atomic
def reject(alert: Alert, *, by: User, reason: str) -> Alert:
    alert = _lock(alert)
    _may_approve(alert, by)
    alert.reject_reason = _text(reason, pgettext("alert", "Give the reason for rejecting."), "reason", limit=1000)
    alert.state = State.REJECTED
    alert.updated_at = clock.now()
    alert.save()
    log_entry(alert, "reject", by, State.PENDING, alert.reject_reason)
    return alert


# --- update, cancel ---------------------------------------------------------------------------------


def _follow_up(original: Alert, *, by: User, msg_type: str, note: str) -> Alert:
    original = _lock(original)
    _require_composer_role(by)
    _require_covers(by, original)
    if original.state != State.APPROVED or original.msg_type == MsgType.CANCEL:
        raise InvalidTransition(_("Only an approved alert can be updated or cancelled."))
    if original.superseded_by_id is not None:
        raise InvalidTransition(_("This alert has been replaced; update or cancel the latest message instead."))
    data = replace(AlertInput.from_alert(original), note=note)
    if data.regions and (data.polygon is not None or data.circle_radius_km is not None):
        # An upstream alert clipped by a rule: a local follow-up names the same regions.
        data = replace(data, polygon=None, circle_lon=None, circle_lat=None, circle_radius_km=None)
    alert = compose(by=by, data=data, msg_type=msg_type)
    chain = [original, *original.references.all()]
    alert.references.set(chain)
    alert.external_references = original.external_references
    alert.save(update_fields=["external_references"])
    log_entry(alert, msg_type.lower(), by, "", _("References %(id)s") % {"id": original.identifier})
    return alert


@transaction.atomic
def update(original: Alert, *, by: User, note: str = "") -> Alert:
    """A draft Update carrying the original's text and area, to be changed, submitted and approved."""
    return _follow_up(original, by=by, msg_type=MsgType.UPDATE, note=note)


@transaction.atomic
def cancel(original: Alert, *, by: User, reason: str) -> Alert:
    """A draft Cancel of the original; once approved the original leaves the feed."""
    reason = _text(reason, _("Give the reason for cancelling."), "reason", limit=1000)
    return _follow_up(original, by=by, msg_type=MsgType.CANCEL, note=reason)
