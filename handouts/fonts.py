"""The fonts: which characters they cover and what they are called inside a PDF."""

import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from fontTools.ttLib import TTCollection, TTFont

from .errors import HandoutsError
from .fontlock import CACHE_DIR
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


def family_name(font: TTFont) -> str:
    """The family a font belongs to: its typographic family name, else its family name."""
    names = font["name"]
    return str(names.getDebugName(16) or names.getDebugName(1))


@cache
def _cmap(path: Path, family: str) -> frozenset[int]:
    """The code points of the face named family in path (a collection holds several).

    Kept on disk beside fontconfig's cache, by file, size and modification time: reading a
    CJK font's map takes a seventh of a second, in every process that needs it."""
    stat = path.stat()
    key = hashlib.sha256(f"{path}\0{family}\0{stat.st_size}\0{stat.st_mtime_ns}".encode())
    kept = CACHE_DIR / f"cmap-{key.hexdigest()[:24]}.json"
    try:
        return frozenset(
            code for start, end in json.loads(kept.read_text()) for code in range(start, end + 1)
        )
    except (OSError, ValueError):
        pass
    with _faces(path) as faces:
        chosen = next((f for f in faces if family_name(f) == family), faces[0])
        codes = frozenset(chosen.getBestCmap())
    _keep(kept, json.dumps(_ranges(codes)))
    return codes


def _ranges(codes: frozenset[int]) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    for code in sorted(codes):
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    return ranges


def _keep(path: Path, text: str) -> None:
    """Write a cache file whole or not at all (workers may write it at once)."""
    try:
        temp = path.with_suffix(f".{os.getpid()}.tmp")
        temp.write_text(text)
        os.replace(temp, path)
    except OSError:  # a cache: without it, the map is read from the font next time
        pass


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
def _own_drawable(lang: str) -> frozenset[str]:
    return frozenset(map(chr, own_coverage(lang) | _IGNORED))


def missing_characters(text: str, lang: str) -> list[str]:
    """The characters of text that no font can draw. The language's own fonts are asked
    first: most documents need no other, and then no fallback font's character map is
    read (all of them take half a second)."""
    left = set(text) - _own_drawable(lang)
    return sorted(ch for ch in left if ord(ch) not in coverage(lang)) if left else []


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
    for derived in (
        family_coverage,
        coverage,
        own_coverage,
        _own_drawable,
        bundled_postscript_names,
    ):
        derived.cache_clear()


on_change(_forget)
