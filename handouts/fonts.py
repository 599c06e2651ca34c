"""The fonts: which characters they cover and what they are called inside a PDF."""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from fontTools.ttLib import TTCollection, TTFont

from .errors import HandoutsError
from .languages import on_change, registry
from .locations import FONTS_DIR, display_path

# Characters that never need a glyph of their own: spaces, and the direction marks and
# isolates that order a line (render_html.py).
_IGNORED = {0x20, 0x0A, 0x0D, 0x09, 0xA0, 0x200B, 0x2066, 0x2067, 0x2068, 0x2069, 0x200E, 0x200F}
FONT_SUFFIXES = (".ttf", ".otf", ".ttc")


@contextmanager
def _faces(path: Path) -> Iterator[list[TTFont]]:
    """The fonts in a file: one, or each of a collection's."""
    if not path.is_file():
        raise HandoutsError(
            f"font file {display_path(path)} is missing; the Noto fonts are fetched at "
            "set-up: run scripts/setup.sh (or python3 scripts/fetch_fonts.py)"
        )
    if path.suffix.lower() == ".ttc":
        with TTCollection(path, lazy=True) as collection:
            yield list(collection.fonts)
    else:
        with TTFont(path, lazy=True) as font:
            yield [font]


def _family_name(font: TTFont) -> str:
    names = font["name"]
    return str(names.getDebugName(16) or names.getDebugName(1))


@cache
def _cmap(path: Path, family: str) -> frozenset[int]:
    """The code points of the face named family in path (a collection holds several)."""
    with _faces(path) as faces:
        chosen = next((f for f in faces if _family_name(f) == family), faces[0])
        return frozenset(chosen.getBestCmap())


@cache
def family_coverage(name: str) -> frozenset[int]:
    """Code points the family can draw in every weight (headings are bold)."""
    family = registry().families[name]
    return _cmap(family.files["regular"], name) & _cmap(family.files["bold"], name)


@cache
def coverage(lang: str) -> frozenset[int]:
    """Code points the language's stack, with the fallback families, can draw."""
    return frozenset().union(*(family_coverage(name) for name in registry().stack(lang)))


@cache
def own_coverage(lang: str) -> frozenset[int]:
    """Code points the language's own families draw, before any fallback family."""
    fonts = registry().languages[lang].fonts
    return frozenset().union(*(family_coverage(name) for name in fonts))


def fallback_families(text: str, langs) -> tuple[str, ...]:
    """The fallback families a document needs: those that draw a character of its text
    that the own fonts of one of its languages lack, in fallback order.

    A document names only these after its languages' own fonts: a font stack of every
    script made each handout a fifth slower to lay out (Pango weighs each family of the
    list for every run of text)."""
    reg = registry()
    chars = {ord(ch) for ch in set(text)} - _IGNORED
    needed: set[str] = set()
    for lang in langs:
        left = chars - own_coverage(lang)
        for name in reg.fallback:
            if not left:
                break
            drawn = left & family_coverage(name)
            if drawn:
                needed.add(name)
                left -= drawn
    return tuple(name for name in reg.fallback if name in needed)


@cache
def _drawable(lang: str) -> frozenset[str]:
    return frozenset(map(chr, coverage(lang) | _IGNORED))


def missing_characters(text: str, lang: str) -> list[str]:
    return sorted(set(text) - _drawable(lang))


@cache
def bundled_postscript_names() -> frozenset[str]:
    """PostScript names (name ID 6) of every font a PDF may embed: each file under fonts/
    (each face of a collection) and each font a clinic's registry names."""
    paths = {p for p in Path(FONTS_DIR).rglob("*") if p.suffix.lower() in FONT_SUFFIXES}
    paths.update(f for family in registry().families.values() for f in family.files.values())
    names: set[str] = set()
    for path in sorted(paths):
        with _faces(path) as faces:
            names.update(str(face["name"].getDebugName(6)) for face in faces)
    return frozenset(names)


def _forget() -> None:
    for derived in (family_coverage, coverage, own_coverage, _drawable, bundled_postscript_names):
        derived.cache_clear()


on_change(_forget)
