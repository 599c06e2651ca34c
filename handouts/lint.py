"""Content lint: contradictions and hard reading that the schema cannot see.

Run by `handouts check`. Every finding names its rule; errors fail the check, warnings are
only printed. The rules are described in docs/content-format.md.
"""

import re
import statistics
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import polib

from .catalogs import translatable_strings
from .content import DrugContent
from .languages import SOURCE_LANGUAGE, tags
from .locations import (
    available_languages,
    content_catalog_path,
    display_path,
    find_template_catalog,
)
from .readability import MAX_ENGLISH_GRADE, english_grade, unavoidable_names
from .schema import Drug
from .yamlsource import FieldPath, format_path

ERROR, WARNING = "error", "warning"
REPEAT_FIX = "or add it to intended_repeats: with a reason if the repeat is deliberate"
# Below this many English characters a length ratio says little ("OK", "Name").
MIN_ENGLISH_LENGTH = 12
# A translation under this share of the other languages' (normalized) length looks cut.
SHORT_SHARE = 0.6


@dataclass(frozen=True, order=True)
class Finding:
    """One lint finding, printed as ``file:line:col: level: field: message [rule]``."""

    file: str
    line: int
    column: int
    field: str
    level: str
    rule: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.level}: {self.field}: {self.message} [{self.rule}]"


def lint(drugs: list[DrugContent]) -> list[Finding]:
    """Every finding for these drugs, their translations and the template translations."""
    findings = []
    for content in drugs:
        findings += lint_drug(content)
        findings += short_translations(_content_catalogues(content), _is_card)
    findings += short_translations(_template_catalogues(), lambda key: True)
    return sorted(findings)


def lint_drug(content: DrugContent) -> list[Finding]:
    """The rules on the English master."""
    return _repeats(content) + _undated_sources(content) + _reading_grades(content)


def signs(text: str) -> list[str]:
    """The signs one list item names, normalized for comparison.

    Casefolded, text in parentheses dropped, punctuation other than commas dropped,
    spaces collapsed, then split on commas and the words "or" and "and":
    "Fever or chills" -> ["fever", "chills"].
    """
    text = re.sub(r"\([^)]*\)", " ", text.casefold())
    text = "".join(" " if unicodedata.category(c).startswith("P") and c != "," else c for c in text)
    parts = [" ".join(part.split()) for part in re.split(r",|\bor\b|\band\b", text)]
    return list(dict.fromkeys(_share_words([part for part in parts if part])))


def _share_words(parts: list[str]) -> list[str]:
    """Single words in a list share the words the list states once: "Back, bone, or muscle
    pain" names back pain and bone pain, "Pain in the arms or legs" pain in the legs."""
    if len(parts) < 2:
        return parts
    *head, last = parts
    if all(" " not in part for part in head) and len(last.split()) == 2:
        noun = last.split()[1]
        return [f"{part} {noun}" for part in head] + [last]
    first, *rest = parts
    if " " in first and all(" " not in part for part in rest):
        stem = first.rsplit(" ", 1)[0]
        return [first] + [f"{stem} {part}" for part in rest]
    return parts


def _at(content: DrugContent, path: FieldPath, level: str, rule: str, message: str) -> Finding:
    # A whole section is found at its key (`treats:`), anything else at its value.
    line, column = content.positions.of(path, key=len(path) == 1)
    return Finding(
        display_path(content.path), line, column, format_path(path), level, rule, message
    )


def _where(content: DrugContent, path: FieldPath) -> str:
    return f"{format_path(path)}, line {content.positions.of(path)[0]}"


def _urgent_items(drug: Drug) -> Iterator[tuple[FieldPath, FieldPath, str]]:
    """(group, item path, text) of every sign that means calling right away."""
    for section in ("boxed_warnings", "call_right_away"):
        for i, group in enumerate(getattr(drug, section)):
            for j, text in enumerate(group.symptoms):
                yield (section, i), (section, i, "symptoms", j), text


# How an effect in side_effects_by_frequency says it is also a sign to call right away.
URGENT_MARK = "; call right away"


