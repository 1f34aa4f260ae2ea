from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.report, name="report"),
    path("suggest/", views.suggest_categories, name="suggest"),
    path("login/", views.PortalLoginView.as_view(), name="login"),
    path("logout/", views.PortalLogoutView.as_view(), name="logout"),
    path("register/", views.register, name="register"),
    path("reports/", views.my_reports, name="my_reports"),
    path("reports/<str:code>/", views.detail, name="detail"),
    path("reports/<str:code>/rate/", views.rate, name="rate"),
    path("me/", views.me, name="me"),
    path("map/areas.json", views.map_areas, name="map_areas"),
]
