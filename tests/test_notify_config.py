"""The notify: section of secmon.yaml and the secrets in route URLs."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from secmon.config import load_settings
from secmon.config.model import DigestSettings, NotifySettings, UrlSetting
from secmon.errors import InputError, Location
from secmon.notify.targets import build_targets, resolve_url


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "secmon.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_full_notify_section_loads(tmp_path: Path) -> None:
    path = write(tmp_path, """\
version: 1
notify:
  templates: notify-templates
  timeout: 20s
  rate: {per_incident: 10m}
  storm: {max: 30, within: 2m}
  retry: {attempts: 5, backoff: 1m, max_backoff: 2h}
  routes:
  - name: it-telegram
    urls: ["tgram://${TG_TOKEN}/-1001234", "file:secrets/zalo.url"]
    min_severity: high
    categories: [brute-force, webshell]
    rules: ["ssh.*"]
    hosts: [portal*]
    language: en
    format: markdown
    on_resolve: true
    digest: {hour: 7, min_severity: info}
  - name: email
    config: /etc/secmon/apprise.yml
    tags: [email]
    format: html
""")
    notify = load_settings(path).notify
    assert notify.templates == tmp_path / "notify-templates"
    assert (notify.timeout, notify.rate.per_incident) == (timedelta(seconds=20),
                                                          timedelta(minutes=10))
    assert (notify.storm.max, notify.storm.within) == (30, timedelta(minutes=2))
    assert (notify.retry.attempts, notify.retry.backoff, notify.retry.max_backoff) == (
        5, timedelta(minutes=1), timedelta(hours=2))
    first, second = notify.routes
    assert first.name == "it-telegram"
    assert first.urls == (
        UrlSetting("tgram://${TG_TOKEN}/-1001234", Location(str(path), 10, 12)),
        UrlSetting("file:secrets/zalo.url", Location(str(path), 10, 44),
                   tmp_path / "secrets/zalo.url"),
    )
    assert (first.min_severity, first.categories, first.rules, first.hosts) == (
        "high", ("brute-force", "webshell"), ("ssh.*",), ("portal*",))
    assert (first.language, first.format, first.on_resolve) == ("en", "markdown", True)
    assert first.digest == DigestSettings(hour=7, min_severity="info")
    assert second.config == Path("/etc/secmon/apprise.yml")
    assert second.tags == ("email",)
    # defaults
    assert (second.min_severity, second.language, second.on_resolve, second.digest) == (
        "medium", "vi", False, None)


def test_no_notify_section_means_no_routes(tmp_path: Path) -> None:
    assert load_settings(write(tmp_path, "version: 1\n")).notify == NotifySettings()


def test_every_notify_problem_is_reported_with_its_place(tmp_path: Path) -> None:
    path = write(tmp_path, """\
version: 1
notify:
  retrys: {}
  storm: {max: 0, within: 5}
  retry: {backoff: 10m, max_backoff: 1m}
  routes:
  - name: tele gram
    urls: [x]
  - name: chat
    urls: ["tgram://${TOKEN", "json://h/${1X}", "file:", 42]
    min_severity: urgent
    categories: [bruteforce]
    language: fr
    format: rtf
    on_resolve: "yes"
    digest: {hour: 25, min_severity: high}
  - name: both
    urls: ["json://localhost/x"]
    config: apprise.yml
  - name: tagged
    urls: ["json://localhost/x"]
    tags: [ops]
    hosts: ["web server"]
  - name: chat
    config: a.yml
  - {}
