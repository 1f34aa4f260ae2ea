from django.urls import path

from . import views

app_name = "assessment"

urlpatterns = [
    path("", views.indicators_page, name="indicators"),
    path("events/", views.behind_page, name="behind"),
]
