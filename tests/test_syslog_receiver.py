"""The syslog receiver, fed by real clients: util-linux `logger`, rsyslog, raw sockets.

No fixed sleeps: every test waits for delivery by polling drain() (or stats())
against a deadline.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from secmon.clock import ManualClock
from secmon.errors import SecmonError
from secmon.parsers.base import ParseContext
from secmon.parsers.registry import make_parser
from secmon.sources.syslog_receiver import ReceivedMessage, ReceiverStats, SyslogReceiver

NOW = datetime(2026, 3, 14, 6, 0, 1, tzinfo=UTC)
LOCAL = "127.0.0.1"
SSH_FAIL = "Failed password for root from 203.0.113.9 port 50273 ssh2"
DEADLINE = 10.0

needs_logger = pytest.mark.skipif(
    shutil.which("logger") is None, reason="util-linux logger missing"
)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def receiver(clock: ManualClock) -> Iterator[SyslogReceiver]:
    with SyslogReceiver(LOCAL, 0, 0, clock=clock) as rx:
        yield rx


def collect(rx: SyslogReceiver, count: int, timeout: float = DEADLINE) -> list[ReceivedMessage]:
    """Drain until `count` messages came (or the deadline passed); return them all."""
    got: list[ReceivedMessage] = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        rx.wait(0.05)
        got += rx.drain()
    return got


def until(condition: Callable[[], bool], timeout: float = DEADLINE) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)  # polling a condition, not waiting for time to pass
    return True


def texts(messages: list[ReceivedMessage]) -> list[str]:
    return [m.text for m in messages]


def logger(rx: SyslogReceiver, *args: str) -> None:
    tcp = "--tcp" in args
    port = rx.tcp_port_bound if tcp else rx.udp_port_bound
    subprocess.run(
        ["logger", "--server", LOCAL, "--port", str(port), "-t", "sshd", *args],
        check=True,
        timeout=DEADLINE,
    )


def tcp_send(rx: SyslogReceiver, *chunks: bytes) -> None:
    assert rx.tcp_port_bound is not None
    with socket.create_connection((LOCAL, rx.tcp_port_bound)) as conn:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for chunk in chunks:
            conn.sendall(chunk)


def udp_send(rx: SyslogReceiver, *datagrams: bytes) -> None:
    assert rx.udp_port_bound is not None
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for datagram in datagrams:
            sock.sendto(datagram, (LOCAL, rx.udp_port_bound))


def syslog_parse(text: str):  # type: ignore[no-untyped-def]
    ctx = ParseContext("syslog", UTC, datetime.now(UTC))
    return make_parser("syslog", ctx).parse(text)


# --- real client: logger ------------------------------------------------------


@needs_logger
@pytest.mark.parametrize(
    "args",
    [
        ("--udp", "--rfc3164"),
        ("--udp", "--rfc5424"),
        ("--tcp", "--rfc3164"),
        ("--tcp", "--rfc5424"),
        ("--tcp", "--rfc3164", "--octet-count"),
        ("--tcp", "--rfc5424", "--octet-count"),
    ],
)
def test_logger_message_arrives_and_parses(receiver: SyslogReceiver, args: tuple[str, ...]) -> None:
    logger(receiver, "-p", "auth.warning", *args, SSH_FAIL)
    [message] = collect(receiver, 1)
    assert message.transport == args[0][2:]
    assert (message.peer_ip, message.peer_host) == (LOCAL, LOCAL)
    assert message.received_at == NOW
    assert message.source == f"syslog+{args[0][2:]}://127.0.0.1"
    assert message.text.startswith("<36>") and message.text.endswith(SSH_FAIL)
    event = syslog_parse(message.text)
    assert event is not None
    assert (event.host, event.program, event.message) == (socket.gethostname(), "sshd", SSH_FAIL)
    assert event.fields["facility"] == "auth" and event.fields["severity"] == "warning"


@needs_logger
@pytest.mark.parametrize("octet", [False, True])
def test_logger_file_many_messages_on_one_connection(
    receiver: SyslogReceiver, tmp_path: Path, octet: bool
) -> None:
    lines = [f"Invalid user u{i} from 198.51.100.{i % 250} port {40000 + i}" for i in range(300)]
    source = tmp_path / "lines.txt"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    logger(receiver, "--tcp", "--rfc3164", *(["--octet-count"] if octet else []), "-f", str(source))
    got = collect(receiver, 300)
    assert [m.text.split("sshd: ", 1)[1] for m in got] == lines
    assert receiver.stats().connections_total == 1


# --- raw sockets: framing over the wire -----------------------------------------


def test_several_messages_in_one_packet_and_one_split_across_packets(
    receiver: SyslogReceiver,
) -> None:
    tcp_send(
        receiver,
        b"<13>one\n<13>two\r\n9 <13>three<13>fo",
        b"ur\n1",
        b"0 <13>five",
        b"67\n",
    )
    assert texts(collect(receiver, 5)) == [
        "<13>one",
        "<13>two",
        "<13>three",
        "<13>four",
        "<13>five67",
    ]


def test_udp_one_message_per_datagram_newline_stripped(receiver: SyslogReceiver) -> None:
    udp_send(receiver, b"<13>first\n", b"<13>two\nlines\r\n", b"\n", b"<13>bad \xff\n")
    assert texts(collect(receiver, 3)) == ["<13>first", "<13>two\nlines", "<13>bad \ufffd"]


def test_oversize_messages_are_cut_with_marker(clock: ManualClock) -> None:
    with SyslogReceiver(LOCAL, 0, 0, max_message=16, clock=clock) as rx:
        udp_send(rx, b"<13>" + b"u" * 100)
        assert texts(collect(rx, 1)) == ["<13>uuuuuuuuuuuu [secmon: line cut, 88 bytes dropped]"]
        tcp_send(rx, b"<13>" + b"t" * 100 + b"\n", b"104 <13>" + b"c" * 100, b"<13>short\n")
        assert texts(collect(rx, 3)) == [
            "<13>tttttttttttt [secmon: line cut, 88 bytes dropped]",
            "<13>cccccccccccc [secmon: line cut, 88 bytes dropped]",
            "<13>short",
        ]
        assert rx.stats().truncated == 3


def test_garbage_count_is_counted_and_the_stream_resynchronises(receiver: SyslogReceiver) -> None:
    tcp_send(receiver, b"99999999999 <13>junk\n<13>after junk\n", b"\xff\xfe\x00<13>ok\n")
    assert texts(collect(receiver, 3)) == ["<13>after junk", "\ufffd\ufffd", "<13>ok"]
    assert receiver.stats().framing_errors == 1


def test_hostile_64k_lines_over_tcp_and_udp(clock: ManualClock) -> None:
    with SyslogReceiver(LOCAL, 0, 0, queue_size=30_000, clock=clock) as rx:
        start = time.perf_counter()
        tcp_send(rx, b"9" * 65536, b"\n<13>" + b"a" * 70000 + b"\n", b"1 x" * 20000 + b"\n")
        udp_send(rx, b"<" + b"(" * 65000)
        got = collect(rx, 20002)
        assert len(got) == 20002
        assert time.perf_counter() - start < 5
        stats = rx.stats()
        assert (stats.framing_errors, stats.truncated, stats.dropped_queue_full) == (1, 1, 0)
        long_tcp = next(m.text for m in got if m.text.startswith("<13>a"))
        assert long_tcp == "<13>" + "a" * 65532 + " [secmon: line cut, 4468 bytes dropped]"
        assert sum(m.text == "x" for m in got) == 20000
        assert next(m.text for m in got if m.transport == "udp") == "<" + "(" * 65000


def test_many_connections_at_once(receiver: SyslogReceiver) -> None:
    conns = [socket.create_connection((LOCAL, receiver.tcp_port_bound)) for _ in range(50)]
    try:
        for round_no in range(10):
            for index, conn in enumerate(conns):
                conn.sendall(f"<13>c{index} m{round_no}\n".encode())
        got = collect(receiver, 500)
    finally:
        for conn in conns:
            conn.close()
    assert len(got) == 500
    for index in range(50):  # each connection's messages in order
        mine = [t for t in texts(got) if t.startswith(f"<13>c{index} ")]
        assert mine == [f"<13>c{index} m{r}" for r in range(10)]
    assert until(lambda: receiver.stats().connections_open == 0)
    assert receiver.stats().connections_total == 50


def test_connections_over_the_limit_are_refused(clock: ManualClock) -> None:
    with SyslogReceiver(LOCAL, None, 0, max_connections=2, clock=clock) as rx:
        first = socket.create_connection((LOCAL, rx.tcp_port_bound))
        second = socket.create_connection((LOCAL, rx.tcp_port_bound))
        first.sendall(b"<13>a\n")
        second.sendall(b"<13>b\n")
        assert sorted(texts(collect(rx, 2))) == ["<13>a", "<13>b"]
        third = socket.create_connection((LOCAL, rx.tcp_port_bound))
        third.settimeout(DEADLINE)
        assert _closed_by_peer(third)
        assert rx.stats().connections_refused == 1
        for conn in (first, second, third):
            conn.close()


def _closed_by_peer(conn: socket.socket) -> bool:
    try:
        return conn.recv(1) == b""
    except ConnectionResetError:
        return True


def test_idle_connection_times_out_and_its_partial_message_is_kept(clock: ManualClock) -> None:
    with SyslogReceiver(LOCAL, None, 0, idle_timeout=0.2, clock=clock) as rx:
        conn = socket.create_connection((LOCAL, rx.tcp_port_bound))
        conn.settimeout(DEADLINE)
        conn.sendall(b"<13>complete\n<13>partial")
        assert _closed_by_peer(conn)
        conn.close()
        assert texts(collect(rx, 2)) == ["<13>complete", "<13>partial"]
        stats = rx.stats()
        assert (stats.connections_timed_out, stats.connections_open) == (1, 0)


def test_allowlist_drops_and_counts_other_senders(clock: ManualClock) -> None:
    with SyslogReceiver(LOCAL, 0, 0, allowed=["10.0.0.0/8", "192.0.2.7"], clock=clock) as rx:
        udp_send(rx, b"<13>denied 1", b"<13>denied 2")
        conn = socket.create_connection((LOCAL, rx.tcp_port_bound))
        conn.settimeout(DEADLINE)
        assert _closed_by_peer(conn)
        conn.close()
        assert until(lambda: rx.stats().denied_datagrams == 2)
        stats = rx.stats()
        assert (stats.denied_connections, stats.received) == (1, 0)
        assert rx.drain() == []
    with SyslogReceiver(LOCAL, 0, None, allowed=["127.0.0.0/8"], clock=clock) as rx:
        udp_send(rx, b"<13>allowed")
        assert texts(collect(rx, 1)) == ["<13>allowed"]


def test_bad_allowlist_entries_are_all_named() -> None:
    with pytest.raises(SecmonError) as error:
        SyslogReceiver(LOCAL, 0, 0, allowed=["10.0.0.0/8", "10.0.0.300", "office"])
    assert "'10.0.0.300', 'office'" in str(error.value)
    assert str(error.value).startswith("danh sách máy gửi syslog được phép")


def test_full_queue_drops_and_counts_without_blocking(clock: ManualClock) -> None:
    with SyslogReceiver(LOCAL, None, 0, queue_size=5, clock=clock) as rx:
        tcp_send(rx, b"".join(b"<13>m%d\n" % i for i in range(20)))
        assert until(lambda: rx.stats().received + rx.stats().dropped_queue_full == 20)
        stats = rx.stats()
        assert (stats.received, stats.dropped_queue_full, stats.queued) == (5, 15, 5)
        assert texts(rx.drain()) == [f"<13>m{i}" for i in range(5)]
        tcp_send(rx, b"<13>after drain\n")  # still alive
        assert texts(collect(rx, 1)) == ["<13>after drain"]


def test_drain_respects_max_items_and_never_blocks(receiver: SyslogReceiver) -> None:
    start = time.perf_counter()
    assert receiver.drain() == []
    assert receiver.wait(0) is False
    assert time.perf_counter() - start < 0.5
    udp_send(receiver, *(b"<13>%d" % i for i in range(5)))
    assert until(lambda: receiver.stats().queued == 5)
    assert texts(receiver.drain(2)) == ["<13>0", "<13>1"]
    assert receiver.wait(0) is True
    assert texts(receiver.drain(10)) == ["<13>2", "<13>3", "<13>4"]
    assert receiver.wait(0) is False


def test_stop_closes_everything_promptly(clock: ManualClock) -> None:
    rx = SyslogReceiver(LOCAL, 0, 0, clock=clock)
    rx.start()
    port = rx.tcp_port_bound
    idle = socket.create_connection((LOCAL, port))
    idle.settimeout(DEADLINE)
    udp_send(rx, b"<13>queued before stop")
    assert until(lambda: rx.stats().queued == 1)
    start = time.perf_counter()
    rx.stop()
    assert time.perf_counter() - start < 1.0
    assert _closed_by_peer(idle)
    idle.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((LOCAL, port), timeout=DEADLINE)
    assert texts(rx.drain()) == ["<13>queued before stop"]
    rx.stop()  # twice is fine


def test_port_in_use_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind((LOCAL, 0))
        taken.listen()
        port = taken.getsockname()[1]
        rx = SyslogReceiver(LOCAL, None, port)
        with pytest.raises(SecmonError) as error:
            rx.start()
    assert str(error.value).endswith(
        f"/ {LOCAL} tcp/{port} is already in use (by rsyslog?); stop that program"
        " or choose another port"
    )


def test_bind_must_be_an_ip_address() -> None:
    with pytest.raises(SecmonError, match="'localhost' is not an IP address"):
        SyslogReceiver("localhost", 0, None).start()


def test_ipv6_any_also_receives_ipv4_with_a_plain_peer_address(clock: ManualClock) -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    rx = SyslogReceiver("::", 0, 0, clock=clock)
    try:
        rx.start()
    except SecmonError as error:
        pytest.skip(f"cannot bind '::' here: {error}")
    try:
        tcp_send(rx, b"<13>over v4\n")
        [message] = collect(rx, 1)
    finally:
        rx.stop()
    assert (message.peer_ip, message.text) == (LOCAL, "<13>over v4")


def test_stats_start_at_zero(receiver: SyslogReceiver) -> None:
    assert receiver.stats() == ReceiverStats()


# --- real forwarding from rsyslog ---------------------------------------------------

RSYSLOG_CONF = """\
global(workDirectory="{work}")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="{socket}")
# the three forwarding variants of docs/rsyslog-forwarding.md
*.* @{host}:{udp}
*.* @@{host}:{tcp}
*.* action(type="omfwd" target="{host}" port="{tcp}" protocol="tcp"
           TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format"
           queue.type="LinkedList" queue.filename="secmon_fwd" queue.maxDiskSpace="1g"
           queue.saveOnShutdown="on" action.resumeRetryCount="-1")
