"""Text that keeps its own direction inside a line of the other direction.

WeasyPrint does not apply CSS bidi isolation (``unicode-bidi: isolate``, ``<bdi>``). It
does two things that work instead:

- it lays out each element's text with Pango in the element's own direction (``dir``),
  and places an element's inline children from right to left in a right-to-left element:
  so a run in an element of its own with ``dir="ltr"`` keeps its order on every line it
  takes;
- Pango honours Unicode's isolate characters inside a piece of text, but only on the line
  where the isolate starts (WeasyPrint lays out what follows a line break as new text).

A run that can wrap, or stands between elements, gets both (``ltr_run``); a run inside
one piece of text that does not wrap (a web address) or inside an attribute (the page
footer) gets the characters only. Isolating changes nothing in a left-to-right document,
so templates apply it whatever the language: what is right to left is decided by the
document's ``dir``, from the language registry.
"""

from markupsafe import Markup, escape

# Unicode's left-to-right, right-to-left and first-strong isolates and their end.
LRI, RLI, FSI, PDI = "\u2066", "\u2067", "\u2068", "\u2069"
_ISOLATE = {"ltr": LRI, "rtl": RLI}


def left_to_right(text) -> Markup:
    """``{{ text | ltr }}``: text that must read left to right in any document, such as a
    web address or an English citation, with its punctuation at its own ends (in an Arabic
    line, "https://example.org/" would otherwise print as "/https://example.org")."""
    return Markup(LRI) + escape(text) + Markup(PDI)


def isolated(text) -> Markup:
    """``{{ text | isolate }}``: a value in its own direction, whatever the line's: a name
    in its script's, a phone number (no letters) left to right. In an Arabic line,
    "+1 555 010 0199" would otherwise print as "0199 010 555 1+"."""
    return Markup(FSI) + escape(text) + Markup(PDI)


def isolated_as(text, direction: str) -> Markup:
    """text isolated in the given direction (ltr or rtl), whatever the line's."""
    return Markup(_ISOLATE[direction]) + escape(text) + Markup(PDI)


def run(text, direction: str = "ltr", classes: str = "", lang: str = "") -> Markup:
    """``{{ text | ltr_run }}``: text in an element of its own, in the given direction and
    isolated, so that it keeps its order on every line it takes, with its punctuation at
    its own end: a drug's name in a translated sentence, English fallback text."""
    attributes = Markup(' dir="{}"').format(direction)
    if lang:
        attributes += Markup(' lang="{}"').format(lang)
    if classes:
        attributes += Markup(' class="{}"').format(classes)
    return Markup("<span{}>{}</span>").format(attributes, isolated_as(text, direction))
