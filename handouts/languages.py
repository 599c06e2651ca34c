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
        if found and base and not _known_locale(found.locale):
            problems.append(
                f"{where}: languages.{tag}.locale: {found.locale!r} is not a locale CLDR "
                "knows; use Babel's name, such as he, am or zh_Hant"
            )
        elif found:
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


def _known_locale(name: str) -> bool:
    """Whether Babel has the locale (checked for a clinic's languages: handouts' own are)."""
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(name)
    except (UnknownLocaleError, ValueError):
        return False
    return True


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


_active: list[tuple[tuple, Registry]] = []  # (what it was made from, the registry)
_listeners: list = []
_made: dict[tuple, Registry] = {}


def registry() -> Registry:
    """The registry in use: handouts' own, plus the languages of the content folder
    last named to use_content, and the clinic's fonts."""
    return _active[-1][1] if _active else package_registry()


def use_content(content_dir: Path | None, fonts_dir: Path | None | bool = True) -> Registry:
    """Take in the languages a content folder adds (its languages.toml), if any, and the
    fonts of a clinic's font folder (fonts_dir; True keeps the folder in use).

    A process works on one content folder at a time (a command, a server, a worker's
    job), so the registry is a setting of the process rather than an argument everywhere.
    """
    if isinstance(fonts_dir, bool):
        fonts_dir = _active[-1][0][2] if _active and fonts_dir else None
    path = Path(content_dir) / CLINIC_REGISTRY if content_dir else None
    toml = path if path is not None and path.is_file() else None
    key = (toml, _stamp(toml), fonts_dir, _stamp(fonts_dir))
    if key != (_active[-1][0] if _active else (None, None, None, None)):
        if key not in _made:  # the same inputs give the same registry object back
            reg = package_registry()
            if isinstance(fonts_dir, Path):
                reg = font_folder_registry(fonts_dir, reg)
            if toml is not None:
                reg = load_registry(toml, reg)
            _made[key] = reg
        _active[:] = [(key, _made[key])]
        locale.cache_clear()
        for listener in _listeners:
            listener()
    return registry()


def _stamp(path: Path | None) -> tuple:
    """What tells that a file, or a folder's files, changed."""
    if path is None:
        return ()
    if path.is_dir():
        return tuple(sorted((p.name, p.stat().st_mtime_ns) for p in path.iterdir()))
    return (path.stat().st_mtime_ns,)


def font_folder_registry(folder: Path, base: Registry) -> Registry:
    """base with the fonts of a clinic's font folder (clinic.yaml fonts:) added: each
    family by the name inside its files, its regular and bold told apart by their weight.
    They are tried before the bundled fallback fonts, and a clinic's templates can name
    them."""
    from fontTools.ttLib import TTFont

    from .fonts import family_name  # (fonts.py reads this module when it loads)

    where = display_path(folder)
    found: dict[str, dict[str, Path]] = {}
    problems = []
    for file in sorted(folder.iterdir()):
        if file.suffix.lower() not in (".ttf", ".otf"):
            continue
        try:
            with TTFont(file, lazy=True) as font:
                name = family_name(font)
                italic = bool(font["OS/2"].fsSelection & 1)
                bold = font["OS/2"].usWeightClass >= 600
        except Exception as error:  # a damaged file is the clinic's to replace
            problems.append(f"{display_path(file)}: not a font that can be read ({error})")
            continue
        style = "italic" if italic and not bold else "bold" if bold else "regular"
        if not italic or style == "italic":
            found.setdefault(name, {})[style] = file
    families = {}
    for name, files in found.items():
        if name in base.families:
            problems.append(f"{where}: family {name!r} is bundled already; rename it")
        elif not {"regular", "bold"} <= set(files):
            missing = " and ".join(s for s in ("regular", "bold") if s not in files)
            problems.append(f"{where}: family {name!r} has no {missing} file; add it")
        else:
            families[name] = Family(name, files)
    if not found and not problems:
        problems.append(f"{where}: no .ttf or .otf font files in this folder")
    if problems:
        raise HandoutsError("\n".join(problems) + "\n(clinic.yaml fonts:)")
    return Registry(
        base.source,
        base.languages,
        {**base.families, **families},
        tuple(families) + base.fallback,
        base.clinic_file,
    )


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
