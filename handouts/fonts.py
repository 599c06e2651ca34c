"""The bundled fonts: which characters they cover and what they are called inside a PDF."""

from functools import cache
from pathlib import Path

from fontTools.ttLib import TTFont

from .locations import FONTS_DIR

# Font files used for each language, in fallback order. Every face of a stack is
# checked, so a character must exist in the regular and the bold weight alike.
LATIN = ("atkinson-hyperlegible-next/AtkinsonHyperlegibleNext-Regular.ttf",
         "atkinson-hyperlegible-next/AtkinsonHyperlegibleNext-Bold.ttf")
STACKS: dict[str, tuple[str, ...]] = {"en": LATIN}

# Characters that never need a glyph of their own.
_IGNORED = {0x20, 0x0A, 0x0D, 0x09, 0xA0, 0x200B, 0x2068, 0x2069, 0x200E, 0x200F}


@cache
def _cmap(relative: str) -> frozenset[int]:
    with TTFont(FONTS_DIR / relative, lazy=True) as font:
        return frozenset(font.getBestCmap())


@cache
def coverage(lang: str) -> frozenset[int]:
    """Code points every face of the language's stack can draw (the intersection)."""
    faces = [_cmap(f) for f in STACKS[lang]]
    return frozenset.intersection(*faces)


def missing_characters(text: str, lang: str) -> list[str]:
    covered = coverage(lang)
    return sorted({ch for ch in text if ord(ch) not in _IGNORED and ord(ch) not in covered})


@cache
def bundled_postscript_names() -> frozenset[str]:
    """PostScript names (name ID 6) of every font file under fonts/."""
    names = set()
    for path in sorted(Path(FONTS_DIR).rglob("*")):
        if path.suffix.lower() in (".ttf", ".otf"):
            with TTFont(path, lazy=True) as font:
                names.add(font["name"].getDebugName(6))
    return frozenset(names)
