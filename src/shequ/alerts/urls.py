from django.urls import path

from . import delivery_views, live_views, views
from .feeds import CurrentAlertsFeed

app_name = "alerts"

urlpatterns = [
    path("", views.alert_list, name="list"),
    path("new/", views.alert_new, name="new"),
    path("import/", views.alert_import, name="import"),
    path("feed.atom", CurrentAlertsFeed(), name="feed"),
    path("inbox/", delivery_views.inbox, name="inbox"),
    path("inbox/<int:pk>/answer/", delivery_views.inbox_ack, name="inbox_ack"),
    path("ack/<str:token>/", delivery_views.ack_link, name="ack"),
    path("delivery/callback/", delivery_views.delivery_callback, name="delivery_callback"),
    path("stream/", live_views.stream, name="stream"),
    path("push/subscribe/", live_views.push_subscribe, name="push_subscribe"),
    path("push/unsubscribe/", live_views.push_unsubscribe, name="push_unsubscribe"),
    path("<int:pk>/", views.alert_detail, name="detail"),
    path("<int:pk>/edit/", views.alert_edit, name="edit"),
    path("<int:pk>/follow-up/", delivery_views.follow_up, name="follow_up"),
    path("<int:pk>/board/", delivery_views.board, name="board"),
    path("<int:pk>/<str:action>/", views.alert_act, name="act"),
    path("<int:pk>.xml", views.alert_xml, name="xml"),
]
