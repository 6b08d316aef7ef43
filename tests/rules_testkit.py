"""Helpers for the rules tests: build events and load rule YAML from text."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from secmon.events import Event
from secmon.rules.loader import load_rules
from secmon.rules.model import RuleSet

T0 = datetime(2026, 3, 14, 6, 0, 0, tzinfo=UTC)

HEAD = "version: 1\nrules:\n"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def ev(
    message: str = "",
    *,
    t: float = 0,
    parser: str = "syslog",
    program: str | None = "sshd",
    host: str | None = "portal",
    source: str = "/var/log/auth.log",
    **fields: Any,
) -> Event:
    """An Event at T0 + t seconds; keyword arguments become parser fields."""
    return Event(
        time=at(t),
        source=source,
        parser=parser,
        message=message,
        raw=message,
        host=host,
        program=program,
        fields=fields,
    )


def failed(ip: str, t: float = 0, user: str = "root") -> Event:
    return ev(f"Failed password for {user} from {ip} port 50273 ssh2", t=t)


def accepted(ip: str, t: float = 0, user: str = "canbo") -> Event:
    return ev(f"Accepted password for {user} from {ip} port 50274 ssh2", t=t)


def write(tmp_path: Path, text: str, name: str = "rules.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def load(tmp_path: Path, text: str, **kwargs: Any) -> RuleSet:
    return load_rules([write(tmp_path, text)], **kwargs)


SSH_BLOCKS = """
version: 1
rules:
- id: ssh.auth-failure
  title: {vi: Đăng nhập SSH thất bại, en: SSH login failed}
  category: brute-force
  severity: low
  parser: syslog
  where: {program: sshd}
  match: 'Failed \\S+ for (?:invalid user )?(?P<user>\\S+) from (?P<src_ip>\\S+)'
  building_block: true
- id: ssh.login-accepted
  title: {vi: Đăng nhập SSH thành công, en: SSH login accepted}
  category: account-compromise
  severity: info
  parser: syslog
  where: {program: sshd}
  match: 'Accepted \\S+ for (?P<user>\\S+) from (?P<src_ip>\\S+)'
  building_block: true
"""


def stateful(tmp_path: Path, body: str, **kwargs: Any) -> RuleSet:
    """SSH_BLOCKS plus one more rule (YAML text of a list item, indented as in a file)."""
    text = textwrap.dedent(SSH_BLOCKS).lstrip("\n") + textwrap.dedent(body).lstrip("\n")
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return load_rules([path], **kwargs)
