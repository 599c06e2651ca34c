"""The pipeline for one document (or a few written as one PDF): compose, render HTML, lay
out, verify, write.

batch.py runs it for many documents and writes the results.
"""

from dataclasses import dataclass
from pathlib import Path

from .compose import Composed, Job, compose
from .pdf import Renderer
from .render_html import Environments, render_html
from .verify import (CARD_FONT_SIZES_PT, MIN_CARD_FONT_PT, CardOverflow, check_glyphs,
                     check_layout, check_pdf)


@dataclass(frozen=True)
class Rendered:
    job: Job
    pdf: bytes
    pages: int
    notes: tuple[str, ...] = ()      # advice that does not stop the build


class Pipeline:
    """A warm pipeline: Jinja environments and one WeasyPrint renderer, reused."""

    def __init__(self, template_dirs: list[Path] | None = None):
        self.environments = Environments(template_dirs)
        self.renderer = Renderer()

    def render(self, job: Job) -> Rendered:
        return self.render_together([job])

    def render_together(self, jobs: list[Job]) -> Rendered:
        """One PDF of one or more documents (the web page's handout and card behind one
        Print button). Each is laid out and checked on its own; the pages are then written
        together, so the PDF has one tag tree over all of them."""
        laid_out = [self._lay_out(job) for job in jobs]
        pdf = self.renderer.write([(composed, document) for composed, document, _ in laid_out])
        first = laid_out[0][0]
        pages = check_pdf(first, pdf)
        notes = tuple(note for _, _, notes in laid_out for note in notes)
        return Rendered(first.job, pdf, pages, notes)

    def _lay_out(self, job: Job) -> tuple[Composed, object, list[str]]:
        composed = compose(job, self.environments.template_dirs)
        if job.kind == "card":
            return self._fit(composed)
        if job.kind == "card-sheet":
            fitted = {}
            for slot in composed.slots:
                key = (slot.job.drug.id, slot.job.lang)
                if key not in fitted:
                    self._fit(slot)            # sets the slot's card_font_pt
                    fitted[key] = slot.context["card_font_pt"]
                slot.context["card_font_pt"] = fitted[key]
        return self._check(composed)

    def _fit(self, composed: Composed):
        """Card text steps down in size until every side fits; it never goes below
        the smallest readable size."""
        for size in CARD_FONT_SIZES_PT:
            composed.context["card_font_pt"] = size
            try:
                return self._check(composed)
            except CardOverflow:
                if size == MIN_CARD_FONT_PT:
                    raise

    def _check(self, composed: Composed):
        """HTML, glyph check, layout and layout checks: (composed, document, notes)."""
        html, parts = render_html(self.environments, composed)
        check_glyphs(parts)
        document, warnings = self.renderer.layout(composed, html)
        return composed, document, check_layout(composed, document, warnings)
