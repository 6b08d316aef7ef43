"""`secmon run` end to end: a real daemon process, real files, sockets and signals.

Each test starts `python -m secmon.cli run -c CONFIG` on a temporary folder
and database, writes logs (or sends syslog with util-linux `logger`), and
reads the database from outside. Figures (latency, kill/restart loop) are
printed; run with `-s` to see them.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest
from daemon_testkit import (
    DEADLINE,
    DaemonProcess,
    attack_line,
    config_text,
    counts,
    files_inputs,
    incidents,
    lines_read,
    query,
    status,
    until,
)

pytestmark = pytest.mark.slow

BRUTE, FAIL = "t.ssh-brute", "t.ssh-fail"


def setup(
    tmp_path: Path, inputs: str | None = None, extra: str = "", playbooks: bool = False
) -> tuple[Path, Path, Path]:
    logs = tmp_path / "logs"
    logs.mkdir()
    auth = logs / "auth.log"
    db = tmp_path / "secmon.db"
    config = tmp_path / "secmon.yaml"
    config.write_text(config_text(db, inputs or files_inputs(auth), extra=extra,
                                  playbooks=playbooks))
    return auth, db, config


def append(path: Path, lines: list[str]) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("".join(lines))


# --------------------------------------------------------------- latency


def test_appended_lines_become_an_incident_within_two_seconds(tmp_path: Path) -> None:
    auth, db, config = setup(tmp_path, playbooks=True)
    auth.write_text("")
    latencies = []
    with DaemonProcess(config, tmp_path / "daemon.log") as daemon:
        daemon.wait_running(db)
        for round_no in range(8):
            ip = f"203.0.113.{round_no + 1}"
            started = time.monotonic()
            append(auth, [attack_line(round_no * 10 + i, ip) for i in range(5)])
            seen = until(lambda ip=ip: counts(db).get((BRUTE, ip)) == 5, deadline=2.0, step=0.005)
            latencies.append(time.monotonic() - started)
            time.sleep(0.5)  # attacks apart, not back to back
            assert seen, f"no incident for {ip} within 2 s:\n{daemon.output()}"
        assert daemon.stop() == 0
    # each incident got its checklist from the shipped playbooks when it opened
    assert query(db, "SELECT COUNT(*) FROM incidents WHERE playbook IS NULL") == [(0,)]
    assert query(db, "SELECT COUNT(DISTINCT incident_id) FROM checklists") == [(16,)]
    print(
        f"\ndetection latency over {len(latencies)} attacks: median"
        f" {statistics.median(latencies) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
    )
    assert max(latencies) < 2.0


# --------------------------------------------------------------- rotation


def test_rename_rotation_and_copytruncate_in_the_middle_of_an_attack(tmp_path: Path) -> None:
    auth, db, config = setup(tmp_path)
    ip = "198.51.100.7"
    n = 0

    def attack(handle, count: int) -> None:  # type: ignore[no-untyped-def]
        nonlocal n
        for _ in range(count):
            handle.write(attack_line(n, ip))
            n += 1
        handle.flush()

    writer = open(auth, "a", encoding="utf-8")
    with DaemonProcess(config, tmp_path / "daemon.log") as daemon:
        daemon.wait_running(db)
        attack(writer, 120)
        time.sleep(0.3)  # let the daemon be in the middle of the attack
        # logrotate `create`: rename, new file; the writer keeps writing to the old one
        os.rename(auth, auth.with_name("auth.log.1"))
        auth.write_text("")
        attack(writer, 40)  # lines written to the renamed file before the writer reopens
        writer.close()
        writer = open(auth, "a", encoding="utf-8")
        attack(writer, 120)
        time.sleep(0.3)
        # logrotate `copytruncate`: .1 -> .2, copy, truncate in place
        os.rename(auth.with_name("auth.log.1"), auth.with_name("auth.log.2"))
        shutil.copyfile(auth, auth.with_name("auth.log.1"))
        os.truncate(auth, 0)
        attack(writer, 75)
        # delete and re-create
        time.sleep(0.3)
        attack(writer, 25)
        writer.close()
        os.unlink(auth)
        writer = open(auth, "a", encoding="utf-8")
        attack(writer, 20)
        writer.close()
        total = n
        assert until(lambda: counts(db).get((FAIL, ip)) == total and lines_read(db) == total), (
            f"{counts(db)} lines {lines_read(db)}, wanted {total}:\n{daemon.output()}"
        )
        time.sleep(1.0)  # nothing more may arrive: no line read twice
        assert daemon.stop() == 0
    assert counts(db) == {(FAIL, ip): total, (BRUTE, ip): total - total % 5}
    assert lines_read(db) == total == 400


# ----------------------------------------------------------- kill -9 loop


def test_sigkill_at_random_moments_then_restart_gives_the_same_incidents(tmp_path: Path) -> None:
    rng = random.Random(20260314)
    ips = [f"203.0.113.{i}" for i in range(10, 16)]
    cycles = int(os.environ.get("SECMON_KILL_CYCLES", "20"))  # more for a longer soak
    total_lines = 150 * cycles
    lines = []
    for n in range(total_lines):
        if n % 25 == 24:
            lines.append(f"garbage line {n} that is not syslog\n")
        else:
            lines.append(attack_line(n, ips[n % len(ips)]))
    auth, db, config = setup(tmp_path)
    written = 0
    kills = running_kills = 0
    for cycle in range(cycles):
        daemon = DaemonProcess(config, tmp_path / "daemon.log")
        end = time.monotonic() + rng.uniform(0.3, 2.0)
        while time.monotonic() < end:
            if written < total_lines:
                chunk = rng.randint(1, 8)
                append(auth, lines[written : written + chunk])
                written = min(total_lines, written + chunk)
            time.sleep(rng.uniform(0.005, 0.03))
        running_kills += (status(db) or {}).get("pid") == daemon.pid
        daemon.kill()
        kills += 1
        if cycle % 4 == 3 and written < total_lines:  # lines written while secmon is down
            chunk = rng.randint(1, 40)
            append(auth, lines[written : written + chunk])
            written = min(total_lines, written + chunk)
    append(auth, lines[written:])
    with DaemonProcess(config, tmp_path / "daemon.log") as daemon:
        daemon.wait_running(db)  # the killed one may have read everything already
        assert until(lambda: lines_read(db) == total_lines, deadline=60), (
            f"read {lines_read(db)} of {total_lines}:\n{daemon.output()[-3000:]}"
        )
        assert daemon.stop() == 0
    interrupted = incidents(db)

    # The same file read by one uninterrupted daemon.
    reference_db = tmp_path / "reference.db"
    reference_config = tmp_path / "reference.yaml"
    reference_config.write_text(config_text(reference_db, files_inputs(auth)))
    with DaemonProcess(reference_config, tmp_path / "reference.log") as daemon:
        assert until(lambda: lines_read(reference_db) == total_lines, deadline=60)
        assert daemon.stop() == 0

    attacks = total_lines - total_lines // 25
    per_ip = {ip: sum(1 for n in range(total_lines) if n % 25 != 24 and ips[n % 6] == ip)
              for ip in ips}
    expected = {(FAIL, ip): c for ip, c in per_ip.items()}
    expected.update({(BRUTE, ip): c - c % 5 for ip, c in per_ip.items()})
    assert sum(per_ip.values()) == attacks
    assert counts(db) == expected
    assert interrupted == incidents(reference_db)
    entry = status(db)
    assert entry is not None
    [source] = entry["sources"].values()
    assert (source["lines"], source["malformed"]) == (total_lines, total_lines // 25)
    print(f"\nkill/restart loop: {kills} SIGKILLs at random moments ({running_kills} while the"
          f" daemon was reading, the others while it started) as {total_lines} lines were"
          f" written; incidents and counts equal an uninterrupted run")
    assert running_kills >= cycles // 4


# ----------------------------------------------------------------- syslog


@pytest.mark.skipif(shutil.which("logger") is None, reason="util-linux logger missing")
def test_syslog_from_a_real_client_over_udp_and_tcp(tmp_path: Path) -> None:
    inputs = "  syslog: {bind: 127.0.0.1, udp_port: 0, tcp_port: 0}\n"
    _, db, config = setup(tmp_path, inputs)
    with DaemonProcess(config, tmp_path / "daemon.log") as daemon:
        daemon.wait_running(db)
        ports = (status(db) or {})["inputs"]["syslog"]
        for transport, ip in (("udp", "198.51.100.31"), ("tcp", "198.51.100.32")):
            for n in range(5):
                subprocess.run(
                    ["logger", "--server", "127.0.0.1", "--port", str(ports[f"{transport}_port"]),
                     f"--{transport}", "-t", "sshd", "-p", "auth.warning",
                     f"Failed password for root from {ip} port {4000 + n} ssh2"],
                    check=True, timeout=DEADLINE,
                )
        assert until(lambda: len([k for k in counts(db) if k[0] == BRUTE]) == 2), daemon.output()
        assert daemon.stop() == 0
    found = incidents(db)
    hostname = socket.gethostname()
    for key, (_count, _first, _last, hosts) in found.items():
        assert hostname in hosts, (key, hosts)
    assert counts(db) == {
        (FAIL, "198.51.100.31"): 5, (BRUTE, "198.51.100.31"): 5,
        (FAIL, "198.51.100.32"): 5, (BRUTE, "198.51.100.32"): 5,
    }
    sources = (status(db) or {})["sources"]
    assert sources["syslog+udp://127.0.0.1"]["lines"] == 5
    assert sources["syslog+tcp://127.0.0.1"]["lines"] == 5


# ---------------------------------------------------------------- signals


def test_broken_config_on_sighup_keeps_the_old_one_running(tmp_path: Path) -> None:
    auth, db, config = setup(tmp_path)
    auth.write_text("")
    good = config.read_text()
    with DaemonProcess(config, tmp_path / "daemon.log") as daemon:
        daemon.wait_running(db)
        config.write_text(good + "  treshold: 5\n")
        bad_line = len(good.splitlines()) + 1
        daemon.signal(signal.SIGHUP)
        refused = until(lambda: ((status(db) or {}).get("last_reload") or {}).get("ok") is False)
        assert refused, daemon.output()
        errors = (status(db) or {})["last_reload"]["errors"]
        assert errors == [
            f"{config}:{bad_line}:3: unknown key 'inputs.treshold'; expected one of: files,"
            " journald, syslog, start_at, poll_interval"
        ]
        append(auth, [attack_line(i, "192.0.2.50") for i in range(5)])
        assert until(lambda: counts(db).get((BRUTE, "192.0.2.50")) == 5), daemon.output()
        assert daemon.proc.poll() is None
        # A good config is taken: a second file to read.
        other = auth.with_name("other.log")
        config.write_text(config_text(db, files_inputs(auth, other)))
        daemon.signal(signal.SIGHUP)
        assert until(lambda: ((status(db) or {}).get("last_reload") or {}).get("ok") is True)
        append(other, [attack_line(i, "192.0.2.51") for i in range(5)])
        append(auth, [attack_line(10 + i, "192.0.2.50") for i in range(5)])
        assert until(lambda: counts(db).get((BRUTE, "192.0.2.51")) == 5), daemon.output()
        assert until(lambda: counts(db).get((BRUTE, "192.0.2.50")) == 10), daemon.output()
        assert daemon.stop() == 0
    output = daemon.output()
    assert "the new config has problems and is refused; the old config keeps running" in output
    assert (status(db) or {})["counters"]["reloads"] == 1


def test_sigterm_in_the_middle_of_a_flood_exits_zero_fast_and_commits(tmp_path: Path) -> None:
    auth, db, config = setup(tmp_path)
    append(auth, [attack_line(i, f"10.1.0.{i % 100}") for i in range(30_000)])
    with DaemonProcess(config, tmp_path / "daemon.log") as daemon:
        daemon.wait_running(db)
        assert until(lambda: lines_read(db) > 0)
        started = time.monotonic()
        code = daemon.stop(timeout=10)
        took = time.monotonic() - started
    assert code == 0, daemon.output()
    assert took < 3.0
    entry = status(db)
    assert entry is not None and entry["state"] == "stopped"
    done = lines_read(db)
    assert 0 < done <= 30_000
    # The next start goes on from the committed position: every line once.
    with DaemonProcess(config, tmp_path / "daemon2.log") as daemon:
        started = time.monotonic()
        assert until(lambda: lines_read(db) == 30_000, deadline=60), daemon.output()
        rest = time.monotonic() - started
        assert daemon.stop() == 0
    assert counts(db)[(FAIL, "10.1.0.7")] == 300
    print(f"\nSIGTERM during a 30,000-line backlog: exit 0 after {took * 1000:.0f} ms,"
          f" {done} lines committed; the restart read the other {30_000 - done} in {rest:.1f} s")


def test_systemd_notify_ready_watchdog_stopping(tmp_path: Path) -> None:
    auth, db, config = setup(tmp_path)
    auth.write_text("")
    address = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(address))
        sock.settimeout(DEADLINE)
        env = {"NOTIFY_SOCKET": str(address), "WATCHDOG_USEC": "1000000"}
        with DaemonProcess(config, tmp_path / "daemon.log", env=env) as daemon:
            got = [sock.recv(4096).decode()]
            while "READY=1" not in got:
                got.append(sock.recv(4096).decode())
            got.append(sock.recv(4096).decode())
            assert got[-1] == "WATCHDOG=1"
            assert daemon.stop() == 0
            while got[-1] != "STOPPING=1":
                got.append(sock.recv(4096).decode())
    assert set(got) == {"READY=1", "WATCHDOG=1", "STOPPING=1"}
    assert got.index("READY=1") < got.index("STOPPING=1")


def test_journald_input_follows_and_resumes_from_its_cursor(tmp_path: Path) -> None:
    """With a stand-in journalctl on PATH (the one the journald tests use)."""
    journal = tmp_path / "journal"
    journal.mkdir()
    (journal / "journal.jsonl").write_text("")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = Path(__file__).parent / "data" / "journald" / "fake_journalctl.py"
    wrapper = bin_dir / "journalctl"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{fake}" "$@"\n')
    wrapper.chmod(0o755)
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    inputs = f'  journald: {{units: [ssh.service], directory: "{journal}"}}\n'
    _, db, config = setup(tmp_path, inputs)

    def record(n: int, ip: str) -> str:
        import json

        return json.dumps({
            "__CURSOR": f"s=abc;i={n:x};b=def;m=1;t=2;x=3",
            "__REALTIME_TIMESTAMP": str(1773442800000000 + n * 1_000_000),
            "_HOSTNAME": "portal",
            "SYSLOG_IDENTIFIER": "sshd",
            "_PID": "811",
            "_SYSTEMD_UNIT": "ssh.service",
            "MESSAGE": f"Failed password for root from {ip} port {4000 + n} ssh2",
        }) + "\n"

    with DaemonProcess(config, tmp_path / "daemon.log", env=env) as daemon:
        daemon.wait_running(db)
        assert until(lambda: (journal / "pid").exists())
        append(journal / "journal.jsonl", [record(n, "192.0.2.70") for n in range(1, 4)])
        assert until(lambda: counts(db).get((FAIL, "192.0.2.70")) == 3), daemon.output()
        assert daemon.stop() == 0
    append(journal / "journal.jsonl", [record(n, "192.0.2.70") for n in range(4, 8)])
    with DaemonProcess(config, tmp_path / "daemon2.log", env=env) as daemon:
        assert until(lambda: counts(db).get((FAIL, "192.0.2.70")) == 7), daemon.output()
        assert daemon.stop() == 0
    assert counts(db) == {(FAIL, "192.0.2.70"): 7, (BRUTE, "192.0.2.70"): 5}
    sources = (status(db) or {})["sources"]
    assert sources["journald:ssh.service"]["lines"] == 7
