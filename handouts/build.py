"""Runs the pipeline for a list of jobs: compose, render HTML, lay out, verify, write.

A document that breaks a rule is reported and skipped; the others are still written.
A failed document's old PDF is removed, so an outdated copy can never be printed by
mistake.
"""

from dataclasses import dataclass, field
from pathlib import Path

from .compose import Job, compose
from .errors import HandoutsError
from .output import MANIFEST, Built, document_path, sha256, update_manifest, write_atomic
from .pdf import Renderer
from .render_html import Environments, render_html
from .stocks import STOCKS, sheet_for
from .verify import check_glyphs, check_layout, check_pdf


@dataclass(frozen=True)
class Rendered:
    job: Job
    pdf: bytes
    pages: int
    notes: tuple[str, ...] = ()      # advice that does not stop the build


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
        html, parts = render_html(self.environments, composed)
        check_glyphs(parts)
        document, warnings = self.renderer.layout(composed, html)
        notes = check_layout(composed, document, warnings)
        pdf = self.renderer.write(composed, document, html)
        pages = check_pdf(composed, pdf)
        return Rendered(job, pdf, pages, tuple(notes))


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
