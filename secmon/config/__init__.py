"""secmon.yaml -> typed Settings; every error names file:line:col and key."""

from .loader import load_settings
from .model import (
    AllowlistSettings,
    DigestSettings,
    NotifySettings,
    OrganisationSettings,
    RouteSettings,
    Settings,
    UrlSetting,
)

__all__ = [
    "AllowlistSettings",
    "DigestSettings",
    "NotifySettings",
    "OrganisationSettings",
    "RouteSettings",
    "Settings",
    "UrlSetting",
    "load_settings",
]
