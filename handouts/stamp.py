"""Pipeline stage 4b: a patient's details drawn into a document laid out without them.

Requests for the same drug, language and documents differ only in the patient's details,
and laying out a whole handout for each takes most of a request's time. So the document
is laid out once with an empty, tagged place where each detail goes (templates/macros.html,
value()), and kept; a request lays out only the paragraphs that hold its details, one to a
page of the same size, and draws each into its place, as a form is filled in. The kept
document holds no patient data: its places are empty, and the details live only in the
request.

The drawn paragraph is laid out as the whole document would lay it out: the same width,
text style and label (laid out, not drawn), so it breaks into the same lines. The kept
document's place has that paragraph's height and baseline, so everything after it is
where the whole layout would put it. Whenever that cannot be made sure of (a detail runs
past its paragraph, the label would end elsewhere, a taller place changes the card's text
size, a template prints a detail some other way), the caller lays out the whole document
instead.
"""

import hashlib
import io
from dataclasses import dataclass
from decimal import Decimal

import pikepdf
from markupsafe import escape

from . import engine
from .bidi import isolated
from .compose import Unplaceable
from .fontcss import family_list
from .verify import font_dictionaries

PX_TO_PT = 0.75
SLACK_PX = 0.01
FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")  # Type 1, TrueType, CFF/OpenType
# Text properties the overlay does not write out (_text_style): a place whose paragraph
# or label sets any of them is not drawn into; the document is laid out whole instead.
NOT_COPIED = (
    "font_stretch",
    "font_kerning",
    "font_variant_ligatures",
    "font_variant_position",
    "font_variant_caps",
    "font_variant_numeric",
    "font_variant_alternates",
    "font_variant_east_asian",
    "font_feature_settings",
    "font_variation_settings",
    "font_language_override",
    "text_indent",
    "text_align_last",
    "word_break",
    "white_space",
    "text_decoration_line",
    "unicode_bidi",
)


@dataclass(frozen=True)
class Place:
    """Where one personal field goes, from the layout of a kept document (CSS px)."""

    document: int  # which of the documents written together
    page: int  # in the written PDF, counted from 0
    key: str  # a field of compose.PERSONAL_FIELDS
    page_size: tuple[float, float]
    left: float  # the paragraph's content box
    top: float
    width: float
    line: int  # the place's line in its paragraph, from 0
    line_top: float  # that line box
    line_height: float
    baseline: float
    label: str  # the text before the value, its style, and where it ends on
    label_style: str  # the place's line (its left edge, right to left)
    label_end: float
    style: str  # the paragraph's text style, as CSS
    direction: str
    families: tuple[str, ...]  # the paragraph's font families

    def across(self) -> tuple:
        """What decides how a value breaks into lines at this place."""
        return (
            self.page_size,
            self.left,
            self.width,
            self.line,
            self.label,
            self.label_style,
            self.label_end,
            self.style,
            self.direction,
        )


@dataclass(frozen=True)
class Filled:
    """A value's paragraph laid out on its own: its lines from the place's line on."""

    height: float  # from the top of the place's line to the paragraph's end
    baseline: float  # of the place's line, from its top
    top: float  # of the place's line, on the overlay page
    fits: bool  # within the paragraph's width

    def matches(self, place: Place) -> bool:
        """Whether the place's line box is these lines': as high, with the same baseline."""
        return (
            abs(place.line_height - self.height) <= SLACK_PX
            and abs(place.baseline - place.line_top - self.baseline) <= SLACK_PX
        )

    def reserve(self, place: Place) -> str:
        """The style of a place for these lines, on their baseline; none if the one-line
        place already is."""
        if self.matches(place):
            return ""
        return f"height: {self.height:.4f}px; vertical-align: {self.baseline - self.height:.4f}px"


def find_places(documents: list) -> list[Place]:
    """The places in laid-out WeasyPrint documents, written one after another as one PDF."""
    places, first_page = [], 0
    for number, document in enumerate(documents):
        for page_number, page in enumerate(document.pages, first_page):
            for box, line, block in _place_boxes(engine.page_box(page)):
                key = box.element.get("alt").removeprefix("place:")
                label = line.children[0]
                if (
                    line.children[-1] is not box
                    or block.children[-1] is not line
                    or label.element is None
                    or label.element.get("class") != "label"
                ):
                    raise Unplaceable(f"the place of {key} does not end its label's paragraph")
                if any(
                    box.style[name] != engine.initial_value(name)
                    for box in (block, label)
                    for name in NOT_COPIED
                ):
                    raise Unplaceable(f"the paragraph of {key} is styled beyond the overlay")
                rtl = block.style["direction"] == "rtl"
                places.append(
                    Place(
                        document=number,
                        page=page_number,
                        key=key,
                        page_size=(page.width, page.height),
                        left=block.content_box_x(),
                        top=block.content_box_y(),
                        width=block.width,
                        line=block.children.index(line),
                        line_top=line.position_y,
                        line_height=line.height,
                        baseline=line.position_y + line.baseline,
                        label="".join(label.element.itertext()),
                        label_style=_text_style(label.style),
                        label_end=_end(label, rtl),
                        style=_text_style(block.style),
                        families=tuple(block.style["font_family"]),
                        direction=block.style["direction"],
                    )
                )
        first_page += len(document.pages)
    return places


