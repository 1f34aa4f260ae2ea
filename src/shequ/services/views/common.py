"""What the services pages share: the form an affair asks (rendered from ``affairs.queries.Form``), errors from the
actions, status labels, and the 404 for anything out of scope."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest
from django.utils.translation import gettext_lazy, pgettext_lazy

from shequ.access.masking import mask_address
from shequ.collection.actions import FormInvalid
from shequ.core.errors import DomainError, NotFound
from shequ.registry.visibility import Viewer

from ..affairs import queries as affairs
from ..models import AppStatus

resident_required = login_required(login_url="portal:login")
PAGE_SIZE = 20

T = TypeVar("T")

ACTION_LABELS = {
    "submit": gettext_lazy("Submitted"),
    "resubmit": gettext_lazy("Resubmitted with more material"),
    "accept": pgettext_lazy("application", "Accepted"),
    "return": gettext_lazy("Returned for more material"),
    "review": gettext_lazy("Passed a review level"),
    "approve": pgettext_lazy("application", "Approved"),
    "refuse": pgettext_lazy("application", "Refused"),
    "withdraw": pgettext_lazy("application", "Withdrawn"),
    "overdue": gettext_lazy("Past the time limit"),
}
LEVEL_LABELS = {
    "community": gettext_lazy("Community"),
    "street": gettext_lazy("Street"),
    "district": gettext_lazy("District"),
}


def found(get: Callable[..., T], *args: Any) -> T:
    """``get(*args)`` or a 404 (missing and forbidden look the same)."""
    try:
        return get(*args)
    except NotFound as e:
        raise Http404(e.message) from e


def number_of(text: str | None) -> int:
    """A posted id as a number (0, which matches nothing, for anything else: no 500 on bad input)."""
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else 0


def posted_values(request: HttpRequest, form: affairs.Form) -> dict[str, str]:
    return {ask.name: request.POST.get(ask.name, "") for ask in form.asks}


def posted_files(request: HttpRequest, affair: Any) -> dict[str, list[Any]]:
    return {m["key"]: request.FILES.getlist(m["key"]) for m in affair.attachments if request.FILES.getlist(m["key"])}


def errors_of(error: DomainError) -> tuple[dict[str, str], str]:
    """(errors per field, the message on top) of an action's refusal."""
    if isinstance(error, FormInvalid):
        return dict(error.errors), error.message
    return ({error.field: error.message} if error.field else {}), error.message


def kept_from_base(form: affairs.Form, values: dict[str, str]) -> dict[str, str]:
    """At the counter a value of the base the clerk may not read is not prefilled: left empty, it stays as it is."""
    return {**values, **{a.name: a.value for a in form.asks if a.value and not values.get(a.name, "").strip()}}


def form_context(
    form: affairs.Form,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    viewer: Viewer | None = None,
):
    """The form's rows for ``services/_affair_form.html``: what the base knows (shown) and what is asked. With a
    ``viewer`` (staff at the counter) the base's values are shown as that user may see them: masked ones are not
    prefilled (``kept_from_base``)."""
    values = values or {}
    errors = errors or {}

    def prefill(a: Any) -> str:
        if viewer is None or not a.value or viewer.clear(a.field.name):
            return values.get(a.name, a.value)
        return values.get(a.name, "") if values.get(a.name, "") != a.value else ""

    def masked(a: Any) -> str:
        if viewer is None or not a.value or viewer.clear(a.field.name):
            return ""
        return str(viewer.shown(a.field.name, a.value) or "")

    known = [
        affairs.Known(k.field, str(viewer.shown(k.field.name, k.value) or "") if viewer else k.value)
        for k in form.known
    ]
    address = form.address
    if viewer is not None and address and not viewer.clear("person.hukou_address"):
        address = mask_address(address)
    asks = [
        {
            "name": a.name,
            "label": a.field.label,
            "type": a.field.type,
            "value": prefill(a),
            "masked": masked(a),
            "choices": a.choices,
            "missing": a.missing,
            "optional": a.field.name in form.affair.optional_fields,
            "hint": a.field.description,
            "error": errors.get(a.name, ""),
            "slots": form.affair.slots if a.field.name == "application.venue_slot" else (),
        }
        for a in form.asks
    ]
    materials = [{**m, "error": errors.get(m["key"], "")} for m in form.affair.attachments]
    return {"known": known, "asks": asks, "materials": materials, "address": address}


def status_words(status: str) -> str:
    return str(AppStatus(status).label) if status in AppStatus.values else status


def timeline(app: Any) -> list[dict[str, Any]]:
    return [
        {
            "action": e.action,
            "label": ACTION_LABELS.get(e.action, e.action),
            "level": LEVEL_LABELS.get(e.level, ""),
            "at": e.at,
            "note": e.note,
            "proxy": e.proxy,
            "actor": e.actor,
        }
        for e in app.timeline.select_related("actor")
    ]
