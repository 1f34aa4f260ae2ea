"""The services app's pages: staff pages under /services/, resident pages under /services/my/ (the portal's look),
the public certificate check at /services/verify/."""

from django.urls import path

from .views import aid

app_name = "services"

urlpatterns = [
    path("aid/batches/<int:pk>/", aid.batch_report, name="aid_batch"),
]
