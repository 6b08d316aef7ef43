"""sd_notify over a real datagram socket, journald-style logging, signal flags."""

from __future__ import annotations

import io
import logging
import os
import signal
import socket
from pathlib import Path

import pytest

from secmon.daemon.logsetup import setup_logging
from secmon.daemon.signals import SignalFlags
from secmon.daemon.systemd import SystemdNotifier


def test_notify_sends_datagrams_to_the_socket(tmp_path: Path) -> None:
    address = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(address))
        sock.settimeout(5)
        notifier = SystemdNotifier({"NOTIFY_SOCKET": str(address)})
        assert notifier.enabled
        assert notifier.notify("READY=1") is True
        assert notifier.notify("STATUS=đang chạy") is True
        assert sock.recv(100) == b"READY=1"
        assert sock.recv(100) == "STATUS=đang chạy".encode()


def test_abstract_socket_address() -> None:
    name = f"secmon-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(5)
        assert SystemdNotifier({"NOTIFY_SOCKET": "@" + name}).notify("WATCHDOG=1")
        assert sock.recv(100) == b"WATCHDOG=1"


def test_without_systemd_nothing_happens(tmp_path: Path) -> None:
    assert SystemdNotifier({}).notify("READY=1") is False
    assert SystemdNotifier({"NOTIFY_SOCKET": "relative"}).enabled is False
    gone = SystemdNotifier({"NOTIFY_SOCKET": str(tmp_path / "nobody")})
    assert gone.notify("READY=1") is False  # no listener: not an error


def test_watchdog_interval_is_half_the_period_for_this_process() -> None:
    assert SystemdNotifier({"WATCHDOG_USEC": "10000000"}).watchdog_interval == 5.0
    mine = {"WATCHDOG_USEC": "2000000", "WATCHDOG_PID": str(os.getpid())}
    assert SystemdNotifier(mine).watchdog_interval == 1.0
    other = {"WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "1"}
    assert SystemdNotifier(other).watchdog_interval is None
    assert SystemdNotifier({"WATCHDOG_USEC": "0"}).watchdog_interval is None
    assert SystemdNotifier({}).watchdog_interval is None


@pytest.fixture
def log_output():  # type: ignore[no-untyped-def]
    handlers = []

    def make(env: dict[str, str]) -> io.StringIO:
        stream = io.StringIO()
        handlers.append(setup_logging(env, stream))
        return stream

    yield make
    logger = logging.getLogger("secmon")
    for handler in handlers:
        logger.removeHandler(handler)


def test_journal_format_has_priority_prefixes_on_every_line(log_output) -> None:  # type: ignore[no-untyped-def]
    stream = log_output({"JOURNAL_STREAM": "8:12345"})
    log = logging.getLogger("secmon.daemon")
    log.info("started")
    log.warning("two\nlines")
    log.error("bad")
    assert stream.getvalue() == "<6>started\n<4>two\n<4>lines\n<3>bad\n"


def test_plain_format_outside_systemd(log_output) -> None:  # type: ignore[no-untyped-def]
    stream = log_output({})
    logging.getLogger("secmon.daemon").warning("one\ntwo")
    first, second = stream.getvalue().splitlines()
    assert first.endswith(" WARNING one") and first[:4].isdigit()
    assert second == "    two"


def test_signal_flags() -> None:
    flags = SignalFlags()
    restore = flags.install()
    try:
        os.kill(os.getpid(), signal.SIGHUP)
        assert flags.reload.wait(5)
        assert not flags.stop.is_set()
        os.kill(os.getpid(), signal.SIGTERM)
        assert flags.stop.wait(5)
        assert flags.stop_signal == signal.SIGTERM
        with pytest.raises(KeyboardInterrupt):
            flags.request_stop(signal.SIGINT)  # a second interrupt gives up at once
    finally:
        restore()
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
