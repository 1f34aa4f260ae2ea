"""Upstream CAP 1.2 messages in: a matching ``UpstreamRule`` publishes one at once into its regions (clipped to
where the upstream area and the rule's overlap); any other becomes a draft of the importing user, for a second person
to approve through ``actions.approve``. A message already imported is refused.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from shequ.access.models import User
from shequ.core import clock
from shequ.core.errors import InvalidInput
from shequ.geo.models import Region

from . import cap, targeting, tasks
from .actions import count_targets, log_entry, supersede
from .models import Alert, Origin, State, UpstreamRule


def _clip(codes: list[str], rule_codes: list[str]) -> list[str]:
    """The deeper of each pair of nested codes: where the upstream's regions and the rule's overlap."""
    out = {c for c in codes if any(c.startswith(r) for r in rule_codes)}
    out |= {r for r in rule_codes if any(r.startswith(c) for c in codes)}
    return sorted(out)


@transaction.atomic
def import_cap(data: bytes, *, by: User | None, source: str = "") -> Alert:
    """Import an upstream CAP 1.2 message. A matching ``UpstreamRule`` publishes it at once into its
    regions; otherwise it becomes a draft of the importing user, for a second person to approve."""
    incoming = cap.parse(data)
    if Alert.objects.filter(sender=incoming.sender, identifier=incoming.identifier).exists():
        raise InvalidInput(
            _("This CAP message (%(id)s) has already been imported.") % {"id": incoming.identifier},
            code="cap_duplicate",
        )
    refs = [Alert.objects.filter(sender=s, identifier=i).first() for s, i in incoming.references]
    unknown = [text for text, ref in zip(incoming.references_text, refs, strict=True) if ref is None]
    geocoded = list(Region.objects.filter(code__in=incoming.geocodes).values_list("code", flat=True))
    shape = targeting.Shape(polygon=incoming.polygon, circle=incoming.circle)

    rule = next(
        (
            r
            for r in UpstreamRule.objects.filter(active=True).prefetch_related("regions").order_by("id")
            if r.matches(
                sender=incoming.sender, event=incoming.event, severity=incoming.severity, status=incoming.status
            )
        ),
        None,
    )
    codes, area_code = geocoded, ""
    if rule is not None:
        rule_codes = [r.code for r in rule.regions.all()]
        codes = _clip(geocoded, rule_codes) if geocoded else rule_codes
        touched = targeting.grids_touched(targeting.Area(codes=tuple(codes), shape=shape)) if codes else []
        area_code = targeting.common_code(touched)
        if not area_code:
            rule = None  # the upstream area misses every region the rule publishes into
            codes = geocoded
    if not area_code:
        touched = targeting.grids_touched(targeting.Area(codes=tuple(codes), shape=shape)) if (codes or shape) else []
        area_code = targeting.common_code(touched) or settings.SHEQU_DISTRICT_CODE

    now = clock.now()
    alert = Alert(
        identifier=incoming.identifier,
        sender=incoming.sender,
        sent=incoming.sent,
        status=incoming.status,
        msg_type=incoming.msg_type,
        scope=incoming.scope,
        note=incoming.note,
        external_references=" ".join(unknown),
        language=incoming.language[:10],
        category=incoming.category,
        event=incoming.event[:100],
        response_type=incoming.response_type,
        urgency=incoming.urgency,
        severity=incoming.severity,
        certainty=incoming.certainty,
        sender_name=incoming.sender_name[:100],
        headline=(incoming.headline or incoming.event)[:160],
        description=incoming.description,
        instruction=incoming.instruction,
        effective=incoming.effective,
        expires=incoming.expires,
        web=incoming.web[:200],
        polygon=incoming.polygon,
        circle_lon=incoming.circle[0] if incoming.circle else None,
        circle_lat=incoming.circle[1] if incoming.circle else None,
        circle_radius_km=incoming.circle[2] if incoming.circle else None,
        area_desc=(incoming.area_desc or _("Upstream area"))[:200],
        area_code=area_code,
        origin=Origin.UPSTREAM,
        composer=by,
        created_at=now,
        updated_at=now,
    )
    alert.save()
    alert.regions.set(Region.objects.filter(code__in=codes))
    alert.references.set([r for r in refs if r is not None])
    count_targets(alert)
    alert.save()
    log_entry(alert, "import", by, "", source)
    if rule is not None:
        alert.state = State.APPROVED
        alert.rule = rule
        alert.approved_at = now
        alert.save()
        supersede(alert)
        log_entry(alert, "auto_publish", None, State.DRAFT, rule.name)
        tasks.enqueue_fan_out(alert)
    return alert
