"""What `handouts check` verifies beyond the schema: templates, translations, fonts, and
the content lint rules (lint.py)."""

from concurrent.futures import Executor
from dataclasses import dataclass, field

import jinja2

from .catalogs import load_translation, translatable_strings
from .compose import Job
from .content import DrugContent
from .documents import KINDS
from .errors import HandoutsError
from .lint import Finding, lint
from .localize import TranslationError, catalog_problems, localize
from .locations import available_languages, untranslated_languages
from .readability import MAX_ENGLISH_GRADE, patient_text, reading_level
from .render_html import Environments
from .stocks import STOCKS
from .template_strings import load_template_translation


@dataclass
class CheckReport:
    drugs: list[DrugContent]
    lines: list[str] = field(default_factory=list)  # the status table
    problems: list[str] = field(default_factory=list)  # anything that fails the check
    findings: list[Finding] = field(default_factory=list)  # lint: errors fail, warnings not
    incomplete: int = 0  # catalogues with stale or missing
    notes: list[str] = field(default_factory=list)  # advice, as build gives it (page limit)


def check_all(drugs: list[DrugContent], executor: Executor | None = None) -> CheckReport:
    """Every check; the documents are laid out on the executor's workers (default: in
    this process), each drug and language a task."""
    report = CheckReport(drugs, findings=lint(drugs))
    environments = Environments()
    report.problems += _template_syntax(environments.get("en", None))
    if report.problems:
        return report
    if executor is None:
        from .batch import InlineExecutor

        executor = InlineExecutor()
    layouts = []
    for drug in drugs:
        for lang in available_languages(drug.path.parent):
            broken = catalog_problems(drug, lang)
            if broken:
                report.problems += [str(p) for p in broken if str(p) not in report.problems]
                continue
            layouts.append(executor.submit(lay_out, _jobs(drug, lang)))
            report.lines.append(_status_line(drug, lang, report))
            _readability(drug, lang, report)
        for lang in untranslated_languages(drug.path.parent):
            report.lines.append(
                f"{drug.id}\t{lang}\tnot translated yet (nothing in its catalogue); build skips it"
            )
    for future in layouts:
        notes, problems = future.result()
        report.notes += [note for note in notes if note not in report.notes]
        report.problems += [p for p in problems if p not in report.problems]
    return report


def lay_out(jobs: list[Job]) -> tuple[list[str], list[str]]:
    """Runs in a worker: the documents laid out and checked as build checks them (glyphs,
    page size, overlap, card fit, page limit), written nowhere, so that what check
    passes, build builds. (notes, problems)."""
    from .batch import pipeline

    notes: list[str] = []
    problems: list[str] = []
    failed: set[str] = set()
    for job in jobs:
        if job.kind in failed:
            continue  # the card on a second card size: one message is enough
        try:
            notes += pipeline().check(job)
        except TranslationError:
            break  # reported in the status line; --strict turns it into a failure
        except (HandoutsError, jinja2.TemplateError) as error:
            text = str(error)
            problems.append(text if text.startswith(job.name) else f"{job.name}: {text}")
            failed.add(job.kind)
    return notes, problems


def _jobs(drug: DrugContent, lang: str) -> list[Job]:
    """What build makes by default, and the card on every card size (it may fit one and
    not another)."""
    cards: dict[tuple[float, float, float], str] = {}  # card size -> the first stock of it
    for name, stock in STOCKS.items():
        cards.setdefault((stock.card.width_mm, stock.card.height_mm, stock.card.safe_mm), name)
    jobs = [Job(drug, lang, "handout", allow_fallback=True)]
    return jobs + [Job(drug, lang, "card", allow_fallback=True, stock=s) for s in cards.values()]


def _status_line(drug: DrugContent, lang: str, report: CheckReport) -> str:
    if lang == "en":
        return f"{drug.id}\ten\tEnglish master, content version {drug.drug.content_version}"
    status = load_translation(drug.path.parent, drug.drug, lang).status
    templates = load_template_translation(lang).status
    stale = len(status.stale) + len(templates.stale)
    missing = len(status.missing) + len(templates.missing)
    if stale or missing:
        report.incomplete += 1
    review = (
        f"reviewed by {status.reviewer} on {status.review_date.isoformat()}"
        if status.reviewed and templates.reviewed and status.review_date
        else "draft (not reviewed)"
    )
    return (
        f"{drug.id}\t{lang}\t{status.percent:.0f}% translated, {stale} stale, "
        f"{missing} missing, {review}"
    )


def _readability(drug: DrugContent, lang: str, report: CheckReport) -> None:
    try:
        text_drug = localize(drug, lang, allow_fallback=True).drug
    except HandoutsError:
        return  # the status line already says what is missing
    strings = translatable_strings(text_drug)
    for kind in KINDS:
        reading = reading_level(
            patient_text(text_drug, strings, kind), lang, f"{drug.id}/{lang}/{kind}"
        )
        if reading is None:
            continue
        report.lines.append(f"  reading level {reading}")
        if lang == "en" and kind == "handout" and reading.score > MAX_ENGLISH_GRADE:
            report.problems.append(
                f"{drug.id}/en/handout: reading grade {reading.score:.1f} is above "
                f"{MAX_ENGLISH_GRADE:g}; use shorter sentences and everyday words "
                "(aim for grade 6)"
            )


def _template_syntax(env: jinja2.Environment) -> list[str]:
    problems = []
    for name in env.list_templates(extensions=["html"]):
        try:
            env.get_template(name)
        except jinja2.TemplateSyntaxError as error:
            problems.append(
                f"{error.filename or name}:{error.lineno}: template syntax error: {error.message}"
            )
    return problems