def _place_boxes(box, line=None, block=None):
    """(place box, its line box, the block holding that line) for each place."""
    if engine.is_inline_replaced(box) and box.element.get("class") == "place":
        yield box, line, block
        return
    for child in box.children:
        if engine.is_line(child):
            yield from _place_boxes(child, child, box)
        else:
            yield from _place_boxes(child, line, block)


def _end(box, rtl: bool) -> float:
    return box.position_x if rtl else box.position_x + box.margin_width()


def _text_style(style) -> str:
    families = family_list(style["font_family"], "'")
    color = style["color"]
    coordinates = " ".join(f"{c:g}" for c in color.coordinates)
    return (
        f"font-family: {families}; font-size: {style['font_size']}px; "
        f"font-weight: {style['font_weight']}; font-style: {style['font_style']}; "
        f"line-height: {_css(style['line_height'])}; "
        f"letter-spacing: {_css(style['letter_spacing'], 'px')}; "
        f"word-spacing: {_css(style['word_spacing'], 'px')}; "
        f"color: color({color.space} {coordinates} / {color.alpha:g}); "
        f"text-align: {style['text_align_all']}; text-transform: {style['text_transform']}; "
        f"hyphens: {style['hyphens']}; overflow-wrap: {style['overflow_wrap']}"
    )


def _css(value, unit: str = "") -> str:
    """A computed length (or keyword, or number) written back as CSS; unit for a length
    computed to a bare number (letter- and word-spacing, in px: 1.0 alone is not CSS)."""
    if hasattr(value, "unit"):
        return f"{value.value}{value.unit}"
    return f"{value}{unit}" if isinstance(value, int | float) else str(value)


def overlay_html(
    places: list[Place], values: dict[str, str], lang: str, fallback: tuple[str, ...] = ()
) -> str:
    """One page per place, with the value's paragraph where the place's paragraph is;
    its label takes its room but is not drawn (the kept document has it). fallback: the
    font families the values need beyond the place's (fonts.fallback_families)."""
    sizes = list(dict.fromkeys(place.page_size for place in places))
    css = "".join(
        f"@page s{i} {{ size: {w}px {h}px; margin: 0 }} .s{i} {{ page: s{i} }}"
        for i, (w, h) in enumerate(sizes)
    )
    body = []
    for place in places:
        value = str(isolated(values[place.key]))
        if place.key == "phone":  # whole on one line, as macros.html prints it
            value = f'<span style="white-space: nowrap">{value}</span>'
        if fallback:
            families = family_list(place.families + fallback, "'")
            value = f'<span style="font-family: {families}">{value}</span>'
        body.append(
            f'<div class="s{sizes.index(place.page_size)}" style="break-after: page">'
            f'<p dir="{place.direction}" style="position: absolute; margin: 0; '
            f'left: {place.left}px; top: {place.top}px; width: {place.width}px; {place.style}">'
            f'<span style="visibility: hidden; {place.label_style}">{escape(place.label)}'
            f"</span> {value}</p></div>"
        )
    return (
        f'<html lang="{lang}"><head><style>{css}</style></head>'
        f'<body style="margin: 0">{"".join(body)}</body></html>'
    )


def measure(places: list[Place], overlay) -> list[Filled]:
    """Each value's paragraph in the overlay, place by place."""
    filled = []
    for place, page in zip(places, overlay.pages, strict=True):
        lines = list(_line_boxes(engine.page_box(page)))
        texts = [box for line in lines for box in _leaves(line) if engine.is_text(box)]
        line = lines[min(place.line, len(lines) - 1)]
        # The label must end where it does in the kept layout, or the value's lines
        # would not break as the whole layout breaks them.
        fits = (
            bool(texts)
            and len(lines) > place.line
            and abs(_end(line.children[0], place.direction == "rtl") - place.label_end) <= SLACK_PX
            and min(box.position_x for box in texts) >= place.left - SLACK_PX
            and max(box.position_x + box.margin_width() for box in texts)
            <= place.left + place.width + SLACK_PX
        )
        filled.append(
            Filled(
                height=lines[-1].position_y + lines[-1].height - line.position_y,
                baseline=line.baseline,
                top=line.position_y,
                fits=fits,
            )
        )
    return filled


def shifts(places: list[Place], measured: list[Place], filled: list[Filled]) -> list[float] | None:
    """How far (px, down) each overlay page, laid out for the measured places, must move
    to put its value's line on the place's; None if a place is not the value's height and
    baseline, or is in a paragraph that would break the value differently."""
    result = []
    for place, at, value in zip(places, measured, filled, strict=True):
        if place.across() != at.across() or not value.matches(place):
            return None
        result.append(place.baseline - (value.top + value.baseline))
    return result


