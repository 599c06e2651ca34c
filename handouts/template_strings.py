"""The templates' own words: extracted with Babel, translated in gettext catalogues."""

import io
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import polib
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import write_po

from .catalogs import TEMPLATE_POT, CatalogStatus, raise_issues, read_review, update_catalog
from .locations import TEMPLATES_DIR, find_template_catalog, template_catalog_path
from .placeholders import catalog_issues

_METHODS = [("**.html", "jinja2")]
_OPTIONS = {
    "**.html": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true", "trimmed": "true"}
}


def extract_messages(templates_dir: Path = TEMPLATES_DIR) -> list[tuple[str | None, str]]:
    """(msgctxt, msgid) of every translatable template string, in template order."""
    messages: dict[tuple[str | None, str], tuple[str, int]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(templates_dir), method_map=_METHODS, options_map=_OPTIONS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        messages.setdefault((context, msgid), (filename, lineno))
    return list(messages)


def write_template_pot(messages, path: Path = TEMPLATE_POT) -> None:
    catalog = Catalog(project="handouts templates", fuzzy=False)
    for context, msgid in messages:
        catalog.add(msgid, context=context)
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=0, omit_header=False, sort_output=False)
    # Rewritten only when a message changed, not for a new POT-Creation-Date alone.
    if path.exists() and _undated(path.read_bytes()) == _undated(buffer.getvalue()):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def _undated(pot: bytes) -> bytes:
    return re.sub(rb'^"POT-Creation-Date: [^"]*"\n', b"", pot, flags=re.MULTILINE)


def update_template_catalogs(langs, messages) -> list:
    write_template_pot(messages)
    return [
        update_catalog(
            template_catalog_path(lang), lang, messages, "handouts templates", key_by_context=False
        )
        for lang in langs
    ]


@dataclass(frozen=True)
class TemplateTranslation:
    lang: str
    strings: dict[tuple[str | None, str], str]
    status: CatalogStatus


def load_template_translation(
    lang: str, template_dirs: tuple[Path, ...] = ()
) -> TemplateTranslation:
    return _load(lang, find_template_catalog(lang, tuple(template_dirs)))


@cache
def _load(lang: str, path: Path) -> TemplateTranslation:
    """Translations of the template strings that match the current templates."""
    messages = _current_messages()
    status = CatalogStatus(lang, total=len(messages))
    entries = {}
    if path.exists():
        po = polib.pofile(str(path), wrapwidth=0)
        # Every template string is %-formatted (new-style gettext), even without values.
        raise_issues(path, catalog_issues(po, lang, formatted=True))
        read_review(po, status)
        entries = {(e.msgctxt, e.msgid): e for e in po if not e.obsolete}
    strings = {}
    for key in messages:
        entry = entries.get(key)
        if entry is None or not entry.msgstr.strip():
            status.missing.append(key[1])
        elif entry.fuzzy:
            status.stale.append(key[1])
        else:
            strings[key] = entry.msgstr
            status.translated += 1
    return TemplateTranslation(lang, strings, status)


@cache
def _current_messages() -> tuple:
    return tuple(extract_messages())
