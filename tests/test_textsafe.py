from secmon.tables import render_table
from secmon.textsafe import terminal_safe


def test_control_characters_become_visible():
    hostile = "ok\x1b[2J\x1b]0;pwned\x07\nforged line\r\u202etxt.exe"
    assert terminal_safe(hostile) == (
        "ok\\x1b[2J\\x1b]0;pwned\\x07\\x0aforged line\\x0d\\u202etxt.exe"
    )


def test_cut_marks_the_cut():
    assert terminal_safe("abcdef", 4) == "abc…"


def test_table_pads_vietnamese_text():
    table = render_table(["Mã", "Mô tả"], [("#1", "Tấn công dò mật khẩu"), ("#22", "x\x1b")])
    assert table.splitlines() == [
        "Mã   Mô tả",
        "---  --------------------",
        "#1   Tấn công dò mật khẩu",
        "#22  x\\x1b",
    ]
