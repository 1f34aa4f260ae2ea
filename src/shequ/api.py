"""The one NinjaAPI (OpenAPI at /api/docs). Each domain app contributes a router;
this module owns authentication and the error format every endpoint shares:
``{"code": "<machine code>", "message": "<Chinese message>"}``."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.errors import HttpError as NinjaHttpError
from ninja.security import APIKeyHeader, HttpBearer, SessionAuth

from shequ.access.models import User
from shequ.access.scopes import user_for_token
from shequ.core.errors import DomainError


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <key>`` for staff scripts and other systems."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        found = user_for_token(token)
        if found is None:
            return None
        request.user, request.api_token = found  # type: ignore[attr-defined]
        return found[0]


class ApiKeyAuth(APIKeyHeader):
    """``X-API-Key: <key>``, the same tokens for clients that cannot send a bearer header."""

    param_name = "X-API-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        return TokenAuth().authenticate(request, key) if key else None


class ActiveSession(SessionAuth):
    """The logged-in browser session (the portal's and workbench's own scripts); CSRF checked."""

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


AUTH = [TokenAuth(), ApiKeyAuth(), ActiveSession()]

api = NinjaAPI(
    title="shequ API",
    version="1",
    description="社区网格化治理平台接口。错误统一为 JSON：{code, message}。",
    auth=AUTH,
    urls_namespace="api",
)


def error(request: HttpRequest, status: int, code: str, message: str, **extra) -> HttpResponse:
    return api.create_response(request, {"code": code, "message": message, **extra}, status=status)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    extra = {"field": exc.field} if exc.field else {}
    return error(request, exc.status, exc.code, exc.message, **extra)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    details = [
        {"field": ".".join(str(p) for p in e.get("loc", [])[1:]) or None, "problem": e.get("msg", "")}
        for e in exc.errors
    ]
    fields = "、".join(d["field"] for d in details if d["field"]) or _("the request")
    return error(
        request, 422, "validation_error", _("Invalid input in %(fields)s.") % {"fields": fields}, details=details
    )


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error(request, 401, "unauthenticated", _("Log in, or send a valid API token."))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error(request, 404, "not_found", _("Not found, or you may not see it."))


@api.exception_handler(NinjaHttpError)
def _http_error(request: HttpRequest, exc: NinjaHttpError) -> HttpResponse:
    return error(request, exc.status_code, "http_error", str(exc))


def _mount() -> None:
    from shequ.assessment.api import router as assessment_router
    from shequ.community.api import router as community_router
    from shequ.devices.api import router as devices_router
    from shequ.events.api import router as events_router
    from shequ.geo.api import router as geo_router
    from shequ.intake.api import router as intake_router
    from shequ.registry.api import router as registry_router
    from shequ.services.api import router as services_router
    from shequ.stats.api import router as stats_router

    api.add_router("/geo", geo_router)
    api.add_router("/events", events_router)
    api.add_router("/registry/", registry_router)
    api.add_router("/stats/", stats_router)
    api.add_router("/intake", intake_router)
    api.add_router("/assessment/", assessment_router)
    api.add_router("/devices", devices_router)
    api.add_router("/services/", services_router)
    api.add_router("/community/", community_router)


_mount()
