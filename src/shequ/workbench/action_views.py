"""One POST endpoint per event and action: parse the form, call the domain action, report back."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shequ.access.decorators import staff_required
from shequ.core.errors import DomainError, NotFound
from shequ.events.queries import get_event_for

from .forms import ACTION_FORMS, form_errors


@require_POST
@staff_required
def act(request: HttpRequest, code: str, action: str) -> HttpResponse:
    """Success and refusal both come back to the detail page with a message; the
    domain action decides what is allowed (a refusal changes nothing)."""
    try:
        event = get_event_for(request.user, code=code)
    except NotFound as e:
        raise Http404(e.message) from e
    form_class = ACTION_FORMS.get(action)
    if form_class is None:
        raise Http404
    back = redirect("event_detail", code=event.code)
    form = form_class(request.POST, request.FILES, event=event, user=request.user)
    if not form.is_valid():
        messages.error(request, _("Please correct the form: %(errors)s") % {"errors": form_errors(form)})
        return back
    try:
        form.call()
    except DomainError as e:
        messages.error(request, e.message)
        return back
    messages.success(request, form.success)
    return back
