"""The WeasyPrint and pydyf internals handouts relies on (handouts/engine.py), one test
each: every test fails if a new WeasyPrint or pydyf changes the internal it is about."""

import io
import zlib

import pikepdf
import pydyf
import weasyprint
from weasyprint.formatting_structure import boxes

from handouts import engine, stamp
from handouts.compose import PLACE_IMAGE
from handouts.locations import FONTS_DIR
from handouts.pdf import ZLIB_LEVEL, Renderer


def render(html: str, source=weasyprint.HTML, **options):
    return source(string=html).render(**options)


def walk(box):
    """A box and its descendants, as stamp.py and verify.py walk them (by children)."""
    yield box
    for child in box.children:
        yield from walk(child)


def page_boxes(document) -> list:
    return [box for page in document.pages for box in walk(engine.page_box(page))]


def test_template_html_gives_weasyprint_its_own_html_stylesheet():
    assert "_ua_stylesheets" in vars(weasyprint.HTML)  # the hook TemplateHTML overrides
    asked = []

    class Hidden(engine.TemplateHTML):
        defaults = weasyprint.CSS(string="p { display: none }")

        def _ua_stylesheets(self, forms=False):
            asked.append(forms)
            return super()._ua_stylesheets(forms)

    hidden = page_boxes(render("<p>Hi</p>", Hidden))
    assert len(asked) == 1 and not any(map(engine.is_text, hidden))
    assert any(map(engine.is_text, page_boxes(render("<p>Hi</p>"))))
    # With the Renderer's html_defaults.css, the same PDF as with WeasyPrint's stylesheet
    # (tests/test_print.py checks the same over real documents).
    renderer = Renderer()

    class Lean(engine.TemplateHTML):
        defaults = renderer.html_defaults

    renderer.close()
    html = '<html lang="en"><body><h1>Dose</h1><p>Take <strong>one</strong> tablet.</p>'
    assert render(html, Lean).write_pdf() == render(html).write_pdf()


def test_font_tempdir_is_where_font_face_copies_go_and_close_removes_it():
    # A clinic's font is declared by @font-face (fontcss.py): WeasyPrint copies it.
    renderer = Renderer()
    assert engine.font_tempdir(renderer.fonts) is None
    font = FONTS_DIR / "atkinson-hyperlegible-next" / "AtkinsonHyperlegibleNext-Regular.ttf"
    weasyprint.CSS(
        string=f"@font-face {{ font-family: Clinic; src: url({font.as_uri()}); }}",
        font_config=renderer.fonts,
        url_fetcher=renderer.fetcher,
    )
    folder = engine.font_tempdir(renderer.fonts)
    assert folder.is_dir() and any(folder.iterdir())
    assert engine.font_tempdir(weasyprint.text.fonts.FontConfiguration()) is None
    renderer.close()
    assert not folder.exists()


def test_page_box_is_the_laid_out_box_tree_of_a_page():
    document = render("<p>Hello</p><p>world</p>")
    root = engine.page_box(document.pages[0])
    assert isinstance(root, boxes.PageBox)
    found = list(walk(root))
    assert sum(map(engine.is_line, found)) == 2
    assert [box.text for box in found if engine.is_text(box)] == ["Hello", "world"]


def test_box_classes_tell_lines_text_and_images_apart():
    found = page_boxes(
        render(
            f'<p>Name: <img src="{PLACE_IMAGE}"></p>'
            f'<img style="display: block" src="{PLACE_IMAGE}">'
        )
    )
    kinds = {type(box) for box in found}
    assert {boxes.LineBox, boxes.TextBox, boxes.InlineReplacedBox, boxes.BlockReplacedBox} <= kinds
    for box in found:
        assert engine.is_line(box) == (type(box) is boxes.LineBox)
        assert engine.is_text(box) == (type(box) is boxes.TextBox)
        assert engine.is_inline_replaced(box) == (type(box) is boxes.InlineReplacedBox)
        assert engine.is_replaced(box) == (
            type(box) in (boxes.InlineReplacedBox, boxes.BlockReplacedBox)
        )
    line = next(box for box in found if engine.is_line(box))
    assert [type(box) for box in line.children] == [boxes.TextBox, boxes.InlineReplacedBox]


def test_boxes_have_the_attributes_stamp_and_verify_read():
    found = page_boxes(
        render(
            f'<div style="padding: 3px"><p>Name: <span class="label">x'
            f'</span><img class="place" alt="place:x" src="{PLACE_IMAGE}">'
            "</p></div>"
        )
    )
    for box in found:
        for name in engine.BOX_ATTRIBUTES:
            assert hasattr(box, name), (box, name)
        assert all(
            isinstance(value, (int, float))
            for value in (
                box.position_x,
                box.position_y,
                box.width,
                box.height,
                box.margin_width(),
                box.margin_height(),
                box.content_box_x(),
                box.content_box_y(),
            )
        )
    div = next(box for box in found if box.element_tag == "div")
    assert div.content_box_x() == div.position_x + 3 and div.margin_width() == div.width + 6
    line = next(box for box in found if engine.is_line(box))
    assert 0 < line.baseline < line.height
    image = next(box for box in found if engine.is_inline_replaced(box))
    assert image.element.get("alt") == "place:x" and image.element_tag == "img"
    label = next(box for box in found if box.element_tag == "span")
    assert "".join(label.element.itertext()) == "x"
    assert isinstance(next(box for box in found if engine.is_text(box)).text, str)


