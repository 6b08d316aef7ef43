"""Phase -> legal stage table (data, edit here when the law changes).

Circular 20/2017/TT-BTTTT Art. 11 splits incident response into four
stages. Playbook steps carry a phase; this table says which stage(s) a phase
belongs to and how both are named in Vietnamese and English. The law is due
to be replaced after the Law on Cybersecurity 2025 takes effect (1 Jul 2026):
keep every legal name here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from .model import LocalText

LEGAL_BASIS = LocalText(
    vi="Thông tư 20/2017/TT-BTTTT, Điều 11",
    en="Circular 20/2017/TT-BTTTT, Art. 11",
)


@dataclass(frozen=True, slots=True)
class LegalStage:
    number: str
    name: LocalText


@dataclass(frozen=True, slots=True)
class PhaseInfo:
    name: LocalText
    stages: tuple[str, ...]  # numbers of LEGAL_STAGES
    stage_note: LocalText  # which part of the stage(s), for the checklist heading


LEGAL_STAGES: Mapping[str, LegalStage] = MappingProxyType(
    {
        "1": LegalStage(
            "1",
            LocalText(
                vi="Tiếp nhận, phân tích, ứng cứu ban đầu và thông báo sự cố",
                en="Receive, analyse, first response and notify",
            ),
        ),
        "2": LegalStage(
            "2",
            LocalText(
                vi="Triển khai ứng cứu, ngăn chặn và xử lý sự cố",
                en="Respond, contain and handle the incident",
            ),
        ),
        "3": LegalStage(
            "3",
            LocalText(
                vi="Xử lý, gỡ bỏ, khôi phục và kiểm tra hệ thống",
                en="Eradicate, recover and check the system",
            ),
        ),
        "4": LegalStage("4", LocalText(vi="Tổng kết, đánh giá", en="Review and evaluate")),
    }
)

PHASE_INFO: Mapping[str, PhaseInfo] = MappingProxyType(
    {
        "detect": PhaseInfo(
            LocalText(vi="Phát hiện và xác minh", en="Detect and verify"),
            ("1",),
            LocalText(
                vi="tiếp nhận, xác minh, ứng cứu ban đầu",
                en="receive, verify, first response",
            ),
        ),
        "contain": PhaseInfo(
            LocalText(vi="Ngăn chặn", en="Contain"),
            ("2",),
            LocalText(vi="ngăn chặn, hạn chế thiệt hại", en="contain, limit the damage"),
        ),
        "eradicate": PhaseInfo(
            LocalText(vi="Gỡ bỏ", en="Eradicate"),
            ("3",),
            LocalText(vi="gỡ bỏ nguyên nhân (3a)", en="remove the cause (3a)"),
        ),
        "recover": PhaseInfo(
            LocalText(vi="Khôi phục", en="Recover"),
            ("3",),
            LocalText(vi="khôi phục, kiểm tra (3b, 3c)", en="recover, check (3b, 3c)"),
        ),
        "report": PhaseInfo(
            LocalText(vi="Thông báo, báo cáo", en="Notify and report"),
            ("1", "3"),
            LocalText(
                vi="thông báo sự cố (1đ) và báo cáo khi kết thúc ứng phó",
                en="incident notification (1đ) and reports when the response ends",
            ),
        ),
        "review": PhaseInfo(
            LocalText(vi="Tổng kết, đánh giá", en="Review"),
            ("4",),
            LocalText(vi="rút kinh nghiệm", en="lessons learned"),
        ),
    }
)


def stage_label(phase: str, lang: str) -> str:
    """'Giai đoạn 1 (…)' / 'Stage 1 (…)', or 'Giai đoạn 1, 3 (…)' for several."""
    info = PHASE_INFO[phase]
    word = "Giai đoạn" if lang == "vi" else "Stage"
    numbers = ", ".join(info.stages)
    return f"{word} {numbers}: {info.stage_note.get(lang)}"
