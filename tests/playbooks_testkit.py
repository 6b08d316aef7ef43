"""Incidents for playbook tests: fixed times, realistic keys per category."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from secmon.clock import parse_timezone
from secmon.incidents.model import Incident

# secmon opened the incident at 13:20 Hanoi time on 14 March 2026.
DETECTED = datetime(2026, 3, 14, 6, 20, tzinfo=UTC)
HANOI = parse_timezone("+07:00")

SAMPLE_KEYS: dict[str, dict[str, str]] = {
    "brute-force": {"src_ip": "203.0.113.9"},
    "account-compromise": {"src_ip": "203.0.113.9", "user": "canbo"},
    "privilege-escalation": {"user": "canbo"},
    "web-attack": {"src_ip": "198.51.100.23", "vhost": "ubnd.example.gov.vn", "path": "/tin-tuc"},
    "webshell": {
        "src_ip": "198.51.100.23",
        "vhost": "ubnd.example.gov.vn",
        "path": "/uploads/2026/03/anh.php",
    },
    "defacement": {"vhost": "ubnd.example.gov.vn", "path": "/var/www/html/index.php"},
    "malware": {"user": "www-data", "process": "kdevtmpfsi", "dst_ip": "192.0.2.66"},
    "dos": {"vhost": "dichvucong.example.gov.vn", "src_ip": "192.0.2.10"},
    "availability": {"vhost": "dichvucong.example.gov.vn"},
    "policy": {"sender": "ketoan@kho-bac.example.net", "message_id": "<a1b2@kho-bac.example.net>"},
    "scanning": {"src_ip": "192.0.2.200"},
}

SAMPLE_TITLES: dict[str, tuple[str, str]] = {
    "brute-force": ("Tấn công dò mật khẩu SSH", "SSH brute force"),
    "account-compromise": (
        "Đăng nhập SSH thành công sau nhiều lần thất bại",
        "SSH login succeeded after many failures",
    ),
    "web-attack": ("Tấn công chèn mã SQL", "SQL injection attempts"),
    "webshell": ("Nghi có webshell", "Possible webshell"),
    "defacement": ("Trang chủ bị thay đổi", "Homepage changed"),
    "malware": ("Tiến trình đào tiền ảo", "Coin miner process"),
    "dos": ("Lưu lượng tăng đột biến", "Request flood"),
    "policy": ("Thư lừa đảo giả mạo Kho bạc", "Phishing email posing as the Treasury"),
}


SAMPLE_SOURCES: dict[str, str] = {
    "web-attack": "/var/log/nginx/access.log",
    "webshell": "/var/log/nginx/access.log",
    "defacement": "/var/www/html",
    "dos": "/var/log/nginx/access.log",
    "availability": "/var/log/nginx/access.log",
    "policy": "/var/log/mail.log",
    "malware": "/var/log/syslog",
}


def make_incident(category: str = "brute-force", **changes: Any) -> Incident:
    vi, en = SAMPLE_TITLES.get(category, ("Sự cố", "Incident"))
    incident = Incident(
        id=42,
        category=category,
        severity="high",
        status="acknowledged",
        key=SAMPLE_KEYS.get(category, {}),
        title={"vi": vi, "en": en},
        rule_ids=(),
        first_seen=DETECTED - timedelta(minutes=10),
        last_seen=DETECTED - timedelta(minutes=1),
        count=57,
        detections=3,
        created_at=DETECTED,
        updated_at=DETECTED + timedelta(minutes=30),
        hosts=("portal",),
        sources=(SAMPLE_SOURCES.get(category, "/var/log/auth.log"),),
        acknowledged_at=DETECTED + timedelta(minutes=15),
    )
    return replace(incident, **changes)
