"""Pipeline stage 5: check the rendered document against the print rules.

Two passes: before layout, every character is checked against the language's fonts (so
the error can name the field); after layout, the page boxes and the PDF bytes are read
back, as a printer would see them.
"""

import io
from html.parser import HTMLParser
from typing import Any

import pikepdf
from fontTools import unicodedata
from fontTools.ttLib import TTFont

from .compose import Composed
from .documents import CARD_SIDES
from .errors import RenderError
from .fonts import bundled_postscript_names, missing_characters
from .stocks import MM_PER_PT, STOCKS, sheet_for
from .yamlsource import format_path

PX_PER_PT = 4 / 3  # WeasyPrint lays out in CSS pixels
# Card text starts at the first size and steps down while a side does not fit; below the
# last it would be too small to read, so the build fails instead.
CARD_FONT_SIZES_PT = (8.5, 8.0, 7.5, 7.0, 6.5)
MIN_CARD_FONT_PT = CARD_FONT_SIZES_PT[-1]
DEFAULT_PAGE_LIMIT = 6  # handout pages before a warning; a clinic setting
LARGE_PRINT_PAGE_FACTOR = 3  # 18 pt text takes about 2.5 times the pages
SIZE_TOLERANCE_PT = 0.5
OVERLAP_TOLERANCE_PT = 0.5
# The layout checks import handouts.engine (and with it WeasyPrint) where they use it:
# `handouts check` imports this module for check_glyphs and never lays out.


class CardOverflow(RenderError):
    """A card side's content does not fit its safe area."""


class LayoutFault(RenderError):
    """A line of text runs off its page or over another line (or an image): the page
    numbered `page`, and the boxes involved, so that the pipeline can find the field."""

    def __init__(self, message: str, page: int, boxes: tuple):
        super().__init__(message)
        self.page = page
        self.boxes = boxes


def check_glyphs(parts: list[tuple[Composed, str]]) -> None:
    """Every character of the content and of the template text must be in the fonts.

    Each part (a document, or one card of a sheet) is checked against the fonts of its
    own language, the content field by field so that the error can name the fields. The
    characters are reported by script: a language whose script no font has gives one
    line, not one per character.
    """
    problems, personal_problems = [], []
    for composed, html in parts:
        lang, name = composed.job.lang, composed.job.name
        personal = composed.job.personal.fields() if composed.job.personal else {}
        found = _personal_problems(composed.job, personal)
        personal_problems += [p for p in found if p not in personal_problems]
        missing: dict[str, list[str]] = {}
        for path, text in _strings(composed.localized.drug.model_dump(mode="json")):
            for ch in missing_characters(text, lang):
                missing.setdefault(ch, []).append(format_path(path))
        if not missing and not found:
            for ch in missing_characters(_visible_text(html), lang):
                # (personal values passed above; what is left is template text)
                missing.setdefault(ch, []).append("template text")
        problems += [
            p
            for p in (f"{name}: {line}" for line in describe_missing(missing))
            if p not in problems
        ]
    # The font advice is for the content's owner; a nurse retypes a detail instead.
    if problems:
        _raise(personal_problems + problems)
    if personal_problems:
        raise RenderError("\n".join(personal_problems))


def describe_missing(missing: dict[str, list[str]]) -> list[str]:
    """One line per script: its characters that no font has, and the fields they are in."""
    by_script: dict[str, list[str]] = {}
    for ch in sorted(missing):
        by_script.setdefault(unicodedata.script(ch), []).append(ch)
    lines = []
    for script, chars in by_script.items():
        fields = list(dict.fromkeys(f for ch in chars for f in missing[ch]))
        where = ", ".join(fields[:3]) + (f" and {len(fields) - 3} more" if len(fields) > 3 else "")
        if len(chars) <= 3:
            what = ", ".join(f"U+{ord(ch):04X} ({ch})" for ch in chars)
        else:
            what = f"{len(chars)} characters, U+{ord(chars[0]):04X}-U+{ord(chars[-1]):04X}"
        # Symbols and marks belong to no one script (Common, Inherited): no name for them.
        named = "" if script in ("Zyyy", "Zinh", "Zzzz") else script
        of = f"the {unicodedata.script_name(script)} script ({script}) " if named else ""
        lines.append(f"{where}: no bundled font has {of}characters {what}")
    return lines


