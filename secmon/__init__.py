"""secmon: security log monitor and incident-response kit."""

__version__ = "0.1.0"
