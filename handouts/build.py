"""Runs the pipeline for a list of jobs: compose, render HTML, lay out, verify, write.

Everything is rendered and verified before anything is written, so a run that fails
leaves the output folder as it was.
"""

from dataclasses import dataclass
from pathlib import Path

from .compose import Job, compose
from .output import Built, document_path, sha256, update_manifest, write_atomic
from .pdf import Renderer
from .render_html import make_environment, render_html
from .verify import check_glyphs, check_layout, check_pdf


@dataclass(frozen=True)
class Rendered:
    job: Job
    pdf: bytes
    pages: int


class Pipeline:
    """A warm pipeline: one Jinja environment and one WeasyPrint renderer, reused."""

    def __init__(self, template_dirs: list[Path] | None = None):
        self.env = make_environment(template_dirs)
        self.renderer = Renderer()

    def render(self, job: Job) -> Rendered:
        composed = compose(job)
        html = render_html(self.env, composed)
        check_glyphs(composed, html)
        document, warnings = self.renderer.layout(composed, html)
        check_layout(composed, document, warnings)
        pdf = self.renderer.write(composed, document, html)
        pages = check_pdf(composed, pdf)
        return Rendered(job, pdf, pages)


def build(jobs: list[Job], out_dir: Path, pipeline: Pipeline | None = None) -> list[Built]:
    pipeline = pipeline or Pipeline()
    rendered = [pipeline.render(job) for job in jobs]
    built = []
    for item in rendered:
        job = item.job
        path = document_path(job.drug.id, job.lang, job.kind)
        write_atomic(out_dir / path, item.pdf)
        built.append(Built(job.drug.id, job.lang, job.kind, job.paper, path,
                           sha256(item.pdf), item.pages))
    update_manifest(out_dir, built)
    return built
