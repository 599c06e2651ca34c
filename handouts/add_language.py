"""`handouts i18n add-language`: a language for a clinic's content folder, as data.

What CLDR knows (through Babel) gives the entry: the script, the writing direction, the
locale for names and dates. The fonts are chosen from those installed by what they cover
of text in the language itself (its name, month and day names, from CLDR). The entry goes
into the content folder's languages.toml, and empty catalogues are made for translators.
"""

import json
import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from fontTools import unicodedata as scripts

from .errors import HandoutsError
from .fonts import family_coverage
from .languages import SOURCE_LANGUAGE, Registry, load_registry, package_registry
from .locations import CLINIC_REGISTRY, display_path, template_catalog_path

LATIN_FONT = "Atkinson Hyperlegible Next"  # drug names and addresses in every language
_HEADER = """\
# Languages this content folder adds to handouts' own, in the form of handouts'
# languages.toml. Written by `handouts i18n add-language`; edit freely. A font the
# bundled ones lack goes in fonts/ beside this file, named in a [families."NAME"] table
# (regular = "fonts/File-Regular.ttf", bold = ...), and then in a language's fonts.
"""


@dataclass(frozen=True)
class NewLanguage:
    tag: str
    script: str
    direction: str
    locale: str
    fonts: tuple[str, ...]
    name: str  # in its own script


def describe(tag: str, reg: Registry) -> NewLanguage:
    """The registry entry for tag, from CLDR and the fonts in reg."""
    if tag in reg.languages:
        raise HandoutsError(f"{tag!r} is already a language; `handouts list` shows them")
    try:
        loc = Locale.parse(tag, sep="-")
    except (UnknownLocaleError, ValueError):
        raise HandoutsError(
            f"{tag!r} is not a language CLDR knows; give a BCP 47 tag such as he, am, so, "
            "th or zh-Hant"
        ) from None
    likely = get_global("likely_subtags")
    full = likely.get(str(loc)) or likely.get(loc.language, "")  # vi_VN: as vi
    script = loc.script or next((p for p in full.split("_")[1:] if len(p) == 4), "")
    if not script:
        raise HandoutsError(f"CLDR gives no script for {tag!r}; give a tag with one (sr-Latn)")
    sample = _sample(loc)
    fonts = choose_fonts(script, sample, reg)
    return NewLanguage(tag, script, loc.text_direction, str(loc), fonts, loc.display_name or tag)


def _sample(loc: Locale) -> str:
    """Words in the language's own script: its name, months and days (CLDR)."""
    words = [loc.display_name or ""]
    for width in ("wide", "abbreviated"):
        words += list(loc.months["format"][width].values())
        words += list(loc.days["format"][width].values())
    return " ".join(words)


def choose_fonts(script: str, sample: str, reg: Registry) -> tuple[str, ...]:
    """The families for the sample's letters: those made for the script first, then the
    rest in registry order, each taken only if it draws letters the others do not. A
    script other than Latin is followed by the Latin font, for drug names and addresses."""
    letters = {ord(ch) for ch in sample if unicodedata.category(ch)[0] in "LM"}
    preferred = [f for f in reg.families.values() if script in f.scripts]
    ordered = [LATIN_FONT, *reg.fallback, *reg.families]
    if script != "Latn":
        ordered.remove(LATIN_FONT)
    names = list(dict.fromkeys([f.name for f in preferred] + ordered))
    # Latin: one design for the whole text where one font has every letter (Vietnamese
    # is set wholly in Noto Sans, not Atkinson with borrowed letters).
    whole = [n for n in names if letters <= family_coverage(n)]
    chosen: list[str] = whole[:1]
    left = letters - family_coverage(chosen[0]) if chosen else letters
    for name in names:
        if not left:
            break
        drawn = left & family_coverage(name)
        if drawn:
            chosen.append(name)
            left -= drawn
    if left:
        codes = sorted(left)
        name = scripts.script_name(script) if script else "its"
        raise HandoutsError(
            f"no installed font has the {name} script ({script}): characters "
            f"U+{codes[0]:04X}-U+{codes[-1]:04X} cannot be printed. Put a font that has them "
            f"(regular and bold files) in fonts/ in the content folder, name it in a "
            f'[families."NAME"] table of its {CLINIC_REGISTRY}, and run this again'
        )
    if script != "Latn" and LATIN_FONT not in chosen:
        # After the script's font, unless that font has Latin letters of its own (the
        # CJK fonts do): drug names and addresses are set in the Latin font either way.
        has_latin = set(map(ord, "AZaz")) <= family_coverage(chosen[0])
        chosen.insert(0, LATIN_FONT) if has_latin else chosen.append(LATIN_FONT)
    return tuple(chosen)


def write_entry(content_dir: Path, new: NewLanguage) -> Path:
    """Append the language's table to the content folder's languages.toml."""
    path = content_dir / CLINIC_REGISTRY
    text = path.read_text(encoding="utf-8") if path.exists() else _HEADER
    quoted = json.dumps  # a JSON string is a TOML basic string
    text += (
        f"\n# {new.name}\n[languages.{quoted(new.tag)}]\n"
        f"script = {quoted(new.script)}\ndirection = {quoted(new.direction)}\n"
        f"locale = {quoted(new.locale)}\n"
        f'fonts = [{", ".join(map(quoted, new.fonts))}]\nreadability = ""\n'
    )
    # Checked as the registry will read it before it replaces the file: a refused entry
    # leaves the folder as it was.
    draft = path.with_name(f".{CLINIC_REGISTRY}.{os.getpid()}")
    draft.write_text(text, encoding="utf-8")
    try:
        load_registry(draft, package_registry())
        os.replace(draft, path)
    finally:
        draft.unlink(missing_ok=True)
    return path


def clinic_template_catalog(content_dir: Path, tag: str) -> Path:
    """Where a content folder keeps the template catalogue of a language it adds."""
    return template_catalog_path(tag, content_dir / "locale")


def add_language(tag: str, content_dir: Path) -> tuple[NewLanguage, list[Path]]:
    """Register tag in the content folder and make its catalogues; returns the entry and
    every file written (languages.toml first)."""
    from .catalogs import content_catalog_path, translatable_strings, update_catalog
    from .content import load_all
    from .languages import use_content
    from .template_strings import extract_messages

    reg = use_content(content_dir)
    new = describe(tag, reg)
    drugs = load_all(content_dir)  # broken content stops here, before anything is written
    written = [write_entry(content_dir, new)]
    use_content(content_dir)
    catalog = clinic_template_catalog(content_dir, tag)
    update_catalog(catalog, tag, extract_messages(), "handouts templates", key_by_context=False)
    written.append(catalog)
    for drug in drugs:
        path = content_catalog_path(drug.path.parent, tag)
        project = f"handouts {drug.id} {drug.drug.content_version}"
        update_catalog(path, tag, translatable_strings(drug.drug), project, key_by_context=True)
        written.append(path)
    return new, written


def report(new: NewLanguage, written: list[Path]) -> list[str]:
    lines = [
        f"added {new.tag} ({new.name}): {new.script} script, "
        f"{'right to left' if new.direction == 'rtl' else 'left to right'}, "
        f"fonts {', '.join(new.fonts)}"
    ]
    lines += [f"  {display_path(path)}" for path in written]
    lines.append(
        f"Translate the PO files from {SOURCE_LANGUAGE}; `handouts check` shows what is "
        "missing, and the language is built once its catalogues are translated."
    )
    return lines
