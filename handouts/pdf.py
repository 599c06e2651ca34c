"""Pipeline stage 4: lay out the HTML and write PDF bytes with WeasyPrint.

A Renderer is meant to live long: it keeps one FontConfiguration and the compiled
stylesheets, which is where most of WeasyPrint's per-document start-up time goes.
"""

# First: WeasyPrint must load with the bundled fonts only and the quick library lookup.
from . import native  # noqa: F401

# isort: split
import hashlib
import logging
import shutil
import threading
from typing import Any

import pydyf
from weasyprint import CSS
from weasyprint.text.fonts import FontConfiguration

from . import engine
from .compose import Composed
from .engine import TemplateHTML
from .fetcher import LockedFetcher
from .fontcss import font_faces, font_rules
from .languages import registry
from .locations import TEMPLATES_DIR
from .stocks import MM_PER_PT

STYLESHEET = TEMPLATES_DIR / "print.css"
HTML_DEFAULTS = TEMPLATES_DIR / "html_defaults.css"
# pydyf deflates every stream at zlib's level 9, with no option to change it. Level 6 (zlib's
# default) writes a handout about a fifth faster and makes the PDF about 1 % larger.
ZLIB_LEVEL = 6
FONT_CSS_KEPT = 64  # font stylesheets kept, one for each set of fallback families
engine.set_deflate_level(ZLIB_LEVEL)


def print_stylesheet(fallback: tuple[str, ...] = ()) -> str:
    """print.css, after the font rules made from the language registry in use (a
    document's own, as the renderer gives them, in one piece)."""
    reg = registry()
    return font_faces(reg) + font_rules(reg, fallback) + STYLESHEET.read_text(encoding="utf-8")


