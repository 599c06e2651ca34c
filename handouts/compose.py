"""Pipeline stage 2: put a drug, a language, a kind and the print options together.

The result is everything the templates need and nothing they must work out: strings are
ready to print, dates are formatted, the QR code is made and checked.
"""

from dataclasses import dataclass, field
from pathlib import Path

from babel.dates import format_date
from markupsafe import Markup

from .content import DrugContent
from .documents import CARD_QR_MM, HANDOUT_QR_MM, PAPERS, Paper
from .languages import direction, locale
from .localize import Localized, localize
from .qr import QRCode, make_qr


@dataclass(frozen=True)
class Job:
    """One document to build: what the CLI, the web app and the batch all hand over."""

    drug: DrugContent
    lang: str
    kind: str
    paper: str = "letter"
    allow_fallback: bool = False

    @property
    def name(self) -> str:
        return f"{self.drug.id}/{self.lang}/{self.kind}"


@dataclass(frozen=True)
class Composed:
    job: Job
    template: str
    paper: Paper
    localized: Localized
    context: dict = field(hash=False)
    qr: QRCode | None = None


class FieldMarker:
    """``{{ field("path") }}`` in a template: names the field, marks English fallbacks."""

    def __init__(self, fallback: frozenset[str]):
        self.fallback = fallback

    def __call__(self, path: str) -> Markup:
        marked = Markup(' lang="en" class="fallback"') if path in self.fallback else ""
        return Markup(' data-field="{}"').format(path) + marked


def compose(job: Job, template_dirs: tuple[Path, ...] = ()) -> Composed:
    localized = localize(job.drug, job.lang, job.allow_fallback, template_dirs)
    drug = localized.drug
    loc = locale(job.lang)
    display_name = drug.names.generic[:1].upper() + drug.names.generic[1:]
    brands = sorted({b.name for b in drug.names.brands})
    brand_countries = {
        name: [loc.territories.get(b.country, b.country)
               for b in drug.names.brands if b.name == name]
        for name in brands
    }
    url = drug.full_info_url.get(job.lang, drug.full_info_url["en"])
    qr = make_qr(url, CARD_QR_MM if job.kind == "card" else HANDOUT_QR_MM)
    context = {
        "lang": job.lang,
        "dir": direction(job.lang),
        "draft": localized.draft,
        "fallback_fields": localized.fallback_fields,
        "field": FieldMarker(localized.fallback_fields),
        "drug": drug,
        "drug_id": job.drug.id,
        "display_name": display_name,
        "brands": brands,
        "brand_countries": brand_countries,
        "last_reviewed": format_date(drug.last_reviewed, "long", locale=loc),
        "qr": qr,
    }
    return Composed(job, f"{job.kind}.html", PAPERS[job.paper], localized, context, qr)
