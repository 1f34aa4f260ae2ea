from django.contrib import admin
from django.urls import include, path

from .alerts.live_views import service_worker
from .api import api
from .devices.views import parking as device_parking

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("open311/v2/", include("shequ.open311.urls")),
    path("geo/", include("shequ.geo.urls")),
    # The Web Push service worker lives in the portal's path so that its scope is the portal.
    path("portal/sw.js", service_worker, name="portal_sw"),
    path("portal/community/", include("shequ.community.portal_urls")),  # community life for residents
    path("portal/parking/", device_parking, name="portal_parking"),  # devices: parking guidance
    path("portal/", include("shequ.portal.urls")),
    path("registry/", include("shequ.registry.urls")),
    path("collection/", include("shequ.collection.urls")),
    path("alerts/", include("shequ.alerts.urls")),
    path("notices/", include("shequ.notices.urls")),
    path("services/", include("shequ.services.urls")),  # resident services (docs/services.md)
    path("assessment/", include("shequ.assessment.urls")),
    path("community/", include("shequ.community.urls")),
    path("devices/", include("shequ.devices.urls")),
    path("intake/", include("shequ.intake.urls")),  # intelligent intake: model versions (docs/intelligence.md)
    path("audit/", include("shequ.audit.urls")),
    path("webhooks/", include("shequ.webhooks.urls")),  # subscriptions of other systems (docs/webhooks.md)
    path("access/", include("shequ.access.grant_views")),  # the acting grant's switch in the top bar
    path("account/", include("shequ.access.urls")),  # second factor, password, lockout (docs/authentication.md)
    # Single sign-on: shequ as OpenID Connect provider (/o/) and as client of the city's provider (/sso/).
    path("o/", include("shequ.sso.provider_urls")),
    path("sso/", include("shequ.sso.urls")),
    path("", include("shequ.ops.urls")),  # /healthz, /readyz, /metrics (docs/operations.md)
    path("", include("shequ.workbench.urls")),
]

# A database that cannot be reached answers 503 with Retry-After, not 500 (core/unavailable.py).
handler500 = "shequ.core.unavailable.server_error"
