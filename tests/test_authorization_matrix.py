"""The authorization matrix: every page URL and every API operation, for every role, with an object inside the
role's scope and one outside it.

URLs come from the resolver and operations from /api/openapi.json, so a page or operation added later is checked
too, and one without a rule in ``PAGES`` / ``OPERATIONS`` fails the test ("new page without an authorization
rule"). For each role:

- out of scope: 404 (or a login redirect / 403 / 405 for a role the page refuses anyway), and the body holds none
  of the out-of-scope place's identifying values (name, phone, ID number, organisation, event text, titles);
- in scope: 200 for the roles the rule names, a deliberate refusal for the others;
- pages without an object: the body never shows another place's identifying values;
- masking: where ``shequ.access.scopes.clearance`` exists, clear ID numbers (L4) and names and phones (L3) appear
  only for roles cleared for them.

Three places hold the planted objects: ``near`` (grid G1 of community C1, street S1, district 440304), ``far`` (G3,
another street of the same district) and ``foreign`` (a second district). Area roles live near; each role's
out-of-scope place is the nearest one it must not see.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from shequ.access import grants
from shequ.access.models import Role, Unit, User
from shequ.alerts import actions as alert_actions
from shequ.alerts.actions import AlertInput
from shequ.alerts.models import Alert, AlertTemplate
from shequ.alerts.seed import seed as seed_templates
from shequ.audit.models import AuditEntry
from shequ.collection import actions as collection_actions
from shequ.collection.models import CollectionTask, TaskItem
from shequ.events import actions as event_actions
from shequ.events.models import Category, Channel, Event, EventPhoto
from shequ.geo.models import Building, Dwelling, Region, RegionLevel
from shequ.notices import actions as notice_actions
from shequ.notices.actions import NoticeInput
from shequ.notices.models import Notice, NoticeAttachment
from shequ.registry import actions as registry
from shequ.registry import merging
from shequ.registry.models import (
    CodeTable,
    Employment,
    Household,
    ImportBatch,
    LedgerSource,
    MatchCandidate,
    Merge,
    Organization,
    Person,
)
from shequ.registry.seed import seed as seed_dictionary
from tests.community.planted import plant_community  # community
from tests.registry.ids import make_id
from tests.world import World, square, token_for, user

# Rules of who may see what, the same on either engine: the PostgreSQL pass leaves it out (Makefile).
pytestmark = pytest.mark.one_engine

# The smallest valid PNG: a 1x1 transparent pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4bc0000000049454e44ae426082"
)

# --- the rules, kept as data ------------------------------------------------------------------------------------

# Who gets a 200 for an object in their scope. Every other role gets a deliberate refusal.
AREA_STAFF = {Role.GRID_WORKER, Role.COMMUNITY_STAFF, Role.STREET_DISPATCHER, Role.DISTRICT_DISPATCHER, Role.ADMIN}
WHO: dict[str, set[str]] = {
    "public": {*Role.values, "anonymous"},
    "users": set(Role.values),
    "staff": {*AREA_STAFF, Role.UNIT_HANDLER},
    "area_staff": AREA_STAFF,
    "managers": {Role.COMMUNITY_STAFF, Role.STREET_DISPATCHER, Role.DISTRICT_DISPATCHER, Role.ADMIN},
    "grid_managers": {Role.STREET_DISPATCHER, Role.DISTRICT_DISPATCHER, Role.ADMIN},
    "auditors": {Role.AUDITOR, Role.ADMIN},
    # the community base's record pages: staff, and property companies for the buildings their unit manages
    "records": {*AREA_STAFF, Role.UNIT_HANDLER, Role.PROPERTY_COMPANY},
    "record_api": {*AREA_STAFF, Role.PROPERTY_COMPANY},
    # reveal: whoever sees the person (the asked fields are those within the role's reveal level, see reveal_body)
    "revealers": {*AREA_STAFF, Role.PROPERTY_COMPANY},
    "stats": {Role.DATA_USER, Role.ADMIN},  # department data users (their region) and administrators
    "residents": {Role.RESIDENT},
    # community: a portal activity page for residents and the community's staff (organisers); a portal deliberation
    # page for residents and property companies (a party to deliberation)
    "organisers": {Role.RESIDENT, Role.COMMUNITY_STAFF},
    "parties": {Role.RESIDENT, Role.PROPERTY_COMPANY},
    "nobody": set(),  # POST-only pages, capability links with a made-up token: GET never answers 200
    "assessment_office": {Role.DISTRICT_DISPATCHER, Role.ADMIN},  # assessment: edits schemes, computes months
    # services: the aid ledger is for the desks (their area's) and departments (a unit's handlers: their own aid)
    "aid": {Role.COMMUNITY_STAFF, Role.STREET_DISPATCHER, Role.DISTRICT_DISPATCHER, Role.ADMIN, Role.UNIT_HANDLER},
}


@dataclass(frozen=True)
class Rule:
    """``who`` (a key of WHO) may open the page for an object in their scope.

    ``obj`` maps URL parameters to attributes of a Place (``"person.pk"``); ``fixed`` gives the other parameters
    (a format, an action name, a made-up token). ``scope`` says whose object is in scope (see ``places_for``).
    ``post`` says the page answers only POST: the matrix then POSTs (empty) for the out-of-scope object only, so
    nothing in scope changes. ``may_refuse``: the page may still refuse some of ``who`` on purpose (an edit form for
    the author's managers only, a page for the composers of alerts).

    ``query`` and ``body`` (a function of the place and the acting user) are sent with the request; ``reads``: a
    POST that changes nothing but the audit trail (reveal, a membership check), sent in scope too, with its body.
    ``refused_shows``: strings no refusal may contain (``"cells"``: no counts)."""

    who: str
    obj: dict[str, str] = field(default_factory=dict)
    fixed: dict[str, str] = field(default_factory=dict)
    scope: str = "area"
    post: bool = False
    may_refuse: bool = False
    query: dict[str, str] = field(default_factory=dict)
    body: Callable[[Place, User | None], dict[str, Any]] | None = None
    reads: bool = False
    refused_shows: tuple[str, ...] = ()


def R(who: str, scope: str = "area", **obj: str) -> Rule:
    return Rule(who, obj=obj, scope=scope)


# The levels of the person fields a reveal asks for (the data dictionary's: ID number L4, name and phone L3).
REVEALABLE = {"id_number": 4, "name": 3, "phone": 3}
PURPOSE = "矩阵核验"


def reveal_fields(user: User | None) -> list[str]:
    """The fields the user's grant may reveal; a role that may reveal none asks for the name (and is refused)."""
    level = clearance(user).reveal if clearance is not None and user is not None else 1
    return [f for f, needs in REVEALABLE.items() if needs <= level] or ["name"]


def reveal_api_body(place: Place, user: User | None) -> dict[str, Any]:
    return {"fields": reveal_fields(user), "purpose": PURPOSE}


def reveal_form(place: Place, user: User | None) -> dict[str, Any]:
    return {"fields_": ",".join(reveal_fields(user)), "purpose": "verify"}


def membership_body(place: Place, user: User | None) -> dict[str, Any]:
    return {"id_number": place.person.id_number, "area": place.grid.code, "purpose": PURPOSE}


PAGES: dict[str, Rule] = {
    # workbench
    "": R("staff"),
    "login/": Rule("public", may_refuse=True),  # a signed-in user is sent on
    "logout/": Rule("nobody", post=True),
    "events/": R("staff"),
    "events/new/": R("area_staff"),  # 登记事件 (intake's picker); a handling unit registers none
    "events/new/categories/": Rule("nobody", post=True),
    "events/photos/<int:pk>/": R("users", "event", pk="photo.pk"),  # a resident sees their own
    "events/<str:code>/": R("staff", "event", code="event.code"),
    "events/<str:code>/act/<str:action>/": Rule(
        "nobody", obj={"code": "event.code"}, fixed={"action": "accept"}, scope="event", post=True
    ),
    "map/": R("staff"),
    "map/regions.json": R("staff"),
    "map/events.json": R("staff"),
    # API documents (the operations themselves are in OPERATIONS)
    "api/": R("nobody"),  # no page at the root
    "api/docs": R("public"),
    "api/openapi.json": R("public"),
    # Open311 GeoReport v2
    "open311/v2/^discovery\\.(?P<fmt>json|xml)$": Rule("public", fixed={"fmt": "json"}),
    "open311/v2/^services\\.(?P<fmt>json|xml)$": Rule("public", fixed={"fmt": "json"}),
    "open311/v2/^services/(?P<service_code>[^/]+?)\\.(?P<fmt>json|xml)$": Rule(
        "public", fixed={"fmt": "json", "service_code": "0101"}, scope="global"
    ),
    "open311/v2/^requests\\.(?P<fmt>json|xml)$": Rule("public", fixed={"fmt": "json"}),  # the open feed without a key
    "open311/v2/^requests/(?P<request_id>[^/]+?)\\.(?P<fmt>json|xml)$": Rule(
        "public", obj={"request_id": "event.code"}, fixed={"fmt": "json"}, scope="open_feed"
    ),
    "open311/v2/^tokens/(?P<token>[^/]+?)\\.(?P<fmt>json|xml)$": Rule(
        "public", obj={"token": "event.token"}, fixed={"fmt": "json"}, scope="open_feed"
    ),
    # production (docs/operations.md): liveness and readiness for load balancers; metrics only from configured
    # addresses or with the token (neither is set here)
    "healthz": R("public"),
    "readyz": R("public"),
    "metrics": R("nobody"),
    # intake: the model versions page for the district level; training and rollback for administrators
    "intake/versions/": R("assessment_office"),
    "intake/versions/train/": Rule("nobody", post=True),
    "intake/versions/<int:number>/activate/": Rule("nobody", fixed={"number": "999999"}, scope="opaque", post=True),
    "intake/runs/<int:pk>/": Rule("nobody", fixed={"pk": "999999"}, scope="opaque"),
    # grids
    "geo/grids/": R("grid_managers"),
    "geo/grids/export.geojson": R("grid_managers"),
    # portal (any signed-in account reports; each sees only their own reports)
    "portal/": R("users"),
    # intake: the report form's category picker (htmx); reads the model and the caller's own scope
    "portal/suggest/": Rule(
        "users", scope="global", body=lambda place, user: {"description": "路边垃圾没人清理"}, reads=True
    ),
    "portal/login/": Rule("public", may_refuse=True),
    "portal/logout/": Rule("nobody", post=True),
    "portal/register/": Rule("public", may_refuse=True),
    "portal/reports/": R("users"),
    "portal/reports/<str:code>/": R("users", "own_event", code="event.code"),
    "portal/reports/<str:code>/rate/": Rule("nobody", obj={"code": "event.code"}, scope="own_event", post=True),
    "portal/me/": R("users"),
    "portal/map/areas.json": R("users"),
    "portal/sw.js": R("public"),  # the service worker script: the same for everyone
    # registry
    "registry/": R("records"),
    "registry/grids/<str:code>/": R("staff", code="grid.code"),
    "registry/buildings/<int:pk>/": R("records", pk="building.pk"),
    "registry/dwellings/<int:pk>/": R("records", pk="dwelling.pk"),
    "registry/households/<int:pk>/": R("records", pk="household.pk"),
    "registry/people/": R("records"),
    "registry/people/<int:pk>/": R("records", pk="person.pk"),
    "registry/people/<int:pk>/edit/": Rule("managers", obj={"pk": "person.pk"}),
    "registry/people/<int:pk>/reveal/": Rule("revealers", obj={"pk": "person.pk"}, body=reveal_form, reads=True),
    "registry/organizations/": R("records"),
    "registry/organizations/<int:pk>/": R("records", pk="organization.pk"),
    "registry/people/<int:pk>/employments/new/": Rule("managers", obj={"pk": "person.pk"}),
    "registry/employments/<int:pk>/end/": Rule("managers", obj={"pk": "employment.pk"}),  # GET: the confirmation
    "registry/imports/": R("managers"),
    "registry/imports/uploads/<str:sha256>/": Rule("nobody", fixed={"sha256": "0" * 64}, scope="opaque"),
    "registry/imports/jobs/<str:job>/": Rule("nobody", fixed={"job": "0" * 32}, scope="opaque"),
    "registry/imports/jobs/<str:job>/progress/": Rule("nobody", fixed={"job": "0" * 32}, scope="opaque"),
    "registry/imports/<int:pk>/": R("managers", pk="batch.pk"),
    "registry/imports/<int:pk>/apply/": Rule("nobody", obj={"pk": "batch.pk"}, post=True),
    "registry/imports/<int:pk>/rejections.<str:fmt>": Rule("managers", obj={"pk": "batch.pk"}, fixed={"fmt": "csv"}),
    "registry/export/": R("staff"),  # exports what the user may see
    "registry/export/download/": Rule("nobody", post=True),
    "registry/review/": R("managers"),
    "registry/review/<int:pk>/": R("managers", pk="candidate.pk"),
    "registry/review/<int:pk>/merge/": Rule("nobody", obj={"pk": "candidate.pk"}, post=True),
    "registry/review/<int:pk>/distinct/": Rule("nobody", obj={"pk": "candidate.pk"}, post=True),
    "registry/merges/": R("managers"),
    "registry/merges/<int:pk>/unmerge/": Rule("nobody", obj={"pk": "merge.pk"}, post=True),
    "registry/dictionary/": R("staff"),
    "registry/dictionary/code-tables/<str:code>/": Rule("staff", fixed={"code": "ethnicity"}, scope="global"),
    "registry/dictionary/catalogue.xlsx": R("staff"),
    "registry/dictionary/catalogue.json": R("staff"),
    # collection
    "collection/": R("staff"),
    "collection/tasks/new/": R("managers"),
    "collection/tasks/<int:pk>/": R("area_staff", pk="task.pk"),
    "collection/tasks/<int:pk>/cancel/": Rule("nobody", obj={"pk": "task.pk"}, post=True),
    "collection/items/<int:pk>/": R("area_staff", pk="item.pk"),
    "collection/coverage/": R("managers"),
    # alerts
    "alerts/": R("staff"),
    "alerts/new/": Rule("managers", may_refuse=True),
    "alerts/import/": Rule("managers", may_refuse=True),
    "alerts/feed.atom": R("public"),
    "alerts/inbox/": R("users"),
    "alerts/inbox/<int:pk>/answer/": Rule("nobody", obj={"pk": "alert.pk"}, scope="own", post=True),
    "alerts/ack/<str:token>/": Rule("nobody", fixed={"token": "not-a-token"}, scope="opaque"),
    "alerts/delivery/callback/": Rule("nobody", post=True),
    # live push: the stream replays the user's alerts from the start (?after=0) for one round (lifetime 0)
    "alerts/stream/": Rule("users", query={"after": "0"}),
    "alerts/push/subscribe/": Rule("nobody", post=True),
    "alerts/push/unsubscribe/": Rule("nobody", post=True),
    "alerts/<int:pk>/": R("area_staff", pk="alert.pk"),
    "alerts/<int:pk>/edit/": Rule("area_staff", obj={"pk": "alert.pk"}, may_refuse=True),
    "alerts/<int:pk>/follow-up/": R("area_staff", pk="alert.pk"),
    "alerts/<int:pk>/board/": R("area_staff", pk="alert.pk"),
    "alerts/<int:pk>/<str:action>/": Rule("nobody", obj={"pk": "alert.pk"}, fixed={"action": "submit"}, post=True),
    "alerts/<int:pk>.xml": R("area_staff", pk="alert.pk"),
    # notices
    "notices/": R("staff"),
    "notices/new/": Rule("managers", may_refuse=True),
    "notices/inbox/": R("staff"),
    "notices/preview/": Rule("nobody", post=True),
    "notices/mine/": R("users"),
    "notices/mine/<int:pk>/": R("users", "own", pk="notice.pk"),
    "notices/attachments/<int:pk>/": R("area_staff", pk="attachment.pk"),
    "notices/<int:pk>/": R("area_staff", pk="notice.pk"),
    "notices/<int:pk>/edit/": Rule("managers", obj={"pk": "notice.pk"}, may_refuse=True),
    "notices/<int:pk>/files/<int:file_pk>/delete/": Rule(
        "nobody", obj={"pk": "notice.pk", "file_pk": "attachment.pk"}, post=True
    ),
    "notices/<int:pk>/<str:action>/": Rule("nobody", obj={"pk": "notice.pk"}, fixed={"action": "withdraw"}, post=True),
    # services (resident services)
    # residents' pages answer every signed-in user (staff without a record of the base see "not linked")
    "services/my/": R("users"),
    "services/my/affairs/<slug:code>/": Rule("users", fixed={"code": "juzhu"}, scope="global"),
    "services/my/applications/": R("users"),
    "services/my/applications/<str:number>/": Rule("nobody", fixed={"number": "BS000"}, scope="opaque"),
    "services/my/applications/<str:number>/withdraw/": Rule(
        "nobody", fixed={"number": "BS000"}, scope="opaque", post=True
    ),
    "services/certificates/<str:number>.pdf": Rule("nobody", fixed={"number": "BS000"}, scope="opaque"),
    "services/verify/": R("public"),
    # the installable portal: manifest, offline shell and its service worker are public
    "services/my/sw.js": R("public"),
    "services/my/offline/": R("public"),
    "services/manifest.webmanifest": R("public"),
    "services/applications/": R("staff"),
    "services/applications/<str:number>/": Rule("nobody", fixed={"number": "BS000"}, scope="opaque"),
    "services/applications/<str:number>/<str:step>/": Rule(
        "nobody", fixed={"number": "BS000", "step": "accept"}, scope="opaque", post=True
    ),
    "services/files/<int:pk>/": Rule("nobody", fixed={"pk": "0"}, scope="opaque"),
    "services/counter/": R("staff"),
    "services/counter/<int:person>/<slug:code>/": Rule(
        "area_staff", obj={"person": "person.pk"}, fixed={"code": "juzhu"}
    ),
    # service orders (no provider persona, no planted order: tests/services/test_order_pages.py checks isolation)
    "services/my/services/": R("users"),
    "services/my/services/<int:pk>/order/": Rule("nobody", fixed={"pk": "999999"}, scope="opaque"),
    "services/my/orders/": R("users"),
    "services/my/orders/<str:number>/": Rule("nobody", fixed={"number": "FW000"}, scope="opaque"),
    "services/my/orders/<str:number>/<str:step>/": Rule(
        "nobody", fixed={"number": "FW000", "step": "cancel"}, scope="opaque", post=True
    ),
    "services/provider/": Rule("nobody"),  # a provider's own orders: 404 for every other role
    "services/provider/orders/<str:number>/": Rule("nobody", fixed={"number": "FW000"}, scope="opaque"),
    "services/provider/orders/<str:number>/<str:step>/": Rule(
        "nobody", fixed={"number": "FW000", "step": "accept"}, scope="opaque", post=True
    ),
    # a provider's catalogue: its own services (tests/services/test_catalogue_pages.py); 404 for every other role
    "services/provider/services/": Rule("nobody"),
    "services/provider/services/<int:pk>/": Rule("nobody", fixed={"pk": "999999"}, scope="opaque"),
    "services/provider/services/<int:pk>/slots/": Rule("nobody", fixed={"pk": "999999"}, scope="opaque", post=True),
    "services/provider/services/<int:pk>/slots/<int:slot>/remove/": Rule(
        "nobody", fixed={"pk": "999999", "slot": "999999"}, scope="opaque", post=True
    ),
    # care (no planted care task: tests/services/test_care_pages.py checks who sees which)
    "services/care/": R("staff"),
    "services/care/tasks/<int:pk>/": Rule("nobody", fixed={"pk": "999999"}, scope="opaque"),
    "services/care/needs/": R("staff"),
    # an aid batch's report: the planted batch is a people ledger, so every role gets a 404 (nobody sees a 200)
    "services/aid/batches/<int:pk>/": Rule("nobody", obj={"pk": "batch.pk"}),
    # the aid ledger (no planted aid: tests/services/test_aid_pages.py checks departments' flags and the desks' areas);
    # the import hands the file to the registry's import, for those who import ledgers
    "services/aid/": R("aid"),
    "services/aid/new/": R("aid"),
    "services/aid/items/<int:pk>/": Rule("nobody", fixed={"pk": "999999"}, scope="opaque"),
    "services/aid/import/": R("managers"),
    "services/aid/checks/": R("aid"),
    "services/aid/findings/<int:pk>/resolve/": Rule("nobody", fixed={"pk": "999999"}, scope="opaque", post=True),
    # assessment: figures of the asker's own scope (a unit's handlers: their unit); the area comes from the place
    "assessment/": Rule("staff", query={"area": "{grid.code}", "by": "grid"}),
    "assessment/events/": Rule("staff", query={"area": "{grid.code}", "measure": "reported"}),
    # the care visits behind "visits made": care is for the area roles (services' visits_for), not a unit's handlers
    "assessment/visits/": Rule("area_staff", query={"area": "{grid.code}"}),
    # (months, scores and schemes are not planted: the matrix checks that a made-up one is a 404 for everyone;
    # tests/assessment/test_scoring_pages.py checks who sees which)
    "assessment/months/": R("staff"),
    "assessment/months/compute/": Rule("nobody", post=True),
    "assessment/months/<int:pk>/": Rule("nobody", fixed={"pk": "999999"}, scope="opaque"),
    "assessment/months/<int:pk>/<str:action>/": Rule(
        "nobody", fixed={"pk": "999999", "action": "freeze"}, scope="opaque", post=True
    ),
    "assessment/schemes/new/": R("assessment_office"),
    "assessment/schemes/<int:pk>/": Rule("nobody", fixed={"pk": "999999"}, scope="opaque"),
    "assessment/scores/<int:pk>/": Rule("nobody", fixed={"pk": "999999"}, scope="opaque"),
    "assessment/scores/<int:pk>/appeal/": Rule("nobody", fixed={"pk": "999999"}, scope="opaque", post=True),
    "assessment/scores/<int:pk>/correct/": Rule("nobody", fixed={"pk": "999999"}, scope="opaque", post=True),
    "assessment/appeals/<int:pk>/decide/": Rule("nobody", fixed={"pk": "999999"}, scope="opaque", post=True),
    "assessment/inspections/": R("staff"),  # the draw form for supervisors; the list of draws in their area
    "assessment/inspections/<int:pk>/": Rule("nobody", fixed={"pk": "999999"}, scope="opaque"),
    "assessment/inspections/items/<int:pk>/": Rule("nobody", fixed={"pk": "999999"}, scope="opaque"),
    "assessment/report/": R("managers"),  # the report of the asker's own area (community and up)
    "assessment/report.xlsx": R("managers"),
    "assessment/report/subscribe/": Rule("nobody", post=True),
    "assessment/report/runs/<int:pk>.xlsx": Rule("nobody", fixed={"pk": "999999"}, scope="opaque"),
    "assessment/dashboard/": Rule("staff", query={"area": "{grid.code}"}),
    "assessment/dashboard/<slug:key>.csv": Rule("staff", fixed={"key": "spots"}, query={"area": "{grid.code}"}),
    "assessment/board/": Rule("staff", query={"area": "{grid.code}"}),
    "assessment/board.json": Rule("staff", query={"area": "{grid.code}"}),
    # the audit trail
    "audit/": R("auditors"),
    "audit/export.csv": R("auditors"),
    "audit/verify/": R("auditors"),
    "audit/<int:sequence>/": R("auditors", "audit", sequence="audit.sequence"),
    # the acting grant (POST; another account's grant: test_another_accounts_grant_is_refused)
    "access/grant/": Rule("nobody", post=True),
    # the account pages: anyone signed in, for their own account only (no object)
    "account/2fa/enrol/": R("users"),
    "account/2fa/verify/": Rule("users", may_refuse=True),  # without an authenticator: sent on to enrol
    "account/security/": R("users"),
    "account/security/recovery-codes/": Rule("nobody", post=True),
    "account/security/turn-off/": Rule("nobody", post=True),
    "account/password/": R("users"),
    # OpenID Connect provider (/o/): discovery and keys are public; the rest answers OAuth clients, not sessions
    "o/authorize/": Rule("users", may_refuse=True),  # without a client_id: the error page (400)
    "o/token/": Rule("nobody", post=True),
    "o/revoke_token/": Rule("nobody", post=True),
    "o/^\\.well-known/openid-configuration/?$": R("public"),
    "o/.well-known/jwks.json": R("public"),
    "o/userinfo/": R("nobody"),  # an OAuth access token only
    # single sign-on client: 404 while no city provider is configured
    "sso/login/": R("nobody"),
    "sso/callback/": R("nobody"),
    # community (community life: docs/community.md). Staff pages: the community's staff and those above; the
    # deliberation pages also property companies. Resident pages: any account; an object of another community 404s.
    "community/": R("staff"),
    "community/volunteers/": R("staff"),
    "community/volunteers/new/": Rule("staff", may_refuse=True),
    "community/volunteers/<int:pk>/": R("area_staff", pk="community.volunteer.pk"),
    "community/teams/": R("staff"),
    "community/teams/<int:pk>/": R("area_staff", pk="community.team.pk"),
    "community/activities/": R("staff"),
    "community/activities/new/": Rule("staff", may_refuse=True),
    "community/activities/<int:pk>/": R("area_staff", pk="community.activity.pk"),
    "community/activities/<int:pk>/<str:action>/": Rule(
        "nobody", obj={"pk": "community.activity.pk"}, fixed={"action": "cancel"}, post=True
    ),
    "community/sessions/<int:pk>/poster/": R("area_staff", pk="community.session.pk"),
    "community/fitness/": R("staff"),
    "community/fitness/<int:pk>/poster/": R("area_staff", pk="community.spot.pk"),
    "community/points/rules/": R("staff"),
    "community/points/sorting/": R("staff"),
    "community/shop/": R("staff"),
    "community/shop/<str:action>/": Rule("nobody", fixed={"action": "restock"}, post=True),
    "community/merchant/<str:token>/": Rule(
        "nobody", fixed={"token": "00000000-0000-0000-0000-000000000000"}, scope="opaque"
    ),
    "community/time-bank/": R("staff"),
    "community/time-bank/<int:pk>/reverse/": Rule("nobody", fixed={"pk": "999999"}, post=True),
    "community/proposals/": R("records"),
    "community/proposals/new/": Rule("records", may_refuse=True),
    "community/proposals/<int:pk>/": R("records", pk="community.proposal.pk"),
    "community/proposals/<int:pk>/vote/": Rule("area_staff", obj={"pk": "community.proposal.pk"}, may_refuse=True),
    "community/proposals/<int:pk>/<str:action>/": Rule(
        "nobody", obj={"pk": "community.proposal.pk"}, fixed={"action": "reject"}, post=True
    ),
    "community/posts/<int:pk>/moderate/": Rule("nobody", obj={"pk": "community.post.pk"}, post=True),
    "community/meetings/<int:pk>/minutes/": Rule("nobody", obj={"pk": "community.meeting.pk"}, post=True),
    "community/moderation/": R("staff"),
    "community/votes/<int:pk>/": R("records", pk="community.vote.pk"),
    "community/votes/<int:pk>/<str:action>/": Rule(
        "nobody", obj={"pk": "community.vote.pk"}, fixed={"action": "close"}, post=True
    ),
    "community/decisions/": R("records"),
    "community/decisions/<int:pk>/": R("records", pk="community.decision.pk"),
    "community/market/": R("staff"),
    "community/market/photos/<int:pk>/": R("area_staff", pk="community.photo.pk"),
    "community/market/<int:pk>/": R("area_staff", pk="community.listing.pk"),
    "community/market/<int:pk>/moderate/": Rule("nobody", obj={"pk": "community.listing.pk"}, post=True),
    "community/transit/": R("staff"),
    "portal/community/": R("users"),
    "portal/community/activities/": R("users"),
    "portal/community/activities/new/": Rule("users", may_refuse=True),
    "portal/community/activities/<int:pk>/": R("organisers", pk="community.activity.pk"),
    "portal/community/activities/<int:pk>/roster/": Rule(
        "organisers", obj={"pk": "community.activity.pk"}, may_refuse=True
    ),
    "portal/community/activities/<int:pk>/<str:action>/": Rule(
        "nobody", obj={"pk": "community.activity.pk"}, fixed={"action": "signup"}, scope="own", post=True
    ),
    "portal/community/checkin/<str:code>/": Rule("users", obj={"code": "community.session.code"}, scope="global"),
    "portal/community/calendar/": R("users"),
    "portal/community/volunteer/": R("users"),
    "portal/community/fitness/<str:code>/": Rule("users", obj={"code": "community.spot.code"}, scope="global"),
    "portal/community/around/": R("users"),
    "portal/community/statement/": R("users"),
    "portal/community/family/": R("residents"),
    "portal/community/help/": R("users"),
    "portal/community/help/<int:pk>/<str:action>/": Rule("nobody", fixed={"pk": "999999", "action": "take"}, post=True),
    "portal/community/shop/": R("users"),
    "portal/community/shop/<int:pk>/redeem/": Rule("nobody", fixed={"pk": "999999"}, post=True),
    "portal/community/redemptions/": R("users"),
    "portal/community/redemptions/<int:pk>/cancel/": Rule("nobody", fixed={"pk": "999999"}, post=True),
    "portal/community/proposals/": R("users"),
    "portal/community/proposals/new/": Rule("users", may_refuse=True),
    "portal/community/proposals/<int:pk>/": R("parties", pk="community.proposal.pk"),
    "portal/community/proposals/<int:pk>/<str:action>/": Rule(
        "nobody", obj={"pk": "community.proposal.pk"}, fixed={"action": "support"}, scope="own", post=True
    ),
    "portal/community/posts/<int:pk>/report/": Rule("nobody", obj={"pk": "community.post.pk"}, scope="own", post=True),
    "portal/community/votes/<int:pk>/": R("parties", pk="community.vote.pk"),
    "portal/community/votes/<int:pk>/<str:action>/": Rule(
        "nobody", obj={"pk": "community.vote.pk"}, fixed={"action": "cast"}, scope="own", post=True
    ),
    "portal/community/decisions/": R("users"),
    "portal/community/decisions/<int:pk>/": R("parties", pk="community.decision.pk"),
    "portal/community/decisions/<int:pk>/watch/": Rule(
        "nobody", obj={"pk": "community.decision.pk"}, scope="own", post=True
    ),
    "portal/community/market/": R("users"),
    "portal/community/market/new/": Rule("users", may_refuse=True),
    "portal/community/market/mine/": R("users"),
    "portal/community/market/photos/<int:pk>/": R("residents", "own", pk="community.photo.pk"),
    "portal/community/market/<int:pk>/": R("residents", "own", pk="community.listing.pk"),
    "portal/community/market/<int:pk>/<str:action>/": Rule(
        "nobody", obj={"pk": "community.listing.pk"}, fixed={"action": "reserve"}, scope="own", post=True
    ),
    # end of community
    # devices
    "portal/parking/": R("users"),
    "devices/": R("staff"),
    "devices/map.json": R("staff"),
    "devices/tasks/": R("staff"),
    "devices/tasks/<int:pk>/done/": Rule("nobody", obj={"pk": "device_task.pk"}, post=True),
    "devices/car-parks/": R("staff"),
    "devices/rules/": R("staff"),
    "devices/rules/new/": Rule("staff", may_refuse=True),  # the district's administrators and dispatchers
    "devices/rules/<int:pk>/": Rule("staff", obj={"pk": "rule.pk"}, scope="global", may_refuse=True),
    "devices/import/": R("managers"),
    "devices/new/": R("managers"),
    "devices/export.<str:fmt>": Rule("staff", fixed={"fmt": "csv"}),
    "devices/<str:code>/": R("area_staff", code="device.code"),
    "devices/<str:code>/edit/": R("managers", code="device.code"),
    "devices/<str:code>/<str:action>/": Rule(
        "nobody", obj={"code": "device.code"}, fixed={"action": "retire"}, post=True
    ),
    # end of devices
    # webhooks (docs/webhooks.md): street and district dispatchers and administrators, for subscriptions inside
    # their area; each place has one (its grid) with one delivery. Owners' notices: anyone signed in, their own.
    "webhooks/": R("grid_managers"),
    "webhooks/new/": Rule("grid_managers", may_refuse=True),
    "webhooks/notices/": R("users"),
    "webhooks/notices/read/": Rule("nobody", post=True),
    "webhooks/<int:pk>/": R("grid_managers", pk="subscription.pk"),
    "webhooks/<int:pk>/edit/": R("grid_managers", pk="subscription.pk"),
    "webhooks/<int:pk>/delete/": R("grid_managers", pk="subscription.pk"),  # GET: the confirmation
    "webhooks/<int:pk>/deliveries/<int:dpk>/": R("grid_managers", pk="subscription.pk", dpk="webhook_delivery.pk"),
    "webhooks/<int:pk>/deliveries/<int:dpk>/replay/": Rule(
        "nobody", obj={"pk": "subscription.pk", "dpk": "webhook_delivery.pk"}, post=True
    ),
    "webhooks/<int:pk>/<str:action>/": Rule(
        "nobody", obj={"pk": "subscription.pk"}, fixed={"action": "pause"}, post=True
    ),
    # end of webhooks
}

# The Django admin: superusers only, and no persona is one. One rule for all its generated URLs.
ADMIN_SITE = "admin/"

# API operations, keyed "METHOD /path" as in the OpenAPI document. Writes are only sent for out-of-scope objects.
OPERATIONS: dict[str, Rule] = {
    "GET /api/geo/regions": R("users"),
    "GET /api/geo/regions/{code}": R("users", "geography", code="grid.code"),
    "GET /api/geo/locate": Rule("users", may_refuse=True),  # 422 without a point
    "GET /api/events/categories": R("users"),
    "GET /api/events/levels": R("users"),
    "GET /api/events/units": R("staff"),
    "GET /api/events": R("users"),
    "POST /api/events": Rule("nobody", post=True),
    "GET /api/events/{code}": R("users", "event", code="event.code"),  # a resident's own reports
    **{
        f"POST /api/events/{{code}}/{action}": Rule("nobody", obj={"code": "event.code"}, scope="event", post=True)
        for action in (
            "accept",
            "reject",
            "dispatch",
            "return",
            "escalate",
            "request-extension",
            "decide-extension",
            "handle",
            "verify",
            "rate",
            "reopen",
            "supervise",
            "merge",  # intake (events.rules.INTAKE_RULES)
            "recategorize",
        )
    },
    "GET /api/registry/people": R("users"),
    "POST /api/registry/people": Rule("nobody", post=True),
    "GET /api/registry/people/{id}": R("record_api", id="person.pk"),
    "PATCH /api/registry/people/{id}": Rule("nobody", obj={"id": "person.pk"}, post=True),
    "POST /api/registry/people/{id}/employments": Rule("nobody", obj={"id": "person.pk"}, post=True),
    "POST /api/registry/employments/{id}/end": Rule("nobody", obj={"id": "employment.pk"}, post=True),
    "GET /api/registry/households/{id}": R("record_api", id="household.pk"),
    "GET /api/registry/dwellings/{id}": R("record_api", id="dwelling.pk"),
    "GET /api/registry/buildings/{id}": R("record_api", id="building.pk"),
    "GET /api/registry/organizations": R("users"),
    "GET /api/registry/organizations/{id}": R("record_api", id="organization.pk"),
    "GET /api/registry/grids": R("users"),
    "POST /api/registry/people/{id}/reveal": Rule(
        "revealers", obj={"id": "person.pk"}, body=reveal_api_body, reads=True
    ),
    # assessment: definitions for everyone signed in; figures and the events behind them for the asker's scope
    "GET /api/assessment/indicators": R("users"),
    "GET /api/assessment/figures": Rule("staff", query={"area": "{grid.code}", "by": "community"}),
    "GET /api/assessment/events": Rule("staff", query={"area": "{grid.code}", "measure": "reported"}),
    # services: the catalogue for everyone signed in; a form needs a record of the base (the resident's own);
    # applications are not planted: a made-up number is a 404 for everyone (tests/services/test_api.py: who sees which)
    "GET /api/services/affairs": R("users"),
    "GET /api/services/affairs/{code}/form": Rule("residents", fixed={"code": "juzhu"}, scope="own"),
    "POST /api/services/affairs/{code}/applications": Rule("nobody", fixed={"code": "juzhu"}, post=True),
    "GET /api/services/applications": R("users"),
    "GET /api/services/applications/{number}": Rule("nobody", fixed={"number": "BS000"}, scope="opaque"),
    "POST /api/services/applications/{number}/{step}": Rule(
        "nobody", fixed={"number": "BS000", "step": "accept"}, scope="opaque", post=True
    ),
    "GET /api/services/certificates/verify": Rule("public", query={"code": "ABCDEFGHIJ"}, scope="global"),
    # orders: the services offered where the asker lives (none for those without a home in the base) and the orders
    # they may see (no planted order: tests/services/test_api.py checks provider isolation)
    "GET /api/services/offered": R("users"),
    "POST /api/services/offered/{pk}/orders": Rule("nobody", fixed={"pk": "999999"}, scope="opaque", post=True),
    "GET /api/services/orders": R("users"),
    "GET /api/services/orders/{number}": Rule("nobody", fixed={"number": "FW000"}, scope="opaque"),
    "POST /api/services/orders/{number}/{step}": Rule(
        "nobody", fixed={"number": "FW000", "step": "accept"}, scope="opaque", post=True
    ),
    # care: the grid worker's plan and the desks' (no planted task); aid: departments and desks
    "GET /api/services/care/tasks": R("area_staff"),
    "POST /api/services/care/tasks/{pk}/visits": Rule("nobody", fixed={"pk": "999999"}, scope="opaque", post=True),
    "GET /api/services/aid": R("aid"),
    "POST /api/services/aid": Rule("nobody", post=True),
    # statistics: the area comes from the place (in scope: the data user's street; out: another street)
    # intake: a suggestion reads the model and the caller's own scope; any signed-in user may ask
    "POST /api/intake/suggest": Rule(
        "users", scope="global", body=lambda place, user: {"text": "路边垃圾没人清理"}, reads=True
    ),
    "GET /api/stats/counts": Rule(
        "stats", query={"area": "{grid.code}", "purpose": PURPOSE}, scope="stats", refused_shows=('"cells"', '"count"')
    ),
    "POST /api/stats/membership": Rule(
        "stats", body=membership_body, scope="stats", reads=True, refused_shows=('"member"',)
    ),
    # devices: ingestion takes the device's key, never a user's token (a user's POST is refused: bad_key)
    "POST /api/devices/{code}/messages": Rule("nobody", obj={"code": "device.code"}, post=True),
    "GET /api/devices": R("users"),  # a list of what the user may see (empty for most)
    "GET /api/devices/car-parks": R("users"),  # parking guidance: free spaces are no secret
    "GET /api/devices/{code}": R("record_api", code="device.code"),
    # community: a resident's community life (docs/community.md). Lists and "me" answer any account with what is
    # theirs (staff: nothing); an object answers its community's residents (and, like the portal pages, an activity
    # its organisers, a proposal or vote the property company); shop items and redemptions are not planted: a
    # made-up id is a 404 for everyone (tests/community/test_api.py: who sees which). Writes only out of scope.
    "GET /api/community/me": R("users"),
    "GET /api/community/activities": R("users"),
    "GET /api/community/activities/{id}": R("organisers", id="community.activity.pk"),
    **{
        f"POST /api/community/activities/{{id}}/{action}": Rule(
            "nobody", obj={"id": "community.activity.pk"}, scope="own", post=True
        )
        for action in ("signup", "cancel")
    },
    "POST /api/community/checkin": Rule("nobody", post=True),
    "POST /api/community/fitness/checkin": Rule("nobody", post=True),
    "GET /api/community/statement": R("users"),
    "POST /api/community/time/transfers": Rule("nobody", post=True),
    "GET /api/community/shop": R("users"),
    "POST /api/community/shop/{id}/redeem": Rule("nobody", fixed={"id": "999999"}, scope="opaque", post=True),
    "GET /api/community/redemptions": R("users"),
    "POST /api/community/redemptions/{id}/cancel": Rule("nobody", fixed={"id": "999999"}, scope="opaque", post=True),
    "GET /api/community/proposals": R("users"),
    "POST /api/community/proposals": Rule("nobody", post=True),
    "GET /api/community/proposals/{id}": R("parties", id="community.proposal.pk"),
    **{
        f"POST /api/community/proposals/{{id}}/{action}": Rule(
            "nobody", obj={"id": "community.proposal.pk"}, scope="own", post=True
        )
        for action in ("support", "posts")
    },
    "POST /api/community/posts/{id}/report": Rule("nobody", obj={"id": "community.post.pk"}, scope="own", post=True),
    "GET /api/community/votes/{id}": R("parties", id="community.vote.pk"),
    **{
        f"POST /api/community/votes/{{id}}/{what}": Rule(
            "nobody", obj={"id": "community.vote.pk"}, scope="own", post=True
        )
        for what in ("ballots", "delegations")
    },
    "GET /api/community/decisions": R("users"),
    "POST /api/community/decisions/{id}/watch": Rule(
        "nobody", obj={"id": "community.decision.pk"}, scope="own", post=True
    ),
    "GET /api/community/listings": R("users"),
    "POST /api/community/listings": Rule("nobody", post=True),
    "GET /api/community/listings/{id}": R("residents", "own", id="community.listing.pk"),
    "POST /api/community/listings/{id}/{action}": Rule(
        "nobody", obj={"id": "community.listing.pk"}, fixed={"action": "reserve"}, scope="own", post=True
    ),
    "GET /api/community/around": R("users"),
    # end of community
}

# What a role that may not open a page gets instead (besides 404): a login redirect, the portal or audit trail
# (staff_required's redirects), 403, or 405 for a GET to a POST-only page; the API answers 401 without a token.
REFUSALS = {302, 401, 403, 404, 405}
# A write with an empty body may fail validation before any lookup: 422 for an object out of scope is fine when a
# missing object gets the same answer.
MISSING = {"pk": 999999, "id": 999999, "code": "440304-20000101-99999", "token": "00000000-0000-0000-0000-000000000000"}


# --- the planted places -----------------------------------------------------------------------------------------


@dataclass
class Place:
    name: str
    grid: Region
    building: Building
    dwelling: Dwelling
    household: Household
    person: Person
    organization: Organization
    employment: Employment
    event: Event
    photo: EventPhoto
    task: CollectionTask
    item: TaskItem
    alert: Alert
    notice: Notice
    attachment: NoticeAttachment
    batch: ImportBatch
    candidate: MatchCandidate
    merge: Merge
    audit: AuditEntry | None
    # devices: planted by plant_devices() after the places
    device: Any = None
    community: Any = None  # community: its planted records (tests/community/planted.py)
    device_task: Any = None
    rule: Any = None
    subscription: Any = None  # webhooks: planted by plant_webhooks()
    webhook_delivery: Any = None

    def secrets(self) -> list[str]:
        """Values that identify this place's records: none may show to a role that must not see them."""
        p = self.person
        return [
            p.name,
            p.phone,
            p.id_number,
            p.hukou_address,
            self.organization.name,
            self.event.description,
            self.event.reporter_phone,
            self.alert.headline,
            self.notice.title,
        ]


# Distinct, searchable values per place: names and phones nowhere else in the test data.
PLANTED = {
    "near": ("近甲乙", "13811110001", 101, "近邻杂货店"),
    "far": ("远丙丁", "13922220002", 202, "远方杂货店"),
    "foreign": ("外戊己", "13733330003", 303, "外区杂货店"),
}


def _person(grid: Region, name: str, **fields: Any) -> tuple[Person, Dwelling]:
    ring = grid.boundary["coordinates"][0]
    building, _ = Building.objects.get_or_create(
        grid=grid,
        name="矩阵楼",
        defaults={"address": f"{grid.name}矩阵楼", "lon": ring[0][0] + 0.001, "lat": ring[0][1] + 0.001, "floors": 6},
    )
    dwelling = Dwelling.objects.create(building=building, floor=1, room=f"{Dwelling.objects.count() + 101}")
    person = registry.create_person(by=None, source=registry.MANUAL, name=name, **fields)
    registry.move_in(person, dwelling, role="owner", since=date(2020, 1, 1), by=None, source=registry.MANUAL)
    return person, dwelling


def plant(name: str, grid: Region, *, desk: User, worker: User, reporter: User, handled_by: User | None) -> Place:
    """Every kind of record the pages show, in one grid, made through the real actions where they exist."""
    person_name, phone, seq, org_name = PLANTED[name]
    person, dwelling = _person(
        grid,
        person_name,
        phone=phone,
        id_number=make_id(date(1980, 1, 1), seq),
        hukou_address=f"矩阵户籍路{seq}号5栋{seq}室",  # L3, not for property companies; masked to the 5栋
    )
    household = registry.create_household(dwelling, number=f"H{seq}", head=person, by=None, source=registry.MANUAL)
    shop = Dwelling.objects.create(building=dwelling.building, floor=1, room=f"S{seq}", use="shop")
    organization = registry.create_organization(by=None, source=registry.MANUAL, name=org_name, premises=shop)
    employment = registry.employ(person, organization, since=date(2021, 1, 1), by=None, source=registry.MANUAL)
    twin, _ = _person(grid, person_name + "甲", phone=phone)
    folded, _ = _person(grid, person_name + "乙", phone=phone)
    first, second = sorted([person, twin], key=lambda p: p.pk)
    candidate = MatchCandidate.objects.create(first=first, second=second, score=0.9)
    merge = merging.merge(person, folded, by=None)

    event = event_actions.report(
        by=reporter,
        channel=Channel.RESIDENT,
        description=f"{name}矩阵事件描述",
        category=None,
        region=grid,
        reporter_phone=phone,
        photos=[SimpleUploadedFile("p.png", PNG, content_type="image/png")],
    )
    if handled_by is not None:  # near: accepted and dispatched to the handler's unit
        event = event_actions.accept(event, by=desk, category=Category.objects.get(code="0101"))
        event = event_actions.dispatch(event, by=desk)
    task = collection_actions.create_task(grid=grid, assignee=worker, by=desk, title=f"{name}采集")
    template = AlertTemplate.objects.get(code="typhoon")
    data = AlertInput.from_template(template, area_desc=grid.name, regions=[grid])
    alert = alert_actions.compose(by=desk, data=dataclasses.replace(data, headline=f"{name}矩阵预警标题"))
    notice = notice_actions.compose(by=desk, data=NoticeInput(title=f"{name}矩阵通知标题", body="正文", regions=[grid]))
    attachment = notice_actions.attach(notice, SimpleUploadedFile("a.png", PNG, content_type="image/png"), by=desk)
    notice = notice_actions.publish(notice, by=desk)
    source = LedgerSource.objects.create(name=f"{name}台账")
    batch = ImportBatch.objects.create(source=source, file_name=f"{name}.csv", by=desk)
    return Place(
        name=name,
        grid=grid,
        building=dwelling.building,
        dwelling=dwelling,
        household=household,
        person=person,
        organization=organization,
        employment=employment,
        event=event,
        photo=event.photos.first(),
        task=task,
        item=task.items.first(),
        alert=alert,
        notice=notice,
        attachment=attachment,
        batch=batch,
        candidate=candidate,
        merge=merge,
        audit=None,
    )


@dataclass
class Matrix:
    world: World
    personas: dict[str, User | None]  # role -> the persona acting in it (None: anonymous)
    places: dict[str, Place]


@pytest.fixture
def matrix(world: World, settings) -> Matrix:
    settings.SHEQU_ALERT_STREAM_SECONDS = 0  # the live stream answers one round and ends
    if not CodeTable.objects.exists():  # a transactional test elsewhere may have flushed the seeded rows
        seed_dictionary(apps)
    if not AlertTemplate.objects.exists():
        seed_templates(apps)
    w = world
    x, y = 114.10, 22.60
    d2 = Region.objects.create(
        code="440305", name="外区", level=RegionLevel.DISTRICT, boundary=square(x, y, x + 0.01, y + 0.01)
    )
    s9 = Region.objects.create(
        code="440305001", name="外街道", level=RegionLevel.STREET, parent=d2, boundary=d2.boundary
    )
    c9 = Region.objects.create(
        code="440305001001", name="外社区", level=RegionLevel.COMMUNITY, parent=s9, boundary=d2.boundary
    )
    g9 = Region.objects.create(
        code="440305001001001", name="外网格", level=RegionLevel.GRID, parent=c9, boundary=d2.boundary
    )
    # production: the category of the planted events is public, so the open Open311 feed (no key) lists them
    Category.objects.filter(code__in=["01", "0101"]).update(public=True)
    desk9 = user("c9staff", Role.COMMUNITY_STAFF, region=c9)
    worker3 = user("gridworker3", Role.GRID_WORKER, region=w.g3)
    worker9 = user("gridworker9", Role.GRID_WORKER, region=g9)
    places = {
        "near": plant(
            "near", w.g1, desk=w.community_staff, worker=w.grid_worker, reporter=w.resident, handled_by=w.handler
        ),
        "far": plant("far", w.g3, desk=w.community_staff_c3, worker=worker3, reporter=w.resident2, handled_by=None),
        "foreign": plant("foreign", g9, desk=desk9, worker=worker9, reporter=w.resident2, handled_by=None),
    }
    near = places["near"]
    # The resident persona is the near person: their own reports, notices and alerts are in their scope.
    Person.objects.filter(pk=near.person.pk).update(account=w.resident)
    near.audit = AuditEntry.objects.order_by("sequence").first()
    # The property company's unit manages the near building (person, dwelling, shop) and nothing else.
    company = Unit.objects.create(code="G1-WY", name="矩阵物业", region=w.c1)
    Building.objects.filter(pk=near.building.pk).update(managed_by=company)
    # community: its records in each place (the near resident's account is the resident persona)
    for name, desk in (("near", w.community_staff), ("far", w.community_staff_c3), ("foreign", desk9)):
        place = places[name]
        place.community = plant_community(
            name,
            community=place.grid.parent,
            building=place.building,
            person=place.person,
            desk=desk,
            resident=w.resident if name == "near" else None,
            png=PNG,
        )
    personas: dict[str, User | None] = {
        Role.RESIDENT: w.resident,
        Role.GRID_WORKER: w.grid_worker,
        Role.COMMUNITY_STAFF: w.community_staff,
        Role.STREET_DISPATCHER: w.street_dispatcher,
        Role.DISTRICT_DISPATCHER: w.district_dispatcher,
        Role.UNIT_HANDLER: w.handler,
        Role.ADMIN: w.admin,
        Role.AUDITOR: user("auditor", Role.AUDITOR),
        Role.PROPERTY_COMPANY: user("property", Role.PROPERTY_COMPANY, unit=company),
        Role.DATA_USER: user("datauser", Role.DATA_USER, region=w.s1),
        "anonymous": None,
    }
    plant_devices(places, company)  # devices
    plant_webhooks(places, w.admin)  # webhooks
    return Matrix(world=w, personas=personas, places=places)


def plant_webhooks(places: dict[str, Place], admin: User) -> None:
    """webhooks: a subscription for each place's grid (sending as the administrator) and one delivery of its event."""
    from shequ.webhooks import actions as webhook_actions
    from shequ.webhooks import outbox
    from shequ.webhooks.models import Delivery

    for name, place in places.items():
        place.subscription, _secret = webhook_actions.create(
            by=admin,
            data=webhook_actions.SubscriptionInput(
                name=f"{name}矩阵订阅", url=f"https://{name}.example.org/hook", owner=admin, areas=[place.grid]
            ),
        )
        entry = place.event.timeline.order_by("id").first()
        place.webhook_delivery = Delivery.objects.create(
            subscription=place.subscription, event=place.event, entry=entry, key=f"matrix-{name}",
            event_type=f"event.{entry.action}", payload={"event": place.event.code},
        )  # fmt: skip
    outbox.snapshot.invalidate()  # the rows roll back with the test: no process may keep their filters


def plant_devices(places: dict[str, Place], company: Unit) -> None:
    """devices: a smoke detector in each place's building; the near one owned by the property company."""
    from shequ.devices import actions as device_actions
    from shequ.devices import worklist
    from shequ.devices.actions import DeviceInput, RuleInput

    rule = device_actions.save_rule(
        by=None,
        data=RuleInput(name="矩阵烟感规则", message_type="smoke", field="level", operator="eq", value="alarm",
                       category=Category.objects.get(code="0101")),
    )  # fmt: skip

    for name, place in places.items():
        place.device, _key = device_actions.create_device(
            by=None,
            data=DeviceInput(
                code=f"MX-{name}",
                name=f"{name}矩阵烟感",
                type="smoke_detector",
                building=place.building,
                dwelling=place.dwelling,
                owner_kind="property",
                owner_unit=company if name == "near" else None,
            ),
        )
        place.device_task = worklist.open_maintenance(place.device, note=f"{name}矩阵设备维护")
        place.rule = rule


# --- scopes: which place is in and which is out for a role ------------------------------------------------------

AREA_OUT = {
    Role.GRID_WORKER: "far",
    Role.COMMUNITY_STAFF: "far",
    Role.STREET_DISPATCHER: "far",
    Role.DISTRICT_DISPATCHER: "foreign",
    Role.ADMIN: None,  # sees everything
}


def places_for(scope: str, role: str) -> tuple[str | None, str | None]:
    """(in-scope place, out-of-scope place) for a role under a rule's scope."""
    if scope == "open_feed":  # production: Open311 without a key lists near's accepted event (a public category)
        if role == "anonymous":
            return "near", "far"
        scope = "event"
    if scope == "global" or (scope == "geography" and role not in AREA_OUT):
        # reference data (code tables, categories) is the same for everyone; the map of regions is public to
        # those without an area (residents report into it), area roles see their own area
        return "near", None
    if scope == "opaque":  # a made-up token or upload: nobody's
        return None, "near"
    if scope == "audit":
        return ("near", None) if role in WHO["auditors"] else (None, "near")
    if scope in ("own", "own_event") or (scope == "event" and role in (Role.RESIDENT, Role.UNIT_HANDLER)):
        # a resident's own reports and notices; a handler's unit's events
        if role == Role.RESIDENT or (scope == "event" and role == Role.UNIT_HANDLER):
            return "near", "far"
        if scope in ("own", "own_event"):
            return None, "near"
    if scope == "stats":  # a data user's region is the near street; administrators may ask about any area
        if role == Role.DATA_USER:
            return "near", "far"
        return ("near", None) if role == Role.ADMIN else (None, "near")
    if role == Role.PROPERTY_COMPANY and scope == "area":
        return "near", "far"  # the buildings its unit manages: near only
    if role in AREA_OUT:
        return "near", AREA_OUT[role]
    if role == Role.RESIDENT:
        return None, "far"  # "near" is the resident's own record
    return None, "near"


# --- URLs ------------------------------------------------------------------------------------------------------


def url_patterns(resolver: URLResolver | None = None, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for p in (resolver or get_resolver()).url_patterns:
        if isinstance(p, URLResolver):
            yield from url_patterns(p, prefix + str(p.pattern))
        else:
            yield prefix + str(p.pattern), p


PARAM = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def fill(route: str, values: dict[str, Any]) -> str:
    """A concrete path for a route or regex pattern, its parameters replaced by ``values``."""
    path = PARAM.sub(lambda m: str(values[m.group(1) or m.group(2)]), route)
    path = path.replace("^", "").replace("/?$", "/").replace("$", "").replace("\\.", ".")
    return "/" + path.lstrip("/")


class AdminValues(dict):
    """Values for the admin site's generated URLs: a real record's id, and 1 for anything else."""

    def __missing__(self, key: str) -> Any:
        return 1


def attr(place: Place, dotted: str) -> Any:
    value: Any = place
    for part in dotted.split("."):
        value = getattr(value, part)
    return value


def values_for(rule: Rule, place: Place | None) -> dict[str, Any]:
    found = {name: attr(place, dotted) for name, dotted in rule.obj.items()} if place else {}
    return {**rule.fixed, **found}


TEMPLATE = re.compile(r"\{([\w.]+)\}")


def data_for(rule: Rule, place: Place, user: User | None) -> dict[str, Any] | None:
    """The query (GET) or body (POST) of a request: ``{grid.code}`` in a query names the place's value."""
    if rule.body is not None:
        return rule.body(place, user)
    if rule.query:
        return {k: TEMPLATE.sub(lambda m: str(attr(place, m.group(1))), v) for k, v in rule.query.items()}
    return None


# --- leaks and masking -----------------------------------------------------------------------------------------


def body_of(resp) -> str:
    content = b"".join(resp.streaming_content) if resp.streaming else resp.content
    return content.decode("utf-8", errors="replace")


def forms_of(value: str) -> set[str]:
    """The value as text and as JSON escapes it (\\uXXXX), so a JSON body cannot hide it."""
    return {value, json.dumps(value)[1:-1]}


def shown(values: list[str], body: str) -> list[str]:
    return [v for v in values if v and any(f in body for f in forms_of(v))]


clearance = getattr(importlib.import_module("shequ.access.scopes"), "clearance", None)


def masked_but_shown(
    user: User | None, places: dict[str, Place], body: str, revealed: frozenset[str] = frozenset()
) -> list[str]:
    """Clear values of planted people that the user's clearance masks (or, for a property company, hides) but the
    body shows anyway. ``revealed``: the values a reveal response was asked for, the one place they may show."""
    if clearance is None or user is None or user.role == Role.RESIDENT:  # a resident sees their own record
        return []
    cleared = clearance(user)
    level = cleared.clear
    leaks = []
    for place in places.values():
        p = place.person
        if level < 4 or cleared.property_only:  # the ID number and the hukou address are not property fields
            leaks += shown([p.id_number], body)
        if level < 3 or cleared.property_only:
            leaks += shown([p.hukou_address], body)
        if level < 3:
            leaks += shown([p.name, p.phone], body)
    return [v for v in leaks if v not in revealed]


def revealed_values(rule: Rule, place: Place, user: User | None) -> frozenset[str]:
    """The clear values a reveal asks for (only a reveal rule's in-scope request has any)."""
    if not rule.reads or not rule.obj.get("pk", rule.obj.get("id", "")).startswith("person."):
        return frozenset()
    return frozenset(str(getattr(place.person, f)) for f in reveal_fields(user))


# --- the matrix ------------------------------------------------------------------------------------------------


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    requests: int = 0
    masking_checked: int = 0

    def check(self, ok: bool, what: str) -> None:
        if not ok:
            self.problems.append(what)


def client_for(user: User | None) -> Client:
    client = Client(raise_request_exception=False)  # a server error is one finding among the rest, not the end
    if user is not None:
        client.force_login(user)
    return client


def expect_in_scope(rule: Rule, role: str, status: int) -> bool:
    if rule.post:
        return status in REFUSALS
    if role in WHO[rule.who]:
        # may_refuse: a form's validation (422) or a protocol error page (400, OAuth without a client)
        return status == 200 or (rule.may_refuse and status in {*REFUSALS, 400, 422})
    return status in REFUSALS


def probe(report: Report, m: Matrix, role: str, client: Client, label: str, rule: Rule, path: str, send) -> None:
    """One role against one page or operation: in scope (GET, or a reading POST) and out of scope (GET, an empty
    POST, or a reading POST with its body)."""
    user = m.personas[role]
    has_object = bool(rule.obj) or rule.scope in ("global", "opaque", "stats")
    inside, outside = places_for(rule.scope, role) if has_object else ("near", AREA_OUT.get(role, "near"))
    if role in (Role.RESIDENT, Role.UNIT_HANDLER, Role.PROPERTY_COMPANY) and not has_object:
        outside = "far"  # near holds the resident's own report, the handler's unit's event, the company's building
    verb = "post" if rule.reads else "get"
    if inside is not None and not rule.post:
        place = m.places[inside]
        target = fill(path, values_for(rule, place))
        resp = send(verb, target, data_for(rule, place, user))
        report.requests += 1
        body = body_of(resp)
        report.check(
            expect_in_scope(rule, role, resp.status_code), f"{role} in scope {label} {target}: {resp.status_code}"
        )
        report.check(resp.status_code < 500, f"{role} {label} {target}: server error")
        if resp.status_code == 200:
            if outside is not None and not has_object:
                leaked = shown(m.places[outside].secrets(), body)
                report.check(not leaked, f"{role} {label} {target} shows out-of-scope {leaked}")
            if clearance is not None:
                report.masking_checked += 1
                revealed = revealed_values(rule, place, user)
                leaked = masked_but_shown(user, m.places, body, revealed)
                report.check(not leaked, f"{role} {label} {target} shows masked values in clear: {leaked}")
                missing = [v for v in revealed if not shown([v], body)]
                report.check(not missing, f"{role} {label} {target} does not reveal {missing}")
        else:
            report.check(not refused_shows(rule, body), f"{role} refused {label} {target} shows an answer")
    if outside is not None and has_object:
        place = m.places[outside]
        target = fill(path, values_for(rule, place))
        resp = send("post" if rule.post or rule.reads else "get", target, data_for(rule, place, user))
        report.requests += 1
        body = body_of(resp)
        report.check(not refused_shows(rule, body), f"{role} out of scope {label} {target} shows an answer")
        status = resp.status_code
        if rule.post and status == 422:  # refused before any lookup: as long as a missing object gets the same
            missing = send("post", fill(path, {**rule.fixed, **{k: MISSING.get(k, 999999) for k in rule.obj}}), None)
            report.requests += 1
            status = 404 if missing.status_code == 422 else status
        report.check(status in REFUSALS, f"{role} out of scope {label} {target}: {resp.status_code}")
        leaked = shown(m.places[outside].secrets(), body)
        report.check(not leaked, f"{role} out of scope {label} {target} shows {leaked}")


def refused_shows(rule: Rule, body: str) -> list[str]:
    return [s for s in rule.refused_shows if s in body]


def page_rules() -> Iterator[tuple[str, Rule | None]]:
    for route, pattern in url_patterns():
        if getattr(pattern.callback, "__module__", "") == "ninja.operation":
            continue  # an API operation: checked from the OpenAPI document
        if route.startswith(ADMIN_SITE):
            continue
        yield route, PAGES.get(route)


def test_every_page_has_an_authorization_rule():
    missing = [route for route, rule in page_rules() if rule is None]
    assert not missing, f"new page without an authorization rule: {missing}"
    stale = set(PAGES) - {route for route, _ in page_rules()}
    assert not stale, f"rules for pages that no longer exist: {stale}"


def operations() -> list[tuple[str, str]]:
    schema = Client().get("/api/openapi.json").json()
    return [
        (method.upper(), "/api" + path if not path.startswith("/api") else path)
        for path, ops in schema["paths"].items()
        for method in ops
    ]


@pytest.mark.django_db
def test_every_api_operation_has_an_authorization_rule():
    found = {f"{method} {path}" for method, path in operations()}
    missing = sorted(found - set(OPERATIONS))
    assert not missing, f"new API operation without an authorization rule: {missing}"
    assert not set(OPERATIONS) - found, f"rules for operations that no longer exist: {set(OPERATIONS) - found}"


def test_pages_for_every_role_show_only_what_is_in_scope(matrix: Matrix):
    report = Report()
    rules = [(route, rule) for route, rule in page_rules() if rule is not None]
    for role, persona in matrix.personas.items():
        client = client_for(persona)

        def send(method: str, path: str, data: dict[str, Any] | None = None, client: Client = client):
            return getattr(client, method)(path, data or {})

        for route, rule in rules:
            probe(report, matrix, role, client, route, rule, route, send)
    assert not report.problems, "\n".join(report.problems)
    assert report.requests > 500


def test_the_admin_site_is_for_superusers_only(matrix: Matrix):
    """No persona is a superuser: every admin URL refuses them all, and shows nothing of an object."""
    report = Report()
    near = matrix.places["near"]
    for role in (Role.ADMIN, Role.COMMUNITY_STAFF, "anonymous"):
        client = client_for(matrix.personas[role])
        for route, _ in url_patterns():
            if not route.startswith(ADMIN_SITE):
                continue
            target = fill(route, AdminValues(object_id=near.person.pk, app_label="registry"))
            resp = client.get(target)
            report.requests += 1
            allowed = (200, 302) if route == "admin/login/" else (302, 404)
            report.check(resp.status_code in allowed, f"{role} admin {target}: {resp.status_code}")
            report.check(not shown(near.secrets(), body_of(resp)), f"{role} admin {target} shows a record")
    assert not report.problems, "\n".join(report.problems)


def test_api_operations_for_every_role_show_only_what_is_in_scope(matrix: Matrix):
    report = Report()
    ops = operations()
    rules = {name: OPERATIONS.get(name) for name in (f"{m} {p}" for m, p in ops)}
    for role, persona in matrix.personas.items():
        key = token_for(persona) if persona is not None else None
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        client = Client(headers=headers, raise_request_exception=False)

        for name, rule in rules.items():
            if rule is None:
                continue
            method, path = name.split(" ", 1)
            route = path.replace("{", "<").replace("}", ">")
            verb = method.lower()

            def send_op(how: str, target: str, data: dict | None = None, verb: str = verb, client: Client = client):
                if verb == "get":
                    return client.get(target, data or {})
                return getattr(client, verb)(target, data or {}, content_type="application/json")

            probe(report, matrix, role, client, name, rule, route, send_op)
    assert not report.problems, "\n".join(report.problems)


def test_another_accounts_grant_is_refused(matrix: Matrix):
    """The acting-grant switch takes only the user's own grants: another account's grant over the far community is
    refused and widens nothing; the user's own such grant does."""
    w = matrix.world
    far = matrix.places["far"].person
    desk = client_for(w.community_staff)
    theirs = grants.add_grant(w.community_staff_c3, role=Role.COMMUNITY_STAFF, region=w.c3, by=w.admin)
    desk.post("/access/grant/", {"grant": theirs.pk, "next": "/registry/"})
    resp = desk.get(f"/registry/people/{far.pk}/")
    assert resp.status_code == 404
    assert not shown([far.name, far.phone, far.id_number], body_of(resp))
    mine = grants.add_grant(w.community_staff, role=Role.COMMUNITY_STAFF, region=w.c3, by=w.admin)
    desk.post("/access/grant/", {"grant": mine.pk, "next": "/registry/"})
    assert desk.get(f"/registry/people/{far.pk}/").status_code == 200
