from django.urls import path

from . import views

app_name = "webhooks"

urlpatterns = [
    path("", views.subscription_list, name="list"),
    path("new/", views.subscription_new, name="new"),
    path("notices/", views.notice_list, name="notices"),
    path("notices/read/", views.notice_read, name="notices_read"),
    path("<int:pk>/", views.subscription_detail, name="detail"),
    path("<int:pk>/edit/", views.subscription_edit, name="edit"),
    path("<int:pk>/delete/", views.subscription_delete, name="delete"),
    path("<int:pk>/deliveries/<int:dpk>/", views.delivery_detail, name="delivery"),
    path("<int:pk>/deliveries/<int:dpk>/replay/", views.delivery_replay, name="replay"),
    path("<int:pk>/<str:action>/", views.subscription_act, name="act"),
]