def _common_items(drug: Drug) -> Iterator[tuple[FieldPath, str]]:
    """The side effects a reader could take for ordinary ones: the common list, and the
    frequency lists' effects that do not carry URGENT_MARK."""
    for j, text in enumerate(drug.common_side_effects.items):
        yield ("common_side_effects", "items", j), text
    for i, group in enumerate(drug.side_effects_by_frequency):
        for j, text in enumerate(group.effects):
            if URGENT_MARK not in text:
                yield ("side_effects_by_frequency", i, "effects", j), text


def _repeats(content: DrugContent) -> list[Finding]:
    """A sign to call right away must not also read as a common side effect, nor be
    spread over two urgent groups, unless the writer marked the repeat as intended."""
    drug, findings = content.drug, []
    intended = {sign for entry in drug.intended_repeats for sign in signs(entry.sign)}
    used: set[str] = set()
    first: dict[str, tuple[FieldPath, FieldPath]] = {}  # sign -> (group, item path)

    def repeat(path: FieldPath, sign: str, rule: str, message: str) -> None:
        if sign in intended:
            used.add(sign)
        else:
            findings.append(_at(content, path, ERROR, rule, message))

    for group, path, text in _urgent_items(drug):
        for sign in signs(text):
            earlier_group, earlier = first.setdefault(sign, (group, path))
            if earlier_group != group:
                repeat(
                    path,
                    sign,
                    "repeated-sign",
                    f'"{sign}" is already a sign to call right away under '
                    f"{format_path(earlier_group)} ({_where(content, earlier)}); "
                    f"list each sign once, {REPEAT_FIX}",
                )
    for path, text in _common_items(drug):
        for sign in signs(text):
            if sign in first:
                repeat(
                    path,
                    sign,
                    "urgent-also-common",
                    f'"{sign}" is also a sign to call your care team right away '
                    f"({_where(content, first[sign][1])}); remove it from the side effects, "
                    f"{REPEAT_FIX}",
                )
    for i, entry in enumerate(drug.intended_repeats):
        # A mark that silences nothing would silence a future, unintended repeat.
        if not used.intersection(signs(entry.sign)):
            findings.append(
                _at(
                    content,
                    ("intended_repeats", i, "sign"),
                    ERROR,
                    "unused-intended-repeat",
                    f'"{entry.sign}" is not repeated in the urgent signs or side effects; '
                    "remove this entry",
                )
            )
    return findings


def _undated_sources(content: DrugContent) -> list[Finding]:
    return [
        _at(
            content,
            ("sources", i),
            ERROR,
            "undated-source",
            f"source {source.id!r} has no date; add date: YYYY-MM-DD, the date of the "
            "version the facts were taken from, or, for a page without a date of its own, "
            "accessed: YYYY-MM-DD, the day its copy was read",
        )
        for i, source in enumerate(content.drug.sources)
        if source.date is None and source.accessed is None
    ]


def _sections(drug: Drug) -> Iterator[tuple[FieldPath, list[str]]]:
    """The handout's sections in the order a reader meets them, then the card."""
    yield ("summary",), [drug.summary]
    for i, warning in enumerate(drug.boxed_warnings):
        yield ("boxed_warnings", i), [warning.title, warning.text, *warning.symptoms]
    yield ("call_right_away",), [t for g in drug.call_right_away for t in (g.title, *g.symptoms)]
    yield ("treats",), [*drug.treats.items, drug.treats.note]
    yield ("how_it_works",), [drug.how_it_works.summary, *drug.how_it_works.points]
    for i, reminder in enumerate(drug.safety_reminders):
        yield ("safety_reminders", i), [reminder.title, reminder.text]
    common = drug.common_side_effects
    yield ("common_side_effects",), [*common.items, common.note]
    if drug.side_effects_by_frequency:
        effects = [e for group in drug.side_effects_by_frequency for e in group.effects]
        yield ("side_effects_by_frequency",), effects
    yield ("card",), [*drug.card.warnings, drug.card.note]


