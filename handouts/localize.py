"""Pipeline stage between content and compose: the drug in the patient's language.

The policy lives here: a translation that is missing or stale (its English changed) is
never printed silently. Critical strings (boxed warnings, call-right-away symptoms, card
text) stop the language; other strings stop it too unless fallback to English is allowed,
and then the English is marked in the document.
"""

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .catalogs import WEB_ONLY_SECTIONS, is_critical, load_translation, section_of
from .content import DrugContent
from .errors import CatalogError, HandoutsError, Problem
from .languages import SOURCE_LANGUAGE
from .locations import display_path
from .schema import Drug
from .template_strings import TemplateTranslation, find_template_catalog, load_template_translation


class TranslationError(HandoutsError):
    """A language cannot be built because its translation lags behind the English."""


@dataclass(frozen=True)
class Localized:
    drug: Drug
    lang: str
    fallback_fields: frozenset[str]  # field paths printed in English, marked as such
    draft: bool  # no clinical reviewer named: say so on every page
    templates: TemplateTranslation | None
    # Web-only fields (changes) in English: never printed, so they never stop a language;
    # the web edition marks them like any fallback.
    web_fallback: frozenset[str] = frozenset()


def localize(
    content: DrugContent,
    lang: str,
    allow_fallback: bool = False,
    template_dirs: tuple[Path, ...] = (),
) -> Localized:
    if lang == SOURCE_LANGUAGE:
        return Localized(content.drug, lang, frozenset(), False, None)
    translation = load_translation(content.path.parent, content.drug, lang)
    templates = load_template_translation(lang, template_dirs)
    status = translation.status
    catalog = display_path(content.path.parent / "locale" / f"{lang}.po")
    problems, fallback, web_fallback = [], set(), set()
    for state, paths in (("missing", status.missing), ("stale", status.stale)):
        for path in paths:
            if section_of(path) in WEB_ONLY_SECTIONS:
                web_fallback.add(path)
            elif is_critical(path) or not allow_fallback:
                why = (
                    "has no translation"
                    if state == "missing"
                    else "has a stale translation (the English changed since it was translated)"
                )
                critical = " (critical)" if is_critical(path) else ""
                problems.append(
                    f"{content.id} [{lang}]: {path}{critical} {why}; current "
                    f"English: {translation.english[path]!r}"
                )
            else:
                fallback.add(path)
    for state, messages in (
        ("missing", templates.status.missing),
        ("stale", templates.status.stale),
    ):
        for msgid in messages:
            problems.append(
                f"{content.id} [{lang}]: template text {msgid!r} is {state} in "
                f"{display_path(find_template_catalog(lang, template_dirs))}"
            )
    if problems:
        fix = (
            f"Translate or review these entries in {catalog} (run `handouts i18n update` "
            "first if the English changed), or leave this language out."
        )
        if not allow_fallback and not all(
            is_critical(p) or section_of(p) in WEB_ONLY_SECTIONS
            for p in status.missing + status.stale
        ):
            fix += " --allow-fallback prints non-critical strings in English, marked as such."
        raise TranslationError("\n".join(problems) + "\n" + fix)
    drug = _apply(content.drug, translation.strings)
    draft = not (status.reviewed and templates.status.reviewed)
    return Localized(drug, lang, frozenset(fallback), draft, templates, frozenset(web_fallback))


def catalog_problems(
    content: DrugContent, lang: str, template_dirs: tuple[Path, ...] = ()
) -> list[Problem]:
    """The broken entries of the catalogues a document in this language reads (the drug's
    and the templates'), so that a front end can report each once, before any layout."""
    if lang == SOURCE_LANGUAGE:
        return []
    problems: list[Problem] = []
    try:
        load_translation(content.path.parent, content.drug, lang)
    except CatalogError as error:
        problems += error.problems
    try:
        load_template_translation(lang, template_dirs)
    except CatalogError as error:
        problems += error.problems
    return problems


_PART = re.compile(r"([A-Za-z_]+)|\[(\d+)\]")


def _apply(drug: Drug, strings: dict[str, str]) -> Drug:
    data = drug.model_dump(mode="python")
    for path, text in strings.items():
        keys: list[Any] = [name or int(index) for name, index in _PART.findall(path)]
        target: Any = data
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = text
    return Drug.model_validate(data)
