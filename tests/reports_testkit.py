"""A fixed incident history for report tests (not a test module).

Five incidents recorded on 14-16 March 2026 (Hanoi time), handled by two
staff members, reported on 24 March 2026 at 16:00 Hanoi time:

  #1 SSH brute force            resolved after 2 days, notified in time
  #2 SSH login after failures    acknowledged, never notified (overdue)
  #3 webshell (critical)         contained, Form 03 sent, resolved, Form 04 late
  #4 SQL injection               false positive
  #5 directory scan (16 March)   new, nobody looked at it

Log lines carry hostile text (HTML, Markdown, a bidi override) to prove the
reports escape it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from secmon.clock import ManualClock
from secmon.config import load_settings
from secmon.config.model import Settings
from secmon.events import Detection, Event
from secmon.incidents.store import IncidentStore
from secmon.playbooks.checklist import checklist_planner
from secmon.playbooks.model import PlaybookSet
from secmon.reports.regime import Regime

DATA = Path(__file__).parent / "data" / "reports"
CONFIG = DATA / "secmon.yaml"
T0 = datetime(2026, 3, 14, 6, 0, tzinfo=UTC)  # 13:00 in Hanoi
REPORT_TIME = datetime(2026, 3, 24, 9, 0, tzinfo=UTC)
AUTH = "/var/log/auth.log"
ACCESS = "/var/log/nginx/access.log"
HOSTILE_UA = 'Mozilla/5.0 <script>alert("x")</script> **bold** | `tick` \u202eevil'


def at(minutes: float = 0, days: float = 0) -> datetime:
    return T0 + timedelta(days=days, minutes=minutes)


def _event(n: int, when: datetime, raw: str, source: str, host: str | None) -> Event:
    return Event(time=when, source=source, parser="syslog" if source == AUTH else "nginx",
                 message=raw, raw=raw, host=host, line_no=n, offset=n * 120)


def _detection(rule: str, category: str, severity: str, title: tuple[str, str],
               key: dict[str, str], count: int, lines: list[tuple[datetime, str]],
               source: str, host: str | None) -> Detection:
    events = tuple(_event(100 + i, when, raw, source, host) for i, (when, raw) in enumerate(lines))
    return Detection(
        rule_id=rule, title={"vi": title[0], "en": title[1]}, category=category,
        severity=severity, tags=(), key=tuple(sorted(key.items())), count=count,
        first_seen=lines[0][0], last_seen=lines[-1][0], evidence=events, source=source,
    )


def detections() -> list[Detection]:
    brute = [
        (at(-20 + i), f"Mar 14 12:{40 + i:02d}:0{i} portal sshd[81{i}]: Failed password for "
                      f"{'root' if i % 2 else 'invalid user admin'} from 203.0.113.50 port "
                      f"5{i}000 ssh2")
        for i in range(4)
    ]
    after = [
        (at(-20), "Mar 14 12:40:02 portal sshd[4001]: Failed password for canbo from "
                  "203.0.113.70 port 40001 ssh2"),
        (at(-19), "Mar 14 12:41:02 portal sshd[4002]: Failed password for canbo from "
                  "203.0.113.70 port 40003 ssh2"),
        (at(-15), "Mar 14 12:45:00 portal sshd[4005]: Accepted password for canbo from "
                  "203.0.113.70 port 40009 ssh2"),
    ]
    shell = [
        (at(30), '203.0.113.77 - - [14/Mar/2026:13:30:00 +0700] "POST /uploads/2026/03/anh.php '
                 f'HTTP/1.1" 200 12 "-" "{HOSTILE_UA}"'),
        (at(31), '203.0.113.77 - - [14/Mar/2026:13:31:00 +0700] "GET /uploads/2026/03/anh.php'
                 '?cmd=id HTTP/1.1" 200 54 "-" "curl/8.5.0"'),
    ]
    sqli = [
        (at(60), '198.51.100.23 - - [14/Mar/2026:14:00:00 +0700] "GET /van-ban?id=1%20UNION'
                 '%20SELECT%201,2 HTTP/1.1" 200 5120 "-" "sqlmap/1.8.2"'),
    ]
    scan = [
        (at(days=2, minutes=i), f'203.0.113.30 - - [16/Mar/2026:13:0{i}:00 +0700] "GET '
                                f'/wp-login{i}.php HTTP/1.1" 404 162 "-" "gobuster/3.6"')
        for i in range(3)
    ]
    return [
        _detection("ssh.brute-force", "brute-force", "high",
                   ("Tấn công dò mật khẩu SSH", "SSH brute force"),
                   {"src_ip": "203.0.113.50"}, 120, brute, AUTH, "portal"),
        _detection("ssh.success-after-failures", "account-compromise", "high",
                   ("Đăng nhập SSH thành công sau nhiều lần thất bại",
                    "SSH login succeeded after many failures"),
                   {"src_ip": "203.0.113.70"}, 7, after, AUTH, "portal"),
        _detection("web.webshell-command", "webshell", "critical",
                   ("Lệnh hệ điều hành gửi tới tệp kịch bản (webshell đang được dùng)",
                    "Shell command sent to a script (webshell in use)"),
                   {"src_ip": "203.0.113.77", "vhost": "dongha.quangtri.gov.vn"}, 3, shell,
                   ACCESS, None),
        _detection("web.sqli-union", "web-attack", "medium",
                   ("Tấn công SQL injection (UNION SELECT)", "SQL injection (UNION SELECT)"),
                   {"src_ip": "198.51.100.23"}, 1, sqli, ACCESS, None),
    ], [
        _detection("web.404-storm", "scanning", "low",
                   ("Dò quét thư mục (nhiều đường dẫn không tồn tại)",
                    "Directory brute forcing (storm of 404s)"),
                   {"src_ip": "203.0.113.30"}, 100, scan, ACCESS, None),
    ]


@dataclass
class Scenario:
    store: IncidentStore
    clock: ManualClock
    settings: Settings


def build(path: Path, books: PlaybookSet, regime: Regime) -> Scenario:
    """Record and handle the five incidents; the clock ends at REPORT_TIME."""
    clock = ManualClock(T0)
    settings = load_settings(CONFIG)
    store = IncidentStore.open(path, clock,
                               plan_checklist=checklist_planner(books, regime.step_deadlines()))
    first, later = detections()
    store.record(first)
    clock.advance(timedelta(minutes=10))
    store.acknowledge(1, "an", "đang xem")
    store.set_step(1, "verify", True, "an", "120 lần thử từ một địa chỉ")
    store.set_step(1, "check-success", True, "an", "không có lần nào thành công")
    clock.advance(timedelta(minutes=10))
    store.acknowledge(2, "an")
    store.set_step(2, "confirm", True, "an", "canbo đăng nhập từ 203.0.113.70 lúc 12:45")
    store.set_step(2, "lock-account", True, "an")
    clock.advance(timedelta(minutes=20))
    store.contain(3, "binh", "chặn IP, cấm chạy PHP trong uploads")
    for step in ("confirm", "volatile-evidence", "contain"):
        store.set_step(3, step, True, "binh")
    clock.advance(timedelta(minutes=5))
    store.set_step(3, "initial-report", True, "binh", "gửi Mẫu 03 qua thư điện tử")
    clock.advance(timedelta(minutes=25))
    store.resolve(4, "an", "kiểm thử của nhà cung cấp phần mềm", false_positive=True)
    clock.advance(timedelta(days=1))
    store.set_step(3, "notify", True, "binh")
    clock.advance(timedelta(days=1))
    store.record(later)
    store.set_step(1, "notify", True, "an", "chỉ ghi nhận nội bộ")
    store.resolve(1, "an", "đã chặn bằng fail2ban")
    clock.advance(timedelta(days=1))
    store.resolve(3, "binh", "đã xóa webshell, vá chức năng tải lên")
    clock.advance(timedelta(days=6))
    store.set_step(3, "final-report", True, "binh")
    clock.advance(REPORT_TIME - clock.now())
    return Scenario(store, clock, settings)
