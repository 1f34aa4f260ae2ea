from django.urls import path

from . import views

urlpatterns = [
    path("", views.entry_list, name="audit_list"),
    path("export.csv", views.export_csv, name="audit_export"),
    path("verify/", views.verify, name="audit_verify"),
    path("<int:sequence>/", views.entry_detail, name="audit_detail"),
]
