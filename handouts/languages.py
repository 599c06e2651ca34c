"""The languages handouts speaks, read from the registry (languages.toml): their script,
writing direction, Babel locale, fonts and reading-level formula. Adding a language
changes data, not code."""

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .errors import HandoutsError
from .locations import PACKAGE_DIR, display_path

REGISTRY_FILE = PACKAGE_DIR / "languages.toml"
# The textstat formulas a language can name for its reading level (readability.py):
# each with its name and what its number means.
FORMULAS = {
    "flesch_kincaid_grade": ("Flesch-Kincaid grade", "US school grade"),
    "fernandez_huerta": ("Fernández Huerta", "ease, 0-100, higher is easier"),
    "wiener_sachtextformel": ("Wiener Sachtextformel", "school grade"),  # variant 1
    "gulpease_index": ("Gulpease", "ease, 0-100, higher is easier"),
    "flesch_reading_ease": ("Flesch reading ease", "ease, 0-100, higher is easier"),
    "szigriszt_pazos": ("Szigriszt-Pazos", "ease, 0-100, higher is easier"),
    "gunning_fog": ("Gunning fog", "years of schooling"),
}
STYLES = {"regular": (400, "normal"), "bold": (700, "normal"), "italic": (400, "italic")}


@dataclass(frozen=True)
class Family:
    name: str
    files: dict[str, str]  # style (regular, bold, italic) -> path under fonts/


@dataclass(frozen=True)
class Language:
    tag: str
    script: str
    direction: str  # ltr | rtl
    locale: str  # Babel's name for it
    fonts: tuple[str, ...]  # family names, in fallback order
    readability: str  # a textstat formula, or ""


@dataclass(frozen=True)
class Registry:
    source: str
    languages: dict[str, Language]
    families: dict[str, Family]


def load_registry(path: Path = REGISTRY_FILE) -> Registry:
    """The registry in path, checked whole: every problem is reported at once."""
    where = display_path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise HandoutsError(f"{where}: cannot be read as TOML: {error}") from None
    problems: list[str] = []
    families = {}
    for name, table in _tables(data, "families", where, problems).items():
        files = {style: file for style, file in table.items() if style in STYLES}
        problems += [
            f"{where}: families.{name}.{key}: unknown key; use {', '.join(STYLES)}"
            for key in table
            if key not in STYLES
        ]
        problems += [
            f"{where}: families.{name}: needs a {style} file"
            for style in ("regular", "bold")
            if style not in files
        ]
        families[name] = Family(name, files)
    languages = {}
    for tag, table in _tables(data, "languages", where, problems).items():
        found = _language(tag, table, families, f"{where}: languages.{tag}", problems)
        if found:
            languages[tag] = found
    source = data.get("source", "")
    if source not in languages:
        problems.append(f"{where}: source: {source!r} must be one of the languages")
    if problems:
        raise HandoutsError("\n".join(problems))
    return Registry(source, languages, families)


def _tables(data: dict, key: str, where: str, problems: list[str]) -> dict[str, dict]:
    tables = data.get(key)
    if not isinstance(tables, dict) or not tables:
        problems.append(f"{where}: [{key}.NAME] tables are missing")
        return {}
    bad = [name for name, table in tables.items() if not isinstance(table, dict)]
    problems += [f"{where}: {key}.{name}: must be a table" for name in bad]
    return {name: table for name, table in tables.items() if name not in bad}


def _language(
    tag: str, table: dict, families: dict, where: str, problems: list[str]
) -> Language | None:
    before = len(problems)
    for key in sorted(set(table) - {"script", "direction", "locale", "fonts", "readability"}):
        problems.append(
            f"{where}.{key}: unknown key; use script, direction, locale, fonts, readability"
        )
    text = {key: table.get(key) for key in ("script", "direction", "locale", "readability")}
    for key, value in text.items():
        if not isinstance(value, str) or (key != "readability" and not value):
            problems.append(f"{where}.{key}: missing or not a string")
    if text["readability"] and text["readability"] not in FORMULAS:
        problems.append(
            f"{where}.readability: unknown formula {text['readability']!r}; use "
            f'one of: {", ".join(FORMULAS)}, or "" for none'
        )
    if text["direction"] not in ("ltr", "rtl", None):
        problems.append(f"{where}.direction: {text['direction']!r}; use ltr or rtl")
    fonts = table.get("fonts")
    if not isinstance(fonts, list) or not fonts or not all(isinstance(f, str) for f in fonts):
        problems.append(f"{where}.fonts: give a list of font family names")
        fonts = []
    for name in fonts:
        if name not in families:
            problems.append(
                f'{where}.fonts: unknown family {name!r}; add a [families."{name}"]'
                " table or use one of: " + ", ".join(families)
            )
    if len(problems) > before:
        return None
    return Language(
        tag,
        str(text["script"]),
        str(text["direction"]),
        str(text["locale"]),
        tuple(fonts),
        str(text["readability"]),
    )


@cache
def registry() -> Registry:
    return load_registry()


SOURCE_LANGUAGE = registry().source
LANGUAGES = tuple(registry().languages)


def language(lang: str) -> Language:
    return registry().languages[lang]


@cache
def locale(lang: str):
    """Babel's locale data for a language (imported here, so the CLI starts fast)."""
    from babel import Locale

    return Locale.parse(language(lang).locale)


def native_name(lang: str) -> str:
    """The language's name in its own script: español, 中文 (简体), العربية..."""
    name = locale(lang).display_name
    return name[:1].upper() + name[1:]


def direction(lang: str) -> str:
    return language(lang).direction
