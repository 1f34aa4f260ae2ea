"""The services app's pages: staff pages under /services/, the residents' under /services/my/ (the portal's look),
the public certificate check at /services/verify/."""

from django.urls import path

from .views import aid, care, catalogue, certificates, orders, portal, pwa, staff

app_name = "services"

urlpatterns = [
    # residents (portal)
    path("my/", portal.hub, name="hub"),
    path("my/sw.js", pwa.service_worker, name="sw"),
    path("my/offline/", pwa.offline, name="offline"),
    path("manifest.webmanifest", pwa.manifest, name="manifest"),
    path("my/affairs/<slug:code>/", portal.apply, name="apply"),
    path("my/applications/", portal.my_applications, name="my_applications"),
    path("my/applications/<str:number>/", portal.my_application, name="my_application"),
    path("my/applications/<str:number>/withdraw/", portal.withdraw, name="withdraw"),
    path("certificates/<str:number>.pdf", certificates.certificate_pdf, name="certificate_pdf"),
    path("my/services/", orders.services_list, name="services"),
    path("my/services/<int:pk>/order/", orders.order_new, name="order_new"),
    path("my/orders/", orders.my_orders, name="my_orders"),
    path("my/orders/<str:number>/", orders.my_order, name="my_order"),
    path("my/orders/<str:number>/<str:step>/", orders.my_order_act, name="my_order_act"),
    # service providers (access.decorators sends the provider role here)
    path("provider/", orders.provider_orders, name="provider_orders"),
    path("provider/orders/<str:number>/", orders.provider_order, name="provider_order"),
    path("provider/orders/<str:number>/<str:step>/", orders.provider_act, name="provider_act"),
    path("provider/services/", catalogue.services, name="provider_services"),
    path("provider/services/<int:pk>/", catalogue.service, name="provider_service"),
    path("provider/services/<int:pk>/slots/", catalogue.add_slot, name="provider_add_slot"),
    path("provider/services/<int:pk>/slots/<int:slot>/remove/", catalogue.remove_slot, name="provider_remove_slot"),
    # anyone
    path("verify/", certificates.verify, name="verify"),
    # staff
    path("applications/", staff.applications, name="applications"),
    path("applications/<str:number>/", staff.application, name="application"),
    path("applications/<str:number>/<str:step>/", staff.act, name="act"),
    path("files/<int:pk>/", staff.attachment, name="file"),
    path("counter/", staff.counter, name="counter"),
    path("counter/<int:person>/<slug:code>/", staff.counter_apply, name="counter_apply"),
    path("care/", care.my_visits, name="care_visits"),
    path("care/tasks/<int:pk>/", care.visit, name="care_visit"),
    path("care/needs/", care.needs_list, name="care_needs"),
    path("aid/", aid.ledger, name="aid_ledger"),
    path("aid/new/", aid.entry, name="aid_entry"),
    path("aid/items/<int:pk>/", aid.item, name="aid_item"),
    path("aid/import/", aid.imports, name="aid_import"),
    path("aid/checks/", aid.checks, name="aid_checks"),
    path("aid/findings/<int:pk>/resolve/", aid.resolve, name="aid_resolve"),
    path("aid/batches/<int:pk>/", aid.batch_report, name="aid_batch"),
]
