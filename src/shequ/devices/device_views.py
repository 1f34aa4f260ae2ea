"""Registering one device, and editing it, from a page (many at once: the import). Parse, call, render.

The form's rows are read as an import row is (``importing.row_input``): the building by its address within the
user's area, the dwelling by its room, the owning unit by its code, so a device made here and one imported obey
the same checks. The new device's key is shown once, as a message on its page.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shequ.access.decorators import staff_required
from shequ.access.scopes import manages_area
from shequ.core.errors import DomainError
from shequ.registry.queries import buildings_for

from . import actions, queries
from .importing import COLUMNS, row_input
from .models import Device, DeviceStatus, DeviceType, OwnerKind

FIELD = {name: header for header, name in COLUMNS}  # form field -> the import column it stands for


class DeviceForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("device code"), max_length=64)
    name = forms.CharField(label=gettext_lazy("name"), max_length=100)
    type = forms.ChoiceField(label=gettext_lazy("device type"), choices=DeviceType.choices)
    building = forms.CharField(label=gettext_lazy("building address"), max_length=200)
    room = forms.CharField(label=gettext_lazy("room (a device in a dwelling)"), max_length=20, required=False)
    spot = forms.CharField(label=gettext_lazy("spot (a public place)"), max_length=100, required=False)
    vendor = forms.CharField(label=gettext_lazy("vendor"), max_length=100, required=False)
    model = forms.CharField(label=gettext_lazy("model"), max_length=100, required=False)
    owner_kind = forms.ChoiceField(label=gettext_lazy("owned by"), choices=OwnerKind.choices)
    owner_unit = forms.CharField(label=gettext_lazy("owning unit's code"), max_length=30, required=False)
    contact_name = forms.CharField(label=gettext_lazy("contact"), max_length=50, required=False)
    contact_phone = forms.CharField(label=gettext_lazy("contact phone"), max_length=30, required=False)
    car_park = forms.CharField(label=gettext_lazy("car park (a vehicle gate)"), max_length=100, required=False)
    heartbeat_seconds = forms.IntegerField(
        label=gettext_lazy("offline after (seconds without a message)"), min_value=60, max_value=7 * 86400, initial=900
    )


def _initial(device: Device) -> dict:
    return {
        "code": device.code,
        "name": device.name,
        "type": device.type,
        "building": device.building.address,
        "room": device.dwelling.room if device.dwelling else "",
        "spot": device.spot,
        "vendor": device.vendor,
        "model": device.model,
        "owner_kind": device.owner_kind,
        "owner_unit": device.owner_unit.code if device.owner_unit else "",
        "contact_name": device.contact_name,
        "contact_phone": device.contact_phone,
        "car_park": device.car_park.name if device.car_park else "",
        "heartbeat_seconds": device.heartbeat_seconds,
    }


def _input(request: HttpRequest, data: dict) -> actions.DeviceInput:
    cells = {FIELD[name]: str(value if value is not None else "").strip() for name, value in data.items()}
    address = cells[FIELD["building"]]
    buildings = {b.address: b for b in buildings_for(request.user).filter(address=address).select_related("grid")}
    return row_input(cells, user=request.user, buildings=buildings)  # type: ignore[arg-type]


@staff_required
def device_form(request: HttpRequest, code: str | None = None) -> HttpResponse:
    if not manages_area(request.user):
        raise Http404
    device = None
    if code is not None:
        try:
            device = queries.get_device_for(request.user, code)
        except DomainError as e:
            raise Http404(e.message) from e
        if device.status == DeviceStatus.RETIRED:
            raise Http404
    form = DeviceForm(request.POST or None, initial=_initial(device) if device else None)
    if device is not None:
        form.fields["code"].disabled = True  # a device's code is its identity on the wire
    if request.method == "POST" and form.is_valid():
        try:
            data = _input(request, form.cleaned_data)
            if device is None:
                device, key = actions.create_device(by=request.user, data=data)  # type: ignore[arg-type]
                text = _("Device registered. Its key (shown once, copy it now): %(key)s") % {"key": key}
                messages.warning(request, text)
            else:
                actions.update_device(device, by=request.user, data=data)  # type: ignore[arg-type]
                messages.success(request, _("Device saved."))
        except DomainError as e:
            form.add_error(e.field if e.field in form.fields else None, e.message)
        else:
            return redirect("devices:detail", code=device.code)
    return render(request, "devices/device_form.html", {"form": form, "device": device})
