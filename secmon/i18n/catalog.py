"""Message catalog: key -> {vi, en}. Placeholders use str.format names."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    # scan / rules test summaries
    "scan.header": {
        "vi": "Phát hiện ({count})",
        "en": "Detections ({count})",
    },
    "scan.none": {
        "vi": "Không phát hiện dấu hiệu tấn công nào.",
        "en": "No attacks detected.",
    },
    "scan.totals": {
        "vi": "Đã đọc {lines} dòng từ {files} tệp ({rate} dòng/giây); {skipped} dòng không phân tích được đã bỏ qua.",
        "en": "Read {lines} lines from {files} files ({rate} lines/s); {skipped} unparseable lines skipped.",
    },
    "scan.source": {
        "vi": "  {source}: loại {type}, {lines} dòng, {skipped} dòng lỗi định dạng",
        "en": "  {source}: type {type}, {lines} lines, {skipped} malformed",
    },
    "scan.stored": {
        "vi": "Sự cố: {opened} mới, {updated} cập nhật, {reopened} mở lại (CSDL: {db}).",
        "en": "Incidents: {opened} new, {updated} updated, {reopened} reopened (database: {db}).",
    },
    "scan.no_db": {
        "vi": "Chạy thử (--no-db): không ghi sự cố vào CSDL.",
        "en": "Dry run (--no-db): no incidents written.",
    },
    "scan.undetected_type": {
        "vi": "không nhận ra định dạng của {path}; hãy chỉ rõ bằng --type",
        "en": "cannot tell the log format of {path}; name it with --type",
    },
    "scan.no_files": {
        "vi": "không có tệp nào khớp với {pattern}",
        "en": "no file matches {pattern}",
    },
    "col.rule": {"vi": "Luật", "en": "Rule"},
    "col.title": {"vi": "Mô tả", "en": "Title"},
    "col.category": {"vi": "Loại", "en": "Category"},
    "col.severity": {"vi": "Mức độ", "en": "Severity"},
    "col.key": {"vi": "Đối tượng", "en": "Key"},
    "col.count": {"vi": "Số lần", "en": "Count"},
    "col.first": {"vi": "Lần đầu", "en": "First seen"},
    "col.last": {"vi": "Lần cuối", "en": "Last seen"},
    "col.id": {"vi": "Mã", "en": "ID"},
    "col.status": {"vi": "Trạng thái", "en": "Status"},
    "col.line": {"vi": "Dòng", "en": "Line"},
    "col.fields": {"vi": "Trường", "en": "Fields"},
    "rules.ok": {
        "vi": "{rules} luật trong {files} tệp: hợp lệ.",
        "en": "{rules} rules in {files} files: valid.",
    },
    "rules.problems": {
        "vi": "{count} lỗi trong luật; chưa nạp luật nào.",
        "en": "{count} problems in the rules; nothing was loaded.",
    },
    "rules.selftest_failed": {
        "vi": "{count} phép thử của luật không đạt.",
        "en": "{count} rule self-tests failed.",
    },
    "rules.selftest_ok": {
        "vi": "{count} phép thử của luật đều đạt.",
        "en": "All {count} rule self-tests passed.",
    },
    "rulestest.summary": {
        "vi": "{lines} dòng: {parsed} phân tích được, {skipped} lỗi định dạng, {matched} khớp ít nhất một luật, {allowlisted} chỉ khớp luật nhưng thuộc danh sách cho phép, {unmatched} không khớp luật nào.",
        "en": "{lines} lines: {parsed} parsed, {skipped} malformed, {matched} matched at least one rule, {allowlisted} matched only allowlisted, {unmatched} matched none.",
    },
    "rulestest.per_rule": {"vi": "Số dòng khớp theo luật:", "en": "Lines matched per rule:"},
    "rulestest.unmatched": {
        "vi": "Dòng không khớp luật nào (tối đa {limit}):",
        "en": "Lines no rule matched (first {limit}):",
    },
    "rulestest.malformed": {
        "vi": "Dòng không phân tích được (tối đa {limit}):",
        "en": "Lines that did not parse (first {limit}):",
    },
    "incidents.none": {"vi": "Không có sự cố nào.", "en": "No incidents."},
    "incidents.changed": {
        "vi": "Sự cố #{id}: {old} → {new}.",
        "en": "Incident #{id}: {old} → {new}.",
    },
    "incidents.noted": {"vi": "Đã ghi chú vào sự cố #{id}.", "en": "Note added to incident #{id}."},
    "incident.timeline": {"vi": "Diễn biến", "en": "Timeline"},
    "incident.evidence": {
        "vi": "Bằng chứng ({shown}/{total} dòng)",
        "en": "Evidence ({shown} of {total} lines)",
    },
    "demo.intro": {
        "vi": "secmon demo: phát lại nhật ký mẫu ({files}) qua toàn bộ quy trình, CSDL tạm {db}",
        "en": "secmon demo: replaying sample logs ({files}) through the whole pipeline, scratch database {db}",
    },
    "demo.incidents": {
        "vi": "Sự cố đã ghi nhận ({count}):",
        "en": "Incidents recorded ({count}):",
    },
    "error.prefix": {"vi": "Lỗi", "en": "Error"},
    # statuses, severities
    "status.new": {"vi": "mới", "en": "new"},
    "status.acknowledged": {"vi": "đã tiếp nhận", "en": "acknowledged"},
    "status.contained": {"vi": "đã ngăn chặn", "en": "contained"},
    "status.resolved": {"vi": "đã khắc phục", "en": "resolved"},
    "status.false_positive": {"vi": "cảnh báo nhầm", "en": "false positive"},
    "severity.info": {"vi": "thông tin", "en": "info"},
    "severity.low": {"vi": "thấp", "en": "low"},
    "severity.medium": {"vi": "trung bình", "en": "medium"},
    "severity.high": {"vi": "cao", "en": "high"},
    "severity.critical": {"vi": "nghiêm trọng", "en": "critical"},
}