def check_personal(jobs: list, values: dict[str, str]) -> None:
    """The personal values as printed, against the fonts of each document's language
    (stamp.py prints them apart from the document, which check_glyphs has seen)."""
    problems = []
    for job in jobs:
        problems += [p for p in _personal_problems(job, values) if p not in problems]
    if problems:
        raise RenderError("\n".join(problems))


def _personal_problems(job, values: dict[str, str]) -> list[str]:
    # Name the field only, never the value nor its characters: they are patient data.
    # The nurse can act on it; a font is the clinic's to add (README: Adding a language).
    return [
        f"{job.name}: personalization.{key}: a character in it cannot be printed (no "
        "bundled font has it); retype it or leave it out"
        for key, text in values.items()
        if missing_characters(text, job.lang)
    ]


def _raise(problems: list[str]) -> None:
    if problems:
        raise RenderError(
            "\n".join(problems) + "\nReplace the characters, or add a font that has them: "
            "put its files in the content folder and name the family in the content "
            "folder's languages.toml (README: Adding a language)"
        )


def check_layout(composed: Composed, document, warnings: list[str]) -> list[str]:
    """Page sizes, card fit; returns advisory notes (a handout over its page limit)."""
    from . import engine

    name = composed.job.name
    if warnings:
        raise RenderError(f"{name}: WeasyPrint reported: " + "; ".join(warnings))
    notes = []
    if composed.paper is not None:  # a handout, or a packet's list page
        size = (composed.paper.width_pt, composed.paper.height_pt)
        clinic = composed.job.clinic
        limit = clinic.clinic.handout_page_limit if clinic else DEFAULT_PAGE_LIMIT
        if composed.job.large_print:
            limit *= LARGE_PRINT_PAGE_FACTOR
        if len(document.pages) > limit and composed.job.kind == "handout":
            notes.append(f"{name}: {len(document.pages)} pages, more than the limit of {limit}")
    else:
        _check_cards(composed, document, composed.geometry.card_safe_mm)
        size = _page_size_pt(composed)
    for number, page in enumerate(document.pages, 1):
        got = (page.width / PX_PER_PT, page.height / PX_PER_PT)
        if abs(got[0] - size[0]) > SIZE_TOLERANCE_PT or abs(got[1] - size[1]) > SIZE_TOLERANCE_PT:
            raise RenderError(
                f"{name}: page {number} is {got[0]:.1f} x {got[1]:.1f} pt, "
                f"expected {size[0]:.1f} x {size[1]:.1f} pt"
            )
        fault = layout_fault(engine.page_box(page))
        if fault:
            raise LayoutFault(f"{name}: on page {number}, {fault[0]}", number, fault[1])
    return notes


def layout_fault(page_box) -> tuple[str, tuple] | None:
    """A line that runs off the page, or two that are printed over each other: what is
    wrong and the boxes involved. Content in normal flow does neither; a style that pulls
    it out of place, or a block that cannot be split and is taller than a page, does."""
    off = off_page(page_box)
    if off is not None:
        text = text_of(off).strip()[:50] or "an image"
        return (
            f"{text!r} runs off the page. A stylesheet or template change has broken the "
            "layout; undo it or fix the CSS that places it"
        ), (off,)
    overlap = overlapping_lines(page_box)
    if overlap:
        first, second = (text_of(box).strip()[:50] or "an image" for box in overlap)
        return (
            f"{first!r} and {second!r} are printed over each other. A stylesheet or "
            "template change has broken the layout; undo it or fix the CSS that places them"
        ), overlap
    return None