def test_computed_styles_hold_what_stamp_reads_as_stamp_writes_it_back():
    style = (
        "font-family: Serif, 'Atkinson Hyperlegible Next'; font-size: 12px; "
        "font-weight: bold; font-style: italic; line-height: 1.5; letter-spacing: 1px; "
        "word-spacing: 0.5em; color: rgb(255 0 0 / 50%); text-align: justify; "
        "text-transform: uppercase; hyphens: auto; overflow-wrap: anywhere"
    )

    def paragraphs(html: str) -> list:
        return [
            box
            for box in page_boxes(render(html))
            if box.element_tag == "p" and isinstance(box, boxes.BlockBox)
        ]

    styled, plain, tall = paragraphs(
        f'<p dir="rtl" style="{style}">x</p><p>y</p><p style="line-height: 20px">z</p>'
    )
    read = []

    class Reading(dict):
        def __getitem__(self, name):
            read.append(name)
            return styled.style[name]

    assert stamp._text_style(Reading()) == (
        "font-family: 'Serif', 'Atkinson Hyperlegible Next'; font-size: 12.0px; "
        "font-weight: 700; font-style: italic; line-height: 1.5; letter-spacing: 1.0px; "
        "word-spacing: 6.0px; color: color(srgb 1 0 0 / 0.5); text-align: justify; "
        "text-transform: uppercase; hyphens: auto; overflow-wrap: anywhere"
    )
    assert sorted({*read, "direction"}) == sorted(engine.STYLE_KEYS)
    assert styled.style["direction"] == "rtl" and plain.style["direction"] == "ltr"
    # Written back as CSS, each computes to the same values again: the overlay's
    # paragraph has the kept paragraph's text style.
    for box in (styled, plain, tall):
        (again,) = paragraphs(f'<p style="{stamp._text_style(box.style)}">x</p>')
        for name in engine.STYLE_KEYS:
            assert again.style[name] == box.style[name] or name == "direction", name
    # A property the overlay does not copy is its initial value unless something sets it.
    for name in stamp.NOT_COPIED:
        assert plain.style[name] == engine.initial_value(name), name
    (indented,) = paragraphs('<p style="text-indent: 1em">z</p>')
    assert indented.style["text_indent"] != engine.initial_value("text_indent")


def test_deflate_level_caps_the_level_pydyf_deflates_streams_at(monkeypatch):
    words = [f"{word}{n}" for n in range(40) for word in ("dose", "tablet", "daily", "mg")]
    data = " ".join(words[(i * 7919) % len(words)] for i in range(1000)).encode()

    def deflated(level: int) -> bytes:
        compressor = zlib.compressobj(level)
        return compressor.compress(data) + compressor.flush()

    assert len({deflated(1), deflated(ZLIB_LEVEL), deflated(9)}) == 3
    # importing handouts.pdf set the cap
    assert deflated(ZLIB_LEVEL) in pydyf.Stream([data], compress=True).data
    monkeypatch.setattr(pydyf, "zlib", zlib)  # pydyf as shipped: level 9
    assert deflated(9) in pydyf.Stream([data], compress=True).data
    engine.set_deflate_level(1)
    assert deflated(1) in pydyf.Stream([data], compress=True).data


def test_an_image_is_a_figure_with_its_alt_text_and_one_marked_content_sequence():
    html = (
        f'<html lang="en"><head><title>t</title></head><body><p>Name: '
        f'<img class="place" alt="place:x" src="{PLACE_IMAGE}"></p></body></html>'
    )
    pdf = render(html).write_pdf(pdf_variant="pdf/ua-1")
    with pikepdf.open(io.BytesIO(pdf)) as document:
        page = document.pages[0]
        figures = engine.tagged_figures(document, page)
        assert list(figures) == ["place:x"]
        mcid, element = figures["place:x"]
        assert element.S == pikepdf.Name.Figure and str(element.Alt) == "place:x"
        assert "/A" in element  # stamp.prepare deletes it with /Alt
        assert list(element.K) == [mcid]  # the ParentTree index is the element's MCID
        operations = [
            (operands, str(operator)) for operands, operator in pikepdf.parse_content_stream(page)
        ]
    start = next(
        i
        for i, (operands, operator) in enumerate(operations)
        if operator == "BDC"
        and isinstance(operands[1], pikepdf.Dictionary)
        and operands[1].get("/MCID") == mcid
    )
    depth, end = 1, start
    while depth:
        end += 1
        depth += {"BDC": 1, "BMC": 1, "EMC": -1}.get(operations[end][1], 0)
    inside = [operator for _, operator in operations[start + 1 : end]]
    assert inside.count("q") == inside.count("Q")  # stamp.prepare can drop it whole
