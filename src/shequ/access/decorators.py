"""Who may open staff pages (workbench, registry, collection, alerts): staff roles. Residents belong on the portal,
department data users on the API only; property companies see only the community base's records of their buildings
(``records_required``)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from .models import Role

PORTAL_URL = "/portal/"
AUDIT_URL = "/audit/"
PROPERTY_URL = "/registry/people/"
PROVIDER_URL = "/services/provider/"


def api_only(request: HttpRequest) -> HttpResponse:
    """The page a department data user gets instead of any staff page: their account is for the API only."""
    return render(request, "access/api_only.html", status=403)


def staff_required(view: Callable[..., HttpResponse], *, also: tuple[str, ...] = ()) -> Callable[..., HttpResponse]:
    """Anonymous users log in, residents go to the portal, auditors to the audit trail, data users get the
    "API only" page, other non-staff roles (except those in ``also``) get 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if user.role == Role.DATA_USER and not user.is_superuser:
            return api_only(request)
        if not user.is_staff_role and user.role not in also:
            if user.role == Role.RESIDENT:
                return redirect(PORTAL_URL)
            if user.role == Role.AUDITOR:  # auditors read the trail, nothing else
                return redirect(AUDIT_URL)
            if user.role == Role.PROPERTY_COMPANY:  # property companies see their buildings' residents only
                return redirect(PROPERTY_URL)
            if user.role == Role.PROVIDER:  # service providers see their orders only
                return redirect(PROVIDER_URL)
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def records_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The community base's record pages: staff, and property companies (who see only their buildings' records,
    through the access point)."""
    return staff_required(view, also=(Role.PROPERTY_COMPANY,))
