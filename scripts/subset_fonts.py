"""Make the compact Noto fonts in fonts/noto/ from Debian's font packages.

The Noto fonts cover the scripts Atkinson Hyperlegible Next lacks: Vietnamese, Cyrillic,
Arabic, Devanagari, and simplified Chinese, Japanese and Korean. The CJK fonts are about
20 MB each, so they are cut down to a common-character set plus every character the
translations use:

- Simplified Chinese: GB 2312 level 1 (the 3,755 most common hanzi);
- Japanese: kana and JIS X 0208 level 1 kanji (2,965, covering the Joyo kanji in use);
- Korean: the 2,350 Hangul syllables of KS X 1001.

After changing a translation, run this again so new characters are included; the build
reports any character the fonts lack (U+XXXX) before printing.

    apt-get download fonts-noto-core fonts-noto-cjk
    for f in fonts-noto-*.deb; do dpkg-deb -x "$f" noto-src; done
    .venv/bin/python scripts/subset_fonts.py noto-src
"""

import sys
from pathlib import Path

import polib
from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "handouts" / "fonts" / "noto"

BASIC = [
    *range(0x20, 0x7F),
    *range(0xA0, 0x100),
    *range(0x2010, 0x2028),
    *range(0x2030, 0x203B),
    0x20AC,
    0x2122,
    0x2212,
    0x25CC,
    0x200C,
    0x200D,
    0x200E,
    0x200F,
]
LATIN_CYRILLIC = [
    *BASIC,
    *range(0x100, 0x250),
    *range(0x300, 0x370),
    *range(0x400, 0x530),
    *range(0x1E00, 0x1F00),
]
ARABIC = [
    *BASIC,
    *range(0x600, 0x700),
    *range(0x750, 0x780),
    *range(0xFB50, 0xFE00),
    *range(0xFE70, 0xFF00),
]
DEVANAGARI = [*BASIC, *range(0x900, 0x980), *range(0xA8E0, 0xA900), *range(0x1CD0, 0x1D00)]
CJK_COMMON = [*BASIC, *range(0x3000, 0x3040), *range(0xFF00, 0xFFF0)]


def _decode_range(encoding: str, first: range, second: range) -> set[int]:
    found = set()
    for a in first:
        for b in second:
            try:
                found.add(ord(bytes([a, b]).decode(encoding)))
            except UnicodeDecodeError:
                pass
    return found


def gb2312_level1() -> set[int]:
    return _decode_range("gb2312", range(0xB0, 0xD8), range(0xA1, 0xFF))


def jis_level1() -> set[int]:
    return _decode_range("euc_jp", range(0xB0, 0xD0), range(0xA1, 0xFF))


def ksx1001_hangul() -> set[int]:
    return _decode_range("euc_kr", range(0xB0, 0xC9), range(0xA1, 0xFF))


def used_characters(lang: str) -> set[int]:
    """Every character of the translations into lang (content and template catalogues)."""
    files = [
        *ROOT.glob(f"handouts/samples/*/locale/{lang}.po"),
        ROOT / "handouts" / "templates" / "locale" / lang / "LC_MESSAGES" / "messages.po",
    ]
    found = set()
    for path in files:
        if path.exists():
            for entry in polib.pofile(str(path)):
                found.update(map(ord, entry.msgstr))
    return found


def write_subset(font: TTFont, unicodes, target: Path) -> None:
    options = subset.Options()
    options.layout_features = ["*"]  # keep shaping (Arabic joining, Devanagari conjuncts)
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.hinting = False  # print only: hinting is for screens
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(unicodes))
    subsetter.subset(font)
    target.parent.mkdir(parents=True, exist_ok=True)
    font.save(target)
    print(
        f"{target.relative_to(ROOT)}: {len(font.getBestCmap())} characters, "
        f"{target.stat().st_size // 1024} KB"
    )


def main(source: Path) -> None:
    truetype = next(source.rglob("truetype/noto"))
    opentype = next(source.rglob("opentype/noto"))
    for weight in ("Regular", "Bold"):
        for name, unicodes in (
            ("NotoSans", LATIN_CYRILLIC),
            ("NotoSansArabic", ARABIC),
            ("NotoSansDevanagari", DEVANAGARI),
        ):
            # Keep the source's timestamp, so that running this again changes nothing.
            write_subset(
                TTFont(truetype / f"{name}-{weight}.ttf", recalcTimestamp=False),
                unicodes,
                OUT / f"{name}-{weight}.ttf",
            )
        collection = TTCollection(opentype / f"NotoSansCJK-{weight}.ttc", recalcTimestamp=False)
        by_name = {font["name"].getDebugName(1): font for font in collection.fonts}
        for region, lang, common in (
            ("SC", "zh-Hans", gb2312_level1()),
            ("JP", "ja", jis_level1() | set(range(0x3040, 0x3100))),
            ("KR", "ko", ksx1001_hangul()),
        ):
            write_subset(
                by_name[f"Noto Sans CJK {region}"],
                set(CJK_COMMON) | common | used_characters(lang),
                OUT / f"NotoSansCJK{region.lower()}-{weight}.otf",
            )


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
