"""Bilingual words of `secmon run`, `status`, `init` and `config check` (Vietnamese first)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ..i18n import pick

Texts = Mapping[str, Mapping[str, str]]


def _freeze(data: dict[str, dict[str, str]]) -> Texts:
    return MappingProxyType({k: MappingProxyType(v) for k, v in data.items()})


TEXTS: Texts = _freeze({
    # secmon status
    "running": {
        "vi": "secmon run: đang chạy (pid {pid}, từ {started}, nhịp gần nhất {age} giây trước)",
        "en": "secmon run: running (pid {pid}, since {started}, last heartbeat {age} s ago)",
    },
    "silent": {
        "vi": "secmon run: KHÔNG phản hồi (pid {pid}, nhịp gần nhất {age} giây trước): tiến trình"
              " bị treo hoặc bị dừng đột ngột; xem `journalctl -u secmon`",
        "en": "secmon run: NOT responding (pid {pid}, last heartbeat {age} s ago): hung or"
              " killed; see `journalctl -u secmon`",
    },
    "stopped": {
        "vi": "secmon run: đã dừng lúc {stopped}",
        "en": "secmon run: stopped at {stopped}",
    },
    "never": {
        "vi": "secmon run: chưa từng chạy với cơ sở dữ liệu {db}",
        "en": "secmon run: has never run with the database {db}",
    },
    "col_source": {"vi": "Nguồn", "en": "Source"},
    "col_input": {"vi": "Loại", "en": "Input"},
    "col_lines": {"vi": "Dòng đã đọc", "en": "Lines read"},
    "col_malformed": {"vi": "Lỗi định dạng", "en": "Malformed"},
    "col_lag": {"vi": "Chưa đọc (byte)", "en": "Behind (bytes)"},
    "col_last": {"vi": "Sự kiện cuối", "en": "Last event"},
    "col_idle": {"vi": "Im lặng", "en": "Quiet for"},
    "no_sources": {"vi": "Chưa đọc nguồn nào.", "en": "No input read yet."},
    "rotated": {"vi": "{lag} (đã xoay vòng)", "en": "{lag} (rotated)"},
    "missing": {"vi": "không thấy tệp", "en": "file missing"},
    "open_incidents": {
        "vi": "Sự cố đang mở: {total} ({parts})",
        "en": "Open incidents: {total} ({parts})",
    },
    "outbox": {
        "vi": "Cảnh báo chờ gửi: {pending}, gửi lỗi: {failed}",
        "en": "Alerts waiting: {pending}, failed: {failed}",
    },
    "syslog_rx": {
        "vi": "Bộ nhận syslog {bind} (udp {udp}, tcp {tcp}): đã nhận {received}, bỏ vì hàng đợi"
              " đầy {dropped}, từ chối {denied}",
        "en": "Syslog receiver {bind} (udp {udp}, tcp {tcp}): received {received}, dropped"
              " (queue full) {dropped}, denied {denied}",
    },
    "journald_rx": {
        "vi": "journald ({units}): {state}, chạy lại {restarts} lần",
        "en": "journald ({units}): {state}, restarted {restarts} times",
    },
    "journald_running": {"vi": "đang đọc", "en": "reading"},
    "journald_waiting": {"vi": "đang chờ chạy lại journalctl", "en": "waiting to rerun journalctl"},
    "all_units": {"vi": "mọi unit", "en": "all units"},
    "last_reload_failed": {
        "vi": "Lần nạp lại cấu hình lúc {at} bị từ chối (vẫn chạy cấu hình cũ):",
        "en": "The config reload at {at} was refused (the old config keeps running):",
    },
    # secmon config check
    "config_ok": {
        "vi": "Cấu hình {path} hợp lệ: {rules} luật, {playbooks} kịch bản, {inputs}.",
        "en": "The config {path} is valid: {rules} rules, {playbooks} playbooks, {inputs}.",
    },
    "inputs_summary": {
        "vi": "{files} mục tệp nhật ký, journald: {journald}, syslog: {syslog}",
        "en": "{files} log file entries, journald: {journald}, syslog: {syslog}",
    },
    "yes": {"vi": "có", "en": "yes"},
    "no": {"vi": "không", "en": "no"},
    "no_match": {
        "vi": "{where}: cảnh báo: hiện chưa có tệp nào khớp {path} (secmon sẽ đọc khi tệp"
              " xuất hiện)",
        "en": "{where}: warning: no file matches {path} yet (secmon reads it once it appears)",
    },
    "no_config": {
        "vi": "cần chỉ ra tệp cấu hình bằng -c hoặc biến SECMON_CONFIG (tạo tệp mẫu bằng"
              " `secmon init`)",
        "en": "name the config file with -c or SECMON_CONFIG (write a starter one with"
              " `secmon init`)",
    },
    "no_inputs": {
        "vi": "cấu hình {path} không có nguồn nhật ký nào: thêm inputs.files, inputs.journald hoặc"
              " inputs.syslog (tạo tệp mẫu bằng `secmon init`)",
        "en": "the config {path} has no inputs: add inputs.files, inputs.journald or"
              " inputs.syslog (write a starter config with `secmon init`)",
    },
    # secmon init
    "init_written": {
        "vi": "Đã ghi cấu hình mẫu vào {path}. Xem lại, rồi kiểm tra: secmon config check"
              " -c {path}",
        "en": "Starter config written to {path}. Review it, then check it: secmon config check"
              " -c {path}",
    },
    "init_exists": {
        "vi": "{path} đã có; thêm --force để ghi đè",
        "en": "{path} exists already; add --force to overwrite it",
    },
    "init_cannot_write": {
        "vi": "không ghi được {path}: {reason} (cần quyền root cho /etc/secmon? dùng sudo, hoặc"
              " chọn đường dẫn khác)",
        "en": "cannot write {path}: {reason} (root needed for /etc/secmon? use sudo, or give"
              " another path)",
    },
})


def say(key: str, lang: str, **values: object) -> str:
    """The text `key` in `lang` with `values` filled in."""
    return pick(lang, TEXTS[key]).format(**values)
