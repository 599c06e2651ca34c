"""The languages handouts speaks: English plus the 15 of the US CMS multi-language insert."""

from functools import cache

SOURCE_LANGUAGE = "en"
# BCP 47 tags, in the order of the CMS multi-language insert.
LANGUAGES = ("en", "es", "zh-Hans", "tl", "fr", "vi", "de", "ko", "ru", "ar", "it", "pt",
             "ht", "pl", "hi", "ja")


@cache
def locale(lang: str):
    """Babel's locale data for a tag (imported here, so the CLI starts fast)."""
    from babel import Locale
    return Locale.parse(lang.replace("-", "_"))


def native_name(lang: str) -> str:
    """The language's name in its own script: español, 中文 (简体), العربية..."""
    name = locale(lang).display_name
    return name[:1].upper() + name[1:]


def direction(lang: str) -> str:
    return "rtl" if locale(lang).character_order == "right-to-left" else "ltr"
