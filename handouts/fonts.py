"""The bundled fonts: which characters they cover and what they are called inside a PDF."""

from functools import cache
from pathlib import Path

from fontTools.ttLib import TTFont

from .languages import LANGUAGES, language, registry
from .locations import FONTS_DIR


def _stack(lang: str) -> tuple[tuple[str, ...], ...]:
    """The language's families in fallback order, each as its regular and bold files."""
    families = registry().families
    return tuple(
        (families[name].files["regular"], families[name].files["bold"])
        for name in language(lang).fonts
    )


# Language -> its font stack, from the registry (languages.toml).
STACKS: dict[str, tuple[tuple[str, ...], ...]] = {lang: _stack(lang) for lang in LANGUAGES}

# Characters that never need a glyph of their own.
_IGNORED = {0x20, 0x0A, 0x0D, 0x09, 0xA0, 0x200B, 0x2066, 0x2067, 0x2068, 0x2069, 0x200E, 0x200F}


@cache
def _cmap(relative: str) -> frozenset[int]:
    with TTFont(FONTS_DIR / relative, lazy=True) as font:
        return frozenset(font.getBestCmap())


@cache
def coverage(lang: str) -> frozenset[int]:
    """Code points the language's stack can draw in every weight."""
    families = [
        frozenset.intersection(*(_cmap(face) for face in family)) for family in STACKS[lang]
    ]
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
