"""Which field a layout failure comes from, where it is written, and how much too long.

A layout check (verify.py) finds a line that runs off its page or over another line, or a
card side whose text does not fit. Said that way, the writer cannot act on it; said as
"this field, in this file at this line, is about so many characters too long", they can.
The check itself never changes: this only names the cause of what it found.
"""

import math
import re
from dataclasses import dataclass
from typing import Any

from .catalogs import content_catalog_path, entry_line
from .compose import Composed
from .errors import RenderError
from .locations import display_path
from .verify import MIN_CARD_FONT_PT

_PART = re.compile(r"([A-Za-z_]+)|\[(\d+)\]")
CARD_RULE = (
    "Card text is never clipped, and a translation is never cut to fit "
    "(docs/content-format.md, card)"
)
GENERAL_RULE = (
    "the content's owner shortens the English master, for every language "
    "(docs/content-format.md, card)"
)


class FieldTooLong(RenderError):
    """A content field is too long for its place on the page."""


def field_path(path: str) -> tuple[str | int, ...]:
    """'card.warnings[1]' -> ('card', 'warnings', 1)."""
    return tuple(name or int(index) for name, index in _PART.findall(path))


def field_text(composed: Composed, path: str) -> str:
    value: Any = composed.localized.drug.model_dump(mode="json")
    for key in field_path(path):
        value = value[key]
    return value if isinstance(value, str) else ""


def english_text(composed: Composed, path: str) -> str:
    value: Any = composed.job.drug.drug.model_dump(mode="json")
    for key in field_path(path):
        value = value[key]
    return value if isinstance(value, str) else ""


def yaml_location(composed: Composed, path: str) -> str:
    content = composed.job.drug
    line, column = content.positions.of(field_path(path))
    return f"{display_path(content.path)}:{line}:{column}"


def translated(composed: Composed, path: str) -> bool:
    """Whether the field is printed from the language's catalogue, not from drug.yaml."""
    return composed.job.lang != "en" and field_text(composed, path) != english_text(composed, path)


def location(composed: Composed, path: str) -> str:
    """file:line:column where the printed text of a field is written."""
    if translated(composed, path):
        catalog = content_catalog_path(composed.job.drug.path.parent, composed.job.lang)
        line = entry_line(catalog, composed.job.lang, path)
        if line:
            return f"{display_path(catalog)}:{line}:1"
    return yaml_location(composed, path)


def _about(chars: float) -> int:
    """A count of characters to cut, rounded up to a round number."""
    step = 5 if chars <= 100 else 50
    return max(step, math.ceil(chars / step) * step)


def _fix(composed: Composed, path: str, cut_fraction: float) -> str:
    """How to make a field fit, given the part of its text that has to go."""
    clinic = composed.job.clinic
    if path.startswith("full_info_url") and composed.context.get("qr_site") and clinic:
        return (
            f"the address printed is the web edition's: shorten qr_base_url in "
            f"{display_path(clinic.path)}"
        )
    text = field_text(composed, path)
    cut = _about(len(text) * cut_fraction)
    if not translated(composed, path):
        return f"shorten it in the English master by about {cut} characters (of {len(text)})"
    english = english_text(composed, path)
    english_cut = _about(len(english) * cut_fraction)
    return (
        f"the {composed.job.lang} text is about {cut} of its {len(text)} characters too "
        "long; a translation is never cut to fit: shorten the English master "
        f"({yaml_location(composed, path)}) by about {english_cut} of its {len(english)} "
        "characters, for every language, and have it translated again"
    )


# --- Handouts: a field that runs off its page or over other text ---------------------


def fields_of(page_box) -> dict[int, tuple[str, Any]]:
    """id(box) -> (field, the outermost box of the field's element), for every box of a
    page laid out with named fields (compose.FieldMarker)."""
    found: dict[int, tuple[str, Any]] = {}

    def walk(box, field, field_box):
        element = box.element
        name = element.get("data-field") if element is not None else None
        if name and (field_box is None or field_box.element is not element):
            field, field_box = name, box
        if field:
            found[id(box)] = (field, field_box)
        for child in box.children:
            walk(child, field, field_box)

    walk(page_box, None, None)
    return found


def too_long_on_page(
    composed: Composed, page_box, number: int, boxes: tuple
) -> "FieldTooLong | None":
    """The error naming the field behind a line that runs off page `number` or over
    another line, from a layout with named fields: a field printed as a block that cannot
    be split across pages, and taller than a page. None otherwise: a field in its place
    does not cause either, so a template or stylesheet is to blame."""
    fields = fields_of(page_box)
    involved = [fields[id(box)] for box in boxes if id(box) in fields]
    if not involved:
        return None
    path, field_box = max(involved, key=lambda found: found[1].margin_height())
    height, available = field_box.margin_height(), page_box.height
    if height <= available:
        return None
    text = field_text(composed, path)
    what = (
        f"too long for the {composed.job.lang} {composed.job.kind}: it is printed as one "
        f"block that cannot be split across pages, and at {len(text)} characters it is "
        f"taller than a page (page {number})"
    )
    fix = _fix(composed, path, 1 - 0.95 * available / height)  # some room to spare
    return FieldTooLong(f"{location(composed, path)}: {path}: {what}; {fix}")


