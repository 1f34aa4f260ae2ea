from django.urls import path

from . import views

urlpatterns = [
    path("grids/", views.grids, name="geo_grids"),
    path("grids/export.geojson", views.export, name="geo_grids_export"),
]
