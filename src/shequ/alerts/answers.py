"""Answers to an alert (收到 / 已安全 / 需要帮助): the signed answer link, the answer itself, the help it asks for.

    acknowledge: the answer on every row of that recipient; 需要帮助 reports one urgent event

An answer comes by the link in an SMS, email or push message (``ack_token`` signs the delivery's id), by the
portal, or by the gateway; any channel answers for all the recipient's rows of that alert. 需要帮助 reports one
urgent event at their dwelling through ``events.actions.report``.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from shequ.access.models import User
from shequ.core import clock
from shequ.core.errors import DomainError, InvalidInput, NotFound
from shequ.events import actions as events
from shequ.events.models import Channel, Event, Level
from shequ.geo.models import Region
from shequ.registry.models import Person
from shequ.registry.queries import current_residences, person_of

from .models import Ack, AckChannel, Alert, Delivery, DeliveryStatus, State

# The name the delivery log has always had, so that log filters keep working.
log = logging.getLogger("shequ.alerts.delivery")

ACK_SALT = "shequ.alerts.ack"
HELP_CHANNEL = Channel.ALERT


def ack_token(delivery: Delivery) -> str:
    return signing.Signer(salt=ACK_SALT).sign(signing.b62_encode(delivery.pk))


def delivery_for_token(token: str) -> Delivery:
    """The delivery a link names; a forged or mangled token is simply not found."""
    try:
        pk = signing.b62_decode(signing.Signer(salt=ACK_SALT).unsign(token))
        return Delivery.objects.select_related("alert", "person").get(pk=pk)
    except (signing.BadSignature, Delivery.DoesNotExist, ValueError):
        raise NotFound() from None


def ack_url(delivery: Delivery) -> str:
    return settings.SHEQU_PUBLIC_URL.rstrip("/") + reverse("alerts:ack", args=[ack_token(delivery)])


def _help_place(person: Person, grid_code: str) -> dict:
    """Where help is needed: the resident's dwelling (in the alert's grid if they have several), else the grid."""
    homes = current_residences().filter(person=person).select_related("dwelling__building__grid").order_by("start")
    home = (homes.filter(dwelling__building__grid__code=grid_code).first() if grid_code else None) or homes.first()
    if home is not None:
        building = home.dwelling.building
        return {
            "lon": building.lon,
            "lat": building.lat,
            "address": f"{building.address} {home.dwelling.room}".strip(),
            "region": building.grid,
        }
    region = Region.objects.filter(code=grid_code).first() if grid_code else None
    return {"lon": None, "lat": None, "address": "", "region": region}


def request_help(alert: Alert, person: Person, *, by: User | None, note: str = "") -> Event | None:
    """One urgent event per resident and alert, at their dwelling; a second request returns the first event."""
    known = (
        Delivery.objects.filter(alert=alert, person=person, help_event__isnull=False)
        .values_list("help_event_id", flat=True)
        .first()
    )
    if known:
        return Event.objects.get(pk=known)
    grid_code = (
        Delivery.objects.filter(alert=alert, person=person).exclude(grid_code="").values_list("grid_code", flat=True)
    ).first() or ""
    place = _help_place(person, grid_code)
    level = Level.objects.filter(code="urgent").first() or Level.objects.order_by("-rank").first()
    names = {"headline": alert.headline, "name": person.name}
    description = _("Alert “%(headline)s”: %(name)s asked for help.") % names
    if note:
        description += " " + note
    kwargs = {
        "by": by if by is not None and by.is_authenticated else None,
        "channel": HELP_CHANNEL,
        "description": description[:1000],
        "level": level,
        "address": place["address"],
        "reporter_name": person.name,
        "reporter_phone": person.phone,
        "source_ref": f"alert-{alert.pk}-person-{person.pk}",
    }
    try:
        with transaction.atomic():
            if place["lon"] is not None:
                try:
                    with transaction.atomic():
                        event = events.report(**kwargs, lon=place["lon"], lat=place["lat"])
                except InvalidInput:  # the building's point is off the grids: place it by its grid instead
                    event = events.report(**kwargs, region=place["region"])
            else:
                event = events.report(**kwargs, region=place["region"])
    except DomainError:
        # The answer itself must stand; the grid worker's follow-up list still shows the person.
        log.exception("alert %s: no help event for person %s", alert.pk, person.pk)
        return None
    Delivery.objects.filter(alert=alert, person=person).update(help_event=event)
    return event


@transaction.atomic
def acknowledge(delivery: Delivery, *, answer: str, channel: str, by: User | None = None) -> Delivery:
    """The recipient's answer, kept on all their rows for the alert (any channel answers for all).
    A later answer replaces an earlier one; 需要帮助 reports one urgent event, however often it is given."""
    if answer not in Ack.values:
        raise InvalidInput(_("Choose one of the answers."), field="answer")
    if channel not in AckChannel.values:
        raise InvalidInput(_("Unknown answer channel."), field="channel")
    alert = delivery.alert
    if alert.state != State.APPROVED:
        raise NotFound()
    if delivery.person_id is not None:
        rows = Delivery.objects.filter(alert=alert, person_id=delivery.person_id)
    else:
        rows = Delivery.objects.filter(pk=delivery.pk)
    list(rows.select_for_update())
    rows.update(ack=answer, ack_channel=channel, acknowledged_at=clock.now(), status=DeliveryStatus.ACKNOWLEDGED)
    if answer == Ack.NEED_HELP and delivery.person_id is not None:
        request_help(alert, Person.objects.get(pk=delivery.person_id), by=by)
    delivery.refresh_from_db()
    return delivery


def acknowledge_in_portal(alert_pk, *, user: User, answer: str) -> Delivery:
    """A resident answers in the portal: through any of their own deliveries of that alert."""
    person = person_of(user)
    delivery = (
        Delivery.objects.filter(person=person, alert_id=alert_pk).select_related("alert").order_by("id").first()
        if person is not None
        else None
    )
    if delivery is None:
        raise NotFound()
    return acknowledge(delivery, answer=answer, channel=AckChannel.PORTAL, by=user)
