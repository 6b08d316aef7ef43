"""Bilingual words of alerts and of the `secmon notify` commands (Vietnamese first).

Severity and status names come from the shared catalog (secmon.i18n); the
rest is here so the message templates and the commands share one wording.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ..i18n import pick

Texts = Mapping[str, Mapping[str, str]]


def _freeze(data: dict[str, dict[str, str]]) -> Texts:
    return MappingProxyType({k: MappingProxyType(v) for k, v in data.items()})


KINDS: Texts = _freeze({
    "opened": {"vi": "Sự cố mới", "en": "New incident"},
    "escalated": {"vi": "Sự cố leo thang", "en": "Incident escalated"},
    "reopened": {"vi": "Sự cố tái diễn", "en": "Incident reopened"},
    "resolved": {"vi": "Sự cố đã khắc phục", "en": "Incident resolved"},
    "storm": {"vi": "Chống bão cảnh báo", "en": "Alert storm control"},
    "digest": {"vi": "Bản tin hằng ngày", "en": "Daily digest"},
    "test": {"vi": "Tin thử", "en": "Test message"},
})

KEY_NAMES: Texts = _freeze({
    "src_ip": {"vi": "Địa chỉ IP nguồn", "en": "Source IP"},
    "dst_ip": {"vi": "Địa chỉ IP đích", "en": "Destination IP"},
    "user": {"vi": "Tài khoản", "en": "User"},
    "host": {"vi": "Máy chủ", "en": "Host"},
    "vhost": {"vi": "Tên miền", "en": "Virtual host"},
    "path": {"vi": "Đường dẫn", "en": "Path"},
    "url": {"vi": "URL", "en": "URL"},
    "file": {"vi": "Tệp", "en": "File"},
    "program": {"vi": "Chương trình", "en": "Program"},
    "sender": {"vi": "Người gửi", "en": "Sender"},
    "recipient": {"vi": "Người nhận", "en": "Recipient"},
})

CATEGORY_NAMES: Texts = _freeze({
    "brute-force": {"vi": "dò mật khẩu", "en": "brute force"},
    "web-attack": {"vi": "tấn công ứng dụng web", "en": "web attack"},
    "scanning": {"vi": "dò quét", "en": "scanning"},
    "webshell": {"vi": "webshell", "en": "webshell"},
    "defacement": {"vi": "thay đổi giao diện", "en": "defacement"},
    "malware": {"vi": "mã độc", "en": "malware"},
    "dos": {"vi": "từ chối dịch vụ", "en": "denial of service"},
    "privilege-escalation": {"vi": "leo thang đặc quyền", "en": "privilege escalation"},
    "account-compromise": {"vi": "chiếm đoạt tài khoản", "en": "account compromise"},
    "availability": {"vi": "gián đoạn dịch vụ", "en": "loss of availability"},
    "policy": {"vi": "vi phạm chính sách", "en": "policy violation"},
})

REASONS: Texts = _freeze({
    "severity": {"vi": "mức độ tăng từ {old} lên {new}", "en": "severity rose from {old} to {new}"},
    "count": {"vi": "số sự kiện tăng từ {old} lên {new}",
              "en": "event count rose from {old} to {new}"},
})

# `secmon notify ...` output
CLI: Texts = _freeze({
    "no_routes": {
        "vi": "chưa cấu hình tuyến cảnh báo nào: thêm mục notify: với routes vào secmon.yaml "
              "(xem docs/notify.md)",
        "en": "no alert routes are configured: add a notify: section with routes to secmon.yaml "
              "(see docs/notify.md)",
    },
    "unknown_route": {
        "vi": "không có tuyến '{name}'; các tuyến đã cấu hình: {names}",
        "en": "no route named '{name}'; configured routes: {names}",
    },
    "route": {"vi": "Tuyến {name} ({language}, {fmt}):",
              "en": "Route {name} ({language}, {fmt}):"},
    "ok": {"vi": "đã gửi", "en": "sent"},
    "error": {"vi": "LỖI: {error}", "en": "FAILED: {error}"},
    "test_failed": {
        "vi": "{failed}/{total} địa chỉ không nhận được tin thử",
        "en": "{failed} of {total} URLs did not take the test message",
    },
    "outbox_empty": {
        "vi": "Hàng đợi cảnh báo trống: không có cảnh báo nào đang chờ hay bị lỗi.",
        "en": "The alert outbox is empty: nothing pending or failed.",
    },
    "col_route": {"vi": "Tuyến", "en": "Route"},
    "col_kind": {"vi": "Loại", "en": "Kind"},
    "col_incident": {"vi": "Sự cố", "en": "Incident"},
    "col_status": {"vi": "Trạng thái", "en": "Status"},
    "col_attempts": {"vi": "Lần thử", "en": "Attempts"},
    "col_due": {"vi": "Gửi lúc", "en": "Due"},
    "col_error": {"vi": "Lỗi gần nhất", "en": "Last error"},
    "retried": {
        "vi": "Đã đưa {count} cảnh báo lỗi trở lại hàng đợi.",
        "en": "{count} failed alerts are queued again.",
    },
    "nothing_to_retry": {
        "vi": "Không có cảnh báo lỗi nào để gửi lại.",
        "en": "No failed alerts to retry.",
    },
    "delivered": {
        "vi": "Kết quả gửi: {sent} đã gửi, {retrying} sẽ thử lại, {failed} lỗi.",
        "en": "Delivery: {sent} sent, {retrying} to be retried, {failed} failed.",
    },
    "outbox_totals": {
        "vi": "{pending} đang chờ gửi, {failed} lỗi, {waiting} chờ bản tổng hợp.",
        "en": "{pending} pending, {failed} failed, {waiting} waiting for a summary.",
    },
})

STATUS_NAMES: Texts = _freeze({
    "pending": {"vi": "chờ gửi", "en": "pending"},
    "sending": {"vi": "đang gửi", "en": "sending"},
    "sent": {"vi": "đã gửi", "en": "sent"},
    "failed": {"vi": "lỗi", "en": "failed"},
    "held": {"vi": "chờ tin chống bão", "en": "held for storm summary"},
    "digest": {"vi": "chờ bản tin ngày", "en": "held for digest"},
    "summarized": {"vi": "đã gộp vào bản tổng hợp", "en": "sent in a summary"},
})


def say(texts: Texts, key: str, lang: str, **values: object) -> str:
    """The text `key` in `lang` with `values` filled in (unknown keys: the key itself)."""
    entry = texts.get(key)
    if entry is None:
        return key
    return pick(lang, entry).format(**values)
