"""The reporting regime: the shipped file, the strict loader, the recipient check."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from secmon.config import load_settings
from secmon.errors import InputError
from secmon.playbooks.model import Deadline
from secmon.reports.fields import VALUES
from secmon.reports.regime_loader import (
    BUILTIN_REGIME,
    check_recipients,
    check_regime,
    load_regime,
)

DATA = Path(__file__).parent / "data" / "reports"


def test_the_shipped_regime_holds_the_vietnamese_rules() -> None:
    regime = load_regime()
    assert regime.id == "vn-2017"
    assert regime.path == str(BUILTIN_REGIME)
    assert sorted(regime.roles) == ["coordinator", "owner", "provincial"]
    assert list(regime.reports) == ["notification", "initial", "final"]
    assert regime.step_deadlines() == {
        "notify": Deadline("detected", timedelta(days=5)),
        "initial-report": Deadline(None),
        "final-report": Deadline("resolved", timedelta(days=5)),
    }
    assert regime.report_steps() == {
        "notify": "notification", "initial-report": "initial", "final-report": "final"
    }
    assert regime.reports["initial"].form.vi == (
        "Mẫu số 03, ban hành kèm theo Thông tư số 20/2017/TT-BTTTT"
    )
    assert regime.reports["final"].recipients == ("owner", "coordinator")
    assert all(spec.subject == "[TBSC]" for spec in regime.reports.values())
    assert regime.header["vi"] == ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                                   "Độc lập - Tự do - Hạnh phúc")
    assert regime.periods["h1"].dates(2026) == (date(2026, 1, 1), date(2026, 6, 30),
                                                 date(2026, 6, 20))
    assert regime.periods["year"].dates(2026) == (date(2026, 1, 1), date(2026, 12, 31),
                                                   date(2026, 12, 15))
    assert regime.periods["h2"].dates(2026)[2] is None
    # Form 03 has every required field of the legal minimum (Decision 05 Art. 11.4)
    form03 = regime.reports["initial"]
    values = {f.value for s in form03.sections for f in s.fields}
    assert {"org.name", "contact.name", "contact.phone", "operator", "system.summary",
            "incident.description", "incident.detected_date", "incident.detected_time",
            "report.time"} <= values
    assert [s.block for s in form03.sections if s.block] == ["checklist", "timeline", "evidence"]


def test_every_shipped_field_value_is_known() -> None:
    regime = load_regime()
    for spec in regime.reports.values():
        for section in spec.sections:
            for field in section.fields:
                assert field.value is None or field.value in VALUES


def test_a_broken_regime_lists_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "regime.yaml"
    path.write_text("""\
version: 2
regime:
  id: Bad Id
  name: {vi: Tên}
  legal_basis: []
  roles:
    owner: {vi: Chủ quản, en: Owner}
  reports:
    notification:
      title: {vi: A, en: A}
      form: {vi: B, en: B}
      when: {vi: C, en: C}
      deadline: detected + 5 days
      recipients: [owner, provincal]
      sections:
      - title: {vi: S, en: S}
        fields:
        - {label: {vi: L, en: L}, value: org.nam}
        - {label: {vi: L, en: L}, required: maybe}
        - label: {vi: L, en: L}
          choices:
          - {label: {vi: X, en: X}, when: status:closed}
          - {label: {vi: Y, en: Y}, when: sometimes}
      - {title: {vi: T, en: T}, block: graph}
      - {title: {vi: U, en: U}}
    closing: {}
  summary: {title: {vi: S, en: S}, form: {vi: F, en: F}}
  periods:
    h1: {label: {vi: H, en: H}, start: "01-01", end: "02-30"}
    h2: {label: {vi: H, en: H}, start: "07-01", end: "12-31", due: 1220}
    h3: {label: {vi: H, en: H}, start: "07-01", end: "06-30"}
""", encoding="utf-8")
    p = str(path)
    expected = [
        f"{p}:1:10: unsupported version 2: this secmon reads 'version: 1'",
        f"{p}:3:7: regime id 'Bad Id' must be lowercase letters and digits joined by '-', '.' "
        "or '_'",
        f"{p}:4:9: missing key 'en'",
        f"{p}:5:16: 'legal_basis' must be a non-empty list of {{vi, en}} texts",
        f"{p}:9:5: missing report kind 'final'",
        f"{p}:9:5: missing report kind 'initial'",
        f"{p}:13:17: deadline offset '5 days' must be a whole number of days or hours, "
        "like '5d' or '12h'",
        f"{p}:14:27: unknown role 'provincal'; roles are owner",
        f"{p}:18:42: unknown value 'org.nam' (did you mean 'org.name'?); values are "
        + ", ".join(sorted(VALUES)),
        f"{p}:19:45: 'required' must be true or false",
        f"{p}:22:43: unknown status 'closed' in 'status:closed'; statuses are new, "
        "acknowledged, contained, resolved, false_positive",
        f"{p}:23:43: unknown condition 'sometimes'; use always, open, closed, "
        "status:<status> or done:<checklist step id>",
        f"{p}:24:40: unknown block 'graph'; blocks are timeline, evidence, checklist",
        f"{p}:25:9: a section needs 'fields' or a 'block'",
        f"{p}:26:5: unknown report kind 'closing'; kinds are notification, initial, final",
        f"{p}:29:54: 'end' must be a month and day in quotes, like \"06-20\", not '02-30'",
        f"{p}:30:68: 'due' must be a month and day in quotes, like \"06-20\", not 1220",
        f"{p}:31:54: period 'h3' ends before it starts",
    ]
    assert [str(problem) for problem in check_regime(path)] == expected
    with pytest.raises(InputError) as err:
        load_regime(path)
    assert [str(problem) for problem in err.value.problems] == expected


def test_invalid_yaml_and_wrong_shapes(tmp_path: Path) -> None:
    path = tmp_path / "regime.yaml"
    path.write_text("version: 1\nregime: [1, 2]\n", encoding="utf-8")
    assert [str(p) for p in check_regime(path)] == [f"{path}:2:9: 'regime' must be a mapping"]
    path.write_text("version: 1\nregime: {id: a\n", encoding="utf-8")
    (problem,) = check_regime(path)
    assert str(problem).startswith(f"{path}:3:1: invalid YAML")


def test_recipient_roles_in_the_config_must_exist_in_the_regime(tmp_path: Path) -> None:
    path = tmp_path / "secmon.yaml"
    path.write_text("""\
version: 1
reporting:
  recipients:
    owner: {name: UBND}
    provincal: {name: Sở KH&CN}
""", encoding="utf-8")
    settings = load_settings(path)
    regime = load_regime()
    with pytest.raises(InputError) as err:
        check_recipients(regime, settings.reporting)
    assert str(err.value) == (
        f"{path}:5:5: unknown recipient role 'provincal' (did you mean 'provincial'?); the "
        f"reporting regime {BUILTIN_REGIME} has the roles coordinator, owner, provincial"
    )
    check_recipients(regime, load_settings(DATA / "secmon.yaml").reporting)  # no error
