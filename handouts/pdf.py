"""Pipeline stage 4: lay out the HTML and write PDF bytes with WeasyPrint.

A Renderer is meant to live long: it keeps one FontConfiguration and the compiled
stylesheets, which is where most of WeasyPrint's per-document start-up time goes.
"""

from . import fontlock  # noqa: F401  (must run before WeasyPrint loads fontconfig)

import hashlib
import logging

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from .compose import Composed
from .fetcher import LockedFetcher
from .locations import TEMPLATES_DIR

STYLESHEET = TEMPLATES_DIR / "print.css"


class WeasyPrintWarnings(logging.Handler):
    """Collects WeasyPrint's warnings during one render so they can fail the build."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


class Renderer:
    def __init__(self):
        self.fetcher = LockedFetcher()
        self.fonts = FontConfiguration()
        self.stylesheet = CSS(filename=STYLESHEET, url_fetcher=self.fetcher,
                              font_config=self.fonts)
        self._paper_css: dict[str, CSS] = {}

    def _paper(self, composed: Composed) -> CSS:
        paper = composed.paper
        if paper.name not in self._paper_css:
            self._paper_css[paper.name] = CSS(string=f"@page handout {{ size: {paper.css_size} }}",
                                              font_config=self.fonts)
        return self._paper_css[paper.name]

    def layout(self, composed: Composed, html: str):
        """Lay out the document; returns the WeasyPrint Document and any warnings."""
        catcher = WeasyPrintWarnings()
        logger = logging.getLogger("weasyprint")
        logger.addHandler(catcher)
        try:
            document = HTML(string=html, base_url=TEMPLATES_DIR.as_uri() + "/",
                            url_fetcher=self.fetcher).render(
                stylesheets=[self.stylesheet, self._paper(composed)],
                font_config=self.fonts,
                pdf_tags=_tagged(composed),
            )
        finally:
            logger.removeHandler(catcher)
        return document, catcher.messages

    @staticmethod
    def write(composed: Composed, document, html: str) -> bytes:
        # A fixed identifier derived from the input keeps the bytes reproducible.
        identifier = hashlib.sha256(html.encode()).hexdigest()[:32].encode()
        return document.write_pdf(pdf_identifier=identifier, pdf_tags=_tagged(composed))


def _tagged(composed: Composed) -> bool:
    # Handouts are tagged for screen readers; cards are two tiny pages of fixed layout.
    return composed.job.kind == "handout"
