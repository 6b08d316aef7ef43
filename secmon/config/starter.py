"""`secmon init`: a commented starter secmon.yaml for a Debian/Ubuntu web server.

The logs present decide what is written: auth.log (else the journal),
nginx or Apache logs, mail.log, and the web root. `root` is where the
system's files are looked for ("/" normally; a container's or a test's
folder otherwise); the paths written are the paths under it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

HEADER = """\
# secmon.yaml: cấu hình của secmon / secmon configuration
# Tạo bởi `secmon init`; xem lại rồi kiểm tra bằng: secmon config check -c THIS_FILE
# Written by `secmon init`; review it, then check it with: secmon config check -c THIS_FILE
# Mọi khóa đều được kiểm tra: khóa sai tên là lỗi, báo rõ tệp:dòng:cột.
# Every key is checked: a misspelt key is an error naming file:line:column.
version: 1

language: vi                       # vi | en: cảnh báo, báo cáo / alerts, reports
timezone: Asia/Ho_Chi_Minh         # cho nhật ký không ghi múi giờ / for logs without a time zone
database: /var/lib/secmon/secmon.db

organisation:                      # dùng trong báo cáo / used in reports
  name: "UBND ..."                 # tên đơn vị / organisation name
  # address: "..."
  # contact: "Nguyễn Văn A, 0912 345 678"   # người liên hệ / contact person
  # email: "cntt@example.gov.vn"

rules:
  builtin: true                    # các luật có sẵn / the shipped rules
  # dirs: [/etc/secmon/rules.d]    # luật riêng, ghi đè / your own rules and overrides

allowlist:                         # không bao giờ báo về / never alert on these
  cidrs: []                        # ví dụ / e.g. [10.0.0.0/8, 192.168.1.0/24]
  users: []
  paths: []
"""

INPUTS_HEAD = """
inputs:
  # end: tệp thấy lần đầu được đọc từ cuối (chỉ dòng mới) / files seen the first time are read
  # from their end (new lines only); beginning: from their first line.
  start_at: end
  poll_interval: 1s                # kiểm tra định kỳ khi không có sự kiện inotify / stat fallback
  # type: auto | syslog | nginx | apache | nginx-error | apache-error | json
"""

SYSLOG_BLOCK = """\
  # Nhận syslog từ các máy chủ khác (xem docs/rsyslog-forwarding.md); UDP/TCP không được
  # xác nhận: bản tin đã nhận mà chưa ghi sẽ mất nếu secmon bị dừng đột ngột.
  # Receive syslog from other servers (see docs/rsyslog-forwarding.md); UDP/TCP syslog is not
  # acknowledged: messages received but not yet committed are lost if secmon crashes.
  # syslog:
  #   bind: 0.0.0.0
  #   udp_port: 5514
  #   tcp_port: 5514
  #   allowed: [10.0.0.0/8]        # chỉ nhận từ các mạng này / accept only these networks
"""

NOTIFY_BLOCK = """
# Cảnh báo qua chat và email (Apprise); bí mật lấy từ biến môi trường ${...} hoặc tệp.
# Alerts by chat and email (Apprise); secrets come from ${...} environment variables or files.
# notify:
#   routes:
#     - name: it-team
#       urls: ["tgram://${TELEGRAM_TOKEN}/${TELEGRAM_CHAT}", "mailtos://..."]
#       min_severity: medium
"""


@dataclass(frozen=True, slots=True)
class Found:
    """What `secmon init` found on the machine (paths as secmon will see them)."""

    auth_log: Path | None
    nginx_dir: Path | None
    apache_dir: Path | None
    mail_log: Path | None
    web_root: Path | None


def look_around(root: Path) -> Found:
    def existing(*parts: str) -> Path | None:
        path = root.joinpath(*parts)
        return path if path.exists() else None

    web_root = existing("var", "www", "html") or existing("var", "www")
    return Found(
        auth_log=existing("var", "log", "auth.log"),
        nginx_dir=existing("var", "log", "nginx"),
        apache_dir=existing("var", "log", "apache2") or existing("var", "log", "httpd"),
        mail_log=existing("var", "log", "mail.log"),
        web_root=web_root,
    )


def _quoted(path: Path | str) -> str:
    text = str(path).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def _entry(path: Path, type_name: str, comment: str = "") -> str:
    return f"    - path: {_quoted(path)}{comment}\n      type: {type_name}\n"


def starter_config(found: Found) -> str:
    """The starter secmon.yaml text for what was found."""
    out = [HEADER, INPUTS_HEAD]
    out.append("  files:\n" if found.auth_log or found.nginx_dir or found.apache_dir
               or found.mail_log else "  files: []\n")
    journald = False
    if found.auth_log is not None:
        out.append(f"    - path: {_quoted(found.auth_log)}   # SSH, sudo\n")
        out.append("      type: syslog\n")
    else:
        journald = True
        out.append("    # không có auth.log: đọc journald / no auth.log: the journal is read\n")
    if found.nginx_dir is not None:
        out.append(_entry(found.nginx_dir / "*access.log", "nginx"))
        out.append(_entry(found.nginx_dir / "*error.log", "nginx-error"))
    if found.apache_dir is not None:
        out.append(_entry(found.apache_dir / "*access.log", "apache"))
        out.append(_entry(found.apache_dir / "*error.log", "apache-error"))
    if found.nginx_dir is None and found.apache_dir is None:
        out.append("    # không thấy nhật ký nginx hay Apache / no nginx or Apache logs found:\n")
        out.append('    # - {path: "/var/log/nginx/*access.log", type: nginx}\n')
        out.append('    # - {path: "/var/log/apache2/*access.log", type: apache}\n')
    if found.mail_log is not None:
        out.append(_entry(found.mail_log, "syslog", "   # postfix, dovecot"))
    if journald:
        out.append("  journald: {}                     # cả journal; hoặc / the whole journal; or"
                   " {units: [ssh.service]}\n")
    else:
        out.append("  # journald: {units: [ssh.service]}   # cho máy không có auth.log / for hosts"
                   " without auth.log\n")
    out.append(SYSLOG_BLOCK)
    out.append("\n# Thư mục web được theo dõi (thay đổi giao diện, webshell) / web roots watched"
               " (defacement, webshells)\n")
    if found.web_root is not None:
        out.append("web_roots:\n")
        out.append(f"  - path: {_quoted(found.web_root)}\n")
        out.append("    ignore: [cache/**]             # thư mục đệm / cache folders\n")
    else:
        out.append("# web_roots:\n#   - path: /var/www/html\n#     ignore: [cache/**]\n")
    out.append(NOTIFY_BLOCK)
    return "".join(out)
