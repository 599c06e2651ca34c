"""Translation catalogues as gettext PO files, the format translators and vendors use.

Two kinds, both keyed so that a change of the English is never missed:

- content: ``content/<drug>/locale/<lang>.po``, one entry per translatable string of
  drug.yaml, ``msgctxt`` = the field path, ``msgid`` = the English;
- templates: ``templates/locale/<lang>/LC_MESSAGES/messages.po``, extracted from the
  templates with Babel's Jinja extractor.

A catalogue is *reviewed* when its header names a clinical reviewer and a review date
(``X-Clinical-Reviewer``, ``X-Clinical-Review-Date``); otherwise it is a draft.
"""

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polib

from . import __version__
from .errors import CatalogError, Problem
from .locations import (
    TEMPLATES_DIR,
    available_languages,  # noqa: F401 (re-exported)
    content_catalog_path,
    display_path,
)
from .placeholders import Issue, catalog_issues
from .schema import Drug

REVIEWER = "X-Clinical-Reviewer"
REVIEW_DATE = "X-Clinical-Review-Date"
TEMPLATE_CATALOGS = TEMPLATES_DIR / "locale"
TEMPLATE_POT = TEMPLATE_CATALOGS / "messages.pot"

# Fields that are not translated: names, codes, dates, addresses and cited titles, and
# the lint marks (terms, intended_repeats), which are never printed.
_NOT_TRANSLATED = {
    "content_version",
    "last_reviewed",
    "full_info_url",
    "sources",
    "generic",
    "brands",
    "frequency",
    "terms",
    "intended_repeats",
    "codes",
    "version",  # changes[i].version and .date
    "date",
}
# A missing or stale translation of these stops the language from being built.
CRITICAL_SECTIONS = ("boxed_warnings", "call_right_away", "card")
# Translated, but shown only by the web edition (site.py): never printed.
WEB_ONLY_SECTIONS = ("changes",)


def section_of(path: str) -> str:
    return path.split(".")[0].split("[")[0]


def is_critical(path: str) -> bool:
    return section_of(path) in CRITICAL_SECTIONS


def translatable_strings(drug: Drug) -> list[tuple[str, str]]:
    """(field path, English) for every string a translator must translate, in file order."""
    found = []

    def walk(value, path):
        if isinstance(value, str):
            found.append((path, value))
        elif isinstance(value, dict):
            for key, item in value.items():
                if key not in _NOT_TRANSLATED:
                    walk(item, f"{path}.{key}" if path else key)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, f"{path}[{i}]")

    walk(drug.model_dump(mode="json"), "")
    return found


@dataclass
class UpdateResult:
    path: Path
    added: int = 0
    stale: int = 0
    obsolete: int = 0
    created: bool = False


def update_catalog(
    path: Path,
    lang: str,
    entries: Sequence[tuple[str | None, str]],
    project: str,
    *,
    key_by_context: bool,
) -> UpdateResult:
    """Bring a PO file in line with the current English, keeping every translation.

    New strings arrive untranslated; a string whose English changed keeps its old
    translation, is marked fuzzy and remembers the English it was made from
    (``#| msgid``); strings no longer used become obsolete (``#~``).
    """
    result = UpdateResult(path, created=not path.exists())
    old = polib.pofile(str(path), wrapwidth=0) if path.exists() else None
    po = polib.POFile(wrapwidth=0)
    po.metadata = (
        dict(old.metadata)
        if old
        else {
            "Project-Id-Version": project,
            "Language": lang,
            "MIME-Version": "1.0",
            "Content-Type": "text/plain; charset=UTF-8",
            "Content-Transfer-Encoding": "8bit",
            REVIEWER: "",
            REVIEW_DATE: "",
        }
    )
    po.metadata["Project-Id-Version"] = project
    po.metadata["X-Generator"] = f"handouts {__version__}"

    def key(ctxt, msgid):
        return ctxt if key_by_context else (ctxt, msgid)

    previous = {key(e.msgctxt, e.msgid): e for e in old if not e.obsolete} if old else {}
    for ctxt, msgid in entries:
        before = previous.pop(key(ctxt, msgid), None)
        entry = polib.POEntry(msgctxt=ctxt, msgid=msgid)
        if before is None:
            result.added += 1
        else:
            entry.msgstr = before.msgstr
            entry.flags = list(before.flags)
            entry.comment, entry.tcomment = before.comment, before.tcomment
            entry.previous_msgid = before.previous_msgid
            if before.msgid != msgid and before.msgstr:
                # Keep the English the translation was made from, not an intermediate one.
                entry.previous_msgid = before.previous_msgid or before.msgid
                if "fuzzy" not in entry.flags:
                    entry.flags.append("fuzzy")
                result.stale += 1
        po.append(entry)
    for gone in previous.values():
        if gone.msgstr:
            gone.obsolete = True
            po.append(gone)
            result.obsolete += 1
    if old:
        po.extend(e for e in old if e.obsolete)
    path.parent.mkdir(parents=True, exist_ok=True)
    po.save(str(path))
    return result


