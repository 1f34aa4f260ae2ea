"""The provider side, mounted at /o/ under the toolkit's own namespace (it reverses these names itself).

Only the authorization-code and OpenID Connect endpoints: not the toolkit's self-service application pages (any
signed-in resident could register an app there) nor the device flow. Apps are registered with the
``register_oidc_client`` command."""

from django.urls import path, re_path
from oauth2_provider import views as toolkit

from .views import ConsentView

app_name = "oauth2_provider"
urlpatterns = [
    path("authorize/", ConsentView.as_view(), name="authorize"),
    path("token/", toolkit.TokenView.as_view(), name="token"),
    path("revoke_token/", toolkit.RevokeTokenView.as_view(), name="revoke-token"),
    re_path(
        r"^\.well-known/openid-configuration/?$",
        toolkit.ConnectDiscoveryInfoView.as_view(),
        name="oidc-connect-discovery-info",
    ),
    path(".well-known/jwks.json", toolkit.JwksInfoView.as_view(), name="jwks-info"),
    path("userinfo/", toolkit.UserInfoView.as_view(), name="user-info"),
]
