"""The languages handouts speaks, read from the registry (languages.toml): their script,
writing direction, Babel locale, fonts and reading-level formula. Adding a language
changes data, not code."""

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .errors import HandoutsError
from .locations import CLINIC_REGISTRY, FONTS_DIR, PACKAGE_DIR, display_path

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
    files: dict[str, Path]  # style (regular, bold, italic) -> font file
    scripts: tuple[str, ...] = ()  # ISO 15924 codes it is the first choice for


@dataclass(frozen=True)
class Language:
    tag: str
    script: str
    direction: str  # ltr | rtl
    locale: str  # Babel's name for it
    fonts: tuple[str, ...]  # family names, in fallback order
    readability: str  # a textstat formula, or ""


@dataclass(frozen=True, eq=False)  # compared by identity: one per registry loaded
class Registry:
    source: str
    languages: dict[str, Language]
    families: dict[str, Family]
    fallback: tuple[str, ...]  # families tried after a language's own
    clinic_file: Path | None = None  # the clinic's languages.toml merged in, if any

    def stack(self, lang: str) -> tuple[str, ...]:
        """The language's families, then every fallback family it does not list."""
        own = self.languages[lang].fonts
        return own + tuple(name for name in self.fallback if name not in own)


def load_registry(path: Path = REGISTRY_FILE, base: "Registry | None" = None) -> Registry:
    """The registry in path, checked whole: every problem is reported at once.

    With base, path is a clinic's registry: its families and languages are added to the
    base's (never replacing one), its font files are found beside it, and it has no source.
    """
    where = display_path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise HandoutsError(f"{where}: cannot be read as TOML: {error}") from None
    problems: list[str] = []
    known = dict(base.families) if base else {}
    folder = path.parent if base else FONTS_DIR
    families = {}
    for name, table in _tables(data, "families", where, problems, optional=bool(base)).items():
        files = {style: folder / file for style, file in table.items() if style in STYLES}
        problems += [
            f"{where}: families.{name}.{key}: unknown key; use {', '.join(STYLES)}, scripts"
            for key in table
            if key not in STYLES and key != "scripts"
        ]
        scripts = table.get("scripts", [])
        if not isinstance(scripts, list) or not all(isinstance(s, str) for s in scripts):
            problems.append(f'{where}: families.{name}.scripts: a list of codes, e.g. ["Hant"]')
            scripts = []
        problems += [
            f"{where}: families.{name}: needs a {style} file"
            for style in ("regular", "bold")
            if style not in files
        ]
        if name in known:
            problems.append(f"{where}: families.{name}: already bundled; use another name")
        if base:
            problems += [
                f"{where}: families.{name}.{style}: no font file {display_path(file)}"
                for style, file in files.items()
                if not file.is_file()
            ]
        families[name] = Family(name, files, tuple(scripts))
    known.update(families)
    languages = {}
    for tag, table in _tables(data, "languages", where, problems, optional=bool(base)).items():
        if base and tag in base.languages:
            problems.append(f"{where}: languages.{tag}: handouts already has this language")
            continue
        found = _language(tag, table, known, f"{where}: languages.{tag}", problems)
        if found:
            languages[tag] = found
    fallback = data.get("fallback", [])
    if not isinstance(fallback, list) or not all(isinstance(f, str) for f in fallback):
        problems.append(f"{where}: fallback: give a list of font family names")
        fallback = []
    problems += [
        f"{where}: fallback: unknown family {name!r}" for name in fallback if name not in known
    ]
    if base:
        if "source" in data:
            problems.append(f"{where}: source: only handouts' own registry names it")
    elif data.get("source", "") not in languages:
        problems.append(f"{where}: source: {data.get('source', '')!r} must be one of the languages")
    if problems:
        raise HandoutsError("\n".join(problems))
    if base:
        return Registry(
            base.source,
            {**base.languages, **languages},
            known,
            base.fallback + tuple(f for f in fallback if f not in base.fallback),
            path,
        )
    return Registry(data["source"], languages, families, tuple(fallback))


def _tables(
    data: dict, key: str, where: str, problems: list[str], optional: bool = False
) -> dict[str, dict]:
    tables = data.get(key, {} if optional else None)
    if not isinstance(tables, dict) or not (tables or optional):
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
def package_registry() -> Registry:
    return load_registry()


_active: list[Registry] = []
_listeners: list = []


def registry() -> Registry:
    """The registry in use: handouts' own, plus the languages of the content folder
    last named to use_content."""
    return _active[-1] if _active else package_registry()


def use_content(content_dir: Path | None) -> Registry:
    """Take in the languages a content folder adds (its languages.toml), if any.

    A process works on one content folder at a time (a command, a server, a worker's
    job), so the registry is a setting of the process rather than an argument everywhere.
    """
    path = Path(content_dir) / CLINIC_REGISTRY if content_dir else None
    current = registry()
    if path is not None and path.is_file():
        if current.clinic_file != path or _stale(current):
            _set(load_registry(path, package_registry()))
    elif current.clinic_file is not None:
        _set(package_registry())
    return registry()


_loaded_at: dict[Path, int] = {}


def _stale(reg: Registry) -> bool:
    path = reg.clinic_file
    return path is not None and _loaded_at.get(path) != path.stat().st_mtime_ns


def _set(reg: Registry) -> None:
    if reg.clinic_file is not None:
        _loaded_at[reg.clinic_file] = reg.clinic_file.stat().st_mtime_ns
    _active[:] = [reg]
    locale.cache_clear()
    for listener in _listeners:
        listener()


def on_change(listener) -> None:
    """Call listener whenever use_content changes the registry (to drop what was derived
    from the old one)."""
    _listeners.append(listener)


SOURCE_LANGUAGE = package_registry().source
LANGUAGES = tuple(package_registry().languages)  # handouts' own languages


def tags() -> tuple[str, ...]:
    """Every language in use, handouts' own first, then the clinic's."""
    return tuple(registry().languages)


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