@dataclass
class CatalogStatus:
    """How far a catalogue is from the current English."""

    lang: str
    total: int = 0
    translated: int = 0
    stale: list[str] = field(default_factory=list)  # field paths or msgids
    missing: list[str] = field(default_factory=list)
    reviewer: str = ""
    review_date: dt.date | None = None

    @property
    def reviewed(self) -> bool:
        return bool(self.reviewer) and self.review_date is not None

    @property
    def percent(self) -> float:
        return 100.0 * self.translated / self.total if self.total else 100.0


@dataclass
class Translation:
    """One language's translations of one drug, read against the current English."""

    lang: str
    strings: dict[str, str]  # field path -> translation (current, not fuzzy)
    status: CatalogStatus
    english: dict[str, str]  # field path -> current English


def read_review(po: polib.POFile, status: CatalogStatus) -> None:
    status.reviewer = po.metadata.get(REVIEWER, "").strip()
    try:
        status.review_date = dt.date.fromisoformat(po.metadata.get(REVIEW_DATE, "").strip())
    except ValueError:
        status.review_date = None


@functools.lru_cache(maxsize=32)
def _parse_catalog(text: str, lang: str):
    """A parsed catalogue, its live entries by context and its broken entries. A worker
    renders a drug's handout and its card one after the other: the same text is parsed
    once. Keyed by the whole text, so a changed file is always parsed again."""
    po = polib.pofile(text, wrapwidth=0)
    entries = {e.msgctxt: e for e in po if not e.obsolete and e.msgctxt}
    return po, entries, catalog_issues(po, lang, formatted=False)


def entry_line(path: Path, lang: str, context: str) -> int | None:
    """The line of a content catalogue's entry for a field, for messages."""
    try:
        _, entries, _ = _parse_catalog(path.read_text(encoding="utf-8"), lang)
    except OSError:
        return None
    entry = entries.get(context)
    return entry.linenum if entry is not None else None


def raise_issues(path: Path, issues: list[Issue]) -> None:
    """A catalogue with broken entries is not used at all: CatalogError, one per entry."""
    if issues:
        name = display_path(path)
        raise CatalogError([Problem(name, i.line, 1, i.entry, i.message) for i in issues])


def load_translation(drug_dir: Path, drug: Drug, lang: str) -> Translation:
    """Read ``<lang>.po`` and sort every English string into translated, stale or missing.

    Stale means the entry is fuzzy, or its msgid is not the current English (the English
    changed and the catalogue was not updated yet): both are caught here, at build time.
    """
    english = dict(translatable_strings(drug))
    status = CatalogStatus(lang, total=len(english))
    path = content_catalog_path(drug_dir, lang)
    entries = {}
    if path.exists():
        po, entries, issues = _parse_catalog(path.read_text(encoding="utf-8"), lang)
        raise_issues(path, issues)
        read_review(po, status)
    strings = {}
    for field_path, text in english.items():
        entry = entries.get(field_path)
        if entry is None or not entry.msgstr.strip():
            status.missing.append(field_path)
        elif entry.fuzzy or entry.msgid != text:
            status.stale.append(field_path)
        else:
            strings[field_path] = entry.msgstr
            status.translated += 1
    return Translation(lang, strings, status, english)
