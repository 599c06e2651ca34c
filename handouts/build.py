"""Runs the pipeline for a list of jobs: compose, render HTML, lay out, verify, write.

A document that breaks a rule is reported and skipped; the others are still written.
A failed document's old PDF is removed, so an outdated copy can never be printed by
mistake.
"""

from dataclasses import dataclass, field
from pathlib import Path

from .compose import Composed, Job, compose
from .errors import HandoutsError
from .output import MANIFEST, Built, document_path, sha256, update_manifest, write_atomic
from .pdf import Renderer
from .render_html import Environments, render_html
from .stocks import STOCKS, sheet_for
from .verify import (CARD_FONT_SIZES_PT, MIN_CARD_FONT_PT, CardOverflow, check_glyphs,
                     check_layout, check_pdf)


@dataclass(frozen=True)
class Rendered:
    job: Job
    pdf: bytes
    pages: int
    notes: tuple[str, ...] = ()      # advice that does not stop the build
    font_pt: float | None = None     # card text size that fits


@dataclass
class Report:
    built: list[Built] = field(default_factory=list)
    failed: list[tuple[Job, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class Pipeline:
    """A warm pipeline: Jinja environments and one WeasyPrint renderer, reused."""

    def __init__(self, template_dirs: list[Path] | None = None):
        self.environments = Environments(template_dirs)
        self.renderer = Renderer()

    def render(self, job: Job) -> Rendered:
        composed = compose(job, self.environments.template_dirs)
        if job.kind == "card":
            return self._fit(composed)
        if job.kind == "card-sheet":
            fitted = {}
            for slot in composed.slots:
                key = (slot.job.drug.id, slot.job.lang)
                if key not in fitted:
                    fitted[key] = self._fit(slot).font_pt
                slot.context["card_font_pt"] = fitted[key]
        return self._render(composed)

    def _fit(self, composed: Composed) -> Rendered:
        """Card text steps down in size until every side fits; it never goes below
        the smallest readable size."""
        for size in CARD_FONT_SIZES_PT:
            composed.context["card_font_pt"] = size
            try:
                return self._render(composed)
            except CardOverflow:
                if size == MIN_CARD_FONT_PT:
                    raise

    def _render(self, composed: Composed) -> Rendered:
        html, parts = render_html(self.environments, composed)
        check_glyphs(parts)
        document, warnings = self.renderer.layout(composed, html)
        notes = check_layout(composed, document, warnings)
        pdf = self.renderer.write(composed, document, html)
        pages = check_pdf(composed, pdf)
        return Rendered(composed.job, pdf, pages, tuple(notes),
                        composed.context.get("card_font_pt"))


def build(jobs: list[Job], out_dir: Path, pipeline: Pipeline | None = None) -> Report:
    pipeline = pipeline or Pipeline()
    report = Report()
    for job in jobs:
        path = document_path(job)
        try:
            item = pipeline.render(job)
        except HandoutsError as error:
            report.failed.append((job, str(error)))
            (out_dir / path).unlink(missing_ok=True)
            continue
        write_atomic(out_dir / path, item.pdf)
        report.notes += item.notes
        report.built.append(Built(job.drug.id, job.lang, job.kind, paper_of(job), path,
                                  sha256(item.pdf), item.pages))
    if report.built or (out_dir / MANIFEST).exists():
        update_manifest(out_dir, report.built)
    return report


def paper_of(job: Job) -> str:
    """What the document is printed on: a paper size, or a card stock (and its sheet)."""
    if job.kind == "handout":
        return job.paper
    if job.kind == "card":
        return job.stock
    return f"{job.stock}/{sheet_for(STOCKS[job.stock], job.paper).name}"
