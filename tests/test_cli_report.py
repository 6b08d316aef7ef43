"""`secmon report incident|summary|regime`: output files and exact error messages."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from reports_testkit import CONFIG, build

from secmon.builtin import builtin_dir
from secmon.cli import main
from secmon.playbooks import load_playbooks
from secmon.reports.regime_loader import BUILTIN_REGIME, load_regime


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), env={"SECMON_CONFIG": ""},
                              catch_exceptions=False)


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli-report") / "secmon.db"
    scenario = build(path, load_playbooks([builtin_dir("playbooks")]), load_regime())
    scenario.store.close()
    return path


def opts(db: Path, lang: str = "en") -> list[str]:
    return ["-c", str(CONFIG), "--db", str(db), "--lang", lang]


def test_incident_reports_to_a_file_and_to_the_terminal(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "form03.html"
    written = run("report", "incident", "3", "--kind", "initial", "-o", str(out), *opts(db))
    assert (written.exit_code, written.output) == (0, f"Wrote {out}.\n")
    page = out.read_text(encoding="utf-8")
    assert "<h1>INITIAL NETWORK INCIDENT REPORT</h1>" in page
    assert "UBND phường Đông Hà" in page
    md = run("report", "incident", "1", "--kind", "notification", "--format", "md",
             *opts(db, "vi"))
    assert md.exit_code == 0
    assert md.output.startswith("**UBND phường Đông Hà** — Số: ……/BC-……\n")
    assert "# THÔNG BÁO SỰ CỐ AN TOÀN THÔNG TIN MẠNG\n" in md.output


def test_summary_by_period_and_by_dates(db: Path, tmp_path: Path) -> None:
    year = run("report", "summary", "--period", "h1", "--year", "2026", "--format", "md",
               *opts(db))
    assert year.exit_code == 0
    assert "- **Period:** 2026-01-01 – 2026-06-30 (first half of the year)\n" in year.output
    assert "- **Due:** 2026-06-20\n" in year.output
    assert "| 4 | 2 | 2 | 1 |\n" in year.output
    dates = run("report", "summary", "--from", "2026-03-16", "--to", "2026-03-16", "--format",
                "md", *opts(db))
    assert "- **Period:** 2026-03-16 – 2026-03-16\n" in dates.output
    assert "| 1 | 1 | 0 | 0 |\n" in dates.output
    out = tmp_path / "summary.html"
    html = run("report", "summary", "--period", "year", "--year", "2026", "-o", str(out),
               *opts(db))
    assert html.output == f"Wrote {out}.\n"
    assert out.read_text(encoding="utf-8").count("<svg") == 3


@pytest.mark.parametrize(("args", "message"), [
    ([], "Error: say which period: --from DATE --to DATE, or --period h1|h2|year "
         "[--year YEAR]\n"),
    (["--from", "2026-03-01"], "Error: give both --from and --to\n"),
    (["--period", "h1", "--from", "2026-03-01"], "Error: use --from/--to or --period, not both\n"),
    (["--year", "2026"], "Error: --year goes with --period\n"),
    (["--from", "2026-03-02", "--to", "2026-03-01"],
     "Error: --to (2026-03-01) is before --from (2026-03-02)\n"),
    (["--period", "q3"], f"Error: the reporting regime {BUILTIN_REGIME} has no period 'q3'; "
                         "its periods are h1, h2, year\n"),
])
def test_summary_period_errors_are_exact(db: Path, args: list[str], message: str) -> None:
    result = run("report", "summary", *args, *opts(db))
    assert (result.exit_code, result.stderr) == (1, message)


def test_incident_report_errors_are_exact(db: Path) -> None:
    missing = run("report", "incident", "99", "--kind", "final", *opts(db))
    assert (missing.exit_code, missing.stderr) == (1, "Error: no incident #99\n")
    vi = run("report", "incident", "99", "--kind", "final", *opts(db, "vi"))
    assert vi.stderr == "Lỗi: không có sự cố #99\n"
    no_kind = run("report", "incident", "1", *opts(db))
    assert no_kind.exit_code == 2
    assert no_kind.stderr.endswith("Error: Missing option '--kind'. Choose from:\n"
                                   "\tnotification,\n\tinitial,\n\tfinal\n")


def test_a_config_naming_an_unknown_role_is_refused_at_its_line(db: Path,
                                                                tmp_path: Path) -> None:
    config = tmp_path / "secmon.yaml"
    config.write_text("version: 1\nreporting:\n  recipients:\n    vncert: {name: VNCERT/CC}\n",
                      encoding="utf-8")
    result = run("report", "incident", "1", "--kind", "notification", "-c", str(config),
                 "--db", str(db), "--lang", "en")
    assert (result.exit_code, result.stderr) == (1, (
        f"Error: {config}:4:5: unknown recipient role 'vncert'; the reporting regime "
        f"{BUILTIN_REGIME} has the roles coordinator, owner, provincial\n"))


def test_the_regime_can_be_shown_checked_and_replaced(db: Path, tmp_path: Path) -> None:
    ok = run("report", "regime", "--lang", "en")
    assert ok.output == (f"{BUILTIN_REGIME}: reporting regime 'vn-2017' is valid "
                         "(3 report kinds, 3 periods).\n")
    shown = run("report", "regime", "--show")
    assert shown.output == BUILTIN_REGIME.read_text(encoding="utf-8")

    # a copy with a shorter notification deadline, named in the config
    mine = tmp_path / "regime.yaml"
    mine.write_text(shown.output.replace("      deadline: detected + 5d\n",
                                         "      deadline: detected + 2d\n"), encoding="utf-8")
    config = tmp_path / "secmon.yaml"
    config.write_text(f"version: 1\nreporting: {{regime: {mine.name}}}\n", encoding="utf-8")
    checked = run("report", "regime", "--check", str(mine), "--lang", "en")
    assert checked.output.startswith(f"{mine}: reporting regime 'vn-2017' is valid")
    in_force = run("report", "regime", "-c", str(config), "--lang", "en")
    assert in_force.output.startswith(f"{mine}: reporting regime")

    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\nregime: {id: x}\n", encoding="utf-8")
    bad = run("report", "regime", "--check", str(broken), "--lang", "en")
    assert bad.exit_code == 1
    assert bad.stderr == (
        f"{broken}:2:9: missing key 'legal_basis'\n"
        f"{broken}:2:9: missing key 'name'\n"
        f"{broken}:2:9: missing key 'periods'\n"
        f"{broken}:2:9: missing key 'reports'\n"
        f"{broken}:2:9: missing key 'roles'\n"
        f"{broken}:2:9: missing key 'summary'\n"
        "Error: 6 problems in the reporting regime.\n"
    )
