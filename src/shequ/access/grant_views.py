"""The top bar's switch of the acting grant (a session key read by ``middleware.ActingGrant``)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .grants import PRIMARY, SESSION_KEY, grant_for_session


@require_POST
def switch_grant(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return redirect("login")
    value = request.POST.get("grant", "")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=False):
        back = "/"
    if value == PRIMARY:
        request.session.pop(SESSION_KEY, None)
    else:
        # The user object may carry the current acting grant; grant_for_session looks up by the account's id.
        grant = grant_for_session(user, value)
        if grant is None:
            messages.error(request, _("This grant does not exist or has expired."))
            return redirect(back)
        request.session[SESSION_KEY] = str(grant.pk)
    request.session.cycle_key()  # a change of what the session may see gets a fresh session id
    messages.info(request, _("You now act under another grant."))
    return redirect(back)


urlpatterns = [path("grant/", switch_grant, name="access_switch_grant")]
