from __future__ import annotations

import re

from secmon.i18n import Translator, choose_language, language_from_locale, pick
from secmon.i18n.catalog import MESSAGES


def test_language_choice_order():
    env = {"LANG": "en_US.UTF-8"}
    assert choose_language("vi", "en", env) == "vi"
    assert choose_language(None, "en", {"LANG": "vi_VN.UTF-8"}) == "en"
    assert choose_language(None, None, env) == "en"
    assert choose_language(None, None, {"LANG": "vi_VN.UTF-8"}) == "vi"
    assert choose_language(None, None, {"LANG": "C.UTF-8"}) == "vi"
    assert choose_language(None, None, {}) == "vi"


def test_locale_precedence():
    assert language_from_locale({"LC_ALL": "en_GB.UTF-8", "LANG": "vi_VN"}) == "en"
    assert language_from_locale({"LANG": "de_DE.UTF-8"}) is None


def test_every_message_has_both_languages_with_the_same_placeholders():
    for key, texts in MESSAGES.items():
        assert set(texts) == {"vi", "en"}, key
        names = {lang: set(re.findall(r"{(\w+)}", text)) for lang, text in texts.items()}
        assert names["vi"] == names["en"], key


def test_translator_and_pick():
    assert Translator("en")("scan.header", count=3) == "Detections (3)"
    assert Translator("vi")("scan.header", count=3) == "Phát hiện (3)"
    assert pick("en", {"vi": "Xin chào"}) == "Xin chào"
