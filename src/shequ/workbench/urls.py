from django.contrib.auth import views as auth_views
from django.urls import path

from . import action_views, map_views, report_views, views

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.home, name="home"),
    path("events/", views.event_list, name="event_list"),
    path("events/new/", report_views.new_event, name="event_new"),  # before <code>: "new" is no event code
    path("events/new/categories/", report_views.category_options, name="event_new_categories"),
    path("events/photos/<int:pk>/", views.event_photo, name="event_photo"),
    path("events/<str:code>/", views.event_detail, name="event_detail"),
    path("events/<str:code>/act/<str:action>/", action_views.act, name="event_act"),
    path("map/", map_views.map_page, name="map"),
    path("map/regions.json", map_views.regions_json, name="map_regions"),
    path("map/events.json", map_views.events_json, name="map_events"),
]
