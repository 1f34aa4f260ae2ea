"""Account pages, mounted at /account/ (helper A: docs/authentication.md). Paths under 2fa/ stay open to a session
that has not given its second factor yet (see auth_middleware.OPEN_PREFIXES); everything else here needs a
verified session."""

from django.urls import path

from . import auth_views

app_name = "access"

urlpatterns = [
    path("2fa/enrol/", auth_views.enrol, name="enrol"),
    path("2fa/verify/", auth_views.verify, name="verify"),
    path("security/", auth_views.security, name="security"),
    path("security/recovery-codes/", auth_views.new_recovery_codes, name="recovery_codes"),
    path("security/turn-off/", auth_views.turn_off, name="turn_off"),
    path("password/", auth_views.PasswordChange.as_view(), name="password_change"),
]