def off_page(page_box):
    """A line of text or an image that reaches past an edge of the page, or None: past the
    bottom is where a block that cannot be split across pages and is taller than one ends
    up; past the top, a page-margin line that grew taller than its margin."""
    slack = OVERLAP_TOLERANCE_PT * PX_PER_PT
    width, height = page_box.margin_width(), page_box.margin_height()
    for box in _printed_boxes(page_box):
        if (
            box.position_y < -slack
            or box.position_y + box.margin_height() > height + slack
            or box.position_x < -slack
            or box.position_x + box.margin_width() > width + slack
        ):
            return box
    return None


def overlapping_lines(page_box):
    """Two lines of text (or a line and an image) that overlap on the page, or None.

    Lines in normal flow never overlap; when they do, a style has pulled content out of
    the flow and part of the page is unreadable. The page-margin boxes are included.
    """
    slack = OVERLAP_TOLERANCE_PT * PX_PER_PT
    boxes = sorted(_printed_boxes(page_box), key=lambda box: box.position_y)
    open_boxes: list = []  # boxes whose bottom is below the current top, by sweep
    for box in boxes:
        top = box.position_y
        open_boxes = [
            other for other in open_boxes if other.position_y + other.margin_height() - slack > top
        ]
        for other in open_boxes:
            if (
                box.position_x + slack < other.position_x + other.margin_width()
                and other.position_x + slack < box.position_x + box.margin_width()
            ):
                return other, box
        open_boxes.append(box)
    return None


def _printed_boxes(box):
    """The innermost line boxes and the images of a box tree."""
    from . import engine

    if engine.is_replaced(box):
        yield box
        return
    inner = [found for child in box.children for found in _printed_boxes(child)]
    if engine.is_line(box) and not inner and text_of(box).strip():
        yield box
    yield from inner


def _page_size_pt(composed: Composed) -> tuple[float, float]:
    stock = STOCKS[composed.job.stock]
    if composed.job.kind == "card-sheet":
        sheet = sheet_for(stock, composed.job.paper)
        return sheet.width_mm / MM_PER_PT, sheet.height_mm / MM_PER_PT
    return stock.card.width_mm / MM_PER_PT, stock.card.height_mm / MM_PER_PT


def check_pdf(composed: Composed, pdf: bytes) -> int:
    """Read the PDF back: every font must be embedded and be a bundled one (judged by the
    name inside the embedded font program). Returns the page count."""
    allowed = bundled_postscript_names()
    with pikepdf.open(io.BytesIO(pdf)) as document:
        for font_name, program in _embedded_fonts(document):
            if program is None:
                raise RenderError(f"{composed.job.name}: font {font_name} is not embedded")
            ps_name = _postscript_name(program)
            if ps_name not in allowed:
                raise RenderError(
                    f"{composed.job.name}: font {ps_name} is not one of the bundled fonts in fonts/"
                )
        return len(document.pages)


