"""WeasyPrint's and pydyf's internals, behind one door (DESIGN.md, "Dependencies").

The parts of WeasyPrint 70 and pydyf 0.13 beyond their public API that handouts relies on.
Nothing else in handouts/ touches them; tests/test_engine.py fails if a new version changes
any of them, and a missing one fails the import of this module:

- HTML._ua_stylesheets: the user-agent stylesheet hook; TemplateHTML gives html_defaults.css.
- FontConfiguration._folder: @font-face copies; Renderer.close deletes them (font_tempdir).
- Page._page_box: a page's box tree, read by stamp.py (places) and verify.py (layout checks).
- boxes.LineBox, TextBox, InlineReplacedBox, BlockReplacedBox: what is_line etc. tell apart.
- Box attributes (BOX_ATTRIBUTES, baseline of a line, text of a text box): geometry and markup.
- box.style[name] and INITIAL_VALUES: stamp.py copies a text style (STYLE_KEYS), see below.
- pydyf's module global zlib: pydyf deflates at level 9 always; set_deflate_level caps it.
- Tag tree: an <img> is a /Figure with /Alt and /A, drawn as one BDC <</MCID n>> ... EMC.

Computed values as stamp.py writes them back: font_family a tuple of names; color with
space, coordinates and alpha; font_size, letter_spacing and word_spacing numbers of px (or
keywords); line_height a number, a length with value and unit, or "normal". A tagged
PDF lists a page's structure elements in one flat ParentTree /Nums array, indexed by
MCID (tagged_figures); stamp.prepare turns a place's Figure into a Span drawing a form.
"""

from . import native  # noqa: F401  (loads WeasyPrint: bundled fonts only, quick library lookup)

# isort: split
import types
import zlib
from pathlib import Path

import pikepdf
import pydyf
import weasyprint
from weasyprint import CSS, HTML
from weasyprint.css.properties import INITIAL_VALUES
from weasyprint.formatting_structure import boxes
from weasyprint.text.fonts import FontConfiguration

# What stamp.py and verify.py read of a box, and stamp.py of its computed style.
BOX_ATTRIBUTES = (
    "position_x",
    "position_y",
    "width",
    "height",
    "margin_width",
    "margin_height",
    "content_box_x",
    "content_box_y",
    "children",
    "element",
    "element_tag",
    "style",
)
STYLE_KEYS = (
    "font_family",
    "font_size",
    "font_weight",
    "font_style",
    "line_height",
    "letter_spacing",
    "word_spacing",
    "color",
    "text_align_all",
    "text_transform",
    "hyphens",
    "overflow_wrap",
    "direction",
)


def _require(present: bool, internal: str) -> None:
    """Fail at import, naming the internal, rather than lay out something else later."""
    if not present:
        raise ImportError(
            f"WeasyPrint {weasyprint.__version__} / pydyf {pydyf.__version__} "
            f"no longer has {internal}, which handouts relies on "
            "(handouts/engine.py): pin the versions in requirements/ or adapt "
            "engine.py"
        )


_require("_ua_stylesheets" in vars(HTML), "HTML._ua_stylesheets")
_require(hasattr(FontConfiguration, "_folder"), "FontConfiguration._folder")
_require(isinstance(vars(pydyf).get("zlib"), types.ModuleType), "the module global pydyf.zlib")
_require(
    all(
        isinstance(getattr(boxes, name, None), type)
        for name in ("PageBox", "LineBox", "TextBox", "InlineReplacedBox", "BlockReplacedBox")
    ),
    "the box classes PageBox, LineBox, TextBox, InlineReplacedBox and BlockReplacedBox",
)
_require(
    all(
        callable(getattr(boxes.Box, name, None))
        for name in ("margin_width", "margin_height", "content_box_x", "content_box_y")
    ),
    "Box.margin_width, margin_height, content_box_x and content_box_y",
)


class TemplateHTML(HTML):
    """An HTML document styled with html_defaults.css instead of WeasyPrint's full HTML
    stylesheet: the same documents, byte for byte, in less time (templates/html_defaults.css).
    _ua_stylesheets is the hook WeasyPrint's own tests override to the same end."""

    defaults: CSS  # set by the Renderer

    def _ua_stylesheets(self, forms=False):
        return [self.defaults]


def font_tempdir(fonts: FontConfiguration) -> Path | None:
    """The folder WeasyPrint copies @font-face fonts into; None before the first."""
    return fonts._folder


def set_deflate_level(cap: int) -> None:
    """Deflate pydyf's streams at zlib level cap at most (pydyf always asks for 9)."""
    pydyf.zlib = types.SimpleNamespace(
        compress=zlib.compress,
        compressobj=lambda level=cap, *args, **kwargs: zlib.compressobj(
            min(level, cap), *args, **kwargs
        ),
    )


def page_box(page):
    """A laid-out page's PageBox, the root of its box tree."""
    return page._page_box


def is_line(box) -> bool:
    return isinstance(box, boxes.LineBox)


def is_text(box) -> bool:
    return isinstance(box, boxes.TextBox)


def is_replaced(box) -> bool:
    """An image, inline or block."""
    return isinstance(box, (boxes.InlineReplacedBox, boxes.BlockReplacedBox))


def is_inline_replaced(box) -> bool:
    return isinstance(box, boxes.InlineReplacedBox)


def initial_value(name: str):
    """A property's initial value, as box.style[name] holds it when nothing sets it."""
    return INITIAL_VALUES[name]


def tagged_figures(pdf: pikepdf.Pdf, page: pikepdf.Page) -> dict[str, tuple[int, pikepdf.Object]]:
    """A page's /Figure structure elements that have alt text: {alt: (MCID, element)}."""
    nums = pdf.Root.StructTreeRoot.ParentTree.Nums
    key = int(page.obj.StructParents)
    for i in range(0, len(nums), 2):
        if int(nums[i]) == key:
            return {
                str(element.Alt): (mcid, element)
                for mcid, element in enumerate(nums[i + 1])
                if element.get("/S") == pikepdf.Name.Figure and "/Alt" in element
            }
    return {}
