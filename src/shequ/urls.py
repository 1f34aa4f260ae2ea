from django.contrib import admin
from django.urls import include, path

from .api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("open311/v2/", include("shequ.open311.urls")),
    path("geo/", include("shequ.geo.urls")),
    path("portal/", include("shequ.portal.urls")),
    path("registry/", include("shequ.registry.urls")),
    path("collection/", include("shequ.collection.urls")),
    path("alerts/", include("shequ.alerts.urls")),
    path("notices/", include("shequ.notices.urls")),
    path("audit/", include("shequ.audit.urls")),
    path("", include("shequ.workbench.urls")),
]
