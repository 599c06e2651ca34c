"""Finding what an EHR asks for: medicines by their codes, and the patient's language by
whatever tag the EHR holds (es-MX, spa, zh-CN), for the launch page and /infobutton."""

import re
from collections.abc import Iterable
from functools import cache

from babel import Locale, UnknownLocaleError
from babel.core import get_global

from .codes import CodeError, drugs_with, normalize
from .content import DrugContent

# What a language tag looks like (en, es-MX, zh-Hans-CN): anything else is not shown back.
LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,8}([-_][A-Za-z0-9]{1,8}){0,4}")
# Names of the code systems as people read them.
SYSTEM_NAMES = {"rxnorm": "RxNorm", "ndc": "NDC", "atc": "ATC"}


def by_codes(
    drugs: Iterable[DrugContent], codes: Iterable[tuple[str, str]]
) -> tuple[list[DrugContent], list[str]]:
    """The drugs the (system, code) pairs name, in order and each once, and the codes no
    drug has or that are not codes at all, as "RxNorm 123"."""
    drugs = list(drugs)
    found: dict[str, DrugContent] = {}
    unknown: list[str] = []
    for system, value in codes:
        try:
            code = normalize(system, value)
        except CodeError:
            unknown.append(f"{SYSTEM_NAMES[system]} (not a valid code)")
            continue
        named = drugs_with(drugs, system, code)
        if not named:
            unknown.append(f"{SYSTEM_NAMES[system]} {code}")
        found.update((drug.id, drug) for drug in named)
    return list(found.values()), unknown


def language_for(requested: str, available: Iterable[str]) -> str | None:
    """The available tag for the language REQUESTED names: the same tag, or the same
    language in the same script (es-MX and spa are es; zh-CN is zh-Hans, but zh-TW,
    in Traditional characters, is not)."""
    available = list(available)
    for tag in available:
        if tag.lower() == requested.lower():
            return tag
    wanted = _language_and_script(requested)
    if wanted is None:
        return None
    for tag in available:
        if _language_and_script(tag) == wanted:
            return tag
    return None


@cache
def _language_and_script(tag: str) -> tuple[str, str] | None:
    if tag.lower().split("-")[0].split("_")[0] in ("und", "mul", "zxx"):
        return None  # undetermined, several, no language: never guessed as English
    try:
        locale = Locale.parse(tag.replace("_", "-"), sep="-")
    except (UnknownLocaleError, ValueError, TypeError):
        return None
    script = locale.script
    if not script:
        likely = get_global("likely_subtags")
        key = f"{locale.language}_{locale.territory}" if locale.territory else locale.language
        full = likely.get(key) or likely.get(locale.language) or ""
        parts = full.split("_")
        script = parts[1] if len(parts) > 2 else ""
    return locale.language, script
