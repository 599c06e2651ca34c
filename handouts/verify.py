"""Pipeline stage 5: check the rendered document against the print rules.

Two passes: before layout, every character is checked against the language's fonts (so
the error can name the field); after layout, the page boxes and the PDF bytes are read
back, as a printer would see them.
"""

import io
from html.parser import HTMLParser

from fontTools.ttLib import TTFont
from pypdf import PdfReader

from .compose import Composed
from .documents import CARD_HEIGHT_PT, CARD_SIDES, CARD_WIDTH_PT
from .errors import RenderError
from .fonts import bundled_postscript_names, missing_characters
from .yamlsource import format_path

PX_PER_PT = 4 / 3          # WeasyPrint lays out in CSS pixels
CARD_SAFE_PT = 9.0         # 0.125 in kept clear inside the trim on every edge
SIZE_TOLERANCE_PT = 0.5


def check_glyphs(composed: Composed, html: str) -> None:
    """Every character of the content and of the template text must be in the fonts."""
    lang = composed.job.lang
    problems = []
    for path, text in _strings(composed.job.drug.drug.model_dump(mode="json")):
        for ch in missing_characters(text, lang):
            problems.append(f"{composed.job.name}: {format_path(path)}: character "
                            f"U+{ord(ch):04X} ({ch}) is not in the bundled fonts for {lang!r}")
    if not problems:
        for ch in missing_characters(_visible_text(html), lang):
            problems.append(f"{composed.job.name}: template text: character U+{ord(ch):04X} "
                            f"({ch}) is not in the bundled fonts for {lang!r}")
    if problems:
        raise RenderError("\n".join(problems) + "\nReplace the character, or add a font "
                          "that has it to fonts/ and to the language's stack in handouts/fonts.py")


def check_layout(composed: Composed, document, warnings: list[str]) -> None:
    name = composed.job.name
    if warnings:
        raise RenderError(f"{name}: WeasyPrint reported: " + "; ".join(warnings))
    if composed.job.kind == "card":
        _check_card(name, document)
        expected = [(CARD_WIDTH_PT, CARD_HEIGHT_PT)] * len(CARD_SIDES)
    else:
        paper = composed.paper
        expected = [(paper.width_pt, paper.height_pt)] * len(document.pages)
    for number, (page, (width, height)) in enumerate(zip(document.pages, expected), 1):
        got = (page.width / PX_PER_PT, page.height / PX_PER_PT)
        if abs(got[0] - width) > SIZE_TOLERANCE_PT or abs(got[1] - height) > SIZE_TOLERANCE_PT:
            raise RenderError(f"{name}: page {number} is {got[0]:.1f} x {got[1]:.1f} pt, "
                              f"expected {width:.1f} x {height:.1f} pt")


def check_pdf(composed: Composed, pdf: bytes) -> int:
    """Read the PDF back: fonts must all be bundled ones. Returns the page count."""
    reader = PdfReader(io.BytesIO(pdf))
    allowed = bundled_postscript_names()
    for font_name, program in _embedded_fonts(reader):
        if program is None:
            raise RenderError(f"{composed.job.name}: font {font_name} is not embedded")
        with TTFont(io.BytesIO(program), lazy=True) as font:
            ps_name = font["name"].getDebugName(6)
        if ps_name not in allowed:
            raise RenderError(f"{composed.job.name}: font {ps_name} is not one of the "
                              "bundled fonts in fonts/")
    return len(reader.pages)


def embedded_font_names(pdf: bytes) -> set[str]:
    """PostScript names of the font programs embedded in a PDF."""
    names = set()
    for _, program in _embedded_fonts(PdfReader(io.BytesIO(pdf))):
        with TTFont(io.BytesIO(program), lazy=True) as font:
            names.add(font["name"].getDebugName(6))
    return names


def _embedded_fonts(reader: PdfReader):
    seen = set()
    for page in reader.pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            descendants = font.get("/DescendantFonts")
            descriptor = (descendants[0].get_object() if descendants else font).get("/FontDescriptor")
            if descriptor is None:
                yield str(font.get("/BaseFont")), None
                continue
            descriptor = descriptor.get_object()
            name = str(descriptor["/FontName"])
            if name in seen:
                continue
            seen.add(name)
            stream = descriptor.get("/FontFile2") or descriptor.get("/FontFile3")
            yield name, stream.get_object().get_data() if stream is not None else None


def _check_card(name: str, document) -> None:
    """Each side must fit its own page inside the safe area: nothing may be clipped."""
    limit_x = (CARD_WIDTH_PT - CARD_SAFE_PT) * PX_PER_PT
    limit_y = (CARD_HEIGHT_PT - CARD_SAFE_PT) * PX_PER_PT
    for page_index, page in enumerate(document.pages):
        for box, field, side in _boxes(page._page_box):
            if side is None:
                continue
            expected_page = CARD_SIDES.index(side)
            bottom = box.position_y + box.margin_height()
            right = box.position_x + box.margin_width()
            if page_index != expected_page or bottom > limit_y + 0.01 or right > limit_x + 0.01:
                where = f"field {field}" if field else "its fixed text"
                raise RenderError(f"{name}: the card {side} does not fit; {where} runs past "
                                  "the safe area. Shorten the text in drug.yaml (a card side "
                                  "never shrinks or clips text)")
    if len(document.pages) != len(CARD_SIDES):
        raise RenderError(f"{name}: the card has {len(document.pages)} pages, expected 2")


def _boxes(box, field=None, side=None):
    element = getattr(box, "element", None)
    if element is not None and box.element_tag not in ("html", "body"):
        field = element.get("data-field") or field
        side = element.get("data-side") or side
    children = getattr(box, "children", None) or []
    if not children or type(box).__name__ in ("LineBox", "TextBox", "InlineReplacedBox",
                                                "BlockReplacedBox"):
        yield box, field, side
    for child in children:
        yield from _boxes(child, field, side)


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
        self.parts += [v for k, v in attrs if v and (k == "alt" or k.startswith("data-"))
                       and k not in ("data-field", "data-side")]


def _visible_text(html: str) -> str:
    collector = _TextCollector()
    collector.feed(html)
    return "".join(collector.parts)