def embedded_font_names(pdf: bytes) -> set[str]:
    """PostScript names of the font programs embedded in a PDF."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return {_postscript_name(program) for _, program in _embedded_fonts(document)}


def _postscript_name(program: bytes) -> str:
    with TTFont(io.BytesIO(program), lazy=True) as font:
        return font["name"].getDebugName(6)


def _embedded_fonts(document: pikepdf.Pdf):
    """(font name, embedded program or None) for each distinct font of every page and
    every form a page draws (a patient's details are drawn in as a form, stamp.py)."""
    seen: set[str] = set()
    for font in font_dictionaries(document):
        descendants = font.get("/DescendantFonts")
        descriptor = (descendants[0] if descendants else font).get("/FontDescriptor")
        if descriptor is None:
            yield str(font.get("/BaseFont")), None
            continue
        name = str(descriptor.FontName)
        if name in seen:
            continue
        seen.add(name)
        stream = descriptor.get("/FontFile2") or descriptor.get("/FontFile3")
        yield name, stream.read_bytes() if stream is not None else None


def font_dictionaries(pdf: pikepdf.Pdf):
    """Each distinct font dictionary of every page, and of the forms they draw, once."""
    seen: set[tuple[int, int]] = set()
    pending = [page.obj.get("/Resources") for page in pdf.pages]
    while pending:
        resources = pending.pop()
        if not isinstance(resources, pikepdf.Dictionary):
            continue
        for font in resources.get("/Font", {}).values():
            if _first_time(font, seen):
                yield font
        for xobject in resources.get("/XObject", {}).values():
            if xobject.get("/Subtype") == pikepdf.Name.Form and _first_time(xobject, seen):
                pending.append(xobject.get("/Resources"))


def _first_time(obj, seen: set) -> bool:
    if not obj.is_indirect:  # written where it is used, so met only there
        return True
    if obj.objgen in seen:
        return False
    seen.add(obj.objgen)
    return True


def _check_cards(composed: Composed, document, safe_mm: float) -> None:
    """Every card side must fit inside its safe area, on its own page: nothing may be
    clipped, and text is never shrunk to make it fit."""
    name = composed.job.name
    if len(document.pages) != len(CARD_SIDES):
        raise RenderError(f"{name}: {len(document.pages)} pages, expected 2 (fronts, backs)")
    from . import engine
    from .overflow import card_overflow_message

    safe = safe_mm / MM_PER_PT * PX_PER_PT - 0.01
    # (side, n-th card of the page with that side) -> [(slot, [(box, field)])], a slot on
    # each page the side reaches: text that overflows a card may go on on the next page.
    sides: dict[tuple[str, int], list[tuple[Any, list]]] = {}
    for page in document.pages:
        on_page: dict[int, tuple[Any, str, list]] = {}  # id(slot) -> (slot, side, boxes)
        for box, field, side, slot in _boxes(engine.page_box(page)):
            if slot is not None and side is not None:
                on_page.setdefault(id(slot), (slot, side, []))[2].append((box, field))
        counts: dict[str, int] = {}
        for slot, side, boxes in on_page.values():
            number = counts[side] = counts.get(side, -1) + 1
            sides.setdefault((side, number), []).append((slot, boxes))
    for (side, number), fragments in sides.items():
        if len(fragments) > 1 or not all(
            _inside(box, slot, safe) for slot, boxes in fragments for box, _ in boxes
        ):
            # On a sheet, each card is fitted alone first: a slot is that card's.
            card = composed.slots[number] if composed.slots else composed
            raise CardOverflow(card_overflow_message(card, side, fragments, safe))


def _inside(box, slot, safe: float) -> bool:
    return (
        slot.position_x + safe <= box.position_x
        and box.position_x + box.margin_width() <= slot.position_x + slot.width - safe
        and slot.position_y + safe <= box.position_y
        and box.position_y + box.margin_height() <= slot.position_y + slot.height - safe
    )


def text_of(box) -> str:
    from . import engine

    return box.text if engine.is_text(box) else "".join(map(text_of, box.children))


def _boxes(box, field=None, side=None, slot=None):
    """Leaf boxes with the field, card side and card slot (box) they belong to."""
    from . import engine

    element = box.element
    if element is not None and box.element_tag not in ("html", "body"):
        field = element.get("data-field") or field
        side = element.get("data-side") or side
        if "slot" in (element.get("class") or "").split() and box.element_tag == "div":
            slot = box
    children = box.children
    if not children or engine.is_line(box) or engine.is_text(box) or engine.is_replaced(box):
        if slot is not box:
            yield box, field, side, slot
    for child in children:
        yield from _boxes(child, field, side, slot)


def _strings(value, path=()):
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, path + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, path + (i,))


class _TextCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts = []

    def handle_data(self, data):
        self.parts.append(data)

    def handle_starttag(self, tag, attrs):
        # Attribute text that reaches the page or a screen reader: page-margin strings
        # (data-footer, data-page-*, data-draft) and alt text.
        self.parts += [
            v
            for k, v in attrs
            if v and (k == "alt" or k.startswith("data-")) and k not in ("data-field", "data-side")
        ]


def _visible_text(html: str) -> str:
    collector = _TextCollector()
    collector.feed(html)
    return "".join(collector.parts)
