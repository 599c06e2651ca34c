"""A translation keeps the English's placeholders (``%(drug)s``) exactly as written.

Template strings are always %-formatted (Jinja's new-style gettext), so a misspelt, dropped
or broken placeholder there would stop the build with a KeyError or a ValueError from deep
inside a template. Content strings are printed as written, so a placeholder in one would
print as such. Either way the translator gets the entry, its line and the fix instead.
"""

import re
from dataclasses import dataclass

from .yamlsource import CONTROL

# One printf-style conversion, as Python's % operator reads it.
_SPEC = re.compile(
    r"%(?:\((?P<name>[^()]*)\))?"  # %(name)
    r"[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+)?)?[hlL]?"  # flags, width, precision
    r"(?P<type>[diouxXeEfFgGcrsa%])"
)

# What to quote of a % that starts no placeholder: up to the next space.
_BROKEN = re.compile(r"%\(?[^\s%]{0,16}")


@dataclass(frozen=True)
class Issue:
    """A broken entry of a catalogue: where it starts, which entry, what is wrong."""

    line: int
    entry: str  # the msgctxt (content) or msgid "..." (templates)
    message: str


def _scan(text: str, formatted: bool) -> tuple[list[str], list[str]]:
    """(named placeholders, broken pieces) of a text. A text that is %-formatted may hold
    no other % than ``%%``; in text printed as written only ``%(`` starts a placeholder."""
    names, broken = [], []
    start = 0
    while (at := text.find("%" if formatted else "%(", start)) >= 0:
        match = _SPEC.match(text, at)
        if match and match.group("name") is not None:
            names.append(match.group())
        elif match and match.group("type") == "%":
            pass  # %%: a literal per cent sign
        else:
            quoted = match or _BROKEN.match(text, at)  # (the latter always matches a %)
            broken.append(quoted.group() if quoted else "%")
        start = match.end() if match else at + 1
    return names, broken


def entry_issues(msgid: str, msgstr: str, lang: str, *, formatted: bool) -> list[str]:
    """What is wrong with one translation: its placeholders, an invisible character."""
    if not msgstr:
        return []
    wanted, _ = _scan(msgid, formatted)
    got, broken = _scan(msgstr, formatted)
    parts = [f"has a broken placeholder {piece!r}" for piece in dict.fromkeys(broken)]
    extra = [name for name in dict.fromkeys(got) if name not in wanted]
    lacking = [name for name in dict.fromkeys(wanted) if name not in got]
    if extra:
        parts.append(f"has {', '.join(extra)}, which the English does not have")
    if lacking:
        parts.append(f"lacks {', '.join(lacking)}")
    found = []
    if parts:
        english = ", ".join(dict.fromkeys(wanted))
        fix = (
            f"write the English's placeholders exactly as they are there: {english}"
            if wanted
            else "the English has no placeholder, so the translation has none either"
        )
        if formatted and broken:
            fix += " (a per cent sign is written %%)"
        found.append(f"the {lang} translation {', and '.join(parts)}; {fix}")
    for ch in dict.fromkeys(CONTROL.findall(msgstr)):
        found.append(
            f"the {lang} translation holds control character U+{ord(ch):04X}, which cannot "
            "be printed; delete it"
        )
    return found


def catalog_issues(po, lang: str, *, formatted: bool) -> list[Issue]:
    """Every translated, current entry of a polib catalogue whose placeholders break."""
    issues = []
    for entry in po:
        if entry.obsolete or entry.fuzzy or not entry.msgid:
            continue
        name = entry.msgctxt if not formatted and entry.msgctxt else f'msgid "{entry.msgid}"'
        for message in entry_issues(entry.msgid, entry.msgstr, lang, formatted=formatted):
            issues.append(Issue(entry.linenum, name, message))
    return issues
