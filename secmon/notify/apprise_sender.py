"""The only module that imports apprise: targets from URLs or Apprise config
files, and delivery of one message to one target with a timeout.

A `Target` is one Apprise service (one URL). Its `display` is Apprise's
`url(privacy=True)`, the only form a URL is ever printed in; its `key` is a
hash of the full URL, so the outbox can remember which targets already took
a message without storing the URL. Errors are Apprise's own log lines for
the attempt, with every known secret value masked.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import apprise

from .message import Message

_FORMATS = {
    "text": apprise.NotifyFormat.TEXT,
    "markdown": apprise.NotifyFormat.MARKDOWN,
    "html": apprise.NotifyFormat.HTML,
}
_LEVELS = {
    "info": apprise.NotifyType.INFO,
    "success": apprise.NotifyType.SUCCESS,
    "warning": apprise.NotifyType.WARNING,
    "failure": apprise.NotifyType.FAILURE,
}
_MASK = "****"
_ERROR_LEVELS = {"WARNING", "ERROR", "CRITICAL"}


class TargetError(ValueError):
    """A URL or Apprise config file that gives no usable target."""


@dataclass(frozen=True, slots=True)
class Target:
    key: str
    display: str
    secrets: tuple[str, ...] = field(default=(), repr=False)
    service: Any = field(default=None, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class SendResult:
    ok: bool
    error: str = ""


def _asset() -> Any:
    try:
        return apprise.AppriseAsset(secure_logging=True, storage_mode="memory")
    except TypeError:  # an Apprise without persistent storage
        return apprise.AppriseAsset()


def redact(text: str, secrets: Sequence[str]) -> str:
    """`text` with every secret value (4 characters or more) replaced by ****."""
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 4:
            text = text.replace(secret, _MASK)
    return text


def _target(service: Any, secrets: Sequence[str]) -> Target:
    full = service.url(privacy=False)
    key = hashlib.sha256(full.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return Target(key, redact(service.url(privacy=True), secrets), tuple(secrets), service)


def url_target(url: str, secrets: Sequence[str] = ()) -> Target:
    """The target of one Apprise URL; TargetError if Apprise cannot use it."""
    service = apprise.Apprise.instantiate(url, asset=_asset())
    if service is None:
        scheme = url.split("://", 1)[0] if "://" in url else url[:20]
        raise TargetError(
            f"Apprise cannot use this URL (service '{redact(scheme, secrets)}'): check the "
            "service name and the parts it needs (see the Apprise wiki for the service)")
    return _target(service, secrets)


def config_targets(path: Path, tags: Sequence[str] = ()) -> list[Target]:
    """The targets of an Apprise config file (YAML or text), those with one of `tags`."""
    if not path.is_file():
        raise TargetError(f"Apprise config file {path} does not exist")
    try:
        path.read_bytes()
    except OSError as exc:
        raise TargetError(f"cannot read Apprise config file {path}: {exc.strerror}") from None
    asset = _asset()
    config = apprise.AppriseConfig(asset=asset)
    if not config.add(str(path)):
        raise TargetError(f"Apprise cannot read {path} as a config file")
    bundle = apprise.Apprise(asset=asset)
    bundle.add(config)
    wanted: Any = list(tags) if tags else "all"
    services = list(bundle.find(tag=wanted, match_always=not tags))
    if not services:
        which = f" tagged {', '.join(tags)}" if tags else ""
        raise TargetError(f"Apprise config file {path} has no usable URL{which}")
    return [_target(service, ()) for service in services]


class AppriseSender:
    """Sends one message to one target, waiting at most `timeout` seconds per
    connection step (Apprise's cto/rto, lowered to it) and per call."""

    def __init__(self, timeout: float = 10.0):
        self.timeout = timeout

    def send(self, target: Target, message: Message) -> SendResult:
        service = target.service
        for attr in ("socket_connect_timeout", "socket_read_timeout"):
            current = getattr(service, attr, None)
            if isinstance(current, (int, float)) and current > self.timeout:
                setattr(service, attr, self.timeout)
        bundle = apprise.Apprise(asset=_asset())
        bundle.add(service)
        options: dict[str, Any] = {
            "body": message.body,
            "title": message.title,
            "body_format": _FORMATS[message.format],
            "notify_type": _LEVELS.get(message.level, apprise.NotifyType.INFO),
        }
        try:
            try:
                result = bundle.notify(timeout=self.timeout * 3, **options)
            except TypeError:  # an Apprise without a per-call timeout
                result = bundle.notify(**options)
        except Exception as exc:  # noqa: BLE001 - any plugin failure is a failed delivery
            return SendResult(False, redact(f"{type(exc).__name__}: {exc}", target.secrets))
        if bool(result):
            return SendResult(True)
        return SendResult(False, redact(_failure(result), target.secrets))


def _failure(result: Any) -> str:
    """Apprise's own words for a failed call, when it gives them."""
    status = getattr(getattr(result, "status", None), "name", "")
    messages: list[str] = []
    logs = getattr(result, "logs", None)
    if callable(logs):
        for entry in logs():
            level = getattr(entry, "level", "")
            level = level if isinstance(level, str) else logging.getLevelName(level)
            text = str(getattr(entry, "message", "")).strip()
            if level.upper() in _ERROR_LEVELS and text and text not in messages:
                messages.append(text)
    if status == "TIMEOUT":
        messages.insert(0, "timed out")
    return "; ".join(messages) or "the service did not accept the message (Apprise gave no detail)"
