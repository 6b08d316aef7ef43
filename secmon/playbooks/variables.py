"""The template variables a playbook may use: the one place they are defined.

Common variables exist for every incident. Key fields (src_ip, user, ...)
come from the incident's group-by key, and only some incident categories can
have each of them: the loader refuses a playbook that uses a variable no
incident it applies to can have. At render time a variable the incident
lacks becomes a visible placeholder (`Missing`), never an error or "".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from types import MappingProxyType

from ..events import CATEGORIES
from ..incidents.model import Incident
from .model import LocalText

DEFAULT_EVIDENCE_ROOT = "/var/lib/secmon/evidence"

_WEB = frozenset({"web-attack", "scanning", "webshell", "defacement", "dos", "availability"})
_LOGIN = frozenset(
    {"brute-force", "account-compromise", "privilege-escalation", "policy", "scanning"}
)


@dataclass(frozen=True, slots=True)
class Variable:
    name: str
    description: LocalText
    key_field: str | None = None  # the incident key field it comes from; None: common
    categories: frozenset[str] | None = None  # key fields: the categories that can have it


def _common(name: str, vi: str, en: str) -> Variable:
    return Variable(name, LocalText(vi, en))


def _key(
    name: str, vi: str, en: str, categories: Iterable[str], key_field: str | None = None
) -> Variable:
    return Variable(name, LocalText(vi, en), key_field or name, frozenset(categories))


_ALL = (
    _common("id", "số hiệu sự cố", "incident number"),
    _common("category", "loại sự cố", "incident category"),
    _common("severity", "mức độ", "severity"),
    _common("status", "trạng thái", "status"),
    _common("title", "tên sự cố (theo ngôn ngữ hiển thị)", "incident title (display language)"),
    _common("rules", "các luật phát hiện", "detection rules"),
    _common("detected", "thời điểm secmon phát hiện", "when secmon detected it"),
    _common("first_seen", "thời điểm của dòng nhật ký đầu tiên", "time of the first log line"),
    _common("last_seen", "thời điểm của dòng nhật ký cuối cùng", "time of the last log line"),
    _common("count", "số dòng nhật ký khớp", "matching log lines"),
    _common("hosts", "các máy chủ liên quan", "hosts involved"),
    _common("sources", "các nguồn nhật ký", "log sources"),
    _common("org", "tên cơ quan (cấu hình)", "organisation name (configured)"),
    _common("evidence_dir", "thư mục lưu chứng cứ của sự cố", "the incident's evidence folder"),
    _key("host", "máy chủ", "host", CATEGORIES),
    _key("src_ip", "địa chỉ IP nguồn", "source IP address", _WEB | _LOGIN),
    _key("user", "tài khoản", "user account", _LOGIN | {"malware"}),
    _key("vhost", "tên miền (virtual host)", "virtual host", _WEB),
    _key("path", "đường dẫn (URL hoặc tệp)", "path (URL or file)", _WEB | {"malware"}),
    _key("method", "phương thức HTTP", "HTTP method", _WEB - {"availability"}),
    # `status` is the incident's; the HTTP status of a key is `http_status`.
    _key("http_status", "mã trạng thái HTTP", "HTTP status", _WEB, key_field="status"),
    _key("user_agent", "User-Agent", "User-Agent", _WEB - {"availability"}),
    _key("dst_ip", "địa chỉ IP đích", "destination IP address", {"malware", "policy", "dos"}),
    _key("dst_port", "cổng đích", "destination port", {"malware", "policy", "dos"}),
    _key("process", "tiến trình", "process", {"malware", "privilege-escalation"}),
    _key("sender", "người gửi thư", "mail sender", {"policy", "malware", "account-compromise"}),
    _key("recipient", "người nhận thư", "mail recipient", {"policy", "malware"}),
    _key("message_id", "Message-ID của thư", "mail Message-ID", {"policy", "malware"}),
)

VARIABLES: Mapping[str, Variable] = MappingProxyType({v.name: v for v in _ALL})


def allowed_variables(categories: Iterable[str]) -> frozenset[str]:
    """Variables an incident of any of `categories` can have (all: no categories)."""
    wanted = frozenset(categories)
    return frozenset(
        name
        for name, variable in VARIABLES.items()
        if variable.categories is None or not wanted or variable.categories & wanted
    )


class Missing(str):
    """A variable this incident does not have: renders as a visible placeholder, is falsy."""

    name: str

    def __new__(cls, name: str) -> Missing:
        text = super().__new__(cls, f"«{name}: không có / not available»")
        text.name = name
        return text

    def __bool__(self) -> bool:
        return False


def _texts(values: Iterable[object]) -> tuple[str, ...]:
    return tuple(str(value) for value in values)


def incident_values(
    incident: Incident,
    *,
    lang: str,
    org: str | None = None,
    evidence_root: str = DEFAULT_EVIDENCE_ROOT,
    tz: tzinfo = UTC,
) -> dict[str, object]:
    """Every variable for `incident`: str, int, datetime (in `tz`), tuple of str, or Missing.

    Values are raw (attacker-controlled text included); formatting.py escapes
    them for the place they are rendered into.
    """
    key = {str(k): str(v) for k, v in incident.key.items()}
    values: dict[str, object] = {
        "id": incident.id,
        "category": incident.category,
        "severity": incident.severity,
        "status": incident.status,
        "title": incident.title.get(lang) or next(iter(incident.title.values()), ""),
        "rules": _texts(incident.rule_ids),
        "detected": incident.created_at.astimezone(tz),
        "first_seen": incident.first_seen.astimezone(tz),
        "last_seen": incident.last_seen.astimezone(tz),
        "count": incident.count,
        "hosts": _texts(incident.hosts),
        "sources": _texts(incident.sources),
        "org": org,
        "evidence_dir": f"{evidence_root.rstrip('/')}/{incident.id}",
    }
    for name, variable in VARIABLES.items():
        if variable.key_field is not None:
            values[name] = key.get(variable.key_field)
    if values["host"] is None and len(incident.hosts) == 1:
        values["host"] = incident.hosts[0]
    return {name: _or_missing(name, value) for name, value in values.items()}


def _or_missing(name: str, value: object) -> object:
    if value is None or value == "" or value == ():
        return Missing(name)
    return value


_SAMPLE_TIME = datetime(2024, 1, 1, tzinfo=UTC)


def sample_values(present: bool) -> dict[str, object]:
    """Values for trying templates at load time: all present, or all missing."""
    if not present:
        return {name: Missing(name) for name in VARIABLES}
    samples: dict[str, object] = {name: f"sample-{name}" for name in VARIABLES}
    samples.update(
        id=1,
        count=1,
        detected=_SAMPLE_TIME,
        first_seen=_SAMPLE_TIME,
        last_seen=_SAMPLE_TIME,
        rules=("sample.rule",),
        hosts=("sample-host",),
        sources=("/var/log/sample.log",),
    )
    return samples