"""


@pytest.mark.slow
@needs_logger
def test_rsyslog_forwarding_udp_tcp_and_octet_counted(
    receiver: SyslogReceiver, tmp_path: Path
) -> None:
    rsyslogd = shutil.which("rsyslogd") or (
        "/usr/sbin/rsyslogd" if Path("/usr/sbin/rsyslogd").exists() else None
    )
    if rsyslogd is None:
        pytest.skip("rsyslogd missing (Debian/Ubuntu package: rsyslog)")
    log_socket = tmp_path / "log.sock"
    conf = tmp_path / "rsyslog.conf"
    conf.write_text(
        RSYSLOG_CONF.format(
            work=tmp_path,
            socket=log_socket,
            host=LOCAL,
            udp=receiver.udp_port_bound,
            tcp=receiver.tcp_port_bound,
        ),
        encoding="utf-8",
    )
    daemon = subprocess.Popen(
        [rsyslogd, "-n", "-f", str(conf), "-i", str(tmp_path / "rsyslogd.pid")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert until(lambda: log_socket.exists() or daemon.poll() is not None)
        assert daemon.poll() is None, daemon.communicate()[0].decode(errors="replace")
        subprocess.run(
            ["logger", "--socket", str(log_socket), "-t", "sshd", "-p", "auth.warning", SSH_FAIL],
            check=True,
            timeout=DEADLINE,
        )
        got = collect(receiver, 3)
    finally:
        daemon.terminate()
        daemon.wait(timeout=DEADLINE)
    assert sorted(m.transport for m in got) == ["tcp", "tcp", "udp"]
    octet = [m.text for m in got if m.text.startswith("<36>1 ")]
    assert len(octet) == 1
    for message in got:
        event = syslog_parse(message.text)
        assert event is not None, message.text
        assert (event.host, event.program) == (socket.gethostname(), "sshd")
        assert event.message.strip() == SSH_FAIL
    assert receiver.stats().framing_errors == 0