# --- Cards: the field that takes the most space on a side that does not fit ----------


@dataclass
class Space:
    """What one field (or one piece of fixed text) takes on a card side."""

    label: str
    field: str | None
    area: float = 0.0
    chars: int = 0
    line: float = 0.0  # the height of its tallest line


def card_overflow_message(composed: Composed, side: str, fragments: list, safe: float) -> str:
    """The message for a card side whose text runs past its safe area: by how much, the
    field that takes the most space and about how much of it would have to go.

    fragments: (slot, [(box, field)]) for each page the side's text reaches, the first
    being the card's own."""
    from . import engine

    first = fragments[0][0]
    left, right = first.position_x + safe, first.position_x + first.width - safe
    width, height = right - left, first.height - 2 * safe
    needed = 0.0  # the height the side's text takes, on its card and past it
    for number, (slot, boxes) in enumerate(fragments):
        top = slot.position_y + safe if number == 0 else min(b.position_y for b, _ in boxes)
        needed += max(b.position_y + b.margin_height() for b, _ in boxes) - top
    over_y = needed - height
    boxes = [found for _, boxes in fragments for found in boxes]
    over_x = max(
        max(box.position_x + box.margin_width() - right, left - box.position_x) for box, _ in boxes
    )
    spaces: dict[Any, Space] = {}
    for box, field in boxes:
        if not engine.is_text(box) or not box.text.strip():
            continue
        key = field or id(_block_element(box))
        if key not in spaces:
            spaces[key] = Space(field or _fixed_label(composed, box), field)
        spaces[key].area += box.width * box.height
        spaces[key].chars += len(box.text)
        spaces[key].line = max(spaces[key].line, box.height)
    head = (
        f"{composed.job.name}: the card {side} does not fit, even at the smallest card text "
        f"({MIN_CARD_FONT_PT:g} pt)"
    )
    named = [space for space in spaces.values() if space.field]
    biggest = max(named or spaces.values(), key=lambda space: space.area, default=None)
    if over_x > 0.5 or biggest is None or over_y <= 0:
        # A word too long to wrap: the widest line of a field, and how much of it is over.
        wide = [(b, f) for b, f in boxes if f and b.position_x + b.margin_width() - right > 0.5]
        if not wide:
            return f"{head}: a line is wider than the card; {GENERAL_RULE}"
        box, path = max(wide, key=lambda found: found[0].margin_width())
        fraction = (box.position_x + box.margin_width() - right) / box.margin_width()
        return (
            f"{head}: {path} is wider than the card ({location(composed, path)}): "
            f"{_fix(composed, path, fraction)}. {CARD_RULE}"
        )
    # The text to remove takes the overflowing height across the side's width, and a line
    # more: lines break at words, so the last one is seldom full.
    fraction = (over_y + biggest.line) * width / (biggest.area or 1.0)
    share = math.ceil(100 * over_y / needed)
    if biggest.field is None:
        return (
            f"{head}: about {share}% of its text would have to go; {biggest.label} takes "
            f"the most space; {GENERAL_RULE}"
        )
    path = biggest.field
    more = (
        "; that is more than all of it, so other text on this side must be shortened too"
        if fraction > 1
        else ""
    )
    return (
        f"{head}: about {share}% of its text would have to go. {path} takes the most space "
        f"({location(composed, path)}): {_fix(composed, path, min(fraction, 1.0))}{more}. "
        f"{CARD_RULE}"
    )


def _block_element(box):
    """The element a text box is in (its paragraph, heading or list item)."""
    return box.element


def _fixed_label(composed: Composed, box) -> str:
    """Fixed text quoted by its words; never when the document carries a patient's
    details, which may be among them."""
    if composed.job.personal is not None or box.element is None:
        return "the card's fixed text"
    words = " ".join("".join(box.element.itertext()).split())
    return f"the fixed text {words[:40]!r}"


# --- A patient's details: the field only, never its value ---------------------------


class PersonalTooLong(RenderError):
    """A detail a nurse wrote in does not fit the document."""


def personal_too_long(job, key: str, fits: int | None) -> PersonalTooLong:
    """The error for a personal field that does not fit job's document with the details
    before it. fits: how many of its first characters do, measured by laying them out;
    None when not measured. Neither the value nor its length is said: patient data."""
    where = f"{job.name}: personalization.{key}: too long to fit on the {job.kind}"
    if fits is None:
        return PersonalTooLong(f"{where}; leave it out")
    if fits == 0:
        return PersonalTooLong(f"{where} with the other details given; shorten them")
    how = ", for example with initials" if key == "patient_name" else ""
    return PersonalTooLong(f"{where}; only its first {fits} characters or so fit; shorten it{how}")