def _line_boxes(box):
    if engine.is_line(box):
        yield box
        return
    for child in box.children:
        yield from _line_boxes(child)


def _leaves(box):
    children = box.children
    if not children:
        yield box
    for child in children:
        yield from _leaves(child)


def prepare(base: bytes, places: list[Place]) -> bytes:
    """The kept PDF, made ready once for every request: each place's marked content, an
    image that draws nothing tagged as a Figure, becomes a Span that draws the form
    /Place<n> (n: the place's number), in the page's own coordinates; stamp() supplies
    the forms. The cm operators before it are followed to undo them."""
    with pikepdf.open(io.BytesIO(base)) as pdf:
        for page_number in sorted({place.page for place in places}):
            page = pdf.pages[page_number]
            elements = _place_elements(pdf, page)
            draws = {}
            for number, place in enumerate(places):
                if place.page == page_number:
                    if place.key not in elements:
                        raise Unplaceable(f"the place of {place.key} is not tagged")
                    mcid, element = elements.pop(place.key)
                    draws[mcid] = pikepdf.Name(f"/Place{number}")
                    element.S = pikepdf.Name.Span
                    del element["/Alt"], element["/A"]
            page.obj.Contents = pdf.make_stream(
                pikepdf.unparse_content_stream(_redraw(pikepdf.parse_content_stream(page), draws))
            )
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True)
    return out.getvalue()


def stamp(prepared: bytes, places: list[Place], overlay: bytes, shifts: list[float]) -> bytes:
    """The prepared PDF with overlay page n drawn at place n, moved down by shifts[n]."""
    with pikepdf.open(io.BytesIO(prepared)) as pdf, pikepdf.open(io.BytesIO(overlay)) as values:
        _rename_subsets(values)
        for number, (place, shift) in enumerate(zip(places, shifts, strict=True)):
            form = values.pages[number].as_form_xobject()
            form.Matrix = pikepdf.Array([1, 0, 0, 1, 0, Decimal(f"{-shift * PX_TO_PT:.4f}")])
            resources = pdf.pages[place.page].obj.Resources
            if "/XObject" not in resources:
                resources.XObject = pikepdf.Dictionary()
            resources.XObject[f"/Place{number}"] = pdf.copy_foreign(form)
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True)
    return out.getvalue()


def _rename_subsets(pdf: pikepdf.Pdf) -> None:
    """WeasyPrint names a font's subset after the font, not after its glyphs: the overlay's
    subset would share its name with the kept document's, and a printer that keeps fonts
    by name could print one's glyphs with the other's codes. The tag becomes the subset's
    own digest, for every font embedded (TrueType, CFF or Type 1) on any page or form."""
    for font in font_dictionaries(pdf):
        for member in [font, *font.get("/DescendantFonts", [])]:
            descriptor = member.get("/FontDescriptor")
            programs = (
                []
                if descriptor is None
                else [descriptor[key] for key in FONT_FILES if key in descriptor]
            )
            if not programs:
                continue
            digest = hashlib.sha256(programs[0].read_bytes()).digest()
            tag = "".join(chr(ord("A") + byte % 26) for byte in digest[:6])
            subset, plus, font_name = str(descriptor.FontName)[1:].partition("+")
            name = pikepdf.Name(f"/{tag}+{font_name if plus else subset}")
            descriptor.FontName = member.BaseFont = font.BaseFont = name


def _place_elements(pdf: pikepdf.Pdf, page: pikepdf.Page) -> dict[str, tuple[int, pikepdf.Object]]:
    """The page's place Figures in the structure tree: {key: (MCID, element)}."""
    return {
        alt.removeprefix("place:"): figure
        for alt, figure in engine.tagged_figures(pdf, page).items()
        if alt.startswith("place:")
    }


def _redraw(operations, draws: dict[int, pikepdf.Name]):
    """The content stream with each place's marked content replaced by a Do of its form."""
    matrices = [pikepdf.Matrix()]
    result, skipping = [], 0  # skipping: marked-content depth inside a place
    for operands, operator in operations:
        op = str(operator)
        if skipping:
            skipping += {"BDC": 1, "BMC": 1, "EMC": -1}.get(op, 0)
            if not skipping:
                result.append((operands, operator))
            continue
        if op == "q":
            matrices.append(matrices[-1])
        elif op == "Q":
            matrices.pop()
        elif op == "cm":
            matrices[-1] = pikepdf.Matrix(*map(float, operands)) @ matrices[-1]
        elif (
            op == "BDC"
            and isinstance(operands[1], pikepdf.Dictionary)
            and int(operands[1].get("/MCID", -1)) in draws
        ):
            result += [
                ([pikepdf.Name.Span, operands[1]], pikepdf.Operator("BDC")),
                ([], pikepdf.Operator("q")),
                (list(matrices[-1].inverse().shorthand), pikepdf.Operator("cm")),
                ([draws[int(operands[1].MCID)]], pikepdf.Operator("Do")),
                ([], pikepdf.Operator("Q")),
            ]
            skipping = 1
            continue
        result.append((operands, operator))
    return result
