"""The golden HTML reports open in a real headless browser (Chromium).

The DOM Chromium builds must hold the report's structure (no markup from
log lines), its SVG charts must be laid out, and a screenshot and an A4 PDF
must come out. Skipped where no Chromium is installed (Debian/Ubuntu:
`apt-get install chromium`).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden" / "reports"
BROWSER = next(
    (found for name in ("chromium", "chromium-browser", "google-chrome")
     if (found := shutil.which(name))),
    None,
)
pytestmark = [
    pytest.mark.slow,  # about 10 s: four browser starts
    pytest.mark.skipif(BROWSER is None, reason="no headless Chromium installed"),
]


def chromium(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert BROWSER is not None
    command = [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-dev-shm-usage", f"--user-data-dir={cwd / 'profile'}", *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=90,
                          check=False)


def test_form_03_builds_the_expected_dom(tmp_path: Path) -> None:
    page = GOLDEN / "initial.vi.html"
    done = chromium("--dump-dom", page.as_uri(), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert "<h1>BÁO CÁO BAN ĐẦU SỰ CỐ MẠNG</h1>" in dom
    assert dom.count("<h2>") == 12
    assert dom.count('<table class="grid">') == 3  # checklist, timeline, evidence
    assert "<script" not in dom  # the hostile user agent stayed text
    assert "&lt;script&gt;alert" in dom
    # ticked: 2 choices + 6 steps; open: 13 choices + 8 steps
    assert dom.count("☒") == 8 and dom.count("☐") == 21


def test_summary_renders_charts_screenshot_and_a4_pdf(tmp_path: Path) -> None:
    page = GOLDEN / "summary.en.html"
    dom = chromium("--dump-dom", page.as_uri(), cwd=tmp_path)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert dom.stdout.count("<svg") == 3
    assert dom.stdout.count("<rect") == 4 + 3 + 2  # categories, severities, busy days

    shot = tmp_path / "summary.png"
    done = chromium(f"--screenshot={shot}", "--window-size=900,1400", "--hide-scrollbars",
                    page.as_uri(), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 20_000  # a page with text and charts, not a blank one

    pdf = tmp_path / "summary.pdf"
    done = chromium(f"--print-to-pdf={pdf}", "--no-pdf-header-footer", page.as_uri(),
                    cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    data = pdf.read_bytes()
    assert data[:5] == b"%PDF-"
    assert b"/MediaBox [0 0 594.95996 841.91998]" in data  # A4 from the page's @page rule
