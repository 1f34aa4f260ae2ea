"""The client side, mounted at /sso/: the login button's target and the provider's callback."""

from django.urls import path

from . import views

app_name = "sso"
urlpatterns = [
    path("login/", views.start, name="login"),
    path("callback/", views.callback, name="callback"),
]
