"""Pipeline stage 2: put a drug, a language, a kind and the print options together.

The result is everything the templates need and nothing they must work out: strings are
ready to print, dates are formatted, the QR code is made and checked.
"""

from dataclasses import dataclass, field

from babel import Locale
from babel.dates import format_date

from .content import DrugContent
from .documents import CARD_QR_MM, HANDOUT_QR_MM, PAPERS, Paper
from .qr import QRCode, make_qr


@dataclass(frozen=True)
class Job:
    """One document to build: what the CLI, the web app and the batch all hand over."""

    drug: DrugContent
    lang: str
    kind: str
    paper: str = "letter"

    @property
    def name(self) -> str:
        return f"{self.drug.id}/{self.lang}/{self.kind}"


@dataclass(frozen=True)
class Composed:
    job: Job
    template: str
    paper: Paper
    context: dict = field(hash=False)
    title: str = ""
    qr: QRCode | None = None


def compose(job: Job) -> Composed:
    drug = job.drug.drug
    locale = Locale.parse(job.lang.replace("-", "_"))
    display_name = drug.names.generic[:1].upper() + drug.names.generic[1:]
    brands = sorted({b.name for b in drug.names.brands})
    brand_countries = {
        name: [locale.territories.get(b.country, b.country)
               for b in drug.names.brands if b.name == name]
        for name in brands
    }
    url = drug.full_info_url.get(job.lang, drug.full_info_url["en"])
    qr = make_qr(url, CARD_QR_MM if job.kind == "card" else HANDOUT_QR_MM)
    title_suffix = "wallet card" if job.kind == "card" else "patient handout"
    title = f"{display_name} ({', '.join(brands)}): {title_suffix}"
    context = {
        "lang": job.lang,
        "dir": "rtl" if locale.character_order == "right-to-left" else "ltr",
        "drug": drug,
        "drug_id": job.drug.id,
        "display_name": display_name,
        "brands": brands,
        "brand_countries": brand_countries,
        "last_reviewed": format_date(drug.last_reviewed, "long", locale=locale),
        "qr": qr,
        "title": title,
        "subject": f"{title}: warnings, symptoms that need a call right away, side effects",
    }
    return Composed(job, f"{job.kind}.html", PAPERS[job.paper], context, title, qr)