def _reading_grades(content: DrugContent) -> list[Finding]:
    names = unavoidable_names(content.drug)
    findings = []
    for path, pieces in _sections(content.drug):
        grade = english_grade([names.sub("", piece).strip(" ,;") for piece in pieces])
        # Compared as shown, so that "8.0" is never reported as above 8.
        if grade is not None and round(grade, 1) > MAX_ENGLISH_GRADE:
            findings.append(
                _at(
                    content,
                    path,
                    ERROR,
                    "reading-grade",
                    f"reading grade {grade:.1f} is above {MAX_ENGLISH_GRADE:g}; use shorter "
                    "sentences and everyday words, or add an unavoidable medical name to terms:",
                )
            )
    return findings


@dataclass(frozen=True)
class Catalogue:
    """One language's current translations: key -> (English, translation, line)."""

    lang: str
    path: Path
    entries: dict[str, tuple[str, str, int]]


def read_catalogue(lang: str, path: Path, english: dict[str, str] | None = None) -> Catalogue:
    """Translated, non-fuzzy entries. With ``english`` (field path -> current English),
    a content catalogue keyed by field path; without, a template catalogue keyed by msgid
    (and msgctxt)."""
    entries = {}
    for entry in polib.pofile(str(path), wrapwidth=0):
        if entry.obsolete or entry.fuzzy or not entry.msgid or not entry.msgstr.strip():
            continue
        if english is not None:
            if english.get(entry.msgctxt) != entry.msgid:
                continue  # stale: the status line reports it
            key = entry.msgctxt
        else:
            key = f'msgid "{entry.msgid}"'
            if entry.msgctxt:
                key = f'msgctxt "{entry.msgctxt}" {key}'
        entries[key] = (entry.msgid, entry.msgstr, entry.linenum)
    return Catalogue(lang, path, entries)


def _content_catalogues(content: DrugContent) -> list[Catalogue]:
    english = dict(translatable_strings(content.drug))
    drug_dir = content.path.parent
    return [
        read_catalogue(lang, content_catalog_path(drug_dir, lang), english)
        for lang in available_languages(drug_dir)
        if lang != SOURCE_LANGUAGE
    ]


def _template_catalogues() -> list[Catalogue]:
    paths = {lang: find_template_catalog(lang) for lang in tags() if lang != SOURCE_LANGUAGE}
    return [read_catalogue(lang, path) for lang, path in paths.items() if path.exists()]


def _is_card(key: str) -> bool:
    return key.startswith("card.")


def short_translations(
    catalogues: list[Catalogue], checked: Callable[[str], bool]
) -> list[Finding]:
    """Translations much shorter than the same string's in the other languages: a hint
    that something was cut to make it fit.

    Languages differ in length (Chinese is far shorter than English, German longer), so
    each length ratio is first divided by the language's median ratio over all its strings.
    """
    typical = {
        c.lang: statistics.median(len(text) / len(en) for en, text, _ in c.entries.values())
        for c in catalogues
        if c.entries
    }

    def normalized(catalogue: Catalogue, key: str) -> float:
        en, text, _ = catalogue.entries[key]
        return len(text) / len(en) / typical[catalogue.lang]

    findings = []
    for catalogue in catalogues:
        for key, (en, _text, line) in catalogue.entries.items():
            if not checked(key) or len(en) < MIN_ENGLISH_LENGTH:
                continue
            others = [
                normalized(o, key) for o in catalogues if o is not catalogue and key in o.entries
            ]
            if len(others) < 2:
                continue  # nothing to compare with
            mine, usual = normalized(catalogue, key), statistics.median(others)
            if mine < SHORT_SHARE * usual:
                findings.append(
                    Finding(
                        display_path(catalogue.path),
                        line,
                        1,
                        key,
                        WARNING,
                        "short-translation",
                        f"the {catalogue.lang} translation is much shorter than in the other "
                        f"languages ({mine:.2f} against {usual:.2f}, each relative to its "
                        "language's usual length); check that nothing was left out to make "
                        "it fit; card text is never shortened to fit (see docs/content-format.md)",
                    )
                )
    return findings
