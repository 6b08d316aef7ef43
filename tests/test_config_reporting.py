"""The playbooks:, reporting: and systems: sections of secmon.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from secmon.config import load_settings
from secmon.config.reporting import PersonSettings, SystemSettings
from secmon.errors import InputError, Location

SAMPLE = Path(__file__).parent / "data" / "reports" / "secmon.yaml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "secmon.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_sample_config_reads_fully() -> None:
    settings = load_settings(SAMPLE)
    reporting = settings.reporting
    assert reporting.regime is None
    assert reporting.owner == "UBND phường Đông Hà"
    assert reporting.contact == PersonSettings(
        "Nguyễn Văn An", "Chuyên viên CNTT", "0912 345 678", "an.nv@dongha.quangtri.gov.vn"
    )
    assert reporting.signer == PersonSettings("Trần Thị Bình", "Chủ tịch UBND phường")
    assert reporting.controls == ("tường lửa ufw", "fail2ban", "sao lưu hằng ngày")
    assert [(r.role, r.name, r.email) for r in reporting.recipients] == [
        ("owner", "Chủ tịch UBND phường Đông Hà", ""),
        ("provincial", "Sở Khoa học và Công nghệ tỉnh Quảng Trị", "ir@skhcn.quangtri.gov.vn"),
    ]
    assert reporting.recipient("provincial").location == Location(str(SAMPLE), 25, 5)
    assert reporting.recipient("coordinator") is None
    assert settings.systems == (
        SystemSettings(
            id="portal",
            location=Location(str(SAMPLE), 29, 3),
            name="Cổng thông tin điện tử phường Đông Hà",
            hosts=("portal",),
            domains=("dongha.quangtri.gov.vn",),
            ips=("203.0.113.10",),
            level=2,
            os="Ubuntu 22.04 LTS",
            services=("nginx", "php-fpm 8.1", "MariaDB 10.6"),
            controls=("ModSecurity CRS",),
            purpose="Thông tin công khai, tin tức, văn bản của phường",
        ),
        SystemSettings(
            id="mail",
            location=Location(str(SAMPLE), 39, 3),
            name="Thư điện tử công vụ",
            hosts=("mail",),
            domains=("mail.dongha.quangtri.gov.vn",),
            level=2,
            os="Debian 12",
            services=("postfix", "dovecot"),
        ),
    )
    assert settings.playbooks.builtin is True and settings.playbooks.dirs == ()


def test_playbook_folders_and_regime_paths_are_relative_to_the_config(tmp_path: Path) -> None:
    (tmp_path / "regime.yaml").write_text("version: 1\n", encoding="utf-8")
    path = write(tmp_path, """\
version: 1
playbooks: {builtin: false, dirs: [playbooks.d]}
reporting:
  regime: regime.yaml
  contact: {phone: 912345678}
""")
    settings = load_settings(path)
    assert settings.playbooks.builtin is False
    assert settings.playbooks.dirs == (tmp_path / "playbooks.d",)
    assert settings.reporting.regime == tmp_path / "regime.yaml"
    assert settings.reporting.regime_location == Location(str(path), 4, 11)
    assert settings.reporting.contact.phone == "912345678"  # a number is kept as text


def test_every_problem_names_its_place(tmp_path: Path) -> None:
    path = write(tmp_path, """\
version: 1
playbooks: {builtin: yes please}
reporting:
  regime: missing.yaml
  contakt: {}
  signer: {name: A, title: B}
  recipients:
    Owner: {name: X}
    provincial: {email: ir@example.vn}
    coordinator:
systems:
- id: Portal
  name: Cổng
  level: 7
  ips: [203.0.113.300]
- id: mail
- {id: web, name: Web}
- {id: web, name: Web 2, hosts: portal}
- just text
""")
    with pytest.raises(InputError) as err:
        load_settings(path)
    p = str(path)
    assert str(err.value).splitlines() == [
        f"{p}:2:22: 'playbooks.builtin' must be true or false",
        f"{p}:4:11: 'reporting.regime' names {tmp_path / 'missing.yaml'}, which is not a "
        "file; give the path of a reporting regime YAML file, or remove the key to use the "
        "built-in one",
        f"{p}:5:3: unknown key 'reporting.contakt' (did you mean 'contact'?); expected one of: "
        "regime, operator, owner, contact, signer, security_provider, isp, controls, "
        "recipients",
        f"{p}:6:21: unknown key 'reporting.signer.title'; expected one of: name, position, "
        "phone, email",
        f"{p}:8:5: recipient role 'Owner' must be a lowercase word like 'owner' or "
        "'provincial'",
        f"{p}:9:17: 'reporting.recipients.provincial.name' is required",
        f"{p}:10:17: 'reporting.recipients.coordinator' needs at least a name",
        f"{p}:12:7: 'systems[0].id' must be lowercase letters and digits joined by '-', '.' "
        "or '_', not 'Portal'",
        f"{p}:14:10: 'systems[0].level' must be a security level from 1 to 5 "
        "(Decree 85/2016), not 7",
        f"{p}:15:9: 'systems[0].ips' entry '203.0.113.300' is not an IP address",
        f"{p}:16:3: 'systems[1].name' is required",
        f"{p}:18:8: system id 'web' is used twice (first at {p}:17:8)",
        f"{p}:18:33: 'systems[3].hosts' must be a list of texts",
        f"{p}:19:3: 'systems[4]' must be a mapping with id and name",
    ]
