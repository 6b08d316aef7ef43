"""secmon.yaml -> typed Settings; every error names file:line:col and key."""

from .loader import load_settings
from .model import AllowlistSettings, OrganisationSettings, Settings

__all__ = ["AllowlistSettings", "OrganisationSettings", "Settings", "load_settings"]
