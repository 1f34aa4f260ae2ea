"""Device pages, mounted at /devices/ (parking guidance for residents is mounted at /portal/parking/)."""

from django.urls import path

from . import device_views, import_views, rule_views, views

app_name = "devices"

urlpatterns = [
    path("", views.device_list, name="list"),
    path("map.json", views.map_json, name="map_json"),
    path("tasks/", views.task_list, name="tasks"),
    path("tasks/<int:pk>/done/", views.task_close, name="task_close"),
    path("car-parks/", views.car_parks, name="car_parks"),
    path("rules/", rule_views.rule_list, name="rules"),
    path("rules/new/", rule_views.rule_edit, name="rule_new"),
    path("rules/<int:pk>/", rule_views.rule_edit, name="rule_edit"),
    path("import/", import_views.import_page, name="import"),
    path("export.<str:fmt>", import_views.export, name="export"),
    path("new/", device_views.device_form, name="new"),
    path("<str:code>/", views.device_detail, name="detail"),
    path("<str:code>/edit/", device_views.device_form, name="edit"),
    path("<str:code>/<str:action>/", views.device_action, name="action"),
]
