"""The stylesheet's font rules, made from the language registry (languages.toml), so that
the fonts are declared once: an @font-face for each file of each family, and each
language's stack as the --text-font custom property that print.css sets text in."""

from functools import cache

from .languages import STYLES, registry
from .locations import FONTS_DIR


def _quoted(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _stack(families: tuple[str, ...]) -> str:
    return ", ".join(map(_quoted, families))


@cache
def font_rules() -> str:
    reg = registry()
    rules = []
    for family in reg.families.values():
        for style, file in family.files.items():
            weight, slant = STYLES[style]
            rules.append(
                f"@font-face {{ font-family: {_quoted(family.name)}; "
                f"font-weight: {weight}; font-style: {slant}; "
                f"src: url({(FONTS_DIR / file).as_uri()}); }}"
            )
    # Set on every element with a lang attribute, so that a card sheet can mix languages.
    rules.append(f":root {{ --text-font: {_stack(reg.languages[reg.source].fonts)}; }}")
    rules += [
        f":lang({tag}) {{ --text-font: {_stack(lang.fonts)}; }}"
        for tag, lang in reg.languages.items()
    ]
    rules.append("[lang] { font-family: var(--text-font); }")
    return "\n".join(rules) + "\n"
