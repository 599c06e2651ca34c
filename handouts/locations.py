"""Where the bundled content, templates and fonts live: inside the package, so that an
installed wheel works from any folder. A clinic's own folders are given on the command
line (--content) and searched before these.
"""

import re
from importlib.resources import files
from pathlib import Path

# Package data is read from the file system (WeasyPrint, fontconfig and Jinja need real
# paths), so handouts must be installed unzipped, as pip and uv install wheels.
PACKAGE_DIR = Path(str(files("handouts"))).resolve()
CONTENT_DIR = PACKAGE_DIR / "samples"
TEMPLATES_DIR = PACKAGE_DIR / "templates"
FONTS_DIR = PACKAGE_DIR / "fonts"
DRUG_FILE = "drug.yaml"
CLINIC_REGISTRY = "languages.toml"  # the languages and fonts a content folder adds
CLINIC_VARIABLE = "HANDOUTS_CLINIC"  # environment variable naming a clinic.yaml


def display_path(path: Path) -> str:
    """A path as a user would type it: relative to the working directory when inside it."""
    path = Path(path).absolute()
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def discover(content_dir: Path) -> dict[str, Path]:
    """Drug id -> drug.yaml for every drug folder under content_dir, sorted by id."""
    from .errors import HandoutsError

    if not content_dir.is_dir():
        raise HandoutsError(
            f"content folder {display_path(content_dir)} does not exist; "
            "pass --content with a folder that holds <drug>/drug.yaml files"
        )
    found = {p.parent.name: p for p in content_dir.glob(f"*/{DRUG_FILE}")}
    from .languages import use_content

    use_content(content_dir)  # the languages this folder adds, if any
    return dict(sorted(found.items()))


def content_catalog_path(drug_dir: Path, lang: str) -> Path:
    return drug_dir / "locale" / f"{lang}.po"


def template_catalog_path(lang: str, root: Path | None = None) -> Path:
    return (root or TEMPLATES_DIR / "locale") / lang / "LC_MESSAGES" / "messages.po"


def find_template_catalog(lang: str, template_dirs: tuple[Path, ...] = ()) -> Path:
    """The first ``locale/<lang>/LC_MESSAGES/messages.po`` along the template folders,
    then the content folder's (where `i18n add-language` puts a language it adds).

    A clinic's override folder can so carry its own (for example reviewed) translations.
    """
    from .languages import package_registry, registry

    clinic = registry().clinic_file
    roots = [Path(folder) / "locale" for folder in template_dirs]
    roots += [clinic.parent / "locale"] if clinic else []
    for root in roots:
        path = template_catalog_path(lang, root)
        if path.exists():
            return path
    if clinic and lang not in package_registry().languages:
        return template_catalog_path(lang, clinic.parent / "locale")
    return template_catalog_path(lang)


def unregistered_catalogs(content_dir: Path) -> list[str]:
    """One line for each drug catalogue of a language handouts does not know."""
    from .languages import tags

    known = set(tags())
    return [
        f"{display_path(path)}: {path.stem!r} is not a language handouts knows; add it with "
        f"`handouts i18n add-language {path.stem} --content {display_path(content_dir)}`, "
        "or remove the file"
        for path in sorted(content_dir.glob("*/locale/*.po"))
        if path.stem not in known
    ]


def available_languages(drug_dir: Path) -> list[str]:
    """English plus every language whose content catalogue for this drug has a translation:
    what `build` makes by default, the web page offers and `check` lays out."""
    from .languages import SOURCE_LANGUAGE

    return [SOURCE_LANGUAGE] + [lang for lang, path in _catalogs(drug_dir) if _translated(path)]


def untranslated_languages(drug_dir: Path) -> list[str]:
    """Languages with a catalogue for this drug in which nothing is translated yet, as
    `i18n update` leaves them for the translators: skipped, not failed, by default."""
    return [lang for lang, path in _catalogs(drug_dir) if not _translated(path)]


def _catalogs(drug_dir: Path) -> list[tuple[str, Path]]:
    from .languages import tags

    found = {p.stem: p for p in (drug_dir / "locale").glob("*.po")}
    return [(lang, found[lang]) for lang in tags() if lang in found]


# A translated entry as written on one line; the header's msgstr is always empty.
_ONE_LINE_TRANSLATION = re.compile(r'^msgstr(?:\[\d+\])? "[^"\n]', re.MULTILINE)


def _translated(path: Path) -> bool:
    """Whether any entry has a translation (a fuzzy one counts: it is stale, not new).
    Read with a pattern first: a no-change rebuild asks this of every catalogue."""
    try:
        text = path.read_text(encoding="utf-8")
        if _ONE_LINE_TRANSLATION.search(text):
            return True
        import polib

        return any(e.msgstr for e in polib.pofile(text) if e.msgid and not e.obsolete)
    except (OSError, ValueError):
        return True  # unreadable: let the build say what is wrong with it


def plural(count: int, word: str, words: str = "") -> str:
    """ "1 document", "3 documents"; words: the plural where it is not word + "s"."""
    return f"{count} {word if count == 1 else words or word + 's'}"
