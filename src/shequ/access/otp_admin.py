"""The admin action that resets users' second factor (lost phone, left the job), audited as "otp.reset".

``UserAdmin`` lives in admin.py; it lists this action in its ``actions``."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import twofactor


@admin.action(description=gettext_lazy("Reset two-factor sign-in"), permissions=["change"])
def reset_two_factor(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    users = list(queryset)
    for user in users:
        twofactor.reset(user, request=request, reason="admin")
    modeladmin.message_user(
        request,
        _("Two-factor sign-in reset for %(n)d users: they set it up again at their next sign-in.") % {"n": len(users)},
        messages.SUCCESS,
    )
