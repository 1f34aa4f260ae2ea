from django.urls import path

from . import views
from .feeds import CurrentAlertsFeed

app_name = "alerts"

urlpatterns = [
    path("", views.alert_list, name="list"),
    path("new/", views.alert_new, name="new"),
    path("import/", views.alert_import, name="import"),
    path("feed.atom", CurrentAlertsFeed(), name="feed"),
    path("<int:pk>/", views.alert_detail, name="detail"),
    path("<int:pk>/edit/", views.alert_edit, name="edit"),
    path("<int:pk>/<str:action>/", views.alert_act, name="act"),
    path("<int:pk>.xml", views.alert_xml, name="xml"),
]
