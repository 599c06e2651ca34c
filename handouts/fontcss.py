"""The stylesheet's font rules, made from the language registry (languages.toml), so that
the fonts are declared once: each language's stack as the --text-font custom property that
print.css sets text in (with the fallback families a document needs), and an @font-face
for each font a clinic adds.

The bundled fonts need no @font-face: fontconfig is pointed at handouts/fonts/ alone
(fontlock.py) and finds each family there by its name, collections (.ttc) included.
"""

from .languages import STYLES, Registry
from .locations import FONTS_DIR


def _quoted(name: str, quote: str = '"') -> str:
    return quote + name.replace("\\", "\\\\").replace(quote, "\\" + quote) + quote


def family_list(families, quote: str = '"') -> str:
    """Family names as a CSS font-family value; quote="'" for one inside a double-quoted
    HTML style attribute."""
    return ", ".join(_quoted(name, quote) for name in families)


def font_faces(reg: Registry) -> str:
    """An @font-face for each file of a font a clinic adds (the bundled ones need none)."""
    rules = []
    for family in reg.families.values():
        for style, file in family.files.items():
            if file.is_relative_to(FONTS_DIR):
                continue
            weight, slant = STYLES[style]
            rules.append(
                f"@font-face {{ font-family: {_quoted(family.name)}; "
                f"font-weight: {weight}; font-style: {slant}; "
                f"src: url({file.as_uri()}); }}"
            )
    return "\n".join(rules) + "\n" if rules else ""


def font_rules(reg: Registry, fallback: tuple[str, ...] = ()) -> str:
    """Each language's own families, then the fallback families a document needs
    (fonts.fallback_families), as the --text-font its text is set in."""

    def stack(tag: str) -> str:
        own = reg.languages[tag].fonts
        return family_list(own + tuple(name for name in fallback if name not in own))

    # Set on every element with a lang attribute, so that a card sheet can mix languages.
    rules = [f":root {{ --text-font: {stack(reg.source)}; }}"]
    rules += [f":lang({tag}) {{ --text-font: {stack(tag)}; }}" for tag in reg.languages]
    rules.append("[lang] { font-family: var(--text-font); }")
    return "\n".join(rules) + "\n"
