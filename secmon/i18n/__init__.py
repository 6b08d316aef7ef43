"""Vietnamese and English message catalogs for user-facing text.

`Translator(lang)` looks messages up by key; `pick(lang, {"vi": .., "en": ..})`
chooses from bilingual data such as rule titles. Vietnamese is the default.
"""

from __future__ import annotations

from typing import Mapping

from .catalog import MESSAGES

LANGUAGES: tuple[str, ...] = ("vi", "en")
DEFAULT_LANGUAGE = "vi"


def language_from_locale(env: Mapping[str, str]) -> str | None:
    """'vi' or 'en' from LC_ALL / LC_MESSAGES / LANG, or None when they say neither."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if value:
            code = value.split("_", 1)[0].split(".", 1)[0].lower()
            return code if code in LANGUAGES else None
    return None


def choose_language(explicit: str | None, configured: str | None, env: Mapping[str, str]) -> str:
    """--lang wins, then the config file, then the locale, then Vietnamese."""
    for candidate in (explicit, configured, language_from_locale(env)):
        if candidate in LANGUAGES:
            return candidate  # type: ignore[return-value]
    return DEFAULT_LANGUAGE


def pick(lang: str, texts: Mapping[str, str]) -> str:
    """The text in `lang`, else the other language, else ''."""
    if lang in texts and texts[lang]:
        return texts[lang]
    for other in LANGUAGES:
        if texts.get(other):
            return texts[other]
    return ""


class Translator:
    def __init__(self, lang: str):
        if lang not in LANGUAGES:
            raise ValueError(f"unsupported language {lang!r}; use one of {', '.join(LANGUAGES)}")
        self.lang = lang

    def __call__(self, key: str, **values: object) -> str:
        entry = MESSAGES[key]
        return pick(self.lang, entry).format(**values)
