from django.conf import settings
from django.http import HttpRequest


def platform(request: HttpRequest) -> dict:
    return {
        "SHEQU_TILE_URL": settings.SHEQU_TILE_URL,
        "SHEQU_TILE_ATTRIBUTION": settings.SHEQU_TILE_ATTRIBUTION,
    }
