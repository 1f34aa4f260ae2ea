"""Account pages: enrol and verify the second factor, recovery codes, account security, password change, and the
lockout page axes shows. Staff see them in the workbench frame, residents in the portal's."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from shequ import audit

from . import lockout, twofactor


def _frame(request: HttpRequest) -> str:
    """The base template: the portal's for residents (and on portal paths), the workbench's for staff."""
    user = request.user
    resident = request.path.startswith("/portal/") or (user.is_authenticated and not user.is_staff_role)
    return "portal/base.html" if resident else "base.html"


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return resolve_url("home") if request.user.is_staff_role else resolve_url("portal:report")


class CodeForm(forms.Form):
    code = forms.CharField(
        label=pgettext_lazy("two-factor", "Code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True, "spellcheck": "false"}
        ),
    )


def _show_codes(request: HttpRequest, codes: list[str], next_url: str) -> HttpResponse:
    """Recovery codes are rendered in the response to the POST that made them, never stored to show again."""
    response = render(
        request, "access/recovery_codes.html", {"base": _frame(request), "codes": codes, "next": next_url}
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    """Show the QR code and key of a new authenticator; a correct code from it confirms it."""
    if twofactor.has_device(request.user) and not request.user.is_verified():
        return redirect(f"{resolve_url('access:verify')}?next={_next(request)}")
    device = twofactor.pending_device(request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = twofactor.confirm_enrolment(request, device, form.cleaned_data["code"])
        if codes is not None:
            return _show_codes(request, codes, _next(request))
        form.add_error("code", _("The code is wrong or has expired. Enter the code the app shows now."))
    context = {
        "base": _frame(request),
        "form": form,
        "qr": twofactor.qr_data_uri(device),
        "secret": twofactor.secret_of(device),
        "next": _next(request),
        "required": twofactor.required_for(request.user),
        "replacing": twofactor.has_device(request.user),
    }
    response = render(request, "access/enrol.html", context)
    response["Cache-Control"] = "no-store"  # the page carries the secret
    return response


@login_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: a code from the authenticator, or a recovery code."""
    if not twofactor.has_device(request.user):
        return redirect(f"{resolve_url('access:enrol')}?next={_next(request)}")
    if request.user.is_verified():
        return redirect(_next(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if twofactor.verify(request, form.cleaned_data["code"]):
            left = twofactor.remaining_recovery_codes(request.user)
            if left <= 3:
                messages.warning(request, _("Only %(n)d recovery codes are left. Make new ones.") % {"n": left})
            return redirect(_next(request))
        form.add_error("code", _("The code is wrong. Wait for the next code if you have tried several times."))
    return render(request, "access/verify.html", {"base": _frame(request), "form": form, "next": _next(request)})


@login_required
def security(request: HttpRequest) -> HttpResponse:
    """The account's security: two-factor status, recovery codes, password."""
    user = request.user
    context = {
        "base": _frame(request),
        "has_device": twofactor.has_device(user),
        "required": twofactor.required_for(user),
        "recovery_left": twofactor.remaining_recovery_codes(user),
        "device": TOTPDevice.objects.filter(user=user, confirmed=True).first(),
    }
    return render(request, "access/security.html", context)


@login_required
@require_POST
def new_recovery_codes(request: HttpRequest) -> HttpResponse:
    if not twofactor.has_device(request.user):
        return redirect("access:security")
    codes = twofactor.issue_recovery_codes(request.user)
    audit.record("otp.enrol", request=request, target=request.user, detail={"step": "recovery_codes"})
    return _show_codes(request, codes, resolve_url("access:security"))


@login_required
@require_POST
def turn_off(request: HttpRequest) -> HttpResponse:
    """Residents (and anyone when two-factor is optional) may turn it off again; required roles may not."""
    if twofactor.required_for(request.user):
        messages.error(request, _("Your role must use two-factor sign-in."))
    else:
        twofactor.reset(request.user, request=request, reason="self")
        messages.success(request, _("Two-factor sign-in is off."))
    return redirect("access:security")


class PasswordChange(auth_views.PasswordChangeView):
    """Django's page (old password, new password twice, the validators) with an audit entry."""

    template_name = "access/password_change.html"
    success_url = reverse_lazy("access:security")
    form_class = PasswordChangeForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "base": _frame(self.request)}

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)
        audit.record("password_change", request=self.request, target=self.request.user)
        messages.success(self.request, _("Your password has been changed."))
        return response


def locked_out(request: HttpRequest, original_response: Any = None, credentials: Any = None) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: the page for a locked user name, on every login form."""
    username = lockout.username_of(request) or ""
    until = lockout.locked_until(username) if username else None
    minutes = max(1, int((until - timezone.now()).total_seconds() // 60) + 1) if until else None
    context = {"base": _frame(request), "minutes": minutes, "until": until}
    return render(request, "access/locked_out.html", context, status=429)
