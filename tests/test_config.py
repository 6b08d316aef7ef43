from __future__ import annotations

from pathlib import Path

import pytest

from secmon.config import load_settings
from secmon.config.loader import TOP_KEYS
from secmon.errors import InputError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "secmon.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_full_config_loads(tmp_path):
    path = write(tmp_path, """\
version: 1
language: en
timezone: Asia/Ho_Chi_Minh
database: data/secmon.db
rules: {builtin: false, dirs: [rules.d]}
allowlist: {cidrs: [10.0.0.0/8], users: [backup], paths: [/healthz]}
json: {time: ts, message: msg, src_ip: client.ip}
organisation: {name: UBND phường Đông Hà, contact: Nguyễn Văn A}
""")
    settings = load_settings(path)
    assert settings.language == "en"
    assert settings.database == tmp_path / "data/secmon.db"
    assert settings.rule_dirs == (tmp_path / "rules.d",)
    assert settings.builtin_rules is False
    assert settings.allowlist.cidrs == ("10.0.0.0/8",)
    assert settings.json_mapping.src_ip == "client.ip"
    assert settings.organisation.name == "UBND phường Đông Hà"


def test_every_problem_is_reported_with_its_place(tmp_path):
    path = write(tmp_path, """\
version: 1
langauge: en
language: fr
timezone: Mars/Base
rules: {builtin: maybe}
allowlist:
  cidrs: [10.0.0.0/8, not-a-net]
""")
    with pytest.raises(InputError) as err:
        load_settings(path)
    assert str(err.value).splitlines() == [
        f"{path}:2:1: unknown key 'langauge' (did you mean 'language'?); expected one of: "
        + ", ".join(TOP_KEYS),
        f"{path}:3:11: 'language' must be one of vi, en, not 'fr'",
        f"{path}:4:11: unknown time zone 'Mars/Base'; use an IANA name like Asia/Ho_Chi_Minh",
        f"{path}:5:18: 'rules.builtin' must be true or false",
        f"{path}:7:23: 'allowlist.cidrs' entry 'not-a-net' is not an IP network like 10.0.0.0/8",
    ]


def test_version_is_required(tmp_path):
    with pytest.raises(InputError) as err:
        load_settings(write(tmp_path, "language: vi\n"))
    assert "'version: 1' is required" in str(err.value)