""")
    with pytest.raises(InputError) as err:
        load_settings(path)
    assert str(err.value).splitlines() == [
        f"{path}:3:3: unknown key 'notify.retrys' (did you mean 'retry'?); expected one of: "
        "routes, templates, timeout, rate, storm, retry",
        f"{path}:4:16: 'notify.storm.max' must be a whole number from 1 to 10000, not 0",
        f"{path}:4:27: 'notify.storm.within': a plain number (5) is ambiguous: give a unit, "
        "like 5s or 5m",
        f"{path}:5:38: 'notify.retry.max_backoff' must not be shorter than "
        "'notify.retry.backoff'",
        f"{path}:7:11: 'notify.routes[0].name' must be letters, digits, '.', '_' or '-' "
        "(at most 64), not 'tele gram'",
        f"{path}:8:12: 'notify.routes[0].urls[0]' is not an Apprise URL like "
        "tgram://TOKEN/CHAT_ID or mailto://user:pass@host; use file:PATH to read it from a file",
        f"{path}:10:12: 'notify.routes[1].urls[0]': '${{' without its closing '}}': write "
        "secrets as ${ENV_NAME}",
        f"{path}:10:31: 'notify.routes[1].urls[1]': '${{1X}}' is not an environment variable "
        "name (letters, digits and '_')",
        f"{path}:10:49: 'notify.routes[1].urls[2]': 'file:' needs the path of a file holding "
        "the URL, like file:/etc/secmon/telegram.url",
        f"{path}:10:58: 'notify.routes[1].urls[3]' must be an Apprise URL (text), not a number",
        f"{path}:11:19: 'notify.routes[1].min_severity' must be one of info, low, medium, "
        "high, critical, not 'urgent'",
        f"{path}:12:18: unknown category 'bruteforce' (did you mean 'brute-force'?); use one "
        "of brute-force, web-attack, scanning, webshell, defacement, malware, dos, "
        "privilege-escalation, account-compromise, availability, policy",
        f"{path}:13:15: 'notify.routes[1].language' must be one of vi, en, not 'fr'",
        f"{path}:14:13: 'notify.routes[1].format' must be one of text, markdown, html, "
        "not 'rtf'",
        f"{path}:15:17: 'notify.routes[1].on_resolve' must be true or false",
        f"{path}:16:20: 'notify.routes[1].digest.hour' must be a whole number from 0 to 23, "
        "not 25",
        f"{path}:16:38: 'notify.routes[1].digest.min_severity' (high) must be below the "
        "route's min_severity (medium): the digest lists the incidents too minor to alert on "
        "one by one",
        f"{path}:17:5: route 'both' needs exactly one of 'urls' (Apprise URLs) or 'config' "
        "(an Apprise config file)",
        f"{path}:22:5: 'notify.routes[3].tags' selects URLs of an Apprise config file; use it "
        "with 'config', or list only the wanted URLs in 'urls'",
        f"{path}:23:13: 'notify.routes[3].hosts' entry 'web server' must be a name or a "
        "pattern with * and ? (letters, digits, . _ - : @)",
        f"{path}:24:5: route name 'chat' is used twice (first at notify.routes[1]); give each "
        "route its own name",
        f"{path}:26:5: 'notify.routes[5].name' is required: a short name for the route",
        f"{path}:26:5: route 'notify.routes[5]' needs exactly one of 'urls' (Apprise URLs) or "
        "'config' (an Apprise config file)",
    ]


def test_empty_routes_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "version: 1\nnotify:\n  routes: []\n")
    with pytest.raises(InputError) as err:
        load_settings(path)
    assert str(err.value) == f"{path}:3:11: 'notify.routes' must be a non-empty list of routes"


# ------------------------------------------------------------------ secrets
def test_environment_secrets_fill_urls_and_are_masked(tmp_path: Path) -> None:
    path = write(tmp_path, """\
version: 1
notify:
  routes:
  - name: hook
    urls: ["json://${HOOK_USER}:${HOOK_PASSWORD}@localhost:8080/alerts"]
""")
    notify = load_settings(path).notify
    env = {"HOOK_USER": "secmon", "HOOK_PASSWORD": "s3cr3t-pass"}
    (target,) = build_targets(notify, env)["hook"]
    assert target.display.startswith("json://****:****@localhost:8080/alerts")
    assert "s3cr3t-pass" not in target.display
    assert target.secrets == ("secmon", "s3cr3t-pass")


def test_file_secret_gives_the_urls_and_masks_the_whole_line(tmp_path: Path) -> None:
    secret = tmp_path / "tg.url"
    secret.write_text("# Telegram bot of the IT team\n\ntgram://123456789:AAHsecretTOKEN/-1001\n",
                      encoding="utf-8")
    resolved = resolve_url(UrlSetting("file:tg.url", Location("x"), secret), {})
    assert [(r.url, r.secrets) for r in resolved] == [
        ("tgram://123456789:AAHsecretTOKEN/-1001", ("tgram://123456789:AAHsecretTOKEN/-1001",))
    ]


def test_missing_secrets_are_reported_at_their_place(tmp_path: Path) -> None:
    path = write(tmp_path, """\
version: 1
notify:
  routes:
  - name: chat
    urls:
    - tgram://${TG_TOKEN}/-1001
    - file:missing.url
    - nosuchservice://x/y
""")
    notify = load_settings(path).notify
    with pytest.raises(InputError) as err:
        build_targets(notify, {"TG_TOKEN": ""})
    assert str(err.value).splitlines() == [
        f"{path}:6:7: route 'chat': environment variable TG_TOKEN is not set (or empty); set "
        "it for secmon (e.g. Environment= or EnvironmentFile= in the systemd unit)",
        f"{path}:7:7: route 'chat': cannot read secret file {tmp_path / 'missing.url'}: "
        "No such file or directory",
        f"{path}:8:7: route 'chat': Apprise cannot use this URL (service 'nosuchservice'): "
        "check the service name and the parts it needs (see the Apprise wiki for the service)",
    ]


def test_apprise_config_file_with_tags(tmp_path: Path) -> None:
    apprise_file = tmp_path / "apprise.yml"
    apprise_file.write_text("""\
version: 1
urls:
  - json://localhost/ops:
      tag: ops
  - json://localhost/boss:
      tag: boss
""", encoding="utf-8")
    path = write(tmp_path, """\
version: 1
notify:
  routes:
  - name: ops
    config: apprise.yml
    tags: [ops]
  - name: nobody
    config: apprise.yml
    tags: [finance]
""")
    notify = load_settings(path).notify
    (target,) = build_targets(notify, {}, only="ops")["ops"]
    assert target.display.startswith("json://localhost/ops")
    with pytest.raises(InputError) as err:
        build_targets(notify, {})
    assert str(err.value) == (
        f"{path}:7:5: route 'nobody': Apprise config file {apprise_file} has no usable URL "
        "tagged finance"
    )