class WeasyPrintWarnings(logging.Handler):
    """Collects WeasyPrint's warnings during one render so they can fail the build: those
    of the thread it is made in, not another's render at the same time."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []
        self.thread = threading.get_ident()

    def emit(self, record):
        # record.thread is None only where logging was told not to record threads.
        if record.thread in (self.thread, None):
            self.messages.append(record.getMessage())


class Renderer:
    def __init__(self):
        self.fonts = FontConfiguration()
        self._font_css: dict[tuple, list[CSS]] = {}
        self._page_css: dict[str, CSS] = {}
        self.fetcher = LockedFetcher()
        self.html_defaults = CSS(filename=HTML_DEFAULTS, url_fetcher=self.fetcher)
        self.stylesheet = CSS(filename=STYLESHEET, url_fetcher=self.fetcher, font_config=self.fonts)

    def font_stylesheets(self, fallback: tuple[str, ...] = ()) -> list[CSS]:
        """The font rules of the registry in use (a content folder's languages and a
        clinic's fonts add some) with the fallback families a document needs: made once
        for each, and few differ (a document whose text needs no fallback font is the
        rule)."""
        reg = registry()
        key = (reg, fallback)
        if key not in self._font_css:
            if len(self._font_css) >= FONT_CSS_KEPT:  # a server meets names in many scripts
                del self._font_css[next(iter(self._font_css))]
            # A clinic's font files are read through the fetcher: allow their folder.
            folders = {f.parent for fam in reg.families.values() for f in fam.files.values()}
            fetcher = LockedFetcher(font_dirs=tuple(sorted(folders)))
            faces = font_faces(reg)
            self._font_css[key] = [
                CSS(string=css, url_fetcher=fetcher, font_config=self.fonts)
                for css in (faces, font_rules(reg, fallback))
                if css
            ]
        return self._font_css[key]

    def close(self) -> None:
        """Delete WeasyPrint's copies of the bundled fonts (a temporary folder of a few MB).

        WeasyPrint deletes them when the FontConfiguration is collected; in a process that
        froze its objects out of the collector (handouts/warm.py) that never happens.
        """
        folder = engine.font_tempdir(self.fonts)
        if folder:
            shutil.rmtree(folder, ignore_errors=True)

    def _geometry(self, composed: Composed) -> CSS:
        css = composed.geometry.page_css
        if css not in self._page_css:
            self._page_css[css] = CSS(string=css, font_config=self.fonts)
        return self._page_css[css]

    def layout(
        self,
        composed: Composed,
        html: str,
        fetcher: LockedFetcher | None = None,
        fallback: tuple[str, ...] = (),
    ):
        """Lay out the document; returns the WeasyPrint Document and any warnings.

        fetcher: what the document may load, when a clinic's templates add folders to the
        bundled ones (the stylesheets, parsed once, load bundled files only). fallback:
        the fallback font families its text needs (fonts.fallback_families)."""
        sheets = [*self.font_stylesheets(fallback), self.stylesheet, self._geometry(composed)]
        return self._render(html, sheets, _options(composed), fetcher)

    def layout_overlay(self, html: str):
        """Lay out stamp.py's overlay: inline styles only, in the fonts print.css declared."""
        return self._render(html, [], {})

    def _render(
        self,
        html: str,
        stylesheets: list[CSS],
        options: dict,
        fetcher: LockedFetcher | None = None,
    ):
        catcher = WeasyPrintWarnings()
        logger = logging.getLogger("weasyprint")
        logger.addHandler(catcher)
        try:
            source = TemplateHTML(
                string=html,
                base_url=TEMPLATES_DIR.as_uri() + "/",
                url_fetcher=fetcher or self.fetcher,
            )
            source.defaults = self.html_defaults
            document = source.render(stylesheets=stylesheets, font_config=self.fonts, **options)
        finally:
            logger.removeHandler(catcher)
        return document, catcher.messages

    @staticmethod
    def write(parts: list[tuple[Composed, Any]]) -> bytes:
        """Write one PDF from one or more laid-out documents, as (composed, document) pairs:
        the pages in order, one tag tree over all of them, the first document's metadata
        and PDF variant."""
        first, document = parts[0]
        if len(parts) > 1:
            document = document.copy([page for _, doc in parts for page in doc.pages])
        # A fixed identifier keeps the bytes reproducible. It is made from what the document
        # is, never from the HTML, which may hold a patient's name.
        identifier = _identifier([composed for composed, _ in parts])
        bleeds = [composed.geometry.bleed_mm for composed, doc in parts for _ in doc.pages]
        finisher = (lambda doc, pdf: _exact_bleed_box(pdf, bleeds)) if any(bleeds) else None
        return document.write_pdf(pdf_identifier=identifier, finisher=finisher, **_options(first))


def _options(composed: Composed) -> dict:
    """Handouts are tagged PDF/UA-1 for screen readers (or PDF/A-3u archival copies);
    cards are tagged too."""
    if composed.job.pdfa:
        return {"pdf_variant": "pdf/a-3u", "pdf_tags": True}
    if composed.paper is not None:  # a handout, or a packet's list page
        return {"pdf_variant": "pdf/ua-1"}
    return {"pdf_tags": True}


def _exact_bleed_box(pdf, bleeds_mm: list[float]) -> None:
    """WeasyPrint puts the BleedBox up to 10 pt out; a print shop wants exactly the bleed.
    bleeds_mm holds each page's bleed, in page order."""
    pages = [
        obj
        for obj in pdf.objects
        if isinstance(obj, pydyf.Dictionary) and obj.get("Type") == "/Page"
    ]
    for page, bleed_mm in zip(pages, bleeds_mm, strict=True):
        if bleed_mm:
            bleed = bleed_mm / MM_PER_PT
            left, top, right, bottom = page["TrimBox"]
            page["BleedBox"] = pydyf.Array(
                [left - bleed, top - bleed, right + bleed, bottom + bleed]
            )


def _identifier(parts: list[Composed]) -> bytes:
    keys = []
    for composed in parts:
        job, drug = composed.job, composed.localized.drug
        slots = ",".join(f"{s.job.drug.id}/{s.job.lang}" for s in composed.slots)
        keys.append(
            f"{job.name}|{drug.content_version}|{drug.last_reviewed}|{job.paper}|"
            f"{job.stock}|{job.large_print}|{job.pdfa}|{slots}"
        )
    return hashlib.sha256("+".join(keys).encode()).hexdigest()[:32].encode()
