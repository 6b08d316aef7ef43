"""The `inputs:` section of secmon.yaml, and the starter config of `secmon init`."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from secmon.config import load_settings
from secmon.config.inputs import (
    FILE_TYPES,
    FileInputSettings,
    InputsSettings,
    JournaldSettings,
    SyslogSettings,
)
from secmon.config.starter import look_around, starter_config
from secmon.errors import InputError, Location


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "secmon.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_inputs_load_with_relative_paths_resolved(tmp_path: Path) -> None:
    path = write(tmp_path, """\
version: 1
inputs:
  start_at: beginning
  poll_interval: 2s
  files:
    - {path: /var/log/auth.log, type: syslog}
    - path: logs/*access.log
      type: nginx
    - /var/log/mail.log
  journald: {units: [ssh.service, nginx.service], directory: journal}
  syslog: {bind: "::", udp_port: 5514, allowed: [10.0.0.0/8]}
""")
    inputs = load_settings(path).inputs
    assert inputs == InputsSettings(
        files=(
            FileInputSettings("/var/log/auth.log", "syslog"),
            FileInputSettings(str(tmp_path / "logs/*access.log"), "nginx"),
            FileInputSettings("/var/log/mail.log", "auto"),
        ),
        journald=JournaldSettings(("ssh.service", "nginx.service"), tmp_path / "journal"),
        syslog=SyslogSettings("::", 5514, None, ("10.0.0.0/8",)),
        start_at="beginning",
        poll_interval=timedelta(seconds=2),
    )
    assert inputs.files[1].location == Location(str(path), 7, 7)
    assert not inputs.empty


def test_file_types_are_auto_and_the_parser_registry() -> None:
    assert FILE_TYPES[:1] == ("auto",)
    assert {"syslog", "nginx", "apache", "nginx-error", "apache-error", "json"} <= set(FILE_TYPES)


def test_no_inputs_section_means_no_inputs(tmp_path: Path) -> None:
    inputs = load_settings(write(tmp_path, "version: 1\n")).inputs
    assert inputs == InputsSettings() and inputs.empty
    assert inputs.start_at == "end" and inputs.poll_interval == timedelta(seconds=1)


def test_empty_journald_means_the_whole_journal(tmp_path: Path) -> None:
    inputs = load_settings(write(tmp_path, "version: 1\ninputs:\n  journald: {}\n")).inputs
    assert inputs.journald == JournaldSettings()


def test_every_inputs_problem_is_reported_with_its_place(tmp_path: Path) -> None:
    path = write(tmp_path, """\
version: 1
inputs:
  start_at: middle
  poll_interval: 5
  files:
    - {path: /var/log/auth.log, type: sylog}
    - {path: /var/log/auth.log}
    - {type: nginx}
    - 42
    - {path: /x.log, typ: json}
  journald: {units: ["ssh service"], dir: x}
  syslog: {bind: localhost, udp_port: 70000, tcp_port: yes, allowed: [10.0.0.0/33]}
  extra: 1
""")
    with pytest.raises(InputError) as err:
        load_settings(path)
    assert str(err.value).splitlines() == [
        f"{path}:3:13: 'inputs.start_at' must be one of end, beginning, not 'middle'",
        f"{path}:4:18: 'inputs.poll_interval': a plain number (5) is ambiguous: give a unit,"
        " like 5s or 5m",
        f"{path}:6:39: unknown log type 'sylog' in 'inputs.files[0].type' (did you mean"
        f" 'syslog'?); expected one of: {', '.join(FILE_TYPES)}",
        f"{path}:7:7: 'inputs.files[1].path' /var/log/auth.log is listed twice (first at"
        " inputs.files[0]); list each file once",
        f"{path}:8:7: 'inputs.files[2].path' is required: a log file or a glob like"
        " /var/log/nginx/*access.log",
        f"{path}:9:7: 'inputs.files[3]' must be a mapping with path and type, not a number",
        f"{path}:10:22: unknown key 'inputs.files[4].typ' (did you mean 'type'?); expected one"
        " of: path, type",
        f"{path}:11:22: 'inputs.journald.units' entry 'ssh service' is not a systemd unit name"
        " (letters, digits and @ . _ : - only, e.g. ssh.service)",
        f"{path}:11:38: unknown key 'inputs.journald.dir'; expected one of: units, directory",
        f"{path}:12:18: 'inputs.syslog.bind' must be an IP address to listen on, like 0.0.0.0"
        " (all IPv4), :: (all IPv6) or 10.0.0.2, not 'localhost'",
        f"{path}:12:39: 'inputs.syslog.udp_port' must be a port number 0-65535 (0: any free"
        " port), not 70000",
        f"{path}:12:56: 'inputs.syslog.tcp_port' must be a port number 0-65535 (0: any free"
        " port), not true/false",
        f"{path}:12:71: 'inputs.syslog.allowed' entry '10.0.0.0/33' is not an IP network like"
        " 10.0.0.0/8 or 192.0.2.7",
        f"{path}:13:3: unknown key 'inputs.extra'; expected one of: files, journald, syslog,"
        " start_at, poll_interval",
    ]


def test_syslog_needs_a_port(tmp_path: Path) -> None:
    path = write(tmp_path, "version: 1\ninputs:\n  syslog: {bind: 0.0.0.0}\n")
    with pytest.raises(InputError) as err:
        load_settings(path)
    assert str(err.value) == (
        f"{path}:3:11: 'inputs.syslog' needs 'udp_port', 'tcp_port' or both (5514 avoids"
        " needing root for ports below 1024)"
    )


def test_poll_interval_bounds(tmp_path: Path) -> None:
    path = write(tmp_path, "version: 1\ninputs:\n  poll_interval: 1h\n")
    with pytest.raises(InputError) as err:
        load_settings(path)
    assert str(err.value) == f"{path}:3:18: 'inputs.poll_interval' must be between 1s and 10m"


# ------------------------------------------------------------------ secmon init


def fake_root(tmp_path: Path, *paths: str) -> Path:
    root = tmp_path / "root"
    for rel in paths:
        target = root / rel
        if rel.endswith("/"):
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("")
    return root


def test_starter_config_for_nginx_server_loads(tmp_path: Path) -> None:
    root = fake_root(tmp_path, "var/log/auth.log", "var/log/nginx/", "var/log/mail.log",
                     "var/www/html/")
    found = look_around(root)
    text = starter_config(found)
    path = write(tmp_path, text)
    settings = load_settings(path)
    log = root / "var/log"
    assert [(f.path, f.type) for f in settings.inputs.files] == [
        (str(log / "auth.log"), "syslog"),
        (str(log / "nginx/*access.log"), "nginx"),
        (str(log / "nginx/*error.log"), "nginx-error"),
        (str(log / "mail.log"), "syslog"),
    ]
    assert settings.inputs.journald is None and settings.inputs.syslog is None
    assert settings.inputs.start_at == "end"
    assert [w.path for w in settings.web_roots] == [root / "var/www/html"]
    assert settings.language == "vi" and settings.timezone == "Asia/Ho_Chi_Minh"
    assert "# syslog:" in text and "# notify:" in text


def test_starter_config_for_apache_without_auth_log_reads_the_journal(tmp_path: Path) -> None:
    root = fake_root(tmp_path, "var/log/apache2/")
    settings = load_settings(write(tmp_path, starter_config(look_around(root))))
    log = root / "var/log/apache2"
    assert [(f.path, f.type) for f in settings.inputs.files] == [
        (str(log / "*access.log"), "apache"),
        (str(log / "*error.log"), "apache-error"),
    ]
    assert settings.inputs.journald == JournaldSettings()
    assert settings.web_roots == ()


def test_starter_config_with_nothing_found_still_loads(tmp_path: Path) -> None:
    root = fake_root(tmp_path, "etc/")
    text = starter_config(look_around(root))
    settings = load_settings(write(tmp_path, text))
    assert settings.inputs.files == ()
    assert settings.inputs.journald == JournaldSettings()
    assert '# - {path: "/var/log/nginx/*access.log", type: nginx}' in text


# ------------------------------------------------------------ examples/secmon.yaml

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "secmon.yaml"


def test_the_documented_example_loads(tmp_path: Path) -> None:
    settings = load_settings(EXAMPLE)
    assert [(f.path, f.type) for f in settings.inputs.files] == [
        ("/var/log/auth.log", "syslog"),
        ("/var/log/nginx/*access.log", "nginx"),
        ("/var/log/nginx/*error.log", "nginx-error"),
        ("/var/log/mail.log", "syslog"),
    ]
    assert settings.database == Path("/var/lib/secmon/secmon.db")


def test_the_examples_commented_blocks_load_when_uncommented(tmp_path: Path) -> None:
    wanted = ("# journald:", "#   units:", "# syslog:", "#   bind:", "#   udp_port:",
              "#   tcp_port:", "#   allowed:", "# notify:", "#   routes:", "#     - name:",
              "#       urls:", "#       min_severity:", "#       format:")
    lines = []
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        stripped = line.lstrip()
        if stripped.startswith(wanted):
            line = line.replace("# ", "", 1)
        lines.append(line)
    settings = load_settings(write(tmp_path, "\n".join(lines) + "\n"))
    assert settings.inputs.journald == JournaldSettings(("ssh.service",))
    assert settings.inputs.syslog == SyslogSettings("0.0.0.0", 5514, 5514, ("10.0.0.0/24",))
    assert [route.name for route in settings.notify.routes] == ["it-team", "lanh-dao"]
