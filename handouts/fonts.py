"""The bundled fonts: which characters they cover and what they are called inside a PDF."""

from functools import cache
from pathlib import Path

from fontTools.ttLib import TTFont

from .locations import FONTS_DIR

# Each family as its regular and bold files; a character counts as covered by a family
# only when both weights have it (headings are bold).
ATKINSON = ("atkinson-hyperlegible-next/AtkinsonHyperlegibleNext-Regular.ttf",
            "atkinson-hyperlegible-next/AtkinsonHyperlegibleNext-Bold.ttf")
NOTO = ("noto/NotoSans-Regular.ttf", "noto/NotoSans-Bold.ttf")
ARABIC = ("noto/NotoSansArabic-Regular.ttf", "noto/NotoSansArabic-Bold.ttf")
DEVANAGARI = ("noto/NotoSansDevanagari-Regular.ttf", "noto/NotoSansDevanagari-Bold.ttf")
CJK_SC = ("noto/NotoSansCJKsc-Regular.otf", "noto/NotoSansCJKsc-Bold.otf")
CJK_JP = ("noto/NotoSansCJKjp-Regular.otf", "noto/NotoSansCJKjp-Bold.otf")
CJK_KR = ("noto/NotoSansCJKkr-Regular.otf", "noto/NotoSansCJKkr-Bold.otf")

# The font stack of each language, in fallback order; print.css says the same in CSS.
# Vietnamese and Russian are set wholly in Noto Sans: mixing two designs inside words
# (Atkinson lacks their letters) would read badly.
STACKS: dict[str, tuple[tuple[str, ...], ...]] = {
    **{lang: (ATKINSON,) for lang in ("en", "es", "tl", "fr", "de", "it", "pt", "ht", "pl")},
    "vi": (NOTO,),
    "ru": (NOTO,),
    "ar": (ARABIC, ATKINSON),
    "hi": (DEVANAGARI, ATKINSON),
    "zh-Hans": (ATKINSON, CJK_SC),
    "ja": (ATKINSON, CJK_JP),
    "ko": (ATKINSON, CJK_KR),
}

# Characters that never need a glyph of their own.
_IGNORED = {0x20, 0x0A, 0x0D, 0x09, 0xA0, 0x200B, 0x2068, 0x2069, 0x200E, 0x200F}


@cache
def _cmap(relative: str) -> frozenset[int]:
    with TTFont(FONTS_DIR / relative, lazy=True) as font:
        return frozenset(font.getBestCmap())


@cache
def coverage(lang: str) -> frozenset[int]:
    """Code points the language's stack can draw in every weight."""
    families = [frozenset.intersection(*(_cmap(face) for face in family))
                for family in STACKS[lang]]
    return frozenset.union(*families)


@cache
def _drawable(lang: str) -> frozenset[str]:
    return frozenset(map(chr, coverage(lang) | _IGNORED))


def missing_characters(text: str, lang: str) -> list[str]:
    return sorted(set(text) - _drawable(lang))


@cache
def bundled_postscript_names() -> frozenset[str]:
    """PostScript names (name ID 6) of every font file under fonts/."""
    names = set()
    for path in sorted(Path(FONTS_DIR).rglob("*")):
        if path.suffix.lower() in (".ttf", ".otf"):
            with TTFont(path, lazy=True) as font:
                names.add(font["name"].getDebugName(6))
    return frozenset(names)
